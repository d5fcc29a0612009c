package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the progress line and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// simRun runs the default mode with args and returns its summary and
// what it wrote to stderr.
func simRun(t *testing.T, args ...string) (Summary, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr syncBuffer
	o, err := parseSim(args, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := simulate(ctx, o, &out); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Fatalf("the summary is %d lines, want one:\n%s", n, out.String())
	}
	var sum Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return sum, stderr.String()
}

// A short run of the default mode on a server in this process: every
// device joins, every event the server's log holds for a device reached
// it once, answers reach the console and announcements every device.
func TestRunInProcess(t *testing.T) {
	sum, stderr := simRun(t, "--classes", "2", "--students", "5", "--duration", "10s", "--ramp", "2s",
		"--think", "400ms", "--announce-every", "1s", "--rotate-every", "2s", "--reconnect-every", "3s", "--progress", "1s")
	t.Logf("stderr:\n%s", stderr)
	if sum.Mode != "classhub" || sum.Target != "in-process" || sum.Devices != 12 || sum.Connected != 12 {
		t.Errorf("mode %q on %q with %d of %d devices connected, want classhub in-process with 12 of 12", sum.Mode, sum.Target, sum.Connected, sum.Devices)
	}
	if sum.Checked != 12 || sum.Unverified != 0 {
		t.Errorf("%d devices checked and %d not, want all 12 checked", sum.Checked, sum.Unverified)
	}
	if sum.Lost != 0 || sum.Duplicated != 0 || sum.Unexpected != 0 {
		t.Errorf("lost %d, duplicated %d, unexpected %d; want none", sum.Lost, sum.Duplicated, sum.Unexpected)
	}
	if sum.Events <= 0 || sum.Reconnects <= 0 {
		t.Errorf("%d events delivered and %d reconnects, want some of each", sum.Events, sum.Reconnects)
	}
	for name, p := range map[string]*Percentiles{"connect": sum.Connect, "answer → teacher": sum.AnswerToTeacher, "class-wide": sum.ClassWide} {
		if p == nil || p.N == 0 || p.P50 <= 0 || p.P99 < p.P50 || p.Max < p.P99 {
			t.Errorf("%s latencies: %+v", name, p)
		}
	}
	if sum.Connect != nil && sum.Connect.N != 12 {
		t.Errorf("%d connect times, want one per device", sum.Connect.N)
	}
	if sum.Server == nil || sum.Server.Source != "profile" || sum.Server.Split == nil {
		t.Errorf("no server figures from the profile: %+v", sum.Server)
	}
	if !strings.Contains(stderr, "devices 12/12") || !strings.Contains(stderr, "events/s") {
		t.Errorf("no progress line with every device connected on stderr")
	}
}

// The baseline carries the run's messages through nats-server's
// WebSocket listener to as many connections, and the summary gives its
// figures and the ratios.
func TestRunBaselineNATS(t *testing.T) {
	sum, stderr := simRun(t, "--classes", "1", "--students", "3", "--duration", "12s", "--ramp", "1s",
		"--think", "400ms", "--announce-every", "1s", "--rotate-every", "0", "--reconnect-every", "0", "--baseline", "nats")
	if sum.AnswerToTeacher == nil || sum.ClassWide == nil {
		t.Fatalf("the classhub run timed no answer or no announcement: %+v, %+v\n%s", sum.AnswerToTeacher, sum.ClassWide, stderr)
	}
	b := sum.Baseline
	if b == nil || sum.Ratio == nil {
		t.Fatalf("no baseline or no ratios in the summary\n%s", stderr)
	}
	if b.Mode != "nats" || b.Devices != 4 || b.Connected != 4 || b.Checked != 4 {
		t.Errorf("baseline: mode %q, %d of %d devices connected, %d checked; want nats, 4, 4, 4", b.Mode, b.Connected, b.Devices, b.Checked)
	}
	if b.Lost != 0 || b.Duplicated != 0 || b.Unexpected != 0 || b.Events <= 0 {
		t.Errorf("baseline: lost %d, duplicated %d, unexpected %d, delivered %d", b.Lost, b.Duplicated, b.Unexpected, b.Events)
	}
	if b.AnswerToTeacher == nil || b.ClassWide == nil || b.ClassWide.N == 0 {
		t.Errorf("baseline latencies missing: answer %+v, class-wide %+v", b.AnswerToTeacher, b.ClassWide)
	}
	// The baseline is sent what the classhub devices were sent, less
	// the closing of the run.
	if b.Events > sum.Events+int64(sum.Devices) {
		t.Errorf("the baseline delivered %d events, classhub %d", b.Events, sum.Events)
	}
	if sum.Ratio.ClassWideP50 <= 0 || sum.Ratio.AnswerP50 <= 0 {
		t.Errorf("ratios missing: %+v", sum.Ratio)
	}
}

// The check finds each event a device missed and each it got twice,
// and only within the range checked.
func TestCheckStreamFindsGapsAndRepeats(t *testing.T) {
	expected := []uint64{3, 4, 5, 7, 8, 9, 10, 12}
	for _, tc := range []struct {
		name     string
		received []uint64
		want     streamCheck
	}{
		{"whole", []uint64{3, 4, 5, 7, 8, 9, 10, 12}, streamCheck{}},
		{"a gap", []uint64{3, 4, 5, 9, 10, 12}, streamCheck{Lost: 2}},
		{"a repeat", []uint64{3, 4, 5, 7, 8, 8, 9, 10, 12}, streamCheck{Duplicated: 1}},
		{"a resume that replayed too much", []uint64{3, 4, 5, 7, 8, 4, 5, 7, 8, 9, 10, 12}, streamCheck{Duplicated: 4}},
		{"a gap and a repeat", []uint64{3, 4, 4, 7, 8, 9, 12}, streamCheck{Lost: 2, Duplicated: 1}},
		{"another's event", []uint64{3, 4, 5, 6, 7, 8, 9, 10, 12}, streamCheck{Unexpected: 1}},
		{"outside the range", []uint64{1, 2, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 13}, streamCheck{}},
	} {
		if got := checkStream(tc.received, expected, 2, 12); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	t.Setenv("CLASSLOAD_EMAIL", "")
	t.Setenv("CLASSLOAD_PASSWORD", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--classes", "0"}, "--classes"},
		{[]string{"--students", "-1"}, "--students"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--ramp", "2m"}, "--ramp"},
		{[]string{"--hints", "1.5"}, "--hints"},
		{[]string{"--baseline", "centrifugo"}, "centrifugo"},
		{[]string{"--baseline-url", "ws://localhost:8080"}, "--baseline nats"},
		{[]string{"--url", "localhost:8080"}, "--url"},
		{[]string{"--url", "http://localhost:8080"}, "--email"},
		{[]string{"--admin-url", "http://localhost:9090"}, "--url"},
		{[]string{"--classes", "ten"}, "classes"},
		{[]string{"extra"}, "extra"},
	} {
		err := run(context.Background(), append([]string{"run"}, tc.args...), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
