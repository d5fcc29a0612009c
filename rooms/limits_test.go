package rooms

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// One person's commands to a class share one allowance at the class's
// owner, whichever node they come through: a student flooding through
// two nodes gets rate_limited with the wait, what they were refused did
// nothing, and another student of the class is not affected.
func TestOwnerCountsEachPerson(t *testing.T) {
	s := natstest.Start(t)
	const burst = 6
	slow := func(c *Config) { c.CommandRate, c.CommandBurst = 0.5, burst }
	nc, js := s.Connect(t)
	a := newManager(t, nc, js, "node-a", slow)
	nc2, js2 := s.Connect(t)
	b := newManager(t, nc2, js2, "node-b", slow)
	c := newClass(t, a, "Ana", "Ben")
	ana, ben := c.students[0], c.students[1]

	start := time.Now()
	var ok, limited int
	for i := range 40 {
		m := a
		if i%2 == 1 {
			m = b // the other node: the owner counts both
		}
		typ := protocol.MsgRaiseHand
		if i%2 == 1 {
			typ = protocol.MsgLowerHand
		}
		_, err := do(t, m, c.id, typ, student(ana), map[string]any{})
		var pe *protocol.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &pe) && pe.Code == protocol.CodeRateLimited:
			limited++
			if pe.RetryAfter <= 0 {
				t.Fatalf("rate_limited without a wait: %+v", pe)
			}
		default:
			t.Fatalf("command %d: %v", i, err)
		}
	}
	allowed := burst + int(time.Since(start).Seconds()*0.5) + 1
	if ok > allowed || limited == 0 {
		t.Fatalf("%d commands went through and %d were refused; at most %d may go through", ok, limited, allowed)
	}
	if got := testutil.ToFloat64(a.metrics.limited); int(got) != limited {
		t.Fatalf("refusals counted: %v, want %d", got, limited)
	}
	// Only what went through is in the log: one hand event per command
	// that changed the hand, none for those refused.
	hands := 0
	for _, ev := range c.log() {
		if ev.Type == protocol.EvHand {
			hands++
		}
	}
	if hands > ok {
		t.Fatalf("%d hand events for %d commands that went through", hands, ok)
	}
	// Another student of the class has an allowance of their own.
	if _, err := do(t, b, c.id, protocol.MsgRaiseHand, student(ben), map[string]any{}); err != nil {
		t.Fatalf("another student: %v", err)
	}
	for _, st := range c.view().Students {
		if st.ID == ben && !st.Hand {
			t.Fatal("Ben's hand is not up")
		}
	}
}

// A full store: JetStream refuses the append for want of room. The
// device is told storage_full (not an internal error), the step leaves
// nothing in the class, the refusal is counted and the node is not
// ready; once there is room again, the class goes on.
func TestStoreFullIsSaid(t *testing.T) {
	s := natstest.StartWith(t, t.TempDir(), func(o *server.Options) { o.JetStreamMaxStore = 4 << 20 })
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a", func(c *Config) { c.RequestTimeout = 2 * time.Second })
	c := newClass(t, m, "Ana")
	ctx := context.Background()
	before := c.view()

	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FILLER", Subjects: []string{"filler"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 64<<10))
	for {
		if _, err := js.Publish(ctx, "filler", big); err != nil {
			break
		}
	}
	_, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "will this be kept?"})
	if !errors.Is(err, ErrStoreFull) {
		t.Fatalf("an append to a full store: %v, want ErrStoreFull", err)
	}
	if pe := protocol.ErrorOf(err); pe.Code != protocol.CodeStorageFull || !strings.Contains(pe.Message, "storage is full") {
		t.Fatalf("the device is told %+v", pe)
	}
	if got := testutil.ToFloat64(m.metrics.appendErr); got < 1 {
		t.Fatalf("append failures counted: %v", got)
	}
	if err := m.Ready(ctx); err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("ready with a full store: %v", err)
	}
	if after := c.view(); len(after.Announcements) != len(before.Announcements) {
		t.Fatal("the refused announcement is in the class")
	}
	// The lease cannot be renewed either: the class goes on and keeps
	// saying storage_full, rather than stopping and leaving a class that
	// no node can load.
	poll(t, "a lease renewal refused by the full store", func() bool {
		m.leaseLog.mu.Lock()
		defer m.leaseLog.mu.Unlock()
		return !m.leaseLog.last.IsZero()
	})
	if _, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "still full"}); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("after a refused renewal: %v, want ErrStoreFull", err)
	}
	if m.Owned() != 1 {
		t.Fatalf("the node runs %d classes after a refused renewal, want the class still", m.Owned())
	}

	if err := js.DeleteStream(ctx, "FILLER"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "room again"}); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	if err := m.Ready(ctx); err != nil {
		t.Fatalf("not ready once appends go through: %v", err)
	}
	if n := len(c.view().Announcements); n != len(before.Announcements)+1 {
		t.Fatalf("%d announcements, want %d", n, len(before.Announcements)+1)
	}
}

// A fault that every class meets at once is logged once per interval,
// with how many lines were left out.
func TestQuietLog(t *testing.T) {
	var q quietLog
	t0 := time.Unix(1_000_000, 0)
	if n, ok := q.let(t0); !ok || n != 0 {
		t.Fatalf("the first line: %d %v", n, ok)
	}
	for i := range 3 {
		if _, ok := q.let(t0.Add(time.Duration(i+1) * time.Second)); ok {
			t.Fatalf("line %d within the interval was let through", i+2)
		}
	}
	if n, ok := q.let(t0.Add(quietInterval)); !ok || n != 3 {
		t.Fatalf("after the interval: %d %v, want 3 left out and a line", n, ok)
	}
}
