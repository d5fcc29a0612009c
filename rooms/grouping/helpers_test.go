package grouping

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// id gives student number i a fixed UUID, so failures reproduce.
func id(i int) protocol.StudentID {
	return protocol.StudentID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
}

var firstNames = []string{
	"Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon",
	"Kit", "Lea", "Max", "Nia", "Oli", "Pia", "Quin", "Rae", "Sam", "Tia",
	"Uma", "Vic", "Wes", "Xia", "Yan", "Zoe",
}

// class is a roster of n present students named Ana, Ben, ... (with a
// number once the names run out), of levels spread over 0..1.
func class(n int) []Student {
	out := make([]Student, n)
	for i := range out {
		name := firstNames[i%len(firstNames)]
		if i >= len(firstNames) {
			name = fmt.Sprintf("%s %d", name, i/len(firstNames)+1)
		}
		out[i] = Student{ID: id(i), Name: name, Level: float64((i*37)%101) / 100, Present: true}
	}
	return out
}

// byName finds students by name in a roster.
func byName(roster []Student, names ...string) []protocol.StudentID {
	var out []protocol.StudentID
	for _, n := range names {
		found := false
		for _, s := range roster {
			if s.Name == n {
				out = append(out, s.ID)
				found = true
			}
		}
		if !found {
			panic("no student " + n)
		}
	}
	return out
}

// groupOf maps each student to the index of their home group.
func groupOf(res Result) map[protocol.StudentID]int {
	m := make(map[protocol.StudentID]int)
	for g, grp := range res.Groups {
		for _, s := range grp.Members {
			m[s] = g
		}
	}
	return m
}

// violations checks a proposal against everything Propose promises, and
// lists what it breaks. It is shared by the table, property and fuzz
// tests.
func violations(students []Student, req protocol.GroupingRequest, recent []Pair, res Result) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	roster := make(map[protocol.StudentID]Student)
	placed := make(map[protocol.StudentID]bool)
	for _, s := range students {
		roster[s.ID] = s
		if s.Present || req.IncludeAbsent {
			placed[s.ID] = true
		}
	}
	n := len(placed)

	// Every placed student in exactly one home group, nobody else.
	where := make(map[protocol.StudentID]int)
	for g, grp := range res.Groups {
		if grp.Name == "" || grp.Reason == "" {
			fail("group %d has name %q and reason %q", g, grp.Name, grp.Reason)
		}
		for _, s := range grp.Members {
			if !placed[s] {
				fail("%s is in %s but should not be placed", s, grp.Name)
			}
			if h, ok := where[s]; ok {
				fail("%s is in groups %d and %d", s, h, g)
			}
			where[s] = g
		}
		sorted := slices.IsSortedFunc(grp.Members, func(a, b protocol.StudentID) int {
			return cmp.Or(strings.Compare(roster[a].Name, roster[b].Name), cmp.Compare(a, b))
		})
		if !sorted {
			fail("members of %s are not sorted by name", grp.Name)
		}
	}
	for s := range placed {
		if _, ok := where[s]; !ok {
			fail("%s is not placed", s)
		}
	}
	names := make(map[string]bool)
	for _, grp := range res.Groups {
		if names[grp.Name] {
			fail("two groups are named %q", grp.Name)
		}
		names[grp.Name] = true
	}

	// The number and sizes of the groups.
	want := req.Count
	if req.Size > 0 {
		want = (n + req.Size - 1) / req.Size
	}
	if len(res.Groups) != want {
		fail("%d groups, want %d", len(res.Groups), want)
	}
	lo, hi := max(req.Min, 1), req.Max
	small, large := n, 0
	for _, grp := range res.Groups {
		s := len(grp.Members)
		small, large = min(small, s), max(large, s)
		if s < lo || hi > 0 && s > hi {
			fail("%s has %d students, outside %d..%d", grp.Name, s, lo, hi)
		}
	}

	// Hard constraints, on the students who are placed.
	constrained := false
	for _, l := range req.Apart {
		seen := make(map[int]protocol.StudentID)
		in := 0
		for _, s := range l {
			if !placed[s] {
				continue
			}
			in++
			if o, ok := seen[where[s]]; ok && o != s {
				fail("%s and %s must be apart but are both in %s", roster[o].Name, roster[s].Name, res.Groups[where[s]].Name)
			}
			seen[where[s]] = s
		}
		constrained = constrained || in > 1
	}
	for _, l := range req.Together {
		g, in := -1, 0
		for _, s := range l {
			if !placed[s] {
				continue
			}
			in++
			if g >= 0 && where[s] != g {
				fail("together list %v is split", l)
			}
			g = where[s]
		}
		constrained = constrained || in > 1
	}
	if !constrained && len(res.Groups) > 0 && large-small > 1 {
		fail("sizes range from %d to %d with no constraint to force it", small, large)
	}

	// Jigsaw: expert groups partition the same students, one of each home
	// group at most per topic.
	if req.Method == protocol.GroupJigsaw {
		seen := make(map[protocol.StudentID]bool)
		for _, ex := range res.Experts {
			homes := make(map[int]bool)
			if len(ex.Members) == 0 || req.Max > 0 && len(ex.Members) > req.Max {
				fail("%s has %d students", ex.Name, len(ex.Members))
			}
			for _, s := range ex.Members {
				if !placed[s] || seen[s] {
					fail("%s in %s is not placed or twice in expert groups", s, ex.Name)
				}
				seen[s] = true
				if homes[where[s]] {
					fail("%s has two members of %s", ex.Name, res.Groups[where[s]].Name)
				}
				homes[where[s]] = true
			}
		}
		if len(seen) != n {
			fail("expert groups hold %d students, want %d", len(seen), n)
		}
	} else if res.Experts != nil {
		fail("experts for method %s", req.Method)
	}
	return bad
}

// check runs Propose and fails the test if the proposal breaks a promise
// or the error is not a documented one. It returns the result and error.
func check(t testing.TB, students []Student, req protocol.GroupingRequest, recent []Pair) (Result, error) {
	t.Helper()
	res, err := Propose(students, req, recent)
	if err != nil {
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Message == "" ||
			pe.Code != protocol.CodeInvalid && pe.Code != protocol.CodeInfeasible {
			t.Fatalf("Propose(%+v): error %v is not an invalid or infeasible protocol error", req, err)
		}
		if pe.Code == protocol.CodeInfeasible && len(Reasons(err)) == 0 {
			t.Fatalf("infeasible without reasons: %v", err)
		}
		return res, err
	}
	if bad := violations(students, req, recent, res); len(bad) > 0 {
		t.Fatalf("Propose(%+v) on %d students:\n%s", req, len(students), strings.Join(bad, "\n"))
	}
	return res, nil
}

// code is the protocol code of err, or "" when there is none.
func code(err error) protocol.Code {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// randomRoster makes n students with random levels (some unknown),
// interests, choices and presence.
func randomRoster(r *rand.Rand, n int) []Student {
	interests := []string{"rock music", "Rock Music", "football", "drawing", "space", "chess", "  dance ", ""}
	choices := []string{"volcanoes", "rivers", "deserts", "", ""}
	out := make([]Student, n)
	for i := range out {
		lvl := r.Float64()
		if r.IntN(8) == 0 {
			lvl = -1
		}
		name := firstNames[r.IntN(len(firstNames))]
		if r.IntN(3) > 0 {
			name += fmt.Sprintf(" %c.", 'A'+r.IntN(26))
		}
		out[i] = Student{
			ID:       id(i),
			Name:     name,
			Level:    lvl,
			Interest: interests[r.IntN(len(interests))],
			Choice:   choices[r.IntN(len(choices))],
			Present:  r.IntN(10) > 0,
		}
	}
	return out
}

// sample picks k distinct students of ids at random.
func sample(r *rand.Rand, ids []protocol.StudentID, k int) []protocol.StudentID {
	k = min(k, len(ids))
	out := make([]protocol.StudentID, 0, k)
	for _, i := range r.Perm(len(ids))[:k] {
		out = append(out, ids[i])
	}
	return out
}

var methods = []protocol.GroupingMethod{
	protocol.GroupRandom, protocol.GroupLevel, protocol.GroupMixed,
	protocol.GroupInterest, protocol.GroupChoice, protocol.GroupJigsaw,
}
