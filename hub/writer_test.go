package hub

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// waitConns waits for the node to hold n device connections.
func waitConns(t *testing.T, e *env, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for testutil.ToFloat64(e.h.metrics.conns) != float64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v connections, want %d", what, testutil.ToFloat64(e.h.metrics.conns), n)
		}
		<-tick.C
	}
}

// A device that vanished without closing (a lid shut, a network gone)
// answers no ping, and the node closes it; a device that reads answers
// them and stays.
func TestUnansweredPingsCloseTheDevice(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.PingInterval = 300 * time.Millisecond })
	tl := e.teacher()
	info := e.room(tl.Token, "Pings")
	gone := e.join(info.Code, "Gone")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	// A WebSocket client answers pings only while it reads: this one
	// never reads.
	ws := e.dialRaw(nil)
	defer ws.CloseNow()
	silent := &client{t: t, ws: ws, name: "gone", changed: make(chan struct{}, 1)}
	silent.send(protocol.MsgHello, protocol.Hello{Token: gone.Token})
	tc.waitEvent(protocol.EvPresence, about(gone.Student))
	waitConns(t, e, 1, "the silent device")
	// The teacher, who reads, was pinged as often and is still here.
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "still here"})
	if err := tc.closedErr(); err != nil {
		t.Fatalf("the teacher was closed: %v", err)
	}
}

// A write that does not finish in WriteTimeout (the device's socket is
// full and it reads nothing, while its queue still has room) drops the
// connection; the rest of the class goes on.
func TestStuckWriteDropsTheDevice(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) {
		c.QueueBytes, c.WriteTimeout, c.PingInterval = 256<<20, time.Second, 10*time.Minute
	})
	tl := e.teacher()
	info := e.room(tl.Token, "Stuck")
	stuckS := e.join(info.Code, "Stuck")
	fastS := e.join(info.Code, "Fast")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	fast, _ := e.mustConnect("fast", protocol.Hello{Token: fastS.Token})
	stuck := e.unreadClient("stuck")
	defer stuck.ws.CloseNow()
	stuck.send(protocol.MsgHello, protocol.Hello{Token: stuckS.Token})
	tc.waitEvent(protocol.EvPresence, about(stuckS.Student))

	// Announce until the stuck device's queue holds a megabyte (its socket
	// is full, and its write waits; then only time passes), or until it is
	// dropped meanwhile.
	queued := func() int {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		for c := range e.h.conns {
			if c.name == "Stuck" {
				c.w.mu.Lock()
				defer c.w.mu.Unlock()
				return c.w.queued
			}
		}
		return -1
	}
	sent := 0
	for round := 0; ; round++ {
		if q := queued(); q < 0 || q >= 1<<20 {
			break
		}
		if round == 100 {
			t.Fatalf("the stuck device's queue did not fill with %d announcements", sent)
		}
		chunk := make([]string, 100)
		for i := range chunk {
			chunk[i] = strings.Repeat("🙂", 490) + fmt.Sprintf("%05d", sent+i)
		}
		sent += len(chunk)
		if err := <-pump(t, tc, chunk, make([]protocol.StudentID, len(chunk))); err != nil {
			t.Fatal(err)
		}
		fast.waitEvent(protocol.EvAnnouncement, hasText(chunk[len(chunk)-1]))
	}
	waitConns(t, e, 2, "the stuck device")
	if got := testutil.ToFloat64(e.h.metrics.overflows); got != 0 {
		t.Fatalf("%v connections overflowed: the queue had room, the write timed out", got)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "done"})
	fast.waitEvent(protocol.EvAnnouncement, hasText("done"))
	if err := tc.closedErr(); err != nil {
		t.Fatalf("the teacher was closed: %v", err)
	}
}

// unreadClient connects a device with a tiny socket read buffer whose
// frames nobody reads: its socket fills after a few frames.
func (e *env) unreadClient(name string) *client {
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		_ = rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	ws := e.dialRaw(&websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}})
	return &client{t: e.t, ws: ws, name: name, changed: make(chan struct{}, 1)}
}

// A panic in one connection's read loop closes that device with 1011 and
// is counted; its class, the other devices and the node go on, and the
// device comes back.
func TestReadLoopPanicStaysWithItsConnection(t *testing.T) {
	boom := func(f protocol.ClientFrame) {
		if f.ID == "boom" {
			panic("a bug met by one device's frame")
		}
	}
	frameRead.Store(&boom)
	t.Cleanup(func() { frameRead.Store(nil) })
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Panic")
	ana := e.join(info.Code, "Ana")
	ben := e.join(info.Code, "Ben")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	a, _ := e.mustConnect("ana", protocol.Hello{Token: ana.Token})
	b, _ := e.mustConnect("ben", protocol.Hello{Token: ben.Token})
	a.sendRaw([]byte(`{"v":1,"id":"boom","type":"ping","data":{}}`))
	if code := a.waitClosed(); code != websocket.StatusCode(protocol.CloseInternal) {
		t.Fatalf("the device whose frame met the bug closed with %d, want %d", code, protocol.CloseInternal)
	}
	if got := testutil.ToFloat64(e.h.metrics.panics); got != 1 {
		t.Fatalf("%v panics counted, want 1", got)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "after the bug"})
	b.waitEvent(protocol.EvAnnouncement, hasText("after the bug"))
	again, _ := e.mustConnect("ana again", protocol.Hello{Token: ana.Token})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "welcome back"})
	again.waitEvent(protocol.EvAnnouncement, hasText("welcome back"))
	if err := tc.closedErr(); err != nil {
		t.Fatalf("the teacher was closed: %v", err)
	}
}
