package detect

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

var skills = []protocol.SkillID{"arith", "frac.eq", "frac.add", "frac.mixed", "frac.word"}

// randomStudent draws a history of any shape Evaluate may meet.
func randomStudent(r *rand.Rand, now int64) Student {
	s := Student{ID: "s1", Name: "Sam", Skill: skills[r.IntN(len(skills))], ActivityOpen: r.IntN(4) > 0}
	s.Mastery = map[protocol.SkillID]float64{}
	s.FirstAttempts = map[protocol.SkillID]int{}
	for _, k := range skills {
		if r.IntN(4) > 0 {
			s.Mastery[k] = r.Float64()
		}
		s.FirstAttempts[k] = r.IntN(15)
	}
	at := now - int64(r.IntN(40))*minute
	for range r.IntN(MaxAttempts + 5) {
		at += int64(r.IntN(90)) * second
		a := Attempt{Item: "i", Skill: skills[r.IntN(len(skills))], Correct: r.IntN(3) == 0, First: r.IntN(3) > 0,
			Hint: r.IntN(8) == 0, Hints: r.IntN(3), Ms: int64(r.IntN(60)) * second, ReadMs: int64(r.IntN(12)) * second, At: at}
		s.Attempts = append(s.Attempts, a)
	}
	for range r.IntN(MaxActions + 3) {
		kind := KindAttempt
		if r.IntN(3) == 0 {
			kind = KindHint
		}
		s.Actions = append(s.Actions, Action{Kind: kind, Ms: int64(r.IntN(20)) * second, ReadMs: int64(r.IntN(10)) * second, At: at})
	}
	s.LastAction = at
	if r.IntN(5) == 0 {
		s.HandUp, s.HandSince = true, at
	}
	return s
}

func TestEvaluateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	g, th := testGraph(), DefaultThresholds()
	for i := range 5000 {
		now := t0 + int64(r.IntN(1000))*minute
		s := randomStudent(r, now)
		before := s.Clone()
		fs := Evaluate(s, g, th, now)
		if !reflect.DeepEqual(s, before) {
			t.Fatalf("case %d: Evaluate changed its student", i)
		}
		if again := Evaluate(s, g, th, now); !reflect.DeepEqual(fs, again) {
			t.Fatalf("case %d: not deterministic", i)
		}
		seen := map[protocol.FlagRule]bool{}
		for _, f := range fs {
			if seen[f.Rule] {
				t.Fatalf("case %d: two findings of %s", i, f.Rule)
			}
			seen[f.Rule] = true
			if levelRank(f.Level) == 0 || concern(f.Rule) < 0 {
				t.Fatalf("case %d: finding %s at %q", i, f.Rule, f.Level)
			}
			if !(f.Need >= 0 && f.Need <= 1) {
				t.Fatalf("case %d: %s need %v", i, f.Rule, f.Need)
			}
			if f.Evidence.Summary == "" || f.Student != s.ID {
				t.Fatalf("case %d: %s without summary or student", i, f.Rule)
			}
			if _, err := json.Marshal(f); err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
		}
		// Struggling and doing well exclude each other.
		if _, ok := find(fs, protocol.RuleStruggle); ok {
			if w, ok := find(fs, protocol.RuleDoingWell); ok && !w.Lingering {
				t.Fatalf("case %d: struggling and doing well", i)
			}
		}
	}
}

// session drives one student through random practice, teacher actions
// and waits, running Evaluate and Reconcile after each step as the room
// does, and checks the policy's promises at every step.
type session struct {
	t     *testing.T
	r     *rand.Rand
	s     Student
	flags []protocol.Flag // live, and closed within the cool-down
	now   int64
	newID func() protocol.FlagID
	log   []Change
	peak  map[protocol.FlagID]int // the highest level each flag reached
}

func newSession(t *testing.T, seed uint64) *session {
	r := rand.New(rand.NewPCG(seed, 99))
	return &session{t: t, r: r, s: learner(t0), now: t0, newID: ids(), peak: map[protocol.FlagID]int{}}
}

func (ss *session) act() string {
	r, s := ss.r, &ss.s
	switch r.IntN(12) {
	case 0, 1, 2, 3, 4:
		ss.now += int64(r.IntN(60)) * second
		ms, read := int64(5+r.IntN(50))*second, 8*second
		if r.IntN(6) == 0 {
			ms = second
		}
		if r.IntN(3) > 0 {
			s.NewStep(ss.now)
		}
		s.Answer(Attempt{Item: "i", Skill: s.Skill, Correct: r.IntN(3) == 0, Ms: ms, ReadMs: read, At: ss.now}, mastery.Default)
		return "answer"
	case 5:
		ss.now += int64(r.IntN(10)) * second
		if r.IntN(2) == 0 {
			s.NewStep(ss.now)
		}
		s.Hint(Attempt{Item: "i", Skill: s.Skill, Ms: int64(r.IntN(8)) * second, ReadMs: 4 * second, At: ss.now}, mastery.Default)
		return "hint"
	case 6:
		s.HandUp = !s.HandUp
		s.HandSince, s.LastAction = ss.now, ss.now
		return "hand"
	case 7:
		s.Skill = skills[r.IntN(len(skills))]
		return "skill"
	case 8:
		ss.now += int64(r.IntN(7)) * minute
		return "wait"
	default:
		// A teacher acts on one of the live flags.
		var live []int
		for i, f := range ss.flags {
			if f.Status == protocol.FlagOpen || f.Status == protocol.FlagAcked || f.Status == protocol.FlagSnoozed {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			return "none"
		}
		f := &ss.flags[live[r.IntN(len(live))]]
		switch r.IntN(3) {
		case 0:
			f.Status, f.Acked = protocol.FlagAcked, ss.now
			return "ack"
		case 1:
			f.Status, f.Snooze, f.Updated = protocol.FlagSnoozed, ss.now+int64(1+r.IntN(8))*minute, ss.now
			return "snooze"
		default:
			f.Status, f.Updated = protocol.FlagResolved, ss.now
			if f.Rule == protocol.RuleHelp {
				s.HandUp = false
			}
			return "resolve"
		}
	}
}

func (ss *session) step() {
	t := ss.t
	what := ss.act()
	now := ss.now
	var pass []protocol.Flag
	for _, f := range ss.flags {
		if live(f) || (closed(f) && now-f.Updated < Cooldown) {
			pass = append(pass, f)
		}
	}
	fs := Evaluate(ss.s, testGraph(), DefaultThresholds(), now)
	cs := Reconcile(pass, fs, now, ss.newID)
	ss.log = append(ss.log, cs...)
	byID := map[protocol.FlagID]protocol.Flag{}
	for _, f := range pass {
		byID[f.ID] = f
	}
	for _, c := range cs {
		f := c.Flag
		if f.Student != ss.s.ID {
			t.Fatalf("after %s: a change for %q", what, f.Student)
		}
		old, known := byID[f.ID]
		switch c.Kind {
		case ChangeOpen:
			if known {
				t.Fatalf("after %s: opened %s again", what, f.ID)
			}
			for _, o := range pass {
				if concern(o.Rule) != concern(f.Rule) {
					continue
				}
				if live(o) {
					t.Fatalf("after %s: opened %s %s with %s %s live", what, f.Rule, f.ID, o.Rule, o.ID)
				}
				newHand := f.Rule == protocol.RuleHelp && ss.s.HandSince > o.Updated
				if levelRank(f.Level) <= levelRank(o.Level) && !newHand {
					t.Fatalf("after %s: opened %s at %s %d ms after %s closed at %s", what, f.Rule, f.Level, now-o.Updated, o.ID, o.Level)
				}
			}
		case ChangeClear:
			for _, x := range fs {
				if concern(x.Rule) == concern(f.Rule) && (!x.Lingering || x.Rule == old.Rule) {
					t.Fatalf("after %s: cleared %s (%s) while %s holds (lingering %v)", what, f.ID, old.Rule, x.Rule, x.Lingering)
				}
			}
		}
		if c.Kind != ChangeOpen {
			if !known || !live(old) {
				t.Fatalf("after %s: %s of %s, which is not live", what, c.Kind, f.ID)
			}
			if snoozing(old, now) {
				t.Fatalf("after %s: %s of %s, snoozed until %d", what, c.Kind, f.ID, old.Snooze-now)
			}
		}
		if live(f) {
			if levelRank(f.Level) < ss.peak[f.ID] {
				t.Fatalf("after %s: %s went down to %s", what, f.ID, f.Level)
			}
			ss.peak[f.ID] = levelRank(f.Level)
		}
	}
	ss.flags = apply(ss.flags, cs)
	perConcern := map[int]int{}
	perRule := map[protocol.FlagRule]int{}
	actNow := 0
	for _, f := range ss.flags {
		if !live(f) {
			continue
		}
		perConcern[concern(f.Rule)]++
		perRule[f.Rule]++
		if f.Level == protocol.LevelActNow {
			actNow++
		}
	}
	for c, n := range perConcern {
		if n > 1 {
			t.Fatalf("after %s: %d live flags of concern %d: %+v", what, n, c, ss.flags)
		}
	}
	if actNow > 1 {
		t.Fatalf("after %s: %d live act-now flags", what, actNow)
	}
}

func TestReconcileProperties(t *testing.T) {
	for seed := range uint64(300) {
		ss := newSession(t, seed)
		for range 400 {
			ss.step()
		}
	}
}

func TestReconcileDeterministic(t *testing.T) {
	run := func() string {
		ss := newSession(t, 42)
		for range 500 {
			ss.step()
		}
		b, err := json.Marshal(ss.log)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	a, b := run(), run()
	if a != b {
		t.Error("the same session gave different changes")
	}
	if len(a) < 1000 {
		t.Errorf("the session made almost no changes: %s", a)
	}
}
