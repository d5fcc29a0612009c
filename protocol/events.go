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
	EvReply         EventType = "reply"          // the answer to a command with a request ID, for retries (audience none)

	EvStations    EventType = "stations"     // the room's stations, all of them
	EvGroup       EventType = "group"        // one group as it is now: members, coaches, roles
	EvGroups      EventType = "groups"       // the set of groups now (names and sizes)
	EvProposal    EventType = "proposal"     // a grouping proposal, for the teachers
	EvPlacement   EventType = "placement"    // a student was sent to a station (or back with their group)
	EvRotation    EventType = "rotation"     // the rotation as it is now, and what just happened to it
	EvClassPaused EventType = "class_paused" // the class was paused or resumed
	EvActivity    EventType = "activity"     // an activity pushed to devices
	EvLevel       EventType = "level"        // the teacher's estimate of a student's mastery
	EvChoices     EventType = "choices"      // options offered to the class
	EvChoice      EventType = "choice"       // a student's choice or interest
	EvWorkspace   EventType = "workspace"    // one edit of a group's workspace, as applied
	EvLateRule    EventType = "late_rule"    // how late joiners are placed

	EvPractice   EventType = "practice"        // a set of a content bank was started for some students
	EvItem       EventType = "item"            // a student was given an item
	EvAttempt    EventType = "attempt"         // a student answered, graded by the server
	EvHintShown  EventType = "hint"            // a student was shown a hint
	EvOffer      EventType = "offer"           // enrichment was offered to a student
	EvFlag       EventType = "flag"            // a flag was raised, updated, escalated, acted on or cleared
	EvHelpSent   EventType = "help_sent"       // a teacher sent supplemental work to a student
	EvThresholds EventType = "thresholds"      // the detectors' thresholds of the class changed
	EvClosed     EventType = "practice_closed" // the teacher ended some students' practice
	EvSmallGroup EventType = "small_group"     // a teacher-led small group proposed from the help queue, and what became of it
)

// Event is one entry of a room's log. Seq is the room's offset: 1 for the
// first event, gapless and strictly increasing.
type Event struct {
	Seq      uint64          `json:"seq"`
	Type     EventType       `json:"type"`
	Time     int64           `json:"time"` // server time, Unix milliseconds
	Audience Audience        `json:"aud"`
	Data     json.RawMessage `json:"data,omitempty"`
	// By is the teacher whose command made the event; nil for what
	// students, coaches, timers and the servers did. It stays in the log
	// (for the report) and is not sent to devices.
	By *ActedBy `json:"by,omitempty"`
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
	AudMembers  AudienceKind = "members"  // the students listed (those at a station), and the teachers
	AudNone     AudienceKind = "none"     // bookkeeping for the servers; no device sees it
)

// Audience is carried by every event, and is who may see it as of the
// moment it happened: the owner resolves it from the room's state when it
// makes the event, and nothing decides it again later. For AudGroup it
// lists the group's members then; for AudGroup and AudStaff the group's
// coaches then. So a device that resumes, from any offset, gets exactly
// what it would have got connected throughout, however the groups and
// their coaches changed meanwhile.
type Audience struct {
	Kind    AudienceKind `json:"kind"`
	Student StudentID    `json:"student,omitempty"`
	Group   GroupID      `json:"group,omitempty"`
	Members []StudentID  `json:"members,omitempty"`
	// Coaches are the coaches who may see an AudGroup or AudStaff event.
	// Events written before coaches were listed have none: no coach gets
	// them, since who coached the group then is not known.
	Coaches []CoachID `json:"coaches,omitempty"`
}

// Viewer is who is looking: the role of a connection and, for a student or
// a coach, who they are. Groups are a coach's groups now; views of the
// room's state use them, never Allows, since what a coach may see of an
// event is decided by who coached the group when it happened.
type Viewer struct {
	Role    Role
	Teacher TeacherID // a teacher's views say what they are to the class
	Student StudentID
	Coach   CoachID
	Groups  []GroupID
}

// Allows reports whether v may see an event with audience a. This is the
// one place where audience is decided; every path that sends events to
// devices (live fan-out, resume, snapshot lists) goes through it. It reads
// only a and v, never what the room is like now, so that live and resumed
// devices get the same events.
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
		case AudGroup, AudMembers:
			return v.Student != "" && slices.Contains(a.Members, v.Student)
		}
	case RoleCoach:
		switch a.Kind {
		case AudAll:
			return true
		case AudGroup, AudStaff:
			return v.Coach != "" && slices.Contains(a.Coaches, v.Coach)
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

// ToGroup is the audience of a group's members, its coaches and the
// teachers, each list as it is when the event is made.
func ToGroup(id GroupID, members []StudentID, coaches []CoachID) Audience {
	return Audience{Kind: AudGroup, Group: id, Members: members, Coaches: coaches}
}

// ToMembers is the audience of the students listed and the teachers.
func ToMembers(members []StudentID) Audience { return Audience{Kind: AudMembers, Members: members} }

// ToStaff is the audience of the teachers and a group's coaches as they
// are when the event is made.
func ToStaff(id GroupID, coaches []CoachID) Audience {
	return Audience{Kind: AudStaff, Group: id, Coaches: coaches}
}

// ToStudent is the audience of one student and the teachers.
func ToStudent(id StudentID) Audience { return Audience{Kind: AudStudent, Student: id} }

// Event payloads.

// RoomOpened is the data of EvRoomOpened.
type RoomOpened struct {
	Title   string    `json:"title"`
	Teacher TeacherID `json:"teacher"`
	Name    string    `json:"name,omitempty"` // the teacher's name
}

// StudentJoined is the data of EvStudentJoined.
type StudentJoined struct {
	Student StudentID `json:"student"`
	Name    string    `json:"name"`
	Roster  string    `json:"roster,omitempty"` // the roster entry of a rostered student
	// Mastery is what earlier sessions learnt of a rostered student, so
	// that this lesson starts from what is known.
	Mastery map[SkillID]float64 `json:"mastery,omitempty"`
	// Practice counts the practice opportunities per skill of a
	// rostered student in earlier sessions, so that wheel-spinning is
	// seen across lessons.
	Practice map[SkillID]int `json:"practice,omitempty"`
}

// Presence is the data of EvPresence.
type Presence struct {
	Student StudentID `json:"student"`
	Online  bool      `json:"online"`
}

// Announcement is the data of EvAnnouncement.
type Announcement struct {
	Text    string    `json:"text"`
	To      StudentID `json:"to,omitempty"`
	Group   GroupID   `json:"group,omitempty"`
	Station StationID `json:"station,omitempty"`
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

// ReplyRecorded is the data of EvReply: the answer to a command that had a
// request ID, stored in the same atomic append as the events the command
// made. A device that retries the command after a restart, a takeover or a
// lost connection gets this answer again and nothing runs twice. Key names
// the sender and the request ID; Student is set when a student sent it, so
// that erasing the student erases their replies.
type ReplyRecorded struct {
	Key     string          `json:"key"`
	Student StudentID       `json:"student,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// Stations is the data of EvStations.
type Stations struct {
	Stations []Station `json:"stations"`
}

// GroupChanged is the data of EvGroup.
type GroupChanged struct {
	Group Group `json:"group"`
}

// GroupSummary is a group as everyone may see it: no names.
type GroupSummary struct {
	ID   GroupID `json:"id"`
	Name string  `json:"name"`
	Size int     `json:"size"`
}

// Groups is the data of EvGroups: every group of the room now. A group
// not listed no longer exists.
type Groups struct {
	Groups []GroupSummary `json:"groups"`
	// Proposal is the scheduled regrouping these groups carry out, at the
	// leg of a rotation it waited for.
	Proposal ProposalID `json:"proposal,omitempty"`
}

// Placement is the data of EvPlacement.
type Placement struct {
	Student StudentID `json:"student"`
	Station StationID `json:"station,omitempty"` // "" when back with their group
}

// RotationAction is one thing that happened to a rotation.
type RotationAction struct {
	Kind    string    `json:"kind"` // start, pause, resume, extend, advance, warn, due, done, finish, end, hold, release, regroup
	Group   GroupID   `json:"group,omitempty"`
	Leg     int       `json:"leg"`
	Station StationID `json:"station,omitempty"`
	At      int64     `json:"at"`
}

// RotationChanged is the data of EvRotation: what happened, and the whole
// rotation after it.
type RotationChanged struct {
	Actions  []RotationAction `json:"actions"`
	Rotation Rotation         `json:"rotation"`
}

// ClassPaused is the data of EvClassPaused.
type ClassPaused struct {
	Paused bool `json:"paused"`
}

// ActivityPushed is the data of EvActivity.
type ActivityPushed struct {
	Activity Activity `json:"activity"`
	To       Target   `json:"to"`
}

// Level is the data of EvLevel.
type Level struct {
	Student StudentID `json:"student"`
	Level   float64   `json:"level"`
}

// Choices is the data of EvChoices.
type Choices struct {
	Prompt  string   `json:"prompt"`
	Options []string `json:"options"`
}

// Choice is the data of EvChoice: a student's choice, interest or both.
type Choice struct {
	Student  StudentID `json:"student"`
	Option   *string   `json:"option,omitempty"`
	Interest *string   `json:"interest,omitempty"`
}

// WorkspaceChanged is the data of EvWorkspace.
type WorkspaceChanged struct {
	Group GroupID     `json:"group"`
	Op    WorkspaceOp `json:"op"` // as applied: notes edits against Rev-1's notes
	By    Author      `json:"by"`
	Rev   uint64      `json:"rev"`
}

// Author is who made a change, as the group sees it.
type Author struct {
	Role    Role      `json:"role"`
	Name    string    `json:"name"`
	Student StudentID `json:"student,omitempty"`
}

// LateRuleSet is the data of EvLateRule.
type LateRuleSet struct {
	Rule LateRule `json:"rule"`
}

// PracticeStarted is the data of EvPractice. Students are the students it
// was started for, resolved when it was started; for the whole class the
// list is left out, and it is every student in the class at that moment.
type PracticeStarted struct {
	Set      SetRef        `json:"set"`
	Title    string        `json:"title"`
	Kind     string        `json:"kind"` // practice, playlist, choice_board, check, enrichment
	To       Target        `json:"to"`
	Students []StudentID   `json:"students,omitempty"`
	Items    []ItemID      `json:"items"`             // in order; for a choice board, the options
	Pick     int           `json:"pick,omitempty"`    // choice board: how many to pick
	Options  []BoardOption `json:"options,omitempty"` // choice board: what the student chooses from
	Check    bool          `json:"check,omitempty"`   // run as a check (see AssignPractice)
}

// BoardOption is one option of a choice board.
type BoardOption struct {
	Item  ItemID `json:"item"`
	Label string `json:"label"`
}

// ItemGiven is the data of EvItem.
type ItemGiven struct {
	Student StudentID `json:"student"`
	Item    ItemView  `json:"item"`
}

// Attempted is the data of EvAttempt: one graded answer.
type Attempted struct {
	Student     StudentID `json:"student"`
	Item        ItemID    `json:"item"`
	Skill       SkillID   `json:"skill"`
	Response    string    `json:"response"`
	Correct     bool      `json:"correct"`
	First       bool      `json:"first"`   // the first attempt on this item: it moved mastery
	Hints       int       `json:"hints"`   // hints seen before answering
	Ms          int64     `json:"ms"`      // time on the item, by the server's clock
	ReadMs      int64     `json:"read_ms"` // the least time a deliberate read of it takes
	P           float64   `json:"p"`       // the skill's mastery after it
	Mastered    bool      `json:"mastered"`
	Explanation string    `json:"explanation,omitempty"` // after a wrong answer
	// MovedOn: a wrong answer after the last hint (which gives the answer
	// away) with no similar problem left: the item is set aside and the
	// student goes on to the next, instead of being held on it.
	MovedOn bool  `json:"moved_on,omitempty"`
	At      int64 `json:"at"` // when it was answered
}

// HintShown is the data of EvHintShown.
type HintShown struct {
	Student  StudentID `json:"student"`
	Item     ItemID    `json:"item"`
	Skill    SkillID   `json:"skill"`
	Index    int       `json:"index"` // 0-based
	Text     string    `json:"text"`
	Last     bool      `json:"last"` // the bottom-out hint: it gives the answer
	Ms       int64     `json:"ms"`   // time since the item or the previous hint
	ReadMs   int64     `json:"read_ms"`
	P        float64   `json:"p"` // mastery after it (a hint before the first attempt counts as wrong)
	Mastered bool      `json:"mastered,omitempty"`
	First    bool      `json:"first"` // it was the first action on the item
}

// Offer is the data of EvOffer.
type Offer struct {
	Student StudentID `json:"student"`
	Set     SetRef    `json:"set"`
	Title   string    `json:"title"`
}

// FlagChanged is the data of EvFlag.
type FlagChanged struct {
	Change string `json:"change"` // open, update, escalate, clear, ack, resolve, snooze, send_help, pull
	Flag   Flag   `json:"flag"`
}

// HelpSent is the data of EvHelpSent: the lesson and problems are queued
// for the student.
type HelpSent struct {
	Student StudentID `json:"student"`
	Help    Help      `json:"help"`
	Text    string    `json:"text,omitempty"` // the lesson's explanation
	Flag    FlagID    `json:"flag,omitempty"`
}

// ThresholdsSet is the data of EvThresholds.
type ThresholdsSet struct {
	Thresholds json.RawMessage `json:"thresholds"`
}

// PracticeClosed is the data of EvClosed.
type PracticeClosed struct {
	To       Target      `json:"to"`
	Students []StudentID `json:"students,omitempty"`
}
