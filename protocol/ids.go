package protocol

import (
	"github.com/google/uuid"
)

// RoomID names one class session (a room). It is a UUID in canonical form.
type RoomID string

// StudentID names one student within one room. It is stable for the life of
// the room: a device that reconnects with its token is the same student.
type StudentID string

// TeacherID names a teacher account.
type TeacherID string

// GroupID names a group within a room.
type GroupID string

// NodeID names one classhub process in a deployment.
type NodeID string

// NewRoomID returns a fresh random RoomID.
func NewRoomID() RoomID { return RoomID(uuid.NewString()) }

// NewStudentID returns a fresh random StudentID.
func NewStudentID() StudentID { return StudentID(uuid.NewString()) }

// NewTeacherID returns a fresh random TeacherID.
func NewTeacherID() TeacherID { return TeacherID(uuid.NewString()) }

// Valid reports whether id is a canonical UUID, which is what the server
// hands out. Anything else is refused before it reaches a room or a subject.
func (id RoomID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id StudentID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id TeacherID) Valid() bool { return validUUID(string(id)) }

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Role is what a connection or token is allowed to be.
type Role string

// Roles. A projector is a read-only, class-wide view for the wall screen.
const (
	RoleTeacher   Role = "teacher"
	RoleStudent   Role = "student"
	RoleCoach     Role = "coach"
	RoleProjector Role = "projector"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleTeacher, RoleStudent, RoleCoach, RoleProjector:
		return true
	}
	return false
}
