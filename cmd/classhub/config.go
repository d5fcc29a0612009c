package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// config is what a node needs to run. Flags and environment variables
// fill it; flags win.
type config struct {
	Addr       string
	AdminAddr  string // metrics and profiles; empty: none, and /metrics on Addr
	TLSCert    string
	TLSKey     string
	RequestLog bool
	Data       string
	Node       string
	LogLevel   string
	LogFormat  string
	TrustProxy bool
	Origins    string
	Retention  time.Duration
	LogShards  int
	Replicas   int
	// ReplicasSet says --replicas (or CLASSHUB_REPLICAS) was given: when
	// not, a node or an admin command takes the deployment's.
	ReplicasSet bool
	Grace       time.Duration
	JoinRate    float64
	JoinBurst   int
	Thresholds  string // a JSON file of the school's detector thresholds
	GCPercent   int    // the garbage collector's target, as GOGC
	MinFreeDisk int    // MiB kept free on the embedded store's disk

	// Overload: what one node takes on (hub.Config, rooms.Config).
	MaxConns       int
	ConnRate       float64
	ConnBurst      int
	ConnsPerPerson int
	TokenTTL       time.Duration
	CommandRate    float64
	CommandBurst   int

	NATS       string // external NATS URL; empty runs an embedded server
	NATSListen string // where the embedded server listens for other processes
	NATSCreds  string
	NATSUser   string
	NATSPass   string
	NATSToken  string
	NATSCA     string
	NATSCert   string
	NATSKey    string
}

// natsFlags adds the flags that say where the data and NATS are; every
// subcommand needs them.
func natsFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.Data, "data", "./classhub-data", "data folder: the embedded NATS store and this node's ID")
	fs.StringVar(&c.NATS, "nats", "", "URL(s) of an external NATS with JetStream (comma-separated); empty runs NATS embedded, storing in --data")
	fs.StringVar(&c.NATSListen, "nats-listen", "127.0.0.1:0", "host:port where the embedded NATS accepts other local processes (admin commands); port 0 picks a free one")
	fs.StringVar(&c.NATSCreds, "nats-creds", "", "NATS credentials file (JWT and NKey seed)")
	fs.StringVar(&c.NATSUser, "nats-user", "", "NATS user name")
	fs.StringVar(&c.NATSPass, "nats-password", "", "NATS password (prefer the environment variable CLASSHUB_NATS_PASSWORD)")
	fs.StringVar(&c.NATSToken, "nats-token", "", "NATS token (prefer the environment variable CLASSHUB_NATS_TOKEN)")
	fs.StringVar(&c.NATSCA, "nats-ca", "", "CA certificate file to verify the NATS servers")
	fs.StringVar(&c.NATSCert, "nats-cert", "", "client certificate file for NATS (mutual TLS)")
	fs.StringVar(&c.NATSKey, "nats-key", "", "client key file for NATS (mutual TLS)")
	fs.IntVar(&c.Replicas, "replicas", 1, "JetStream replicas of logs and buckets: 1 for one server, 3 for a cluster; left out, those the deployment has (a lower number than it has is refused)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
}

func serveFlags(fs *flag.FlagSet, c *config) {
	natsFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", ":8080", "HTTP listen address")
	fs.StringVar(&c.AdminAddr, "admin-addr", defaultAdminAddr, "address of /metrics and /debug/pprof, apart from --addr so that neither is public; empty: no admin listener, and /metrics is served on --addr")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate file (PEM, with its chain) to serve HTTPS and WSS on --addr; read again when it changes on disk")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key file (PEM) of --tls-cert")
	fs.BoolVar(&c.RequestLog, "request-log", true, "log one line per HTTP request: method, route, status, duration (a WebSocket's line comes when it opens)")
	fs.StringVar(&c.Node, "node", "", "this node's name in room leases; default: an ID kept in the data folder")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind a reverse proxy you run)")
	fs.StringVar(&c.Origins, "origins", "", "extra origins allowed to open WebSockets, comma-separated host patterns (the server's own is always allowed)")
	fs.DurationVar(&c.Retention, "retention", 0, "how long a class is kept after it ended (e.g. 720h); 0 keeps them")
	fs.IntVar(&c.LogShards, "log-shards", 4, "how many shared streams hold class logs (set by a deployment's first node, kept after)")
	fs.DurationVar(&c.Grace, "grace", 5*time.Second, "how long a student may drop before the teacher sees them offline")
	fs.Float64Var(&c.JoinRate, "join-rate", 1, "sign-ins and joins per second allowed from one client address, after the burst")
	fs.IntVar(&c.MinFreeDisk, "min-free-disk", 256, "with NATS embedded: MiB kept free on the disk of --data (unset: no more than a twentieth of the disk); with less, changes to classes are refused (storage_full) until there is room, before the store meets the disk's end (0: not watched)")
	fs.IntVar(&c.GCPercent, "gc-percent", 100, "heap growth between garbage collections, as GOGC (the GOGC variable, when set, wins); higher runs the collector less often for several times the memory")
	fs.StringVar(&c.Thresholds, "thresholds", "", "a JSON file with the school's detector thresholds (docs/DETECTORS.md); fields left out keep the defaults")
	fs.IntVar(&c.JoinBurst, "join-burst", 60, "sign-ins and joins allowed at once from one client address (a whole school behind one NAT needs more)")
	fs.IntVar(&c.MaxConns, "max-conns", 20000, "device connections this node holds at most; one more gets 503 with Retry-After, and those it holds go on (-1: no limit)")
	fs.Float64Var(&c.ConnRate, "conn-rate", 500, "new device connections per second this node takes, after the burst; those over it get 503 with Retry-After (-1: no limit)")
	fs.IntVar(&c.ConnBurst, "conn-burst", 1000, "new device connections this node takes at once")
	fs.IntVar(&c.ConnsPerPerson, "conns-per-person", 5, "connections one person (student, teacher or coach) may hold to one class, on all nodes together; one more closes their oldest with 4006 (-1: no limit)")
	fs.Float64Var(&c.CommandRate, "command-rate", 20, "commands per second one person may send to one class, after the burst, counted on this node and at the class's owner")
	fs.IntVar(&c.CommandBurst, "command-burst", 40, "commands one person may send to one class at once")
	fs.DurationVar(&c.TokenTTL, "token-ttl", 12*time.Hour, "how long a token from a sign-in, a join or a renewal lasts; the web apps renew theirs when half of it is left")
}

// defaultAdminAddr is on loopback, where only the machine's own users and
// a local Prometheus agent reach it; 9180 stays clear of Prometheus's own
// 9090.
const defaultAdminAddr = "127.0.0.1:9180"

// parse reads the environment, then the arguments. CLASSHUB_NATS_CREDS
// sets --nats-creds.
func parse(fs *flag.FlagSet, args []string) error {
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		name := "CLASSHUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && bad == nil {
			if err := f.Value.Set(v); err != nil {
				bad = fmt.Errorf("environment %s=%q: %w", name, v, err)
			}
		}
	})
	if bad != nil {
		return bad
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

// isSet reports whether the flag name was given, on the command line or
// in the environment.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	_, env := os.LookupEnv("CLASSHUB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
	return set || env
}

func newLogger(c *config, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
}
