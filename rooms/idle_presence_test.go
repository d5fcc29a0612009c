package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A student who opens the class after the teacher gave out practice is
// watched for idleness from then on, and one who leaves has their idle
// flag cleared when they are shown offline: coming and going changes who
// is expected to be working, as a pause does.
func TestIdleFollowsPresence(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Late devices")
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := m.Join(ctx, info.Code, "Olivia")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID, students: []protocol.StudentID{res.Student}, clk: clk}
	// Practice given while nobody is connected.
	c.assign("frac-equivalence", protocol.Target{})
	raw, _ := json.Marshal(nil)
	presence := func(typ protocol.MsgType) {
		t.Helper()
		if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: typ, Actor: student(res.Student), Conn: "s0", Data: raw}); err != nil {
			t.Fatal(err)
		}
	}
	presence(protocol.CmdConnect)
	poll(t, "Olivia online", func() bool {
		for _, st := range c.view().Students {
			if st.ID == res.Student && st.Online {
				return true
			}
		}
		return false
	})
	idle := func() *protocol.Flag {
		for _, f := range c.view().Flags {
			if f.Student == res.Student && f.Rule == protocol.RuleIdle {
				return &f
			}
		}
		return nil
	}
	clk.Advance(3 * time.Minute)
	poll(t, "Olivia's idle flag", func() bool { return idle() != nil })
	presence(protocol.CmdDisconnect)
	poll(t, "Olivia's idle flag cleared when she is offline", func() bool { return idle() == nil })
}

// A student's idle mark passed while the detector timer was late (or
// while the detectors were looking at someone else, a millisecond
// before it) is still seen: the room does other work in between (here
// a late device coming online, which sets the timer again), and the
// students quiet since are flagged at once, not never. Before, the
// timer was set only for marks still to come, and a class whose marks
// had all passed was never flagged idle.
func TestIdleMarkPassedWhileTheTimerWasLate(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	ctx := context.Background()
	c := newClass(t, m, "Ann", "Ben")
	c.clk = clk
	c.must(protocol.MsgSetThresholds, map[string]any{"thresholds": map[string]any{
		"idle_watch_ms": 1000, "idle_act_now_ms": 600000, "idle_class": 0}}, nil)
	c.assign("frac-equivalence", protocol.Target{})
	c.device(0).next()
	clk.Advance(time.Millisecond)
	c.device(1).next()
	// Both marks pass; the timer has not fired yet.
	clk.Skew(1500 * time.Millisecond)
	info, err := m.Room(ctx, c.id)
	if err != nil {
		t.Fatal(err)
	}
	_, late, err := m.Join(ctx, info.Code, "Cal")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(nil)
	if _, err := m.Do(ctx, protocol.Command{Room: c.id, Type: protocol.CmdConnect, Actor: student(late.Student), Conn: "late", Data: raw}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Millisecond)
	poll(t, "Ann and Ben flagged idle", func() bool {
		n := 0
		for _, f := range c.view().Flags {
			if f.Rule == protocol.RuleIdle && (f.Student == c.students[0] || f.Student == c.students[1]) {
				n++
			}
		}
		return n == 2
	})
}

// Students who last acted at different moments are flagged idle each at
// their own mark, earliest first: the detector timer is set for the
// earliest mark of the class, though it passes over the students who
// acted after the earliest mark found so far without looking at them.
func TestIdleMarksInTheOrderTheStudentsStopped(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Ann", "Ben", "Cal", "Dee", "Eve")
	c.must(protocol.MsgSetThresholds, map[string]any{"thresholds": map[string]any{
		"idle_watch_ms": 60_000, "idle_act_now_ms": 600_000, "idle_class": 0}}, nil)
	c.assign("frac-equivalence", protocol.Target{})
	devices := make([]*learnerDevice, len(c.students))
	for i := range devices {
		devices[i] = c.device(i) // no clock of their own: the test moves it
		devices[i].next()
	}
	c.clk = clk
	// The students stop in an order that is not the class's.
	order := []int{2, 0, 4, 1, 3}
	for _, i := range order {
		clk.Advance(5 * time.Second)
		devices[i].answer(true)
	}
	idle := func() map[protocol.StudentID]bool {
		out := map[protocol.StudentID]bool{}
		for _, f := range c.view().Flags {
			if f.Rule == protocol.RuleIdle {
				out[f.Student] = true
			}
		}
		return out
	}
	// The last answer was 5 s after the one before: the first to stop
	// passes their mark 40 s after the last answer, the others 5 s apart.
	clk.Advance(40*time.Second + time.Millisecond)
	for k, i := range order {
		who := c.students[i]
		poll(t, fmt.Sprintf("student %d idle at their mark", i), func() bool { return idle()[who] })
		flagged := idle()
		for _, j := range order[k+1:] {
			if flagged[c.students[j]] {
				t.Fatalf("student %d flagged idle before their mark (at student %d's)", j, i)
			}
		}
		clk.Advance(5 * time.Second)
	}
}
