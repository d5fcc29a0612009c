package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
)

// Data rights: everything a class's log holds about one student, and
// erasing a student from it.

// CmdErase and CmdExport are internal commands, sent by nodes to the room's
// owner on a teacher's request over REST.
const (
	CmdErase  protocol.MsgType = "erase"
	CmdExport protocol.MsgType = "export"
)

// StudentTarget is the data of CmdErase and CmdExport.
type StudentTarget struct {
	Student protocol.StudentID `json:"student"`
}

// Export is everything the class holds about one student: their entry
// and practice in the state, and every event that names them.
type Export struct {
	Room    protocol.RoomID  `json:"room"`
	Student *class.Student   `json:"student"`
	Learner *class.Learner   `json:"learner,omitempty"`
	Events  []protocol.Event `json:"events"`
}

// concerns reports whether an event names the student anywhere: in its
// audience or anywhere in its data.
func concerns(ev protocol.Event, sid protocol.StudentID) bool {
	if ev.Audience.Student == sid {
		return true
	}
	for _, m := range ev.Audience.Members {
		if m == sid {
			return true
		}
	}
	var v any
	if json.Unmarshal(ev.Data, &v) != nil {
		return false
	}
	return mentions(v, string(sid))
}

func mentions(v any, id string) bool {
	switch x := v.(type) {
	case string:
		return x == id
	case []any:
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if mentions(e, id) {
				return true
			}
		}
	}
	return false
}

// subjectOf is the student an event is about, when it is about one.
func subjectOf(ev protocol.Event) protocol.StudentID {
	var d struct {
		Student protocol.StudentID `json:"student"`
		Flag    *struct {
			Student protocol.StudentID `json:"student"`
		} `json:"flag"`
	}
	_ = json.Unmarshal(ev.Data, &d)
	if d.Flag != nil && d.Flag.Student != "" && ev.Type == protocol.EvFlag {
		return d.Flag.Student
	}
	switch ev.Type {
	case protocol.EvStudentJoined, protocol.EvPresence, protocol.EvHand, protocol.EvPlacement, protocol.EvLevel,
		protocol.EvChoice, protocol.EvItem, protocol.EvAttempt, protocol.EvHintShown, protocol.EvOffer, protocol.EvHelpSent,
		protocol.EvReply:
		return d.Student
	}
	return ""
}

// scrub removes the student from an event about others: list entries
// that are the student or an object whose id or student is the student,
// an assignee that is the student, and the student from the audience.
// The event's shape stays as the fold expects it.
func scrub(ev protocol.Event, sid protocol.StudentID) (protocol.Event, error) {
	var v any
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		return ev, err
	}
	v = scrubValue(v, string(sid))
	raw, err := json.Marshal(v)
	if err != nil {
		return ev, err
	}
	ev.Data = raw
	members := ev.Audience.Members[:0:0]
	for _, m := range ev.Audience.Members {
		if m != sid {
			members = append(members, m)
		}
	}
	if ev.Audience.Members != nil {
		ev.Audience.Members = members
	}
	return ev, nil
}

func scrubValue(v any, id string) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok && s == id {
				continue
			}
			if m, ok := e.(map[string]any); ok && (m["id"] == id || m["student"] == id) {
				continue
			}
			out = append(out, scrubValue(e, id))
		}
		return out
	case map[string]any:
		for k, e := range x {
			switch {
			case (k == "assignee" || k == "to") && e == id:
				x[k] = ""
			case k == "by":
				if m, ok := e.(map[string]any); ok && m["student"] == id {
					x[k] = map[string]any{"role": m["role"], "name": "(erased)"}
				}
			default:
				x[k] = scrubValue(e, id)
			}
		}
		return x
	}
	return v
}

// export answers CmdExport.
func (r *room) export(ctx context.Context, sid protocol.StudentID) (json.RawMessage, error) {
	st := r.st.Students[sid]
	if st == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", sid)
	}
	evs, err := r.log.readUpTo(ctx, r.log.first, r.st.Seq)
	if err != nil {
		return nil, err
	}
	out := Export{Room: r.id, Student: st, Learner: r.st.Learners[sid], Events: []protocol.Event{}}
	for _, ev := range evs {
		if concerns(ev, sid) {
			out.Events = append(out.Events, ev)
		}
	}
	return reply(out)
}

// erase rewrites the room's log without the student: the events about
// them are dropped, the others lose every mention of them, and the new
// log replays to a consistent state, checked before anything is
// replaced. The log gets a new epoch, so every device starts again from a
// fresh snapshot; the erased student's token no longer opens the class.
func (r *room) erase(ctx context.Context, sid protocol.StudentID) (json.RawMessage, error) {
	if r.st.Students[sid] == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", sid)
	}
	evs, err := r.log.readUpTo(ctx, r.log.first, r.st.Seq)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 || evs[0].Seq != 1 {
		return nil, protocol.Errorf(protocol.CodeWrongState, "the start of this class's log is no longer kept; it cannot be rewritten")
	}
	var kept []protocol.Event
	for _, ev := range evs {
		if subjectOf(ev) == sid || ev.Audience.Student == sid {
			continue
		}
		if ev.Type == protocol.EvReply && concerns(ev, sid) {
			continue // a teacher's command about the student: its reply names them
		}
		if concerns(ev, sid) {
			if ev, err = scrub(ev, sid); err != nil {
				return nil, fmt.Errorf("erase: %w", err)
			}
		}
		kept = append(kept, ev)
	}
	// Who erased whom, and when, is the rewritten log's last event, so
	// that it is there as soon as the rewrite is: the teacher (by), and of
	// the student only a digest of their ID.
	erased, err := json.Marshal(protocol.Erased{Digest: protocol.ErasureDigest(r.id, sid), Removed: len(evs) - len(kept)})
	if err != nil {
		return nil, err
	}
	kept = append(kept, protocol.Event{Type: protocol.EvErased, Time: r.m.cfg.Now().UnixMilli(), Audience: protocol.ToTeachers, Data: erased, By: r.by})
	// Replay before replacing anything: a log that does not fold is not
	// written.
	st := class.New(r.id)
	for i := range kept {
		kept[i].Seq = uint64(i + 1)
		if err := st.Apply(kept[i]); err != nil {
			return nil, fmt.Errorf("erase: the rewritten log does not replay: %w", err)
		}
	}
	if _, ok := st.Students[sid]; ok {
		return nil, fmt.Errorf("erase: the student is still in the rewritten log")
	}
	lg, err := r.rewrite(ctx, kept)
	if err != nil {
		return nil, fmt.Errorf("erase: %w", err)
	}
	r.log = lg
	r.st = class.New(r.id)
	for _, ev := range kept {
		if err := r.st.Apply(ev); err != nil {
			return nil, err
		}
	}
	for conn, s := range r.conns {
		if s == sid {
			delete(r.conns, conn)
		}
	}
	if _, err := r.emit(ctx, protocol.EvOwnerChanged, protocol.ToNone, protocol.OwnerChanged{Node: r.m.cfg.Node}); err != nil {
		return nil, err
	}
	if err := r.flush(ctx); err != nil {
		return nil, err
	}
	if err := r.saveSnapshot(ctx); err != nil {
		return nil, err
	}
	r.armRotation()
	r.armWatch()
	// The new log holds what was kept and the record of the erasure.
	return reply(map[string]any{"events": len(kept), "removed": len(evs) - (len(kept) - 1)})
}

// rewrite makes evs the class's log, under a new epoch, so that a crash at
// any moment leaves one complete log: the new log is written beside the
// old one while the class's pointer names it pending (a crash then leaves
// the old log the class's, and the next open removes the half-written
// one); one update of the pointer makes it the class's and the old one
// retired; only then is the old one removed.
func (r *room) rewrite(ctx context.Context, evs []protocol.Event) (*roomLog, error) {
	ls := r.m.logs
	// What an earlier rewrite left half done goes first: a pending log
	// never became the class's, and may hold students erased since.
	p, err := ls.tidy(ctx, r.id)
	if err != nil {
		return nil, err
	}
	if p.Epoch != r.log.epoch {
		return nil, fmt.Errorf("the class's log moved on: %w", ErrFenced)
	}
	_, rev, err := ls.pointer(ctx, r.id)
	if err != nil {
		return nil, err
	}
	next := p
	next.Pending = uuid.NewString()
	if rev, err = ls.setPointer(ctx, r.id, next, rev); err != nil {
		return nil, err
	}
	nl := ls.at(r.id, p.Shard, next.Pending)
	abandon := func(err error) (*roomLog, error) {
		// Best effort: the next open removes it in any case.
		if _, terr := ls.tidy(context.WithoutCancel(ctx), r.id); terr != nil {
			r.m.log.Warn("erase: the half-written log is left for the next open", "room", r.id, "err", terr)
		}
		return nil, err
	}
	if err := r.m.crashPoint("pending"); err != nil {
		return abandon(err)
	}
	for i := 0; i < len(evs); i += migrateBatch {
		if time.Since(r.leaseAt) >= r.m.cfg.LeaseTTL/3 {
			if err := r.keepLease(ctx); err != nil {
				return abandon(err)
			}
		}
		if _, err := nl.appendAll(ctx, evs[i:min(i+migrateBatch, len(evs))]); err != nil {
			return abandon(err)
		}
		if err := r.m.crashPoint("writing"); err != nil {
			return abandon(err)
		}
	}
	if err := r.keepLease(ctx); err != nil {
		return abandon(err)
	}
	if rev, err = ls.setPointer(ctx, r.id, logPointer{Epoch: nl.epoch, Shard: p.Shard, Retired: p.Epoch}, rev); err != nil {
		return abandon(err)
	}
	// From here the new log is the class's: what is left is cleaning up,
	// which the next open does if it fails now.
	cleanup := func() error {
		if err := r.m.crashPoint("switched"); err != nil {
			return err
		}
		if err := ls.purge(ctx, r.id, p.Shard, p.Epoch); err != nil {
			return err
		}
		_, err := ls.setPointer(ctx, r.id, logPointer{Epoch: nl.epoch, Shard: p.Shard}, rev)
		return err
	}
	if err := cleanup(); err != nil {
		r.m.log.Warn("erase: the old log is left for the next open to remove", "room", r.id, "err", err)
	}
	return nl, nil
}

// keepLease renews the room's lease from inside a long step. The actor's
// tick renews it between steps only, and a rewrite of a long log (batch
// after batch, then the old log removed) can outlast the lease: the class
// was then erased and its actor stopped at the next tick, so that the
// next command loaded it again as a takeover would, ending the presence
// of every student online after a grace period. What counts as a lost
// lease is as on the tick (renewLease); a lost lease stops the rewrite
// before it makes its log the class's.
func (r *room) keepLease(ctx context.Context) error {
	if r.leaseRev == 0 {
		return nil
	}
	return r.renewLease(ctx, r.m.log.With("room", r.id))
}
