package rooms

import "github.com/classhub/classhub/protocol"

// Sentinel errors. Each carries what a client is told of it
// (protocol.ErrorOf); refusals a room decides are *protocol.Error instead,
// made where they are decided.
var (
	// ErrFenced means an append was refused because another node appended
	// to the room's log: this node is no longer the owner.
	ErrFenced error = protocol.NewSentinel(protocol.CodeUnavailable,
		"rooms: append fenced: another node owns the room", "the room is moving to another server; retry")
	// ErrOwnedElsewhere means another node holds the room's lease.
	ErrOwnedElsewhere error = protocol.NewSentinel(protocol.CodeUnavailable,
		"rooms: room is owned by another node", "the room is moving to another server; retry")
	// ErrNoRoom means the room has no log: it was never opened.
	ErrNoRoom error = protocol.NewSentinel(protocol.CodeNotFound,
		"rooms: no such room", "no such room")
	// ErrStopped means the room's actor stopped before answering.
	ErrStopped error = protocol.NewSentinel(protocol.CodeUnavailable,
		"rooms: room actor stopped", "the room is moving to another server; retry")
	// ErrStoreFull means JetStream refused an append for want of room: the
	// disk, or the storage JetStream may use, is full. Nothing of the step
	// was kept.
	ErrStoreFull error = protocol.NewSentinel(protocol.CodeStorageFull,
		"rooms: the event store is full",
		"the server's storage is full: this was not saved, and nothing saved before is lost; try again later")
	// ErrTooLarge means one event of a step is larger than a message of
	// the event store may be (the NATS server's max_payload): nothing of
	// the step was kept. Frames from devices are far smaller; this is an
	// event a server builds, such as a reply, grown past the limit.
	ErrTooLarge error = protocol.NewSentinel(protocol.CodeInvalid,
		"rooms: an event too large to store", "this change is too large to be saved; nothing of it was kept")
	// ErrStoreBusy means JetStream could not answer while a room was
	// being started: a stream without a leader for the moment, a NATS
	// server lost and its clients moving to the others.
	ErrStoreBusy error = protocol.NewSentinel(protocol.CodeUnavailable,
		"rooms: JetStream is not answering for the moment", "the class's store is not answering for the moment; retry")
	// ErrClosed means the manager is shutting down.
	ErrClosed error = protocol.NewSentinel(protocol.CodeUnavailable,
		"rooms: manager closed", "this server is shutting down; retry")
)
