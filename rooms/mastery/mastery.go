// Package mastery estimates how well a student knows a skill with Bayesian
// Knowledge Tracing (Corbett & Anderson, 1995).
//
// The model treats each skill as either known or not known. It starts
// known with probability L0; at each practice opportunity a student who
// does not know it learns it with probability T; a student who knows it
// still slips (answers wrongly) with probability S, and one who does not
// guesses right with probability G. After each observed answer the
// estimate P(L) that the skill is known is revised by Bayes' rule and then
// moved on by the chance of learning from the opportunity itself.
//
// # What counts as an observation
//
// The room follows the conventions of the tutors the model was built for:
//
//   - Only the first attempt on a step counts. Later attempts on the same
//     step come after feedback and say more about the feedback than about
//     what the student knew, so they are not passed to Update.
//   - A hint asked for before the first attempt counts as not correct: the
//     student showed they could not do the step unaided. The room calls
//     Update(pL, false) when the first action on a step is a hint, and does
//     not call it again for the answer that follows.
//
// The package is pure: no clock, no I/O, no state beyond its arguments, so
// that a room replaying its log gets the same estimates again.
package mastery

import (
	"errors"
	"fmt"
	"math"
)

// Params are the four probabilities of the model for one skill, and the
// estimate at which the skill counts as mastered.
type Params struct {
	L0       float64 `json:"l0"`       // known before any practice
	T        float64 `json:"t"`        // learned at one opportunity, if not known
	G        float64 `json:"g"`        // right answer without knowing the skill
	S        float64 `json:"s"`        // wrong answer despite knowing it
	Mastered float64 `json:"mastered"` // P(L) at or above which the skill is mastered
}

// Default are the parameters used when a content bank gives none: the
// values commonly used as a starting point before fitting, with the usual
// mastery threshold of 0.95.
var Default = Params{L0: 0.25, T: 0.2, G: 0.2, S: 0.1, Mastered: 0.95}

// Floor and Ceil bound every estimate Update returns. A long run of
// correct answers would otherwise round P(L) to exactly 1 in floating
// point, from where no evidence could ever move it again.
const (
	Floor = 1e-6
	Ceil  = 1 - 1e-6
)

// Validate reports whether p describes a usable model. Besides every
// value lying in its range, it requires G+S < 1: only then is a correct
// answer more likely from a student who knows the skill than from one who
// does not, so that a correct answer raises the estimate and a wrong one
// lowers it. With G+S ≥ 1 the model is degenerate and its estimates run
// backwards.
func (p Params) Validate() error {
	check := func(name string, v, lo, hi float64, loOpen, hiOpen bool) error {
		bad := math.IsNaN(v) || v < lo || v > hi || (loOpen && v == lo) || (hiOpen && v == hi)
		if !bad {
			return nil
		}
		l, r := "[", "]"
		if loOpen {
			l = "("
		}
		if hiOpen {
			r = ")"
		}
		return fmt.Errorf("mastery: %s = %v, want it in %s%g, %g%s", name, v, l, lo, hi, r)
	}
	for _, err := range []error{
		check("L0", p.L0, 0, 1, true, true),
		check("T", p.T, 0, 1, false, true),
		check("G", p.G, 0, 1, true, true),
		check("S", p.S, 0, 1, true, true),
		check("Mastered", p.Mastered, 0, 1, true, false),
	} {
		if err != nil {
			return err
		}
	}
	if p.G+p.S >= 1 {
		return errors.New("mastery: G + S must be below 1, or a correct answer would not be evidence of knowing the skill")
	}
	return nil
}

// Update returns P(L) after one observed first attempt: the Posterior
// given the evidence followed by the learning transition
// post + (1-post)·T. The result is kept in [Floor, Ceil]. p must be valid.
func (p Params) Update(pL float64, correct bool) float64 {
	post := p.Posterior(pL, correct)
	next := post + (1-post)*p.T
	return min(max(next, Floor), Ceil)
}

// Posterior returns P(L) given one observed first attempt, before any
// learning from the opportunity:
//
//	correct: pL(1-S) / (pL(1-S) + (1-pL)G)
//	wrong:   pL·S    / (pL·S    + (1-pL)(1-G))
//
// pL is clamped to [0, 1] first, and a NaN is taken as L0, so that a
// corrupt estimate cannot poison every later one.
func (p Params) Posterior(pL float64, correct bool) float64 {
	switch {
	case math.IsNaN(pL):
		pL = p.L0
	case pL < 0:
		pL = 0
	case pL > 1:
		pL = 1
	}
	var know, dont float64
	if correct {
		know, dont = pL*(1-p.S), (1-pL)*p.G
	} else {
		know, dont = pL*p.S, (1-pL)*(1-p.G)
	}
	if know+dont == 0 {
		// Only with invalid parameters: the evidence is impossible under
		// both states, so it teaches nothing.
		return pL
	}
	return know / (know + dont)
}

// PCorrect is the probability of a correct first attempt at estimate pL:
// pL(1-S) + (1-pL)G.
func (p Params) PCorrect(pL float64) float64 {
	return pL*(1-p.S) + (1-pL)*p.G
}

// IsMastered reports whether pL has reached the mastery threshold.
func (p Params) IsMastered(pL float64) bool { return pL >= p.Mastered }
