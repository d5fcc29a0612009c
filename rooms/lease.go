package rooms

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// leases are room ownership: one key per room in a KV bucket whose entries
// expire after the lease TTL unless renewed. Create claims, update with the
// last revision renews, and the bucket's age limit expires a dead owner's
// lease. The lease decides who may try; the log's fence decides who may
// write.
//
// A node that crashed leaves its leases to expire, and its classes would
// wait out the TTL. So every node answers on a subject of its own while
// its NATS connection lives (aliveSubject), and a node that finds a
// lease held by a node that has not answered there for a while
// (presumedGone) takes the lease over at once, with a compare-and-set on
// the revision it read: a holder that renewed meanwhile keeps it. A
// holder that was only cut off from NATS and comes back is fenced by the
// log like any stale owner.
type leases struct {
	kv   jetstream.KeyValue
	node protocol.NodeID
	// low, when set, refuses the writes of leases while the store's disk
	// is low (Manager.SetStoreLow), like every other write: a write at
	// the disk's end fails the bucket's stream until NATS restarts it.
	low func() error
	nc  *nats.Conn // nil: no takeover before the TTL
	log *slog.Logger
	// presumedGone is how long a holder must stay unreachable before its
	// leases are taken: longer than a NATS client needs to reconnect to
	// another server of the cluster, so that a server's failure moves no
	// class.
	presumedGone time.Duration

	mu      sync.Mutex
	missing map[protocol.NodeID]unreachable

	// fault, set by tests, runs before each try of a renewal: an error
	// is the try's (no answer); lostAfter has the renewal stored and its
	// answer lost.
	fault func() (lostAfter bool, err error)
}

// unreachable is when a holder was first and last found unreachable, in
// one run of failed probes.
type unreachable struct{ first, last time.Time }

// probeRun is how far apart two failed probes may be and still count as
// one run: an old failure says nothing of now.
const probeRun = 5 * time.Second

// aliveSubject is where node answers while it is connected to NATS. Node
// names are free text; the subject carries them in hex.
func aliveSubject(node protocol.NodeID) string {
	return protocol.SubjectPrefix + ".node." + hex.EncodeToString([]byte(node)) + ".alive"
}

// answerAlive subscribes node's alive subject.
func answerAlive(nc *nats.Conn, node protocol.NodeID) (*nats.Subscription, error) {
	return nc.Subscribe(aliveSubject(node), func(msg *nats.Msg) { _ = msg.Respond(nil) })
}

// claim takes the lease of room, returning its revision. A lease held by
// this same node ID (a restart on the same data) is taken over at once,
// and so is one whose holder is gone.
func (l *leases) claim(ctx context.Context, room protocol.RoomID) (uint64, error) {
	key := string(room)
	if err := l.lowStore(); err != nil {
		return 0, fmt.Errorf("claim lease of room %s: %w", room, err)
	}
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
	holder := protocol.NodeID(e.Value())
	if holder != l.node && !l.gone(ctx, holder) {
		return 0, fmt.Errorf("claim lease of room %s held by %s: %w", room, holder, ErrOwnedElsewhere)
	}
	rev, err = l.kv.Update(ctx, key, []byte(l.node), e.Revision())
	if full := whenFull(err); full != err {
		return 0, fmt.Errorf("reclaim lease of room %s: %w", room, full)
	}
	if err != nil {
		return 0, fmt.Errorf("reclaim lease of room %s: %w", room, ErrOwnedElsewhere)
	}
	if holder != l.node {
		l.log.Info("took over the lease of a node that is gone", "room", room, "from", holder)
	}
	return rev, nil
}

// gone reports whether holder has not answered on its alive subject for
// presumedGone: no process of that name is connected to NATS.
func (l *leases) gone(ctx context.Context, holder protocol.NodeID) bool {
	if l.nc == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := l.nc.RequestWithContext(pctx, aliveSubject(holder), nil)
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !errors.Is(err, nats.ErrNoResponders) {
		// It answered, or it is slow, or this node is the one cut off:
		// none of these says it is gone.
		delete(l.missing, holder)
		return false
	}
	u, ok := l.missing[holder]
	if !ok || now.Sub(u.last) > probeRun {
		if len(l.missing) > 1000 {
			clear(l.missing) // names of nodes long gone
		}
		u.first = now
	}
	u.last = now
	l.missing[holder] = u
	return now.Sub(u.first) >= l.presumedGone
}

// renew extends the lease; an error means it was lost. A renewal that
// reached no stream (the bucket's stream electing a leader after a NATS
// server was lost) changed nothing, and is tried again until ctx ends.
func (l *leases) renew(ctx context.Context, room protocol.RoomID, rev uint64) (uint64, error) {
	if err := l.lowStore(); err != nil {
		return 0, fmt.Errorf("renew lease of room %s: %w", room, err)
	}
	wait := 50 * time.Millisecond
	for {
		if l.fault != nil {
			lostAfter, ferr := l.fault()
			if lostAfter {
				_, _ = l.kv.Update(ctx, string(room), []byte(l.node), rev)
			}
			if ferr != nil {
				return 0, fmt.Errorf("renew lease of room %s: %w", room, ferr)
			}
		}
		next, err := l.kv.Update(ctx, string(room), []byte(l.node), rev)
		if err == nil {
			return next, nil
		}
		if !noStream(err) {
			return 0, fmt.Errorf("renew lease of room %s: %w", room, whenFull(err))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("renew lease of room %s: %w", room, errors.Join(err, ctx.Err()))
		case <-t.C:
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// ours reports the revision of room's lease when this node holds it at a
// revision after rev: a renewal of ours stored whose answer was lost.
func (l *leases) ours(ctx context.Context, room protocol.RoomID, rev uint64) (uint64, bool) {
	e, err := l.kv.Get(ctx, string(room))
	if err != nil || string(e.Value()) != string(l.node) || e.Revision() <= rev {
		return 0, false
	}
	return e.Revision(), true
}

// release gives the lease up, if it is still ours.
func (l *leases) release(ctx context.Context, room protocol.RoomID, rev uint64) {
	if l.lowStore() != nil {
		return // left to expire; a restart on the same data takes it at once
	}
	_ = l.kv.Delete(ctx, string(room), jetstream.LastRevision(rev))
}

func (l *leases) lowStore() error {
	if l.low == nil {
		return nil
	}
	return l.low()
}
