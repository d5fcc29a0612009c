package detect

import (
	"maps"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// Record is one learner's practice as the detectors and the knowledge
// model read it: the recent history, the practice opportunities per
// skill, the mastery estimates, the time of the last action, and where
// the student is on the step in front of them.
//
// It is the only place that says what an answer or a hint request means
// for a learner. The room's fold (package class) records every attempt
// and hint event through it; Replay, the simulation and the replay of
// tutor logs call the same methods, so their figures are the room's.
//
// A room records in two steps because the fold has no content bank: the
// command handler asks Estimate for the new estimate with the skill's
// parameters and puts it in the event; the fold passes it to
// RecordAttempt or RecordHint. Answer and Hint do both at once, for the
// tools that hold the parameters.
//
// The conventions, those of the knowledge-tracing tutors (docs/DETECTORS.md):
//
//   - Only the first action on a step is an observation of what the student
//     knew. It counts one practice opportunity of the skill and moves its
//     estimate; a retry does neither.
//   - A hint asked for before any answer on the step is that first action,
//     and a wrong one: it goes in the history as an entry with Hint set,
//     counts the opportunity and lowers the estimate. The answer that
//     follows is a retry.
//   - An answer after hints is not Right, even when it is correct.
//
// Record is plain JSON (a room keeps it in its snapshots); the field names
// are those the room's learner always had, so older snapshots read back.
type Record struct {
	Attempts []Attempt `json:"attempts"` // the last MaxAttempts, oldest first
	// Firsts are the last MaxAttempts first attempts (answers or hints),
	// oldest first: one per step, so that retries do not push them out.
	Firsts  []Attempt `json:"firsts,omitempty"`
	Actions []Action  `json:"actions"` // the last MaxActions, oldest first
	// FirstAttempts counts the practice opportunities per skill: first
	// actions on a step, answers or hints.
	FirstAttempts map[protocol.SkillID]int `json:"first"`
	// Mastery holds the estimates of the skills the student has evidence
	// on, from this session or earlier ones. A skill with no entry is
	// unknown, which the prerequisite rule does not count as a gap.
	Mastery    map[protocol.SkillID]float64 `json:"mastery"`
	LastAction int64                        `json:"last_at,omitempty"` // the last action: step shown, hint, answer
	Hints      int                          `json:"hints"`             // hints taken on the current step
	Tried      bool                         `json:"tried"`             // the first action on the current step is past
}

// NewStep starts a new step (an item, or a step of a problem) shown at
// at: no hint taken and no action on it yet. at 0 leaves LastAction alone.
func (r *Record) NewStep(at int64) {
	r.Hints, r.Tried = 0, false
	r.LastAction = max(r.LastAction, at)
}

// Resume goes back at at to a step the student acted on before and left
// for another: its first action is past, so nothing on it counts again.
// (The room never does this; some tutors' logs do.)
func (r *Record) Resume(at int64) {
	r.Hints, r.Tried = 0, true
	r.LastAction = max(r.LastAction, at)
}

// Estimate returns the estimate of skill after the next action on the
// current step, and whether that action is the step's first: an answer,
// correct or not, or a hint request (correct false). Only a first action
// moves the estimate; otherwise it is the estimate as it stands, or p.L0
// before any evidence. r is not changed.
func (r *Record) Estimate(skill protocol.SkillID, correct bool, p mastery.Params) (pL float64, first bool) {
	pL, ok := r.Mastery[skill]
	if !ok {
		pL = p.L0
	}
	if r.Tried {
		return pL, false
	}
	return p.Update(pL, correct), true
}

// RecordAttempt adds an answer to the history, with the estimate of its
// skill after it, pL (from Estimate). First and Hints are the record's
// own: whether the step was tried before, and the hints taken on it.
func (r *Record) RecordAttempt(a Attempt, pL float64) {
	a.First, a.Hint, a.Hints = !r.Tried, false, r.Hints
	r.Attempts = push(r.Attempts, a, MaxAttempts)
	r.Actions = push(r.Actions, Action{Kind: KindAttempt, Ms: a.Ms, ReadMs: a.ReadMs, At: a.At}, MaxActions)
	r.LastAction = max(r.LastAction, a.At)
	if a.First {
		a.New = r.FirstAttempts[a.Skill] == 0
		r.Attempts[len(r.Attempts)-1].New = a.New
		r.Firsts = push(r.Firsts, a, MaxAttempts)
		r.observe(a.Skill, pL)
	}
	r.Tried = true
}

// RecordHint adds a hint request to the history, with the estimate of its
// skill after it, pL (from Estimate). The fields of a are those of the
// step and the hint: Item, Skill, Ms (since the item or the previous
// hint), ReadMs, At, Mastered. A hint before any answer on the step is its
// wrong first attempt and goes in the attempts too.
func (r *Record) RecordHint(a Attempt, pL float64) {
	r.Actions = push(r.Actions, Action{Kind: KindHint, Ms: a.Ms, ReadMs: a.ReadMs, At: a.At}, MaxActions)
	r.LastAction = max(r.LastAction, a.At)
	if !r.Tried {
		a.Response, a.Correct, a.First, a.Hint, a.Hints = "", false, true, true, 0
		a.New = r.FirstAttempts[a.Skill] == 0
		r.Attempts = push(r.Attempts, a, MaxAttempts)
		r.Firsts = push(r.Firsts, a, MaxAttempts)
		r.observe(a.Skill, pL)
	}
	r.Hints++
	r.Tried = true
}

// Answer records an answer with the skill's parameters p: Estimate, then
// RecordAttempt.
func (r *Record) Answer(a Attempt, p mastery.Params) {
	pL, _ := r.Estimate(a.Skill, a.Correct, p)
	a.Mastered = p.IsMastered(pL)
	r.RecordAttempt(a, pL)
}

// Hint records a hint request with the skill's parameters p: Estimate,
// then RecordHint.
func (r *Record) Hint(a Attempt, p mastery.Params) {
	pL, _ := r.Estimate(a.Skill, false, p)
	a.Mastered = p.IsMastered(pL)
	r.RecordHint(a, pL)
}

// observe counts an opportunity of skill and stores its new estimate.
func (r *Record) observe(skill protocol.SkillID, pL float64) {
	if r.FirstAttempts == nil {
		r.FirstAttempts = make(map[protocol.SkillID]int)
	}
	if r.Mastery == nil {
		r.Mastery = make(map[protocol.SkillID]float64)
	}
	r.FirstAttempts[skill]++
	r.Mastery[skill] = pL
}

// Clone returns a deep copy of r.
func (r Record) Clone() Record {
	c := r
	c.Attempts = slices.Clone(r.Attempts)
	c.Firsts = slices.Clone(r.Firsts)
	c.Actions = slices.Clone(r.Actions)
	c.FirstAttempts = maps.Clone(r.FirstAttempts)
	c.Mastery = maps.Clone(r.Mastery)
	return c
}
