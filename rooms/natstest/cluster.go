package natstest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n embedded NATS servers in this process forming one
// JetStream cluster, as a district's R3 deployment does: each stores in a
// folder of its own, and any one can be stopped and started again on its
// data while the others go on.
type Cluster struct {
	t     testing.TB
	mu    sync.Mutex
	opts  []*server.Options
	srvs  []*Server // nil while stopped
	links *links
}

// clusterReady bounds the wait for the cluster to form or to settle again
// after a server stopped or started.
const clusterReady = 90 * time.Second

// StartCluster starts n servers forming a JetStream cluster and waits
// until it has a meta leader and every server is current. t.Cleanup stops
// them.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	// A clustered JetStream server needs its routes configured before it
	// starts. They go through links of the test's own, listening from
	// the start, so that Crash can cut a server off from its peers before
	// it stops. The servers' own ports are chosen by the servers as they
	// bind (a port picked beforehand and bound later may be taken
	// meanwhile by any process of a busy machine, and a server that cannot
	// bind waits out its whole ready time), and kept for Start to bind
	// them again, so that a server started again is where its clients
	// and links look for it.
	c := &Cluster{t: t, srvs: make([]*Server, n)}
	t.Cleanup(c.stopAll)
	var err error
	if c.links, err = newLinks(n); err != nil {
		t.Fatalf("route links: %v", err)
	}
	for i := range n {
		var routes []*url.URL
		for j := range n {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats-route", Host: c.links.addr(j)})
			}
		}
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("s%d", i),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: "classhub-test", Host: "127.0.0.1", Port: server.RANDOM_PORT,
				// Peers that learn of this server from others reach it
				// through its link too.
				Advertise: c.links.addr(i),
			},
			Routes: routes,
		})
	}
	for i := range n {
		c.Start(i)
	}
	c.WaitReady()
	return c
}

// Size is the number of servers, running or not.
func (c *Cluster) Size() int { return len(c.opts) }

// Server returns server i, or nil while it is stopped.
func (c *Cluster) Server(i int) *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.srvs[i]
}

// Name is the server name of server i, as JetStream reports leaders and
// replicas.
func (c *Cluster) Name(i int) string { return c.opts[i].ServerName }

// Index returns the index of the server named name, or -1.
func (c *Cluster) Index(name string) int {
	for i, o := range c.opts {
		if o.ServerName == name {
			return i
		}
	}
	return -1
}

// URL is the client URL of server i, whether it runs or not.
func (c *Cluster) URL(i int) string {
	return fmt.Sprintf("nats://%s:%d", c.opts[i].Host, c.opts[i].Port)
}

// URLs lists every server's client URL, server first's first: a client
// given them connects to first and fails over to the others.
func (c *Cluster) URLs(first int) string {
	urls := []string{c.URL(first)}
	for i := range c.opts {
		if i != first {
			urls = append(urls, c.URL(i))
		}
	}
	return strings.Join(urls, ",")
}

// Start starts server i on its own store, the first time or again after
// Stop.
func (c *Cluster) Start(i int) *Server {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srvs[i] != nil {
		c.t.Fatalf("server %s already runs", c.Name(i))
	}
	// The server keeps and changes its options: each start gets a copy.
	opts := c.opts[i].Clone()
	ns, err := server.NewServer(opts)
	if err != nil {
		c.t.Fatalf("nats server %s: %v", c.Name(i), err)
	}
	c.links.join(i, ns.ID())
	go ns.Start()
	if !ns.ReadyForConnections(clusterReady) {
		ns.Shutdown()
		c.t.Fatalf("nats server %s not ready in %s", c.Name(i), clusterReady)
	}
	// The ports bound the first time are this server's from now on.
	c.opts[i].Port = ns.Addr().(*net.TCPAddr).Port
	c.opts[i].Cluster.Port = ns.ClusterAddr().Port
	c.links.target(i, c.opts[i].Cluster.Port)
	c.srvs[i] = &Server{Server: ns, Dir: opts.StoreDir}
	return c.srvs[i]
}

// Stop shuts server i down and waits for it; its store stays for Start.
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	s := c.srvs[i]
	c.srvs[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Stop()
	}
}

// Crash cuts server i off from its peers at once, as a crash or a pulled
// cable does, and then stops it: unlike Stop, which hands the server's
// leaderships over first, its peers hear no goodbye and elect new leaders
// only once they miss it. Its clients lose their connections.
func (c *Cluster) Crash(i int) {
	c.links.cut(i)
	c.Stop(i)
}

func (c *Cluster) stopAll() {
	var wg sync.WaitGroup
	for i := range c.opts {
		wg.Go(func() { c.Stop(i) })
	}
	wg.Wait()
	if c.links != nil {
		c.links.close()
	}
}

// WaitReady waits until the running servers have a meta leader that
// counts all of them as peers and every one of them is current.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(clusterReady)
	for {
		ok, why := c.ready()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("cluster not ready in %s: %s", clusterReady, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) ready() (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var running []*Server
	for _, s := range c.srvs {
		if s != nil {
			running = append(running, s)
		}
	}
	var leader *Server
	for _, s := range running {
		if s.JetStreamIsLeader() {
			leader = s
		}
	}
	if leader == nil {
		return false, "no meta leader"
	}
	if peers := leader.JetStreamClusterPeers(); len(peers) != len(running) {
		return false, fmt.Sprintf("meta leader %s sees peers %v, %d servers run", leader.Name(), peers, len(running))
	}
	for _, s := range running {
		if !s.JetStreamIsCurrent() {
			return false, fmt.Sprintf("server %s is not current", s.Name())
		}
	}
	return true, ""
}

// Connect opens a client connection to server first that fails over to
// the others, closed by t.Cleanup.
func (c *Cluster) Connect(t testing.TB, first int) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(c.URLs(first),
		nats.DontRandomize(), // first is first, so that a test knows where a client is
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
		nats.Name(fmt.Sprintf("test client of %s", c.Name(first))))
	if err != nil {
		t.Fatalf("nats connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// WaitInSync waits until every running server holds the same copy of
// every stream: the same messages, from the same first to the same last
// sequence. A server started again has caught up once this holds.
func (c *Cluster) WaitInSync() {
	c.t.Helper()
	deadline := time.Now().Add(clusterReady)
	for {
		why, err := c.inSync()
		if err != nil {
			c.t.Fatal(err)
		}
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("streams not in sync in %s: %s", clusterReady, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inSync says how the running servers' copies differ, or "".
func (c *Cluster) inSync() (string, error) {
	type copyOf struct {
		server string
		state  server.StreamState
	}
	copies := map[string][]copyOf{}
	running := 0
	for i := range c.opts {
		s := c.Server(i)
		if s == nil {
			continue
		}
		running++
		jsz, err := s.Jsz(&server.JSzOptions{Accounts: true, Streams: true})
		if err != nil {
			return "", fmt.Errorf("jsz of %s: %w", c.Name(i), err)
		}
		for _, acc := range jsz.AccountDetails {
			for _, st := range acc.Streams {
				copies[st.Name] = append(copies[st.Name], copyOf{c.Name(i), st.State})
			}
		}
	}
	for name, cs := range copies {
		if len(cs) != running {
			return fmt.Sprintf("%s has %d copies on %d servers", name, len(cs), running), nil
		}
		for _, o := range cs[1:] {
			a, b := cs[0].state, o.state
			if a.Msgs != b.Msgs || a.FirstSeq != b.FirstSeq || a.LastSeq != b.LastSeq {
				return fmt.Sprintf("%s: %s holds %d messages %d..%d, %s holds %d messages %d..%d",
					name, cs[0].server, a.Msgs, a.FirstSeq, a.LastSeq, o.server, b.Msgs, b.FirstSeq, b.LastSeq), nil
			}
		}
	}
	return "", nil
}

// links carry the routes between the servers: one listener in front of
// each server's cluster port. A server soliciting a route names itself
// first (its CONNECT), so each connection is known by both its ends, and
// cutting a server closes every route it has and refuses new ones.
type links struct {
	lns []net.Listener
	wg  sync.WaitGroup

	mu      sync.Mutex
	targets []int          // the cluster port behind each listener; 0 until its server has bound it
	ids     map[string]int // server ID → index
	isCut   []bool
	conns   map[*link]struct{}
}

// link is one route connection: from the soliciting server (-1 until it
// named itself) to the server behind the listener.
type link struct {
	from, to int
	in, out  net.Conn
}

func newLinks(n int) (*links, error) {
	l := &links{targets: make([]int, n), ids: map[string]int{}, isCut: make([]bool, n), conns: map[*link]struct{}{}}
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			l.close()
			return nil, err
		}
		l.lns = append(l.lns, ln)
		l.wg.Go(func() { l.accept(ln, i) })
	}
	return l, nil
}

func (l *links) addr(i int) string { return l.lns[i].Addr().String() }

// target sets the cluster port behind link i.
func (l *links) target(i, port int) {
	l.mu.Lock()
	l.targets[i] = port
	l.mu.Unlock()
}

// join records the ID of server i as it starts, and lets it be reached.
func (l *links) join(i int, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = i
	l.isCut[i] = false
}

func (l *links) cut(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.isCut[i] = true
	for k := range l.conns {
		if k.from == i || k.to == i {
			k.in.Close()
			k.out.Close()
		}
	}
}

func (l *links) close() {
	for _, ln := range l.lns {
		ln.Close()
	}
	l.mu.Lock()
	for k := range l.conns {
		k.in.Close()
		k.out.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *links) accept(ln net.Listener, to int) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return // closed
		}
		l.wg.Go(func() { l.serve(in, to) })
	}
}

func (l *links) serve(in net.Conn, to int) {
	defer in.Close()
	l.mu.Lock()
	port := l.targets[to]
	l.mu.Unlock()
	if port == 0 {
		return // not started yet: the peer tries its route again
	}
	out, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return
	}
	defer out.Close()
	k := &link{from: -1, to: to, in: in, out: out}
	if !l.keep(k) {
		return
	}
	defer func() {
		l.mu.Lock()
		delete(l.conns, k)
		l.mu.Unlock()
	}()
	l.wg.Go(func() {
		_, _ = io.Copy(in, out)
		in.Close()
		out.Close()
	})
	r := bufio.NewReader(in)
	first, err := r.ReadString('\n')
	if err != nil {
		return
	}
	l.mu.Lock()
	k.from = l.idOf(first)
	l.mu.Unlock()
	if !l.keep(k) {
		return
	}
	if _, err := out.Write([]byte(first)); err != nil {
		return
	}
	_, _ = io.Copy(out, r)
}

// keep registers k, or says it must close: one of its ends is cut off.
func (l *links) keep(k *link) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isCut[k.to] || k.from >= 0 && l.isCut[k.from] {
		return false
	}
	l.conns[k] = struct{}{}
	return true
}

// idOf is the index of the server whose route CONNECT line is line, or -1.
// Called with l.mu held.
func (l *links) idOf(line string) int {
	const key = `"name":"`
	_, rest, ok := strings.Cut(line, key)
	if !ok {
		return -1
	}
	id, _, ok := strings.Cut(rest, `"`)
	if i, known := l.ids[id]; ok && known {
		return i
	}
	return -1
}
