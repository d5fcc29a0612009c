package grouping

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// plan is a checked request: who is placed, how many groups of what size,
// and the constraints in terms of placed students. Students are numbered
// by their position in st, which is sorted by ID, so that nothing depends
// on the order the roster came in.
type plan struct {
	req   protocol.GroupingRequest
	st    []Student                  // placed students, by ID
	index map[protocol.StudentID]int // placed student -> number
	name  []string                   // how messages name each placed student
	level []float64                  // mastery, clamped; negative: unknown

	n, g   int   // students and groups
	lo, hi int   // hard bounds of a group's size (lo >= 1)
	target []int // the even split of n into g groups, largest first

	units  [][]int // students who must be together, singletons included
	unitOf []int
	apart  [][]int  // apart lists of two or more placed students
	pairs  [][2]int // distinct pairs that must be apart, i < j
	recent [][2]int // distinct recent pairs of placed students, i < j, if avoided

	vals *valuePlan // interest and choice only

	notes []string
	rng   *rand.Rand
}

// prepare checks the request, decides who is placed and how many groups
// there are, and looks for every reason the constraints cannot be met
// before any search is made.
func prepare(students []Student, req protocol.GroupingRequest, recent []Pair) (*plan, error) {
	var bad []string
	if !req.Method.Valid() {
		if req.Method == "" {
			bad = append(bad, "choose a grouping method")
		} else {
			bad = append(bad, fmt.Sprintf("%q is not a grouping method", string(req.Method)))
		}
	}
	switch {
	case req.Size < 0 || req.Count < 0:
		if req.Size < 0 {
			bad = append(bad, fmt.Sprintf("the group size cannot be negative (%d)", req.Size))
		}
		if req.Count < 0 {
			bad = append(bad, fmt.Sprintf("the number of groups cannot be negative (%d)", req.Count))
		}
	case req.Size == 0 && req.Count == 0:
		bad = append(bad, "give either a group size or a number of groups")
	case req.Size > 0 && req.Count > 0:
		bad = append(bad, "give either a group size or a number of groups, not both")
	}
	if req.Min < 0 {
		bad = append(bad, fmt.Sprintf("the smallest group allowed cannot be negative (%d)", req.Min))
	}
	if req.Max < 0 {
		bad = append(bad, fmt.Sprintf("the largest group allowed cannot be negative (%d)", req.Max))
	}
	if req.Min > 0 && req.Max > 0 && req.Min > req.Max {
		bad = append(bad, fmt.Sprintf("the smallest group allowed (%d) is larger than the largest (%d)", req.Min, req.Max))
	}

	roster := make(map[protocol.StudentID]int, len(students))
	for i, s := range students {
		if s.ID == "" {
			bad = append(bad, fmt.Sprintf("%s has no student ID", display(s)))
			continue
		}
		if j, ok := roster[s.ID]; ok {
			if j >= 0 {
				bad = append(bad, fmt.Sprintf("student %s (%s) is listed more than once", s.ID, display(s)))
				roster[s.ID] = -1 // say it once
			}
			continue
		}
		roster[s.ID] = i
	}
	unknown := func(kind string, lists [][]protocol.StudentID) {
		for li, l := range lists {
			for _, id := range l {
				if _, ok := roster[id]; !ok {
					bad = append(bad, fmt.Sprintf("%s list %d names a student who is not in this class (%q)", kind, li+1, string(id)))
				}
			}
		}
	}
	unknown("the together", req.Together)
	unknown("the apart", req.Apart)
	if len(bad) > 0 {
		return nil, invalid(bad)
	}

	p := &plan{req: req, index: make(map[protocol.StudentID]int)}
	for _, s := range students {
		if s.Present || req.IncludeAbsent {
			p.st = append(p.st, s)
		}
	}
	slices.SortFunc(p.st, func(a, b Student) int { return cmp.Compare(a.ID, b.ID) })
	p.n = len(p.st)
	p.name = make([]string, p.n)
	p.level = make([]float64, p.n)
	for i, s := range p.st {
		p.index[s.ID] = i
		p.name[i] = display(s)
		p.level[i] = clampLevel(s.Level)
	}
	p.rng = rand.New(rand.NewPCG(uint64(req.Seed), 0x6a09e667f3bcc908))

	// Absent students leave the constraints that name them.
	nameOf := func(id protocol.StudentID) string { return display(students[roster[id]]) }
	keep := func(kind string, lists [][]protocol.StudentID) [][]int {
		var out [][]int
		for _, l := range lists {
			var in []int
			var gone []string
			goneIDs := make(map[protocol.StudentID]bool)
			for _, id := range l {
				if i, ok := p.index[id]; ok {
					in = append(in, i)
				} else if !goneIDs[id] {
					goneIDs[id] = true
					gone = append(gone, nameOf(id))
				}
			}
			slices.Sort(in)
			in = slices.Compact(in)
			if len(gone) > 0 {
				p.notes = append(p.notes, p.absentNote(gone, kind, in))
			}
			if len(in) >= 2 {
				out = append(out, in)
			}
		}
		return out
	}
	together := keep("together", req.Together)
	p.apart = keep("apart", req.Apart)

	// Lists that share a student make one unit.
	parent := make([]int, p.n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, l := range together {
		for _, i := range l[1:] {
			a, b := find(l[0]), find(i)
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	// Units are numbered by their first student, members in order.
	p.unitOf = make([]int, p.n)
	for i := range p.n {
		if r := find(i); r == i {
			p.unitOf[i] = len(p.units)
			p.units = append(p.units, []int{i})
		} else {
			u := p.unitOf[r] // r < i: the root is the smallest member
			p.unitOf[i] = u
			p.units[u] = append(p.units[u], i)
		}
	}

	seen := make(map[[2]int]bool)
	for _, l := range p.apart {
		for a := range l {
			for b := a + 1; b < len(l); b++ {
				pr := [2]int{l[a], l[b]}
				if !seen[pr] {
					seen[pr] = true
					p.pairs = append(p.pairs, pr)
				}
			}
		}
	}
	if req.AvoidRecent {
		seen := make(map[[2]int]bool)
		for _, pr := range recent {
			i, ok1 := p.index[pr[0]]
			j, ok2 := p.index[pr[1]]
			if !ok1 || !ok2 || i == j {
				continue
			}
			k := [2]int{min(i, j), max(i, j)}
			if !seen[k] {
				seen[k] = true
				p.recent = append(p.recent, k)
			}
		}
		slices.SortFunc(p.recent, func(a, b [2]int) int {
			return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
		})
	}

	if p.n == 0 && req.Count == 0 {
		return p, nil // nothing to place and no groups asked for
	}
	if req.Count > 0 {
		p.g = req.Count
	} else {
		p.g = p.n / req.Size
		if p.n%req.Size != 0 {
			p.g++
		}
	}
	p.lo = max(req.Min, 1)
	p.hi = p.n
	if req.Max > 0 {
		p.hi = min(req.Max, p.n)
	}
	if reasons := p.check(); len(reasons) > 0 {
		return nil, infeasible(reasons)
	}
	p.target = make([]int, p.g)
	for i := range p.target {
		p.target[i] = p.n / p.g
		if i < p.n%p.g {
			p.target[i]++
		}
	}
	return p, nil
}

// check lists every reason the constraints cannot all be met that can be
// seen without searching.
func (p *plan) check() []string {
	var reasons []string
	sizesOK := true
	var sizeReasons []string
	switch {
	case p.g > p.n:
		sizesOK = false
		sizeReasons = append(sizeReasons, fmt.Sprintf("%s cannot form %s without leaving one empty", students(p.n), groupCount(p.g)))
	default:
		if p.lo > p.n/p.g {
			sizesOK = false
			sizeReasons = append(sizeReasons, fmt.Sprintf("%s cannot form %s of at least %d", students(p.n), groupCount(p.g), p.lo))
		}
		if p.req.Max > 0 && p.hi*p.g < p.n {
			sizesOK = false
			sizeReasons = append(sizeReasons, fmt.Sprintf("%s cannot form %s of at most %d", students(p.n), groupCount(p.g), p.req.Max))
		}
	}

	// Together units too large for any group.
	unitsOK := true
	for _, u := range p.units {
		if len(u) < 2 {
			continue
		}
		who := p.names(u)
		switch {
		case p.req.Max > 0 && len(u) > p.req.Max:
			unitsOK = false
			reasons = append(reasons, fmt.Sprintf("%s must be together but groups hold at most %d", who, p.req.Max))
		case sizesOK && len(u) > p.n-(p.g-1)*p.lo:
			unitsOK = false
			room := p.n - (p.g-1)*p.lo
			if p.lo > 1 {
				reasons = append(reasons, fmt.Sprintf("%s must be together but %d groups of at least %d leave room for at most %d in one group", who, p.g, p.lo, room))
			} else {
				reasons = append(reasons, fmt.Sprintf("%s must be together but with %d groups a group holds at most %d", who, p.g, room))
			}
		}
	}

	// Pairs that must be both together and apart.
	apartOK := true
	for _, pr := range p.sortedPairs(p.pairs) {
		if p.unitOf[pr[0]] == p.unitOf[pr[1]] {
			apartOK = false
			reasons = append(reasons, fmt.Sprintf("%s must be both with and apart from %s", p.name[pr[0]], p.name[pr[1]]))
		}
	}

	// Apart lists that need more groups than there are.
	for _, l := range p.apart {
		us := make(map[int]bool)
		for _, i := range l {
			us[p.unitOf[i]] = true
		}
		if len(us) > p.g {
			apartOK = false
			reasons = append(reasons, fmt.Sprintf("%s must be apart but there %s", p.names(l), onlyGroups(p.g)))
		}
	}

	if sizesOK && unitsOK {
		if r := p.checkPacking(); r != "" {
			reasons = append(reasons, r)
		}
	}
	if apartOK && p.g == 2 {
		if r := p.checkTwoGroups(); r != "" {
			reasons = append(reasons, r)
		}
	}
	if apartOK && p.g >= 3 {
		reasons = append(reasons, p.checkCliques()...)
	}
	return append(reasons, sizeReasons...)
}

// packingBudget bounds the exhaustive search of checkPacking. Real classes
// have a handful of together lists and finish in a few steps; past the
// budget the local search decides.
const packingBudget = 200_000

// checkPacking reports whether the together units of two or more students
// can share the groups at all within the size bounds, with the other
// students filling every group up to the smallest size allowed.
func (p *plan) checkPacking() string {
	var big [][]int
	total := 0
	for _, u := range p.units {
		if len(u) > 1 {
			big = append(big, u)
			total += len(u)
		}
	}
	if len(big) < 2 {
		return ""
	}
	slices.SortStableFunc(big, func(a, b []int) int { return cmp.Compare(len(b), len(a)) })
	load := make([]int, p.g)
	steps := 0
	// need is how many students the groups need at least: each holds
	// max(load, lo), and the rest of the class must cover the difference.
	var place func(k, need int) bool
	place = func(k, need int) bool {
		steps++
		if k == len(big) || steps > packingBudget {
			return true
		}
		s := len(big[k])
		for b := range load {
			if load[b]+s > p.hi {
				continue
			}
			add := max(load[b]+s, p.lo) - max(load[b], p.lo)
			if need+add > p.n {
				continue
			}
			empty := load[b] == 0
			load[b] += s
			ok := place(k+1, need+add)
			load[b] -= s
			if ok {
				return true
			}
			if empty {
				break // the other empty groups are the same
			}
		}
		return false
	}
	if place(0, p.g*p.lo) {
		return ""
	}
	lists := make([]string, len(big))
	for i, u := range big {
		lists[i] = "(" + p.names(u) + ")"
	}
	return fmt.Sprintf("the together lists %s cannot all be placed in %s", andList(lists), p.groupsPhrase())
}

// checkTwoGroups finds apart constraints that go round an odd cycle, which
// two groups can never meet.
func (p *plan) checkTwoGroups() string {
	type edge struct{ to, a, b int } // a, b: the students whose apart list made it
	adj := make([][]edge, len(p.units))
	for _, pr := range p.pairs {
		ua, ub := p.unitOf[pr[0]], p.unitOf[pr[1]]
		adj[ua] = append(adj[ua], edge{ub, pr[0], pr[1]})
		adj[ub] = append(adj[ub], edge{ua, pr[1], pr[0]})
	}
	side := make([]int, len(p.units))
	from := make([]edge, len(p.units))
	for start := range p.units {
		if side[start] != 0 || len(adj[start]) == 0 {
			continue
		}
		side[start] = 1
		from[start] = edge{to: -1}
		queue := []int{start}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for _, e := range adj[u] {
				if side[e.to] == 0 {
					side[e.to] = -side[u]
					from[e.to] = edge{to: u, a: e.b, b: e.a}
					queue = append(queue, e.to)
					continue
				}
				if side[e.to] != side[u] {
					continue
				}
				// An odd cycle: the two tree paths up to where they meet,
				// closed by this edge.
				up := func(x int) []int {
					xs := []int{x}
					for from[x].to >= 0 {
						x = from[x].to
						xs = append(xs, x)
					}
					return xs
				}
				lu, lv := up(u), up(e.to)
				for len(lu) >= 2 && len(lv) >= 2 && lu[len(lu)-2] == lv[len(lv)-2] {
					lu, lv = lu[:len(lu)-1], lv[:len(lv)-1]
				}
				var steps []string
				for _, x := range lu[:len(lu)-1] {
					steps = append(steps, p.name[from[x].a]+" apart from "+p.name[from[x].b])
				}
				for k := len(lv) - 2; k >= 0; k-- {
					y := lv[k]
					steps = append(steps, p.name[from[y].b]+" apart from "+p.name[from[y].a])
				}
				steps = append(steps, p.name[e.b]+" apart from "+p.name[e.a])
				return fmt.Sprintf("keeping %s needs at least 3 groups, but there are only 2", andList(steps))
			}
		}
	}
	return ""
}

// cliqueBudget bounds the partner lookups of checkCliques, as
// packingBudget bounds the packing search.
const cliqueBudget = 100_000

// checkCliques finds students who must all be apart from one another,
// through several apart lists, and outnumber the groups. Only units with
// at least as many apart partners as there are groups can be in such a
// set, which leaves few or none to search in a real class.
func (p *plan) checkCliques() []string {
	edge := make(map[[2]int]bool)
	adj := make([][]int, len(p.units))
	for _, pr := range p.pairs {
		a, b := p.unitOf[pr[0]], p.unitOf[pr[1]]
		if a > b {
			a, b = b, a
		}
		if !edge[[2]int{a, b}] {
			edge[[2]int{a, b}] = true
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	// Peel off units with fewer than g partners left, until none is.
	alive := make([]bool, len(p.units))
	deg := make([]int, len(p.units))
	var peel []int
	for u := range p.units {
		deg[u] = len(adj[u])
		alive[u] = deg[u] >= p.g
		if !alive[u] && deg[u] > 0 {
			peel = append(peel, u)
		}
	}
	for len(peel) > 0 {
		u := peel[len(peel)-1]
		peel = peel[:len(peel)-1]
		for _, v := range adj[u] {
			if deg[v]--; alive[v] && deg[v] < p.g {
				alive[v] = false
				peel = append(peel, v)
			}
		}
	}
	var reasons []string
	steps := 0
	var clique []int
	var grow func(cands []int) bool
	grow = func(cands []int) bool {
		if len(clique) > p.g {
			return true
		}
		for i, v := range cands {
			steps += len(cands) - i
			if steps > cliqueBudget || len(clique)+len(cands)-i <= p.g {
				return false
			}
			var next []int
			for _, w := range cands[i+1:] {
				if edge[[2]int{min(v, w), max(v, w)}] {
					next = append(next, w)
				}
			}
			clique = append(clique, v)
			if grow(next) {
				return true
			}
			clique = clique[:len(clique)-1]
		}
		return false
	}
	for {
		var cands []int
		for u, ok := range alive {
			if ok {
				cands = append(cands, u)
			}
		}
		clique = clique[:0]
		if len(cands) <= p.g || !grow(cands) {
			return reasons
		}
		items := make([]string, len(clique))
		for k, u := range clique {
			alive[u] = false
			if ms := p.units[u]; len(ms) > 1 {
				items[k] = "(" + p.names(ms) + ")"
			} else {
				items[k] = p.name[ms[0]]
			}
		}
		slices.SortFunc(items, func(a, b string) int {
			return strings.Compare(strings.TrimPrefix(a, "("), strings.TrimPrefix(b, "("))
		})
		reasons = append(reasons, fmt.Sprintf("the apart lists require %s to be in %d different groups, but there are only %d",
			andList(items), len(clique), p.g))
	}
}

// groupsPhrase says how many groups there are and their bounds.
func (p *plan) groupsPhrase() string {
	switch {
	case p.req.Max > 0 && p.lo == p.req.Max:
		return fmt.Sprintf("%s of exactly %d", groupCount(p.g), p.lo)
	case p.req.Max > 0 && p.lo > 1:
		return fmt.Sprintf("%s of %d to %d", groupCount(p.g), p.lo, p.req.Max)
	case p.req.Max > 0:
		return fmt.Sprintf("%s of at most %d", groupCount(p.g), p.req.Max)
	case p.lo > 1:
		return fmt.Sprintf("%s of at least %d", groupCount(p.g), p.lo)
	}
	return groupCount(p.g) + " without leaving one empty"
}

// boundsPhrase says how many groups there are and their bounds, if any.
func (p *plan) boundsPhrase() string {
	if p.req.Max == 0 && p.lo == 1 {
		return groupCount(p.g)
	}
	return p.groupsPhrase()
}

// sortedPairs orders pairs by the names of their students, so messages
// read in the order a teacher would look for them.
func (p *plan) sortedPairs(prs [][2]int) [][2]int {
	out := make([][2]int, len(prs))
	for k, pr := range prs {
		if p.less(pr[1], pr[0]) {
			pr[0], pr[1] = pr[1], pr[0]
		}
		out[k] = pr
	}
	slices.SortFunc(out, func(a, b [2]int) int {
		return cmp.Or(p.compare(a[0], b[0]), p.compare(a[1], b[1]))
	})
	return out
}

// compare orders placed students by name, then ID.
func (p *plan) compare(i, j int) int {
	return cmp.Or(strings.Compare(p.st[i].Name, p.st[j].Name), cmp.Compare(p.st[i].ID, p.st[j].ID))
}

func (p *plan) less(i, j int) bool { return p.compare(i, j) < 0 }

// names lists students by name, in name order.
func (p *plan) names(is []int) string {
	s := slices.Clone(is)
	slices.SortFunc(s, p.compare)
	ns := make([]string, len(s))
	for k, i := range s {
		ns[k] = p.name[i]
	}
	return andList(ns)
}

// display is how a message names a student: their name, or their ID when
// they have none. A semicolon would split a reason in two, so it is shown
// as a comma.
func display(s Student) string {
	n := strings.TrimSpace(s.Name)
	if n == "" {
		n = string(s.ID)
	}
	return strings.ReplaceAll(n, ";", ",")
}

func clampLevel(l float64) float64 {
	switch {
	case math.IsNaN(l) || l < 0:
		return -1
	case l > 1:
		return 1
	}
	return l
}

func (p *plan) absentNote(gone []string, kind string, in []int) string {
	slices.Sort(gone)
	who, verb := andList(gone), "is"
	if len(gone) > 1 {
		verb = "are"
	}
	switch len(in) {
	case 0:
		return fmt.Sprintf("%s %s absent, so the %s list naming %s does not apply.", who, verb, kind, who)
	case 1:
		return fmt.Sprintf("%s %s absent, so the %s list with %s does not apply.", who, verb, kind, p.names(in))
	}
	return fmt.Sprintf("%s %s absent and left out of the %s list with %s.", who, verb, kind, p.names(in))
}

func students(n int) string {
	if n == 1 {
		return "1 student"
	}
	return fmt.Sprintf("%d students", n)
}

func groupCount(g int) string {
	if g == 1 {
		return "1 group"
	}
	return fmt.Sprintf("%d groups", g)
}

func onlyGroups(g int) string {
	if g == 1 {
		return "is only 1 group"
	}
	return fmt.Sprintf("are only %d groups", g)
}

// andList joins words as a sentence does: "a", "a and b", "a, b and c".
func andList(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}
