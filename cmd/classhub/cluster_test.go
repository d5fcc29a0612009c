package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// natsCluster starts three NATS servers clustered with JetStream, as a
// district runs them, and returns their client URLs.
func natsCluster(t *testing.T) string {
	t.Helper()
	var urls string
	onOtherPorts(t, func() (err error) { urls, err = tryNATSCluster(t); return err })
	return urls
}

// errPortTaken: a port found free was taken by another process before
// the server bound it.
var errPortTaken = errors.New("a port was taken before the server bound it")

// onOtherPorts runs start, and again on other ports (three times in all
// at most) while it fails with errPortTaken; any other failure, or the
// third, fails the test.
func onOtherPorts(t *testing.T, start func() error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := start()
		if err == nil {
			return
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			t.Fatal(err)
		}
		t.Logf("%v\nstarting the NATS cluster again on other ports", err)
	}
}

func tryNATSCluster(t *testing.T) (string, error) {
	var routes, clients []string
	ports := make([][2]int, 3)
	for i := range ports {
		ports[i] = [2]int{freePort(t), freePort(t)}
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i][1]))
		clients = append(clients, fmt.Sprintf("nats://127.0.0.1:%d", ports[i][0]))
	}
	var srvs []*server.Server
	stop := func() {
		for _, s := range srvs {
			s.Shutdown()
			s.WaitForShutdown()
		}
	}
	for i, p := range ports {
		opts := &server.Options{
			ServerName: fmt.Sprintf("nats-%d", i+1), Host: "127.0.0.1", Port: p[0],
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "classhub", Host: "127.0.0.1", Port: p[1]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			stop()
			return "", err
		}
		s.Start()
		srvs = append(srvs, s)
		// Its client and route listeners are up, or a port was taken.
		if !s.ReadyForConnections(10 * time.Second) {
			stop()
			return "", fmt.Errorf("%w: nats-%d did not listen on ports %d and %d", errPortTaken, i+1, p[0], p[1])
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, s := range srvs {
		for !s.JetStreamIsCurrent() || !s.JetStreamIsClustered() {
			if time.Now().After(deadline) {
				t.Fatal("the NATS cluster did not form within 30s")
			}
			<-tick.C
		}
	}
	return strings.Join(clients, ","), nil
}

// Three nodes started at the same moment on a new cluster all come up:
// each creates the same buckets and streams, which a JetStream cluster
// may leave unanswered for the nodes that lose the race. Then nothing
// started without --replicas, or with fewer, scales the stores down.
func TestClusterNodes(t *testing.T) {
	urls := natsCluster(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	procs := make([]*proc, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = launchServer(t, 90*time.Second, t.TempDir(), "--nats", urls, "--replicas", "3", "--node", fmt.Sprintf("node-%d", i+1))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i+1, err)
		}
	}
	if t.Failed() {
		return
	}
	for i, p := range procs {
		if status, body := get(t, http.DefaultClient, p.url+"/readyz"); status != 200 {
			t.Errorf("node %d: /readyz %d %s", i+1, status, body)
		}
		if !strings.Contains(p.out, "teacher add --nats "+urls+" --replicas 3") {
			t.Errorf("node %d does not tell how to add a teacher on the cluster:\n%s", i+1, p.out)
		}
	}

	// An admin command and a node without --replicas take the cluster's.
	var errs2 bytes.Buffer
	if err := run(context.Background(), []string{"teacher", "add", "--nats", urls, "--email", "lee@school.example", "--name", "Ms Lee"},
		strings.NewReader("correct horse battery\n"), io.Discard, &errs2); err != nil {
		t.Fatalf("teacher add without --replicas: %v %s", err, errs2.String())
	}
	s4 := startServerWith(t, t.TempDir(), "--nats", urls, "--node", "node-4")
	if status, body := get(t, http.DefaultClient, s4.url+"/readyz"); status != 200 {
		t.Errorf("a node without --replicas: /readyz %d %s", status, body)
	}
	nc, err := nats.Connect(urls)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	n := 0
	for name := range names.Name() {
		n++
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas after a command and a node without --replicas, want 3", name, r)
		}
	}
	if n < 10 {
		t.Errorf("the cluster has %d streams, want the buckets and the logs", n)
	}

	// Fewer than the cluster keeps is refused, before anything is opened.
	_, err = launchServer(t, 30*time.Second, t.TempDir(), "--nats", urls, "--replicas", "1", "--node", "node-5")
	if err == nil || !strings.Contains(err.Error(), "--replicas 1 is fewer than the 3") {
		t.Errorf("a node with --replicas 1 on a cluster of 3: %v", err)
	}
}
