package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A snapshot is the whole state of the class, so it is saved only once the
// log since the last one is as large as that one (and SnapshotEvery events
// have passed): the snapshots cost no more than the log, however large the
// class grows, and they still come, so a restart reads a bounded part of
// the log.
func TestSnapshotsKeepToTheLog(t *testing.T) {
	const every = 10
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a", func(c *Config) { c.SnapshotEvery = every })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := m.CreateRoom(ctx, teacherA, "Cadence")
	if err != nil {
		t.Fatal(err)
	}
	type saved struct {
		size int
		seq  uint64
		rev  uint64
	}
	var (
		mu    sync.Mutex
		snaps []saved
		seen  = make(chan struct{}, 1)
	)
	w, err := m.snaps.Watch(ctx, string(info.ID), jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	go func() {
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var rec snapshotRecord
			if err := json.Unmarshal(e.Value(), &rec); err != nil {
				t.Errorf("snapshot at revision %d: %v", e.Revision(), err)
				continue
			}
			mu.Lock()
			snaps = append(snaps, saved{len(e.Value()), rec.State.Seq, e.Revision()})
			mu.Unlock()
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	}()

	// The class grows (its state with it: students, then the last 50
	// announcements, of many lengths) while events of many sizes come.
	for i := range 30 {
		if _, _, err := m.JoinAs(ctx, info.Code, protocol.JoinRoom{Name: fmt.Sprintf("Student %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 600 {
		text := strings.Repeat(string(rune('a'+i%26)), 1+(i*37)%400)
		if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: text}); err != nil {
			t.Fatalf("announce %d: %v", i, err)
		}
	}

	// Every snapshot saved so far has reached the watcher.
	last, err := m.snaps.Get(ctx, string(info.ID))
	if err != nil {
		t.Fatalf("no snapshot saved: %v", err)
	}
	for {
		mu.Lock()
		n := len(snaps)
		done := n > 0 && snaps[n-1].rev >= last.Revision()
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-seen:
		case <-ctx.Done():
			t.Fatalf("the watcher saw %d snapshots, not the one at revision %d", n, last.Revision())
		}
	}
	mu.Lock()
	got := append([]saved(nil), snaps...)
	mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d snapshots over %d events; the log is many times their size", len(got), got[len(got)-1].seq)
	}
	logTotal, snapTotal := 0, 0
	for i := 1; i < len(got); i++ {
		prev, cur := got[i-1], got[i]
		evs, err := m.ReadLog(ctx, info.ID, prev.seq+1, cur.seq)
		if err != nil {
			t.Fatal(err)
		}
		between := 0
		for j := range evs {
			b, _ := json.Marshal(&evs[j])
			between += len(b)
		}
		if cur.seq-prev.seq < every || between < prev.size {
			t.Errorf("snapshot %d at offset %d: %d events and %d bytes of log after the one at %d of %d bytes; want at least %d events and as many bytes",
				i, cur.seq, cur.seq-prev.seq, between, prev.seq, prev.size, every)
		}
		logTotal += between
		snapTotal += cur.size
	}
	// Each snapshot's size is at most the log since the one before, plus
	// what the class grew by meanwhile: their sum stays near the log's.
	if snapTotal > 2*logTotal {
		t.Errorf("snapshots of %d bytes in all for %d bytes of log", snapTotal, logTotal)
	}
	t.Logf("%d snapshots over %d events: %d bytes against %d bytes of log", len(got), got[len(got)-1].seq, snapTotal, logTotal)
}
