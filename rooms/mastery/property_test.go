package mastery

import (
	"math/rand/v2"
	"testing"
)

// randomParams draws valid parameters, wide enough to reach the edges of
// each range.
func randomParams(r *rand.Rand) Params {
	for {
		p := Params{
			L0:       0.001 + 0.998*r.Float64(),
			T:        0.999 * r.Float64(),
			G:        0.001 + 0.998*r.Float64(),
			S:        0.001 + 0.998*r.Float64(),
			Mastered: 0.5 + 0.5*r.Float64(),
		}
		if p.Validate() == nil {
			return p
		}
	}
}

// randomP draws an estimate, often right at the bounds.
func randomP(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return Floor
	case 1:
		return Ceil
	}
	return Floor + (Ceil-Floor)*r.Float64()
}

// For valid parameters and any pL in [Floor, Ceil]:
//
//   - Update stays in [Floor, Ceil], inside (0, 1);
//   - a correct answer never lowers the estimate: Update(pL, true) ≥ pL;
//   - a wrong answer never raises the posterior: Posterior(pL, false) ≤ pL,
//     so Update(pL, false) ≤ pL + (1-pL)·T; with T = 0 it never raises P;
//   - a correct answer is never worth less than a wrong one;
//   - Update is monotone in pL: knowing more before never means less after.
func TestUpdateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const eps = 1e-12
	for i := range 200000 {
		p := randomParams(r)
		if i%10 == 0 {
			p.T = 0
		}
		pL, q := randomP(r), randomP(r)
		if q < pL {
			pL, q = q, pL
		}
		right, wrong := p.Update(pL, true), p.Update(pL, false)
		for _, v := range []float64{right, wrong} {
			if !(v >= Floor && v <= Ceil) {
				t.Fatalf("%+v: Update(%v) = %v, outside [Floor, Ceil]", p, pL, v)
			}
		}
		if right < pL-eps {
			t.Fatalf("%+v: a correct answer lowered %v to %v", p, pL, right)
		}
		if post := p.Posterior(pL, false); post > pL+eps {
			t.Fatalf("%+v: a wrong answer raised the posterior of %v to %v", p, pL, post)
		}
		if wrong > pL+(1-pL)*p.T+eps {
			t.Fatalf("%+v: Update(%v, false) = %v, above pL + (1-pL)T", p, pL, wrong)
		}
		if p.T == 0 && wrong > pL+eps {
			t.Fatalf("%+v: with no learning a wrong answer raised %v to %v", p, pL, wrong)
		}
		if wrong > right+eps {
			t.Fatalf("%+v: at %v wrong gives %v, right %v", p, pL, wrong, right)
		}
		for _, c := range []bool{true, false} {
			if a, b := p.Update(pL, c), p.Update(q, c); a > b+eps {
				t.Fatalf("%+v, %v: Update(%v) = %v > Update(%v) = %v", p, c, pL, a, q, b)
			}
		}
	}
}

// A run of answers from the prior always ends inside (0, 1), however long.
func TestRandomRunsStayInside(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		p := randomParams(r)
		pL := p.L0
		for range 100 {
			pL = p.Update(pL, r.IntN(2) == 0)
			if !(pL > 0 && pL < 1) {
				t.Fatalf("%+v: P left (0, 1): %v", p, pL)
			}
		}
	}
}
