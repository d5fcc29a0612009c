package rooms

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A command retried with its request ID after the node restarted (a clean
// stop, which saves a snapshot, or a crash, which does not) or after the
// class moved to another node gets its first answer, and is in the log
// once.
func TestRepliesSurviveRestartsAndTakeovers(t *testing.T) {
	for _, how := range []string{"clean stop", "crash", "takeover"} {
		t.Run(how, func(t *testing.T) {
			s := natstest.Start(t)
			nc, js := s.Connect(t)
			m := newManager(t, nc, js, "node-a")
			c := newClass(t, m, "Olivia")
			announce := protocol.Command{Room: c.id, Type: protocol.MsgAnnounce, ReqID: "k3f9-17", Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"Pens down"}`)}
			hand := protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "k3f9-17", Actor: student(c.students[0]), Data: json.RawMessage(`{"note":"3b"}`)}
			first, err := m.Do(context.Background(), announce)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Do(context.Background(), hand); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "clean stop":
				if err := m.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				m = newManager(t, nc, js, "node-a")
			case "crash":
				// A killed process saves no snapshot: the class comes
				// back from its log alone.
				if err := m.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				if err := m.snaps.Purge(context.Background(), string(c.id)); err != nil {
					t.Fatal(err)
				}
				m = newManager(t, nc, js, "node-a")
			case "takeover":
				r := m.local(c.id)
				r.stop()
				<-r.done
				m = newManager(t, nc, js, "node-b")
			}
			again, err := m.Do(context.Background(), announce)
			if err != nil || string(again) != string(first) {
				t.Fatalf("retried after a %s: %s %v, first answer %s", how, again, err, first)
			}
			if _, err := m.Do(context.Background(), hand); err != nil {
				t.Fatal(err)
			}
			var snap protocol.SnapshotResult
			raw, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.CmdSnapshot, Actor: teacher(teacherA)})
			if err != nil || json.Unmarshal(raw, &snap) != nil {
				t.Fatal(err)
			}
			evs, err := m.ReadLog(context.Background(), c.id, 1, snap.Offset)
			if err != nil {
				t.Fatal(err)
			}
			n := map[protocol.EventType]int{}
			for _, ev := range evs {
				n[ev.Type]++
			}
			if n[protocol.EvAnnouncement] != 1 || n[protocol.EvHand] != 1 {
				t.Fatalf("after a %s and retries the log holds %d announcements and %d hands, want 1 each", how, n[protocol.EvAnnouncement], n[protocol.EvHand])
			}
			// A new request ID is a new command.
			announce.ReqID = "k3f9-18"
			if next, err := m.Do(context.Background(), announce); err != nil || string(next) == string(first) {
				t.Fatalf("a new request ID: %s %v", next, err)
			}
		})
	}
}
