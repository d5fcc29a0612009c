package hub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/rooms/natstest"
)

// refusedDial opens a WebSocket that the node must refuse before the
// upgrade, and returns the refusal: its status, its Retry-After in
// seconds and its error body.
func (e *env) refusedDial() (int, int, *protocol.Error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", nil)
	if err == nil {
		_ = ws.CloseNow()
		e.t.Fatal("the node upgraded a connection it should have refused")
	}
	if res == nil {
		e.t.Fatalf("dial failed without an HTTP answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body struct {
		Error *protocol.Error `json:"error"`
	}
	if jerr := json.Unmarshal(b, &body); jerr != nil || body.Error == nil {
		e.t.Fatalf("refusal body %q is not a JSON error", b)
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		e.t.Fatalf("Retry-After %q, want whole seconds, at least 1", res.Header.Get("Retry-After"))
	}
	return res.StatusCode, secs, body.Error
}

// pollUntil polls cond until it holds, failing the test after a
// generous deadline.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// A node at its connection limit refuses the next one before the
// upgrade, with 503 and Retry-After, and goes on serving those it has;
// once one leaves, a new one is taken.
func TestNodeLimitKeepsItsConnections(t *testing.T) {
	const max = 3
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.MaxConns = max })
	tl := e.teacher()
	info := e.room(tl.Token, "Full node")
	ana, ben := e.join(info.Code, "Ana"), e.join(info.Code, "Ben")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	ac, _ := e.mustConnect("ana", protocol.Hello{Token: ana.Token})
	bc, _ := e.mustConnect("ben", protocol.Hello{Token: ben.Token})

	status, _, perr := e.refusedDial()
	if status != http.StatusServiceUnavailable || perr.Code != protocol.CodeUnavailable || !strings.Contains(perr.Message, "connections") {
		t.Fatalf("connection %d: %d %+v, want 503 unavailable saying the server is full", max+1, status, perr)
	}
	if got := testutil.ToFloat64(e.h.metrics.refused.WithLabelValues(refusedFull)); got != 1 {
		t.Fatalf("refusals counted as full: %v, want 1", got)
	}

	// The three it has go on, both ways.
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "still here"})
	ac.waitEvent(protocol.EvAnnouncement, hasText("still here"))
	bc.waitEvent(protocol.EvAnnouncement, hasText("still here"))
	ac.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "me too"})
	tc.waitEvent(protocol.EvHand, about(ana.Student))

	// One leaves; the next device is taken.
	_ = bc.ws.Close(websocket.StatusNormalClosure, "")
	pollUntil(t, "the node to take a connection again", func() bool { return e.h.Conns() < max })
	bc2, _ := e.mustConnect("ben again", protocol.Hello{Token: ben.Token, Resume: bc.resumeFrom()})
	bc2.must(protocol.MsgRaiseHand, protocol.RaiseHand{})
}

// New connections over the node's rate are refused with 503 and
// Retry-After; the rate does not count those refused.
func TestConnectionRate(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.ConnRate, c.ConnBurst = 0.01, 2 })
	for range 2 {
		_ = e.dialRaw(nil)
	}
	for range 3 {
		status, secs, perr := e.refusedDial()
		if status != http.StatusServiceUnavailable || perr.Code != protocol.CodeUnavailable || secs < 1 {
			t.Fatalf("over the rate: %d %d %+v", status, secs, perr)
		}
	}
	if got := testutil.ToFloat64(e.h.metrics.refused.WithLabelValues(refusedRate)); got != 3 {
		t.Fatalf("refusals counted as rate: %v, want 3", got)
	}
}

// wasEvicted checks that c was closed as its person's oldest
// connection: a too_many_connections error with the wait, then 4006.
func wasEvicted(t *testing.T, c *client) {
	t.Helper()
	if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseTooManyConns) {
		t.Fatalf("%s closed with %d, want %d", c.name, code, protocol.CloseTooManyConns)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.frames[len(c.frames)-1]
	if last.Type != protocol.FrameError || last.Error.Code != protocol.CodeTooManyConns || last.Error.RetryAfter != personWait.Milliseconds() {
		t.Fatalf("%s: last frame %s %+v, want too_many_connections with retry_after %d", c.name, last.Type, last.Error, personWait.Milliseconds())
	}
}

// One person may hold a few connections to a class: one more closes
// their oldest with too_many_connections, its wait and close 4006 (the
// newest wins, so that a device reconnecting before its dead connection
// is noticed gets in), while the person's other connections, and
// everyone else's, go on.
func TestConnectionsPerPerson(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.ConnsPerPerson = 2 })
	tl := e.teacher()
	info := e.room(tl.Token, "Many tabs")
	ana, ben := e.join(info.Code, "Ana"), e.join(info.Code, "Ben")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	a1, _ := e.mustConnect("ana 1", protocol.Hello{Token: ana.Token})
	a2, _ := e.mustConnect("ana 2", protocol.Hello{Token: ana.Token})
	a3, _ := e.mustConnect("ana 3", protocol.Hello{Token: ana.Token, Resume: a1.resumeFrom()})
	wasEvicted(t, a1)
	if got := testutil.ToFloat64(e.h.metrics.evicted.WithLabelValues("node")); got != 1 {
		t.Fatalf("evictions counted on the node: %v, want 1", got)
	}

	// Ana's two newest connections and Ben's go on.
	b1, _ := e.mustConnect("ben", protocol.Hello{Token: ben.Token})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "tabs"})
	for _, c := range []*client{a2, a3, b1} {
		c.waitEvent(protocol.EvAnnouncement, hasText("tabs"))
	}
	a2.must(protocol.MsgRaiseHand, protocol.RaiseHand{})
	a3.must(protocol.MsgLowerHand, protocol.LowerHand{})

	// One of them ends; the next takes its place without closing any.
	_ = a2.ws.Close(websocket.StatusNormalClosure, "")
	pollUntil(t, "Ana's second connection to end", func() bool { return e.h.Conns() == 3 })
	a4, _ := e.mustConnect("ana 4", protocol.Hello{Token: ana.Token})
	a4.must(protocol.MsgRaiseHand, protocol.RaiseHand{})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "still two"})
	a3.waitEvent(protocol.EvAnnouncement, hasText("still two"))
	a4.waitEvent(protocol.EvAnnouncement, hasText("still two"))
	if err := a3.closedErr(); err != nil {
		t.Fatalf("ana 3 was closed: %v", err)
	}
}

// The cap holds for the class on every node together: a person's
// connections spread over three nodes of one NATS are counted by the
// class's owner, which has the oldest closed on its node when one more
// comes, wherever it is. Others, and that person's newer connections,
// go on.
func TestConnectionsPerPersonAcrossNodes(t *testing.T) {
	ns := natstest.Start(t)
	var nodes []*env
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		nodes = append(nodes, startEnv(t, ns, func(c *Config, r *rooms.Config) {
			r.Node = protocol.NodeID(name)
			c.ConnsPerPerson = 2
		}))
	}
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	tl := n1.teacher()
	info := n1.room(tl.Token, "Across nodes")
	ana, ben := n1.join(info.Code, "Ana"), n1.join(info.Code, "Ben")
	tc, _ := n1.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	a1, _ := n1.mustConnect("ana@1", protocol.Hello{Token: ana.Token})
	tc.waitEvent(protocol.EvPresence, about(ana.Student))
	a2, _ := n2.mustConnect("ana@2", protocol.Hello{Token: ana.Token})
	b3, _ := n3.mustConnect("ben@3", protocol.Hello{Token: ben.Token})
	a3, _ := n3.mustConnect("ana@3", protocol.Hello{Token: ana.Token})

	wasEvicted(t, a1)
	if got := testutil.ToFloat64(n1.h.metrics.evicted.WithLabelValues("class")); got != 1 {
		t.Fatalf("node-1 closed %v connections for the class's count, want 1", got)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "across"})
	for _, c := range []*client{a2, a3, b3} {
		c.waitEvent(protocol.EvAnnouncement, hasText("across"))
	}
	a2.must(protocol.MsgRaiseHand, protocol.RaiseHand{})

	// Ana's device that was closed comes back on node 2: the newest
	// wins again, and her oldest now (on node 2) is closed.
	a4, _ := n2.mustConnect("ana@2 again", protocol.Hello{Token: ana.Token, Resume: a1.resumeFrom()})
	wasEvicted(t, a2)
	a4.must(protocol.MsgLowerHand, protocol.LowerHand{})
	if err := a3.closedErr(); err != nil {
		t.Fatalf("ana@3 was closed: %v", err)
	}
	for _, n := range nodes {
		if got := testutil.ToFloat64(n.h.metrics.evicted.WithLabelValues("node")); got != 0 {
			t.Fatalf("a node counted %v evictions of its own; every one was across nodes", got)
		}
	}
}

// A flood of commands from one student's token, over several
// connections, gets rate_limited with the wait once the person's
// allowance is spent; the commands refused did nothing, and another
// student of the class is not slowed at all.
func TestCommandFloodFromOneToken(t *testing.T) {
	const burst = 8
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.CommandRate, c.CommandBurst = 1, burst })
	tl := e.teacher()
	info := e.room(tl.Token, "Flood")
	ana, ben := e.join(info.Code, "Ana"), e.join(info.Code, "Ben")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	var floods []*client
	for i := range 3 {
		c, _ := e.mustConnect("ana "+strconv.Itoa(i), protocol.Hello{Token: ana.Token})
		floods = append(floods, c)
	}
	bc, _ := e.mustConnect("ben", protocol.Hello{Token: ben.Token})

	start := time.Now()
	var ids [][]string
	for _, c := range floods {
		var sent []string
		for i := range 20 {
			sent = append(sent, c.send(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "flood " + strconv.Itoa(i)}))
		}
		ids = append(ids, sent)
	}
	// Ben, meanwhile, is not held up.
	bc.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "a real question"})
	tc.waitEvent(protocol.EvHand, about(ben.Student))

	ok, limited := 0, 0
	var notes []string
	for i, c := range floods {
		for j, id := range ids[i] {
			f := c.answer(id)
			switch {
			case f.Type == protocol.FrameResult:
				ok++
				notes = append(notes, "flood "+strconv.Itoa(j))
			case f.Error != nil && f.Error.Code == protocol.CodeRateLimited:
				limited++
				if f.Error.RetryAfter <= 0 {
					t.Fatalf("rate_limited without a wait: %+v", f.Error)
				}
			default:
				t.Fatalf("flood answered %s %+v", f.Type, f.Error)
			}
		}
	}
	allowed := burst + int(time.Since(start).Seconds()) + 1
	if ok > allowed || limited == 0 {
		t.Fatalf("%d went through and %d were refused; at most %d may go through", ok, limited, allowed)
	}
	if got := testutil.ToFloat64(e.h.metrics.limited); int(got) != limited {
		t.Fatalf("refusals counted: %v, want %d", got, limited)
	}
	// The hand events the teacher sees of Ana are of the commands that
	// went through, not of those refused.
	pollUntil(t, "the teacher to see Ana's accepted hands", func() bool {
		return len(handsOf(tc, ana.Student)) >= 1
	})
	for _, n := range handsOf(tc, ana.Student) {
		if !contains(notes, n) {
			t.Fatalf("the teacher saw a hand %q of a command that was refused", n)
		}
	}
}

func handsOf(c *client, sid protocol.StudentID) []string {
	var notes []string
	for _, f := range c.events(protocol.EvHand) {
		var h protocol.Hand
		if json.Unmarshal(f.Data, &h) == nil && h.Student == sid && h.Raised {
			notes = append(notes, h.Note)
		}
	}
	return notes
}

// Across nodes: a student connected to two nodes, each with a generous
// allowance of its own, still has one allowance in the class, at the
// class's owner.
func TestCommandAllowanceAcrossNodes(t *testing.T) {
	ns := natstest.Start(t)
	owner := func(_ *Config, r *rooms.Config) { r.Node, r.CommandRate, r.CommandBurst = "node-1", 0.5, 5 }
	other := func(_ *Config, r *rooms.Config) { r.Node, r.CommandRate, r.CommandBurst = "node-2", 0.5, 5 }
	n1 := startEnv(t, ns, owner)
	n2 := startEnv(t, ns, other)
	tl := n1.teacher()
	info := n1.room(tl.Token, "Two nodes")
	ana := n1.join(info.Code, "Ana")
	c1, _ := n1.mustConnect("ana@1", protocol.Hello{Token: ana.Token})
	c2, _ := n2.mustConnect("ana@2", protocol.Hello{Token: ana.Token})
	var ids []string
	for i := range 10 {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		typ := protocol.MsgRaiseHand
		if i%2 == 1 {
			typ = protocol.MsgLowerHand
		}
		var data any = protocol.RaiseHand{}
		if typ == protocol.MsgLowerHand {
			data = protocol.LowerHand{}
		}
		ids = append(ids, c.send(typ, data))
	}
	limited := 0
	for i, id := range ids {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		f := c.answer(id)
		if f.Type == protocol.FrameError {
			if f.Error.Code != protocol.CodeRateLimited || f.Error.RetryAfter <= 0 {
				t.Fatalf("command %d: %+v", i, f.Error)
			}
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("ten commands through two nodes against an allowance of five: none refused")
	}
}

// A full store: JetStream refuses appends for want of room. The devices
// are told storage_full, connections stay open, the refusal is counted;
// once there is room again, the class goes on with nothing lost.
func TestStoreFullReachesTheDevice(t *testing.T) {
	ns := natstest.StartWith(t, t.TempDir(), func(o *server.Options) { o.JetStreamMaxStore = 4 << 20 })
	reg := prometheus.NewRegistry()
	e := startEnv(t, ns, func(_ *Config, r *rooms.Config) { r.Registerer, r.RequestTimeout = reg, 3*time.Second })
	tl := e.teacher()
	info := e.room(tl.Token, "Full disk")
	ana := e.join(info.Code, "Ana")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	ac, _ := e.mustConnect("ana", protocol.Hello{Token: ana.Token})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "kept"})
	ac.waitEvent(protocol.EvAnnouncement, hasText("kept"))

	ctx := context.Background()
	if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{Name: "FILLER", Subjects: []string{"filler"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 64<<10))
	for {
		if _, err := e.js.Publish(ctx, "filler", big); err != nil {
			break
		}
	}
	for _, c := range []struct {
		cl   *client
		typ  protocol.MsgType
		data any
	}{{tc, protocol.MsgAnnounce, protocol.Announce{Text: "lost?"}}, {ac, protocol.MsgRaiseHand, protocol.RaiseHand{}}} {
		f := c.cl.request(c.typ, c.data)
		if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeStorageFull || !strings.Contains(f.Error.Message, "not saved") {
			t.Fatalf("%s on a full store: %s %+v, want storage_full saying it was not saved", c.typ, f.Type, f.Error)
		}
	}
	if got := gathered(t, reg, "classhub_log_append_failures_total"); got < 2 {
		t.Fatalf("append failures counted: %v, want at least 2", got)
	}
	if tc.closedErr() != nil || ac.closedErr() != nil {
		t.Fatalf("a device was closed: %v %v", tc.closedErr(), ac.closedErr())
	}

	if err := e.js.DeleteStream(ctx, "FILLER"); err != nil {
		t.Fatal(err)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "room again"})
	ac.waitEvent(protocol.EvAnnouncement, hasText("room again"))
	var texts []string
	for _, f := range ac.events(protocol.EvAnnouncement) {
		var a protocol.Announcement
		_ = json.Unmarshal(f.Data, &a)
		texts = append(texts, a.Text)
	}
	if strings.Join(texts, ",") != "kept,room again" {
		t.Fatalf("Ana received %q, want what was kept and nothing refused", texts)
	}
}

func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	return 0
}

// A node that lost NATS refuses new devices with 503 and Retry-After
// (they go to another node, or come back later) instead of taking them
// in and failing their hello.
func TestLostBrokerRefusesNewDevices(t *testing.T) {
	ns := natstest.Start(t)
	e := startEnv(t, ns, func(_ *Config, r *rooms.Config) { r.RequestTimeout = time.Second })
	tl := e.teacher()
	info := e.room(tl.Token, "No broker")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})

	ns.Stop()
	pollUntil(t, "the node to see NATS gone", func() bool { return e.nc.Status() != nats.CONNECTED })
	status, _, perr := e.refusedDial()
	if status != http.StatusServiceUnavailable || perr.Code != protocol.CodeUnavailable || !strings.Contains(perr.Message, "broker") {
		t.Fatalf("a new device without NATS: %d %+v", status, perr)
	}
	if got := testutil.ToFloat64(e.h.metrics.refused.WithLabelValues(refusedBroker)); got != 1 {
		t.Fatalf("refusals counted as broker: %v, want 1", got)
	}
	// A device already connected is told its command did not go through.
	f := tc.request(protocol.MsgAnnounce, protocol.Announce{Text: "anyone?"})
	if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnavailable {
		t.Fatalf("a command without NATS: %s %+v, want unavailable", f.Type, f.Error)
	}
}

// A REST route that acts on a class spends the teacher's allowance in
// that class, at the class's owner, like their WebSocket commands: over
// it, 429 rate_limited with Retry-After, and the class is not ended.
func TestRESTCommandsShareTheAllowance(t *testing.T) {
	e := newEnv(t, func(_ *Config, r *rooms.Config) { r.CommandRate, r.CommandBurst = 0.01, 2 })
	tl := e.teacher()
	info := e.room(tl.Token, "REST too")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "one"})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "two"})

	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/rooms/"+string(info.ID)+"/end", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tl.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error *protocol.Error `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusTooManyRequests || body.Error == nil || body.Error.Code != protocol.CodeRateLimited || body.Error.RetryAfter <= 0 {
		t.Fatalf("end over the allowance: %d %+v", res.StatusCode, body.Error)
	}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	var got rooms.RoomInfo
	if st, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID), tl.Token, nil, &got); perr != nil || got.Status != protocol.StatusOpen {
		t.Fatalf("the class after a refused end: %d %v %s", st, perr, got.Status)
	}
}

// The case that made limits a person's: one student's token opening 150
// connections and flooding commands through all of them. With the
// defaults, the newest five stay open and the 145 before them are closed
// with 4006, and the flood is carried out at one person's allowance (a
// burst of 40, then 20 a second), not 150 people's.
func TestOneTokenIsOnePerson(t *testing.T) {
	e := newEnv(t, func(c *Config, r *rooms.Config) {
		c.CommandRate, c.CommandBurst, c.ConnsPerPerson = 0, 0, 0 // the defaults
		r.CommandRate, r.CommandBurst = 0, 0
	})
	tl := e.teacher()
	info := e.room(tl.Token, "One token")
	ana := e.join(info.Code, "Ana")
	var all []*client
	for i := range 150 {
		c, _ := e.mustConnect("ana "+strconv.Itoa(i), protocol.Hello{Token: ana.Token})
		all = append(all, c)
	}
	for _, c := range all[:145] {
		wasEvicted(t, c)
	}
	pollUntil(t, "the node to hold five connections", func() bool { return e.h.Conns() == 5 })
	welcomed := all[145:]
	start := time.Now()
	ids := make([][]string, len(welcomed))
	for n := 0; n < 1274; n++ {
		i := n % len(welcomed)
		ids[i] = append(ids[i], welcomed[i].send(protocol.MsgRaiseHand, protocol.RaiseHand{Note: strconv.Itoa(n)}))
	}
	done := 0
	for i, c := range welcomed {
		for _, id := range ids[i] {
			f := c.answer(id)
			if f.Type == protocol.FrameResult {
				done++
			} else if f.Error == nil || f.Error.Code != protocol.CodeRateLimited {
				t.Fatalf("%s %+v", f.Type, f.Error)
			}
		}
	}
	if allowed := 40 + int(20*time.Since(start).Seconds()) + 1; done > allowed {
		t.Fatalf("%d of 1274 commands carried out; one person's allowance is at most %d", done, allowed)
	}
	for _, c := range welcomed {
		if err := c.closedErr(); err != nil {
			t.Fatalf("%s, one of the newest five, was closed: %v", c.name, err)
		}
	}
	t.Logf("1274 commands from one token: %d carried out in %v", done, time.Since(start).Round(time.Millisecond))
}
