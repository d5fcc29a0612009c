package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A fault stays in its class: one class made to panic on purpose is read
// again from its log once, then stopped with unavailable when it fails
// again; a class whose log holds an event that does not fold is refused
// with unavailable; every other class goes on, and so does the process.
func TestFaultStaysInItsClass(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	bad := newClass(t, m, "Ana")
	good := newClass(t, m, "Ben")
	m.mu.Lock()
	m.trap = func(cmd protocol.Command) {
		if cmd.Room == bad.id && cmd.Type == protocol.MsgAnnounce && strings.Contains(string(cmd.Data), "boom") {
			panic("a bug, on purpose")
		}
	}
	m.mu.Unlock()
	announce := func(c *testClass, text string) error {
		_, err := c.teach(protocol.MsgAnnounce, protocol.Announce{Text: text})
		return err
	}
	code := func(err error) protocol.Code {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return pe.Code
		}
		return ""
	}

	// The first panic: the command is refused, nothing of it is kept,
	// and the class is read again from its log and goes on.
	before := bad.view()
	if err := announce(bad, "boom"); code(err) != protocol.CodeInternal {
		t.Fatalf("a command that panics: %v, want internal", err)
	}
	if got := testutil.ToFloat64(m.metrics.panics); got != 1 {
		t.Fatalf("panics counted: %v, want 1", got)
	}
	if after := bad.view(); len(after.Announcements) != len(before.Announcements) {
		t.Fatalf("the command that panicked left %d announcements, before %d", len(after.Announcements), len(before.Announcements))
	}
	if err := announce(bad, "still here"); err != nil {
		t.Fatalf("after the first panic the class does not go on: %v", err)
	}
	if err := announce(good, "hello"); err != nil {
		t.Fatal(err)
	}

	// The second: the class stops on this node and says why.
	if err := announce(bad, "boom again"); code(err) != protocol.CodeUnavailable {
		t.Fatalf("a second panic: %v, want unavailable", err)
	}
	for _, typ := range []protocol.MsgType{protocol.MsgAnnounce, protocol.CmdSnapshot} {
		_, err := bad.teach(typ, protocol.Announce{Text: "x"})
		if code(err) != protocol.CodeUnavailable || !strings.Contains(err.Error(), "could not be loaded") {
			t.Fatalf("%s to the failed class: %v, want unavailable saying the class could not be loaded", typ, err)
		}
	}
	if got := testutil.ToFloat64(m.metrics.failed); got != 1 {
		t.Fatalf("failed rooms: %v, want 1", got)
	}
	if _, err := m.ReadLog(context.Background(), bad.id, 1, 100); err != nil {
		t.Fatalf("the failed class's log is still readable for the operator: %v", err)
	}

	// A corrupt event in a class's log: the class is refused at load,
	// never skipped over; the others go on.
	corrupt := newClass(t, m, "Cai")
	var snap protocol.SnapshotResult
	raw, err := corrupt.teach(protocol.CmdSnapshot, nil)
	if err != nil || json.Unmarshal(raw, &snap) != nil {
		t.Fatalf("snapshot: %v", err)
	}
	seq := snap.Offset
	ev, _ := json.Marshal(protocol.Event{Seq: seq + 1, Type: "from_a_newer_version", Data: json.RawMessage(`{}`)})
	p, _, err := m.logs.pointer(context.Background(), corrupt.id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), protocol.LogSubject(p.Shard, corrupt.id, p.Epoch), ev); err != nil {
		t.Fatal(err)
	}
	// The actor learns of the foreign append at its next write (the
	// fence), stops, and the next command loads the class again.
	_ = announce(corrupt, "fenced")
	poll(t, "the corrupt class refused", func() bool {
		_, err := corrupt.teach(protocol.CmdSnapshot, nil)
		return code(err) == protocol.CodeUnavailable
	})
	if got := testutil.ToFloat64(m.metrics.corrupt); got != 1 {
		t.Fatalf("corrupt logs counted: %v, want 1", got)
	}
	if err := announce(good, "still fine"); err != nil {
		t.Fatalf("another class after two failed: %v", err)
	}
	if n := len(good.view().Announcements); n != 2 {
		t.Fatalf("the good class has %d announcements, want 2", n)
	}
}
