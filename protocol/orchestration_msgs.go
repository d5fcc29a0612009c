package protocol

import (
	"math"
	"net/url"
	"strings"
)

// Client messages of class orchestration.
const (
	MsgPutStation    MsgType = "put_station"    // create or edit a station
	MsgRemoveStation MsgType = "remove_station" // remove a station
	MsgProposeGroups MsgType = "propose_groups" // ask the grouping engine for a proposal
	MsgApplyGroups   MsgType = "apply_groups"   // apply a proposal, edited or not
	MsgMoveStudent   MsgType = "move_student"   // move one student to a group or a station
	MsgAssignCoach   MsgType = "assign_coach"   // give a coach a group, or take it away
	MsgStartRotation MsgType = "start_rotation" // start a station rotation
	MsgRotate        MsgType = "rotate"         // pause, resume, extend, advance or end the rotation
	MsgPauseClass    MsgType = "pause_class"    // every student screen shows a pause overlay
	MsgResumeClass   MsgType = "resume_class"   // the overlay goes away
	MsgPushActivity  MsgType = "push_activity"  // push an activity to the class, a station, a group or a student
	MsgSetLevel      MsgType = "set_level"      // the teacher's estimate of a student's mastery
	MsgOfferChoices  MsgType = "offer_choices"  // offer the students options to choose from
	MsgChoose        MsgType = "choose"         // a student picks one of the offered options
	MsgSetInterest   MsgType = "set_interest"   // a student states an interest
	MsgEditWorkspace MsgType = "edit_workspace" // edit a group's workspace
	MsgSetLateRule   MsgType = "set_late_rule"  // how late joiners are placed into groups
)

// Limits of orchestration messages.
const (
	MaxStations       = 20
	MaxGroups         = 40
	MaxStationName    = 40
	MaxActivityText   = 1000
	MaxURLBytes       = 2000
	MaxOptions        = 12
	MaxOptionRunes    = 60
	MaxInterestRunes  = 60
	MaxConstraintSets = 50
	MaxGroupNameRunes = 40
)

// Target says who a pushed activity or an announcement is for: at most
// one of its fields is set; none means the whole class.
type Target struct {
	Student StudentID `json:"student,omitempty"`
	Group   GroupID   `json:"group,omitempty"`
	Station StationID `json:"station,omitempty"`
}

func (t Target) validate(field string) *Error {
	n := 0
	if t.Student != "" {
		n++
		if !t.Student.Valid() {
			return Errorf(CodeInvalid, "%s.student is not a student ID", field)
		}
	}
	if t.Group != "" {
		n++
		if !t.Group.Valid() {
			return Errorf(CodeInvalid, "%s.group is not a group ID", field)
		}
	}
	if t.Station != "" {
		n++
		if !t.Station.Valid() {
			return Errorf(CodeInvalid, "%s.station is not a station ID", field)
		}
	}
	if n > 1 {
		return Errorf(CodeInvalid, "%s: name at most one of student, group and station", field)
	}
	return nil
}

// PutStation creates a station (no ID) or replaces one (with its ID).
type PutStation struct {
	Station Station `json:"station"`
}

// RemoveStation removes a station that no running rotation uses.
type RemoveStation struct {
	Station StationID `json:"station"`
}

// ProposeGroups asks for a grouping proposal.
type ProposeGroups struct {
	GroupingRequest
}

// ApplyGroups applies the proposal named, or the teacher's edit of it
// when Groups is set. Only then do devices change.
type ApplyGroups struct {
	Proposal ProposalID      `json:"proposal"`
	Groups   []ProposedGroup `json:"groups,omitempty"`
}

// MoveStudent moves one student to another group, or to a station for the
// rest of their group's leg (Station "" with Clear ends that).
type MoveStudent struct {
	Student StudentID `json:"student"`
	Group   GroupID   `json:"group,omitempty"`
	Station StationID `json:"station,omitempty"`
	Clear   bool      `json:"clear,omitempty"`
}

// AssignCoach gives a coach a group (Assigned) or takes it away.
type AssignCoach struct {
	Group    GroupID `json:"group"`
	Coach    CoachID `json:"coach"`
	Assigned bool    `json:"assigned"`
}

// StartRotation starts a rotation of the groups named (all groups when
// none) through the plan's stations.
type StartRotation struct {
	Plan   RotationPlan `json:"plan"`
	Groups []GroupID    `json:"groups,omitempty"`
}

// RotateAction is what Rotate does.
type RotateAction string

// Rotation controls.
const (
	RotatePause   RotateAction = "pause"
	RotateResume  RotateAction = "resume"
	RotateExtend  RotateAction = "extend"
	RotateAdvance RotateAction = "advance"
	RotateEnd     RotateAction = "end"
)

// Rotate controls the running rotation, for every group or for one.
type Rotate struct {
	Action RotateAction `json:"action"`
	Group  GroupID      `json:"group,omitempty"`
	Ms     int64        `json:"ms,omitempty"` // extend only
}

// PauseClass and ResumeClass have no data.
type (
	PauseClass  struct{}
	ResumeClass struct{}
)

// PushActivity sends an activity to its target's devices.
type PushActivity struct {
	Activity Activity `json:"activity"`
	To       Target   `json:"to"`
}

// SetLevel sets the teacher's estimate of a student's mastery, 0 to 1,
// used by level and mixed grouping until measured mastery exists.
type SetLevel struct {
	Student StudentID `json:"student"`
	Level   float64   `json:"level"`
}

// OfferChoices offers the class options (Options empty: withdraw the offer).
type OfferChoices struct {
	Prompt  string   `json:"prompt"`
	Options []string `json:"options"`
}

// Choose picks one of the offered options.
type Choose struct {
	Option string `json:"option"`
}

// SetInterest states a student's interest ("" clears it).
type SetInterest struct {
	Interest string `json:"interest"`
}

// EditWorkspace edits a group's workspace.
type EditWorkspace struct {
	Group GroupID     `json:"group"`
	Op    WorkspaceOp `json:"op"`
}

// LateRule says where a student who joins after groups were formed goes.
type LateRule string

// Late-join rules.
const (
	LateSmallest LateRule = "smallest" // into the smallest group (the default)
	LateNone     LateRule = "none"     // into no group; the teacher places them
)

// SetLateRule sets the room's late-join rule.
type SetLateRule struct {
	Rule LateRule `json:"rule"`
}

func (p *PutStation) validate() *Error {
	s := p.Station
	if s.ID != "" && !s.ID.Valid() {
		return Errorf(CodeInvalid, "put_station.station.id is not a station ID")
	}
	if e := CheckText("put_station.station.name", s.Name, 1, MaxStationName, false); e != nil {
		return e
	}
	if !s.Kind.Valid() {
		return Errorf(CodeInvalid, "put_station.station.kind must be teacher_led, online, collab, independent or custom")
	}
	if s.Capacity < 0 || s.Capacity > 500 {
		return Errorf(CodeInvalid, "put_station.station.capacity must be 0 (no limit) to 500")
	}
	if s.Activity != nil {
		return s.Activity.validate("put_station.station.activity")
	}
	return nil
}

func (a *Activity) validate(field string) *Error {
	if e := CheckText(field+".title", a.Title, 1, MaxTitleRunes, false); e != nil {
		return e
	}
	if e := CheckText(field+".text", a.Text, 0, MaxActivityText, true); e != nil {
		return e
	}
	if a.URL != "" {
		u, err := url.Parse(a.URL)
		if len(a.URL) > MaxURLBytes || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Errorf(CodeInvalid, "%s.url must be an http or https address", field)
		}
	}
	return nil
}

func (r *RemoveStation) validate() *Error {
	if !r.Station.Valid() {
		return Errorf(CodeInvalid, "remove_station.station is not a station ID")
	}
	return nil
}

func (p *ProposeGroups) validate() *Error {
	r := p.GroupingRequest
	if !r.Method.Valid() {
		return Errorf(CodeInvalid, "propose_groups.method must be random, level, mixed, interest, choice or jigsaw")
	}
	if (r.Size > 0) == (r.Count > 0) {
		return Errorf(CodeInvalid, "propose_groups: give either size or count")
	}
	if r.Size < 0 || r.Count < 0 || r.Min < 0 || r.Max < 0 || r.Size > 100 || r.Count > MaxGroups {
		return Errorf(CodeInvalid, "propose_groups: size is 1 to 100 and count 1 to %d", MaxGroups)
	}
	if r.Max > 0 && r.Min > r.Max {
		return Errorf(CodeInvalid, "propose_groups: min is larger than max")
	}
	if r.Skill != "" {
		if !r.Skill.Valid() {
			return Errorf(CodeInvalid, "propose_groups.skill is not a skill name")
		}
		if r.Method != GroupLevel && r.Method != GroupMixed && r.Method != GroupJigsaw {
			return Errorf(CodeInvalid, "propose_groups.skill goes with level, mixed or jigsaw")
		}
	}
	if len(r.Apart)+len(r.Together) > MaxConstraintSets {
		return Errorf(CodeInvalid, "propose_groups: at most %d constraints", MaxConstraintSets)
	}
	for _, sets := range [][][]StudentID{r.Apart, r.Together} {
		for _, set := range sets {
			if len(set) < 2 || len(set) > 100 {
				return Errorf(CodeInvalid, "propose_groups: a constraint names 2 to 100 students")
			}
			for _, id := range set {
				if !id.Valid() {
					return Errorf(CodeInvalid, "propose_groups: %q is not a student ID", id)
				}
			}
		}
	}
	return nil
}

func (a *ApplyGroups) validate() *Error {
	if !a.Proposal.Valid() {
		return Errorf(CodeInvalid, "apply_groups.proposal is not a proposal ID")
	}
	if a.Groups != nil && len(a.Groups) == 0 {
		return Errorf(CodeInvalid, "apply_groups.groups: give at least one group, or leave it out to apply the proposal as it is")
	}
	if len(a.Groups) > MaxGroups {
		return Errorf(CodeInvalid, "apply_groups: at most %d groups", MaxGroups)
	}
	for _, g := range a.Groups {
		if e := CheckText("apply_groups.groups.name", g.Name, 1, MaxGroupNameRunes, false); e != nil {
			return e
		}
		if len(g.Members) > 500 {
			return Errorf(CodeInvalid, "apply_groups: a group has at most 500 members")
		}
		for _, id := range g.Members {
			if !id.Valid() {
				return Errorf(CodeInvalid, "apply_groups: %q is not a student ID", id)
			}
		}
		if g.Reason != "" {
			return Errorf(CodeInvalid, "apply_groups: reason is the server's; leave it out")
		}
	}
	return nil
}

func (m *MoveStudent) validate() *Error {
	if !m.Student.Valid() {
		return Errorf(CodeInvalid, "move_student.student is not a student ID")
	}
	n := 0
	if m.Group != "" {
		n++
		if !m.Group.Valid() {
			return Errorf(CodeInvalid, "move_student.group is not a group ID")
		}
	}
	if m.Station != "" {
		n++
		if !m.Station.Valid() {
			return Errorf(CodeInvalid, "move_student.station is not a station ID")
		}
	}
	if m.Clear {
		n++
	}
	if n != 1 {
		return Errorf(CodeInvalid, "move_student: give exactly one of group, station and clear")
	}
	return nil
}

func (a *AssignCoach) validate() *Error {
	if !a.Group.Valid() || !a.Coach.Valid() {
		return Errorf(CodeInvalid, "assign_coach: group and coach must be IDs")
	}
	return nil
}

func (s *StartRotation) validate() *Error {
	p := s.Plan
	if len(p.Stations) == 0 || len(p.Stations) > MaxStations {
		return Errorf(CodeInvalid, "start_rotation.plan.stations: 1 to %d stations", MaxStations)
	}
	for _, id := range p.Stations {
		if !id.Valid() {
			return Errorf(CodeInvalid, "start_rotation.plan.stations: %q is not a station ID", id)
		}
	}
	if len(p.Legs) == 0 || len(p.Legs) > MaxStations {
		return Errorf(CodeInvalid, "start_rotation.plan.legs: 1 to %d legs", MaxStations)
	}
	// An empty list names no group: it is not taken for every group,
	// which is what leaving groups out means.
	if s.Groups != nil && len(s.Groups) == 0 || len(s.Groups) > MaxGroups {
		return Errorf(CodeInvalid, "start_rotation.groups: 1 to %d groups, or left out for every group", MaxGroups)
	}
	for _, id := range s.Groups {
		if !id.Valid() {
			return Errorf(CodeInvalid, "start_rotation.groups: %q is not a group ID", id)
		}
	}
	return nil
}

func (r *Rotate) validate() *Error {
	switch r.Action {
	case RotatePause, RotateResume, RotateAdvance, RotateEnd:
		if r.Ms != 0 {
			return Errorf(CodeInvalid, "rotate.ms is for extend only")
		}
	case RotateExtend:
		if r.Ms < 1000 || r.Ms > 2*60*60*1000 {
			return Errorf(CodeInvalid, "rotate.ms must be 1000 to 7200000 (two hours)")
		}
	default:
		return Errorf(CodeInvalid, "rotate.action must be pause, resume, extend, advance or end")
	}
	if r.Group != "" && !r.Group.Valid() {
		return Errorf(CodeInvalid, "rotate.group is not a group ID")
	}
	if r.Action == RotateEnd && r.Group != "" {
		return Errorf(CodeInvalid, "rotate: end is for the whole rotation; advance a group instead")
	}
	return nil
}

func (*PauseClass) validate() *Error  { return nil }
func (*ResumeClass) validate() *Error { return nil }

func (p *PushActivity) validate() *Error {
	if e := p.Activity.validate("push_activity.activity"); e != nil {
		return e
	}
	return p.To.validate("push_activity.to")
}

func (s *SetLevel) validate() *Error {
	if !s.Student.Valid() {
		return Errorf(CodeInvalid, "set_level.student is not a student ID")
	}
	if math.IsNaN(s.Level) || s.Level < 0 || s.Level > 1 {
		return Errorf(CodeInvalid, "set_level.level must be 0 to 1")
	}
	return nil
}

func (o *OfferChoices) validate() *Error {
	if e := CheckText("offer_choices.prompt", o.Prompt, 0, MaxTextRunes, false); e != nil {
		return e
	}
	if len(o.Options) > MaxOptions {
		return Errorf(CodeInvalid, "offer_choices.options: at most %d", MaxOptions)
	}
	for i, opt := range o.Options {
		if e := CheckText("offer_choices.options", opt, 1, MaxOptionRunes, false); e != nil {
			return e
		}
		// Choosing matches options with case folding, so two options that
		// fold alike could never both be chosen.
		for _, prev := range o.Options[:i] {
			if strings.EqualFold(strings.TrimSpace(prev), strings.TrimSpace(opt)) {
				return Errorf(CodeInvalid, "offer_choices.options: %q is there twice", opt)
			}
		}
	}
	return nil
}

func (c *Choose) validate() *Error {
	return CheckText("choose.option", c.Option, 1, MaxOptionRunes, false)
}

func (s *SetInterest) validate() *Error {
	return CheckText("set_interest.interest", s.Interest, 0, MaxInterestRunes, false)
}

func (e *EditWorkspace) validate() *Error {
	if !e.Group.Valid() {
		return Errorf(CodeInvalid, "edit_workspace.group is not a group ID")
	}
	switch e.Op.Kind {
	case WsAddTask, WsEditTask, WsRemoveTask, WsSetRole, WsEditNotes, WsComment:
	default:
		return Errorf(CodeInvalid, "edit_workspace.op.kind must be add_task, edit_task, remove_task, set_role, edit_notes or comment")
	}
	if e.Op.Task != "" && !e.Op.Task.Valid() {
		return Errorf(CodeInvalid, "edit_workspace.op.task is not a task ID")
	}
	if e.Op.Student != "" && !e.Op.Student.Valid() {
		return Errorf(CodeInvalid, "edit_workspace.op.student is not a student ID")
	}
	if e.Op.Assignee != nil && *e.Op.Assignee != "" && !e.Op.Assignee.Valid() {
		return Errorf(CodeInvalid, "edit_workspace.op.assignee is not a student ID")
	}
	if len(e.Op.Edits) > 50 {
		return Errorf(CodeInvalid, "edit_workspace.op.edits: at most 50")
	}
	return nil
}

func (s *SetLateRule) validate() *Error {
	if s.Rule != LateSmallest && s.Rule != LateNone {
		return Errorf(CodeInvalid, "set_late_rule.rule must be smallest or none")
	}
	return nil
}
