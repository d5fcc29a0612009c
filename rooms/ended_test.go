package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// An ended class costs nothing at run time: its actor stops, its lease is
// given back, and loading it to read it (a snapshot, an export) adds
// nothing to its log and keeps no actor either.
func TestEndedClassHoldsNoActor(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Ana")
	if m.Owned() != 1 {
		t.Fatalf("a live class: %d actors", m.Owned())
	}
	c.must(protocol.MsgEndClass, struct{}{}, nil)
	poll(t, "the ended class's actor to stop", func() bool { return m.Owned() == 0 })
	poll(t, "the ended class's lease given back", func() bool {
		_, err := m.leases.kv.Get(context.Background(), string(c.id))
		return err != nil
	})
	info, err := m.Room(context.Background(), c.id)
	if err != nil || info.Status != protocol.StatusEnded {
		t.Fatalf("directory: %+v %v", info, err)
	}
	if _, err := m.RoomByCode(context.Background(), info.Code); err == nil {
		t.Fatal("the join code of an ended class still opens it")
	}
	last := func() uint64 {
		var snap protocol.SnapshotResult
		raw, err := c.teach(protocol.CmdSnapshot, nil)
		if err != nil || json.Unmarshal(raw, &snap) != nil {
			t.Fatalf("snapshot of an ended class: %v", err)
		}
		return snap.Offset
	}
	before := last()
	if _, err := m.ExportStudent(context.Background(), teacherA, c.id, c.students[0]); err != nil {
		t.Fatal(err)
	}
	if after := last(); after != before {
		t.Fatalf("reading an ended class appended to its log: %d → %d", before, after)
	}
	poll(t, "no actor after reading", func() bool { return m.Owned() == 0 })
	if _, err := m.Report(context.Background(), c.id); err != nil {
		t.Fatal(err)
	}
}

// A teacher's class list comes a page at a time, newest first, and takes
// up the index of earlier releases (a key without the time).
func TestClassListPages(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	var made []protocol.RoomID
	for i := range 7 {
		clk.Advance(time.Second)
		info, err := m.CreateRoom(context.Background(), teacherA, fmt.Sprintf("Class %d", i))
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, info.ID)
	}
	// One entry as an earlier release indexed it.
	old, _ := m.dir.get(context.Background(), made[2])
	if err := m.dir.kv.Delete(context.Background(), teacherKey(old)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.dir.kv.Put(context.Background(), "t."+string(teacherA)+"."+string(made[2]), nil); err != nil {
		t.Fatal(err)
	}
	var got []protocol.RoomID
	page := Page{Limit: 3}
	for pages := 0; ; pages++ {
		list, next, err := m.Rooms(context.Background(), teacherA, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 3 || pages > 3 {
			t.Fatalf("page %d has %d classes", pages, len(list))
		}
		for _, r := range list {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		page.Before = next
	}
	if len(got) != len(made) {
		t.Fatalf("listed %d classes, made %d", len(got), len(made))
	}
	for i := range made {
		if got[i] != made[len(made)-1-i] {
			t.Fatalf("class %d of the list is %s, want %s (newest first)", i, got[i], made[len(made)-1-i])
		}
	}
	other, _, err := m.Rooms(context.Background(), "6f1c2d3e-0000-4000-8000-0000000000ff", Page{})
	if err != nil || len(other) != 0 {
		t.Fatalf("another teacher's list: %v %v", other, err)
	}
}

// With retention, a class ended longer ago than it is removed whole: its
// log (in its shard), its snapshot, its directory entries; a class within
// retention, and one a node runs, stay.
func TestRetentionRemovesWholeClasses(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use, func(c *Config) { c.Retention = 30 * 24 * time.Hour })
	old := newClass(t, m, "Ana")
	if _, err := m.Share(context.Background(), teacherA, "Ms A", old.id, protocol.ShareClass{Teacher: coTeacherB, Name: "Mr B", Role: protocol.TeachCoTeacher}); err != nil {
		t.Fatal(err)
	}
	old.must(protocol.MsgEndClass, struct{}{}, nil)
	poll(t, "the ended class's actor to stop", func() bool { return m.Owned() == 0 })
	clk.Advance(20 * 24 * time.Hour)
	recent := newClass(t, m, "Ben")
	recent.must(protocol.MsgEndClass, struct{}{}, nil)
	live := newClass(t, m, "Cai")
	clk.Advance(15 * 24 * time.Hour)

	p, _, err := m.logs.pointer(context.Background(), old.id)
	if err != nil {
		t.Fatal(err)
	}
	// An actor is forgotten by its node before it has saved its snapshot
	// and given its lease back; a class whose lease is held is left for
	// the next round.
	released := func(id protocol.RoomID) bool {
		_, err := m.leases.kv.Get(context.Background(), string(id))
		return errors.Is(err, jetstream.ErrKeyNotFound)
	}
	poll(t, "actors of ended classes stopped", func() bool { return m.Owned() == 1 && released(old.id) && released(recent.id) })
	n, err := m.removeExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("removed %d classes (%v), want the one ended 35 days ago", n, err)
	}
	if _, err := m.ReadLog(context.Background(), old.id, 1, 10); !errors.Is(err, ErrNoRoom) {
		t.Fatalf("the removed class's log: %v, want ErrNoRoom", err)
	}
	info, err := m.logs.shards[p.Shard].Info(context.Background(), jetstream.WithSubjectFilter(protocol.LogSubject(p.Shard, old.id, p.Epoch)))
	if err != nil || len(info.State.Subjects) != 0 {
		t.Fatalf("the removed class's subject still holds %v (%v)", info.State.Subjects, err)
	}
	if _, err := m.snaps.Get(context.Background(), string(old.id)); err == nil {
		t.Fatal("the removed class's snapshot is still kept")
	}
	if _, err := m.Room(context.Background(), old.id); !errors.Is(err, ErrNoRoom) {
		t.Fatalf("the removed class is still in the directory: %v", err)
	}
	list, _, _ := m.Rooms(context.Background(), teacherA, Page{})
	if len(list) != 2 {
		t.Fatalf("the class list has %d classes, want the 2 kept", len(list))
	}
	if lister, err := m.dir.kv.ListKeysFiltered(context.Background(), "s.>"); err == nil {
		for k := range lister.Keys() {
			t.Errorf("the removed class's share is still indexed: %s", k)
		}
	}
	for _, c := range []*testClass{recent, live} {
		if _, err := c.teach(protocol.CmdSnapshot, nil); err != nil {
			t.Fatalf("a class within retention: %v", err)
		}
	}
	// The live one, opened 15 days ago, is still running: its time comes
	// only after it ended (or, never ended, after its opening) and no node
	// runs it.
	clk.Advance(30 * 24 * time.Hour)
	// The snapshot above loaded the recent ended class for that command
	// alone; its actor stops right after answering, and a class a node
	// runs is left for the next round.
	poll(t, "the recent class's actor stopped again", func() bool { return m.Owned() == 1 && released(recent.id) })
	if n, err := m.removeExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("second round removed %d (%v), want only the recent ended one", n, err)
	}
	if _, err := live.teach(protocol.CmdSnapshot, nil); err != nil {
		t.Fatalf("a running class was removed: %v", err)
	}
}

// Ending a class clears the flags still open on it, with an event each
// that the consoles receive, so that no help queue outlives its class.
func TestEndingAClassClearsItsFlags(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Ana", "Ben")
	for _, sid := range c.students {
		b, _ := json.Marshal(protocol.RaiseHand{Note: "stuck"})
		if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, Actor: student(sid), Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	open := func() (n int) {
		for _, f := range c.view().Flags {
			if f.Status != protocol.FlagCleared && f.Status != protocol.FlagResolved {
				n++
			}
		}
		return n
	}
	poll(t, "a help flag on each student", func() bool { return open() == 2 })
	c.must(protocol.MsgEndClass, struct{}{}, nil)
	if n := open(); n != 0 {
		t.Fatalf("%d flags still open on an ended class", n)
	}
	cleared := 0
	for _, ev := range c.log() {
		if ev.Type == protocol.EvFlag {
			var d protocol.FlagChanged
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Change == "clear" && d.Flag.Status == protocol.FlagCleared {
				cleared++
			}
		}
		if ev.Type == protocol.EvClassEnded && cleared != 2 {
			t.Fatalf("%d flags cleared before the class ended, want 2", cleared)
		}
	}
}

// Nobody is here in an ended class: the students, the owner and the
// co-teacher were all on it when it ended, a hand was up, and none of
// the consoles or devices said goodbye before it ended. Every view of it
// shows no one online and no hand up, and the class's teachers none here
// now, even though its state keeps the presence the last events left.
func TestEndedClassShowsNobodyHere(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	ctx := context.Background()
	c := newClass(t, m, "Ana", "Ben")
	if _, err := m.Share(ctx, teacherA, "Ms Rivera", c.id, protocol.ShareClass{Teacher: coTeacherB, Name: "Mr Brown", Role: protocol.TeachCoTeacher}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		who  protocol.Actor
		conn string
	}{{teacher(teacherA), "t-a"}, {teacher(coTeacherB), "t-b"}} {
		if _, err := m.Do(ctx, protocol.Command{Room: c.id, Type: protocol.CmdConnect, Actor: a.who, Conn: a.conn}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := do(t, m, c.id, protocol.MsgRaiseHand, student(c.students[0]), protocol.RaiseHand{Note: "stuck"}); err != nil {
		t.Fatal(err)
	}
	projector := protocol.Actor{Role: protocol.RoleProjector}
	wall := func() protocol.ProjectorView {
		t.Helper()
		res, _ := snapshotOf(t, m, c.id, projector)
		var pv protocol.ProjectorView
		if err := json.Unmarshal(res.View, &pv); err != nil {
			t.Fatal(err)
		}
		return pv
	}
	// Open: everyone here, the hand up.
	before := c.view()
	for _, tc := range before.Teachers {
		if !tc.Online {
			t.Fatalf("teacher %s not here in the open class: %+v", tc.Name, before.Teachers)
		}
	}
	if len(before.Students) != 2 || !before.Students[0].Online || !before.Students[1].Online || !before.Students[0].Hand {
		t.Fatalf("the open class's roster: %+v", before.Students)
	}
	if pv := wall(); pv.Online != 2 {
		t.Fatalf("the projector counts %d online in the open class, want 2", pv.Online)
	}

	c.must(protocol.MsgEndClass, struct{}{}, nil)
	for _, who := range []protocol.Actor{teacher(teacherA), teacher(coTeacherB)} {
		_, tv := snapshotOf(t, m, c.id, who)
		if tv.Status != protocol.StatusEnded {
			t.Fatalf("status %s after the end", tv.Status)
		}
		for _, tc := range tv.Teachers {
			if tc.Online {
				t.Errorf("%s's view of the ended class shows %s here now", who.Teacher, tc.Name)
			}
		}
		for _, st := range tv.Students {
			if st.Online || st.Hand || st.Note != "" {
				t.Errorf("%s's view of the ended class shows %+v", who.Teacher, st)
			}
		}
	}
	var sv protocol.StudentView
	res, _ := snapshotOf(t, m, c.id, student(c.students[0]))
	if err := json.Unmarshal(res.View, &sv); err != nil {
		t.Fatal(err)
	}
	if sv.Me.Online || sv.Me.Hand {
		t.Errorf("Ana's own view of the ended class: %+v", sv.Me)
	}
	if pv := wall(); pv.Online != 0 {
		t.Errorf("the projector counts %d online in the ended class", pv.Online)
	}
	// The teachers' list the share commands answer with says the same.
	out, err := m.Share(ctx, teacherA, "Ms Rivera", c.id, protocol.ShareClass{Teacher: coTeacherB, Name: "Mr Brown", Role: protocol.TeachAssistant})
	if err != nil {
		t.Fatal(err)
	}
	var list []protocol.ClassTeacher
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	for _, tc := range list {
		if tc.Online {
			t.Errorf("the share's answer shows %s here now in the ended class", tc.Name)
		}
	}
}
