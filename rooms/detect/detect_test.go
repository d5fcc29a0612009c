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
		s.RecordAttempt(Attempt{Skill: "frac.add", Correct: i%2 == 0, First: true, At: t0 + int64(i)}, mastery.Default)
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

// The model's conventions: only first attempts count, and a hint before
// the first attempt counts as a wrong answer, once.
func TestRecordMasteryConventions(t *testing.T) {
	p := mastery.Default
	tests := []struct {
		name string
		do   func(s *Student)
		want float64
	}{
		{"a right first attempt", func(s *Student) {
			s.RecordAttempt(Attempt{Skill: "k", Correct: true, First: true}, p)
		}, 0.68},
		{"a retry does not count", func(s *Student) {
			s.RecordAttempt(Attempt{Skill: "k", Correct: false, First: true}, p)
			s.RecordAttempt(Attempt{Skill: "k", Correct: true}, p)
		}, 0.232},
		{"a hint first counts as wrong, the answer after it not at all", func(s *Student) {
			s.RecordHint(Action{}, "k", true, p)
			s.RecordHint(Action{}, "k", false, p)
			s.RecordAttempt(Attempt{Skill: "k", Correct: true, First: true, Hints: 2}, p)
		}, 0.232},
		{"a hint after a first attempt does not count", func(s *Student) {
			s.RecordAttempt(Attempt{Skill: "k", Correct: true, First: true}, p)
			s.RecordHint(Action{}, "k", false, p)
			s.RecordAttempt(Attempt{Skill: "k", Correct: true, Hints: 1}, p)
		}, 0.68},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Student
			tt.do(&s)
			if got := s.Mastery["k"]; math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("P(L) = %v, want %v", got, tt.want)
			}
		})
	}
	// An estimate carried over from earlier sessions is the prior.
	s := Student{Mastery: map[protocol.SkillID]float64{"k": 0.68}}
	s.RecordAttempt(Attempt{Skill: "k", Correct: true, First: true}, p)
	if got, want := s.Mastery["k"], 156.2/169; math.Abs(got-want) > 1e-9 {
		t.Errorf("from 0.68: P(L) = %v, want %v", got, want)
	}
}

func TestRecordHintKind(t *testing.T) {
	var s Student
	s.RecordHint(Action{Kind: "nonsense", Ms: 100, ReadMs: 300, At: t0}, "k", false, mastery.Default)
	if got := s.Actions[0].Kind; got != KindHint {
		t.Errorf("kind %q, want %q", got, KindHint)
	}
	if s.Mastery != nil {
		t.Errorf("a later hint touched mastery: %v", s.Mastery)
	}
}

func TestLastActionNeverGoesBack(t *testing.T) {
	s := Student{LastAction: t0}
	s.RecordAttempt(Attempt{Skill: "k", At: t0 - minute}, mastery.Default)
	if s.LastAction != t0 {
		t.Errorf("LastAction went back to %d", s.LastAction)
	}
}

func TestClone(t *testing.T) {
	s := learner(t0)
	for _, a := range tries("frac.add", "xxxxxxxxxxxxxxxxxxxx", t0) {
		s.RecordAttempt(a, mastery.Default)
	}
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatal("clone differs")
	}
	s.RecordAttempt(Attempt{Skill: "frac.mixed", Correct: true, First: true, At: t0 + 20*minute}, mastery.Default)
	if c.Attempts[MaxAttempts-1].Skill != "frac.add" || c.FirstAttempts["frac.mixed"] != 0 || c.Mastery["frac.mixed"] != 0 {
		t.Error("recording on the original changed the clone")
	}
}

func TestStudentJSON(t *testing.T) {
	s := learner(t0)
	for _, a := range tries("frac.add", "xoxo", t0) {
		s.RecordAttempt(a, mastery.Default)
	}
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
