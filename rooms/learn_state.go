package rooms

import (
	"encoding/json"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// Bounds of what a room keeps per student for detection and reports.
const (
	keptAttempts = detect.MaxAttempts // the detectors look no further back
	keptActions  = detect.MaxActions
	keptFlags    = 500
)

// Learner is one student's practice in a room: the set they are on, the
// item in front of them, their mastery per skill and the recent history
// the detectors read. Every field changes only by an event.
type Learner struct {
	Set      protocol.SetRef              `json:"set"`
	Kind     string                       `json:"kind"`
	Title    string                       `json:"title"`
	Queue    []protocol.ItemID            `json:"queue"`             // planned items, next first
	Options  []protocol.BoardOption       `json:"options,omitempty"` // a choice board still to pick from
	Help     []protocol.ItemID            `json:"help,omitempty"`    // supplemental problems a teacher sent, first of all
	Pick     int                          `json:"pick,omitempty"`
	Current  *protocol.ItemView           `json:"current,omitempty"`
	ItemAt   int64                        `json:"item_at,omitempty"` // when the current item was given
	LastAt   int64                        `json:"last_at,omitempty"` // the last action (item given, hint, answer)
	Hints    int                          `json:"hints"`             // hints shown on the current item
	Shown    []string                     `json:"shown,omitempty"`   // their texts
	Tried    bool                         `json:"tried"`             // the first action on the current item is past
	Solved   []protocol.ItemID            `json:"solved"`            // items answered correctly
	Recheck  []Recheck                    `json:"recheck,omitempty"` // missed skills to check again later
	Count    int                          `json:"count"`             // answers given this session
	Offered  *protocol.Offer              `json:"offered,omitempty"` // enrichment offered and not yet taken
	Mastery  map[protocol.SkillID]float64 `json:"mastery"`
	Start    map[protocol.SkillID]float64 `json:"start,omitempty"` // mastery when first seen this session
	Attempts []protocol.Attempted         `json:"attempts"`        // the last keptAttempts
	Actions  []detect.Action              `json:"actions"`         // the last keptActions
	First    map[protocol.SkillID]int     `json:"first"`           // first attempts per skill
	Closed   bool                         `json:"closed"`          // the activity is over
	Started  int64                        `json:"started"`         // when the current set was started
}

// Recheck is a skill the student missed, to come back After answers.
type Recheck struct {
	Skill protocol.SkillID `json:"skill"`
	After int              `json:"after"`
}

func (s *State) learner(id protocol.StudentID) *Learner {
	if s.Learners == nil {
		s.Learners = map[protocol.StudentID]*Learner{}
	}
	l := s.Learners[id]
	if l == nil {
		l = &Learner{Mastery: map[protocol.SkillID]float64{}, First: map[protocol.SkillID]int{}, Start: map[protocol.SkillID]float64{}}
		s.Learners[id] = l
	}
	return l
}

func pushBounded[T any](list []T, v T, n int) []T {
	list = append(list, v)
	if len(list) > n {
		list = slices.Delete(list, 0, len(list)-n)
	}
	return list
}

// applyLearning folds the events of practice, answers and flags.
func (s *State) applyLearning(ev protocol.Event) (bool, error) {
	decode := func(v any) error { return json.Unmarshal(ev.Data, v) }
	switch ev.Type {
	case protocol.EvPractice:
		var d protocol.PracticeStarted
		if err := decode(&d); err != nil {
			return true, err
		}
		for _, sid := range s.targets(d.To, d.Students) {
			l := s.learner(sid)
			l.Set, l.Kind, l.Title, l.Closed = d.Set, d.Kind, d.Title, false
			l.Queue, l.Options, l.Pick = slices.Clone(d.Items), nil, 0
			l.Current, l.Hints, l.Tried, l.Offered, l.Started = nil, 0, false, nil, ev.Time
			if d.Kind == "choice_board" {
				l.Queue, l.Options, l.Pick = nil, slices.Clone(d.Options), d.Pick
			}
		}
	case protocol.EvItem:
		var d protocol.ItemGiven
		if err := decode(&d); err != nil {
			return true, err
		}
		l := s.learner(d.Student)
		item := d.Item
		l.Current, l.ItemAt, l.LastAt, l.Hints, l.Tried, l.Shown = &item, ev.Time, ev.Time, 0, false, nil
		if i := slices.Index(l.Queue, item.ID); i >= 0 {
			l.Queue = slices.Delete(l.Queue, i, i+1)
		}
		if i := slices.Index(l.Help, item.ID); i >= 0 {
			l.Help = slices.Delete(l.Help, i, i+1)
		}
		l.Recheck = slices.DeleteFunc(l.Recheck, func(r Recheck) bool { return r.Skill == item.Skill && r.After <= l.Count })
	case protocol.EvAttempt:
		var d protocol.Attempted
		if err := decode(&d); err != nil {
			return true, err
		}
		l := s.learner(d.Student)
		if _, ok := l.Start[d.Skill]; !ok {
			l.Start[d.Skill] = l.pOr(d.Skill, -1)
		}
		l.Mastery[d.Skill] = d.P
		l.Count++
		l.LastAt = ev.Time
		if d.First {
			l.First[d.Skill]++
		}
		kept := d
		kept.Explanation = "" // in the log; the state and its snapshots need not carry it again
		l.Attempts = pushBounded(l.Attempts, kept, keptAttempts)
		l.Actions = pushBounded(l.Actions, detect.Action{Kind: detect.KindAttempt, Ms: d.Ms, ReadMs: d.ReadMs, At: ev.Time}, keptActions)
		l.Tried = true
		if d.Correct {
			l.Solved = append(l.Solved, d.Item)
			l.Current = nil
		} else if d.First {
			// Noah's rule: a missed skill comes back later to check it stuck.
			l.Recheck = append(l.Recheck, Recheck{Skill: d.Skill, After: l.Count + 3})
		}
	case protocol.EvHintShown:
		var d protocol.HintShown
		if err := decode(&d); err != nil {
			return true, err
		}
		l := s.learner(d.Student)
		if _, ok := l.Start[d.Skill]; !ok {
			l.Start[d.Skill] = l.pOr(d.Skill, -1)
		}
		l.Mastery[d.Skill] = d.P
		if d.First {
			l.First[d.Skill]++
		}
		l.Hints = d.Index + 1
		l.Shown = append(l.Shown, d.Text)
		l.Tried = true
		l.LastAt = ev.Time
		l.Actions = pushBounded(l.Actions, detect.Action{Kind: detect.KindHint, Ms: d.Ms, ReadMs: d.ReadMs, At: ev.Time}, keptActions)
	case protocol.EvClosed:
		var d protocol.PracticeClosed
		if err := decode(&d); err != nil {
			return true, err
		}
		for _, sid := range s.targets(d.To, d.Students) {
			if l := s.Learners[sid]; l != nil {
				l.Closed, l.Current = true, nil
			}
		}
	case protocol.EvOffer:
		var d protocol.Offer
		if err := decode(&d); err != nil {
			return true, err
		}
		s.learner(d.Student).Offered = &d
	case protocol.EvHelpSent:
		var d protocol.HelpSent
		if err := decode(&d); err != nil {
			return true, err
		}
		l := s.learner(d.Student)
		// The supplemental problems come first, at once; then the item
		// the student was on, and the set goes on.
		l.Help = slices.Clone(d.Help.Items)
		if l.Current != nil {
			l.Queue = append([]protocol.ItemID{l.Current.ID}, l.Queue...)
			l.Current = nil
		}
		l.Closed = false
	case protocol.EvFlag:
		var d protocol.FlagChanged
		if err := decode(&d); err != nil {
			return true, err
		}
		i := slices.IndexFunc(s.Flags, func(f protocol.Flag) bool { return f.ID == d.Flag.ID })
		if i < 0 {
			s.Flags = append(s.Flags, d.Flag)
			if n := len(s.Flags); n > keptFlags {
				s.Flags = slices.Delete(s.Flags, 0, n-keptFlags)
			}
		} else {
			s.Flags[i] = d.Flag
		}
	case protocol.EvThresholds:
		var d protocol.ThresholdsSet
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Thresholds = d.Thresholds
	default:
		return false, nil
	}
	return true, nil
}

// pOr is the student's mastery of skill, or def before any evidence.
func (l *Learner) pOr(skill protocol.SkillID, def float64) float64 {
	if p, ok := l.Mastery[skill]; ok {
		return p
	}
	return def
}

// targets are the students an event for a target concerns: those it
// lists, or, for the whole class, every student in the class when it was
// made (a whole-class event lists nobody, so that no device learns its
// classmates' IDs from it).
func (s *State) targets(to protocol.Target, listed []protocol.StudentID) []protocol.StudentID {
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
