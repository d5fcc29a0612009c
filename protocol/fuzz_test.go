package protocol

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzDecodeClientFrame: any bytes give a frame or a documented error,
// never a panic; what is accepted is JSON that re-encodes to the same frame.
func FuzzDecodeClientFrame(f *testing.F) {
	for _, c := range frameCases() {
		if len(c.in) <= MaxFrameBytes+1 {
			f.Add([]byte(c.in))
		}
	}
	for _, s := range []string{`{"id":"x"`, "\xff", `{"v":1,"id":"a","type":"ping","data":{"a":[1,{"b":null}],"c":"\u003c\u2028"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeClientFrame(b)
		if len(fr.ID) > MaxRequestID {
			t.Fatalf("id of %d bytes", len(fr.ID))
		}
		if err != nil {
			if _, ok := httpStatus[err.Code]; !ok || err.Message == "" || !utf8.ValidString(err.Message) {
				t.Fatalf("error %+v", err)
			}
			switch {
			case len(b) > MaxFrameBytes && err.Code != CodeFrameTooLarge:
				t.Fatalf("%d bytes: %v", len(b), err)
			case len(b) <= MaxFrameBytes && !utf8.Valid(b) && err.Code != CodeBadFrame:
				t.Fatalf("invalid UTF-8: %v", err)
			case (err.Code == CodeFrameTooLarge || !utf8.Valid(b)) && fr.ID != "":
				t.Fatalf("id %q read from a frame that is not read", fr.ID)
			}
			return
		}
		if len(b) > MaxFrameBytes || !utf8.Valid(b) || !json.Valid(b) {
			t.Fatalf("accepted %q", b)
		}
		if fr.V != Version || fr.ID == "" || !slices.Contains(MsgTypes(), fr.Type) {
			t.Fatalf("accepted %q as %+v", b, fr)
		}
		if fr.Data != nil && !json.Valid(fr.Data) {
			t.Fatalf("data %q", fr.Data)
		}
		// The payload check never panics and speaks the same codes.
		if _, perr := DecodePayload(fr.Type, fr.Data); perr != nil {
			if perr.Code != CodeInvalid || perr.Message == "" {
				t.Fatalf("payload error %+v", perr)
			}
		}

		re := encode(t, fr)
		if len(re) > MaxFrameBytes {
			return // escaping may grow a frame past the limit
		}
		again, err := DecodeClientFrame(re)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", re, err)
		}
		if again.V != fr.V || again.ID != fr.ID || again.Type != fr.Type || !sameJSON(t, again.Data, fr.Data) {
			t.Fatalf("%q re-encoded as %s decodes to %+v, was %+v", b, re, again, fr)
		}
		if re2 := encode(t, again); !bytes.Equal(re, re2) {
			t.Fatalf("encoding is not stable: %s then %s", re, re2)
		}
	})
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encode %+v: %v", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// sameJSON: a and b are the same JSON value (absent and null data alike).
func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// payloadTypes are the types FuzzDecodePayload chooses from: every client
// message type, then some that are not.
func payloadTypes() []MsgType {
	return append(sortedMsgTypes(), "fly", "", CmdJoin, CmdSnapshot)
}

// FuzzDecodePayload: the data of every message type. What is accepted
// holds its promises and survives the trip to the room's owner.
func FuzzDecodePayload(f *testing.F) {
	types := payloadTypes()
	for _, c := range payloadCases() {
		f.Add(uint8(slices.Index(types, c.typ)), []byte(c.data))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := types[int(which)%len(types)]
		v, err := DecodePayload(typ, data)
		if err != nil {
			want := CodeInvalid
			if !slices.Contains(MsgTypes(), typ) {
				want = CodeUnknownType
			}
			if err.Code != want || err.Message == "" || !utf8.ValidString(err.Message) || v != nil {
				t.Fatalf("%s %q: %+v, %v", typ, data, err, v)
			}
			return
		}
		if v == nil || !slices.Contains(MsgTypes(), typ) {
			t.Fatalf("%s %q: accepted as %#v", typ, data, v)
		}
		checkPayload(t, typ, v)
		// The node forwards the re-encoded payload to the room's owner.
		re, merr := json.Marshal(v)
		if merr != nil {
			t.Fatal(merr)
		}
		again, err := DecodePayload(typ, re)
		if err != nil || !sameForOwner(again, v) {
			t.Fatalf("%s: accepted %q, its re-encoding %s gives %#v (%v)", typ, data, re, again, err)
		}
	})
}

// checkPayload: the promises of each accepted payload.
func checkPayload(t *testing.T, typ MsgType, v any) {
	t.Helper()
	okID := func(id string) bool { return id == "" || validUUID(id) }
	switch p := v.(type) {
	case *Hello:
		if typ != MsgHello || p.Token == "" || len(p.Token) > 4096 || !okID(string(p.Room)) ||
			(p.Resume != nil && (p.Resume.Epoch == "" || len(p.Resume.Epoch) > 64)) {
			t.Fatalf("accepted %#v", p)
		}
	case *Ping:
		if typ != MsgPing {
			t.Fatalf("%s gave %T", typ, v)
		}
	case *Announce:
		if typ != MsgAnnounce || !okText(p.Text, 1, MaxTextRunes, true) || !okID(string(p.To)) {
			t.Fatalf("accepted %#v", p)
		}
	case *RaiseHand:
		if typ != MsgRaiseHand || !okText(p.Note, 0, MaxNoteRunes, false) {
			t.Fatalf("accepted %#v", p)
		}
	case *LowerHand:
		if typ != MsgLowerHand || !okID(string(p.Student)) {
			t.Fatalf("accepted %#v", p)
		}
	case *EndClass:
		if typ != MsgEndClass {
			t.Fatalf("%s gave %T", typ, v)
		}
	default:
		if !orchestrationPromises(typ, v, okID) && !learningPromises(typ, v, okID) {
			t.Fatalf("%s: accepted %#v", typ, v)
		}
	}
}

// orchestrationPromises: what an accepted payload of class orchestration
// holds, written out from PROTOCOL.md rather than from the validators.
func orchestrationPromises(typ MsgType, v any, okID func(string) bool) bool {
	isID := func(id string) bool { return id != "" && okID(id) }
	one := func(ids ...string) bool { // at most one set, each a valid ID
		n := 0
		for _, id := range ids {
			if id != "" {
				n++
			}
			if !okID(id) {
				return false
			}
		}
		return n <= 1
	}
	switch p := v.(type) {
	case *PutStation:
		s := p.Station
		return typ == MsgPutStation && okID(string(s.ID)) && okText(s.Name, 1, MaxStationName, false) &&
			slices.Contains([]StationKind{StationTeacherLed, StationOnline, StationCollab, StationIndependent, StationCustom}, s.Kind) &&
			s.Capacity >= 0 && s.Capacity <= 500 && (s.Activity == nil || okActivity(*s.Activity))
	case *RemoveStation:
		return typ == MsgRemoveStation && isID(string(p.Station))
	case *ProposeGroups:
		r := p.GroupingRequest
		if typ != MsgProposeGroups || !slices.Contains([]GroupingMethod{GroupRandom, GroupLevel, GroupMixed, GroupInterest, GroupChoice, GroupJigsaw}, r.Method) {
			return false
		}
		sized := r.Size >= 1 && r.Size <= 100 && r.Count == 0
		counted := r.Count >= 1 && r.Count <= MaxGroups && r.Size == 0
		if !(sized || counted) || r.Min < 0 || r.Max < 0 || (r.Max > 0 && r.Min > r.Max) || len(r.Apart)+len(r.Together) > MaxConstraintSets {
			return false
		}
		for _, set := range append(slices.Clone(r.Apart), r.Together...) {
			if len(set) < 2 || len(set) > 100 {
				return false
			}
			for _, id := range set {
				if !isID(string(id)) {
					return false
				}
			}
		}
		return true
	case *ApplyGroups:
		if typ != MsgApplyGroups || !isID(string(p.Proposal)) || len(p.Groups) > MaxGroups {
			return false
		}
		for _, g := range p.Groups {
			if !okText(g.Name, 1, MaxGroupNameRunes, false) || len(g.Members) > 500 || g.Reason != "" {
				return false
			}
			for _, id := range g.Members {
				if !isID(string(id)) {
					return false
				}
			}
		}
		return true
	case *MoveStudent:
		n := 0
		for _, set := range []bool{p.Group != "", p.Station != "", p.Clear} {
			if set {
				n++
			}
		}
		return typ == MsgMoveStudent && isID(string(p.Student)) && okID(string(p.Group)) && okID(string(p.Station)) && n == 1
	case *AssignCoach:
		return typ == MsgAssignCoach && isID(string(p.Group)) && isID(string(p.Coach))
	case *StartRotation:
		pl := p.Plan
		if typ != MsgStartRotation || len(pl.Stations) < 1 || len(pl.Stations) > MaxStations ||
			len(pl.Legs) < 1 || len(pl.Legs) > MaxStations || len(p.Groups) > MaxGroups {
			return false
		}
		for _, id := range pl.Stations {
			if !isID(string(id)) {
				return false
			}
		}
		for _, id := range p.Groups {
			if !isID(string(id)) {
				return false
			}
		}
		return true
	case *Rotate:
		switch p.Action {
		case RotateExtend:
			if p.Ms < 1000 || p.Ms > 7_200_000 {
				return false
			}
		case RotatePause, RotateResume, RotateAdvance:
			if p.Ms != 0 {
				return false
			}
		case RotateEnd:
			if p.Ms != 0 || p.Group != "" {
				return false
			}
		default:
			return false
		}
		return typ == MsgRotate && okID(string(p.Group))
	case *PauseClass:
		return typ == MsgPauseClass
	case *ResumeClass:
		return typ == MsgResumeClass
	case *PushActivity:
		return typ == MsgPushActivity && okActivity(p.Activity) && one(string(p.To.Student), string(p.To.Group), string(p.To.Station))
	case *SetLevel:
		return typ == MsgSetLevel && isID(string(p.Student)) && p.Level >= 0 && p.Level <= 1
	case *OfferChoices:
		if typ != MsgOfferChoices || !okText(p.Prompt, 0, MaxTextRunes, false) || len(p.Options) > MaxOptions {
			return false
		}
		seen := map[string]bool{}
		for _, o := range p.Options {
			k := strings.ToLower(strings.TrimSpace(o))
			if !okText(o, 1, MaxOptionRunes, false) || seen[k] {
				return false
			}
			seen[k] = true
		}
		return true
	case *Choose:
		return typ == MsgChoose && okText(p.Option, 1, MaxOptionRunes, false)
	case *SetInterest:
		return typ == MsgSetInterest && okText(p.Interest, 0, MaxInterestRunes, false)
	case *EditWorkspace:
		op := p.Op
		assignee := ""
		if op.Assignee != nil {
			assignee = string(*op.Assignee)
		}
		return typ == MsgEditWorkspace && isID(string(p.Group)) &&
			slices.Contains([]WorkspaceOpKind{WsAddTask, WsEditTask, WsRemoveTask, WsSetRole, WsEditNotes, WsComment}, op.Kind) &&
			okID(string(op.Task)) && okID(string(op.Student)) && okID(assignee) && len(op.Edits) <= 50
	case *SetLateRule:
		return typ == MsgSetLateRule && (p.Rule == LateSmallest || p.Rule == LateNone)
	}
	return false
}

// okActivity: a title on one line, instructions, and a web address or none.
func okActivity(a Activity) bool {
	if !okText(a.Title, 1, MaxTitleRunes, false) || !okText(a.Text, 0, MaxActivityText, true) {
		return false
	}
	if a.URL == "" {
		return true
	}
	u, err := url.Parse(a.URL)
	return len(a.URL) <= MaxURLBytes && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// okText is CheckText's contract, written out again independently.
func okText(s string, lo, hi int, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	n, blank := 0, true
	for _, r := range s {
		n++
		if !unicode.IsSpace(r) {
			blank = false
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			if !multiline || (r != '\n' && r != '\t') {
				return false
			}
		}
	}
	return n >= lo && n <= hi && !(lo > 0 && blank)
}

// FuzzCheckText: CheckText accepts exactly what its contract says.
func FuzzCheckText(f *testing.F) {
	for _, c := range textCases() {
		f.Add(c.s, c.min, c.max, c.multiline)
	}
	f.Add("two\nlines", 1, 500, true)
	f.Add("", -1, -1, false)
	f.Add("\u2028\u00a0\ufeff", 1, 3, true)
	f.Fuzz(func(t *testing.T, s string, lo, hi int, multiline bool) {
		err := CheckText("f", s, lo, hi, multiline)
		if want := okText(s, lo, hi, multiline); (err == nil) != want {
			t.Fatalf("CheckText(%q, %d, %d, %v) = %v, want ok %v", s, lo, hi, multiline, err, want)
		}
		if err != nil && (err.Code != CodeInvalid || !strings.HasPrefix(err.Message, "f ") || !utf8.ValidString(err.Message)) {
			t.Fatalf("error %+v", err)
		}
	})
}

// FuzzEvent: events and commands from other nodes decode without panics,
// and Allows keeps the privacy rules whatever the audience holds.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"seq":1,"type":"hand","time":1,"aud":{"kind":"student","student":"s"},"data":{}}`))
	f.Add([]byte(`{"seq":2,"type":"x","time":1,"aud":{"kind":"group","group":"g","members":["s","t",""]}}`))
	f.Add([]byte(`{"seq":3,"type":"x","time":1,"aud":{"kind":"staff","group":"g"}}`))
	f.Add([]byte(`{"seq":4,"type":"x","time":1,"aud":{"kind":"none","student":"s","group":"g"}}`))
	f.Add([]byte(`{"seq":5,"aud":{"kind":"all"}}`))
	f.Add([]byte(`{"aud":{"kind":""}}`))
	f.Add([]byte(`{"aud":null}`))
	f.Add([]byte(`{"room":"r","type":"announce","req":"a1","actor":{"role":"coach","groups":["g"],"student":"s"}}`))
	f.Add([]byte(`{"room":"r","type":"snapshot","actor":{"role":"student","student":"s"},"data":{"x":1}}`))
	f.Add([]byte(`{"seq":6,"type":"activity","time":1,"aud":{"kind":"members","members":["s","t"]},"data":{"activity":{"title":"T"},"to":{"station":"x"}}}`))
	f.Add([]byte(`{"seq":7,"type":"announcement","time":1,"aud":{"kind":"members","group":"g","student":"s"}}`))
	f.Add([]byte(`{"seq":8,"type":"workspace","time":1,"aud":{"kind":"group","group":"g","members":[]}}`))
	f.Add([]byte(`{"room":"r","type":"edit_workspace","actor":{"role":"coach","coach":"c","groups":["g","h"]},"name":"Mr Diaz"}`))
	f.Add([]byte(`{"seq":9,"type":"flag","time":1,"aud":{"kind":"staff","group":"g","student":"s"},"data":{"change":"open","flag":{"student":"s"}}}`))
	f.Add([]byte(`{"seq":13,"type":"flag","time":1,"aud":{"kind":"staff","group":"g","coaches":["c",""]}}`))
	f.Add([]byte(`{"seq":14,"type":"workspace","time":1,"aud":{"kind":"group","group":"g","members":["s"],"coaches":["c"]}}`))
	f.Add([]byte(`{"seq":15,"type":"announcement","time":1,"aud":{"kind":"members","members":["s"],"coaches":["s"]}}`))
	f.Add([]byte(`{"seq":10,"type":"flag","time":1,"aud":{"kind":"teachers","student":"s","members":["s"]}}`))
	f.Add([]byte(`{"seq":11,"type":"item","time":1,"aud":{"kind":"student","student":"s","group":"g"}}`))
	f.Add([]byte(`{"seq":12,"type":"practice","time":1,"aud":{"kind":"group","group":"g","members":["s"]},"data":{"students":["s"]}}`))
	f.Add([]byte(`{"room":"r","type":"flag_action","actor":{"role":"coach","coach":"c","groups":["g"]},"data":{"flag":"f","action":"pull"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if json.Unmarshal(b, &ev) == nil {
			a := ev.Audience
			// Viewers built from the audience itself, to reach every branch.
			vs := []Viewer{
				{Role: RoleTeacher}, {Role: RoleProjector}, {Role: RoleStudent}, {Role: RoleCoach}, {}, {Role: "admin"},
				{Role: RoleStudent, Student: a.Student},
				{Role: RoleCoach, Groups: []GroupID{a.Group}},
				{Role: RoleStudent, Student: a.Student, Groups: []GroupID{a.Group}},
			}
			for _, m := range a.Members {
				vs = append(vs, Viewer{Role: RoleStudent, Student: m}, Viewer{Role: RoleCoach, Student: m})
			}
			for _, c := range a.Coaches {
				vs = append(vs, Viewer{Role: RoleCoach, Coach: c}, Viewer{Role: RoleStudent, Student: a.Student, Coach: c},
					Viewer{Role: RoleProjector, Coach: c})
			}
			for _, v := range vs {
				if got, want := a.Allows(v), allowsContract(a, v); got != want {
					t.Fatalf("audience %+v, viewer %+v: got %v, want %v", a, v, got, want)
				}
			}
		}
		var c Command
		if json.Unmarshal(b, &c) == nil {
			v := c.Actor.Viewer()
			if v.Role != c.Actor.Role || v.Student != c.Actor.Student || v.Coach != c.Actor.Coach || !slices.Equal(v.Groups, c.Actor.Groups) {
				t.Fatalf("actor %+v gave viewer %+v", c.Actor, v)
			}
		}
	})
}

// allowsContract is the privacy rule of PROTOCOL.md, written out again.
func allowsContract(a Audience, v Viewer) bool {
	if a.Kind == AudNone {
		return false
	}
	switch v.Role {
	case RoleTeacher:
		return true
	case RoleProjector:
		return a.Kind == AudAll
	case RoleStudent:
		return a.Kind == AudAll ||
			(v.Student != "" && a.Kind == AudStudent && a.Student == v.Student) ||
			(v.Student != "" && (a.Kind == AudGroup || a.Kind == AudMembers) && slices.Contains(a.Members, v.Student))
	case RoleCoach:
		// Who coached the group when the event happened, never the
		// coach's groups now.
		return a.Kind == AudAll ||
			((a.Kind == AudGroup || a.Kind == AudStaff) && v.Coach != "" && slices.Contains(a.Coaches, v.Coach))
	}
	return false
}
