package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A client of classhub written from protocol/PROTOCOL.md alone: frames
// are raw JSON objects, the REST API raw HTTP, and every constant it
// needs is read from the document or written here as the document
// states it. It does not import the server's packages (protocol, hub,
// rooms): it is a second reading of the document, not of the code, so
// that where the two disagree it is found here.

// cWait bounds every wait of the conformance suite. Answers take
// milliseconds; this only ends a test that would otherwise hang on a
// shared, noisy machine.
const cWait = 30 * time.Second

// The limits PROTOCOL.md states, as it states them.
const (
	cFrameLimit   = 16384   // "A client frame may be at most 16 KiB (16384 bytes)"
	cCloseLimit   = 1 << 20 // "A frame over 1 MiB closes the connection with close code 1009"
	cMaxIDBytes   = 64      // "a string of 1 to 64 bytes"
	cMaxConns     = 5       // "One person may hold at most 5 connections to one class"
	cPipelined    = 8       // "the server runs up to 8 commands of one connection at once"
	cPassword     = "correct horse battery"
	cTeacherEmail = "conf@school.example"
)

var cUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// cDoc is PROTOCOL.md, read once.
var cDoc = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("../../protocol/PROTOCOL.md")
	return string(b), err
})

func cReadDoc(t *testing.T) string {
	t.Helper()
	d, err := cDoc()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cTable returns the rows of the first table after the heading line,
// header first, cells trimmed.
func cTable(t *testing.T, heading string) [][]string {
	t.Helper()
	lines := strings.Split(cReadDoc(t), "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("PROTOCOL.md has no heading %q", heading)
	}
	var rows [][]string
	for _, l := range lines[start+1:] {
		if !strings.HasPrefix(l, "|") {
			if rows != nil {
				break
			}
			if strings.HasPrefix(l, "#") {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("PROTOCOL.md: no table under %q", heading)
	}
	return rows
}

// cSpans returns the code spans of a table cell, in order.
func cSpans(cell string) []string {
	var out []string
	for _, m := range regexp.MustCompile("`([^`]*)`").FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// cAudiences maps each event type of the Events table to its audience
// kinds, as the table's audience cell names them (code spans).
func cAudiences(t *testing.T) map[string][]string {
	rows := cTable(t, "## Events")
	aud := map[string][]string{}
	for _, r := range rows[1:] {
		ev := cSpans(r[0])
		if len(ev) != 1 {
			t.Fatalf("Events table row %q", r[0])
		}
		aud[ev[0]] = cSpans(r[1])
	}
	return aud
}

// cCloseCodes is the Close codes table: code → final.
func cCloseCodes(t *testing.T) map[int]bool {
	out := map[int]bool{}
	for _, r := range cTable(t, "## Close codes")[1:] {
		n, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatalf("close code %q", r[0])
		}
		out[n] = strings.HasPrefix(r[2], "final")
	}
	return out
}

// cErrorCodes is the Error codes table: code → HTTP status.
func cErrorCodes(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, r := range cTable(t, "## Error codes")[1:] {
		c := cSpans(r[0])
		n, err := strconv.Atoi(r[1])
		if len(c) != 1 || err != nil {
			t.Fatalf("error code row %q", r)
		}
		out[c[0]] = n
	}
	return out
}

// cSeen holds every error code the server answered the suite with, in
// frames, welcomes and REST bodies.
var cSeen sync.Map

// obj is a decoded JSON object; numbers stay json.Number so that offsets
// are read exactly.
type obj = map[string]any

func cDecode(b []byte) (obj, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m obj
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return m, nil
}

func str(m obj, k string) string { s, _ := m[k].(string); return s }

func num(m obj, k string) (uint64, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	return u, err == nil
}

func sub(m obj, k string) obj { o, _ := m[k].(obj); return o }

// ---- REST ----

type cServer struct {
	t    *testing.T
	p    *proc
	data string
}

type cResp struct {
	status int
	header http.Header
	raw    []byte
	body   obj
}

func (r cResp) errCode() string { return str(sub(r.body, "error"), "code") }

func (s *cServer) do(method, path, token string, body []byte, header ...string) cResp {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.p.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := cResp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if r.body, err = cDecode(raw); err != nil {
			s.t.Fatalf("%s %s answered JSON that is not one object: %v\n%s", method, path, err, raw)
		}
	}
	if c := r.errCode(); c != "" {
		cSeen.Store(c, true)
		// "Every error has the HTTP status of its code."
		if want := cErrorCodes(s.t)[c]; want != r.status {
			s.t.Errorf("%s %s: error %s with HTTP %d; the Error codes table says %d", method, path, c, r.status, want)
		}
	}
	return r
}

func (s *cServer) json(method, path, token string, body any) cResp {
	s.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			s.t.Fatal(err)
		}
	}
	return s.do(method, path, token, b)
}

// ok is json that must answer want.
func (s *cServer) ok(want int, method, path, token string, body any) obj {
	s.t.Helper()
	r := s.json(method, path, token, body)
	if r.status != want {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.raw, want)
	}
	return r.body
}

// cStart starts the real binary on a new data folder with one teacher.
func cStart(t *testing.T) *cServer {
	t.Helper()
	data := t.TempDir()
	s := &cServer{t: t, p: startServer(t, data), data: data}
	t.Cleanup(func() {
		if t.Failed() { // what the server said is half of what went wrong
			t.Logf("the server's log, its end:\n%s", tail(s.p.logs.String(), 60))
		}
	})
	addTeacher(t, data, cTeacherEmail, "Ms Conf")
	return s
}

// login signs the teacher in and returns the token.
func (s *cServer) login() string {
	s.t.Helper()
	b := s.ok(200, "POST", "/api/v1/login", "", obj{"email": cTeacherEmail, "password": cPassword})
	if str(b, "role") != "teacher" || str(b, "token") == "" || !cUUID.MatchString(str(sub(b, "teacher"), "id")) {
		s.t.Fatalf("sign-in answered %v", b)
	}
	return str(b, "token")
}

type cRoom struct{ id, code string }

func (s *cServer) newRoom(token, title string) cRoom {
	s.t.Helper()
	b := s.ok(201, "POST", "/api/v1/rooms", token, obj{"title": title})
	r := cRoom{id: str(b, "id"), code: str(b, "code")}
	if !cUUID.MatchString(r.id) || !regexp.MustCompile(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$`).MatchString(r.code) ||
		str(b, "status") != "open" || str(b, "title") != title {
		s.t.Fatalf("a new class: %v", b)
	}
	return r
}

type cStudent struct{ token, id, name string }

func (s *cServer) join(code, name string) cStudent {
	s.t.Helper()
	b := s.ok(200, "POST", "/api/v1/join", "", obj{"code": code, "name": name})
	st := cStudent{token: str(b, "token"), id: str(b, "student"), name: str(b, "name")}
	if st.token == "" || !cUUID.MatchString(st.id) || st.name != name {
		s.t.Fatalf("join answered %v", b)
	}
	return st
}

func (s *cServer) projector(token, room string) string {
	s.t.Helper()
	b := s.ok(200, "POST", "/api/v1/rooms/"+room+"/projector", token, nil)
	if str(b, "token") == "" || str(sub(b, "room"), "id") != room {
		s.t.Fatalf("projector token: %v", b)
	}
	return str(b, "token")
}

// ---- WebSocket ----

// frame is one server frame, as received.
type frame struct {
	raw []byte
	m   obj
}

func (f frame) typ() string   { return str(f.m, "type") }
func (f frame) id() string    { return str(f.m, "id") }
func (f frame) event() string { return str(f.m, "event") }
func (f frame) data() obj     { return sub(f.m, "data") }
func (f frame) seq() uint64   { n, _ := num(f.m, "seq"); return n }
func (f frame) code() string  { return str(sub(f.m, "error"), "code") }
func (f frame) String() string {
	return string(f.raw)
}

// cDev is one device's connection. A goroutine reads every frame into
// frames, so that a test can wait for a frame, or check that one never
// came, without a read timeout (which would close the connection).
type cDev struct {
	t    *testing.T
	name string
	ws   *websocket.Conn
	n    int
	pfx  string

	mu      sync.Mutex
	frames  []frame
	changed chan struct{} // closed and replaced on every new frame
	done    chan struct{} // closed when the reader ends
	readErr error
	// bad lists what the reader found against the document.
	bad []string

	// sent counts the commands sent with each id (send).
	sent map[string]int

	// What the document says a device keeps.
	epoch    string
	offset   uint64
	welcomed bool
	resumed  bool
	wOffset  uint64
}

// cDevices numbers the connections, so that request IDs are unique.
var cDevices atomic.Int64

func (s *cServer) dial(name string) *cDev {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cWait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.p.url, "http")+"/ws", nil)
	if err != nil {
		s.t.Fatalf("%s: dial: %v", name, err)
	}
	// Server frames are not limited to 16 KiB: a snapshot may be larger.
	ws.SetReadLimit(64 << 20)
	d := &cDev{t: s.t, name: name, ws: ws, changed: make(chan struct{}), done: make(chan struct{})}
	d.pfx = fmt.Sprintf("%s%d", strings.ToLower(strings.ReplaceAll(name, " ", "")), cDevices.Add(1))
	go d.read()
	s.t.Cleanup(func() {
		_ = ws.CloseNow()
		<-d.done
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, b := range d.bad {
			s.t.Errorf("%s: %s", name, b)
		}
	})
	return d
}

func (d *cDev) read() {
	defer close(d.done)
	for {
		typ, b, err := d.ws.Read(context.Background())
		d.mu.Lock()
		if err != nil {
			d.readErr = err
			close(d.changed)
			d.mu.Unlock()
			return
		}
		f := frame{raw: b}
		m, derr := cDecode(b)
		switch {
		case typ != websocket.MessageText:
			d.bad = append(d.bad, fmt.Sprintf("a server frame that is not text: %q", b))
		case derr != nil:
			d.bad = append(d.bad, fmt.Sprintf("a server frame that is not one JSON object (%v): %s", derr, b))
		default:
			f.m = m
			if c := str(sub(m, "error"), "code"); c != "" {
				cSeen.Store(c, true)
			}
			if c := str(sub(sub(m, "data"), "reason"), "code"); c != "" {
				cSeen.Store(c, true)
			}
			for _, path := range nulls("frame", m) {
				d.bad = append(d.bad, fmt.Sprintf("a frame holds null at %s: %s", path, b))
			}
			if v, ok := m["v"].(json.Number); !ok || v != "1" {
				d.bad = append(d.bad, fmt.Sprintf("a server frame without \"v\":1: %s", b))
			}
			d.track(f)
		}
		d.frames = append(d.frames, f)
		close(d.changed)
		d.changed = make(chan struct{})
		d.mu.Unlock()
	}
}

// track keeps epoch and offset as "Offsets and resuming" says, and checks
// what one connection must hold: seqs strictly rising, every event of the
// welcome's epoch.
func (d *cDev) track(f frame) {
	switch f.typ() {
	case "welcome":
		w := f.data()
		d.welcomed = true
		d.epoch = str(w, "epoch")
		d.wOffset, _ = num(w, "offset")
		d.resumed = w["resumed"] == true
		if !d.resumed {
			d.offset = d.wOffset
		}
	case "event":
		if !d.welcomed {
			d.bad = append(d.bad, "an event before the welcome: "+f.String())
			return
		}
		seq, ok := num(f.m, "seq")
		if !ok || seq == 0 {
			d.bad = append(d.bad, "an event without a seq: "+f.String())
		}
		if str(f.m, "epoch") != d.epoch {
			d.bad = append(d.bad, fmt.Sprintf("an event of epoch %q after a welcome of %q: %s", str(f.m, "epoch"), d.epoch, f))
		}
		if _, ok := num(f.m, "time"); !ok || f.event() == "" || f.m["data"] == nil {
			d.bad = append(d.bad, "an event without time, event or data: "+f.String())
		}
		if seq <= d.offset {
			d.bad = append(d.bad, fmt.Sprintf("seq %d after offset %d on one connection: %s", seq, d.offset, f))
		} else {
			d.offset = seq
		}
		if !d.resumed && seq <= d.wOffset {
			d.bad = append(d.bad, fmt.Sprintf("after a snapshot at offset %d, an event at %d", d.wOffset, seq))
		}
	}
}

// state returns the device's epoch and offset, as it would resume.
func (d *cDev) state() (string, uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.epoch, d.offset
}

func (d *cDev) writeRaw(typ websocket.MessageType, b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), cWait)
	defer cancel()
	return d.ws.Write(ctx, typ, b)
}

func (d *cDev) sendRaw(b []byte) {
	d.t.Helper()
	if err := d.writeRaw(websocket.MessageText, b); err != nil {
		d.t.Fatalf("%s: write: %v", d.name, err)
	}
}

// nextID is a request ID unique for the person for the whole class.
func (d *cDev) nextID() string {
	d.n++
	return fmt.Sprintf("%s-%d", d.pfx, d.n)
}

// send writes a command with the given id.
func (d *cDev) send(id, typ string, data any) {
	d.t.Helper()
	f := obj{"v": 1, "id": id, "type": typ}
	if data != nil {
		f["data"] = data
	}
	b, err := json.Marshal(f)
	if err != nil {
		d.t.Fatal(err)
	}
	if d.sent == nil {
		d.sent = map[string]int{}
	}
	d.sent[id]++
	d.sendRaw(b)
}

// answeredOnce checks "each command gets exactly one result or error
// frame with the same id": as many answers to each id as it was sent,
// once every one of them has been answered.
func (d *cDev) answeredOnce() {
	d.t.Helper()
	for id := range d.sent {
		d.answer(id)
	}
	// A ping last: every answer before it has arrived.
	d.isOpen()
	got := map[string]int{}
	for _, f := range d.all() {
		if f.typ() == "result" || f.typ() == "error" || f.typ() == "welcome" {
			got[f.id()]++
		}
	}
	for id, n := range d.sent {
		if got[id] != n {
			d.t.Errorf("%s: %s was sent %d times and answered %d times", d.name, id, n, got[id])
		}
	}
}

// cmd sends a command with a new id and returns its answer.
func (d *cDev) cmd(typ string, data any) frame {
	d.t.Helper()
	id := d.nextID()
	d.send(id, typ, data)
	return d.answer(id)
}

// resend sends a command again with its id and returns the answer to
// this sending.
func (d *cDev) resend(id, typ string, data any) frame {
	d.t.Helper()
	from := d.count()
	d.send(id, typ, data)
	f, ok := d.waitFrom(from, "the answer to "+id+" sent again", func(f frame) bool {
		return (f.typ() == "result" || f.typ() == "error") && f.id() == id
	})
	if !ok {
		d.t.Fatalf("%s: the connection ended before %s was answered again: %v", d.name, id, d.readErr)
	}
	return f
}

// pause waits as long as the server asked (a retry_after): the protocol's
// own wait, not one in place of a condition.
func (d *cDev) pause(ms time.Duration) {
	tm := time.NewTimer(ms)
	defer tm.Stop()
	<-tm.C
}

// must is cmd that must succeed; it returns the result's data.
func (d *cDev) must(typ string, data any) obj {
	d.t.Helper()
	f := d.cmd(typ, data)
	if f.typ() != "result" {
		d.t.Fatalf("%s: %s answered %s", d.name, typ, f)
	}
	return f.data()
}

// refused is cmd that must be answered with an error of code.
func (d *cDev) refused(code, typ string, data any) frame {
	d.t.Helper()
	f := d.cmd(typ, data)
	d.isError(f, code, true)
	return f
}

// isError checks an error frame's documented shape.
func (d *cDev) isError(f frame, code string, withID bool) {
	d.t.Helper()
	e := sub(f.m, "error")
	if f.typ() != "error" || str(e, "code") != code || str(e, "message") == "" {
		d.t.Fatalf("%s: want an error %s with a message, got %s", d.name, code, f)
	}
	if _, has := f.m["id"]; has != withID {
		d.t.Fatalf("%s: error %s: id present %v, want %v: %s", d.name, code, has, withID, f)
	}
}

// answer waits for the one result or error with this id.
func (d *cDev) answer(id string) frame {
	d.t.Helper()
	return d.wait("the answer to "+id, func(f frame) bool {
		return (f.typ() == "result" || f.typ() == "error" || f.typ() == "welcome") && f.id() == id
	})
}

// wait waits for the first frame that satisfies ok, from the start of
// the connection.
func (d *cDev) wait(what string, ok func(frame) bool) frame {
	d.t.Helper()
	f, found := d.waitFrom(0, what, ok)
	if !found {
		d.t.Fatalf("%s: %s never came; the connection ended: %v\nframes: %s", d.name, what, d.readErr, d.dump())
	}
	return f
}

// waitFrom waits for a frame at index from or later that satisfies ok;
// false if the connection ended first.
func (d *cDev) waitFrom(from int, what string, ok func(frame) bool) (frame, bool) {
	d.t.Helper()
	deadline := time.NewTimer(cWait)
	defer deadline.Stop()
	for i := from; ; {
		d.mu.Lock()
		for ; i < len(d.frames); i++ {
			if f := d.frames[i]; f.m != nil && ok(f) {
				d.mu.Unlock()
				return f, true
			}
		}
		ch, ended := d.changed, d.readErr != nil
		d.mu.Unlock()
		if ended {
			return frame{}, false
		}
		select {
		case <-ch:
		case <-deadline.C:
			d.t.Fatalf("%s: %s did not come within %v\nframes: %s", d.name, what, cWait, d.dump())
		}
	}
}

func (d *cDev) dump() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	for _, f := range d.frames {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

// count is how many frames arrived so far.
func (d *cDev) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.frames)
}

// all returns a copy of every frame so far.
func (d *cDev) all() []frame {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.frames)
}

// events returns every event frame so far.
func (d *cDev) events() []frame {
	var out []frame
	for _, f := range d.all() {
		if f.typ() == "event" {
			out = append(out, f)
		}
	}
	return out
}

// closed waits for the connection to end and returns its close code (-1
// for a drop without a close frame).
func (d *cDev) closed() websocket.StatusCode {
	d.t.Helper()
	select {
	case <-d.done:
	case <-time.After(cWait):
		d.t.Fatalf("%s: the connection was not closed within %v\nframes: %s", d.name, cWait, d.dump())
	}
	code := websocket.CloseStatus(d.readErr)
	// Every close the server sends is one the document lists; a drop
	// without a close (-1) is "reconnect and resume".
	if _, ok := cCloseCodes(d.t)[int(code)]; !ok && code != -1 && code != websocket.StatusNormalClosure {
		d.t.Errorf("%s: closed with %d, which the Close codes table does not list", d.name, code)
	}
	return code
}

// isOpen says the connection is still up: a ping is answered.
func (d *cDev) isOpen() {
	d.t.Helper()
	// A ping is a command like any other, and counts against the rate.
	if f := d.patiently(d.nextID(), "ping", obj{}); f.typ() != "result" {
		d.t.Fatalf("%s: ping answered %s", d.name, f)
	}
}

// hello sends the hello and waits for its answer.
func (d *cDev) hello(token, room string, resume obj) frame {
	d.t.Helper()
	data := obj{"token": token}
	if room != "" {
		data["room"] = room
	}
	if resume != nil {
		data["resume"] = resume
	}
	return d.cmd("hello", data)
}

// enter dials and says hello, which must be welcomed; it returns the
// welcome's data.
func (s *cServer) enter(name, token, room string, resume obj) (*cDev, obj) {
	s.t.Helper()
	d := s.dial(name)
	f := d.hello(token, room, resume)
	if f.typ() != "welcome" {
		s.t.Fatalf("%s: hello answered %s", name, f)
	}
	w := f.data()
	if _, ok := num(w, "server_time"); !ok || str(w, "epoch") == "" || str(w, "room") == "" {
		s.t.Fatalf("%s: a welcome without server_time, epoch or room: %s", name, f)
	}
	if _, ok := num(w, "offset"); !ok {
		s.t.Fatalf("%s: a welcome without offset: %s", name, f)
	}
	if resumed, _ := w["resumed"].(bool); !resumed && w["snapshot"] == nil {
		s.t.Fatalf("%s: a welcome neither resumed nor with a snapshot: %s", name, f)
	}
	// A snapshot's lists are lists, empty when there is nothing (the
	// document shows "flags":[]); a field that does not apply is left
	// out. null is neither.
	for _, path := range nulls("snapshot", w["snapshot"]) {
		s.t.Errorf("%s: the snapshot holds null at %s: %s", name, path, f)
	}
	return d, w
}

// resumeOf is what a device sends to resume.
func (d *cDev) resumeOf() obj {
	e, o := d.state()
	return obj{"epoch": e, "offset": o}
}

// sameEvents compares two streams of events by seq, type and data.
func sameEvents(t *testing.T, what string, got, want []frame) {
	t.Helper()
	key := func(f frame) string {
		b, _ := json.Marshal(f.m["data"])
		return fmt.Sprintf("%d %s %s", f.seq(), f.event(), b)
	}
	var g, w []string
	for _, f := range got {
		if f.typ() == "event" {
			g = append(g, key(f))
		}
	}
	for _, f := range want {
		if f.typ() == "event" {
			w = append(w, key(f))
		}
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s: the streams differ\n got: %s\nwant: %s", what, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
	}
}

// nulls lists the paths in v that hold JSON null.
func nulls(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case obj:
		for k, e := range x {
			if e == nil {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, nulls(path+"."+k, e)...)
		}
	case []any:
		for i, e := range x {
			if e == nil {
				out = append(out, fmt.Sprintf("%s[%d]", path, i))
				continue
			}
			out = append(out, nulls(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	return out
}
