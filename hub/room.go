package hub

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// recent is one event kept for resuming devices without reading the log.
type recent struct {
	seq   uint64
	aud   protocol.Audience
	frame []byte
}

// hubRoom is this node's view of one room: the local connections in it and
// the room's recent events. It exists while the room has local devices.
type hubRoom struct {
	id protocol.RoomID
	h  *Hub
	// Set by the room's first device before ready is closed, read-only
	// afterwards.
	sub    *rooms.Listening
	subErr error
	ready  chan struct{}

	mu    sync.Mutex
	conns map[*conn]struct{}
	epoch string
	last  uint64   // the last event pushed to the devices, 0 before the first
	floor uint64   // before the first push: the lowest snapshot offset of a device here
	ring  []recent // contiguous, ending at last
}

// encodeEvent builds the frame of an event once; every device that may see
// it gets the same bytes.
func encodeEvent(epoch string, ev protocol.Event) []byte {
	b, _ := json.Marshal(protocol.ServerFrame{
		V: protocol.Version, Type: protocol.FrameEvent, Epoch: epoch,
		Seq: ev.Seq, Event: ev.Type, Time: ev.Time, Data: ev.Data,
	})
	return b
}

// onEvent delivers events of the room (rooms.Listen): a step's, or one
// from another node. It is called for one batch at a time, in order of
// each source, so it is the only one to move last and the ring; the
// room's lock guards them against enter, leave, replay and baseline, and
// is never held while the log is read. It may be called by the room's
// actor itself: it never waits for the room. The frames the devices'
// writers give it to write at once (writer.offer) are written at the end,
// each device's frames of the batch together, with no lock held. Should
// it panic, the room's devices here resume (and rooms logs and counts the
// panic), since what they got is no longer known.
func (hr *hubRoom) onEvent(epoch string, evs []protocol.Event) {
	out := offeredPool.Get().(*[]offered)
	defer writeAll(out) // a panic too lets go of the writers it holds
	defer func() {
		if p := recover(); p != nil {
			hr.mu.Lock()
			hr.reset("the server could not deliver an event; resume")
			hr.mu.Unlock()
			panic(p)
		}
	}()
	for _, ev := range evs {
		hr.deliver(epoch, ev, out)
	}
}

// deliver delivers one event, after the events missed before it.
func (hr *hubRoom) deliver(epoch string, ev protocol.Event, out *[]offered) {
	var missed []protocol.Event // read from the log: the events (from, ev.Seq)
	var from uint64
	for {
		after, done := hr.take(epoch, ev, missed, from, out)
		if done {
			return
		}
		var ok bool
		if missed, ok = hr.fillGap(after, ev.Seq-1); !ok {
			hr.mu.Lock()
			hr.reset("missed events; resume")
			hr.mu.Unlock()
			return
		}
		from = after
	}
}

// take pushes ev to the devices, after the events missed before it that
// were read from the log from `from` on, and reports done; or, when there
// is a gap that missed does not cover, the offset after which events are
// missing. The frames the room is to write itself are added to out.
func (hr *hubRoom) take(epoch string, ev protocol.Event, missed []protocol.Event, from uint64, out *[]offered) (after uint64, done bool) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	if hr.epoch != "" && epoch != hr.epoch {
		// The log was replaced: no offset of the old one means anything.
		for c := range hr.conns {
			c.close(protocol.CloseRoomMoved, "the room's log changed; reconnect")
		}
		hr.last, hr.floor, hr.ring = 0, 0, nil
	}
	hr.epoch = epoch
	if ev.Seq <= hr.last {
		return 0, true // already delivered
	}
	after = max(hr.last, hr.floor)
	if after == 0 || ev.Seq <= after+1 {
		// No gap. An event at or below the floor (a snapshot's offset)
		// may still be on its way to devices that came earlier; those
		// whose snapshot holds it drop it by its offset.
		hr.push(ev, out)
		return 0, true
	}
	if missed != nil && from <= after {
		// The read covers the gap as it is now: a device that came
		// meanwhile may only have lowered the floor, which a second read
		// covers.
		for _, m := range missed {
			if m.Seq > after {
				hr.push(m, out)
			}
		}
		hr.push(ev, out)
		return 0, true
	}
	return after, false
}

// fillGap reads the events after `after` up to `to` that this node missed
// (an owner that died between the append and the fan-out) from the log,
// without the room's lock: deliveries to the room's other events wait for
// it anyway (they come after, on the same subscription), but devices
// entering, leaving or resuming do not. It reports false if the log
// cannot give exactly those events.
func (hr *hubRoom) fillGap(after, to uint64) ([]protocol.Event, bool) {
	hr.h.metrics.gapFills.Inc()
	// No deadline of the hub's own: each request of ReadLog to JetStream
	// has JetStream's, and a fill is a few events.
	evs, err := hr.h.cfg.Rooms.ReadLog(context.Background(), hr.id, after+1, to)
	if err != nil || uint64(len(evs)) != to-after || evs[0].Seq != after+1 {
		hr.h.log.Warn("gap fill failed; devices will resume", "room", hr.id, "err", err)
		return nil, false
	}
	return evs, true
}

// reset makes every device resume, which reads the log itself or falls
// back to a snapshot: this node cannot guarantee continuity. Called with
// hr.mu held.
func (hr *hubRoom) reset(reason string) {
	for c := range hr.conns {
		c.close(protocol.CloseRoomMoved, reason)
	}
	hr.last, hr.floor, hr.ring = 0, 0, nil
}

// offered is a frame a connection's writer gave the room to write itself
// (writer.offer), once it has let go of its lock.
type offered struct {
	w     *writer
	frame []byte
}

// maxOffered is how many of a delivery's frames the room writes itself, at
// most: a class's devices. The rest go to their connections' loops, which
// write them on the other cores (an assembly of a whole school, a node
// catching up).
const maxOffered = 40

var offeredPool = sync.Pool{New: func() any { return new([]offered) }}

// writeAll writes the frames offered to a room's delivery, each with the
// frames queued behind it since, without waiting for the sockets, and
// gives out back to its pool.
func writeAll(out *[]offered) {
	for i, o := range *out {
		(*out)[i] = offered{}
		o.w.writeOffered(o.frame)
	}
	*out = (*out)[:0]
	offeredPool.Put(out)
}

// push delivers one event in order, and adds to out the frames the room
// is to write itself. Called with hr.mu held.
func (hr *hubRoom) push(ev protocol.Event, out *[]offered) {
	if f := hr.h.pushFault.Load(); f != nil {
		(*f)(hr.id, ev)
	}
	hr.last = ev.Seq
	if ev.Type == protocol.EvOwnerChanged {
		hr.reannounce()
	}
	var frame []byte
	if ev.Audience.Kind != protocol.AudNone {
		frame = encodeEvent(hr.epoch, ev)
	}
	hr.ring = append(hr.ring, recent{seq: ev.Seq, aud: ev.Audience, frame: frame})
	// Trim to RingSize only when twice as full, so the copy is amortized.
	if n := len(hr.ring); n > 2*hr.h.cfg.RingSize {
		hr.ring = append(hr.ring[:0], hr.ring[n-hr.h.cfg.RingSize:]...)
	}
	if frame == nil {
		return
	}
	// Before the devices get it: whoever has seen the event finds it
	// counted.
	hr.h.metrics.observeLag(ev.Time)
	ended := ev.Type == protocol.EvClassEnded
	unshared := unsharedBy(ev)
	for c := range hr.conns {
		if ev.Audience.Allows(c.viewer) && c.deliver(ev.Seq, frame, len(*out) < maxOffered) {
			*out = append(*out, offered{c.w, frame})
		}
		if ended {
			c.closeAfterEvents(protocol.CloseRoomEnded, "the class has ended")
		}
		if unshared != "" && c.actor.Role == protocol.RoleTeacher && c.actor.Teacher == unshared {
			c.closeAfterEvents(protocol.CloseUnshared, "this class is no longer shared with you")
		}
	}
}

// unsharedBy is the teacher a share event takes out of the class, or "".
func unsharedBy(ev protocol.Event) protocol.TeacherID {
	if ev.Type != protocol.EvShare {
		return ""
	}
	var d protocol.Share
	if json.Unmarshal(ev.Data, &d) != nil || !d.Revoked {
		return ""
	}
	return d.Teacher
}

// reannounce tells a new owner which devices are here, so that presence
// survives a restart or takeover. Called with hr.mu held.
func (hr *hubRoom) reannounce() {
	for c := range hr.conns {
		if c.isLive() {
			go c.announcePresence()
		}
	}
}

// replay returns the frames of events in (from, to] that v may see, from
// the ring when it holds them all, else from the log.
func (hr *hubRoom) replay(ctx context.Context, epoch string, v protocol.Viewer, from, to uint64) ([][]byte, error) {
	var out [][]byte
	hr.mu.Lock()
	if hr.epoch == epoch && len(hr.ring) > 0 && hr.ring[0].seq <= from+1 && hr.last >= to {
		for _, r := range hr.ring {
			if r.seq > from && r.seq <= to && r.frame != nil && r.aud.Allows(v) {
				out = append(out, r.frame)
			}
		}
		hr.mu.Unlock()
		return out, nil
	}
	hr.mu.Unlock()
	evs, err := hr.h.cfg.Rooms.ReadLog(ctx, hr.id, from+1, to)
	if err != nil {
		return nil, err
	}
	if uint64(len(evs)) != to-from {
		return nil, protocol.Errorf(protocol.CodeNotRecoverable, "the log no longer holds every event since %d", from)
	}
	for _, ev := range evs {
		if ev.Audience.Allows(v) {
			out = append(out, encodeEvent(epoch, ev))
		}
	}
	return out, nil
}

// baseline records what a device's snapshot said, so that the first
// fan-out can be checked for gaps. It never moves last: an event below a
// snapshot's offset may still be on its way to devices that came earlier.
func (hr *hubRoom) baseline(epoch string, offset uint64) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	if hr.epoch == "" {
		hr.epoch = epoch
	}
	if hr.epoch == epoch && hr.last == 0 && (hr.floor == 0 || offset < hr.floor) {
		hr.floor = offset
	}
}
