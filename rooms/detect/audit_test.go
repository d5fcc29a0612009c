package detect

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// logOf writes the actions of one student: per problem, a pattern of
// 'o' right, 'x' wrong, 'h' a hint; one problem each gap apart.
type logOf struct {
	acts []LogAction
	n    int
}

func (l *logOf) problem(student protocol.StudentID, skill protocol.SkillID, at int64, pattern string) int64 {
	l.n++
	item := protocol.ItemID(fmt.Sprintf("p%d", l.n))
	for _, c := range pattern {
		at += 20 * second
		l.acts = append(l.acts, LogAction{Student: student, At: at, Hint: c == 'h', Correct: c == 'o', Item: item,
			Step: string(item) + "/1", Skill: skill, Line: len(l.acts) + 2})
	}
	return at
}

func auditConfig() AuditConfig {
	return AuditConfig{Thresholds: DefaultThresholds(), Params: mastery.Default, Gap: DefaultGap}
}

func TestAuditLines(t *testing.T) {
	var l logOf
	at := t0
	at = l.problem("a", "k", at, "hxo") // a hint first: a wrong first attempt
	at = l.problem("a", "k", at, "o")
	at = l.problem("a", "k", at, "xo")
	// An hour later: a new class period; mastery carries over.
	l.problem("a", "k", at+60*minute, "o")
	l.problem("b", "k", t0, "o")
	var lines []FirstAttempt
	sum, err := Audit(l.acts, auditConfig(), func(fa FirstAttempt) error { lines = append(lines, fa); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 || sum.FirstAttempts != 5 || sum.Wrong != 2 || sum.Actions != 8 {
		t.Fatalf("%d lines, %d first attempts, %d wrong, %d actions; want 5, 5, 2, 8", len(lines), sum.FirstAttempts, sum.Wrong, sum.Actions)
	}
	if sum.Students != 2 || sum.Periods != 3 || sum.Classes != 2 {
		t.Errorf("%d students, %d periods, %d classes; want 2, 3, 2", sum.Students, sum.Periods, sum.Classes)
	}
	var a []FirstAttempt
	for _, fa := range lines {
		if fa.Student == "a" {
			a = append(a, fa)
		}
	}
	if !a[0].Hint || a[0].Correct || a[0].P != mastery.Default.L0 || a[0].Opportunity != 1 {
		t.Errorf("first line %+v", a[0])
	}
	p := mastery.Default
	want := p.Update(p.Update(p.Update(p.L0, false), true), false)
	if a[3].Period != 2 || a[3].Opportunity != 4 || math.Abs(a[3].P-want) > 1e-12 {
		t.Errorf("the line of the second period: %+v, want period 2, opportunity 4, p %v", a[3], want)
	}
	// a's first period runs from the first action to the last, 100 s; the
	// others are one action each.
	if want := 100.0 / 60; math.Abs(sum.StudentMinutes-want) > 1e-9 {
		t.Errorf("student-minutes %v, want %v", sum.StudentMinutes, want)
	}
	// The same log gives the same figures.
	again, _ := Audit(l.acts, auditConfig(), nil)
	if !reflect.DeepEqual(jsonNaN(sum), jsonNaN(again)) {
		t.Error("not deterministic")
	}
}

// jsonNaN makes NaNs comparable.
func jsonNaN(s AuditSummary) AuditSummary {
	for _, f := range []*Figures{&s.Flags, &s.ActNow, &s.Raw} {
		for _, v := range []*float64{&f.Lift, &f.Early, &f.AlertRate} {
			if math.IsNaN(*v) {
				*v = -1
			}
		}
	}
	return s
}

// A student who gets a skill wrong over and over wheel-spins by Beck &
// Gong's definition; classhub and the raw rules flag them before the
// tenth opportunity, on that skill. A student who masters the skill at
// once is never flagged.
func TestAuditWheelSpinning(t *testing.T) {
	var l logOf
	at := t0
	for i := range 14 {
		pattern := "xx"
		if i%4 == 3 {
			pattern = "o"
		}
		at = l.problem("spinner", "k", at, pattern)
	}
	at = t0
	for range 14 {
		at = l.problem("able", "k", at, "o")
	}
	var lines []FirstAttempt
	sum, err := Audit(l.acts, auditConfig(), func(fa FirstAttempt) error { lines = append(lines, fa); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.WheelPairs != 1 || sum.MasteredPairs != 1 {
		t.Fatalf("%d wheel-spinning and %d mastered pairs, want 1 and 1", sum.WheelPairs, sum.MasteredPairs)
	}
	if sum.Flags.Warned != 1 || sum.Raw.Warned != 1 || sum.Flags.MasteredWarned != 0 {
		t.Errorf("warned: classhub %d, raw %d, of those who mastered %d; want 1, 1, 0", sum.Flags.Warned, sum.Raw.Warned, sum.Flags.MasteredWarned)
	}
	if sum.Flags.Flagged == 0 || sum.Flags.Lift <= 1 || sum.Raw.Lift <= 1 {
		t.Errorf("flagged %d, lift %v (raw %v): want flags that foretell wrong answers", sum.Flags.Flagged, sum.Flags.Lift, sum.Raw.Lift)
	}
	for _, fa := range lines {
		if fa.Student == "able" && len(fa.Flags) > 0 && fa.Flags[0].Rule != protocol.RuleDoingWell {
			t.Errorf("a student doing well flagged: %+v", fa)
		}
	}
	if sum.Rules[protocol.RuleStruggle] == nil || sum.RawRules[protocol.RuleStruggle] == 0 {
		t.Errorf("rules %v, raw %v", sum.Rules, sum.RawRules)
	}
}

// A pause inside a class period is seen by the idle rule as the room sees
// it; a pause of Gap or more ends the period and raises nothing.
func TestAuditIdleAndPeriods(t *testing.T) {
	var l logOf
	at := l.problem("a", "k", t0, "o")
	at = l.problem("a", "k", at+10*minute, "o")
	l.problem("a", "k", at+DefaultGap, "o")
	sum, err := Audit(l.acts, auditConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Periods != 2 {
		t.Fatalf("%d periods, want 2", sum.Periods)
	}
	idle := sum.Rules[protocol.RuleIdle]
	// The student was answering right: the silence stays at watch.
	if idle == nil || idle.Opened != 1 || sum.ActNow.Alerts != 0 {
		t.Errorf("idle %+v, act-now alerts %d: want one idle flag, at watch", idle, sum.ActNow.Alerts)
	}
}

// Many students idle at once make one class-level notice, and no idle
// flag each; one student idle alone is flagged.
func TestAuditClassIdle(t *testing.T) {
	var l logOf
	for i := range 5 {
		id := protocol.StudentID(fmt.Sprintf("s%d", i))
		at := l.problem(id, "k", t0+int64(i)*second, "o")
		// All pause for ten minutes at about the same time; s4 again,
		// alone, later.
		at = l.problem(id, "k", at+10*minute, "o")
		if i == 4 {
			at = l.problem(id, "k", at+10*minute, "o")
		}
		l.problem(id, "k", at+minute, "o")
	}
	sum, err := Audit(l.acts, auditConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Classes != 1 || sum.ClassNotices != 1 {
		t.Fatalf("%d classes, %d class notices; want 1 and 1", sum.Classes, sum.ClassNotices)
	}
	if idle := sum.Rules[protocol.RuleIdle]; idle == nil || idle.Opened != 1 || idle.ActNow != 0 {
		t.Errorf("idle flags %+v, want one: the student idle alone", idle)
	}
}

// The replay runs act now's persistence as the room does: a student who
// fails problem after problem and then gets the next ones right never
// calls the teacher; one who fails one more problem does; and with
// act_now_persist_ms 0 the first does too.
func TestAuditActNowPersists(t *testing.T) {
	fails := func(wrong int, then string) []LogAction {
		var l logOf
		at := t0
		// Three skills in turn, five problems or fewer wrong on each:
		// struggle, not wheel-spinning.
		for i := range wrong {
			at = l.problem("a", protocol.SkillID(fmt.Sprintf("k%d", i%3)), at, "x")
		}
		for i, c := range then {
			at = l.problem("a", protocol.SkillID(fmt.Sprintf("k%d", (wrong+i)%3)), at, string(c))
		}
		return l.acts
	}
	for _, tt := range []struct {
		name    string
		acts    []LogAction
		persist int64
		want    int
	}{
		{"a dip fixed at once", fails(13, "oooooo"), 2 * minute, 0},
		{"one more problem failed", fails(14, "oooooo"), 2 * minute, 1},
		{"a dip fixed at once, no persistence", fails(13, "oooooo"), 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := auditConfig()
			cfg.Thresholds.ActNowPersistMs = tt.persist
			sum, err := Audit(tt.acts, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc := sum.Rules[protocol.RuleStruggle]
			if sum.ActNow.Alerts != tt.want || rc == nil || rc.ActNow != tt.want {
				t.Errorf("act-now alerts %d, struggle %+v; want %d, all on struggle", sum.ActNow.Alerts, rc, tt.want)
			}
		})
	}
}
