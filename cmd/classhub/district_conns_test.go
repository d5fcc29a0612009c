package main

import (
	"context"
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// readUntil reads dv's frames until one satisfies ok, for up to within
// (the device helpers' own reads give up after 10 s; a count running out
// takes longer). It fails the test if the connection ends first.
func readUntil(t *testing.T, dv *device, what string, within time.Duration, ok func(protocol.ServerFrame) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		_, b, err := dv.ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) == nil && ok(f) {
			return
		}
	}
}

// evictedAs reads dv until it is closed, and checks that it was closed as
// its person's oldest connection: too_many_connections, then 4006.
func evictedAs(t *testing.T, dv *device, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	told := false
	for {
		_, b, err := dv.ws.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusCode(protocol.CloseTooManyConns) || !told {
				t.Fatalf("%s ended with %v (told too_many_connections: %v), want too_many_connections and %d", name, err, told, protocol.CloseTooManyConns)
			}
			return
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) == nil && f.Type == protocol.FrameError && f.Error != nil && f.Error.Code == protocol.CodeTooManyConns {
			told = true
		}
	}
}

func presenceOf(student protocol.StudentID, online bool) func(protocol.ServerFrame) bool {
	return func(f protocol.ServerFrame) bool {
		var p protocol.Presence
		return f.Type == protocol.FrameEvent && f.Event == protocol.EvPresence &&
			json.Unmarshal(f.Data, &p) == nil && p.Student == student && p.Online == online
	}
}

// TestDistrictConnectionsPerPerson holds one student's connections to
// a class on three classhub processes: the class's owner counts them all
// (5 by default), and past that the oldest is closed wherever it is.
// Then a node holding some of them is killed with SIGKILL: it says
// nothing of them ever again, and the owner's count of them runs out,
// so that they neither count against the student's next connections nor
// keep anyone shown online.
func TestDistrictConnectionsPerPerson(t *testing.T) {
	d := newDistrict(t)
	c := d.classes[0]
	owner := d.owner(0)
	if owner < 0 {
		t.Fatal("class 1 has no owner")
	}
	var others []int
	for i := range d.nodes {
		if i != owner {
			others = append(others, i)
		}
	}
	keep, victim := others[0], others[1]
	teacher, _ := d.nodes[owner].connect(c.teacher.token, c.room, nil)
	ana, ben := c.students[0], c.students[1]

	// Ben is on the node that will die.
	d.nodes[victim].connect(ben.token, "", nil)
	readUntil(t, teacher, "Ben online", 30*time.Second, presenceOf(ben.student, true))

	// Ana: five connections over the three nodes, the newest two on the
	// node that will die.
	var anas []*device
	for _, n := range []int{keep, owner, keep, victim, victim} {
		dv, _ := d.nodes[n].connect(ana.token, "", nil)
		anas = append(anas, dv)
	}

	d.killNode(victim, syscall.SIGKILL)
	t.Logf("killed %s, which held Ben's connection and Ana's newest two", d.nodeName(victim))
	at := time.Now()
	readUntil(t, teacher, "Ben offline once his dead connection's count ran out", 90*time.Second, presenceOf(ben.student, false))
	t.Logf("Ben shown offline %v after his node was killed", time.Since(at).Round(time.Millisecond))

	// Ana's two dead connections no longer count: two more on the owner
	// make five live, and close none of hers.
	for range 2 {
		dv, _ := d.nodes[owner].connect(ana.token, "", nil)
		anas = append(anas, dv)
	}
	// A sixth live one closes her oldest (on another node than the
	// newest: counted by the owner), and only that one.
	dv, _ := d.nodes[keep].connect(ana.token, "", nil)
	anas = append(anas, dv)
	evictedAs(t, anas[0], "Ana's oldest connection")
	for _, i := range []int{1, 2, 5, 6, 7} {
		id := anas[i].send(protocol.MsgPing, struct{}{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		for {
			_, b, err := anas[i].ws.Read(ctx)
			if err != nil {
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Ana's connection %d did not answer a ping", i)
				}
				t.Fatalf("Ana's connection %d was closed: %v", i, err)
			}
			var f protocol.ServerFrame
			if json.Unmarshal(b, &f) == nil && f.ID == id {
				break
			}
		}
		cancel()
	}
}
