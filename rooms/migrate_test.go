package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/natstest"
)

// Moving class logs from a stream per class (the layout of earlier
// releases) to the shared streams. The old logs are written here by hand,
// exactly as those releases wrote them: a stream per class named by
// protocol.LegacyStreamName, its one subject protocol.LegacyLogSubject,
// the class's offset as the stream sequence, the epoch and the room in the
// stream's metadata, a snapshot {epoch, state} in the snapshot bucket. The
// events themselves are made by the current command handlers on a scratch
// server, so they are what a class really logs.

// legacyClass is one class log of the old layout.
type legacyClass struct {
	name  string
	room  protocol.RoomID
	epoch string           // in the old stream's metadata; "" for a log without one
	evs   []protocol.Event // every event the class ever had, offsets 1..n
	// kept is the first offset the old stream still holds: 1, or later
	// when retention removed the start of the log.
	kept uint64
	// snapAt: a snapshot of the first snapAt events is in the snapshot
	// bucket, under the log's epoch; 0 for none.
	snapAt  int
	viewers []protocol.Actor // who loads the class afterwards
}

// keptEvents are the events the old stream still holds.
func (c *legacyClass) keptEvents() []protocol.Event {
	if c.kept <= 1 {
		return c.evs
	}
	return c.evs[c.kept-1:]
}

func (c *legacyClass) last() uint64 { return uint64(len(c.evs)) }

// writeLegacy writes the class's log as the releases before the shared
// streams did, then removes its start when the class lost it.
func writeLegacy(t *testing.T, js jetstream.JetStream, c *legacyClass) {
	t.Helper()
	ctx := context.Background()
	meta := map[string]string{"room": string(c.room)}
	if c.epoch != "" {
		meta["epoch"] = c.epoch
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:               protocol.LegacyStreamName(c.room),
		Subjects:           []string{protocol.LegacyLogSubject(c.room)},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardOld,
		MaxAge:             720 * time.Hour, // a deployment with retention set
		Replicas:           1,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		Metadata:           meta,
	})
	if err != nil {
		t.Fatalf("%s: old stream: %v", c.name, err)
	}
	for i, ev := range c.evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("%s: event %d has offset %d", c.name, i, ev.Seq)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		// Fenced on the last sequence, as the old owner appended.
		ack, err := js.Publish(ctx, protocol.LegacyLogSubject(c.room), b, jetstream.WithExpectLastSequence(ev.Seq-1))
		if err != nil {
			t.Fatalf("%s: publish %d: %v", c.name, ev.Seq, err)
		}
		if ack.Sequence != ev.Seq {
			t.Fatalf("%s: event %d stored at %d", c.name, ev.Seq, ack.Sequence)
		}
	}
	if c.kept > 1 {
		// Purge with a sequence keeps the events from that sequence on.
		if err := st.Purge(ctx, jetstream.WithPurgeSequence(c.kept)); err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.FirstSeq != c.kept || info.State.LastSeq != c.last() {
			t.Fatalf("%s: old stream holds %d..%d, want %d..%d", c.name, info.State.FirstSeq, info.State.LastSeq, c.kept, c.last())
		}
	}
	if c.snapAt > 0 {
		snaps := snapshotBucket(t, js)
		b, err := json.Marshal(snapshotRecord{Epoch: c.epoch, State: fold(t, c.room, c.evs[:c.snapAt])})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := snaps.Put(ctx, string(c.room), b); err != nil {
			t.Fatal(err)
		}
	}
}

func snapshotBucket(t *testing.T, js jetstream.JetStream) jetstream.KeyValue {
	t.Helper()
	kv, err := js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{
		Bucket: protocol.BucketSnapshots, History: 1, Storage: jetstream.FileStorage, Replicas: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func fold(t *testing.T, room protocol.RoomID, evs []protocol.Event) *class.State {
	t.Helper()
	st := class.New(room)
	for _, ev := range evs {
		if err := st.Apply(ev); err != nil {
			t.Fatalf("fold: %v", err)
		}
	}
	return st
}

// sameEvents fails unless got and want are the same events, byte for
// byte as the log stores them: offsets, types, times, audiences, data.
func sameEvents(t *testing.T, what string, got, want []protocol.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Fatalf("%s: event %d differs\n got %s\nwant %s", what, i, g, w)
		}
	}
}

// scratch drives classes with the current command handlers, for their
// events.
type scratch struct {
	t *testing.T
	m *Manager
}

func newScratch(t *testing.T) *scratch {
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	return &scratch{t: t, m: newManager(t, nc, js, "node-old")}
}

// class runs a class: students join and come online, the first raises a
// hand with a note and lowers it, the teacher announces to everyone and to
// single students. It returns the class's whole log and its people.
func (s *scratch) class(title string, students, announcements int) (protocol.RoomID, []protocol.Event, []protocol.Actor) {
	t := s.t
	t.Helper()
	ctx := context.Background()
	info, err := s.m.CreateRoom(ctx, teacherA, title)
	if err != nil {
		t.Fatal(err)
	}
	people := []protocol.Actor{teacher(teacherA)}
	var sids []protocol.StudentID
	for i := range students {
		_, res, err := s.m.Join(ctx, info.Code, fmt.Sprintf("Student %d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, res.Student)
		people = append(people, student(res.Student))
		if _, err := s.m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdConnect, Actor: student(res.Student), Conn: "dev-" + string(res.Student)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(sids) > 0 {
		if _, err := do(t, s.m, info.ID, protocol.MsgRaiseHand, student(sids[0]), protocol.RaiseHand{Note: "stuck"}); err != nil {
			t.Fatal(err)
		}
		if _, err := do(t, s.m, info.ID, protocol.MsgLowerHand, teacher(teacherA), protocol.LowerHand{Student: sids[0]}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range announcements {
		a := protocol.Announce{Text: fmt.Sprintf("note %d", i)}
		if len(sids) > 0 && i%4 == 3 {
			a.To = sids[i%len(sids)]
		}
		if _, err := do(t, s.m, info.ID, protocol.MsgAnnounce, teacher(teacherA), a); err != nil {
			t.Fatal(err)
		}
	}
	res, _ := snapshotOf(t, s.m, info.ID, teacher(teacherA))
	evs, err := s.m.ReadLog(ctx, info.ID, 1, res.Offset)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != res.Offset {
		t.Fatalf("scratch class: %d events, offset %d", len(evs), res.Offset)
	}
	return info.ID, evs, people
}

// checkMoved checks a class's log in the new layout right after the move,
// before anything opened it: the pointer names the old epoch, the log
// holds exactly the events the old stream held, at the same offsets, and
// the old stream is gone. It returns the log's epoch.
func checkMoved(t *testing.T, m *Manager, c *legacyClass) string {
	t.Helper()
	ctx := context.Background()
	if _, err := m.cfg.JS.Stream(ctx, protocol.LegacyStreamName(c.room)); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("%s: the old stream is still there (%v)", c.name, err)
	}
	p, _, err := m.logs.pointer(ctx, c.room)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if p.Migrating || p.Pending != "" || p.Retired != "" {
		t.Fatalf("%s: pointer %+v after the move", c.name, p)
	}
	switch {
	case c.epoch != "" && p.Epoch != c.epoch:
		t.Fatalf("%s: epoch %q, want the old %q", c.name, p.Epoch, c.epoch)
	case c.epoch == "" && p.Epoch == "":
		t.Fatalf("%s: no epoch", c.name)
	}
	got, err := m.ReadLog(ctx, c.room, 1, c.last()+10)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	sameEvents(t, c.name, got, c.keptEvents())
	checkOneSubject(t, m, c.room)
	return p.Epoch
}

// checkOneSubject fails unless the class has exactly one log in its
// shard's stream: the one its pointer names (or none, for an empty log).
func checkOneSubject(t *testing.T, m *Manager, room protocol.RoomID) {
	t.Helper()
	ctx := context.Background()
	p, _, err := m.logs.pointer(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	for shard, st := range m.logs.shards {
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(fmt.Sprintf("%s.log.%d.%s.>", protocol.SubjectPrefix, shard, room)))
		if err != nil {
			t.Fatal(err)
		}
		for subj, n := range info.State.Subjects {
			if shard != p.Shard || subj != protocol.LogSubject(p.Shard, room, p.Epoch) {
				t.Errorf("room %s: %d events left under %s; its log is %s", room, n, subj, protocol.LogSubject(p.Shard, room, p.Epoch))
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkLoads loads the moved class and checks it: every viewer's view is
// the fold of the old events and of what the new owner appended since,
// the epoch is the log's, the first offset is where the old stream
// started, and a command appends at the next offset.
func checkLoads(t *testing.T, m *Manager, c *legacyClass, epoch string) {
	t.Helper()
	ctx := context.Background()
	var offset uint64
	for i, a := range c.viewers {
		out, err := do(t, m, c.room, protocol.CmdSnapshot, a, nil)
		if err != nil {
			t.Fatalf("%s: snapshot as %s: %v", c.name, a.Role, err)
		}
		var res protocol.SnapshotResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if res.Epoch != epoch {
			t.Fatalf("%s: snapshot epoch %q, want %q", c.name, res.Epoch, epoch)
		}
		if res.FirstSeq != c.kept {
			t.Errorf("%s: first_seq %d, want %d", c.name, res.FirstSeq, c.kept)
		}
		// Loading a live class appends its new owner's fence; an ended
		// class is only read, and takes nothing.
		if i == 0 && res.Offset <= c.last() && !ended(c.evs) {
			t.Fatalf("%s: offset %d after loading, want past the old log's %d (owner_changed)", c.name, res.Offset, c.last())
		}
		since, err := m.ReadLog(ctx, c.room, c.last()+1, res.Offset)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(since)) != res.Offset-c.last() {
			t.Fatalf("%s: %d events after the old log, want %d", c.name, len(since), res.Offset-c.last())
		}
		if len(since) > 0 && since[0].Type != protocol.EvOwnerChanged {
			t.Errorf("%s: the first event after the old log is %s, want owner_changed", c.name, since[0].Type)
		}
		want := fold(t, c.room, append(append([]protocol.Event(nil), c.evs...), since...))
		wv, _ := json.Marshal(want.View(a.Viewer()))
		if string(res.View) != string(wv) {
			t.Fatalf("%s: view of %s %s differs from the fold of the old log\n got %s\nwant %s", c.name, a.Role, a.Student, res.View, wv)
		}
		offset = res.Offset
	}
	if want := fold(t, c.room, c.evs); want.Status != protocol.StatusOpen {
		return
	}
	out, err := do(t, m, c.room, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "after the move"})
	if err != nil {
		t.Fatalf("%s: announce: %v", c.name, err)
	}
	var ack struct{ Seq uint64 }
	_ = json.Unmarshal(out, &ack)
	if ack.Seq <= offset {
		t.Fatalf("%s: the announcement went to offset %d, the class was at %d", c.name, ack.Seq, offset)
	}
	evs, err := m.ReadLog(ctx, c.room, 1, ack.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != ack.Seq-c.kept+1 {
		t.Fatalf("%s: log holds %d events up to %d, want %d", c.name, len(evs), ack.Seq, ack.Seq-c.kept+1)
	}
	for i, ev := range evs {
		if ev.Seq != c.kept+uint64(i) {
			t.Fatalf("%s: event %d has offset %d, want %d: a gap or a double", c.name, i, ev.Seq, c.kept+uint64(i))
		}
	}
	if got := evs[len(evs)-1]; got.Type != protocol.EvAnnouncement {
		t.Fatalf("%s: the last event is %s", c.name, got.Type)
	}
}

// pointerRevisions are the revisions of every class's log pointer.
func pointerRevisions(t *testing.T, js jetstream.JetStream) map[string]uint64 {
	t.Helper()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, protocol.BucketLogs)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for k := range keys.Keys() {
		e, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = e.Revision()
	}
	return out
}

// streamStates are the shards' states, as a string to compare.
func streamStates(t *testing.T, m *Manager) string {
	t.Helper()
	var s string
	for i, st := range m.logs.shards {
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("shard %d: %d events, %d..%d, %d subjects; ", i, info.State.Msgs, info.State.FirstSeq, info.State.LastSeq, info.State.NumSubjects)
	}
	return s
}

// TestMigrateOldLayout moves a deployment's worth of old logs: a rich
// random class with a snapshot taken in the middle of its log, an open
// class, a class whose stream lost its first events to retention, one
// without an epoch, an empty one and fifty small ones. Every event keeps
// its offset, time, audience and data, every log its epoch; the classes
// load and go on at the next offset; a second start changes nothing.
func TestMigrateOldLayout(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rich, richViewers := randomClass(t, rand.New(rand.NewPCG(seed, 1)), 80)
	sc := newScratch(t)

	var classes []*legacyClass
	richClass := &legacyClass{name: "rich", room: protocol.NewRoomID(), epoch: uuid.NewString(), evs: rich, kept: 1, snapAt: len(rich) / 2}
	for _, v := range richViewers {
		if v.Role == protocol.RoleTeacher {
			richClass.viewers = append(richClass.viewers, teacher(teacherA))
		}
		if v.Role == protocol.RoleStudent && fold(t, "", rich).Students[v.Student] != nil {
			richClass.viewers = append(richClass.viewers, student(v.Student))
		}
	}
	classes = append(classes, richClass)

	room, evs, people := sc.class("Open class", 3, 12)
	classes = append(classes, &legacyClass{name: "open", room: room, epoch: uuid.NewString(), evs: evs, kept: 1, viewers: people})

	room, evs, people = sc.class("Long class", 2, 60)
	trimmed := &legacyClass{name: "lost its start", room: room, epoch: uuid.NewString(), evs: evs, kept: 25, snapAt: 40, viewers: people}
	classes = append(classes, trimmed)

	room, evs, people = sc.class("Older class", 2, 5)
	classes = append(classes, &legacyClass{name: "no epoch", room: room, evs: evs, kept: 1, viewers: people})

	empty := &legacyClass{name: "empty", room: protocol.NewRoomID(), epoch: uuid.NewString(), kept: 1}
	classes = append(classes, empty)

	for i := range 50 {
		room, evs, people := sc.class(fmt.Sprintf("Class %d", i), i%3, i%7)
		classes = append(classes, &legacyClass{name: fmt.Sprintf("class %d", i), room: room, epoch: uuid.NewString(), evs: evs, kept: 1, viewers: people[:1]})
	}

	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	for _, c := range classes {
		writeLegacy(t, js, c)
	}
	// A stream with the old prefix that names no class is left alone.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: protocol.LegacyStreamPrefix + "SOMETHING_ELSE", Subjects: []string{"elsewhere.>"}}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	m := newManager(t, nc, js, "node-a", func(c *Config) { c.Retention = 720 * time.Hour })
	t.Logf("%d classes moved in %v", len(classes), time.Since(t0))
	epochs := map[protocol.RoomID]string{}
	for _, c := range classes {
		epochs[c.room] = checkMoved(t, m, c)
	}
	if _, err := js.Stream(ctx, protocol.LegacyStreamPrefix+"SOMETHING_ELSE"); err != nil {
		t.Fatalf("a stream that names no class was touched: %v", err)
	}

	// A second start finds nothing to do and changes nothing.
	revs, states := pointerRevisions(t, js), streamStates(t, m)
	if len(revs) != len(classes) {
		t.Fatalf("%d log pointers, want %d", len(revs), len(classes))
	}
	nc2, js2 := ns.Connect(t)
	m2 := newManager(t, nc2, js2, "node-b")
	if err := m2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pointerRevisions(t, js); fmt.Sprint(got) != fmt.Sprint(revs) {
		t.Fatalf("a second start changed the log pointers:\n%v\n%v", got, revs)
	}
	if got := streamStates(t, m); got != states {
		t.Fatalf("a second start changed the logs:\n%s\n%s", got, states)
	}

	for _, c := range classes {
		if c == empty {
			continue
		}
		checkLoads(t, m, c, epochs[c.room])
	}
	// The empty log moved as it was: no event, its epoch kept.
	if evs, err := m.ReadLog(ctx, empty.room, 1, 100); err != nil || len(evs) != 0 {
		t.Fatalf("empty log after the move: %d events, %v", len(evs), err)
	}
}

// crashLeft writes what a migration that stopped part way leaves: the
// class's pointer marked migrating, and the first n events of the old
// stream (those it still holds) copied in batches as the migration writes
// them.
func crashLeft(t *testing.T, ls *logStore, c *legacyClass, n int) {
	t.Helper()
	ctx := context.Background()
	p := logPointer{Epoch: c.epoch, Shard: ls.shardOf(c.room), Migrating: true}
	if _, err := ls.setPointer(ctx, c.room, p, 0); err != nil {
		t.Fatal(err)
	}
	l := ls.at(c.room, p.Shard, p.Epoch)
	l.last = c.kept - 1
	evs := c.keptEvents()[:n]
	for i := 0; i < len(evs); i += migrateBatch {
		if _, err := l.appendAll(ctx, evs[i:min(i+migrateBatch, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrateResumesAfterCrash: a node that stopped in the middle of
// moving logs leaves the old stream whole and the new log part written;
// the next start finishes the move with nothing lost and nothing doubled.
func TestMigrateResumesAfterCrash(t *testing.T) {
	ctx := context.Background()
	sc := newScratch(t)
	_, evs, people := sc.class("Long class", 3, 640)
	if len(evs) <= 2*migrateBatch {
		t.Fatalf("the class has %d events; the test needs more than two batches", len(evs))
	}
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	ls, err := openLogStore(ctx, js, 4, 1) // the default number of shards
	if err != nil {
		t.Fatal(err)
	}

	// The same log under different class IDs (nothing in an event names
	// its class), each stopped at another point.
	var classes []*legacyClass
	add := func(name string, kept uint64, copied int) {
		c := &legacyClass{name: name, room: protocol.NewRoomID(), epoch: uuid.NewString(), evs: evs, kept: kept, viewers: people}
		if kept > 1 {
			c.snapAt = int(kept) + 10
		}
		writeLegacy(t, js, c)
		if copied >= 0 {
			crashLeft(t, ls, c, copied)
		}
		classes = append(classes, c)
	}
	add("stopped after the pointer", 1, 0)
	add("stopped after one batch", 1, migrateBatch)
	add("stopped after an uneven part", 1, 300)
	add("stopped with all copied", 1, len(evs))
	add("lost its start, stopped after the pointer", 101, 0)
	add("lost its start, stopped after one batch", 101, migrateBatch)
	add("not started", 1, -1)

	// And one stopped by a real cancellation, as the second batch
	// reaches the new log.
	live := &legacyClass{name: "cancelled while copying", room: protocol.NewRoomID(), epoch: uuid.NewString(), evs: evs, kept: 1, viewers: people}
	writeLegacy(t, js, live)
	cctx, cancel := context.WithCancel(ctx)
	var seen atomic.Int64
	sub, err := nc.Subscribe(protocol.LogSubject(ls.shardOf(live.room), live.room, live.epoch), func(*nats.Msg) {
		if seen.Add(1) == 2 { // a batch is one message
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = ls.migrateRoom(cctx, live.room)
	cancel()
	_ = sub.Unsubscribe()
	if err == nil {
		t.Logf("the cancelled migration finished before it noticed")
	} else {
		p, _, perr := ls.pointer(ctx, live.room)
		n, _ := ls.at(live.room, p.Shard, p.Epoch).read(ctx, 1, live.last())
		t.Logf("the cancelled migration stopped with %d events copied: %v (%v)", len(n), err, perr)
	}
	classes = append(classes, live)

	m := newManager(t, nc, js, "node-a", func(c *Config) { c.Retention = 720 * time.Hour })
	for _, c := range classes {
		epoch := checkMoved(t, m, c)
		checkLoads(t, m, c, epoch)
	}

	// A log of the old layout that appears later (an older node wrote it
	// during a rolling upgrade) is moved when the class is first opened.
	room2, evs2, people2 := sc.class("Late class", 2, 8)
	late := &legacyClass{name: "written after the start", room: room2, epoch: uuid.NewString(), evs: evs2, kept: 1, viewers: people2}
	writeLegacy(t, js, late)
	checkLoads(t, m, late, late.epoch)
	if _, err := js.Stream(ctx, protocol.LegacyStreamName(late.room)); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("the old stream of a class moved at its first open is still there (%v)", err)
	}
}

// TestMigrateExpiredLogKeepsClass: the move keeps a class whose old
// stream kept none of its events (it once lost it). Retention (the old streams'
// MaxAge) removes a quiet class's events one by one; the stream then
// holds nothing but still ends at the class's last offset, and the
// snapshot bucket holds the class's state at that offset under the log's
// epoch. The release before loaded such a class from its snapshot and
// went on at the next offset. The move copies no event, so the new log
// starts again at offset 0 under the same epoch: the snapshot no longer
// fits (its offset is past the log's end) and is ignored, and the class
// loads empty — its teacher is told it is not their class — while its
// epoch now names a second, different sequence of offsets.
func TestMigrateExpiredLogKeepsClass(t *testing.T) {
	sc := newScratch(t)
	room, evs, people := sc.class("Quiet class", 2, 10)
	c := &legacyClass{name: "every event expired", room: room, epoch: uuid.NewString(), evs: evs, kept: uint64(len(evs)) + 1, snapAt: len(evs), viewers: people}
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	writeLegacy(t, js, c)
	m := newManager(t, nc, js, "node-a", func(c *Config) { c.Retention = 720 * time.Hour })

	out, err := do(t, m, room, protocol.CmdSnapshot, teacher(teacherA), nil)
	if err != nil {
		t.Fatalf("the class does not load after the move: %v", err)
	}
	var res protocol.SnapshotResult
	var tv protocol.TeacherView
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(res.View, &tv)
	want := fold(t, room, evs)
	if tv.Title != want.Title || len(tv.Students) != len(want.Students) || len(tv.Announcements) != len(want.Announcements) {
		t.Fatalf("the class's state did not survive the move: title %q, %d students, %d announcements; want %q, %d, %d",
			tv.Title, len(tv.Students), len(tv.Announcements), want.Title, len(want.Students), len(want.Announcements))
	}
	if res.Epoch == c.epoch && res.Offset <= c.last() {
		t.Fatalf("epoch %s goes on at offset %d, below the %d it had reached: a device at offset %d would resume on other events",
			res.Epoch, res.Offset, c.last(), res.Offset)
	}
}

// TestMigrateWhileOldOwnerAppendsLosesNothing: a node that starts seals
// the old stream before it moves it (it once moved a class's log without stopping the node of the older
// release that still runs the class (a rolling upgrade). The move reads
// where the old stream ends, copies up to there and deletes the stream:
// every event the old owner appended and was told was stored in between
// is gone. The old owner here appends as the release before did, fenced
// on the stream's last sequence, for as long as the stream takes them.
func TestMigrateWhileOldOwnerAppendsLosesNothing(t *testing.T) {
	ctx := context.Background()
	sc := newScratch(t)
	room, evs, people := sc.class("Busy class", 2, 600)
	c := &legacyClass{name: "busy", room: room, epoch: uuid.NewString(), evs: evs, kept: 1, viewers: people}
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	writeLegacy(t, js, c)

	_, oldJS := ns.Connect(t) // the old owner's own connection
	started := make(chan struct{})
	done := make(chan []protocol.Event, 1)
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var acked []protocol.Event
		last := c.last()
		defer func() { done <- acked }()
		for i := 0; ; i++ {
			if i == 20 {
				close(started)
			}
			ev := protocol.Event{Seq: last + 1, Type: protocol.EvAnnouncement, Time: time.Now().UnixMilli(), Audience: protocol.ToAll,
				Data: json.RawMessage(fmt.Sprintf(`{"text":"appended by the old owner %d"}`, i))}
			b, _ := json.Marshal(ev)
			pctx, pcancel := context.WithTimeout(stop, time.Second)
			_, err := oldJS.Publish(pctx, protocol.LegacyLogSubject(room), b, jetstream.WithExpectLastSequence(last))
			pcancel()
			if err != nil {
				if i < 20 {
					close(started)
				}
				return // the stream is gone, or the test is over
			}
			acked = append(acked, ev)
			last++
		}
	}()
	<-started
	m := newManager(t, nc, js, "node-a")
	cancel()
	acked := <-done
	if len(acked) == 0 {
		t.Fatal("the old owner appended nothing")
	}
	got, err := m.ReadLog(ctx, room, c.last()+1, acked[len(acked)-1].Seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(acked) {
		t.Fatalf("the old owner was told %d events were stored (offsets %d..%d); the moved log holds %d of them",
			len(acked), acked[0].Seq, acked[len(acked)-1].Seq, len(got))
	}
	sameEvents(t, "the old owner's events", got, acked)
}

// ended reports whether a log holds the end of its class.
func ended(evs []protocol.Event) bool {
	for _, ev := range evs {
		if ev.Type == protocol.EvClassEnded {
			return true
		}
	}
	return false
}
