package rooms

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// leases are room ownership: one key per room in a KV bucket whose entries
// expire after the lease TTL unless renewed. Create claims, update with the
// last revision renews, and the bucket's age limit expires a dead owner's
// lease. The lease decides who may try; the log's fence decides who may
// write.
type leases struct {
	kv   jetstream.KeyValue
	node protocol.NodeID
}

// claim takes the lease of room, returning its revision. A lease held by
// this same node ID (a restart on the same data) is taken over at once.
func (l *leases) claim(ctx context.Context, room protocol.RoomID) (uint64, error) {
	key := string(room)
	rev, err := l.kv.Create(ctx, key, []byte(l.node))
	if err == nil {
		return rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("claim lease of room %s: %w", room, whenFull(err))
	}
	e, err := l.kv.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, fmt.Errorf("claim lease of room %s: %w", room, ErrOwnedElsewhere)
		}
		return 0, fmt.Errorf("claim lease of room %s: %w", room, err)
	}
	if protocol.NodeID(e.Value()) != l.node {
		return 0, fmt.Errorf("claim lease of room %s held by %s: %w", room, e.Value(), ErrOwnedElsewhere)
	}
	rev, err = l.kv.Update(ctx, key, []byte(l.node), e.Revision())
	if full := whenFull(err); full != err {
		return 0, fmt.Errorf("reclaim lease of room %s: %w", room, full)
	}
	if err != nil {
		return 0, fmt.Errorf("reclaim lease of room %s: %w", room, ErrOwnedElsewhere)
	}
	return rev, nil
}

// renew extends the lease; an error means it was lost.
func (l *leases) renew(ctx context.Context, room protocol.RoomID, rev uint64) (uint64, error) {
	rev, err := l.kv.Update(ctx, string(room), []byte(l.node), rev)
	if err != nil {
		return 0, fmt.Errorf("renew lease of room %s: %w", room, whenFull(err))
	}
	return rev, nil
}

// release gives the lease up, if it is still ours.
func (l *leases) release(ctx context.Context, room protocol.RoomID, rev uint64) {
	_ = l.kv.Delete(ctx, string(room), jetstream.LastRevision(rev))
}
