package rooms

import (
	"context"
	"fmt"
	"time"
)

// appendFailed records the outcome of the latest append on this node: an
// error, or nil once an append went through again.
func (m *Manager) appendFailed(err error) {
	if err == nil {
		if m.lastAppendErr.Load() != nil {
			m.lastAppendErr.Store(nil)
		}
		return
	}
	m.lastAppendErr.Store(&appendFailure{err: err, at: time.Now()})
}

type appendFailure struct {
	err error
	at  time.Time
}

// Ready reports whether this node can keep classes now: JetStream answers,
// every log stream can be read (it has a leader on a cluster), and the
// latest append on this node, if it failed, failed more than a minute ago
// with nothing appended since. /readyz fails while it does not hold, so a
// load balancer sends devices elsewhere and an operator sees why.
func (m *Manager) Ready(ctx context.Context) error {
	if _, err := m.cfg.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("JetStream does not answer: %w", err)
	}
	for i, st := range m.logs.shards {
		if _, err := st.Info(ctx); err != nil {
			return fmt.Errorf("log stream %d cannot be read: %w", i, err)
		}
	}
	if err := m.lowStore(); err != nil {
		return err
	}
	if f := m.lastAppendErr.Load(); f != nil && time.Since(f.at) < time.Minute {
		return fmt.Errorf("the latest append to a class log failed %s ago: %w", time.Since(f.at).Round(time.Second), f.err)
	}
	return nil
}

// SetStoreLow says that the disk the store writes to has too little room
// left (why, which says how much), or room again (nil). While it has too
// little, no class appends a step, writes its lease or saves a snapshot,
// and no class is opened: the command is answered storage_full and
// undone, as when JetStream refuses a write for want of room (a class
// whose lease is not renewed goes on, as then), and Ready fails. It is for a store on this machine's disk
// (NATS embedded), which the node watches: refused before the disk's end
// is reached, a write leaves the store whole, whereas a NATS server that
// meets the end of its disk fails the stream it was writing until it
// restarts.
func (m *Manager) SetStoreLow(why error) {
	if why == nil {
		m.storeLow.Store(nil)
		return
	}
	m.storeLow.Store(&why)
}

// lowStore is the refusal of a write while the store's disk is low, or
// nil.
func (m *Manager) lowStore() error {
	if p := m.storeLow.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrStoreFull, *p)
	}
	return nil
}
