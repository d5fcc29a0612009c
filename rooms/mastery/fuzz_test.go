package mastery

import (
	"math"
	"testing"
)

// FuzzUpdate checks the properties of Update for any valid parameters
// and any estimate, however odd.
func FuzzUpdate(f *testing.F) {
	f.Add(0.25, 0.2, 0.2, 0.1, 0.25, true)
	f.Add(0.5, 0.0, 0.3, 0.2, 1.0, false)
	f.Add(0.5, 0.1, 0.2, 0.1, math.NaN(), false)
	f.Fuzz(func(t *testing.T, l0, tr, g, s, pL float64, correct bool) {
		p := Params{L0: l0, T: tr, G: g, S: s, Mastered: 0.95}
		if p.Validate() != nil {
			return
		}
		got := p.Update(pL, correct)
		if !(got >= Floor && got <= Ceil) {
			t.Fatalf("%+v: Update(%v, %v) = %v", p, pL, correct, got)
		}
		if correct && pL >= Floor && pL <= Ceil && got < pL-1e-12 {
			t.Fatalf("%+v: a correct answer lowered %v to %v", p, pL, got)
		}
		if !correct && pL >= 0 && pL <= 1 && p.Posterior(pL, false) > pL+1e-12 {
			t.Fatalf("%+v: a wrong answer raised the posterior of %v", p, pL)
		}
	})
}
