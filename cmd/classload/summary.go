package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// streamCheck is what one device's event stream came to against what the
// server says that device's audience was sent.
type streamCheck struct {
	Lost       int // expected and never received
	Duplicated int // received more than once
	Unexpected int // received, but not for this device by the server's record
}

// checkStream compares the seqs a device received, in the order it
// received them, with the seqs the server's log holds for it (the
// resumed replay of everything since the device first joined). Only seqs
// in (after, upTo] count: before, the device's snapshot held the class;
// after, the run was over. Each extra copy of a seq is a duplicate,
// however far apart the copies; a seq the record does not hold for this
// device is unexpected (a privacy fault, not a loss).
func checkStream(received, expected []uint64, after, upTo uint64) streamCheck {
	var c streamCheck
	seen := make(map[uint64]int, len(received))
	for _, s := range received {
		if s <= after || s > upTo {
			continue
		}
		if seen[s]++; seen[s] > 1 {
			c.Duplicated++
		}
	}
	want := make(map[uint64]bool, len(expected))
	for _, s := range expected {
		if s <= after || s > upTo {
			continue
		}
		want[s] = true
		if seen[s] == 0 {
			c.Lost++
		}
	}
	for s := range seen {
		if !want[s] {
			c.Unexpected++
		}
	}
	return c
}

// latencies is a set of samples, safe for concurrent use.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) snapshot() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.d)
}

// Percentiles are latency figures in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func percentiles(d []time.Duration) *Percentiles {
	if len(d) == 0 {
		return nil
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return ms(s[max(0, min(len(s)-1, i))])
	}
	return &Percentiles{N: len(s), P50: at(50), P90: at(90), P99: at(99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

// cpuMeter profiles this process's CPU and splits it by the side label:
// the server's goroutines (serverLabel) from the rest.
type cpuMeter struct {
	buf   bytes.Buffer
	start time.Time
	on    bool
	save  string // a file to write the profile to
}

func startCPU(save string) *cpuMeter {
	m := &cpuMeter{start: time.Now(), save: save}
	m.on = pprof.StartCPUProfile(&m.buf) == nil
	return m
}

// CPU is the process's CPU time over a phase, in seconds.
type CPU struct {
	Server float64 `json:"server_s"` // goroutines of the server and all they started, nats-server's included
	Load   float64 `json:"load_s"`   // the simulated devices
	Other  float64 `json:"other_s"`  // the runtime's own (garbage collector's background work, timers), shared
}

func (m *cpuMeter) stop() (*CPU, error) {
	if !m.on {
		return nil, fmt.Errorf("the CPU profile is in use")
	}
	pprof.StopCPUProfile()
	if m.save != "" {
		if err := os.WriteFile(m.save, m.buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	p, err := profile.Parse(&m.buf)
	if err != nil {
		return nil, err
	}
	var c CPU
	vi := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			vi = i
		}
	}
	if vi < 0 {
		return nil, fmt.Errorf("no cpu samples in the profile")
	}
	for _, s := range p.Sample {
		sec := float64(s.Value[vi]) / 1e9
		// nats-server labels some goroutines of its own (a stream's,
		// "stream" and "account"), replacing the label they inherited:
		// every labelled sample that is not the load's is the server's.
		switch side := s.Label["side"]; {
		case len(side) > 0 && side[0] == "load":
			c.Load += sec
		case len(s.Label) > 0:
			c.Server += sec
		default:
			c.Other += sec
		}
	}
	c.Server, c.Load, c.Other = round3(c.Server), round3(c.Load), round3(c.Other)
	return &c, nil
}

// liveBytes is the memory of live heap objects and goroutine stacks,
// after a collection.
func liveBytes() float64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	var b float64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			b += float64(x.Value.Uint64())
		}
	}
	return b
}

// loadLabel marks the simulated devices' goroutines.
var loadLabel = pprof.Labels("side", "load")

func asLoad(ctx context.Context, f func(context.Context)) { pprof.Do(ctx, loadLabel, f) }
