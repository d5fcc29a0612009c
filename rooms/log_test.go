package rooms

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// TestReadLog reads every kind of range and checks that each read,
// however it ends, leaves no consumer on the server and no goroutine here.
func TestReadLog(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	ls, err := openLogStore(ctx, js, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	room, other := protocol.NewRoomID(), protocol.NewRoomID()
	l, err := ls.open(ctx, room, true)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ls.open(ctx, other, true)
	if err != nil {
		t.Fatal(err)
	}
	const n = 600 // more than two fetches
	for i := range n {
		ev := &protocol.Event{Type: protocol.EvAnnouncement, Audience: protocol.ToAll, Time: int64(i)}
		if _, err := l.append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		// Another class's events in the same stream, unevenly, so that
		// offsets and stream sequences part ways.
		for range i % 3 {
			if _, err := o.append(ctx, &protocol.Event{Type: protocol.EvAnnouncement, Audience: protocol.ToAll}); err != nil {
				t.Fatal(err)
			}
		}
	}
	stream := ls.shards[0]
	readLog := func(ctx context.Context, _ any, room protocol.RoomID, from, to uint64) ([]protocol.Event, error) {
		return ls.readLog(ctx, room, from, to)
	}
	// Goroutines of the connection and the server, there before any read.
	running := goleak.IgnoreCurrent()
	check := func(name string) {
		t.Helper()
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers != 0 {
			t.Errorf("%s: %d consumers left on the stream", name, info.State.Consumers)
		}
		if err := goleak.Find(running); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	for _, c := range []struct {
		name         string
		from, to     uint64
		first, count uint64
	}{
		{"all", 1, n, 1, n},
		{"from 0", 0, 3, 1, 3},
		{"middle", 250, 520, 250, 271},
		{"one", 42, 42, 42, 1},
		{"past the end", n - 2, n + 50, n - 2, 3},
		{"after the end", n + 1, n + 9, 0, 0},
		{"empty range", 9, 8, 0, 0},
	} {
		evs, err := readLog(ctx, js, room, c.from, c.to)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if uint64(len(evs)) != c.count {
			t.Fatalf("%s: %d events, want %d", c.name, len(evs), c.count)
		}
		for i, ev := range evs {
			if want := c.first + uint64(i); ev.Seq != want || ev.Time != int64(want-1) {
				t.Fatalf("%s: event %d has offset %d (time %d), want %d", c.name, i, ev.Seq, ev.Time, want)
			}
		}
		check(c.name)
	}

	if _, err := readLog(ctx, js, protocol.NewRoomID(), 1, 5); !errors.Is(err, ErrNoRoom) {
		t.Errorf("a room without a log: %v, want ErrNoRoom", err)
	}
	check("no room")

	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := readLog(done, js, room, 1, n); err == nil {
		t.Errorf("a read with its context done succeeded")
	}
	check("context done")

	// A corrupt event in the middle of a fetch: the read fails, and still
	// cleans up after itself.
	if _, err := js.Publish(ctx, l.subj, []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	if _, err := readLog(ctx, js, room, n-10, n+1); err == nil {
		t.Errorf("a corrupt event was read")
	}
	check("corrupt event")
}
