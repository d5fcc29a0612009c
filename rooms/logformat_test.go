package rooms

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// What a log message holds (log.go, HeaderEvents): a step's events in one
// message, and logs written by earlier releases (an event a message, a
// step of several as an atomic batch) read exactly as before.

// writeOldWay appends evs to l as releases before multi-event messages
// did: a step of one event as one message fenced on the subject's last
// sequence, a step of several as an atomic batch of one message each.
// steps gives the sizes of the steps in turn, round and round.
func writeOldWay(t *testing.T, js jetstream.JetStream, l *roomLog, evs []protocol.Event, steps []int) {
	t.Helper()
	ctx := context.Background()
	nc := js.Conn()
	for i, s := 0, 0; i < len(evs); s++ {
		step := evs[i:min(i+steps[s%len(steps)], len(evs))]
		i += len(step)
		batch := uuid.NewString()
		for k, ev := range step {
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			msg := nats.NewMsg(l.subj)
			msg.Data = b
			if k == 0 {
				msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(l.fence, 10))
			}
			if len(step) == 1 {
				ack, err := js.PublishMsg(ctx, msg)
				if err != nil {
					t.Fatalf("old append at %d: %v", ev.Seq, err)
				}
				l.fence = ack.Sequence
				continue
			}
			msg.Header.Set("Nats-Batch-Id", batch)
			msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(k+1))
			if k < len(step)-1 {
				if err := nc.PublishMsg(msg); err != nil {
					t.Fatal(err)
				}
				continue
			}
			msg.Header.Set("Nats-Batch-Commit", "1")
			resp, err := nc.RequestMsg(msg, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var ack struct {
				Seq   uint64          `json:"seq"`
				Count int             `json:"count"`
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(resp.Data, &ack); err != nil || ack.Error != nil || ack.Count != len(step) {
				t.Fatalf("old batch at %d: %s %v", step[0].Seq, resp.Data, err)
			}
			l.fence = ack.Seq
		}
		l.last = step[len(step)-1].Seq
	}
}

// TestOldLogsReadTheSame: a class's log written the way earlier releases
// wrote it (an event a message, steps of several as atomic batches) loads
// to the same state for every viewer, reads the same from any offset, and
// goes on at the next offset with messages of the new kind after the old.
func TestOldLogsReadTheSame(t *testing.T) {
	ctx := context.Background()
	sc := newScratch(t)
	_, evs, people := sc.class("Old class", 4, 40)

	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ls, err := openLogStore(ctx, js, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := &legacyClass{name: "written the old way", room: protocol.NewRoomID(), epoch: uuid.NewString(), evs: evs, kept: 1, viewers: people}
	p := logPointer{Epoch: c.epoch, Shard: ls.shardOf(c.room)}
	if _, err := ls.setPointer(ctx, c.room, p, 0); err != nil {
		t.Fatal(err)
	}
	writeOldWay(t, js, ls.at(c.room, p.Shard, p.Epoch), evs, []int{1, 3, 1, 2, 5})
	info, err := ls.shards[p.Shard].Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(evs)) {
		t.Fatalf("the old way stored %d messages for %d events", info.State.Msgs, len(evs))
	}

	nc2, js2 := ns.Connect(t)
	m := newManager(t, nc2, js2, "node-new")
	for from := uint64(0); from <= c.last()+1; from += 7 {
		got, err := m.ReadLog(ctx, c.room, from, c.last()+3)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, fmt.Sprintf("old log from %d", from), got, evs[max(from, 1)-1:])
	}
	checkLoads(t, m, c, c.epoch)
	// The new owner's steps are messages of the new kind after the old:
	// a command with a request ID is its event and its stored reply, in
	// one message.
	before, err := ls.shards[p.Shard].Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(protocol.Announce{Text: "one message"})
	if _, err := m.Do(ctx, protocol.Command{Room: c.room, Type: protocol.MsgAnnounce, ReqID: "r1", Actor: teacher(teacherA), Data: raw, Conn: "c1"}); err != nil {
		t.Fatal(err)
	}
	after, err := ls.shards[p.Shard].Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := m.ReadLog(ctx, c.room, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-2:]
	if after.State.Msgs != before.State.Msgs+1 || last[0].Type != protocol.EvAnnouncement || last[1].Type != protocol.EvReply {
		t.Fatalf("an announcement with its reply took %d messages and ended the log with %s, %s", after.State.Msgs-before.State.Msgs, last[0].Type, last[1].Type)
	}
	sameEvents(t, "the old events in the whole log", all[:len(evs)], evs)
}

// newClassLog opens a log store of one shard on js and the log of a new
// class in it.
func newClassLog(ctx context.Context, t *testing.T, js jetstream.JetStream) (*logStore, protocol.RoomID, *roomLog) {
	t.Helper()
	ls, err := openLogStore(ctx, js, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	room := protocol.NewRoomID()
	l, err := ls.open(ctx, room, true)
	if err != nil {
		t.Fatal(err)
	}
	return ls, room, l
}

// stepEvents makes n events of one step, numbered in their data.
func stepEvents(step, n, pad int) []protocol.Event {
	evs := make([]protocol.Event, n)
	for k := range evs {
		data, _ := json.Marshal(map[string]any{"text": strings.Repeat("x", pad), "step": step, "of": n, "k": k})
		evs[k] = protocol.Event{Type: protocol.EvAnnouncement, Audience: protocol.ToAll, Time: int64(step), Data: data}
	}
	return evs
}

// appendStep stages evs at the log's next offsets and appends them.
func appendStep(ctx context.Context, l *roomLog, evs []protocol.Event) error {
	for i := range evs {
		evs[i].Seq = l.last + uint64(i) + 1
	}
	_, err := l.appendAll(ctx, evs)
	return err
}

// TestReadLogInsideSteps: reads that start and end inside messages of
// several events, among another class's messages in the same stream, get
// exactly the offsets asked for; the log's end and start are the last and
// first events, not messages.
func TestReadLogInsideSteps(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	ls, room, l := newClassLog(ctx, t, js)
	o, err := ls.open(ctx, protocol.NewRoomID(), true)
	if err != nil {
		t.Fatal(err)
	}
	var want []protocol.Event
	for step := range 20 {
		evs := stepEvents(step, 1+step%6, 10)
		if err := appendStep(ctx, l, evs); err != nil {
			t.Fatal(err)
		}
		want = append(want, evs...)
		if err := appendStep(ctx, o, stepEvents(step, 1+step%4, 10)); err != nil {
			t.Fatal(err)
		}
	}
	n := uint64(len(want))
	info, err := ls.shards[0].Info(ctx, jetstream.WithSubjectFilter(l.subj))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Subjects[l.subj] != 20 {
		t.Fatalf("%d messages for 20 steps", info.State.Subjects[l.subj])
	}
	fresh, err := ls.open(ctx, room, false)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.last != n || fresh.fence != l.fence || fresh.first != 1 {
		t.Fatalf("opened again: last %d fence %d first %d, want %d %d 1", fresh.last, fresh.fence, fresh.first, n, l.fence)
	}
	for from := uint64(0); from <= n+1; from++ {
		for _, to := range []uint64{from, from + 1, from + 4, n - 1, n, n + 3} {
			got, err := ls.readLog(ctx, room, from, to)
			if err != nil {
				t.Fatalf("%d..%d: %v", from, to, err)
			}
			lo, hi := max(from, 1), min(to, n)
			if lo > hi {
				if len(got) != 0 {
					t.Fatalf("%d..%d: %d events, want none", from, to, len(got))
				}
				continue
			}
			sameEvents(t, fmt.Sprintf("%d..%d", from, to), got, want[lo-1:hi])
		}
	}
	// A fence still fences: an owner that does not know the last step
	// cannot append after it.
	stale := ls.at(room, 0, l.epoch)
	stale.last, stale.fence = l.last-3, l.fence-2
	if err := appendStep(ctx, stale, stepEvents(99, 2, 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("a stale owner's append: %v, want ErrFenced", err)
	}
}

// TestStepLargerThanAMessage: a step whose events together pass the
// server's maximum payload is stored as several messages in one atomic
// batch, all or none, and reads back whole; an event larger than a
// message may be is refused with ErrTooLarge, and nothing of its step is
// kept.
func TestStepLargerThanAMessage(t *testing.T) {
	const maxPayload = 16 << 10
	ns := natstest.StartWith(t, t.TempDir(), func(o *server.Options) { o.MaxPayload = maxPayload })
	nc, js := ns.Connect(t)
	if nc.MaxPayload() != maxPayload {
		t.Fatalf("the server's max payload is %d", nc.MaxPayload())
	}
	ctx := context.Background()
	ls, room, l := newClassLog(ctx, t, js)
	first := stepEvents(0, 3, 100)
	if err := appendStep(ctx, l, first); err != nil {
		t.Fatal(err)
	}
	big := stepEvents(1, 30, 2000) // about 60 KiB: four messages or more
	if err := appendStep(ctx, l, big); err != nil {
		t.Fatalf("a step larger than a message: %v", err)
	}
	info, err := ls.shards[0].Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < 5 {
		t.Fatalf("%d messages hold a step of 60 KiB and one of 3 events", info.State.Msgs)
	}
	want := append(append([]protocol.Event(nil), first...), big...)
	for _, from := range []uint64{1, 4, 5, 17, 33} {
		got, err := ls.readLog(ctx, room, from, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, fmt.Sprintf("from %d", from), got, want[from-1:])
	}

	// One event larger than a message: refused, with a code a device is
	// told, and the log as it was.
	huge := stepEvents(2, 2, 0)
	huge[1].Data, _ = json.Marshal(map[string]string{"text": strings.Repeat("y", maxPayload)})
	err = appendStep(ctx, l, huge)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an event larger than a message: %v, want ErrTooLarge", err)
	}
	if pe := protocol.ErrorOf(err); pe.Code != protocol.CodeInvalid {
		t.Fatalf("a device is told %+v", pe)
	}
	if err := l.refresh(ctx); err != nil || l.last != uint64(len(want)) {
		t.Fatalf("after the refusal the log ends at %d (%v), want %d", l.last, err, len(want))
	}
	after, err := ls.shards[0].Info(ctx)
	if err != nil || after.State.Msgs != info.State.Msgs {
		t.Fatalf("the refused step left messages: %d, was %d (%v)", after.State.Msgs, info.State.Msgs, err)
	}
	if err := appendStep(ctx, l, stepEvents(3, 2, 10)); err != nil {
		t.Fatalf("the next step after a refused one: %v", err)
	}
}

// killChildEnv names the store of the process that TestStepsWholeAcrossKill
// starts and kills.
const killChildEnv = "CLASSHUB_TEST_KILL_STORE"

// TestStepsWholeAcrossKill: a process with its embedded NATS appends steps
// of one to seven events as fast as it can and is killed with SIGKILL in
// the middle; on its store afterwards, every step is in the log whole or
// not at all, offsets dense, and the log takes the next step at the next
// offset.
func TestStepsWholeAcrossKill(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		appendUntilKilled(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStepsWholeAcrossKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var room protocol.RoomID
	deadline := time.After(60 * time.Second)
	for steps := 0; steps < 300; {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the appending process ended before it was killed")
			}
			if r, ok := strings.CutPrefix(line, "room "); ok {
				room = protocol.RoomID(r)
			}
			if s, ok := strings.CutPrefix(line, "steps "); ok {
				steps, _ = strconv.Atoi(s)
			}
		case <-deadline:
			t.Fatal("no 300 steps appended in 60 s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	go func() {
		for range lines { // what the process wrote before it died
		}
	}()

	ns := natstest.StartIn(t, dir)
	_, js := ns.Connect(t)
	ctx := context.Background()
	ls, err := openLogStore(ctx, js, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ls.open(ctx, room, false)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := ls.readLog(ctx, room, 1, l.last)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != l.last || l.last < 300 {
		t.Fatalf("%d events read of a log ending at %d", len(evs), l.last)
	}
	step := 0
	for i := 0; i < len(evs); step++ {
		var d struct{ Step, Of, K int }
		if err := json.Unmarshal(evs[i].Data, &d); err != nil || d.Step != step || d.K != 0 {
			t.Fatalf("offset %d: %s, want the start of step %d (%v)", evs[i].Seq, evs[i].Data, step, err)
		}
		for k := range d.Of {
			if i+k >= len(evs) {
				t.Fatalf("step %d of %d events ends after %d of them: half a step survived", step, d.Of, k)
			}
			var e struct{ Step, Of, K int }
			_ = json.Unmarshal(evs[i+k].Data, &e)
			if e.Step != step || e.K != k || evs[i+k].Seq != uint64(i+k+1) {
				t.Fatalf("offset %d: %s, want event %d of step %d", evs[i+k].Seq, evs[i+k].Data, k, step)
			}
		}
		i += d.Of
	}
	t.Logf("%d whole steps (%d events) survived SIGKILL", step, len(evs))
	if err := appendStep(ctx, l, stepEvents(step, 3, 1)); err != nil {
		t.Fatalf("the next step after the kill: %v", err)
	}
	if got, err := ls.readLog(ctx, room, l.last-2, l.last); err != nil || len(got) != 3 || got[0].Seq != uint64(len(evs)+1) {
		t.Fatalf("the next step: %d events from %v (%v)", len(got), got, err)
	}
}

// appendUntilKilled is the process TestStepsWholeAcrossKill kills: it
// appends steps to one class's log on its own embedded NATS until it dies.
func appendUntilKilled(t *testing.T, dir string) {
	ns := natstest.StartIn(t, dir)
	_, js := ns.Connect(t)
	ctx := context.Background()
	_, room, l := newClassLog(ctx, t, js)
	fmt.Printf("room %s\n", room)
	for step := 0; ; step++ {
		if err := appendStep(ctx, l, stepEvents(step, 1+step%7, 200)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("steps %d\n", step+1)
	}
}

// TestAppendTryLost: a try of an append whose answer is lost is tried
// again at once, and the log holds the step once whatever happened to the
// first try: stored (the second is fenced by it and knows it by its
// name), not stored (the second stores it), or not stored while another
// owner appended (the second is fenced, and the owner told so).
func TestAppendTryLost(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	ls, room, l := newClassLog(ctx, t, js)
	if err := appendStep(ctx, l, stepEvents(0, 2, 10)); err != nil {
		t.Fatal(err)
	}
	tries := 0
	// faults has the first try of the next append lose its answer (after)
	// or its request, running meanwhile before it.
	faults := func(after bool, meanwhile func()) {
		tries = 0
		ls.fault = func(context.Context) (bool, error) {
			tries++
			if tries > 1 {
				return false, nil
			}
			if meanwhile != nil {
				meanwhile()
			}
			if after {
				return true, nil
			}
			return false, fmt.Errorf("request lost: %w", nats.ErrTimeout)
		}
	}
	whole := func(what string, steps int) {
		t.Helper()
		fresh, err := ls.open(ctx, room, false)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := ls.readLog(ctx, room, 1, fresh.last)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, ev := range evs {
			var d struct{ Step, Of, K int }
			_ = json.Unmarshal(ev.Data, &d)
			if ev.Seq != uint64(i+1) {
				t.Fatalf("%s: offset %d at %d", what, ev.Seq, i)
			}
			if d.K == 0 {
				if d.Step != n {
					t.Fatalf("%s: step %d after %d steps: a step stored twice or lost", what, d.Step, n)
				}
				n++
			}
		}
		if n != steps {
			t.Fatalf("%s: %d steps in the log, want %d", what, n, steps)
		}
	}

	faults(true, nil)
	if err := appendStep(ctx, l, stepEvents(1, 3, 10)); err != nil {
		t.Fatalf("stored, answer lost: %v", err)
	}
	if tries != 2 {
		t.Fatalf("stored, answer lost: %d tries", tries)
	}
	whole("stored, answer lost", 2)
	if fresh, _ := ls.open(ctx, room, false); fresh.last != l.last || fresh.fence != l.fence {
		t.Fatalf("the owner's end of the log is %d at %d, the log's %d at %d", l.last, l.fence, fresh.last, fresh.fence)
	}

	faults(false, nil)
	if err := appendStep(ctx, l, stepEvents(2, 1, 10)); err != nil || tries != 2 {
		t.Fatalf("request lost: %v after %d tries", err, tries)
	}
	whole("request lost", 3)

	// The same as a step larger than a message, which goes as a batch.
	ls.maxMsg = 600
	faults(true, nil)
	if err := appendStep(ctx, l, stepEvents(3, 6, 200)); err != nil || tries != 2 {
		t.Fatalf("a batch stored, answer lost: %v after %d tries", err, tries)
	}
	ls.maxMsg = 0
	whole("a batch stored, answer lost", 4)

	other := ls.at(room, 0, l.epoch)
	other.last, other.fence = l.last, l.fence
	faults(false, func() {
		if err := appendStep(ctx, other, stepEvents(4, 2, 10)); err != nil {
			t.Errorf("the other owner: %v", err)
		}
	})
	if err := appendStep(ctx, l, stepEvents(4, 2, 10)); !errors.Is(err, ErrFenced) {
		t.Fatalf("request lost while another owner appended: %v, want ErrFenced", err)
	}
	ls.fault = nil
	whole("another owner appended", 5)

	// Tries lost until the command's time is up: an error, nothing stored.
	ls.fault = func(context.Context) (bool, error) { return false, nats.ErrTimeout }
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := appendStep(short, other, stepEvents(5, 1, 10)); err == nil {
		t.Fatal("an append whose every try was lost succeeded")
	}
	ls.fault = nil
	whole("every try lost", 5)
}
