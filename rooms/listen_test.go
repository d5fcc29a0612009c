package rooms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// heard is what a Listen callback got: the offsets, in the order given.
type heard struct {
	mu    sync.Mutex
	seqs  []uint64
	calls int // calls under way at once, at most 1
	twice bool
	more  chan struct{}
}

func newHeard() *heard { return &heard{more: make(chan struct{}, 1)} }

func (h *heard) f(epoch string, evs []protocol.Event) {
	h.mu.Lock()
	h.calls++
	if h.calls > 1 {
		h.twice = true
	}
	for _, ev := range evs {
		h.seqs = append(h.seqs, ev.Seq)
	}
	h.calls--
	h.mu.Unlock()
	select {
	case h.more <- struct{}{}:
	default:
	}
}

// until waits for an event at offset seq or later.
func (h *heard) until(t *testing.T, seq uint64) []uint64 {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		got := append([]uint64(nil), h.seqs...)
		h.mu.Unlock()
		if len(got) > 0 && got[len(got)-1] >= seq {
			return got
		}
		select {
		case <-h.more:
		case <-deadline:
			t.Fatalf("heard %v, waited for offset %d", got, seq)
		}
	}
}

// dense checks that offsets go up by one from the first.
func dense(t *testing.T, who string, seqs []uint64) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("%s heard %v: not each offset once, in order", who, seqs)
		}
	}
}

// The node that runs a class hands its events to its own subscribers
// without NATS, and NATS brings them to the other nodes' subscribers: each
// gets every event once, in order. On a server that knows every
// subscription at once, nothing is published while no other node listens.
func TestListenHereAndOnAnotherNode(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	interest := func(c *Config) { c.Interest = s.GlobalAccount().Interest }
	a := newManager(t, nc, js, "node-a", interest)
	b := newManager(t, nc, js, "node-b", interest)
	ctx := context.Background()
	info, err := a.CreateRoom(ctx, teacherA, "Fan-out")
	if err != nil {
		t.Fatal(err)
	}
	announce := func(texts ...string) uint64 {
		t.Helper()
		for _, text := range texts {
			if _, err := do(t, a, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		res, _ := snapshotOf(t, a, info.ID, teacher(teacherA))
		return res.Offset
	}

	// Only the owner's node listens: it hears every event, none of which
	// went out on NATS.
	here, there := newHeard(), newHeard()
	la, err := a.Listen(info.ID, here.f)
	if err != nil {
		t.Fatal(err)
	}
	first := here.until(t, announce("one", "two"))
	dense(t, "the owner's node", first)
	if n := a.live.Stats().OutMsgs; n != 0 {
		t.Errorf("%d events published with no other node listening", n)
	}

	// Another node listens: NATS brings it the events from then on.
	lb, err := b.Listen(info.ID, there.f)
	if err != nil {
		t.Fatal(err)
	}
	last := announce("three", "four")
	gotHere, gotThere := here.until(t, last), there.until(t, last)
	dense(t, "the owner's node", gotHere)
	dense(t, "the other node", gotThere)
	if gotThere[0] != first[len(first)-1]+1 {
		t.Fatalf("the other node heard from %d, want %d: the first event after it listened", gotThere[0], first[len(first)-1]+1)
	}
	if here.twice || there.twice {
		t.Fatal("a callback was called while another ran")
	}
	// What the owner's node heard did not come through NATS: the server
	// does not echo the node's own events.
	if n, _ := la.sub.Delivered(); n != 0 {
		t.Errorf("the owner's node got %d events through NATS, want 0", n)
	}
	if n, _ := lb.sub.Delivered(); n != int64(len(gotThere)) {
		t.Errorf("the other node got %d events through NATS, heard %d", n, len(gotThere))
	}

	// Stopped, a subscriber hears nothing more; the other still does.
	la.Stop()
	there.until(t, announce("after"))
	here.mu.Lock()
	n := len(here.seqs)
	here.mu.Unlock()
	if n != len(gotHere) {
		t.Fatalf("heard %d events after Stop", n-len(gotHere))
	}
	lb.Stop()
}

// A subscriber that panics takes down neither the class's actor nor the
// process: the panic is counted, the class goes on, and the subscriber
// hears the next event.
func TestListenerPanicStaysThere(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Panics")
	if err != nil {
		t.Fatal(err)
	}
	h := newHeard()
	var once sync.Once
	l, err := m.Listen(info.ID, func(epoch string, evs []protocol.Event) {
		for _, ev := range evs {
			if ev.Type == protocol.EvAnnouncement {
				once.Do(func() { panic("a subscriber's bug") })
			}
		}
		h.f(epoch, evs)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	for _, text := range []string{"first", "second"} {
		if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: text}); err != nil {
			t.Fatalf("announce %q: %v", text, err)
		}
	}
	res, _ := snapshotOf(t, m, info.ID, teacher(teacherA))
	h.until(t, res.Offset)
	if got := testutil.ToFloat64(m.metrics.listenPanics); got != 1 {
		t.Errorf("%v panics counted, want 1", got)
	}
	if got := testutil.ToFloat64(m.metrics.panics); got != 0 {
		t.Errorf("the class's actor counted %v panics of its own", got)
	}
}
