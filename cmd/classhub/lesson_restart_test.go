package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// resend sends a command again with the request ID it had.
func (d *device) resend(id string, typ protocol.MsgType, data any) {
	d.t.Helper()
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	if err := d.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		d.t.Fatal(err)
	}
}

// answerTo reads frames until the answer to request id.
func (d *device) answerTo(id string) protocol.ServerFrame {
	d.t.Helper()
	return d.until("the answer to "+id, func(f protocol.ServerFrame) bool {
		return f.ID == id && (f.Type == protocol.FrameResult || f.Type == protocol.FrameError)
	})
}

// closedWith reads what is left on the device's connection and returns
// the code it was closed with.
func closedWith(t *testing.T, d *device) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if _, _, err := d.ws.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// do sends a command and returns its ID and its answer, which must be a
// result.
func (d *device) do(typ protocol.MsgType, data any) (string, protocol.ServerFrame) {
	d.t.Helper()
	id := d.send(typ, data)
	f := d.answerTo(id)
	if f.Type != protocol.FrameResult {
		d.t.Fatalf("%s answered %+v", typ, f.Error)
	}
	return id, f
}

// The end of a lesson across real kills: a student picks from a choice
// board, another takes the enrichment offered when she masters her set,
// the teacher closes one student's practice and ends the class. The
// binary is killed (SIGKILL or SIGTERM) after each of these commands was
// answered; after each restart the command, sent again with its request
// ID, gets its first answer and does nothing twice, and the student's
// practice is what it was. The class ended before a SIGKILL is still
// ended: its code is void, a hello is closed with 4003 after the
// snapshot, and the report says once who ended it.
func TestLessonEndSurvivesKill(t *testing.T) {
	bank := demoBank(t, "fractions-5")
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "lee@school.example", "Ms Lee")
	var login struct{ Token string }
	s.post("/api/v1/login", "", map[string]string{"email": "lee@school.example", "password": "correct horse battery"}, &login)
	var room rooms.RoomInfo
	s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Year 5 maths"}, &room)
	type pupil struct {
		Token   string
		Student protocol.StudentID
	}
	var mason, amelia pupil
	s.post("/api/v1/join", "", map[string]string{"code": room.Code, "name": "Mason"}, &mason)
	s.post("/api/v1/join", "", map[string]string{"code": room.Code, "name": "Amelia"}, &amelia)

	teacher, _ := s.connect(login.Token, room.ID, nil)
	teacher.do(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-stories"}, To: protocol.Target{Student: mason.Student}})
	teacher.do(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}, To: protocol.Target{Student: amelia.Student}})

	practiceOf := func(token string) *protocol.StudentPractice {
		t.Helper()
		d, w := s.connect(token, "", nil)
		defer d.ws.Close(websocket.StatusNormalClosure, "")
		var v protocol.StudentView
		if err := json.Unmarshal(w.Snapshot, &v); err != nil {
			t.Fatal(err)
		}
		return v.Practice
	}
	restart := func(sig syscall.Signal) {
		t.Helper()
		if err := s.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("the server did not exit within 30s of %s", sigName[sig])
		}
		s = startServer(t, data)
	}
	// again restarts with sig, sends the command again with its ID, and
	// checks that it gets its first answer and that the student's practice
	// is what it was.
	again := func(sig syscall.Signal, token string, room protocol.RoomID, id string, typ protocol.MsgType, data any, first protocol.ServerFrame, whose string) *device {
		t.Helper()
		before, _ := json.Marshal(practiceOf(whose))
		restart(sig)
		d, _ := s.connect(token, room, nil)
		d.resend(id, typ, data)
		if f := d.answerTo(id); !sameAnswer(f, first) {
			t.Errorf("after %s, %s sent again with its ID was answered %s, the first time %s", sigName[sig], typ, frameText(f), frameText(first))
		}
		if after, _ := json.Marshal(practiceOf(whose)); string(after) != string(before) {
			t.Errorf("after %s and %s sent again, the practice changed:\nbefore %s\nafter  %s", sigName[sig], typ, before, after)
		}
		return d
	}

	// Mason picks two stories of the choice board.
	p := practiceOf(mason.Token)
	if p == nil || p.Pick != 2 || len(p.Options) != 4 {
		t.Fatalf("Mason's choice board: %+v", p)
	}
	md, _ := s.connect(mason.Token, "", nil)
	pick := protocol.PickItems{Items: []protocol.ItemID{p.Options[3].Item, p.Options[1].Item}}
	id, first := md.do(protocol.MsgPickItems, pick)
	md = again(syscall.SIGKILL, mason.Token, "", id, protocol.MsgPickItems, pick, first, mason.Token)
	if p := practiceOf(mason.Token); p == nil || len(p.Options) != 0 {
		t.Fatalf("after picking, Mason's practice: %+v", p)
	}
	_, f := md.do(protocol.MsgNextItem, struct{}{})
	var mine struct{ Item *protocol.ItemView }
	_ = json.Unmarshal(f.Data, &mine)
	if mine.Item == nil || (mine.Item.ID != pick.Items[0] && mine.Item.ID != pick.Items[1]) {
		t.Fatalf("after picking %v, Mason was given %s", pick.Items, f.Data)
	}

	// Amelia answers right until she is offered more, and takes it.
	ad, _ := s.connect(amelia.Token, "", nil)
	offered := false
	for range 20 {
		_, f := ad.do(protocol.MsgNextItem, struct{}{})
		var next struct {
			Item  *protocol.ItemView
			Done  bool
			Offer *protocol.Offer
		}
		_ = json.Unmarshal(f.Data, &next)
		if next.Offer != nil {
			offered = true
			break
		}
		if next.Item == nil {
			t.Fatalf("Amelia's next item: %s", f.Data)
		}
		_, f = ad.do(protocol.MsgAnswer, protocol.Answer{Item: next.Item.ID, Response: response(bank.Item(next.Item.ID), true)})
		var r struct {
			Correct bool
			Offer   *protocol.Offer
		}
		_ = json.Unmarshal(f.Data, &r)
		if !r.Correct {
			t.Fatalf("Amelia's right answer to %s was graded %s", next.Item.ID, f.Data)
		}
		if r.Offer != nil {
			offered = true
			break
		}
	}
	if !offered {
		t.Fatal("Amelia answered every problem right and was offered nothing")
	}
	id, first = ad.do(protocol.MsgAcceptOffer, struct{}{})
	again(syscall.SIGTERM, amelia.Token, "", id, protocol.MsgAcceptOffer, struct{}{}, first, amelia.Token)
	if p := practiceOf(amelia.Token); p == nil || p.Set.Set != "frac-challenge" || p.Offer != nil {
		t.Fatalf("after taking the offer, Amelia's practice: %+v", p)
	}

	// The teacher closes Mason's practice.
	teacher, _ = s.connect(login.Token, room.ID, nil)
	closeMason := protocol.ClosePractice{To: protocol.Target{Student: mason.Student}}
	id, first = teacher.do(protocol.MsgClosePractice, closeMason)
	if string(first.Data) != `{"students":1}` {
		t.Fatalf("closing Mason's practice answered %s", first.Data)
	}
	teacher = again(syscall.SIGKILL, login.Token, room.ID, id, protocol.MsgClosePractice, closeMason, first, mason.Token)
	if p := practiceOf(mason.Token); p == nil || !p.Closed {
		t.Fatalf("Mason's practice after closing: %+v", p)
	}

	// The teacher ends the class on the console, and the server is killed.
	teacher.do(protocol.MsgEndClass, struct{}{})
	if code := closedWith(t, teacher); code != websocket.StatusCode(protocol.CloseRoomEnded) {
		t.Fatalf("the console that ended the class was closed with %d, want %d", code, protocol.CloseRoomEnded)
	}
	restart(syscall.SIGKILL)
	d, w := s.connect(login.Token, room.ID, nil)
	var tv protocol.TeacherView
	_ = json.Unmarshal(w.Snapshot, &tv)
	if tv.Status != protocol.StatusEnded {
		t.Fatalf("after SIGKILL the ended class is %q", tv.Status)
	}
	if code := closedWith(t, d); code != websocket.StatusCode(protocol.CloseRoomEnded) {
		t.Fatalf("the hello to the ended class was closed with %d, want %d", code, protocol.CloseRoomEnded)
	}
	if st, code := s.status("POST", "/api/v1/join", "", map[string]string{"code": room.Code, "name": "Noah"}); st != http.StatusNotFound || code != protocol.CodeNotFound {
		t.Errorf("joining the ended class after SIGKILL: %d %s, want 404 not_found", st, code)
	}
	var rep rooms.Report
	s.call("GET", "/api/v1/rooms/"+string(room.ID)+"/report", login.Token, &rep)
	ended := 0
	for _, a := range rep.Actions {
		if a.What == "ended the class" {
			ended++
		}
	}
	if rep.Ended == 0 || ended != 1 {
		t.Errorf("the report after SIGKILL: ended %d, %d action(s) ending the class: %+v", rep.Ended, ended, rep.Actions)
	}
}

// raw makes a REST request with a body as it is (contentType "": none)
// and decodes the answer, which must be a success, into out (nil: not
// decoded).
func (s *proc) raw(method, path, token, contentType string, body []byte, out any) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// What the REST API keeps outside a class's log survives SIGKILL of the
// real binary too: a content bank uploaded, a roster and a learner
// profile edited, a coach's account, the key that signs tokens (a
// teacher's token from before renews after), and a student's export.
func TestStoresSurviveKill(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "lee@school.example", "Ms Lee")
	var login struct{ Token string }
	s.post("/api/v1/login", "", map[string]string{"email": "lee@school.example", "password": "correct horse battery"}, &login)

	yaml, err := os.ReadFile("../../rooms/content/demo/fractions-5.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml = bytes.Replace(yaml, []byte("bank: fractions-5\n"), []byte("bank: fractions-5b\n"), 1)
	s.raw("POST", "/api/v1/banks?name=fractions-5b.yaml", login.Token, "application/yaml", yaml, nil)

	var ros roster.Roster
	s.post("/api/v1/rosters", login.Token, hub.RosterRequest{Name: "5L maths", Students: []roster.StudentInput{{GivenName: "Olivia", FamilyName: "Smith"}}}, &ros)
	olivia := ros.Students[0]
	s.raw("PUT", "/api/v1/profiles/"+string(olivia.ID), login.Token, "application/json", []byte(`{"strengths":["mental arithmetic"]}`), nil)

	var inv hub.InviteResponse
	s.post("/api/v1/coaches", login.Token, map[string]string{"email": "diaz@school.example", "name": "Mr Diaz"}, &inv)
	var accepted hub.LoginResponse
	s.post("/api/v1/coaches/accept", "", map[string]string{"code": inv.Invite.Code, "password": "a long password of his own"}, &accepted)

	var room rooms.RoomInfo
	s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Year 5 maths", "roster": string(ros.ID)}, &room)
	var j struct{ Student protocol.StudentID }
	s.post("/api/v1/join", "", map[string]string{"code": room.Code, "student": string(olivia.ID), "word": olivia.Code}, &j)

	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s = startServer(t, data)

	var banks struct {
		Banks []struct{ ID protocol.BankID }
	}
	s.call("GET", "/api/v1/banks", login.Token, &banks)
	if !slices.ContainsFunc(banks.Banks, func(b struct{ ID protocol.BankID }) bool { return b.ID == "fractions-5b" }) {
		t.Errorf("after SIGKILL the uploaded bank is gone: %+v", banks.Banks)
	}
	var prof roster.Profile
	s.call("GET", "/api/v1/profiles/"+string(olivia.ID), login.Token, &prof)
	if !slices.Equal(prof.Strengths, []string{"mental arithmetic"}) {
		t.Errorf("after SIGKILL Olivia's profile: %+v", prof)
	}
	var co hub.LoginResponse
	s.post("/api/v1/login", "", map[string]string{"email": "diaz@school.example", "password": "a long password of his own"}, &co)
	if co.Role != protocol.RoleCoach {
		t.Errorf("after SIGKILL the coach signs in as %q", co.Role)
	}
	var renewed struct{ Token string }
	s.raw("POST", "/api/v1/token/renew", login.Token, "application/json", nil, &renewed)
	if renewed.Token == "" {
		t.Error("after SIGKILL a teacher's token from before did not renew")
	}
	var ex rooms.Export
	s.call("GET", "/api/v1/rooms/"+string(room.ID)+"/students/"+string(j.Student)+"/export", renewed.Token, &ex)
	if ex.Student == nil || ex.Student.Name != "Olivia" || len(ex.Events) == 0 {
		t.Errorf("after SIGKILL Olivia's export: %+v", ex)
	}
}
