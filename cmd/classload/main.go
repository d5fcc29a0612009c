// Command classload measures a classhub server the way a class uses it,
// over real WebSockets.
//
//	classload [run] [--classes 10 --students 30 --duration 1m ...]
//	                                                   the default: classes of students and their teachers
//	                                                   joining, practising, reconnecting; against --url or a
//	                                                   server it starts itself; one JSON line of figures
//	                                                   (docs/OPERATING.md, "Load testing")
//	classload rtt  --url URL --email E --password P   round trip, device command → teacher's event
//	classload idle --url URL --email E --password P --conns 1000   server memory per idle connection
//	classload rotate --url URL --email E --password P --classes 100 --students 30
//	                                                   teacher's rotation command → the class's last device
//	classload flags --url URL --email E --password P --classes 100 --students 30
//	                                                   a struggling student's answer → the flag on the teacher's console
//	classload hold --classes 300 [--data DIR] [--binary PATH]
//	                                                   what a node pays for the classes it holds: runs the
//	                                                   binary itself, opens and ends the classes, restarts it
//	classload appends --classes 333 --rate 6 --duration 30s --layout both
//	                                                   class log appends on an embedded JetStream, in the
//	                                                   stream-per-class layout and the shared one
//
// The password may also come from CLASSLOAD_PASSWORD. The server must
// allow the joins: run it with --join-burst at least --conns. hold and
// appends need no server: they start their own, and print one JSON line
// of figures (appends: one per layout), with their progress on stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if ctx.Err() != nil {
			// Stopped by a signal: the servers it started are stopped and
			// their data folders removed; say which signal, not only that
			// a context was cancelled.
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		fmt.Fprintln(os.Stderr, "classload:", err)
		os.Exit(1)
	}
}

type options struct {
	url, email, password string
	conns, samples       int
	classes, students    int
	answers              int
	think                time.Duration
	bank, set            string

	data, binary, dump string // hold
	workers            int    // hold
	quiet              bool   // hold
	rate               float64
	duration           time.Duration
	layout             string
	shards             int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	// The default mode: classload [run] [flags].
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runSim(ctx, args, stdout)
	}
	if args[0] == "run" {
		return runSim(ctx, args[1:], stdout)
	}
	mode := args[0]
	if mode == "fanout" { // its own flags: fanout.go
		return fanout(ctx, args[1:], stdout)
	}
	var o options
	fs := flag.NewFlagSet("classload "+mode, flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://localhost:8080", "the classhub server")
	fs.StringVar(&o.email, "email", "", "a teacher's e-mail")
	fs.StringVar(&o.password, "password", os.Getenv("CLASSLOAD_PASSWORD"), "the teacher's password")
	fs.IntVar(&o.conns, "conns", 1000, "idle: connections to open")
	fs.IntVar(&o.samples, "samples", 2000, "rtt, rotate: samples to time")
	fs.IntVar(&o.classes, "classes", 100, "rotate, flags: classes to run at once; hold: classes to open and end (default 300); appends: classes appending at once (default 333)")
	fs.IntVar(&o.students, "students", 30, "rotate, flags: devices per class")
	fs.IntVar(&o.answers, "answers", 12, "flags: answers per student")
	fs.DurationVar(&o.think, "think", 10*time.Second, "flags: time a student takes per item")
	fs.StringVar(&o.bank, "bank", defaultBank, "flags: the content bank to practise")
	fs.StringVar(&o.set, "set", defaultSet, "flags: the set of the bank")
	fs.StringVar(&o.data, "data", "", "hold: a fresh data folder for the server, kept afterwards; default a temporary one")
	fs.StringVar(&o.binary, "binary", "", "hold: the classhub binary to run; default one built from this module")
	fs.StringVar(&o.dump, "dump", "", "hold: stop the restarted server with SIGQUIT and write its goroutine stacks to this file")
	fs.IntVar(&o.workers, "workers", 4, "hold: classes opened at once")
	fs.BoolVar(&o.quiet, "quiet", true, "hold: before the restart, also wait until the ended classes' actors have stopped and measure again")
	fs.Float64Var(&o.rate, "rate", 6, "appends: events a second per class")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "appends: how long each layout is timed")
	fs.StringVar(&o.layout, "layout", "both", "appends: old (a stream per class), new (shared streams) or both")
	fs.IntVar(&o.shards, "shards", 4, "appends: shared log streams of the new layout (the server's default)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	classesSet := false
	fs.Visit(func(f *flag.Flag) { classesSet = classesSet || f.Name == "classes" })
	switch {
	case classesSet:
	case mode == "hold":
		o.classes = 300
	case mode == "appends":
		o.classes = 333
	}
	if o.classes < 1 || o.workers < 1 {
		return errors.New("--classes and --workers must be at least 1")
	}
	switch mode {
	case "hold":
		return hold(ctx, o, stdout)
	case "appends":
		return appends(ctx, o, stdout)
	case "rtt":
		return rtt(ctx, o, stdout)
	case "idle":
		return idle(ctx, o, stdout)
	case "rotate":
		return rotate(ctx, o, stdout)
	case "flags":
		return flags(ctx, o, stdout)
	}
	return fmt.Errorf("unknown mode %q: say run (the default), rtt, idle, rotate, flags, hold or appends", mode)
}

func post(url, token string, body, out any) error {
	status, rb, err := postRaw(http.DefaultClient, url, token, body)
	if err != nil {
		return err
	}
	if status >= 300 {
		return fmt.Errorf("POST %s: %d %s", url, status, rb)
	}
	return json.Unmarshal(rb, out)
}

// postRaw sends body as JSON to url with the bearer token, if any, and
// returns the answer's status and body.
func postRaw(c *http.Client, url, token string, body any) (int, []byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(res.Body)
	return res.StatusCode, rb, err
}

// class signs the teacher in and opens a class.
func class(o options) (teacherToken string, room protocol.RoomID, code string, err error) {
	var login struct{ Token string }
	if err = post(o.url+"/api/v1/login", "", map[string]string{"email": o.email, "password": o.password}, &login); err != nil {
		return
	}
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	err = post(o.url+"/api/v1/rooms", login.Token, map[string]string{"title": "classload " + time.Now().Format(time.TimeOnly)}, &r)
	return login.Token, r.ID, r.Code, err
}

func join(o options, code string, i int) (string, error) {
	var j struct{ Token string }
	err := post(o.url+"/api/v1/join", "", map[string]string{"code": code, "name": fmt.Sprintf("Load %d", i)}, &j)
	return j.Token, err
}

// dial connects a device and waits for its welcome.
func dial(ctx context.Context, wsURL, token string, room protocol.RoomID) (*websocket.Conn, error) {
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	hello, _ := json.Marshal(protocol.Hello{Token: token, Room: room})
	f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: "hello", Type: protocol.MsgHello, Data: hello})
	if err := ws.Write(ctx, websocket.MessageText, f); err != nil {
		return nil, err
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return nil, err
		}
		var sf protocol.ServerFrame
		_ = json.Unmarshal(b, &sf)
		switch sf.Type {
		case protocol.FrameWelcome:
			return ws, nil
		case protocol.FrameError:
			return nil, sf.Error
		}
	}
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") + "/ws" }

// rtt times a student's raise_hand until the hand event reaches the
// teacher's connection, and, on the same machine in the same run, a bare
// WebSocket echo as the baseline.
func rtt(ctx context.Context, o options, out io.Writer) error {
	tt, room, code, err := class(o)
	if err != nil {
		return err
	}
	st, err := join(o, code, 0)
	if err != nil {
		return err
	}
	teacher, err := dial(ctx, wsURL(o.url), tt, room)
	if err != nil {
		return err
	}
	student, err := dial(ctx, wsURL(o.url), st, "")
	if err != nil {
		return err
	}
	go drain(ctx, student)
	hub := make([]time.Duration, 0, o.samples)
	// A device may send 20 commands a second; stay under it, as a real
	// one does, so that no command is refused.
	pace := time.NewTicker(60 * time.Millisecond)
	defer pace.Stop()
	for i := range o.samples {
		<-pace.C
		typ := protocol.MsgRaiseHand
		if i%2 == 1 {
			typ = protocol.MsgLowerHand
		}
		f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: "c" + strconv.Itoa(i), Type: typ, Data: json.RawMessage(`{}`)})
		t0 := time.Now()
		if err := student.Write(ctx, websocket.MessageText, f); err != nil {
			return err
		}
		for {
			_, b, err := teacher.Read(ctx)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(`"event":"hand"`)) {
				break
			}
			if bytes.Contains(b, []byte(`"type":"error"`)) {
				return fmt.Errorf("the server refused a command: %s", b)
			}
		}
		hub = append(hub, time.Since(t0))
	}

	base, err := echoBaseline(ctx, o.samples)
	if err != nil {
		return err
	}
	hp50, hp99 := pct(hub, 50), pct(hub, 99)
	bp50, bp99 := pct(base, 50), pct(base, 99)
	fmt.Fprintf(out, "round trip, student command → event on the teacher's connection, %d samples\n", o.samples)
	fmt.Fprintf(out, "  classhub        p50 %8v  p99 %8v\n", hp50, hp99)
	fmt.Fprintf(out, "  websocket echo  p50 %8v  p99 %8v\n", bp50, bp99)
	fmt.Fprintf(out, "  ratio           p50 %8.1fx p99 %8.1fx\n", float64(hp50)/float64(bp50), float64(hp99)/float64(bp99))
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Microsecond)
}

func drain(ctx context.Context, ws *websocket.Conn) {
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
	}
}

// idle opens conns student connections that then do nothing, and reads
// the server's memory from its /metrics before and after.
func idle(ctx context.Context, o options, out io.Writer) error {
	_, _, code, err := class(o)
	if err != nil {
		return err
	}
	tokens := make([]string, o.conns)
	for i := range tokens {
		if tokens[i], err = join(o, code, i); err != nil {
			return fmt.Errorf("join %d: %w (start the server with --join-burst %d)", i, err, o.conns)
		}
	}
	before, err := serverMemory(o.url)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var conns []*websocket.Conn
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var firstErr error
	for _, tok := range tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := dial(ctx, wsURL(o.url), tok, "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpOr(firstErr, err)
				return
			}
			conns = append(conns, ws)
			go drain(ctx, ws)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Let the server settle: presence events out, garbage collected.
	time.Sleep(3 * time.Second)
	after, err := serverMemory(o.url)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d idle connections\n", len(conns))
	for _, k := range []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_goroutines"} {
		d := after[k] - before[k]
		fmt.Fprintf(out, "  %-32s before %12.0f after %12.0f  per connection %8.0f\n", k, before[k], after[k], d/float64(len(conns)))
	}
	for _, ws := range conns {
		_ = ws.CloseNow()
	}
	runtime.KeepAlive(conns)
	return nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func serverMemory(url string) (map[string]float64, error) {
	res, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			m[name] = f
		}
	}
	return m, sc.Err()
}

// echoBaseline times a bare WebSocket echo in this process, one hop,
// nothing stored: the least any server can do on this machine.
func echoBaseline(ctx context.Context, samples int) ([]time.Duration, error) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if c.Write(r.Context(), typ, b) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	echo, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		return nil, err
	}
	base := make([]time.Duration, 0, samples)
	msg := []byte(`{"v":1,"id":"c1","type":"answer","data":{"item":"frac.eq.1","response":"15"}}`)
	for range samples {
		t0 := time.Now()
		if err := echo.Write(ctx, websocket.MessageText, msg); err != nil {
			return nil, err
		}
		if _, _, err := echo.Read(ctx); err != nil {
			return nil, err
		}
		base = append(base, time.Since(t0))
	}
	return base, nil
}
