package protocol

import "fmt"

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
	CodeRateLimited    Code = "rate_limited"    // too many requests; retry later
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
	case CodeRateLimited:
		return 429
	case CodeBusy, CodeUnavailable, CodeNotReady:
		return 503
	}
	return 500
}

// Error is a protocol error: a code for machines and a message for people.
// It is what crosses node boundaries and reaches clients.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
)

// Final reports whether a client must not reconnect automatically after c.
func (c CloseCode) Final() bool {
	switch c {
	case CloseGoingAway, ClosePolicy, CloseUnauthorized, CloseRoomEnded, CloseRemoved:
		return true
	}
	return false
}
