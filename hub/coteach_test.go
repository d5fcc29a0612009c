package hub

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// Two teachers on one class over real WebSockets: the owner shares it by
// e-mail with a co-teacher, whose class list shows it and whose console
// steers it; both consoles get the same events; an assistant is refused
// what is not theirs; revoking closes the co-teacher's console with 4007,
// and their token no longer opens the class.
func TestCoTeachersShareOneClass(t *testing.T) {
	e := newEnv(t)
	owner, co, ta, other := e.teacher(), e.teacher(), e.teacher(), e.teacher()
	info := e.room(owner.Token, "Year 5 maths")
	olivia := e.join(info.Code, "Olivia")
	path := "/api/v1/rooms/" + string(info.ID)

	// Before the share, the class is not the co-teacher's to see.
	if st, perr := e.call("GET", path, co.Token, nil, nil); perr == nil || st != http.StatusNotFound {
		t.Fatalf("the class before the share: %d %v", st, perr)
	}
	var tr TeachersResponse
	if _, perr := e.call("POST", path+"/teachers", owner.Token, map[string]string{"email": " " + co.Teacher.Email + " ", "role": "co_teacher"}, &tr); perr != nil {
		t.Fatal(perr)
	}
	if tr.You != protocol.TeachOwner || len(tr.Teachers) != 2 || tr.Teachers[1].ID != co.Teacher.ID || tr.Teachers[1].Role != protocol.TeachCoTeacher || tr.Teachers[0].Name != owner.Teacher.Name {
		t.Fatalf("after sharing: %+v", tr)
	}
	if _, perr := e.call("POST", path+"/teachers", owner.Token, map[string]string{"email": ta.Teacher.Email, "role": "assistant"}, nil); perr != nil {
		t.Fatal(perr)
	}
	// Bad shares, each told in words.
	for _, c := range []struct {
		token string
		body  map[string]string
		code  protocol.Code
	}{
		{owner.Token, map[string]string{"email": "nobody@school.example", "role": "co_teacher"}, protocol.CodeNotFound},
		{owner.Token, map[string]string{"email": owner.Teacher.Email, "role": "co_teacher"}, protocol.CodeInvalid},
		{owner.Token, map[string]string{"email": other.Teacher.Email, "role": "owner"}, protocol.CodeInvalid},
		{owner.Token, map[string]string{"email": "not an address", "role": "assistant"}, protocol.CodeInvalid},
		{co.Token, map[string]string{"email": other.Teacher.Email, "role": "assistant"}, protocol.CodeForbidden},
		{other.Token, map[string]string{"email": other.Teacher.Email, "role": "assistant"}, protocol.CodeNotFound},
	} {
		if _, perr := e.call("POST", path+"/teachers", c.token, c.body, nil); perr == nil || perr.Code != c.code {
			t.Errorf("share %v: %v, want %s", c.body, perr, c.code)
		}
	}

	// The class is in the co-teacher's list, with who owns it.
	var list struct {
		Rooms []rooms.RoomInfo `json:"rooms"`
	}
	if _, perr := e.call("GET", "/api/v1/rooms", co.Token, nil, &list); perr != nil {
		t.Fatal(perr)
	}
	if len(list.Rooms) != 1 || list.Rooms[0].ID != info.ID || list.Rooms[0].Role != protocol.TeachCoTeacher || list.Rooms[0].OwnerName != owner.Teacher.Name {
		t.Fatalf("the co-teacher's list: %+v", list.Rooms)
	}

	oc, _ := e.mustConnect("owner", protocol.Hello{Token: owner.Token, Room: info.ID})
	// The owner counts as here once the class has taken their console's
	// presence, which follows the welcome: the console sees it too.
	oc.waitEvent(protocol.EvTeacherPresence, func(d json.RawMessage) bool {
		return string(d) == `{"teacher":"`+string(owner.Teacher.ID)+`","online":true}`
	})
	cc, cw := e.mustConnect("co-teacher", protocol.Hello{Token: co.Token, Room: info.ID})
	tc, _ := e.mustConnect("assistant", protocol.Hello{Token: ta.Token, Room: info.ID})
	sc, _ := e.mustConnect("olivia", protocol.Hello{Token: olivia.Token})
	var view protocol.TeacherView
	if err := json.Unmarshal(cw.Snapshot, &view); err != nil || view.You != protocol.TeachCoTeacher || len(view.Teachers) != 3 || !view.Teachers[0].Online {
		t.Fatalf("the co-teacher's snapshot: you %q, teachers %+v, %v", view.You, view.Teachers, err)
	}
	// Each teacher sees the others come.
	for _, who := range []protocol.TeacherID{co.Teacher.ID, ta.Teacher.ID} {
		oc.waitEvent(protocol.EvTeacherPresence, func(d json.RawMessage) bool {
			return string(d) == `{"teacher":"`+string(who)+`","online":true}`
		})
	}

	// The co-teacher pauses: every console and the student see it.
	cc.must(protocol.MsgPauseClass, struct{}{})
	for _, c := range []*client{oc, cc, tc, sc} {
		c.waitEvent(protocol.EvClassPaused, func(d json.RawMessage) bool { return string(d) == `{"paused":true}` })
	}
	// The owner's announcement reaches the co-teacher's console.
	oc.must(protocol.MsgAnnounce, protocol.Announce{Text: "Books away"})
	cc.waitEvent(protocol.EvAnnouncement, hasText("Books away"))
	// The co-teacher sets up a station; the assistant may not.
	cc.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Carpet", Kind: protocol.StationCollab}})
	oc.waitEvent(protocol.EvStations, nil)
	if f := tc.request(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Desk", Kind: protocol.StationIndependent}}); f.Error == nil || f.Error.Code != protocol.CodeForbidden {
		t.Fatalf("the assistant's station: %+v", f)
	}
	tc.must(protocol.MsgResumeClass, struct{}{})
	oc.waitEvent(protocol.EvClassPaused, func(d json.RawMessage) bool { return string(d) == `{"paused":false}` })
	// The assistant may not end the class or read its report; the
	// co-teacher may read it.
	if _, perr := e.call("POST", path+"/end", ta.Token, nil, nil); perr == nil || perr.Code != protocol.CodeForbidden {
		t.Fatalf("the assistant ends the class: %v", perr)
	}
	if _, perr := e.call("GET", path+"/report", ta.Token, nil, nil); perr == nil || perr.Code != protocol.CodeForbidden {
		t.Fatalf("the assistant's report: %v", perr)
	}
	if _, perr := e.call("POST", path+"/students/"+string(olivia.Student)+"/erase", co.Token, nil, nil); perr == nil || perr.Code != protocol.CodeForbidden {
		t.Fatalf("the co-teacher erases a student: %v", perr)
	}
	var rep rooms.Report
	if _, perr := e.call("GET", path+"/report", co.Token, nil, &rep); perr != nil {
		t.Fatal(perr)
	}
	acted := map[string]string{}
	for _, a := range rep.Actions {
		acted[a.What] = a.Name
	}
	if acted["paused the class"] != co.Teacher.Name || acted["resumed the class"] != ta.Teacher.Name || acted["announced for the class: Books away"] != owner.Teacher.Name {
		t.Fatalf("the report's actions: %+v", rep.Actions)
	}

	// Revoked: the co-teacher's console is closed with 4007 (final), their
	// token no longer opens the class, and it leaves their list. The owner
	// stays, and sees the share end.
	if _, perr := e.call("DELETE", path+"/teachers/"+string(co.Teacher.ID), owner.Token, nil, &tr); perr != nil {
		t.Fatal(perr)
	}
	if len(tr.Teachers) != 2 {
		t.Fatalf("after revoking: %+v", tr)
	}
	if code := cc.waitClosed(); code != websocket.StatusCode(protocol.CloseUnshared) || !protocol.CloseUnshared.Final() {
		t.Fatalf("the co-teacher's console closed with %d, want %d", code, protocol.CloseUnshared)
	}
	oc.waitEvent(protocol.EvShare, func(d json.RawMessage) bool {
		return string(d) == `{"teacher":"`+string(co.Teacher.ID)+`","name":"`+co.Teacher.Name+`","revoked":true}`
	})
	again, f := e.connect("co-teacher again", protocol.Hello{Token: co.Token, Room: info.ID})
	if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("the co-teacher's hello after revoking: %+v", f)
	}
	// Revoked, not never shared: 4007 again, not 4002.
	if code := again.waitClosed(); code != websocket.StatusCode(protocol.CloseUnshared) {
		t.Fatalf("closed with %d, want %d", code, protocol.CloseUnshared)
	}
	if st, perr := e.call("GET", path, co.Token, nil, nil); perr == nil || st != http.StatusNotFound {
		t.Fatalf("the class after revoking: %d %v", st, perr)
	}
	if _, perr := e.call("GET", "/api/v1/rooms", co.Token, nil, &list); perr != nil || len(list.Rooms) != 0 {
		t.Fatalf("the co-teacher's list after revoking: %+v %v", list.Rooms, perr)
	}
	oc.must(protocol.MsgAnnounce, protocol.Announce{Text: "Still here"})
	tc.waitEvent(protocol.EvAnnouncement, hasText("Still here"))

	// The assistant leaves the class themselves.
	if _, perr := e.call("DELETE", path+"/teachers/"+string(ta.Teacher.ID), ta.Token, nil, &tr); perr != nil || tr.You != "" {
		t.Fatalf("the assistant leaves: %+v %v", tr, perr)
	}
	if code := tc.waitClosed(); code != websocket.StatusCode(protocol.CloseUnshared) {
		t.Fatalf("the assistant's console closed with %d", code)
	}
}
