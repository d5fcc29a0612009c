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
