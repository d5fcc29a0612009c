package rooms

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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

// A store whose disk is low refuses every step before it is written:
// the command is answered storage_full and undone, no class is opened,
// no lease nor snapshot is written, Ready says why; with room again, the class goes
// on where it was, nothing of the refused steps in its log.
func TestStoreLowRefusesWritesUntilThereIsRoom(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Ana")
	ctx := context.Background()
	c.must(protocol.MsgAnnounce, protocol.Announce{Text: "before"}, nil)
	logBefore := len(c.log())
	low := errors.New("12 MiB free, under the 256 MiB kept free")

	m.SetStoreLow(low)
	_, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "lost?"})
	if !errors.Is(err, ErrStoreFull) || !strings.Contains(err.Error(), "12 MiB free") {
		t.Fatalf("an announcement while the disk is low: %v, want storage_full saying why", err)
	}
	if _, err := m.CreateRoom(ctx, teacherA, "Another class"); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("a class opened while the disk is low: %v", err)
	}
	if err := m.Ready(ctx); err == nil || !strings.Contains(err.Error(), "12 MiB free") {
		t.Fatalf("ready while the disk is low: %v", err)
	}
	// Nor are leases written (the class goes on, as with a full store).
	if _, err := m.leases.claim(ctx, protocol.NewRoomID()); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("a lease claimed while the disk is low: %v", err)
	}
	if _, err := m.leases.renew(ctx, c.id, 1); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("a lease renewed while the disk is low: %v", err)
	}

	m.SetStoreLow(nil)
	c.must(protocol.MsgAnnounce, protocol.Announce{Text: "after"}, nil)

	// Low again: a stop saves no snapshot; the next node reads the class
	// from its log.
	m.SetStoreLow(low)
	snaps := snapshotRevision(t, m, c.id)
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshotRevision(t, m, c.id); got != snaps {
		t.Fatalf("a snapshot was saved while the disk is low (revision %d, was %d)", got, snaps)
	}
	c.m = newManager(t, nc, js, "node-b")
	if evs := c.log(); len(evs) != logBefore+2 { // the announcement and its reply
		t.Fatalf("log of %d events after the refused steps, want %d", len(evs), logBefore+2)
	}
	var texts []string
	for _, a := range c.view().Announcements {
		texts = append(texts, a.Text)
	}
	if strings.Join(texts, ",") != "before,after" {
		t.Fatalf("announcements %v, want before and after", texts)
	}
	if err := c.m.Ready(ctx); err != nil {
		t.Fatalf("a node with room is not ready: %v", err)
	}
}

// snapshotRevision is the revision of a room's snapshot, 0 if it has
// none.
func snapshotRevision(t *testing.T, m *Manager, id protocol.RoomID) uint64 {
	t.Helper()
	e, err := m.snaps.Get(context.Background(), string(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return e.Revision()
}
