package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// More of the class across real kills of the binary, each with SIGKILL
// and with SIGTERM: what the teacher did with the help queue, a roster
// imported over REST, and a coach's invitation. Each time the class comes
// back equal: the snapshot a fresh console of the teacher gets is the
// same before and after, taken with no student connected.

// killed stops the server with sig and starts it again on the same data.
func killed(t *testing.T, s *proc, data string, sig syscall.Signal) *proc {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not exit within 30s of %s", sigName[sig])
	}
	return startServer(t, data)
}

// consoleView is the snapshot a fresh console of the teacher gets.
func consoleView(t *testing.T, s *proc, token string, room protocol.RoomID) json.RawMessage {
	t.Helper()
	d, w := s.connect(token, room, nil)
	_ = d.ws.Close(websocket.StatusNormalClosure, "")
	if w.Resumed || len(w.Snapshot) == 0 {
		t.Fatalf("a fresh console got no snapshot: %+v", w)
	}
	return w.Snapshot
}

// equalAcross fails the test with every difference between two answers.
func equalAcross(t *testing.T, what string, before, after []byte) {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(before, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(after, &y); err != nil {
		t.Fatal(err)
	}
	var diffs []string
	diffJSON(what, x, y, &diffs)
	if len(diffs) > 0 {
		t.Errorf("%s changed across the restart (before → after):\n%s", what, strings.Join(diffs, "\n"))
	}
}

// allOffline reads the console until every student of ids is shown
// offline: their devices closed, the grace period passed.
func allOffline(d *device, ids []protocol.StudentID) {
	d.t.Helper()
	online := map[protocol.StudentID]bool{}
	for _, id := range ids {
		online[id] = true
	}
	d.until("every student offline", func(f protocol.ServerFrame) bool {
		if f.Type == protocol.FrameEvent && f.Event == protocol.EvPresence {
			var p protocol.Presence
			_ = json.Unmarshal(f.Data, &p)
			if _, ok := online[p.Student]; ok {
				online[p.Student] = p.Online
			}
		}
		for _, on := range online {
			if on {
				return false
			}
		}
		return true
	})
}

// leeSignedIn starts a server on a new data folder with Ms Lee, the
// teacher, signed in.
func leeSignedIn(t *testing.T) (string, *proc, hub.LoginResponse) {
	t.Helper()
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "lee@school.example", "Ms Lee")
	var login hub.LoginResponse
	s.post("/api/v1/login", "", map[string]string{"email": "lee@school.example", "password": "correct horse battery"}, &login)
	return data, s, login
}

type joined struct {
	Token   string
	Student protocol.StudentID
	Name    string
}

// A small group the help queue proposed and the teacher dismissed stays
// dismissed across SIGKILL and SIGTERM: the console's view is the same,
// the dismissal retried with its request ID gets its first answer, and
// no new proposal is made for the same students.
func TestSmallGroupDismissSurvivesKill(t *testing.T) {
	bank := demoBank(t, "fractions-5")
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) {
			data, s, login := leeSignedIn(t)
			var room rooms.RoomInfo
			s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Year 5 maths"}, &room)
			var pupils []joined
			var ids []protocol.StudentID
			for _, name := range []string{"Mason", "Noah", "Amelia"} {
				var j joined
				s.post("/api/v1/join", "", map[string]string{"code": room.Code, "name": name}, &j)
				pupils = append(pupils, j)
				ids = append(ids, j.Student)
			}
			td, _ := s.connect(login.Token, room.ID, nil)
			// Four wrong answers in a row on a skill are a struggle, and
			// no pace rule flags answers sent as fast as a test sends.
			td.do(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"idle_watch_ms":3600000,"idle_act_now_ms":7200000,"struggle_window":4,"struggle_max_correct":0,"struggle_problems":0,"struggle_clear":2,"gaming_watch":10,"gaming_act_now":10}`)})
			td.do(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}})

			// Each struggles on the set's first skill: wrong answers,
			// hints, and the similar problems they are given.
			var devs []*device
			for _, p := range pupils {
				d, _ := s.connect(p.Token, "", nil)
				devs = append(devs, d)
				_, f := d.do(protocol.MsgNextItem, struct{}{})
				var next struct{ Item *protocol.ItemView }
				_ = json.Unmarshal(f.Data, &next)
				if next.Item == nil {
					t.Fatalf("%s was given no item: %s", p.Name, f.Data)
				}
				item, hints := next.Item.ID, 0
				for _, hint := range []bool{false, true, false, false, true, false} {
					it := bank.Item(item)
					if hint && hints < len(it.Hints) {
						d.do(protocol.MsgHint, protocol.Hint{Item: item})
						hints++
						continue
					}
					_, f := d.do(protocol.MsgAnswer, protocol.Answer{Item: item, Response: response(it, false)})
					var r struct {
						Correct bool
						Next    *protocol.ItemView
					}
					_ = json.Unmarshal(f.Data, &r)
					if r.Correct {
						t.Fatalf("%s's wrong answer to %s was graded right", p.Name, item)
					}
					if r.Next == nil {
						break // moved on: the struggle is shown
					}
					item, hints = r.Next.ID, 0
				}
			}
			var g protocol.SmallGroup
			td.until("a small group proposed", func(f protocol.ServerFrame) bool {
				if f.Type == protocol.FrameEvent && f.Event == protocol.EvSmallGroup {
					var c protocol.SmallGroupChanged
					_ = json.Unmarshal(f.Data, &c)
					g = c.SmallGroup
				}
				return g.Status == protocol.SmallGroupProposed && len(g.Students) == len(pupils)
			})
			dismiss := protocol.SmallGroupAction{SmallGroup: g.ID, Action: protocol.SmallGroupDismiss}
			id, first := td.do(protocol.MsgSmallGroupAction, dismiss)
			if string(first.Data) != `{"status":"dismissed"}` {
				t.Fatalf("the dismissal answered %s", first.Data)
			}
			for _, d := range devs {
				_ = d.ws.Close(websocket.StatusNormalClosure, "")
			}
			allOffline(td, ids)
			before := consoleView(t, s, login.Token, room.ID)

			s = killed(t, s, data, sig)
			after := consoleView(t, s, login.Token, room.ID)
			equalAcross(t, "the console's view after "+sigName[sig], before, after)
			var tv protocol.TeacherView
			_ = json.Unmarshal(after, &tv)
			for _, sg := range tv.SmallGroups {
				switch {
				case sg.ID == g.ID && sg.Status != protocol.SmallGroupDismissed:
					t.Errorf("after %s the small group dismissed before is %s", sigName[sig], sg.Status)
				case sg.ID != g.ID && sg.Status == protocol.SmallGroupProposed:
					t.Errorf("after %s another small group is proposed: %+v", sigName[sig], sg)
				}
			}
			td, _ = s.connect(login.Token, room.ID, nil)
			td.resend(id, protocol.MsgSmallGroupAction, dismiss)
			if f := td.answerTo(id); !sameAnswer(f, first) {
				t.Errorf("after %s the dismissal sent again with its ID was answered %s, the first time %s", sigName[sig], frameText(f), frameText(first))
			}
			equalAcross(t, "the console's view after the dismissal was retried", before, consoleView(t, s, login.Token, room.ID))
		})
	}
}

// oneRosterBundle is a OneRoster 1.1 bundle of one class of three
// students, zipped in a folder as school systems export it.
func oneRosterBundle(t *testing.T) []byte {
	t.Helper()
	files := []struct{ name, data string }{
		{"export/users.csv", "sourcedId,status,role,givenName,familyName\n" +
			"t1,active,teacher,Ada,Rivera\n" +
			"s1,active,student,Olivia,Smith\n" +
			"s2,active,student,Sam,Kim\n" +
			"s3,active,student,Sam,Park\n"},
		{"export/classes.csv", "sourcedId,status,title,classCode\n" +
			"c1,active,7B maths,MATH7B\n"},
		{"export/enrollments.csv", "sourcedId,status,classSourcedId,userSourcedId,role\n" +
			"e1,active,c1,t1,teacher\n" +
			"e2,active,c1,s1,student\n" +
			"e3,active,c1,s2,student\n" +
			"e4,active,c1,s3,student\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A roster imported over REST (a OneRoster bundle) survives SIGKILL and
// SIGTERM: the rosters read the same after, the class opened with it
// comes back equal, a student who had not joined yet joins after with
// the word from before, and importing the same bundle again updates the
// roster, keeping every student's ID and word, rather than adding one.
func TestRosterImportSurvivesKill(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) {
			data, s, login := leeSignedIn(t)
			bundle := oneRosterBundle(t)
			var imported roster.ImportResult
			s.raw("POST", "/api/v1/rosters/import", login.Token, "application/zip", bundle, &imported)
			if imported.Created != 1 || len(imported.Rosters) != 1 || len(imported.Rosters[0].Students) != 3 {
				t.Fatalf("the import answered %+v", imported)
			}
			ros := imported.Rosters[0]
			var room rooms.RoomInfo
			s.post("/api/v1/rooms", login.Token, map[string]string{"title": ros.Name, "roster": string(ros.ID)}, &room)
			for _, st := range ros.Students[:2] {
				var j joined
				s.post("/api/v1/join", "", map[string]string{"code": room.Code, "student": string(st.ID), "word": st.Code}, &j)
				if j.Name != st.Name {
					t.Fatalf("%s joined as %q", st.Name, j.Name)
				}
			}
			td, _ := s.connect(login.Token, room.ID, nil)
			td.do(protocol.MsgAnnounce, protocol.Announce{Text: "Welcome, 7B."})
			_ = td.ws.Close(websocket.StatusNormalClosure, "")
			readRosters := func() []byte {
				t.Helper()
				var out json.RawMessage
				s.call("GET", "/api/v1/rosters", login.Token, &out)
				return out
			}
			rostersBefore, viewBefore := readRosters(), consoleView(t, s, login.Token, room.ID)

			s = killed(t, s, data, sig)
			equalAcross(t, "the rosters after "+sigName[sig], rostersBefore, readRosters())
			equalAcross(t, "the console's view after "+sigName[sig], viewBefore, consoleView(t, s, login.Token, room.ID))

			last := ros.Students[2]
			var j joined
			s.post("/api/v1/join", "", map[string]string{"code": room.Code, "student": string(last.ID), "word": last.Code}, &j)
			if j.Name != last.Name {
				t.Fatalf("after %s, %s joined as %q", sigName[sig], last.Name, j.Name)
			}
			var again roster.ImportResult
			s.raw("POST", "/api/v1/rosters/import", login.Token, "application/zip", bundle, &again)
			if again.Created != 0 || again.Updated != 1 || len(again.Rosters) != 1 || again.Rosters[0].ID != ros.ID {
				t.Fatalf("after %s the same bundle imported again answered %+v", sigName[sig], again)
			}
			for i, st := range again.Rosters[0].Students {
				if i >= len(ros.Students) || st.ID != ros.Students[i].ID || st.Code != ros.Students[i].Code || st.SourcedID != ros.Students[i].SourcedID {
					t.Errorf("after %s and a second import, student %d is %+v, before %+v", sigName[sig], i, st, ros.Students)
				}
			}
		})
	}
}

// A coach invited before SIGKILL or SIGTERM accepts the invitation after
// it: the invitation is still pending and its code works once; the class,
// with its groups, comes back equal; the teacher gives the new coach a
// group, and the coach's tablet enters the class with that group.
func TestCoachInvitationSurvivesKill(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) {
			data, s, login := leeSignedIn(t)
			var room rooms.RoomInfo
			s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Year 5 science"}, &room)
			td, _ := s.connect(login.Token, room.ID, nil)
			var ids []protocol.StudentID
			var devs []*device
			for _, name := range []string{"Amelia", "Judy", "Noah", "Liam"} {
				var j joined
				s.post("/api/v1/join", "", map[string]string{"code": room.Code, "name": name}, &j)
				d, _ := s.connect(j.Token, "", nil)
				ids, devs = append(ids, j.Student), append(devs, d)
				// Its arrival is in the class before the proposal: a
				// proposal made before it would be stale.
				td.until(name+" online", presenceOf(j.Student, true))
			}
			_, f := td.do(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Seed: 7}})
			var prop protocol.Proposal
			_ = json.Unmarshal(f.Data, &prop)
			_, f = td.do(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: prop.ID, Groups: []protocol.ProposedGroup{
				{Name: "Herons", Members: ids[:2]}, {Name: "Otters", Members: ids[2:]},
			}})
			var applied struct{ Groups []protocol.GroupID }
			_ = json.Unmarshal(f.Data, &applied)
			if len(applied.Groups) != 2 {
				t.Fatalf("applying the groups answered %s", f.Data)
			}
			herons := applied.Groups[0]

			var inv hub.InviteResponse
			s.post("/api/v1/coaches", login.Token, map[string]string{"email": "diaz@school.example", "name": "Mr Diaz"}, &inv)
			if inv.Invite.Code == "" {
				t.Fatalf("the invitation: %+v", inv)
			}
			for _, d := range devs {
				_ = d.ws.Close(websocket.StatusNormalClosure, "")
			}
			allOffline(td, ids)
			_ = td.ws.Close(websocket.StatusNormalClosure, "")
			readCoaches := func() []byte {
				t.Helper()
				var out json.RawMessage
				s.call("GET", "/api/v1/coaches", login.Token, &out)
				return out
			}
			coachesBefore, viewBefore := readCoaches(), consoleView(t, s, login.Token, room.ID)
			var pending hub.CoachesResponse
			_ = json.Unmarshal(coachesBefore, &pending)
			if len(pending.Invites) != 1 || len(pending.Coaches) != 0 {
				t.Fatalf("the teacher's coaches before %s: %s", sigName[sig], coachesBefore)
			}

			s = killed(t, s, data, sig)
			equalAcross(t, "the teacher's coaches after "+sigName[sig], coachesBefore, readCoaches())
			equalAcross(t, "the console's view after "+sigName[sig], viewBefore, consoleView(t, s, login.Token, room.ID))

			accept := map[string]string{"code": inv.Invite.Code, "password": "a long password of his own"}
			var co hub.LoginResponse
			s.post("/api/v1/coaches/accept", "", accept, &co)
			if co.Role != protocol.RoleCoach || co.Coach.Name != "Mr Diaz" || co.Token == "" {
				t.Fatalf("accepting the invitation after %s: %+v", sigName[sig], co)
			}
			if st, code := s.status("POST", "/api/v1/coaches/accept", "", accept); code != protocol.CodeNotFound {
				t.Errorf("the invitation accepted a second time: %d %s, want not_found", st, code)
			}
			var now hub.CoachesResponse
			s.call("GET", "/api/v1/coaches", login.Token, &now)
			if len(now.Invites) != 0 || len(now.Coaches) != 1 || now.Coaches[0].ID != co.Coach.ID {
				t.Fatalf("the teacher's coaches once the invitation was accepted: %+v", now)
			}
			td, _ = s.connect(login.Token, room.ID, nil)
			td.do(protocol.MsgAssignCoach, protocol.AssignCoach{Group: herons, Coach: co.Coach.ID, Assigned: true})
			cd, w := s.connect(co.Token, room.ID, nil)
			defer cd.ws.CloseNow()
			var cv protocol.TeacherView
			_ = json.Unmarshal(w.Snapshot, &cv)
			if w.Role != protocol.RoleCoach || len(cv.Groups) != 1 || cv.Groups[0].ID != herons || len(cv.Groups[0].Members) != 2 {
				t.Fatalf("the coach entered as %s with groups %s", w.Role, fmt.Sprint(cv.Groups))
			}
		})
	}
}
