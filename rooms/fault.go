package rooms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
)

// A fault stays in its class. A panic in a room's actor is recovered at
// the actor's edge (step), logged with the room and what it was doing,
// counted, and the room reads its state again from its log, once. A
// second failure, a log that does not fold (a corrupt event, or one from a
// newer version) or a state that cannot be read again stops the room on
// this node: its devices and REST calls get unavailable with the reason,
// and every other class and the process carry on.

// panicError is a panic recovered at the edge of a room's actor.
type panicError struct {
	what  string // the command or timer that was running
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic in %s: %v", e.what, e.value) }

func isPanic(err error) bool {
	var pe *panicError
	return errors.As(err, &pe)
}

// undoneError is a step that staged events and then failed with a fault
// rather than a refusal (stage): nothing of it is kept, and the state,
// which holds its events, is read again from the log (fault).
type undoneError struct {
	what string // the command or timer that was running
	err  error
}

func (e *undoneError) Error() string { return e.what + " failed half way: " + e.err.Error() }
func (e *undoneError) Unwrap() error { return e.err }

func isUndone(err error) bool {
	var ue *undoneError
	return errors.As(err, &ue)
}

// lostError means the state could not be read again after a failed step.
type lostError struct{ err error }

func (e *lostError) Error() string { return "the state could not be read again: " + e.err.Error() }
func (e *lostError) Unwrap() error { return e.err }

// fault handles the outcome of one step and returns non-nil when the actor
// must stop: another node owns the room (fenced), or the room failed.
func (r *room) fault(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrFenced) {
		if isUndone(err) {
			r.stale = true // the state holds the undone step's events
		}
		log.Warn("room fenced: another node appended; stopping")
		return err
	}
	var lost *lostError
	if errors.As(err, &lost) {
		if unloadableLog(lost.err) {
			r.fail(log, err)
			return err
		}
		// The store did not answer (a stream between leaders, a lost
		// server): the actor stops without saving anything, and the next
		// command loads the class again from its log.
		r.stale = true
		log.Warn("room stopped: its state could not be read again; the next command loads it", "err", err)
		return err
	}
	var ue *undoneError
	if errors.As(err, &ue) {
		// Not a bug of the class: the step is not counted as a panic.
		log.Warn("a step failed half way; nothing of it is kept and the class is read again from its log", "during", ue.what, "err", ue.err)
		return r.readAgain(ctx, log)
	}
	var pe *panicError
	if !errors.As(err, &pe) {
		return nil
	}
	r.panics++
	r.m.metrics.panics.Inc()
	log.Error("room actor panicked; reading the class again from its log", "during", pe.what, "panic", fmt.Sprint(pe.value), "seq", r.st.Seq, "stack", string(pe.stack))
	if r.panics > 1 {
		r.fail(log, err)
		return err
	}
	return r.readAgain(ctx, log)
}

// readAgain reads the class's state again from its log after a step that
// was not kept. A log that cannot be folded fails the room; a store that
// did not answer stops the actor without saving anything, and the next
// command loads the class again. It returns the error of reading, if any.
func (r *room) readAgain(ctx context.Context, log *slog.Logger) error {
	rerr := r.reload(ctx)
	switch {
	case rerr == nil:
	case unloadableLog(rerr):
		r.fail(log, rerr)
	default:
		r.stale = true
		log.Warn("room stopped: its state could not be read again; the next command loads it", "err", rerr)
	}
	return rerr
}

// unloadableLog says whether an error of reading a class again means the
// class cannot be loaded (a log that does not fold, a panic while folding)
// rather than a store that did not answer this time.
func unloadableLog(err error) bool {
	return errors.Is(err, class.ErrCorrupt) || isPanic(err)
}

// faultReply is what the device whose command met a fault is told.
func (r *room) faultReply(err error) error {
	if errors.Is(err, ErrFenced) {
		return err // the caller retries on the new owner
	}
	if r.failed {
		return unloadable(r.id, err)
	}
	var lost *lostError
	if errors.As(err, &lost) || r.stale {
		return protocol.Errorf(protocol.CodeUnavailable, "the class's log did not answer; retry")
	}
	if isUndone(err) {
		if pe := protocol.ErrorOf(err); pe.Code != protocol.CodeInternal {
			return pe // a cause that says what the device is told (storage_full, ...)
		}
		return protocol.Errorf(protocol.CodeUnavailable, "the server could not finish this command; nothing of it was kept; retry")
	}
	return protocol.Errorf(protocol.CodeInternal, "the class met an error on this command and was read again from its log; nothing of the command was kept")
}

// fail stops the room on this node for good: no snapshot of its state is
// saved, its lease is given back, and the manager answers for it.
func (r *room) fail(log *slog.Logger, err error) {
	r.failed = true
	log.Error("room stopped: it could not go on", "err", err)
	r.m.markFailed(r.id, err)
}

func unloadable(id protocol.RoomID, err error) *protocol.Error {
	return protocol.Errorf(protocol.CodeUnavailable, "the class could not be loaded (%v); the server's log names the cause, and other classes are not affected", err)
}

// markFailed remembers that a room failed on this node, until the node
// restarts.
func (m *Manager) markFailed(id protocol.RoomID, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.failed[id]; !ok {
		m.metrics.failed.Inc()
	}
	m.failed[id] = err
}

// loadFault classifies an error of starting a room: a log that does not
// fold, or a panic while reading it, fails the room; anything else (the
// store not answering) may be retried.
func (m *Manager) loadFault(id protocol.RoomID, err error) error {
	if err == nil || !(errors.Is(err, class.ErrCorrupt) || isPanic(err)) {
		return err
	}
	if errors.Is(err, class.ErrCorrupt) {
		m.metrics.corrupt.Inc()
	}
	m.log.Error("room could not be loaded", "room", id, "err", err)
	m.markFailed(id, err)
	return unloadable(id, err)
}
