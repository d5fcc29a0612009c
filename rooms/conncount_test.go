package rooms

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// The class's owner counts a person's connections from every node: past
// the limit it asks the node of the oldest to close it (the newest wins),
// and a connection whose node stops renewing it (a node that died) runs
// out, is no longer counted, and its presence ends as if it had
// disconnected.
func TestOwnerCountsConnectionsAcrossNodes(t *testing.T) {
	s := natstest.Start(t)
	nc1, js1 := s.Connect(t)
	nc2, js2 := s.Connect(t)
	owner := newManager(t, nc1, js1, "node-1", func(c *Config) { c.LeaseTTL = 900 * time.Millisecond })
	other := newManager(t, nc2, js2, "node-2")
	ctx := context.Background()
	info, err := owner.CreateRoom(ctx, teacherA, "Counted")
	if err != nil {
		t.Fatal(err)
	}
	_, ana, err := owner.Join(ctx, info.Code, "Ana")
	if err != nil {
		t.Fatal(err)
	}
	person := string(info.ID) + "/student/" + string(ana.Student)

	// Two nodes' subjects for closing connections, on the connection the
	// commands are sent from: an owner's Evict, published before it
	// answers, arrives before the answer.
	evicts := map[string]chan *nats.Msg{}
	for _, subj := range []string{"test.edge.1", "test.edge.2"} {
		ch := make(chan *nats.Msg, 8)
		if _, err := nc2.ChanSubscribe(subj, ch); err != nil {
			t.Fatal(err)
		}
		evicts[subj] = ch
	}
	noEvict := func(when string) {
		t.Helper()
		for subj, ch := range evicts {
			select {
			case m := <-ch:
				t.Fatalf("%s: an eviction on %s: %s", when, subj, m.Data)
			default:
			}
		}
	}
	evicted := func(subj, conn string) {
		t.Helper()
		select {
		case m := <-evicts[subj]:
			var ev protocol.Evict
			if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Room != info.ID || ev.Conn != conn {
				t.Fatalf("eviction %s (%v), want %s of %s", m.Data, err, conn, info.ID)
			}
		default:
			t.Fatalf("no eviction of %s on %s", conn, subj)
		}
	}
	send := func(typ protocol.MsgType, conn string, since int64, closeTo string, ttl time.Duration) protocol.HoldResult {
		t.Helper()
		h := protocol.Hold{Conns: []protocol.HeldConn{{Conn: conn, Person: person, Since: since}}, CloseTo: closeTo, Limit: 1, TTLMs: ttl.Milliseconds()}
		b, _ := json.Marshal(h)
		out, err := other.Do(ctx, protocol.Command{Room: info.ID, Type: typ, Actor: student(ana.Student), Conn: conn, Data: b})
		if err != nil {
			t.Fatalf("%s %s: %v", typ, conn, err)
		}
		var res protocol.HoldResult
		if typ == protocol.CmdHold {
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
		}
		return res
	}
	online := func() bool {
		_, tv := snapshotOf(t, owner, info.ID, teacher(teacherA))
		for _, st := range tv.Students {
			if st.ID == ana.Student {
				return st.Online
			}
		}
		t.Fatal("Ana is not in the class")
		return false
	}
	waitOnline := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for online() != want {
			if time.Now().After(deadline) {
				t.Fatalf("Ana's presence did not become %v", want)
			}
			<-tick.C
		}
	}

	// A connection on node 2, which then dies: nothing renews it.
	send(protocol.CmdConnect, "x", 1, "test.edge.2", 300*time.Millisecond)
	waitOnline(true)
	waitOnline(false)
	r := owner.local(info.ID)
	if n := r.held.count(person, time.Now()); n != 0 {
		t.Fatalf("%d connections still counted after their node stopped renewing them", n)
	}

	// Ana's next device is not counted against the one that died.
	send(protocol.CmdConnect, "y", 2, "test.edge.1", time.Minute)
	noEvict("a first live connection")
	waitOnline(true)

	// One more, on node 2: the newest wins, the oldest is closed where
	// it is, on node 1.
	if res := send(protocol.CmdHold, "z", 3, "test.edge.2", time.Minute); len(res.Unknown) != 1 || res.Unknown[0] != "z" {
		t.Fatalf("a new connection renewed: unknown %v, want [z]", res.Unknown)
	}
	evicted("test.edge.1", "y")
	noEvict("after the oldest was closed")
	if res := send(protocol.CmdHold, "z", 3, "test.edge.2", time.Minute); len(res.Unknown) != 0 {
		t.Fatalf("a renewal: unknown %v, want none", res.Unknown)
	}
	noEvict("a renewal")
	if n := r.held.count(person, time.Now()); n != 1 {
		t.Fatalf("%d connections counted, want 1", n)
	}
	if _, err := other.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdDisconnect, Actor: student(ana.Student), Conn: "z"}); err != nil {
		t.Fatal(err)
	}
	if n := r.held.count(person, time.Now()); n != 0 {
		t.Fatalf("%d connections counted after the last disconnected, want 0", n)
	}
}
