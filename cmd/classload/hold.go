package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// holdResult is what hold prints: one JSON line.
type holdResult struct {
	Classes     int     `json:"classes"`
	OpenSeconds float64 `json:"open_seconds"` // opening, joining and ending them all

	// While running, just after the last class ended.
	RunningRSSMiB     float64 `json:"running_rss_mib"`
	RunningGoroutines int     `json:"running_goroutines"`
	RunningActors     int     `json:"running_actors"` // classhub_rooms: room actors still alive
	RunningOpenFiles  int     `json:"running_open_files"`
	RunningLiveMiB    float64 `json:"running_live_heap_mib"`

	// Still running, once the actors of the ended classes have stopped
	// (an ended class's actor stops just after answering the end: it
	// saves a snapshot and gives its lease back first).
	QuietSeconds    float64 `json:"quiet_after_seconds,omitempty"`
	QuietRSSMiB     float64 `json:"quiet_rss_mib,omitempty"`
	QuietGoroutines int     `json:"quiet_goroutines,omitempty"`
	QuietLiveMiB    float64 `json:"quiet_live_heap_mib,omitempty"`

	// After a restart with no class live.
	ReadySeconds      float64 `json:"restart_ready_seconds"` // exec to the first 200 from /readyz
	IdleRSSMiB        float64 `json:"idle_rss_mib"`
	IdleLiveMiB       float64 `json:"idle_live_heap_mib"`
	Goroutines        int     `json:"goroutines"`
	OpenFiles         int     `json:"open_files"`
	Actors            int     `json:"actors"`
	Streams           int     `json:"streams"`     // every JetStream stream, buckets included
	LogStreams        int     `json:"log_streams"` // streams that hold class logs, of either layout
	Consumers         int     `json:"consumers"`
	DataMiB           float64 `json:"data_mib"`
	SettleSeconds     float64 `json:"settle_seconds"` // until two readings of RSS agreed
	GoroutineDumpPath string  `json:"goroutine_dump,omitempty"`
	Load              float64 `json:"load1"` // the machine's load average at the restart: others' work shows here
}

// node is a classhub process started by hold.
type node struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
	start  time.Time
}

// hold measures what a node pays for the classes it holds: it runs the
// real binary on a fresh data folder, opens and ends o.classes classes
// over REST (each with one student joining), then restarts the node with
// no class live and reads its memory, goroutines, open files and
// JetStream streams.
func hold(ctx context.Context, o options, out io.Writer) (err error) {
	work, err := os.MkdirTemp("", "classload-hold-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	data := o.data
	if data == "" {
		data = filepath.Join(work, "data")
	} else if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return fmt.Errorf("--data %s is not empty: hold needs a fresh data folder", data)
	}
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(work, "classhub")
		progress("building classhub")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/classhub/classhub/cmd/classhub")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build classhub (or give --binary): %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"serve", "--data", data, "--addr", addr, "--log-level", "warn",
		// The node's metrics on its own address, where hold reads them.
		"--admin-addr", "",
		// Every join comes from this one address.
		"--join-rate", "1000", "--join-burst", strconv.Itoa(o.classes + 100)}
	logFile, err := os.Create(filepath.Join(work, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	// The server's log is shown should hold fail.
	defer func() {
		if err != nil {
			if b, rerr := os.ReadFile(logFile.Name()); rerr == nil && len(b) > 0 {
				fmt.Fprintf(os.Stderr, "server log:\n%s", tail(b, 4000))
			}
		}
	}()

	progress("starting %s on %s", bin, data)
	srv, err := startServer(ctx, bin, args, addr, logFile, nil)
	if err != nil {
		return err
	}
	defer srv.kill()
	const email, password = "load@school.example", "classload-password-1"
	add := exec.CommandContext(ctx, bin, "teacher", "add", "--data", data, "--email", email, "--name", "Load")
	add.Stdin = strings.NewReader(password + "\n")
	if b, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("teacher add: %w\n%s", err, b)
	}
	o.url, o.email, o.password = srv.url, email, password
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = o.workers * 2
	// No request waits for ever on a server that stopped answering.
	http.DefaultClient.Timeout = time.Minute

	res := holdResult{Classes: o.classes}
	t0 := time.Now()
	if err := openAndEnd(ctx, o); err != nil {
		return err
	}
	res.OpenSeconds = seconds(time.Since(t0))
	if res.RunningRSSMiB, err = rssMiB(srv.pid()); err != nil {
		return err
	}
	res.RunningOpenFiles, _ = openFiles(srv.pid())
	m, err := serverMemory(srv.url)
	if err != nil {
		return err
	}
	res.RunningGoroutines, res.RunningActors = int(m["go_goroutines"]), int(m["classhub_rooms"])
	res.RunningLiveMiB = liveHeapMiB(m)
	progress("%d classes opened and ended in %.1f s; RSS %.0f MiB, %d goroutines, %d actors alive",
		o.classes, res.OpenSeconds, res.RunningRSSMiB, res.RunningGoroutines, res.RunningActors)
	if o.quiet && res.RunningActors > 0 {
		progress("waiting for the actors of the ended classes to stop")
		t0 := time.Now()
		if err := actorsStopped(ctx, srv.url, 5*time.Minute); err != nil {
			return err
		}
		res.QuietSeconds = seconds(time.Since(t0))
		if res.QuietRSSMiB, err = settledRSS(ctx, srv.pid()); err != nil {
			return err
		}
		if m, err = serverMemory(srv.url); err != nil {
			return err
		}
		res.QuietGoroutines, res.QuietLiveMiB = int(m["go_goroutines"]), liveHeapMiB(m)
		progress("all stopped after %.0f s; RSS %.0f MiB, %d goroutines", res.QuietSeconds, res.QuietRSSMiB, res.QuietGoroutines)
	}

	progress("stopping the server")
	if err := srv.stop(time.Minute); err != nil {
		return err
	}
	progress("restarting it on the same data folder")
	var env []string
	if o.dump != "" {
		env = append(env, "GOTRACEBACK=all")
	}
	srv, err = startServer(ctx, bin, args, addr, logFile, env)
	if err != nil {
		return err
	}
	defer srv.kill()
	res.ReadySeconds = seconds(time.Since(srv.start))
	res.Load = loadAverage()
	progress("ready in %.2f s; waiting for its memory to settle", res.ReadySeconds)
	settled := time.Now()
	if res.IdleRSSMiB, err = settledRSS(ctx, srv.pid()); err != nil {
		return err
	}
	res.SettleSeconds = seconds(time.Since(settled))
	res.OpenFiles, _ = openFiles(srv.pid())
	if m, err = serverMemory(srv.url); err != nil {
		return err
	}
	res.Goroutines, res.Actors = int(m["go_goroutines"]), int(m["classhub_rooms"])
	res.IdleLiveMiB = liveHeapMiB(m)
	// Read after the figures above: the admin connection is one more client
	// of the server.
	if res.Streams, res.LogStreams, res.Consumers, err = countStreams(ctx, data); err != nil {
		return err
	}
	res.DataMiB = float64(dirSize(data)) / (1 << 20)

	if o.dump != "" {
		if err := srv.dumpGoroutines(o.dump, logFile); err != nil {
			return err
		}
		res.GoroutineDumpPath = o.dump
	} else if err := srv.stop(time.Minute); err != nil {
		return err
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(out, string(b))
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "classload: "+format+"\n", args...)
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// freeAddr picks a loopback port for the server, kept across its restart.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer runs the binary and waits for its /readyz to answer 200.
func startServer(ctx context.Context, bin string, args []string, addr string, log io.Writer, env []string) (*node, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), env...)
	s := &node{cmd: cmd, url: "http://" + addr, exited: make(chan error, 1), start: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start classhub: %w", err)
	}
	go func() { s.exited <- cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		res, err := client.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return nil, fmt.Errorf("classhub exited before it was ready: %v", err)
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, errors.New("classhub was not ready within 5 minutes")
		}
	}
}

func (s *node) pid() int { return s.cmd.Process.Pid }

// stop asks the server to stop, as a service manager does, and waits.
func (s *node) stop(timeout time.Duration) error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop classhub: %w", err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			return fmt.Errorf("classhub stopped with %w", err)
		}
		return nil
	case <-time.After(timeout):
		s.kill()
		return fmt.Errorf("classhub did not stop within %v", timeout)
	}
}

// kill ends the server if it still runs.
func (s *node) kill() {
	select {
	case err := <-s.exited:
		s.exited <- err
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	err := <-s.exited
	s.exited <- err
}

// dumpGoroutines stops the server with SIGQUIT, which makes the Go
// runtime print every goroutine's stack, writes the stacks to path and a
// count by where each goroutine was started to stderr. The server
// exposes no profiling endpoint; this needs none.
func (s *node) dumpGoroutines(path string, log *os.File) error {
	before, err := log.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if err := s.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		return err
	}
	select {
	case err := <-s.exited:
		s.exited <- err
	case <-time.After(time.Minute):
		s.kill()
	}
	b, err := os.ReadFile(log.Name())
	if err != nil {
		return err
	}
	b = b[before:]
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if where, ok := strings.CutPrefix(sc.Text(), "created by "); ok {
			where, _, _ = strings.Cut(where, " in goroutine")
			counts[where]++
		}
	}
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range counts {
		all = append(all, kv{k, n})
	}
	slices.SortFunc(all, func(a, b kv) int { return b.n - a.n })
	progress("goroutines by where they were started (full stacks in %s):", path)
	for _, e := range all[:min(len(all), 15)] {
		fmt.Fprintf(os.Stderr, "  %6d  %s\n", e.n, e.k)
	}
	return nil
}

// liveHeapMiB is the heap the server's last garbage collection found
// live: the collector's goal for the next one is that times 1+GOGC/100.
// Resident memory also counts the garbage made since, which the server's
// GOGC (100 unless set) lets grow to as much again as the live heap.
func liveHeapMiB(m map[string]float64) float64 {
	gogc := m["go_gc_gogc_percent"]
	if gogc <= 0 {
		return 0
	}
	return m["go_memstats_next_gc_bytes"] / (1 + gogc/100) / (1 << 20)
}

// actorsStopped polls the server's metrics until no room actor runs.
func actorsStopped(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := serverMemory(url)
		if err != nil {
			return err
		}
		if m["classhub_rooms"] == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%.0f room actors still running after %v", m["classhub_rooms"], timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// openAndEnd opens o.classes classes, each with one student joining,
// and ends them, o.workers at a time.
func openAndEnd(ctx context.Context, o options) error {
	var login struct{ Token string }
	if err := post(o.url+"/api/v1/login", "", map[string]string{"email": o.email, "password": o.password}, &login); err != nil {
		return err
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.classes {
					return
				}
				if err := openAndEndOne(o, login.Token, i); err != nil {
					errs <- fmt.Errorf("class %d: %w", i, err)
					cancel()
					return
				}
				if n := done.Add(1); n%500 == 0 {
					progress("%d classes opened and ended", n)
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

func openAndEndOne(o options, token string, i int) error {
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	if err := post(o.url+"/api/v1/rooms", token, map[string]string{"title": fmt.Sprintf("Held %d", i)}, &r); err != nil {
		return err
	}
	if _, err := join(o, r.Code, i); err != nil {
		return err
	}
	var ended struct{ Status string }
	if err := post(o.url+"/api/v1/rooms/"+string(r.ID)+"/end", token, struct{}{}, &ended); err != nil {
		return err
	}
	if ended.Status != "ended" {
		return fmt.Errorf("ended class has status %q", ended.Status)
	}
	return nil
}

var vmRSS = regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`)

// rssMiB is the resident memory of a process, from the kernel.
func rssMiB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("memory of the server: %w", err)
	}
	m := vmRSS.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("memory of the server: no VmRSS")
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	return kb / 1024, nil
}

// settledRSS reads the resident memory once a second until two readings
// in a row are within 1% of each other (at most a minute): what a node
// holds once the work of starting is behind it.
func settledRSS(ctx context.Context, pid int) (float64, error) {
	prev, err := rssMiB(pid)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
		cur, err := rssMiB(pid)
		if err != nil {
			return 0, err
		}
		if d := cur - prev; d < 0.01*prev && -d < 0.01*prev || time.Now().After(deadline) {
			return cur, nil
		}
		prev = cur
	}
}

// loadAverage is the machine's load average over the last minute, 0 if
// unknown.
func loadAverage() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f, _, _ := strings.Cut(string(b), " ")
	l, _ := strconv.ParseFloat(f, 64)
	return l
}

func openFiles(pid int) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(fds), err
}

// countStreams lists the JetStream streams of the server running on data,
// through the local admin listener it describes in nats-admin.json.
func countStreams(ctx context.Context, data string) (streams, logs, consumers int, err error) {
	b, err := os.ReadFile(filepath.Join(data, "nats-admin.json"))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("the server's admin listener: %w", err)
	}
	var admin struct{ URL, Token string }
	if err := json.Unmarshal(b, &admin); err != nil {
		return 0, 0, 0, fmt.Errorf("the server's admin listener: %w", err)
	}
	nc, err := nats.Connect(admin.URL, nats.Token(admin.Token), nats.Name("classload"))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("connect to the server's NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, 0, 0, err
	}
	list := js.ListStreams(ctx)
	for info := range list.Info() {
		streams++
		consumers += info.State.Consumers
		if strings.HasPrefix(info.Config.Name, protocol.LegacyStreamPrefix) || strings.HasPrefix(info.Config.Name, logStreamPrefix) {
			logs++
		}
	}
	return streams, logs, consumers, list.Err()
}

// logStreamPrefix starts the names of the shared log streams.
var logStreamPrefix = strings.TrimSuffix(protocol.LogStream(0), "0")

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
