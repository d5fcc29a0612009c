package grouping

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// benchCase is a mixed-ability request for a class of n with a few apart
// and together lists and about n recent pairs to avoid.
func benchCase(n int) ([]Student, protocol.GroupingRequest, []Pair) {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	students := class(n)
	ids := make([]protocol.StudentID, n)
	for i, s := range students {
		ids[i] = s.ID
	}
	req := protocol.GroupingRequest{Method: protocol.GroupMixed, Size: 4, Max: 5, Seed: 7, AvoidRecent: true}
	// Disjoint lists, as a teacher would write them.
	perm := r.Perm(n)
	take := func(k int) []protocol.StudentID {
		out := make([]protocol.StudentID, k)
		for i := range out {
			out[i] = ids[perm[0]]
			perm = perm[1:]
		}
		return out
	}
	lists := max(2, n/30)
	for range lists {
		req.Together = append(req.Together, take(2))
		req.Apart = append(req.Apart, take(3))
	}
	recent := make([]Pair, n)
	for i := range recent {
		a, b := r.IntN(n), r.IntN(n)
		recent[i] = Pair{ids[a], ids[b]}
	}
	return students, req, recent
}

func BenchmarkPropose(b *testing.B) {
	for _, n := range []int{30, 300} {
		students, req, recent := benchCase(n)
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Propose(students, req, recent); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnakeBaseline is the least a mixed-ability grouping does, for
// comparison in the same run: sort the class by level and deal it out in a
// snake, with no constraints, no recent pairs and no reasons.
func BenchmarkSnakeBaseline(b *testing.B) {
	for _, n := range []int{30, 300} {
		students, req, _ := benchCase(n)
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			groups := (n + req.Size - 1) / req.Size
			for b.Loop() {
				sorted := slices.Clone(students)
				slices.SortFunc(sorted, func(x, y Student) int { return cmp.Compare(x.Level, y.Level) })
				out := make([][]protocol.StudentID, groups)
				for i, s := range sorted {
					g := i % groups
					if (i/groups)%2 == 1 {
						g = groups - 1 - g
					}
					out[g] = append(out[g], s.ID)
				}
			}
		})
	}
}
