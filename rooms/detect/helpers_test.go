package detect

import (
	"fmt"

	"github.com/classhub/classhub/protocol"
)

// t0 is an arbitrary Unix millisecond, so that no test leans on zero.
const t0 int64 = 1_760_000_000_000

const (
	minute int64 = 60_000
	second int64 = 1000
)

// testGraph is a chain arith → frac.eq → frac.add → frac.mixed →
// frac.word, with lessons on the middle three.
func testGraph() StaticGraph {
	lesson := func(id protocol.SkillID, title string) *protocol.Help {
		return &protocol.Help{Skill: id, Title: title, Items: []protocol.ItemID{protocol.ItemID(id + ".r1"), protocol.ItemID(id + ".r2")}}
	}
	return StaticGraph{
		"arith":      {Name: "Arithmetic"},
		"frac.eq":    {Name: "Equivalent fractions", Prereqs: []protocol.SkillID{"arith"}, Lesson: lesson("frac.eq", "Review: equivalent fractions")},
		"frac.add":   {Name: "Adding fractions", Prereqs: []protocol.SkillID{"frac.eq"}, Lesson: lesson("frac.add", "Review: adding fractions")},
		"frac.mixed": {Name: "Mixed numbers", Prereqs: []protocol.SkillID{"frac.add"}, Lesson: lesson("frac.mixed", "Review: mixed numbers")},
		"frac.word":  {Name: "Word problems", Prereqs: []protocol.SkillID{"frac.mixed"}},
	}
}

// tries turns a pattern into attempts on skill, 30 s apart from at,
// oldest first: 'o' a right first attempt, 'x' a wrong one, 'O' and 'X'
// the same as retries on the problem before, 'h' a hint asked for before
// any answer on a new problem, and 'H' a correct answer after a hint on
// the problem before.
func tries(skill protocol.SkillID, pattern string, at int64) []Attempt {
	var out []Attempt
	n := 0
	for i, c := range pattern {
		first := c == 'o' || c == 'x' || c == 'h'
		if first {
			n++
		}
		a := Attempt{
			Item: protocol.ItemID(fmt.Sprintf("%s-%d", skill, n)), Skill: skill,
			Response: "42", Correct: c == 'o' || c == 'O' || c == 'H', First: first,
			Ms: 30 * second, ReadMs: 8 * second, At: at + int64(i)*30*second,
		}
		switch c {
		case 'h':
			a.Response, a.Hint = "", true
		case 'H':
			a.Hints = 1
		}
		out = append(out, a)
	}
	return out
}

// firstsOf are the first attempts of as, as the record keeps them in
// Record.Firsts.
func firstsOf(as []Attempt) []Attempt {
	var out []Attempt
	for _, a := range as {
		if a.First {
			out = append(out, a)
		}
	}
	return last(out, MaxAttempts)
}

// learner is a student working on frac.add with a solid background and
// an activity open, who last acted at now.
func learner(now int64) Student {
	return Student{
		ID: "s1", Name: "Olivia", Skill: "frac.add",
		Record: Record{
			Mastery:    map[protocol.SkillID]float64{"arith": 0.97, "frac.eq": 0.9, "frac.add": 0.5},
			LastAction: now,
		},
		ActivityOpen: true,
	}
}

// find returns the finding of rule r, if any.
func find(fs []Finding, r protocol.FlagRule) (Finding, bool) {
	for _, f := range fs {
		if f.Rule == r {
			return f, true
		}
	}
	return Finding{}, false
}

// ids hands out flag IDs in order.
func ids() func() protocol.FlagID {
	n := 0
	return func() protocol.FlagID {
		n++
		return protocol.FlagID(fmt.Sprintf("00000000-0000-4000-8000-%012d", n))
	}
}

// apply stores the changes in flags, as the room does.
func apply(flags []protocol.Flag, changes []Change) []protocol.Flag {
	for _, c := range changes {
		found := false
		for i := range flags {
			if flags[i].ID == c.Flag.ID {
				flags[i], found = c.Flag, true
			}
		}
		if !found {
			flags = append(flags, c.Flag)
		}
	}
	return flags
}
