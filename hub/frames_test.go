package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/coder/websocket"
)

// frameSizes is n sizes of messages for the framing tests: one in ten
// one of edges, the others up to 3,000 bytes.
func frameSizes(rng *rand.Rand, n int, edges ...int) []int {
	sizes := make([]int, n)
	for i := range sizes {
		if i%10 == 0 {
			sizes[i] = edges[rng.IntN(len(edges))]
		} else {
			sizes[i] = rng.IntN(3000)
		}
	}
	return sizes
}

// readFramed reads messages from, from+1 … to-1 (framedMessage) and fails the test
// unless each arrives whole, as text, in order.
func readFramed(ctx context.Context, t *testing.T, ws *websocket.Conn, sizes []int, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		typ, got, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		want := framedMessage(i, sizes[i])
		if typ != websocket.MessageText || !bytes.Equal(got, want) {
			t.Fatalf("message %d: %v of %d bytes starting %q, want text of %d starting %q", i, typ, len(got), got[:min(len(got), 6)], len(want), want[:6])
		}
	}
}

// framedMessage is message i of TestFramesAndControlFramesDoNotMix: its
// number, then filler to n bytes.
func framedMessage(i, n int) []byte {
	head := fmt.Sprintf("%06d", i)
	if n < len(head) {
		n = len(head)
	}
	return append([]byte(head), bytes.Repeat([]byte{'a' + byte(i%26)}, n-len(head))...)
}

// The writer's data frames and the library's control frames share the
// socket: batches of messages of every size a header and a batch treat
// differently, written while both ends ping each other as fast as they
// can, arrive whole and in order at a strict client, over plain TCP and
// over TLS (where a large frame's header and payload are two writes, which
// only the connection's lock keeps together: TestDataFramesHoldTheLock).
func TestFramesAndControlFramesDoNotMix(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsOn), func(t *testing.T) {
			const total = 3000
			rng := rand.New(rand.NewPCG(7, 9))
			sizes := frameSizes(rng, total, 0, 6, 125, 126, 127, 0xffff, 0x10000, largeFrame-1, largeFrame, batchBytes-maxFrameHeader, batchBytes, batchBytes+1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var serving sync.WaitGroup
			serverErr := make(chan error, 1)
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				serving.Add(1)
				defer serving.Done()
				sb := &smallBuffers{ResponseWriter: w}
				ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
				if err != nil {
					serverErr <- err
					return
				}
				defer ws.CloseNow()
				sb.conn.startFraming()
				// The reader answers the client's pings with pongs, and
				// reads the pongs to the server's.
				go func() {
					for {
						if _, _, err := ws.Read(ctx); err != nil {
							return
						}
					}
				}()
				go func() {
					for ctx.Err() == nil && ws.Ping(ctx) == nil {
					}
				}()
				var since atomic.Int64
				goOn := func() bool { return true }
				for i := 0; i < total; {
					n := min(1+rng.IntN(20), total-i)
					batch := make([][]byte, n)
					for j := range batch {
						batch[j] = framedMessage(i+j, sizes[i+j])
					}
					sent, err := sb.conn.sendFrames(batch, goOn, &since)
					if err != nil || sent != n {
						serverErr <- fmt.Errorf("batch at %d: %d of %d sent: %v", i, sent, n, err)
						return
					}
					for j, m := range batch {
						if m != nil {
							serverErr <- fmt.Errorf("batch at %d: entry %d kept after the write", i, j)
							return
						}
					}
					i += n
				}
				serverErr <- nil
				<-ctx.Done()
			})
			var srv *httptest.Server
			if tlsOn {
				srv = httptest.NewTLSServer(handler)
			} else {
				srv = httptest.NewServer(handler)
			}
			defer srv.Close()
			defer serving.Wait()
			defer cancel()
			ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			go func() {
				for ctx.Err() == nil && ws.Ping(ctx) == nil {
				}
			}()
			readFramed(ctx, t, ws, sizes, 0, total)
			if err := <-serverErr; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Once the library has written a close frame, no data frame follows it:
// the writer is refused with net.ErrClosed.
func TestNoFrameAfterTheClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sent := make(chan error, 1)
	closed := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb := &smallBuffers{ResponseWriter: w}
		ws, err := websocket.Accept(sb, r, nil)
		if err != nil {
			sent <- err
			return
		}
		defer ws.CloseNow()
		sb.conn.startFraming()
		go func() { _ = ws.Close(websocket.StatusNormalClosure, "bye") }()
		<-closed
		var since atomic.Int64
		_, err = sb.conn.sendFrames([][]byte{[]byte("late")}, func() bool { return true }, &since)
		sent <- err
	}))
	defer srv.Close()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, _, err = ws.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("read %v, want the server's close", err)
	}
	close(closed)
	if err := <-sent; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a frame after the close: %v, want net.ErrClosed", err)
	}
}

// A batch stopped half way (a close or an overflow came) writes nothing
// more, reports what went out, and keeps none of its frames.
func TestStoppedBatchWritesNoMore(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	fc := &frameConn{Conn: server}
	fc.startFraming()
	read := make(chan int, 1)
	go func() {
		n, _ := io.Copy(io.Discard, client)
		read <- int(n)
	}()
	batch := make([][]byte, 5)
	for i := range batch {
		batch[i] = bytes.Repeat([]byte{'x'}, largeFrame) // each a write of its own
	}
	writes := 0
	var since atomic.Int64
	n, err := fc.sendFrames(batch, func() bool { writes++; return writes <= 2 }, &since)
	if err != nil || n != 2 {
		t.Fatalf("sent %d, %v; want 2 and no error", n, err)
	}
	for i, m := range batch {
		if m != nil {
			t.Fatalf("entry %d kept", i)
		}
	}
	if since.Load() != 0 {
		t.Fatal("the write's start is still marked")
	}
	server.Close()
	if got, want := <-read, 2*(4+largeFrame); got != want {
		t.Fatalf("%d bytes written, want %d", got, want)
	}
}

// lockCheckConn fails its test when it is written without its
// frameConn's lock held.
type lockCheckConn struct {
	net.Conn
	t      *testing.T
	fc     *frameConn
	writes int
}

func (c *lockCheckConn) Write(p []byte) (int, error) {
	if c.fc.mu.TryLock() {
		c.fc.mu.Unlock()
		c.t.Errorf("write %d of %d bytes without the socket's lock", c.writes, len(p))
	}
	c.writes++
	return c.Conn.Write(p)
}

// Every write of a data frame holds the socket's lock from its header to
// the end of its payload, also where they are two writes (a large frame
// on a socket that takes no vector, as TLS), so that a control frame of
// the library cannot come between them.
func TestDataFramesHoldTheLock(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	lc := &lockCheckConn{Conn: server, t: t}
	fc := &frameConn{Conn: lc}
	lc.fc = fc
	fc.startFraming()
	go func() { _, _ = io.Copy(io.Discard, client) }()
	batch := [][]byte{[]byte("small"), bytes.Repeat([]byte{'x'}, largeFrame), []byte("small again"), bytes.Repeat([]byte{'y'}, batchBytes)}
	var since atomic.Int64
	if n, err := fc.sendFrames(batch, func() bool { return true }, &since); err != nil || n != len(batch) {
		t.Fatalf("sent %d, %v", n, err)
	}
	// "small" and the large frame's header, then its payload; "small
	// again", which the next would take past a batch; the next's header,
	// then its payload.
	if lc.writes != 5 {
		t.Fatalf("%d writes, want 5", lc.writes)
	}
	server.Close()
}

// Frames written at once by whoever pushes them share the socket with the
// loop's batches and the library's control frames (pings both ways, as
// fast as they go), on a socket that fills: the device reads in rounds
// and nothing between them, so that frames written at once meet a full
// socket, which takes part of one or none. What it did not take is
// written before anything else, and every message arrives whole and in
// order; each round starts with an idle connection, whose frames are
// written at once again, in groups, as a room writes a step's events.
func TestFramesWrittenAtOnceArriveWhole(t *testing.T) {
	const rounds, perRound = 8, 300
	rng := rand.New(rand.NewPCG(11, 13))
	sizes := frameSizes(rng, rounds*perRound, 0, 6, 125, 126, 0xffff, largeFrame-1, largeFrame, batchBytes+1)
	ctx, cancel := context.WithCancel(context.Background())
	h := benchHub(1 << 30)
	next, pushed := make(chan int), make(chan int)
	writers := make(chan *writer, 1)
	var serving sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		serving.Add(1)
		defer serving.Done()
		sb := &smallBuffers{ResponseWriter: rw}
		ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			t.Error(err)
			return
		}
		defer ws.CloseNow()
		sb.conn.startFraming()
		if err := sb.conn.Conn.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
			t.Error(err)
			return
		}
		w := newWriter(h, ws, sb.conn, "t")
		w.gap = 0 // every frame that finds the connection idle is written at once
		writers <- w
		var loop sync.WaitGroup
		loop.Add(1)
		go func() {
			defer loop.Done()
			w.run(ctx)
		}()
		go func() { // answers the device's pings, reads the pongs to ours
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
			}
		}()
		go func() {
			for ctx.Err() == nil && ws.Ping(ctx) == nil {
			}
		}()
		for r := range rounds {
			select {
			case <-next:
			case <-ctx.Done():
				return
			}
			// In groups, as a room delivers a step's events: the first
			// frame written at once takes those queued behind it.
			for i := r * perRound; i < (r+1)*perRound; {
				k := min(1+rng.IntN(4), (r+1)*perRound-i)
				first := framedMessage(i, sizes[i])
				mine := w.offer(first, true)
				for j := i + 1; j < i+k; j++ {
					w.offer(framedMessage(j, sizes[j]), true)
				}
				if mine {
					w.writeOffered(first)
				}
				i += k
			}
			pushed <- r
		}
		<-ctx.Done()
		loop.Wait()
	}))
	defer srv.Close()
	defer serving.Wait()
	defer cancel()
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		_ = rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	w := <-writers
	go func() {
		for ctx.Err() == nil && ws.Ping(ctx) == nil {
		}
	}()
	for r := range rounds {
		next <- r
		<-pushed // the round is written or queued: the socket is full
		readFramed(ctx, t, ws, sizes, r*perRound, (r+1)*perRound)
	}
	// The test means something only if frames were written at once, and
	// some of them only in part.
	if w.atOnce.Load() < rounds || w.partly.Load() == 0 {
		t.Fatalf("%d frames written at once, %d of them in part: the path was not taken", w.atOnce.Load(), w.partly.Load())
	}
	t.Logf("%d frames written at once, %d of them in part", w.atOnce.Load(), w.partly.Load())
}
