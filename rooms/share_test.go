package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

var (
	coTeacherB = protocol.TeacherID("6f1c2d3e-0000-4000-8000-0000000000b2")
	assistantC = protocol.TeacherID("6f1c2d3e-0000-4000-8000-0000000000c3")
	strangerD  = protocol.TeacherID("6f1c2d3e-0000-4000-8000-0000000000d4")
)

// doAs sends a command as a teacher with a display name, as the hub does.
func doAs(t *testing.T, m *Manager, room protocol.RoomID, typ protocol.MsgType, id protocol.TeacherID, name string, data any) (json.RawMessage, error) {
	t.Helper()
	b, _ := json.Marshal(data)
	return m.Do(context.Background(), protocol.Command{Room: room, Type: typ, Actor: teacher(id), Name: name, Data: b, Conn: "c1"})
}

func wantCode(t *testing.T, what string, err error, code protocol.Code) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

func sharedClass(t *testing.T) (*Manager, RoomInfo, protocol.StudentID) {
	t.Helper()
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	ctx := context.Background()
	info, err := m.Open(ctx, RoomInfo{Teacher: teacherA, Title: "Year 5 maths", OwnerName: "Ms Okafor"})
	if err != nil {
		t.Fatal(err)
	}
	_, joined, err := m.Join(ctx, info.Code, "Olivia")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Share(ctx, teacherA, "Ms Okafor", info.ID, protocol.ShareClass{Teacher: coTeacherB, Name: "Mr Brown", Email: "brown@school.example", Role: protocol.TeachCoTeacher}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Share(ctx, teacherA, "Ms Okafor", info.ID, protocol.ShareClass{Teacher: assistantC, Name: "Ms Chen", Email: "chen@school.example", Role: protocol.TeachAssistant}); err != nil {
		t.Fatal(err)
	}
	return m, info, joined.Student
}

// The command table, role by role: a teaching assistant steers the live
// lesson but does not change how the class is set up or end it; a
// co-teacher does all of that; sharing, exporting and erasing are the
// owner's alone; a teacher the class is not shared with may do nothing.
func TestShareRolesFollowTheCommandTable(t *testing.T) {
	m, info, olivia := sharedClass(t)
	ctx := context.Background()

	steer := []struct {
		typ  protocol.MsgType
		data any
	}{
		{protocol.MsgAnnounce, protocol.Announce{Text: "Eyes on me"}},
		{protocol.MsgPauseClass, struct{}{}},
		{protocol.MsgResumeClass, struct{}{}},
		{protocol.MsgSetLevel, protocol.SetLevel{Student: olivia, Level: 0.4}},
		{protocol.MsgPushActivity, protocol.PushActivity{Activity: protocol.Activity{Title: "Warm-up"}}},
		{protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}}},
	}
	for _, c := range steer {
		if _, err := doAs(t, m, info.ID, c.typ, assistantC, "Ms Chen", c.data); err != nil {
			t.Errorf("the assistant's %s: %v", c.typ, err)
		}
	}
	setup := []struct {
		typ  protocol.MsgType
		data any
	}{
		{protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Carpet", Kind: protocol.StationCollab}}},
		{protocol.MsgSetLateRule, protocol.SetLateRule{Rule: protocol.LateNone}},
		{protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"struggle_window":9}`)}},
		{protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 1, IncludeAbsent: true}}},
	}
	for _, c := range setup {
		_, err := doAs(t, m, info.ID, c.typ, assistantC, "Ms Chen", c.data)
		wantCode(t, "the assistant's "+string(c.typ), err, protocol.CodeForbidden)
		if _, err := doAs(t, m, info.ID, c.typ, coTeacherB, "Mr Brown", c.data); err != nil {
			t.Errorf("the co-teacher's %s: %v", c.typ, err)
		}
	}
	_, err := doAs(t, m, info.ID, protocol.MsgEndClass, assistantC, "Ms Chen", struct{}{})
	wantCode(t, "the assistant ends the class", err, protocol.CodeForbidden)

	// Reserved to the owner: sharing, exporting and erasing a student.
	_, err = m.Share(ctx, coTeacherB, "Mr Brown", info.ID, protocol.ShareClass{Teacher: strangerD, Name: "Dr Diaz", Role: protocol.TeachAssistant})
	wantCode(t, "the co-teacher shares", err, protocol.CodeForbidden)
	_, err = m.Share(ctx, assistantC, "Ms Chen", info.ID, protocol.ShareClass{Teacher: strangerD, Name: "Dr Diaz", Role: protocol.TeachAssistant})
	wantCode(t, "the assistant shares", err, protocol.CodeForbidden)
	_, err = m.Unshare(ctx, coTeacherB, "Mr Brown", info.ID, assistantC)
	wantCode(t, "the co-teacher ends another's share", err, protocol.CodeForbidden)
	_, err = m.ExportStudent(ctx, coTeacherB, info.ID, olivia)
	wantCode(t, "the co-teacher exports a student", err, protocol.CodeForbidden)
	_, err = m.EraseStudent(ctx, coTeacherB, info.ID, olivia)
	wantCode(t, "the co-teacher erases a student", err, protocol.CodeForbidden)
	if _, err := m.ExportStudent(ctx, teacherA, info.ID, olivia); err != nil {
		t.Errorf("the owner exports a student: %v", err)
	}

	// A teacher it is not shared with: nothing, not even a snapshot.
	_, err = doAs(t, m, info.ID, protocol.MsgAnnounce, strangerD, "Dr Diaz", protocol.Announce{Text: "hi"})
	wantCode(t, "a stranger announces", err, protocol.CodeForbidden)
	_, err = doAs(t, m, info.ID, protocol.CmdSnapshot, strangerD, "Dr Diaz", nil)
	wantCode(t, "a stranger's snapshot", err, protocol.CodeForbidden)
	// Bad shares.
	_, err = m.Share(ctx, teacherA, "Ms Okafor", info.ID, protocol.ShareClass{Teacher: teacherA, Name: "Ms Okafor", Role: protocol.TeachCoTeacher})
	wantCode(t, "sharing with oneself", err, protocol.CodeInvalid)
	_, err = m.Share(ctx, teacherA, "Ms Okafor", info.ID, protocol.ShareClass{Teacher: strangerD, Name: "Dr Diaz", Role: protocol.TeachOwner})
	wantCode(t, "sharing as owner", err, protocol.CodeInvalid)

	// The co-teacher ends the class; the owner's snapshot still works.
	if _, err := doAs(t, m, info.ID, protocol.MsgEndClass, coTeacherB, "Mr Brown", struct{}{}); err != nil {
		t.Fatalf("the co-teacher ends the class: %v", err)
	}
}

// Every event a teacher's command makes says which teacher; the views list
// the class's teachers and say what the viewer is; the report says who did
// what; a revoked teacher has no way in, and the class leaves their list.
func TestShareIsRecordedAndRevoked(t *testing.T) {
	m, info, olivia := sharedClass(t)
	ctx := context.Background()

	if _, err := doAs(t, m, info.ID, protocol.MsgPauseClass, assistantC, "Ms Chen", struct{}{}); err != nil {
		t.Fatal(err)
	}
	if _, err := doAs(t, m, info.ID, protocol.MsgAnnounce, coTeacherB, "Mr Brown", protocol.Announce{Text: "Tidy up", To: olivia}); err != nil {
		t.Fatal(err)
	}
	res, tv := snapshotOf(t, m, info.ID, teacher(assistantC))
	if tv.You != protocol.TeachAssistant || len(tv.Teachers) != 3 || tv.Teachers[0].ID != teacherA || tv.Teachers[0].Name != "Ms Okafor" || tv.Teachers[0].Role != protocol.TeachOwner {
		t.Fatalf("the assistant's view: you %q, teachers %+v", tv.You, tv.Teachers)
	}
	if !tv.Paused {
		t.Fatal("the assistant's pause did not pause the class")
	}
	evs, err := m.ReadLog(ctx, info.ID, 1, res.Offset)
	if err != nil {
		t.Fatal(err)
	}
	by := map[protocol.EventType]*protocol.ActedBy{}
	for _, ev := range evs {
		if ev.Type != protocol.EvReply {
			by[ev.Type] = ev.By
		}
	}
	if b := by[protocol.EvClassPaused]; b == nil || b.Teacher != assistantC || b.Name != "Ms Chen" {
		t.Errorf("class_paused by %+v", b)
	}
	if b := by[protocol.EvAnnouncement]; b == nil || b.Teacher != coTeacherB || b.Name != "Mr Brown" {
		t.Errorf("announcement by %+v", b)
	}
	if b := by[protocol.EvShare]; b == nil || b.Teacher != teacherA {
		t.Errorf("share by %+v", b)
	}
	if b := by[protocol.EvStudentJoined]; b != nil {
		t.Errorf("a student's join says it was by teacher %+v", b)
	}

	// The class is in the lists of the teachers it is shared with.
	list, _, err := m.Rooms(ctx, coTeacherB, Page{})
	if err != nil || len(list) != 1 || list[0].ID != info.ID || list[0].Role != protocol.TeachCoTeacher || list[0].OwnerName != "Ms Okafor" {
		t.Fatalf("the co-teacher's list: %+v %v", list, err)
	}
	own, _, err := m.Rooms(ctx, teacherA, Page{})
	if err != nil || len(own) != 1 || own[0].Role != protocol.TeachOwner {
		t.Fatalf("the owner's list: %+v %v", own, err)
	}
	if r, err := m.TeachRole(ctx, info, assistantC); err != nil || r != protocol.TeachAssistant {
		t.Fatalf("the assistant's role: %q %v", r, err)
	}

	// Revoked: no snapshot, no command, not in the list.
	if _, err := m.Unshare(ctx, teacherA, "Ms Okafor", info.ID, assistantC); err != nil {
		t.Fatal(err)
	}
	_, err = doAs(t, m, info.ID, protocol.CmdSnapshot, assistantC, "Ms Chen", nil)
	// Told apart from a class never shared (forbidden): the console
	// closes with 4007.
	wantCode(t, "a revoked teacher's snapshot", err, protocol.CodeUnauthorized)
	_, err = doAs(t, m, info.ID, protocol.MsgResumeClass, assistantC, "Ms Chen", struct{}{})
	wantCode(t, "a revoked teacher's command", err, protocol.CodeForbidden)
	if list, _, err := m.Rooms(ctx, assistantC, Page{}); err != nil || len(list) != 0 {
		t.Fatalf("the revoked teacher's list: %+v %v", list, err)
	}
	if r, _ := m.TeachRole(ctx, info, assistantC); r != "" {
		t.Fatalf("the revoked teacher's role: %q", r)
	}
	_, err = m.Unshare(ctx, teacherA, "Ms Okafor", info.ID, assistantC)
	wantCode(t, "revoking again", err, protocol.CodeNotFound)
	// A co-teacher may leave a class shared with them.
	if _, err := m.Unshare(ctx, coTeacherB, "Mr Brown", info.ID, coTeacherB); err != nil {
		t.Fatalf("the co-teacher leaves: %v", err)
	}

	rep, err := m.Report(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Teachers) != 3 || rep.Teachers[0].Role != protocol.TeachOwner || rep.Teachers[1].ID != coTeacherB || rep.Teachers[1].Unshared == 0 || rep.Teachers[2].Shared == 0 {
		t.Fatalf("report teachers: %+v", rep.Teachers)
	}
	var whats []string
	for _, a := range rep.Actions {
		whats = append(whats, a.Name+": "+a.What)
	}
	for _, want := range []string{
		"Ms Okafor: shared the class with Mr Brown as co-teacher",
		"Ms Chen: paused the class",
		"Mr Brown: announced for Olivia: Tidy up",
		"Ms Okafor: stopped sharing the class with Ms Chen",
		"Mr Brown: stopped sharing the class with Mr Brown",
	} {
		if !slices.Contains(whats, want) {
			t.Errorf("the report's actions %q lack %q", whats, want)
		}
	}
}

// While a class is shared its teachers see one another come and go; a
// class taught alone makes no such event.
func TestTeacherPresenceWhileShared(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	ctx := context.Background()
	info, err := m.Open(ctx, RoomInfo{Teacher: teacherA, Title: "Alone", OwnerName: "Ms Okafor"})
	if err != nil {
		t.Fatal(err)
	}
	conn := func(id protocol.TeacherID, c string, typ protocol.MsgType) {
		t.Helper()
		if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: typ, Actor: teacher(id), Conn: c}); err != nil {
			t.Fatalf("%s %s: %v", typ, c, err)
		}
	}
	online := func() map[protocol.TeacherID]bool {
		t.Helper()
		_, tv := snapshotOf(t, m, info.ID, teacher(teacherA))
		out := map[protocol.TeacherID]bool{}
		for _, tc := range tv.Teachers {
			out[tc.ID] = tc.Online
		}
		return out
	}
	conn(teacherA, "owner-1", protocol.CmdConnect)
	res, _ := snapshotOf(t, m, info.ID, teacher(teacherA))
	evs, err := m.ReadLog(ctx, info.ID, 1, res.Offset)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == protocol.EvTeacherPresence {
			t.Fatalf("a class taught alone made %s", ev.Type)
		}
	}
	// Shared: the owner, already here, is online at once; the co-teacher
	// when their console comes, and offline when their last one goes.
	if _, err := m.Share(ctx, teacherA, "Ms Okafor", info.ID, protocol.ShareClass{Teacher: coTeacherB, Name: "Mr Brown", Role: protocol.TeachCoTeacher}); err != nil {
		t.Fatal(err)
	}
	if on := online(); !on[teacherA] || on[coTeacherB] {
		t.Fatalf("after sharing: %v", on)
	}
	conn(coTeacherB, "co-1", protocol.CmdConnect)
	conn(coTeacherB, "co-2", protocol.CmdConnect)
	if on := online(); !on[coTeacherB] {
		t.Fatalf("with the co-teacher's consoles: %v", on)
	}
	conn(coTeacherB, "co-1", protocol.CmdDisconnect)
	if on := online(); !on[coTeacherB] {
		t.Fatalf("with one of two consoles gone: %v", on)
	}
	conn(coTeacherB, "co-2", protocol.CmdDisconnect)
	if on := online(); on[coTeacherB] || !on[teacherA] {
		t.Fatalf("with the co-teacher's consoles gone: %v", on)
	}
	// A stranger's console changes nothing.
	conn(strangerD, "d-1", protocol.CmdConnect)
	if on := online(); on[strangerD] {
		t.Fatalf("a stranger is online: %v", on)
	}
}
