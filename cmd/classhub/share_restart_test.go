package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// status makes a REST request with a JSON body (nil: none) and returns
// the status and the error code of the answer, for the answers that are
// refusals.
func (s *proc) status(method, path, token string, body any) (int, protocol.Code) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var e struct{ Error protocol.Error }
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &e)
	return res.StatusCode, e.Error.Code
}

// helloClose says hello to a class and returns the error the hello was
// answered with and the close code that followed.
func (s *proc) helloClose(token string, room protocol.RoomID) (protocol.Code, websocket.StatusCode) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/ws", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	defer ws.CloseNow()
	hello, _ := json.Marshal(protocol.ClientFrame{V: protocol.Version, ID: "h1", Type: protocol.MsgHello,
		Data: json.RawMessage(fmt.Sprintf(`{"token":%q,"room":%q}`, token, room))})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		s.t.Fatal(err)
	}
	var code protocol.Code
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return code, websocket.CloseStatus(err)
		}
		var f protocol.ServerFrame
		_ = json.Unmarshal(b, &f)
		switch {
		case f.Type == protocol.FrameWelcome:
			s.t.Fatalf("the hello to %s was welcomed", room)
		case f.Type == protocol.FrameError && f.ID == "h1":
			code = f.Error.Code
		}
	}
}

// A class is shared from the class list whatever its state: open with no
// device on it (and so not loaded on the node that starts after a kill),
// or ended, so that a co-teacher can read its report. Both shares are in
// the class's log: after SIGKILL and after SIGTERM of the real binary the
// co-teacher still has both classes in their list, still reads the ended
// one's report, and a console of theirs on the class whose share the
// owner ended is closed with 4007, told apart from a class never shared
// with them (4002). The owner erases a student of the ended class, and
// the report says, across the restarts, who did it and when, and nothing
// of the student.
func TestShareAnyClassSurvivesKill(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	owner, co := ownerAndCoTeacher(t, s, data)
	var idle, ended, never, revoked rooms.RoomInfo
	s.post("/api/v1/rooms", owner.Token, map[string]string{"title": "Idle class"}, &idle)
	s.post("/api/v1/rooms", owner.Token, map[string]string{"title": "Ended class"}, &ended)
	s.post("/api/v1/rooms", owner.Token, map[string]string{"title": "Never shared"}, &never)
	s.post("/api/v1/rooms", owner.Token, map[string]string{"title": "Shared, then not"}, &revoked)
	var j, noah struct {
		Token   string
		Student protocol.StudentID
	}
	s.post("/api/v1/join", "", map[string]string{"code": ended.Code, "name": "Olivia"}, &j)
	s.post("/api/v1/join", "", map[string]string{"code": ended.Code, "name": "Noah"}, &noah)
	s.post("/api/v1/rooms/"+string(ended.ID)+"/end", owner.Token, nil, &ended)
	if ended.Status != protocol.StatusEnded {
		t.Fatalf("ending the class: %+v", ended)
	}

	// A class loaded on no node: the process that opened it is gone.
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s = startServer(t, data)

	share := func(room rooms.RoomInfo, role protocol.TeachRole) {
		t.Helper()
		var shared TeachersAnswer
		s.post("/api/v1/rooms/"+string(room.ID)+"/teachers", owner.Token, map[string]string{"email": "brown@school.example", "role": string(role)}, &shared)
		if len(shared.Teachers) != 2 || shared.Teachers[1].ID != co.Teacher.ID || shared.Teachers[1].Role != role {
			t.Fatalf("sharing %s: %+v", room.Title, shared)
		}
	}
	share(idle, protocol.TeachAssistant)
	share(ended, protocol.TeachCoTeacher)
	share(revoked, protocol.TeachCoTeacher)
	// Sharing again changes the role, ended or not.
	share(idle, protocol.TeachCoTeacher)
	// The owner erases Noah from the ended class: the report keeps who
	// did it and when, and nothing of him.
	var erased struct{ Events, Removed int }
	s.post("/api/v1/rooms/"+string(ended.ID)+"/students/"+string(noah.Student)+"/erase", owner.Token, nil, &erased)
	if erased.Removed == 0 {
		t.Fatalf("erasing Noah: %+v", erased)
	}
	var left TeachersAnswer
	s.call("DELETE", "/api/v1/rooms/"+string(revoked.ID)+"/teachers/"+string(co.Teacher.ID), owner.Token, &left)
	if len(left.Teachers) != 1 {
		t.Fatalf("after ending the share: %+v", left)
	}

	check := func(when string) {
		t.Helper()
		var list struct{ Rooms []rooms.RoomInfo }
		s.call("GET", "/api/v1/rooms", co.Token, &list)
		var got []string
		for _, r := range list.Rooms {
			got = append(got, fmt.Sprintf("%s/%s/%s", r.Title, r.Role, r.Status))
		}
		slices.Sort(got)
		want := []string{"Ended class/co_teacher/ended", "Idle class/co_teacher/open"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the co-teacher's list is %v, want %v", when, got, want)
		}
		var rep rooms.Report
		s.call("GET", "/api/v1/rooms/"+string(ended.ID)+"/report", co.Token, &rep)
		if len(rep.Students) != 1 || rep.Students[0].Name != "Olivia" {
			t.Errorf("%s: the co-teacher's report of the ended class: %+v", when, rep.Students)
		}
		if i := slices.IndexFunc(rep.Teachers, func(tt rooms.TeacherReport) bool { return tt.ID == co.Teacher.ID }); i < 0 || rep.Teachers[i].Role != protocol.TeachCoTeacher {
			t.Errorf("%s: the report's teachers: %+v", when, rep.Teachers)
		}
		if i := slices.IndexFunc(rep.Actions, func(a rooms.ActionReport) bool { return a.Event == protocol.EvErased }); i < 0 ||
			rep.Actions[i].Name != "Ms Okafor" || rep.Actions[i].What != fmt.Sprintf("erased a student from the class (%d events removed)", erased.Removed) {
			t.Errorf("%s: the report's actions do not say Ms Okafor erased a student: %+v", when, rep.Actions)
		}
		if b, _ := json.Marshal(rep); strings.Contains(string(b), string(noah.Student)) || strings.Contains(string(b), "Noah") {
			t.Errorf("%s: the report still names the erased student: %s", when, b)
		}
		if code, closed := s.helloClose(co.Token, revoked.ID); code != protocol.CodeUnauthorized || closed != websocket.StatusCode(protocol.CloseUnshared) {
			t.Errorf("%s: the hello of a teacher whose share ended: %s, closed %d; want unauthorized and %d", when, code, closed, protocol.CloseUnshared)
		}
		if code, closed := s.helloClose(co.Token, never.ID); code != protocol.CodeUnauthorized || closed != websocket.StatusCode(protocol.CloseUnauthorized) {
			t.Errorf("%s: the hello of a teacher the class was never shared with: %s, closed %d; want unauthorized and %d", when, code, closed, protocol.CloseUnauthorized)
		}
		if st, code := s.status("GET", "/api/v1/rooms/"+string(revoked.ID), co.Token, nil); st != http.StatusNotFound || code != protocol.CodeNotFound {
			t.Errorf("%s: the class whose share ended answers the teacher %d %s, want 404 not_found", when, st, code)
		}
		// The co-teacher steers the open class they were given while no
		// device was on it.
		cd, w := s.connect(co.Token, idle.ID, nil)
		var tv protocol.TeacherView
		_ = json.Unmarshal(w.Snapshot, &tv)
		if tv.You != protocol.TeachCoTeacher {
			t.Errorf("%s: the co-teacher opened the idle class as %q", when, tv.You)
		}
		cd.ws.Close(websocket.StatusNormalClosure, "")
	}
	check("before any restart")
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		if err := s.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		<-s.done
		s = startServer(t, data)
		check("after " + sigName[sig])
	}
	// Only the owner shares, ended or not.
	if st, code := s.status("POST", "/api/v1/rooms/"+string(ended.ID)+"/teachers", co.Token, map[string]string{"email": "okafor@school.example", "role": "assistant"}); st != http.StatusForbidden || code != protocol.CodeForbidden {
		t.Errorf("a co-teacher sharing the ended class: %d %s, want 403 forbidden", st, code)
	}
}

// TeachersAnswer is the answer of the routes of a class's teachers.
type TeachersAnswer struct {
	Teachers []protocol.ClassTeacher
	You      protocol.TeachRole
}
