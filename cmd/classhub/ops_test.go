package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// get answers a GET with its status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// firstClass makes the first teacher on data, signs in on s and opens a
// class; it returns the teacher's token and the class.
func firstClass(t *testing.T, s *proc, data string) (string, protocol.RoomID) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"teacher", "add", "--data", data, "--email", "rivera@school.example", "--name", "Ms Rivera"},
		strings.NewReader("correct horse battery\n"), &out, &errs)
	if err != nil {
		t.Fatalf("teacher add: %v\n%s", err, errs.String())
	}
	var login struct{ Token string }
	s.post("/api/v1/login", "", map[string]string{"email": "rivera@school.example", "password": "correct horse battery"}, &login)
	var room struct{ ID protocol.RoomID }
	s.post("/api/v1/rooms", login.Token, map[string]string{"title": "Science"}, &room)
	return login.Token, room.ID
}

// The metrics and the profiles are on the admin address and not on the
// public one; they carry what the binary is and how late the fan-out
// runs. Without an admin address the metrics move to the public address,
// and the profiles are nowhere.
func TestAdminAddress(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	if s.admin == "" {
		t.Fatalf("the server did not say where its admin address is:\n%s", s.out)
	}
	if host, _, _ := net.SplitHostPort(strings.TrimPrefix(s.admin, "http://")); host != "127.0.0.1" {
		t.Fatalf("admin address %s, want on 127.0.0.1", s.admin)
	}
	tok, room := firstClass(t, s, data)
	teacher, _ := s.connect(tok, room, nil)
	teacher.send(protocol.MsgAnnounce, protocol.Announce{Text: "eyes on the board"})
	teacher.until("announcement", isEvent(protocol.EvAnnouncement))

	var ver bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, nil, &ver, io.Discard); err != nil {
		t.Fatal(err)
	}
	b := buildInfo()
	status, metrics := get(t, http.DefaultClient, s.admin+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET admin /metrics: %d", status)
	}
	wantInfo := `classhub_build_info{go="` + runtime.Version() + `",revision="` + b.Revision + `",version="` + b.Version + `"} 1`
	if !strings.Contains(metrics, wantInfo) {
		t.Errorf("the metrics have no %s", wantInfo)
	}
	if !strings.Contains(ver.String(), b.Version) || !strings.Contains(ver.String(), runtime.Version()) {
		t.Errorf("--version says %q; the metric says version %q, go %q", ver.String(), b.Version, runtime.Version())
	}
	lag := regexp.MustCompile(`(?m)^classhub_fanout_lag_seconds_count (\d+)$`).FindStringSubmatch(metrics)
	if lag == nil || lag[1] == "0" {
		t.Errorf("after an announcement to a connected console, the fan-out lag counted %v events", lag)
	}
	for _, m := range []string{"classhub_connections 1", "classhub_rooms 1", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("the admin metrics have no %q", m)
		}
	}
	if status, body := get(t, http.DefaultClient, s.admin+"/debug/pprof/goroutine?debug=1"); status != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("GET admin /debug/pprof/goroutine: %d %.80q", status, body)
	}

	// The public address has neither.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
		status, body := get(t, http.DefaultClient, s.url+path)
		if status == http.StatusOK || strings.Contains(body, "classhub_build_info") || strings.Contains(body, "goroutine") {
			t.Errorf("the public address answers %s: %d %.80q", path, status, body)
		}
	}

	// Without an admin address, /metrics is on the public one; profiles
	// are still not.
	s2 := startServerWith(t, t.TempDir(), "--admin-addr", "")
	if s2.admin != "" {
		t.Errorf("with --admin-addr empty the server still names an admin address %s", s2.admin)
	}
	if status, body := get(t, http.DefaultClient, s2.url+"/metrics"); status != http.StatusOK || !strings.Contains(body, "classhub_build_info") {
		t.Errorf("without an admin address, public /metrics: %d %.80q", status, body)
	}
	if status, body := get(t, http.DefaultClient, s2.url+"/debug/pprof/goroutine?debug=1"); status == http.StatusOK || strings.Contains(body, "goroutine") {
		t.Errorf("without an admin address, the public address serves profiles: %d", status)
	}
}

// The admin address is on loopback unless the operator says otherwise.
func TestAdminAddressDefault(t *testing.T) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(fs, &c)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(c.AdminAddr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		t.Fatalf("--admin-addr defaults to %q, want a loopback address", c.AdminAddr)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "CLASSHUB_TEST_MAIN=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("classhub %s: %v", args[0], err)
		}
		if got := string(out); !strings.HasPrefix(got, "classhub ") || !strings.Contains(got, runtime.Version()) || strings.Count(got, "\n") != 1 {
			t.Errorf("classhub %s printed %q, want one line: classhub, the version, the Go version", args[0], got)
		}
	}
}

// SIGTERM starts a graceful stop; a second SIGTERM while it is under way
// ends the process at once, with its own status. The same signal
// delivered twice at once (to the process and its group) is one.
func TestSecondSignalForcesExit(t *testing.T) {
	t.Setenv("CLASSHUB_TEST_STALL_STOP", "1")
	s := startServer(t, t.TempDir())
	first := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the graceful stop to begin", func() bool { return strings.Contains(s.logs.String(), "shutting down") })
	// The first is handled; the same again at once is its echo. (Two sent
	// before the first is handled are merged by the kernel: no test.)
	if time.Since(first) < signalEcho/2 {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("the stop began too late to send an echo within the window; not testing it")
	}
	select {
	case <-s.exited:
		t.Fatalf("the stalled stop ended on its own, or on the same signal twice: %v", s.exitErr)
	case <-time.After(time.Until(first.Add(signalEcho + 200*time.Millisecond))):
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGTERM did not end the process within 10s")
	}
	var ee *exec.ExitError
	if !errors.As(s.exitErr, &ee) || ee.ExitCode() != exitForced {
		t.Fatalf("the process ended with %v, want exit status %d", s.exitErr, exitForced)
	}
	if !strings.Contains(s.logs.String(), "again while stopping") {
		t.Errorf("the forced exit says nothing on stderr:\n%s", s.logs.String())
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("waited %v for %s", within, what)
		case <-tick.C:
		}
	}
}

// requestLines returns the request log's lines so far.
func requestLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // the embedded server's own lines, or a partial last line
		}
		if m["msg"] == "http" {
			lines = append(lines, m)
		}
	}
	return lines
}

// One line per HTTP request, with the route's pattern rather than the
// path, so that nothing a client puts in a URL reaches the log; a
// WebSocket's line comes when it opens; health probes stay out of the
// info level; a WebSocket from a foreign origin is refused, and its
// refusal logged.
func TestRequestLogAndOrigins(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "--log-format", "json", "--origins", "school.example")
	const secret = "K7M2QXSECRET"
	get(t, http.DefaultClient, s.url+"/api/v1/join/"+secret+"?token="+secret)
	get(t, http.DefaultClient, s.url+"/healthz")
	req, _ := http.NewRequest("POST", s.url+"/api/v1/login", strings.NewReader(`{"email":"a@school.example","password":"`+secret+`"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}

	wsURL := "ws" + strings.TrimPrefix(s.url, "http") + "/ws"
	dial := func(origin string) (*websocket.Conn, int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		ws, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: h})
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return ws, status, err
	}
	for _, origin := range []string{"https://evil.example", "https://school.example.evil.example", "null"} {
		if ws, status, err := dial(origin); err == nil || status != http.StatusForbidden {
			if ws != nil {
				_ = ws.CloseNow()
			}
			t.Errorf("a WebSocket from %s: status %d, err %v; want 403", origin, status, err)
		}
	}
	for _, origin := range []string{"", s.url, "https://school.example"} {
		ws, status, err := dial(origin)
		if err != nil {
			t.Errorf("a WebSocket from %q: status %d, %v; want it opened", origin, status, err)
			continue
		}
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}

	waitFor(t, 10*time.Second, "the WebSockets' lines", func() bool {
		n := 0
		for _, l := range requestLines(t, s.logs.String()) {
			if l["route"] == "/ws" && l["status"] == float64(http.StatusSwitchingProtocols) {
				n++
			}
		}
		return n == 3
	})
	logs := s.logs.String()
	if strings.Contains(logs, secret) {
		t.Errorf("the log holds what the client put in a URL, a header or a body:\n%s", logs)
	}
	want := map[string]bool{
		"GET /api/v1/join/:code 404":      false,
		"POST /api/v1/login 401":          false,
		"GET /ws 403":                     false,
		"GET /ws 101":                     false,
		"GET /healthz 200 (at info, bad)": true,
	}
	for _, l := range requestLines(t, logs) {
		if _, ok := l["duration"]; !ok || l["level"] != "INFO" {
			t.Errorf("a request line without duration or not at info: %v", l)
		}
		key := l["method"].(string) + " " + l["route"].(string) + " " + jsonNumber(l["status"])
		if l["route"] == "/healthz" {
			key += " (at info, bad)"
			want[key] = false
			continue
		}
		if _, ok := want[key]; ok {
			want[key] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no request line %s", k)
		}
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir, name string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

// With a certificate, the node serves HTTPS and WSS on its address, and
// nothing in plain HTTP.
func TestTLS(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t, t.TempDir(), "classhub test")
	s := startServerWith(t, t.TempDir(), "--tls-cert", certPath, "--tls-key", keyPath)
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("with a certificate the server says it is at %s", s.url)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	if status, body := get(t, client, s.url+"/healthz"); status != http.StatusOK {
		t.Fatalf("GET /healthz over HTTPS: %d %s", status, body)
	}
	if status, _ := get(t, http.DefaultClient, "http://"+strings.TrimPrefix(s.url, "https://")+"/healthz"); status == http.StatusOK {
		t.Fatal("the TLS address answers plain HTTP")
	}
	// The health check finds the node behind its certificate.
	if err := run(context.Background(), []string{"health", "--addr", strings.TrimPrefix(s.url, "https://"), "--tls-cert", certPath}, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("health over HTTPS: %v", err)
	}
	// A client that does not trust the certificate is refused.
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Fatal("a client without the certificate's CA connected")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(s.url, "https")+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("WSS: %v", err)
	}
	defer ws.CloseNow()
	// A hello with a bad token, answered over the encrypted socket.
	b, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: "h1", Type: protocol.MsgHello, Data: json.RawMessage(`{"token":"not-a-token"}`)})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	_, msg, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("WSS read: %v", err)
	}
	var f protocol.ServerFrame
	if err := json.Unmarshal(msg, &f); err != nil || f.Error == nil || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("hello with a bad token over WSS answered %s", msg)
	}
}

// A certificate renewed on disk is served at the next look without a
// restart; a pair that does not load keeps the previous one.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, _ := selfSigned(t, dir, "first")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cf, err := loadCertFiles(certPath, keyPath, log)
	if err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		c, err := cf.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Subject.CommonName
	}
	if got := name(); got != "first" {
		t.Fatalf("serving %q, want first", got)
	}
	lookNow := func() {
		cf.mu.Lock()
		cf.checked = time.Time{}
		cf.mu.Unlock()
	}

	// Half a renewal: a new key with the old certificate does not load.
	keep, _ := os.ReadFile(certPath)
	selfSigned(t, dir, "second")
	second, _ := os.ReadFile(certPath)
	if err := os.WriteFile(certPath, keep, 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	_ = os.Chtimes(keyPath, future, future)
	lookNow()
	if got := name(); got != "first" {
		t.Fatalf("with a key that does not fit, serving %q, want the previous first", got)
	}

	// The renewal completes.
	if err := os.WriteFile(certPath, second, 0o600); err != nil {
		t.Fatal(err)
	}
	later := future.Add(time.Minute)
	_ = os.Chtimes(certPath, later, later)
	if got := name(); got != "first" {
		t.Errorf("read again before the next look: %q", got)
	}
	lookNow()
	if got := name(); got != "second" {
		t.Fatalf("after the renewal, serving %q, want second", got)
	}

	if _, err := loadCertFiles(certPath, "", log); err == nil {
		t.Error("a certificate without its key was taken")
	}
}

// classhub health, as a container's health check runs it: 0 while the
// node answers, 1 once it does not.
func TestHealth(t *testing.T) {
	s := startServer(t, t.TempDir())
	addr := strings.TrimPrefix(s.url, "http://")
	_, port, _ := net.SplitHostPort(addr)
	for _, args := range [][]string{
		{"health", "--addr", addr},
		{"health", "--addr", ":" + port, "--ready"},
	} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, nil, &out, &errs); err != nil {
			t.Fatalf("%v: %v %s", args, err, errs.String())
		}
		if !strings.Contains(out.String(), `"status":"`) {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
	t.Setenv("CLASSHUB_ADDR", addr)
	if err := run(context.Background(), []string{"health"}, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("health with CLASSHUB_ADDR: %v", err)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	var errs bytes.Buffer
	err := run(context.Background(), []string{"health", "--addr", addr}, nil, io.Discard, &errs)
	if !errors.Is(err, exitStatus(1)) || errs.Len() == 0 {
		t.Fatalf("health of a stopped node: %v %q, want exit status 1 and why", err, errs.String())
	}
}
