package detect

import (
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// One student spinning on several skills is one flag for the teacher,
// naming each skill.
func TestStuckNamesEverySkill(t *testing.T) {
	th := DefaultThresholds()
	s := learner(t0)
	s.Mastery["frac.add"], s.Mastery["frac.mixed"] = 0.2, 0.3
	s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 12, "frac.mixed": 8}
	s.Attempts = append(tries("frac.mixed", "xxoxxxx", t0), tries("frac.add", "xxxoxxx", t0+10*minute)...)
	s.Firsts = firstsOf(s.Attempts)
	now := s.Attempts[len(s.Attempts)-1].At
	fs := Evaluate(s, testGraph(), th, now)
	f := check(t, fs, protocol.RuleStuck, want{level: protocol.LevelActNow})
	if f.Skill != "frac.add" {
		t.Errorf("skill %q, want the one practised now", f.Skill)
	}
	var named []protocol.SkillID
	for _, m := range f.Evidence.LowSkills {
		named = append(named, m.Skill)
	}
	if len(named) != 2 || named[0] != "frac.add" || named[1] != "frac.mixed" {
		t.Errorf("low skills %v, want frac.add then frac.mixed", named)
	}
	if !strings.Contains(f.Evidence.Summary, "Also stuck on") {
		t.Errorf("summary %q does not name the other skill", f.Evidence.Summary)
	}
	if fl := opened(f, now, "x"); !OnSkill(fl, "frac.mixed") || !OnSkill(fl, "frac.add") || OnSkill(fl, "arith") {
		t.Errorf("OnSkill does not follow the skills the flag names")
	}
}

// A student who just left act now is not called about the same skills
// again within ReAlert; a new skill in trouble, a raised hand or the end
// of ReAlert calls the teacher again.
func TestReAlertOnlyOnNewEvidence(t *testing.T) {
	stuck := finding(protocol.RuleStuck, protocol.LevelActNow, 0.7)
	closedAt := t0 + 10*minute
	old := flag("old", stuck, t0)
	old.Status, old.Updated = protocol.FlagCleared, closedAt
	other := stuck
	other.Skill = "frac.mixed"
	hand := finding(protocol.RuleHelp, protocol.LevelActNow, 0.8)
	hand.Evidence.Since = closedAt + minute
	wasWatch := old
	wasWatch.Level = protocol.LevelWatch
	tests := []struct {
		name     string
		closed   protocol.Flag
		findings []Finding
		after    int64
		level    protocol.FlagLevel
	}{
		{"same skill, after the cool-down, within ReAlert", old, []Finding{stuck}, Cooldown, protocol.LevelWatch},
		{"same skill, once ReAlert is over", old, []Finding{stuck}, ReAlert, protocol.LevelActNow},
		{"another skill", old, []Finding{other}, Cooldown, protocol.LevelActNow},
		{"a hand raised since", old, []Finding{hand, stuck}, Cooldown, protocol.LevelActNow},
		{"the closed flag was at watch", wasWatch, []Finding{stuck}, Cooldown, protocol.LevelActNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Reconcile([]protocol.Flag{tt.closed}, tt.findings, closedAt+tt.after, ids())
			if len(cs) != 1 || cs[0].Kind != ChangeOpen || cs[0].Flag.Level != tt.level {
				t.Fatalf("changes %v, want one open at %s", kinds(cs), tt.level)
			}
			if cs[0].Flag.Waiting {
				t.Errorf("held back by the re-alert rule, not by the budget: not waiting")
			}
		})
	}
	// A live flag at watch is not escalated either on the same skills.
	live := flag("live", finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4), closedAt+minute)
	cs := Reconcile([]protocol.Flag{old, live}, []Finding{stuck}, closedAt+Cooldown, ids())
	for _, c := range cs {
		if c.Flag.Level == protocol.LevelActNow {
			t.Errorf("changes %v: escalated on the same skill within ReAlert", kinds(cs))
		}
	}
}

// A wrong answer on a skill's first opportunity is not struggle: the
// record marks it New and struggle at act now counts the problems of
// skills practised before.
func TestStruggleLeavesOutFirstOpportunities(t *testing.T) {
	th := DefaultThresholds()
	var r Record
	for i := range 10 {
		sk := protocol.SkillID(string(rune('a' + i)))
		r.NewStep(t0)
		r.Answer(Attempt{Item: protocol.ItemID(sk), Skill: sk, At: t0 + int64(i)*minute}, mastery.Default)
	}
	if !r.Firsts[0].New || !r.Attempts[0].New {
		t.Fatalf("first opportunity not marked new: %+v", r.Firsts[0])
	}
	s := Student{ID: "s1", Name: "Olivia", Record: r}
	now := t0 + 10*minute
	check(t, Evaluate(s, testGraph(), th, now), protocol.RuleStruggle, want{level: protocol.LevelWatch})
	// The same ten skills failed a second time: struggle, at act now.
	for i := range 10 {
		sk := protocol.SkillID(string(rune('a' + i)))
		s.NewStep(now)
		s.Answer(Attempt{Item: protocol.ItemID(sk) + "2", Skill: sk, At: now + int64(i)*minute}, mastery.Default)
		if s.Firsts[len(s.Firsts)-1].New {
			t.Fatalf("second opportunity marked new")
		}
	}
	check(t, Evaluate(s, testGraph(), th, now+10*minute), protocol.RuleStruggle, want{level: protocol.LevelActNow})
}
