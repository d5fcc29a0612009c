package rooms

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// Ready holds while JetStream answers and the log streams can be read; a
// lost store makes it fail with the reason, an append it refused is
// counted, undone and reported, and Ready holds again once appends go
// through.
func TestReadyFollowsTheStore(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a", func(c *Config) { c.RequestTimeout = time.Second })
	c := newClass(t, m, "Ana")
	ctx := context.Background()
	if err := m.Ready(ctx); err != nil {
		t.Fatalf("a fresh node is not ready: %v", err)
	}
	before := c.view()

	// A log stream that cannot be written: JetStream refuses the append.
	p, _, err := m.logs.pointer(ctx, c.id)
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.logs.shards[p.Shard].CachedInfo().Config
	cfg.Sealed = true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "lost?"}); err == nil {
		t.Fatal("an announcement went through a sealed log")
	}
	if got := testutil.ToFloat64(m.metrics.appendErr); got != 1 {
		t.Fatalf("append failures counted: %v, want 1", got)
	}
	if err := m.Ready(ctx); err == nil || !strings.Contains(err.Error(), "append") {
		t.Fatalf("ready after a refused append: %v", err)
	}
	if after := c.view(); len(after.Announcements) != len(before.Announcements) {
		t.Fatal("the refused step is still in the class's state")
	}

	// The store gone: not ready, and says so.
	s.Stop()
	sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := m.Ready(sctx); err == nil {
		t.Fatal("ready without JetStream")
	}
}
