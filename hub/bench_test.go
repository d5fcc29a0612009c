package hub

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// benchHub is a hub with nothing behind it: enough for the fan-out path,
// which starts where an event arrives from NATS.
func benchHub(queue int) *Hub {
	return &Hub{
		cfg: Config{QueueBytes: queue, RingSize: 1024, WriteTimeout: 10 * time.Second, PingInterval: time.Hour},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: newMetrics(nil),
	}
}

// testConn is a live connection with no socket: its frames stay queued.
func testConn(h *Hub, v protocol.Viewer) *conn {
	return &conn{h: h, viewer: v, live: true, w: newWriter(h, nil, nil, "test")}
}

func announcement(b testing.TB) json.RawMessage {
	data, err := json.Marshal(protocol.Announcement{Text: "Pens down, eyes on the board: we start question 3 together."})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkFanout measures the fan-out path of one node up to the write
// queues: one room event, as it arrives from NATS, encoded once and queued
// to the 30 devices of a class (a teacher and 29 students; a private
// event reaches two of them).
func BenchmarkFanout(b *testing.B) {
	for _, c := range []struct {
		name string
		aud  protocol.Audience
	}{
		{"all", protocol.ToAll},
		{"one_student", protocol.ToStudent("s-7")},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := benchHub(1 << 40)
			hr := &hubRoom{id: "r", h: h, conns: map[*conn]struct{}{}, epoch: "e"}
			conns := make([]*conn, 30)
			for i := range conns {
				v := protocol.Viewer{Role: protocol.RoleStudent, Student: protocol.StudentID(fmt.Sprintf("s-%d", i))}
				if i == 0 {
					v = protocol.Viewer{Role: protocol.RoleTeacher}
				}
				conns[i] = testConn(h, v)
				hr.conns[conns[i]] = struct{}{}
			}
			data := announcement(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				hr.onEvent("e", []protocol.Event{{Seq: uint64(i + 1), Type: protocol.EvAnnouncement, Time: 1795397438337, Audience: c.aud, Data: data}})
				if i%256 == 255 { // what the writers do: take the queues
					for _, cn := range conns {
						cn.w.mu.Lock()
						clear(cn.w.queue)
						cn.w.queue, cn.w.queued = cn.w.queue[:0], 0
						cn.w.mu.Unlock()
					}
				}
			}
		})
	}
}

// BenchmarkFanoutWebSocket measures the whole delivery path of one node
// over real WebSockets on loopback: events pushed into a room as they
// arrive from NATS, encoded once, queued to every connection, and written
// by each connection's writer to a device that reads them. One op is one
// event; ns/delivery and allocs/delivery divide by the deliveries (events
// × connections). The devices are bare sockets that parse WebSocket
// frame headers and discard the payloads, so the figures are the
// server's (and the kernel's loopback), not a client library's.
// BenchmarkFanoutWebSocket delivers events to devices over real
// sockets: with 16 events in flight (devices' queues hold several frames
// at once, as on a busy node), and paced, each event delivered to every
// device before the next (an idle connection at every event, as in a class
// sending a few events a second). cpu-ns/delivery is the process's CPU
// time, the devices' reading included.
func BenchmarkFanoutWebSocket(b *testing.B) {
	for _, n := range []int{30, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchWebSocket(b, n, 16) })
	}
	b.Run("paced/conns=30", func(b *testing.B) { benchWebSocket(b, 30, 1) })
}

func benchWebSocket(b *testing.B, n, window int) {
	h := benchHub(1 << 20)
	hr := &hubRoom{id: "r", h: h, conns: map[*conn]struct{}{}, epoch: "e"}
	ctx, cancel := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb := &smallBuffers{ResponseWriter: w}
		ws, err := websocket.Accept(sb, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		sb.conn.startFraming()
		serving.Add(1)
		defer serving.Done()
		c := newConn(h, ws, sb.conn)
		c.live, c.viewer = true, protocol.Viewer{Role: protocol.RoleStudent, Student: protocol.StudentID(r.URL.Query().Get("s"))}
		hr.mu.Lock()
		hr.conns[c] = struct{}{}
		hr.mu.Unlock()
		c.w.run(ctx)
		_ = ws.CloseNow()
	}))
	var got atomic.Int64
	more := make(chan struct{}, 1)
	var reading sync.WaitGroup
	var devices []*bufConn
	defer func() {
		cancel()
		serving.Wait()
		for _, d := range devices {
			d.Close()
		}
		reading.Wait()
		srv.Close()
	}()
	for i := range n {
		nc, err := rawDial(srv.Listener.Addr().String(), fmt.Sprintf("/ws?s=s-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		devices = append(devices, nc)
		reading.Add(1)
		go func() {
			defer reading.Done()
			readFrames(nc, func() {
				got.Add(1)
				select {
				case more <- struct{}{}:
				default:
				}
			})
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hr.mu.Lock()
		k := len(hr.conns)
		hr.mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d connections in the room", k, n)
		}
		runtime.Gosched()
	}
	timeout := time.NewTimer(time.Hour) // one timer, so that waiting allocates nothing
	defer timeout.Stop()
	wait := func(want int64) {
		timeout.Reset(30 * time.Second)
		for got.Load() < want {
			select {
			case <-more:
			case <-timeout.C:
				b.Fatalf("%d of %d frames delivered", got.Load(), want)
			}
		}
	}
	data := announcement(b)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := processCPU(b)
	b.ResetTimer()
	for i := range b.N {
		if i >= window {
			wait(int64(i-window+1) * int64(n))
		}
		hr.onEvent("e", []protocol.Event{{Seq: uint64(i + 1), Type: protocol.EvAnnouncement, Time: time.Now().UnixMilli(), Audience: protocol.ToAll, Data: data}})
	}
	wait(int64(b.N) * int64(n))
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/deliveries, "B/delivery")
}

// rawDial opens a WebSocket by hand, so that reading it costs nothing
// but the socket.
func rawDial(addr, path string) (*bufConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		nc.Close()
		return nil, fmt.Errorf("upgrade: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			nc.Close()
			return nil, err
		}
		if line == "\r\n" {
			return &bufConn{Conn: nc, r: br}, nil
		}
	}
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

// readFrames reads unmasked server frames until the socket ends, calling
// got for each data frame.
func readFrames(c *bufConn, got func()) {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(c.r, hdr[:2]); err != nil {
			return
		}
		op, size := hdr[0]&0x0f, uint64(hdr[1]&0x7f)
		switch size {
		case 126:
			if _, err := io.ReadFull(c.r, hdr[:2]); err != nil {
				return
			}
			size = uint64(binary.BigEndian.Uint16(hdr[:2]))
		case 127:
			if _, err := io.ReadFull(c.r, hdr[:8]); err != nil {
				return
			}
			size = binary.BigEndian.Uint64(hdr[:8])
		}
		if _, err := c.r.Discard(int(size)); err != nil {
			return
		}
		if op == 0x8 { // close
			return
		}
		if op == 0x1 || op == 0x2 {
			got()
		}
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
