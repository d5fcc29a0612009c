package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/classhub/classhub/protocol"
)

// The nats baseline carries the run's messages again, to the same
// devices, through nats-server's own WebSocket listener: each device is
// a WebSocket speaking the NATS protocol, subscribed to its class, and
// every event a classhub device received is published at the time it
// happened in the run, to the devices that received it. The student's
// answer is published by the student's connection, to the teacher's
// console (as the attempt the console showed); the teacher's
// announcements by the teacher's connection, to the whole class; every
// other event by one more connection that stands for the server. What
// the baseline cannot do is what classhub does with a message: store it,
// grade it, decide its audience.

// bDevice is a device of the baseline.
type bDevice struct {
	b     *baseline
	cl    *bClass
	idx   int
	ws    *websocket.Conn
	wmu   sync.Mutex
	ready chan struct{} // closed when its subscriptions are in place

	mu       sync.Mutex
	seqs     []uint64
	expected []uint64 // what it is sent
}

// bClass is a class of the baseline: its devices by index (0 the
// teacher) and when each event was published, by seq.
type bClass struct {
	sc      *simClass
	devices map[int]*bDevice
	byID    map[protocol.StudentID]int
	mu      sync.Mutex
	sent    map[uint64]time.Time
	wide    map[uint64]bool // announcements: latency to every device
	answers map[uint64]bool // attempts: latency to the teacher
}

type baseline struct {
	o      simOptions
	wsURL  string
	start  time.Time
	events atomic.Int64

	connect, answer, wide latencies
	mu                    sync.Mutex
	faults                map[string]int
}

func (b *baseline) fail(kind string) {
	b.mu.Lock()
	b.faults[kind]++
	b.mu.Unlock()
}

// startNATSWebsocket starts a nats-server with its WebSocket listener on
// loopback, without TLS, in this process.
func startNATSWebsocket(ctx context.Context) (*server.Server, error) {
	var ns *server.Server
	var err error
	pprof.Do(ctx, serverLabel, func(context.Context) {
		ns, err = server.NewServer(&server.Options{
			ServerName: "classload-baseline", Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
			Websocket: server.WebsocketOpts{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoTLS: true},
		})
		if err != nil {
			return
		}
		ns.Start()
	})
	if err != nil {
		return nil, err
	}
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("nats-server did not start within 30 s")
	}
	return ns, nil
}

func runBaseline(ctx context.Context, o simOptions, run *sim) (*Summary, error) {
	b := &baseline{o: o, wsURL: o.baselineURL, faults: map[string]int{}}
	sum := &Summary{Mode: "nats", Target: o.baselineURL, Classes: o.classes, Students: o.students,
		Devices: o.classes * (o.students + 1), Seed: o.seed}
	var memBefore float64
	if b.wsURL == "" {
		ns, err := startNATSWebsocket(ctx)
		if err != nil {
			return nil, err
		}
		defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
		b.wsURL = ns.WebsocketURL()
		sum.Target = "in-process nats-server " + server.VERSION + " WebSocket"
	}

	// The classes, their devices (those that joined in the run) and what
	// each is sent: the events the server's log held for it.
	var classes []*bClass
	for _, sc := range run.classes {
		bc := &bClass{sc: sc, devices: map[int]*bDevice{}, byID: map[protocol.StudentID]int{},
			sent: map[uint64]time.Time{}, wide: map[uint64]bool{}, answers: map[uint64]bool{}}
		for _, d := range append([]*device{sc.teacher}, sc.students...) {
			if !d.joined {
				continue
			}
			bc.devices[d.idx] = &bDevice{b: b, cl: bc, idx: d.idx, ready: make(chan struct{})}
			bc.byID[d.student] = d.idx
		}
		classes = append(classes, bc)
	}

	var cpu *cpuMeter
	if o.baselineURL == "" {
		memBefore = liveBytes()
		cpu = startCPU("")
	}
	b.start = time.Now()
	pub, err := b.dial(ctx, nil)
	if err != nil {
		if cpu != nil {
			_, _ = cpu.stop()
		}
		return nil, fmt.Errorf("the publishing connection: %w", err)
	}
	defer pub.CloseNow()

	// Connect every device over the ramp, in a seeded order.
	rng := rand.New(rand.NewPCG(o.seed, 7))
	var wg sync.WaitGroup
	var connected atomic.Int64
	for _, bc := range classes {
		for _, bd := range bc.devices {
			at := time.Duration(rng.Float64() * float64(o.ramp))
			if bd.idx == 0 {
				at = 0
			}
			wg.Add(1)
			go asLoad(ctx, func(ctx context.Context) {
				defer wg.Done()
				if sleep(ctx, time.Until(b.start.Add(at))) != nil {
					return
				}
				t0 := time.Now()
				ws, err := b.dial(ctx, bd)
				if err != nil {
					b.fail("connect")
					progressf(o.stderr, "baseline: class %d device %d: %v", bc.sc.i+1, bd.idx, err)
					return
				}
				bd.ws = ws
				b.connect.add(time.Since(t0))
				connected.Add(1)
				close(bd.ready)
			})
		}
	}

	// Publish each class's events at their time in the run.
	var pubs sync.WaitGroup
	var pmu sync.Mutex // one writer on the publishing connection
	var last atomic.Int64
	for _, bc := range classes {
		pubs.Add(1)
		go asLoad(ctx, func(ctx context.Context) {
			defer pubs.Done()
			b.replay(ctx, bc, pub, &pmu)
			last.Store(int64(time.Since(b.start)))
		})
	}
	var memAfter float64
	wg.Wait()
	if o.baselineURL == "" {
		memAfter = liveBytes()
	}
	pubs.Wait()
	// Wait for every device to have what it was sent.
	deadline := time.Now().Add(60 * time.Second)
	for _, bc := range classes {
		for _, bd := range bc.devices {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				bd.mu.Lock()
				n, want := len(bd.seqs), len(bd.expected)
				bd.mu.Unlock()
				if n >= want {
					break
				}
				_ = sleep(ctx, 50*time.Millisecond)
			}
		}
	}
	seconds := time.Duration(last.Load()).Seconds()
	events := b.events.Load()
	var cpuUse *CPU
	if cpu != nil {
		if cpuUse, err = cpu.stop(); err != nil {
			progressf(o.stderr, "baseline: no CPU figures: %v", err)
		}
	}
	for _, bc := range classes {
		for _, bd := range bc.devices {
			if bd.ws != nil {
				_ = bd.ws.CloseNow()
			}
			bd.mu.Lock()
			c := checkStream(bd.seqs, bd.expected, 0, math.MaxUint64)
			bd.mu.Unlock()
			sum.Lost += c.Lost
			sum.Duplicated += c.Duplicated
			sum.Unexpected += c.Unexpected
			sum.Checked++
		}
	}
	sum.Connected = int(connected.Load())
	sum.Load1 = loadAverage()
	sum.Seconds = round3(seconds)
	sum.Connect = percentiles(b.connect.snapshot())
	sum.Events = events
	if seconds > 0 {
		sum.EventsPerSecond = math.Round(float64(events) / seconds)
	}
	b.mu.Lock()
	if len(b.faults) > 0 {
		sum.Faults = b.faults
	}
	b.mu.Unlock()
	sum.AnswerToTeacher = percentiles(b.answer.snapshot())
	sum.ClassWide = percentiles(b.wide.snapshot())
	if cpuUse != nil {
		sum.Server = &ServerFigures{Source: "profile", CPUSeconds: cpuUse.Server, Split: cpuUse,
			CPUPerDeliveryUs: perDelivery(cpuUse.Server, events), MemPerConn: perConn(memAfter-memBefore, sum.Devices)}
	} else {
		sum.Note = "no server figures for a nats-server at --baseline-url"
	}
	return sum, nil
}

// replay publishes one class's events as they happened in the run.
func (b *baseline) replay(ctx context.Context, bc *bClass, pub *websocket.Conn, pmu *sync.Mutex) {
	sc := bc.sc
	sc.mu.Lock()
	rec := slices.Clone(sc.rec)
	end := sc.end
	sc.mu.Unlock()
	// Who received each event in the run, by the server's record.
	who := map[uint64][]int{}
	for idx := range bc.devices {
		d := sc.teacher
		if idx > 0 {
			d = sc.students[idx-1]
		}
		for _, seq := range d.audited {
			who[seq] = append(who[seq], idx)
		}
	}
	class := "load." + strconv.Itoa(sc.i)
	for _, ev := range rec {
		if ev.seq > end || ev.at > b.o.duration || len(who[ev.seq]) == 0 {
			continue
		}
		if sleep(ctx, time.Until(b.start.Add(ev.at))) != nil {
			return
		}
		to := who[ev.seq]
		for _, idx := range to {
			select {
			case <-bc.devices[idx].ready:
			case <-ctx.Done():
				return
			}
			bd := bc.devices[idx]
			bd.mu.Lock()
			bd.expected = append(bd.expected, ev.seq)
			bd.mu.Unlock()
		}
		var subjects []string
		switch {
		case len(to) == len(bc.devices):
			subjects = []string{class + ".all"}
		case len(to) == 2 && slices.Contains(to, 0):
			subjects = []string{class + ".s." + strconv.Itoa(max(to[0], to[1]))}
		default:
			for _, idx := range to {
				if idx == 0 {
					subjects = append(subjects, class+".t")
				} else {
					subjects = append(subjects, class+".m."+strconv.Itoa(idx))
				}
			}
		}
		// Who sends it: the student who answered, the teacher who
		// announced, or the server.
		from, mu := pub, pmu
		bc.mu.Lock()
		switch {
		case ev.typ == protocol.EvAttempt && ev.student != "":
			if idx, ok := bc.byID[ev.student]; ok && bc.devices[idx].ws != nil {
				from, mu = bc.devices[idx].ws, &bc.devices[idx].wmu
				bc.answers[ev.seq] = true
			}
		case ev.typ == protocol.EvAnnouncement:
			// The run's teachers announce to the whole class: those
			// there at the time.
			from, mu = bc.devices[0].ws, &bc.devices[0].wmu
			bc.wide[ev.seq] = true
		}
		bc.sent[ev.seq] = time.Now()
		bc.mu.Unlock()
		var frame bytes.Buffer
		payload := payloadOf(ev.seq, ev.size)
		for _, subj := range subjects {
			fmt.Fprintf(&frame, "PUB %s %d\r\n%s\r\n", subj, len(payload), payload)
		}
		mu.Lock()
		err := from.Write(ctx, websocket.MessageBinary, frame.Bytes())
		mu.Unlock()
		if err != nil {
			b.fail("publish")
		}
	}
}

// payloadOf is a message of the size of the classhub frame, that starts
// with its seq.
func payloadOf(seq uint64, size int) []byte {
	p := strconv.AppendUint(nil, seq, 10)
	p = append(p, ' ')
	for len(p) < size {
		p = append(p, 'x')
	}
	return p
}

// dial opens a NATS connection over WebSocket and, for a device,
// subscribes it to its class: the teacher to the whole class, to what is
// for teachers and to every student's own subject; a student to the
// whole class and their own subjects. It returns once the server has
// taken the subscriptions (the PONG to the PING after them).
func (b *baseline) dial(ctx context.Context, bd *bDevice) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, b.wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(8 << 20)
	var hello bytes.Buffer
	hello.WriteString(`CONNECT {"verbose":false,"pedantic":false,"lang":"classload","version":"1","protocol":1,"echo":true}` + "\r\n")
	if bd != nil {
		class := "load." + strconv.Itoa(bd.cl.sc.i)
		subs := []string{class + ".all"}
		if bd.idx == 0 {
			subs = append(subs, class+".t", class+".s.*")
		} else {
			subs = append(subs, class+".s."+strconv.Itoa(bd.idx), class+".m."+strconv.Itoa(bd.idx))
		}
		for i, s := range subs {
			fmt.Fprintf(&hello, "SUB %s %d\r\n", s, i+1)
		}
	}
	hello.WriteString("PING\r\n")
	if err := ws.Write(dctx, websocket.MessageBinary, hello.Bytes()); err != nil {
		ws.CloseNow()
		return nil, err
	}
	pong := make(chan error, 1)
	go asLoad(context.WithoutCancel(ctx), func(ctx context.Context) { b.read(ctx, ws, bd, pong) })
	select {
	case err := <-pong:
		if err != nil {
			ws.CloseNow()
			return nil, err
		}
		return ws, nil
	case <-dctx.Done():
		ws.CloseNow()
		return nil, dctx.Err()
	}
}

// read parses what the server sends a connection: MSG, PING, PONG,
// INFO, +OK and -ERR, possibly several in a frame or one across frames.
func (b *baseline) read(ctx context.Context, ws *websocket.Conn, bd *bDevice, pong chan<- error) {
	var buf []byte
	ponged := false
	say := func(err error) {
		if !ponged {
			ponged = true
			pong <- err
		}
	}
	defer say(errors.New("the connection closed before the server answered"))
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return
		}
		buf = append(buf, p...)
		for {
			line, rest, ok := bytes.Cut(buf, []byte("\r\n"))
			if !ok {
				break
			}
			switch {
			case bytes.HasPrefix(line, []byte("MSG ")):
				f := bytes.Fields(line)
				n, err := strconv.Atoi(string(f[len(f)-1]))
				if err != nil || len(f) < 4 {
					say(fmt.Errorf("bad MSG line %q", line))
					return
				}
				if len(rest) < n+2 {
					goto more // the payload is in the next frame
				}
				at := time.Now()
				payload := rest[:n]
				rest = rest[n+2:]
				if bd != nil {
					bd.got(payload, at)
				}
			case bytes.Equal(line, []byte("PING")):
				bd.wmuLock(func() { _ = ws.Write(ctx, websocket.MessageBinary, []byte("PONG\r\n")) })
			case bytes.Equal(line, []byte("PONG")):
				say(nil)
			case bytes.HasPrefix(line, []byte("-ERR")):
				say(fmt.Errorf("nats-server: %s", line))
				b.fail("server_error")
			}
			buf = rest
		}
	more:
		if len(buf) == 0 {
			buf = nil
		}
	}
}

// wmuLock runs f holding the device's write lock; a nil device (the
// publishing connection) has none of its own, and PONGs on it are rare.
func (bd *bDevice) wmuLock(f func()) {
	if bd == nil {
		f()
		return
	}
	bd.wmu.Lock()
	defer bd.wmu.Unlock()
	f()
}

// got keeps a message's seq and times it when it is one the run timed.
func (bd *bDevice) got(payload []byte, at time.Time) {
	sp := bytes.IndexByte(payload, ' ')
	if sp < 0 {
		sp = len(payload)
	}
	seq, err := strconv.ParseUint(string(payload[:sp]), 10, 64)
	if err != nil {
		bd.b.fail("bad_payload")
		return
	}
	bd.b.events.Add(1)
	bd.mu.Lock()
	bd.seqs = append(bd.seqs, seq)
	bd.mu.Unlock()
	bc := bd.cl
	bc.mu.Lock()
	t0, sent := bc.sent[seq]
	wide, answer := bc.wide[seq], bc.answers[seq]
	bc.mu.Unlock()
	switch {
	case !sent:
	case wide:
		bd.b.wide.add(at.Sub(t0))
	case answer && bd.idx == 0:
		bd.b.answer.add(at.Sub(t0))
	}
}
