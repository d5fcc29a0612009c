package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
)

// The practice a fresh server can assign: a demo bank every server
// seeds on its first start (rooms/content/demo).
const (
	defaultBank = "fractions-5"
	defaultSet  = "frac-operations"
)

// simOptions are the flags of the default mode.
type simOptions struct {
	url, adminURL   string
	email, password string
	classes         int
	students        int
	duration, ramp  time.Duration
	seed            uint64
	bank, set       string
	think           time.Duration
	hints, idle     float64
	reconnectEvery  time.Duration
	announceEvery   time.Duration
	rotateEvery     time.Duration
	progress        time.Duration
	baseline        string
	baselineURL     string
	workers         int
	cpuProfile      string
	stderr          io.Writer
}

func parseSim(args []string, stderr io.Writer) (simOptions, error) {
	o := simOptions{stderr: stderr}
	fs := flag.NewFlagSet("classload run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "the classhub to load (http://host:port); default: one started in this process on an embedded NATS, its data in a temporary folder")
	fs.StringVar(&o.adminURL, "admin-url", "", "with --url: the node's admin address (http://host:port), to read its CPU and memory from /metrics")
	fs.StringVar(&o.email, "email", os.Getenv("CLASSLOAD_EMAIL"), "with --url: an existing teacher's e-mail (or CLASSLOAD_EMAIL)")
	fs.StringVar(&o.password, "password", os.Getenv("CLASSLOAD_PASSWORD"), "with --url: the teacher's password (or CLASSLOAD_PASSWORD)")
	fs.IntVar(&o.classes, "classes", 10, "classes at once, each with its teacher's console")
	fs.IntVar(&o.students, "students", 30, "students per class, each on a device of their own")
	fs.DurationVar(&o.duration, "duration", time.Minute, "how long the class runs, from the first join")
	fs.DurationVar(&o.ramp, "ramp", 10*time.Second, "the students' joins are spread over this time")
	var seed int64
	fs.Int64Var(&seed, "seed", 1, "the seed of every random choice: the same seed makes the same class")
	fs.StringVar(&o.bank, "bank", defaultBank, "the content bank the teachers assign")
	fs.StringVar(&o.set, "set", defaultSet, "the set of the bank")
	fs.DurationVar(&o.think, "think", 8*time.Second, "a student's mean time on an item")
	fs.Float64Var(&o.hints, "hints", 0.2, "the chance that a student asks for a hint before answering")
	fs.Float64Var(&o.idle, "idle", 0.05, "the chance, after an item, that a student stops working for 20 to 60 s")
	fs.DurationVar(&o.reconnectEvery, "reconnect-every", 45*time.Second, "a student's device loses its connection this often on average, and resumes; 0: never")
	fs.DurationVar(&o.announceEvery, "announce-every", 15*time.Second, "a teacher announces to the class this often (±50 %)")
	fs.DurationVar(&o.rotateEvery, "rotate-every", 20*time.Second, "after the joins, a teacher runs a rotation over two stations and pauses, resumes or advances it this often; 0: no rotation")
	fs.DurationVar(&o.progress, "progress", 5*time.Second, "how often the progress line is written to stderr")
	fs.StringVar(&o.baseline, "baseline", "", `"nats": also push the same messages to the same number of connections through nats-server's WebSocket listener, and give the ratios`)
	fs.StringVar(&o.baselineURL, "baseline-url", "", "with --baseline nats: a running nats-server's WebSocket listener (ws://host:port, no TLS); default: one started in this process")
	fs.IntVar(&o.workers, "workers", 16, "classes opened, and devices checked, at once")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "in-process: also write the run's CPU profile to this file (go tool pprof; the server's samples carry the label side=server)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see classload run -h)", fs.Arg(0))
	}
	o.seed = uint64(seed)
	switch {
	case o.classes < 1:
		return o, errors.New("--classes must be at least 1")
	case o.students < 1 || o.students > 500:
		return o, errors.New("--students must be 1 to 500 (the server's limit of a class)")
	case o.duration <= 0:
		return o, errors.New("--duration must be positive")
	case o.ramp < 0 || o.ramp >= o.duration:
		return o, fmt.Errorf("--ramp must be at least 0 and shorter than --duration (%v)", o.duration)
	case o.think < 100*time.Millisecond:
		return o, errors.New("--think must be at least 100ms: a device may send 20 commands a second")
	case o.hints < 0 || o.hints > 1 || o.idle < 0 || o.idle > 1:
		return o, errors.New("--hints and --idle are chances, 0 to 1")
	case o.reconnectEvery < 0 || o.rotateEvery < 0 || o.announceEvery <= 0 || o.progress <= 0:
		return o, errors.New("--reconnect-every and --rotate-every must be 0 or more, --announce-every and --progress positive")
	case o.workers < 1:
		return o, errors.New("--workers must be at least 1")
	case o.baseline != "" && o.baseline != "nats":
		return o, fmt.Errorf(`--baseline %q: the one baseline is "nats"`, o.baseline)
	case o.baselineURL != "" && o.baseline == "":
		return o, errors.New("--baseline-url needs --baseline nats")
	case o.adminURL != "" && o.url == "":
		return o, errors.New("--admin-url needs --url: in-process, the figures come from this process")
	}
	for name, u := range map[string]string{"--url": o.url, "--admin-url": o.adminURL, "--baseline-url": o.baselineURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		want := []string{"http", "https"}
		if name == "--baseline-url" {
			want = []string{"ws"}
		}
		if err != nil || !slices.Contains(want, p.Scheme) || p.Host == "" {
			return o, fmt.Errorf("%s %q: give %s://host:port", name, u, want[0])
		}
	}
	o.url = strings.TrimSuffix(o.url, "/")
	o.adminURL = strings.TrimSuffix(o.adminURL, "/")
	if o.url != "" && (o.email == "" || o.password == "") {
		return o, errors.New("--url needs an existing teacher's account: give --email and --password (or CLASSLOAD_EMAIL and CLASSLOAD_PASSWORD); create one with `classhub teacher add`")
	}
	return o, nil
}

// sim is one run of the default mode.
type sim struct {
	o     simOptions
	url   string
	wsURL string
	http  *http.Client
	bank  *content.Bank // the assigned bank when it is a demo one: the students know its answers
	start time.Time

	events     atomic.Int64
	commands   atomic.Int64
	reconnects atomic.Int64
	connected  atomic.Int64

	mu       sync.Mutex
	refusals map[string]int // commands the server answered with an error, by code
	faults   map[string]int // what went wrong on the way: timeouts, drops, failed joins
	said     map[string]int // messages written, by kind

	connect, answer, wide latencies
	classes               []*simClass
}

func (s *sim) refused(code protocol.Code) {
	s.mu.Lock()
	s.refusals[string(code)]++
	s.mu.Unlock()
}

// say writes a message on stderr, the first few of each kind.
func (s *sim) say(kind, format string, args ...any) {
	s.mu.Lock()
	s.said[kind]++
	n := s.said[kind]
	s.mu.Unlock()
	switch {
	case n <= 3:
		progressf(s.o.stderr, format, args...)
	case n == 4:
		progressf(s.o.stderr, "(more of these: see faults in the summary)")
	}
}

func (s *sim) fail(kind string) {
	s.mu.Lock()
	s.faults[kind]++
	s.mu.Unlock()
}

// simClass is one class: its teacher's console and its students.
type simClass struct {
	s        *sim
	i        int
	room     protocol.RoomID
	code     string
	teacher  *device
	students []*device
	work     chan protocol.StudentID // students the teacher gives practice to

	mu        sync.Mutex
	answered  map[protocol.StudentID]time.Time // when each student's answer in flight was sent
	announced map[string]time.Time             // when each announcement was sent, by its text
	rec       []recEvent                       // the class's events as its teacher received them, for the baseline
	end       uint64                           // the seq of the closing announcement
	stations  []protocol.StationID             // the rotation's, made once
}

// recEvent is one event of a class as its teacher got it.
type recEvent struct {
	seq     uint64
	at      time.Duration // since the start
	size    int
	typ     protocol.EventType
	student protocol.StudentID // attempt: who answered
	text    string             // announcement: its text
}

func (s *sim) post(path, token string, body, out any) error {
	status, rb, err := postRaw(s.http, s.url+path, token, body)
	if err != nil {
		return err
	}
	if status >= 300 {
		msg := fmt.Sprintf("POST %s: %d %s", path, status, bytes.TrimSpace(rb))
		if status == http.StatusTooManyRequests {
			msg += fmt.Sprintf(" (let the server take the joins: start it with --join-burst %d)", s.o.classes*(s.o.students+1))
		}
		return &httpError{status: status, msg: msg}
	}
	return json.Unmarshal(rb, out)
}

// runSim is the default mode: N classes of S students and a teacher each
// over real WebSockets, then the check of every device's events, then the
// summary on out.
func runSim(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseSim(args, os.Stderr)
	if err != nil {
		return err
	}
	return simulate(ctx, o, out)
}

func simulate(ctx context.Context, o simOptions, out io.Writer) error {
	sum, err := simulateClasshub(ctx, o)
	if err != nil {
		return err
	}
	if o.baseline == "nats" {
		progressf(o.stderr, "baseline: the same messages through nats-server's WebSocket listener")
		b, err := runBaseline(ctx, o, sum.run)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		sum.Baseline = b
		sum.Ratio = baselineRatios(sum, b)
	}
	b, _ := json.Marshal(sum)
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// Summary is the one line the default mode prints.
type Summary struct {
	Mode            string         `json:"mode"` // classhub or nats
	Target          string         `json:"target"`
	Classes         int            `json:"classes"`
	Students        int            `json:"students"`
	Devices         int            `json:"devices"`
	Connected       int            `json:"connected"`
	Seconds         float64        `json:"seconds"`
	Seed            uint64         `json:"seed"`
	Load1           float64        `json:"load1"` // the machine's load average at the end: others' work shows here
	Connect         *Percentiles   `json:"connect"`
	Events          int64          `json:"events_delivered"`
	EventsPerSecond float64        `json:"events_per_second"`
	Lost            int            `json:"lost"`
	Duplicated      int            `json:"duplicated"`
	Unexpected      int            `json:"unexpected"`
	Checked         int            `json:"checked_devices"`
	Unverified      int            `json:"unverified_devices"`
	Commands        int64          `json:"commands,omitempty"`
	Reconnects      int64          `json:"reconnects"`
	Refusals        map[string]int `json:"refusals,omitempty"`
	Faults          map[string]int `json:"faults,omitempty"`
	AnswerToTeacher *Percentiles   `json:"answer_to_teacher"`
	ClassWide       *Percentiles   `json:"class_wide"`
	Server          *ServerFigures `json:"server,omitempty"`
	Note            string         `json:"note,omitempty"`
	Baseline        *Summary       `json:"baseline,omitempty"`
	Ratio           *Ratios        `json:"ratio,omitempty"`

	run *sim
}

// ServerFigures are what the server spent.
type ServerFigures struct {
	Source           string  `json:"source"` // profile (in-process) or metrics (the node's /metrics)
	CPUSeconds       float64 `json:"cpu_s"`
	CPUPerDeliveryUs float64 `json:"cpu_us_per_delivery"`
	MemPerConn       float64 `json:"mem_bytes_per_conn,omitempty"`
	Split            *CPU    `json:"cpu_split,omitempty"`
}

// Ratios are classhub's figures over the baseline's, from the same run.
type Ratios struct {
	ConnectP50         float64 `json:"connect_p50"`
	ConnectP99         float64 `json:"connect_p99"`
	AnswerP50          float64 `json:"answer_to_teacher_p50"`
	AnswerP99          float64 `json:"answer_to_teacher_p99"`
	ClassWideP50       float64 `json:"class_wide_p50"`
	ClassWideP90       float64 `json:"class_wide_p90"`
	ClassWideP99       float64 `json:"class_wide_p99"`
	ClassWideMax       float64 `json:"class_wide_max"`
	CPUPerDelivery     float64 `json:"cpu_per_delivery,omitempty"`
	MemPerConn         float64 `json:"mem_per_conn,omitempty"`
	EventsPerSecondCmp float64 `json:"events_per_second"`
}

func baselineRatios(a, b *Summary) *Ratios {
	r := &Ratios{EventsPerSecondCmp: ratio(a.EventsPerSecond, b.EventsPerSecond)}
	if a.Connect != nil && b.Connect != nil {
		r.ConnectP50, r.ConnectP99 = ratio(a.Connect.P50, b.Connect.P50), ratio(a.Connect.P99, b.Connect.P99)
	}
	if a.AnswerToTeacher != nil && b.AnswerToTeacher != nil {
		r.AnswerP50, r.AnswerP99 = ratio(a.AnswerToTeacher.P50, b.AnswerToTeacher.P50), ratio(a.AnswerToTeacher.P99, b.AnswerToTeacher.P99)
	}
	if a.ClassWide != nil && b.ClassWide != nil {
		r.ClassWideP50, r.ClassWideP90 = ratio(a.ClassWide.P50, b.ClassWide.P50), ratio(a.ClassWide.P90, b.ClassWide.P90)
		r.ClassWideP99, r.ClassWideMax = ratio(a.ClassWide.P99, b.ClassWide.P99), ratio(a.ClassWide.Max, b.ClassWide.Max)
	}
	if a.Server != nil && b.Server != nil {
		r.CPUPerDelivery = ratio(a.Server.CPUPerDeliveryUs, b.Server.CPUPerDeliveryUs)
		r.MemPerConn = ratio(a.Server.MemPerConn, b.Server.MemPerConn)
	}
	return r
}

func progressf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "classload: "+format+"\n", args...)
}

func simulateClasshub(ctx context.Context, o simOptions) (*Summary, error) {
	s := &sim{
		o: o, url: o.url, refusals: map[string]int{}, faults: map[string]int{}, said: map[string]int{},
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	defer s.http.CloseIdleConnections()
	sum := &Summary{Mode: "classhub", Target: o.url, Classes: o.classes, Students: o.students,
		Devices: o.classes * (o.students + 1), Seed: o.seed, run: s}
	for _, b := range content.Demo() {
		if string(b.ID) == o.bank {
			s.bank = b
		}
	}
	if s.bank != nil && s.bank.Set(content.SetID(o.set)) == nil {
		return nil, fmt.Errorf("--set %q: the bank %s has no such set", o.set, o.bank)
	}

	var memBefore float64
	var cpu *cpuMeter
	var node *inproc
	if o.url == "" {
		var err error
		progressf(o.stderr, "starting a classhub on an embedded NATS")
		if node, err = startInproc(ctx); err != nil {
			return nil, err
		}
		defer node.close()
		s.url, o.email, o.password = node.url, inprocEmail, inprocPassword
		sum.Target = "in-process"
	}
	s.wsURL = wsURL(s.url)
	var m0 map[string]float64
	if o.adminURL != "" {
		var err error
		if m0, err = serverMemory(o.adminURL); err != nil {
			return nil, fmt.Errorf("--admin-url: %w", err)
		}
	}

	var login struct{ Token string }
	if err := s.post("/api/v1/login", "", map[string]string{"email": o.email, "password": o.password}, &login); err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", o.email, err)
	}
	progressf(o.stderr, "opening %d classes", o.classes)
	if err := s.openClasses(ctx, login.Token); err != nil {
		return nil, err
	}
	if o.url == "" {
		// Memory per connection is what the students' connections add
		// to a node that holds its classes.
		memBefore = liveBytes()
		cpu = startCPU(o.cpuProfile)
	}
	s.start = time.Now()
	end := s.start.Add(o.duration)
	bctx, stopBehaviour := context.WithDeadline(ctx, end)
	defer stopBehaviour()

	var wg sync.WaitGroup
	for _, cl := range s.classes {
		wg.Add(1)
		go asLoad(bctx, func(ctx context.Context) {
			defer wg.Done()
			cl.runTeacher(ctx)
		})
		for _, d := range cl.students {
			wg.Add(1)
			go asLoad(bctx, func(ctx context.Context) {
				defer wg.Done()
				d.runStudent(ctx)
			})
		}
	}
	stopProgress := s.progressLoop(sum.Devices)

	// Memory per connection, once every device has joined.
	var memAfter float64
	var m1 map[string]float64
	joinDeadline := s.start.Add(o.ramp + 30*time.Second)
	for int(s.connected.Load()) < sum.Devices && time.Now().Before(joinDeadline) && bctx.Err() == nil {
		_ = sleep(bctx, 200*time.Millisecond)
	}
	allJoined := int(s.connected.Load()) == sum.Devices
	if bctx.Err() == nil && allJoined {
		if o.url == "" {
			memAfter = liveBytes()
		}
		if o.adminURL != "" {
			m1, _ = serverMemory(o.adminURL)
		}
	}
	wg.Wait()
	seconds := time.Since(s.start).Seconds()
	events := s.events.Load()
	stopProgress()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	var cpuUse *CPU
	if cpu != nil {
		var err error
		if cpuUse, err = cpu.stop(); err != nil {
			progressf(o.stderr, "no CPU figures: %v", err)
		}
	}
	var m2 map[string]float64
	if o.adminURL != "" {
		m2, _ = serverMemory(o.adminURL)
	}

	progressf(o.stderr, "checking every device's events against the server's log")
	checked, unverified, c := s.check(ctx)
	sum.Connected = int(s.connected.Load())
	sum.Load1 = loadAverage()
	sum.Seconds = round3(seconds)
	sum.Connect = percentiles(s.connect.snapshot())
	sum.Events = events
	sum.EventsPerSecond = math.Round(float64(events) / seconds)
	sum.Lost, sum.Duplicated, sum.Unexpected = c.Lost, c.Duplicated, c.Unexpected
	sum.Checked, sum.Unverified = checked, unverified
	sum.Commands, sum.Reconnects = s.commands.Load(), s.reconnects.Load()
	s.mu.Lock()
	sum.Refusals, sum.Faults = maps.Clone(s.refusals), maps.Clone(s.faults)
	s.mu.Unlock()
	sum.AnswerToTeacher = percentiles(s.answer.snapshot())
	sum.ClassWide = percentiles(s.wide.snapshot())
	switch {
	case cpuUse != nil:
		sum.Server = &ServerFigures{Source: "profile", CPUSeconds: cpuUse.Server, Split: cpuUse,
			CPUPerDeliveryUs: perDelivery(cpuUse.Server, events)}
		if memAfter > 0 {
			sum.Server.MemPerConn = perConn(memAfter-memBefore, sum.Devices-o.classes)
		}
		sum.Note = "in-process: CPU is the server's goroutines (and nats-server's) in this process's CPU profile; memory per connection is the growth of live heap and stacks from the open classes to every student joined, the load's own side of each connection included"
	case m0 != nil && m2 != nil:
		cpuS := m2["process_cpu_seconds_total"] - m0["process_cpu_seconds_total"]
		sum.Server = &ServerFigures{Source: "metrics", CPUSeconds: round3(cpuS), CPUPerDeliveryUs: perDelivery(cpuS, events)}
		if m1 != nil {
			sum.Server.MemPerConn = perConn(m1["process_resident_memory_bytes"]-m0["process_resident_memory_bytes"], sum.Devices)
		}
		sum.Note = "CPU and resident memory from the node's /metrics at --admin-url; a busy node's CPU includes other classes' work"
	case o.url != "":
		sum.Note = "no server CPU or memory: give --admin-url, the node's admin address, to read them from its /metrics"
	}
	if sum.Server != nil && !allJoined {
		sum.Note += "; no memory per connection: not every device had joined by the end of the ramp and 30 s more"
	}
	return sum, nil
}

func perDelivery(cpuSeconds float64, events int64) float64 {
	if events == 0 {
		return 0
	}
	return round3(cpuSeconds / float64(events) * 1e6)
}

func perConn(bytes float64, conns int) float64 {
	if conns == 0 {
		return 0
	}
	return math.Round(bytes / float64(conns))
}

// openClasses opens every class and connects its teacher's console.
func (s *sim) openClasses(ctx context.Context, token string) error {
	s.classes = make([]*simClass, s.o.classes)
	for i := range s.classes {
		cl := &simClass{s: s, i: i, work: make(chan protocol.StudentID, 4*s.o.students+16),
			answered: map[protocol.StudentID]time.Time{}, announced: map[string]time.Time{}}
		cl.teacher = newDevice(s, cl, 0, s.o.seed^uint64(i)<<20)
		cl.teacher.token = token
		cl.teacher.onEvent = cl.teacherEvent
		for k := range s.o.students {
			d := newDevice(s, cl, k+1, s.o.seed^uint64(i)<<20)
			d.onEvent = d.studentEvent
			cl.students = append(cl.students, d)
		}
		s.classes[i] = cl
	}
	sem := make(chan struct{}, s.o.workers)
	errs := make(chan error, len(s.classes))
	var wg sync.WaitGroup
	for _, cl := range s.classes {
		wg.Add(1)
		sem <- struct{}{}
		go asLoad(ctx, func(ctx context.Context) {
			defer wg.Done()
			defer func() { <-sem }()
			var r struct {
				ID   protocol.RoomID
				Code string
			}
			if err := s.post("/api/v1/rooms", token, map[string]string{"title": fmt.Sprintf("Load %d", cl.i+1)}, &r); err != nil {
				errs <- fmt.Errorf("class %d: %w", cl.i+1, err)
				return
			}
			cl.room, cl.code, cl.teacher.room = r.ID, r.Code, r.ID
			took, err := cl.teacher.connect(ctx, false)
			if err != nil {
				errs <- fmt.Errorf("class %d: the teacher's console: %w", cl.i+1, err)
				return
			}
			s.connect.add(took)
			s.connected.Add(1)
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// progressLoop writes the progress line until the returned func is called.
func (s *sim) progressLoop(devices int) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(s.o.progress)
		defer t.Stop()
		last, lastAt := int64(0), s.start
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				ev := s.events.Load()
				rate := float64(ev-last) / now.Sub(lastAt).Seconds()
				last, lastAt = ev, now
				a, w := percentiles(s.answer.snapshot()), percentiles(s.wide.snapshot())
				s.mu.Lock()
				faults := 0
				for _, n := range s.faults {
					faults += n
				}
				s.mu.Unlock()
				fmt.Fprintf(s.o.stderr, "classload: %4.0fs  devices %d/%d  events/s %.0f  answer→teacher p99 %s  class-wide p99 %s  reconnects %d  faults %d\n",
					now.Sub(s.start).Seconds(), s.connected.Load(), devices, rate, p99(a), p99(w), s.reconnects.Load(), faults)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func p99(p *Percentiles) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1fms", p.P99)
}

// jitter is d ± 50 %.
func jitter(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.5 + rng.Float64()))
}

// expo is an exponential wait of mean d, at most 4 d.
func expo(rng *rand.Rand, d time.Duration) time.Duration {
	return min(time.Duration(rng.ExpFloat64()*float64(d)), 4*d)
}

// runStudent is one student: joins at a time on the ramp, then works
// through the practice the teacher gives, with hints, idle spells and
// lost connections that resume, until ctx ends.
func (d *device) runStudent(ctx context.Context) {
	s, cl := d.s, d.cl
	joinAt := time.Duration(d.rng.Float64() * float64(s.o.ramp))
	if sleep(ctx, time.Until(s.start.Add(joinAt))) != nil {
		return
	}
	var j struct {
		Token   string
		Student protocol.StudentID
	}
	// A join the server cannot take now (busy, or limiting joins) is
	// tried again with backoff, as the join page does, for a minute.
	back, giveUp := 500*time.Millisecond, time.Now().Add(time.Minute)
	for {
		err := s.post("/api/v1/join", "", map[string]string{"code": cl.code, "name": fmt.Sprintf("Student %d", d.idx)}, &j)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if time.Now().After(giveUp) || !retryable(err) {
			s.fail("join")
			s.say("join", "class %d student %d: %v", cl.i+1, d.idx, err)
			return
		}
		s.fail("join_retried")
		if sleep(ctx, jitter(d.rng, back)) != nil {
			return
		}
		back = min(2*back, 8*time.Second)
	}
	d.token, d.student = j.Token, j.Student
	var took time.Duration
	for back := 500 * time.Millisecond; ; back = min(2*back, 8*time.Second) {
		var err error
		if took, err = d.connect(ctx, false); err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if time.Now().After(giveUp) || errCode(err) == protocol.CodeUnauthorized {
			s.fail("connect")
			s.say("connect", "class %d student %d: %v", cl.i+1, d.idx, err)
			return
		}
		s.fail("connect_retried")
		if sleep(ctx, jitter(d.rng, back)) != nil {
			return
		}
	}
	s.connect.add(took)
	s.connected.Add(1)

	ability := 0.35 + 0.6*d.rng.Float64() // the chance of a right answer
	nextDrop := time.Time{}
	if s.o.reconnectEvery > 0 {
		nextDrop = time.Now().Add(expo(d.rng, s.o.reconnectEvery))
	}
	var item *protocol.ItemView
	// Whether there may be work to ask for: at first, yes (the practice
	// may have been given before the device connected, and is in its
	// snapshot, as the page finds it); after a refusal, not until a
	// practice event comes.
	given := true
	for ctx.Err() == nil {
		if !nextDrop.IsZero() && time.Now().After(nextDrop) {
			d.drop()
			if d.reconnect(ctx) != nil {
				return
			}
			nextDrop = time.Now().Add(expo(d.rng, s.o.reconnectEvery))
		}
		if item == nil && !given {
			// Nothing to do until the teacher gives practice: the
			// device waits for the practice event, as the page does.
			select {
			case <-d.practice:
				given = true
			case <-ctx.Done():
				return
			}
		}
		if item == nil {
			raw, err := d.call(ctx, protocol.MsgNextItem, struct{}{})
			switch errCode(err) {
			case "":
			case protocol.CodeWrongState, protocol.CodeClosed:
				given = false
				continue
			default:
				_ = sleep(ctx, jitter(d.rng, time.Second))
				continue
			}
			var res struct {
				Item *protocol.ItemView
				Done bool
			}
			_ = json.Unmarshal(raw, &res)
			if res.Item == nil {
				// Done: the hand goes up, and the teacher gives the set again.
				given = false
				_, _ = d.call(ctx, protocol.MsgRaiseHand, protocol.RaiseHand{Note: "finished"})
				continue
			}
			item = res.Item
		}
		if sleep(ctx, expo(d.rng, s.o.think)) != nil {
			return
		}
		if d.rng.Float64() < s.o.hints {
			if _, err := d.call(ctx, protocol.MsgHint, protocol.Hint{Item: item.ID}); errCode(err) == protocol.CodeNotGiven {
				item = nil
				continue
			}
		}
		correct := d.rng.Float64() < ability
		cl.mu.Lock()
		cl.answered[d.student] = time.Now()
		cl.mu.Unlock()
		raw, err := d.call(ctx, protocol.MsgAnswer, protocol.Answer{Item: item.ID, Response: s.response(item, correct, d.rng)})
		if err != nil {
			item = nil // ask again what is in front of them
			continue
		}
		var res struct {
			Correct bool
			Next    *protocol.ItemView
			MovedOn bool `json:"moved_on"`
		}
		_ = json.Unmarshal(raw, &res)
		switch {
		case res.Next != nil:
			item = res.Next
		case res.Correct || res.MovedOn:
			item = nil
		}
		if d.rng.Float64() < s.o.idle {
			_ = sleep(ctx, 20*time.Second+time.Duration(d.rng.Float64()*float64(40*time.Second)))
		}
	}
}

// response is a student's answer to the item: the right one when the
// bank is one this program knows and correct, else a wrong one.
func (s *sim) response(item *protocol.ItemView, correct bool, rng *rand.Rand) string {
	var it *content.Item
	if s.bank != nil {
		it = s.bank.Item(item.ID)
	}
	switch {
	case it != nil && correct:
		return it.Answer()
	case item.Kind == protocol.ItemChoice && len(item.Choices) > 0:
		pick := rng.IntN(len(item.Choices))
		if it != nil && pick == it.Correct {
			pick = (pick + 1) % len(item.Choices)
		}
		return fmt.Sprint(pick)
	case item.Kind == protocol.ItemNumeric:
		return "99999"
	}
	return "not sure"
}

// studentEvent times the class-wide announcements on a student's device,
// and tells the student when practice is given.
func (d *device) studentEvent(f protocol.ServerFrame, _ int, at time.Time, live bool) {
	switch f.Event {
	case protocol.EvAnnouncement:
		if live {
			d.cl.announcement(f, at)
		}
	case protocol.EvPractice:
		select {
		case d.practice <- struct{}{}:
		default:
		}
	}
}

func (cl *simClass) announcement(f protocol.ServerFrame, at time.Time) {
	var a protocol.Announcement
	if json.Unmarshal(f.Data, &a) != nil {
		return
	}
	cl.mu.Lock()
	t0, ok := cl.announced[a.Text]
	cl.mu.Unlock()
	if ok {
		cl.s.wide.add(at.Sub(t0))
	}
}

// teacherEvent is the console: it times answers to the attempt on the
// console and class-wide events (those that came live), keeps the class's events for the
// baseline, and queues the practice to give.
func (cl *simClass) teacherEvent(f protocol.ServerFrame, size int, at time.Time, live bool) {
	ev := recEvent{seq: f.Seq, at: at.Sub(cl.s.start), size: size, typ: f.Event}
	switch f.Event {
	case protocol.EvStudentJoined:
		var j protocol.StudentJoined
		if json.Unmarshal(f.Data, &j) == nil {
			cl.give(j.Student)
		}
	case protocol.EvHand:
		var h protocol.Hand
		if json.Unmarshal(f.Data, &h) == nil && h.Raised && h.Note == "finished" {
			cl.give(h.Student)
		}
	case protocol.EvAttempt:
		var a struct {
			Student protocol.StudentID `json:"student"`
		}
		if json.Unmarshal(f.Data, &a) == nil {
			ev.student = a.Student
			cl.mu.Lock()
			t0, ok := cl.answered[a.Student]
			delete(cl.answered, a.Student)
			cl.mu.Unlock()
			if ok && live {
				cl.s.answer.add(at.Sub(t0))
			}
		}
	case protocol.EvAnnouncement:
		var a protocol.Announcement
		if json.Unmarshal(f.Data, &a) == nil {
			ev.text = a.Text
		}
		if live {
			cl.announcement(f, at)
		}
	}
	if cl.s.o.baseline != "" {
		cl.mu.Lock()
		cl.rec = append(cl.rec, ev)
		cl.mu.Unlock()
	}
}

func (cl *simClass) give(st protocol.StudentID) {
	select {
	case cl.work <- st:
	default:
		cl.s.fail("teacher_queue_full")
	}
}

// runTeacher is a teacher's console: practice for every student who
// joins or finishes, announcements to the class, and, after the joins, a
// rotation over two stations that the teacher pauses, resumes and
// advances.
func (cl *simClass) runTeacher(ctx context.Context) {
	s, d := cl.s, cl.teacher
	announce := time.NewTimer(jitter(d.rng, s.o.announceEvery))
	defer announce.Stop()
	rotate := time.NewTimer(s.o.ramp + jitter(d.rng, 2*time.Second))
	defer rotate.Stop()
	if s.o.rotateEvery == 0 {
		rotate.Stop()
	}
	set := protocol.SetRef{Bank: protocol.BankID(s.o.bank), Set: s.o.set}
	n, rotating, step := 0, false, 0
	// Practice and announcements need no answer before the next command,
	// so the console sends them without waiting, up to what the server
	// runs of one connection at once (PROTOCOL.md, "Commands").
	var running sync.WaitGroup
	defer running.Wait()
	slots := make(chan struct{}, 8)
	async := func(f func()) {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-slots }()
			f()
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case st := <-cl.work:
			async(func() {
				if _, err := d.call(ctx, protocol.MsgAssignPractice, protocol.AssignPractice{Set: set, To: protocol.Target{Student: st}}); errCode(err) == protocol.CodeNotFound {
					s.say("noset", "class %d: the server has no set %s of bank %s (give --bank and --set)", cl.i+1, s.o.set, s.o.bank)
				}
			})
		case <-announce.C:
			n++
			text := fmt.Sprintf("Class %d, notice %d: eyes on the board.", cl.i+1, n)
			cl.mu.Lock()
			cl.announced[text] = time.Now()
			cl.mu.Unlock()
			async(func() { _, _ = d.call(ctx, protocol.MsgAnnounce, protocol.Announce{Text: text}) })
			announce.Reset(jitter(d.rng, s.o.announceEvery))
		case <-rotate.C:
			if !rotating {
				rotating = cl.startRotation(ctx) == nil
			} else {
				action := []protocol.RotateAction{protocol.RotatePause, protocol.RotateResume, protocol.RotateAdvance}[step%3]
				step++
				if _, err := d.call(ctx, protocol.MsgRotate, protocol.Rotate{Action: action}); errCode(err) == protocol.CodeWrongState {
					rotating = false // it ran out of legs: start another
				}
			}
			rotate.Reset(jitter(d.rng, s.o.rotateEvery))
		}
	}
}

// startRotation makes two stations (once), random groups of the class
// and a rotation over the stations.
func (cl *simClass) startRotation(ctx context.Context) error {
	d := cl.teacher
	for _, name := range []string{"With me", "Practice"}[len(cl.stations):] {
		raw, err := d.call(ctx, protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: name, Kind: protocol.StationOnline}})
		if err != nil {
			return err
		}
		var res struct{ Station protocol.StationID }
		_ = json.Unmarshal(raw, &res)
		cl.stations = append(cl.stations, res.Station)
	}
	stations := cl.stations
	count := max(1, min(4, cl.s.o.students/2))
	raw, err := d.call(ctx, protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{
		Method: protocol.GroupRandom, Count: count, Seed: int64(d.rng.Uint64() >> 1)}})
	if err != nil {
		return err
	}
	var p protocol.Proposal
	_ = json.Unmarshal(raw, &p)
	if _, err := d.call(ctx, protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID}); err != nil {
		return err
	}
	plan := protocol.RotationPlan{Stations: stations, Legs: []int64{600_000, 600_000}, WarnMs: -1}
	_, err = d.call(ctx, protocol.MsgStartRotation, protocol.StartRotation{Plan: plan})
	return err
}

// httpError is a REST answer that was not a success.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// retryable reports whether a REST call may succeed if tried again: the
// server was busy, limited the caller, or could not be reached.
func retryable(err error) bool {
	var he *httpError
	if errors.As(err, &he) {
		return he.status == http.StatusServiceUnavailable || he.status == http.StatusTooManyRequests || he.status >= 500
	}
	return true
}
