package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// fakeClock is a clock the test moves by hand: rotation timers fire when
// it passes their time, not when the machine's clock does.
//
// Advance fires the timers it passes on the test's own goroutine, before
// it returns: a room's timer puts its fire in the actor's timer channel,
// and the actor takes a waiting fire before any waiting command, so the
// test's next command (one that moves the clock again, say) never
// overtakes a fire that was due before it. A timer armed already due (a
// deadline that passed while no node ran the class) is armed from the
// actor itself and fires on a goroutine of its own.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.UnixMilli(1_800_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	if d <= 0 {
		go f()
		t.stopped = true
	} else {
		c.timers = append(c.timers, t)
	}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// Skew moves the clock on without firing the timers due meanwhile: a
// timer that is late, as a real one is on a busy machine, while the
// actor goes on with other work.
func (c *fakeClock) Skew(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) use(cfg *Config) { cfg.Now, cfg.AfterFunc = c.Now, c.AfterFunc }

// poll waits until cond holds, failing after a generous bound.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

type testClass struct {
	t        *testing.T
	clk      *fakeClock // nil: the real clock
	m        *Manager
	id       protocol.RoomID
	students []protocol.StudentID
}

// newClass opens a class and has n students join and connect.
func newClass(t *testing.T, m *Manager, names ...string) *testClass {
	t.Helper()
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Geometry 7B")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID}
	for i, n := range names {
		_, res, err := m.Join(ctx, info.Code, n)
		if err != nil {
			t.Fatal(err)
		}
		c.students = append(c.students, res.Student)
		b, _ := json.Marshal(nil)
		if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdConnect, Actor: student(res.Student), Conn: fmt.Sprintf("s%d", i), Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// clockedClass is newClass on a node of its own whose clock is the test's.
func clockedClass(t *testing.T, names ...string) (*testClass, *fakeClock) {
	t.Helper()
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	c := newClass(t, newManager(t, nc, js, "node-a", clk.use), names...)
	c.clk = clk
	return c, clk
}

func (c *testClass) teach(typ protocol.MsgType, data any) (json.RawMessage, error) {
	c.t.Helper()
	b, _ := json.Marshal(data)
	return c.m.Do(context.Background(), protocol.Command{Room: c.id, Type: typ, Actor: teacher(teacherA), Data: b, Name: "Ms Rivera"})
}

func (c *testClass) must(typ protocol.MsgType, data any, out any) {
	c.t.Helper()
	raw, err := c.teach(typ, data)
	if err != nil {
		c.t.Fatalf("%s: %v", typ, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *testClass) view() protocol.TeacherView {
	c.t.Helper()
	_, tv := snapshotOf(c.t, c.m, c.id, teacher(teacherA))
	return tv
}

func (c *testClass) stateJSON() string {
	c.t.Helper()
	res, _ := snapshotOf(c.t, c.m, c.id, teacher(teacherA))
	return string(res.View)
}

func (c *testClass) log() []protocol.Event {
	c.t.Helper()
	res, _ := snapshotOf(c.t, c.m, c.id, teacher(teacherA))
	evs, err := c.m.ReadLog(context.Background(), c.id, 1, res.Offset)
	if err != nil {
		c.t.Fatal(err)
	}
	return evs
}

func codeOf(err error) protocol.Code {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// formGroups adds two stations and applies a two-group proposal.
func (c *testClass) formGroups(capacity int) (stations []protocol.StationID, groups []protocol.GroupID) {
	c.t.Helper()
	for _, name := range []string{"With me", "Practice"} {
		var res struct{ Station protocol.StationID }
		c.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: name, Kind: protocol.StationOnline, Capacity: capacity}}, &res)
		stations = append(stations, res.Station)
	}
	var p protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Seed: 7}}, &p)
	var applied struct{ Groups []protocol.GroupID }
	c.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID}, &applied)
	return stations, applied.Groups
}

func rotationActions(evs []protocol.Event) []protocol.RotationAction {
	var out []protocol.RotationAction
	for _, ev := range evs {
		if ev.Type != protocol.EvRotation {
			continue
		}
		var d protocol.RotationChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			panic(err)
		}
		out = append(out, d.Actions...)
	}
	return out
}

func count(acts []protocol.RotationAction, kind string) int {
	n := 0
	for _, a := range acts {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

var names = []string{"Olivia", "Noah", "Mason", "Amelia", "Judy", "Liam", "Emma", "Ava"}

func TestRotationRunsOnTheServerClock(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, names...)
	stations, groups := c.formGroups(0)

	c.must(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{
		Stations: stations, Legs: []int64{600_000, 600_000}, Auto: true,
	}}, nil)
	tv := c.view()
	if tv.Rotation == nil || len(tv.Rotation.Tracks) != 2 || tv.Rotation.Plan.WarnMs != 60_000 {
		t.Fatalf("rotation = %+v", tv.Rotation)
	}
	start := clk.Now().UnixMilli()
	if got := tv.Rotation.Tracks[0].Deadline; got != start+600_000 {
		t.Fatalf("deadline = %d, want %d", got, start+600_000)
	}

	// The warning comes a minute before the end of the leg, once.
	clk.Advance(9 * time.Minute)
	poll(t, "the warnings", func() bool { return count(rotationActions(c.log()), "warn") == 2 })
	clk.Advance(30 * time.Second)
	// Then both groups move on at the deadline, to the other station.
	clk.Advance(30 * time.Second)
	poll(t, "the advance", func() bool { return count(rotationActions(c.log()), "advance") == 2 })
	tv = c.view()
	for i, tr := range tv.Rotation.Tracks {
		if tr.Leg != 1 || tr.Station != stations[(i+1)%2] {
			t.Fatalf("track %d after the first leg = %+v", i, tr)
		}
	}
	if acts := rotationActions(c.log()); count(acts, "warn") != 2 {
		t.Fatalf("warnings given %d times, want 2: %+v", count(acts, "warn"), acts)
	}

	// One group paused alone keeps its time; the other finishes.
	c.must(protocol.MsgRotate, protocol.Rotate{Action: protocol.RotatePause, Group: groups[0]}, nil)
	clk.Advance(10 * time.Minute)
	poll(t, "the second group's end", func() bool { return count(rotationActions(c.log()), "done") == 1 })
	tv = c.view()
	if tr := tv.Rotation.Tracks[0]; !tr.Paused || tr.Left != 600_000 || tr.Done {
		t.Fatalf("paused track = %+v", tr)
	}
	c.must(protocol.MsgRotate, protocol.Rotate{Action: protocol.RotateExtend, Group: groups[0], Ms: 60_000}, nil)
	c.must(protocol.MsgRotate, protocol.Rotate{Action: protocol.RotateResume, Group: groups[0]}, nil)
	clk.Advance(11 * time.Minute)
	poll(t, "the end of the rotation", func() bool { return count(rotationActions(c.log()), "finish") == 1 })
	if tv := c.view(); !tv.Rotation.Ended {
		t.Fatalf("rotation not ended: %+v", tv.Rotation)
	}
}

// rotatingClass is a class of four in two groups, on node-a with a fake
// clock, running an automatic rotation of two 10-minute legs.
func rotatingClass(t *testing.T) (*nats.Conn, jetstream.JetStream, *fakeClock, *Manager, *testClass) {
	t.Helper()
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, names[:4]...)
	stations, _ := c.formGroups(0)
	c.must(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{
		Stations: stations, Legs: []int64{600_000, 600_000}, WarnMs: 60_000, Auto: true,
	}}, nil)
	return nc, js, clk, m, c
}

func TestRotationTimersSurviveRestart(t *testing.T) {
	nc, js, clk, m, c := rotatingClass(t)
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// No node runs the class for a leg and a half: the first deadline and
	// the second leg's warning pass while it is down.
	clk.Advance(15 * time.Minute)
	m2 := newManager(t, nc, js, "node-b", clk.use)
	c.m = m2
	poll(t, "the missed advance", func() bool { return count(rotationActions(c.log()), "advance") == 2 })
	acts := rotationActions(c.log())
	if n := count(acts, "warn"); n != 0 {
		t.Fatalf("warnings of legs already over were given: %+v", acts)
	}
	for _, a := range acts {
		if a.Kind == "advance" && a.At != 1_800_000_000_000+600_000 {
			t.Fatalf("advance at %d, want the deadline %d: the schedule must stay on time", a.At, 1_800_000_000_000+600_000)
		}
	}

	// Another restart with no time passing fires nothing again.
	if err := m2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	m3 := newManager(t, nc, js, "node-a", clk.use)
	c.m = m3
	before := len(rotationActions(c.log()))
	// The second leg's warning is due at 19 min; at 19:30 it is given once.
	clk.Advance(4*time.Minute + 30*time.Second)
	poll(t, "the warning of the second leg", func() bool { return count(rotationActions(c.log()), "warn") == 2 })
	clk.Advance(30 * time.Second)
	poll(t, "the end", func() bool { return count(rotationActions(c.log()), "finish") == 1 })
	acts = rotationActions(c.log())
	if got := len(acts) - before; got != 2+2+1 {
		t.Fatalf("after the restart %d actions, want 2 warnings, 2 done, 1 finish: %+v", got, acts[before:])
	}
}

func TestInvalidMovesChangeNothing(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, names[:6]...)
	stations, groups := c.formGroups(3)
	// A stale proposal: another one was made since.
	var old, fresh protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 3}}, &old)
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2}}, &fresh)
	// Olivia leaves: her device drops and the grace period runs out.
	olivia := c.students[0]
	if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.CmdDisconnect, Actor: student(olivia), Conn: "s0"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "Olivia offline", func() bool {
		for _, st := range c.view().Students {
			if st.ID == olivia {
				return !st.Online
			}
		}
		return false
	})
	// Fill the first station: the students at it now are those of the
	// group sent there; send the others one by one.
	tv := c.view()
	var others []protocol.StudentID
	for _, st := range tv.Students {
		if st.Online {
			others = append(others, st.ID)
		}
	}
	for _, sid := range others[:3] {
		c.must(protocol.MsgMoveStudent, protocol.MoveStudent{Student: sid, Station: stations[0]}, nil)
	}
	unknown := protocol.GroupID("0b0b0b0b-0000-4000-8000-00000000000a")
	before := c.stateJSON()
	cases := []struct {
		name string
		typ  protocol.MsgType
		data any
		want protocol.Code
	}{
		{"a student who left", protocol.MsgMoveStudent, protocol.MoveStudent{Student: olivia, Group: groups[1]}, protocol.CodeAbsent},
		{"a full station", protocol.MsgMoveStudent, protocol.MoveStudent{Student: others[3], Station: stations[0]}, protocol.CodeFull},
		{"an unknown group", protocol.MsgMoveStudent, protocol.MoveStudent{Student: others[3], Group: unknown}, protocol.CodeNotFound},
		{"a stale proposal", protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: old.ID}, protocol.CodeStale},
		{"a proposal made before someone left", protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: fresh.ID}, protocol.CodeStale},
		{"no rotation", protocol.MsgRotate, protocol.Rotate{Action: protocol.RotatePause}, protocol.CodeWrongState},
		{"a rotation over a full station", protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{Stations: stations, Legs: []int64{600_000, 600_000}}}, protocol.CodeFull},
		{"infeasible groups", protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Max: 2}}, protocol.CodeInfeasible},
		{"an unknown station", protocol.MsgRemoveStation, protocol.RemoveStation{Station: protocol.StationID(unknown)}, protocol.CodeNotFound},
		{"a bad plan", protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{Stations: stations, Legs: []int64{5}}}, protocol.CodeInvalid},
	}
	for _, tc := range cases {
		_, err := c.teach(tc.typ, tc.data)
		if got := codeOf(err); got != tc.want {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
	if after := c.stateJSON(); after != before {
		t.Fatalf("refused commands changed the state:\nbefore %s\nafter  %s", before, after)
	}
	// A student may not steer the class.
	b, _ := json.Marshal(protocol.PauseClass{})
	if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgPauseClass, Actor: student(others[0]), Data: b}); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("student pause_class: err = %v, want forbidden", err)
	}
}

func TestGroupsAndPrivacy(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, names[:6]...)
	for i, sid := range c.students {
		c.must(protocol.MsgSetLevel, protocol.SetLevel{Student: sid, Level: float64(i) / 6}, nil)
	}
	var p protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{
		Method: protocol.GroupLevel, Count: 2, Apart: [][]protocol.StudentID{{c.students[0], c.students[1]}},
	}}, &p)
	if len(p.Groups) != 2 || p.Groups[0].Reason == "" {
		t.Fatalf("proposal = %+v", p)
	}
	// The teacher edits the proposal by hand: the last student moves over.
	edited := slices.Clone(p.Groups)
	last := edited[1].Members[len(edited[1].Members)-1]
	edited[1].Members = edited[1].Members[:len(edited[1].Members)-1]
	edited[0].Members = append(slices.Clone(edited[0].Members), last)
	for i := range edited {
		edited[i].Reason = ""
	}
	var applied struct{ Groups []protocol.GroupID }
	c.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID, Groups: edited}, &applied)
	tv := c.view()
	if len(tv.Groups) != 2 || len(tv.Groups[0].Members) != len(edited[0].Members) {
		t.Fatalf("groups = %+v", tv.Groups)
	}

	// A student sees their own group, not the other's, and no levels.
	res, _ := snapshotOf(t, m, c.id, student(last))
	var sv protocol.StudentView
	if err := json.Unmarshal(res.View, &sv); err != nil {
		t.Fatal(err)
	}
	if sv.Group == nil || sv.Group.ID != applied.Groups[0] || sv.Me.Level != nil {
		t.Fatalf("student view = %+v", sv)
	}
	other := applied.Groups[1]
	for _, ev := range c.log() {
		v := protocol.Viewer{Role: protocol.RoleStudent, Student: last}
		if ev.Type == protocol.EvLevel && ev.Audience.Allows(v) {
			t.Fatalf("a student may see a level: %s", ev.Data)
		}
		if ev.Type == protocol.EvProposal && ev.Audience.Allows(v) {
			t.Fatal("a student may see a proposal")
		}
		if ev.Type == protocol.EvGroup && ev.Audience.Group == other && ev.Audience.Allows(v) {
			t.Fatal("a student may see another group")
		}
	}

	// A coach of the second group sees that group only.
	coach := protocol.CoachID("c0c0c0c0-0000-4000-8000-000000000001")
	coachActor := protocol.Actor{Role: protocol.RoleCoach, Coach: coach}
	if _, err := do(t, m, c.id, protocol.CmdSnapshot, coachActor, nil); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("coach without a group: err = %v, want forbidden", err)
	}
	c.must(protocol.MsgAssignCoach, protocol.AssignCoach{Group: other, Coach: coach, Assigned: true}, nil)
	cres, cv := snapshotOf(t, m, c.id, coachActor)
	if !slices.Equal(cres.Groups, []protocol.GroupID{other}) || len(cv.Groups) != 1 || len(cv.Students) != len(edited[1].Members) || cv.Proposal != nil {
		t.Fatalf("coach view = %+v (groups %v)", cv, cres.Groups)
	}
	for _, st := range cv.Students {
		if st.Level != nil {
			t.Fatalf("a coach sees a level: %+v", st)
		}
	}
	rooms, err := m.CoachRooms(context.Background(), coach)
	if err != nil || len(rooms) != 1 || rooms[0].ID != c.id {
		t.Fatalf("coach rooms = %+v, %v", rooms, err)
	}
	// The coach comments; a student of the other group may not edit this workspace.
	b, _ := json.Marshal(protocol.EditWorkspace{Group: other, Op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "Nice start"}})
	if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgEditWorkspace, Actor: coachActor, Name: "Coach Kim", Data: b}); err != nil {
		t.Fatalf("coach comment: %v", err)
	}
	b, _ = json.Marshal(protocol.EditWorkspace{Group: other, Op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Draft")}})
	if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgEditWorkspace, Actor: student(last), Data: b}); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("outsider edit: err = %v, want forbidden", err)
	}

	// A late joiner goes into the smallest group.
	info, _ := m.Room(context.Background(), c.id)
	_, late, err := m.Join(context.Background(), info.Code, "Zoe")
	if err != nil {
		t.Fatal(err)
	}
	tv = c.view()
	for _, st := range tv.Students {
		if st.ID == late.Student && st.Group != applied.Groups[1] {
			t.Fatalf("late joiner in %q, want the smaller group %s", st.Group, applied.Groups[1])
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestWorkspaceConcurrentEdits(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, names[:4]...)
	_, groups := c.formGroups(0)
	tv := c.view()
	g := tv.Groups[0]
	a, b := g.Members[0].ID, g.Members[1].ID
	edit := func(who protocol.StudentID, op protocol.WorkspaceOp) (json.RawMessage, error) {
		raw, _ := json.Marshal(protocol.EditWorkspace{Group: groups[0], Op: op})
		return m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgEditWorkspace, Actor: student(who), Data: raw})
	}
	// Both type into the empty notes at once, from revision 0.
	if _, err := edit(a, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 0, Edits: []protocol.TextEdit{{Pos: 0, Ins: "Hypothesis: "}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := edit(b, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 0, Edits: []protocol.TextEdit{{Pos: 0, Ins: "Sources. "}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := edit(a, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Collect data")}); err != nil {
		t.Fatal(err)
	}
	ws := c.view().Workspaces[0]
	if ws.Notes != "Hypothesis: Sources. " || len(ws.Tasks) != 1 {
		t.Fatalf("workspace = %+v", ws)
	}
	task := ws.Tasks[0]
	base := task.Vers
	// Different fields of one task from the same base: both kept.
	if _, err := edit(a, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: task.ID, Base: &base, Done: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := edit(b, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: task.ID, Base: &base, Assignee: &b}); err != nil {
		t.Fatal(err)
	}
	// The same field from the same base: the second is told, not lost.
	if _, err := edit(a, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: task.ID, Base: &base, Title: ptr("Collect data (groups)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := edit(b, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: task.ID, Base: &base, Title: ptr("Collect")}); codeOf(err) != protocol.CodeStale {
		t.Fatalf("same-field edit: err = %v, want stale", err)
	}
	got := c.view().Workspaces[0].Tasks[0]
	if !got.Done || got.Assignee != b || got.Title != "Collect data (groups)" {
		t.Fatalf("task = %+v", got)
	}
	// The log replays to the same workspace on another node.
	want := c.view().Workspaces
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := js.KeyValue(context.Background(), protocol.BucketSnapshots); err != nil {
		t.Fatal(err)
	}
	kv, _ := js.KeyValue(context.Background(), protocol.BucketSnapshots)
	_ = kv.Delete(context.Background(), string(c.id)) // force a replay of the whole log
	c.m = newManager(t, nc, js, "node-b")
	gotWS := c.view().Workspaces
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(gotWS)
	if string(wj) != string(gj) {
		t.Fatalf("replayed workspaces differ:\nwant %s\ngot  %s", wj, gj)
	}
}

// A class that ends stops its rotation where it stands: class_ended is
// the last event of its log, though the rotation's deadlines pass after
// it, and however often the ended class is loaded again (for a report, a
// device's hello) with its deadlines long gone.
func TestEndedClassRecordsNoRotation(t *testing.T) {
	_, _, clk, _, c := rotatingClass(t)
	c.must(protocol.MsgEndClass, struct{}{}, nil)
	clk.Advance(9 * time.Minute)
	clk.Advance(30 * time.Minute)
	for i := range 20 {
		evs := c.log()
		if last := evs[len(evs)-1]; last.Type != protocol.EvClassEnded {
			t.Fatalf("load %d of the ended class: its log ends with %s %s", i, last.Type, last.Data)
		}
		clk.Advance(time.Minute)
	}
}
