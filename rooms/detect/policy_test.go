package detect

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// finding builds a finding of rule at level for student s1.
func finding(rule protocol.FlagRule, level protocol.FlagLevel, need float64) Finding {
	return Finding{
		Student: "s1", Name: "Olivia", Rule: rule, Level: level, Skill: "frac.add", Need: need,
		Evidence: protocol.Evidence{Summary: "Because " + string(rule) + ".", Since: t0},
	}
}

func lingering(f Finding) Finding { f.Lingering = true; return f }

// flag is a live flag as Reconcile would have opened it from f at t.
func flag(id protocol.FlagID, f Finding, t int64) protocol.Flag {
	return opened(f, t, id)
}

func kinds(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+":"+string(c.Flag.Rule)+":"+string(c.Flag.Level))
	}
	return out
}

func TestReconcileOpen(t *testing.T) {
	f := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)
	f.Help = &protocol.Help{Skill: "frac.add", Advice: "Sit with them."}
	cs := Reconcile(nil, []Finding{f}, t0, ids())
	if len(cs) != 1 || cs[0].Kind != ChangeOpen {
		t.Fatalf("changes %v, want one open", kinds(cs))
	}
	g := cs[0].Flag
	want := protocol.Flag{
		ID: "00000000-0000-4000-8000-000000000001", Student: "s1", Name: "Olivia",
		Rule: protocol.RuleStruggle, Level: protocol.LevelActNow, Status: protocol.FlagOpen,
		Skill: "frac.add", Opened: t0, Updated: t0, Need: 0.6, Evidence: f.Evidence, Help: f.Help,
	}
	if !g.ID.Valid() {
		t.Errorf("ID %q is not a UUID", g.ID)
	}
	if g.ID != want.ID || g.Student != want.Student || g.Rule != want.Rule || g.Level != want.Level ||
		g.Status != want.Status || g.Opened != want.Opened || g.Need != want.Need || g.Help != want.Help ||
		g.Evidence.Summary != want.Evidence.Summary {
		t.Errorf("flag\n got %+v\nwant %+v", g, want)
	}
}

func TestReconcileMerge(t *testing.T) {
	gap := finding(protocol.RulePrereqGap, protocol.LevelActNow, 0.8)
	gap.Help = &protocol.Help{Skill: "frac.eq", Title: "Review: equivalent fractions"}
	gap.Evidence.LowSkills = []protocol.SkillMastery{{Skill: "frac.eq", P: 0.2}}
	stuck := finding(protocol.RuleStuck, protocol.LevelActNow, 0.6)
	struggle := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.7)
	struggle.Evidence.Attempts = []protocol.AttemptSummary{{Item: "i1"}}
	struggle.Evidence.Since = t0 - minute
	idle := finding(protocol.RuleIdle, protocol.LevelWatch, 0.35)
	well := finding(protocol.RuleDoingWell, protocol.LevelInfo, 0.15)

	// Given in any order, the three act-now conditions and the watch one
	// make one flag; doing well is its own.
	cs := Reconcile(nil, []Finding{idle, struggle, well, stuck, gap}, t0, ids())
	if got, want := kinds(cs), []string{"open:prereq_gap:act_now", "open:doing_well:info"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	m := cs[0].Flag
	wantSummary := "Because prereq_gap. Also because stuck. Also because struggle. Also because idle."
	if m.Evidence.Summary != wantSummary {
		t.Errorf("summary %q, want %q", m.Evidence.Summary, wantSummary)
	}
	if m.Help != gap.Help {
		t.Errorf("help %+v, want the prerequisite's lesson", m.Help)
	}
	if len(m.Evidence.Attempts) != 1 || len(m.Evidence.LowSkills) != 1 {
		t.Errorf("evidence %+v, want the attempts of one and the skills of another", m.Evidence)
	}
	if m.Evidence.Since != t0-minute {
		t.Errorf("since %d, want the earliest", m.Evidence.Since)
	}
	if want := 0.8 + 3*MergeBonus; math.Abs(m.Need-want) > 1e-12 {
		t.Errorf("need %v, want %v", m.Need, want)
	}

	// The help rule outranks the rest, and a watch finding never leads an
	// act-now one.
	hand := finding(protocol.RuleHelp, protocol.LevelActNow, 0.8)
	if got := Merge([]Finding{idle, stuck, hand}); got.Rule != protocol.RuleHelp || got.Level != protocol.LevelActNow {
		t.Errorf("merged %s %s, want help act_now", got.Rule, got.Level)
	}
	idleNow := finding(protocol.RuleIdle, protocol.LevelActNow, 0.5)
	gaming := finding(protocol.RuleGaming, protocol.LevelWatch, 0.5)
	if got := Merge([]Finding{gaming, idleNow}); got.Rule != protocol.RuleIdle {
		t.Errorf("merged %s, want idle (act now) over gaming (watch)", got.Rule)
	}
}

func TestReconcileEscalate(t *testing.T) {
	watch := finding(protocol.RuleIdle, protocol.LevelWatch, 0.35)
	f := flag("f1", watch, t0)
	f.Status, f.Acked = protocol.FlagAcked, t0+10*second
	now := t0 + 3*minute
	cs := Reconcile([]protocol.Flag{f}, []Finding{finding(protocol.RuleIdle, protocol.LevelActNow, 0.5)}, now, ids())
	if len(cs) != 1 || cs[0].Kind != ChangeEscalate {
		t.Fatalf("changes %v, want one escalation", kinds(cs))
	}
	g := cs[0].Flag
	if g.ID != "f1" || g.Level != protocol.LevelActNow || g.Status != protocol.FlagOpen || g.Acked != f.Acked || g.Updated != now || g.Opened != t0 {
		t.Errorf("escalated %+v", g)
	}

	// A watch flag joined by an act-now condition of another rule
	// escalates too, and takes the stronger rule.
	cs = Reconcile([]protocol.Flag{flag("f1", watch, t0)}, []Finding{watch, finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)}, now, ids())
	if got, want := kinds(cs), []string{"escalate:struggle:act_now"}; !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}

func TestReconcileLevelNeverDrops(t *testing.T) {
	f := flag("f1", finding(protocol.RuleGaming, protocol.LevelActNow, 0.6), t0)
	now := t0 + 10*minute
	cs := Reconcile([]protocol.Flag{f}, []Finding{finding(protocol.RuleGaming, protocol.LevelWatch, 0.45)}, now, ids())
	for _, c := range cs {
		if c.Flag.Level != protocol.LevelActNow || c.Kind == ChangeEscalate || c.Kind == ChangeClear {
			t.Errorf("change %s to %s", c.Kind, c.Flag.Level)
		}
	}
}

func TestReconcileClear(t *testing.T) {
	struggle := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)
	gaming := finding(protocol.RuleGaming, protocol.LevelWatch, 0.45)
	now := t0 + 4*minute
	tests := []struct {
		name     string
		flag     Finding
		findings []Finding
		want     []string
	}{
		{"nothing holds", struggle, nil, []string{"clear:struggle:act_now"}},
		{"its own rule lingers", struggle, []Finding{lingering(struggle)}, nil},
		{"another rule only lingers", gaming, []Finding{lingering(struggle)}, []string{"clear:gaming:watch"}},
		{"another rule holds", struggle, []Finding{gaming}, []string{"update:gaming:act_now"}},
		{"only doing well holds", struggle, []Finding{finding(protocol.RuleDoingWell, protocol.LevelInfo, 0.2)},
			[]string{"clear:struggle:act_now", "open:doing_well:info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Reconcile([]protocol.Flag{flag("f1", tt.flag, t0)}, tt.findings, now, ids())
			if got := kinds(cs); !slices.Equal(got, tt.want) {
				t.Fatalf("changes %v, want %v", got, tt.want)
			}
			for _, c := range cs {
				if c.Kind == ChangeClear && (c.Flag.Status != protocol.FlagCleared || c.Flag.Updated != now || c.Flag.ID != "f1") {
					t.Errorf("cleared flag %+v", c.Flag)
				}
			}
		})
	}
}

func TestReconcileLingeringNeverOpens(t *testing.T) {
	fs := []Finding{lingering(finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4)), lingering(finding(protocol.RuleDoingWell, protocol.LevelInfo, 0.15))}
	if cs := Reconcile(nil, fs, t0, ids()); len(cs) != 0 {
		t.Errorf("changes %v, want none", kinds(cs))
	}
	// Nor escalates: a lingering act-now condition on a watch flag.
	f := flag("f1", finding(protocol.RuleStuck, protocol.LevelWatch, 0.4), t0)
	cs := Reconcile([]protocol.Flag{f}, []Finding{lingering(finding(protocol.RuleStuck, protocol.LevelActNow, 0.6))}, t0+minute, ids())
	for _, c := range cs {
		if c.Kind == ChangeEscalate || c.Flag.Level != protocol.LevelWatch {
			t.Errorf("change %s to %s", c.Kind, c.Flag.Level)
		}
	}
}

func TestReconcileCooldown(t *testing.T) {
	actNow := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)
	watch := finding(protocol.RuleGaming, protocol.LevelWatch, 0.45)
	hand := finding(protocol.RuleHelp, protocol.LevelActNow, 0.8)
	closedAt := t0 + 10*minute
	closedFlag := func(f Finding, status protocol.FlagStatus) protocol.Flag {
		g := flag("old", f, t0)
		g.Status, g.Updated = status, closedAt
		return g
	}
	handAfter := hand
	handAfter.Evidence.Since = closedAt + second
	handBefore := hand
	handBefore.Evidence.Since = closedAt - minute
	tests := []struct {
		name     string
		closed   protocol.Flag
		findings []Finding
		after    int64 // since the close
		open     bool
	}{
		{"same rule, just cleared", closedFlag(actNow, protocol.FlagCleared), []Finding{actNow}, minute, false},
		{"same rule, just resolved", closedFlag(actNow, protocol.FlagResolved), []Finding{actNow}, minute, false},
		{"one ms before the cool-down ends", closedFlag(actNow, protocol.FlagCleared), []Finding{actNow}, Cooldown - 1, false},
		{"when it ends", closedFlag(actNow, protocol.FlagCleared), []Finding{actNow}, Cooldown, true},
		{"another rule of the concern, no higher", closedFlag(actNow, protocol.FlagCleared), []Finding{finding(protocol.RuleIdle, protocol.LevelActNow, 0.5)}, minute, false},
		{"lower level", closedFlag(actNow, protocol.FlagResolved), []Finding{watch}, minute, false},
		{"higher level comes back at once", closedFlag(watch, protocol.FlagCleared), []Finding{actNow}, minute, true},
		{"a hand raised after the close", closedFlag(actNow, protocol.FlagResolved), []Finding{handAfter, actNow}, minute, true},
		{"the hand that was resolved", closedFlag(hand, protocol.FlagResolved), []Finding{handBefore}, minute, false},
		{"another concern is not held back", closedFlag(actNow, protocol.FlagCleared), []Finding{finding(protocol.RuleDoingWell, protocol.LevelInfo, 0.2)}, minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := Reconcile([]protocol.Flag{tt.closed}, tt.findings, closedAt+tt.after, ids())
			if got := len(cs) == 1 && cs[0].Kind == ChangeOpen; got != tt.open || (!tt.open && len(cs) != 0) {
				t.Errorf("changes %v, want open = %v", kinds(cs), tt.open)
			}
		})
	}
}

func TestReconcileSnooze(t *testing.T) {
	f := flag("f1", finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4), t0)
	f.Status, f.Snooze = protocol.FlagSnoozed, t0+10*minute
	worse := []Finding{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.9), finding(protocol.RuleStuck, protocol.LevelActNow, 0.7)}
	for _, fs := range [][]Finding{nil, worse} {
		if cs := Reconcile([]protocol.Flag{f}, fs, t0+10*minute-1, ids()); len(cs) != 0 {
			t.Errorf("while snoozed: changes %v, want none", kinds(cs))
		}
	}
	cs := Reconcile([]protocol.Flag{f}, []Finding{finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4)}, t0+10*minute, ids())
	if len(cs) != 1 || cs[0].Kind != ChangeUpdate || cs[0].Flag.Status != protocol.FlagOpen || cs[0].Flag.Snooze != 0 {
		t.Errorf("snooze over, still struggling: %v %+v, want an update back to open", kinds(cs), cs)
	}
	cs = Reconcile([]protocol.Flag{f}, worse, t0+10*minute, ids())
	if got, want := kinds(cs), []string{"escalate:stuck:act_now"}; !slices.Equal(got, want) || cs[0].Flag.Status != protocol.FlagOpen {
		t.Errorf("snooze over, worse: %v, want %v", got, want)
	}
	cs = Reconcile([]protocol.Flag{f}, nil, t0+10*minute, ids())
	if got, want := kinds(cs), []string{"clear:struggle:watch"}; !slices.Equal(got, want) {
		t.Errorf("snooze over, gone: %v, want %v", got, want)
	}
}

func TestReconcileUpdateOnlyWhenMeaningful(t *testing.T) {
	base := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)
	base.Help = &protocol.Help{Skill: "frac.add", Title: "Review: adding fractions"}
	tests := []struct {
		name   string
		edit   func(f *Finding)
		after  int64
		update bool
	}{
		{"nothing new", nil, 10 * minute, false},
		{"another rule leads", func(f *Finding) { f.Rule = protocol.RuleStuck }, second, true},
		{"another skill, after the refresh time", func(f *Finding) { f.Skill = "frac.mixed" }, Refresh, true},
		{"another skill, before it", func(f *Finding) { f.Skill = "frac.mixed" }, Refresh - 1, false},
		{"other help, after the refresh time", func(f *Finding) { f.Help = &protocol.Help{Skill: "frac.eq"} }, Refresh, true},
		{"other help, before it", func(f *Finding) { f.Help = &protocol.Help{Skill: "frac.eq"} }, second, false},
		{"no help any more", func(f *Finding) { f.Help = nil }, Refresh, true},
		{"need up a step, a minute on", func(f *Finding) { f.Need += NeedStep }, UpdateGap, true},
		{"need up a step, too soon", func(f *Finding) { f.Need += NeedStep }, UpdateGap - 1, false},
		{"need up less than a step", func(f *Finding) { f.Need += NeedStep / 2 }, 10 * minute, false},
		{"need down", func(f *Finding) { f.Need -= 0.3 }, 2 * minute, false},
		{"new words, after the refresh time", func(f *Finding) { f.Evidence.Summary = "New." }, Refresh, true},
		{"new words, before it", func(f *Finding) { f.Evidence.Summary = "New." }, Refresh - 1, false},
		{"only the attempts changed", func(f *Finding) { f.Evidence.Attempts = []protocol.AttemptSummary{{Item: "x"}} }, 10 * minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := flag("f1", base, t0)
			next := base
			if tt.edit != nil {
				tt.edit(&next)
			}
			cs := Reconcile([]protocol.Flag{f}, []Finding{next}, t0+tt.after, ids())
			if got := len(cs) == 1 && cs[0].Kind == ChangeUpdate; got != tt.update || (!tt.update && len(cs) != 0) {
				t.Fatalf("changes %v, want update = %v", kinds(cs), tt.update)
			}
			if tt.update {
				g := cs[0].Flag
				if g.ID != "f1" || g.Opened != t0 || g.Updated != t0+tt.after || g.Rule != next.Rule || g.Need != next.Need {
					t.Errorf("updated %+v", g)
				}
			}
		})
	}
}

// A struggling student answering wrong every 20 s for ten minutes gets
// a handful of updates, not one per answer.
func TestReconcileUpdatesAreFew(t *testing.T) {
	s := learner(t0)
	s.Attempts = tries("frac.add", "xxxxxxxxxxxxxxxxxxxx", t0)
	next := ids()
	var flags []protocol.Flag
	updates, answers := 0, 0
	for now := t0 + 10*minute; now < t0+20*minute; now += 20 * second {
		s.Attempts = append(s.Attempts[1:], Attempt{Item: "i", Skill: "frac.add", First: answers%2 == 0, Correct: answers%5 == 0, At: now})
		answers++
		cs := Reconcile(flags, Evaluate(s, testGraph(), DefaultThresholds(), now), now, next)
		for _, c := range cs {
			if c.Kind == ChangeUpdate {
				updates++
			}
		}
		flags = apply(flags, cs)
	}
	if updates > answers/4 {
		t.Errorf("%d updates for %d answers", updates, answers)
	}
}

func TestReconcileDuplicates(t *testing.T) {
	// Flags from before this policy, two live of one concern: the older
	// carries on; the other clears only once its rule has gone.
	a := flag("a", finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6), t0)
	b := flag("b", finding(protocol.RuleIdle, protocol.LevelActNow, 0.5), t0+minute)
	now := t0 + 2*minute
	cs := Reconcile([]protocol.Flag{b, a}, []Finding{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6)}, now, ids())
	if got, want := kinds(cs), []string{"clear:idle:act_now"}; !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	cs = Reconcile([]protocol.Flag{b, a}, []Finding{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.6), finding(protocol.RuleIdle, protocol.LevelActNow, 0.5)}, now, ids())
	for _, c := range cs {
		if c.Flag.ID != "a" || c.Kind != ChangeUpdate {
			t.Errorf("change %s of %s, want only updates of a while both rules hold", c.Kind, c.Flag.ID)
		}
	}
}

func TestReconcileIgnoresUnknownRules(t *testing.T) {
	f := flag("x", finding("mystery", protocol.LevelActNow, 0.5), t0)
	if cs := Reconcile([]protocol.Flag{f}, []Finding{finding("mystery", protocol.LevelActNow, 0.5)}, t0+minute, ids()); len(cs) != 0 {
		t.Errorf("changes %v, want none", kinds(cs))
	}
}

func TestQueue(t *testing.T) {
	now := t0 + 20*minute
	mk := func(id protocol.FlagID, level protocol.FlagLevel, status protocol.FlagStatus, need float64, opened int64) protocol.Flag {
		return protocol.Flag{ID: id, Level: level, Status: status, Need: need, Opened: opened, Rule: protocol.RuleStruggle}
	}
	flags := []protocol.Flag{
		mk("info", protocol.LevelInfo, protocol.FlagOpen, 0.2, now-10*minute),
		mk("watch-old", protocol.LevelWatch, protocol.FlagOpen, 0.35, now-10*minute),
		mk("watch-new", protocol.LevelWatch, protocol.FlagOpen, 0.6, now),
		mk("act-fresh-needy", protocol.LevelActNow, protocol.FlagOpen, 0.9, now),
		mk("act-waited", protocol.LevelActNow, protocol.FlagOpen, 0.6, now-10*minute), // 0.6 + 0.5 beats 0.9
		mk("act-acked", protocol.LevelActNow, protocol.FlagAcked, 1, now-20*minute),
		mk("act-tie-b", protocol.LevelActNow, protocol.FlagOpen, 0.5, now-minute),
		mk("act-tie-a", protocol.LevelActNow, protocol.FlagOpen, 0.5, now-minute),
		mk("snoozed", protocol.LevelActNow, protocol.FlagSnoozed, 1, now-20*minute),
		mk("snooze-over", protocol.LevelWatch, protocol.FlagSnoozed, 0.4, now-minute),
		mk("cleared", protocol.LevelActNow, protocol.FlagCleared, 1, now),
		mk("resolved", protocol.LevelActNow, protocol.FlagResolved, 1, now),
	}
	flags[8].Snooze = now + minute
	flags[9].Snooze = now
	in := slices.Clone(flags)
	got := Queue(flags, now)
	var order []protocol.FlagID
	for _, f := range got {
		order = append(order, f.ID)
	}
	want := []protocol.FlagID{"act-waited", "act-fresh-needy", "act-tie-a", "act-tie-b", "act-acked", "watch-old", "watch-new", "snooze-over", "info"}
	if !slices.Equal(order, want) {
		t.Errorf("order\n got %v\nwant %v", order, want)
	}
	if !slices.EqualFunc(in, flags, func(a, b protocol.Flag) bool { return a.ID == b.ID }) {
		t.Error("Queue reordered its input")
	}
}

func TestWake(t *testing.T) {
	now := t0 + 10*minute
	tests := []struct {
		name  string
		flags []protocol.Flag
		at    int64
		ok    bool
	}{
		{"nothing", nil, 0, false},
		{"open flags only", []protocol.Flag{{Status: protocol.FlagOpen}}, 0, false},
		{"a snooze", []protocol.Flag{{Status: protocol.FlagSnoozed, Snooze: now + minute}}, now + minute, true},
		{"a snooze already over", []protocol.Flag{{Status: protocol.FlagSnoozed, Snooze: now}}, 0, false},
		{"a cool-down and a snooze", []protocol.Flag{
			{Status: protocol.FlagSnoozed, Snooze: now + 5*minute},
			{Status: protocol.FlagCleared, Updated: now - minute},
		}, now - minute + Cooldown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, ok := Wake(tt.flags, now)
			if at != tt.at || ok != tt.ok {
				t.Errorf("Wake = %d, %v, want %d, %v", at, ok, tt.at, tt.ok)
			}
		})
	}
}

func TestMergeSummaryReads(t *testing.T) {
	s := learner(t0)
	s.Mastery["frac.eq"], s.Mastery["frac.add"] = 0.15, 0.3
	s.Attempts = tries("frac.add", "xxxxxxxxxx", t0)
	s.Firsts = firstsOf(s.Attempts)
	s.FirstAttempts = map[protocol.SkillID]int{"frac.add": 10}
	s.LastAction = s.Attempts[9].At
	m := Merge(Evaluate(s, testGraph(), DefaultThresholds(), s.LastAction))
	want := "Missing a prerequisite: Equivalent fractions is at 0.15 while 4 of the last 4 answers on Adding fractions are wrong." +
		" Also stuck: 10 problems on Adding fractions without mastering it (0.30)." +
		" Also struggling: 0 of the last 10 problems right first time, 0 of the last 10 answers right."
	if m.Evidence.Summary != want {
		t.Errorf("summary\n got %q\nwant %q", m.Evidence.Summary, want)
	}
	if strings.Count(m.Evidence.Summary, "Also") != 2 {
		t.Error("want two others named")
	}
}

// Under the act-now budget a flag that would be raised to act now waits
// at watch, first of the watch flags, and rises when a slot is free; a
// raised hand never waits.
func TestActNowBudget(t *testing.T) {
	actNow := Finding{Student: "s1", Rule: protocol.RuleStuck, Level: protocol.LevelActNow, Skill: "frac.add", Need: 0.7,
		Evidence: protocol.Evidence{Summary: "Stuck."}}
	next := ids()
	cs := ReconcileWithin(nil, []Finding{actNow}, t0, next, Budget{Slots: 0})
	if len(cs) != 1 || cs[0].Kind != ChangeOpen || cs[0].Flag.Level != protocol.LevelWatch || !cs[0].Flag.Waiting {
		t.Fatalf("no slot: %+v", cs)
	}
	f := cs[0].Flag
	if cs := ReconcileWithin([]protocol.Flag{f}, []Finding{actNow}, t0+second, next, Budget{Slots: 0}); len(cs) != 0 {
		t.Fatalf("still no slot: %v, want nothing new", kinds(cs))
	}
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{actNow}, t0+2*second, next, Budget{Slots: 1})
	if len(cs) != 1 || cs[0].Kind != ChangeEscalate || cs[0].Flag.Level != protocol.LevelActNow || cs[0].Flag.Waiting {
		t.Fatalf("a slot: %+v", cs)
	}
	hand := Finding{Student: "s2", Rule: protocol.RuleHelp, Level: protocol.LevelActNow, Need: 0.8}
	if cs := ReconcileWithin(nil, []Finding{hand}, t0, next, Budget{Slots: 0}); len(cs) != 1 || cs[0].Flag.Level != protocol.LevelActNow {
		t.Fatalf("a raised hand waited: %+v", cs)
	}
	// The condition eases to watch: the flag waits no more.
	watch := actNow
	watch.Level, watch.Rule = protocol.LevelWatch, protocol.RuleStruggle
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{watch}, t0+3*second, next, Budget{Slots: 0})
	if len(cs) != 1 || cs[0].Kind != ChangeUpdate || cs[0].Flag.Waiting {
		t.Fatalf("eased: %+v", cs)
	}
}

func TestSlots(t *testing.T) {
	now := t0 + 20*minute
	fl := func(student protocol.StudentID, level protocol.FlagLevel, status protocol.FlagStatus, waiting bool, need float64, opened int64) protocol.Flag {
		return protocol.Flag{ID: protocol.FlagID("f-" + student), Student: student, Rule: protocol.RuleStuck, Level: level, Status: status,
			Waiting: waiting, Need: need, Opened: opened}
	}
	snoozed := fl("c", protocol.LevelActNow, protocol.FlagSnoozed, false, 0.7, t0)
	snoozed.Snooze = now + minute
	flags := []protocol.Flag{
		fl("a", protocol.LevelActNow, protocol.FlagOpen, false, 0.7, t0),
		fl("b", protocol.LevelActNow, protocol.FlagAcked, false, 0.7, t0),
		snoozed,
		fl("d", protocol.LevelActNow, protocol.FlagResolved, false, 0.7, t0),
		fl("e", protocol.LevelWatch, protocol.FlagOpen, true, 0.6, now-5*minute),
		fl("f", protocol.LevelWatch, protocol.FlagOpen, false, 0.4, t0),
	}
	for _, tt := range []struct {
		student protocol.StudentID
		budget  int
		want    int
	}{
		{"f", 0, -1},
		{"f", 3, 0}, // a and b at act now, e waiting before f
		{"f", 4, 1},
		{"a", 3, 1}, // a's own flag is not counted
		{"e", 3, 1}, // e waits first
	} {
		if got := Slots(flags, tt.student, tt.budget, now); got != tt.want {
			t.Errorf("Slots(%s, %d) = %d, want %d", tt.student, tt.budget, got, tt.want)
		}
	}
	// A waiting flag that scores higher comes first.
	flags = append(flags, fl("g", protocol.LevelWatch, protocol.FlagOpen, true, 0.9, now-9*minute))
	if got := Slots(flags, "e", 4, now); got != 1 {
		t.Errorf("e behind g: %d slots, want 1", got)
	}
	if got := Slots(flags, "g", 4, now); got != 2 {
		t.Errorf("g before e: %d slots, want 2", got)
	}
	// In the queue the waiting flags come first among the watch flags.
	q := Queue(flags, now)
	var order []protocol.StudentID
	for _, f := range q {
		order = append(order, f.Student)
	}
	if want := []protocol.StudentID{"a", "b", "g", "e", "f"}; !slices.Equal(order, want) {
		t.Errorf("queue %v, want %v", order, want)
	}
}

// A condition calling for act now waits at watch, Rising, until it has
// lasted Persist at need 1 (longer at less need, shorter on more
// evidence) or the student fails another problem; a condition that eases
// before then never calls the teacher, and its clock starts again; a
// raised hand and a forecast of wheel-spinning never wait.
func TestActNowPersists(t *testing.T) {
	b := Budget{Slots: -1, Persist: 2 * minute}
	next := ids()
	struggle := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.5) // waits 2 min / 0.5 = 4 min
	struggle.Failed = t0
	cs := ReconcileWithin(nil, []Finding{struggle}, t0, next, b)
	if len(cs) != 1 || cs[0].Kind != ChangeOpen || cs[0].Flag.Level != protocol.LevelWatch || cs[0].Flag.Rising != t0 || cs[0].Flag.Waiting {
		t.Fatalf("opened %+v, want at watch, rising since t0", cs)
	}
	f := cs[0].Flag
	if cs := ReconcileWithin([]protocol.Flag{f}, []Finding{struggle}, t0+3*minute, next, b); len(cs) != 0 {
		t.Fatalf("after 3 of 4 minutes: %v, want nothing", kinds(cs))
	}
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{struggle}, t0+4*minute, next, b)
	if len(cs) != 1 || cs[0].Kind != ChangeEscalate || cs[0].Flag.Level != protocol.LevelActNow || cs[0].Flag.Rising != 0 {
		t.Fatalf("after 4 minutes: %+v, want escalated to act now", cs)
	}
	// One more problem failed since it began: at once.
	again := struggle
	again.Failed = t0 + 40*second
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{again}, t0+40*second, next, b)
	if len(cs) != 1 || cs[0].Kind != ChangeEscalate || cs[0].Flag.Level != protocol.LevelActNow {
		t.Fatalf("failed again: %+v, want escalated", cs)
	}
	// Eased to watch within the wait: the clock stops, and starts again
	// when the condition comes back.
	eased := finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4)
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{eased}, t0+minute, next, b)
	if len(cs) != 1 || cs[0].Kind != ChangeUpdate || cs[0].Flag.Rising != 0 || cs[0].Flag.Level != protocol.LevelWatch {
		t.Fatalf("eased: %+v, want an update, rising no more", cs)
	}
	g := cs[0].Flag
	cs = ReconcileWithin([]protocol.Flag{g}, []Finding{struggle}, t0+2*minute, next, b)
	if len(cs) != 1 || cs[0].Flag.Rising != t0+2*minute || cs[0].Flag.Level != protocol.LevelWatch {
		t.Fatalf("back: %+v, want rising again from now", cs)
	}
	if cs := ReconcileWithin([]protocol.Flag{cs[0].Flag}, []Finding{struggle}, t0+5*minute, next, b); len(cs) != 0 {
		t.Fatalf("3 minutes into the new wait: %v, want nothing", kinds(cs))
	}
	// Two conditions at act now, more need: the wait is 2 min / (0.65 · 2).
	stuck := finding(protocol.RuleStuck, protocol.LevelActNow, 0.6)
	both := []Finding{struggle, stuck}
	cs = ReconcileWithin(nil, both, t0, next, b)
	h := cs[0].Flag
	if cs := ReconcileWithin([]protocol.Flag{h}, both, t0+80*second, next, b); len(cs) != 0 {
		t.Fatalf("two conditions after 80 s: %v, want nothing yet", kinds(cs))
	}
	if cs := ReconcileWithin([]protocol.Flag{h}, both, t0+95*second, next, b); len(cs) != 1 || cs[0].Flag.Level != protocol.LevelActNow {
		t.Fatalf("two conditions after 95 s: %+v, want act now", cs)
	}
	// Never waiting: a raised hand, a forecast, or no persistence asked.
	hand := finding(protocol.RuleHelp, protocol.LevelActNow, 0.8)
	forecast := stuck
	forecast.Forecast = true
	for name, c := range map[string]struct {
		fs []Finding
		b  Budget
	}{
		"hand": {[]Finding{hand}, b}, "forecast": {[]Finding{forecast}, b}, "no persistence": {[]Finding{struggle}, Budget{Slots: -1}},
	} {
		if cs := ReconcileWithin(nil, c.fs, t0, next, c.b); len(cs) != 1 || cs[0].Flag.Level != protocol.LevelActNow || cs[0].Flag.Rising != 0 {
			t.Errorf("%s: %+v, want act now at once", name, cs)
		}
	}
	// A rising flag wakes the room's timer, and comes after the flags
	// waiting for a slot and before the other watch flags in the queue.
	if at, ok := Wake([]protocol.Flag{f}, t0+minute); !ok || at != t0+minute+WaitingCheck {
		t.Errorf("Wake %d %v, want in WaitingCheck", at, ok)
	}
	plain := flag("plain", finding(protocol.RuleIdle, protocol.LevelWatch, 0.9), t0)
	waiting := flag("waiting", finding(protocol.RuleStuck, protocol.LevelWatch, 0.1), t0)
	waiting.Waiting = true
	q := Queue([]protocol.Flag{plain, f, waiting}, t0+minute)
	if len(q) != 3 || q[0].ID != "waiting" || q[1].ID != f.ID || q[2].ID != "plain" {
		t.Errorf("queue %v %v %v, want waiting, rising, the rest", q[0].ID, q[1].ID, q[2].ID)
	}
}

// Rising to act now after persisting still needs a slot of the budget.
func TestPersistedWaitsForASlot(t *testing.T) {
	next := ids()
	struggle := finding(protocol.RuleStruggle, protocol.LevelActNow, 0.5)
	cs := ReconcileWithin(nil, []Finding{struggle}, t0, next, Budget{Slots: 0, Persist: 2 * minute})
	f := cs[0].Flag
	if f.Waiting || f.Rising != t0 {
		t.Fatalf("opened %+v, want rising, not yet waiting for a slot", f)
	}
	cs = ReconcileWithin([]protocol.Flag{f}, []Finding{struggle}, t0+5*minute, next, Budget{Slots: 0, Persist: 2 * minute})
	if len(cs) != 1 || !cs[0].Flag.Waiting || cs[0].Flag.Level != protocol.LevelWatch || cs[0].Flag.Rising != t0 {
		t.Fatalf("persisted, no slot: %+v, want waiting at watch", cs)
	}
	cs = ReconcileWithin([]protocol.Flag{cs[0].Flag}, []Finding{struggle}, t0+5*minute+second, next, Budget{Slots: 1, Persist: 2 * minute})
	if len(cs) != 1 || cs[0].Kind != ChangeEscalate || cs[0].Flag.Level != protocol.LevelActNow || cs[0].Flag.Waiting || cs[0].Flag.Rising != 0 {
		t.Fatalf("a slot: %+v, want act now", cs)
	}
}

// RiseAt is the moment a rising flag's wait ends, on the findings that
// hold: ReconcileWithin does nothing a millisecond before it and raises
// the flag at it. It says nothing when no flag is rising or nothing
// holds at act now.
func TestRiseAtIsWhenTheWaitEnds(t *testing.T) {
	b := Budget{Slots: -1, Persist: 2 * minute}
	next := ids()
	for _, fs := range [][]Finding{
		{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.5)},
		{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.5), finding(protocol.RuleStuck, protocol.LevelActNow, 0.6)},
		{finding(protocol.RuleGaming, protocol.LevelActNow, 0.9), lingering(finding(protocol.RuleIdle, protocol.LevelActNow, 0.5))},
	} {
		cs := ReconcileWithin(nil, fs, t0, next, b)
		if len(cs) != 1 || cs[0].Flag.Rising != t0 {
			t.Fatalf("opened %+v, want rising", cs)
		}
		f := cs[0].Flag
		at, ok := RiseAt([]protocol.Flag{f}, fs, b)
		if !ok || at <= t0 {
			t.Fatalf("RiseAt = %d, %v; want a moment after t0", at, ok)
		}
		if cs := ReconcileWithin([]protocol.Flag{f}, fs, at-1, next, b); len(cs) != 0 {
			t.Errorf("a millisecond before RiseAt: %v, want nothing", kinds(cs))
		}
		if cs := ReconcileWithin([]protocol.Flag{f}, fs, at, next, b); len(cs) != 1 || cs[0].Kind != ChangeEscalate {
			t.Errorf("at RiseAt: %v, want the flag raised", kinds(cs))
		}
		f.Rising = 0
		if _, ok := RiseAt([]protocol.Flag{f}, fs, b); ok {
			t.Error("RiseAt of a flag not rising")
		}
	}
	f := ReconcileWithin(nil, []Finding{finding(protocol.RuleStruggle, protocol.LevelActNow, 0.5)}, t0, next, b)[0].Flag
	if _, ok := RiseAt([]protocol.Flag{f}, []Finding{finding(protocol.RuleStruggle, protocol.LevelWatch, 0.4)}, b); ok {
		t.Error("RiseAt when nothing holds at act now")
	}
}
