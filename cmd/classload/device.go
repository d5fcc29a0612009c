package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// commandTimeout is how long a device waits for a command's answer
// before it gives the command up, as the protocol suggests.
const commandTimeout = 10 * time.Second

// errDown is a command whose connection dropped before its answer came.
var errDown = errors.New("the connection dropped")

// device is one simulated device: a real WebSocket to the server, a
// reader that keeps every event's seq, and commands matched to their
// answers by ID. One goroutine (the device's behaviour) sends commands
// and reconnects; the reader runs beside it.
type device struct {
	s       *sim
	cl      *simClass
	idx     int // 0: the teacher; 1 on: the students
	token   string
	room    protocol.RoomID // in the hello: a teacher's token names no class
	student protocol.StudentID
	rng     *rand.Rand // the behaviour's own, seeded
	prefix  string     // of the command IDs, unique for the person
	// onEvent sees every event; live is false for those a resume
	// replayed (sent while the device was away: not timed).
	onEvent  func(f protocol.ServerFrame, size int, at time.Time, live bool)
	practice chan struct{} // a practice event came

	wmu sync.Mutex // one frame written at a time
	// recon is held while the connection is replaced, so that commands
	// running at once replace a lost connection once; backoff is the
	// reconnection's jitter, used under it.
	recon   sync.Mutex
	backoff *rand.Rand

	mu      sync.Mutex
	ws      *websocket.Conn
	down    chan struct{} // closed when the current connection's reader stops
	pending map[string]chan protocol.ServerFrame
	next    int
	epoch   string
	offset  uint64   // resume from here: the largest seq received, or the snapshot's offset
	first   uint64   // the first welcome's offset: the stream is checked after it
	seqs    []uint64 // every event's seq, in the order received, over every connection
	reset   bool     // a resume was refused or the epoch changed: the stream cannot be checked
	joined  bool     // has connected once
	audited []uint64 // what the server's log holds for this device, from the audit
	history []string // each welcome: how it resumed, for the check's messages
}

func newDevice(s *sim, cl *simClass, idx int, seed uint64) *device {
	rng := rand.New(rand.NewPCG(seed, uint64(idx)))
	return &device{
		s: s, cl: cl, idx: idx, rng: rng, backoff: rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(idx))),
		prefix:  strconv.FormatUint(rng.Uint64()&0xffffffff, 36) + "-",
		pending: map[string]chan protocol.ServerFrame{}, practice: make(chan struct{}, 1),
	}
}

// connect opens a connection, says hello (resuming from the device's
// offset when resume) and waits for the welcome. It returns the time
// from dialling to the welcome.
func (d *device) connect(ctx context.Context, resume bool) (time.Duration, error) {
	t0 := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, d.s.wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return 0, err
	}
	ws.SetReadLimit(64 << 20) // a teacher's snapshot of a large class
	d.mu.Lock()
	hello := protocol.Hello{Token: d.token, Room: d.room}
	if resume {
		hello.Resume = &protocol.Resume{Epoch: d.epoch, Offset: d.offset}
	}
	d.next++
	id := d.prefix + "h" + strconv.Itoa(d.next)
	d.mu.Unlock()
	if err := writeFrame(dctx, ws, id, protocol.MsgHello, hello); err != nil {
		ws.CloseNow()
		return 0, err
	}
	for {
		_, b, err := ws.Read(dctx)
		if err != nil {
			ws.CloseNow()
			return 0, err
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		if f.Type == protocol.FrameError {
			ws.CloseNow()
			return 0, fmt.Errorf("hello: %w", f.Error)
		}
		if f.Type != protocol.FrameWelcome {
			continue
		}
		var w protocol.Welcome
		if err := json.Unmarshal(f.Data, &w); err != nil {
			ws.CloseNow()
			return 0, fmt.Errorf("welcome: %w", err)
		}
		took := time.Since(t0)
		down := make(chan struct{})
		d.mu.Lock()
		if len(d.history) < 64 {
			from := "-"
			if resume {
				from = strconv.FormatUint(d.offset, 10)
			}
			d.history = append(d.history, fmt.Sprintf("%s→%d resumed=%v", from, w.Offset, w.Resumed))
		}
		if !w.Resumed {
			if resume {
				d.reset = true // the server could not resume: the stream has a hole it told us of
			}
			d.epoch, d.offset = w.Epoch, max(d.offset, w.Offset)
			if !d.joined {
				d.first = w.Offset
			}
		}
		d.joined = true
		d.ws, d.down = ws, down
		d.mu.Unlock()
		replayTo := uint64(0)
		if w.Resumed {
			replayTo = w.Offset
		}
		go asLoad(context.WithoutCancel(ctx), func(ctx context.Context) { d.read(ctx, ws, down, replayTo) })
		return took, nil
	}
}

func writeFrame(ctx context.Context, ws *websocket.Conn, id string, typ protocol.MsgType, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	return ws.Write(ctx, websocket.MessageText, f)
}

// read keeps the events of one connection and hands answers to their
// commands, until the connection ends. Events up to replayTo are those a
// resume replayed.
func (d *device) read(ctx context.Context, ws *websocket.Conn, down chan struct{}, replayTo uint64) {
	defer close(down)
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		at := time.Now()
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) != nil {
			d.s.fail("bad_server_frame")
			continue
		}
		switch f.Type {
		case protocol.FrameEvent:
			d.mu.Lock()
			if f.Epoch != d.epoch {
				d.reset, d.epoch = true, f.Epoch
			}
			d.seqs = append(d.seqs, f.Seq)
			d.offset = max(d.offset, f.Seq)
			d.mu.Unlock()
			d.s.events.Add(1)
			if d.onEvent != nil {
				d.onEvent(f, len(b), at, f.Seq > replayTo)
			}
		case protocol.FrameResult, protocol.FrameError:
			d.mu.Lock()
			ch := d.pending[f.ID]
			delete(d.pending, f.ID)
			d.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		}
	}
}

// isDown reports whether the device has no live connection.
func (d *device) isDown() bool {
	d.mu.Lock()
	down := d.down
	d.mu.Unlock()
	if down == nil {
		return true
	}
	select {
	case <-down:
		return true
	default:
		return false
	}
}

// drop cuts the connection as a device that loses its network does,
// and waits for the reader to stop.
func (d *device) drop() {
	d.mu.Lock()
	ws, down := d.ws, d.down
	d.mu.Unlock()
	if ws == nil {
		return
	}
	_ = ws.CloseNow()
	<-down
}

// reconnect connects again and resumes, backing off with jitter (0.5 s
// doubling to 8 s, ±50 %) while the server does not take it.
func (d *device) reconnect(ctx context.Context) error {
	d.recon.Lock()
	defer d.recon.Unlock()
	return d.reconnectLocked(ctx)
}

// redial replaces the connection whose reader stopped (down), unless a
// command running at the same time already did.
func (d *device) redial(ctx context.Context, down chan struct{}) error {
	d.recon.Lock()
	defer d.recon.Unlock()
	d.mu.Lock()
	cur := d.down
	d.mu.Unlock()
	if cur != down {
		return nil
	}
	d.drop()
	return d.reconnectLocked(ctx)
}

func (d *device) reconnectLocked(ctx context.Context) error {
	back := 500 * time.Millisecond
	for {
		wait := time.Duration(float64(back) * (0.5 + d.backoff.Float64()))
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		_, err := d.connect(ctx, true)
		if err == nil {
			d.s.reconnects.Add(1)
			return nil
		}
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code == protocol.CodeUnauthorized {
			return err
		}
		d.s.fail("reconnect")
		back = min(2*back, 8*time.Second)
	}
}

// call sends a command and waits for its answer. When the connection
// drops first, it reconnects, resumes and sends the command again with
// the same ID, as the protocol allows.
func (d *device) call(ctx context.Context, typ protocol.MsgType, data any) (json.RawMessage, error) {
	d.mu.Lock()
	d.next++
	id := d.prefix + strconv.Itoa(d.next)
	d.mu.Unlock()
	d.s.commands.Add(1)
	for {
		ch := make(chan protocol.ServerFrame, 1)
		d.mu.Lock()
		ws, down := d.ws, d.down
		d.pending[id] = ch
		d.mu.Unlock()
		d.wmu.Lock()
		err := writeFrame(ctx, ws, id, typ, data)
		d.wmu.Unlock()
		if err == nil {
			timer := time.NewTimer(commandTimeout)
			select {
			case f := <-ch:
				timer.Stop()
				if f.Type == protocol.FrameError {
					d.s.refused(f.Error.Code)
					return nil, f.Error
				}
				return f.Data, nil
			case <-down:
				err = errDown
			case <-timer.C:
				err = fmt.Errorf("%s: no answer within %v", typ, commandTimeout)
			case <-ctx.Done():
				timer.Stop()
			}
			timer.Stop()
		}
		d.mu.Lock()
		delete(d.pending, id)
		d.mu.Unlock()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, errDown) && !d.isDown() {
			d.s.fail("timeout")
			return nil, err
		}
		d.s.fail("dropped_by_server")
		if err := d.redial(ctx, down); err != nil {
			return nil, err
		}
	}
}

// sleep waits d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errCode is the protocol error code of err, or "".
func errCode(err error) protocol.Code {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
