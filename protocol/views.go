package protocol

// Snapshot views: what a viewer may see of a room at one offset. They are
// built by the room's owner, never filtered after the fact by the device.

// RoomStatus is the life-cycle state of a class session.
type RoomStatus string

// Room statuses.
const (
	StatusOpen  RoomStatus = "open"
	StatusEnded RoomStatus = "ended"
)

// TeacherView is the snapshot a teacher (or a coach, restricted to their
// groups) receives.
type TeacherView struct {
	Room          RoomID         `json:"room"`
	Title         string         `json:"title"`
	Status        RoomStatus     `json:"status"`
	Opened        int64          `json:"opened"`
	Students      []RosterEntry  `json:"students"`
	Announcements []Announcement `json:"announcements"`

	Stations   []Station        `json:"stations"`
	Groups     []Group          `json:"groups"`
	Rotation   *Rotation        `json:"rotation,omitempty"`
	Paused     bool             `json:"paused"`
	Proposal   *Proposal        `json:"proposal,omitempty"`
	Regroup    *Proposal        `json:"regroup,omitempty"` // applied during a rotation: waits for its next leg
	Placements []Placement      `json:"placements"`
	Activities []ActivityPushed `json:"activities"`
	Choices    *Choices         `json:"choices,omitempty"`
	Workspaces []Workspace      `json:"workspaces"`
	LateRule   LateRule         `json:"late_rule"`

	// Flags are the open, acknowledged and snoozed flags, the help queue
	// in order: most need first.
	Flags    []Flag           `json:"flags"`
	Learning []LearnerSummary `json:"learning"`

	// Teachers are the class's teachers, the owner first (teachers only).
	Teachers []ClassTeacher `json:"teachers,omitempty"`
	// You is what the viewing teacher is to the class.
	You TeachRole `json:"you,omitempty"`
	// SmallGroups are the small groups proposed from the help queue that
	// wait for the teacher, or for the rotation's next leg.
	SmallGroups []SmallGroup `json:"small_groups,omitempty"`
}

// LearnerSummary is one student's practice as the teacher sees it.
type LearnerSummary struct {
	Student StudentID      `json:"student"`
	Set     SetRef         `json:"set"`
	Title   string         `json:"title"`
	Kind    string         `json:"kind"`
	Item    *ItemView      `json:"item,omitempty"`
	Answers int            `json:"answers"`
	Correct int            `json:"correct"` // of the recent answers kept
	Mastery []SkillMastery `json:"mastery"` // lowest first
	Offered bool           `json:"offered,omitempty"`
}

// StudentPractice is a student's own practice, in their snapshot.
type StudentPractice struct {
	Set     SetRef         `json:"set"`
	Title   string         `json:"title"`
	Kind    string         `json:"kind"`
	Item    *ItemView      `json:"item,omitempty"`
	Hints   []string       `json:"hints,omitempty"` // the hints shown on the item so far
	Options []BoardOption  `json:"options,omitempty"`
	Pick    int            `json:"pick,omitempty"`
	Offer   *Offer         `json:"offer,omitempty"`
	Mastery []SkillMastery `json:"mastery"`
	Closed  bool           `json:"closed,omitempty"`
	Check   bool           `json:"check,omitempty"` // run as a check: no hints or explanations until handed in
}

// RosterEntry is one student as the teacher sees them.
type RosterEntry struct {
	ID     StudentID `json:"id"`
	Name   string    `json:"name"`
	Online bool      `json:"online"`
	Hand   bool      `json:"hand"`
	Note   string    `json:"note,omitempty"`
	Joined int64     `json:"joined"`

	Group    GroupID  `json:"group,omitempty"`
	Level    *float64 `json:"level,omitempty"`
	Interest string   `json:"interest,omitempty"`
	Choice   string   `json:"choice,omitempty"`
}

// StudentView is the snapshot a student receives: their own state and the
// class-wide state, never another student's.
type StudentView struct {
	Room          RoomID         `json:"room"`
	Title         string         `json:"title"`
	Status        RoomStatus     `json:"status"`
	Me            RosterEntry    `json:"me"`
	Announcements []Announcement `json:"announcements"`

	Stations   []Station        `json:"stations"`
	Groups     []GroupSummary   `json:"groups"`
	Group      *Group           `json:"group,omitempty"`    // the student's own group
	Station    StationID        `json:"station,omitempty"`  // where the student is now
	Rotation   *Rotation        `json:"rotation,omitempty"` // class-wide: no names
	Paused     bool             `json:"paused"`
	Activities []ActivityPushed `json:"activities"`          // recent activities meant for this student
	Workspace  *Workspace       `json:"workspace,omitempty"` // the student's group's
	Choices    *Choices         `json:"choices,omitempty"`
	Practice   *StudentPractice `json:"practice,omitempty"`
}

// ProjectorView is the class-wide state for the wall screen: no names.
type ProjectorView struct {
	Room          RoomID         `json:"room"`
	Title         string         `json:"title"`
	Status        RoomStatus     `json:"status"`
	Online        int            `json:"online"`
	Announcements []Announcement `json:"announcements"`

	Stations   []Station        `json:"stations"`
	Groups     []GroupSummary   `json:"groups"`
	Rotation   *Rotation        `json:"rotation,omitempty"`
	Paused     bool             `json:"paused"`
	Activities []ActivityPushed `json:"activities"`
	Choices    *Choices         `json:"choices,omitempty"`
}
