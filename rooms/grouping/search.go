package grouping

import (
	"math/rand/v2"
	"slices"
)

// objective is what a method wants of each group, beyond the hard rules.
type objective int

const (
	objNone  objective = iota // random: anything goes, stay close to the deal
	objLevel                  // level: little spread of mastery within a group
	objMixed                  // mixed and jigsaw: each group's mean near the class mean
	objValue                  // interest and choice: students with the group's values
)

// Weights of the soft goals. The hard rules and the evenness of the group
// sizes are not weighed against these: a cost compares hard violations
// first, then evenness, then the soft sum. Among the soft goals a recent
// pairing is worth about one student placed outside their interest, or a
// student well outside their band, so a teacher asking to avoid recent
// pairs gets that where it costs the method little.
const (
	wRecent = 1.0  // each recent pair in one group
	wLevel  = 4.0  // sum of squared distances from the group's mean level
	wMixed  = 4.0  // size-weighted squared distance of a group's mean from the class mean
	wUnk    = 0.05 // squared count of students of unknown level in a group, so they spread
	wValue  = 1.0  // each student whose interest or choice is not one of the group's
	wMoved  = 1e-3 // each student moved from where the method put them

	epsilon = 1e-9 // soft differences smaller than this are rounding
	minGain = 5e-4 // the least soft gain a move must bring
)

// cost is ordered: hard violations, then unevenness of sizes, then the
// soft goals.
type cost struct {
	hard int     // apart pairs in one group, and students beyond a size bound
	size int     // sum of squared group sizes: least when sizes are even
	soft float64 // weighted soft goals
}

func (c cost) less(d cost) bool {
	if c.hard != d.hard {
		return c.hard < d.hard
	}
	if c.size != d.size {
		return c.size < d.size
	}
	return c.soft < d.soft-epsilon
}

func (c cost) plus(d cost) cost { return cost{c.hard + d.hard, c.size + d.size, c.soft + d.soft} }

// improving reports whether a change of d makes things better by enough
// to be worth a move: gains in the soft goals below minGain change no
// figure a teacher sees (means are shown to two decimals) and would only
// cost time.
func (d cost) improving() bool {
	if d.hard != 0 {
		return d.hard < 0
	}
	if d.size != 0 {
		return d.size < 0
	}
	return d.soft < -minGain
}

// unit is students who move together, with the sums the objectives use.
type unit struct {
	members []int
	known   int     // members of known level
	unknown int     // members of unknown level
	sum, sq float64 // of known levels
}

// engine is a grouping under local search: units in groups, with the
// per-group sums that let a move or a swap be priced in constant time
// (plus the unit's constraint partners).
type engine struct {
	g, lo, hi int
	obj       objective
	mu        float64 // class mean level
	moved     float64 // weight of a student moved from home
	units     []unit
	multi     []int   // units of more than one student
	traded    []int   // scratch of trade
	work      int     // candidates priced so far
	apart     [][]int // unit -> units it must be apart from, once per student pair
	recent    [][]int // unit -> units it was recently with, once per student pair
	val       []int   // student -> value of interest or choice; -1 none
	valGroups [][]int // value -> groups whose label holds it
	home      []int   // student -> group the method put them in
	rng       *rand.Rand

	grp      []int // unit -> group
	size     []int // group -> students
	gk, gunk []int // group -> students of known, unknown level
	gsum     []float64
	gsq      []float64
	gsoft    []float64 // group -> its share of the objective
	members  [][]int   // group -> units
	pos      []int     // unit -> index in members[grp]
	here     []float64 // unit -> unitSoft in its group
	total    cost

	// Scratch, zero between uses: constraint partners of the unit being
	// priced, by group and by unit.
	cu, ru []int
	ma, mr []int
}

func newEngine(g, lo, hi int, obj objective, units []unit, rng *rand.Rand) *engine {
	e := &engine{g: g, lo: lo, hi: hi, obj: obj, units: units, rng: rng}
	for u := range units {
		if len(units[u].members) > 1 {
			e.multi = append(e.multi, u)
		}
	}
	e.apart = make([][]int, len(units))
	e.recent = make([][]int, len(units))
	e.grp = make([]int, len(units))
	e.pos = make([]int, len(units))
	e.here = make([]float64, len(units))
	e.size = make([]int, g)
	e.gk = make([]int, g)
	e.gunk = make([]int, g)
	e.gsum = make([]float64, g)
	e.gsq = make([]float64, g)
	e.gsoft = make([]float64, g)
	e.members = make([][]int, g)
	e.cu = make([]int, g)
	e.ru = make([]int, g)
	e.ma = make([]int, len(units))
	e.mr = make([]int, len(units))
	return e
}

// load places each unit in the group given and computes everything from
// scratch.
func (e *engine) load(grp []int) {
	copy(e.grp, grp)
	for g := range e.g {
		e.size[g], e.gk[g], e.gunk[g] = 0, 0, 0
		e.gsum[g], e.gsq[g] = 0, 0
		e.members[g] = e.members[g][:0]
	}
	for u, g := range e.grp {
		un := &e.units[u]
		e.size[g] += len(un.members)
		e.gk[g] += un.known
		e.gunk[g] += un.unknown
		e.gsum[g] += un.sum
		e.gsq[g] += un.sq
		e.pos[u] = len(e.members[g])
		e.members[g] = append(e.members[g], u)
		e.here[u] = e.unitSoft(u, g)
	}
	e.total = e.evaluate()
}

// evaluate prices the grouping from scratch.
func (e *engine) evaluate() cost {
	var c cost
	for g := range e.g {
		e.gsoft[g] = e.groupSoft(e.gk[g], e.gunk[g], e.gsum[g], e.gsq[g])
		c.soft += e.gsoft[g]
		c.size += e.size[g] * e.size[g]
		c.hard += e.outside(e.size[g])
	}
	for u, g := range e.grp {
		for _, v := range e.apart[u] {
			if v > u && e.grp[v] == g {
				c.hard++
			}
		}
		for _, v := range e.recent[u] {
			if v > u && e.grp[v] == g {
				c.soft += wRecent
			}
		}
		c.soft += e.unitSoft(u, g)
	}
	return c
}

// outside is how far a group of s students is beyond the size bounds.
func (e *engine) outside(s int) int {
	switch {
	case s < e.lo:
		return e.lo - s
	case s > e.hi:
		return s - e.hi
	}
	return 0
}

// groupSoft is a group's share of the objective given its sums.
func (e *engine) groupSoft(k, unk int, sum, sq float64) float64 {
	switch e.obj {
	case objLevel:
		if k > 0 {
			return wLevel * (sq - sum*sum/float64(k))
		}
	case objMixed:
		c := wUnk * float64(unk*unk)
		if k > 0 {
			d := sum - float64(k)*e.mu
			c += wMixed * d * d / float64(k)
		}
		return c
	}
	return 0
}

// unitSoft is what unit u costs in group g on its own: its members moved
// from home and, for interest and choice, not matching the group.
func (e *engine) unitSoft(u, g int) float64 {
	c := 0.0
	for _, s := range e.units[u].members {
		if e.home != nil && e.home[s] != g {
			c += e.moved
		}
		if e.obj == objValue && e.val[s] >= 0 && !contains(e.valGroups[e.val[s]], g) {
			c += wValue
		}
	}
	return c
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// mark counts u's constraint partners by group (cu, ru) and by unit (ma,
// mr); unmark clears them again.
func (e *engine) mark(u int) {
	for _, v := range e.apart[u] {
		e.cu[e.grp[v]]++
		e.ma[v]++
	}
	for _, v := range e.recent[u] {
		e.ru[e.grp[v]]++
		e.mr[v]++
	}
}

func (e *engine) unmark(u int) {
	for _, v := range e.apart[u] {
		e.cu[e.grp[v]] = 0
		e.ma[v] = 0
	}
	for _, v := range e.recent[u] {
		e.ru[e.grp[v]] = 0
		e.mr[v] = 0
	}
}

// moveCost prices moving unit u (marked, in group a) to group b; ua and
// ub are unitSoft(u, a) and unitSoft(u, b).
func (e *engine) moveCost(u, a, b int, ua, ub float64) cost {
	un := &e.units[u]
	z := len(un.members)
	sa, sb := e.size[a], e.size[b]
	var d cost
	d.size = (sa-z)*(sa-z) + (sb+z)*(sb+z) - sa*sa - sb*sb
	d.hard = e.outside(sa-z) + e.outside(sb+z) - e.outside(sa) - e.outside(sb) + e.cu[b] - e.cu[a]
	d.soft = wRecent*float64(e.ru[b]-e.ru[a]) + ub - ua
	if e.obj == objLevel || e.obj == objMixed {
		d.soft += e.groupSoft(e.gk[a]-un.known, e.gunk[a]-un.unknown, e.gsum[a]-un.sum, e.gsq[a]-un.sq) - e.gsoft[a] +
			e.groupSoft(e.gk[b]+un.known, e.gunk[b]+un.unknown, e.gsum[b]+un.sum, e.gsq[b]+un.sq) - e.gsoft[b]
	}
	return d
}

// swapCost prices swapping unit u (marked, in group a) with unit v of
// group b; ua and ub are unitSoft(u, a) and unitSoft(u, b).
func (e *engine) swapCost(u, v, a, b int, ua, ub float64) cost {
	uu, vv := &e.units[u], &e.units[v]
	zu, zv := len(uu.members), len(vv.members)
	var d cost
	if zu != zv {
		sa, sb := e.size[a], e.size[b]
		na, nb := sa-zu+zv, sb-zv+zu
		d.size = na*na + nb*nb - sa*sa - sb*sb
		d.hard = e.outside(na) + e.outside(nb) - e.outside(sa) - e.outside(sb)
	}
	if len(e.apart[u]) > 0 || len(e.apart[v]) > 0 {
		va, vb := 0, 0
		for _, w := range e.apart[v] {
			switch e.grp[w] {
			case a:
				va++
			case b:
				vb++
			}
		}
		d.hard += e.cu[b] - e.cu[a] + va - vb - 2*e.ma[v]
	}
	if len(e.recent[u]) > 0 || len(e.recent[v]) > 0 {
		va, vb := 0, 0
		for _, w := range e.recent[v] {
			switch e.grp[w] {
			case a:
				va++
			case b:
				vb++
			}
		}
		d.soft += wRecent * float64(e.ru[b]-e.ru[a]+va-vb-2*e.mr[v])
	}
	d.soft += ub - ua + e.unitSoft(v, a) - e.here[v]
	if e.obj == objLevel || e.obj == objMixed {
		d.soft += e.groupSoft(e.gk[a]-uu.known+vv.known, e.gunk[a]-uu.unknown+vv.unknown,
			e.gsum[a]-uu.sum+vv.sum, e.gsq[a]-uu.sq+vv.sq) - e.gsoft[a] +
			e.groupSoft(e.gk[b]-vv.known+uu.known, e.gunk[b]-vv.unknown+uu.unknown,
				e.gsum[b]-vv.sum+uu.sum, e.gsq[b]-vv.sq+uu.sq) - e.gsoft[b]
	}
	return d
}

// relocate moves unit u to group b, keeping the sums; the caller keeps
// the total.
func (e *engine) relocate(u, b int) {
	a := e.grp[u]
	un := &e.units[u]
	// Take u out of a's list by moving the last unit into its place.
	ms := e.members[a]
	last := ms[len(ms)-1]
	ms[e.pos[u]] = last
	e.pos[last] = e.pos[u]
	e.members[a] = ms[:len(ms)-1]
	e.pos[u] = len(e.members[b])
	e.members[b] = append(e.members[b], u)
	e.grp[u] = b
	e.here[u] = e.unitSoft(u, b)

	z := len(un.members)
	e.size[a] -= z
	e.size[b] += z
	e.gk[a] -= un.known
	e.gk[b] += un.known
	e.gunk[a] -= un.unknown
	e.gunk[b] += un.unknown
	e.gsum[a] -= un.sum
	e.gsum[b] += un.sum
	e.gsq[a] -= un.sq
	e.gsq[b] += un.sq
	e.gsoft[a] = e.groupSoft(e.gk[a], e.gunk[a], e.gsum[a], e.gsq[a])
	e.gsoft[b] = e.groupSoft(e.gk[b], e.gunk[b], e.gsum[b], e.gsq[b])
}

// op is a move (v < 0) of unit u to group to, a swap of units u and v,
// or a trade: unit u moves to group to and the one-student units in
// singles move from there to u's group.
type op struct {
	u, v, to int
	singles  []int
	d        cost
}

// apply carries out o and returns the two groups it changed.
func (e *engine) apply(o op) (int, int) {
	a := e.grp[o.u]
	switch {
	case o.singles != nil:
		e.moveTo(o.u, o.to)
		for _, s := range o.singles {
			e.moveTo(s, a)
		}
		return a, o.to
	case o.v < 0:
		e.relocate(o.u, o.to)
	default:
		e.relocate(o.u, o.to)
		e.relocate(o.v, a)
	}
	e.total = e.total.plus(o.d)
	return a, o.to
}

// moveDelta prices moving unit u to group b.
func (e *engine) moveDelta(u, b int) cost {
	e.mark(u)
	d := e.moveCost(u, e.grp[u], b, e.here[u], e.unitSoft(u, b))
	e.unmark(u)
	return d
}

func (e *engine) moveTo(u, b int) {
	d := e.moveDelta(u, b)
	e.relocate(u, b)
	e.total = e.total.plus(d)
}

// trade prices moving unit u, of several students, to group b, and in
// exchange as many students of b on their own to u's group, first (when
// not -1) and then whichever fit there best, one by one. Moves and swaps
// of single units cannot do this when both groups are at their largest
// size. The grouping is left as it was; ok is false when b has too few
// students on their own.
func (e *engine) trade(u, b, first int) (singles []int, d cost, ok bool) {
	a := e.grp[u]
	start := e.total
	z := len(e.units[u].members)
	singles = e.traded[:0]
	defer func() { e.traded = singles[:0] }()
	e.moveTo(u, b)
	if first >= 0 {
		e.moveTo(first, a)
		singles = append(singles, first)
	}
	for len(singles) < z {
		pick, pd := -1, cost{}
		for _, v := range e.members[b] {
			if v == u || len(e.units[v].members) != 1 {
				continue
			}
			if d := e.moveDelta(v, a); pick < 0 || d.less(pd) {
				pick, pd = v, d
			}
		}
		if pick < 0 {
			break
		}
		e.moveTo(pick, a)
		singles = append(singles, pick)
	}
	ok = len(singles) == z
	end := e.total
	for i := len(singles) - 1; i >= 0; i-- {
		e.relocate(singles[i], b)
	}
	e.relocate(u, a)
	e.total = start
	return singles, cost{end.hard - start.hard, end.size - start.size, end.soft - start.soft}, ok
}

// best finds the cheapest move or swap of unit u and, when trades is set,
// trade. Units v for which resting[v] >= step are not swapped or traded
// with (resting may be nil). With ties, the first found wins unless pick
// is set, when a tie is broken at random.
func (e *engine) best(u int, resting []int, step int, pick, trades bool) (op, bool) {
	e.mark(u)
	a := e.grp[u]
	ua := e.here[u]
	found := op{u: u, v: -1, to: -1}
	ties := 0
	consider := func(o op) {
		switch {
		case found.to < 0 || o.d.less(found.d):
			found, ties = o, 1
		case pick && !found.d.less(o.d):
			if ties++; e.rng.IntN(ties) != 0 {
				return
			}
			found = o
		default:
			return
		}
		found.singles = slices.Clone(o.singles)
	}
	for b := range e.g {
		if b == a {
			continue
		}
		ub := e.unitSoft(u, b)
		d := e.moveCost(u, a, b, ua, ub)
		if found.to < 0 || d.less(found.d) {
			found, ties = op{u: u, v: -1, to: b, d: d}, 1
		} else if pick && !found.d.less(d) {
			if ties++; e.rng.IntN(ties) == 0 {
				found = op{u: u, v: -1, to: b, d: d}
			}
		}
		for _, v := range e.members[b] {
			if resting != nil && resting[v] >= step {
				continue
			}
			d := e.swapCost(u, v, a, b, ua, ub)
			if d.less(found.d) {
				found, ties = op{u: u, v: v, to: b, d: d}, 1
			} else if pick && !found.d.less(d) {
				if ties++; e.rng.IntN(ties) == 0 {
					found = op{u: u, v: v, to: b, d: d}
				}
			}
		}
	}
	e.unmark(u)
	e.work += len(e.units) + e.g

	// Trades: u itself when it has several students, or u going out in
	// exchange for a unit of several students coming in.
	switch {
	case !trades || len(e.multi) == 0:
	case len(e.units[u].members) > 1:
		for b := range e.g {
			if b == a {
				continue
			}
			e.work += len(e.members[b]) * len(e.units[u].members)
			if singles, d, ok := e.trade(u, b, -1); ok {
				consider(op{u: u, v: -1, to: b, singles: singles, d: d})
			}
		}
	default:
		for _, w := range e.multi {
			if e.grp[w] == a || resting != nil && resting[w] >= step {
				continue
			}
			e.work += len(e.members[a]) * len(e.units[w].members)
			if singles, d, ok := e.trade(w, a, u); ok {
				consider(op{u: w, v: -1, to: a, singles: singles, d: d})
			}
		}
	}
	return found, found.to >= 0
}

// improve makes improving moves and swaps. It starts from the units in
// active and, after each change, looks again at the units of the two
// groups changed and at the constraint partners of the units moved; a
// change of sizes wakes every unit. It stops when nothing improves or
// after the given number of rounds.
func (e *engine) improve(active []int, rounds int) {
	queued := make([]bool, len(e.units))
	var next []int
	wake := func(w int) {
		if !queued[w] {
			queued[w] = true
			next = append(next, w)
		}
	}
	for range rounds {
		if len(active) == 0 {
			return
		}
		e.rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
		next = next[:0]
		for _, u := range active {
			o, ok := e.best(u, nil, 0, false, e.troubled(u))
			if !ok || !o.d.improving() {
				continue
			}
			a, b := e.apply(o)
			if o.singles == nil && (o.v < 0 || len(e.units[o.u].members) != len(e.units[o.v].members)) {
				for w := range e.units {
					wake(w)
				}
				continue
			}
			for _, g := range [2]int{a, b} {
				for _, w := range e.members[g] {
					wake(w)
				}
			}
			for _, x := range append([]int{o.u, o.v}, o.singles...) {
				if x < 0 {
					continue
				}
				for _, w := range e.apart[x] {
					wake(w)
				}
				for _, w := range e.recent[x] {
					wake(w)
				}
			}
		}
		for _, w := range next {
			queued[w] = false
		}
		active, next = next, active
	}
}

// all lists every unit.
func (e *engine) all() []int {
	out := make([]int, len(e.units))
	for i := range out {
		out[i] = i
	}
	return out
}

// troubled reports whether unit u breaks a hard rule or sits with a
// recent partner: only then are the costlier trades tried for it.
func (e *engine) troubled(u int) bool {
	g := e.grp[u]
	return e.outside(e.size[g]) > 0 || e.partnerIn(e.apart[u], g) || e.partnerIn(e.recent[u], g)
}

// partnerIn reports whether any of the units vs is in group g.
func (e *engine) partnerIn(vs []int, g int) bool {
	for _, v := range vs {
		if e.grp[v] == g {
			return true
		}
	}
	return false
}

// violating lists the units whose move could mend a hard violation: those
// with an apart partner in their group, those in a group that is too
// large, and, when a group is too small, those in groups that can spare a
// student.
func (e *engine) violating(out []int) []int {
	out = out[:0]
	short := false
	for g := range e.g {
		if e.size[g] < e.lo {
			short = true
		}
	}
	for u, g := range e.grp {
		if e.size[g] > e.hi || short && e.size[g] > e.lo || e.partnerIn(e.apart[u], g) {
			out = append(out, u)
		}
	}
	return out
}

// repair runs a min-conflicts walk when improving steps alone leave hard
// violations: a unit in trouble takes its best move or swap even when that
// is worse, recently moved units rest for a few steps so the walk does not
// undo itself, and the best grouping seen is kept. The walk ends after the
// given number of steps or once it has priced work candidates, so that a
// request that cannot be met is refused in bounded time.
func (e *engine) repair(steps, work int) {
	work += e.work
	bestGrp := append([]int(nil), e.grp...)
	best := e.total
	rest := make([]int, len(e.units))
	tenure := min(7, max(1, len(e.units)/4))
	var cands []int
	for step := 1; step <= steps && e.total.hard > 0 && e.work < work; step++ {
		cands = e.violating(cands)
		free := cands[:0:0]
		for _, u := range cands {
			if rest[u] < step {
				free = append(free, u)
			}
		}
		if len(free) == 0 {
			free = cands
		}
		if len(free) == 0 {
			break
		}
		u := free[e.rng.IntN(len(free))]
		o, ok := e.best(u, rest, step, true, true)
		if !ok {
			continue
		}
		e.apply(o)
		rest[o.u] = step + tenure
		if o.v >= 0 {
			rest[o.v] = step + tenure
		}
		for _, s := range o.singles {
			rest[s] = step + tenure
		}
		if e.total.less(best) {
			best = e.total
			copy(bestGrp, e.grp)
		}
	}
	if best.less(e.total) {
		e.load(bestGrp)
	}
}
