package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/detect"
)

// Config configures a Manager. Zero values take the documented defaults.
type Config struct {
	// NC and JS are the node's NATS connection and its JetStream context.
	// Required.
	NC *nats.Conn
	JS jetstream.JetStream
	// Node names this node in leases. Required; it must be stable across
	// restarts of the same node so that a restarted node takes its own
	// rooms back at once instead of waiting for its old leases to expire.
	Node protocol.NodeID
	// LeaseTTL is how long a lease lives without renewal: how long the
	// rooms of a node that is cut off from NATS, or whose process is gone
	// and not yet known to be, wait before another node may take them.
	// Default 10s.
	LeaseTTL time.Duration
	// GoneAfter is how long a node must go unanswered on its alive
	// subject before another node takes its leases without waiting for
	// them to expire: the time a crashed node's classes wait. It must be
	// longer than a NATS client takes to reconnect to another server of a
	// cluster. Default 1s.
	GoneAfter time.Duration
	// Grace is how long a student may be disconnected before the teacher
	// sees them offline. Default 5s.
	Grace time.Duration
	// SnapshotEvery is how many events pass at least between snapshots;
	// a snapshot also waits until the log since the last one is as large
	// as that one. Default 100.
	SnapshotEvery int
	// IdleTimeout stops the actor of a room with no connection and no
	// command for this long; it starts again on the next command.
	// Default 30m.
	IdleTimeout time.Duration
	// InboxSize bounds each room's inbox; a full inbox answers busy.
	// Default 256.
	InboxSize int
	// CommandRate and CommandBurst are each person's allowance of
	// commands to one class, counted by the class's owner whichever node
	// and connection they come through: a token bucket of CommandBurst
	// refilled at CommandRate a second. A command over it is answered
	// rate_limited with the wait, and does nothing. Commands that nodes
	// send on their own (opening, joining, presence, snapshots) are not
	// counted. Defaults 20/s and 40.
	CommandRate  float64
	CommandBurst int
	// Retention is how long a class's log is kept after the class ended
	// (or, for a class never ended, after it was opened); 0 keeps them
	// forever. The log is removed whole, with its snapshot.
	Retention time.Duration
	// LogShards is the number of shared streams class logs are spread
	// over, chosen by the first node of a deployment and kept in the config
	// bucket (later values are ignored). Default 4.
	LogShards int
	// Replicas is the JetStream replication of logs and buckets: 1 for a
	// single server, 3 for a production cluster. Default 1.
	Replicas int
	// RequestTimeout bounds one command (Manager.Do), wherever the room's
	// owner is, and one JetStream write. It is the one timeout of a
	// device's or a console's command: the hub adds none of its own.
	// Default 5s.
	RequestTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer receives the package's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock of events; default time.Now.
	Now func() time.Time
	// AfterFunc runs f after d on the clock of Now and returns a function
	// that cancels it; default time.AfterFunc. Rotation deadlines use it,
	// so that tests can move a fake clock instead of waiting.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Profiles keeps rostered students' mastery across sessions; nil keeps
	// none.
	Profiles Profiles
	// Thresholds are the school's detector thresholds, which a class's
	// teacher may change for the class; nil: the defaults of detect.
	Thresholds *detect.Thresholds
	// SmallGroupMin is how many students flagged on one skill (or
	// lacking one prerequisite) make the help queue propose a small
	// group with the teacher. Default 3; at least 2.
	SmallGroupMin int
	// Interest, when set, counts the subscriptions the NATS server has
	// on a subject, each known to it the moment its subscriber's flush
	// returns: a standalone server in this process (a server of a
	// cluster learns of its peers' subscriptions later, so nil there). A
	// step's events are then published only when a subscriber other
	// than this node's own listens; the node's own get them from the
	// actor anyway (listen.go).
	Interest func(subject string) int
}

// Profiles is where the mastery of rostered students lives between
// sessions: read when a student joins, written when the class ends.
type Profiles interface {
	Mastery(ctx context.Context, roster string) (map[protocol.SkillID]float64, error)
	RecordSession(ctx context.Context, roster string, room protocol.RoomID, at int64, mastery map[protocol.SkillID]float64) error
}

func (c *Config) defaults() error {
	if c.NC == nil || c.JS == nil {
		return errors.New("rooms: Config.NC and Config.JS are required")
	}
	if c.Node == "" {
		return errors.New("rooms: Config.Node is required")
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.GoneAfter <= 0 {
		c.GoneAfter = time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 100
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.InboxSize <= 0 {
		c.InboxSize = 256
	}
	if c.CommandRate <= 0 {
		c.CommandRate = 20
	}
	if c.CommandBurst <= 0 {
		c.CommandBurst = 40
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.LogShards <= 0 {
		c.LogShards = 4
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.SmallGroupMin <= 0 {
		c.SmallGroupMin = 3
	}
	c.SmallGroupMin = max(c.SmallGroupMin, 2)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AfterFunc == nil {
		c.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return nil
}

// Manager runs the room actors of one node and routes commands to the
// owner of any room, here or on another node.
type Manager struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	leases  *leases
	snaps   jetstream.KeyValue
	logs    *logStore
	dir     *directory
	history *history
	banks   *banks

	mu       sync.Mutex
	rooms    map[protocol.RoomID]*room
	starting map[protocol.RoomID]chan struct{}
	failed   map[protocol.RoomID]error // rooms that stay stopped on this node (fault.go)
	// trap, when set by a test, runs before every command in the actor:
	// the way a test makes one room fail on purpose.
	trap func(protocol.Command)
	// crash, when set by a test, is asked at each step of a log rewrite
	// and ends the rewrite there when it returns an error, as a crash of
	// the process would.
	crash func(step string) error
	// between, when set by a test, runs in every actor between two of its
	// steps, with no timer's fire waiting: the way a test checks what
	// must hold of a class at rest.
	between func(ctx context.Context, r *room)
	closed  bool
	stop    chan struct{} // closed by Close: ends the manager's own goroutines

	// live is the connection the rooms' events go out on and come in
	// on (listen.go): cfg.NC's options with no echo.
	live      *nats.Conn
	lmu       sync.RWMutex
	listeners map[protocol.RoomID]map[*Listening]struct{}

	alive         *nats.Subscription            // answers other nodes asking whether this one is gone
	lastAppendErr atomic.Pointer[appendFailure] // see Ready
	storeLow      atomic.Pointer[error]         // see SetStoreLow
	appendLog     quietLog                      // the log of refused appends
	leaseLog      quietLog                      // the log of leases a full store did not renew
	wg            sync.WaitGroup
}

// New creates the buckets it needs (idempotently) and returns a Manager.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	// The stores are opened side by side: on a new deployment each is
	// created, and on a cluster a creation waits for the new stream's
	// replicas to elect a leader, which on a busy machine can take
	// seconds. Side by side, a first start waits for about one of them.
	var (
		leaseKV, snaps, dirKV, histKV, bankKV jetstream.KeyValue
		logs                                  *logStore
	)
	g, gctx := errgroup.WithContext(ctx)
	open := func(dst *jetstream.KeyValue, what string, kc jetstream.KeyValueConfig) {
		g.Go(func() error {
			kv, err := openBucket(gctx, cfg.JS, kc)
			if err != nil {
				return fmt.Errorf("rooms: %s bucket: %w", what, err)
			}
			*dst = kv
			return nil
		})
	}
	open(&leaseKV, "lease", jetstream.KeyValueConfig{
		Bucket: protocol.BucketLeases, TTL: cfg.LeaseTTL, History: 1,
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	open(&snaps, "snapshot", jetstream.KeyValueConfig{
		Bucket: protocol.BucketSnapshots, History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	open(&dirKV, "room", jetstream.KeyValueConfig{
		Bucket: protocol.BucketRooms, History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	open(&histKV, "history", jetstream.KeyValueConfig{
		Bucket: protocol.BucketHistory, History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	open(&bankKV, "content", jetstream.KeyValueConfig{
		Bucket: protocol.BucketContent, History: 1, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	g.Go(func() error {
		var err error
		if logs, err = openLogStore(gctx, cfg.JS, cfg.LogShards, cfg.Replicas); err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	bs := &banks{kv: bankKV, log: cfg.Logger, parsed: map[protocol.BankID]parsedBank{}}
	if err := bs.seed(ctx); err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	if n, err := logs.migrateAll(ctx, cfg.Logger); err != nil {
		return nil, fmt.Errorf("rooms: moving class logs to the shared layout (%d moved): %w", n, err)
	} else if n > 0 {
		cfg.Logger.Info("moved class logs from a stream per class to the shared layout", "classes", n)
	}
	m := &Manager{
		stop:    make(chan struct{}),
		logs:    logs,
		cfg:     cfg,
		log:     cfg.Logger,
		history: &history{kv: histKV, log: cfg.Logger},
		banks:   bs,
		metrics: newMetrics(cfg.Registerer),
		leases: &leases{kv: leaseKV, node: cfg.Node, nc: cfg.NC, log: cfg.Logger,
			presumedGone: cfg.GoneAfter, missing: map[protocol.NodeID]unreachable{}},
		snaps:     snaps,
		dir:       &directory{kv: dirKV},
		rooms:     map[protocol.RoomID]*room{},
		starting:  map[protocol.RoomID]chan struct{}{},
		failed:    map[protocol.RoomID]error{},
		listeners: map[protocol.RoomID]map[*Listening]struct{}{},
	}
	m.leases.low = m.lowStore
	live := cfg.NC.Opts
	live.NoEcho = true
	live.Name += " (events)"
	live.ClosedCB = nil // the caller's, for its own connection
	var err error
	if m.live, err = live.Connect(); err != nil {
		return nil, fmt.Errorf("rooms: a connection for the rooms' events: %w", err)
	}
	if m.alive, err = answerAlive(cfg.NC, cfg.Node); err != nil {
		m.live.Close()
		return nil, fmt.Errorf("rooms: alive subject: %w", err)
	}
	if cfg.Retention > 0 {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.retain(m.stop) }()
	}
	return m, nil
}

// Close stops every local room actor (each takes a snapshot and gives its
// lease back, so that another node can take over at once) and waits.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed {
		close(m.stop)
	}
	m.closed = true
	for _, r := range m.rooms {
		r.stop()
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		// The rooms gave their leases back; a lease that could not be
		// given back (NATS did not answer) is taken at once by the next
		// node, as this one is gone.
		_ = m.alive.Unsubscribe()
		// The last events the actors published leave before the
		// connection closes.
		_ = m.live.FlushWithContext(ctx)
		m.live.Close()
		return nil
	case <-ctx.Done():
		m.live.Close()
		return fmt.Errorf("rooms: close: %w", ctx.Err())
	}
}

// Owned reports how many rooms this node runs.
func (m *Manager) Owned() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rooms)
}

func (m *Manager) local(id protocol.RoomID) *room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[id]
}

func (m *Manager) forget(r *room) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms[r.id] == r {
		delete(m.rooms, r.id)
	}
}

// Do runs cmd on the owner of cmd.Room, starting the room on this node if
// no node owns it. Errors are *protocol.Error for refusals; anything else
// maps through protocol.ErrorOf.
func (m *Manager) Do(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	if !cmd.Room.Valid() {
		return nil, protocol.Errorf(protocol.CodeInvalid, "not a room ID")
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
	defer cancel()
	backoff := 10 * time.Millisecond
	for {
		data, err := m.try(ctx, cmd)
		if !retryable(err) {
			return data, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func retryable(err error) bool {
	return errors.Is(err, ErrStopped) || errors.Is(err, ErrOwnedElsewhere) ||
		errors.Is(err, ErrFenced) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, ErrStoreBusy)
}

// storeBusy reports whether err is NATS or JetStream saying it cannot
// answer for the moment: no responder (a stream without a leader), a
// request timed out, the connection moving to another server, or
// JetStream's 503 ("temporarily unavailable").
func storeBusy(err error) bool {
	var apiErr *jetstream.APIError
	return noStream(err) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		(errors.As(err, &apiErr) && apiErr.Code == 503)
}

func (m *Manager) try(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	if r := m.local(cmd.Room); r != nil {
		return r.do(ctx, cmd)
	}
	data, err := m.request(ctx, cmd)
	if !errors.Is(err, nats.ErrNoResponders) {
		return data, err
	}
	r, err := m.start(ctx, cmd.Room, cmd.Type == protocol.CmdOpen)
	if err != nil {
		if storeBusy(err) && !errors.Is(err, ErrStoreBusy) {
			// Nothing of the command ran: it is tried again.
			err = fmt.Errorf("%w: %w", ErrStoreBusy, err)
		}
		return nil, err
	}
	return r.do(ctx, cmd)
}

func (m *Manager) request(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
	msg, err := m.cfg.NC.RequestWithContext(ctx, protocol.CommandSubject(cmd.Room), b)
	if err != nil {
		return nil, fmt.Errorf("command to room %s: %w", cmd.Room, err)
	}
	var rep protocol.Reply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("reply from room %s: %w", cmd.Room, err)
	}
	if rep.Error != nil {
		if rep.Error.Code == protocol.CodeUnavailable {
			return nil, fmt.Errorf("room %s: %s: %w", cmd.Room, rep.Error.Message, ErrStopped)
		}
		return nil, rep.Error
	}
	return rep.Data, nil
}

// start claims the room's lease and starts its actor here, once, however
// many callers ask at the same moment.
func (m *Manager) start(ctx context.Context, id protocol.RoomID, create bool) (*room, error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		if r := m.rooms[id]; r != nil {
			m.mu.Unlock()
			return r, nil
		}
		if err := m.failed[id]; err != nil {
			m.mu.Unlock()
			return nil, unloadable(id, err)
		}
		wait, busy := m.starting[id]
		if !busy {
			wait = make(chan struct{})
			m.starting[id] = wait
			m.mu.Unlock()
			r, err := m.startRoom(ctx, id, create)
			err = m.loadFault(id, err)
			m.mu.Lock()
			delete(m.starting, id)
			if err == nil {
				if m.closed {
					m.mu.Unlock()
					r.stop()
					close(wait)
					return nil, ErrClosed
				}
				m.rooms[id] = r
				m.wg.Add(1)
				m.metrics.rooms.Inc()
				m.metrics.takeovers.Inc()
				go func() { defer m.wg.Done(); r.run() }()
			}
			m.mu.Unlock()
			close(wait)
			return r, err
		}
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (m *Manager) startRoom(ctx context.Context, id protocol.RoomID, create bool) (_ *room, err error) {
	rev, err := m.leases.claim(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &room{
		id: id, m: m,
		inbox:     make(chan *request, m.cfg.InboxSize),
		timer:     make(chan protocol.StudentID, 64),
		rotFire:   make(chan uint64, 1),
		watchFire: make(chan uint64, 1),
		allowance: newAllowance(m.cfg.CommandRate, m.cfg.CommandBurst),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		leaseRev:  rev,
		leaseAt:   time.Now(),
		conns:     map[string]protocol.StudentID{},
		tconns:    map[string]protocol.TeacherID{},
		grace:     map[protocol.StudentID]*time.Timer{},
		lastUsed:  time.Now(),
	}
	fail := func(err error) (*room, error) {
		m.leases.release(context.WithoutCancel(ctx), id, rev)
		return nil, err
	}
	// A panic while reading the log stays with this room.
	defer func() {
		if p := recover(); p != nil {
			m.leases.release(context.WithoutCancel(ctx), id, rev)
			err = &panicError{what: "loading the class", value: p, stack: debug.Stack()}
		}
	}()
	r.log, err = m.logs.open(ctx, id, create)
	if err != nil {
		return fail(err)
	}
	// Recover, then fence: the owner_changed event is appended with the
	// last sequence we replayed, so a previous owner still running is
	// refused from here on. If it appended meanwhile, replay the rest and
	// try again.
	for attempt := 0; ; attempt++ {
		if err := r.recover(ctx); err != nil {
			return fail(err)
		}
		if r.st.Status == protocol.StatusEnded {
			// An ended class is loaded to be read (a snapshot, an
			// export): it takes no new event but an erasure, which
			// rewrites the log under a new epoch and fences itself.
			break
		}
		_, err = r.emit(ctx, protocol.EvOwnerChanged, protocol.ToNone, protocol.OwnerChanged{Node: m.cfg.Node})
		if err == nil {
			err = r.teachersAway(ctx)
		}
		if err == nil {
			err = r.flush(ctx)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, ErrFenced) || attempt == 3 {
			return fail(err)
		}
		r.st, r.pending = nil, nil
		if err := r.log.refresh(ctx); err != nil {
			return fail(err)
		}
	}
	r.sub, err = m.cfg.NC.Subscribe(protocol.CommandSubject(id), r.serveNATS)
	if err != nil {
		return fail(fmt.Errorf("subscribe commands of room %s: %w", id, err))
	}
	// Students the log says are online get a grace period: the nodes that
	// hold their connections report them again when they see owner_changed.
	for sid, s := range r.st.Students {
		if s.Online {
			r.startGrace(sid)
		}
	}
	r.indexShares(ctx)
	r.armRotation()
	r.armWatch()
	m.log.Debug("room started", "room", id, "seq", r.st.Seq, "epoch", r.log.epoch)
	return r, nil
}

// recover rebuilds the state from the latest snapshot and the log after it.
func (r *room) recover(ctx context.Context) error {
	if r.st == nil || r.st.Seq > r.log.last {
		r.st = class.New(r.id)
		if e, err := r.m.snaps.Get(ctx, string(r.id)); err == nil {
			var rec snapshotRecord
			if json.Unmarshal(e.Value(), &rec) == nil && rec.State != nil &&
				rec.Epoch == r.log.epoch && rec.State.Seq <= r.log.last {
				r.st, r.snapBytes = rec.State, len(e.Value())
			}
		}
	}
	if r.st.Seq == r.log.last {
		return nil
	}
	evs, err := r.log.readUpTo(ctx, r.st.Seq+1, r.log.last)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := r.st.Apply(ev); err != nil {
			return fmt.Errorf("replay room %s: %w", r.id, err)
		}
	}
	if r.st.Seq != r.log.last {
		return fmt.Errorf("replay room %s: log ends at %d, want %d", r.id, r.st.Seq, r.log.last)
	}
	return nil
}

// serveNATS answers commands from other nodes.
func (r *room) serveNATS(msg *nats.Msg) {
	var cmd protocol.Command
	if err := json.Unmarshal(msg.Data, &cmd); err != nil || cmd.Room != r.id {
		respond(msg, nil, protocol.Errorf(protocol.CodeInvalid, "malformed command"))
		return
	}
	r.submit(&request{cmd: cmd, start: time.Now(), done: func(d json.RawMessage, err error) { respond(msg, d, err) }})
}

func respond(msg *nats.Msg, data json.RawMessage, err error) {
	b, _ := json.Marshal(protocol.Reply{Data: data, Error: protocol.ErrorOf(err)})
	_ = msg.Respond(b)
}

// ReadLog returns the events of room with offsets from..to, in order, for
// resuming devices and for nodes that missed a fan-out.
func (m *Manager) ReadLog(ctx context.Context, room protocol.RoomID, from, to uint64) ([]protocol.Event, error) {
	return m.logs.readLog(ctx, room, from, to)
}

// CreateRoom opens a new class session for teacher, with a fresh join code.
func (m *Manager) CreateRoom(ctx context.Context, teacher protocol.TeacherID, title string) (RoomInfo, error) {
	return m.Open(ctx, RoomInfo{Teacher: teacher, Title: title})
}

// Open opens a new class session described by info (its Teacher, Title
// and, optionally, Roster and OwnerName), with a fresh ID and join code.
func (m *Manager) Open(ctx context.Context, info RoomInfo) (RoomInfo, error) {
	title, teacher := info.Title, info.Teacher
	if e := protocol.CheckText("title", title, 1, protocol.MaxTitleRunes, false); e != nil {
		return RoomInfo{}, e
	}
	if err := m.lowStore(); err != nil {
		return RoomInfo{}, err // not even in the directory
	}
	info = RoomInfo{ID: protocol.NewRoomID(), Title: title, Teacher: teacher, Status: protocol.StatusOpen, Created: nowMillis(m.cfg.Now), Roster: info.Roster, OwnerName: info.OwnerName}
	info, err := m.dir.create(ctx, info)
	if err != nil {
		return info, err
	}
	data, _ := json.Marshal(protocol.OpenRoom{Title: title, Teacher: teacher, Name: info.OwnerName})
	_, err = m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdOpen, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: teacher}, Data: data})
	if err != nil {
		_ = m.dir.end(context.WithoutCancel(ctx), info.ID, nowMillis(m.cfg.Now))
		return info, err
	}
	return info, nil
}

// Room returns the directory entry of a room.
func (m *Manager) Room(ctx context.Context, id protocol.RoomID) (RoomInfo, error) {
	return m.dir.get(ctx, id)
}

// Rooms lists a page of a teacher's rooms, newest first, and the cursor
// of the next page ("" after the last).
func (m *Manager) Rooms(ctx context.Context, teacher protocol.TeacherID, page Page) ([]RoomInfo, string, error) {
	return m.dir.list(ctx, teacher, page)
}

// Join adds a student to the room whose join code is code. An unknown,
// mistyped or voided code is CodeNotFound, with no hint which.
func (m *Manager) Join(ctx context.Context, code, name string) (RoomInfo, protocol.JoinResult, error) {
	return m.JoinAs(ctx, code, protocol.JoinRoom{Name: name})
}

// JoinAs is Join with the whole join request: a rostered student also
// names their roster entry, which the caller has already checked.
func (m *Manager) JoinAs(ctx context.Context, code string, j protocol.JoinRoom) (RoomInfo, protocol.JoinResult, error) {
	var res protocol.JoinResult
	norm, ok := NormalizeCode(code)
	if !ok {
		return RoomInfo{}, res, protocol.Errorf(protocol.CodeNotFound, "no open class has that code")
	}
	info, err := m.dir.byCode(ctx, norm)
	if errors.Is(err, ErrNoRoom) || (err == nil && info.Status != protocol.StatusOpen) {
		return RoomInfo{}, res, protocol.Errorf(protocol.CodeNotFound, "no open class has that code")
	}
	if err != nil {
		return RoomInfo{}, res, err
	}
	data, _ := json.Marshal(j)
	out, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdJoin, Actor: protocol.Actor{Role: protocol.RoleStudent}, Data: data})
	if err != nil {
		return info, res, err
	}
	err = json.Unmarshal(out, &res)
	return info, res, err
}

// CoachRooms lists the open classes in which coach coaches a group.
func (m *Manager) CoachRooms(ctx context.Context, coach protocol.CoachID) ([]RoomInfo, error) {
	return m.dir.coachRooms(ctx, coach)
}

// ExportStudent returns everything the class holds about one student; the
// teacher must own the class.
func (m *Manager) ExportStudent(ctx context.Context, teacher protocol.TeacherID, room protocol.RoomID, sid protocol.StudentID) (json.RawMessage, error) {
	data, _ := json.Marshal(StudentTarget{Student: sid})
	return m.Do(ctx, protocol.Command{Room: room, Type: CmdExport, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: teacher}, Data: data})
}

// EraseStudent removes one student from the class, its log included.
func (m *Manager) EraseStudent(ctx context.Context, teacher protocol.TeacherID, room protocol.RoomID, sid protocol.StudentID) (json.RawMessage, error) {
	return m.EraseStudentAs(ctx, protocol.ActedBy{Teacher: teacher}, room, sid)
}

// EraseStudentAs is EraseStudent with the name of the teacher who asks,
// which the class's record of the erasure keeps.
func (m *Manager) EraseStudentAs(ctx context.Context, by protocol.ActedBy, room protocol.RoomID, sid protocol.StudentID) (json.RawMessage, error) {
	data, _ := json.Marshal(StudentTarget{Student: sid})
	return m.Do(ctx, protocol.Command{Room: room, Type: CmdErase, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: by.Teacher}, Name: by.Name, Data: data})
}

// RoomByCode returns the room whose join code is code (in any of the forms
// NormalizeCode accepts), or ErrNoRoom.
func (m *Manager) RoomByCode(ctx context.Context, code string) (RoomInfo, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return RoomInfo{}, ErrNoRoom
	}
	return m.dir.byCode(ctx, norm)
}

// crashPoint is where a test may stop a log rewrite, as a crash would.
func (m *Manager) crashPoint(step string) error {
	if m.crash == nil {
		return nil
	}
	return m.crash(step)
}
