package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/rooms"
)

// The teacher account of the in-process server.
const (
	inprocEmail    = "load@classload.invalid"
	inprocPassword = "classload in-process teacher"
)

// serverLabel marks the goroutines of a server this process runs (a
// classhub node and its NATS, or the baseline's nats-server): they and
// every goroutine they start carry it, so that the CPU profile tells the
// server's work from the load's.
var serverLabel = pprof.Labels("side", "server")

// inproc is a classhub node on an embedded NATS with JetStream, wired as
// cmd/classhub wires one, on loopback, its data in a temporary folder.
type inproc struct {
	url string
	dir string
	ns  *server.Server
	nc  *nats.Conn
	rm  *rooms.Manager
	h   *hub.Hub
	srv *http.Server
}

// startInproc starts a node with one teacher account (inprocEmail).
// Joins are not limited: every device of the load joins from this
// address.
func startInproc(ctx context.Context) (*inproc, error) {
	var n *inproc
	var err error
	pprof.Do(ctx, serverLabel, func(ctx context.Context) {
		n, err = startInprocLabelled(ctx)
	})
	return n, err
}

func startInprocLabelled(ctx context.Context) (_ *inproc, err error) {
	dir, err := os.MkdirTemp("", "classload-")
	if err != nil {
		return nil, err
	}
	n := &inproc{dir: dir}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	n.ns, err = server.NewServer(&server.Options{
		ServerName: "classload", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	n.ns.Start()
	if !n.ns.ReadyForConnections(30 * time.Second) {
		return nil, errors.New("embedded NATS did not start within 30 s")
	}
	if n.nc, err = nats.Connect(n.ns.ClientURL(), nats.InProcessServer(n.ns), nats.Name("classload")); err != nil {
		return nil, fmt.Errorf("connect to the embedded NATS: %w", err)
	}
	js, err := jetstream.New(n.nc)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if n.rm, err = rooms.New(ctx, rooms.Config{NC: n.nc, JS: js, Node: "classload", Replicas: 1, Logger: log, Registerer: prometheus.NewRegistry()}); err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	key, err := hub.LoadOrCreateKey(ctx, js, 1)
	if err != nil {
		return nil, err
	}
	acct, err := accounts.Open(ctx, js, 1)
	if err != nil {
		return nil, err
	}
	if _, err := acct.Add(ctx, inprocEmail, "Load Teacher", inprocPassword); err != nil {
		return nil, fmt.Errorf("teacher account: %w", err)
	}
	if n.h, err = hub.New(hub.Config{
		Rooms: n.rm, NC: n.nc, Tokens: hub.NewSigner(key, nil), Accounts: acct,
		JoinRate: 1e6, JoinBurst: 1 << 30, Logger: log, Registerer: prometheus.NewRegistry(),
	}); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	n.h.Register(e)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	n.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	go func() { _ = n.srv.Serve(ln) }()
	n.url = "http://" + ln.Addr().String()
	return n, nil
}

// close stops the node as the binary does (devices, HTTP, rooms, NATS)
// and removes its data.
func (n *inproc) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n.h != nil {
		_ = n.h.Close(ctx)
	}
	if n.srv != nil {
		_ = n.srv.Shutdown(ctx)
	}
	if n.rm != nil {
		_ = n.rm.Close(ctx)
	}
	if n.nc != nil {
		n.nc.Close()
	}
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
	}
	_ = os.RemoveAll(n.dir)
}
