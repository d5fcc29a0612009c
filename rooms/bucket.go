package rooms

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// openBucket creates or opens a KV bucket whose reads see the writes
// before them. A bucket's direct gets may be answered by any replica, and
// on a cluster a replica may not yet hold a key just written (a join the
// moment a class opens would be told "no such class"): the buckets of
// rooms are read through their stream's leader instead. On one server it
// makes no difference.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return nil, err
	}
	name := "KV_" + cfg.Bucket
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	if sc := st.CachedInfo().Config; sc.AllowDirect {
		sc.AllowDirect = false
		if _, err := js.UpdateStream(ctx, sc); err != nil {
			return nil, fmt.Errorf("bucket %s: reads through its leader: %w", cfg.Bucket, err)
		}
		// A bucket decides how it reads when it is opened.
		if kv, err = js.KeyValue(ctx, cfg.Bucket); err != nil {
			return nil, err
		}
	}
	return kv, nil
}
