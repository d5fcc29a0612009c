package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/rooms/natstest"
)

// Devices across the move of class logs from a stream per class (the
// layout of earlier releases) to the shared streams. A class runs on a
// node, its devices go away; its log is then put back in the old layout,
// as a node of the earlier release kept it, and that release appends
// while the devices are away. A node of this release starts on the data:
// a device holding (epoch, offset) resumes with exactly the events it
// missed; where the old log had no epoch, it is told not_recoverable and
// given a fresh snapshot. Never a silent gap.

// toOldLayout moves a class's log back to the layout of earlier releases
// (with its epoch in the stream's metadata, or none when keepEpoch is
// false) and appends after it what a node of that release would have:
// its owner_changed and an announcement to everyone.
func toOldLayout(t *testing.T, js jetstream.JetStream, rm *rooms.Manager, room protocol.RoomID, keepEpoch bool, text string) {
	t.Helper()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, protocol.BucketLogs)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, string(room))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Epoch string `json:"epoch"`
		Shard int    `json:"shard"`
	}
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		t.Fatal(err)
	}
	evs, err := rm.ReadLog(ctx, room, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	shard, err := js.Stream(ctx, protocol.LogStream(p.Shard))
	if err != nil {
		t.Fatal(err)
	}
	if err := shard.Purge(ctx, jetstream.WithPurgeSubject(protocol.LogSubject(p.Shard, room, p.Epoch))); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, string(room)); err != nil {
		t.Fatal(err)
	}

	meta := map[string]string{"room": string(room)}
	if keepEpoch {
		meta["epoch"] = p.Epoch
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:               protocol.LegacyStreamName(room),
		Subjects:           []string{protocol.LegacyLogSubject(room)},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardOld,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		Metadata:           meta,
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	owner, _ := json.Marshal(protocol.OwnerChanged{Node: "node-of-the-earlier-release"})
	note, _ := json.Marshal(protocol.Announcement{Text: text})
	n := uint64(len(evs))
	evs = append(evs,
		protocol.Event{Seq: n + 1, Type: protocol.EvOwnerChanged, Time: now, Audience: protocol.ToNone, Data: owner},
		protocol.Event{Seq: n + 2, Type: protocol.EvAnnouncement, Time: now, Audience: protocol.ToAll, Data: note},
	)
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		ack, err := js.Publish(ctx, protocol.LegacyLogSubject(room), b, jetstream.WithExpectLastSequence(ev.Seq-1))
		if err != nil {
			t.Fatal(err)
		}
		if ack.Sequence != ev.Seq {
			t.Fatalf("event %d stored at %d", ev.Seq, ack.Sequence)
		}
	}
}

// missedSince waits until the device has every event of the class's log
// after from that its viewer may see, and fails unless those are exactly
// what it received after from: none missing, none extra, none twice.
func missedSince(t *testing.T, e *env, c *client, v protocol.Viewer, room protocol.RoomID, epoch string, from, to uint64) []protocol.ServerFrame {
	t.Helper()
	evs, err := e.rm.ReadLog(context.Background(), room, from+1, to)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != to-from {
		t.Fatalf("the log holds %d events in %d..%d", len(evs), from+1, to)
	}
	var want []uint64
	for _, ev := range evs {
		if ev.Audience.Allows(v) {
			want = append(want, ev.Seq)
		}
	}
	var got []protocol.ServerFrame
	c.waitFor(fmt.Sprintf("the %d events missed after %d", len(want), from), func(frames []protocol.ServerFrame, _ error) bool {
		got = got[:0]
		for _, f := range frames {
			if f.Type == protocol.FrameEvent && f.Seq > from && f.Seq <= to {
				got = append(got, f)
			}
		}
		return len(got) >= len(want)
	})
	var seqs []uint64
	for _, f := range got {
		if f.Epoch != epoch {
			t.Fatalf("%s: event %d of epoch %s, want %s", c.name, f.Seq, f.Epoch, epoch)
		}
		seqs = append(seqs, f.Seq)
	}
	if fmt.Sprint(seqs) != fmt.Sprint(want) {
		t.Fatalf("%s: received events %v after %d, want exactly %v", c.name, seqs, from, want)
	}
	return got
}

func TestResumeAcrossLogMove(t *testing.T) {
	ns := natstest.Start(t)
	node := func(_ *Config, r *rooms.Config) { r.Node = "node-a" }
	e1 := startEnv(t, ns, node)
	tl := e1.teacher()

	type class struct {
		info      rooms.RoomInfo
		st        JoinResponse
		keepEpoch bool
		tc, sc    *client
	}
	classes := []*class{{keepEpoch: true}, {keepEpoch: false}}
	for i, c := range classes {
		c.info = e1.room(tl.Token, fmt.Sprintf("Class %d", i))
		c.st = e1.join(c.info.Code, "Iris")
		c.tc, _ = e1.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: c.info.ID})
		c.sc, _ = e1.mustConnect("iris", protocol.Hello{Token: c.st.Token})
		c.tc.waitEvent(protocol.EvPresence, about(c.st.Student))
		c.tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "before"})
		c.sc.waitEvent(protocol.EvAnnouncement, hasText("before"))
	}
	e1.stop()
	for _, c := range classes {
		for _, d := range []*client{c.tc, c.sc} {
			if code := d.waitClosed(); code != websocket.StatusCode(protocol.CloseRestart) {
				t.Fatalf("%s closed with %d, want 1012", d.name, code)
			}
		}
		toOldLayout(t, e1.js, e1.rm, c.info.ID, c.keepEpoch, "while you were away")
	}

	e2 := startEnv(t, ns, node)
	ctx := context.Background()
	for _, c := range classes {
		if _, err := e2.js.Stream(ctx, protocol.LegacyStreamName(c.info.ID)); err == nil {
			t.Fatalf("class %s: the old stream is still there", c.info.Title)
		}
	}

	// The class whose log kept its epoch: both devices resume with what
	// they missed, the earlier release's announcement among it.
	kc := classes[0]
	for _, d := range []struct {
		old   *client
		hello protocol.Hello
		v     protocol.Viewer
	}{
		{kc.sc, protocol.Hello{Token: kc.st.Token}, protocol.Viewer{Role: protocol.RoleStudent, Student: kc.st.Student}},
		{kc.tc, protocol.Hello{Token: tl.Token, Room: kc.info.ID}, protocol.Viewer{Role: protocol.RoleTeacher}},
	} {
		r := d.old.resumeFrom()
		d.hello.Resume = r
		c, w := e2.mustConnect(d.old.name+" again", d.hello)
		if !w.Resumed || w.Epoch != r.Epoch {
			t.Fatalf("%s: not resumed across the move: epoch %s (held %s), reason %v", c.name, w.Epoch, r.Epoch, w.Reason)
		}
		got := missedSince(t, e2, c, d.v, kc.info.ID, w.Epoch, r.Offset, w.Offset)
		if !hasText("while you were away")(got[len(got)-1].Data) {
			t.Fatalf("%s: the last missed event is %s %s, want the announcement", c.name, got[len(got)-1].Event, got[len(got)-1].Data)
		}
		if d.v.Role == protocol.RoleStudent {
			kc.sc = c
		} else {
			kc.tc = c
		}
	}
	// And the class goes on, at the next offsets.
	kc.tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "after"})
	f := kc.sc.waitEvent(protocol.EvAnnouncement, hasText("after"))
	if got := len(kc.sc.events(protocol.EvAnnouncement)); got != 2 {
		t.Fatalf("after resuming Iris received %d announcements, want the missed one and the new one", got)
	}
	if prev := kc.sc.events(protocol.EvAnnouncement)[0]; f.Seq <= prev.Seq {
		t.Fatalf("the new announcement is at %d, the missed one at %d", f.Seq, prev.Seq)
	}

	// The class whose old log had no epoch: the device cannot resume and
	// is told so, with a fresh snapshot that has what it missed.
	nc := classes[1]
	r := nc.sc.resumeFrom()
	c, w := e2.mustConnect("iris of the class without an epoch", protocol.Hello{Token: nc.st.Token, Resume: r})
	if w.Resumed || w.Reason == nil || w.Reason.Code != protocol.CodeNotRecoverable {
		t.Fatalf("resumed=%v, reason %v; want not_recoverable", w.Resumed, w.Reason)
	}
	if w.Epoch == r.Epoch || w.Epoch == "" {
		t.Fatalf("epoch %q after the move of a log without one (the device held %q)", w.Epoch, r.Epoch)
	}
	if !strings.Contains(string(w.Snapshot), "while you were away") || !strings.Contains(string(w.Snapshot), "before") {
		t.Fatalf("the fresh snapshot lacks the class's announcements: %s", w.Snapshot)
	}
	for _, f := range c.events() {
		if f.Seq <= w.Offset {
			t.Fatalf("an event at %d, at or below the snapshot's offset %d, was sent after a fresh snapshot", f.Seq, w.Offset)
		}
	}
}
