package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// natsNode is this process's NATS: a connection, its JetStream context
// and, when embedded, the server itself.
type natsNode struct {
	nc        *nats.Conn
	js        jetstream.JetStream
	srv       *server.Server
	adminFile string // written while an embedded server runs
	embedded  bool
	// failedWrites: the embedded server failed a stream on a write error
	// (its disk full), which it then refuses to write until JetStream
	// starts again (restartJetStream); writeFailures is told at once.
	failedWrites *writeFailures
}

// adminInfo lets admin commands reach a running embedded server instead
// of opening its store a second time. The file is readable by its owner
// only, as it holds the server's token.
type adminInfo struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

const adminFileName = "nats-admin.json"

func (n *natsNode) close(ctx context.Context, log *slog.Logger) {
	if n.nc != nil {
		done := make(chan struct{})
		n.nc.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := n.nc.Drain(); err != nil {
			n.nc.Close()
		} else {
			select {
			case <-done:
			case <-ctx.Done():
				n.nc.Close()
			}
		}
	}
	if n.srv != nil {
		if n.adminFile != "" {
			_ = os.Remove(n.adminFile)
		}
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		log.Debug("embedded NATS stopped")
	}
}

// connectNATS connects to the external NATS of --nats, to the embedded
// server of a classhub already running on --data (reuse), or starts an
// embedded server on --data.
func connectNATS(ctx context.Context, c *config, log *slog.Logger, reuse bool) (*natsNode, error) {
	name := nats.Name("classhub")
	if c.NATS != "" {
		opts := []nats.Option{name, nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond),
			// The classes' events have a connection of their own, with
			// these handlers too (rooms.Manager): each line names its
			// connection.
			nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
				// nil: this process closed the connection (an admin
				// command ending, a node stopping), nothing to warn of.
				if err != nil {
					log.Warn("NATS disconnected", "connection", nc.Opts.Name, "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				log.Info("NATS reconnected", "connection", nc.Opts.Name, "server", nc.ConnectedUrlRedacted())
			}),
		}
		if c.NATSCreds != "" {
			opts = append(opts, nats.UserCredentials(c.NATSCreds))
		}
		if c.NATSUser != "" {
			opts = append(opts, nats.UserInfo(c.NATSUser, c.NATSPass))
		}
		if c.NATSToken != "" {
			opts = append(opts, nats.Token(c.NATSToken))
		}
		if c.NATSCA != "" {
			opts = append(opts, nats.RootCAs(c.NATSCA))
		}
		if c.NATSCert != "" || c.NATSKey != "" {
			opts = append(opts, nats.ClientCert(c.NATSCert, c.NATSKey))
		}
		nc, err := nats.Connect(c.NATS, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", c.NATS, err)
		}
		return newNode(nc, nil, false)
	}

	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	adminFile := filepath.Join(c.Data, adminFileName)
	if info, ok := readAdmin(adminFile); ok {
		nc, err := nats.Connect(info.URL, name, nats.Token(info.Token), nats.Timeout(time.Second))
		if err == nil {
			if !reuse {
				nc.Close()
				return nil, fmt.Errorf("a classhub server is already running on the data folder %s", c.Data)
			}
			return newNode(nc, nil, false)
		}
		// A stale file from a server that did not stop cleanly.
	}

	host, port, err := splitListen(c.NATSListen)
	if err != nil {
		return nil, err
	}
	token := randomToken()
	opts := &server.Options{
		ServerName:    "classhub",
		Host:          host,
		Port:          port,
		Authorization: token,
		JetStream:     true,
		StoreDir:      filepath.Join(c.Data, "nats"),
		NoSigs:        true,
		NoLog:         true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	failed := &writeFailures{told: make(chan struct{}, 1)}
	srv.SetLoggerV2(natsLogger{l: log.With("component", "nats"), failed: failed}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded NATS did not start within 10s")
	}
	nc, err := nats.Connect(srv.ClientURL(), name, nats.InProcessServer(srv), nats.Token(token))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	n, err := newNode(nc, srv, true)
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	n.failedWrites = failed
	b, _ := json.Marshal(adminInfo{URL: srv.ClientURL(), Token: token})
	if err := os.WriteFile(adminFile, b, 0o600); err != nil {
		log.Warn("admin commands will not reach this server", "err", err)
	} else {
		n.adminFile = adminFile
	}
	return n, nil
}

// interest counts the subscriptions on a subject, for rooms.Config: only
// of the server embedded in this process, which runs alone (no cluster,
// no leaf node, no gateway) and so knows every subscription the moment it
// is made. Nil otherwise.
func (n *natsNode) interest() func(subject string) int {
	if n.srv == nil {
		return nil
	}
	return n.srv.GlobalAccount().Interest
}

func newNode(nc *nats.Conn, srv *server.Server, embedded bool) (*natsNode, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	return &natsNode{nc: nc, js: js, srv: srv, embedded: embedded}, nil
}

func readAdmin(path string) (adminInfo, bool) {
	var info adminInfo
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &info) != nil || info.URL == "" {
		return info, false
	}
	return info, true
}

func splitListen(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("--nats-listen %q: %w", s, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("--nats-listen %q: bad port", s)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// settleReplicas makes --replicas agree with the deployment on js. Every
// bucket and log stream is opened with it, and opening one with fewer
// replicas than it has scales it down: a node or an admin command started
// without --replicas on a cluster would quietly leave the school's data on
// one server. So an unset --replicas takes the deployment's (those of its
// config bucket), and a lower one is refused; a higher one scales the
// deployment up, as when it moves from one server to a cluster.
func settleReplicas(ctx context.Context, c *config, js jetstream.JetStream, log *slog.Logger) error {
	st, err := js.Stream(ctx, "KV_"+protocol.BucketConfig)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil // a new deployment: --replicas says
	}
	if err != nil {
		return fmt.Errorf("read the deployment's replicas: %w", err)
	}
	have := max(st.CachedInfo().Config.Replicas, 1)
	switch {
	case !c.ReplicasSet:
		if c.Replicas != have {
			log.Info("replicas as the deployment keeps them", "replicas", have)
		}
		c.Replicas = have
	case c.Replicas < have:
		return fmt.Errorf("--replicas %d is fewer than the %d this deployment keeps, and would scale its stores down: give --replicas %d, or leave it out", c.Replicas, have, have)
	}
	return nil
}

// nodeID returns this node's stable name: --node, or an ID created once
// and kept in the data folder, so that a restarted node takes its own
// rooms back at once.
func nodeID(c *config) (string, error) {
	if c.Node != "" {
		return c.Node, nil
	}
	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return "", fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(c.Data, "node-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	}
	id := uuid.NewString()
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("node ID: %w", err)
	}
	return id, nil
}

// natsLogger sends the embedded server's log to slog. It also notes a
// stream failed on a write error, which the server says only in its log.
type natsLogger struct {
	l      *slog.Logger
	failed *writeFailures
}

// writeFailures notes that the embedded server failed a stream on a
// write error, and tells whoever waits on told.
type writeFailures struct {
	failed atomic.Bool
	told   chan struct{} // capacity 1
}

func (w *writeFailures) note() {
	w.failed.Store(true)
	select {
	case w.told <- struct{}{}:
	default:
	}
}

func (n natsLogger) Noticef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n natsLogger) Warnf(format string, v ...any)   { n.l.Warn(fmt.Sprintf(format, v...)) }
func (n natsLogger) Fatalf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n natsLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if n.failed != nil && strings.Contains(msg, "critical write error") {
		n.failed.note()
	}
	n.l.Error(msg)
}
func (n natsLogger) Debugf(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n natsLogger) Tracef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }

// storeWriteFailed reports whether the embedded server failed a stream on
// a write error since JetStream last started.
func (n *natsNode) storeWriteFailed() bool {
	return n.failedWrites != nil && n.failedWrites.failed.Load()
}

// storeWriteFailures is told when the embedded server fails a stream on
// a write error; nil with NATS outside the node.
func (n *natsNode) storeWriteFailures() <-chan struct{} {
	if n.failedWrites == nil {
		return nil
	}
	return n.failedWrites.told
}

// restartJetStream starts the embedded server's JetStream again, with the
// configuration it runs with: it reads every stream from the disk anew,
// and a stream failed on a write error takes writes again. Clients stay
// connected; JetStream does not answer for the moment it takes.
func (n *natsNode) restartJetStream() error {
	cfg := n.srv.JetStreamConfig()
	if cfg == nil {
		return errors.New("JetStream is not running")
	}
	// The running configuration names the folder JetStream made inside
	// the one it was given; it is given that one again.
	cfg.StoreDir = filepath.Dir(cfg.StoreDir)
	if err := n.srv.ShutdownJetStream(); err != nil {
		return fmt.Errorf("stop JetStream: %w", err)
	}
	n.failedWrites.failed.Store(false)
	if err := n.srv.EnableJetStream(cfg); err != nil {
		return fmt.Errorf("start JetStream: %w", err)
	}
	return nil
}
