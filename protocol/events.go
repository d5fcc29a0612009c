package protocol

import (
	"encoding/json"
	"slices"
)

// EventType names a room event. Events are the truth: a room's state is the
// fold of its events, in order.
type EventType string

// Event types.
const (
	EvRoomOpened    EventType = "room_opened"    // a teacher opened the class session
	EvStudentJoined EventType = "student_joined" // a student joined with the code
	EvPresence      EventType = "presence"       // a student came online or went offline
	EvAnnouncement  EventType = "announcement"   // a teacher spoke to the class or one student
	EvHand          EventType = "hand"           // a student's hand went up or down
	EvClassEnded    EventType = "class_ended"    // the class session ended; the code is void
	EvOwnerChanged  EventType = "owner_changed"  // a node took ownership of the room
)

// Event is one entry of a room's log. Seq is the room's offset: 1 for the
// first event, gapless and strictly increasing.
type Event struct {
	Seq      uint64          `json:"seq"`
	Type     EventType       `json:"type"`
	Time     int64           `json:"time"` // server time, Unix milliseconds
	Audience Audience        `json:"aud"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// AudienceKind says who may see an event.
type AudienceKind string

// Audience kinds. Teachers of the room see every event except AudNone.
const (
	AudAll      AudienceKind = "all"      // everyone in the room, the projector included
	AudTeachers AudienceKind = "teachers" // the room's teachers only
	AudStudent  AudienceKind = "student"  // one student (and the teachers)
	AudGroup    AudienceKind = "group"    // the members of one group, its coaches (and the teachers)
	AudStaff    AudienceKind = "staff"    // the teachers and the coaches of one group, never students
	AudNone     AudienceKind = "none"     // bookkeeping for the servers; no device sees it
)

// Audience is carried by every event. For AudGroup the owner resolves the
// group's members at the time of the event, so that filtering needs no
// other state.
type Audience struct {
	Kind    AudienceKind `json:"kind"`
	Student StudentID    `json:"student,omitempty"`
	Group   GroupID      `json:"group,omitempty"`
	Members []StudentID  `json:"members,omitempty"`
}

// Viewer is who is looking: the role of a connection and, for a student,
// who they are; for a coach, the groups they coach.
type Viewer struct {
	Role    Role
	Student StudentID
	Groups  []GroupID
}

// Allows reports whether v may see an event with audience a. This is the
// one place where audience is decided; every path that sends events to
// devices (live fan-out, resume, snapshot lists) goes through it.
func (a Audience) Allows(v Viewer) bool {
	if a.Kind == AudNone {
		return false
	}
	switch v.Role {
	case RoleTeacher:
		return true
	case RoleStudent:
		switch a.Kind {
		case AudAll:
			return true
		case AudStudent:
			return v.Student != "" && a.Student == v.Student
		case AudGroup:
			return v.Student != "" && slices.Contains(a.Members, v.Student)
		}
	case RoleCoach:
		switch a.Kind {
		case AudAll:
			return true
		case AudGroup, AudStaff:
			return a.Group != "" && slices.Contains(v.Groups, a.Group)
		}
	case RoleProjector:
		return a.Kind == AudAll
	}
	return false
}

// Audience constructors, for readability at the call sites.
var (
	ToAll      = Audience{Kind: AudAll}
	ToTeachers = Audience{Kind: AudTeachers}
	ToNone     = Audience{Kind: AudNone}
)

// ToStudent is the audience of one student and the teachers.
func ToStudent(id StudentID) Audience { return Audience{Kind: AudStudent, Student: id} }

// Event payloads.

// RoomOpened is the data of EvRoomOpened.
type RoomOpened struct {
	Title   string    `json:"title"`
	Teacher TeacherID `json:"teacher"`
}

// StudentJoined is the data of EvStudentJoined.
type StudentJoined struct {
	Student StudentID `json:"student"`
	Name    string    `json:"name"`
}

// Presence is the data of EvPresence.
type Presence struct {
	Student StudentID `json:"student"`
	Online  bool      `json:"online"`
}

// Announcement is the data of EvAnnouncement.
type Announcement struct {
	Text string    `json:"text"`
	To   StudentID `json:"to,omitempty"`
}

// Hand is the data of EvHand.
type Hand struct {
	Student StudentID `json:"student"`
	Raised  bool      `json:"raised"`
	Note    string    `json:"note,omitempty"`
}

// OwnerChanged is the data of EvOwnerChanged.
type OwnerChanged struct {
	Node NodeID `json:"node"`
}
