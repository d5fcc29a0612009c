package grouping

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The search prices moves and swaps from running sums; after any sequence
// of them, the total must be what pricing the grouping from scratch says.
func TestPricingMatchesEvaluation(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 5))
		for _, obj := range []objective{objNone, objLevel, objMixed, objValue} {
			e := randomEngine(r, obj)
			grp := make([]int, len(e.units))
			for u := range grp {
				grp[u] = r.IntN(e.g)
			}
			e.load(grp)
			for step := range 200 {
				u := r.IntN(len(e.units))
				var o op
				if len(e.multi) > 0 && r.IntN(4) == 0 {
					w := e.multi[r.IntN(len(e.multi))]
					b := r.IntN(e.g)
					first := -1
					if len(e.units[u].members) == 1 && e.grp[u] == b {
						first = u
					}
					if b == e.grp[w] {
						continue
					}
					before := e.total
					singles, d, ok := e.trade(w, b, first)
					if e.total != before {
						t.Fatalf("pricing a trade changed the total from %+v to %+v", before, e.total)
					}
					if !ok {
						continue
					}
					o = op{u: w, v: -1, to: b, singles: slices.Clone(singles), d: d}
				} else if r.IntN(2) == 0 {
					b := r.IntN(e.g)
					if b == e.grp[u] {
						continue
					}
					e.mark(u)
					o = op{u: u, v: -1, to: b, d: e.moveCost(u, e.grp[u], b, e.here[u], e.unitSoft(u, b))}
					e.unmark(u)
				} else {
					v := r.IntN(len(e.units))
					a, b := e.grp[u], e.grp[v]
					if a == b {
						continue
					}
					e.mark(u)
					o = op{u: u, v: v, to: b, d: e.swapCost(u, v, a, b, e.here[u], e.unitSoft(u, b))}
					e.unmark(u)
				}
				priced := e.total.plus(o.d)
				e.apply(o)
				got, want := e.total, e.evaluate()
				if got.hard != priced.hard || got.size != priced.size || math.Abs(got.soft-priced.soft) > 1e-6 {
					t.Fatalf("seed %d objective %d step %d: %+v priced to %+v, came to %+v", seed, obj, step, o, priced, got)
				}
				if got.hard != want.hard || got.size != want.size || math.Abs(got.soft-want.soft) > 1e-6 {
					t.Fatalf("seed %d objective %d step %d after %+v: running total %+v, evaluated %+v", seed, obj, step, o, got, want)
				}
				for _, c := range e.cu {
					if c != 0 {
						t.Fatalf("scratch left dirty")
					}
				}
			}
		}
	}
}

// randomEngine builds an engine over random units with random apart and
// recent partners, values and homes.
func randomEngine(r *rand.Rand, obj objective) *engine {
	students := 2 + r.IntN(40)
	var units []unit
	level := func() float64 {
		if r.IntN(5) == 0 {
			return -1
		}
		return r.Float64()
	}
	p := &plan{level: make([]float64, students)}
	for s := range students {
		p.level[s] = level()
	}
	for s := 0; s < students; {
		k := min(students-s, 1+r.IntN(3))
		ms := make([]int, k)
		for i := range ms {
			ms[i] = s + i
		}
		units = append(units, p.unitOfStudents(ms))
		s += k
	}
	g := 1 + r.IntN(6)
	e := newEngine(g, 1+r.IntN(3), 2+r.IntN(8), obj, units, r)
	e.mu = r.Float64()
	e.moved = wMoved
	e.home = make([]int, students)
	e.val = make([]int, students)
	for s := range students {
		e.home[s] = r.IntN(g)
		e.val[s] = r.IntN(4) - 1
	}
	e.valGroups = make([][]int, 3)
	for v := range e.valGroups {
		for range r.IntN(3) {
			e.valGroups[v] = append(e.valGroups[v], r.IntN(g))
		}
	}
	for range r.IntN(2 * len(units)) {
		a, b := r.IntN(len(units)), r.IntN(len(units))
		if a == b {
			continue
		}
		if r.IntN(2) == 0 {
			e.apart[a] = append(e.apart[a], b)
			e.apart[b] = append(e.apart[b], a)
		} else {
			e.recent[a] = append(e.recent[a], b)
			e.recent[b] = append(e.recent[b], a)
		}
	}
	return e
}
