package hub

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/time/rate"

	"github.com/classhub/classhub/protocol"
)

// Why a new connection was refused, as the metric's reason label says.
const (
	refusedFull   = "full"   // the node holds Config.MaxConns connections
	refusedRate   = "rate"   // new connections came faster than Config.ConnRate
	refusedBroker = "broker" // the node has lost NATS
)

// personWait is how long a device closed as its person's oldest
// connection waits before it tries again, so that a person with more
// devices than allowed does not make them close each other in a loop.
const personWait = 30 * time.Second

// limits is what a node takes on: how many connections, how fast new
// ones come, and, per person in a class, how many connections and how
// many commands. Everything over a limit is refused with an answer that
// says so, and what the node already serves goes on.
type limits struct {
	max       int           // connections; < 0: no limit
	accept    *rate.Limiter // new connections; nil: no limit
	perPerson int           // connections per person and class; < 0: no limit
	cmdRate   rate.Limit
	cmdBurst  int

	mu     sync.Mutex
	open   int // connections admitted and not yet ended
	people map[string]*person
	swept  time.Time
	quiet  map[string]*quietLog // the log of each kind of refusal
}

// person is one person in one class on this node: their live
// connections and their allowance of commands, which every connection
// of theirs shares.
type person struct {
	key   string
	conns []*conn // oldest first; guarded by limits.mu
	cmds  *rate.Limiter
}

func newLimits(cfg Config) *limits {
	l := &limits{
		max: cfg.MaxConns, perPerson: cfg.ConnsPerPerson,
		cmdRate: rate.Limit(cfg.CommandRate), cmdBurst: cfg.CommandBurst,
		people: map[string]*person{}, quiet: map[string]*quietLog{},
	}
	if cfg.ConnRate > 0 {
		l.accept = rate.NewLimiter(rate.Limit(cfg.ConnRate), cfg.ConnBurst)
	}
	return l
}

// admit decides whether a new connection may be upgraded, before the
// upgrade costs anything. On refusal it returns the reason and how long
// the device should wait; on admission the caller must call done when
// the connection ends.
func (l *limits) admit(nc *nats.Conn, now time.Time) (reason string, wait time.Duration) {
	if nc.Status() != nats.CONNECTED {
		return refusedBroker, 5*time.Second + rand.N(5*time.Second)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max >= 0 && l.open >= l.max {
		// Spread out, so that the devices refused together do not come
		// back together.
		return refusedFull, 10*time.Second + rand.N(10*time.Second)
	}
	if l.accept != nil {
		res := l.accept.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 || !res.OK() {
			res.CancelAt(now)
			return refusedRate, d + time.Second + rand.N(4*time.Second)
		}
	}
	l.open++
	return "", 0
}

func (l *limits) done() {
	l.mu.Lock()
	l.open--
	l.mu.Unlock()
}

// personKey names a person in a class: the student, teacher or coach of
// a token; the projectors of a class are one.
func personKey(room protocol.RoomID, a protocol.Actor) string {
	return string(room) + "/" + string(a.Role) + "/" + string(a.Teacher) + string(a.Student) + string(a.Coach)
}

// hold counts c as one of its person's connections on this node. When
// the person then holds more than allowed here, the oldest of theirs are
// returned for the caller to close (evicted): the newest wins, as at the
// class's owner across nodes (rooms/conncount.go). A connection that
// says hello again (after a hello that failed) moves its count.
func (l *limits) hold(c *conn, key string, now time.Time) (evict []*conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.person != nil && c.person.key == key {
		return nil
	}
	l.releaseLocked(c, now)
	p := l.people[key]
	if p == nil {
		p = &person{key: key, cmds: rate.NewLimiter(l.cmdRate, l.cmdBurst)}
		l.people[key] = p
	}
	// The hello's time, taken under the lock so that the order of the
	// times is the order of p.conns: the owner's count closes the oldest
	// by it, the same connections as this node's.
	c.since = time.Now()
	p.conns = append(p.conns, c)
	c.person, c.cmdsOf = p, p
	if l.perPerson >= 0 && len(p.conns) > l.perPerson {
		n := len(p.conns) - l.perPerson
		evict = append(evict, p.conns[:n]...)
		for _, o := range p.conns[:n] {
			o.person = nil
		}
		p.conns = append(p.conns[:0], p.conns[n:]...)
	}
	return evict
}

// release ends c's count, when the connection ends.
func (l *limits) release(c *conn, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked(c, now)
}

func (l *limits) releaseLocked(c *conn, now time.Time) {
	if p := c.person; p != nil {
		if i := slices.Index(p.conns, c); i >= 0 {
			p.conns = slices.Delete(p.conns, i, i+1)
		}
		c.person = nil
	}
	// A person with no connection is forgotten once their allowance is
	// whole again: forgetting them sooner would hand a fresh one to a
	// device that reconnects to get it.
	if now.Sub(l.swept) > time.Minute {
		for k, p := range l.people {
			if len(p.conns) == 0 && p.cmds.TokensAt(now) >= float64(l.cmdBurst) {
				delete(l.people, k)
			}
		}
		l.swept = now
	}
}

// take counts one command of p, or returns the wait until p may send
// one.
func (p *person) take(now time.Time) (time.Duration, bool) {
	res := p.cmds.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 || !res.OK() {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// refuseConn answers a WebSocket request that the node will not take,
// before the upgrade: 503 with Retry-After, and a JSON error that says
// why.
func (h *Hub) refuseConn(w http.ResponseWriter, r *http.Request, reason string, wait time.Duration) {
	h.metrics.refused.WithLabelValues(reason).Inc()
	var msg string
	switch reason {
	case refusedFull:
		msg = "this server holds all the connections it can; retry in a moment"
	case refusedRate:
		msg = "too many devices are connecting to this server at once; retry in a moment"
	case refusedBroker:
		msg = "this server has lost its connection to the message broker; retry in a moment"
	}
	secs := int((wait + time.Second - 1) / time.Second)
	h.quietly(reason, "refusing new connections", "reason", reason, "retry_after_s", secs, "connections", h.Conns(), "remote", r.RemoteAddr)
	body, _ := json.Marshal(map[string]*protocol.Error{"error": {Code: protocol.CodeUnavailable, Message: msg, RetryAfter: wait.Milliseconds()}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(body)
}

// evicted closes a connection whose person opened the class on more
// connections than allowed, this one being the oldest, with
// too_many_connections and close 4006. It may be the one a device left
// behind when its network dropped; a device still using it is told why,
// and comes back after the wait (by then, the oldest again is another).
func (c *conn) evicted(where string) {
	c.evictOnce.Do(func() { c.evict(where) })
}

func (c *conn) evict(where string) {
	c.h.metrics.evicted.WithLabelValues(where).Inc()
	c.h.quietly("evicted", "closing a person's oldest connection: they opened the class on more than allowed", "limit", c.h.lim.perPerson, "conn", c.id, "counted", where)
	e := protocol.Errorf(protocol.CodeTooManyConns,
		"you opened this class on more than %d connections; this one, the oldest, was closed", c.h.lim.perPerson)
	e.RetryAfter = personWait.Milliseconds()
	c.sendError("", e)
	c.closeAfterFlush(protocol.CloseTooManyConns, "opened on too many connections; this, the oldest, was closed")
}

// onEvict closes the connection that a class's owner found to be the
// oldest of a person holding more than allowed across nodes.
func (h *Hub) onEvict(msg *nats.Msg) {
	var ev protocol.Evict
	if json.Unmarshal(msg.Data, &ev) != nil {
		return
	}
	h.mu.Lock()
	hr := h.rooms[ev.Room]
	h.mu.Unlock()
	if hr == nil {
		return
	}
	var victim *conn
	hr.mu.Lock()
	for c := range hr.conns {
		if c.id == ev.Conn {
			victim = c
		}
	}
	hr.mu.Unlock()
	if victim != nil {
		victim.evicted("class")
	}
}

// heldData is what the class's owner is told of c for counting its
// person's connections across nodes.
func (c *conn) heldData() protocol.HeldConn {
	return protocol.HeldConn{Conn: c.id, Person: c.personKey, Since: c.since.UnixNano()}
}

func (h *Hub) holdOf(conns []protocol.HeldConn) protocol.Hold {
	return protocol.Hold{Conns: conns, CloseTo: h.closeTo, Limit: h.lim.perPerson, TTLMs: (h.cfg.HoldRenew * 7 / 2).Milliseconds()}
}

// renewHolds tells each class's owner, every Config.HoldRenew, which
// connections this node still holds, so that the owner's count of them
// lasts while they do and runs out soon after this node dies. A
// connection the owner did not know (a new owner, or a count that ran
// out while NATS was away) is announced again, presence with it.
func (h *Hub) renewHolds() {
	defer h.bg.Done()
	t := time.NewTicker(h.cfg.HoldRenew)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-h.stop
		cancel()
	}()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		rooms := make([]*hubRoom, 0, len(h.rooms))
		for _, hr := range h.rooms {
			rooms = append(rooms, hr)
		}
		h.mu.Unlock()
		for _, hr := range rooms {
			byID := map[string]*conn{}
			var held []protocol.HeldConn
			hr.mu.Lock()
			for c := range hr.conns {
				if c.isLive() {
					byID[c.id] = c
					held = append(held, c.heldData())
				}
			}
			hr.mu.Unlock()
			if len(held) == 0 {
				continue
			}
			data, _ := json.Marshal(h.holdOf(held))
			out, err := h.cfg.Rooms.Do(ctx, protocol.Command{Room: hr.id, Type: protocol.CmdHold, Data: data})
			if ctx.Err() != nil {
				return
			}
			var res protocol.HoldResult
			if err == nil {
				err = json.Unmarshal(out, &res)
			}
			if err != nil {
				h.log.Debug("renewing the count of connections", "room", hr.id, "err", err)
				continue
			}
			for _, id := range res.Unknown {
				if c := byID[id]; c != nil {
					go c.announcePresence()
				}
			}
		}
	}
}

// rateLimited takes a command of this connection from its person's
// allowance; over it, it returns the rate_limited answer with the wait.
// Such a command is not carried out; nothing else is lost.
func (c *conn) rateLimited() *protocol.Error {
	wait, ok := c.cmdsOf.take(time.Now())
	if ok {
		return nil
	}
	c.h.metrics.limited.Inc()
	c.h.quietly("commands", "refusing commands over a person's allowance", "room", c.room.id, "conn", c.id)
	e := protocol.Errorf(protocol.CodeRateLimited, "too many commands from you in this class; wait a moment")
	e.RetryAfter = max(1, wait.Milliseconds()+1)
	return e
}

// quietLog lets one line through per interval and counts the rest, so
// that an overloaded node says so without its log becoming the overload.
type quietLog struct {
	last       time.Time
	suppressed int
}

const quietInterval = 10 * time.Second

// quietly logs msg at warning level, at most once per quietInterval for
// each kind, with how many were left out since the last line.
func (h *Hub) quietly(kind, msg string, args ...any) {
	h.lim.mu.Lock()
	q := h.lim.quiet[kind]
	if q == nil {
		q = &quietLog{}
		h.lim.quiet[kind] = q
	}
	now := time.Now()
	if now.Sub(q.last) < quietInterval {
		q.suppressed++
		h.lim.mu.Unlock()
		return
	}
	n := q.suppressed
	q.last, q.suppressed = now, 0
	h.lim.mu.Unlock()
	h.log.Warn(msg, append(args, "more_since_last", n, "logged_at_most_every", quietInterval.String())...)
}
