// Package detect finds the students who need a teacher, from what they do
// in practice, and decides which flags a teacher sees.
//
// It is in three parts:
//
//   - Evaluate applies the detectors to one student's recent history and
//     returns the conditions that hold now, as Findings;
//   - Reconcile turns findings into changes to the student's flags, under
//     a policy meant to keep the "act now" alerts few and meaningful: one
//     flag per student and concern, merged, escalated rather than
//     repeated, with hysteresis after a flag closes;
//   - Queue orders the open flags for the teacher.
//
// docs/DETECTORS.md gives every rule with its thresholds and sources, and
// the figures of the simulated class (Simulate, Replay, Study) that check
// the policy against its targets.
//
// The package is pure: time comes in as Unix milliseconds, there is no
// I/O, no goroutine and no global random source, so the room actor can
// replay a log and get the same flags again.
package detect

import (
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// Bounds of a student's history: Evaluate never looks further back, so
// the room keeps no more and its snapshots stay small.
const (
	MaxAttempts = 20
	MaxActions  = 10
)

// Action kinds.
const (
	KindAttempt = "attempt"
	KindHint    = "hint"
)

// Attempt is one answer a student gave.
type Attempt struct {
	Item     protocol.ItemID  `json:"item"`
	Skill    protocol.SkillID `json:"skill"`
	Response string           `json:"response"`
	Correct  bool             `json:"correct"`
	First    bool             `json:"first"`           // the first attempt on its step
	Hints    int              `json:"hints,omitempty"` // hints taken on the step before this attempt
	Ms       int64            `json:"ms"`              // time on the item before answering
	ReadMs   int64            `json:"read_ms"`         // least time a deliberate read of the item takes; 0 if unknown
	At       int64            `json:"at"`
}

// Action is one answer or hint request, for the timing detectors. Ms is
// the time since the student was shown what they acted on (the item, or
// the previous hint), and ReadMs the least time a deliberate read of that
// takes: the item's for an answer and for a first hint, the previous
// hint's for a later one. ReadMs 0 means unknown, never too fast.
type Action struct {
	Kind   string `json:"kind"` // KindAttempt or KindHint
	Ms     int64  `json:"ms"`
	ReadMs int64  `json:"read_ms"`
	At     int64  `json:"at"`
}

// Student is what the detectors know of one student: recent history,
// bounded by MaxAttempts and MaxActions, and the session's counts. The
// room keeps one per student, updates it with RecordAttempt, RecordHint
// and the fields below, and stores it in its snapshots.
type Student struct {
	ID   protocol.StudentID `json:"id"`
	Name string             `json:"name"`

	Attempts []Attempt `json:"attempts,omitempty"` // the last MaxAttempts, oldest first
	Actions  []Action  `json:"actions,omitempty"`  // the last MaxActions, oldest first

	// FirstAttempts counts first attempts per skill this session: the
	// practice opportunities the wheel-spinning rule counts.
	FirstAttempts map[protocol.SkillID]int `json:"first_attempts,omitempty"`
	// Mastery holds the estimates of the skills the student has evidence
	// on, from this session or earlier ones. A skill with no entry is
	// unknown, which the prerequisite rule does not count as a gap.
	Mastery map[protocol.SkillID]float64 `json:"mastery,omitempty"`
	Skill   protocol.SkillID             `json:"skill,omitempty"` // the skill being practised now

	ActivityOpen bool `json:"activity_open"`
	// LastAction is when the student last did anything. When an activity
	// opens the room sets it to that time (or the student's arrival, if
	// later), so that a student who never starts is idle too; 0 means
	// unknown and never idle.
	LastAction int64 `json:"last_action"`
	HandUp     bool  `json:"hand_up"`
	HandSince  int64 `json:"hand_since,omitempty"`
}

// RecordAttempt adds a to the history, keeping the bounds, counts a first
// attempt, moves LastAction, and updates the mastery of a's skill with p
// when the attempt is the observation the model counts: a first attempt
// with no hint before it. (A step whose first action was a hint was
// counted by RecordHint.)
func (s *Student) RecordAttempt(a Attempt, p mastery.Params) {
	s.Attempts = push(s.Attempts, a, MaxAttempts)
	s.Actions = push(s.Actions, Action{Kind: KindAttempt, Ms: a.Ms, ReadMs: a.ReadMs, At: a.At}, MaxActions)
	s.LastAction = max(s.LastAction, a.At)
	if !a.First {
		return
	}
	if s.FirstAttempts == nil {
		s.FirstAttempts = make(map[protocol.SkillID]int)
	}
	s.FirstAttempts[a.Skill]++
	if a.Hints == 0 {
		s.observe(a.Skill, a.Correct, p)
	}
}

// RecordHint adds a hint request to the history and moves LastAction.
// first says it is the first action on its step: then it counts as a
// wrong answer for the mastery of skill.
func (s *Student) RecordHint(h Action, skill protocol.SkillID, first bool, p mastery.Params) {
	h.Kind = KindHint
	s.Actions = push(s.Actions, h, MaxActions)
	s.LastAction = max(s.LastAction, h.At)
	if first {
		s.observe(skill, false, p)
	}
}

func (s *Student) observe(skill protocol.SkillID, correct bool, p mastery.Params) {
	if s.Mastery == nil {
		s.Mastery = make(map[protocol.SkillID]float64)
	}
	pL, ok := s.Mastery[skill]
	if !ok {
		pL = p.L0
	}
	s.Mastery[skill] = p.Update(pL, correct)
}

// Clone returns a deep copy of s. RecordAttempt and RecordHint reuse the
// arrays of the history, so a copy kept as a snapshot must be a clone.
func (s Student) Clone() Student {
	c := s
	c.Attempts = append([]Attempt(nil), s.Attempts...)
	c.Actions = append([]Action(nil), s.Actions...)
	if s.FirstAttempts != nil {
		c.FirstAttempts = make(map[protocol.SkillID]int, len(s.FirstAttempts))
		for k, v := range s.FirstAttempts {
			c.FirstAttempts[k] = v
		}
	}
	if s.Mastery != nil {
		c.Mastery = make(map[protocol.SkillID]float64, len(s.Mastery))
		for k, v := range s.Mastery {
			c.Mastery[k] = v
		}
	}
	return c
}

// push appends v and drops the oldest beyond n, reusing the array.
func push[T any](xs []T, v T, n int) []T {
	if len(xs) >= n {
		copy(xs, xs[len(xs)-n+1:])
		xs = xs[:n-1]
	}
	return append(xs, v)
}

// Graph is what the detectors need of the content bank.
type Graph interface {
	// Prereqs returns the direct prerequisites of a skill.
	Prereqs(skill protocol.SkillID) []protocol.SkillID
	// Name returns the skill's name for teachers.
	Name(skill protocol.SkillID) string
	// Lesson returns the skill's supplemental lesson and its problems,
	// or nil if it has none. The detectors do not change what it returns.
	Lesson(skill protocol.SkillID) *protocol.Help
	// Mastered returns the skill's mastery threshold.
	Mastered(skill protocol.SkillID) float64
}

// Skill is one skill of a StaticGraph.
type Skill struct {
	Name     string             `json:"name"`
	Prereqs  []protocol.SkillID `json:"prereqs,omitempty"`
	Lesson   *protocol.Help     `json:"lesson,omitempty"`
	Mastered float64            `json:"mastered,omitempty"` // 0: mastery.Default's
}

// StaticGraph is a Graph held in a map, for tests, the simulator and
// tools that replay its traces.
type StaticGraph map[protocol.SkillID]Skill

// Prereqs implements Graph.
func (g StaticGraph) Prereqs(id protocol.SkillID) []protocol.SkillID { return g[id].Prereqs }

// Name implements Graph; a skill without a name is called by its ID.
func (g StaticGraph) Name(id protocol.SkillID) string {
	if n := g[id].Name; n != "" {
		return n
	}
	return string(id)
}

// Lesson implements Graph.
func (g StaticGraph) Lesson(id protocol.SkillID) *protocol.Help { return g[id].Lesson }

// Mastered implements Graph.
func (g StaticGraph) Mastered(id protocol.SkillID) float64 {
	if m := g[id].Mastered; m > 0 {
		return m
	}
	return mastery.Default.Mastered
}
