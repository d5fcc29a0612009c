package detect

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

func TestRecordAttemptBounds(t *testing.T) {
	var s Student
	for i := range 25 {
		s.NewStep(t0 + int64(i))
		s.Answer(Attempt{Skill: "frac.add", Correct: i%2 == 0, At: t0 + int64(i)}, mastery.Default)
	}
	if got, want := len(s.Attempts), MaxAttempts; got != want {
		t.Fatalf("kept %d attempts, want %d", got, want)
	}
	if got, want := len(s.Actions), MaxActions; got != want {
		t.Fatalf("kept %d actions, want %d", got, want)
	}
	if got, want := s.Attempts[0].At, t0+5; got != want {
		t.Errorf("oldest kept attempt at %d, want %d", got, want)
	}
	if got, want := s.Actions[MaxActions-1].At, t0+24; got != want {
		t.Errorf("newest action at %d, want %d", got, want)
	}
	if got, want := s.FirstAttempts["frac.add"], 25; got != want {
		t.Errorf("first attempts %d, want %d", got, want)
	}
	if got, want := s.LastAction, t0+24; got != want {
		t.Errorf("LastAction %d, want %d", got, want)
	}
}

// The model's conventions: only the first action on a step counts, and a
// hint before any answer is that action, a wrong one, once.
func TestRecordMasteryConventions(t *testing.T) {
	p := mastery.Default
	tests := []struct {
		name  string
		do    func(s *Student)
		want  float64
		first int    // opportunities counted
		right string // the history, 'o' Right and 'x' not
	}{
		{"a right first attempt", func(s *Student) {
			s.Answer(Attempt{Skill: "k", Correct: true}, p)
		}, 0.68, 1, "o"},
		{"a retry does not count", func(s *Student) {
			s.Answer(Attempt{Skill: "k", Correct: false}, p)
			s.Answer(Attempt{Skill: "k", Correct: true}, p)
		}, 0.232, 1, "xo"},
		{"a hint first counts as a wrong first attempt, the answer after it as a retry, not right", func(s *Student) {
			s.Hint(Attempt{Skill: "k"}, p)
			s.Hint(Attempt{Skill: "k"}, p)
			s.Answer(Attempt{Skill: "k", Correct: true}, p)
		}, 0.232, 1, "xx"},
		{"a hint after a first attempt does not count, the answer after it is not right", func(s *Student) {
			s.Answer(Attempt{Skill: "k", Correct: false}, p)
			s.Hint(Attempt{Skill: "k"}, p)
			s.Answer(Attempt{Skill: "k", Correct: true}, p)
		}, 0.232, 1, "xx"},
		{"a new step is a new opportunity", func(s *Student) {
			s.Answer(Attempt{Skill: "k", Correct: true}, p)
			s.NewStep(t0)
			s.Hint(Attempt{Skill: "k"}, p)
		}, p.Update(0.68, false), 2, "ox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Student
			tt.do(&s)
			if got := s.Mastery["k"]; math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("P(L) = %v, want %v", got, tt.want)
			}
			if got := s.FirstAttempts["k"]; got != tt.first {
				t.Errorf("opportunities %d, want %d", got, tt.first)
			}
			var got []byte
			for _, a := range s.Attempts {
				got = append(got, "xo"[b2i(a.Right())])
			}
			if string(got) != tt.right {
				t.Errorf("history %s, want %s", got, tt.right)
			}
		})
	}
	// An estimate carried over from earlier sessions is the prior.
	s := Student{Record: Record{Mastery: map[protocol.SkillID]float64{"k": 0.68}}}
	s.Answer(Attempt{Skill: "k", Correct: true}, p)
	if got, want := s.Mastery["k"], 156.2/169; math.Abs(got-want) > 1e-9 {
		t.Errorf("from 0.68: P(L) = %v, want %v", got, want)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Estimate and the recording agree: the room puts Estimate's value in its
// event and the fold records it, and the tools call Answer and Hint.
func TestEstimateThenRecord(t *testing.T) {
	p := mastery.Params{L0: 0.4, T: 0.1, G: 0.2, S: 0.1, Mastered: 0.9}
	var a, b Record
	for i, act := range "hAhAAnAnhhAnAAAnhA" {
		switch act {
		case 'n':
			a.NewStep(t0 + int64(i))
			b.NewStep(t0 + int64(i))
		case 'h':
			pL, first := a.Estimate("k", false, p)
			if first == a.Tried {
				t.Fatalf("action %d: first = %v with tried %v", i, first, a.Tried)
			}
			a.RecordHint(Attempt{Skill: "k", At: t0 + int64(i), Mastered: p.IsMastered(pL)}, pL)
			b.Hint(Attempt{Skill: "k", At: t0 + int64(i)}, p)
		case 'A':
			pL, _ := a.Estimate("k", i%3 == 0, p)
			a.RecordAttempt(Attempt{Skill: "k", Correct: i%3 == 0, At: t0 + int64(i), Mastered: p.IsMastered(pL)}, pL)
			b.Answer(Attempt{Skill: "k", Correct: i%3 == 0, At: t0 + int64(i)}, p)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("action %d: Estimate then record gave %+v, Answer/Hint %+v", i, a, b)
		}
	}
	if a.Hints != 1 || !a.Tried {
		t.Errorf("current step: %d hints, tried %v; want 1, true", a.Hints, a.Tried)
	}
}

func TestRecordHintKind(t *testing.T) {
	var s Student
	s.Answer(Attempt{Skill: "k"}, mastery.Default)
	before := s.Mastery["k"]
	s.Hint(Attempt{Ms: 100, ReadMs: 300, At: t0, Skill: "k"}, mastery.Default)
	if got := s.Actions[1].Kind; got != KindHint {
		t.Errorf("kind %q, want %q", got, KindHint)
	}
	if s.Mastery["k"] != before || len(s.Attempts) != 1 {
		t.Errorf("a later hint touched mastery or the attempts: %v, %d attempts", s.Mastery, len(s.Attempts))
	}
}

func TestLastActionNeverGoesBack(t *testing.T) {
	s := Student{Record: Record{LastAction: t0}}
	s.Answer(Attempt{Skill: "k", At: t0 - minute}, mastery.Default)
	s.NewStep(t0 - minute)
	if s.LastAction != t0 {
		t.Errorf("LastAction went back to %d", s.LastAction)
	}
}

func TestClone(t *testing.T) {
	s := learner(t0)
	for _, a := range tries("frac.add", "xxxxxxxxxxxxxxxxxxxx", t0) {
		s.NewStep(a.At)
		s.Answer(a, mastery.Default)
	}
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatal("clone differs")
	}
	s.NewStep(t0 + 20*minute)
	s.Answer(Attempt{Skill: "frac.mixed", Correct: true, At: t0 + 20*minute}, mastery.Default)
	if c.Attempts[MaxAttempts-1].Skill != "frac.add" || c.FirstAttempts["frac.mixed"] != 0 || c.Mastery["frac.mixed"] != 0 {
		t.Error("recording on the original changed the clone")
	}
}

func TestStudentJSON(t *testing.T) {
	s := learner(t0)
	for _, a := range tries("frac.add", "xoxo", t0) {
		s.NewStep(a.At)
		s.Answer(a, mastery.Default)
	}
	s.Hint(Attempt{Item: "frac.add-4", Skill: "frac.add", At: t0 + 5*minute}, mastery.Default)
	s.HandUp, s.HandSince = true, t0
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Student
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, s)
	}
}

func TestStaticGraph(t *testing.T) {
	g := testGraph()
	if got := g.Name("frac.add"); got != "Adding fractions" {
		t.Errorf("Name = %q", got)
	}
	if got := g.Name("nope"); got != "nope" {
		t.Errorf("Name of an unknown skill = %q, want its ID", got)
	}
	if got := g.Mastered("frac.add"); got != mastery.Default.Mastered {
		t.Errorf("Mastered = %v, want the default", got)
	}
	if g.Lesson("arith") != nil || g.Lesson("frac.eq") == nil {
		t.Error("Lesson")
	}
}
