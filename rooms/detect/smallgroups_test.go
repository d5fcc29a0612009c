package detect

import (
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

func TestClustersGroupFlagsBySkillNeeded(t *testing.T) {
	lesson := func(sk protocol.SkillID) *protocol.Help {
		return &protocol.Help{Skill: sk, Title: "Lesson of " + string(sk), Items: []protocol.ItemID{"i1"}, Advice: "for the teacher"}
	}
	flag := func(id, student string, rule protocol.FlagRule, skill protocol.SkillID, help *protocol.Help, need float64) protocol.Flag {
		return protocol.Flag{ID: protocol.FlagID(id), Student: protocol.StudentID(student), Rule: rule, Level: protocol.LevelWatch,
			Status: protocol.FlagOpen, Skill: skill, Help: help, Need: need, Opened: 1000}
	}
	flags := []protocol.Flag{
		flag("f1", "olivia", protocol.RulePrereqGap, "trisum", lesson("supp"), 0.8),
		flag("f2", "noah", protocol.RuleStruggle, "supp", lesson("supp"), 0.6),
		flag("f3", "mason", protocol.RuleStuck, "supp", nil, 0.7),
		// Not about a skill: idle without a lesson, doing well, the class.
		flag("f4", "ava", protocol.RuleIdle, "supp", &protocol.Help{Skill: "supp", Advice: "check in"}, 0.5),
		flag("f5", "amelia", protocol.RuleDoingWell, "supp", lesson("supp"), 0.2),
		flag("f6", string(ClassNotice), protocol.RuleIdle, "", nil, 0.45),
		// A hand raised, with a learning rule's lesson merged in: counts.
		flag("f7", "judy", protocol.RuleHelp, "trisum", lesson("supp"), 0.9),
		// Closed: never.
		func() protocol.Flag {
			f := flag("f8", "liam", protocol.RuleStruggle, "supp", lesson("supp"), 0.9)
			f.Status = protocol.FlagResolved
			return f
		}(),
		// Two on another skill: below three.
		flag("f9", "emma", protocol.RuleStruggle, "frac", lesson("frac"), 0.5),
		flag("f10", "noel", protocol.RuleStruggle, "frac", lesson("frac"), 0.5),
	}
	got := Clusters(flags, 3, 2000, nil)
	if len(got) != 1 {
		t.Fatalf("clusters %+v, want one on supp", got)
	}
	c := got[0]
	if c.Skill != "supp" || !c.Prereq || c.Lesson == nil || c.Lesson.Title != "Lesson of supp" || c.Lesson.Advice != "" {
		t.Fatalf("cluster %+v lesson %+v", c, c.Lesson)
	}
	// Most need first, as the help queue orders them.
	if want := []protocol.StudentID{"judy", "olivia", "mason", "noah"}; !slices.Equal(c.Students, want) {
		t.Fatalf("students %v, want %v", c.Students, want)
	}
	if want := []protocol.FlagID{"f7", "f1", "f3", "f2"}; !slices.Equal(c.Flags, want) {
		t.Fatalf("flags %v, want %v", c.Flags, want)
	}
	// Whom the room counts out (offline, already in a small group) is
	// not counted.
	got = Clusters(flags, 3, 2000, func(s protocol.StudentID, _ protocol.SkillID) bool { return s != "judy" && s != "noah" })
	if len(got) != 0 {
		t.Fatalf("two eligible on supp made %+v", got)
	}
	// Two are enough when the class says so; the largest comes first.
	got = Clusters(flags, 2, 2000, nil)
	if len(got) != 2 || got[0].Skill != "supp" || got[1].Skill != "frac" {
		t.Fatalf("with two: %+v", got)
	}
	if flags[0].Help.Advice == "" {
		t.Fatal("Clusters changed the flags it was given")
	}
}
