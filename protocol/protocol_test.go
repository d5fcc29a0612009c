package protocol

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestDecodeClientFrame(t *testing.T) {
	for _, c := range []struct {
		name, in string
		id       string
		code     Code // "" for success
	}{
		{"ping", `{"v":1,"id":"r1","type":"ping","data":{}}`, "r1", ""},
		{"no data", `{"v":1,"id":"r2","type":"end_class"}`, "r2", ""},
		{"hello", `{"v":1,"id":"h","type":"hello","data":{"token":"t"}}`, "h", ""},
		{"not json", `hello`, "", CodeBadFrame},
		{"array", `[1]`, "", CodeBadFrame},
		{"trailing", `{"v":1,"id":"r3","type":"ping"}{}`, "", CodeBadFrame},
		{"unknown field", `{"v":1,"id":"r4","type":"ping","x":1}`, "r4", CodeBadFrame},
		{"bad utf8", "{\"v\":1,\"id\":\"r5\",\"type\":\"\xff\"}", "", CodeBadFrame},
		{"wrong version", `{"v":2,"id":"r6","type":"ping"}`, "r6", CodeBadVersion},
		{"no version", `{"id":"r7","type":"ping"}`, "r7", CodeBadVersion},
		{"no id", `{"v":1,"type":"ping"}`, "", CodeInvalid},
		{"long id", `{"v":1,"id":"` + strings.Repeat("i", MaxRequestID+1) + `","type":"ping"}`, "", CodeInvalid},
		{"unknown type", `{"v":1,"id":"r8","type":"fly"}`, "r8", CodeUnknownType},
		{"id of wrong type", `{"v":1,"id":7,"type":"ping"}`, "", CodeBadFrame},
		{"too large", `{"v":1,"id":"r9","type":"ping","data":{"x":"` + strings.Repeat("x", MaxFrameBytes) + `"}}`, "", CodeFrameTooLarge},
	} {
		f, err := DecodeClientFrame([]byte(c.in))
		got := Code("")
		if err != nil {
			got = err.Code
			if err.Message == "" {
				t.Errorf("%s: error without a message", c.name)
			}
		}
		if got != c.code || f.ID != c.id {
			t.Errorf("%s: got code %q id %q, want %q %q (%v)", c.name, got, f.ID, c.code, c.id, err)
		}
	}
}

func TestDecodePayload(t *testing.T) {
	sid := string(NewStudentID())
	for _, c := range []struct {
		typ  MsgType
		data string
		code Code
	}{
		{MsgPing, ``, ""},
		{MsgPing, `null`, ""},
		{MsgPing, `{"x":1}`, CodeInvalid},
		{MsgHello, `{"token":"abc"}`, ""},
		{MsgHello, `{}`, CodeInvalid},
		{MsgHello, `{"token":"abc","room":"nope"}`, CodeInvalid},
		{MsgHello, `{"token":"abc","resume":{"epoch":"","offset":1}}`, CodeInvalid},
		{MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":-1}}`, CodeInvalid},
		{MsgHello, `{"token":"` + strings.Repeat("t", 4097) + `"}`, CodeInvalid},
		{MsgAnnounce, `{"text":"Pens down"}`, ""},
		{MsgAnnounce, `{"text":"line one\nline two"}`, ""},
		{MsgAnnounce, `{"text":""}`, CodeInvalid},
		{MsgAnnounce, `{"text":"   "}`, CodeInvalid},
		{MsgAnnounce, `{"text":"bell\u0007"}`, CodeInvalid},
		{MsgAnnounce, `{"text":"` + strings.Repeat("é", MaxTextRunes+1) + `"}`, CodeInvalid},
		{MsgAnnounce, `{"text":"` + strings.Repeat("é", MaxTextRunes) + `"}`, ""},
		{MsgAnnounce, `{"text":"hi","to":"` + sid + `"}`, ""},
		{MsgAnnounce, `{"text":"hi","to":"` + strings.ToUpper(sid) + `"}`, CodeInvalid},
		{MsgAnnounce, `{"text":5}`, CodeInvalid},
		{MsgRaiseHand, `{}`, ""},
		{MsgRaiseHand, `{"note":"stuck on 3b"}`, ""},
		{MsgRaiseHand, `{"note":"two\nlines"}`, CodeInvalid},
		{MsgRaiseHand, `{"note":"` + strings.Repeat("n", MaxNoteRunes+1) + `"}`, CodeInvalid},
		{MsgLowerHand, `{}`, ""},
		{MsgLowerHand, `{"student":"` + sid + `"}`, ""},
		{MsgLowerHand, `{"student":"bob"}`, CodeInvalid},
		{MsgEndClass, `{}`, ""},
		{MsgEndClass, `[]`, CodeInvalid},
		{"fly", `{}`, CodeUnknownType},
	} {
		v, err := DecodePayload(c.typ, json.RawMessage(c.data))
		got := Code("")
		if err != nil {
			got = err.Code
		}
		if got != c.code || (err == nil && v == nil) {
			t.Errorf("%s %s: got %q (%v), want %q", c.typ, c.data, got, err, c.code)
		}
	}
}

// The whole role × message matrix: who may send what.
func TestAllowed(t *testing.T) {
	want := map[MsgType][]Role{
		MsgHello:     {RoleTeacher, RoleStudent, RoleCoach, RoleProjector},
		MsgPing:      {RoleTeacher, RoleStudent, RoleCoach, RoleProjector},
		MsgAnnounce:  {RoleTeacher},
		MsgRaiseHand: {RoleStudent},
		MsgLowerHand: {RoleTeacher, RoleStudent},
		MsgEndClass:  {RoleTeacher},
	}
	if len(want) != len(MsgTypes()) {
		t.Fatalf("the table covers %d message types, the protocol has %d", len(want), len(MsgTypes()))
	}
	for _, typ := range MsgTypes() {
		for _, r := range []Role{RoleTeacher, RoleStudent, RoleCoach, RoleProjector, "admin", ""} {
			exp := typ == MsgHello // before the hello there is no role yet
			for _, w := range want[typ] {
				exp = exp || w == r
			}
			if got := Allowed(typ, r); got != exp {
				t.Errorf("Allowed(%s, %q) = %v, want %v", typ, r, got, exp)
			}
		}
	}
	if Allowed(CmdJoin, RoleStudent) || Allowed(CmdSnapshot, RoleTeacher) {
		t.Error("internal commands must never be allowed from devices")
	}
}

// The whole audience × viewer matrix.
func TestAudienceAllows(t *testing.T) {
	ana, ben := NewStudentID(), NewStudentID()
	g1, g2 := GroupID("g1"), GroupID("g2")
	viewers := map[string]Viewer{
		"teacher":     {Role: RoleTeacher},
		"ana":         {Role: RoleStudent, Student: ana},
		"ben":         {Role: RoleStudent, Student: ben},
		"coach of g1": {Role: RoleCoach, Groups: []GroupID{g1}},
		"coach of g2": {Role: RoleCoach, Groups: []GroupID{g2}},
		"projector":   {Role: RoleProjector},
		"no one":      {Role: RoleStudent},
	}
	auds := map[string]Audience{
		"all":      ToAll,
		"teachers": ToTeachers,
		"ana":      ToStudent(ana),
		"group g1": {Kind: AudGroup, Group: g1, Members: []StudentID{ana}},
		"staff g1": {Kind: AudStaff, Group: g1},
		"none":     ToNone,
	}
	want := map[string][]string{
		"all":      {"teacher", "ana", "ben", "coach of g1", "coach of g2", "projector", "no one"},
		"teachers": {"teacher"},
		"ana":      {"teacher", "ana"},
		"group g1": {"teacher", "ana", "coach of g1"},
		"staff g1": {"teacher", "coach of g1"},
		"none":     {},
	}
	for an, a := range auds {
		for vn, v := range viewers {
			exp := false
			for _, w := range want[an] {
				exp = exp || w == vn
			}
			if got := a.Allows(v); got != exp {
				t.Errorf("audience %s, viewer %s: %v, want %v", an, vn, got, exp)
			}
		}
	}
}

func TestIDs(t *testing.T) {
	id := string(NewRoomID())
	for s, want := range map[string]bool{
		id: true, strings.ToUpper(id): false, "{" + id + "}": false, "urn:uuid:" + id: false,
		"": false, strings.ReplaceAll(id, "-", ""): false, id[:35] + "g": false,
	} {
		if got := RoomID(s).Valid(); got != want {
			t.Errorf("RoomID(%q).Valid() = %v, want %v", s, got, want)
		}
	}
	r := RoomID(id)
	for _, subj := range []string{CommandSubject(r), EventSubject(r), LogSubject(r)} {
		if strings.ContainsAny(subj, "*> \t") || strings.Count(subj, ".") != strings.Count(subj, ".") || !strings.HasPrefix(subj, SubjectPrefix+".") {
			t.Errorf("subject %q", subj)
		}
	}
	if strings.Count(CommandSubject(r), ".") != 3 || strings.Count(LogSubject(r), ".") != 2 {
		t.Errorf("subjects have the wrong number of tokens: %s %s", CommandSubject(r), LogSubject(r))
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`).MatchString(StreamName(r)) {
		t.Errorf("stream name %q is not a valid JetStream name", StreamName(r))
	}
}

func TestCodes(t *testing.T) {
	for _, c := range allCodes {
		st := c.HTTPStatus()
		if st < 400 || st > 599 || (st == 500 && c != CodeInternal) {
			t.Errorf("%s maps to HTTP %d", c, st)
		}
	}
	final := map[CloseCode]bool{CloseGoingAway: true, ClosePolicy: true, CloseUnauthorized: true, CloseRoomEnded: true, CloseRemoved: true}
	for _, c := range allCloseCodes {
		if c.Final() != final[c] {
			t.Errorf("close %d: final %v", c, c.Final())
		}
	}
}

var allCodes = []Code{CodeBadFrame, CodeFrameTooLarge, CodeBadVersion, CodeUnknownType, CodeInvalid, CodeNotReady,
	CodeUnauthorized, CodeForbidden, CodeNotFound, CodeConflict, CodeRoomEnded, CodeRateLimited, CodeBusy,
	CodeUnavailable, CodeInternal, CodeDuplicate, CodeNotRecoverable}

var allCloseCodes = []CloseCode{CloseNormal, CloseGoingAway, ClosePolicy, CloseTooBig, CloseInternal, CloseRestart,
	CloseSlowConsumer, CloseHelloTimeout, CloseUnauthorized, CloseRoomEnded, CloseRemoved, CloseRoomMoved}

// PROTOCOL.md documents every code, close code, message and event: the
// document cannot fall behind the code.
func TestProtocolDocIsComplete(t *testing.T) {
	b, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range allCodes {
		if !strings.Contains(doc, "`"+string(c)+"`") {
			t.Errorf("PROTOCOL.md does not document error code %s", c)
		}
	}
	for _, c := range allCloseCodes {
		if !regexp.MustCompile(`\| ` + regexp.QuoteMeta(strings.TrimSpace(itoa(int(c)))) + ` \|`).MatchString(doc) {
			t.Errorf("PROTOCOL.md does not document close code %d", c)
		}
	}
	for _, m := range MsgTypes() {
		if !strings.Contains(doc, `"type":"`+string(m)+`"`) {
			t.Errorf("PROTOCOL.md has no example of %s", m)
		}
	}
	for _, e := range []EventType{EvRoomOpened, EvStudentJoined, EvPresence, EvAnnouncement, EvHand, EvClassEnded} {
		if !strings.Contains(doc, `"event":"`+string(e)+`"`) {
			t.Errorf("PROTOCOL.md has no example of event %s", e)
		}
	}
	// Every JSON example in the document is valid JSON.
	for _, block := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		for _, line := range strings.Split(strings.TrimSpace(block[1]), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "//") {
				continue
			}
			if !json.Valid([]byte(line)) {
				t.Errorf("PROTOCOL.md example is not valid JSON: %s", line)
			}
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
