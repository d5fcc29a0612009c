package hub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// A class from the teacher's console: a student joins, appears online,
// raises a hand, drops briefly without flapping the roster, leaves.
func TestTeacherSeesStudentLive(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Year 5 maths")
	if len(info.Code) != 6 || strings.ContainsAny(info.Code, "01OIL") {
		t.Fatalf("join code %q is not 6 unambiguous characters", info.Code)
	}
	tc, w := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	var tv protocol.TeacherView
	if err := json.Unmarshal(w.Snapshot, &tv); err != nil || tv.Title != "Year 5 maths" || len(tv.Students) != 0 || w.Role != protocol.RoleTeacher {
		t.Fatalf("teacher welcome: %+v view %+v err %v", w, tv, err)
	}

	olivia := e.join(strings.ToLower(info.Code[:3])+"-"+info.Code[3:], "Olivia")
	tc.waitEvent(protocol.EvStudentJoined, about(olivia.Student))

	sc, sw := e.mustConnect("olivia", protocol.Hello{Token: olivia.Token})
	var sv protocol.StudentView
	if err := json.Unmarshal(sw.Snapshot, &sv); err != nil || sv.Me.ID != olivia.Student || sv.Me.Name != "Olivia" || sw.Student != olivia.Student {
		t.Fatalf("student welcome: %+v view %+v err %v", sw, sv, err)
	}
	online := func(want bool) func(json.RawMessage) bool {
		return func(d json.RawMessage) bool {
			var p protocol.Presence
			return json.Unmarshal(d, &p) == nil && p.Student == olivia.Student && p.Online == want
		}
	}
	tc.waitEvent(protocol.EvPresence, online(true))

	sc.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "stuck on 3b"})
	hand := tc.waitEvent(protocol.EvHand, about(olivia.Student))
	var h protocol.Hand
	_ = json.Unmarshal(hand.Data, &h)
	if !h.Raised || h.Note != "stuck on 3b" {
		t.Fatalf("hand event: %+v", h)
	}

	// A blip: the device drops and is back within the grace period, with
	// its token, as the same student.
	_ = sc.ws.CloseNow()
	sc2, sw2 := e.mustConnect("olivia again", protocol.Hello{Token: olivia.Token, Resume: sc.resumeFrom()})
	if sw2.Student != olivia.Student || !sw2.Resumed {
		t.Fatalf("reconnect: %+v", sw2)
	}
	// Then she really leaves: the teacher sees exactly one offline, after
	// the one online — the blip never reached the roster.
	_ = sc2.ws.CloseNow()
	tc.waitEvent(protocol.EvPresence, online(false))
	var got []bool
	for _, f := range tc.events(protocol.EvPresence) {
		var p protocol.Presence
		_ = json.Unmarshal(f.Data, &p)
		got = append(got, p.Online)
	}
	if fmt.Sprint(got) != "[true false]" {
		t.Fatalf("presence seen by the teacher: %v, want [true false]", got)
	}

	// Teacher lowers the hand; the roster says so.
	tc.must(protocol.MsgLowerHand, protocol.LowerHand{Student: olivia.Student})
	tc2, w2 := e.mustConnect("teacher again", protocol.Hello{Token: tl.Token, Room: info.ID})
	_ = json.Unmarshal(w2.Snapshot, &tv)
	if len(tv.Students) != 1 || tv.Students[0].Hand || tv.Students[0].Online || tv.Students[0].Name != "Olivia" {
		t.Fatalf("roster: %+v", tv.Students)
	}
	_ = tc2
}

// Ending a class closes every device with 4003 after the last event and
// voids the join code.
func TestEndClass(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Art")
	st := e.join(info.Code, "Sam")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	sc, _ := e.mustConnect("sam", protocol.Hello{Token: st.Token})

	tc.must(protocol.MsgEndClass, protocol.EndClass{})
	for _, c := range []*client{tc, sc} {
		c.waitEvent(protocol.EvClassEnded, nil)
		if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseRoomEnded) {
			t.Errorf("%s closed with %d, want %d", c.name, code, protocol.CloseRoomEnded)
		}
	}
	if status, perr := e.call("POST", "/api/v1/join", "", map[string]string{"code": info.Code, "name": "Late"}, nil); status != 404 || perr.Code != protocol.CodeNotFound {
		t.Fatalf("join after end: %d %v", status, perr)
	}
	// A device of the ended class is welcomed with the final state and
	// told the class is over.
	again, f := e.connect("sam later", protocol.Hello{Token: st.Token})
	if f.Type != protocol.FrameWelcome {
		t.Fatalf("hello to an ended class: %s %v", f.Type, f.Error)
	}
	if code := again.waitClosed(); code != websocket.StatusCode(protocol.CloseRoomEnded) {
		t.Fatalf("closed with %d", code)
	}
	var room struct {
		Status protocol.RoomStatus `json:"status"`
	}
	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/end", tl.Token, nil, &room); perr != nil || room.Status != protocol.StatusEnded {
		t.Fatalf("ending twice: %v %v", perr, room)
	}
}

// The privacy matrix: what each role receives of each kind of event, and
// which actions each role may take.
func TestPrivacyByAudience(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	other := e.teacher()
	info := e.room(tl.Token, "Science")
	a := e.join(info.Code, "Ana")
	b := e.join(info.Code, "Ben")

	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	ac, _ := e.mustConnect("ana", protocol.Hello{Token: a.Token})
	bc, _ := e.mustConnect("ben", protocol.Hello{Token: b.Token})

	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "to all"})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "to ana", To: a.Student})
	ac.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "ana needs help"})
	bc.must(protocol.MsgRaiseHand, protocol.RaiseHand{})
	bc.must(protocol.MsgLowerHand, protocol.LowerHand{})
	c := e.join(info.Code, "Cy") // student_joined of Cy: teacher only (and Cy)

	// Forbidden actions change nothing and say why.
	for _, tc2 := range []struct {
		who  *client
		typ  protocol.MsgType
		data any
		want protocol.Code
	}{
		{ac, protocol.MsgAnnounce, protocol.Announce{Text: "I am the teacher now"}, protocol.CodeForbidden},
		{ac, protocol.MsgEndClass, protocol.EndClass{}, protocol.CodeForbidden},
		{ac, protocol.MsgLowerHand, protocol.LowerHand{Student: b.Student}, protocol.CodeForbidden},
		{tc, protocol.MsgRaiseHand, protocol.RaiseHand{}, protocol.CodeForbidden},
		{tc, protocol.MsgLowerHand, protocol.LowerHand{}, protocol.CodeInvalid},
		{tc, protocol.MsgAnnounce, protocol.Announce{Text: "x", To: protocol.NewStudentID()}, protocol.CodeNotFound},
	} {
		f := tc2.who.request(tc2.typ, tc2.data)
		if f.Type != protocol.FrameError || f.Error.Code != tc2.want {
			t.Errorf("%s %s: got %s %v, want error %s", tc2.who.name, tc2.typ, f.Type, f.Error, tc2.want)
		}
	}
	// Another teacher cannot watch this class, nor a student's token open
	// another class.
	if oc, f := e.connect("other teacher", protocol.Hello{Token: other.Token, Room: info.ID}); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized {
		t.Errorf("other teacher: %s %v", f.Type, f.Error)
	} else if code := oc.waitClosed(); code != websocket.StatusCode(protocol.CloseUnauthorized) {
		t.Errorf("other teacher closed with %d", code)
	}
	otherRoom := e.room(other.Token, "Other class")
	if _, f := e.connect("ana elsewhere", protocol.Hello{Token: a.Token, Room: otherRoom.ID}); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized {
		t.Errorf("student in another room: %s %v", f.Type, f.Error)
	}
	// REST: a student's token is not a teacher's; another teacher's rooms
	// are not found.
	if st, perr := e.call("GET", "/api/v1/rooms", a.Token, nil, nil); st != http.StatusForbidden || perr.Code != protocol.CodeForbidden {
		t.Errorf("student token on teacher REST: %d %v", st, perr)
	}
	if st, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/end", other.Token, nil, nil); st != http.StatusNotFound || perr.Code != protocol.CodeNotFound {
		t.Errorf("other teacher ends the class: %d %v", st, perr)
	}

	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "marker"})
	for _, cl := range []*client{tc, ac, bc} {
		cl.waitEvent(protocol.EvAnnouncement, hasText("marker"))
	}

	describe := func(cl *client) []string {
		var out []string
		for _, f := range cl.events() {
			var d map[string]any
			_ = json.Unmarshal(f.Data, &d)
			subject := d["student"]
			if fl, ok := d["flag"].(map[string]any); ok {
				subject = fl["student"]
			}
			who := ""
			switch subject {
			case string(a.Student):
				who = "ana"
			case string(b.Student):
				who = "ben"
			case string(c.Student):
				who = "cy"
			}
			s := string(f.Event) + ":" + who
			if txt, ok := d["text"].(string); ok {
				s += txt
			}
			if f.Event == protocol.EvHand {
				s += fmt.Sprint(d["raised"])
			}
			if f.Event == protocol.EvPresence {
				s += fmt.Sprint(d["online"])
			}
			if f.Event == protocol.EvFlag {
				s += " " + fmt.Sprint(d["change"])
			}
			out = append(out, s)
		}
		return out
	}
	want := map[string][]string{
		// A raised hand is a help flag for the teachers, cleared when it
		// goes down; never seen by a student.
		"teacher": {"presence:anatrue", "presence:bentrue", "announcement:to all", "announcement:to ana", "hand:anatrue", "flag:ana open", "hand:bentrue", "flag:ben open", "hand:benfalse", "flag:ben clear", "student_joined:cy", "announcement:marker"},
		"ana":     {"announcement:to all", "announcement:to ana", "hand:anatrue", "announcement:marker"},
		"ben":     {"announcement:to all", "hand:bentrue", "hand:benfalse", "announcement:marker"},
	}
	for _, cl := range []*client{tc, ac, bc} {
		got := describe(cl)
		if cl == tc {
			// Ben's presence may come before or after Ana's connect
			// finished; the rest is in order.
			got = normalizePresence(got)
		}
		if fmt.Sprint(got) != fmt.Sprint(want[cl.name]) {
			t.Errorf("%s received\n  %v\nwant\n  %v", cl.name, got, want[cl.name])
		}
		// Seqs strictly increase: no duplicates, in order.
		var last uint64
		for _, f := range cl.events() {
			if f.Seq <= last {
				t.Errorf("%s: seq %d after %d", cl.name, f.Seq, last)
			}
			last = f.Seq
		}
	}
	// Snapshots follow the same rule: a student's welcome holds only their
	// own state and the class-wide state.
	_, w := e.mustConnect("ben again", protocol.Hello{Token: b.Token})
	if strings.Contains(string(w.Snapshot), "ana needs help") || strings.Contains(string(w.Snapshot), "to ana") || strings.Contains(string(w.Snapshot), string(a.Student)) {
		t.Errorf("ben's snapshot shows Ana's private state: %s", w.Snapshot)
	}
}

func normalizePresence(s []string) []string {
	var pres, rest []string
	for _, x := range s {
		if strings.HasPrefix(x, "presence:") {
			pres = append(pres, x)
		} else {
			rest = append(rest, x)
		}
	}
	if len(pres) == 2 && pres[0] > pres[1] {
		pres[0], pres[1] = pres[1], pres[0]
	}
	return append(pres, rest...)
}

// Bad input of every kind gets a clear error frame with the request ID
// when one could be read, and disturbs nobody.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Robust")
	st := e.join(info.Code, "Mo")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	sc, _ := e.mustConnect("mo", protocol.Hello{Token: st.Token})

	cases := []struct {
		frame string
		id    string
		code  protocol.Code
	}{
		{`not json`, "", protocol.CodeBadFrame},
		{`[1,2,3]`, "", protocol.CodeBadFrame},
		{`{"v":1,"id":"a1","type":"raise_hand","data":{}} trailing`, "", protocol.CodeBadFrame},
		{`{"v":2,"id":"a2","type":"raise_hand"}`, "a2", protocol.CodeBadVersion},
		{`{"v":1,"id":"a3","type":"dance"}`, "a3", protocol.CodeUnknownType},
		{`{"v":1,"type":"raise_hand"}`, "", protocol.CodeInvalid},
		{`{"v":1,"id":"a5","type":"raise_hand","data":{"note":7}}`, "a5", protocol.CodeInvalid},
		{`{"v":1,"id":"a6","type":"raise_hand","data":{"note":"x","extra":1}}`, "a6", protocol.CodeInvalid},
		{`{"v":1,"id":"a7","type":"raise_hand","data":{"note":"` + strings.Repeat("n", 201) + `"}}`, "a7", protocol.CodeInvalid},
		{`{"v":1,"id":"a8","type":"announce","data":{"text":"hi"}}`, "a8", protocol.CodeForbidden},
		{`{"v":1,"id":"a9","type":"hello","data":{"token":"x"}}`, "a9", protocol.CodeInvalid},
		{`{"v":1,"id":"a10","type":"raise_hand","data":{"note":"` + strings.Repeat("é", 9000) + `"}}`, "", protocol.CodeFrameTooLarge},
		{`{"v":1,"id":"a11","type":"raise_hand","bogus":true}`, "a11", protocol.CodeBadFrame},
	}
	for _, c := range cases {
		sc.sendRaw([]byte(c.frame))
		var got protocol.ServerFrame
		sc.waitFor("an error for "+c.frame[:min(len(c.frame), 40)], func(frames []protocol.ServerFrame, _ error) bool {
			for i := len(frames) - 1; i >= 0; i-- {
				if frames[i].Type == protocol.FrameError && frames[i].Error.Code == c.code && frames[i].ID == c.id {
					got = frames[i]
					return true
				}
			}
			return false
		})
		if got.Error.Message == "" {
			t.Errorf("%s: error without a message", c.frame)
		}
	}
	ctx := t.Context()
	if err := sc.ws.Write(ctx, websocket.MessageBinary, []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	sc.waitFor("binary refused", func(frames []protocol.ServerFrame, _ error) bool {
		f := frames[len(frames)-1]
		return f.Type == protocol.FrameError && f.Error.Code == protocol.CodeBadFrame && strings.Contains(f.Error.Message, "binary")
	})
	// The connection and the room still work, for both.
	sc.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "still here"})
	tc.waitEvent(protocol.EvHand, about(st.Student))

	// A frame over the hard limit closes only that connection, with 1009.
	big := `{"v":1,"id":"big","type":"ping","data":{"x":"` + strings.Repeat("x", protocol.HardFrameBytes) + `"}}`
	_ = sc.ws.Write(ctx, websocket.MessageText, []byte(big))
	if code := sc.waitClosed(); code != websocket.StatusMessageTooBig {
		t.Errorf("over the hard limit: closed with %d, want 1009", code)
	}
	tc.must(protocol.MsgPing, protocol.Ping{})

	// Commands before hello, a bad token, and no hello at all.
	raw := &client{t: t, ws: e.dialRaw(nil), name: "no hello", changed: make(chan struct{}, 1)}
	go raw.read()
	if f := raw.request(protocol.MsgPing, protocol.Ping{}); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeNotReady {
		t.Errorf("ping before hello: %s %v", f.Type, f.Error)
	}
	if code := raw.waitClosed(); code != websocket.StatusCode(protocol.CloseHelloTimeout) {
		t.Errorf("no hello: closed with %d, want %d", code, protocol.CloseHelloTimeout)
	}
	bad, f := e.connect("bad token", protocol.Hello{Token: tl.Token[:len(tl.Token)-3] + "abc", Room: info.ID})
	if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized {
		t.Errorf("bad token: %s %v", f.Type, f.Error)
	}
	if code := bad.waitClosed(); code != websocket.StatusCode(protocol.CloseUnauthorized) {
		t.Errorf("bad token: closed with %d", code)
	}
	if _, f := e.connect("teacher without room", protocol.Hello{Token: tl.Token}); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeInvalid {
		t.Errorf("teacher hello without a room: %s %v", f.Type, f.Error)
	}
}

// REST errors are JSON with a code; the join code is rate-limited per
// client address.
func TestRESTErrors(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.JoinBurst = 6; c.JoinRate = 0.001 })
	tl := e.teacher() // one attempt from this address
	for _, c := range []struct {
		method, path, token string
		body                any
		status              int
		code                protocol.Code
	}{
		{"POST", "/api/v1/login", "", map[string]string{"email": "nobody@school.example", "password": "whatever123"}, 401, protocol.CodeUnauthorized},
		{"POST", "/api/v1/login", "", `{"email":`, 400, protocol.CodeInvalid},
		{"GET", "/api/v1/rooms", "", nil, 401, protocol.CodeUnauthorized},
		{"GET", "/api/v1/rooms", "garbage", nil, 401, protocol.CodeUnauthorized},
		{"POST", "/api/v1/rooms", tl.Token, map[string]string{"title": ""}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rooms", tl.Token, map[string]any{"title": "x", "extra": 1}, 400, protocol.CodeInvalid},
		{"GET", "/api/v1/rooms/not-a-uuid", tl.Token, nil, 400, protocol.CodeInvalid},
		{"GET", "/api/v1/rooms/" + string(protocol.NewRoomID()), tl.Token, nil, 404, protocol.CodeNotFound},
		{"GET", "/api/v1/nothing", "", nil, 404, protocol.CodeNotFound},
		{"POST", "/api/v1/join", "", map[string]string{"code": "ABCDEF", "name": ""}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/join", "", map[string]string{"code": "0OIL1", "name": "Zed"}, 404, protocol.CodeNotFound},
		{"POST", "/api/v1/join", "", map[string]string{"code": "ZZZZZZ", "name": "Zed"}, 404, protocol.CodeNotFound},
		{"POST", "/api/v1/join", "", map[string]string{"code": "ZZZZZY", "name": "Zed"}, 429, protocol.CodeRateLimited},
	} {
		st, perr := e.call(c.method, c.path, c.token, c.body, nil)
		if st != c.status || perr == nil || perr.Code != c.code {
			t.Errorf("%s %s %v: got %d %v, want %d %s", c.method, c.path, c.body, st, perr, c.status, c.code)
		}
	}
	var list struct {
		Rooms []json.RawMessage `json:"rooms"`
	}
	if _, perr := e.call("GET", "/api/v1/rooms", tl.Token, nil, &list); perr != nil || list.Rooms == nil {
		t.Fatalf("list rooms: %v %v", perr, list)
	}
}

// A class behind one address looks its code up and joins within the join
// limit: the look-up of a code that exists has a bucket of its own. A
// code that does not exist costs a join attempt as well, and nothing is
// looked up while the address has no join attempt left, so codes are
// guessed no faster than by joining.
func TestJoinCodeLookupsDoNotSpendJoins(t *testing.T) {
	const burst = 6
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.JoinBurst = burst; c.JoinRate = 0.001 })
	tl := e.teacher() // one join attempt from this address
	var room struct{ Code string }
	if _, perr := e.call("POST", "/api/v1/rooms", tl.Token, map[string]string{"title": "Year 5 maths"}, &room); perr != nil {
		t.Fatal(perr)
	}
	// Four students look the code up and join: eight requests, four of
	// them joins, within a burst of six with the sign-in.
	for i := range 4 {
		if st, perr := e.call("GET", "/api/v1/join/"+room.Code, "", nil, nil); perr != nil {
			t.Fatalf("look-up %d: %d %v", i+1, st, perr)
		}
		if st, perr := e.call("POST", "/api/v1/join", "", map[string]string{"code": room.Code, "name": fmt.Sprintf("Student %d", i+1)}, nil); perr != nil {
			t.Fatalf("join %d: %d %v", i+1, st, perr)
		}
	}
	// One join attempt left: a code that does not exist spends it.
	if st, perr := e.call("GET", "/api/v1/join/ZZZZZZ", "", nil, nil); st != http.StatusNotFound || perr.Code != protocol.CodeNotFound {
		t.Fatalf("a code that does not exist: %d %v, want 404", st, perr)
	}
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/join/ZZZZZY"}, {"GET", "/api/v1/join/" + room.Code}, {"POST", "/api/v1/join"}} {
		var body any
		if c.method == "POST" {
			body = map[string]string{"code": room.Code, "name": "Zed"}
		}
		if st, perr := e.call(c.method, c.path, "", body, nil); st != http.StatusTooManyRequests || perr.Code != protocol.CodeRateLimited {
			t.Errorf("%s %s with no join attempt left: %d %v, want 429 rate_limited", c.method, c.path, st, perr)
		}
	}
}
