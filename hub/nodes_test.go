package hub

import (
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/rooms/natstest"
)

// Two nodes on one NATS: the teacher on one, the students on the other,
// the room owned by whichever node started it. Events cross over.
func TestTwoNodesOneClass(t *testing.T) {
	ns := natstest.Start(t)
	n1 := startEnv(t, ns, func(_ *Config, r *rooms.Config) { r.Node = "node-1" })
	n2 := startEnv(t, ns, func(_ *Config, r *rooms.Config) { r.Node = "node-2" })
	tl := n1.teacher()
	info := n1.room(tl.Token, "Across nodes")
	st := n2.join(info.Code, "Iris")
	if n1.rm.Owned() != 1 || n2.rm.Owned() != 0 {
		t.Fatalf("owned: node-1 %d, node-2 %d; want the room on node-1", n1.rm.Owned(), n2.rm.Owned())
	}
	tc, _ := n1.mustConnect("teacher@1", protocol.Hello{Token: tl.Token, Room: info.ID})
	sc, _ := n2.mustConnect("iris@2", protocol.Hello{Token: st.Token})
	tc.waitEvent(protocol.EvPresence, about(st.Student))
	sc.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "from node 2"})
	tc.waitEvent(protocol.EvHand, about(st.Student))
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "from node 1"})
	sc.waitEvent(protocol.EvAnnouncement, hasText("from node 1"))
}

// A node that shuts down closes its devices with 1012; when a node runs
// the room again, they resume where they were, and presence is rebuilt.
func TestResumeAcrossRestart(t *testing.T) {
	ns := natstest.Start(t)
	node := func(_ *Config, r *rooms.Config) { r.Node = "node-a" }
	e1 := startEnv(t, ns, node)
	tl := e1.teacher()
	info := e1.room(tl.Token, "Restart")
	st := e1.join(info.Code, "Noor")
	tc, _ := e1.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	sc, _ := e1.mustConnect("noor", protocol.Hello{Token: st.Token})
	tc.waitEvent(protocol.EvPresence, about(st.Student))
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "before"})
	sc.waitEvent(protocol.EvAnnouncement, hasText("before"))

	e1.stop()
	for _, c := range []*client{tc, sc} {
		if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseRestart) {
			t.Fatalf("%s closed with %d, want 1012", c.name, code)
		}
	}

	e2 := startEnv(t, ns, node)
	tc2, tw := e2.mustConnect("teacher again", protocol.Hello{Token: tl.Token, Room: info.ID, Resume: tc.resumeFrom()})
	sc2, sw := e2.mustConnect("noor again", protocol.Hello{Token: st.Token, Resume: sc.resumeFrom()})
	if !tw.Resumed || !sw.Resumed {
		t.Fatalf("not resumed after restart: teacher %+v, student %+v", tw.Reason, sw.Reason)
	}
	tc2.must(protocol.MsgAnnounce, protocol.Announce{Text: "after"})
	sc2.waitEvent(protocol.EvAnnouncement, hasText("after"))
	if got := len(sc2.events(protocol.EvAnnouncement)); got != 1 {
		t.Fatalf("after resuming Noor received %d announcements, want only the new one", got)
	}
	sc2.must(protocol.MsgRaiseHand, protocol.RaiseHand{})
	tc2.waitEvent(protocol.EvHand, about(st.Student))
}
