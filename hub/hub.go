package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// Config configures a Hub. Zero values take the documented defaults.
type Config struct {
	// Rooms routes commands to room owners. Required. Its
	// Config.RequestTimeout bounds every command a device or a console
	// sends; the hub adds no timeout of its own.
	Rooms *rooms.Manager
	// NC is the node's NATS connection, for evictions of connections
	// across nodes and the broker check of admissions (a room's events
	// come through Rooms.Listen). Required.
	NC *nats.Conn
	// Tokens issues and verifies device and console tokens. Required.
	Tokens *Signer
	// Accounts signs teachers in. Required for the REST API.
	Accounts *accounts.Store
	// Rosters keeps class rosters and learner profiles. Optional: without
	// it the roster and profile routes answer not_found, and no session
	// can be opened with a roster.
	Rosters *roster.Store
	// TokenTTL is how long a token issued at sign-in or join lasts: a
	// school day with margin. Default 12h.
	TokenTTL time.Duration
	// JoinRate and JoinBurst limit sign-ins and joins per client address.
	// The burst lets a whole class behind one school NAT join at once; the
	// rate makes guessing a join code hopeless. Defaults 1/s and 60.
	// Look-ups of a join code have an allowance of the same size of
	// their own (limitLookups).
	JoinRate  float64
	JoinBurst int
	// QueueBytes bounds each connection's write queue. A device whose
	// queue would grow past it is closed with 4000 and resumes.
	// Default 1 MiB: several minutes of a busy class.
	QueueBytes int
	// HelloTimeout is how long a new connection may take to say hello.
	// Default 10s.
	HelloTimeout time.Duration
	// WriteTimeout bounds one frame write. Default 10s.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings an idle device to find
	// dead connections. Default 25s.
	PingInterval time.Duration
	// CommandRate and CommandBurst are each person's allowance of
	// commands to one class on this node (a token bucket), shared by all
	// of the person's connections; the class's owner counts the same
	// allowance again across nodes (rooms.Config). A command over it is
	// answered rate_limited with the wait. Defaults 20/s and 40.
	CommandRate  float64
	CommandBurst int
	// MaxConns is how many device connections this node holds at most.
	// One more is refused before the upgrade, with 503 and Retry-After;
	// the connections it holds go on. Default 20,000, a memory guard
	// for a node of 2 GiB (docs/OPERATING.md sizes it); negative: no
	// limit.
	MaxConns int
	// ConnRate and ConnBurst limit how fast this node takes new
	// connections (a token bucket), so that a school reconnecting at
	// once after a restart is spread over seconds instead of starving
	// the classes already running; those over it get 503 with
	// Retry-After. Defaults 500/s and 1,000; a negative ConnRate: no
	// limit.
	ConnRate  float64
	ConnBurst int
	// ConnsPerPerson bounds one person's connections to one class, on
	// every node together: the student, teacher or coach of the token
	// (projectors by class). The newest wins: one more closes the
	// person's oldest with too_many_connections and close 4006, at once
	// when both are on this node, else when the class's owner counts it.
	// Default 5; negative: no limit.
	ConnsPerPerson int
	// HoldRenew is how often the node tells each class's owner which
	// connections it still holds; the owner's count of a connection
	// lasts 3.5 times this, so that a node that dies leaves none counted
	// for long. Default 10s.
	HoldRenew time.Duration
	// RingSize is how many recent events per room are kept for resuming
	// devices without reading the log. Default 1024.
	RingSize int
	// OriginPatterns lists the extra origins allowed to open WebSockets
	// (host patterns, as in coder/websocket); the server's own is always
	// allowed.
	OriginPatterns []string
	Logger         *slog.Logger
	Registerer     prometheus.Registerer
}

// Hub is the device edge of one node.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	joins   *addressLimits
	lookups *addressLimits // join codes looked up before joining (limitLookups)
	lim     *limits
	// closeTo is this hub's subject for the owners' Evict messages.
	closeTo  string
	evictSub *nats.Subscription
	stop     chan struct{}
	// The write sweep (sweepWrites) runs until every connection is closed.
	sweepStop chan struct{}
	sweepOnce sync.Once
	sweeping  sync.WaitGroup
	stopOnce  sync.Once
	bg        sync.WaitGroup

	mu      sync.Mutex
	rooms   map[protocol.RoomID]*hubRoom
	conns   map[*conn]struct{}
	closing bool
	wg      sync.WaitGroup

	// pushFault, set by tests, is called with each event a room of this
	// node is about to deliver, and stands for a fault in the delivery.
	pushFault atomic.Pointer[func(protocol.RoomID, protocol.Event)]
}

// New returns a Hub.
func New(cfg Config) (*Hub, error) {
	if cfg.Rooms == nil || cfg.NC == nil || cfg.Tokens == nil {
		return nil, errors.New("hub: Config.Rooms, Config.NC and Config.Tokens are required")
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = 1 << 20
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.CommandRate <= 0 {
		cfg.CommandRate = 20
	}
	if cfg.CommandBurst <= 0 {
		cfg.CommandBurst = 40
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 20000
	}
	if cfg.ConnRate == 0 {
		cfg.ConnRate = 500
	}
	if cfg.ConnBurst <= 0 {
		cfg.ConnBurst = 1000
	}
	if cfg.ConnsPerPerson == 0 {
		cfg.ConnsPerPerson = 5
	}
	if cfg.HoldRenew <= 0 {
		cfg.HoldRenew = 10 * time.Second
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.JoinRate <= 0 {
		cfg.JoinRate = 1
	}
	if cfg.JoinBurst <= 0 {
		cfg.JoinBurst = 60
	}
	if cfg.RingSize <= 0 {
		cfg.RingSize = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Hub{
		cfg: cfg, log: cfg.Logger, metrics: newMetrics(cfg.Registerer),
		joins: &addressLimits{rate: rate.Limit(cfg.JoinRate), burst: cfg.JoinBurst},
		lim:   newLimits(cfg),
		rooms: map[protocol.RoomID]*hubRoom{}, conns: map[*conn]struct{}{},
		closeTo:   protocol.SubjectPrefix + ".edge." + uuid.NewString() + ".evict",
		stop:      make(chan struct{}),
		sweepStop: make(chan struct{}),
	}
	h.lookups = &addressLimits{rate: rate.Limit(cfg.JoinRate), burst: cfg.JoinBurst}
	h.metrics.maxConns.Set(float64(cfg.MaxConns))
	var err error
	if h.evictSub, err = cfg.NC.Subscribe(h.closeTo, h.onEvict); err != nil {
		return nil, fmt.Errorf("hub: subscribe %s: %w", h.closeTo, err)
	}
	h.bg.Add(1)
	go h.renewHolds()
	h.sweeping.Add(1)
	go h.sweepWrites()
	return h, nil
}

// sweepWrites drops the socket of a device whose frame has been writing
// for longer than the write timeout (its network gone, or it reads
// nothing and its socket is full): its writer is stuck, and the device
// resumes once it is back. It runs until the last connection is closed.
func (h *Hub) sweepWrites() {
	defer h.sweeping.Done()
	t := time.NewTicker(min(max(h.cfg.WriteTimeout/4, 10*time.Millisecond), time.Second))
	defer t.Stop()
	var stuck []*conn
	for {
		select {
		case <-h.sweepStop:
			return
		case <-t.C:
		}
		now, limit := sinceStart(), int64(h.cfg.WriteTimeout)
		h.mu.Lock()
		for c := range h.conns {
			if since := c.w.since.Load(); since != 0 && now-since > limit {
				stuck = append(stuck, c)
			}
		}
		h.mu.Unlock()
		for i, c := range stuck {
			h.log.Debug("a write to the device is stuck; dropping it", "conn", c.id)
			_ = c.ws.CloseNow()
			stuck[i] = nil
		}
		stuck = stuck[:0]
	}
}

// ServeHTTP accepts a device WebSocket and serves it until it closes.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		// As every refusal before the upgrade: a JSON error and a
		// Retry-After, so that the device waits, then comes back to any
		// server.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"the server is shutting down; connect again in a moment","retry_after":1000}}`))
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	if reason, wait := h.lim.admit(h.cfg.NC, time.Now()); reason != "" {
		h.refuseConn(w, r, reason, wait)
		h.wg.Done()
		return
	}
	served := false // by the goroutine below, which then ends what began here
	defer func() {
		if !served {
			h.lim.done()
			h.wg.Done()
		}
	}()
	sb := &smallBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{
		OriginPatterns:  h.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has written the HTTP error
	}
	ws.SetReadLimit(protocol.HardFrameBytes)
	sb.conn.startFraming()
	c := newConn(h, ws, sb.conn)
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		_ = ws.Close(websocket.StatusCode(protocol.CloseRestart), "server restart")
		return
	}
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.metrics.conns.Inc()
	// The connection is served on a goroutine of its own, and this
	// handler returns: what the HTTP server kept for the request (its
	// buffers, the request, the handler's stack) is let go while the
	// device stays connected for a lesson.
	served = true
	go func() {
		defer h.wg.Done()
		defer h.lim.done()
		c.serve()
		h.lim.release(c, time.Now())
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.metrics.conns.Dec()
	}()
}

// Close closes every connection with 1012 (service restart), so that
// devices reconnect, to this node when it is back or to another one, and
// waits for their goroutines.
func (h *Hub) Close(ctx context.Context) error {
	h.stopOnce.Do(func() {
		close(h.stop)
		_ = h.evictSub.Unsubscribe()
	})
	h.bg.Wait()
	h.mu.Lock()
	h.closing = true
	for c := range h.conns {
		c.close(protocol.CloseRestart, "server restart")
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		h.sweepOnce.Do(func() { close(h.sweepStop) })
		h.sweeping.Wait()
		return nil
	case <-ctx.Done():
		return fmt.Errorf("hub: close: %w", ctx.Err())
	}
}

// Conns reports the number of open connections.
func (h *Hub) Conns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// enter adds c to the local room, subscribing the node to the room's events
// first if it is the room's first local device. c is pending: it buffers
// events until it has its snapshot or replay.
//
// The hub's lock guards only the map of rooms: the subscription, a round
// trip to the NATS server, is made without it, so that devices entering
// other rooms do not wait for it. Devices entering the same room meanwhile
// wait for the subscription (ready), and all of them fail if it fails.
func (h *Hub) enter(id protocol.RoomID, c *conn) (*hubRoom, error) {
	h.mu.Lock()
	hr := h.rooms[id]
	first := hr == nil
	if first {
		hr = &hubRoom{id: id, h: h, conns: map[*conn]struct{}{}, ready: make(chan struct{})}
		h.rooms[id] = hr
	}
	hr.mu.Lock()
	hr.conns[c] = struct{}{}
	hr.mu.Unlock()
	h.mu.Unlock()
	if first {
		hr.sub, hr.subErr = h.subscribe(hr)
		if hr.subErr != nil {
			// Devices that come next try again with a room of their own.
			h.mu.Lock()
			if h.rooms[id] == hr {
				delete(h.rooms, id)
			}
			h.mu.Unlock()
		}
		close(hr.ready)
	} else {
		<-hr.ready
	}
	if hr.subErr != nil {
		h.leave(hr, c)
		return nil, hr.subErr
	}
	return hr, nil
}

// subscribe subscribes the node to hr's events. The subscription is in
// place when it returns, before the snapshot is taken, or an event between
// the two could be missed.
func (h *Hub) subscribe(hr *hubRoom) (*rooms.Listening, error) {
	return h.cfg.Rooms.Listen(hr.id, hr.onEvent)
}

// leave removes c; the last device out unsubscribes the node. A device
// entering afterwards makes a new room with a new subscription.
func (h *Hub) leave(hr *hubRoom, c *conn) {
	h.mu.Lock()
	hr.mu.Lock()
	delete(hr.conns, c)
	empty := len(hr.conns) == 0
	hr.mu.Unlock()
	gone := empty && h.rooms[hr.id] == hr
	if gone {
		delete(h.rooms, hr.id)
	}
	h.mu.Unlock()
	if gone {
		<-hr.ready // c entered, so the subscription is made
		if hr.sub != nil {
			hr.sub.Stop()
		}
	}
}
