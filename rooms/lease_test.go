package rooms

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// A node whose process is gone (its NATS connection closed, its leases
// left to expire) loses its classes to the next node that gets a command
// for one of them, long before its leases expire: with a lease TTL of an
// hour, the command is answered within the request timeout.
func TestLeaseOfAGoneNodeIsTakenOver(t *testing.T) {
	s := natstest.Start(t)
	ncA, jsA := s.Connect(t)
	ncB, jsB := s.Connect(t)
	hour := func(c *Config) { c.LeaseTTL = time.Hour; c.GoneAfter = 200 * time.Millisecond }
	a := newManager(t, ncA, jsA, "node-a", hour)
	b := newManager(t, ncB, jsB, "node-b", hour)

	info, err := a.CreateRoom(context.Background(), teacherA, "Science")
	if err != nil {
		t.Fatal(err)
	}
	if a.Owned() != 1 {
		t.Fatalf("node A runs %d rooms", a.Owned())
	}
	// A live owner keeps its class: node B is told it is owned elsewhere
	// however long it tries.
	deadline := time.Now().Add(time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if _, err := b.leases.claim(context.Background(), info.ID); !errors.Is(err, ErrOwnedElsewhere) {
			t.Fatalf("node B claimed the lease of a live node: %v", err)
		}
		<-tick.C
	}

	ncA.Close() // as a crash does: the lease stays
	// A command the server still routes to the closed connection waits
	// out its timeout, as one racing a crash does: send the first once
	// the server has let the connection go.
	for {
		_, err := ncB.Request(aliveSubject("node-a"), nil, 5*time.Second)
		if errors.Is(err, nats.ErrNoResponders) {
			break
		}
		<-tick.C
	}
	if _, err := do(t, b, info.ID, protocol.MsgAnnounce, teacher(teacherA), protocol.Announce{Text: "still here"}); err != nil {
		t.Fatalf("a command to the class of a node that is gone: %v", err)
	}
	if b.Owned() != 1 {
		t.Fatalf("node B runs %d rooms after taking over", b.Owned())
	}
	e, err := b.leases.kv.Get(context.Background(), string(info.ID))
	if err != nil || string(e.Value()) != "node-b" {
		t.Fatalf("the lease after the takeover: %v %v", e, err)
	}
	_, tv := snapshotOf(t, b, info.ID, teacher(teacherA))
	if len(tv.Announcements) != 1 || tv.Announcements[0].Text != "still here" {
		t.Fatalf("the class after the takeover: %+v", tv.Announcements)
	}
}

// JetStream saying it cannot answer for the moment while a class starts
// is retried, and a device is told unavailable (retry), never internal.
func TestStoreBusyIsRetried(t *testing.T) {
	busy := []error{
		nats.ErrNoResponders, nats.ErrTimeout, nats.ErrConnectionReconnecting,
		fmt.Errorf("claim lease: %w", jetstream.ErrNoStreamResponse),
		fmt.Errorf("claim lease: %w", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}),
	}
	for _, err := range busy {
		if !storeBusy(err) {
			t.Errorf("%v is not taken for JetStream busy", err)
		}
		wrapped := fmt.Errorf("%w: %w", ErrStoreBusy, err)
		if !retryable(wrapped) {
			t.Errorf("%v is not retried", wrapped)
		}
		if pe := protocol.ErrorOf(wrapped); pe.Code != protocol.CodeUnavailable {
			t.Errorf("%v is told %s", wrapped, pe.Code)
		}
	}
	for _, err := range []error{errors.New("boom"), &jetstream.APIError{Code: 400, ErrorCode: 10071}, ErrNoRoom} {
		if storeBusy(err) {
			t.Errorf("%v is taken for JetStream busy", err)
		}
	}
}
