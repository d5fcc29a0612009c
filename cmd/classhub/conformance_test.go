package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The conformance suite: the real classhub binary on embedded NATS,
// driven by the client of conformance_client_test.go, which knows only
// what protocol/PROTOCOL.md says. Each subtest names the section of the
// document it holds the server to.

func TestConformance(t *testing.T) {
	s := cStart(t)
	// "The first frame on a new connection must be hello, sent within 10
	// seconds of opening it; otherwise the server closes the connection
	// with 4001." Opened now, checked at the end, so that the ten seconds
	// pass while the rest runs.
	silent := s.dial("silent")

	teacher := s.login()
	// "A student who disconnects is shown offline (presence with
	// online:false) only after a grace period (5 to 7.5 seconds by
	// default)": the test's servers run with --grace 300ms. A student
	// leaves now, and the teacher's console is read at the end.
	away := s.newRoom(teacher, "Presence")
	leaver := s.join(away.code, "Leo")
	watcher, _ := s.enter("teacher, watching", teacher, away.id, nil)
	ld, _ := s.enter("Leo", leaver.token, "", nil)
	watcher.wait("Leo online", func(f frame) bool { return f.event() == "presence" && f.data()["online"] == true })
	_ = ld.ws.CloseNow()
	ld.closed()
	left := time.Now()

	parts := []struct {
		name string
		run  func(*cServer, string)
	}{
		{"REST", cRest}, {"Hello", cHello}, {"Frames", cFrames}, {"Versions", cVersions},
		{"Commands", cCommands}, {"Privacy", cPrivacy}, {"Moves", cMoves}, {"NoOps", cNoOps},
		{"Resume", cResume}, {"Connections", cConnections}, {"Roles", cRoles}, {"Limits", cLimits},
		{"Erase", cErase}, {"Share", cShare}, {"CoTeachers", cCoTeachers}, {"Kept", cKept},
		{"Codes", cCodes}, {"Ended", cEnded},
		// Last: it spends this address's allowance of joins and sign-ins.
		{"JoinLimit", cJoinLimit},
	}
	ran := 0
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) { ran++; s.t = t; p.run(s, teacher) })
	}
	s.t = t

	// With every part run and passed, every error code a client can
	// provoke was met.
	if ran == len(parts) && !t.Failed() {
		cAllCodes(t)
	}
	s.t = t
	off := watcher.wait("Leo offline", func(f frame) bool {
		return f.event() == "presence" && str(f.data(), "student") == leaver.id && f.data()["online"] == false
	})
	at, _ := num(off.m, "time")
	t.Logf("a student who left was shown offline %v later, by the server's clock", time.UnixMilli(int64(at)).Sub(left).Round(100*time.Millisecond))
	if code := silent.closed(); code != 4001 {
		t.Errorf("a connection without a hello was closed with %d, want 4001", code)
	}
	if fs := silent.all(); len(fs) != 0 {
		t.Errorf("a connection without a hello received %v", fs)
	}
}

// cRest holds the REST section to the server: the error body, the status
// of each code, routes and methods, bodies.
func cRest(s *cServer, teacher string) {
	t := s.t
	codes := cErrorCodes(t)
	isErr := func(what string, r cResp, code string) {
		t.Helper()
		if r.status != codes[code] || r.errCode() != code || str(sub(r.body, "error"), "message") == "" {
			t.Errorf("%s: %d %s, want %d {\"error\":{\"code\":%q,\"message\":...}}", what, r.status, r.raw, codes[code], code)
		}
	}

	// Sign-in: a wrong password is unauthorized.
	isErr("a wrong password", s.json("POST", "/api/v1/login", "", obj{"email": cTeacherEmail, "password": "wrong"}), "unauthorized")

	room := s.newRoom(teacher, "Year 5 conformance")
	got := s.ok(200, "GET", "/api/v1/rooms/"+room.id, teacher, nil)
	if str(got, "id") != room.id || str(got, "code") != room.code || str(got, "status") != "open" {
		t.Errorf("GET the room: %v", got)
	}
	list := s.ok(200, "GET", "/api/v1/rooms", teacher, nil)
	rooms, _ := list["rooms"].([]any)
	found := false
	for _, r := range rooms {
		if m, _ := r.(obj); str(m, "id") == room.id {
			found = str(m, "role") == "owner"
		}
	}
	if !found {
		t.Errorf("the class is not in the teacher's list as owner: %v", list)
	}

	// The list a page at a time: limit, and next as the following
	// page's before.
	for i := range 3 {
		s.newRoom(teacher, fmt.Sprintf("Page %d", i+1))
	}
	var seen []string
	for page, before := 0, ""; ; page++ {
		path := "/api/v1/rooms?limit=2"
		if before != "" {
			path += "&before=" + url.QueryEscape(before)
		}
		b := s.ok(200, "GET", path, teacher, nil)
		rs, _ := b["rooms"].([]any)
		if len(rs) > 2 || page > 10 {
			t.Fatalf("a page of limit 2: %v", b)
		}
		for _, r := range rs {
			seen = append(seen, str(r.(obj), "id"))
		}
		next, more := b["next"]
		if !more {
			break
		}
		before = fmt.Sprint(next)
	}
	if all, _ := s.ok(200, "GET", "/api/v1/rooms?limit=500", teacher, nil)["rooms"].([]any); len(all) != len(seen) {
		t.Errorf("the pages held %d classes, one page of 500 %d", len(seen), len(all))
	}
	sorted := slices.Sorted(slices.Values(seen))
	if len(slices.Compact(sorted)) != len(seen) || len(seen) < 4 {
		t.Errorf("the pages hold a class twice, or too few: %v", seen)
	}
	for _, bad := range []string{"0", "501", "x"} {
		isErr("a limit of "+bad, s.json("GET", "/api/v1/rooms?limit="+bad, teacher, nil), "invalid")
	}

	// "When a student types one, case, spaces and dashes are ignored."
	typed := strings.ToLower(room.code[:3]) + "-" + strings.ToLower(room.code[3:])
	j := s.ok(200, "POST", "/api/v1/join", "", obj{"code": " " + typed + " ", "name": "  Olivia "})
	if str(j, "name") != "Olivia" || str(sub(j, "room"), "id") != room.id || !cUUID.MatchString(str(j, "student")) {
		t.Errorf("a join with the code typed %q: %v", typed, j)
	}
	if _, ok := num(j, "expires"); !ok {
		t.Errorf("a join without expires: %v", j)
	}
	look := s.ok(200, "GET", "/api/v1/join/"+room.code, "", nil)
	if str(sub(look, "room"), "id") != room.id || look["rostered"] != false {
		t.Errorf("the class of a join code: %v", look)
	}
	isErr("a join code that does not exist", s.json("POST", "/api/v1/join", "", obj{"code": "ZZZZZZ", "name": "Noah"}), "not_found")

	// Health, readiness, and metrics on the admin address only.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404} {
		if r := s.do("GET", path, "", nil); r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
	}
	if s.p.admin == "" {
		t.Errorf("the server did not say its admin address")
	} else if res, err := http.Get(s.p.admin + "/metrics"); err != nil || res.StatusCode != 200 {
		t.Errorf("GET /metrics on the admin address: %v %v", res, err)
	} else {
		_ = res.Body.Close()
	}

	// Routes and methods.
	isErr("a path that is no route", s.json("GET", "/api/v1/room", "", nil), "not_found")
	r := s.json("DELETE", "/api/v1/rooms", teacher, nil)
	isErr("a method the route does not take", r, "invalid")
	allow := r.header.Get("Allow")
	for _, m := range []string{"GET", "POST"} {
		if !strings.Contains(allow, m) {
			t.Errorf("DELETE /api/v1/rooms: Allow %q lacks %s", allow, m)
		}
	}
	o := s.json("OPTIONS", "/api/v1/rooms", teacher, nil)
	if o.status != 204 || o.header.Get("Allow") != allow {
		t.Errorf("OPTIONS /api/v1/rooms: %d, Allow %q; want 204 and %q", o.status, o.header.Get("Allow"), allow)
	}

	// Tokens and roles.
	isErr("the rooms without a token", s.json("GET", "/api/v1/rooms", "", nil), "unauthorized")
	isErr("the rooms with a bad token", s.json("GET", "/api/v1/rooms", "not-a-token", nil), "unauthorized")
	isErr("the rooms with a student's token", s.json("GET", "/api/v1/rooms", str(j, "token"), nil), "forbidden")
	proj := s.projector(teacher, room.id)
	isErr("a REST route with a projector's token", s.json("GET", "/api/v1/rooms", proj, nil), "forbidden")
	isErr("a class that does not exist", s.json("GET", "/api/v1/rooms/4b955ea0-e456-4b43-a44e-e3de91013e9e", teacher, nil), "not_found")
	renew := s.ok(200, "POST", "/api/v1/token/renew", str(j, "token"), nil)
	if str(renew, "role") != "student" || str(renew, "token") == "" {
		t.Errorf("a student's token renewed: %v", renew)
	}

	// Bodies: not UTF-8, too large, not the expected object, unknown
	// fields, a title out of range.
	isErr("a body that is not UTF-8", s.do("POST", "/api/v1/join", "", []byte("{\"code\":\""+room.code+"\",\"name\":\"Ol\xffvia\"}")), "bad_frame")
	big := []byte(`{"title":"` + strings.Repeat("a", cFrameLimit) + `"}`)
	isErr("a body over 16 KiB", s.do("POST", "/api/v1/rooms", teacher, big), "frame_too_large")
	isErr("a body that is not an object", s.do("POST", "/api/v1/rooms", teacher, []byte(`["Science"]`)), "invalid")
	isErr("a body with an unknown field", s.json("POST", "/api/v1/rooms", teacher, obj{"title": "Science", "colour": "red"}), "invalid")
	isErr("a title of 121 characters", s.json("POST", "/api/v1/rooms", teacher, obj{"title": strings.Repeat("é", 121)}), "invalid")
	if b := s.ok(201, "POST", "/api/v1/rooms", teacher, obj{"title": strings.Repeat("é", 120)}); str(b, "title") != strings.Repeat("é", 120) {
		t.Errorf("a title of 120 characters (240 bytes): %v", b)
	}
	isErr("a name on two lines", s.json("POST", "/api/v1/join", "", obj{"code": room.code, "name": "Ol\nivia"}), "invalid")

	// Ending a class over REST voids its code.
	ended := s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/end", teacher, nil)
	if str(ended, "status") != "ended" {
		t.Errorf("POST end: %v", ended)
	}
	isErr("the join code of an ended class", s.json("POST", "/api/v1/join", "", obj{"code": room.code, "name": "Noah"}), "not_found")
	isErr("a projector for an ended class", s.json("POST", "/api/v1/rooms/"+room.id+"/projector", teacher, nil), "room_ended")
	isErr("a student's token of an ended class renewed", s.json("POST", "/api/v1/token/renew", str(j, "token"), nil), "room_ended")
}

// cHello: the hello, the three kinds of welcome, and the refusals.
func cHello(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Hello")
	other := s.newRoom(teacher, "Another class")
	olivia := s.join(room.code, "Olivia")

	// A teacher's welcome: the teacher view.
	td, tw := s.enter("teacher", teacher, room.id, nil)
	if str(tw, "role") != "teacher" || str(tw, "room") != room.id || tw["resumed"] != false {
		t.Errorf("the teacher's welcome: %v", tw)
	}
	snap := sub(tw, "snapshot")
	for _, k := range []string{"room", "title", "status", "opened", "students", "announcements", "stations", "groups", "paused", "placements", "activities", "workspaces", "late_rule", "flags", "learning", "teachers", "you"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("the teacher view has no %q: %v", k, snap)
		}
	}
	if str(snap, "you") != "owner" || str(snap, "status") != "open" || str(snap, "title") != "Hello" {
		t.Errorf("the teacher view: %v", snap)
	}

	// A student's: who they are, and the student view.
	sd, sw := s.enter("Olivia", olivia.token, "", nil)
	if str(sw, "role") != "student" || str(sw, "student") != olivia.id || str(sw, "name") != "Olivia" || str(sw, "room") != room.id {
		t.Errorf("the student's welcome: %v", sw)
	}
	ss := sub(sw, "snapshot")
	if me := sub(ss, "me"); str(me, "id") != olivia.id || str(me, "name") != "Olivia" {
		t.Errorf("the student view's me: %v", ss)
	}
	for _, k := range []string{"students", "flags", "learning", "teachers", "late_rule", "placements"} {
		if _, ok := ss[k]; ok {
			t.Errorf("the student view has %q, which is not for students: %v", k, ss)
		}
	}
	// The teacher sees her come online.
	td.wait("Olivia's presence", func(f frame) bool {
		return f.event() == "presence" && str(f.data(), "student") == olivia.id && f.data()["online"] == true
	})

	// A projector's: no one named, a count of who is online.
	pd, pw := s.enter("projector", s.projector(teacher, room.id), "", nil)
	if str(pw, "role") != "projector" || str(pw, "room") != room.id {
		t.Errorf("the projector's welcome: %v", pw)
	}
	if _, ok := pw["student"]; ok {
		t.Errorf("the projector's welcome names a student: %v", pw)
	}
	if _, ok := pw["name"]; ok {
		t.Errorf("the projector's welcome names someone: %v", pw)
	}
	ps := sub(pw, "snapshot")
	if n, ok := num(ps, "online"); !ok || n != 1 {
		t.Errorf("the projector view's online: %v", ps)
	}
	if bytes.Contains(cJSON(t, pw), []byte("Olivia")) {
		t.Errorf("the projector's welcome names Olivia: %v", pw)
	}
	// A projector may ping; anything else is forbidden.
	pd.isOpen()
	pd.refused("forbidden", "announce", obj{"text": "hi"})
	pd.refused("forbidden", "raise_hand", obj{})

	// A renewed token says the same; the old one stays valid.
	renewed := s.ok(200, "POST", "/api/v1/token/renew", olivia.token, nil)
	for _, tok := range []string{str(renewed, "token"), olivia.token} {
		_, w := s.enter("Olivia, renewed", tok, "", nil)
		if str(w, "student") != olivia.id || str(w, "name") != "Olivia" {
			t.Errorf("a hello with a renewed token: %v", w)
		}
	}
	if r := s.ok(200, "POST", "/api/v1/token/renew", teacher, nil); str(r, "role") != "teacher" {
		t.Errorf("a teacher's token renewed: %v", r)
	} else if _, w := s.enter("teacher, renewed", str(r, "token"), room.id, nil); str(w, "role") != "teacher" {
		t.Errorf("a hello with a teacher's renewed token: %v", w)
	}

	// A second hello on a welcomed connection is invalid.
	sd.refused("invalid", "hello", obj{"token": olivia.token})
	sd.isOpen()

	// A page of another origin may not open a WebSocket; the server's
	// own may, and a program that sends no Origin is not checked.
	for origin, want := range map[string]int{"https://elsewhere.example": 403, s.p.url: 101} {
		ctx, cancel := context.WithTimeout(context.Background(), cWait)
		ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.p.url, "http")+"/ws", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		cancel()
		if err == nil {
			_ = ws.CloseNow()
		}
		if res == nil || res.StatusCode != want {
			t.Errorf("a WebSocket from a page of %s: %v %v, want HTTP %d", origin, res, err, want)
		}
	}

	// Before the welcome: any other frame is not_ready.
	d := s.dial("early")
	d.refused("not_ready", "ping", obj{})
	// A malformed hello is invalid and leaves the connection open for a
	// corrected one: a teacher must name the room.
	d.refused("invalid", "hello", obj{"token": teacher})
	d.refused("invalid", "hello", obj{"token": teacher, "room": room.id, "resume": obj{"offset": 3}})
	d.refused("invalid", "hello", obj{"token": teacher, "room": strings.ToUpper(room.id)})
	d.refused("invalid", "hello", obj{"token": teacher, "room": room.id, "colour": "red"})
	if f := d.hello(teacher, room.id, nil); f.typ() != "welcome" {
		t.Errorf("a corrected hello after an invalid one: %s", f)
	}

	// Commands pipelined after the hello are the welcomed connection's;
	// after a malformed hello they are not_ready.
	piped := s.dial("pipelined")
	piped.send("ph", "hello", obj{"token": olivia.token})
	piped.send("pp", "ping", obj{})
	if w, p := piped.answer("ph"), piped.answer("pp"); w.typ() != "welcome" || p.typ() != "result" {
		t.Errorf("a ping pipelined after a hello: %s, then %s", w, p)
	}
	badPipe := s.dial("pipelined, malformed")
	badPipe.send("ph", "hello", obj{"token": olivia.token, "room": "not a room"})
	badPipe.send("pp", "ping", obj{})
	badPipe.isError(badPipe.answer("ph"), "invalid", true)
	badPipe.isError(badPipe.answer("pp"), "not_ready", true)

	// Refusals that close with 4002.
	for _, c := range []struct {
		what, token, room string
	}{
		{"a token that is not one", "not-a-token", room.id},
		{"a student's token with another room", olivia.token, other.id},
		{"a teacher's token for a class that does not exist", teacher, "4b955ea0-e456-4b43-a44e-e3de91013e9e"},
		{"a projector's token for another class", s.projector(teacher, other.id), room.id},
	} {
		d := s.dial("refused")
		d.isError(d.hello(c.token, c.room, nil), "unauthorized", true)
		if code := d.closed(); code != 4002 {
			t.Errorf("%s: closed with %d, want 4002", c.what, code)
		}
	}
	_ = td
}

func cJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cFrames: the Transport and envelope rules, each error with its
// documented shape, and the connection open after each but the last.
func cFrames(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Frames")
	d, _ := s.enter("teacher", teacher, room.id, nil)

	// raw sends b and returns the one error it is answered with.
	raw := func(what string, b []byte, code string, withID bool) {
		t.Helper()
		from := d.count()
		d.sendRaw(b)
		// A ping after it: its answer comes after the error (answers come
		// in the order the frames were sent).
		id := d.nextID()
		d.send(id, "ping", obj{})
		pong, ok := d.waitFrom(from, "the ping after "+what, func(f frame) bool { return f.id() == id })
		if !ok || pong.typ() != "result" {
			t.Errorf("%s: the connection did not stay open: %v %s", what, d.readErr, pong)
			return
		}
		var errs []frame
		for _, f := range d.all()[from:] {
			if f.typ() == "error" {
				errs = append(errs, f)
			}
		}
		if len(errs) != 1 {
			t.Errorf("%s: want one error frame before the ping's answer, got %v", what, errs)
			return
		}
		e := errs[0]
		_, hasID := e.m["id"]
		if e.code() != code || str(sub(e.m, "error"), "message") == "" || hasID != withID {
			t.Errorf("%s: got %s, want an error %s (with id: %v)", what, e, code, withID)
		}
		if withID && e.id() != "x1" {
			t.Errorf("%s: the error's id is %q, want the frame's x1", what, e.id())
		}
	}

	raw("not JSON", []byte(`hello`), "bad_frame", false)
	raw("a JSON array", []byte(`[1]`), "bad_frame", false)
	// The id of a frame whose first object is whole is read, though more
	// follows it.
	raw("two objects in one frame", []byte(`{"v":1,"id":"x1","type":"ping"}{"v":1,"id":"x2","type":"ping"}`), "bad_frame", true)
	raw("text after the object", []byte(`{"v":1,"id":"x1","type":"ping"} x`), "bad_frame", true)
	raw("an object cut short", []byte(`{"v":1,"id":"x1","type":"ping"`), "bad_frame", false)
	raw("not UTF-8", []byte("{\"v\":1,\"id\":\"x1\",\"type\":\"announce\",\"data\":{\"text\":\"\xff\"}}"), "bad_frame", false)
	raw("an id that is not a string", []byte(`{"v":1,"id":7,"type":"ping"}`), "bad_frame", false)
	raw("an id over 64 bytes", []byte(`{"v":1,"id":"`+strings.Repeat("i", cMaxIDBytes+1)+`","type":"ping"}`), "invalid", false)
	raw("an id over 64 bytes and no v", []byte(`{"id":"`+strings.Repeat("i", cMaxIDBytes+1)+`","type":"ping"}`), "invalid", false)
	raw("no id", []byte(`{"v":1,"type":"ping"}`), "invalid", false)
	raw("an empty id", []byte(`{"v":1,"id":"","type":"ping"}`), "invalid", false)
	raw("a type that is not a string", []byte(`{"v":1,"id":"x1","type":3}`), "bad_frame", true)
	raw("an unknown envelope field", []byte(`{"v":1,"id":"x1","type":"ping","extra":1}`), "bad_frame", true)
	raw("an unknown type", []byte(`{"v":1,"id":"x1","type":"teleport","data":{}}`), "unknown_type", true)
	raw("an unknown data field", []byte(`{"v":1,"id":"x1","type":"announce","data":{"text":"hi","colour":"red"}}`), "invalid", true)
	raw("data that is not an object", []byte(`{"v":1,"id":"x1","type":"announce","data":"hi"}`), "invalid", true)
	raw("a command with its data left out", []byte(`{"v":1,"id":"x1","type":"announce"}`), "invalid", true)

	d.sendRaw([]byte("\n { \"v\" : 1 ,\t\"id\":\"ws0\" , \"type\": \"ping\" }"))
	if f := d.answer("ws0"); f.typ() != "result" {
		t.Errorf("whitespace around the envelope's fields: answered %s", f)
	}
	d.sendRaw([]byte("{\"v\":1,\"id\":\"ws1\",\"type\":\"ping\"} \n\t"))
	if f := d.answer("ws1"); f.typ() != "result" {
		t.Errorf("whitespace after the object: answered %s", f)
	}

	// A field given twice counts as its last value.
	d.sendRaw([]byte(`{"v":2,"id":"first","id":"dup2","type":"ping","v":1}`))
	if f := d.answer("dup2"); f.typ() != "result" {
		t.Errorf("a frame with v and id given twice: %s", f)
	}

	// "Binary frames are answered with bad_frame and ignored."
	from := d.count()
	if err := d.writeRaw(websocket.MessageBinary, []byte(`{"v":1,"id":"b1","type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if f, ok := d.waitFrom(from, "the answer to a binary frame", func(f frame) bool { return f.typ() == "error" || f.typ() == "result" }); !ok {
		t.Errorf("a binary frame: the connection ended")
	} else if f.code() != "bad_frame" || f.typ() == "result" {
		t.Errorf("a binary frame was answered %s, want bad_frame", f)
	}
	d.isOpen()

	// A frame of exactly 16384 bytes is read; one byte more is too large,
	// not read at all (no id), and the connection stays open.
	exact := func(n int, id string) []byte {
		head := `{"v":1,"id":"` + id + `","type":"announce","data":{"text":"`
		tail := `"}}`
		// The text is limited to 500 characters; pad with whitespace
		// inside the object instead, which JSON allows.
		b := []byte(head + "pad" + tail)
		pad := n - len(b)
		return []byte(`{"v":1,"id":"` + id + `",` + strings.Repeat(" ", pad) + `"type":"announce","data":{"text":"pad"}}`)
	}
	b := exact(cFrameLimit, "big1")
	if len(b) != cFrameLimit {
		t.Fatalf("built %d bytes", len(b))
	}
	d.sendRaw(b)
	if f := d.answer("big1"); f.typ() != "result" {
		t.Errorf("a frame of exactly 16 KiB was answered %s", f)
	}
	from = d.count()
	d.sendRaw(exact(cFrameLimit+1, "big2"))
	id := d.nextID()
	d.send(id, "ping", obj{})
	if _, ok := d.waitFrom(from, "the ping after a frame over 16 KiB", func(f frame) bool { return f.id() == id }); !ok {
		t.Fatalf("a frame over 16 KiB closed the connection: %v", d.readErr)
	}
	var errs []frame
	for _, f := range d.all()[from:] {
		if f.typ() == "error" || f.id() == "big2" {
			errs = append(errs, f)
		}
	}
	if len(errs) != 1 || errs[0].code() != "frame_too_large" || errs[0].id() != "" {
		t.Errorf("a frame over 16 KiB was answered %v, want one frame_too_large without id", errs)
	}

	// A frame over 1 MiB closes the connection with 1009.
	_ = d.writeRaw(websocket.MessageText, bytes.Repeat([]byte(" "), cCloseLimit+1))
	if code := d.closed(); code != websocket.StatusMessageTooBig {
		t.Errorf("a frame over 1 MiB: closed with %d, want 1009", code)
	}
}

// cVersions holds the server to the Versioning table, row by row.
func cVersions(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Versions")
	d, _ := s.enter("teacher", teacher, room.id, nil)
	rows := cTable(t, "## Versioning")
	n := 0
	for _, r := range rows[1:] {
		want := cSpans(r[1])
		if r[1] == "read as version 1" {
			want = []string{"1"}
		}
		if len(want) != 1 {
			t.Fatalf("Versioning row %q", r)
		}
		values := cSpans(r[0])
		if r[0] == "left out" {
			values = []string{""}
		}
		for _, v := range values {
			n++
			id := fmt.Sprintf("v%d", n)
			f := `{"v":` + v + `,"id":"` + id + `","type":"ping","data":{}}`
			if v == "" {
				f = `{"id":"` + id + `","type":"ping","data":{}}`
			}
			from := d.count()
			d.sendRaw([]byte(f))
			ping := d.nextID()
			d.send(ping, "ping", obj{})
			d.waitFrom(from, "the ping after v "+v, func(f frame) bool { return f.id() == ping })
			var got frame
			for _, g := range d.all()[from:] {
				if g.id() == id || (g.typ() == "error" && g.id() == "") {
					got = g
					break
				}
			}
			switch w := want[0]; w {
			case "1":
				if got.typ() != "result" {
					t.Errorf("v %s: answered %s, want it read as version 1", v, got)
				}
			default:
				if got.typ() != "error" || got.code() != w {
					t.Errorf("v %s: answered %s, want %s", v, got, w)
				}
				// The version is checked after the id is read: the error
				// carries it, unless the frame is not JSON at all.
				if w == "bad_version" && got.id() != id {
					t.Errorf("v %s: the bad_version carries id %q, want %q", v, got.id(), id)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("read only %d values from the Versioning table", n)
	}
}

// cCommands: answers, errors, retries with the same id, duplicates and
// pipelining.
func cCommands(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Commands")
	olivia := s.join(room.code, "Olivia")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	sd, _ := s.enter("Olivia", olivia.token, "", nil)

	// ping: the server's time.
	if p := td.must("ping", obj{}); p["server_time"] == nil {
		t.Errorf("ping's result: %v", p)
	}
	// announce: the result names the seq of the event.
	res := td.must("announce", obj{"text": "Pens down."})
	seq, ok := num(res, "seq")
	if !ok {
		t.Fatalf("announce's result: %v", res)
	}
	ev := sd.wait("the announcement", func(f frame) bool { return f.event() == "announcement" })
	if ev.seq() != seq || str(ev.data(), "text") != "Pens down." {
		t.Errorf("the announcement arrived as %s, the result said seq %d", ev, seq)
	}

	// Half a surrogate pair, escaped, is read as U+FFFD.
	half := td.nextID()
	td.sendRaw([]byte(`{"v":1,"id":"` + half + `","type":"announce","data":{"text":"cut \ud83d"}}`))
	hs, _ := num(td.answer(half).data(), "seq")
	if f := sd.wait("the cut announcement", func(f frame) bool { return f.seq() == hs }); str(f.data(), "text") != "cut \ufffd" {
		t.Errorf("a text with half a surrogate pair arrived as %q", str(f.data(), "text"))
	}

	// A retry with the same id gets the same answer, and nothing is done
	// twice.
	id := td.nextID()
	td.send(id, "announce", obj{"text": "Once only."})
	first := td.answer(id)
	second := td.dial2(s, teacher, room.id)
	second.send(id, "announce", obj{"text": "Once only."})
	again := second.answer(id)
	if first.typ() != "result" || again.typ() != "result" || !bytes.Equal(cJSON(t, first.data()), cJSON(t, again.data())) {
		t.Errorf("a retry with the same id: first %s, again %s", first, again)
	}
	// A marker after it: every event up to it has arrived.
	mark := td.must("announce", obj{"text": "marker"})
	ms, _ := num(mark, "seq")
	sd.wait("the marker", func(f frame) bool { return f.seq() == ms })
	n := 0
	for _, f := range sd.events() {
		if f.event() == "announcement" && str(f.data(), "text") == "Once only." {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a command retried with its id was carried out %d times", n)
	}
	// "A reused ID gets the old answer", even for another request: it is
	// not carried out.
	second.send(id, "announce", obj{"text": "Something else."})
	if f := second.answer(id); !bytes.Equal(cJSON(t, f.data()), cJSON(t, first.data())) {
		t.Errorf("a reused id with another request: answered %s, want the old answer %s", f, first)
	}
	mark = td.must("announce", obj{"text": "marker 2"})
	ms, _ = num(mark, "seq")
	sd.wait("the second marker", func(f frame) bool { return f.seq() == ms })
	for _, f := range sd.events() {
		if str(f.data(), "text") == "Something else." {
			t.Errorf("a reused id's new request was carried out: %s", f)
		}
	}

	// Refusals, each with its documented code.
	sd.refused("forbidden", "announce", obj{"text": "hi"})
	sd.refused("forbidden", "end_class", obj{})
	sd.refused("forbidden", "lower_hand", obj{"student": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	td.refused("invalid", "announce", obj{"text": ""})
	td.refused("invalid", "announce", obj{"text": "   "})
	td.refused("invalid", "announce", obj{"text": strings.Repeat("é", 501)})
	td.refused("invalid", "announce", obj{"text": "a\rb"})
	td.must("announce", obj{"text": strings.Repeat("é", 500)})
	td.must("announce", obj{"text": "line one\nline two\tand a tab"})
	td.refused("invalid", "announce", obj{"text": "hi", "to": olivia.id, "group": olivia.id})
	td.refused("not_found", "announce", obj{"text": "hi", "to": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	// An empty target is no way to mean the whole class.
	td.refused("invalid", "announce", obj{"text": "meant for one", "to": ""})
	td.refused("invalid", "announce", obj{"text": "meant for one", "group": ""})
	td.refused("invalid", "push_activity", obj{"activity": obj{"title": "meant for one"}, "to": obj{"student": ""}})
	td.refused("invalid", "assign_practice", obj{"set": obj{"bank": "fractions-5", "set": "frac-equivalence"}, "to": obj{"station": ""}})
	td.refused("invalid", "announce", obj{"text": "hi", "to": strings.ToUpper(olivia.id)})
	td.refused("not_found", "lower_hand", obj{"student": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	td.refused("invalid", "lower_hand", obj{})
	sd.refused("wrong_state", "choose", obj{"option": "Volcanoes"})
	sd.refused("invalid", "raise_hand", obj{"note": strings.Repeat("n", 201)})
	sd.refused("invalid", "raise_hand", obj{"note": "two\nlines"})
	td.refused("invalid", "set_level", obj{"student": olivia.id, "level": 1.5})
	td.refused("invalid", "rotate", obj{"action": "spin"})
	td.refused("wrong_state", "rotate", obj{"action": "advance"})

	// Raising a hand that is up, or lowering one that is down, succeeds.
	sd.must("raise_hand", obj{"note": "stuck on 3b"})
	sd.must("raise_hand", obj{"note": "stuck on 3b"})
	sd.must("lower_hand", obj{})
	sd.must("lower_hand", obj{})

	// Pipelining: more than 8 commands without waiting; each answered
	// once, in the order sent. In a class of its own, whose allowance of
	// commands is fresh ("20 a second with bursts of 40, per person and
	// class").
	pipe := s.newRoom(teacher, "Pipelined")
	tp, _ := s.enter("teacher, pipelining", teacher, pipe.id, nil)
	var ids []string
	for i := range cPipelined*2 + 3 {
		id := tp.nextID()
		ids = append(ids, id)
		if i%3 == 2 {
			tp.send(id, "ping", obj{})
		} else {
			tp.send(id, "announce", obj{"text": fmt.Sprintf("pipelined %d", i)})
		}
	}
	last := tp.answer(ids[len(ids)-1])
	_ = last
	var order []string
	var lastSeq uint64
	for _, f := range tp.all() {
		if (f.typ() == "result" || f.typ() == "error") && slices.Contains(ids, f.id()) {
			order = append(order, f.id())
			if f.typ() != "result" {
				t.Errorf("a pipelined command was refused: %s", f)
			}
			if s, ok := num(f.data(), "seq"); ok {
				if s <= lastSeq {
					t.Errorf("pipelined announcements carried out out of order: seq %d after %d", s, lastSeq)
				}
				lastSeq = s
			}
		}
	}
	if !slices.Equal(order, ids) {
		t.Errorf("pipelined commands answered in the order %v, sent %v", order, ids)
	}
	// Carried out in the order sent: a student's hand raised and lowered
	// nine times without waiting ends as the last command left it.
	ps := s.join(pipe.code, "Pia")
	pd, _ := s.enter("Pia", ps.token, "", nil)
	var handIDs []string
	for i := range 9 {
		id := pd.nextID()
		handIDs = append(handIDs, id)
		if i%2 == 0 {
			pd.send(id, "raise_hand", obj{"note": fmt.Sprintf("note %d", i)})
		} else {
			pd.send(id, "lower_hand", obj{})
		}
	}
	for _, id := range handIDs {
		if f := pd.answer(id); f.typ() != "result" {
			t.Errorf("a pipelined hand: %s", f)
		}
	}
	// Events may come after the answers: the last one, and so all before it.
	pd.wait("the last hand", func(f frame) bool { return f.event() == "hand" && str(f.data(), "note") == "note 8" })
	var hands []string
	for _, f := range pd.events() {
		if f.event() == "hand" {
			hands = append(hands, fmt.Sprint(f.data()["raised"], " ", str(f.data(), "note")))
		}
	}
	want := []string{"true note 0", "false ", "true note 2", "false ", "true note 4", "false ", "true note 6", "false ", "true note 8"}
	if !slices.Equal(hands, want) {
		t.Errorf("a hand raised and lowered without waiting: the events say %q, want %q", hands, want)
	}
	_, pw := s.enter("teacher, after the hands", teacher, pipe.id, nil)
	for _, x := range sub(pw, "snapshot")["students"].([]any) {
		if m := x.(obj); m["hand"] != true || str(m, "note") != "note 8" {
			t.Errorf("after the pipelined hands Pia is %v", m)
		}
	}

	for _, d := range []*cDev{td, sd, second, tp, pd} {
		d.answeredOnce()
	}
	for _, f := range sd.events() {
		if str(f.data(), "text") == "meant for one" || str(sub(f.data(), "activity"), "title") == "meant for one" {
			t.Errorf("a command refused for its empty target reached Olivia: %s", f)
		}
	}
}

// dial2 is a second console of the same teacher.
func (d *cDev) dial2(s *cServer, token, room string) *cDev {
	s.t.Helper()
	d2, _ := s.enter(d.name+" (2)", token, room, nil)
	d2.pfx = d.pfx // the same person: an id is theirs, whichever device sends it
	d2.n = 1000
	return d2
}
