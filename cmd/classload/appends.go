package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// appendResult is what appends prints for one layout: one JSON line.
type appendResult struct {
	Layout       string  `json:"layout"`
	Classes      int     `json:"classes"`
	Rate         float64 `json:"rate_per_class"`
	Shards       int     `json:"shards,omitempty"`
	Streams      int     `json:"log_streams"`
	SetupSeconds float64 `json:"setup_seconds"` // the streams made and each class's first event
	Seconds      float64 `json:"seconds"`
	Appends      int     `json:"appends"`
	Target       float64 `json:"target_per_second"`
	Throughput   float64 `json:"appends_per_second"`
	Missed       int     `json:"missed"` // appends not sent at their time because the one before was still in flight
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	RatioToOld   *ratios `json:"new_over_old,omitempty"`
	Load         float64 `json:"load1"` // the machine's load average at the end: others' work shows here
}

type ratios struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
}

// appends times class log appends on an embedded JetStream, as a node
// with o.classes live classes makes them: each class appends o.rate
// events a second, one at a time (a room's actor waits for each append
// before its next step), every append fenced. The old layout is a stream
// per class fenced on the stream's last sequence; the new one is
// o.shards shared streams with a subject per class, fenced on the
// subject's last sequence (rooms/log.go). Each layout runs on a server of
// its own, on a fresh folder.
func appends(ctx context.Context, o options, out io.Writer) error {
	var layouts []string
	switch o.layout {
	case "old", "new":
		layouts = []string{o.layout}
	case "both":
		layouts = []string{"old", "new"}
	default:
		return fmt.Errorf("--layout %q: say old, new or both", o.layout)
	}
	if o.rate <= 0 || o.duration <= 0 || o.shards < 1 || o.shards > protocol.MaxLogShards {
		return fmt.Errorf("--rate and --duration must be positive, --shards 1 to %d", protocol.MaxLogShards)
	}
	var old *appendResult
	for _, layout := range layouts {
		res, err := appendLoad(ctx, o, layout)
		if err != nil {
			return fmt.Errorf("%s layout: %w", layout, err)
		}
		if layout == "old" {
			old = res
		} else if old != nil {
			res.RatioToOld = &ratios{
				Throughput: round3(res.Throughput / old.Throughput),
				P50:        round3(res.P50Ms / old.P50Ms),
				P99:        round3(res.P99Ms / old.P99Ms),
			}
		}
		b, _ := json.Marshal(res)
		fmt.Fprintln(out, string(b))
		runtime.GC()
	}
	return nil
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// classLog is one class's log as its owner appends to it.
type classLog struct {
	subj  string
	last  uint64 // the class's offset of its last event
	fence uint64 // old: the stream's last sequence; new: the subject's
	lat   []time.Duration
	miss  int
}

func appendLoad(ctx context.Context, o options, layout string) (*appendResult, error) {
	dir, err := os.MkdirTemp("", "classload-appends-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		return nil, errors.New("embedded NATS did not start within 10s")
	}
	// In process, as classhub connects to its embedded server.
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}

	res := &appendResult{Layout: layout, Classes: o.classes, Rate: o.rate, Target: float64(o.classes) * o.rate}
	progress("%s layout: making the logs of %d classes", layout, o.classes)
	t0 := time.Now()
	logs := make([]*classLog, o.classes)
	if layout == "new" {
		res.Shards, res.Streams = o.shards, o.shards
		for i := range o.shards {
			if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
				Name:               protocol.LogStream(i),
				Subjects:           []string{protocol.LogShardSubjects(i)},
				Storage:            jetstream.FileStorage,
				Retention:          jetstream.LimitsPolicy,
				Discard:            jetstream.DiscardOld,
				Replicas:           1,
				AllowDirect:        true,
				AllowAtomicPublish: true,
				DenyDelete:         true,
			}); err != nil {
				return nil, fmt.Errorf("log stream %d: %w", i, err)
			}
		}
	}
	for i := range logs {
		room := protocol.RoomID(uuid.NewString())
		switch layout {
		case "old":
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
				Name:               protocol.LegacyStreamName(room),
				Subjects:           []string{protocol.LegacyLogSubject(room)},
				Storage:            jetstream.FileStorage,
				Retention:          jetstream.LimitsPolicy,
				Discard:            jetstream.DiscardOld,
				Replicas:           1,
				AllowDirect:        true,
				AllowAtomicPublish: true,
				Metadata:           map[string]string{"epoch": uuid.NewString(), "room": string(room)},
			}); err != nil {
				return nil, fmt.Errorf("stream of class %d: %w", i, err)
			}
			logs[i] = &classLog{subj: protocol.LegacyLogSubject(room)}
			res.Streams++
		case "new":
			h := fnv.New32a()
			h.Write([]byte(room))
			logs[i] = &classLog{subj: protocol.LogSubject(int(h.Sum32()%uint32(o.shards)), room, uuid.NewString())}
		}
		// A room's first event, as its actor appends when it starts.
		if _, err := logs[i].append(ctx, js, layout, protocol.EvOwnerChanged, protocol.OwnerChanged{Node: "classload"}); err != nil {
			return nil, err
		}
	}
	res.SetupSeconds = seconds(time.Since(t0))
	runtime.GC()

	progress("%s layout: %d classes appending %g events a second each for %v", layout, o.classes, o.rate, o.duration)
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	end := start.Add(o.duration)
	var wg sync.WaitGroup
	errs := make(chan error, len(logs))
	for i, l := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Classes do not step in unison.
			next := start.Add(rand.N(interval))
			for k := 0; ; k++ {
				if wait := time.Until(next); wait > 0 {
					time.Sleep(wait)
				}
				if !time.Now().Before(end) || ctx.Err() != nil {
					return
				}
				t := time.Now()
				_, err := l.append(ctx, js, layout, protocol.EvHand, protocol.Hand{Student: protocol.StudentID("s" + strconv.Itoa(k%30)), Raised: k%2 == 0})
				if err != nil {
					errs <- fmt.Errorf("class %d: %w", i, err)
					return
				}
				l.lat = append(l.lat, time.Since(t))
				next = next.Add(interval)
				// An append that overran its slot pushes the next ones back
				// rather than queueing a burst: the actor would be busy.
				for now := time.Now(); next.Before(now); next = next.Add(interval) {
					l.miss++
				}
			}
		}()
	}
	wg.Wait()
	res.Seconds = seconds(time.Since(start))
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var all []time.Duration
	for _, l := range logs {
		all = append(all, l.lat...)
		res.Missed += l.miss
	}
	if len(all) == 0 {
		return nil, errors.New("no append was made")
	}
	res.Appends = len(all)
	res.Throughput = round3(float64(len(all)) / o.duration.Seconds())
	ms := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	res.P50Ms, res.P99Ms, res.MaxMs = ms(pct(all, 50)), ms(pct(all, 99)), ms(pct(all, 100))
	res.Load = loadAverage()
	return res, nil
}

// append stores one event after the last, fenced as the layout fences:
// the old one on the stream's last sequence (which was the class's
// offset), the new one on the subject's last sequence.
func (l *classLog) append(ctx context.Context, js jetstream.JetStream, layout string, typ protocol.EventType, data any) (uint64, error) {
	raw, _ := json.Marshal(data)
	ev := protocol.Event{Seq: l.last + 1, Type: typ, Time: time.Now().UnixMilli(), Audience: protocol.Audience{Kind: protocol.AudAll}, Data: raw}
	b, err := json.Marshal(&ev)
	if err != nil {
		return 0, err
	}
	msg := nats.NewMsg(l.subj)
	msg.Data = b
	header := jetstream.ExpectedLastSubjSeqHeader
	if layout == "old" {
		header = jetstream.ExpectedLastSeqHeader
	}
	msg.Header.Set(header, strconv.FormatUint(l.fence, 10))
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ack, err := js.PublishMsg(actx, msg)
	if err != nil {
		return 0, fmt.Errorf("append at %d: %w", ev.Seq, err)
	}
	if layout == "old" && ack.Sequence != ev.Seq {
		return 0, fmt.Errorf("append at %d: stored at %d", ev.Seq, ack.Sequence)
	}
	if !strings.HasPrefix(ack.Stream, protocol.LegacyStreamPrefix) && layout == "old" {
		return 0, fmt.Errorf("append at %d: stored in %s", ev.Seq, ack.Stream)
	}
	l.last, l.fence = ev.Seq, ack.Sequence
	return ack.Sequence, nil
}
