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
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

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
	c.ReplicasSet = isSet(fs, "replicas")
	log, err := newLogger(&c, stderr)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" && c.GCPercent > 0 {
		// Go's default, 100, unless the operator says otherwise: against
		// 400 a node held 0.6 times the memory, for no CPU measured at
		// 3,000 devices and 8 % at 10,000 (docs/BENCHMARKS.md);
		// GOMEMLIMIT still caps memory.
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

	th, err := loadThresholds(c.Thresholds)
	if err != nil {
		return err
	}
	st, err := openStores(ctx, log, func(ctx context.Context) (stores, error) {
		return openStoresOnce(ctx, &c, nn, node, th, log, reg)
	})
	if err != nil {
		return err
	}
	rosters, rm, key, acct := st.rosters, st.rooms, st.key, st.accounts
	if nn.srv != nil && c.MinFreeDisk > 0 {
		dir := nn.srv.StoreDir()
		reserve := uint64(c.MinFreeDisk) << 20
		if !isSet(fs, "min-free-disk") {
			reserve = defaultReserve(dir, c.MinFreeDisk)
		}
		dg := newDiskGuard(dir, reserve, rm, log, reg)
		dg.store = nn
		dg.check() // a node started on a full disk refuses from its first command
		dctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); dg.run(dctx) }()
		defer func() { stop(); <-done }()
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
		MaxConns: c.MaxConns, ConnRate: c.ConnRate, ConnBurst: c.ConnBurst, ConnsPerPerson: c.ConnsPerPerson, TokenTTL: c.TokenTTL,
		CommandRate: c.CommandRate, CommandBurst: c.CommandBurst,
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
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if n, err := acct.Count(cctx); err == nil && n == 0 {
		// On a cluster the command names the cluster and its replicas: a
		// teacher bucket opened with fewer would be scaled down to them.
		where := "--data " + c.Data
		if c.NATS != "" {
			where = fmt.Sprintf("--nats %s --replicas %d", c.NATS, c.Replicas)
		}
		fmt.Fprintf(stdout, "There is no teacher account yet. Create the first one in another terminal:\n  %s teacher add %s --email you@school.example --name \"Your Name\"\n\n", selfCommand(), where)
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

// stores are what a node keeps in JetStream, opened (and created on a
// deployment's first start).
type stores struct {
	rosters  *roster.Store
	rooms    *rooms.Manager
	key      []byte
	accounts *accounts.Store
}

// setupAttempts bound each attempt to open the stores. Nodes starting at
// once on a new JetStream cluster race to create the same buckets and
// streams, and the cluster may leave a request unanswered (an update of
// a stream that another server is creating); on a busy machine a
// creation itself can take longer than an attempt. A creation goes on
// in the cluster when its attempt gives up, and the next attempt finds
// the store made, so the attempts start short and grow; the last is as
// long as a slow start needs (moving class logs of an older release,
// which goes on where an attempt stopped).
var setupAttempts = append([]time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second},
	append(slices.Repeat([]time.Duration{20 * time.Second}, 8), time.Minute)...)

// setupPause is the wait before another attempt to open the stores.
const setupPause = time.Second

// JetStream's refusals while a cluster's servers are starting: a
// stream or bucket whose replicas find too few servers online ("no
// suitable peers for placement"), and the cluster with no meta leader
// yet ("JetStream system temporarily unavailable").
const (
	jsErrNoPeers     = 10005
	jsErrUnavailable = 10008
)

// clusterNotReady reports whether err says JetStream could not answer
// yet, rather than answering no ("no response from stream": a bucket
// just made whose stream has no leader yet).
func clusterNotReady(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		(errors.As(err, &apiErr) && (apiErr.ErrorCode == jsErrNoPeers || apiErr.ErrorCode == jsErrUnavailable))
}

// openStores opens the stores with once, again after an attempt that
// JetStream left unanswered or refused for a cluster not ready yet.
func openStores(ctx context.Context, log *slog.Logger, once func(context.Context) (stores, error)) (stores, error) {
	var err error
	for i, limit := range setupAttempts {
		actx, cancel := context.WithTimeout(ctx, limit)
		var st stores
		st, err = once(actx)
		cancel()
		// No answer, or nobody to answer yet (a stream just made, whose
		// servers are still electing its leader), or a cluster not whole
		// yet (a server still joining, so that a stream of several
		// replicas has nowhere to go): try again. Any other error is an
		// answer.
		if err == nil || !clusterNotReady(err) || ctx.Err() != nil {
			return st, err
		}
		if i < len(setupAttempts)-1 {
			log.Warn("JetStream did not answer while opening the stores; trying again", "attempt", i+1, "within", limit, "err", err)
			// A refusal comes back at once: give the cluster a moment.
			t := time.NewTimer(setupPause)
			select {
			case <-ctx.Done():
				t.Stop()
				return stores{}, err
			case <-t.C:
			}
		}
	}
	return stores{}, err
}

// openStoresOnce is one attempt. The rooms come last: they register
// their metrics and may start work, so nothing after them can fail.
func openStoresOnce(ctx context.Context, c *config, nn *natsNode, node string, th *detect.Thresholds, log *slog.Logger, reg prometheus.Registerer) (stores, error) {
	var st stores
	if err := settleReplicas(ctx, c, nn.js, log); err != nil {
		return st, err
	}
	// Side by side: on a new deployment each is a creation that waits for
	// its stream's replicas to elect a leader.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { st.rosters, err = roster.Open(gctx, nn.js, c.Replicas); return err })
	g.Go(func() (err error) { st.key, err = hub.LoadOrCreateKey(gctx, nn.js, c.Replicas); return err })
	g.Go(func() (err error) { st.accounts, err = accounts.Open(gctx, nn.js, c.Replicas); return err })
	if err := g.Wait(); err != nil {
		return st, err
	}
	var err error
	st.rooms, err = rooms.New(ctx, rooms.Config{
		Thresholds: th,
		NC:         nn.nc, JS: nn.js, Node: protocol.NodeID(node), Grace: c.Grace,
		Retention: c.Retention, LogShards: c.LogShards, Replicas: c.Replicas, Logger: log, Registerer: reg,
		Profiles:    st.rosters.Profiles(),
		CommandRate: c.CommandRate, CommandBurst: c.CommandBurst,
		Interest: nn.interest(),
	})
	return st, err
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
