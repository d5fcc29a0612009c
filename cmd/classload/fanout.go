package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// fanoutOptions are the flags of classload fanout.
type fanoutOptions struct {
	peer              string
	binary            string
	classes, students int
	rate              float64
	warmup, duration  time.Duration
	drain             time.Duration
	profile           string
	connectors        int
}

// fanoutResult is the one JSON line fanout prints.
type fanoutResult struct {
	Target      string  `json:"target"`
	Binary      string  `json:"binary"`
	Classes     int     `json:"classes"`
	Devices     int     `json:"devices"`
	Rate        float64 `json:"events_per_class_per_s"`
	Seconds     float64 `json:"seconds"`
	ConnectSecs float64 `json:"connect_seconds"`
	Sent        int64   `json:"sent"`
	Refused     int64   `json:"refused"` // classhub: announcements answered with an error
	Expected    int64   `json:"expected"`
	Delivered   int64   `json:"delivered"`
	Duplicated  int64   `json:"duplicated"`
	DeliveredPc float64 `json:"delivered_pct"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	Maxms       float64 `json:"max_ms"`
	ServerCPU   float64 `json:"server_cpu_s"`
	CPUPerDeliv float64 `json:"server_cpu_per_delivery_us"`
	// Every message received while the load was measured, whenever it
	// was sent, and the server's CPU per each: what the server spent per
	// delivery even when it is behind (when delivered counts few of the
	// measured messages in time).
	Received      int64   `json:"received_in_window"`
	CPUPerReceipt float64 `json:"server_cpu_per_received_us"`
	// classhub: the mean time of an append to the class log, until
	// JetStream acknowledged it, over the measured time (the node's
	// classhub_jetstream_publish_seconds).
	AppendMs    float64 `json:"append_mean_ms,omitempty"`
	ServerCores float64 `json:"server_cores"`
	RSSMiB      float64 `json:"server_rss_mib"`
	// The server's resident memory with the classes open and no device,
	// then with every device connected and idle (3 s after the last
	// connected, before any event is sent), and the growth per device.
	IdleRSSBeforeMiB float64 `json:"idle_rss_before_mib"`
	IdleRSSMiB       float64 `json:"idle_rss_mib"`
	IdleKiBPerConn   float64 `json:"idle_rss_per_conn_kib"`
	LoadCPU          float64 `json:"classload_cpu_s"`
	Load1            float64 `json:"load1"`
}

// target is a server that fans messages out: classhub through its real
// path, or a peer (peer.go) carrying the same messages to as many
// connections.
type target interface {
	// start runs the server as a process of its own.
	start(ctx context.Context, work string) error
	pid() int
	// open prepares class c (classhub: a class and its teacher).
	open(ctx context.Context, c int) error
	// device connects device i of class c and calls got with every
	// message it receives until ctx ends.
	device(ctx context.Context, c, i int, got func([]byte)) error
	// publish sends text to every device of class c.
	publish(ctx context.Context, c int, text string) error
	// refused counts publications the server answered with an error.
	refused() int64
	stop()
}

// fanout pushes o.rate events a second to each of o.classes classes of
// o.students devices and measures what arrives: how many, how late, and
// what the server's process spent on it.
func fanout(ctx context.Context, args []string, out io.Writer) error {
	var o fanoutOptions
	fs := flag.NewFlagSet("classload fanout", flag.ContinueOnError)
	fs.StringVar(&o.peer, "peer", "", "measure a peer instead of classhub: centrifugo or nats")
	fs.StringVar(&o.binary, "binary", "", "the server binary to run; default: classhub built from this module, or centrifugo or nats-server on PATH")
	fs.IntVar(&o.classes, "classes", 333, "classes")
	fs.IntVar(&o.students, "students", 30, "devices per class")
	fs.Float64Var(&o.rate, "rate", 6, "events a second per class")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "load before the measuring starts")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long the load is measured")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "how long late messages are waited for")
	fs.StringVar(&o.profile, "profile", "", "classhub: write a CPU profile of the server over the measured time to this file")
	fs.IntVar(&o.connectors, "connectors", 8, "devices connecting at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.classes < 1 || o.students < 1 || o.rate <= 0 || o.duration <= 0 {
		return errors.New("--classes, --students, --rate and --duration must be positive")
	}
	var t target
	switch o.peer {
	case "":
		t = &classhubTarget{o: o}
	case "centrifugo":
		t = &centrifugoTarget{bin: o.binary}
	case "nats":
		t = &natsTarget{bin: o.binary}
	default:
		return fmt.Errorf("--peer %q: say centrifugo or nats", o.peer)
	}
	work, err := os.MkdirTemp("", "classload-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Whatever start began is stopped, even when start fails: a run
	// stopped while its server starts (its account being made, say)
	// leaves nothing running.
	defer t.stop()
	if err := t.start(ctx, work); err != nil {
		return err
	}
	res := fanoutResult{Target: o.peer, Classes: o.classes, Devices: o.classes * o.students, Rate: o.rate}
	if res.Target == "" {
		res.Target = "classhub"
	}
	res.Binary = binaryOf(t)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progress("%s: opening %d classes of %d devices", res.Target, o.classes, o.students)
	t0 := time.Now()
	if err := parallel(ctx, o.classes, o.connectors, func(c int) error {
		if err := t.open(ctx, c); err != nil {
			return fmt.Errorf("class %d: %w", c, err)
		}
		return nil
	}); err != nil {
		return err
	}
	res.IdleRSSBeforeMiB, _ = rssMiB(t.pid())
	devs := make([]*fanoutDevice, o.classes*o.students)
	if err := parallel(ctx, len(devs), o.connectors, func(k int) error {
		c, i := k/o.students, k%o.students
		d := &fanoutDevice{class: c, seen: make([]uint64, 0, 64)}
		devs[k] = d
		if err := t.device(ctx, c, i, d.got); err != nil {
			return fmt.Errorf("class %d device %d: %w", c, i, err)
		}
		if (k+1)%1000 == 0 {
			progress("%d devices connected", k+1)
		}
		return nil
	}); err != nil {
		return err
	}
	res.ConnectSecs = seconds(time.Since(t0))
	time.Sleep(3 * time.Second)
	if rss, err := rssMiB(t.pid()); err == nil && res.IdleRSSBeforeMiB > 0 {
		res.IdleRSSMiB = rss
		res.IdleKiBPerConn = (rss - res.IdleRSSBeforeMiB) * 1024 / float64(len(devs))
	}
	progress("%d devices connected in %.1f s; %v of load, then %v measured", len(devs), res.ConnectSecs, o.warmup, o.duration)

	// One sender per class, spread over the period so that the classes'
	// events do not arrive in lockstep.
	var measuring atomic.Bool
	var sent atomic.Int64
	period := time.Duration(float64(time.Second) / o.rate)
	var senders sync.WaitGroup
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	for c := range o.classes {
		senders.Add(1)
		go func() {
			defer senders.Done()
			select {
			case <-time.After(period * time.Duration(c) / time.Duration(o.classes)):
			case <-sendCtx.Done():
				return
			}
			tick := time.NewTicker(period)
			defer tick.Stop()
			for seq := 0; ; seq++ {
				m := 0
				if measuring.Load() {
					m = 1
				}
				text := fmt.Sprintf("fo|%d|%d|%d|%d| Pens down, eyes on the board: we start question 3 together.", c, seq, m, time.Now().UnixNano())
				if err := t.publish(sendCtx, c, text); err != nil {
					if sendCtx.Err() == nil {
						progress("class %d: publish: %v", c, err)
					}
					return
				}
				if m == 1 {
					sent.Add(1)
				}
				select {
				case <-tick.C:
				case <-sendCtx.Done():
					return
				}
			}
		}()
	}
	select {
	case <-time.After(o.warmup):
	case <-ctx.Done():
		return ctx.Err()
	}
	refusedBefore := t.refused()
	cpu0, err := processCPU(t.pid())
	if err != nil {
		return err
	}
	self0, _ := processCPU(os.Getpid())
	var prof chan error
	if o.profile != "" {
		ct, ok := t.(*classhubTarget)
		if !ok {
			return errors.New("--profile is for classhub")
		}
		prof = make(chan error, 1)
		go func() { prof <- ct.cpuProfile(o.duration, o.profile) }()
	}
	ct, _ := t.(*classhubTarget)
	var app0 map[string]float64
	if ct != nil {
		app0, _ = serverMemory("http://" + ct.admin)
	}
	measuring.Store(true)
	receiving.Store(true)
	m0 := time.Now()
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
		return ctx.Err()
	}
	measuring.Store(false)
	receiving.Store(false)
	res.Seconds = seconds(time.Since(m0))
	// The server's CPU is read when the measured messages have all been
	// sent: the drain below only waits for late ones.
	cpu1, err := processCPU(t.pid())
	if err != nil {
		return err
	}
	self1, _ := processCPU(os.Getpid())
	if ct != nil && app0 != nil {
		if app1, err := serverMemory("http://" + ct.admin); err == nil {
			const h = "classhub_jetstream_publish_seconds"
			if n := app1[h+"_count"] - app0[h+"_count"]; n > 0 {
				res.AppendMs = (app1[h+"_sum"] - app0[h+"_sum"]) / n * 1e3
			}
		}
	}
	res.Load1 = loadAverage()
	time.Sleep(o.drain)
	stopSending()
	senders.Wait()
	if prof != nil {
		if err := <-prof; err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	res.RSSMiB, _ = rssMiB(t.pid())
	res.Refused = t.refused() - refusedBefore
	res.Sent = sent.Load()

	var lat []int64
	for _, d := range devs {
		d.mu.Lock()
		res.Delivered += d.delivered
		res.Duplicated += d.dups
		lat = append(lat, d.lat...)
		d.mu.Unlock()
	}
	res.Expected = (res.Sent - res.Refused) * int64(o.students)
	if res.Expected > 0 {
		res.DeliveredPc = 100 * float64(res.Delivered) / float64(res.Expected)
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6
	}
	res.P50ms, res.P99ms, res.Maxms = at(0.50), at(0.99), at(1)
	res.ServerCPU = cpu1 - cpu0
	res.LoadCPU = self1 - self0
	res.ServerCores = res.ServerCPU / res.Seconds
	if res.Delivered > 0 {
		res.CPUPerDeliv = res.ServerCPU / float64(res.Delivered) * 1e6
	}
	res.Received = received.Load()
	if res.Received > 0 {
		res.CPUPerReceipt = res.ServerCPU / float64(res.Received) * 1e6
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(out, string(b))
	return nil
}

// parallel calls fn(0) … fn(n-1), workers at a time, and stops at the
// first error.
func parallel(ctx context.Context, n, workers int, fn func(int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				if err := fn(k); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func binaryOf(t target) string {
	switch t := t.(type) {
	case *classhubTarget:
		return t.bin
	case *centrifugoTarget:
		return t.bin
	case *natsTarget:
		return t.bin
	}
	return ""
}

// fanoutDevice is what one device received of the measured messages.
type fanoutDevice struct {
	class int

	mu        sync.Mutex
	delivered int64
	dups      int64
	lat       []int64  // nanoseconds from publish to receipt
	seen      []uint64 // bitmap of the sequence numbers received
}

var fanoutMark = []byte("fo|")

// receiving is set while the load is measured; received counts every
// message that arrives meanwhile.
var (
	receiving atomic.Bool
	received  atomic.Int64
)

// got reads the marker of a measured message, wherever the server put
// it in its frame: fo|class|seq|measured|sent-at-unix-nanos|.
func (d *fanoutDevice) got(b []byte) {
	now := time.Now().UnixNano()
	i := bytes.Index(b, fanoutMark)
	if i < 0 {
		return
	}
	if receiving.Load() {
		received.Add(1)
	}
	f := strings.SplitN(string(b[i+len(fanoutMark):min(len(b), i+80)]), "|", 5)
	if len(f) < 5 || f[2] != "1" {
		return
	}
	c, _ := strconv.Atoi(f[0])
	seq, _ := strconv.Atoi(f[1])
	sentAt, _ := strconv.ParseInt(f[3], 10, 64)
	if c != d.class || seq < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.seen)*64 <= seq {
		d.seen = append(d.seen, 0)
	}
	if d.seen[seq/64]&(1<<(seq%64)) != 0 {
		d.dups++
		return
	}
	d.seen[seq/64] |= 1 << (seq % 64)
	d.delivered++
	d.lat = append(d.lat, now-sentAt)
}

// processCPU is the CPU time a process has used, user and system, in
// seconds, from the kernel.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("CPU of process %d: %w", pid, err)
	}
	// The command name may hold spaces: the fields start after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("CPU of process %d: short stat", pid)
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// classhubTarget is classhub through its real path: the teacher's
// announce command, the room's actor, the class log in JetStream, the
// node's fan-out, every device.
type classhubTarget struct {
	o        fanoutOptions
	bin      string
	srv      *node
	admin    string
	token    string
	mu       sync.Mutex
	classes  map[int]*fanoutClass
	nrefused atomic.Int64
	logFile  *os.File
}

type fanoutClass struct {
	room    protocol.RoomID
	code    string
	teacher *websocket.Conn
	wmu     sync.Mutex
	seq     int
}

func (t *classhubTarget) start(ctx context.Context, work string) error {
	t.bin = t.o.binary
	if t.bin == "" {
		t.bin = filepath.Join(work, "classhub")
		progress("building classhub")
		build := exec.CommandContext(ctx, "go", "build", "-o", t.bin, "github.com/classhub/classhub/cmd/classhub")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build classhub (or give --binary): %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	if t.admin, err = freeAddr(); err != nil {
		return err
	}
	data := filepath.Join(work, "data")
	devices := t.o.classes * t.o.students
	args := []string{"serve", "--data", data, "--addr", addr, "--admin-addr", t.admin, "--log-level", "warn",
		"--join-rate", "100000", "--join-burst", strconv.Itoa(devices + 100),
		// The devices connect as fast as the tool opens them: what is
		// measured is the fan-out, not the node's admission of new
		// connections, which the peers do not limit either.
		"--conn-rate", "-1", "--max-conns", "-1"}
	if t.logFile, err = os.Create(filepath.Join(work, "server.log")); err != nil {
		return err
	}
	progress("starting %s", t.bin)
	if t.srv, err = startServer(ctx, t.bin, args, addr, t.logFile, nil); err != nil {
		return err
	}
	const email, password = "fanout@school.example", "classload-password-1"
	add := exec.CommandContext(ctx, t.bin, "teacher", "add", "--data", data, "--email", email, "--name", "Fanout")
	add.Stdin = strings.NewReader(password + "\n")
	if b, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("teacher add: %w\n%s", err, b)
	}
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	http.DefaultClient.Timeout = time.Minute
	var login struct{ Token string }
	if err := post(t.srv.url+"/api/v1/login", "", map[string]string{"email": email, "password": password}, &login); err != nil {
		return err
	}
	t.token, t.classes = login.Token, map[int]*fanoutClass{}
	return nil
}

func (t *classhubTarget) pid() int { return t.srv.pid() }

func (t *classhubTarget) open(ctx context.Context, c int) error {
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	if err := post(t.srv.url+"/api/v1/rooms", t.token, map[string]string{"title": fmt.Sprintf("Fan-out %d", c)}, &r); err != nil {
		return err
	}
	ws, err := dial(ctx, wsURL(t.srv.url), t.token, r.ID)
	if err != nil {
		return err
	}
	ws.SetReadLimit(-1)
	fc := &fanoutClass{room: r.ID, code: r.Code, teacher: ws}
	// The teacher's answers: each announcement's result or error.
	go func() {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				if ctx.Err() == nil {
					progress("class %d: the teacher's connection ended: %v", c, err)
				}
				return
			}
			if bytes.Contains(b, []byte(`"type":"error"`)) {
				if t.nrefused.Add(1) == 1 {
					progress("an announcement was refused: %s", tail(b, 300))
				}
			}
		}
	}()
	t.mu.Lock()
	t.classes[c] = fc
	t.mu.Unlock()
	return nil
}

func (t *classhubTarget) class(c int) *fanoutClass {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.classes[c]
}

func (t *classhubTarget) device(ctx context.Context, c, i int, got func([]byte)) error {
	fc := t.class(c)
	var j struct{ Token string }
	if err := post(t.srv.url+"/api/v1/join", "", map[string]string{"code": fc.code, "name": fmt.Sprintf("Device %d", i)}, &j); err != nil {
		return err
	}
	ws, err := dial(ctx, wsURL(t.srv.url), j.Token, "")
	if err != nil {
		return err
	}
	ws.SetReadLimit(-1)
	go func() {
		defer ws.CloseNow()
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			got(b)
		}
	}()
	return nil
}

func (t *classhubTarget) publish(ctx context.Context, c int, text string) error {
	fc := t.class(c)
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	fc.seq++
	data, _ := json.Marshal(protocol.Announce{Text: text})
	f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: "a" + strconv.Itoa(fc.seq), Type: protocol.MsgAnnounce, Data: data})
	return fc.teacher.Write(ctx, websocket.MessageText, f)
}

func (t *classhubTarget) refused() int64 { return t.nrefused.Load() }

// cpuProfile fetches a CPU profile of the server over d from its admin
// address.
func (t *classhubTarget) cpuProfile(d time.Duration, path string) error {
	client := &http.Client{Timeout: d + time.Minute}
	res, err := client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.admin, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (t *classhubTarget) stop() {
	if t.srv != nil {
		if err := t.srv.stop(time.Minute); err != nil {
			progress("%v", err)
		}
	}
	if t.logFile != nil {
		if b, err := os.ReadFile(t.logFile.Name()); err == nil && len(b) > 0 {
			progress("server log (last lines):\n%s", tail(b, 2000))
		}
		t.logFile.Close()
	}
}
