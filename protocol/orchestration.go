package protocol

// The wire types of class orchestration: stations, groups, rotation, group
// workspaces and whole-class controls. Room state keeps these types as they
// are, so a snapshot and an event carry the same shapes.

// StationID names a station within a room. It is a UUID in canonical form.
type StationID string

// CoachID names a coach account. It is a UUID in canonical form.
type CoachID string

// TaskID names a task in a group's workspace: a UUID in canonical form.
type TaskID string

// ProposalID names one grouping proposal of a room: a UUID.
type ProposalID string

// Valid reports whether id is a canonical UUID.
func (id GroupID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id StationID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id CoachID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id TaskID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a canonical UUID.
func (id ProposalID) Valid() bool { return validUUID(string(id)) }

// StationKind is what happens at a station.
type StationKind string

// Station kinds: the four of station rotation, and the teacher's own.
const (
	StationTeacherLed  StationKind = "teacher_led" // a small group with the teacher
	StationOnline      StationKind = "online"      // online practice
	StationCollab      StationKind = "collab"      // collaboration
	StationIndependent StationKind = "independent" // independent work
	StationCustom      StationKind = "custom"      // whatever the teacher makes of it
)

// Valid reports whether k is a known station kind.
func (k StationKind) Valid() bool {
	switch k {
	case StationTeacherLed, StationOnline, StationCollab, StationIndependent, StationCustom:
		return true
	}
	return false
}

// Activity is what a station runs or what the teacher pushes to devices:
// a title, instructions and, optionally, a link to open.
type Activity struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	URL   string `json:"url,omitempty"` // http or https only
}

// Station is one station of the room.
type Station struct {
	ID       StationID   `json:"id"`
	Name     string      `json:"name"`
	Kind     StationKind `json:"kind"`
	Capacity int         `json:"capacity"` // students at once; 0: no limit
	Activity *Activity   `json:"activity,omitempty"`
}

// Group is one group of the room as its members, its coaches and the
// teachers see it.
type Group struct {
	ID      GroupID     `json:"id"`
	Name    string      `json:"name"`
	Members []Member    `json:"members"`
	Coaches []CoachID   `json:"coaches,omitempty"`
	Roles   []GroupRole `json:"roles,omitempty"`
}

// Member is a student as the other members of their group see them.
type Member struct {
	ID   StudentID `json:"id"`
	Name string    `json:"name"`
}

// GroupRole is a project role held by a member (facilitator, recorder...).
type GroupRole struct {
	Student StudentID `json:"student"`
	Role    string    `json:"role"`
}

// Grouping methods.
type GroupingMethod string

// The grouping engine's methods.
const (
	GroupRandom   GroupingMethod = "random"   // random, seeded
	GroupLevel    GroupingMethod = "level"    // same level by mastery
	GroupMixed    GroupingMethod = "mixed"    // mixed ability, balanced
	GroupInterest GroupingMethod = "interest" // by the students' stated interest
	GroupChoice   GroupingMethod = "choice"   // by the students' own choice of an offered option
	GroupJigsaw   GroupingMethod = "jigsaw"   // home groups and expert groups
)

// Valid reports whether m is a known grouping method.
func (m GroupingMethod) Valid() bool {
	switch m {
	case GroupRandom, GroupLevel, GroupMixed, GroupInterest, GroupChoice, GroupJigsaw:
		return true
	}
	return false
}

// GroupingRequest asks the grouping engine for a proposal. Exactly one of
// Size and Count is set.
type GroupingRequest struct {
	Method        GroupingMethod `json:"method"`
	Size          int            `json:"size,omitempty"`  // students per group
	Count         int            `json:"count,omitempty"` // number of groups
	Min           int            `json:"min,omitempty"`   // smallest group allowed; 0: no bound
	Max           int            `json:"max,omitempty"`   // largest group allowed; 0: no bound
	Seed          int64          `json:"seed,omitempty"`  // 0: the server picks one and reports it
	Apart         [][]StudentID  `json:"apart,omitempty"`
	Together      [][]StudentID  `json:"together,omitempty"`
	AvoidRecent   bool           `json:"avoid_recent,omitempty"` // avoid pairings of recent sessions
	IncludeAbsent bool           `json:"include_absent,omitempty"`
	// Skill, with level, mixed or jigsaw, groups by the class's current
	// mastery of that skill (its knowledge-tracing estimates) instead of
	// the levels the teacher set.
	Skill SkillID `json:"skill,omitempty"`
}

// ProposedGroup is one group of a proposal with the reason it is as it is.
type ProposedGroup struct {
	Name    string      `json:"name"`
	Members []StudentID `json:"members"`
	Reason  string      `json:"reason"`
}

// Proposal is a grouping the teacher may preview, edit and apply. It is
// seen by the teachers only.
type Proposal struct {
	ID      ProposalID      `json:"id"`
	Request GroupingRequest `json:"request"`
	Seed    int64           `json:"seed"`
	Groups  []ProposedGroup `json:"groups"`
	Experts []ProposedGroup `json:"experts,omitempty"` // jigsaw: the expert groups
	Notes   []string        `json:"notes,omitempty"`   // soft constraints that could not be met, and why
	Basis   uint64          `json:"basis"`             // the roster version it was made from
	Made    int64           `json:"made"`
	// Scheduled: applied while a rotation runs, it takes effect at the
	// rotation's next leg; Groups are then the groups to be formed.
	Scheduled bool `json:"scheduled,omitempty"`
}

// RotationPlan is the teacher's plan of a rotation: the order of the
// stations and the length of each leg.
type RotationPlan struct {
	Stations []StationID `json:"stations"`
	Legs     []int64     `json:"legs"` // milliseconds, one per leg
	// WarnMs is the warning before each leg ends. In start_rotation 0 asks
	// for the default (a minute, at most half the shortest leg) and a
	// negative value for none; in a rotation the server reports, 0 is none.
	WarnMs int64 `json:"warn_ms"`
	Auto   bool  `json:"auto"` // advance on time, or wait for the teacher
}

// Rotation is a running (or finished) rotation: the plan and one track per
// rotation group. All times are the server's, Unix milliseconds.
type Rotation struct {
	Plan    RotationPlan `json:"plan"`
	Tracks  []Track      `json:"tracks"`
	Started int64        `json:"started"`
	Ended   bool         `json:"ended"`
}

// Track is one group's progress through the rotation. Station of leg L is
// Plan.Stations[(First+L) mod len(Plan.Stations)].
type Track struct {
	Group    GroupID   `json:"group"`
	First    int       `json:"first"`
	Leg      int       `json:"leg"` // 0-based; len(Plan.Legs) once done
	Station  StationID `json:"station,omitempty"`
	Deadline int64     `json:"deadline,omitempty"` // when the running leg ends
	Left     int64     `json:"left,omitempty"`     // ms left, while paused
	Paused   bool      `json:"paused,omitempty"`   // paused for this group by the teacher
	Held     bool      `json:"held,omitempty"`     // paused because the whole class is paused
	Warned   bool      `json:"warned,omitempty"`   // the warning of this leg was given
	Due      bool      `json:"due,omitempty"`      // time is up; waiting for the teacher
	Done     bool      `json:"done,omitempty"`
}

// Workspace is a group's shared project space.
type Workspace struct {
	Group    GroupID   `json:"group"`
	Rev      uint64    `json:"rev"` // bumped by every change
	Tasks    []Task    `json:"tasks"`
	Notes    string    `json:"notes"`
	NotesRev uint64    `json:"notes_rev"` // bumped by every change of Notes
	Comments []Comment `json:"comments"`
}

// Task is one item of a workspace's checklist. Each field has its own
// version, so that two people changing different fields of one task at
// the same time both keep their change.
type Task struct {
	ID       TaskID    `json:"id"`
	Title    string    `json:"title"`
	Assignee StudentID `json:"assignee,omitempty"`
	Due      int64     `json:"due,omitempty"`
	Done     bool      `json:"done"`
	Vers     TaskVers  `json:"vers"`
}

// TaskVers are the versions of a task's fields.
type TaskVers struct {
	Title    uint64 `json:"title"`
	Assignee uint64 `json:"assignee"`
	Due      uint64 `json:"due"`
	Done     uint64 `json:"done"`
}

// Comment is a note left on a group's workspace by a coach or a teacher.
type Comment struct {
	By   string `json:"by"` // the author's name
	Role Role   `json:"role"`
	Text string `json:"text"`
	Time int64  `json:"time"`
}

// TextEdit is one edit of the shared notes against the text at NotesRev
// Base: delete Del characters at Pos (in Unicode code points), then
// insert Ins there.
type TextEdit struct {
	Pos int    `json:"pos"`
	Del int    `json:"del,omitempty"`
	Ins string `json:"ins,omitempty"`
}

// WorkspaceOpKind names an edit of a workspace.
type WorkspaceOpKind string

// Workspace edits.
const (
	WsAddTask    WorkspaceOpKind = "add_task"
	WsEditTask   WorkspaceOpKind = "edit_task"
	WsRemoveTask WorkspaceOpKind = "remove_task"
	WsSetRole    WorkspaceOpKind = "set_role"
	WsEditNotes  WorkspaceOpKind = "edit_notes"
	WsComment    WorkspaceOpKind = "comment"
)

// WorkspaceOp is one edit of a group's workspace. Which fields are used
// depends on Kind; see PROTOCOL.md.
type WorkspaceOp struct {
	Kind WorkspaceOpKind `json:"kind"`
	Task TaskID          `json:"task,omitempty"`
	// For edit_task: the versions of the fields the editor saw; a field
	// changed by someone else since is refused as stale, others apply.
	Base     *TaskVers  `json:"base,omitempty"`
	Title    *string    `json:"title,omitempty"`
	Assignee *StudentID `json:"assignee,omitempty"` // "" clears it
	Due      *int64     `json:"due,omitempty"`      // 0 clears it
	Done     *bool      `json:"done,omitempty"`
	// For set_role: the student and the role ("" takes it away).
	Student StudentID `json:"student,omitempty"`
	Role    string    `json:"role,omitempty"`
	// For edit_notes: the NotesRev the edits were made against; the
	// server transforms them over the edits made since.
	NotesBase uint64     `json:"notes_base,omitempty"`
	Edits     []TextEdit `json:"edits,omitempty"`
	// For comment.
	Text string `json:"text,omitempty"`
}
