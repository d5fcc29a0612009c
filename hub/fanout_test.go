package hub

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
)

// A node that missed events (an owner that died between the append and
// the fan-out) reads them from the log when the next one arrives, without
// the room's lock, and its devices get every event once, in order.
func TestGapFilledFromTheLog(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Gaps")
	st := e.join(info.Code, "Ada")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	sc, _ := e.mustConnect("ada", protocol.Hello{Token: st.Token})
	tc.waitEvent(protocol.EvPresence, about(st.Student))
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "before"})
	sc.waitEvent(protocol.EvAnnouncement, hasText("before"))

	e.h.mu.Lock()
	hr := e.h.rooms[info.ID]
	e.h.mu.Unlock()
	// The node stops hearing the room; the room goes on.
	hr.sub.Stop()
	missed := []string{"missed 1", "missed 2", "missed 3"}
	for _, text := range missed {
		tc.must(protocol.MsgAnnounce, protocol.Announce{Text: text})
	}
	sub, err := e.h.cfg.Rooms.Listen(info.ID, hr.onEvent)
	if err != nil {
		t.Fatal(err)
	}
	e.h.mu.Lock()
	hr.sub = sub
	e.h.mu.Unlock()
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "after"})
	sc.waitEvent(protocol.EvAnnouncement, hasText("after"))

	if got := testutil.ToFloat64(e.h.metrics.gapFills); got != 1 {
		t.Errorf("%v gap fills, want 1", got)
	}
	var texts []string
	var last uint64
	sc.mu.Lock()
	for _, f := range sc.frames {
		if f.Type != protocol.FrameEvent {
			continue
		}
		if f.Seq <= last {
			t.Errorf("event %d after %d: out of order or twice", f.Seq, last)
		}
		last = f.Seq
		if f.Event == protocol.EvAnnouncement {
			var a protocol.Announcement
			_ = json.Unmarshal(f.Data, &a)
			texts = append(texts, a.Text)
		}
	}
	sc.mu.Unlock()
	want := append(append([]string{"before"}, missed...), "after")
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("the device got %q, want %q", texts, want)
	}
}

// Devices entering a room new to the node at the same moment share one
// subscription, made once and without the hub's lock; when the last one
// leaves the node forgets the room, and the next device subscribes anew.
func TestDevicesEnterANewRoomTogether(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "All at once")
	const n = 12
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = e.join(info.Code, fmt.Sprintf("Student %d", i)).Token
	}
	clients := make(chan *client, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c, f := e.connect(fmt.Sprintf("s%d", i), protocol.Hello{Token: tokens[i]})
			if f.Type != protocol.FrameWelcome {
				errs <- fmt.Errorf("s%d: hello answered with %s %v", i, f.Type, f.Error)
				return
			}
			clients <- c
		}()
	}
	var cs []*client
	for range n {
		select {
		case c := <-clients:
			cs = append(cs, c)
		case err := <-errs:
			t.Fatal(err)
		}
	}
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "together"})
	for _, c := range cs {
		c.waitEvent(protocol.EvAnnouncement, hasText("together"))
	}

	for _, c := range append(cs, tc) {
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		e.h.mu.Lock()
		_, held := e.h.rooms[info.ID]
		e.h.mu.Unlock()
		if !held {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("the node still holds the room after every device left")
		}
	}
	again, _ := e.mustConnect("again", protocol.Hello{Token: tokens[0]})
	tc2, _ := e.mustConnect("teacher again", protocol.Hello{Token: tl.Token, Room: info.ID})
	tc2.must(protocol.MsgAnnounce, protocol.Announce{Text: "again"})
	again.waitEvent(protocol.EvAnnouncement, hasText("again"))
}
