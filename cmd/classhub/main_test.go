package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/classhub/classhub/protocol"
)

// The test binary doubles as the server, so that a test can kill it with
// SIGKILL like any process.
func TestMain(m *testing.M) {
	if os.Getenv("CLASSHUB_TEST_MAIN") == "1" {
		if os.Getenv("CLASSHUB_TEST_STALL_STOP") == "1" {
			// A graceful stop that never ends, as one waiting on devices
			// that do not read or on a NATS that does not answer.
			testHookStopping = func() { <-time.NewTimer(time.Hour).C }
		}
		main()
		return
	}
	// The tests fail if any goroutine outlives them.
	goleak.VerifyTestMain(m)
}

type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	url   string
	admin string // the admin listener's URL (metrics, profiles)
	out   string // what it printed until it was ready
	done  chan error
	logs  *lockedBuffer // what it wrote to stderr
	// exited is closed when the process has exited, with exitErr set.
	exited  chan struct{}
	exitErr error
}

// lockedBuffer is a buffer a test may read while the child process still
// writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	readyLine = regexp.MustCompile(`students join at\s+(https?://\S+)/`)
	adminLine = regexp.MustCompile(`Metrics at (http://\S+)/metrics`)
)

// startServer runs "classhub serve" on data as a child process and waits
// until it says it is ready.
func startServer(t *testing.T, data string) *proc {
	t.Helper()
	return startServerWith(t, data)
}

// startServerWith is startServer with more arguments for "serve".
func startServerWith(t *testing.T, data string, args ...string) *proc {
	t.Helper()
	s, err := launchServer(t, 30*time.Second, data, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchServer is startServerWith that reports instead of failing the
// test, so that several servers may be started from goroutines.
func launchServer(t *testing.T, within time.Duration, data string, args ...string) (*proc, error) {
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", data, "--grace", "300ms"}, args...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CLASSHUB_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logs := new(lockedBuffer)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &proc{t: t, cmd: cmd, done: make(chan error, 1), logs: logs, exited: make(chan struct{})}
	type ready struct{ url, out string }
	urls := make(chan ready, 1)
	go func() {
		var out strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- ready{m[1], out.String()}
			}
		}
		err := cmd.Wait()
		s.exitErr = err
		close(s.exited)
		s.done <- err
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case r := <-urls:
		s.url, s.out = r.url, r.out
		if m := adminLine.FindStringSubmatch(r.out); m != nil {
			s.admin = m[1]
		}
	case err := <-s.done:
		return nil, fmt.Errorf("the server exited before it was ready: %v\n%s", err, logs.String())
	case <-time.After(within):
		return nil, fmt.Errorf("the server was not ready within %v\n%s", within, logs.String())
	}
	return s, nil
}

func (s *proc) post(path, token string, body, out any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		s.t.Fatalf("POST %s: %d %s", path, res.StatusCode, rb)
	}
	if err := json.Unmarshal(rb, out); err != nil {
		s.t.Fatal(err)
	}
}

// device is a minimal WebSocket client.
type device struct {
	t      *testing.T
	ws     *websocket.Conn
	epoch  string
	offset uint64
	n      int
}

func (s *proc) connect(token string, room protocol.RoomID, resume *protocol.Resume) (*device, protocol.Welcome) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/ws", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = ws.CloseNow() })
	d := &device{t: s.t, ws: ws}
	if resume != nil {
		d.epoch, d.offset = resume.Epoch, resume.Offset
	}
	d.send(protocol.MsgHello, protocol.Hello{Token: token, Room: room, Resume: resume})
	f := d.next()
	if f.Type != protocol.FrameWelcome {
		s.t.Fatalf("hello answered with %+v", f)
	}
	var w protocol.Welcome
	_ = json.Unmarshal(f.Data, &w)
	if !w.Resumed {
		d.offset = w.Offset
	}
	d.epoch = w.Epoch
	return d, w
}

func (d *device) send(typ protocol.MsgType, data any) string {
	d.t.Helper()
	d.n++
	// Unique for the person for the whole class, as PROTOCOL.md asks.
	id := fmt.Sprintf("r%p-%d", d, d.n)
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	if err := d.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		d.t.Fatal(err)
	}
	return id
}

func (d *device) next() protocol.ServerFrame {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := d.ws.Read(ctx)
	if err != nil {
		d.t.Fatalf("read: %v", err)
	}
	var f protocol.ServerFrame
	if err := json.Unmarshal(b, &f); err != nil {
		d.t.Fatal(err)
	}
	if f.Type == protocol.FrameEvent && f.Seq > d.offset {
		d.offset = f.Seq
	}
	return f
}

// until reads frames until one satisfies ok.
func (d *device) until(what string, ok func(protocol.ServerFrame) bool) protocol.ServerFrame {
	d.t.Helper()
	for {
		if f := d.next(); ok(f) {
			return f
		}
	}
}

func isEvent(t protocol.EventType) func(protocol.ServerFrame) bool {
	return func(f protocol.ServerFrame) bool { return f.Type == protocol.FrameEvent && f.Event == t }
}

// The whole binary: first start, the first teacher, a class; then SIGKILL
// mid-class and a restart on the same data folder: every acknowledged
// event is still there and the devices resume. Then SIGTERM: devices are
// told 1012 and the process exits cleanly.
func TestKillAndRestart(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	if !strings.Contains(s.out, "teacher add") {
		t.Fatalf("a first start does not say how to create the first teacher:\n%s", s.out)
	}

	// The admin command reaches the running server through its data folder.
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"teacher", "add", "--data", data, "--email", "rivera@school.example", "--name", "Ms Rivera"},
		strings.NewReader("correct horse battery\n"), &out, &errs)
	if err != nil {
		t.Fatalf("teacher add: %v\n%s", err, errs.String())
	}

	var login struct{ Token string }
	s.post("/api/v1/login", "", map[string]string{"email": "rivera@school.example", "password": "correct horse battery"}, &login)
	var room struct {
		ID   protocol.RoomID
		Code string
	}
	s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Science"}, &room)
	var st struct {
		Token   string
		Student protocol.StudentID
	}
	s.post("/api/v1/join", "", map[string]string{"code": room.Code, "name": "Olivia"}, &st)

	teacher, _ := s.connect(login.Token, room.ID, nil)
	olivia, _ := s.connect(st.Token, "", nil)
	teacher.until("presence", isEvent(protocol.EvPresence))
	id := olivia.send(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "help with 2"})
	olivia.until("result", func(f protocol.ServerFrame) bool { return f.ID == id && f.Type == protocol.FrameResult })
	id = teacher.send(protocol.MsgAnnounce, protocol.Announce{Text: "acknowledged before the crash"})
	teacher.until("result", func(f protocol.ServerFrame) bool { return f.ID == id && f.Type == protocol.FrameResult })
	olivia.until("announcement", isEvent(protocol.EvAnnouncement))
	resume := &protocol.Resume{Epoch: olivia.epoch, Offset: olivia.offset}

	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done

	s2 := startServer(t, data)
	if strings.Contains(s2.out, "teacher add") {
		t.Error("a restart with a teacher asks for the first teacher again")
	}
	_, tw := s2.connect(login.Token, room.ID, nil)
	var tv protocol.TeacherView
	_ = json.Unmarshal(tw.Snapshot, &tv)
	if len(tv.Students) != 1 || !tv.Students[0].Hand || tv.Students[0].Note != "help with 2" ||
		len(tv.Announcements) != 1 || tv.Announcements[0].Text != "acknowledged before the crash" {
		t.Fatalf("after SIGKILL the class is %+v", tv)
	}
	olivia2, w := s2.connect(st.Token, "", resume)
	if !w.Resumed || w.Student != st.Student {
		t.Fatalf("Olivia did not resume: %+v", w)
	}
	teacher2, _ := s2.connect(login.Token, room.ID, &protocol.Resume{Epoch: tw.Epoch, Offset: tw.Offset})
	id = teacher2.send(protocol.MsgAnnounce, protocol.Announce{Text: "after the restart"})
	f := olivia2.until("announcement", isEvent(protocol.EvAnnouncement))
	var a protocol.Announcement
	_ = json.Unmarshal(f.Data, &a)
	if a.Text != "after the restart" {
		t.Fatalf("Olivia's first event after resuming is %q", a.Text)
	}

	if err := s2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := olivia2.ws.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusCode(protocol.CloseRestart) {
				t.Fatalf("on SIGTERM the device was closed with %d (%v), want 1012", code, err)
			}
			break
		}
	}
	select {
	case err := <-s2.done:
		if err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20s of SIGTERM")
	}
}
