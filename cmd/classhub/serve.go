package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/frontend"
	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/roster"
)

// shutdownTimeout bounds a graceful stop: devices closed with 1012, HTTP
// drained, rooms snapshotted and their leases given back, NATS drained.
const shutdownTimeout = 15 * time.Second

// testHookStopping, when a test sets it, runs as a graceful stop begins:
// a test makes the stop hang with it, to see a second signal cut it short.
var testHookStopping func()

// serve runs a node until ctx is done. ready, if not nil, receives the
// HTTP address once the node is ready (for tests).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	var c config
	fs := flag.NewFlagSet("classhub serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(&c, stderr)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" && c.GCPercent > 0 {
		// Go's default (100) collects so often under a class's load on a
		// small server that the collector's work shows in the answers'
		// tail latency (docs/BENCHMARKS.md); GOMEMLIMIT still caps memory.
		debug.SetGCPercent(c.GCPercent)
	}
	start := time.Now()
	// A certificate that does not load stops the node before it takes
	// any room.
	var certs *certFiles
	if c.TLSCert != "" || c.TLSKey != "" {
		if certs, err = loadCertFiles(c.TLSCert, c.TLSKey, log); err != nil {
			return err
		}
	}
	node, err := nodeID(&c)
	if err != nil {
		return err
	}

	nn, err := connectNATS(ctx, &c, log, false)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		nn.close(ctx, log)
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfoGauge(buildInfo()))

	// The admin listener comes up first, so that a node that is slow to
	// start (moving class logs of an older release) can be profiled.
	var adminURL string
	if c.AdminAddr != "" {
		aln, err := net.Listen("tcp", c.AdminAddr)
		if err != nil {
			return fmt.Errorf("listen on the admin address %s (another classhub on this machine? set --admin-addr): %w", c.AdminAddr, err)
		}
		asrv := &http.Server{Handler: adminHandler(reg), ReadHeaderTimeout: 10 * time.Second, ErrorLog: stdlog.New(serverErrors{log}, "", 0)}
		go func() { _ = asrv.Serve(aln) }()
		defer asrv.Close()
		adminURL = "http://" + displayAddr(aln.Addr())
	}

	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rosters, err := roster.Open(setupCtx, nn.js, c.Replicas)
	if err != nil {
		return err
	}
	th, err := loadThresholds(c.Thresholds)
	if err != nil {
		return err
	}
	rm, err := rooms.New(setupCtx, rooms.Config{
		Thresholds: th,
		NC:         nn.nc, JS: nn.js, Node: protocol.NodeID(node), Grace: c.Grace,
		Retention: c.Retention, LogShards: c.LogShards, Replicas: c.Replicas, Logger: log, Registerer: reg,
		Profiles: rosters.Profiles(),
	})
	if err != nil {
		return err
	}
	key, err := hub.LoadOrCreateKey(setupCtx, nn.js, c.Replicas)
	if err != nil {
		return err
	}
	acct, err := accounts.Open(setupCtx, nn.js, c.Replicas)
	if err != nil {
		return err
	}
	var origins []string
	for _, o := range strings.Split(c.Origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	h, err := hub.New(hub.Config{
		Rooms: rm, NC: nn.nc, Tokens: hub.NewSigner(key, nil), Accounts: acct, Rosters: rosters,
		OriginPatterns: origins, JoinRate: c.JoinRate, JoinBurst: c.JoinBurst, Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}

	var stopping atomic.Bool
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	if c.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	if c.RequestLog {
		e.Use(requestLog(log))
	}
	h.Register(e)
	e.GET("/healthz", func(ec echo.Context) error {
		return ec.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(ec echo.Context) error {
		switch {
		case stopping.Load():
			return protocol.Errorf(protocol.CodeUnavailable, "shutting down")
		case nn.nc.Status() != nats.CONNECTED:
			return protocol.Errorf(protocol.CodeUnavailable, "NATS is %s", strings.ToLower(nn.nc.Status().String()))
		}
		rctx, cancel := context.WithTimeout(ec.Request().Context(), 2*time.Second)
		defer cancel()
		if err := rm.Ready(rctx); err != nil {
			return protocol.Errorf(protocol.CodeUnavailable, "%s", err.Error())
		}
		return ec.JSON(http.StatusOK, map[string]string{"status": "ready", "node": node})
	})
	if c.AdminAddr == "" {
		// No admin listener: the metrics are served beside the web apps,
		// as a one-machine install without a second port wants. The
		// profiles never are.
		e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	}
	e.GET("/*", echo.WrapHandler(frontend.Handler()))

	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ErrorLog: stdlog.New(serverErrors{log}, "", 0)}
	scheme := "http"
	if certs != nil {
		// HTTP/2 stays on for the web apps' files; WebSockets go over
		// HTTP/1.1, as Go's server does not offer them over HTTP/2.
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
			return
		}
		served <- srv.Serve(ln)
	}()

	url := scheme + "://" + displayAddr(ln.Addr())
	bi := buildInfo()
	log.Info("classhub ready", "url", url, "admin", adminURL, "node", node, "embedded_nats", nn.embedded,
		"data", c.Data, "version", bi.Version, "revision", bi.Revision, "startup", time.Since(start).Round(time.Millisecond))
	if n, err := acct.Count(setupCtx); err == nil && n == 0 {
		fmt.Fprintf(stdout, "There is no teacher account yet. Create the first one in another terminal:\n  %s teacher add --data %s --email you@school.example --name \"Your Name\"\n\n", selfCommand(), c.Data)
	}
	if adminURL != "" {
		fmt.Fprintf(stdout, "Metrics at %s/metrics and profiles at %s/debug/pprof/ (--admin-addr).\n", adminURL, adminURL)
	}
	fmt.Fprintf(stdout, "classhub is ready for a class.\n  teachers sign in  %s/teacher\n  students join at  %s/\n", url, url)
	cancel()
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("http: %w", err)
	}

	log.Info("shutting down")
	stopping.Store(true)
	if testHookStopping != nil {
		testHookStopping()
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer scancel()
	// Devices first, with 1012, so they reconnect (elsewhere, or here when
	// the node is back) and resume; then the rest of HTTP; then the rooms,
	// which snapshot and give their leases back.
	if err := h.Close(sctx); err != nil {
		log.Warn("closing connections", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("HTTP shutdown", "err", err)
	}
	if err := rm.Close(sctx); err != nil {
		log.Warn("stopping rooms", "err", err)
	}
	log.Info("stopped")
	return nil
}

// displayAddr turns a listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// selfCommand is how the user started this program, for the hints it
// prints: "go run ./cmd/classhub" when run from source.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "classhub"
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/classhub"
	}
	if dir, _ := filepath.Split(exe); dir != "" {
		if p, err := filepath.Abs(exe); err == nil {
			return p
		}
	}
	return "classhub"
}

// loadThresholds reads the school's detector thresholds; "" keeps the
// defaults. A file with an unknown field or a value out of range stops the
// server rather than running with thresholds nobody meant.
func loadThresholds(path string) (*detect.Thresholds, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	th := detect.DefaultThresholds()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&th); err != nil {
		return nil, fmt.Errorf("thresholds %s: %w", path, err)
	}
	if err := th.Validate(); err != nil {
		return nil, fmt.Errorf("thresholds %s: %w", path, err)
	}
	return &th, nil
}
