package hub

import (
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// A fault while a class's event is delivered on this node stays with
// that class: its devices here are closed to resume (what each got is no
// longer known), the event is not lost (it is in the log, and the resume
// brings it), the fault is counted, and another class on the node, its
// teacher and its students go on as if nothing happened.
func TestDeliveryFaultResumesOnlyItsClass(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(_ *Config, rc *rooms.Config) { rc.Registerer = reg })
	tl := e.teacher()
	a := e.room(tl.Token, "Faulty")
	b := e.room(tl.Token, "Calm")
	ana, ben := e.join(a.Code, "Ana"), e.join(a.Code, "Ben")
	cy := e.join(b.Code, "Cy")
	ta, _ := e.mustConnect("teacher in A", protocol.Hello{Token: tl.Token, Room: a.ID})
	tb, _ := e.mustConnect("teacher in B", protocol.Hello{Token: tl.Token, Room: b.ID})
	anaC, _ := e.mustConnect("ana", protocol.Hello{Token: ana.Token})
	benC, _ := e.mustConnect("ben", protocol.Hello{Token: ben.Token})
	cyC, _ := e.mustConnect("cy", protocol.Hello{Token: cy.Token})
	ta.must(protocol.MsgAnnounce, protocol.Announce{Text: "before"})
	for _, c := range []*client{anaC, benC} {
		c.waitEvent(protocol.EvAnnouncement, hasText("before"))
	}
	anaFrom := anaC.resumeFrom()

	var faulty atomic.Bool
	fault := func(room protocol.RoomID, ev protocol.Event) {
		if room == a.ID && ev.Type == protocol.EvAnnouncement && faulty.CompareAndSwap(true, false) {
			panic("a bug met while delivering")
		}
	}
	e.h.pushFault.Store(&fault)
	faulty.Store(true)
	// The event is stored before it is delivered, so the fault closes
	// the class's devices here, the teacher's among them, before the
	// teacher has the answer.
	taFrom := ta.resumeFrom()
	id := ta.send(protocol.MsgAnnounce, protocol.Announce{Text: "met the fault"})
	for _, c := range []*client{ta, anaC, benC} {
		if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseRoomMoved) {
			t.Fatalf("%s closed with %d, want %d", c.name, code, protocol.CloseRoomMoved)
		}
	}
	if got := gathered(t, reg, "classhub_fanout_panics_total"); got != 1 {
		t.Errorf("%v faults counted, want 1", got)
	}

	// The other class goes on, its devices never closed.
	tb.must(protocol.MsgAnnounce, protocol.Announce{Text: "class B goes on"})
	cyC.waitEvent(protocol.EvAnnouncement, hasText("class B goes on"))
	for _, c := range []*client{tb, cyC} {
		if err := c.closedErr(); err != nil {
			t.Fatalf("%s of the other class was closed: %v", c.name, err)
		}
	}

	// The teacher's device comes back and asks again with the same
	// request ID: it gets the answer the class remembered, and the class
	// does not say it twice.
	ta2, _ := e.mustConnect("teacher in A again", protocol.Hello{Token: tl.Token, Room: a.ID, Resume: taFrom})
	data, _ := json.Marshal(protocol.Announce{Text: "met the fault"})
	retry, _ := json.Marshal(protocol.ClientFrame{V: protocol.Version, ID: id, Type: protocol.MsgAnnounce, Data: data})
	ta2.sendRaw(retry)
	if f := ta2.answer(id); f.Type != protocol.FrameResult {
		t.Fatalf("the retry got %s %v", f.Type, f.Error)
	}
	ta2.must(protocol.MsgAnnounce, protocol.Announce{Text: "after"})

	// Ana resumes from where she was and gets the event once, then the
	// class's next ones.
	anaAgain, w := e.mustConnect("ana again", protocol.Hello{Token: ana.Token, Resume: anaFrom})
	if !w.Resumed {
		t.Fatalf("ana's resume from %d was not taken: %+v", anaFrom.Offset, w)
	}
	anaAgain.waitEvent(protocol.EvAnnouncement, hasText("after"))
	n := 0
	for _, f := range anaAgain.events(protocol.EvAnnouncement) {
		if hasText("met the fault")(f.Data) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("ana got the announcement that met the fault %d times after resuming, want 1", n)
	}
}
