package rooms

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/rooms/natstest"
)

// A node opened a bucket while another node had turned its direct gets
// on (each does, for a moment, as it opens the bucket), and the other
// turned them off again: the first node's handle reads directly from a
// stream that answers no direct read. Its reads and its creates of a
// deleted key work all the same.
func TestBucketHandleOpenedWhileDirect(t *testing.T) {
	s := natstest.Start(t)
	_, js := s.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "direct_race"}); err != nil {
		t.Fatal(err)
	}
	stale, err := js.KeyValue(ctx, "direct_race") // opened while direct gets are on
	if err != nil {
		t.Fatal(err)
	}
	other, err := openBucket(ctx, js, jetstream.KeyValueConfig{Bucket: "direct_race"}) // turns them off
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := stale.Get(ctx, "k"); !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("a handle opened while direct gets were on reads %v, want no responders: the test no longer shows the fault", err)
	}

	l := &leaderKV{js: js, bucket: "direct_race"}
	l.cur.Store(&stale)
	if e, err := l.Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("Get: %v", err)
	}
	l.cur.Store(&stale)
	if err := l.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	rev, err := l.Create(ctx, "k", []byte("again"))
	if err != nil {
		t.Fatalf("Create of a deleted key: %v", err)
	}
	l.cur.Store(&stale)
	if _, err := l.Create(ctx, "k", []byte("third")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("Create of a key that exists: %v, want ErrKeyExists", err)
	}
	l.cur.Store(&stale)
	if e, err := l.GetRevision(ctx, "k", rev); err != nil || string(e.Value()) != "again" {
		t.Fatalf("GetRevision: %v", err)
	}
}
