package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
)

// The peers classload fanout measures classhub against, each run as a
// process of its own from its own binary, carrying the same messages to
// the same number of connections.

// peerProcess is a peer's server process.
type peerProcess struct {
	cmd    *exec.Cmd
	exited chan error
	log    *os.File
}

// startPeer runs bin and waits until addr accepts connections.
func startPeer(ctx context.Context, work, bin string, args []string, addr string) (*peerProcess, error) {
	lf, err := os.Create(filepath.Join(work, filepath.Base(bin)+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	p := &peerProcess{cmd: cmd, exited: make(chan error, 1), log: lf}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { p.exited <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			b, _ := os.ReadFile(lf.Name())
			return nil, fmt.Errorf("%s exited before it listened: %v\n%s", bin, err, tail(b, 2000))
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not listen on %s within a minute", bin, addr)
		}
	}
}

func (p *peerProcess) pid() int { return p.cmd.Process.Pid }

func (p *peerProcess) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.log.Close()
}

// lookBinary finds a peer's binary: the one given, else on PATH or in
// GOPATH/bin, where go install puts it.
func lookBinary(given, name string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(string(bytes.TrimSpace(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s binary: give --binary", name)
}

// centrifugoTarget is Centrifugo: devices on its unidirectional
// WebSocket, subscribed by their connection token to their class's
// channel in a namespace that keeps a history of 100 publications;
// publications through its HTTP API.
type centrifugoTarget struct {
	bin    string
	proc   *peerProcess
	url    string
	secret string
	apiKey string
	client *http.Client
	nref   atomic.Int64
}

func (t *centrifugoTarget) start(ctx context.Context, work string) error {
	bin, err := lookBinary(t.bin, "centrifugo")
	if err != nil {
		return err
	}
	t.bin = bin
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	t.secret, t.apiKey = "classload-fanout-secret-0123456789", "classload-fanout-api-key"
	cfg := map[string]any{
		"http_server":   map[string]any{"address": "127.0.0.1", "port": p},
		"log":           map[string]any{"level": "error"},
		"client":        map[string]any{"token": map[string]any{"hmac_secret_key": t.secret}, "allowed_origins": []string{"*"}},
		"http_api":      map[string]any{"key": t.apiKey},
		"uni_websocket": map[string]any{"enabled": true},
		"channel": map[string]any{"namespaces": []map[string]any{
			{"name": "class", "history_size": 100, "history_ttl": "300s"},
		}},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(work, "centrifugo.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	progress("starting %s", bin)
	if t.proc, err = startPeer(ctx, work, bin, []string{"--config", path}, addr); err != nil {
		return err
	}
	t.url = "http://" + addr
	t.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	return nil
}

func (t *centrifugoTarget) pid() int                        { return t.proc.pid() }
func (t *centrifugoTarget) open(context.Context, int) error { return nil }
func (t *centrifugoTarget) refused() int64                  { return t.nref.Load() }
func (t *centrifugoTarget) stop() {
	if t.proc != nil {
		t.proc.stop()
	}
}

func (t *centrifugoTarget) device(ctx context.Context, c, i int, got func([]byte)) error {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":      fmt.Sprintf("c%d-d%d", c, i),
		"channels": []string{fmt.Sprintf("class:%d", c)},
		"exp":      time.Now().Add(12 * time.Hour).Unix(),
	}).SignedString([]byte(t.secret))
	if err != nil {
		return err
	}
	connect, _ := json.Marshal(map[string]string{"token": tok})
	u := "ws" + t.url[len("http"):] + "/connection/uni_websocket?cf_connect=" + url.QueryEscape(string(connect))
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return err
	}
	ws.SetReadLimit(-1)
	// The first message is the connect reply, with the subscription.
	_, b, err := ws.Read(ctx)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(`"connect"`)) {
		return fmt.Errorf("centrifugo: connect: %s", tail(b, 300))
	}
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

func (t *centrifugoTarget) publish(ctx context.Context, c int, text string) error {
	body, _ := json.Marshal(map[string]any{"channel": fmt.Sprintf("class:%d", c), "data": map[string]string{"text": text}})
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+"/api/publish", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", t.apiKey)
	res, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || bytes.Contains(rb, []byte(`"error"`)) {
		if t.nref.Add(1) == 1 {
			progress("centrifugo refused a publication: %d %s", res.StatusCode, tail(rb, 300))
		}
	}
	return nil
}

// natsTarget is nats-server with its WebSocket listener: each device a
// NATS client over WebSocket subscribed to its class's subject, the
// messages published on one TCP connection. Nothing is stored.
type natsTarget struct {
	bin  string
	proc *peerProcess
	ws   string
	pub  *nats.Conn
}

func (t *natsTarget) start(ctx context.Context, work string) error {
	bin, err := lookBinary(t.bin, "nats-server")
	if err != nil {
		return err
	}
	t.bin = bin
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	wsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	_, wsPort, _ := net.SplitHostPort(wsAddr)
	conf := fmt.Sprintf("listen: 127.0.0.1:%s\nmax_payload: 1MB\nwebsocket {\n  listen: \"127.0.0.1:%s\"\n  no_tls: true\n  compression: false\n}\n", port, wsPort)
	path := filepath.Join(work, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return err
	}
	progress("starting %s", bin)
	if t.proc, err = startPeer(ctx, work, bin, []string{"-c", path}, wsAddr); err != nil {
		return err
	}
	t.ws = "ws://" + wsAddr
	if t.pub, err = nats.Connect("nats://"+addr, nats.Name("classload-publisher")); err != nil {
		return err
	}
	return nil
}

func (t *natsTarget) pid() int                        { return t.proc.pid() }
func (t *natsTarget) open(context.Context, int) error { return nil }
func (t *natsTarget) refused() int64                  { return 0 }
func (t *natsTarget) stop() {
	if t.pub != nil {
		t.pub.Close()
	}
	if t.proc != nil {
		t.proc.stop()
	}
}

func (t *natsTarget) device(ctx context.Context, c, i int, got func([]byte)) error {
	nc, err := nats.Connect(t.ws, nats.Name(fmt.Sprintf("c%d-d%d", c, i)), nats.NoReconnect())
	if err != nil {
		return err
	}
	if _, err := nc.Subscribe(fmt.Sprintf("class.%d", c), func(m *nats.Msg) { got(m.Data) }); err != nil {
		nc.Close()
		return err
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		nc.Close()
	}()
	return nil
}

func (t *natsTarget) publish(_ context.Context, c int, text string) error {
	b, _ := json.Marshal(map[string]string{"text": text})
	if err := t.pub.Publish(fmt.Sprintf("class.%d", c), b); err != nil {
		return errors.Join(errors.New("nats publish"), err)
	}
	return nil
}
