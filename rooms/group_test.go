package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// Commands that wait in a class's inbox while it is busy go to the log
// together, in one atomic append, and each gets its own answer: every
// command once, offsets dense, retries answered from the log.
func TestWaitingCommandsShareAnAppend(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	names := make([]string, 12)
	for i := range names {
		names[i] = fmt.Sprintf("Student %d", i)
	}
	c := newClass(t, m, names...)
	hold, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	m.mu.Lock()
	m.trap = func(cmd protocol.Command) {
		if cmd.Type == protocol.MsgAnnounce {
			once.Do(func() { close(held); <-hold })
		}
	}
	m.mu.Unlock()
	r := m.local(c.id)
	before := batches(t, m)

	var wg sync.WaitGroup
	answers := make([]json.RawMessage, len(c.students))
	errs := make([]error, len(c.students))
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "hold on"})
	}()
	<-held // the actor is busy with the announcement
	for i, sid := range c.students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, _ := json.Marshal(protocol.RaiseHand{Note: "here"})
			answers[i], errs[i] = m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "h1", Actor: student(sid), Data: raw})
		}()
	}
	poll(t, "every hand waiting in the inbox", func() bool { return len(r.inbox) == len(c.students) })
	close(hold)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("hand %d: %v", i, err)
		}
	}
	after := batches(t, m)
	if after.count-before.count > 2+1 || after.max < float64(2*len(c.students)) {
		t.Fatalf("appends: %d more, largest bucket reached %v events; want the %d waiting hands (and their replies) in one append", after.count-before.count, after.max, len(c.students))
	}
	tv := c.view()
	hands := 0
	for _, st := range tv.Students {
		if st.Hand {
			hands++
		}
	}
	if hands != len(c.students) {
		t.Fatalf("%d hands up, want %d", hands, len(c.students))
	}
	var snap protocol.SnapshotResult
	raw, _ := c.teach(protocol.CmdSnapshot, nil)
	_ = json.Unmarshal(raw, &snap)
	evs, err := m.ReadLog(context.Background(), c.id, 1, snap.Offset)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("offset %d at position %d", ev.Seq, i)
		}
		if ev.Type == protocol.EvHand {
			n++
		}
	}
	if n != len(c.students) {
		t.Fatalf("%d hand events in the log, want %d", n, len(c.students))
	}
	// A retry of one of them is answered from the log and adds nothing.
	raw, _ = json.Marshal(protocol.RaiseHand{Note: "here"})
	again, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "h1", Actor: student(c.students[3]), Data: raw})
	if err != nil || string(again) != string(answers[3]) {
		t.Fatalf("retry: %s %v, first %s", again, err, answers[3])
	}
}

type batchStats struct {
	count uint64
	max   float64 // the upper bound of the highest bucket with an observation
}

func batches(t *testing.T, m *Manager) batchStats {
	t.Helper()
	var d dto.Metric
	if err := m.metrics.batch.Write(&d); err != nil {
		t.Fatal(err)
	}
	h := d.GetHistogram()
	out := batchStats{count: h.GetSampleCount()}
	prev := uint64(0)
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCount() > prev {
			out.max = b.GetUpperBound()
		}
		prev = b.GetCumulativeCount()
	}
	return out
}

// When the append of commands that share it fails, every one of them is
// answered with the error, none of them is in the state or the log, and
// the class goes on from what its log holds: a retry of each runs once.
func TestFailedSharedAppendAnswersEveryCommand(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Ana", "Ben", "Cleo", "Dev", "Eli", "Fay")
	hold, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	m.mu.Lock()
	m.trap = func(cmd protocol.Command) {
		if cmd.Type == protocol.MsgAnnounce {
			once.Do(func() { close(held); <-hold })
		}
	}
	m.mu.Unlock()
	r := m.local(c.id)
	before := c.view()
	var snap0 protocol.SnapshotResult
	raw0, _ := c.teach(protocol.CmdSnapshot, nil)
	_ = json.Unmarshal(raw0, &snap0)

	var wg sync.WaitGroup
	errs := make([]error, len(c.students))
	var annErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, annErr = c.teach(protocol.MsgAnnounce, protocol.Announce{Text: "stored"})
	}()
	<-held
	hand := func(i int) error {
		raw, _ := json.Marshal(protocol.RaiseHand{Note: "here"})
		_, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "h1", Actor: student(c.students[i]), Data: raw})
		return err
	}
	for i := range c.students {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = hand(i) }()
	}
	poll(t, "every hand waiting in the inbox", func() bool { return len(r.inbox) == len(c.students) })
	// The announcement's append goes through; the next, the hands', fails.
	var tries int
	m.logs.fault = func(context.Context) (bool, error) {
		tries++
		if tries == 2 {
			return false, errors.New("the disk failed")
		}
		return false, nil
	}
	close(hold)
	wg.Wait()
	if annErr != nil {
		t.Fatalf("the announcement before the failure: %v", annErr)
	}
	for i, err := range errs {
		if err == nil || protocol.ErrorOf(err).Code != protocol.CodeInternal {
			t.Fatalf("hand %d in the failed append: %v, want internal", i, err)
		}
	}
	m.logs.fault = nil
	after := c.view()
	for _, st := range after.Students {
		if st.Hand {
			t.Fatalf("%s's hand is up though its append failed", st.Name)
		}
	}
	if len(after.Announcements) != len(before.Announcements)+1 {
		t.Fatalf("%d announcements, want %d", len(after.Announcements), len(before.Announcements)+1)
	}
	var snap protocol.SnapshotResult
	raw, _ := c.teach(protocol.CmdSnapshot, nil)
	_ = json.Unmarshal(raw, &snap)
	evs, err := m.ReadLog(context.Background(), c.id, 1, snap.Offset)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != snap.Offset {
		t.Fatalf("the log holds %d events, the state is at %d", len(evs), snap.Offset)
	}
	for _, ev := range evs[snap0.Offset:] {
		if ev.Type == protocol.EvHand {
			t.Fatalf("a hand of the failed append is in the log at %d", ev.Seq)
		}
	}
	// Each retry, with its request ID, now runs: nothing of it was kept.
	for i := range c.students {
		if err := hand(i); err != nil {
			t.Fatalf("retry of hand %d: %v", i, err)
		}
	}
	hands := 0
	for _, st := range c.view().Students {
		if st.Hand {
			hands++
		}
	}
	if hands != len(c.students) {
		t.Fatalf("%d hands up after the retries, want %d", hands, len(c.students))
	}
}
