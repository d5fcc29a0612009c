package rooms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A renewal of the lease that the store does not answer in time, while
// the lease still lives, does not stop the class: once a busy store took
// longer than a try, and a class whose lease had seconds to live stopped
// and was loaded again. Here the renewal is even stored and only its
// answer lost; the next renewal finds the lease at a revision of ours and
// goes on from it. Renewals that go unanswered for the lease's life do
// stop the class.
func TestSlowLeaseRenewalKeepsTheClass(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	m := newManager(t, nc, js, "node-a", longGrace)
	info, err := m.CreateRoom(ctx, teacherA, "Busy store")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "first"}); err != nil {
		t.Fatal(err)
	}

	// tries counts renewal tries; the first fault is an answer lost, the
	// ones after it up to failFor are no answer at all.
	var mu sync.Mutex
	tries, failFor := 0, 1
	m.leases.fault = func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		tries++
		switch {
		case tries == 1:
			return true, context.DeadlineExceeded
		case tries <= failFor:
			return false, context.DeadlineExceeded
		}
		return false, nil
	}
	waitTries := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			mu.Lock()
			got := tries
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d renewal tries in 30 s, want %d", got, n)
			}
			<-tick.C
		}
	}
	// The lost answer, then two renewals that were answered.
	waitTries(3)
	if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "second"}); err != nil {
		t.Fatal(err)
	}
	evs, _ := wholeLog(t, m, info.ID)
	owners := 0
	for _, ev := range evs {
		if ev.Type == protocol.EvOwnerChanged {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("the class was loaded %d times; a renewal whose answer was lost stopped it", owners)
	}

	// Now no renewal is answered for longer than the lease lives: the
	// class stops, and the next command loads it again.
	mu.Lock()
	failFor = tries + 1000
	mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for m.local(info.ID) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the class went on with its lease unrenewed for 30 s")
		}
		<-tick.C
	}
	mu.Lock()
	failFor = 0
	mu.Unlock()
	if _, err := do(t, m, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "third"}); err != nil {
		t.Fatal(err)
	}
	evs, _ = wholeLog(t, m, info.ID)
	owners = 0
	for _, ev := range evs {
		if ev.Type == protocol.EvOwnerChanged {
			owners++
		}
	}
	if owners != 2 {
		t.Fatalf("the class was loaded %d times, want 2: once, and again after its lease ran out", owners)
	}
}
