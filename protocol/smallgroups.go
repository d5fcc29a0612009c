package protocol

// Small groups from the help queue: when several students are flagged on
// the same skill, or lack the same prerequisite, the server proposes one
// teacher-led small group for them with that skill's supplemental lesson.
// The proposal waits for the teacher, who accepts it (as it is, or with
// the students changed) or dismisses it. It is kept in the class's log.

// SmallGroupID names one small-group proposal of a room: a UUID.
type SmallGroupID string

// Valid reports whether id is a canonical UUID.
func (id SmallGroupID) Valid() bool { return validUUID(string(id)) }

// SmallGroupStatus is where a small-group proposal is in its life.
type SmallGroupStatus string

// Small-group statuses.
const (
	SmallGroupProposed  SmallGroupStatus = "proposed"  // waiting for the teacher
	SmallGroupScheduled SmallGroupStatus = "scheduled" // accepted while a rotation runs: formed at its next leg
	SmallGroupFormed    SmallGroupStatus = "formed"    // the group is at the teacher-led station
	SmallGroupDismissed SmallGroupStatus = "dismissed" // the teacher said no
	SmallGroupStale     SmallGroupStatus = "stale"     // the flags behind it resolved before the teacher decided
)

// SmallGroup is a teacher-led small group proposed from the help queue.
type SmallGroup struct {
	ID        SmallGroupID     `json:"id"`
	Skill     SkillID          `json:"skill"`      // the skill to teach: the missing prerequisite, or the skill flagged
	SkillName string           `json:"skill_name"` // as the bank names it
	Students  []Member         `json:"students"`
	Flags     []FlagID         `json:"flags"`            // the flags it answers
	Reason    string           `json:"reason"`           // one sentence for the teacher
	Lesson    *Help            `json:"lesson,omitempty"` // the skill's supplemental lesson, when the bank has one
	Status    SmallGroupStatus `json:"status"`
	Made      int64            `json:"made"`
	Updated   int64            `json:"updated"`
	Station   StationID        `json:"station,omitempty"` // accepted: the teacher-led station
	Group     GroupID          `json:"group,omitempty"`   // formed: the group made
}

// SmallGroupChanged is the data of EvSmallGroup.
type SmallGroupChanged struct {
	Change     string     `json:"change"` // proposed, updated, accepted, formed, dismissed, stale
	SmallGroup SmallGroup `json:"small_group"`
}

// MsgSmallGroupAction is the teacher's answer to a small-group proposal.
const MsgSmallGroupAction MsgType = "small_group_action"

// SmallGroupActionKind is what a teacher does with a small-group proposal.
type SmallGroupActionKind string

// Small-group actions.
const (
	SmallGroupAccept  SmallGroupActionKind = "accept"  // form it (at the next leg while a rotation runs)
	SmallGroupDismiss SmallGroupActionKind = "dismiss" // no
)

// MaxSmallGroup is the most students a teacher may put in a small group.
const MaxSmallGroup = 12

// SmallGroupAction accepts or dismisses a small-group proposal. Students,
// with accept, is the teacher's edit of who joins.
type SmallGroupAction struct {
	SmallGroup SmallGroupID         `json:"small_group"`
	Action     SmallGroupActionKind `json:"action"`
	Students   []StudentID          `json:"students,omitempty"`
}

func (a *SmallGroupAction) validate() *Error {
	if !a.SmallGroup.Valid() {
		return Errorf(CodeInvalid, "small_group_action.small_group is not a small-group ID")
	}
	switch a.Action {
	case SmallGroupAccept:
	case SmallGroupDismiss:
		if a.Students != nil {
			return Errorf(CodeInvalid, "small_group_action: students go with accept only")
		}
	default:
		return Errorf(CodeInvalid, "small_group_action.action must be accept or dismiss")
	}
	if a.Students != nil && (len(a.Students) == 0 || len(a.Students) > MaxSmallGroup) {
		return Errorf(CodeInvalid, "small_group_action.students: 1 to %d students, or leave it out to accept the proposal as it is", MaxSmallGroup)
	}
	seen := map[StudentID]bool{}
	for _, id := range a.Students {
		if !id.Valid() {
			return Errorf(CodeInvalid, "small_group_action: %q is not a student ID", id)
		}
		if seen[id] {
			return Errorf(CodeInvalid, "small_group_action: %s is named twice", id)
		}
		seen[id] = true
	}
	return nil
}
