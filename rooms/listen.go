package rooms

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/classhub/classhub/protocol"
)

// A room's events reach the devices of every node that has some. Those of
// a class whose actor runs on another node come through NATS, on
// protocol.EventSubject; those of a class whose actor runs here are handed
// over by the actor itself, right after the append, with no trip through
// NATS and no decoding: every class of a single-node school.
//
// Both sources meet in one Listening per subscriber. The events are
// published on a connection of their own, opened with no echo: the NATS
// server never sends a node the events it published itself, so an event
// comes from one source or the other, never both. Around a move of the
// class between nodes, one source's events may overtake the other's: the
// subscriber keeps each offset once, in order, as it did when everything
// came through NATS.

// Listening is a subscription to one room's events. Stop ends it.
type Listening struct {
	m    *Manager
	room protocol.RoomID
	sub  *nats.Subscription

	placed bool // the server has the subscription for sure; guarded by Manager.lmu

	mu      sync.Mutex // one delivery at a time, whichever its source
	stopped bool
	f       func(epoch string, evs []protocol.Event)
}

// Listen calls f with every event of room appended from now on, on this
// node or another, in order, with the epoch of the log it was appended
// to: the events of one step of an actor on this node together, those
// from another node one at a time. f is
// never called twice at once; it is called by the room's actor itself for
// the events of an actor on this node, so it must not wait for the room
// (a command, a snapshot): it queues. When Listen returns, the
// subscription is in place on the NATS server, so a snapshot taken
// afterwards holds every event f does not get.
func (m *Manager) Listen(room protocol.RoomID, f func(epoch string, evs []protocol.Event)) (*Listening, error) {
	l := &Listening{m: m, room: room, f: f}
	m.lmu.Lock()
	set := m.listeners[room]
	if set == nil {
		set = map[*Listening]struct{}{}
		m.listeners[room] = set
	}
	set[l] = struct{}{}
	m.lmu.Unlock()
	var err error
	if l.sub, err = m.live.Subscribe(protocol.EventSubject(room), l.onMsg); err == nil {
		if err = m.live.Flush(); err != nil {
			_ = l.sub.Unsubscribe()
		}
	}
	if err != nil {
		m.unlisten(l)
		return nil, fmt.Errorf("subscribe to room %s: %w", room, err)
	}
	m.lmu.Lock()
	l.placed = true
	m.lmu.Unlock()
	return l, nil
}

// Stop ends the subscription. Once it returns, f is not called again.
func (l *Listening) Stop() {
	l.m.unlisten(l) // before the server forgets it: othersListen errs towards publishing
	_ = l.sub.Unsubscribe()
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

func (m *Manager) unlisten(l *Listening) {
	m.lmu.Lock()
	defer m.lmu.Unlock()
	if set := m.listeners[l.room]; set != nil {
		delete(set, l)
		if len(set) == 0 {
			delete(m.listeners, l.room)
		}
	}
}

// othersListen reports whether a subscriber other than this node's own
// may listen to subject, room's events: always, unless Config.Interest
// says otherwise. The count of this node's subscriptions is never more
// than the server has (it rises after a subscription's flush and falls
// before its removal), so an error makes a publication too many, never
// one too few. A node that subscribes after the count was taken has not
// yet had its snapshot, which the actor takes after this step: it holds
// the step's events.
func (m *Manager) othersListen(room protocol.RoomID, subject string) bool {
	if m.cfg.Interest == nil {
		return true
	}
	n := m.cfg.Interest(subject)
	mine := 0
	m.lmu.RLock()
	for l := range m.listeners[room] {
		if l.placed {
			mine++
		}
	}
	m.lmu.RUnlock()
	return n > mine
}

// onMsg takes an event of an actor on another node from NATS.
func (l *Listening) onMsg(msg *nats.Msg) {
	var ev protocol.Event
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		l.m.log.Error("undecodable event", "room", l.room, "err", err)
		return
	}
	l.deliver(msg.Header.Get(HeaderEpoch), []protocol.Event{ev})
}

// deliver hands events to f in order. A panic of f is recovered, logged
// and counted here, so that it takes down neither the actor that handed
// the events over nor the process; the subscriber finds the gap at its
// next event.
func (l *Listening) deliver(epoch string, evs []protocol.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			l.m.metrics.listenPanics.Inc()
			l.m.log.Error("a subscriber of the room's events panicked", "room", l.room, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	l.f(epoch, evs)
}

// handOver gives a step's events, just appended, to this node's
// subscribers to the room: the NATS server does not send them back.
func (m *Manager) handOver(room protocol.RoomID, epoch string, evs []protocol.Event) {
	m.lmu.RLock()
	set := m.listeners[room]
	var ls [4]*Listening // a room has one subscriber, two while a new one replaces it
	subs := ls[:0]
	for l := range set {
		subs = append(subs, l)
	}
	m.lmu.RUnlock()
	for _, l := range subs {
		l.deliver(epoch, evs)
	}
}
