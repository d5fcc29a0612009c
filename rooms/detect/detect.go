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

// Attempt is one entry of a student's history: an answer, or a hint asked
// for before any answer on the step (Hint), which counts as a wrong first
// attempt.
type Attempt struct {
	Item     protocol.ItemID  `json:"item"`
	Skill    protocol.SkillID `json:"skill"`
	Response string           `json:"response"`
	Correct  bool             `json:"correct"`
	First    bool             `json:"first"` // the first attempt on its step
	// New says it was the student's first opportunity on the skill ever
	// (as far as the record knows): a wrong answer there is not yet
	// trouble, the student has not had a chance to learn it.
	New    bool  `json:"new,omitempty"`
	Hint   bool  `json:"hint,omitempty"`  // a hint asked for before any answer on the step
	Hints  int   `json:"hints,omitempty"` // hints taken on the step before this attempt
	Ms     int64 `json:"ms"`              // time on the item before answering
	ReadMs int64 `json:"read_ms"`         // least time a deliberate read of the item takes; 0 if unknown
	At     int64 `json:"at"`
	// Mastered says the skill's estimate was at its mastery threshold
	// after this entry, by the parameters the room used; the detectors
	// do not read it, the views of the class do.
	Mastered bool `json:"mastered,omitempty"`
}

// Right reports whether the entry shows the student doing the step
// unaided: a correct answer with no hint before it on the step. A correct
// answer after hints is not right, as in the knowledge-tracing models and
// the published detectors the rules come from: the hints did part of the
// work.
func (a Attempt) Right() bool { return a.Correct && a.Hints == 0 && !a.Hint }

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

// Student is what the detectors know of one student: the learner record
// (Record), the skill practised now, and what time alone acts on.
type Student struct {
	ID   protocol.StudentID `json:"id"`
	Name string             `json:"name"`

	Record
	Skill protocol.SkillID `json:"skill,omitempty"` // the skill being practised now

	// ActivityOpen says the student is expected to be working: an
	// activity open in front of them, and (in a room) the class not
	// paused and the student not at a station where the work is with
	// others (a teacher-led group, a collaboration).
	ActivityOpen bool `json:"activity_open"`
	// LastAction (in Record) is when the student last did anything. When
	// an activity opens the room sets it to that time (or the student's
	// arrival, if later), so that a student who never starts is idle too;
	// 0 means unknown and never idle.
	HandUp    bool  `json:"hand_up"`
	HandSince int64 `json:"hand_since,omitempty"`
	// Together says the student is one of many idle at once (ClassIdle):
	// the class-level notice speaks for them, and the idle rule raises
	// nothing of their own.
	Together bool `json:"together,omitempty"`
}

// Clone returns a deep copy of s. Recording reuses the arrays of the
// history, so a copy kept as a snapshot must be a clone.
func (s Student) Clone() Student {
	c := s
	c.Record = s.Record.Clone()
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
