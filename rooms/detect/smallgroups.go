package detect

import (
	"cmp"
	"slices"

	"github.com/classhub/classhub/protocol"
)

// Cluster is the students flagged for a learning need on one skill: the
// same skill struggled with or wheel-spun on, or the same prerequisite
// missing. One teacher-led small group with that skill's supplemental
// lesson serves them better than as many visits at their desks.
type Cluster struct {
	Skill    protocol.SkillID     // the skill to teach
	Students []protocol.StudentID // most need first
	Flags    []protocol.FlagID    // one per student, in the same order
	Lesson   *protocol.Help       // the skill's supplemental lesson, when a flag carries one
	Prereq   bool                 // the skill is a missing prerequisite of what they practise
}

// NeedSkill is the skill a flag says its student needs taught, or "" for
// a flag that is not about a skill or is closed: the skill of its
// supplemental lesson (the weak prerequisite of a prerequisite gap),
// else, for struggle and wheel-spinning, the skill practised. A flag
// whose main rule is idle, a raised hand or gaming counts when it carries
// a lesson merged in from a learning rule; doing well never does.
func NeedSkill(f protocol.Flag) protocol.SkillID {
	if closed(f) || f.Student == ClassNotice || f.Rule == protocol.RuleDoingWell {
		return ""
	}
	if h := f.Help; h != nil && h.Skill != "" && (h.Title != "" || len(h.Items) > 0) {
		return h.Skill
	}
	switch f.Rule {
	case protocol.RuleStruggle, protocol.RuleStuck, protocol.RulePrereqGap:
		if f.Help != nil && f.Help.Skill != "" {
			return f.Help.Skill
		}
		return f.Skill
	}
	return ""
}

// Clusters groups the open flags by the skill their students need
// taught and returns the skills with at least min students, the largest
// first (then by skill). eligible says which students may be grouped (in
// class, not already in a small group for the skill). flags is not
// changed.
func Clusters(flags []protocol.Flag, min int, now int64, eligible func(protocol.StudentID, protocol.SkillID) bool) []Cluster {
	by := map[protocol.SkillID]*Cluster{}
	var order []protocol.SkillID
	for _, f := range Queue(flags, now) {
		sk := NeedSkill(f)
		if sk == "" || (eligible != nil && !eligible(f.Student, sk)) {
			continue
		}
		c := by[sk]
		if c == nil {
			c = &Cluster{Skill: sk}
			by[sk] = c
			order = append(order, sk)
		}
		if slices.Contains(c.Students, f.Student) {
			continue
		}
		c.Students = append(c.Students, f.Student)
		c.Flags = append(c.Flags, f.ID)
		if f.Rule == protocol.RulePrereqGap {
			c.Prereq = true
		}
		if c.Lesson == nil && f.Help != nil && f.Help.Skill == sk && (f.Help.Title != "" || len(f.Help.Items) > 0) {
			h := *f.Help
			h.Items = slices.Clone(h.Items)
			h.Advice = ""
			c.Lesson = &h
		}
	}
	var out []Cluster
	for _, sk := range order {
		if c := by[sk]; len(c.Students) >= max(min, 2) {
			out = append(out, *c)
		}
	}
	slices.SortStableFunc(out, func(a, b Cluster) int {
		return cmp.Or(cmp.Compare(len(b.Students), len(a.Students)), cmp.Compare(a.Skill, b.Skill))
	})
	return out
}
