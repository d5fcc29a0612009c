package rooms

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/detect"
)

// request is one command waiting in a room's inbox. done is called exactly
// once, from the actor's goroutine or, if the actor stopped, by whoever
// finds that out.
type request struct {
	cmd   protocol.Command
	start time.Time
	done  func(json.RawMessage, error)
	// queued, when set, is called once req is in the inbox (WhenQueued).
	queued func()
}

// room is the actor of one live room. Everything below the mutex-free line
// is touched only by the actor's goroutine.
type room struct {
	id    protocol.RoomID
	m     *Manager
	inbox chan *request
	timer chan protocol.StudentID // grace periods that ran out
	// rotFire carries the generation of the rotation timer that fired;
	// a timer replaced since is ignored.
	rotFire chan uint64
	quit    chan struct{} // closed to ask the actor to stop
	done    chan struct{} // closed when the actor has stopped
	once    sync.Once

	// allowance counts each person's commands to the class; taken from
	// in submit, by whoever submits.
	allowance *allowance
	// held counts each person's connections across nodes (conncount.go);
	// counted in submit, by whoever submits.
	held heldConns

	// Owned by the actor goroutine.
	log      *roomLog
	st       *class.State
	leaseRev uint64
	leaseAt  time.Time // when the lease was last claimed or renewed
	sub      *nats.Subscription
	conns    map[string]protocol.StudentID // connection → student ("" for staff)
	tconns   map[string]protocol.TeacherID // connection → teacher, for teachers' presence
	grace    map[protocol.StudentID]*time.Timer
	// pending are the events of the step under way: applied to st at
	// once, appended together when the step ends (flush).
	pending []protocol.Event
	// after runs once the step's events are in the log: effects outside
	// the log (the directory, profiles, history) that must not happen
	// for a step the log did not take.
	after  []func(ctx context.Context)
	panics int
	failed bool // the room could not go on: no snapshot of its state is saved
	// stale: the log refused this owner's append (fenced), so st holds
	// events the log does not: it must not be saved as a snapshot.
	stale     bool
	sinceSnap int
	// The log's bytes appended since the last snapshot, and that
	// snapshot's size: a snapshot is saved once the log since the last
	// is as large as it (and SnapshotEvery events have passed).
	sinceBytes, snapBytes int

	lastUsed  time.Time
	rotStop   func() bool
	rotGen    uint64
	watchStop func() bool
	watchGen  uint64
	// watchedAt is when the detectors last looked at every student (Unix
	// ms); 0 until they have since the room was loaded. A mark of time
	// after it (a student's idle mark, a snooze's end) is still to be
	// seen, even when it is now or already past.
	watchedAt int64
	// watchFire carries the generation of the detector timer that fired.
	watchFire chan uint64
	// looked are the students the detectors looked at in the step under
	// way, each with the number of staged events (pending) when they had
	// looked, and lookedAll the same for a look at every one (-1: none):
	// a step that changed the class looks at whom its later events may
	// have changed before it ends (lookAfter), so that the flags are
	// always what the detectors see of the class now, and a restart,
	// which looks at everyone again, changes nothing.
	looked    map[protocol.StudentID]int
	lookedAll int
	// idleTogether is who the class-level idle notice last spoke for;
	// recheck, the students who joined or left it since they were last
	// looked at.
	idleTogether map[protocol.StudentID]bool
	recheck      []protocol.StudentID
	// riseAt is when each student's flag rising to act now rises by time
	// alone (detect.RiseAt), for the detector timer; looked at again, the
	// class sets it again.
	riseAt map[protocol.StudentID]int64
	// slotFreed says a flag of the step left act now: the flags waiting
	// for a slot are looked at again.
	slotFreed bool
	// by is the teacher whose command is running, stamped on the events
	// it makes; nil between commands and for everyone else.
	by *protocol.ActedBy
}

// submit puts req in the inbox without blocking. A full inbox is the room
// telling its callers to back off, not a reason to stall a node.
func (r *room) submit(req *request) {
	if r.holdCmd(req) {
		return
	}
	if who := personOf(req.cmd); who != "" {
		if wait, ok := r.allowance.take(who, time.Now()); !ok {
			r.m.metrics.limited.Inc()
			req.done(nil, rateLimited(wait))
			return
		}
	}
	select {
	case <-r.done:
		req.done(nil, ErrStopped)
	case r.inbox <- req:
		if req.queued != nil {
			req.queued()
		}
	default:
		req.done(nil, protocol.Errorf(protocol.CodeBusy, "the room is busy; retry"))
	}
}

// do submits cmd and waits for the result.
func (r *room) do(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	type result struct {
		data json.RawMessage
		err  error
	}
	ch := make(chan result, 1)
	r.submit(&request{cmd: cmd, start: time.Now(), done: func(d json.RawMessage, err error) { ch <- result{d, err} }, queued: queuedHook(ctx)})
	select {
	case res := <-ch:
		return res.data, res.err
	case <-r.done:
		select {
		case res := <-ch:
			return res.data, res.err
		default:
			return nil, ErrStopped
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("room %s: %w", r.id, ctx.Err())
	}
}

func (r *room) stop() { r.once.Do(func() { close(r.quit) }) }

// run is the actor loop. It returns when asked to stop, when the room has
// been idle long enough, when the lease or the fence says another node
// owns the room, or when the room failed (see fault).
func (r *room) run() {
	log := r.m.log.With("room", r.id)
	defer r.shutdown(log)
	tick := time.NewTicker(r.m.cfg.LeaseTTL / 3)
	defer tick.Stop()
	ctx := context.Background()
	for {
		// A timer that fired goes before the commands waiting: what was
		// due first is done first, so a command never overtakes a
		// deadline or a detector check that came before it (and a test
		// that moves its clock and then sends a command sees the fire
		// handled first, every time).
		select {
		case gen := <-r.rotFire:
			if r.rotationFired(ctx, log, gen) {
				return
			}
			continue
		case gen := <-r.watchFire:
			if r.watchFired(ctx, log, gen) {
				return
			}
			continue
		default:
		}
		if r.m.between != nil && r.st != nil {
			r.m.between(ctx, r)
		}
		select {
		case <-r.quit:
			return
		case req := <-r.inbox:
			r.lastUsed = time.Now()
			if time.Since(r.leaseAt) >= 2*r.m.cfg.LeaseTTL/3 {
				// The tick has not renewed the lease for two of its
				// periods: a store slow to answer, commands waiting
				// without end. Renew it before anything else, while it
				// still lives.
				if err := r.renewLease(ctx, log); err != nil {
					r.leaseLost(log, err)
					req.done(nil, ErrStopped)
					return
				}
			}
			// Commands already waiting are taken together: their events
			// go to the log in one atomic append, one round trip for all
			// of them, instead of one each.
			group, tail := []*request{req}, (*request)(nil)
			for groupable(req) && tail == nil && len(group) < maxGroup {
				select {
				case more := <-r.inbox:
					if groupable(more) {
						group = append(group, more)
					} else {
						tail = more
					}
					continue
				default:
				}
				break
			}
			if r.serve(ctx, log, group) {
				if tail != nil {
					tail.done(nil, ErrStopped)
				}
				return
			}
			if tail != nil && r.serve(ctx, log, []*request{tail}) {
				return
			}
			if r.st.Status == protocol.StatusEnded && len(r.inbox) == 0 {
				// An ended class holds no actor: what reports, exports
				// and erasures need is in its log, and the next such
				// command loads it again for that command alone.
				log.Debug("class ended; stopping actor")
				return
			}
		case gen := <-r.rotFire:
			if r.rotationFired(ctx, log, gen) {
				return
			}
		case gen := <-r.watchFire:
			if r.watchFired(ctx, log, gen) {
				return
			}
		case sid := <-r.timer:
			_, err := r.step(ctx, "grace timer", "", "", func() (json.RawMessage, error) { return nil, r.graceOver(ctx, sid) })
			if r.fault(ctx, log, err) != nil {
				return
			} else if err != nil {
				log.Error("presence", "err", err)
			}
		case <-tick.C:
			if err := r.renewLease(ctx, log); err != nil {
				r.leaseLost(log, err)
				return
			}
			r.dropExpired(time.Now())
			if len(r.conns) == 0 && time.Since(r.lastUsed) > r.m.cfg.IdleTimeout {
				log.Info("room idle; stopping actor")
				return
			}
		}
	}
}

// renewLease renews the class's lease, and returns an error only when
// the lease is lost: another node holds it, or it is gone, or it was not
// renewed while it lived. A renewal the store had no room for is not a
// loss: the class goes on, telling its devices storage_full for what it
// cannot save, rather than stopping and leaving them a class no node can
// load. Nor is one the store did not answer in time while the lease has
// more than a tick to live: the next tick tries again. (Under load a
// renewal once took longer than its try, and a class whose lease had
// seconds to live stopped and was loaded again.) The fence still rules:
// should the lease run out and another node take the class, this
// actor's next append is refused and it stops.
func (r *room) renewLease(ctx context.Context, log *slog.Logger) error {
	rctx, cancel := context.WithTimeout(ctx, r.m.cfg.LeaseTTL/3)
	defer cancel()
	rev, err := r.m.leases.renew(rctx, r.id, r.leaseRev)
	if err == nil {
		r.leaseRev, r.leaseAt = rev, time.Now()
		return nil
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		// At another revision: ours, if a renewal whose answer was lost
		// was stored after all.
		if rev, ok := r.m.leases.ours(rctx, r.id, r.leaseRev); ok {
			r.leaseRev, r.leaseAt = rev, time.Now()
			return nil
		}
		return err
	case errors.Is(err, ErrStoreFull):
		// The class goes on for as long as the store is full: no node
		// could load it meanwhile.
		if n, ok := r.m.leaseLog.let(time.Now()); ok {
			log.Warn("lease not renewed: the store is full; the class goes on", "err", err, "more_since_last", n)
		}
		return nil
	case !errors.Is(err, context.DeadlineExceeded) && !noStream(err):
		return err
	}
	if left := r.m.cfg.LeaseTTL - time.Since(r.leaseAt); left <= r.m.cfg.LeaseTTL/3 {
		return fmt.Errorf("not renewed for %v: %w", time.Since(r.leaseAt).Round(time.Millisecond), err)
	}
	if n, ok := r.m.leaseLog.let(time.Now()); ok {
		log.Warn("lease not renewed: the store did not answer in time; the class goes on", "err", err, "more_since_last", n)
	}
	return nil
}

// leaseLost records that the class's lease is lost; the actor then stops
// without giving back a lease it no longer holds.
func (r *room) leaseLost(log *slog.Logger, err error) {
	log.Warn("lease lost; stopping", "err", err)
	r.leaseRev = 0
}

// rotationFired handles the rotation timer's fire; it reports whether the
// actor must stop.
func (r *room) rotationFired(ctx context.Context, log *slog.Logger, gen uint64) (stop bool) {
	_, err := r.step(ctx, "rotation timer", "", "", func() (json.RawMessage, error) { return nil, r.rotationDue(ctx, gen) })
	if r.fault(ctx, log, err) != nil {
		return true
	} else if err != nil {
		log.Error("rotation", "err", err)
		r.armRotation() // try again at the next deadline rather than never
	}
	return false
}

// watchFired handles the detector timer's fire; it reports whether the
// actor must stop.
func (r *room) watchFired(ctx context.Context, log *slog.Logger, gen uint64) (stop bool) {
	_, err := r.step(ctx, "detector timer", "", "", func() (json.RawMessage, error) { return nil, r.watchDue(ctx, gen) })
	if r.fault(ctx, log, err) != nil {
		return true
	} else if err != nil {
		log.Error("detectors", "err", err)
		r.armWatch()
	}
	return false
}

// shutdown leaves the room so that any node can take it at once: no more
// commands from NATS, every waiting caller told, a snapshot, the lease
// given back.
func (r *room) shutdown(log *slog.Logger) {
	if r.sub != nil {
		_ = r.sub.Unsubscribe()
	}
	r.m.forget(r)
	close(r.done)
	for {
		select {
		case req := <-r.inbox:
			req.done(nil, ErrStopped)
			continue
		default:
		}
		break
	}
	for _, t := range r.grace {
		t.Stop()
	}
	if r.rotStop != nil {
		r.rotStop()
	}
	if r.watchStop != nil {
		r.watchStop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if r.leaseRev != 0 {
		if r.failed || r.stale {
			r.m.leases.release(ctx, r.id, r.leaseRev)
		} else if err := r.saveSnapshot(ctx); err != nil {
			log.Warn("snapshot on stop", "err", err)
			r.m.leases.release(ctx, r.id, r.leaseRev)
		} else {
			r.m.leases.release(ctx, r.id, r.leaseRev)
		}
	}
	r.m.metrics.rooms.Dec()
}

type snapshotRecord struct {
	Epoch string       `json:"epoch"`
	State *class.State `json:"state"`
}

func (r *room) saveSnapshot(ctx context.Context) error {
	if err := r.m.lowStore(); err != nil {
		return fmt.Errorf("snapshot room %s: %w", r.id, err)
	}
	b, err := json.Marshal(snapshotRecord{Epoch: r.log.epoch, State: r.st})
	if err != nil {
		return err
	}
	if _, err := r.m.snaps.Put(ctx, string(r.id), b); err != nil {
		return fmt.Errorf("snapshot room %s: %w", r.id, err)
	}
	r.sinceSnap, r.sinceBytes, r.snapBytes = 0, 0, len(b)
	return nil
}

// emit stages one event of the step under way: it is applied to the
// state at once, so that the rest of the step sees it, and appended with
// the step's other events when the step ends (flush). Nothing is fanned
// out before the log has it, so no device ever sees an event that a
// restart would forget.
func (r *room) emit(_ context.Context, typ protocol.EventType, aud protocol.Audience, data any) (protocol.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return protocol.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	ev := protocol.Event{Seq: r.st.Seq + 1, Type: typ, Time: r.m.cfg.Now().UnixMilli(), Audience: aud, Data: raw, By: r.by}
	if err := r.st.Apply(ev); err != nil {
		return ev, fmt.Errorf("room %s: own event does not fold: %w", r.id, err)
	}
	r.pending = append(r.pending, ev)
	return ev, nil
}

// step runs one unit of the actor's work (a command or a timer) and makes
// it durable: the events it staged are appended all or none (one message),
// together with the reply to the command when it has a request key, so a
// retried command finds its answer in the log and runs once. A panic is
// recovered here, at the edge, and returned as a *panicError: the state
// may be half changed, so the caller reloads it (see fault).
func (r *room) step(ctx context.Context, what, key string, sid protocol.StudentID, fn func() (json.RawMessage, error)) (json.RawMessage, error) {
	data, err := r.stage(ctx, what, key, sid, fn)
	if isPanic(err) || isUndone(err) {
		return nil, err
	}
	if ferr := r.flush(ctx); ferr != nil {
		return nil, ferr
	}
	return data, err
}

// stage runs fn and stages what it made, with the reply to the command
// when key is set and fn changed the class; nothing is appended yet.
func (r *room) stage(ctx context.Context, what, key string, sid protocol.StudentID, fn func() (json.RawMessage, error)) (data json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.pending, r.after = nil, nil
			data, err = nil, &panicError{what: what, value: p, stack: debug.Stack()}
		}
	}()
	mark := len(r.pending)
	clear(r.looked)
	r.lookedAll, r.slotFreed = -1, false
	data, err = fn()
	if len(r.pending) == mark {
		return data, err
	}
	if err == nil {
		err = r.lookAfter(ctx, sid, mark)
	}
	var pe *protocol.Error
	if err != nil && !errors.As(err, &pe) {
		// fn staged events and then met a fault (a store that did not
		// answer, say the content bank's), not a refusal: no reply is
		// recorded for it, so its events must not be kept either. Kept
		// without their reply, they would make the device's retry (same
		// request ID) find the command done and no answer to give: a
		// hand raised again answered from the "already so" path, an
		// answer refused as duplicate. The step is dropped like one that
		// panicked, and the state is read again from the log (fault).
		r.pending, r.after = nil, nil
		return nil, &undoneError{what: what, err: err}
	}
	if key != "" && (err == nil || errors.As(err, &pe)) {
		rec := protocol.ReplyRecorded{Key: key, Student: sid, Data: data, Error: pe}
		if _, rerr := r.emit(ctx, protocol.EvReply, protocol.ToNone, rec); rerr != nil {
			return nil, rerr
		}
	}
	return data, err
}

// maxGroup bounds how many waiting commands one append carries.
const maxGroup = 64

// groupable says whether a command may share an append with others: the
// commands of devices and presence, not those that read or rewrite the
// log itself (snapshots, exports, erasures), which see only what is
// stored.
func groupable(req *request) bool {
	switch req.cmd.Type {
	case protocol.CmdConnect, protocol.CmdDisconnect, protocol.CmdJoin:
		return true
	}
	c, ok := commands[req.cmd.Type]
	return ok && c.wire
}

// serve runs a group of commands, answers each, and reports whether the
// actor must stop. One command is a step of its own; several are staged
// one after the other and appended together, and each is answered once the
// append is acknowledged. A panic in a group undoes the group and runs its
// commands one at a time, so that the fault is met, counted and handled
// for the one command that has it.
func (r *room) serve(ctx context.Context, log *slog.Logger, group []*request) (stop bool) {
	if len(group) == 1 {
		return r.serveOne(ctx, log, group[0])
	}
	type result struct {
		data json.RawMessage
		err  error
	}
	res := make([]result, len(group))
	for i, req := range group {
		data, err := r.handleStaged(ctx, req.cmd)
		if isPanic(err) || isUndone(err) {
			if rerr := r.readAgain(ctx, log); rerr != nil {
				for _, q := range group {
					q.done(nil, r.faultReply(rerr))
				}
				return true
			}
			for j, q := range group {
				if r.serveOne(ctx, log, q) {
					for _, rest := range group[j+1:] {
						rest.done(nil, ErrStopped)
					}
					return true
				}
			}
			return false
		}
		res[i] = result{data, err}
	}
	ferr := r.flush(ctx)
	for i, req := range group {
		r.m.metrics.commands.WithLabelValues(string(req.cmd.Type)).Observe(time.Since(req.start).Seconds())
		if ferr != nil {
			req.done(nil, ferr)
		} else {
			req.done(res[i].data, res[i].err)
		}
	}
	return r.fault(ctx, log, ferr) != nil
}

// serveOne runs one command as a step of its own and answers it.
func (r *room) serveOne(ctx context.Context, log *slog.Logger, req *request) (stop bool) {
	data, err := r.handle(ctx, req.cmd)
	r.m.metrics.commands.WithLabelValues(string(req.cmd.Type)).Observe(time.Since(req.start).Seconds())
	if f := r.fault(ctx, log, err); f != nil || isPanic(err) || isUndone(err) {
		req.done(nil, r.faultReply(cmp.Or(f, err)))
		return f != nil
	}
	req.done(data, err)
	return false
}

// flush appends the pending events, all or none (appendAll), then fans them
// out and runs the step's after functions. If the log did not take them,
// the step is undone by reading the state again from the log.
func (r *room) flush(ctx context.Context) error {
	evs, after := r.pending, r.after
	r.pending, r.after = nil, nil
	if len(evs) == 0 {
		return nil
	}
	t0 := time.Now()
	pctx, cancel := context.WithTimeout(ctx, r.m.cfg.RequestTimeout)
	var encs [][]byte
	err := r.m.lowStore() // refused here, the step leaves the store whole
	if err == nil {
		encs, err = r.log.appendAll(pctx, evs)
	}
	cancel()
	r.m.metrics.publish.Observe(time.Since(t0).Seconds())
	r.m.metrics.batch.Observe(float64(len(evs)))
	if err != nil {
		if errors.Is(err, ErrFenced) {
			r.stale = true
			return err
		}
		r.m.metrics.appendErr.Inc()
		if !errors.Is(err, ErrTooLarge) {
			// A step too large says nothing of the store: it took the
			// steps before and takes the next.
			r.m.appendFailed(err)
		}
		if n, ok := r.m.appendLog.let(time.Now()); ok {
			// At most one line per interval: a full disk refuses every
			// class's every step, and the log must not add to it.
			r.m.log.Error("the log did not take a step; undone", "room", r.id, "err", err, "more_since_last", n)
		}
		if rerr := r.reload(ctx); rerr != nil {
			return fmt.Errorf("%w; reading the state again: %w", err, &lostError{rerr})
		}
		return err
	}
	r.m.appendFailed(nil)
	subject := protocol.EventSubject(r.id)
	for i, ev := range evs {
		if i == 0 && !r.m.othersListen(r.id, subject) {
			break // one look a step: a node that listens from now on has its snapshot after it
		}
		msg := nats.NewMsg(subject)
		msg.Header.Set(HeaderEpoch, r.log.epoch)
		msg.Data = encs[i]
		if err := r.m.live.PublishMsg(msg); err != nil {
			// Nodes notice the gap at the next event and read it from the log.
			r.m.log.Warn("fan out", "room", r.id, "seq", ev.Seq, "err", err)
		}
	}
	r.m.handOver(r.id, r.log.epoch, evs)
	for _, f := range after {
		f(ctx)
	}
	r.sinceSnap += len(evs)
	for _, b := range encs {
		r.sinceBytes += len(b)
	}
	// A snapshot is the whole state, and grows with the class: taken
	// every SnapshotEvery events it cost more than the events' own
	// appends in a class that practises. Once the log since the last is
	// as large, the snapshots cost no more than the log, and a restart
	// reads at most twice a snapshot's bytes.
	if r.sinceSnap >= r.m.cfg.SnapshotEvery && r.sinceBytes >= r.snapBytes {
		if err := r.saveSnapshot(ctx); err != nil {
			r.m.log.Warn("snapshot", "room", r.id, "err", err)
		}
	}
	return nil
}

// afterFlush runs f once the step's events are in the log.
func (r *room) afterFlush(f func(ctx context.Context)) { r.after = append(r.after, f) }

// reload reads the state again from the latest snapshot and the log, after
// a step that the log did not take or that panicked half way. A panic
// while folding is returned as an error.
func (r *room) reload(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{what: "reload", value: p, stack: debug.Stack()}
		}
	}()
	if err := r.log.refreshWithin(ctx, r.m.cfg.RequestTimeout); err != nil {
		return err
	}
	r.st = nil
	if err := r.recover(ctx); err != nil {
		return err
	}
	r.watchedAt = 0 // the state read again is looked at again, whole
	r.armRotation()
	r.armWatch()
	return nil
}

func reply(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return b, nil
}

var okResult = json.RawMessage(`{}`)

// handle checks one command against the state and turns it into events,
// appended before it returns. A refused command changes nothing. A
// command with a request ID that the room already answered gets the same
// answer again, from the state (which holds the replies the log
// recorded), and runs no second time.
func (r *room) handle(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	if data, err, ok := r.replied(cmd); ok {
		return data, err
	}
	return r.step(ctx, "command "+string(cmd.Type), replyKey(cmd), cmd.Actor.Student, func() (json.RawMessage, error) {
		return r.dispatch(ctx, cmd)
	})
}

// handleStaged is handle without the append: the caller flushes.
func (r *room) handleStaged(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	if data, err, ok := r.replied(cmd); ok {
		return data, err
	}
	return r.stage(ctx, "command "+string(cmd.Type), replyKey(cmd), cmd.Actor.Student, func() (json.RawMessage, error) {
		return r.dispatch(ctx, cmd)
	})
}

// replied is the remembered answer to cmd, if the class has one.
func (r *room) replied(cmd protocol.Command) (json.RawMessage, error, bool) {
	key := replyKey(cmd)
	if key == "" {
		return nil, nil, false
	}
	rep, ok := r.st.Reply(key)
	if !ok {
		return nil, nil, false
	}
	if rep.Error != nil {
		return nil, rep.Error, true
	}
	return rep.Data, nil, true
}

// replyKey names a command for retries: the request ID is the device's,
// so it is qualified by who sent it.
func replyKey(cmd protocol.Command) string {
	if cmd.ReqID == "" {
		return ""
	}
	a := cmd.Actor
	return string(a.Role) + "/" + string(a.Teacher) + string(a.Student) + string(a.Coach) + "/" + cmd.ReqID
}

func (r *room) join(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	st := r.st
	var d protocol.JoinRoom
	if err := json.Unmarshal(cmd.Data, &d); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "join: %v", err)
	}
	if e := protocol.CheckText("name", d.Name, 1, protocol.MaxNameRunes, false); e != nil {
		return nil, e
	}
	if d.Roster != "" {
		// A rostered student who joins again (another device, a
		// lost token) is the same student of the class.
		for _, s := range st.Students {
			if s.Roster == d.Roster {
				return reply(protocol.JoinResult{Student: s.ID, Name: s.Name})
			}
		}
	}
	id := protocol.NewStudentID()
	joined := protocol.StudentJoined{Student: id, Name: d.Name, Roster: d.Roster}
	if d.Roster != "" && r.m.cfg.Profiles != nil {
		if prior, err := r.m.cfg.Profiles.Mastery(ctx, d.Roster); err != nil {
			r.m.log.Warn("learner profile", "room", r.id, "err", err)
		} else if len(prior) > 0 {
			joined.Mastery = prior
		}
		joined.Practice = r.priorPractice(ctx, d.Roster)
	}
	if _, err := r.emit(ctx, protocol.EvStudentJoined, protocol.ToStudent(id), joined); err != nil {
		return nil, err
	}
	if err := r.placeLate(ctx, id); err != nil {
		r.m.log.Warn("late joiner", "room", r.id, "err", err)
	}
	return reply(protocol.JoinResult{Student: id, Name: d.Name})
}

func (r *room) announce(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	d := v.(*protocol.Announce)
	aud, err := r.audience(protocol.Target{Student: d.To, Group: d.Group, Station: d.Station})
	if err != nil {
		return nil, err
	}
	ev, err := r.emit(ctx, protocol.EvAnnouncement, aud, protocol.Announcement{Text: d.Text, To: d.To, Group: d.Group, Station: d.Station})
	if err != nil {
		return nil, err
	}
	return reply(map[string]uint64{"seq": ev.Seq})
}

func (r *room) raiseHand(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	st, a, d := r.st, cmd.Actor, v.(*protocol.RaiseHand)
	s := st.Students[a.Student]
	if a.Role != protocol.RoleStudent || s == nil {
		return nil, protocol.Errorf(protocol.CodeForbidden, "only a student of this class may raise a hand")
	}
	if s.Hand && s.Note == d.Note {
		return okResult, nil
	}
	if _, err := r.emit(ctx, protocol.EvHand, protocol.ToStudent(s.ID), protocol.Hand{Student: s.ID, Raised: true, Note: d.Note}); err != nil {
		return nil, err
	}
	return okResult, r.detect(ctx, s.ID)
}

func (r *room) lowerHand(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	st, a, d := r.st, cmd.Actor, v.(*protocol.LowerHand)
	isTeacher := r.isTeacher(a)
	target := d.Student
	switch {
	case a.Role == protocol.RoleStudent && st.Students[a.Student] != nil:
		if target != "" && target != a.Student {
			return nil, protocol.Errorf(protocol.CodeForbidden, "a student may lower only their own hand")
		}
		target = a.Student
	case isTeacher:
		if target == "" {
			return nil, protocol.Errorf(protocol.CodeInvalid, "lower_hand.student is required for a teacher")
		}
	default:
		return nil, protocol.Errorf(protocol.CodeForbidden, "not allowed to lower hands in this class")
	}
	s := st.Students[target]
	if s == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", target)
	}
	if !s.Hand {
		return okResult, nil
	}
	if _, err := r.emit(ctx, protocol.EvHand, protocol.ToStudent(s.ID), protocol.Hand{Student: s.ID, Raised: false}); err != nil {
		return nil, err
	}
	return okResult, r.detect(ctx, s.ID)
}

func (r *room) endClass(ctx context.Context, _ protocol.Command, _ any) (json.RawMessage, error) {
	// Nobody is left to help once the class is over: its open flags are
	// cleared with it, so that no console shows a queue of a class gone.
	now := r.now()
	for _, f := range slices.Clone(r.st.Flags) {
		if closed(f) {
			continue
		}
		f.Status, f.Updated = protocol.FlagCleared, now
		if err := r.emitFlag(ctx, detect.ChangeClear, f); err != nil {
			return nil, err
		}
	}
	if _, err := r.emit(ctx, protocol.EvClassEnded, protocol.ToAll, struct{}{}); err != nil {
		return nil, err
	}
	r.afterFlush(func(ctx context.Context) {
		dctx, cancel := context.WithTimeout(ctx, r.m.cfg.RequestTimeout)
		defer cancel()
		if err := r.m.dir.end(dctx, r.id, r.st.Clock); err != nil {
			r.m.log.Error("void join code", "room", r.id, "err", err)
		}
		r.recordProfiles(dctx)
	})
	return okResult, nil
}

func (r *room) snapshot(ctx context.Context, a protocol.Actor) (json.RawMessage, error) {
	v := a.Viewer()
	switch a.Role {
	case protocol.RoleTeacher:
		if !r.isTeacher(a) {
			if _, ok := r.st.Unshared[a.Teacher]; ok {
				// Told apart from a class never shared, so that the
				// console closes with 4007 and goes back to its list.
				return nil, protocol.Errorf(protocol.CodeUnauthorized, "this class is no longer shared with you")
			}
			return nil, protocol.Errorf(protocol.CodeForbidden, "this is not your class")
		}
	case protocol.RoleStudent:
		if r.st.Students[a.Student] == nil {
			return nil, protocol.Errorf(protocol.CodeForbidden, "not a student of this class")
		}
	case protocol.RoleCoach:
		v.Groups = nil
		for _, g := range r.st.Groups {
			if slices.Contains(g.Coaches, a.Coach) {
				v.Groups = append(v.Groups, g.ID)
			}
		}
		if len(v.Groups) == 0 {
			return nil, protocol.Errorf(protocol.CodeForbidden, "you coach no group of this class")
		}
	}
	if r.st.Status == "" {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such room")
	}
	view, err := json.Marshal(r.st.View(v))
	if err != nil {
		return nil, err
	}
	// The oldest offset kept: read when the log was opened. Only a log
	// moved from the old layout after its start expired begins past 1, and
	// nothing removes events from a log that is open.
	first := max(r.log.first, 1)
	res := protocol.SnapshotResult{Epoch: r.log.epoch, Offset: r.st.Seq, FirstSeq: first, View: view, Groups: v.Groups}
	if s := r.st.Students[a.Student]; s != nil {
		res.Name = s.Name
	}
	return reply(res)
}

// Presence. A device that drops is marked offline only after the grace
// period, so that a blip (a tab switch, a Wi-Fi hand-over) does not flap
// the teacher's roster. These counts are not events: after a restart the
// nodes report their connections again (see owner_changed).
func (r *room) connect(ctx context.Context, conn string, a protocol.Actor) error {
	if conn == "" {
		return protocol.Errorf(protocol.CodeInvalid, "connect needs a connection ID")
	}
	if a.Role != protocol.RoleStudent {
		r.conns[conn] = ""
		if r.isTeacher(a) {
			r.tconns[conn] = a.Teacher
			return r.teachersHere(ctx)
		}
		return nil
	}
	s := r.st.Students[a.Student]
	if s == nil {
		return protocol.Errorf(protocol.CodeForbidden, "not a student of this class")
	}
	r.conns[conn] = s.ID
	if t := r.grace[s.ID]; t != nil {
		t.Stop()
		delete(r.grace, s.ID)
	}
	if !s.Online && r.st.Status == protocol.StatusOpen {
		if _, err := r.emit(ctx, protocol.EvPresence, r.presenceAudience(s.ID), protocol.Presence{Student: s.ID, Online: true}); err != nil {
			return err
		}
		// Online with work in front of them: expected to be working, so
		// the idle rule's timer counts them from now.
		r.armWatch()
	}
	return nil
}

func (r *room) disconnect(conn string) {
	sid, ok := r.conns[conn]
	if !ok {
		return
	}
	delete(r.conns, conn)
	if sid != "" && !r.hasConn(sid) {
		r.startGrace(sid)
	}
}

func (r *room) hasConn(sid protocol.StudentID) bool {
	for _, s := range r.conns {
		if s == sid {
			return true
		}
	}
	return false
}

func (r *room) startGrace(sid protocol.StudentID) {
	if r.grace[sid] != nil {
		return
	}
	// Up to half the grace period again, at random: when a whole school
	// leaves at the bell, their presence changes reach the log spread out
	// rather than in one burst that other classes' answers wait behind.
	d := r.m.cfg.Grace + rand.N(r.m.cfg.Grace/2+1)
	r.grace[sid] = time.AfterFunc(d, func() {
		select {
		case r.timer <- sid:
		case <-r.done:
		}
	})
}

func (r *room) graceOver(ctx context.Context, sid protocol.StudentID) error {
	delete(r.grace, sid)
	s := r.st.Students[sid]
	if s == nil || !s.Online || r.hasConn(sid) || r.st.Status != protocol.StatusOpen {
		return nil
	}
	if _, err := r.emit(ctx, protocol.EvPresence, r.presenceAudience(sid), protocol.Presence{Student: sid, Online: false}); err != nil {
		return err
	}
	// Offline is not idle: the detectors see it at once.
	return r.detect(ctx, sid)
}

// presenceAudience is who sees a student come and go: the teachers and
// the coaches of the student's group.
func (r *room) presenceAudience(sid protocol.StudentID) protocol.Audience {
	if st := r.st.Students[sid]; st != nil && st.Group != "" {
		return r.staffAudience(st.Group)
	}
	return protocol.ToTeachers
}
