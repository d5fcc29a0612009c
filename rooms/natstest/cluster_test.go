package natstest

import (
	"testing"
	"time"
)

// TestClusterCrash checks that the links know both ends of every route,
// that a crash cuts a server off at once, and that it comes back.
func TestClusterCrash(t *testing.T) {
	c := StartCluster(t, 3)
	c.links.mu.Lock()
	n := len(c.links.conns)
	for k := range c.links.conns {
		if k.from < 0 || k.from == k.to {
			t.Errorf("a route from %d to %d", k.from, k.to)
		}
	}
	c.links.mu.Unlock()
	if n == 0 {
		t.Fatal("no route goes through the links")
	}
	routes := c.Server(0).NumRoutes()
	c.Crash(1)
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for c.Server(0).NumRoutes() >= routes {
		select {
		case <-deadline.C:
			t.Fatalf("s0 still has %d routes after s1 crashed", c.Server(0).NumRoutes())
		case <-tick.C:
		}
	}
	c.links.mu.Lock()
	for k := range c.links.conns {
		if k.from == 1 || k.to == 1 {
			t.Errorf("a route from %d to %d outlived the crash", k.from, k.to)
		}
	}
	c.links.mu.Unlock()
	c.Start(1)
	c.WaitReady()
	c.WaitInSync()
	t.Logf("%d route connections, s0 had %d routes", n, routes)
}
