package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
)

// storeLowRecorder is what the guard tells the rooms, as the rooms'
// manager takes it.
type storeLowRecorder struct {
	why   error
	calls int
}

func (r *storeLowRecorder) SetStoreLow(why error) { r.why, r.calls = why, r.calls+1 }

// The guard refuses writes under the reserve, says so once, and takes
// them again only with an eighth more than the reserve free; a disk it
// cannot read is said once and changes nothing.
func TestDiskGuardMarks(t *testing.T) {
	var logs bytes.Buffer
	rec := &storeLowRecorder{}
	g := newDiskGuard("/data/nats", 256<<20, rec, slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry())
	var free uint64
	var fail error
	g.statfs = func(string) (uint64, error) { return free, fail }
	step := func(mibFree uint64, wantLow bool) {
		t.Helper()
		free = mibFree << 20
		g.check()
		if low := rec.why != nil; low != wantLow {
			t.Fatalf("at %d MiB free: refusing %v, want %v", mibFree, low, wantLow)
		}
		if got := testutil.ToFloat64(g.free); got != float64(free) {
			t.Fatalf("gauge %v, want %d", got, free)
		}
	}
	step(10_000, false)
	if rec.calls != 0 {
		t.Fatalf("a disk with room told the rooms %d times", rec.calls)
	}
	step(255, true)
	if !strings.Contains(rec.why.Error(), "255 MiB free") || !strings.Contains(rec.why.Error(), "288 MiB free") {
		t.Fatalf("the refusal says %q", rec.why)
	}
	step(12, true)
	if !strings.Contains(rec.why.Error(), "12 MiB free") {
		t.Fatalf("the refusal is not brought up to date: %q", rec.why)
	}
	step(270, true) // over the reserve, under the eighth more
	step(288, false)
	step(300, false)
	if n := strings.Count(logs.String(), "nearly full"); n != 1 {
		t.Fatalf("the low disk was logged %d times, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "room again"); n != 1 {
		t.Fatalf("the disk with room again was logged %d times, want once:\n%s", n, logs.String())
	}
	fail = errors.New("gone")
	step(300, false)
	step(300, false)
	if n := strings.Count(logs.String(), "cannot read"); n != 1 {
		t.Fatalf("an unreadable disk was logged %d times, want once:\n%s", n, logs.String())
	}
}

// The real binary on a disk with less room than it keeps free: it starts,
// a teacher signs in, but no class is opened (storage_full, "this was not
// saved"), /readyz fails saying why, and the metric shows the free
// space; started again with nothing kept free, the same store takes the
// class.
func TestServerRefusesChangesOnALowDisk(t *testing.T) {
	data := t.TempDir()
	free, _, err := diskSpace(data)
	if err != nil {
		t.Fatal(err)
	}
	s := startServerWith(t, data, "--min-free-disk", strconv.FormatUint(free>>20+1<<20, 10)) // a TiB more than there is
	addTeacher(t, data, "rivera@school.example", "Ms Rivera")
	var login struct{ Token string }
	s.post("/api/v1/login", "", map[string]string{"email": "rivera@school.example", "password": "correct horse battery"}, &login)
	if status, code := s.status("POST", "/api/v1/rooms", login.Token, map[string]string{"title": "Science"}); code != protocol.CodeStorageFull {
		t.Fatalf("a class opened on a full disk: %d %q, want storage_full", status, code)
	}
	if status, body := get(t, http.DefaultClient, s.url+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "--min-free-disk") {
		t.Fatalf("/readyz on a full disk: %d %s", status, body)
	}
	if _, body := get(t, http.DefaultClient, s.admin+"/metrics"); !strings.Contains(body, "classhub_store_disk_free_bytes ") {
		t.Fatal("no classhub_store_disk_free_bytes in /metrics")
	}
	if !strings.Contains(s.logs.String(), "nearly full") {
		t.Fatalf("nothing in the log about the disk:\n%s", tail(s.logs.String(), 20))
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}

	s = startServerWith(t, data, "--min-free-disk", "0")
	s.post("/api/v1/login", "", map[string]string{"email": "rivera@school.example", "password": "correct horse battery"}, &login)
	var room struct{ ID protocol.RoomID }
	s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Science"}, &room)
	if room.ID == "" {
		t.Fatal("no class opened with room on the disk")
	}
	waitFor(t, 10*time.Second, "ready with room on the disk", func() bool {
		status, _ := get(t, http.DefaultClient, s.url+"/readyz")
		return status == http.StatusOK
	})
}

// fakeStore is the embedded server as the guard sees it.
type fakeStore struct {
	failed   bool
	restarts int
}

func (f *fakeStore) storeWriteFailed() bool              { return f.failed }
func (f *fakeStore) storeWriteFailures() <-chan struct{} { return nil }
func (f *fakeStore) restartJetStream() error {
	f.restarts++
	f.failed = false
	return nil
}

// A stream NATS failed on a write error is recovered only once the disk
// has room again, and once.
func TestDiskGuardRestartsJetStreamWithRoom(t *testing.T) {
	rec := &storeLowRecorder{}
	g := newDiskGuard("/data/nats", 256<<20, rec, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	store := &fakeStore{failed: true}
	g.store = store
	var free uint64
	g.statfs = func(string) (uint64, error) { return free, nil }
	free = 0
	g.check()
	free = 270 << 20 // over the reserve, not yet the eighth more
	g.check()
	if store.restarts != 0 {
		t.Fatal("JetStream started again on a disk still full")
	}
	free = 1 << 30
	g.check()
	g.check()
	if store.restarts != 1 {
		t.Fatalf("JetStream started again %d times, want once", store.restarts)
	}
}

// The embedded server's log line of a stream failed on a write error
// marks the node for the guard, and starting JetStream again keeps every
// stream and its messages, and takes writes.
func TestEmbeddedJetStreamStartsAgain(t *testing.T) {
	c := config{Data: t.TempDir(), NATSListen: "127.0.0.1:0"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := connectNATS(context.Background(), &c, log, false)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close(context.Background(), log)
	ctx := context.Background()
	if _, err := n.js.CreateStream(ctx, jetstream.StreamConfig{Name: "KEPT", Subjects: []string{"kept.>"}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := n.js.Publish(ctx, "kept.a", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if n.storeWriteFailed() {
		t.Fatal("a fresh server is marked failed")
	}
	n.srv.Errorf("JetStream stream '%s > %s' critical write error: %v", "$G", "KEPT", errors.New("write: no space left on device"))
	if !n.storeWriteFailed() {
		t.Fatal("the server's critical write error did not mark the node")
	}
	select {
	case <-n.storeWriteFailures():
	default:
		t.Fatal("the server's critical write error was not told")
	}
	if err := n.restartJetStream(); err != nil {
		t.Fatal(err)
	}
	if n.storeWriteFailed() {
		t.Fatal("still marked failed after JetStream started again")
	}
	waitFor(t, 10*time.Second, "a write after JetStream started again", func() bool {
		_, err := n.js.Publish(ctx, "kept.a", []byte("y"))
		return err == nil
	})
	st, err := n.js.Stream(ctx, "KEPT")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := st.Info(ctx); info.State.Msgs != 4 {
		t.Fatalf("the stream holds %d messages after JetStream started again, want 4", info.State.Msgs)
	}
}

// Unset, the reserve is --min-free-disk's default but no more than a
// twentieth of the disk: a small disk (a test's, a classroom's card) is
// not refused from its start.
func TestDefaultReserveFitsTheDisk(t *testing.T) {
	dir := t.TempDir()
	_, size, err := diskSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := defaultReserve(dir, 256)
	if got == 0 || got > 256<<20 || got > size/20 {
		t.Fatalf("reserve %d on a disk of %d bytes, want at most 256 MiB and a twentieth", got, size)
	}
	if size/20 >= 256<<20 && got != 256<<20 {
		t.Fatalf("reserve %d on a large disk, want 256 MiB", got)
	}
}
