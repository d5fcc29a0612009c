package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/rooms/natstest"
)

// env is one classhub node on a real embedded NATS, served over a real
// HTTP server, as the binary wires it.
type env struct {
	t     *testing.T
	ns    *natstest.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	rm    *rooms.Manager
	h     *Hub
	accts *accounts.Store
	srv   *httptest.Server
	cfg   Config
}

type envOption func(*Config, *rooms.Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	ns := natstest.Start(t)
	return startEnv(t, ns, opts...)
}

// startEnv starts a node on ns; several nodes may share one server.
func startEnv(t *testing.T, ns *natstest.Server, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	nc, js := ns.Connect(t)
	rc := rooms.Config{NC: nc, JS: js, Node: protocol.NodeID("node-" + t.Name()), LeaseTTL: 3 * time.Second, Grace: 300 * time.Millisecond,
		CommandRate: 10000, CommandBurst: 10000}
	hc := Config{NC: nc, CommandRate: 10000, CommandBurst: 10000, HelloTimeout: 2 * time.Second}
	for _, o := range opts {
		o(&hc, &rc)
	}
	rm, err := rooms.New(ctx, rc)
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadOrCreateKey(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := accounts.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	accts.Cost = 4 // bcrypt's minimum: tests need not be slow to sign in
	hc.Rooms, hc.Tokens, hc.Accounts = rm, NewSigner(key, nil), accts
	h, err := New(hc)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	h.Register(e)
	srv := httptest.NewServer(e)
	en := &env{t: t, ns: ns, nc: nc, js: js, rm: rm, h: h, accts: accts, srv: srv, cfg: h.cfg}
	t.Cleanup(en.stop)
	return en
}

// stop shuts the node down as the binary does.
func (e *env) stop() {
	if e.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.h.Close(ctx); err != nil {
		e.t.Errorf("hub close: %v", err)
	}
	e.srv.Close()
	if err := e.rm.Close(ctx); err != nil {
		e.t.Errorf("rooms close: %v", err)
	}
	e.srv = nil
}

// call makes a REST request and decodes the answer into out (when not
// nil). It returns the status and, for errors, the error body.
func (e *env) call(method, path, token string, body, out any) (int, *protocol.Error) {
	e.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 {
		var eb struct {
			Error *protocol.Error `json:"error"`
		}
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error == nil || eb.Error.Code == "" || eb.Error.Message == "" {
			e.t.Fatalf("%s %s: status %d with a body that is not a JSON error: %q", method, path, res.StatusCode, b)
		}
		return res.StatusCode, eb.Error
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode, nil
}

var teacherSeq int

// teacher creates a teacher account and signs it in over REST.
func (e *env) teacher() LoginResponse {
	e.t.Helper()
	teacherSeq++
	email := fmt.Sprintf("teacher%d@school.example", teacherSeq)
	if _, err := e.accts.Add(context.Background(), email, fmt.Sprintf("Teacher %d", teacherSeq), "correct horse battery"); err != nil {
		e.t.Fatal(err)
	}
	var lr LoginResponse
	if st, perr := e.call("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "correct horse battery"}, &lr); perr != nil {
		e.t.Fatalf("login: %d %v", st, perr)
	}
	return lr
}

// room opens a class for the teacher.
func (e *env) room(teacherToken, title string) rooms.RoomInfo {
	e.t.Helper()
	var info rooms.RoomInfo
	if st, perr := e.call("POST", "/api/v1/rooms", teacherToken, map[string]string{"title": title}, &info); perr != nil || st != http.StatusCreated {
		e.t.Fatalf("create room: %d %v", st, perr)
	}
	return info
}

// join joins a student with the code.
func (e *env) join(code, name string) JoinResponse {
	e.t.Helper()
	var jr JoinResponse
	if st, perr := e.call("POST", "/api/v1/join", "", map[string]string{"code": code, "name": name}, &jr); perr != nil {
		e.t.Fatalf("join: %d %v", st, perr)
	}
	return jr
}

// client is a device: a real WebSocket with a reader that keeps every
// frame it receives.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	name string

	mu      sync.Mutex
	frames  []protocol.ServerFrame
	raw     [][]byte // the bytes of each frame, as the server sent them
	closed  error    // why the reader stopped
	changed chan struct{}
	epoch   string
	offset  uint64
	nextID  int
	prefix  string // chosen per connection, as a page load does
}

// dialRaw opens a WebSocket without saying hello and without reading.
func (e *env) dialRaw(opts *websocket.DialOptions) *websocket.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/ws", opts)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(4 << 20)
	e.t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// connect dials, says hello and waits for the welcome (or the error).
func (e *env) connect(name string, hello protocol.Hello) (*client, protocol.ServerFrame) {
	e.t.Helper()
	c := &client{t: e.t, ws: e.dialRaw(nil), name: name, changed: make(chan struct{}, 1), prefix: uuid.NewString()[:8]}
	if hello.Resume != nil {
		c.epoch, c.offset = hello.Resume.Epoch, hello.Resume.Offset
	}
	go c.read()
	return c, c.request(protocol.MsgHello, hello)
}

// mustConnect is connect that fails the test unless welcomed.
func (e *env) mustConnect(name string, hello protocol.Hello) (*client, protocol.Welcome) {
	e.t.Helper()
	c, f := e.connect(name, hello)
	if f.Type != protocol.FrameWelcome {
		e.t.Fatalf("%s: hello answered with %s %v", name, f.Type, f.Error)
	}
	var w protocol.Welcome
	_ = json.Unmarshal(f.Data, &w)
	return c, w
}

func (c *client) read() {
	for {
		_, b, err := c.ws.Read(context.Background())
		c.mu.Lock()
		if err != nil {
			c.closed = err
			c.mu.Unlock()
			c.signal()
			return
		}
		var f protocol.ServerFrame
		if err := json.Unmarshal(b, &f); err != nil {
			c.closed = fmt.Errorf("undecodable server frame %q: %w", b, err)
			c.mu.Unlock()
			c.signal()
			return
		}
		switch f.Type {
		case protocol.FrameWelcome:
			// A snapshot is as of its offset; a resume starts where the
			// device was, and the replayed events move it on.
			var w protocol.Welcome
			if json.Unmarshal(f.Data, &w) == nil {
				if w.Epoch != c.epoch || !w.Resumed {
					c.offset = w.Offset
				}
				c.epoch = w.Epoch
			}
		case protocol.FrameEvent:
			if f.Epoch == c.epoch && f.Seq > c.offset {
				c.offset = f.Seq
			}
		}
		c.frames = append(c.frames, f)
		c.raw = append(c.raw, b)
		c.mu.Unlock()
		c.signal()
	}
}

func (c *client) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// waitFor polls the client's frames until cond holds, failing after 10s.
func (c *client) waitFor(what string, cond func(frames []protocol.ServerFrame, closed error) bool) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		ok := cond(c.frames, c.closed)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("%s: timed out waiting for %s; closed=%v; frames:\n%s", c.name, what, c.closed, dump(c.frames))
		}
	}
}

// dump shows the last frames, shortened, for a failure message.
func dump(frames []protocol.ServerFrame) string {
	var sb strings.Builder
	if len(frames) > 12 {
		fmt.Fprintf(&sb, "(%d earlier frames)\n", len(frames)-12)
		frames = frames[len(frames)-12:]
	}
	for _, f := range frames {
		b, _ := json.Marshal(f)
		if len(b) > 300 {
			b = append(b[:300:300], "…"...)
		}
		sb.Write(b)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// send writes a client frame with a fresh request ID and returns the ID.
func (c *client) send(typ protocol.MsgType, data any) string {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	// Unique for the person for the whole class, as PROTOCOL.md asks:
	// a request ID that a new connection reuses gets the old answer.
	id := fmt.Sprintf("%s-%s-%d", typ, c.prefix, c.nextID)
	c.mu.Unlock()
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(protocol.ClientFrame{V: protocol.Version, ID: id, Type: typ, Data: raw})
	c.sendRaw(b)
	return id
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// answer waits for the result or error frame with the request ID.
func (c *client) answer(id string) protocol.ServerFrame {
	c.t.Helper()
	var got protocol.ServerFrame
	c.waitFor("the answer to "+id, func(frames []protocol.ServerFrame, _ error) bool {
		for _, f := range frames {
			if f.ID == id && f.Type != protocol.FrameEvent {
				got = f
				return true
			}
		}
		return false
	})
	return got
}

// request sends a command and waits for its answer.
func (c *client) request(typ protocol.MsgType, data any) protocol.ServerFrame {
	c.t.Helper()
	return c.answer(c.send(typ, data))
}

// must sends a command and fails the test unless it succeeds.
func (c *client) must(typ protocol.MsgType, data any) json.RawMessage {
	c.t.Helper()
	f := c.request(typ, data)
	if f.Type != protocol.FrameResult {
		c.t.Fatalf("%s: %s: got %s %v", c.name, typ, f.Type, f.Error)
	}
	return f.Data
}

// events returns the events received so far, of the given types (all
// when none are given).
func (c *client) events(types ...protocol.EventType) []protocol.ServerFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []protocol.ServerFrame
	for _, f := range c.frames {
		if f.Type == protocol.FrameEvent && (len(types) == 0 || contains(types, f.Event)) {
			out = append(out, f)
		}
	}
	return out
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// waitEvent waits for an event of type typ whose data satisfies match.
// Each frame is looked at once, however long the wait.
func (c *client) waitEvent(typ protocol.EventType, match func(json.RawMessage) bool) protocol.ServerFrame {
	c.t.Helper()
	var got protocol.ServerFrame
	next := 0
	c.waitFor("event "+string(typ), func(frames []protocol.ServerFrame, _ error) bool {
		for ; next < len(frames); next++ {
			f := frames[next]
			if f.Type == protocol.FrameEvent && f.Event == typ && (match == nil || match(f.Data)) {
				got = f
				return true
			}
		}
		return false
	})
	return got
}

// waitClosed waits until the server closed the connection and returns
// the close code.
func (c *client) waitClosed() websocket.StatusCode {
	c.t.Helper()
	var code websocket.StatusCode
	c.waitFor("the connection to close", func(_ []protocol.ServerFrame, closed error) bool {
		if closed == nil {
			return false
		}
		code = websocket.CloseStatus(closed)
		return true
	})
	return code
}

// resumeFrom is the resume a device would ask for now.
func (c *client) resumeFrom() *protocol.Resume {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &protocol.Resume{Epoch: c.epoch, Offset: c.offset}
}

func hasText(text string) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var a protocol.Announcement
		return json.Unmarshal(d, &a) == nil && a.Text == text
	}
}

func about(student protocol.StudentID) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var x struct {
			Student protocol.StudentID `json:"student"`
		}
		return json.Unmarshal(d, &x) == nil && x.Student == student
	}
}

// cut drops the connection as a device losing its network does, and
// waits for its read loop to end: what it received before is then all it
// will have, and resumeFrom is the last of it.
func (c *client) cut() {
	c.t.Helper()
	_ = c.ws.CloseNow()
	c.waitFor("the connection's end", func(_ []protocol.ServerFrame, closed error) bool { return closed != nil })
}

// closedErr is why the connection ended, nil while it is open.
func (c *client) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
