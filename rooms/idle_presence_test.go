package rooms

import (
	"context"
	"encoding/json"
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
