package rooms

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/jsstore"
)

// openBucket creates or opens a KV bucket whose reads see the writes
// before them. A bucket's direct gets may be answered by any replica, and
// on a cluster a replica may not yet hold a key just written (a join the
// moment a class opens would be told "no such class"): the buckets of
// rooms are read through their stream's leader instead. On one server it
// makes no difference.
//
// A handle decides how it reads when it is opened, from the stream's
// configuration then; and a bucket is created with direct gets on, which
// its creator turns off just after. So on a cluster whose nodes start
// together for the first time, a node may hold a handle that reads
// directly from a stream that no longer answers direct reads: every read
// of it is "no responders". The handle returned is opened again, reading
// through the leader, when that happens.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := jsstore.KeyValue(ctx, js, cfg, true)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	l := &leaderKV{js: js, bucket: cfg.Bucket}
	l.cur.Store(&kv)
	return l, nil
}

// leaderReads turns the bucket's direct gets off if they are on, and
// opens it.
func leaderReads(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	st, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if sc := st.CachedInfo().Config; sc.AllowDirect {
		sc.AllowDirect = false
		if _, err := js.UpdateStream(ctx, sc); err != nil {
			return nil, fmt.Errorf("bucket %s: reads through its leader: %w", bucket, err)
		}
	}
	return js.KeyValue(ctx, bucket)
}

// leaderKV is a bucket handle that is opened again when its reads find
// no responders (see openBucket).
type leaderKV struct {
	js     jetstream.JetStream
	bucket string
	cur    atomic.Pointer[jetstream.KeyValue]
}

func (l *leaderKV) kv() jetstream.KeyValue { return *l.cur.Load() }

// retry runs op, and once more on a handle opened again if it found no
// responders.
func retryReads[T any](ctx context.Context, l *leaderKV, op func(jetstream.KeyValue) (T, error)) (T, error) {
	v, err := op(l.kv())
	if !errors.Is(err, nats.ErrNoResponders) {
		return v, err
	}
	kv, rerr := leaderReads(ctx, l.js, l.bucket)
	if rerr != nil {
		return v, errors.Join(err, rerr)
	}
	l.cur.Store(&kv)
	return op(kv)
}

func (l *leaderKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	return retryReads(ctx, l, func(kv jetstream.KeyValue) (jetstream.KeyValueEntry, error) { return kv.Get(ctx, key) })
}

func (l *leaderKV) GetRevision(ctx context.Context, key string, revision uint64) (jetstream.KeyValueEntry, error) {
	return retryReads(ctx, l, func(kv jetstream.KeyValue) (jetstream.KeyValueEntry, error) {
		return kv.GetRevision(ctx, key, revision)
	})
}

// Create reads the key when it exists (a deleted key may be created
// again), so it can find no responders too; and then it says the key
// exists, which the handle opened again corrects.
func (l *leaderKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	rev, err := l.kv().Create(ctx, key, value, opts...)
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	if _, gerr := l.kv().Get(ctx, key); !errors.Is(gerr, nats.ErrNoResponders) {
		return rev, err
	}
	kv, rerr := leaderReads(ctx, l.js, l.bucket)
	if rerr != nil {
		return rev, errors.Join(err, rerr)
	}
	l.cur.Store(&kv)
	return kv.Create(ctx, key, value, opts...)
}

func (l *leaderKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	return l.kv().Put(ctx, key, value)
}

func (l *leaderKV) PutString(ctx context.Context, key string, value string) (uint64, error) {
	return l.kv().PutString(ctx, key, value)
}

func (l *leaderKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	return l.kv().Update(ctx, key, value, revision)
}

func (l *leaderKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return l.kv().Delete(ctx, key, opts...)
}

func (l *leaderKV) Purge(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	return l.kv().Purge(ctx, key, opts...)
}

func (l *leaderKV) Watch(ctx context.Context, keys string, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	return l.kv().Watch(ctx, keys, opts...)
}

func (l *leaderKV) WatchAll(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	return l.kv().WatchAll(ctx, opts...)
}

func (l *leaderKV) WatchFiltered(ctx context.Context, keys []string, opts ...jetstream.WatchOpt) (jetstream.KeyWatcher, error) {
	return l.kv().WatchFiltered(ctx, keys, opts...)
}

func (l *leaderKV) Keys(ctx context.Context, opts ...jetstream.WatchOpt) ([]string, error) {
	return l.kv().Keys(ctx, opts...)
}

func (l *leaderKV) ListKeys(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyLister, error) {
	return l.kv().ListKeys(ctx, opts...)
}

func (l *leaderKV) ListKeysFiltered(ctx context.Context, filters ...string) (jetstream.KeyLister, error) {
	return l.kv().ListKeysFiltered(ctx, filters...)
}

func (l *leaderKV) History(ctx context.Context, key string, opts ...jetstream.WatchOpt) ([]jetstream.KeyValueEntry, error) {
	return l.kv().History(ctx, key, opts...)
}

func (l *leaderKV) Bucket() string { return l.bucket }

func (l *leaderKV) PurgeDeletes(ctx context.Context, opts ...jetstream.KVPurgeOpt) error {
	return l.kv().PurgeDeletes(ctx, opts...)
}

func (l *leaderKV) Status(ctx context.Context) (jetstream.KeyValueStatus, error) {
	return l.kv().Status(ctx)
}
