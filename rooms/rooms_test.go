package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

func newManager(t *testing.T, nc *nats.Conn, js jetstream.JetStream, node string, mod ...func(*Config)) *Manager {
	t.Helper()
	// Tests send commands as fast as they can; the allowance per person
	// has tests of its own (limits_test.go).
	cfg := Config{NC: nc, JS: js, Node: protocol.NodeID(node), LeaseTTL: 2 * time.Second, Grace: 200 * time.Millisecond,
		CommandRate: 1e6, CommandBurst: 1e6}
	for _, f := range mod {
		f(&cfg)
	}
	m, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

var teacherA = protocol.TeacherID("6f1c2d3e-0000-4000-8000-000000000001")

func teacher(id protocol.TeacherID) protocol.Actor {
	return protocol.Actor{Role: protocol.RoleTeacher, Teacher: id}
}

func student(id protocol.StudentID) protocol.Actor {
	return protocol.Actor{Role: protocol.RoleStudent, Student: id}
}

func do(t *testing.T, m *Manager, room protocol.RoomID, typ protocol.MsgType, a protocol.Actor, data any) (json.RawMessage, error) {
	t.Helper()
	b, _ := json.Marshal(data)
	return m.Do(context.Background(), protocol.Command{Room: room, Type: typ, Actor: a, Data: b, Conn: "c1"})
}

func snapshotOf(t *testing.T, m *Manager, room protocol.RoomID, a protocol.Actor) (protocol.SnapshotResult, protocol.TeacherView) {
	t.Helper()
	out, err := do(t, m, room, protocol.CmdSnapshot, a, nil)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	var res protocol.SnapshotResult
	var tv protocol.TeacherView
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(res.View, &tv)
	return res, tv
}

func TestRoomLifecycleSurvivesRestart(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	ctx := context.Background()

	info, err := m.CreateRoom(ctx, teacherA, "Geometry 7B")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := NormalizeCode(info.Code); !ok {
		t.Fatalf("code %q not in the alphabet", info.Code)
	}
	_, joined, err := m.Join(ctx, " "+info.Code[:3]+"-"+info.Code[3:]+" ", "Olivia")
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "Welcome"}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(t, m, info.ID, protocol.MsgRaiseHand, student(joined.Student), protocol.RaiseHand{Note: "stuck on 3"}); err != nil {
		t.Fatal(err)
	}
	before, tv := snapshotOf(t, m, info.ID, teacher(teacherA))
	if len(tv.Students) != 1 || tv.Students[0].Name != "Olivia" || !tv.Students[0].Hand {
		t.Fatalf("roster = %+v", tv.Students)
	}

	// A new manager on the same NATS (a restart of the node) recovers it.
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	m2 := newManager(t, nc, js, "node-a")
	after, tv2 := snapshotOf(t, m2, info.ID, teacher(teacherA))
	if after.Epoch != before.Epoch {
		t.Fatalf("epoch changed across restart: %s → %s", before.Epoch, after.Epoch)
	}
	if after.Offset <= before.Offset {
		t.Fatalf("offset %d after restart, want > %d (owner_changed appended)", after.Offset, before.Offset)
	}
	if len(tv2.Students) != 1 || !tv2.Students[0].Hand || tv2.Students[0].Note != "stuck on 3" {
		t.Fatalf("roster after restart = %+v", tv2.Students)
	}
	if len(tv2.Announcements) != 1 {
		t.Fatalf("announcements after restart = %+v", tv2.Announcements)
	}

	// Ending voids the code.
	if _, err := do(t, m2, info.ID, protocol.MsgEndClass, teacher(teacherA), nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = m2.Join(ctx, info.Code, "Late")
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeNotFound {
		t.Fatalf("join after end: err = %v, want not_found", err)
	}
}

func TestDeposedOwnerCannotAppend(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	// Leases that A renews only every 20 s: A's actor must meet the fence
	// on its next append, not stop first on a renewal that found its
	// lease gone (every 0.7 s with the tests' TTL, and a loaded machine
	// may take that long to start B).
	minute := func(c *Config) { c.LeaseTTL = time.Minute }
	a := newManager(t, nc, js, "node-a", minute)
	ctx := context.Background()
	info, err := a.CreateRoom(ctx, teacherA, "Fractions")
	if err != nil {
		t.Fatal(err)
	}
	ra := a.local(info.ID)
	if ra == nil {
		t.Fatal("room not local to its creator")
	}
	// Node B takes the room as if A's lease had expired: delete the lease,
	// stop A's command subscription so B finds no responder.
	_ = ra.sub.Unsubscribe()
	if err := a.leases.kv.Delete(ctx, string(info.ID)); err != nil {
		t.Fatal(err)
	}
	nc2, js2 := s.Connect(t)
	b := newManager(t, nc2, js2, "node-b", minute)
	if _, err := do(t, b, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "from B"}); err != nil {
		t.Fatalf("B announce: %v", err)
	}
	// A still runs its actor; its next append must be fenced.
	_, err = ra.do(ctx, protocol.Command{Room: info.ID, Type: protocol.MsgAnnounce, Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"from A"}`)})
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("deposed owner append: err = %v, want ErrFenced", err)
	}
	evs, err := b.ReadLog(ctx, info.ID, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("log not gapless: %d at %d", ev.Seq, i)
		}
		if ev.Type == protocol.EvAnnouncement && string(ev.Data) == `{"text":"from A"}` {
			t.Fatal("the deposed owner's event is in the log")
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"ab3-k7p", "AB3K7P", true},
		{" AB3 K7P\t", "AB3K7P", true},
		{"AB3--K7P", "AB3K7P", true},
		{"AB3K7", "", false},
		{"AB3K7PQ", "", false},
		{"", "", false},
	} {
		got, ok := NormalizeCode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func BenchmarkNormalizeCode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := NormalizeCode("ab3-k7p"); !ok {
			b.Fatal("refused")
		}
	}
}
