package rooms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// Retention. With Config.Retention set, a class is removed whole once it
// ended that long ago (or, for a class never ended, once it was opened
// that long ago and no node runs it): its log's subject is purged in its
// shard, and its snapshot, log pointer and directory entries are deleted.
// One node at a time does it (a lease in the lease bucket), every
// retentionEvery, and at start.

const janitorLease = protocol.RoomID("retention")

// retentionEvery is how often the removal runs.
func (m *Manager) retentionEvery() time.Duration {
	return min(max(m.cfg.Retention/24, time.Minute), time.Hour)
}

// retain runs the removal until the manager closes.
func (m *Manager) retain(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	t := time.NewTicker(m.retentionEvery())
	defer t.Stop()
	for {
		if n, err := m.removeExpired(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("retention: removing expired classes", "removed", n, "err", err)
		} else if n > 0 {
			m.log.Info("retention: removed expired classes", "removed", n)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// removeExpired removes every class past retention and says how many.
func (m *Manager) removeExpired(ctx context.Context) (int, error) {
	if m.cfg.Retention <= 0 {
		return 0, nil
	}
	rev, err := m.leases.claim(ctx, janitorLease)
	if errors.Is(err, ErrOwnedElsewhere) {
		return 0, nil // another node is at it
	}
	if err != nil {
		return 0, err
	}
	defer m.leases.release(context.WithoutCancel(ctx), janitorLease, rev)
	lister, err := m.dir.kv.ListKeysFiltered(ctx, "r.>")
	if err != nil {
		return 0, fmt.Errorf("list classes: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	cut := m.cfg.Now().Add(-m.cfg.Retention).UnixMilli()
	n := 0
	for _, k := range keys {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		info, err := m.dir.get(ctx, protocol.RoomID(strings.TrimPrefix(k, "r.")))
		if err != nil {
			continue
		}
		since := info.Created
		if info.Status == protocol.StatusEnded && info.Ended > 0 {
			since = info.Ended
		}
		if since > cut {
			continue
		}
		removed, err := m.removeClass(ctx, info)
		if err != nil {
			return n, err
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// removeClass removes one class whole, holding its lease so that no node
// starts it meanwhile. A class that a node runs is left for the next
// round.
func (m *Manager) removeClass(ctx context.Context, info RoomInfo) (bool, error) {
	if m.local(info.ID) != nil {
		return false, nil // running here
	}
	rev, err := m.leases.claim(ctx, info.ID)
	if errors.Is(err, ErrOwnedElsewhere) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer m.leases.release(context.WithoutCancel(ctx), info.ID, rev)
	if err := m.logs.remove(ctx, info.ID); err != nil {
		return false, err
	}
	for _, key := range []string{"c." + info.Code, teacherKey(info), "t." + string(info.Teacher) + "." + string(info.ID), "r." + string(info.ID)} {
		if err := m.dir.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return false, fmt.Errorf("remove class %s: %w", info.ID, err)
		}
	}
	// The coaches' index and the shares' ("s.<teacher>.<created>.<room>").
	if lister, err := m.dir.kv.ListKeysFiltered(ctx, "k.*."+string(info.ID), "s.*.*."+string(info.ID)); err == nil {
		for k := range lister.Keys() {
			_ = m.dir.kv.Delete(ctx, k)
		}
	}
	if err := m.snaps.Purge(ctx, string(info.ID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("remove snapshot of class %s: %w", info.ID, err)
	}
	return true, nil
}

// remove purges every log of a class and its pointer.
func (ls *logStore) remove(ctx context.Context, room protocol.RoomID) error {
	p, _, err := ls.pointer(ctx, room)
	if errors.Is(err, ErrNoRoom) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, epoch := range []string{p.Epoch, p.Pending, p.Retired} {
		if epoch != "" {
			if err := ls.purge(ctx, room, p.Shard, epoch); err != nil {
				return err
			}
		}
	}
	if err := ls.kv.Purge(ctx, string(room)); err != nil {
		return fmt.Errorf("remove log pointer of class %s: %w", room, err)
	}
	return nil
}
