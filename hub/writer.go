package hub

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// writer is the write side of one connection: a queue of frames bounded
// in bytes, and the loop (run) that writes the socket's data frames, but
// for those written at once by whoever pushed them (offer, below); the
// WebSocket library writes the control frames.
//
// It is built for fan-out. A frame is queued by reference: every device
// of a room gets the same bytes, encoded once per node. Queueing takes a
// short lock and wakes the loop at most once, however many frames arrive
// before it runs; the loop takes the whole queue at once and writes it
// without waking again and without allocating: the two slices of the
// queue are swapped rather than made anew, and a write's timeout is the
// time it started, which the hub sweeps, rather than a context or a timer
// per frame. Each frame is still one WebSocket message, as PROTOCOL.md
// says; the messages of a batch go out together, in as few system calls
// as hold them, framed by the writer itself (frames.go).
//
// Most frames never wait in the queue: a frame pushed while nothing is
// queued or being written is written by whoever pushed it, at once and
// without waiting for the socket (offer, writeOffered, frameConn.trySend),
// so that a class's event reaches an idle device without waking its loop.
// What the socket does not take then is the loop's to write.
type writer struct {
	ws        *websocket.Conn
	fc        *frameConn  // the socket under ws, which the data frames go to
	more      func() bool // the batch in hand goes on: nothing stopped it
	m         *metrics
	limit     int // bytes the queue may hold
	pingEvery time.Duration
	conn      string // the connection's ID, for the log
	log       *slog.Logger

	wake    chan struct{} // something is queued, a ping is due, or the connection closes; capacity 1
	taken   chan struct{} // the loop took the queue; capacity 1, for pushPaced
	stopped atomic.Bool   // close or overflow: write nothing more of the batch in hand
	pingDue atomic.Bool   // the ping timer fired: the loop starts a ping
	// since is when the frame being written started (sinceStart), 0
	// between frames. The hub's sweep drops a socket whose write has
	// taken longer than the write timeout.
	since atomic.Int64
	// Frames written by their pushers, and of them those the socket took
	// only part of.
	atOnce, partly atomic.Int64
	gap            time.Duration // burstGap, but in tests

	mu      sync.Mutex
	queue   [][]byte
	spare   [][]byte // the slice the loop gives back, reused for the next queue
	queued  int      // bytes in queue
	closing protocol.CloseCode
	reason  string
	writing bool // the loop is writing a batch, or a pusher a frame (offer)
	flush   bool // a frame written by a pusher is partly pending: the loop writes the rest
	failed  bool // a pusher's write failed: the loop drops the socket
	waiting bool // the loop woke while a pusher was writing, and waits for it
	// wroteNow is when a pusher last wrote a frame (sinceStart), 0
	// before the first.
	wroteNow int64
	final    closeWith
	holds    int // commands running whose answers must precede the final close
}

// closeWith is a close code and reason waiting for its moment.
type closeWith struct {
	code   protocol.CloseCode
	reason string
}

// burstGap is how long after a frame written at once the next one is
// queued instead: frames that come faster than this are a burst (a
// resume, a busy class, a node behind), which the loop writes several
// to a system call.
const burstGap = time.Millisecond

// maxSpare caps the capacity of a queue slice that is kept for reuse, so
// that one long replay does not pin a large array for the connection's
// life.
const maxSpare = 256

func newWriter(h *Hub, ws *websocket.Conn, fc *frameConn, id string) *writer {
	w := &writer{
		ws: ws, fc: fc, m: h.metrics, limit: h.cfg.QueueBytes, pingEvery: h.cfg.PingInterval,
		conn: id, log: h.log,
		wake: make(chan struct{}, 1), taken: make(chan struct{}, 1),
		gap: burstGap,
	}
	w.more = func() bool { return !w.stopped.Load() }
	return w
}

func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// push sends a frame: at once if nothing is queued or being written,
// else through the queue. A frame that would take the queue past its
// limit closes the connection with 4000 instead.
func (w *writer) push(frame []byte) {
	if w.offer(frame, true) {
		w.writeOffered(frame)
	}
}

// enqueue is push without the write at once, for a caller holding a lock
// that a write should not be made under.
func (w *writer) enqueue(frame []byte) { w.offer(frame, false) }

// offer queues a frame, or, when now allows it and nothing is queued or
// being written, reports that the caller is to write it itself with
// writeOffered. Until it does, the connection writes nothing else: the
// caller calls writeOffered as soon as it has let go of its own locks,
// and in every case.
func (w *writer) offer(frame []byte, now bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing != 0 {
		return false
	}
	if w.queued+len(frame) > w.limit {
		w.overflowLocked()
		return false
	}
	if now && !w.writing && !w.flush && len(w.queue) == 0 && w.fc != nil && w.fc.now != nil && len(frame) < largeFrame {
		// A frame close behind the last one written at once goes to
		// the loop, which writes the frames of a burst together.
		if t := sinceStart(); t-w.wroteNow >= int64(w.gap) {
			w.wroteNow = t
			w.writing = true
			return true
		}
	}
	w.appendLocked(frame)
	return false
}

// writeOffered writes a frame that offer gave the caller, and with it the
// frames queued behind it since (those of the caller's other events, a
// command's answer), in one system call that does not wait for the
// socket. It wakes the loop if anything is left to do: the rest of what
// the socket did not take, frames that did not fit or came meanwhile, a
// close, or a socket to drop.
func (w *writer) writeOffered(frame []byte) {
	var behind [][]byte
	w.mu.Lock()
	if len(w.queue) > 0 {
		behind = w.queue
		w.queue, w.spare, w.queued = w.spare, nil, 0
	}
	w.mu.Unlock()
	if behind != nil {
		select {
		case w.taken <- struct{}{}:
		default:
		}
	}
	n, all, err := w.fc.trySend(frame, behind)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rest := behind[n:]; len(rest) > 0 && w.closing == 0 {
		// Frames that did not fit go first, before those queued since.
		queue := make([][]byte, 0, len(rest)+len(w.queue))
		queue = append(append(queue, rest...), w.queue...)
		for _, f := range rest {
			w.queued += len(f)
		}
		w.queue = queue
	}
	if behind != nil {
		clear(behind)
		if w.spare == nil && cap(behind) <= maxSpare {
			w.spare = behind[:0]
		}
	}
	w.writing = false
	switch {
	case err != nil:
		if !errors.Is(err, net.ErrClosed) {
			w.log.Debug("write failed", "conn", w.conn, "err", err)
		}
		w.failed = true
	case !all:
		w.flush = true
		w.partly.Add(1)
	}
	if err == nil {
		w.atOnce.Add(int64(1 + n))
		w.m.framesOut.Add(float64(1 + n))
	}
	if w.waiting || w.failed || w.flush || len(w.queue) > 0 || w.closing != 0 || w.final.code != 0 {
		w.signal()
	}
}

func (w *writer) appendLocked(frame []byte) {
	if len(w.queue) == 0 && !w.writing {
		// The loop takes everything queued until it runs. While a
		// batch is being written, its writer looks again after it.
		w.signal()
	}
	w.queue = append(w.queue, frame)
	w.queued += len(frame)
}

// pushPaced queues a frame, waiting for room in the queue instead of
// overflowing: a resume may replay more than the queue holds, and the
// device reading it is the one that waits. It reports false if the
// connection closed meanwhile.
func (w *writer) pushPaced(ctx context.Context, frame []byte) bool {
	for {
		w.mu.Lock()
		if w.closing != 0 {
			w.mu.Unlock()
			return false
		}
		if w.queued == 0 || w.queued+len(frame) <= w.limit {
			w.appendLocked(frame)
			w.mu.Unlock()
			return true
		}
		w.mu.Unlock()
		select {
		case <-w.taken:
		case <-ctx.Done():
			return false
		}
	}
}

// overflow closes a device that fell too far behind (4000).
func (w *writer) overflow() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.overflowLocked()
}

// overflowLocked closes a device that fell too far behind. Its socket is
// most likely full, so a write in progress is aborted: the device sees
// 4000 if the close still fits, a dropped connection if not, and resumes
// either way.
func (w *writer) overflowLocked() {
	if w.closing != 0 {
		return
	}
	w.m.overflows.Inc()
	w.closeLocked(protocol.CloseSlowConsumer, "too far behind; resume")
	if w.writing {
		go func() { _ = w.ws.CloseNow() }()
	}
}

// close ends the connection with code as soon as the frame being written,
// if any, is out. Frames still queued are dropped: the device resumes.
func (w *writer) close(code protocol.CloseCode, reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing == 0 {
		w.closeLocked(code, reason)
	}
}

func (w *writer) closeLocked(code protocol.CloseCode, reason string) {
	w.closing, w.reason = code, reason
	clear(w.queue)
	w.queue, w.queued = w.queue[:0], 0
	w.stopped.Store(true)
	w.signal()
}

// closeAfterFlush ends the connection with code once every frame queued
// is written and every command held has its answer.
func (w *writer) closeAfterFlush(code protocol.CloseCode, reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing != 0 || w.final.code != 0 {
		return
	}
	w.final = closeWith{code, reason}
	w.signal()
}

// hold delays a final close until release: a command is running, and its
// answer must reach the device before the close.
func (w *writer) hold() {
	w.mu.Lock()
	w.holds++
	w.mu.Unlock()
}

func (w *writer) release() {
	w.mu.Lock()
	w.holds--
	w.mu.Unlock()
	w.signal()
}

// closed reports whether the connection is closing: nothing more will be
// written.
func (w *writer) closed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closing != 0
}

// run writes the socket's data frames that were queued. It returns when
// the connection is closed, after sending the close frame when it can.
// It sleeps on its wake channel alone: the ping timer and the end of ctx
// wake it too.
func (w *writer) run(ctx context.Context) {
	pctx, cancel := context.WithCancel(ctx)
	var pings sync.WaitGroup
	defer func() {
		cancel()
		pings.Wait()
	}()
	stopWaking := context.AfterFunc(ctx, w.signal)
	defer stopWaking()
	var (
		pinger *time.Timer
		done   atomic.Bool // the loop returned: the timer is not set again
	)
	pinger = time.AfterFunc(math.MaxInt64, func() {
		if done.Load() {
			return
		}
		w.pingDue.Store(true)
		w.signal()
		pinger.Reset(w.pingEvery)
	})
	pinger.Reset(w.pingEvery) // pinger is set before the timer can fire
	defer func() {
		done.Store(true)
		pinger.Stop()
	}()
	var batch [][]byte
	for {
		w.mu.Lock()
		if w.writing && w.closing == 0 {
			// A pusher is writing a frame (offer): it wakes the loop
			// when it is done, since the loop waits for it.
			w.waiting = true
			w.mu.Unlock()
			<-w.wake
			continue
		}
		w.waiting = false
		if batch != nil && w.spare == nil && cap(batch) <= maxSpare {
			w.spare = batch[:0]
		}
		batch = w.queue
		w.queue, w.spare, w.queued = w.spare, nil, 0
		flush, failed := w.flush, w.failed
		w.flush = false
		code, reason := w.closing, w.reason
		if code == 0 && len(batch) == 0 && !flush && w.final.code != 0 && w.holds == 0 {
			code, reason = w.final.code, w.final.reason
			w.closeLocked(code, reason)
		}
		w.writing = (len(batch) > 0 || flush) && code == 0 && !failed
		w.mu.Unlock()
		if code != 0 {
			_ = w.ws.Close(websocket.StatusCode(code), reason)
			return
		}
		if failed {
			_ = w.ws.CloseNow()
			return
		}
		if len(batch) > 0 || flush {
			select {
			case w.taken <- struct{}{}:
			default:
			}
			if !w.write(batch) {
				w.mu.Lock()
				w.writing = false
				code, reason := w.closing, w.reason
				w.mu.Unlock()
				if code != 0 {
					_ = w.ws.Close(websocket.StatusCode(code), reason)
				}
				_ = w.ws.CloseNow()
				return
			}
			w.mu.Lock()
			w.writing = false
			w.mu.Unlock()
			continue // look again before sleeping: more may have come meanwhile
		}
		if ctx.Err() != nil {
			return
		}
		if w.pingDue.Swap(false) {
			pings.Add(1)
			go w.ping(pctx, &pings)
		}
		<-w.wake
	}
}

// sinceStart is a monotonic clock for the write sweep (Hub.sweepWrites).
var clockStart = time.Now()

func sinceStart() int64 { return int64(time.Since(clockStart)) + 1 } // never 0

// write writes a batch, each frame one message, as few system calls as
// hold them (frameConn.sendFrames), and reports whether the socket is
// still good. There is no deadline on a write: the hub's sweep bounds it
// (w.since), without a context and a callback, or a timer's reset, for
// every frame.
func (w *writer) write(batch [][]byte) bool {
	if len(batch) == 0 { // only the rest of a frame written at once
		w.since.Store(sinceStart())
		err := w.fc.flush()
		w.since.Store(0)
		return err == nil
	}
	n, err := w.fc.sendFrames(batch, w.more, &w.since)
	w.m.framesOut.Add(float64(n))
	return err == nil
}

// ping finds devices that vanished without closing (a lid shut, a
// network gone), so that their presence ends and their goroutines exit.
func (w *writer) ping(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	ctx, cancel := context.WithTimeout(ctx, w.pingEvery)
	defer cancel()
	if err := w.ws.Ping(ctx); err != nil && ctx.Err() != nil {
		w.log.Debug("device does not answer pings", "conn", w.conn)
		_ = w.ws.CloseNow()
	}
}
