package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// The district tests run classhub as a school district does: three NATS
// servers clustered with JetStream (every stream on all three), three
// classhub nodes on them, and a load balancer in front that passes
// WebSockets and sends each new connection to the next live node. Every
// server and node is a process of its own, so that a test can kill any
// one with SIGKILL. Six classes of eight students and a teacher run on
// them, each device a WebSocket through the load balancer, the teacher
// announcing and the students raising their hands, all the while. Then a
// fault, and after it:
//
//   - every class takes commands again, and the time from the fault to
//     the first command answered in each class is logged
//     ("district-recovery:" lines; docs/OPERATING.md has the figures);
//   - every device that lost its connection resumed (a welcome with
//     resumed=true, never a fresh snapshot);
//   - every device's stream across all its connections has no event
//     twice and none missing: it equals what a fresh connection of the
//     same person resuming from offset 0 receives, from the device's first
//     snapshot to the end;
//   - every command answered with a result is in the class's log, once.
//
// The times are logged, never asserted: the machine is shared.

// districtLogsEnv, set, has the district tests print the nodes' warnings
// and errors when they pass too; a failing test always does.
const districtLogsEnv = "CLASSHUB_DISTRICT_LOGS"

const (
	districtClasses  = 6
	districtStudents = 8
	districtNodes    = 3
)

// TestDistrictNodeKilled kills the classhub node that owns the most
// classes with SIGKILL while the classes run: its classes move to the
// other nodes.
func TestDistrictNodeKilled(t *testing.T) {
	d := newDistrict(t)
	d.run(func() {
		owners := d.owners()
		victim := d.busiest(owners)
		var moved []int
		for i, o := range owners {
			if o == victim {
				moved = append(moved, i)
			}
		}
		t.Logf("killing %s, which owns classes %v", d.nodeName(victim), moved)
		at := time.Now()
		d.killNode(victim, syscall.SIGKILL)
		d.waitRecovered("node SIGKILL", at, moved)
		for _, i := range moved {
			if o := d.owner(i); o == victim || o < 0 {
				t.Errorf("class %d is owned by %q after its node was killed", i, d.nodeName(o))
			}
		}
	})
}

// TestDistrictNATSKilled kills one of the three NATS servers with
// SIGKILL, the one leading the cluster's JetStream metadata: its clients
// reconnect to the others, and the two left elect new leaders for the
// metadata and for the streams it led.
func TestDistrictNATSKilled(t *testing.T) {
	d := newDistrict(t)
	d.run(func() {
		victim := d.metaLeader()
		t.Logf("killing NATS server %s, the JetStream meta leader", d.nats[victim].name)
		at := time.Now()
		d.nats[victim].kill()
		d.waitRecovered("NATS SIGKILL", at, allClasses())
	})
}

// TestDistrictRollingRestart restarts every node in turn with SIGTERM, as
// a rolling upgrade does: each one's classes move to the others while it
// is down, and some move back.
func TestDistrictRollingRestart(t *testing.T) {
	d := newDistrict(t)
	d.run(func() {
		for i := range d.nodes {
			owners := d.owners()
			var moved []int
			for c, o := range owners {
				if o == i {
					moved = append(moved, c)
				}
			}
			t.Logf("stopping %s, which owns classes %v", d.nodeName(i), moved)
			at := time.Now()
			d.killNode(i, syscall.SIGTERM)
			d.waitRecovered(fmt.Sprintf("node SIGTERM (%s)", d.nodeName(i)), at, moved)
			d.startNode(i)
			d.waitRecovered(fmt.Sprintf("node back (%s)", d.nodeName(i)), time.Now(), allClasses())
		}
	})
}

func allClasses() []int {
	var all []int
	for i := range districtClasses {
		all = append(all, i)
	}
	return all
}

// --- the district ---

type district struct {
	t       *testing.T
	nats    []*natsProc
	urls    string // every NATS server's client URL
	nodes   []*proc
	ports   []int // each node's fixed HTTP port, kept across restarts
	datas   []string
	lb      *balancer
	leases  jetstream.KeyValue
	classes []*dClass
	stop    context.CancelFunc
	loads   sync.WaitGroup
}

func newDistrict(t *testing.T) *district {
	d := &district{t: t}
	bin := buildNATSServer(t)
	d.startNATS(bin)

	d.ports = make([]int, districtNodes)
	d.datas = make([]string, districtNodes)
	d.nodes = make([]*proc, districtNodes)
	var wg sync.WaitGroup
	errs := make([]error, districtNodes)
	for i := range districtNodes {
		d.ports[i], d.datas[i] = freePort(t), t.TempDir()
		wg.Go(func() { d.nodes[i], errs[i] = d.launchNode(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", d.nodeName(i), err)
		}
	}
	d.lb = newBalancer(t, d.ports)
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv(districtLogsEnv) == "" {
			return
		}
		for i, p := range d.nodes {
			var lines []string
			for _, l := range strings.Split(p.logs.String(), "\n") {
				if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
					lines = append(lines, l)
				}
			}
			t.Logf("%s's warnings and errors:\n%s", d.nodeName(i), tail(strings.Join(lines, "\n"), 40))
		}
	})

	nc, err := nats.Connect(d.urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if d.leases, err = js.KeyValue(ctx, protocol.BucketLeases); err != nil {
		t.Fatal(err)
	}

	var errb bytes.Buffer
	if err := run(context.Background(), []string{"teacher", "add", "--nats", d.urls, "--email", "lee@school.example", "--name", "Ms Lee"},
		strings.NewReader("correct horse battery\n"), io.Discard, &errb); err != nil {
		t.Fatalf("teacher add: %v %s", err, errb.String())
	}
	var login struct{ Token string }
	d.post("/api/v1/login", "", map[string]string{"email": "lee@school.example", "password": "correct horse battery"}, &login)
	// Each class is opened through the load balancer, so the node that
	// takes it is the next one in turn: the classes spread.
	codes := make([]string, districtClasses)
	for i := range districtClasses {
		var room struct {
			ID   protocol.RoomID
			Code string
		}
		d.post("/api/v1/rooms", login.Token, map[string]string{"title": fmt.Sprintf("Class %d", i+1)}, &room)
		c := &dClass{d: d, n: i, room: room.ID}
		c.teacher = c.device("teacher", "t", login.Token, room.ID)
		codes[i] = room.Code
		d.classes = append(d.classes, c)
	}
	for i, c := range d.classes {
		for s := range districtStudents {
			var j struct {
				Token   string
				Student protocol.StudentID
			}
			d.post("/api/v1/join", "", map[string]string{"code": codes[i], "name": fmt.Sprintf("Student %d", s+1)}, &j)
			dv := c.device(fmt.Sprintf("student %d", s+1), fmt.Sprintf("s%d", s), j.Token, "")
			dv.student = j.Student
			c.students = append(c.students, dv)
		}
	}
	owners := d.owners()
	per := map[int]int{}
	for _, o := range owners {
		per[o]++
	}
	t.Logf("classes per node: %v (owners %v)", per, owners)
	return d
}

func (d *district) nodeName(i int) string {
	if i < 0 {
		return "nobody"
	}
	return fmt.Sprintf("node-%d", i+1)
}

func (d *district) launchNode(i int) (*proc, error) {
	return launchServer(d.t, 120*time.Second, d.datas[i], "--addr", fmt.Sprintf("127.0.0.1:%d", d.ports[i]),
		"--nats", d.urls, "--replicas", "3", "--node", d.nodeName(i), "--join-burst", "1000", "--join-rate", "100")
}

func (d *district) startNode(i int) {
	d.t.Helper()
	p, err := d.launchNode(i)
	if err != nil {
		d.t.Fatalf("%s again: %v", d.nodeName(i), err)
	}
	d.nodes[i] = p
}

// killNode signals node i and waits for it to exit.
func (d *district) killNode(i int, sig syscall.Signal) {
	d.t.Helper()
	p := d.nodes[i]
	if err := p.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		d.t.Fatalf("%s did not exit within 60s of %s", d.nodeName(i), sigName[sig])
	}
}

// owner is the index of the node holding class i's lease, or -1.
func (d *district) owner(i int) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := d.leases.Get(ctx, string(d.classes[i].room))
	if err != nil {
		return -1
	}
	for n := range d.nodes {
		if string(e.Value()) == d.nodeName(n) {
			return n
		}
	}
	return -1
}

func (d *district) owners() []int {
	var out []int
	for i := range d.classes {
		out = append(out, d.owner(i))
	}
	return out
}

// busiest is the node that owns the most classes.
func (d *district) busiest(owners []int) int {
	count := make([]int, len(d.nodes))
	for _, o := range owners {
		if o >= 0 {
			count[o]++
		}
	}
	best := 0
	for i, n := range count {
		if n > count[best] {
			best = i
		}
	}
	return best
}

func (d *district) post(path, token string, body, out any) {
	d.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", d.lb.url+path, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		d.t.Fatalf("POST %s: %d %s", path, res.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, out); err != nil {
		d.t.Fatal(err)
	}
}

// run connects every device, sets the classes working, runs fault while
// they work, lets them work a while longer, stops them and checks.
func (d *district) run(fault func()) {
	t := d.t
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	t.Cleanup(cancel)
	var wg sync.WaitGroup
	for _, c := range d.classes {
		for _, dv := range c.devices() {
			wg.Go(func() {
				if err := dv.ensure(ctx); err != nil {
					t.Errorf("%s: %v", dv.name, err)
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, c := range d.classes {
		for _, dv := range c.devices() {
			dv.mu.Lock()
			dv.welcomes = nil // what a fault does is counted from here
			dv.mu.Unlock()
		}
	}
	for _, c := range d.classes {
		d.loads.Go(func() { c.teacher.load(ctx, 150*time.Millisecond, c.announce) })
		for _, s := range c.students {
			d.loads.Go(func() { s.load(ctx, time.Second, s.raiseHand) })
		}
	}
	// Every class answers before the fault.
	d.waitRecovered("start", time.Now(), allClasses())
	fault()
	// And goes on answering for a while after.
	d.waitRecovered("after", time.Now().Add(time.Second), allClasses())
	cancel()
	d.loads.Wait()
	d.check()
}

// waitRecovered waits until each of the classes has answered a command
// sent after at, and logs how long that took.
func (d *district) waitRecovered(what string, at time.Time, classes []int) {
	d.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var worst time.Duration
	var times []string
	for _, i := range classes {
		c := d.classes[i]
		for {
			if ack, ok := c.firstAckSince(at); ok {
				took := ack.Sub(at)
				worst = max(worst, took)
				times = append(times, fmt.Sprintf("class %d %s", i+1, took.Round(time.Millisecond)))
				break
			}
			if time.Now().After(deadline) {
				d.t.Fatalf("%s: class %d answered no command sent after %s within 90s", what, i+1, at.Format("15:04:05.000"))
			}
			<-tick.C
		}
	}
	if what != "start" && what != "after" {
		d.t.Logf("district-recovery: %s: worst %s (%s)", what, worst.Round(time.Millisecond), strings.Join(times, ", "))
	}
}

// check compares every device's stream with its class's log.
func (d *district) check() {
	t := d.t
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resumed, commands, events := 0, 0, 0
	for _, c := range d.classes {
		var teacherRef []dEvent
		for _, dv := range c.devices() {
			if err := dv.ensure(ctx); err != nil {
				t.Errorf("%s of class %d: %v", dv.name, c.n+1, err)
				continue
			}
			dv.mu.Lock()
			for _, w := range dv.welcomes {
				if !w.Resumed {
					t.Errorf("%s of class %d reconnected with a snapshot, not a resume: %v", dv.name, c.n+1, w.Reason)
				}
				resumed++
			}
			dv.mu.Unlock()
			ref, err := dv.reference(ctx)
			if err != nil {
				t.Errorf("%s of class %d: %v", dv.name, c.n+1, err)
				continue
			}
			if dv == c.teacher {
				teacherRef = ref
			}
			events += dv.compare(ref)
		}
		commands += c.checkCommands(teacherRef)
	}
	t.Logf("district: %d commands answered, %d events delivered and checked, %d resumes", commands, events, resumed)
}

// --- a class and its devices ---

type dClass struct {
	d        *district
	n        int
	room     protocol.RoomID
	teacher  *dDevice
	students []*dDevice

	mu    sync.Mutex
	sents []time.Time // when each answered command was first sent
	acks  []time.Time // and when it was answered
}

func (c *dClass) devices() []*dDevice {
	return append([]*dDevice{c.teacher}, c.students...)
}

func (c *dClass) device(name, prefix, token string, room protocol.RoomID) *dDevice {
	return &dDevice{cls: c, name: name, prefix: fmt.Sprintf("c%d%s", c.n, prefix), token: token, room: room}
}

func (c *dClass) acked(sent, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sents = append(c.sents, sent)
	c.acks = append(c.acks, at)
}

// firstAckSince is when the first command sent at or after at was
// answered.
func (c *dClass) firstAckSince(at time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	for i, s := range c.sents {
		if !s.Before(at) && (first.IsZero() || c.acks[i].Before(first)) {
			first = c.acks[i]
		}
	}
	return first, !first.IsZero()
}

// announce is the teacher's command: an announcement to the class.
func (c *dClass) announce(dv *dDevice, n int) (protocol.MsgType, any) {
	return protocol.MsgAnnounce, protocol.Announce{Text: fmt.Sprintf("class %d, announcement %d", c.n+1, n)}
}

// raiseHand is a student's command: a hand raised with a new note, which
// every time changes the class.
func (dv *dDevice) raiseHand(_ *dDevice, n int) (protocol.MsgType, any) {
	return protocol.MsgRaiseHand, protocol.RaiseHand{Note: fmt.Sprintf("question %d", n)}
}

// checkCommands checks every answered command is in the log once, as the
// teacher's reference stream shows it, and returns how many there were.
func (c *dClass) checkCommands(log []dEvent) int {
	t := c.d.t
	announced := map[string][]uint64{}
	hands := map[string]int{}
	for _, e := range log {
		switch e.Event {
		case protocol.EvAnnouncement:
			var a protocol.Announcement
			_ = json.Unmarshal(e.Data, &a)
			announced[a.Text] = append(announced[a.Text], e.Seq)
		case protocol.EvHand:
			var h protocol.Hand
			_ = json.Unmarshal(e.Data, &h)
			hands[string(h.Student)+"/"+h.Note]++
		}
	}
	n := 0
	for _, cmd := range c.teacher.done {
		n++
		text := cmd.data.(protocol.Announce).Text
		var res struct{ Seq uint64 }
		_ = json.Unmarshal(cmd.result, &res)
		if got := announced[text]; len(got) != 1 || got[0] != res.Seq {
			t.Errorf("class %d: %q was answered with seq %d; the log has it at %v", c.n+1, text, res.Seq, got)
		}
	}
	for _, s := range c.students {
		for _, cmd := range s.done {
			n++
			key := string(s.student) + "/" + cmd.data.(protocol.RaiseHand).Note
			if hands[key] != 1 {
				t.Errorf("class %d: %s's hand with %q was answered; the log has it %d times", c.n+1, s.name, cmd.data.(protocol.RaiseHand).Note, hands[key])
			}
		}
	}
	return n
}

// dDevice is one device: its connections come and go, its stream goes on.
type dDevice struct {
	cls     *dClass
	name    string
	prefix  string
	token   string
	room    protocol.RoomID // hello.room: the teacher's
	student protocol.StudentID
	n       int
	done    []dCommand // the commands answered with a result, in order

	mu       sync.Mutex
	ws       *websocket.Conn
	dead     chan struct{} // closed when the current connection's reading ended
	waiting  map[string]chan protocol.ServerFrame
	events   []dEvent
	epoch    string
	offset   uint64
	first    uint64 // the offset of the first welcome: the stream is checked from there
	welcomed bool
	welcomes []protocol.Welcome // after the first
	closeErr error              // why the latest connection ended
}

type dEvent struct {
	conn int
	protocol.ServerFrame
}

type dCommand struct {
	id     string
	data   any
	result json.RawMessage
}

// errStopped says the test stopped the device's load.
var errStopped = errors.New("stopped")

// ensure connects the device if it has no live connection, resuming if it
// was connected before, retrying with backoff until it is welcomed.
func (dv *dDevice) ensure(ctx context.Context) error {
	dv.mu.Lock()
	live := dv.ws != nil
	dv.mu.Unlock()
	if live {
		return nil
	}
	backoff := 50 * time.Millisecond
	var last error
	for {
		err := dv.dial(ctx)
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", errStopped, last)
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (dv *dDevice) dial(ctx context.Context) error {
	t := dv.cls.d.t
	dctx, cancel := context.WithTimeout(ctx, wcTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(dv.cls.d.lb.url, "http")+"/ws", nil)
	if err != nil {
		return err
	}
	ws.SetReadLimit(16 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	dv.mu.Lock()
	var resume *protocol.Resume
	if dv.welcomed {
		resume = &protocol.Resume{Epoch: dv.epoch, Offset: dv.offset}
	}
	dead := make(chan struct{})
	answers := map[string]chan protocol.ServerFrame{}
	dv.n++
	conn := dv.n
	id := fmt.Sprintf("%s-hello-%d", dv.prefix, conn)
	ch := make(chan protocol.ServerFrame, 1)
	answers[id] = ch
	dv.mu.Unlock()
	go dv.read(ws, conn, dead, answers)
	hello, _ := json.Marshal(protocol.Hello{Token: dv.token, Room: dv.room, Resume: resume})
	if err := dv.write(dctx, ws, id, protocol.MsgHello, hello); err != nil {
		_ = ws.CloseNow()
		return err
	}
	var f protocol.ServerFrame
	select {
	case f = <-ch:
	case <-dead:
		_ = ws.CloseNow()
		dv.mu.Lock()
		why := dv.closeErr
		dv.mu.Unlock()
		return fmt.Errorf("the connection closed before the welcome: %v", why)
	case <-dctx.Done():
		_ = ws.CloseNow()
		return errors.New("no welcome in time")
	}
	if f.Type != protocol.FrameWelcome {
		_ = ws.CloseNow()
		return fmt.Errorf("hello answered %s", frameText(f))
	}
	var w protocol.Welcome
	if err := json.Unmarshal(f.Data, &w); err != nil {
		_ = ws.CloseNow()
		return err
	}
	dv.mu.Lock()
	defer dv.mu.Unlock()
	if dv.welcomed {
		dv.welcomes = append(dv.welcomes, w)
	} else {
		dv.first = w.Offset
	}
	dv.welcomed = true
	dv.ws, dv.dead, dv.waiting = ws, dead, answers
	return nil
}

// read keeps the events of one connection and hands answers to their
// waiters. The welcome's offset rule is PROTOCOL.md's.
func (dv *dDevice) read(ws *websocket.Conn, conn int, dead chan struct{}, answers map[string]chan protocol.ServerFrame) {
	defer close(dead)
	for {
		_, b, err := ws.Read(context.Background())
		if err != nil {
			dv.mu.Lock()
			dv.closeErr = err
			if dv.dead == dead {
				dv.ws = nil
			}
			dv.mu.Unlock()
			return
		}
		var f protocol.ServerFrame
		if err := json.Unmarshal(b, &f); err != nil {
			f = protocol.ServerFrame{Type: "undecodable: " + string(b)}
		}
		dv.mu.Lock()
		switch f.Type {
		case protocol.FrameWelcome:
			var w protocol.Welcome
			_ = json.Unmarshal(f.Data, &w)
			dv.epoch = w.Epoch
			if !w.Resumed {
				dv.offset = w.Offset
			}
		case protocol.FrameEvent:
			dv.offset = max(dv.offset, f.Seq)
			dv.events = append(dv.events, dEvent{conn, f})
		}
		if ch := answers[f.ID]; ch != nil && f.ID != "" && f.Type != protocol.FrameEvent {
			delete(answers, f.ID)
			ch <- f
		}
		dv.mu.Unlock()
	}
}

func (dv *dDevice) write(ctx context.Context, ws *websocket.Conn, id string, typ protocol.MsgType, data json.RawMessage) error {
	b, err := json.Marshal(protocol.ClientFrame{V: protocol.Version, ID: id, Type: typ, Data: data})
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, b)
}

// do sends a command until it is answered with a result, on whatever
// connection the device has, with the same ID each time, as PROTOCOL.md
// asks of a device that lost its connection or was told unavailable.
func (dv *dDevice) do(ctx context.Context, id string, typ protocol.MsgType, data any) (json.RawMessage, error) {
	raw, _ := json.Marshal(data)
	backoff := 50 * time.Millisecond
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff + rand.N(backoff)):
		}
		backoff = min(2*backoff, time.Second)
		return true
	}
	for {
		if err := dv.ensure(ctx); err != nil {
			return nil, err
		}
		dv.mu.Lock()
		ws, dead, answers := dv.ws, dv.dead, dv.waiting
		if ws == nil {
			dv.mu.Unlock()
			continue
		}
		ch := make(chan protocol.ServerFrame, 1)
		answers[id] = ch
		dv.mu.Unlock()
		wctx, cancel := context.WithTimeout(context.Background(), wcTimeout)
		err := dv.write(wctx, ws, id, typ, raw)
		var f protocol.ServerFrame
		got := false
		if err == nil {
			select {
			case f = <-ch:
				got = true
			case <-dead:
			case <-wctx.Done():
			}
		}
		cancel()
		if !got {
			// No answer on this connection: drop it, and retry on a new one.
			_ = ws.CloseNow()
			<-dead
			if ctx.Err() != nil {
				return nil, errStopped
			}
			continue
		}
		if f.Type == protocol.FrameResult {
			return f.Data, nil
		}
		if f.Error != nil && (f.Error.Code == protocol.CodeUnavailable || f.Error.Code == protocol.CodeRateLimited || f.Error.Code == protocol.CodeBusy) {
			if !pause() {
				return nil, errStopped
			}
			continue
		}
		return nil, fmt.Errorf("%s %s: %s", typ, id, frameText(f))
	}
}

// load sends a command every so often until ctx ends; a command sent
// before stays with the device until it is answered.
func (dv *dDevice) load(ctx context.Context, every time.Duration, next func(*dDevice, int) (protocol.MsgType, any)) {
	t := dv.cls.d.t
	tick := time.NewTicker(every)
	defer tick.Stop()
	for k := 1; ; k++ {
		// Spread the devices' commands out.
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		typ, data := next(dv, k)
		id := fmt.Sprintf("%s-cmd-%d", dv.prefix, k)
		sent := time.Now()
		res, err := dv.do(ctx, id, typ, data)
		if errors.Is(err, errStopped) {
			return
		}
		if err != nil {
			t.Errorf("%s of class %d: %v", dv.name, dv.cls.n+1, err)
			return
		}
		dv.done = append(dv.done, dCommand{id: id, data: data, result: res})
		dv.cls.acked(sent, time.Now())
	}
}

// reference is what a fresh connection of the same person receives when
// it resumes from offset 0: every event of the log this person may see,
// up to the welcome's offset. The device then waits until it has what
// the reference has.
func (dv *dDevice) reference(ctx context.Context) ([]dEvent, error) {
	dv.mu.Lock()
	epoch := dv.epoch
	dv.mu.Unlock()
	ref := &dDevice{cls: dv.cls, name: dv.name + " (reference)", prefix: dv.prefix + "-ref", token: dv.token, room: dv.room,
		welcomed: true, epoch: epoch}
	for {
		if err := ref.dial(ctx); err != nil {
			// A fresh device retries as any does; the test says why.
			dv.cls.d.t.Logf("%s of class %d: %v; again", ref.name, dv.cls.n+1, err)
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		ref.mu.Lock()
		w := ref.welcomes[len(ref.welcomes)-1]
		ref.mu.Unlock()
		if !w.Resumed {
			// The node could not read the log in time (just after a
			// NATS server was lost, a read may wait for a stream's new
			// leader) and gave a snapshot instead, as PROTOCOL.md allows:
			// the reference needs the replay, so it asks again.
			if w.Reason == nil || w.Reason.Code != protocol.CodeNotRecoverable || !strings.Contains(w.Reason.Message, "could not be read") {
				return nil, fmt.Errorf("a fresh connection resuming from 0 got a snapshot: %v", w.Reason)
			}
			dv.cls.d.t.Logf("%s of class %d: %s; again", ref.name, dv.cls.n+1, w.Reason.Message)
			ref.mu.Lock()
			ws := ref.ws
			ref.events, ref.offset, ref.epoch = nil, 0, epoch
			ref.mu.Unlock()
			if ws != nil {
				_ = ws.Close(websocket.StatusNormalClosure, "")
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		// The answer to a ping comes after the replay.
		if _, err := ref.do(ctx, ref.prefix+"-ping", protocol.MsgPing, struct{}{}); err != nil {
			return nil, err
		}
		ref.mu.Lock()
		var out []dEvent
		for _, e := range ref.events {
			if e.Seq <= w.Offset {
				out = append(out, e)
			}
		}
		ws := ref.ws
		ref.mu.Unlock()
		if ws != nil {
			_ = ws.Close(websocket.StatusNormalClosure, "")
		}
		if len(out) == 0 {
			return out, nil
		}
		last := out[len(out)-1].Seq
		deadline := time.Now().Add(wcTimeout)
		for {
			dv.mu.Lock()
			have := dv.offset
			dv.mu.Unlock()
			if have >= last {
				return out, nil
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the device has offset %d; the log has events for it up to %d", have, last)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// compare checks the device's events, across all its connections, against
// the reference from its first welcome on, and returns how many it had.
func (dv *dDevice) compare(ref []dEvent) int {
	t := dv.cls.d.t
	dv.mu.Lock()
	got := slices.Clone(dv.events)
	first := dv.first
	dv.mu.Unlock()
	var last uint64
	for _, e := range got {
		if e.Seq <= last {
			t.Errorf("class %d, %s: event %d (%s) on connection %d after event %d: twice or out of order", dv.cls.n+1, dv.name, e.Seq, e.Event, e.conn, last)
		}
		last = max(last, e.Seq)
	}
	byseq := map[uint64]dEvent{}
	for _, e := range got {
		byseq[e.Seq] = e
	}
	want := 0
	for _, r := range ref {
		if r.Seq <= first {
			continue
		}
		want++
		e, ok := byseq[r.Seq]
		switch {
		case !ok:
			t.Errorf("class %d, %s: missing event %d (%s %s)", dv.cls.n+1, dv.name, r.Seq, r.Event, short(r.Data))
		case e.Event != r.Event || !sameJSON(e.Data, r.Data) || e.Epoch != r.Epoch:
			t.Errorf("class %d, %s: event %d is %s %s, the log has %s %s", dv.cls.n+1, dv.name, r.Seq, e.Event, short(e.Data), r.Event, short(r.Data))
		}
	}
	refLast := uint64(0)
	if len(ref) > 0 {
		refLast = ref[len(ref)-1].Seq
	}
	refSeqs := map[uint64]bool{}
	for _, r := range ref {
		refSeqs[r.Seq] = true
	}
	for _, e := range got {
		if e.Seq > first && e.Seq <= refLast && !refSeqs[e.Seq] {
			t.Errorf("class %d, %s: got event %d (%s), which its log does not give it", dv.cls.n+1, dv.name, e.Seq, e.Event)
		}
	}
	return want
}

// --- NATS servers ---

// buildNATSServer builds nats-server, the version of go.mod, once per
// test, into a folder of the test's.
func buildNATSServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	return bin
}

type natsProc struct {
	t      *testing.T
	name   string
	bin    string
	args   []string
	mon    int
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *lockedBuffer
}

// startNATS starts the three servers; one whose port was taken first
// exits at once, and the cluster is started again on other ports.
func (d *district) startNATS(bin string) {
	onOtherPorts(d.t, func() error { return d.tryStartNATS(bin) })
}

func (d *district) tryStartNATS(bin string) error {
	t := d.t
	type ports struct{ client, route, mon int }
	var ps []ports
	var routes, clients []string
	for range 3 {
		p := ports{freePort(t), freePort(t), freePort(t)}
		ps = append(ps, p)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p.route))
		clients = append(clients, fmt.Sprintf("nats://127.0.0.1:%d", p.client))
	}
	d.urls = strings.Join(clients, ",")
	d.nats = nil
	for i, p := range ps {
		n := &natsProc{t: t, name: fmt.Sprintf("nats-%d", i+1), bin: bin, mon: p.mon, args: []string{
			"--name", fmt.Sprintf("nats-%d", i+1), "--addr", "127.0.0.1", "--port", fmt.Sprint(p.client),
			"--http_port", fmt.Sprint(p.mon), "--jetstream", "--store_dir", t.TempDir(),
			"--cluster_name", "classhub", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", p.route),
			"--routes", strings.Join(routes, ","),
		}}
		n.start()
		d.nats = append(d.nats, n)
	}
	// Ready once each one's JetStream is current: its /healthz says so.
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for _, n := range d.nats {
		for {
			for _, m := range d.nats {
				select {
				case <-m.exited:
					for _, o := range d.nats {
						o.kill()
					}
					err := fmt.Errorf("%s exited while the cluster formed:\n%s", m.name, tail(m.logs.String(), 30))
					if strings.Contains(m.logs.String(), "address already in use") {
						err = fmt.Errorf("%w: %w", errPortTaken, err)
					}
					return err
				default:
				}
			}
			res, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.mon))
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				var b strings.Builder
				for _, m := range d.nats {
					fmt.Fprintf(&b, "--- %s, health checks left out:\n%s\n", m.name, tail(withoutHealthchecks(m.logs.String()), 40))
				}
				return fmt.Errorf("%s is not healthy after 90s:\n%s", n.name, b.String())
			}
			<-tick.C
		}
	}
	return nil
}

// withoutHealthchecks is a NATS server's log without the line each
// failed health check writes.
func withoutHealthchecks(log string) string {
	var keep []string
	for l := range strings.Lines(log) {
		if !strings.Contains(l, "Healthcheck failed") {
			keep = append(keep, strings.TrimSuffix(l, "\n"))
		}
	}
	return strings.Join(keep, "\n")
}

// metaLeader is the index of the NATS server leading JetStream's
// metadata, as the servers' monitoring says.
func (d *district) metaLeader() int {
	d.t.Helper()
	for _, n := range d.nats {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz", n.mon))
		if err != nil {
			continue
		}
		var jsz struct {
			Meta struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		err = json.NewDecoder(res.Body).Decode(&jsz)
		res.Body.Close()
		for i, m := range d.nats {
			if err == nil && m.name == jsz.Meta.Leader {
				return i
			}
		}
	}
	d.t.Fatal("no NATS server names the meta leader")
	return -1
}

func (n *natsProc) start() {
	n.cmd = exec.Command(n.bin, n.args...)
	n.logs = new(lockedBuffer)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	exited := make(chan struct{})
	n.exited = exited
	cmd := n.cmd
	go func() { _ = cmd.Wait(); close(exited) }()
	n.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
}

func (n *natsProc) kill() {
	_ = n.cmd.Process.Kill()
	<-n.exited
}

// --- the load balancer ---

// balancer is a load balancer as a district puts in front of its nodes:
// each request, WebSocket upgrades included, goes to the next node in
// turn that its health check finds ready (/readyz, every 250 ms), and a
// node that cannot be reached is skipped until it is ready again.
type balancer struct {
	url       string
	backends  []*backend
	next      atomic.Uint64
	transport *http.Transport
	client    *http.Client // of the health checks
	stop      chan struct{}
	wg        sync.WaitGroup
}

type backend struct {
	url   *url.URL
	proxy *httputil.ReverseProxy
	up    atomic.Bool
}

func newBalancer(t *testing.T, ports []int) *balancer {
	b := &balancer{stop: make(chan struct{}), transport: &http.Transport{}}
	b.client = &http.Client{Timeout: time.Second, Transport: b.transport}
	for _, p := range ports {
		u, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", p))
		be := &backend{url: u}
		be.proxy = &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(u)
				r.SetXForwarded()
			},
			Transport: b.transport,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				// A node that cannot be reached is out until its health
				// check passes again.
				if oe := (*net.OpError)(nil); errors.As(err, &oe) && oe.Op == "dial" {
					be.up.Store(false)
				}
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		b.backends = append(b.backends, be)
	}
	b.checkAll()
	srv := httptest.NewServer(b)
	b.url = srv.URL
	b.wg.Go(b.health)
	t.Cleanup(func() {
		close(b.stop)
		b.wg.Wait()
		srv.Close()
		b.transport.CloseIdleConnections()
	})
	return b
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := uint64(len(b.backends))
	start := b.next.Add(1)
	for i := range n {
		be := b.backends[(start+i)%n]
		if be.up.Load() {
			be.proxy.ServeHTTP(w, r)
			return
		}
	}
	http.Error(w, "no node is ready", http.StatusServiceUnavailable)
}

func (b *balancer) checkAll() {
	for _, be := range b.backends {
		res, err := b.client.Get(be.url.String() + "/readyz")
		ok := err == nil && res.StatusCode == http.StatusOK
		if err == nil {
			res.Body.Close()
		}
		be.up.Store(ok)
	}
}

func (b *balancer) health() {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
			b.checkAll()
		}
	}
}
