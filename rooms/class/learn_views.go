package class

import (
	"cmp"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// masteryList is a learner's mastery, lowest first, with the threshold of
// the default parameters (the bank's own thresholds are applied when the
// estimate is made; the view only orders them).
func (l *Learner) MasteryList() []protocol.SkillMastery {
	out := []protocol.SkillMastery{}
	for sk, p := range l.Mastery {
		out = append(out, protocol.SkillMastery{Skill: sk, P: p, Mastered: l.MasteredNow(sk)})
	}
	slices.SortFunc(out, func(a, b protocol.SkillMastery) int {
		if c := cmp.Compare(a.P, b.P); c != 0 {
			return c
		}
		return cmp.Compare(a.Skill, b.Skill)
	})
	return out
}

// masteredNow reads the mastered mark the last attempt on skill carried.
func (l *Learner) MasteredNow(skill protocol.SkillID) bool {
	for i := len(l.Attempts) - 1; i >= 0; i-- {
		if l.Attempts[i].Skill == skill {
			return l.Attempts[i].Mastered
		}
	}
	return false
}

func (l *Learner) summary(sid protocol.StudentID) protocol.LearnerSummary {
	s := protocol.LearnerSummary{
		Student: sid, Set: l.Set, Title: l.Title, Kind: l.Kind, Item: l.Current,
		Answers: l.Count, Mastery: l.MasteryList(), Offered: l.Offered != nil,
	}
	for _, a := range l.Attempts {
		if a.Correct {
			s.Correct++
		}
	}
	return s
}

func (l *Learner) practice(sid protocol.StudentID) *protocol.StudentPractice {
	if l.Set.Bank == "" {
		return nil
	}
	p := &protocol.StudentPractice{
		Set: l.Set, Title: l.Title, Kind: l.Kind, Item: l.Current, Hints: l.Shown,
		Pick: l.Pick, Mastery: l.MasteryList(), Closed: l.Closed, Check: l.Check,
	}
	p.Options = l.Options
	p.Offer = l.Offered
	return p
}

// openFlags are the flags v may see that are not closed, in the order of
// the help queue.
func (s *State) openFlags(visible func(protocol.StudentID) bool) []protocol.Flag {
	out := []protocol.Flag{}
	for _, f := range s.Flags {
		if !Closed(f) && visible(f.Student) {
			out = append(out, f)
		}
	}
	// An empty help queue is an empty list, as every list of a view is,
	// never null: a console iterates it.
	if q := detect.Queue(out, s.Clock); q != nil {
		return q
	}
	return []protocol.Flag{}
}

// Closed reports whether a flag is over: resolved by a teacher or cleared
// by the detectors.
func Closed(f protocol.Flag) bool {
	return f.Status == protocol.FlagResolved || f.Status == protocol.FlagCleared
}
