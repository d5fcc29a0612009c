package detect

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// want is what a test expects of one rule's finding: absent, lingering,
// or holding at a level.
type want struct {
	level     protocol.FlagLevel // "" for no finding
	lingering bool
}

func check(t *testing.T, fs []Finding, rule protocol.FlagRule, w want) Finding {
	t.Helper()
	f, ok := find(fs, rule)
	switch {
	case w.level == "" && ok:
		t.Errorf("%s: got %s (lingering %v), want none", rule, f.Level, f.Lingering)
	case w.level != "" && !ok:
		t.Errorf("%s: got none, want %s (lingering %v)", rule, w.level, w.lingering)
	case ok && (f.Level != w.level || f.Lingering != w.lingering):
		t.Errorf("%s: got %s (lingering %v), want %s (lingering %v)", rule, f.Level, f.Lingering, w.level, w.lingering)
	}
	return f
}

// struggling gives s ten wrong answers before its last action, which
// stays at t0.
func struggling(s *Student) {
	s.Attempts = tries("frac.add", "xxxxxxxxxx", t0-10*minute)
	s.LastAction = t0
}

func TestIdle(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name string
		edit func(s *Student)
		gone int64
		want want
	}{
		{"just acted", nil, 0, want{}},
		{"one ms before watch", nil, 2*minute - 1, want{}},
		{"at watch", nil, 2 * minute, want{level: protocol.LevelWatch}},
		{"one ms before act now", nil, 5*minute - 1, want{level: protocol.LevelWatch}},
		{"at act now's time, after no trouble: watch", nil, 5 * minute, want{level: protocol.LevelWatch}},
		{"long gone after no trouble: watch", nil, 40 * minute, want{level: protocol.LevelWatch}},
		{"one ms before act now, after wrong answers", struggling, 5*minute - 1, want{level: protocol.LevelWatch}},
		{"at act now, after wrong answers", struggling, 5 * minute, want{level: protocol.LevelActNow}},
		{"long gone after wrong answers", struggling, 40 * minute, want{level: protocol.LevelActNow}},
		// Past ten problems on the skill but right on the last ones: no
		// trouble now, the silence stays at watch; failing it now, act now.
		{"long gone, stuck but getting it right", spinningRight, 40 * minute, want{level: protocol.LevelWatch}},
		{"long gone, stuck and failing", spinningWrong, 40 * minute, want{level: protocol.LevelActNow}},
		{"no activity open", func(s *Student) { s.ActivityOpen = false }, 40 * minute, want{}},
		{"hand up: waiting, not idle", func(s *Student) { s.HandUp, s.HandSince = true, t0 }, 40 * minute, want{}},
		{"last action unknown", func(s *Student) { s.LastAction = 0 }, 40 * minute, want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			if tt.edit != nil {
				tt.edit(&s)
			}
			f := check(t, Evaluate(s, testGraph(), th, t0+tt.gone), protocol.RuleIdle, tt.want)
			if tt.want.level != "" && f.Evidence.Since != t0 {
				t.Errorf("since %d, want the last action %d", f.Evidence.Since, t0)
			}
		})
	}
}

// spinningRight has had twelve problems on frac.add without mastering
// it, the last of them mostly right; spinningWrong mostly wrong.
func spinningRight(s *Student) { spinning(s, "oxoooxo") }
func spinningWrong(s *Student) { spinning(s, "xxoxxxx") }

func spinning(s *Student, pattern string) {
	s.Mastery["frac.add"] = 0.5
	s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 12}
	s.Attempts = tries("frac.add", pattern, t0-int64(len(pattern))*30*second)
	s.Firsts = firstsOf(s.Attempts)
}

func TestStruggle(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name    string
		pattern string
		want    want
	}{
		{"nine wrong: not enough yet", "xxxxxxxxx", want{}},
		{"ten problems, three right", "xxxoxxoxox", want{level: protocol.LevelActNow}},
		{"ten problems, none right", "xxxxxxxxxx", want{level: protocol.LevelActNow}},
		{"ten problems, four right: lingers", "oxxoxxoxox", want{level: protocol.LevelWatch, lingering: true}},
		{"five right: still lingers", "oxoxoxoxox", want{level: protocol.LevelWatch, lingering: true}},
		{"six right: gone", "ooxoxoxoxo", want{}},
		// Three right of the last ten attempts, but they are retries on
		// five problems: watch, not yet act now.
		{"ten tries on five problems", "xXxXxOxXxO", want{level: protocol.LevelWatch}},
		// The same, with ten problems behind them: act now.
		{"and ten problems", "xxxxxxxXxXxOxXxO", want{level: protocol.LevelActNow}},
		// Three right in the last ten tries but four of the last ten
		// problems right first time: watch.
		{"four problems right first time", "oooooxXxXxOxXxO", want{level: protocol.LevelWatch}},
		{"only the last ten count", "oooooooooooxxxxxxxxxx", want{level: protocol.LevelActNow}},
		// A hint before any answer is a wrong first attempt, and a correct
		// answer after hints is not right.
		{"right only after hints, five problems", "xHxHxHxHxH", want{level: protocol.LevelWatch}},
		{"hints first on ten problems", "hHhHhHhHhHhHhHhHhHhH", want{level: protocol.LevelActNow}},
		{"hints first among right answers", "xxxhhhoxox", want{level: protocol.LevelActNow}},
		// Retries do not push the problems out of the evidence.
		{"ten problems failed with two wrong retries each", "xXXxXXxXXxXXxXXxXXxXXxXXxXXxXX", want{level: protocol.LevelActNow}},
		// Right on every retry: five of the last ten answers right, so not
		// struggling by the window, whatever the first attempts say (the
		// wheel-spinning rule speaks for such a student).
		{"ten problems wrong first time, right on retry", "xOxOxOxOxOxOxOxOxOxO", want{level: protocol.LevelWatch, lingering: true}},
		{"nine problems wrong first time, right on retry", "xOxOxOxOxOxOxOxOxO", want{level: protocol.LevelWatch, lingering: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			s.Attempts = tries("frac.add", tt.pattern, t0)
			s.Firsts = firstsOf(s.Attempts)
			now := s.Attempts[len(s.Attempts)-1].At
			s.LastAction = now
			f := check(t, Evaluate(s, testGraph(), th, now), protocol.RuleStruggle, tt.want)
			if tt.want.level == protocol.LevelActNow {
				fs := last(s.Firsts, 10)
				if got := len(f.Evidence.Attempts); got != 10 || f.Evidence.Since != fs[0].At {
					t.Errorf("evidence of %d attempts since %d, want the last 10 problems since %d", got, f.Evidence.Since, fs[0].At)
				}
			} else if tt.want.level != "" {
				if got := len(f.Evidence.Attempts); got != 10 {
					t.Errorf("evidence of %d attempts, want 10", got)
				}
				if f.Evidence.Since != s.Attempts[len(s.Attempts)-10].At {
					t.Errorf("since %d, want the oldest attempt of the window", f.Evidence.Since)
				}
			}
		})
	}
}

func TestStuck(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name  string
		n     int
		p     float64
		skill protocol.SkillID // practised now; "" for frac.add
		want  want
	}{
		{"six problems", 6, 0.3, "", want{}},
		{"nine problems, no forecast: only lingers", -9, 0.3, "", want{level: protocol.LevelActNow, lingering: true}},
		{"ten problems", 10, 0.3, "", want{level: protocol.LevelActNow}},
		{"just below 0.8", 12, 0.7999, "", want{level: protocol.LevelActNow}},
		{"0.8: lingers until mastered", 12, 0.8, "", want{level: protocol.LevelActNow, lingering: true}},
		{"mastered", 12, 0.95, "", want{}},
		// Left for another skill while among the recent problems: lingers.
		{"moved on to another skill", 12, 0.3, "frac.mixed", want{level: protocol.LevelActNow, lingering: true}},
		// Wheel-spinning by the definition, but right on most of the last
		// problems: the teacher should know, not come at once.
		{"ten problems, not failing now", -10, 0.3, "", want{level: protocol.LevelWatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			s.Mastery["frac.add"] = tt.p
			pattern := "xoxxxxx" // failing now: 6 of the last 7 problems wrong
			if tt.n < 0 {
				tt.n, pattern = -tt.n, "oxoxoox"
			}
			s.FirstAttempts = map[protocol.SkillID]int{"frac.add": tt.n}
			if tt.skill != "" {
				s.Skill = tt.skill
			}
			s.Attempts = tries("frac.add", pattern, t0)
			s.Firsts = firstsOf(s.Attempts)
			f := check(t, Evaluate(s, testGraph(), th, t0+5*minute), protocol.RuleStuck, tt.want)
			if tt.want.level != "" {
				if len(f.Evidence.LowSkills) != 1 || f.Evidence.LowSkills[0].P != tt.p {
					t.Errorf("low skills %+v", f.Evidence.LowSkills)
				}
				if f.Help == nil || f.Help.Title != "Review: adding fractions" {
					t.Errorf("help %+v, want the skill's own lesson", f.Help)
				}
			}
		})
	}
	t.Run("no estimate", func(t *testing.T) {
		s := learner(t0)
		delete(s.Mastery, "frac.add")
		s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 30}
		check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleStuck, want{})
	})
}

func TestPrereqGap(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name    string
		skill   protocol.SkillID
		mastery map[protocol.SkillID]float64
		pattern string
		want    want
		help    protocol.SkillID // the lesson suggested
	}{
		{"direct prerequisite low, two of four wrong", "frac.add",
			map[protocol.SkillID]float64{"frac.eq": 0.2, "arith": 0.9, "frac.add": 0.3}, "ooxoox",
			want{level: protocol.LevelActNow}, "frac.eq"},
		{"only one of four wrong: lingers", "frac.add",
			map[protocol.SkillID]float64{"frac.eq": 0.2, "arith": 0.9, "frac.add": 0.3}, "xxooox",
			want{level: protocol.LevelActNow, lingering: true}, "frac.eq"},
		{"skill mastered", "frac.add",
			map[protocol.SkillID]float64{"frac.eq": 0.2, "arith": 0.9, "frac.add": 0.96}, "ooxo",
			want{}, ""},
		{"prerequisite at the threshold is no gap", "frac.add",
			map[protocol.SkillID]float64{"frac.eq": 0.4, "arith": 0.9, "frac.add": 0.3}, "xxxx",
			want{}, ""},
		{"prerequisite unknown is no gap", "frac.add",
			map[protocol.SkillID]float64{"arith": 0.9, "frac.add": 0.3}, "xxxx",
			want{}, ""},
		{"two steps back", "frac.mixed",
			map[protocol.SkillID]float64{"frac.eq": 0.1, "frac.add": 0.9, "frac.mixed": 0.2}, "xx",
			want{level: protocol.LevelActNow}, "frac.eq"},
		{"three steps back is too far", "frac.word",
			map[protocol.SkillID]float64{"frac.eq": 0.1, "frac.add": 0.9, "frac.mixed": 0.9}, "xxxx",
			want{}, ""},
		{"the lowest of two comes first", "frac.add",
			map[protocol.SkillID]float64{"frac.eq": 0.3, "arith": 0.1}, "xx",
			want{level: protocol.LevelActNow}, "arith"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			s.Skill, s.Mastery = tt.skill, tt.mastery
			s.Attempts = tries(tt.skill, tt.pattern, t0)
			f := check(t, Evaluate(s, testGraph(), th, t0+5*minute), protocol.RulePrereqGap, tt.want)
			if tt.want.level == "" {
				return
			}
			if f.Help == nil || f.Help.Skill != tt.help {
				t.Fatalf("help %+v, want the lesson of %s", f.Help, tt.help)
			}
			if f.Skill != tt.skill {
				t.Errorf("skill %s, want the one practised, %s", f.Skill, tt.skill)
			}
			if !slices.IsSortedFunc(f.Evidence.LowSkills, func(a, b protocol.SkillMastery) int {
				return int(1e6*a.P) - int(1e6*b.P)
			}) || f.Evidence.LowSkills[0].P >= th.PrereqMastery {
				t.Errorf("low skills not lowest first: %+v", f.Evidence.LowSkills)
			}
		})
	}
}

func TestPrereqGapHelp(t *testing.T) {
	s := learner(t0)
	s.Mastery["frac.eq"] = 0.15
	s.Attempts = tries("frac.add", "xoxx", t0)
	g := testGraph()
	f, ok := find(Evaluate(s, g, DefaultThresholds(), t0+2*minute), protocol.RulePrereqGap)
	if !ok {
		t.Fatal("no gap found")
	}
	want := &protocol.Help{
		Skill: "frac.eq", Title: "Review: equivalent fractions",
		Items:  []protocol.ItemID{"frac.eq.r1", "frac.eq.r2"},
		Advice: "Send the lesson on Equivalent fractions before going on with Adding fractions.",
	}
	if !reflect.DeepEqual(f.Help, want) {
		t.Errorf("help\n got %+v\nwant %+v", f.Help, want)
	}
	// The graph's lesson is copied, not shared.
	f.Help.Items[0] = "changed"
	if g["frac.eq"].Lesson.Items[0] != "frac.eq.r1" {
		t.Error("the finding's help shares the graph's items")
	}
	if !strings.Contains(f.Evidence.Summary, "Equivalent fractions is at 0.15") {
		t.Errorf("summary %q", f.Evidence.Summary)
	}
}

func TestPrereqCycle(t *testing.T) {
	g := StaticGraph{
		"a": {Prereqs: []protocol.SkillID{"b"}},
		"b": {Prereqs: []protocol.SkillID{"a", "b"}},
	}
	s := Student{ID: "s", Skill: "a", Record: Record{Mastery: map[protocol.SkillID]float64{"a": 0.1, "b": 0.1}, Attempts: tries("a", "xx", t0)}}
	th := DefaultThresholds()
	th.PrereqDepth = 4
	f, ok := find(Evaluate(s, g, th, t0), protocol.RulePrereqGap)
	if !ok || len(f.Evidence.LowSkills) != 2 {
		t.Errorf("got %+v, want one gap naming a and b", f)
	}
}

func TestGaming(t *testing.T) {
	th := DefaultThresholds()
	// An action is too fast when it comes sooner than a deliberate read
	// of what it answers.
	tests := []struct {
		name string
		fast int // of the last ten actions
		want want
	}{
		{"none", 0, want{}},
		{"two: lingers", 2, want{level: protocol.LevelWatch, lingering: true}},
		{"three", 3, want{level: protocol.LevelWatch}},
		{"four", 4, want{level: protocol.LevelWatch}},
		{"five", 5, want{level: protocol.LevelActNow}},
		{"ten", 10, want{level: protocol.LevelActNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			for i := range MaxActions {
				a := Action{Kind: KindAttempt, Ms: 20 * second, ReadMs: 8 * second, At: t0 + int64(i)*second}
				if i >= MaxActions-tt.fast {
					a.Ms = 2 * second
					if i%2 == 0 {
						a.Kind, a.ReadMs = KindHint, 4*second
					}
				}
				s.Actions = append(s.Actions, a)
			}
			check(t, Evaluate(s, testGraph(), th, t0+11*second), protocol.RuleGaming, tt.want)
		})
	}
	t.Run("exactly the read time is not too fast", func(t *testing.T) {
		s := learner(t0)
		for i := range 5 {
			s.Actions = append(s.Actions, Action{Kind: KindAttempt, Ms: 8 * second, ReadMs: 8 * second, At: t0 + int64(i)})
		}
		check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleGaming, want{})
	})
	t.Run("unknown read time is never too fast", func(t *testing.T) {
		s := learner(t0)
		for i := range 5 {
			s.Actions = append(s.Actions, Action{Kind: KindHint, Ms: 0, At: t0 + int64(i)})
		}
		check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleGaming, want{})
	})
	t.Run("fast actions older than the last ten do not count", func(t *testing.T) {
		s := learner(t0)
		for i := range 15 {
			ms := 20 * second
			if i < 5 {
				ms = time1
			}
			s.Actions = append(s.Actions, Action{Kind: KindAttempt, Ms: ms, ReadMs: 8 * second, At: t0 + int64(i)})
		}
		check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleGaming, want{})
	})
	t.Run("evidence", func(t *testing.T) {
		s := learner(t0)
		s.Attempts = tries("frac.add", "xxxxx", t0)
		for i := range s.Attempts {
			s.Attempts[i].Ms = time1
			s.Actions = append(s.Actions, Action{Kind: KindAttempt, Ms: time1, ReadMs: 8 * second, At: s.Attempts[i].At})
		}
		f := check(t, Evaluate(s, testGraph(), th, t0+3*minute), protocol.RuleGaming, want{level: protocol.LevelActNow})
		if len(f.Evidence.Attempts) != 5 || f.Evidence.Since != t0 {
			t.Errorf("evidence %+v", f.Evidence)
		}
	})
}

// time1 is a rushed answer: one second.
const time1 = second

func TestHelp(t *testing.T) {
	s := learner(t0)
	check(t, Evaluate(s, testGraph(), DefaultThresholds(), t0), protocol.RuleHelp, want{})
	s.HandUp, s.HandSince = true, t0+minute
	f := check(t, Evaluate(s, testGraph(), DefaultThresholds(), t0+2*minute), protocol.RuleHelp, want{level: protocol.LevelActNow})
	if f.Evidence.Since != t0+minute {
		t.Errorf("since %d, want when the hand went up", f.Evidence.Since)
	}
	s.HandSince = 0
	f = check(t, Evaluate(s, testGraph(), DefaultThresholds(), t0+2*minute), protocol.RuleHelp, want{level: protocol.LevelActNow})
	if f.Evidence.Since != t0+2*minute {
		t.Errorf("since %d, want now when the hand's time is unknown", f.Evidence.Since)
	}
}

func TestDoingWell(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name    string
		pattern string
		want    want
	}{
		{"nine right: not enough yet", "ooooooooo", want{}},
		{"eight of ten", "ooxoooxooo", want{level: protocol.LevelInfo}},
		{"seven of ten: lingers", "ooxoxoxooo", want{level: protocol.LevelInfo, lingering: true}},
		{"six of ten: lingers", "oxxoxoxooo", want{level: protocol.LevelInfo, lingering: true}},
		{"five of ten: gone", "oxxoxoxoxo", want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			s.Attempts = tries("frac.add", tt.pattern, t0)
			f := check(t, Evaluate(s, testGraph(), th, t0+5*minute), protocol.RuleDoingWell, tt.want)
			if tt.want.level != "" && (f.Help == nil || f.Help.Advice == "") {
				t.Error("no enrichment suggestion")
			}
		})
	}
}

func TestEvaluateOrderAndIdentity(t *testing.T) {
	s := learner(t0)
	s.Mastery["frac.eq"], s.Mastery["frac.add"] = 0.1, 0.2
	s.Attempts = tries("frac.add", "xxxxxxxxxx", t0)
	s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 10}
	s.HandUp, s.HandSince = true, t0
	fs := Evaluate(s, testGraph(), DefaultThresholds(), t0+30*minute)
	var rules []protocol.FlagRule
	for _, f := range fs {
		rules = append(rules, f.Rule)
		if f.Student != "s1" || f.Name != "Olivia" {
			t.Errorf("%s: student %q %q", f.Rule, f.Student, f.Name)
		}
		if f.Need < 0 || f.Need > 1 {
			t.Errorf("%s: need %v", f.Rule, f.Need)
		}
	}
	want := []protocol.FlagRule{protocol.RuleHelp, protocol.RulePrereqGap, protocol.RuleStuck, protocol.RuleStruggle}
	if !slices.Equal(rules, want) {
		t.Errorf("rules %v, want %v", rules, want)
	}
}

func TestEvaluateNilGraph(t *testing.T) {
	s := learner(t0)
	s.Mastery["frac.eq"] = 0.1
	s.Attempts = tries("frac.add", "xxxxxxxxxx", t0)
	fs := Evaluate(s, nil, DefaultThresholds(), t0+10*minute)
	if _, ok := find(fs, protocol.RulePrereqGap); ok {
		t.Error("a gap without a graph")
	}
	if _, ok := find(fs, protocol.RuleStruggle); !ok {
		t.Error("no struggle without a graph")
	}
}

func TestEvaluateLooksOnlyAtTheBounds(t *testing.T) {
	// A history longer than the bounds (a room that kept more) gives the
	// same findings as its last MaxAttempts and MaxActions.
	s := learner(t0)
	s.Attempts = tries("frac.add", "xxxxxxxxxxxxxxxxxxxxooooooooooooooooooo", t0)
	for i := range 30 {
		s.Actions = append(s.Actions, Action{Kind: KindAttempt, Ms: time1, ReadMs: 8 * second, At: t0 + int64(i)})
	}
	cut := s.Clone()
	cut.Attempts = cut.Attempts[len(cut.Attempts)-MaxAttempts:]
	cut.Actions = cut.Actions[len(cut.Actions)-MaxActions:]
	now := t0 + 30*minute
	if a, b := Evaluate(s, testGraph(), DefaultThresholds(), now), Evaluate(cut, testGraph(), DefaultThresholds(), now); !reflect.DeepEqual(a, b) {
		t.Errorf("long history:\n%+v\nbounded:\n%+v", a, b)
	}
}

func TestClassIdle(t *testing.T) {
	th := DefaultThresholds()
	now := t0 + 30*minute
	class := func(idleFor ...int64) []Student {
		var out []Student
		for i, d := range idleFor {
			s := learner(now - d)
			s.ID, s.Name = protocol.StudentID(fmt.Sprint("s", i)), fmt.Sprint("S", i)
			out = append(out, s)
		}
		return out
	}
	// Three idle: each on their own.
	if got, f := ClassIdle(class(3*minute, 3*minute, 3*minute, 0), nil, th, now); got != nil || f != nil {
		t.Errorf("three idle: %v, %v", got, f)
	}
	// Four idle past the watch mark: together, one notice at watch.
	got, f := ClassIdle(class(3*minute, 3*minute, 4*minute, 6*minute, 0), nil, th, now)
	if len(got) != 4 || f == nil || f.Level != protocol.LevelWatch || f.Student != ClassNotice || f.Lingering ||
		!strings.HasPrefix(f.Evidence.Summary, "4 students idle at once (S0, S1, S2, S3)") || f.Evidence.Since != now-6*minute {
		t.Fatalf("four idle: %v, %+v", got, f)
	}
	// Going quiet together: one past the mark, three about to be. Nobody
	// is flagged alone, no notice yet.
	if got, f := ClassIdle(class(2*minute, 110*second, 100*second, 90*second), nil, th, now); len(got) != 4 || f != nil {
		t.Errorf("about to be idle together: %v, %v", got, f)
	}
	s := class(3*minute, 0)[0]
	s.Together = true
	if _, ok := find(Evaluate(s, testGraph(), th, now), protocol.RuleIdle); ok {
		t.Error("a student idle with the class has an idle finding of their own")
	}
	// A live notice keeps those it covers, lingering, as others resume.
	notice := protocol.Flag{Status: protocol.FlagOpen, Opened: now - 2*minute}
	got, f = ClassIdle(class(6*minute, 6*minute, 0, 0, 30*second), &notice, th, now)
	if len(got) != 2 || f == nil || !f.Lingering {
		t.Errorf("two left of a quiet class: %v, %+v", got, f)
	}
	// Idle since after the notice opened: not covered.
	if got, f := ClassIdle(class(minute+30*second, 0), &notice, th, now); got != nil || f != nil {
		t.Errorf("idle after the notice: %v, %v", got, f)
	}
	th.IdleClass = 0
	if got, f := ClassIdle(class(3*minute, 3*minute, 3*minute, 3*minute), nil, th, now); got != nil || f != nil {
		t.Errorf("idle_class 0: %v, %v", got, f)
	}
}

// The forecast of wheel-spinning: after stuck_early problems on a skill,
// still below stuck_early_mastery, with most of them wrong first time, the
// student is flagged before the tenth problem; a student who leaves the
// skill for another keeps the flag while it is among the recent problems.
func TestStuckForecast(t *testing.T) {
	th := DefaultThresholds()
	for _, tt := range []struct {
		name    string
		pattern string // first attempts on frac.add, oldest first
		p       float64
		skill   protocol.SkillID // practised now
		want    want
	}{
		{"five of seven wrong", "xoxxoxx", 0.3, "frac.add", want{level: protocol.LevelActNow}},
		{"four of seven wrong: only lingers", "xoxoxox", 0.3, "frac.add", want{level: protocol.LevelActNow, lingering: true}},
		{"five of seven wrong but nearly known", "xoxxoxx", 0.45, "frac.add", want{level: protocol.LevelActNow, lingering: true}},
		{"moved on: lingers on the skill left", "xoxxoxx", 0.3, "frac.mixed", want{level: protocol.LevelActNow, lingering: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			s.Skill = tt.skill
			s.Mastery["frac.add"] = tt.p
			s.FirstAttempts = map[protocol.SkillID]int{"frac.add": len(tt.pattern)}
			s.Firsts = tries("frac.add", tt.pattern, t0-10*minute)
			s.Attempts = s.Firsts
			f := check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleStuck, tt.want)
			if f.Skill != "frac.add" {
				t.Errorf("stuck on %s, want frac.add", f.Skill)
			}
			if (f.Forecast && !f.Lingering) != !tt.want.lingering {
				t.Errorf("forecast %v, want it only while the forecast holds", f.Forecast)
			}
			// The last problem wrong first time: when the student last failed.
			if last := s.Firsts[len(s.Firsts)-1]; f.Failed != last.At {
				t.Errorf("failed at %d, want the last first attempt's %d", f.Failed, last.At)
			}
		})
	}
}

// With the forecast off, stuck holds from stuck_attempts problems only,
// lingering included.
func TestStuckWithoutForecast(t *testing.T) {
	th := DefaultThresholds()
	th.StuckEarly = 0
	s := learner(t0)
	s.Mastery["frac.add"] = 0.3
	s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 7}
	s.Firsts = tries("frac.add", "xxxxxxx", t0-10*minute)
	s.Attempts = s.Firsts
	check(t, Evaluate(s, testGraph(), th, t0), protocol.RuleStuck, want{})
}
