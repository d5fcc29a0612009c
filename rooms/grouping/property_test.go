package grouping

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// Property cases are drawn from fixed seeds so that a failure names the
// seed that reproduces it.
const propertyCases = 300

// classSize is mostly a class, sometimes a year group.
func classSize(r *rand.Rand, seed uint64) int {
	switch x := r.IntN(20); {
	case seed%50 == 0:
		return 300
	case x == 0:
		return 1 + r.IntN(300)
	case x < 5:
		return 1 + r.IntN(120)
	}
	return 1 + r.IntN(40)
}

// placedIDs lists the students a request places.
func placedIDs(st []Student, includeAbsent bool) (placed, absent []protocol.StudentID) {
	for _, s := range st {
		if s.Present || includeAbsent {
			placed = append(placed, s.ID)
		} else {
			absent = append(absent, s.ID)
		}
	}
	return placed, absent
}

// randomRecent makes about k pairs, some naming students not in the
// class, which must be ignored.
func randomRecent(r *rand.Rand, st []Student, k int) []Pair {
	out := make([]Pair, 0, k)
	for range k {
		a := st[r.IntN(len(st))].ID
		b := st[r.IntN(len(st))].ID
		if r.IntN(20) == 0 {
			b = "someone-from-another-class"
		}
		out = append(out, Pair{a, b})
	}
	return out
}

// feasibleCase draws a roster and a request whose constraints are all
// met by a grouping drawn first: Propose must find one.
func feasibleCase(seed uint64) ([]Student, protocol.GroupingRequest, []Pair) {
	r := rand.New(rand.NewPCG(seed, 2024))
	n := classSize(r, seed)
	st := randomRoster(r, n)
	req := protocol.GroupingRequest{
		Method:        methods[r.IntN(len(methods))],
		Seed:          r.Int64N(2000) - 1000,
		IncludeAbsent: r.IntN(5) == 0,
		AvoidRecent:   r.IntN(2) == 0,
	}
	placed, absent := placedIDs(st, req.IncludeAbsent)
	m := len(placed)
	var recent []Pair
	if n > 0 {
		recent = randomRecent(r, st, r.IntN(2*n+1))
	}
	if m == 0 {
		req.Size = 1 + r.IntN(6)
		return st, req, recent
	}
	g := 0
	if r.IntN(2) == 0 {
		req.Size = 1 + r.IntN(min(8, m))
		g = (m + req.Size - 1) / req.Size
	} else {
		req.Count = 1 + r.IntN(min(m, 12))
		g = req.Count
	}
	if r.IntN(3) == 0 {
		req.Min = 1 + r.IntN(m/g)
	}
	if r.IntN(3) == 0 {
		req.Max = (m+g-1)/g + r.IntN(3)
	}

	// The hidden grouping: placed students dealt into g even groups.
	hidden := make([][]protocol.StudentID, g)
	for i, k := range r.Perm(m) {
		hidden[i%g] = append(hidden[i%g], placed[k])
	}
	maybeAbsent := func(l []protocol.StudentID) []protocol.StudentID {
		if len(absent) > 0 && r.IntN(4) == 0 {
			l = append(l, absent[r.IntN(len(absent))])
		}
		return l
	}
	for range r.IntN(4) {
		h := hidden[r.IntN(g)]
		req.Together = append(req.Together, maybeAbsent(sample(r, h, 2+r.IntN(3))))
	}
	for range r.IntN(4) {
		var l []protocol.StudentID
		for _, h := range r.Perm(g)[:min(g, 2+r.IntN(3))] {
			l = append(l, hidden[h][r.IntN(len(hidden[h]))])
		}
		req.Apart = append(req.Apart, maybeAbsent(l))
	}
	return st, req, recent
}

// anyCase draws a roster and a well-formed request with constraints at
// random, which may well be impossible.
func anyCase(seed uint64) ([]Student, protocol.GroupingRequest, []Pair) {
	r := rand.New(rand.NewPCG(seed, 7))
	n := classSize(r, seed)
	st := randomRoster(r, n)
	req := protocol.GroupingRequest{
		Method:        methods[r.IntN(len(methods))],
		Seed:          r.Int64(),
		IncludeAbsent: r.IntN(5) == 0,
		AvoidRecent:   r.IntN(2) == 0,
	}
	if r.IntN(2) == 0 {
		req.Size = 1 + r.IntN(8)
	} else {
		req.Count = 1 + r.IntN(max(1, n/2+2))
	}
	if r.IntN(3) == 0 {
		req.Min = r.IntN(6)
	}
	if r.IntN(3) == 0 {
		req.Max = max(req.Min, 1) + r.IntN(6)
	}
	ids := make([]protocol.StudentID, n)
	for i, s := range st {
		ids[i] = s.ID
	}
	if n > 0 {
		for range r.IntN(5) {
			req.Together = append(req.Together, sample(r, ids, 1+r.IntN(5)))
		}
		for range r.IntN(5) {
			req.Apart = append(req.Apart, sample(r, ids, 1+r.IntN(5)))
		}
	}
	var recent []Pair
	if n > 0 {
		recent = randomRecent(r, st, r.IntN(2*n+1))
	}
	return st, req, recent
}

// shuffled is the roster in another order.
func shuffled(st []Student, seed uint64) []Student {
	out := slices.Clone(st)
	r := rand.New(rand.NewPCG(seed, 99))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// sameEveryTime checks that Propose answers the same again and for the
// roster in another order.
func sameEveryTime(t *testing.T, seed uint64, st []Student, req protocol.GroupingRequest, recent []Pair, res Result, err error) {
	t.Helper()
	again, err2 := Propose(st, req, recent)
	if !reflect.DeepEqual(res, again) || !reflect.DeepEqual(err, err2) {
		t.Fatalf("seed %d: a second call gave another answer", seed)
	}
	other, err3 := Propose(shuffled(st, seed), req, recent)
	if !reflect.DeepEqual(res, other) || !reflect.DeepEqual(err, err3) {
		t.Fatalf("seed %d: the roster's order changed the answer:\n%+v %v\n%+v %v", seed, res, err, other, err3)
	}
}

func TestPropertyFeasible(t *testing.T) {
	t.Parallel()
	for seed := range uint64(propertyCases) {
		st, req, recent := feasibleCase(seed)
		res, err := check(t, st, req, recent)
		if err != nil {
			t.Fatalf("seed %d: %d students, %+v: %v", seed, len(st), req, err)
		}
		sameEveryTime(t, seed, st, req, recent, res, err)
	}
}

func TestPropertyAny(t *testing.T) {
	t.Parallel()
	outcomes := make(map[protocol.Code]int)
	for seed := range uint64(propertyCases) {
		st, req, recent := anyCase(seed)
		res, err := check(t, st, req, recent)
		if c := code(err); c == protocol.CodeInvalid {
			t.Fatalf("seed %d: a well-formed request refused: %v", seed, err)
		}
		outcomes[code(err)]++
		sameEveryTime(t, seed, st, req, recent, res, err)
	}
	t.Logf("outcomes %v", outcomes)
	// Both outcomes must be exercised for the property to mean anything.
	if outcomes[""] < propertyCases/10 || outcomes[protocol.CodeInfeasible] < propertyCases/10 {
		t.Errorf("outcomes %v: the generator is lopsided", outcomes)
	}
}

// Without constraints the sizes follow the rule exactly, for every
// method and class size.
func TestPropertySizes(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 60; n++ {
		st := class(n)
		for _, m := range methods {
			for size := 1; size <= 7; size++ {
				check(t, st, protocol.GroupingRequest{Method: m, Size: size, Seed: int64(n)}, nil)
			}
			for count := 1; count <= min(n, 9); count++ {
				check(t, st, protocol.GroupingRequest{Method: m, Count: count, Seed: int64(n)}, nil)
			}
		}
	}
}
