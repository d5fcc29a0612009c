package protocol

import "encoding/json"

// Internal command types, sent by nodes (never by devices) to a room's owner.
const (
	CmdOpen       MsgType = "open"       // create the room's log and open the session
	CmdJoin       MsgType = "join"       // a student joins with a display name; result: JoinResult
	CmdConnect    MsgType = "connect"    // a device connected (presence)
	CmdDisconnect MsgType = "disconnect" // a device disconnected (presence, after a grace period)
	CmdSnapshot   MsgType = "snapshot"   // the viewer's snapshot; result: SnapshotResult
	CmdHold       MsgType = "hold"       // a node still holds these connections (Hold); result: HoldResult
)

// HeldConn is one device connection as its node reports it to the class's
// owner, which counts each person's connections across nodes.
type HeldConn struct {
	Conn   string `json:"conn"`
	Person string `json:"person"` // the person the connection counts for
	Since  int64  `json:"since"`  // its hello, Unix ns: the oldest goes first
}

// Hold is the data of CmdConnect and CmdHold: connections a node holds.
// The owner counts each for TTLMs after it last heard of it, so that a
// node that dies leaves no count behind; past Limit connections of one
// person the owner asks the node, on CloseTo, to close the oldest (Evict).
type Hold struct {
	Conns   []HeldConn `json:"conns"`
	CloseTo string     `json:"close_to"`
	Limit   int        `json:"limit"` // per person; negative: none
	TTLMs   int64      `json:"ttl_ms"`
}

// HoldResult answers CmdHold: the connections the owner did not know
// (a new owner, or counts that ran out), which the node announces again.
type HoldResult struct {
	Unknown []string `json:"unknown,omitempty"`
}

// Evict is what an owner sends on a node's Hold.CloseTo: close this
// connection, the oldest of a person holding more than allowed.
type Evict struct {
	Room RoomID `json:"room"`
	Conn string `json:"conn"`
}

// Command is a request from any node to the owner of Room, carried on
// CommandSubject(Room) as JSON. Data has already been validated by the node
// that accepted it from a device; the owner checks authority again.
type Command struct {
	Room  RoomID          `json:"room"`
	Type  MsgType         `json:"type"`
	ReqID string          `json:"req,omitempty"`
	Actor Actor           `json:"actor"`
	Conn  string          `json:"conn,omitempty"` // the connection, for presence
	Name  string          `json:"name,omitempty"` // the actor's display name, for authorship
	Data  json.RawMessage `json:"data,omitempty"`
}

// Actor is who sent a command, as established by the node from a token.
type Actor struct {
	Role    Role      `json:"role"`
	Teacher TeacherID `json:"teacher,omitempty"`
	Student StudentID `json:"student,omitempty"`
	Coach   CoachID   `json:"coach,omitempty"`
	Groups  []GroupID `json:"groups,omitempty"`
}

// Viewer is the audience identity of this actor.
func (a Actor) Viewer() Viewer {
	return Viewer(a)
}

// Reply is the owner's answer to a Command.
type Reply struct {
	Data  json.RawMessage `json:"data,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// OpenRoom is the data of CmdOpen.
type OpenRoom struct {
	Title   string    `json:"title"`
	Teacher TeacherID `json:"teacher"`
	Name    string    `json:"name,omitempty"` // the teacher's name, for co-teachers' consoles
}

// JoinRoom is the data of CmdJoin.
type JoinRoom struct {
	Name string `json:"name"`
	// Roster is the roster entry of a rostered student; the same entry
	// joining again gets the same student of the class back.
	Roster string `json:"roster,omitempty"`
}

// JoinResult is the result of CmdJoin.
type JoinResult struct {
	Student StudentID `json:"student"`
	Name    string    `json:"name"`
}

// SnapshotResult is the result of CmdSnapshot: the viewer's view of the
// room at Offset, in log incarnation Epoch. FirstSeq is the oldest offset
// still kept in the log, so that a node can decide whether a resume is
// possible.
type SnapshotResult struct {
	Epoch    string          `json:"epoch"`
	Offset   uint64          `json:"offset"`
	FirstSeq uint64          `json:"first_seq"`
	Name     string          `json:"name,omitempty"`
	View     json.RawMessage `json:"view"`
	// Groups are a coach's groups in this room now. Events are not
	// filtered with them (their audiences name their coaches); they are
	// kept for nodes of earlier versions during an upgrade, which did.
	Groups []GroupID `json:"groups,omitempty"`
}
