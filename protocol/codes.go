package protocol

import (
	"context"
	"errors"
	"fmt"
)

// Code is a machine-readable error code carried in error frames and in the
// JSON body of REST errors. The table below is the whole list; clients may
// rely on it.
type Code string

// Error codes.
const (
	CodeBadFrame       Code = "bad_frame"       // not a JSON object, or not UTF-8
	CodeFrameTooLarge  Code = "frame_too_large" // frame over MaxFrameBytes
	CodeBadVersion     Code = "bad_version"     // "v" is not a supported version
	CodeUnknownType    Code = "unknown_type"    // "type" is not a known message type
	CodeInvalid        Code = "invalid"         // a field is missing, of the wrong type or out of range
	CodeNotReady       Code = "not_ready"       // a command before the hello was answered
	CodeUnauthorized   Code = "unauthorized"    // missing, invalid or expired token or password
	CodeForbidden      Code = "forbidden"       // the role may not do this
	CodeNotFound       Code = "not_found"       // no such room, student, code or account
	CodeConflict       Code = "conflict"        // the thing already exists or changed meanwhile
	CodeRoomEnded      Code = "room_ended"      // the class session has ended
	CodeRateLimited    Code = "rate_limited"    // too many requests; retry after Error.RetryAfter
	CodeBusy           Code = "busy"            // the room's inbox is full; retry
	CodeUnavailable    Code = "unavailable"     // the room's owner cannot be reached, or the class could not be loaded; retry
	CodeInternal       Code = "internal"        // a server fault; the request may be retried
	CodeDuplicate      Code = "duplicate"       // this request ID was already handled
	CodeNotRecoverable Code = "not_recoverable" // resume impossible; a fresh snapshot follows
	CodeWrongState     Code = "wrong_state"     // the command does not fit the room's state now (no rotation running, a group not paused...)
	CodeStale          Code = "stale"           // made against a version that has changed since (a proposal, a task field)
	CodeFull           Code = "full"            // the station is at capacity
	CodeAbsent         Code = "absent"          // the student has left the class
	CodeInfeasible     Code = "infeasible"      // the grouping's constraints cannot all be met; the message lists why
	CodeNotGiven       Code = "not_given"       // an answer or hint for an item the student was not given
	CodeClosed         Code = "closed"          // the activity is over; nothing more is graded
	CodeBadContent     Code = "bad_content"     // a content bank has errors; the message lists every one

	// Overload: a limit of the server, or its store, reached.
	CodeTooManyConns Code = "too_many_connections" // this person opened the class on more connections than allowed; this one, the oldest, is closed
	CodeStorageFull  Code = "storage_full"         // the server's event store refused to write (a full disk); nothing of the request was kept
)

// HTTPStatus maps a code to the HTTP status used by the REST API.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeBadFrame, CodeBadVersion, CodeUnknownType, CodeInvalid:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeForbidden:
		return 403
	case CodeNotFound:
		return 404
	case CodeConflict, CodeDuplicate, CodeWrongState, CodeStale, CodeFull, CodeAbsent, CodeNotGiven, CodeClosed:
		return 409
	case CodeInfeasible, CodeBadContent:
		return 422
	case CodeRoomEnded, CodeNotRecoverable:
		return 410
	case CodeFrameTooLarge:
		return 413
	case CodeRateLimited, CodeTooManyConns:
		return 429
	case CodeBusy, CodeUnavailable, CodeNotReady, CodeStorageFull:
		return 503
	}
	return 500
}

// CodeOfStatus is the code of an HTTP error status that came without one:
// an answer of the HTTP router or of a middleware itself (no such route,
// a method the route does not take). It reads HTTPStatus backwards, with
// the most general code of each status; any other client error is
// invalid, and anything else internal.
func CodeOfStatus(status int) Code {
	for _, c := range []Code{CodeInvalid, CodeUnauthorized, CodeForbidden, CodeNotFound, CodeConflict,
		CodeFrameTooLarge, CodeRateLimited, CodeUnavailable} {
		if c.HTTPStatus() == status {
			return c
		}
	}
	if status >= 400 && status < 500 {
		return CodeInvalid
	}
	return CodeInternal
}

// Error is a protocol error: a code for machines and a message for people.
// It is what crosses node boundaries and reaches clients.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RetryAfter, in milliseconds, is how long the client should wait
	// before it tries again: set with rate_limited and
	// too_many_connections, left out otherwise.
	RetryAfter int64 `json:"retry_after,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ProtocolError returns e itself: an *Error is what a client is told.
func (e *Error) ProtocolError() *Error { return e }

// A Sentinel is an error value that a package declares once, in its
// errors.go, for a condition a client may meet: a room that does not
// exist, a token that has expired, a room that is moving to another node.
// Its Error speaks to whoever reads the server's logs; the *Error it
// carries is what a client is told, declared beside it so that no other
// place has to decide it.
//
// A Sentinel is not an *Error: errors.As(err, &*Error) still singles out
// the refusals a room decided (which it remembers for retries of the same
// request), while a Sentinel may name a passing condition.
type Sentinel struct {
	text   string
	client Error
}

// NewSentinel returns a sentinel error whose Error is text and whose
// client sees code and message.
func NewSentinel(code Code, text, message string) *Sentinel {
	return &Sentinel{text: text, client: Error{Code: code, Message: message}}
}

func (s *Sentinel) Error() string { return s.text }

// ProtocolError returns what a client is told of s: a copy, so that no
// caller can change what the next one is told.
func (s *Sentinel) ProtocolError() *Error {
	e := s.client
	return &e
}

// ErrorOf returns what a client is told of err, and is the one place
// that decides it:
//
//   - the *Error of the first error in err's chain that has a method
//     ProtocolError() *Error: an *Error, a *Sentinel, or an error type
//     of another package that carries its own code;
//   - unavailable when err is a deadline that passed or a request that
//     was canceled: the room or the store did not answer in time, and
//     the client may retry;
//   - otherwise internal, with a message that says nothing of the fault:
//     err is the server's fault and the caller logs it.
//
// ErrorOf(nil) is nil. The REST API answers with the status of the
// code, Code.HTTPStatus.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	var c interface{ ProtocolError() *Error }
	switch {
	case errors.As(err, &c):
		if pe := c.ProtocolError(); pe != nil {
			return pe
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Code: CodeUnavailable, Message: "no answer in time; retry"}
	}
	return &Error{Code: CodeInternal, Message: "internal error"}
}

// CloseCode is a WebSocket close status code sent by the server. A client
// reconnects and resumes after any code except those marked final.
type CloseCode int

// Close codes.
const (
	CloseNormal       CloseCode = 1000 // the client asked to close
	CloseGoingAway    CloseCode = 1001 // final for this page: the page was closed
	ClosePolicy       CloseCode = 1008 // final: a protocol violation the server will not tolerate
	CloseTooBig       CloseCode = 1009 // a frame over the hard read limit (1 MiB); reconnect
	CloseInternal     CloseCode = 1011 // server fault; reconnect and resume
	CloseRestart      CloseCode = 1012 // the node is shutting down; reconnect (to any node) and resume
	CloseSlowConsumer CloseCode = 4000 // the device fell too far behind; reconnect and resume
	CloseHelloTimeout CloseCode = 4001 // no hello within HelloTimeout; reconnect
	CloseUnauthorized CloseCode = 4002 // final: the token is invalid, expired or not for this room
	CloseRoomEnded    CloseCode = 4003 // final: the class session has ended
	CloseRemoved      CloseCode = 4004 // final: the teacher erased this student from the class; their token no longer opens it
	CloseRoomMoved    CloseCode = 4005 // the room's owner changed in a way the node could not follow; reconnect and resume
	CloseTooManyConns CloseCode = 4006 // this person opened the class on more connections than allowed, and this was the oldest; reconnect after the error's retry_after
	CloseUnshared     CloseCode = 4007 // final: the class's owner stopped sharing it with this teacher; their token no longer opens it
)

// Final reports whether a client must not reconnect automatically after c.
func (c CloseCode) Final() bool {
	switch c {
	case CloseGoingAway, ClosePolicy, CloseUnauthorized, CloseRoomEnded, CloseRemoved, CloseUnshared:
		return true
	}
	return false
}
