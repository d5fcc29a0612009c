package grouping

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// value is one interest or choice as the class gave it.
type value struct {
	label string // the most common spelling
	count int    // placed students who gave it
}

// valuePlan is how the interest and choice methods laid out the groups.
type valuePlan struct {
	of        []int   // student -> value; -1 none
	values    []value // most popular first
	groupVals [][]int // group -> values it was made for, most popular first
	valGroups [][]int // value -> groups it went to, in order
}

func (p *plan) objective() objective {
	switch p.req.Method {
	case protocol.GroupLevel:
		return objLevel
	case protocol.GroupMixed, protocol.GroupJigsaw:
		return objMixed
	case protocol.GroupInterest, protocol.GroupChoice:
		return objValue
	}
	return objNone
}

// methodPlacement is the grouping the method makes with no constraints:
// the home of each student. Sizes follow the even split exactly.
func (p *plan) methodPlacement() []int {
	home := make([]int, p.n)
	switch p.req.Method {
	case protocol.GroupRandom:
		for i, s := range p.rng.Perm(p.n) {
			home[s] = i % p.g
		}
	case protocol.GroupLevel:
		p.bands(home)
	case protocol.GroupMixed, protocol.GroupJigsaw:
		p.snake(home)
		p.balance(home)
	case protocol.GroupInterest, protocol.GroupChoice:
		p.byValue(home)
	}
	return home
}

// split shares k students out among the groups as evenly as the targets
// allow, so that students of known level are spread like everyone else.
func (p *plan) split(k int) []int {
	out := make([]int, p.g)
	for g := range out {
		out[g] = k / p.g
		if g < k%p.g {
			out[g]++
		}
	}
	return out
}

func (p *plan) known() (known, unknown []int) {
	for i, l := range p.level {
		if l >= 0 {
			known = append(known, i)
		} else {
			unknown = append(unknown, i)
		}
	}
	return known, unknown
}

// fillUnknown puts the students of unknown level in the room the students
// of known level left, in a seeded order.
func (p *plan) fillUnknown(home []int, unknown, knownPer []int) {
	p.rng.Shuffle(len(unknown), func(i, j int) { unknown[i], unknown[j] = unknown[j], unknown[i] })
	g := 0
	for _, s := range unknown {
		for knownPer[g] >= p.target[g] {
			g++
		}
		home[s] = g
		knownPer[g]++
	}
}

// bands cuts the class, sorted by level, into contiguous bands: group 1
// the lowest.
func (p *plan) bands(home []int) {
	known, unknown := p.known()
	slices.SortStableFunc(known, func(a, b int) int { return cmp.Compare(p.level[a], p.level[b]) })
	per := p.split(len(known))
	k := 0
	for g, c := range per {
		for range c {
			home[known[k]] = g
			k++
		}
	}
	p.fillUnknown(home, unknown, per)
}

// snake deals the class, strongest first, in rounds that go through the
// groups in a seeded order and back, so every group gets a share of each
// level.
func (p *plan) snake(home []int) {
	known, unknown := p.known()
	p.rng.Shuffle(len(known), func(i, j int) { known[i], known[j] = known[j], known[i] })
	slices.SortStableFunc(known, func(a, b int) int { return cmp.Compare(p.level[b], p.level[a]) })
	per := p.split(len(known))
	order := p.rng.Perm(p.g)
	have := make([]int, p.g)
	k := 0
	for round := 0; k < len(known); round++ {
		for j := range order {
			g := order[j]
			if round%2 == 1 {
				g = order[len(order)-1-j]
			}
			if k < len(known) && have[g] < per[g] {
				home[known[k]] = g
				have[g]++
				k++
			}
		}
	}
	p.fillUnknown(home, unknown, have)
}

// balance swaps students between the dealt groups while that brings the
// groups' mean levels closer to the class mean.
func (p *plan) balance(home []int) {
	units := make([]unit, p.n)
	for i := range units {
		units[i] = p.unitOfStudents([]int{i})
	}
	e := newEngine(p.g, 1, p.n, objMixed, units, p.rng)
	e.mu = p.classMean()
	e.load(home)
	e.improve(e.all(), 8)
	copy(home, e.grp)
}

func (p *plan) unitOfStudents(ms []int) unit {
	u := unit{members: ms}
	for _, s := range ms {
		if l := p.level[s]; l >= 0 {
			u.known++
			u.sum += l
			u.sq += l * l
		} else {
			u.unknown++
		}
	}
	return u
}

// classMean is the mean of the known levels; NaN when none is known.
func (p *plan) classMean() float64 {
	sum, k := 0.0, 0
	for _, l := range p.level {
		if l >= 0 {
			sum += l
			k++
		}
	}
	if k == 0 {
		return math.NaN()
	}
	return sum / float64(k)
}

// valueKey makes "Rock  Music" and "rock music" the same answer.
func valueKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// values reads the interests (or choices) of the placed students.
func (p *plan) values() *valuePlan {
	vp := &valuePlan{of: make([]int, p.n)}
	byKey := make(map[string]int)
	spellings := make(map[string]map[string]int)
	var keys []string
	var counts []int
	for i, s := range p.st {
		raw := s.Interest
		if p.req.Method == protocol.GroupChoice {
			raw = s.Choice
		}
		k := valueKey(raw)
		if k == "" {
			vp.of[i] = -1
			continue
		}
		v, ok := byKey[k]
		if !ok {
			v = len(keys)
			byKey[k] = v
			keys = append(keys, k)
			counts = append(counts, 0)
			spellings[k] = make(map[string]int)
		}
		vp.of[i] = v
		counts[v]++
		spellings[k][strings.Join(strings.Fields(raw), " ")]++
	}
	// Most popular first; the key breaks ties so the order does not
	// depend on the roster's.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(keys[a], keys[b]))
	})
	rank := make([]int, len(keys))
	for r, v := range order {
		rank[v] = r
		best, bn := "", 0
		for sp, c := range spellings[keys[v]] {
			if c > bn || c == bn && sp < best {
				best, bn = sp, c
			}
		}
		vp.values = append(vp.values, value{label: best, count: counts[v]})
	}
	for i, v := range vp.of {
		if v >= 0 {
			vp.of[i] = rank[v]
		}
	}
	return vp
}

// byValue puts students who gave the same answer together. Answers are
// placed most popular first, each in a group of its own while there is
// one free, else sharing the group where it fits most tightly. Answers
// given by fewer than half a group share a group with each other rather
// than take one each; an answer too popular for one group is split evenly
// over as few groups as it takes. Students who gave no answer fill the
// room left.
func (p *plan) byValue(home []int) {
	vp := p.values()
	p.vals = vp
	vp.groupVals = make([][]int, p.g)
	vp.valGroups = make([][]int, len(vp.values))
	room := slices.Clone(p.target)
	members := make([][]int, len(vp.values))
	var none []int
	for i, v := range vp.of {
		if v >= 0 {
			members[v] = append(members[v], i)
		} else {
			none = append(none, i)
		}
	}
	put := func(v, g, c int) {
		for _, s := range members[v][:c] {
			home[s] = g
		}
		members[v] = members[v][c:]
		room[g] -= c
		if !slices.Contains(vp.groupVals[g], v) {
			vp.groupVals[g] = append(vp.groupVals[g], v)
		}
		if !slices.Contains(vp.valGroups[v], g) {
			vp.valGroups[v] = append(vp.valGroups[v], g)
		}
	}
	// An answer is small when fewer than half a group gave it.
	small := func(v int) bool { return 2*vp.values[v].count < p.target[0] }
	for v := range vp.values {
		ms := members[v]
		p.rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		c := len(ms)
		parts := (c + p.target[0] - 1) / p.target[0]
		for part := range parts {
			z := c / parts
			if part < c%parts {
				z++
			}
			// A small answer first looks for a group of other small
			// answers to share, so that a student is not the only one of
			// their interest in a group.
			free, tight, shared := -1, -1, -1
			for g, r := range room {
				if r < z {
					continue
				}
				if free < 0 && len(vp.groupVals[g]) == 0 {
					free = g
				}
				if tight < 0 || r < room[tight] {
					tight = g
				}
				if small(v) && len(vp.groupVals[g]) > 0 && !slices.ContainsFunc(vp.groupVals[g], func(w int) bool { return !small(w) }) &&
					(shared < 0 || r < room[shared]) {
					shared = g
				}
			}
			switch {
			case shared >= 0:
				put(v, shared, z)
			case free >= 0:
				put(v, free, z)
			case tight >= 0:
				put(v, tight, z)
			default:
				// No group has room for the part whole: fill the roomiest.
				for z > 0 {
					g := 0
					for h, r := range room {
						if r > room[g] {
							g = h
						}
					}
					take := min(z, room[g])
					put(v, g, take)
					z -= take
				}
			}
		}
	}
	p.rng.Shuffle(len(none), func(i, j int) { none[i], none[j] = none[j], none[i] })
	g := 0
	for _, s := range none {
		for room[g] == 0 {
			g++
		}
		home[s] = g
		room[g]--
	}
}

// repairWork bounds the candidates the repair walk prices: about 30 ms on
// a small server. Requests that can be met are met long before; past it,
// the request is refused as infeasible.
const repairWork = 1_500_000

// arrange turns the method's grouping into one that meets every hard
// constraint: each together unit is gathered where most of it already is,
// trading places with students who fit the method about as well, then a
// local search mends what is left. It returns the group of each student,
// or the reasons the search could not meet the constraints.
func (p *plan) arrange(home []int) ([]int, []string) {
	assign := slices.Clone(home)
	p.gather(assign)

	units := make([]unit, len(p.units))
	grp := make([]int, len(p.units))
	for u, ms := range p.units {
		units[u] = p.unitOfStudents(ms)
		grp[u] = assign[ms[0]]
	}
	e := newEngine(p.g, p.lo, p.hi, p.objective(), units, p.rng)
	e.mu = p.classMean()
	if math.IsNaN(e.mu) {
		e.mu = 0
	}
	e.home = home
	e.moved = wMoved
	if p.vals != nil {
		e.val = p.vals.of
		e.valGroups = p.vals.valGroups
	}
	for _, pr := range p.pairs {
		a, b := p.unitOf[pr[0]], p.unitOf[pr[1]]
		e.apart[a] = append(e.apart[a], b)
		e.apart[b] = append(e.apart[b], a)
	}
	for _, pr := range p.recent {
		a, b := p.unitOf[pr[0]], p.unitOf[pr[1]]
		if a != b {
			e.recent[a] = append(e.recent[a], b)
			e.recent[b] = append(e.recent[b], a)
		}
	}
	e.load(grp)
	e.improve(p.unsettled(e, assign, home), 30)
	if e.total.hard > 0 {
		e.repair(min(4000, max(500, 40*len(units))), repairWork)
		if e.total.hard == 0 {
			e.improve(e.all(), 30)
		}
	}
	if e.total.hard > 0 {
		return nil, p.unmet(e)
	}
	final := make([]int, p.n)
	for s := range final {
		final[s] = e.grp[p.unitOf[s]]
	}
	return final, nil
}

// unsettled lists the units the search should look at first: those with
// an apart or recent partner in their group, and those in a group that
// gathering changed. When gathering left sizes uneven, it is every unit.
func (p *plan) unsettled(e *engine, assign, home []int) []int {
	changed := make([]bool, p.g)
	for s := range assign {
		if assign[s] != home[s] {
			changed[assign[s]] = true
			changed[home[s]] = true
		}
	}
	for g := range p.g {
		if e.size[g] != p.target[g] {
			return e.all()
		}
	}
	var out []int
	for u, g := range e.grp {
		if changed[g] || e.partnerIn(e.apart[u], g) || e.partnerIn(e.recent[u], g) {
			out = append(out, u)
		}
	}
	return out
}

// gather brings the members of each together unit into one group, largest
// units first, into the group that already holds most of them. Each member
// that comes in trades places with a student of that group who fits the
// member's old group as well as can be found, so sizes stay even.
func (p *plan) gather(assign []int) {
	var big []int
	for u, ms := range p.units {
		if len(ms) > 1 {
			big = append(big, u)
		}
	}
	slices.SortStableFunc(big, func(a, b int) int { return cmp.Compare(len(p.units[b]), len(p.units[a])) })
	locked := make([]bool, p.n)
	count := make([]int, p.g)
	for _, u := range big {
		ms := p.units[u]
		clear(count)
		for _, s := range ms {
			count[assign[s]]++
		}
		to := 0
		for g, c := range count {
			if c > count[to] {
				to = g
			}
		}
		for _, m := range ms {
			locked[m] = true
			from := assign[m]
			if from == to {
				continue
			}
			best, bestFit := -1, math.Inf(1)
			for s, g := range assign {
				if g != to || locked[s] || len(p.units[p.unitOf[s]]) > 1 {
					continue
				}
				if f := p.misfit(s, m, from); f < bestFit {
					best, bestFit = s, f
				}
			}
			if best >= 0 {
				assign[best] = from
			}
			assign[m] = to
		}
	}
}

// misfit is how badly student s would take the place of student m in
// group g, for the method at hand: 0 is a perfect stand-in.
func (p *plan) misfit(s, m, g int) float64 {
	switch p.objective() {
	case objLevel, objMixed:
		ls, lm := p.level[s], p.level[m]
		switch {
		case ls >= 0 && lm >= 0:
			return math.Abs(ls - lm)
		case ls < 0 && lm < 0:
			return 0
		}
		return 0.5
	case objValue:
		vs, vm := p.vals.of[s], p.vals.of[m]
		switch {
		case vs == vm:
			return 0
		case vs < 0 || slices.Contains(p.vals.valGroups[vs], g):
			return 0.5
		}
		return 1
	}
	return 0
}

// unmet explains a grouping the search could not bring within the hard
// constraints: the apart lists still broken, and the size bounds.
func (p *plan) unmet(e *engine) []string {
	var reasons []string
	group := func(s int) int { return e.grp[p.unitOf[s]] }
	for _, l := range p.apart {
		broken := false
		for a := range l {
			for b := a + 1; b < len(l); b++ {
				if group(l[a]) == group(l[b]) {
					broken = true
				}
			}
		}
		if broken {
			reasons = append(reasons, fmt.Sprintf("no way was found to keep %s apart in %s alongside the other lists", p.names(l), p.boundsPhrase()))
		}
	}
	for g := range p.g {
		if e.outside(e.size[g]) == 0 {
			continue
		}
		var lists []string
		for _, ms := range p.units {
			if len(ms) > 1 {
				lists = append(lists, "("+p.names(ms)+")")
			}
		}
		if len(lists) > 0 {
			reasons = append(reasons, fmt.Sprintf("no way was found to place the together lists %s in %s alongside the apart lists", andList(lists), p.boundsPhrase()))
		} else {
			reasons = append(reasons, fmt.Sprintf("no way was found to form %s alongside the apart lists", p.boundsPhrase()))
		}
		break
	}
	if len(reasons) == 0 {
		reasons = append(reasons, fmt.Sprintf("no way was found to meet every list in %s", p.boundsPhrase()))
	}
	return reasons
}
