package protocol

// Co-teaching: a class's owner shares it with other teachers, each as a
// co-teacher or a teaching assistant. Sharing goes through the REST API
// (it names a teacher by e-mail, which only the accounts know); the room
// records it as an event, so that the share survives restarts, is in the
// report, and reaches every teacher's console at once.

// Internal commands of sharing, sent by nodes for the REST API.
const (
	CmdShare   MsgType = "share"   // the owner shares the class with a teacher (data: ShareClass)
	CmdUnshare MsgType = "unshare" // the owner, or the teacher, ends a share (data: UnshareClass)
)

// Events of co-teaching.
const (
	EvShare           EventType = "share"            // a share made, changed or ended
	EvTeacherPresence EventType = "teacher_presence" // a teacher of a shared class came or went
)

// TeachRole is what a teacher is to one class.
type TeachRole string

// Teaching roles. What each may do is the room's command table
// (PROTOCOL.md, "Co-teachers").
const (
	// TeachOwner opened the class: everything, and only the owner shares
	// it, ends a share of someone else, exports or erases a student.
	TeachOwner TeachRole = "owner"
	// TeachCoTeacher may do everything the owner may, but share the class
	// and export or erase a student.
	TeachCoTeacher TeachRole = "co_teacher"
	// TeachAssistant steers the live lesson (announcements, hands, flags
	// and help, pause, moving students, pushing activities and practice,
	// levels, choices, advancing the rotation) but does not change how the
	// class is set up (stations, groups, coaches, the rotation's plan,
	// thresholds, the late rule), end it, or read its report.
	TeachAssistant TeachRole = "assistant"
)

// Shareable reports whether a class can be shared with role r.
func (r TeachRole) Shareable() bool { return r == TeachCoTeacher || r == TeachAssistant }

// ShareClass is the data of CmdShare.
type ShareClass struct {
	Teacher TeacherID `json:"teacher"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Role    TeachRole `json:"role"`
}

// UnshareClass is the data of CmdUnshare.
type UnshareClass struct {
	Teacher TeacherID `json:"teacher"`
}

// Share is the data of EvShare: a teacher given a role in the class, or,
// with Revoked, no longer.
type Share struct {
	Teacher TeacherID `json:"teacher"`
	Name    string    `json:"name"`
	Email   string    `json:"email,omitempty"`
	Role    TeachRole `json:"role,omitempty"` // empty when Revoked
	Revoked bool      `json:"revoked,omitempty"`
}

// TeacherPresence is the data of EvTeacherPresence.
type TeacherPresence struct {
	Teacher TeacherID `json:"teacher"`
	Online  bool      `json:"online"`
}

// ClassTeacher is one teacher of a class as the teachers' view lists it:
// the owner first, then those it is shared with.
type ClassTeacher struct {
	ID    TeacherID `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email,omitempty"`
	Role  TeachRole `json:"role"`
	Since int64     `json:"since,omitempty"` // when it was shared (Unix ms); 0 for the owner
	// Online: a console of theirs is on the class (kept for shared
	// classes only).
	Online bool `json:"online,omitempty"`
}

// ActedBy is the teacher whose command made an event.
type ActedBy struct {
	Teacher TeacherID `json:"teacher"`
	Name    string    `json:"name,omitempty"`
}
