package content

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong in a bank, where a teacher can find it.
type Problem struct {
	File string // the name given to Parse
	Line int    // 1-based; never 0 for a problem found by Parse
	Col  int    // 1-based; 0 when only the line is known
	Msg  string
}

// String gives the problem as editors and compilers do:
// "geometry.yaml:42:5: message".
func (p Problem) String() string {
	if p.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Errors is every problem found in a bank, in the order they appear in
// the file. Parse returns it (as *Errors) whenever it refuses a bank.
type Errors struct {
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// sortProblems orders problems by position, keeping the order in which
// they were found for problems at one position, and drops exact repeats
// (one mistake can be reached by two paths of the checks).
func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return slices.Compact(ps)
}
