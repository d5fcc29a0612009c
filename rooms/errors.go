package rooms

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/classhub/classhub/protocol"
)

// Sentinel errors. Protocol errors (*protocol.Error) carry the client-facing
// code; these are for the node's own decisions.
var (
	// ErrFenced means an append was refused because another node appended
	// to the room's log: this node is no longer the owner.
	ErrFenced = errors.New("rooms: append fenced: another node owns the room")
	// ErrOwnedElsewhere means another node holds the room's lease.
	ErrOwnedElsewhere = errors.New("rooms: room is owned by another node")
	// ErrNoRoom means the room has no log: it was never opened.
	ErrNoRoom = errors.New("rooms: no such room")
	// ErrStopped means the room's actor stopped before answering.
	ErrStopped = errors.New("rooms: room actor stopped")
	// ErrClosed means the manager is shutting down.
	ErrClosed = errors.New("rooms: manager closed")
)

// AsProtocol maps any error from this package to the protocol error a
// client sees. It is the one place where that mapping is made.
func AsProtocol(err error) *protocol.Error {
	var pe *protocol.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, ErrNoRoom):
		return protocol.Errorf(protocol.CodeNotFound, "no such room")
	case errors.Is(err, ErrFenced), errors.Is(err, ErrOwnedElsewhere),
		errors.Is(err, ErrStopped), errors.Is(err, ErrClosed):
		return protocol.Errorf(protocol.CodeUnavailable, "the room is moving to another server; retry")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrConnectionClosed):
		return protocol.Errorf(protocol.CodeUnavailable, "the room did not answer in time; retry")
	}
	return protocol.Errorf(protocol.CodeInternal, "internal error")
}
