package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// frameConn is a device's socket, shared by the two writers of its
// frames: the WebSocket library, which writes the handshake's answer and
// the control frames (ping, pong, close), and the connection's writer,
// which writes the data frames itself (sendFrames).
//
// The library's path for a message takes two channel locks and sets up a
// write timeout for every message, and writes one message per system
// call; measured under fan-out it cost more than half as much again as
// the system call (docs/ARCHITECTURE.md). A data frame from the server is
// simple: a header of 2 to 10 bytes and the payload, unmasked and
// uncompressed (the node never negotiates compression), so the writer
// frames the messages of a batch itself and writes them together.
//
// The two writers never split each other's frames: every Write here
// holds mu, the library writes a control frame in one Write (its buffer,
// controlBuffer, holds the largest control frame, and it flushes at the
// end of each), and sendFrames writes only whole frames. A frame written
// without waiting (trySend) that the socket took only part of leaves the
// rest pending, and every write, the library's too, sends what is pending
// first. Once the library has written a close frame, no data frame
// follows it.
type frameConn struct {
	net.Conn
	// now writes to the socket's descriptor without waiting (trySend);
	// nil where there is none (a TLS connection).
	now *nowWriter

	mu        sync.Mutex
	framing   bool   // the handshake is answered: each Write of the library is one frame
	closeSent bool   // the library wrote a close frame
	pending   []byte // the end of a frame that trySend could not write at once
}

// newFrameConn wraps a hijacked socket.
func newFrameConn(nc net.Conn) *frameConn {
	return &frameConn{Conn: nc, now: newNowWriter(rawOf(nc))}
}

// controlBuffer is the size of the library's write buffer: a control
// frame from the server is at most 2 bytes of header and 125 of payload.
const controlBuffer = 256

// Write is the library's: the handshake's answer, then control frames.
func (c *frameConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	if c.framing && len(p) > 0 && p[0]&0x0f == opClose {
		c.closeSent = true
	}
	return c.Conn.Write(p)
}

// flushLocked writes what trySend left pending, waiting for the socket.
func (c *frameConn) flushLocked() error {
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.pending)
	c.pending = nil
	return err
}

// flush writes what trySend left pending, if anything.
func (c *frameConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

// trySend writes frame as one message, and after it as many of the
// messages behind as fit a batch (batchBytes, none of largeFrame or
// more), without waiting for the socket. It returns how many of behind it
// took, and whether all it took went out. What the socket did not take
// stays pending, and the next write of either writer sends it first: the
// caller makes sure one follows (writer.writeOffered). It refuses with
// net.ErrClosed once the library has written a close frame. Only for a
// socket with a descriptor (now) and a frame under largeFrame.
func (c *frameConn) trySend(frame []byte, behind [][]byte) (took int, all bool, err error) {
	bp := batchPool.Get().(*[]byte)
	buf := append(appendTextHeader((*bp)[:0], len(frame)), frame...)
	for _, m := range behind {
		if len(m) >= largeFrame || len(buf)+maxFrameHeader+len(m) > batchBytes {
			break
		}
		buf = append(appendTextHeader(buf, len(m)), m...)
		took++
	}
	defer func() {
		*bp = buf[:0]
		batchPool.Put(bp)
	}()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent {
		return took, false, net.ErrClosed
	}
	if len(c.pending) > 0 {
		c.pending = append(c.pending, buf...)
		return took, false, nil
	}
	n, err := c.now.write(buf)
	if err != nil {
		return took, false, err
	}
	if n < len(buf) {
		c.pending = bytes.Clone(buf[n:])
		return took, false, nil
	}
	return took, true, nil
}

// startFraming marks the end of the handshake: from now on the first
// byte of each of the library's writes is a frame's.
func (c *frameConn) startFraming() {
	c.mu.Lock()
	c.framing = true
	c.mu.Unlock()
}

// WebSocket opcodes (RFC 6455, 5.2).
const (
	opText  = 0x1
	opClose = 0x8
)

// maxFrameHeader is the largest header of an unmasked frame.
const maxFrameHeader = 10

// appendTextHeader appends the header of an unmasked, final text frame
// with a payload of n bytes.
func appendTextHeader(b []byte, n int) []byte {
	const finText = 0x80 | opText
	switch {
	case n < 126:
		return append(b, finText, byte(n))
	case n <= 0xffff:
		return append(b, finText, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, finText, 127), uint64(n))
	}
}

// send writes b, whole frames, and then tail, the payload of the frame
// whose header ends b, if tail is not nil. It refuses with net.ErrClosed
// once the library has written a close frame.
func (c *frameConn) send(b, tail []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent {
		return net.ErrClosed
	}
	if tail == nil && len(c.pending) == 0 {
		_, err := c.Conn.Write(b)
		return err
	}
	// One system call for all where the socket takes a vector.
	bufs := net.Buffers{b, tail}
	if len(c.pending) > 0 {
		bufs = net.Buffers{c.pending, b, tail}
		c.pending = nil
	}
	if len(tail) == 0 {
		bufs = bufs[:len(bufs)-1]
	}
	_, err := bufs.WriteTo(c.Conn)
	return err
}

// Batches of frames are put together in a buffer of batchBytes, taken
// from a pool for the write and given back after it, so that an idle
// connection holds none. A frame of largeFrame bytes or more is not
// copied: its payload is written from where it is.
const (
	batchBytes = 16 << 10
	largeFrame = 4 << 10
)

var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, batchBytes); return &b }}

// sendFrames writes msgs, each as one text message, in as few writes as
// hold them. Before each write it asks more whether to go on (a close or
// an overflow stops the batch: sendFrames then returns with no error) and
// marks the write's start in since, for the hub's sweep of stuck writes.
// It returns how many frames went out. The entries of msgs are cleared on
// return, so that a frame is not kept by a slice waiting for reuse.
func (c *frameConn) sendFrames(msgs [][]byte, more func() bool, since *atomic.Int64) (int, error) {
	bp := batchPool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		clear(msgs)
		*bp = buf[:0]
		batchPool.Put(bp)
	}()
	sent, held := 0, 0 // frames written, and frames in buf
	write := func(tail []byte) error {
		if !more() {
			return errStopped
		}
		since.Store(sinceStart())
		err := c.send(buf, tail)
		since.Store(0)
		if err != nil {
			return err
		}
		sent, held, buf = sent+held, 0, buf[:0]
		return nil
	}
	for _, m := range msgs {
		if held > 0 && len(buf)+maxFrameHeader+len(m) > batchBytes {
			if err := write(nil); err != nil {
				return sent, stoppedIsNil(err)
			}
		}
		buf = appendTextHeader(buf, len(m))
		held++
		if len(m) >= largeFrame {
			if err := write(m); err != nil {
				return sent, stoppedIsNil(err)
			}
			continue
		}
		buf = append(buf, m...)
	}
	if held > 0 {
		if err := write(nil); err != nil {
			return sent, stoppedIsNil(err)
		}
	}
	return sent, nil
}

// errStopped is sendFrames' own: the batch was stopped, not failed.
var errStopped = errors.New("stopped")

func stoppedIsNil(err error) error {
	if err == errStopped {
		return nil
	}
	return err
}
