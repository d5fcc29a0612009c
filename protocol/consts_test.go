package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// declared is every typed constant the package's source declares, by type
// name and then constant name, with its value as written (strings unquoted).
// The tables in the tests are checked against it, so that a constant added
// to the code without a row in a test (or in PROTOCOL.md) fails the build's
// tests instead of going unnoticed.
func declared(t *testing.T) map[string]map[string]string {
	t.Helper()
	declaredOnce.Do(func() { declaredConsts, declaredErr = parseConsts() })
	if declaredErr != nil {
		t.Fatal(declaredErr)
	}
	return declaredConsts
}

var (
	declaredOnce   sync.Once
	declaredConsts map[string]map[string]string
	declaredErr    error
)

func parseConsts() (map[string]map[string]string, error) {
	entries, err := os.ReadDir(".")
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	out := map[string]map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue // untyped constants are limits, not enumerations
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						continue
					}
					v := lit.Value
					if lit.Kind == token.STRING {
						if v, err = strconv.Unquote(v); err != nil {
							return nil, err
						}
					}
					if out[id.Name] == nil {
						out[id.Name] = map[string]string{}
					}
					out[id.Name][n.Name] = v
				}
			}
		}
	}
	return out, nil
}

// declaredValues is the sorted values of the constants of one type.
func declaredValues(t *testing.T, typ string) []string {
	t.Helper()
	var vs []string
	for _, v := range declared(t)[typ] {
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		t.Fatalf("no constants of type %s found in the package source", typ)
	}
	slices.Sort(vs)
	return vs
}

// sortedMsgTypes is MsgTypes in a stable order: MsgTypes reads a map.
func sortedMsgTypes() []MsgType {
	ts := MsgTypes()
	slices.Sort(ts)
	return ts
}

// eventTypes is every event type, with the audience the room gives it.
// TestTablesCoverTheSource checks it against the source.
var eventTypes = map[EventType]AudienceKind{
	EvRoomOpened:    AudAll,
	EvStudentJoined: AudStudent,
	EvPresence:      AudStaff, // or AudTeachers for a student in no group
	EvAnnouncement:  AudAll,   // or AudStudent, AudGroup or AudMembers by its target
	EvHand:          AudStudent,
	EvClassEnded:    AudAll,
	EvOwnerChanged:  AudNone,
	EvReply:         AudNone,

	EvStations:    AudAll,
	EvGroup:       AudGroup,
	EvGroups:      AudAll,
	EvProposal:    AudTeachers,
	EvPlacement:   AudStudent,
	EvRotation:    AudAll,
	EvClassPaused: AudAll,
	EvActivity:    AudAll, // or AudStudent, AudGroup or AudMembers by its target
	EvLevel:       AudTeachers,
	EvChoices:     AudAll,
	EvChoice:      AudStudent,
	EvWorkspace:   AudGroup,
	EvLateRule:    AudTeachers,

	EvPractice:   AudAll, // or AudStudent, AudGroup or AudMembers by its target
	EvItem:       AudStudent,
	EvAttempt:    AudStudent,
	EvHintShown:  AudStudent,
	EvOffer:      AudStudent,
	EvFlag:       AudStaff, // or AudTeachers for a student in no group
	EvHelpSent:   AudStudent,
	EvThresholds: AudTeachers,
	EvClosed:     AudAll, // or AudStudent, AudGroup or AudMembers by its target

	EvShare:           AudTeachers,
	EvTeacherPresence: AudTeachers,
	EvSmallGroup:      AudTeachers,
	EvErased:          AudTeachers,
}

// eventPayloads says what data each event type carries.
var eventPayloads = map[EventType]func() any{
	EvRoomOpened:    func() any { return new(RoomOpened) },
	EvStudentJoined: func() any { return new(StudentJoined) },
	EvPresence:      func() any { return new(Presence) },
	EvAnnouncement:  func() any { return new(Announcement) },
	EvHand:          func() any { return new(Hand) },
	EvClassEnded:    func() any { return new(struct{}) },
	EvOwnerChanged:  func() any { return new(OwnerChanged) },
	EvReply:         func() any { return new(ReplyRecorded) },

	EvStations:    func() any { return new(Stations) },
	EvGroup:       func() any { return new(GroupChanged) },
	EvGroups:      func() any { return new(Groups) },
	EvProposal:    func() any { return new(Proposal) },
	EvPlacement:   func() any { return new(Placement) },
	EvRotation:    func() any { return new(RotationChanged) },
	EvClassPaused: func() any { return new(ClassPaused) },
	EvActivity:    func() any { return new(ActivityPushed) },
	EvLevel:       func() any { return new(Level) },
	EvChoices:     func() any { return new(Choices) },
	EvChoice:      func() any { return new(Choice) },
	EvWorkspace:   func() any { return new(WorkspaceChanged) },
	EvLateRule:    func() any { return new(LateRuleSet) },

	EvPractice:   func() any { return new(PracticeStarted) },
	EvItem:       func() any { return new(ItemGiven) },
	EvAttempt:    func() any { return new(Attempted) },
	EvHintShown:  func() any { return new(HintShown) },
	EvOffer:      func() any { return new(Offer) },
	EvFlag:       func() any { return new(FlagChanged) },
	EvHelpSent:   func() any { return new(HelpSent) },
	EvThresholds: func() any { return new(ThresholdsSet) },
	EvClosed:     func() any { return new(PracticeClosed) },

	EvShare:           func() any { return new(Share) },
	EvTeacherPresence: func() any { return new(TeacherPresence) },
	EvSmallGroup:      func() any { return new(SmallGroupChanged) },
	EvErased:          func() any { return new(Erased) },
}

// TestTablesCoverTheSource: every enumeration constant in the source has
// its row in the tests' tables.
func TestTablesCoverTheSource(t *testing.T) {
	check := func(typ string, have []string) {
		t.Helper()
		slices.Sort(have)
		if want := declaredValues(t, typ); !slices.Equal(have, want) {
			t.Errorf("%s: the tests know %q, the source declares %q", typ, have, want)
		}
	}
	var codes, evs []string
	for c := range httpStatus {
		codes = append(codes, string(c))
	}
	check("Code", codes)
	var closes []string
	for c := range finalClose {
		closes = append(closes, strconv.Itoa(int(c)))
	}
	check("CloseCode", closes)
	for e := range eventTypes {
		evs = append(evs, string(e))
		if eventPayloads[e] == nil {
			t.Errorf("event %s has no payload type in the tests", e)
		}
	}
	check("EventType", evs)
	var kinds []string
	for _, k := range audienceKinds {
		kinds = append(kinds, string(k))
	}
	check("AudienceKind", kinds)
	check("Role", []string{string(RoleTeacher), string(RoleStudent), string(RoleCoach), string(RoleProjector)})

	// Message types: the Msg constants are the client's, the Cmd constants
	// are internal and must never be accepted from a device.
	var msgs []string
	for name, v := range declared(t)["MsgType"] {
		isClient := slices.Contains(MsgTypes(), MsgType(v))
		switch {
		case strings.HasPrefix(name, "Msg") && !isClient:
			t.Errorf("%s = %q is not in MsgTypes()", name, v)
		case strings.HasPrefix(name, "Cmd") && isClient:
			t.Errorf("internal command %s = %q is a client message type", name, v)
		case !strings.HasPrefix(name, "Msg") && !strings.HasPrefix(name, "Cmd"):
			t.Errorf("message type constant %s is neither Msg nor Cmd", name)
		}
		if isClient {
			msgs = append(msgs, v)
		}
	}
	slices.Sort(msgs)
	var have []string
	for _, m := range sortedMsgTypes() {
		have = append(have, string(m))
	}
	if !slices.Equal(msgs, have) {
		t.Errorf("MsgTypes() = %q, the source declares %q", have, msgs)
	}
	for m := range allowedMatrix {
		if !slices.Contains(MsgTypes(), m) {
			t.Errorf("the Allowed table has %s, which is not a message type", m)
		}
	}
	if len(allowedMatrix) != len(MsgTypes()) {
		t.Errorf("the Allowed table has %d message types, MsgTypes() %d", len(allowedMatrix), len(MsgTypes()))
	}
}
