package detect

import (
	"fmt"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// BenchmarkAnswer is the cost per answer of what the room does with it:
// recording it in the learner record (with the mastery update), Evaluate
// and Reconcile, for a
// student with full histories. "struggling" has an act-now flag open
// that every answer may update; "fine" gets the doing-well suggestion.
func BenchmarkAnswer(b *testing.B) {
	for _, tc := range []struct {
		name    string
		correct func(i int) bool
		gap     float64
	}{
		{"struggling", func(i int) bool { return i%5 == 0 }, 0.2},
		{"fine", func(i int) bool { return i%5 != 0 }, 0.9},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, th, p := testGraph(), DefaultThresholds(), mastery.Default
			s := learner(t0)
			s.Mastery["frac.eq"] = tc.gap
			now := t0
			answer := func(i int) {
				now += 20 * second
				item := protocol.ItemID(fmt.Sprint("frac.add-", i%40))
				if i%2 == 0 {
					s.NewStep(now)
				}
				// Every other answer is on a new problem; every third
				// comes after a hint on the problem, not before its first
				// answer.
				if i%3 == 0 && i%2 == 1 {
					s.Hint(Attempt{Item: item, Skill: s.Skill, Ms: 6 * second, ReadMs: 4 * second, At: now}, p)
				}
				s.Answer(Attempt{Item: item, Skill: s.Skill, Response: "3/4",
					Correct: tc.correct(i), Ms: 20 * second, ReadMs: 8 * second, At: now}, p)
			}
			var flags []protocol.Flag
			newID := ids()
			for i := range 2 * MaxAttempts {
				answer(i)
				flags = apply(flags, Reconcile(flags, Evaluate(s, g, th, now), now, newID))
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				answer(i)
				cs := Reconcile(flags, Evaluate(s, g, th, now), now, newID)
				if len(cs) > 0 {
					flags = apply(flags, cs)
				}
				i++
			}
		})
	}
}
