package hub

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// maxReplay is the most events a resume replays; a device further behind
// gets a snapshot, which is smaller and as good.
const maxReplay = 10000

// held is an event that arrived while the connection was waiting for its
// snapshot or replay.
type held struct {
	seq   uint64
	frame []byte
}

// conn is one device's WebSocket. Its read loop (serve) owns the protocol
// state; its writer (writer.go) owns the socket's writes. Everything that
// reaches the device goes through the writer's queue, which is bounded in
// bytes so that a device that cannot keep up is closed instead of slowing
// anyone.
type conn struct {
	h  *Hub
	ws *websocket.Conn
	w  *writer
	id string // the connection's ID, for presence

	// Set once by the read loop before the connection joins a room, and
	// read-only afterwards: what a device may see of an event is decided
	// by the event's audience alone, never by the room as it is now.
	viewer protocol.Viewer
	actor  protocol.Actor
	name   string // the display name in the token
	room   *hubRoom
	person *person // the person this connection counts for, once hello named them (limits.go); nil once evicted
	cmdsOf *person // the person whose allowance its commands take, kept once evicted
	// personKey and since name the person and the hello's time for the
	// class's count of connections (limits.go), set before the room.
	personKey string
	since     time.Time // guarded by limits.mu until the connection joins its room
	evictOnce sync.Once
	wg        sync.WaitGroup

	// The commands running (command): a slot each in running, so that
	// one device has at most maxInFlight; turn is closed once the answer
	// to the last command read is queued, and the next answer waits for
	// it, so that answers go out in the order the commands came. Owned by
	// the read loop.
	running chan struct{}
	turn    chan struct{}
	cmds    sync.WaitGroup

	mu        sync.Mutex
	live      bool
	offset    uint64 // the last event queued, once live
	held      []held
	heldBytes int
	afterHeld closeWith // a final close that must wait for the held events to be queued
	connected bool      // the room was told this connection is here
}

func newConn(h *Hub, ws *websocket.Conn, fc *frameConn) *conn {
	id := uuid.NewString()
	return &conn{
		h: h, ws: ws, id: id, w: newWriter(h, ws, fc, id),
		running: make(chan struct{}, maxInFlight), turn: answered,
	}
}

// maxInFlight is how many commands of one connection run at once; the
// read loop reads the next frame only when one of them is answered.
const maxInFlight = 8

// answered is a turn that has passed: the answer before the first.
var answered = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// send queues a frame. A full queue closes the connection with 4000.
func (c *conn) send(frame []byte) { c.w.push(frame) }

// deliver hands the connection an event it may see. Called by its room
// with the room's lock held, in seq order. It reports whether the room is
// to write the frame itself with c.w.writeOffered once it has let go of
// its lock (writer.offer), which it may only when now is true.
func (c *conn) deliver(seq uint64, frame []byte, now bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		if c.heldBytes+len(frame) > c.h.cfg.QueueBytes {
			c.w.overflow()
			return false
		}
		c.held = append(c.held, held{seq, frame})
		c.heldBytes += len(frame)
		return false
	}
	if seq <= c.offset {
		return false
	}
	c.offset = seq
	return c.w.offer(frame, now)
}

// sendPaced queues a frame, waiting for room in the queue instead of
// overflowing (writer.pushPaced).
func (c *conn) sendPaced(ctx context.Context, frame []byte) bool {
	return c.w.pushPaced(ctx, frame)
}

// activate sends the events held since the snapshot was taken (after the
// welcome and any replay, already queued) and makes the connection live.
// It is one critical section with deliver, so no event is lost or doubled
// between the snapshot and the live stream.
func (c *conn) activate(offset uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.held {
		if e.seq > offset {
			c.w.enqueue(e.frame)
			offset = e.seq
		}
	}
	c.held, c.heldBytes = nil, 0
	c.offset = offset
	c.live = true
	if c.afterHeld.code != 0 {
		c.w.closeAfterFlush(c.afterHeld.code, c.afterHeld.reason)
	}
}

func (c *conn) isLive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live && !c.w.closed()
}

// close ends the connection with code as soon as the frame being written,
// if any, is out. Frames still queued are dropped: the device resumes.
func (c *conn) close(code protocol.CloseCode, reason string) { c.w.close(code, reason) }

// closeAfterFlush ends the connection with code once every frame queued
// is written and every command running has its answer, so that the
// device reads the last events, and the result of the command that ended
// the class, before the close.
func (c *conn) closeAfterFlush(code protocol.CloseCode, reason string) {
	c.w.closeAfterFlush(code, reason)
}

// closeAfterEvents is closeAfterFlush for a close that follows an event
// delivered by the room: on a connection still between its snapshot and
// the live stream, that event is held, and the close waits until
// activate has queued it.
func (c *conn) closeAfterEvents(code protocol.CloseCode, reason string) {
	c.mu.Lock()
	live := c.live
	if !live && c.afterHeld.code == 0 {
		c.afterHeld = closeWith{code, reason}
	}
	c.mu.Unlock()
	if live {
		c.closeAfterFlush(code, reason)
	}
}

// serve runs the connection: hello, welcome, then commands until the
// device or the server closes it.
func (c *conn) serve() {
	ctx, cancel := context.WithCancel(context.Background())
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.w.run(ctx)
	}()
	hello := time.AfterFunc(c.h.cfg.HelloTimeout, func() {
		c.close(protocol.CloseHelloTimeout, "no hello in time")
	})
	c.readSafely(ctx, hello)
	hello.Stop()
	cancel()
	// The commands still running end before the room is told the
	// connection left, so that the disconnection follows them.
	c.cmds.Wait()
	c.close(protocol.CloseNormal, "")
	c.wg.Wait()
	_ = c.ws.CloseNow()
	if c.room != nil {
		c.h.leave(c.room, c)
		c.disconnect()
	}
}

// readSafely is the read loop, with a panic in it (a bug met by one
// device's frames) kept to that connection: it is logged with its stack
// and counted, the device is closed with 1011 and resumes, and the
// connection ends as if its socket had, leaving its class and the node
// as they were.
func (c *conn) readSafely(ctx context.Context, hello *time.Timer) {
	defer func() {
		if p := recover(); p != nil {
			c.h.metrics.panics.Inc()
			c.h.log.Error("a connection's read loop panicked; closing it", "conn", c.id, "panic", p, "stack", string(debug.Stack()))
			c.close(protocol.CloseInternal, "server fault; reconnect")
		}
	}()
	c.readLoop(ctx, hello)
}

// frameRead, when set (by tests), sees every frame a connection reads,
// once decoded.
var frameRead atomic.Pointer[func(protocol.ClientFrame)]

func (c *conn) readLoop(ctx context.Context, hello *time.Timer) {
	for {
		// The read is ended by the socket's close, never by ctx (which
		// ends once the loop has returned): with a context that can end,
		// the library would register a callback on it for every frame's
		// header and payload.
		typ, b, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		c.h.metrics.framesIn.Inc()
		if typ != websocket.MessageText {
			c.refuseFrame(ctx, "", protocol.Errorf(protocol.CodeBadFrame, "frames must be text (JSON), not binary"))
			continue
		}
		f, perr := protocol.DecodeClientFrame(b)
		if see := frameRead.Load(); see != nil {
			(*see)(f)
		}
		if perr != nil {
			c.refuseFrame(ctx, f.ID, perr)
			continue
		}
		if c.room == nil {
			if f.Type != protocol.MsgHello {
				c.sendError(f.ID, protocol.Errorf(protocol.CodeNotReady, "say hello first"))
				continue
			}
			if c.hello(ctx, f) {
				hello.Stop()
			}
			continue
		}
		c.command(ctx, f)
	}
}

// refuseFrame answers a frame that is not a command that can run. Once
// the connection is in a room it takes its turn among the commands'
// answers.
func (c *conn) refuseFrame(ctx context.Context, id string, e *protocol.Error) {
	if c.room == nil {
		c.sendError(id, e)
		return
	}
	c.run(ctx, id, protocol.Command{}, c.errorFrame(id, e))
}

// hello authenticates the device, puts it in its room and sends the
// welcome. It reports whether the connection is now in a room.
func (c *conn) hello(ctx context.Context, f protocol.ClientFrame) bool {
	v, perr := protocol.DecodePayload(f.Type, f.Data)
	if perr != nil {
		c.sendError(f.ID, perr)
		return false
	}
	hi := v.(*protocol.Hello)
	claims, err := c.h.cfg.Tokens.Verify(hi.Token)
	if err != nil {
		c.refuse(f.ID, c.clientError(err))
		return false
	}
	room := hi.Room
	a := protocol.Actor{Role: claims.Role, Teacher: claims.Teacher, Student: claims.Student, Coach: claims.Coach}
	switch claims.Role {
	case protocol.RoleStudent, protocol.RoleProjector:
		if room != "" && room != claims.Room {
			c.refuse(f.ID, protocol.Errorf(protocol.CodeUnauthorized, "this token is for another class"))
			return false
		}
		room = claims.Room
	default:
		if room == "" {
			c.sendError(f.ID, protocol.Errorf(protocol.CodeInvalid, "hello.room is required for a %s", claims.Role))
			return false
		}
	}
	c.personKey = personKey(room, a)
	for _, old := range c.h.lim.hold(c, c.personKey, time.Now()) {
		old.evicted("node")
	}
	c.actor, c.viewer, c.name = a, a.Viewer(), claims.Name

	hr, err := c.h.enter(room, c)
	if err != nil {
		c.sendError(f.ID, c.clientError(err))
		return false
	}
	c.room = hr
	ok := c.welcome(ctx, f.ID, hi)
	if !ok {
		c.h.leave(hr, c)
		c.room = nil
	}
	return ok
}

func (c *conn) welcome(ctx context.Context, id string, hi *protocol.Hello) bool {
	hr := c.room
	raw, err := c.h.cfg.Rooms.Do(ctx, protocol.Command{Room: hr.id, Type: protocol.CmdSnapshot, Actor: c.actor})
	var snap protocol.SnapshotResult
	if err == nil {
		err = json.Unmarshal(raw, &snap)
	}
	if err != nil {
		pe := c.clientError(err)
		if pe.Code == protocol.CodeForbidden && c.actor.Role == protocol.RoleStudent {
			// A student token is issued only to a student the class took
			// in, and a class lets a student go only when the teacher
			// erases them: say so, rather than "join again".
			e := protocol.Errorf(protocol.CodeUnauthorized, "your teacher removed you from this class")
			c.sendError(id, e)
			c.closeAfterFlush(protocol.CloseRemoved, e.Message)
			return false
		}
		if pe.Code == protocol.CodeUnauthorized && c.actor.Role == protocol.RoleTeacher {
			// The class's share with this teacher ended: 4007, as their
			// consoles were closed when it did.
			c.sendError(id, pe)
			c.closeAfterFlush(protocol.CloseUnshared, pe.Message)
			return false
		}
		if pe.Code == protocol.CodeForbidden || pe.Code == protocol.CodeNotFound {
			// Not this token's class: the device must not retry it.
			c.refuse(id, protocol.Errorf(protocol.CodeUnauthorized, "%s", pe.Message))
			return false
		}
		c.sendError(id, pe)
		return false
	}
	hr.baseline(snap.Epoch, snap.Offset)

	w := protocol.Welcome{
		Role: c.actor.Role, Room: hr.id, Student: c.actor.Student, Name: snap.Name,
		ServerTime: time.Now().UnixMilli(), Epoch: snap.Epoch, Offset: snap.Offset,
	}
	var replay [][]byte
	if r := hi.Resume; r != nil {
		switch {
		case r.Epoch != snap.Epoch:
			w.Reason = protocol.Errorf(protocol.CodeNotRecoverable, "the class's log was replaced; here is a fresh snapshot")
		case r.Offset > snap.Offset:
			w.Reason = protocol.Errorf(protocol.CodeNotRecoverable, "offset %d is ahead of the class (%d); here is a fresh snapshot", r.Offset, snap.Offset)
		case r.Offset+1 < snap.FirstSeq:
			w.Reason = protocol.Errorf(protocol.CodeNotRecoverable, "the events after %d are no longer kept; here is a fresh snapshot", r.Offset)
		case snap.Offset-r.Offset > maxReplay:
			w.Reason = protocol.Errorf(protocol.CodeNotRecoverable, "%d events were missed; here is a fresh snapshot instead", snap.Offset-r.Offset)
		default:
			frames, err := hr.replay(ctx, snap.Epoch, c.viewer, r.Offset, snap.Offset)
			if err != nil {
				w.Reason = c.clientError(err)
				if w.Reason.Code != protocol.CodeNotRecoverable {
					w.Reason = protocol.Errorf(protocol.CodeNotRecoverable, "the missed events could not be read (%s); here is a fresh snapshot", w.Reason.Message)
				}
			} else {
				w.Resumed, replay = true, frames
			}
		}
		outcome := "resumed"
		if !w.Resumed {
			outcome = "snapshot"
		}
		c.h.metrics.resumes.WithLabelValues(outcome).Inc()
	}
	if !w.Resumed {
		w.Snapshot = snap.View
	}
	data, err := json.Marshal(w)
	if err != nil {
		c.sendError(id, protocol.Errorf(protocol.CodeInternal, "encode welcome: %v", err))
		return false
	}
	frame, _ := json.Marshal(protocol.ServerFrame{V: protocol.Version, Type: protocol.FrameWelcome, ID: id, Data: data})
	c.send(frame)
	for _, f := range replay {
		if !c.sendPaced(ctx, f) {
			return false
		}
	}
	c.activate(snap.Offset)

	var st struct {
		Status protocol.RoomStatus `json:"status"`
	}
	_ = json.Unmarshal(snap.View, &st)
	if st.Status == protocol.StatusEnded {
		c.closeAfterFlush(protocol.CloseRoomEnded, "the class has ended")
		return true
	}
	c.announcePresence()
	return true
}

// announcePresence tells the room's owner this connection is here. It is
// called after the welcome and again when the room gets a new owner,
// which starts with no connections.
func (c *conn) announcePresence() {
	data, _ := json.Marshal(c.h.holdOf([]protocol.HeldConn{c.heldData()}))
	_, err := c.h.cfg.Rooms.Do(context.Background(), protocol.Command{Room: c.room.id, Type: protocol.CmdConnect, Actor: c.actor, Conn: c.id, Data: data})
	if err != nil {
		c.h.log.Warn("presence: connect", "room", c.room.id, "conn", c.id, "err", err)
		return
	}
	c.mu.Lock()
	c.connected = true
	c.mu.Unlock()
}

func (c *conn) disconnect() {
	c.mu.Lock()
	was := c.connected
	c.mu.Unlock()
	if !was {
		return
	}
	_, err := c.h.cfg.Rooms.Do(context.Background(), protocol.Command{Room: c.room.id, Type: protocol.CmdDisconnect, Actor: c.actor, Conn: c.id})
	if err != nil {
		c.h.log.Warn("presence: disconnect", "room", c.room.id, "conn", c.id, "err", err)
	}
}

// command runs one device command through the room's owner and answers
// it. A connection's commands go to the class in the order they came, each
// once the one before it has its place in the class's order
// (rooms.WhenQueued), and up to maxInFlight run at once; their answers are
// sent in the same order, whatever order they finish in.
func (c *conn) command(ctx context.Context, f protocol.ClientFrame) {
	cmd, answer := c.prepare(f)
	c.run(ctx, f.ID, cmd, answer)
}

// run runs cmd in the room, or, when answer is set, only sends answer, in
// its turn after the answers to the commands before it.
func (c *conn) run(ctx context.Context, id string, cmd protocol.Command, answer []byte) {
	prev, mine := c.turn, make(chan struct{})
	c.turn = mine
	if answer != nil {
		select {
		case <-prev:
			// Nothing before it waits: answered at once.
			c.send(answer)
			close(mine)
			return
		default:
		}
	}
	select {
	case c.running <- struct{}{}:
	case <-ctx.Done():
		close(mine)
		return
	}
	c.w.hold()
	c.cmds.Add(1)
	queued := make(chan struct{})
	var once sync.Once
	placed := func() { once.Do(func() { close(queued) }) }
	go func() {
		defer c.cmds.Done()
		if answer == nil {
			out, err := c.h.cfg.Rooms.Do(rooms.WhenQueued(ctx, placed), cmd)
			if err != nil {
				answer = c.errorFrame(id, c.clientError(err))
			} else {
				answer = mustFrame(protocol.ServerFrame{V: protocol.Version, Type: protocol.FrameResult, ID: id, Data: out})
			}
		}
		placed()
		<-prev
		c.send(answer)
		close(mine)
		c.w.release()
		<-c.running
	}()
	<-queued
}

// prepare checks a command frame: either the command to run in the room,
// or the answer to send without it (a refusal, or a ping's pong).
func (c *conn) prepare(f protocol.ClientFrame) (protocol.Command, []byte) {
	switch {
	case f.Type == protocol.MsgHello:
		return protocol.Command{}, c.errorFrame(f.ID, protocol.Errorf(protocol.CodeInvalid, "hello was already answered on this connection"))
	case !protocol.Allowed(f.Type, c.actor.Role):
		return protocol.Command{}, c.errorFrame(f.ID, protocol.Errorf(protocol.CodeForbidden, "a %s may not send %s", c.actor.Role, f.Type))
	}
	if e := c.rateLimited(); e != nil {
		return protocol.Command{}, c.errorFrame(f.ID, e)
	}
	v, perr := protocol.DecodePayload(f.Type, f.Data)
	if perr != nil {
		return protocol.Command{}, c.errorFrame(f.ID, perr)
	}
	if f.Type == protocol.MsgPing {
		data, _ := json.Marshal(protocol.Pong{ServerTime: time.Now().UnixMilli()})
		return protocol.Command{}, mustFrame(protocol.ServerFrame{V: protocol.Version, Type: protocol.FrameResult, ID: f.ID, Data: data})
	}
	data, err := json.Marshal(v)
	if err != nil {
		return protocol.Command{}, c.errorFrame(f.ID, protocol.Errorf(protocol.CodeInternal, "encode %s: %v", f.Type, err))
	}
	return protocol.Command{
		Room: c.room.id, Type: f.Type, ReqID: f.ID, Actor: c.actor, Conn: c.id, Name: c.name, Data: data,
	}, nil
}

// clientError is what the device is told of err (protocol.ErrorOf); an
// error that is the server's fault is logged here, since the device is
// told nothing of it.
func (c *conn) clientError(err error) *protocol.Error {
	pe := protocol.ErrorOf(err)
	if pe.Code == protocol.CodeInternal {
		var room protocol.RoomID
		if c.room != nil {
			room = c.room.id
		}
		c.h.log.Error("device request failed", "conn", c.id, "room", room, "err", err)
	}
	return pe
}

func (c *conn) sendError(id string, e *protocol.Error) { c.send(c.errorFrame(id, e)) }

func (c *conn) errorFrame(id string, e *protocol.Error) []byte {
	return mustFrame(protocol.ServerFrame{V: protocol.Version, Type: protocol.FrameError, ID: id, Error: e})
}

// refuse answers a hello whose token will never work and closes with
// 4002, so that the device stops retrying and asks its user.
func (c *conn) refuse(id string, e *protocol.Error) {
	c.sendError(id, e)
	c.closeAfterFlush(protocol.CloseUnauthorized, e.Message)
}

// mustFrame encodes a server frame. Only a result from the room that is
// not valid JSON could fail; the device then gets an internal error.
func mustFrame(f protocol.ServerFrame) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		b, _ = json.Marshal(protocol.ServerFrame{V: protocol.Version, Type: protocol.FrameError, ID: f.ID,
			Error: protocol.Errorf(protocol.CodeInternal, "the result could not be encoded")})
	}
	return b
}
