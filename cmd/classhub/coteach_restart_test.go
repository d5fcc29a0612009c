package main

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// call makes a REST request with any method and no body and decodes the
// answer.
func (s *proc) call(method, path, token string, out any) {
	s.t.Helper()
	s.raw(method, path, token, "", nil, out)
}

// A share is in the class's log: after SIGKILL of the real binary the
// co-teacher still finds the class in their list, opens it as co-teacher,
// and steers it; the owner can still revoke the share, which closes the
// co-teacher's console with 4007; the report says who paused the class.
func TestCoTeacherShareSurvivesKill(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	owner, co := ownerAndCoTeacher(t, s, data)
	var room rooms.RoomInfo
	s.post("/api/v1/rooms", owner.Token, map[string]string{"title": "Year 5 maths"}, &room)
	var shared struct{ Teachers []protocol.ClassTeacher }
	s.post("/api/v1/rooms/"+string(room.ID)+"/teachers", owner.Token, map[string]string{"email": "brown@school.example", "role": "co_teacher"}, &shared)
	if len(shared.Teachers) != 2 {
		t.Fatalf("shared: %+v", shared)
	}
	cd, _ := s.connect(co.Token, room.ID, nil)
	id := cd.send(protocol.MsgPauseClass, struct{}{})
	cd.until("the pause's result", func(f protocol.ServerFrame) bool { return f.ID == id && f.Type == protocol.FrameResult })

	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	s2 := startServer(t, data)

	var list struct{ Rooms []rooms.RoomInfo }
	s2.call("GET", "/api/v1/rooms", co.Token, &list)
	if len(list.Rooms) != 1 || list.Rooms[0].ID != room.ID || list.Rooms[0].Role != protocol.TeachCoTeacher || list.Rooms[0].OwnerName != "Ms Okafor" {
		t.Fatalf("the co-teacher's list after SIGKILL: %+v", list.Rooms)
	}
	cd2, w := s2.connect(co.Token, room.ID, nil)
	var tv protocol.TeacherView
	_ = json.Unmarshal(w.Snapshot, &tv)
	if tv.You != protocol.TeachCoTeacher || len(tv.Teachers) != 2 || tv.Teachers[1].Name != "Mr Brown" || !tv.Paused {
		t.Fatalf("the co-teacher's snapshot after SIGKILL: you %q, teachers %+v, paused %v", tv.You, tv.Teachers, tv.Paused)
	}
	// Online before the kill, offline once a node takes the class again
	// (it starts with no consoles), online again as this console says so.
	if tv.Teachers[1].Online {
		t.Fatalf("the co-teacher is still online from before SIGKILL: %+v", tv.Teachers)
	}
	cd2.until("the co-teacher online again", func(f protocol.ServerFrame) bool {
		return f.Type == protocol.FrameEvent && f.Event == protocol.EvTeacherPresence && string(f.Data) == `{"teacher":"`+string(co.Teacher.ID)+`","online":true}`
	})
	id = cd2.send(protocol.MsgResumeClass, struct{}{})
	cd2.until("the resume's result", func(f protocol.ServerFrame) bool { return f.ID == id && f.Type == protocol.FrameResult })

	s2.call("DELETE", "/api/v1/rooms/"+string(room.ID)+"/teachers/"+string(co.Teacher.ID), owner.Token, &shared)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if _, _, err := cd2.ws.Read(ctx); err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusCode(protocol.CloseUnshared) {
				t.Fatalf("after revoking, the co-teacher's console was closed with %d (%v), want 4007", code, err)
			}
			break
		}
	}
	var rep rooms.Report
	s2.call("GET", "/api/v1/rooms/"+string(room.ID)+"/report", owner.Token, &rep)
	by := map[string]string{}
	for _, a := range rep.Actions {
		by[a.What] = a.Name
	}
	if by["paused the class"] != "Mr Brown" || by["resumed the class"] != "Mr Brown" || by["stopped sharing the class with Mr Brown"] != "Ms Okafor" {
		t.Fatalf("the report's actions: %+v", rep.Actions)
	}
}

// signedIn is a teacher's sign-in: the token and who they are.
type signedIn struct {
	Token   string
	Teacher struct{ ID protocol.TeacherID }
}

// ownerAndCoTeacher adds two teachers to the server's data, Ms Okafor (who
// will own the class) and Mr Brown (who will share it), and signs both in.
func ownerAndCoTeacher(t *testing.T, s *proc, data string) (owner, co signedIn) {
	t.Helper()
	addTeacher(t, data, "okafor@school.example", "Ms Okafor")
	addTeacher(t, data, "brown@school.example", "Mr Brown")
	s.post("/api/v1/login", "", map[string]string{"email": "okafor@school.example", "password": "correct horse battery"}, &owner)
	s.post("/api/v1/login", "", map[string]string{"email": "brown@school.example", "password": "correct horse battery"}, &co)
	return owner, co
}
