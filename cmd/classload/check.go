package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// check closes the run and checks every device's events. Every device
// is connected again where it is not; each class's teacher announces
// its end, a class-wide event every device must receive; once it has,
// each device's connection is replaced by one that resumes from the
// offset the device first joined at, and the server replays what its log
// holds for that device: what was sent to its audience. The device's own
// stream is checked against that replay. Then the classes end.
func (s *sim) check(ctx context.Context) (checked, unverified int, total streamCheck) {
	var done atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(s.o.progress)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				progressf(s.o.stderr, "checked %d of %d classes", done.Load(), len(s.classes))
			}
		}
	}()
	var mu sync.Mutex
	sem := make(chan struct{}, s.o.workers)
	var wg sync.WaitGroup
	for _, cl := range s.classes {
		wg.Add(1)
		sem <- struct{}{}
		go asLoad(ctx, func(ctx context.Context) {
			defer wg.Done()
			defer func() { <-sem }()
			c, u, t := cl.check(ctx)
			done.Add(1)
			mu.Lock()
			checked, unverified = checked+c, unverified+u
			total.Lost += t.Lost
			total.Duplicated += t.Duplicated
			total.Unexpected += t.Unexpected
			mu.Unlock()
		})
	}
	wg.Wait()
	return checked, unverified, total
}

func (cl *simClass) devices() []*device {
	var ds []*device
	for _, d := range append([]*device{cl.teacher}, cl.students...) {
		if d.joined {
			ds = append(ds, d)
		}
	}
	return ds
}

func (cl *simClass) check(ctx context.Context) (checked, unverified int, total streamCheck) {
	s := cl.s
	ds := cl.devices()
	for _, d := range ds {
		if d.isDown() {
			if err := d.reconnect(ctx); err != nil {
				s.fail("reconnect_for_check")
			}
		}
	}
	// Not timed: the run is over, and devices are reconnecting.
	text := fmt.Sprintf("Class %d: that is all for today.", cl.i+1)
	raw, err := cl.teacher.call(ctx, protocol.MsgAnnounce, protocol.Announce{Text: text})
	if err != nil {
		progressf(s.o.stderr, "class %d: the closing announcement: %v; its devices are not checked", cl.i+1, err)
		return 0, len(ds), total
	}
	var res struct{ Seq uint64 }
	_ = json.Unmarshal(raw, &res)
	cl.end = res.Seq

	// Every device gets the closing announcement, or the check counts it
	// lost: wait for it a generous while. A device whose connection the
	// server closed meanwhile reconnects and resumes, as it would.
	deadline := time.Now().Add(60 * time.Second)
	for _, d := range ds {
		for time.Now().Before(deadline) && ctx.Err() == nil {
			d.mu.Lock()
			got := d.offset >= cl.end
			d.mu.Unlock()
			if got {
				break
			}
			if d.isDown() {
				rctx, cancel := context.WithDeadline(ctx, deadline)
				if d.reconnect(rctx) != nil {
					s.fail("reconnect_for_check")
				}
				cancel()
				continue
			}
			_ = sleep(ctx, 50*time.Millisecond)
		}
	}

	for _, d := range ds {
		ws, expected, types, err := d.audit(ctx, cl.end)
		// A busy server may answer the hello with unavailable: try
		// again, as a device does.
		for back := time.Second; errCode(err) == protocol.CodeUnavailable && back <= 16*time.Second; back *= 2 {
			if ws != nil {
				_ = ws.CloseNow()
			}
			s.fail("check_retried")
			if sleep(ctx, back) != nil {
				break
			}
			ws, expected, types, err = d.audit(ctx, cl.end)
		}
		if ws != nil && d.idx == 0 {
			cl.endClass(ctx, ws)
		}
		if ws != nil {
			_ = ws.CloseNow()
		}
		d.mu.Lock()
		reset, seqs, first := d.reset, d.seqs, d.first
		d.mu.Unlock()
		if err != nil || reset {
			if err != nil {
				s.say("unchecked", "class %d device %d: not checked: %v", cl.i+1, d.idx, err)
			}
			unverified++
			continue
		}
		d.audited = expected
		c := checkStream(seqs, expected, first, cl.end)
		if c != (streamCheck{}) {
			d.mu.Lock()
			history := strings.Join(d.history, ", ")
			d.mu.Unlock()
			s.say("check", "class %d device %d: %d lost, %d duplicated, %d unexpected; lost %s; its connections (resumed from → welcome offset): %s",
				cl.i+1, d.idx, c.Lost, c.Duplicated, c.Unexpected, describe(missing(seqs, expected, first, cl.end), types), history)
		}
		checked++
		total.Lost += c.Lost
		total.Duplicated += c.Duplicated
		total.Unexpected += c.Unexpected
	}
	return checked, unverified, total
}

// errNotResumed is a check the server could not replay (too many events
// since the device joined, or the log was replaced).
var errNotResumed = errors.New("the server did not resume from the device's first offset")

// audit replaces the device's connection with one that resumes from the
// offset it first joined at, and reads the replay up to upTo: the seqs
// the server's log holds for this device. It returns the connection,
// welcomed, for the caller to use and close.
func (d *device) audit(ctx context.Context, upTo uint64) (*websocket.Conn, []uint64, map[uint64]protocol.EventType, error) {
	d.drop()
	actx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(actx, d.s.wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, nil, nil, err
	}
	ws.SetReadLimit(64 << 20)
	d.mu.Lock()
	hello := protocol.Hello{Token: d.token, Room: d.room, Resume: &protocol.Resume{Epoch: d.epoch, Offset: d.first}}
	d.mu.Unlock()
	if err := writeFrame(actx, ws, d.prefix+"audit", protocol.MsgHello, hello); err != nil {
		return ws, nil, nil, err
	}
	var expected []uint64
	types := map[uint64]protocol.EventType{}
	welcomed := false
	for {
		_, b, err := ws.Read(actx)
		if err != nil {
			return ws, nil, nil, err
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		switch f.Type {
		case protocol.FrameError:
			return ws, nil, nil, fmt.Errorf("hello: %w", f.Error)
		case protocol.FrameWelcome:
			var w protocol.Welcome
			if err := json.Unmarshal(f.Data, &w); err != nil || !w.Resumed {
				return ws, nil, nil, errNotResumed
			}
			welcomed = true
		case protocol.FrameEvent:
			if !welcomed {
				continue
			}
			if f.Seq <= upTo {
				expected = append(expected, f.Seq)
				types[f.Seq] = f.Event
			}
			if f.Seq >= upTo {
				return ws, expected, types, nil
			}
		}
	}
}

// endClass ends the class on the teacher's connection, so that a server
// that was loaded keeps no open class of the load.
func (cl *simClass) endClass(ctx context.Context, ws *websocket.Conn) {
	ectx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	if writeFrame(ectx, ws, cl.teacher.prefix+"end", protocol.MsgEndClass, protocol.EndClass{}) != nil {
		return
	}
	for {
		_, b, err := ws.Read(ectx)
		if err != nil {
			cl.s.fail("end_class")
			return
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) == nil && f.ID == cl.teacher.prefix+"end" {
			if f.Type == protocol.FrameError {
				cl.s.refused(f.Error.Code)
			}
			return
		}
	}
}

// missing is the seqs in (after, upTo] that expected holds and received
// does not.
func missing(received, expected []uint64, after, upTo uint64) []uint64 {
	got := map[uint64]bool{}
	for _, s := range received {
		got[s] = true
	}
	var out []uint64
	for _, s := range expected {
		if s > after && s <= upTo && !got[s] {
			out = append(out, s)
		}
	}
	return out
}

// describe names the seqs and their events, the first ten.
func describe(seqs []uint64, types map[uint64]protocol.EventType) string {
	var parts []string
	for i, s := range seqs {
		if i == 10 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%d (%s)", s, types[s]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
