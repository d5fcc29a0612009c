package rooms

import (
	"cmp"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/classhub/classhub/protocol"
)

// heldConns is the owner's count of the device connections to its class,
// from every node: which person each counts for, which node holds it
// (where to ask for its close) and until when the count lasts. The nodes
// report each connection when it says hello (CmdConnect), again every few
// seconds (CmdHold), and when it ends (CmdDisconnect).
//
// When one person holds more connections than the node of the newest
// allows, the oldest are closed: the newest wins. A device that
// reconnects at once after losing its network finds its old connection,
// not yet noticed as dead, counted against it; the newest winning lets it
// in, and the dead connection is the one closed. A count that is not
// renewed runs out (Hold.TTLMs), so a node that dies leaves nothing
// counted for long. Like the allowance, it is memory beside the actor,
// never events: a new owner starts empty and the nodes' next renewals
// fill it.
type heldConns struct {
	mu    sync.Mutex
	conns map[string]*heldConn // by connection ID
}

type heldConn struct {
	person  string
	closeTo string
	since   int64
	expires time.Time
}

// hold counts the connections of h, renewing those already counted. It
// returns those it did not know, and asks the nodes holding the oldest
// connections of a person over h.Limit to close them.
func (hc *heldConns) hold(nc *nats.Conn, room protocol.RoomID, h protocol.Hold, now time.Time) (unknown []string) {
	ttl := time.Duration(h.TTLMs) * time.Millisecond
	if ttl <= 0 {
		ttl = time.Minute
	}
	var evict []protocol.Evict
	var evictTo []string
	hc.mu.Lock()
	if hc.conns == nil {
		hc.conns = map[string]*heldConn{}
	}
	people := map[string]bool{}
	for _, c := range h.Conns {
		if c.Conn == "" || c.Person == "" {
			continue
		}
		e := hc.conns[c.Conn]
		if e == nil {
			e = &heldConn{person: c.Person, closeTo: h.CloseTo, since: c.Since}
			hc.conns[c.Conn] = e
			unknown = append(unknown, c.Conn)
		}
		e.expires = now.Add(ttl)
		people[c.Person] = true
	}
	if h.Limit >= 0 {
		for p := range people {
			type one struct {
				id string
				*heldConn
			}
			var theirs []one
			for id, e := range hc.conns {
				if e.person == p && now.Before(e.expires) {
					theirs = append(theirs, one{id, e})
				}
			}
			if len(theirs) <= h.Limit {
				continue
			}
			slices.SortFunc(theirs, func(a, b one) int {
				if c := cmp.Compare(a.since, b.since); c != 0 {
					return c
				}
				return cmp.Compare(a.id, b.id)
			})
			for _, o := range theirs[:len(theirs)-h.Limit] {
				delete(hc.conns, o.id)
				evict = append(evict, protocol.Evict{Room: room, Conn: o.id})
				evictTo = append(evictTo, o.closeTo)
			}
		}
	}
	hc.mu.Unlock()
	for i, e := range evict {
		if evictTo[i] == "" {
			continue
		}
		b, _ := json.Marshal(e)
		_ = nc.Publish(evictTo[i], b)
	}
	return unknown
}

// release forgets a connection that ended.
func (hc *heldConns) release(conn string) {
	hc.mu.Lock()
	delete(hc.conns, conn)
	hc.mu.Unlock()
}

// expired forgets the connections whose count ran out and returns them:
// their node stopped renewing them (it died, or lost NATS for longer than
// the count lasts).
func (hc *heldConns) expired(now time.Time) []string {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	var out []string
	for id, e := range hc.conns {
		if !now.Before(e.expires) {
			delete(hc.conns, id)
			out = append(out, id)
		}
	}
	return out
}

// count reports how many live connections person holds to the class.
func (hc *heldConns) count(person string, now time.Time) int {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	n := 0
	for _, e := range hc.conns {
		if e.person == person && now.Before(e.expires) {
			n++
		}
	}
	return n
}

// holdCmd counts the connections a command reports, in submit, before the
// inbox: CmdHold is answered here and never reaches the actor; CmdConnect
// goes on to the actor for presence; CmdDisconnect ends the count. It
// reports whether req was answered.
func (r *room) holdCmd(req *request) bool {
	switch req.cmd.Type {
	case protocol.CmdHold, protocol.CmdConnect:
		var h protocol.Hold
		if len(req.cmd.Data) > 0 && json.Unmarshal(req.cmd.Data, &h) != nil {
			if req.cmd.Type == protocol.CmdHold {
				req.done(nil, protocol.Errorf(protocol.CodeInvalid, "malformed hold"))
				return true
			}
			return false
		}
		unknown := r.held.hold(r.m.cfg.NC, r.id, h, time.Now())
		if req.cmd.Type == protocol.CmdHold {
			b, _ := json.Marshal(protocol.HoldResult{Unknown: unknown})
			req.done(b, nil)
			return true
		}
	case protocol.CmdDisconnect:
		r.held.release(req.cmd.Conn)
	}
	return false
}

// dropExpired ends the presence of the connections whose count ran out,
// as if their nodes had said they disconnected. Called by the actor on
// its tick.
func (r *room) dropExpired(now time.Time) {
	for _, id := range r.held.expired(now) {
		if _, ok := r.conns[id]; !ok {
			continue
		}
		r.submit(&request{
			cmd:   protocol.Command{Room: r.id, Type: protocol.CmdDisconnect, Conn: id},
			start: now, done: func(json.RawMessage, error) {},
		})
	}
}
