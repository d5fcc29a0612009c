package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// The figures of docs/DETECTORS.md. go test -run TestSimulatedClass -v
// prints the table; the test fails if a target is missed.
func TestSimulatedClass(t *testing.T) {
	if testing.Short() {
		t.Skip("50 simulated sessions")
	}
	sum := Study(DefaultSimConfig(), DefaultThresholds(), 50)
	t.Logf("go test -run TestSimulatedClass -v ./rooms/detect/\n\n%s", sum.Table())

	// Every struggler is flagged, and every one whose trouble shows in
	// their answers or a raised hand reaches act now. The idle student
	// only stops: a silence after no trouble stays at watch
	// (docs/DETECTORS.md, idle).
	all := sum.Strugglers
	if all.Flagged != all.Students {
		t.Errorf("of %d strugglers, %d flagged; want every one", all.Students, all.Flagged)
	}
	if all.Students != 50*6 {
		t.Errorf("%d strugglers showed trouble, want 300", all.Students)
	}
	for _, r := range sum.Roles {
		if r.Flagged != r.Students || (r.Role != RoleIdle && r.ActNow != r.Students) {
			t.Errorf("%s: %d of %d flagged, %d at act now", r.Role, r.Flagged, r.Students, r.ActNow)
		}
		// The slowest to catch is the wheel-spinner, at about nine
		// minutes: no kind of struggler may wait much longer.
		if r.Act50 > 12 {
			t.Errorf("%s: median %.1f minutes to act now, want at most 12", r.Role, r.Act50)
		}
	}
	if all.Flag50 > 5 || all.Act50 > 5 {
		t.Errorf("median minutes to a flag %.1f, to act now %.1f; want both under 5", all.Flag50, all.Act50)
	}
	// The forecast of wheel-spinning (stuck_early) calls the teacher to
	// some students of the simulation who would have learned the skill
	// on their own; on the real logs it flags fewer students who went on
	// to master the skill than the rule it joined (docs/DETECTORS.md),
	// and the real logs are the arbiter.
	const fineBound = 2.0
	if sum.Fine > fineBound {
		t.Errorf("%.2f act-now alerts per class on students who were fine, want at most %v", sum.Fine, fineBound)
	}
	if sum.Alerts > 8 {
		t.Errorf("%.2f act-now alerts per class, want at most 8", sum.Alerts)
	}
}

func TestSimulateShape(t *testing.T) {
	cfg := DefaultSimConfig()
	tr := Simulate(cfg, 1)
	if len(tr.Students) != cfg.Students {
		t.Fatalf("%d students, want %d", len(tr.Students), cfg.Students)
	}
	roles := map[Role]int{}
	for _, s := range tr.Students {
		roles[s.Role]++
		if s.Role.Struggler() && s.Onset == 0 {
			t.Errorf("%s (%s): no onset", s.Name, s.Role)
		}
		if !s.Role.Struggler() && s.Onset != 0 {
			t.Errorf("%s (%s): an onset", s.Name, s.Role)
		}
	}
	want := map[Role]int{RolePrereqGap: 2, RoleAchiever: 1, RoleSpinner: 1, RoleGamer: 1, RoleIdle: 1, RoleHand: 1, RoleFine: 23}
	if !reflect.DeepEqual(roles, want) {
		t.Errorf("roles %v, want %v", roles, want)
	}
	if tr.Students[0].Name != "Olivia" || tr.Students[2].Name != "Amelia" {
		t.Errorf("first names %s, %s", tr.Students[0].Name, tr.Students[2].Name)
	}
	if !slices.IsSortedFunc(tr.Events, func(a, b Event) int {
		if a.At != b.At {
			return int(a.At - b.At)
		}
		return a.Student - b.Student
	}) {
		t.Error("events out of order")
	}
	perStudent := make([]int, cfg.Students)
	for _, e := range tr.Events {
		if e.At < cfg.Start || e.At > tr.End {
			t.Fatalf("event at %d, outside the session", e.At)
		}
		perStudent[e.Student]++
	}
	for i, n := range perStudent {
		// 45 minutes at 20 to 60 s a problem.
		if n < 30 {
			t.Errorf("%s: only %d events", tr.Students[i].Name, n)
		}
	}
}

func TestSimulateDeterministic(t *testing.T) {
	cfg := DefaultSimConfig()
	a, b := Simulate(cfg, 7), Simulate(cfg, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two traces")
	}
	if reflect.DeepEqual(a.Events, Simulate(cfg, 8).Events) {
		t.Fatal("two seeds gave the same trace")
	}
	if ra, rb := Replay(a, DefaultThresholds()), Replay(b, DefaultThresholds()); !reflect.DeepEqual(ra, rb) {
		t.Fatal("the same trace gave two reports")
	}
}

// A trace survives JSON, so a load tool can store and replay it.
func TestTraceJSON(t *testing.T) {
	tr := Simulate(DefaultSimConfig(), 3)
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var back Trace
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(Replay(back, DefaultThresholds()), Replay(tr, DefaultThresholds())) {
		t.Error("the trace replays differently after JSON")
	}
}

func TestTraceGraph(t *testing.T) {
	g := Simulate(DefaultSimConfig(), 1).Graph()
	if got := g.Prereqs("frac.add"); !slices.Equal(got, []protocol.SkillID{"frac.equivalent"}) {
		t.Errorf("prereqs %v", got)
	}
	if l := g.Lesson("frac.equivalent"); l == nil || len(l.Items) != 3 {
		t.Errorf("lesson %+v", l)
	}
}

func TestQuantile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	for _, tt := range []struct{ q, want float64 }{{0.5, 3}, {0.9, 5}, {0, 1}, {1, 5}} {
		if got := quantile(xs, tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if !math.IsNaN(quantile(nil, 0.5)) {
		t.Error("quantile of nothing")
	}
}

// How the figures move with the class and the thresholds: the table of
// docs/DETECTORS.md under "Sensitivity" (50 sessions a row; fewer under
// the race detector, which makes simulations eight times slower). It
// checks that the figures move the way the rules say they must.
func TestSimulatedClassSensitivity(t *testing.T) {
	sessions := 50
	if raceEnabled || testing.Short() {
		sessions = 8
	}
	type row struct {
		name string
		cfg  func(*SimConfig)
		th   func(*Thresholds)
	}
	rows := []row{
		{"default", nil, nil},
		{"fine students learn slower (T 0.25–0.45)", func(c *SimConfig) { c.LearnRate = [2]float64{0.25, 0.45} }, nil},
		{"… and know less at the start (0.4–0.7)", func(c *SimConfig) {
			c.LearnRate, c.KnownAtStart = [2]float64{0.25, 0.45}, [2]float64{0.4, 0.7}
		}, nil},
		{"fine students as the tutor's model (L0 0.3–0.6, T 0.15–0.3)", func(c *SimConfig) {
			c.LearnRate, c.KnownAtStart = [2]float64{0.15, 0.3}, [2]float64{0.3, 0.6}
		}, nil},
		{"three prerequisite gaps", func(c *SimConfig) { c.PrereqGaps = 3 }, nil},
		{"struggle at act now after 4 problems", nil, func(th *Thresholds) { th.StruggleProblems = 4 }},
		{"struggle never past watch", nil, func(th *Thresholds) { th.StruggleProblems = 0 }},
	}
	var studies []Summary
	var b []byte
	b = append(b, "| class or thresholds | strugglers caught at act now | median / p90 min to act now | act-now alerts | on fine students | … not knowing the skill |\n|---|---:|---:|---:|---:|---:|\n"...)
	for _, r := range rows {
		cfg, th := DefaultSimConfig(), DefaultThresholds()
		if r.cfg != nil {
			r.cfg(&cfg)
		}
		if r.th != nil {
			r.th(&th)
		}
		if err := th.Validate(); err != nil {
			t.Fatal(err)
		}
		s := Study(cfg, th, sessions)
		studies = append(studies, s)
		a := s.Strugglers
		b = fmt.Appendf(b, "| %s | %d / %d | %.1f / %.1f | %.2f | %.2f | %.2f |\n", r.name, a.ActNow, a.Students, a.Act50, a.Act90, s.Alerts, s.Fine, s.Unlearned)
	}
	t.Logf("\n%s", b)
	def, slower, never := studies[0], studies[1], studies[6]
	if slower.Fine < def.Fine {
		t.Errorf("fine students who learn slower got fewer act-now alerts (%.2f) than the default class (%.2f)", slower.Fine, def.Fine)
	}
	if never.Alerts > def.Alerts {
		t.Errorf("with struggle never past watch there were more act-now alerts (%.2f) than by default (%.2f)", never.Alerts, def.Alerts)
	}
	for _, r := range def.Roles {
		if r.Role != RoleIdle && r.ActNow != r.Students {
			t.Errorf("by default %d of %d %s strugglers reached act now", r.ActNow, r.Students, r.Role)
		}
	}
}
