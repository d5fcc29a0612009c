package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The appends load runs both layouts on real embedded JetStream servers
// and reports every append it made.
func TestAppendsBothLayouts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"appends", "--classes", "5", "--rate", "10", "--duration", "1s", "--layout", "both"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), out.String())
	}
	var old, cur appendResult
	if err := json.Unmarshal([]byte(lines[0]), &old); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &cur); err != nil {
		t.Fatal(err)
	}
	if old.Layout != "old" || old.Streams != 5 {
		t.Errorf("old layout: got %s with %d streams, want old with 5", old.Layout, old.Streams)
	}
	if cur.Layout != "new" || cur.Streams != 4 {
		t.Errorf("new layout: got %s with %d streams, want new with 4", cur.Layout, cur.Streams)
	}
	for _, r := range []appendResult{old, cur} {
		// 5 classes at 10 a second for a second, less what a busy
		// machine may delay.
		if r.Appends < 25 || r.Appends > 50 || r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
			t.Errorf("%s layout: %d appends, p50 %v ms, p99 %v ms", r.Layout, r.Appends, r.P50Ms, r.P99Ms)
		}
	}
	if cur.RatioToOld == nil || cur.RatioToOld.Throughput <= 0 {
		t.Errorf("new layout: no ratio to the old one: %s", lines[1])
	}
}

func TestAppendsRefusesAnUnknownLayout(t *testing.T) {
	err := run(context.Background(), []string{"appends", "--layout", "sideways"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Fatalf("got %v, want an error naming the layout", err)
	}
}

// hold builds and runs the real binary: a few classes, a restart, and
// the figures of a node that holds them.
func TestHold(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	data := t.TempDir()
	// --quiet: the actor of a class stops once the class has ended, but
	// after its answer (it saves a snapshot and gives its lease back
	// first), so a node read right after the last end may still count a
	// few; hold waits until none runs, and fails if that takes minutes.
	if err := run(ctx, []string{"hold", "--classes", "3", "--data", data, "--quiet"}, &out); err != nil {
		t.Fatal(err)
	}
	var res holdResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// An ended class holds no actor, even before the restart: those
	// still stopping when the node was read stopped (the quiet figures).
	if res.Classes != 3 || res.RunningActors > 3 {
		t.Errorf("got %d classes with %d actors while running, want 3 and at most 3", res.Classes, res.RunningActors)
	}
	if res.RunningActors > 0 && res.QuietGoroutines <= 0 {
		t.Errorf("%d actors running after the classes ended, and no figures once they stopped: %s", res.RunningActors, out.String())
	}
	if res.ReadySeconds <= 0 || res.IdleRSSMiB <= 0 || res.Goroutines <= 0 || res.OpenFiles <= 0 {
		t.Errorf("figures missing after the restart: %s", out.String())
	}
	// The shared layout: 4 log streams, whatever the number of classes.
	if res.LogStreams != 4 || res.Actors != 0 {
		t.Errorf("after the restart: %d log streams and %d actors, want 4 and 0", res.LogStreams, res.Actors)
	}
	if err := run(ctx, []string{"hold", "--classes", "1", "--data", data}, &out); err == nil {
		t.Error("hold ran on a data folder that was not fresh")
	}
}
