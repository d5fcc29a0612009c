package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/classhub/classhub/rooms/natstest"
)

// A node that loses its NATS says so to the operator and the load
// balancer: /readyz fails, naming NATS, and the log says it; it comes
// back ready once NATS is back.
func TestReadyzFailsWithoutNATS(t *testing.T) {
	dir := t.TempDir()
	ns := natstest.StartIn(t, dir)
	url := ns.ClientURL()
	s := startServerWith(t, t.TempDir(), "--nats", url)
	if status, body := get(t, http.DefaultClient, s.url+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz with NATS: %d %s", status, body)
	}

	port := ns.Addr().(*net.TCPAddr).Port
	ns.Stop()
	var body string
	waitFor(t, 30*time.Second, "/readyz to fail without NATS", func() bool {
		var status int
		status, body = get(t, http.DefaultClient, s.url+"/readyz")
		return status == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "NATS") && !strings.Contains(body, "JetStream") {
		t.Fatalf("/readyz without NATS says %s, which names neither NATS nor JetStream", body)
	}
	// /readyz may fail on its JetStream check before the client notices
	// the connection is gone and the log says so.
	waitFor(t, 30*time.Second, "the log to say NATS was lost", func() bool {
		return strings.Contains(s.logs.String(), "NATS disconnected")
	})
	// The WebSocket endpoint refuses new devices before the upgrade.
	res, err := http.Get(s.url + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("/ws without NATS: %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}

	// NATS back on its data and its port: ready again.
	natstest.StartWith(t, dir, func(o *server.Options) { o.Port = port })
	waitFor(t, 60*time.Second, "/readyz to pass once NATS is back", func() bool {
		status, _ := get(t, http.DefaultClient, s.url+"/readyz")
		return status == http.StatusOK
	})
}
