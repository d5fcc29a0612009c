package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// Erasing a student rewrites the class's log under a new epoch. A crash
// at any moment of the rewrite must leave one complete log: the whole old
// one (a crash before the pointer switched) or the whole new one (after),
// and nothing else of the class in its stream.

var errCrash = errors.New("the process died here")

// eraseClass is a class whose log is several batches long even without
// the student to erase: the student comes online, raises and lowers a hand
// many times; two others join; the teacher announces to all and to one of
// the others.
type eraseClass struct {
	room   protocol.RoomID
	erased protocol.StudentID // the student the test erases
	others []protocol.StudentID
	old    []protocol.Event // the whole log before the erasure
}

func buildEraseClass(t *testing.T, m *Manager) *eraseClass {
	t.Helper()
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Long class")
	if err != nil {
		t.Fatal(err)
	}
	c := &eraseClass{room: info.ID}
	for i, name := range []string{"Ada", "Ben", "Cy"} {
		_, res, err := m.Join(ctx, info.Code, name)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			c.erased = res.Student
		} else {
			c.others = append(c.others, res.Student)
		}
		if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdConnect, Actor: student(res.Student), Conn: "dev-" + name}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		if _, err := do(t, m, info.ID, protocol.MsgRaiseHand, student(c.erased), protocol.RaiseHand{Note: fmt.Sprintf("question %d", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := do(t, m, info.ID, protocol.MsgLowerHand, teacher(teacherA), protocol.LowerHand{Student: c.erased}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2*migrateBatch + 60 {
		a := protocol.Announce{Text: fmt.Sprintf("note %d", i)}
		if i%10 == 9 {
			a.To = c.others[0]
		}
		if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), a); err != nil {
			t.Fatal(err)
		}
	}
	c.old, _ = wholeLog(t, m, info.ID)
	if n := len(c.rewritten()); n <= 2*migrateBatch {
		t.Fatalf("the rewritten log would hold %d events; the test needs more than two batches", n)
	}
	return c
}

// rewritten is the log the erasure writes: the old one without every
// event that names the student. (No event of this class names them
// without being about them, so none is scrubbed.)
func (c *eraseClass) rewritten() []protocol.Event {
	var out []protocol.Event
	for _, ev := range c.old {
		if concerns(ev, c.erased) {
			if subjectOf(ev) != c.erased && ev.Audience.Student != c.erased {
				panic(fmt.Sprintf("event %d (%s) names the student without being about them", ev.Seq, ev.Type))
			}
			continue
		}
		ev.Seq = uint64(len(out) + 1)
		out = append(out, ev)
	}
	return out
}

// wholeLog reads the class's log from its first offset to the offset of
// a teacher's snapshot, and returns it with that snapshot's view.
func wholeLog(t *testing.T, m *Manager, room protocol.RoomID) ([]protocol.Event, json.RawMessage) {
	t.Helper()
	res, _ := snapshotOf(t, m, room, teacher(teacherA))
	evs, err := m.ReadLog(context.Background(), room, 1, res.Offset)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != res.Offset {
		t.Fatalf("the log holds %d events, the class is at %d", len(evs), res.Offset)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has offset %d: the log is not complete", i, ev.Seq)
		}
	}
	return evs, res.View
}

// checkLogIs checks that the class's log is want followed only by the
// owner_changed events of the nodes that loaded it since (and the
// erasure's record), and that the
// class's state is the fold of it.
func checkLogIs(t *testing.T, m *Manager, room protocol.RoomID, what string, want []protocol.Event) []protocol.Event {
	t.Helper()
	got, view := wholeLog(t, m, room)
	if len(got) < len(want) {
		t.Fatalf("%s: the log holds %d events, want at least %d", what, len(got), len(want))
	}
	sameEvents(t, what, got[:len(want)], want)
	for _, ev := range got[len(want):] {
		if ev.Type != protocol.EvOwnerChanged && ev.Type != protocol.EvErased {
			t.Fatalf("%s: event %d after the expected log is %s", what, ev.Seq, ev.Type)
		}
	}
	wv, _ := json.Marshal(fold(t, room, got).View(teacher(teacherA).Viewer()))
	if string(view) != string(wv) {
		t.Fatalf("%s: the class's view is not the fold of its log\n got %s\nwant %s", what, view, wv)
	}
	return got
}

// longGrace keeps a restarted node from marking the students offline
// (they were online when the node stopped) while a test reads the log.
func longGrace(c *Config) { c.Grace = time.Hour }

// crashAt is a crash hook that stops the rewrite at the nth time it
// reaches step.
func crashAt(step string, n int) func(string) error {
	seen := 0
	return func(s string) error {
		if s != step {
			return nil
		}
		seen++
		if seen == n {
			return errCrash
		}
		return nil
	}
}

// TestEraseCrashLeavesOneLog crashes an erasure at each of its steps; a
// node started again on the same data finds one complete log, the old one
// or the new one, nothing else of the class in the stream, and the
// erasure can be done again.
func TestEraseCrashLeavesOneLog(t *testing.T) {
	for _, c := range []struct {
		name     string
		step     string
		n        int
		switched bool // the crash came after the new log became the class's
	}{
		{"after the pointer names the new log pending", "pending", 1, false},
		{"after the first batch of the new log", "writing", 1, false},
		{"after the second batch of the new log", "writing", 2, false},
		{"after the last batch of the new log", "writing", 3, false},
		{"after the switch, before the old log is removed", "switched", 1, true},
		{"no crash", "", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			ns := natstest.Start(t)
			nc1, js1 := ns.Connect(t)
			// A long grace here too: should the node lose the class's
			// lease under load and load it again, the students the log
			// says are online must not go offline (no hub re-announces
			// them here) while the test compares the log.
			m1 := newManager(t, nc1, js1, "node-a", longGrace)
			cl := buildEraseClass(t, m1)
			var steps []string
			crash := crashAt(c.step, c.n)
			m1.crash = func(s string) error { steps = append(steps, s); return crash(s) }

			_, err := m1.EraseStudent(ctx, teacherA, cl.room, cl.erased)
			if c.step == "" {
				if err != nil {
					t.Fatalf("erase: %v", err)
				}
				// The old log is gone, at once, and the erased
				// student's events with it.
				checkOneSubject(t, m1, cl.room)
				checkLogIs(t, m1, cl.room, "after the erasure", cl.rewritten())
			} else if !(c.switched && err == nil) && !errors.Is(err, errCrash) && !isCrashReply(err) {
				// A failure after the switch is only a failure to clean
				// up: the erasure is done, and the next open removes the
				// old log.
				t.Fatalf("erase with a crash at %s %d: %v (steps %v)", c.step, c.n, err, steps)
			}
			t.Logf("steps reached: %v", steps)

			// The process dies: its connection goes, and its actors
			// with it (nothing they try from here reaches NATS).
			nc1.Close()
			_ = m1.Close(ctx)

			nc2, js2 := ns.Connect(t)
			m2 := newManager(t, nc2, js2, "node-a", longGrace)
			if c.switched {
				checkLogIs(t, m2, cl.room, "after a crash after the switch", cl.rewritten())
				if _, err := do(t, m2, cl.room, protocol.CmdSnapshot, student(cl.erased), nil); err == nil {
					t.Fatal("the erased student still opens the class")
				}
			} else {
				checkLogIs(t, m2, cl.room, "after a crash before the switch", cl.old)
			}
			checkOneSubject(t, m2, cl.room)

			// Erasing again works and leaves one log.
			target := cl.erased
			if c.switched {
				target = cl.others[1]
			}
			if _, err := m2.EraseStudent(ctx, teacherA, cl.room, target); err != nil {
				t.Fatalf("erase again: %v", err)
			}
			checkOneSubject(t, m2, cl.room)
			got, _ := wholeLog(t, m2, cl.room)
			for _, ev := range got {
				if concerns(ev, target) || concerns(ev, cl.erased) {
					t.Fatalf("event %d (%s) still names an erased student", ev.Seq, ev.Type)
				}
			}
			if _, err := do(t, m2, cl.room, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "after"}); err != nil {
				t.Fatalf("announce after erasing again: %v", err)
			}
		})
	}
}

// TestLongRewriteKeepsTheLease: a rewrite that takes longer than the
// room's lease lives, on a store this slow, once lost the lease (the
// actor's tick cannot renew it while a step runs): the erasure succeeded
// and the actor stopped at its next tick, so the next command loaded the
// class again, as after a takeover. The rewrite now renews the lease as
// it goes, and the class carries on with the same actor.
func TestLongRewriteKeepsTheLease(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	m := newManager(t, nc, js, "node-a", longGrace, func(c *Config) {
		c.LeaseTTL = 2 * time.Second
		c.RequestTimeout = time.Minute // the erasure below is slow on purpose
	})
	cl := buildEraseClass(t, m)
	// Each batch of the new log is written on a store this slow: the
	// batch is done once the lease has aged half its life, so that the
	// three batches take longer than the lease lives. And from the second
	// batch on, the lease must have been renewed since the batch before
	// (the actor's tick cannot do it while the step runs).
	var lastRev uint64
	var between error
	m.crash = func(step string) error {
		if step != "writing" {
			return nil
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		deadline := time.Now().Add(30 * time.Second)
		for {
			e, err := m.leases.kv.Get(ctx, string(cl.room))
			if err != nil {
				between = fmt.Errorf("the lease is gone during the rewrite: %w", err)
				return nil
			}
			if lastRev != 0 && e.Revision() == lastRev {
				between = errors.New("the lease was not renewed between two batches of the rewrite")
				return nil
			}
			if time.Since(e.Created()) >= m.cfg.LeaseTTL/2 {
				lastRev = e.Revision()
				return nil
			}
			if time.Now().After(deadline) {
				between = errors.New("the lease did not age half its life in 30 s")
				return nil
			}
			<-tick.C
		}
	}
	began := time.Now()
	if _, err := m.EraseStudent(ctx, teacherA, cl.room, cl.erased); err != nil {
		t.Fatalf("erase: %v", err)
	}
	if between != nil {
		t.Fatal(between)
	}
	if took := time.Since(began); took <= m.cfg.LeaseTTL {
		t.Fatalf("the erasure took %v, not longer than the lease lives (%v): the test proves nothing", took, m.cfg.LeaseTTL)
	}
	m.crash = nil
	// The actor's tick renews the lease again after the erasure; a lease
	// that ran out during it is gone instead.
	after, err := m.leases.kv.Get(ctx, string(cl.room))
	if err != nil {
		t.Fatalf("the lease is gone right after the erasure: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		e, err := m.leases.kv.Get(ctx, string(cl.room))
		if err != nil {
			t.Fatalf("the lease ran out after the erasure: %v", err)
		}
		if e.Revision() > after.Revision() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease was not renewed after the erasure")
		}
		<-tick.C
	}
	// The same actor goes on: a command appends right after the
	// erasure's own owner_changed, with no other owner_changed of a class
	// loaded again.
	checkLogIs(t, m, cl.room, "after a slow erasure", cl.rewritten())
	if _, err := do(t, m, cl.room, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "after"}); err != nil {
		t.Fatal(err)
	}
	got, _ := wholeLog(t, m, cl.room)
	var tail []protocol.EventType
	for _, ev := range got[len(cl.rewritten()):] {
		tail = append(tail, ev.Type)
	}
	if want := []protocol.EventType{protocol.EvErased, protocol.EvOwnerChanged, protocol.EvAnnouncement}; fmt.Sprint(tail) != fmt.Sprint(want) {
		t.Fatalf("after the rewritten log: %v, want %v", tail, want)
	}
}

// isCrashReply: the error as the manager reports it to the caller.
func isCrashReply(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == protocol.CodeInternal
}

// TestRewriteCleanupFailureKeepsAcknowledgedEvents: a rewrite whose
// cleanup fails after the switch once left the room's actor on the old
// log. The step after the switch is the purge of the old log and the last
// update of the pointer; either may fail (a JetStream timeout) with the
// node alive. The pointer already names the new log, but the actor keeps
// appending to the old, retired one: every command it acknowledges from
// then on is written where no reader looks, and the next load of the
// class purges it.
func TestRewriteCleanupFailureKeepsAcknowledgedEvents(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	m1 := newManager(t, nc, js, "node-a")
	cl := buildEraseClass(t, m1)
	m1.crash = crashAt("switched", 1) // as a failed purge of the old log would
	// The erasure is done once the pointer switched; the cleanup that
	// failed is left to the next open.
	if _, err := m1.EraseStudent(ctx, teacherA, cl.room, cl.erased); err != nil {
		t.Fatalf("the erasure failed after its log switched: %v", err)
	}
	m1.crash = nil
	out, err := do(t, m1, cl.room, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "acknowledged"})
	if err != nil {
		t.Fatalf("announce after the failed erasure: %v", err)
	}
	var ack struct{ Seq uint64 }
	_ = json.Unmarshal(out, &ack)
	hasIt := func(evs []protocol.Event) bool {
		for _, ev := range evs {
			if ev.Type == protocol.EvAnnouncement && string(ev.Data) == `{"text":"acknowledged"}` {
				return true
			}
		}
		return false
	}
	if evs, err := m1.ReadLog(ctx, cl.room, 1, ack.Seq); err != nil || !hasIt(evs) {
		t.Errorf("the announcement acknowledged at offset %d is not in the class's log as readers see it (%d events read, %v)", ack.Seq, len(evs), err)
	}
	if err := m1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	nc2, js2 := ns.Connect(t)
	m2 := newManager(t, nc2, js2, "node-a", longGrace)
	if all, _ := wholeLog(t, m2, cl.room); !hasIt(all) {
		t.Errorf("after a restart, the announcement acknowledged at offset %d is gone", ack.Seq)
	}
}

// TestRewriteRetriedLeavesNoOrphanLog: a rewrite that failed part way
// once left, and no longer leaves, with the node alive leaves its half-written
// log behind for good. The pointer still names it pending, but the room
// goes on, and the next erasure overwrites the pending name with its own:
// the first half-written log is named by nothing, never removed (not by a
// restart either), and holds every other student's events. Erasing one of
// those students later leaves them in it.
func TestRewriteRetriedLeavesNoOrphanLog(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	m1 := newManager(t, nc, js, "node-a")
	cl := buildEraseClass(t, m1)
	m1.crash = crashAt("writing", 1) // as a failed append of the second batch would
	if _, err := m1.EraseStudent(ctx, teacherA, cl.room, cl.erased); err == nil {
		t.Fatal("the erasure did not fail")
	}
	m1.crash = nil
	// The teacher tries again, and it works; later a second student is
	// erased.
	if _, err := m1.EraseStudent(ctx, teacherA, cl.room, cl.erased); err != nil {
		t.Fatalf("erase again: %v", err)
	}
	cy := cl.others[1]
	if _, err := m1.EraseStudent(ctx, teacherA, cl.room, cy); err != nil {
		t.Fatalf("erase a second student: %v", err)
	}
	if err := m1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	nc2, js2 := ns.Connect(t)
	m2 := newManager(t, nc2, js2, "node-a", longGrace)
	wholeLog(t, m2, cl.room) // loads the class, which removes what a load removes
	p, _, err := m2.logs.pointer(ctx, cl.room)
	if err != nil {
		t.Fatal(err)
	}
	all, err := fetchEvents(ctx, js2, protocol.LogStream(p.Shard), fmt.Sprintf("%s.log.%d.%s.>", protocol.SubjectPrefix, p.Shard, cl.room), 1, 0, 1<<20, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		for _, sid := range []protocol.StudentID{cl.erased, cy} {
			if concerns(ev, sid) {
				t.Fatalf("an erased student is still in the class's stream: %s event at offset %d: %s", ev.Type, ev.Seq, ev.Data)
			}
		}
	}
	checkOneSubject(t, m2, cl.room)
}
