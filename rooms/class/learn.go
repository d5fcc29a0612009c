package class

import (
	"encoding/json"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// keptFlags bounds the flags a room keeps; the learner record keeps its
// own bounds (detect.MaxAttempts, detect.MaxActions).
const keptFlags = 500

// Learner is one student's practice in a room: the set they are on, the
// item in front of them, their mastery per skill and the recent history
// the detectors read. Every field changes only by an event.
type Learner struct {
	Set     protocol.SetRef        `json:"set"`
	Kind    string                 `json:"kind"`
	Title   string                 `json:"title"`
	Queue   []protocol.ItemID      `json:"queue"`             // planned items, next first
	Options []protocol.BoardOption `json:"options,omitempty"` // a choice board still to pick from
	Help    []protocol.ItemID      `json:"help,omitempty"`    // supplemental problems a teacher sent, first of all
	Pick    int                    `json:"pick,omitempty"`
	Current *protocol.ItemView     `json:"current,omitempty"`
	ItemAt  int64                  `json:"item_at,omitempty"` // when the current item was given
	// Record is what the detectors and the knowledge model read: the
	// recent attempts and actions, opportunities and mastery per skill,
	// the last action, and the hints and first action on the current
	// item. Attempts and hints are recorded through its methods only, as
	// the offline replays record them.
	detect.Record
	Shown   []string                     `json:"shown,omitempty"`   // the texts of the hints shown on the current item
	Solved  []protocol.ItemID            `json:"solved"`            // items answered correctly
	Recheck []Recheck                    `json:"recheck,omitempty"` // missed skills to check again later
	Count   int                          `json:"count"`             // answers given this session
	Offered *protocol.Offer              `json:"offered,omitempty"` // enrichment offered and not yet taken
	Start   map[protocol.SkillID]float64 `json:"start,omitempty"`   // mastery when first seen this session
	Closed  bool                         `json:"closed"`            // the activity is over
	Check   bool                         `json:"check,omitempty"`   // run as a check: no hints or explanations until handed in
	Started int64                        `json:"started"`           // when the current set was started
}

// Recheck is a skill the student missed, to come back After answers.
type Recheck struct {
	Skill protocol.SkillID `json:"skill"`
	After int              `json:"after"`
}

// learner is the student's learner record, made on first use.
func (s *State) learner(id protocol.StudentID) *Learner {
	if s.Learners == nil {
		s.Learners = map[protocol.StudentID]*Learner{}
	}
	l := s.Learners[id]
	if l == nil {
		l = &Learner{}
		l.normalize()
		s.Learners[id] = l
	}
	return l
}

// UnmarshalJSON reads a learner from a snapshot, with its maps made: JSON
// drops an empty map, and the fold writes to them.
func (l *Learner) UnmarshalJSON(b []byte) error {
	type plain Learner
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*l = Learner(p)
	l.normalize()
	return nil
}

func (l *Learner) normalize() {
	if l.Mastery == nil {
		l.Mastery = map[protocol.SkillID]float64{}
	}
	if l.FirstAttempts == nil {
		l.FirstAttempts = map[protocol.SkillID]int{}
	}
	if l.Start == nil {
		l.Start = map[protocol.SkillID]float64{}
	}
}

// pOr is the student's mastery of skill, or def before any evidence.
func (l *Learner) P(skill protocol.SkillID, def float64) float64 {
	if p, ok := l.Mastery[skill]; ok {
		return p
	}
	return def
}

// targets are the students an event for a target concerns: those it
// lists, or, for the whole class, every student in the class when it was
// made (a whole-class event lists nobody, so that no device learns its
// classmates' IDs from it).
func (s *State) Targets(to protocol.Target, listed []protocol.StudentID) []protocol.StudentID {
	if listed != nil || to != (protocol.Target{}) {
		return listed
	}
	out := make([]protocol.StudentID, 0, len(s.Students))
	for sid := range s.Students {
		out = append(out, sid)
	}
	slices.Sort(out)
	return out
}
