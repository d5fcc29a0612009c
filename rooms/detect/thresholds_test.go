package detect

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

func TestDefaultThresholds(t *testing.T) {
	th := DefaultThresholds()
	if err := th.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(th)
	if err != nil {
		t.Fatal(err)
	}
	var back Thresholds
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != th {
		t.Errorf("round trip: %+v, want %+v", back, th)
	}
	if !strings.Contains(string(b), `"idle_watch_ms":120000`) {
		t.Errorf("JSON %s", b)
	}
}

func TestValidateThresholds(t *testing.T) {
	tests := []struct {
		name string
		edit func(th *Thresholds)
		want string // a part of the error; "" for none
	}{
		{"defaults", func(*Thresholds) {}, ""},
		{"stricter idle", func(th *Thresholds) { th.IdleWatchMs, th.IdleActNowMs = 60_000, 120_000 }, ""},
		{"no escalation from struggle", func(th *Thresholds) { th.StruggleProblems = 0 }, ""},
		{"idle zero", func(th *Thresholds) { th.IdleWatchMs = 0 }, "idle_watch_ms"},
		{"no class-level idle", func(th *Thresholds) { th.IdleClass = 0 }, ""},
		{"act now at once", func(th *Thresholds) { th.ActNowPersistMs = 0 }, ""},
		{"act now before it began", func(th *Thresholds) { th.ActNowPersistMs = -1 }, "act_now_persist_ms"},
		{"a class of one idle", func(th *Thresholds) { th.IdleClass = 1 }, "idle_class"},
		{"idle act now before watch", func(th *Thresholds) { th.IdleActNowMs = th.IdleWatchMs }, "idle_act_now_ms"},
		{"window beyond the history", func(th *Thresholds) { th.StruggleWindow = MaxAttempts + 1 }, "struggle_window"},
		{"gaming window beyond the history", func(th *Thresholds) { th.GamingWindow = MaxActions + 1 }, "gaming_window"},
		{"struggle count beyond its window", func(th *Thresholds) { th.StruggleMaxCorrect = 10 }, "struggle_max_correct"},
		{"struggle clears where it starts", func(th *Thresholds) { th.StruggleClear = th.StruggleMaxCorrect }, "struggle_clear"},
		{"struggle problems too few", func(th *Thresholds) { th.StruggleProblems = 2 }, "struggle_problems"},
		{"gaming act now below watch", func(th *Thresholds) { th.GamingActNow = 2 }, "gaming_act_now"},
		{"gaming clears above watch", func(th *Thresholds) { th.GamingClear = 4 }, "gaming_clear"},
		{"doing well clears above its start", func(th *Thresholds) { th.WellClear = 9 }, "well_clear"},
		{"prerequisite wrong beyond its window", func(th *Thresholds) { th.PrereqWrong = 5 }, "prereq_wrong"},
		{"prerequisite depth zero", func(th *Thresholds) { th.PrereqDepth = 0 }, "prereq_depth"},
		{"stuck after no problems", func(th *Thresholds) { th.StuckAttempts = 0 }, "stuck_attempts"},
		{"stuck mastery NaN", func(th *Thresholds) { th.StuckMastery = math.NaN() }, "stuck_mastery"},
		{"prerequisite mastery above 1", func(th *Thresholds) { th.PrereqMastery = 1.5 }, "prereq_mastery"},
		{"struggling and doing well at once", func(th *Thresholds) {
			th.StruggleMaxCorrect, th.WellMinCorrect, th.WellClear = 8, 8, 8
			th.StruggleClear = 9
		}, "cannot be struggling and doing well"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := DefaultThresholds()
			tt.edit(&th)
			err := th.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestNextCheck(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		name string
		edit func(s *Student)
		now  int64
		at   int64
		ok   bool
	}{
		{"just acted", nil, t0, t0 + 2*minute, true},
		{"one ms before watch", nil, t0 + 2*minute - 1, t0 + 2*minute, true},
		{"at watch after no trouble: nothing more", nil, t0 + 2*minute, 0, false},
		{"at watch after wrong answers: next is act now", struggling, t0 + 2*minute, t0 + 5*minute, true},
		{"at act now: nothing more", struggling, t0 + 5*minute, 0, false},
		{"no activity", func(s *Student) { s.ActivityOpen = false }, t0, 0, false},
		{"hand up", func(s *Student) { s.HandUp = true }, t0, 0, false},
		{"never acted", func(s *Student) { s.LastAction = 0 }, t0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := learner(t0)
			if tt.edit != nil {
				tt.edit(&s)
			}
			at, ok := th.NextCheck(s, tt.now)
			if at != tt.at || ok != tt.ok {
				t.Errorf("NextCheck = %d, %v, want %d, %v", at, ok, tt.at, tt.ok)
			}
		})
	}
}

// NextCheck is exactly when the idle finding changes: one ms earlier it
// has not yet.
func TestNextCheckMatchesEvaluate(t *testing.T) {
	th := DefaultThresholds()
	s := learner(t0)
	now := t0
	level := func(at int64) protocol.FlagLevel {
		f, _ := find(Evaluate(s, nil, th, at), protocol.RuleIdle)
		return f.Level
	}
	for {
		at, ok := th.NextCheck(s, now)
		if !ok {
			break
		}
		if level(at-1) == level(at) {
			t.Errorf("nothing changes at %d", at-t0)
		}
		now = at
	}
	if now != t0+th.IdleWatchMs {
		t.Errorf("last check at %d, want %d: a quiet student who was not in trouble stays at watch", now-t0, th.IdleWatchMs)
	}
	// After wrong answers, the silence reaches act now, and NextCheck
	// says when.
	for i := range 10 {
		s.Answer(Attempt{Item: protocol.ItemID(fmt.Sprint("w", i)), Skill: "frac.add", At: t0 + int64(i)}, mastery.Default)
		s.NewStep(0)
	}
	s.LastAction = t0
	at, ok := th.NextCheck(s, t0+th.IdleWatchMs)
	if !ok || at != t0+th.IdleActNowMs || level(at-1) != protocol.LevelWatch || level(at) != protocol.LevelActNow {
		t.Errorf("after ten wrong answers: next check %d (%v), levels %s then %s; want act now at %d",
			at-t0, ok, level(at-1), level(at), th.IdleActNowMs)
	}
}

var wantRange = regexp.MustCompile(`want (-?\d+) to (-?\d+)`)

// A field out of range is named once, and the fields whose range depends
// on it are not refused with an empty range ("want 0 to -1").
func TestValidateNamesTheFieldAtFault(t *testing.T) {
	for _, edit := range []func(th *Thresholds){
		func(th *Thresholds) { th.StruggleWindow = 0 },
		func(th *Thresholds) { th.GamingWindow = 0 },
		func(th *Thresholds) { th.WellWindow = 0 },
		func(th *Thresholds) { th.PrereqWindow = 0 },
	} {
		th := DefaultThresholds()
		edit(&th)
		err := th.Validate()
		if err == nil {
			t.Fatalf("%+v accepted", th)
		}
		for _, m := range wantRange.FindAllStringSubmatch(err.Error(), -1) {
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if hi < lo {
				t.Errorf("an empty range in the refusal:\n%s", err)
			}
		}
	}
}
