package jsstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/rooms/natstest"
)

// writes counts the stream creations and updates JetStream is asked
// for on nc's account.
type writes struct {
	nc *nats.Conn
	ch chan *nats.Msg
	n  int64
}

func countWrites(t *testing.T, nc *nats.Conn) *writes {
	t.Helper()
	w := &writes{nc: nc, ch: make(chan *nats.Msg, 1024)}
	for _, subj := range []string{"$JS.API.STREAM.CREATE.*", "$JS.API.STREAM.UPDATE.*"} {
		// A channel, not a callback: a message is in it once the client
		// has read it, so after a round trip every request before it is.
		sub, err := nc.ChanSubscribe(subj, w.ch)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

// count is the writes seen so far: a request sent on nc before the
// round trip is delivered to nc's subscriptions before its answer.
func (w *writes) count(t *testing.T) int64 {
	t.Helper()
	if err := w.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case <-w.ch:
			w.n++
		default:
			return w.n
		}
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestKeyValueOpensExistingWithoutWriting(t *testing.T) {
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	w := countWrites(t, nc)
	cfg := jetstream.KeyValueConfig{Bucket: "things", History: 1, Storage: jetstream.FileStorage}

	kv, err := KeyValue(ctx(t), js, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	created := w.count(t)
	if created == 0 {
		t.Fatal("no creation seen: the count would prove nothing")
	}
	if _, err := kv.Put(ctx(t), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx(t), "KV_things")
	if err != nil {
		t.Fatal(err)
	}
	if st.CachedInfo().Config.AllowDirect {
		t.Fatal("direct gets still on for a bucket read through its leader")
	}

	for range 3 {
		kv, err = KeyValue(ctx(t), js, cfg, true)
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := w.count(t); got != created {
		t.Fatalf("opening an existing bucket as it is sent %d writes", got-created)
	}
	e, err := kv.Get(ctx(t), "k")
	if err != nil || string(e.Value()) != "v" {
		t.Fatalf("get through the reopened handle: %v %v", e, err)
	}

	// Opened by a part that reads it directly: left as it is, not turned
	// back and forth at each start.
	if _, err := KeyValue(ctx(t), js, cfg, false); err != nil {
		t.Fatal(err)
	}
	if got := w.count(t); got != created {
		t.Fatalf("a direct reader of a leader-read bucket sent %d writes", got-created)
	}
}

func TestKeyValueChangedLimitsAreApplied(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	cfg := jetstream.KeyValueConfig{Bucket: "leases", History: 1, TTL: time.Minute, Storage: jetstream.FileStorage}
	if _, err := KeyValue(ctx(t), js, cfg, false); err != nil {
		t.Fatal(err)
	}
	cfg.TTL, cfg.History = 2*time.Minute, 3
	if _, err := KeyValue(ctx(t), js, cfg, false); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx(t), "KV_leases")
	if err != nil {
		t.Fatal(err)
	}
	if sc := st.CachedInfo().Config; sc.MaxAge != 2*time.Minute || sc.MaxMsgsPerSubject != 3 {
		t.Fatalf("limits not applied: max age %v, history %d", sc.MaxAge, sc.MaxMsgsPerSubject)
	}
}

func TestStreamOpensExistingWithoutWriting(t *testing.T) {
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	w := countWrites(t, nc)
	cfg := jetstream.StreamConfig{
		Name: "LOG", Subjects: []string{"log.>"}, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld, DenyDelete: true,
	}
	if _, err := Stream(ctx(t), js, cfg); err != nil {
		t.Fatal(err)
	}
	created := w.count(t)
	if _, err := Stream(ctx(t), js, cfg); err != nil {
		t.Fatal(err)
	}
	if got := w.count(t); got != created {
		t.Fatalf("opening an existing stream as it is sent %d writes", got-created)
	}
	cfg.MaxAge = time.Hour
	st, err := Stream(ctx(t), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.CachedInfo().Config.MaxAge != time.Hour {
		t.Fatalf("a changed stream was not updated: max age %v", st.CachedInfo().Config.MaxAge)
	}
	if w.count(t) == created {
		t.Fatal("a changed stream sent no write")
	}
}

// Nodes starting together on a new three-server cluster all open the
// same stores at once: every one gets them, and they end as wanted.
func TestOpenTogetherOnNewCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	c.WaitReady()
	const nodes = 3
	var wg sync.WaitGroup
	errs := make(chan error, nodes*4)
	for n := range nodes {
		_, js := c.Connect(t, n%c.Size())
		wg.Go(func() {
			for _, b := range []string{"a", "b", "c"} {
				cfg := jetstream.KeyValueConfig{Bucket: b, History: 1, Storage: jetstream.FileStorage, Replicas: 3}
				if _, err := KeyValue(ctx(t), js, cfg, true); err != nil {
					errs <- fmt.Errorf("node %d, bucket %s: %w", n, b, err)
				}
			}
			if _, err := Stream(ctx(t), js, jetstream.StreamConfig{
				Name: "LOG", Subjects: []string{"log.>"}, Storage: jetstream.FileStorage, Replicas: 3,
			}); err != nil {
				errs <- fmt.Errorf("node %d, stream: %w", n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, js := c.Connect(t, 0)
	for _, b := range []string{"a", "b", "c"} {
		st, err := js.Stream(ctx(t), "KV_"+b)
		if err != nil {
			t.Fatal(err)
		}
		if sc := st.CachedInfo().Config; sc.AllowDirect || sc.Replicas != 3 {
			t.Errorf("bucket %s: direct gets %v, replicas %d", b, sc.AllowDirect, sc.Replicas)
		}
	}
}

// A bucket read through its leader is made with the layout the NATS
// client gives a bucket, but for direct gets: the client's handle and
// other tools read it as any bucket.
func TestLeaderBucketHasTheClientsLayout(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	for _, cfg := range []jetstream.KeyValueConfig{
		{Bucket: "plain", Storage: jetstream.FileStorage},
		{Bucket: "limits", History: 5, TTL: time.Minute, MaxBytes: 1 << 20, MaxValueSize: 1024, Storage: jetstream.MemoryStorage, Description: "d"},
	} {
		client, err := js.CreateKeyValue(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		mine := cfg
		mine.Bucket = "mine_" + cfg.Bucket
		if _, err := KeyValue(ctx(t), js, mine, true); err != nil {
			t.Fatal(err)
		}
		want, err := js.Stream(ctx(t), "KV_"+client.Bucket())
		if err != nil {
			t.Fatal(err)
		}
		got, err := js.Stream(ctx(t), "KV_"+mine.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		w, g := want.CachedInfo().Config, got.CachedInfo().Config
		if g.AllowDirect {
			t.Errorf("%s: direct gets on", mine.Bucket)
		}
		w.Name, w.Subjects, w.AllowDirect, w.Metadata = g.Name, g.Subjects, g.AllowDirect, g.Metadata
		if wj, gj := fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", g); wj != gj {
			t.Errorf("%s's stream differs from the client's layout:\n client %s\n   ours %s", cfg.Bucket, wj, gj)
		}
		if g.Subjects[0] != "$KV."+mine.Bucket+".>" {
			t.Errorf("subjects %v", g.Subjects)
		}
	}
}
