package detect

import (
	"errors"
	"fmt"
	"math"
)

// Thresholds are the numbers the detectors use. A school or a teacher may
// change them; Validate says whether a set makes sense. docs/DETECTORS.md
// gives the reasons for the defaults.
type Thresholds struct {
	// Idle: no action for this long while an activity is open.
	IdleWatchMs  int64 `json:"idle_watch_ms"`
	IdleActNowMs int64 `json:"idle_act_now_ms"`
	// IdleClass: when this many students of a class or more are idle at
	// once, they make one class-level notice instead of a flag each
	// (ClassIdle); 0: never.
	IdleClass int `json:"idle_class"`

	// ActNowBudget is how many flags of a class may be at act now at once
	// (open or acknowledged); the others wait at watch (Flag.Waiting) and
	// rise as those are dealt with. 0: no limit.
	ActNowBudget int `json:"act_now_budget"`
	// ActNowPersistMs is how long a condition calling for act now must
	// last, at need 1 and on one piece of evidence, before its flag rises
	// from watch to act now: the wait is ActNowPersistMs divided by the
	// need and by the pieces of evidence (Budget). A raised hand never
	// waits. 0: at once.
	ActNowPersistMs int64 `json:"act_now_persist_ms"`

	// Struggle: at most StruggleMaxCorrect right among the last
	// StruggleWindow attempts, once there are that many, is "watch"; at
	// most StruggleMaxCorrect right of the last StruggleProblems first
	// attempts (Record.Firsts, which retries do not dilute) is "act now"
	// (0: never). A struggle flag clears once StruggleClear of the window
	// are right.
	StruggleWindow     int `json:"struggle_window"`
	StruggleMaxCorrect int `json:"struggle_max_correct"`
	StruggleProblems   int `json:"struggle_problems"`
	StruggleClear      int `json:"struggle_clear"`

	// Stuck (wheel-spinning): at least StuckAttempts first attempts on the
	// skill practised while its mastery is below StuckMastery.
	StuckAttempts int     `json:"stuck_attempts"`
	StuckMastery  float64 `json:"stuck_mastery"`
	// Stuck early (a forecast of wheel-spinning): at least StuckEarly
	// first attempts on the skill, its mastery below StuckEarlyMastery, and
	// at least StuckEarlyWrong of the skill's last StuckEarly first
	// attempts wrong (0: no forecast).
	StuckEarly        int     `json:"stuck_early"`
	StuckEarlyMastery float64 `json:"stuck_early_mastery"`
	StuckEarlyWrong   int     `json:"stuck_early_wrong"`

	// Prerequisite gap: a prerequisite at most PrereqDepth steps back with
	// mastery below PrereqMastery, while at least PrereqWrong of the last
	// PrereqWindow attempts on the skill practised are wrong.
	PrereqMastery float64 `json:"prereq_mastery"`
	PrereqDepth   int     `json:"prereq_depth"`
	PrereqWindow  int     `json:"prereq_window"`
	PrereqWrong   int     `json:"prereq_wrong"`

	// Gaming: at least GamingWatch (watch) or GamingActNow (act now) of
	// the last GamingWindow actions faster than a deliberate read.
	GamingWindow int `json:"gaming_window"`
	GamingWatch  int `json:"gaming_watch"`
	GamingActNow int `json:"gaming_act_now"`
	// A gaming flag clears once fewer than GamingClear of the window are
	// too fast.
	GamingClear int `json:"gaming_clear"`

	// Doing well: at least WellMinCorrect right among the last WellWindow
	// attempts.
	WellWindow     int `json:"well_window"`
	WellMinCorrect int `json:"well_min_correct"`
	// A doing-well flag clears once fewer than WellClear of the window
	// are right.
	WellClear int `json:"well_clear"`
}

// DefaultThresholds returns the thresholds docs/DETECTORS.md describes.
func DefaultThresholds() Thresholds {
	return Thresholds{
		IdleWatchMs:        2 * 60_000,
		IdleActNowMs:       5 * 60_000,
		IdleClass:          4,
		ActNowBudget:       3,
		ActNowPersistMs:    2 * 60_000,
		StruggleWindow:     10,
		StruggleMaxCorrect: 3,
		StruggleProblems:   10,
		StruggleClear:      6,
		StuckAttempts:      10,
		StuckMastery:       0.8,
		StuckEarly:         7,
		StuckEarlyMastery:  0.4,
		StuckEarlyWrong:    5,
		PrereqMastery:      0.4,
		PrereqDepth:        2,
		PrereqWindow:       4,
		PrereqWrong:        2,
		GamingWindow:       10,
		GamingWatch:        3,
		GamingActNow:       5,
		GamingClear:        1,
		WellWindow:         10,
		WellMinCorrect:     8,
		WellClear:          6,
	}
}

// Validate reports whether th makes sense: every window fits in the
// history the room keeps, every count fits in its window, the "act now"
// level of a rule comes after its "watch" level, and the struggling and
// doing-well ranges do not overlap.
func (th Thresholds) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("detect: "+format, a...)) }
	if th.IdleWatchMs <= 0 {
		bad("idle_watch_ms = %d, want it above 0", th.IdleWatchMs)
	}
	if th.IdleActNowMs <= th.IdleWatchMs {
		bad("idle_act_now_ms = %d, want it above idle_watch_ms (%d)", th.IdleActNowMs, th.IdleWatchMs)
	}
	if th.ActNowBudget < 0 {
		bad("act_now_budget = %d, want 0 (no limit) or more", th.ActNowBudget)
	}
	if th.ActNowPersistMs < 0 {
		bad("act_now_persist_ms = %d, want 0 (at once) or more", th.ActNowPersistMs)
	}
	if th.IdleClass == 1 || th.IdleClass < 0 {
		bad("idle_class = %d, want 0 (never) or 2 and more", th.IdleClass)
	}
	window := func(name string, w, limit int) {
		if w < 1 || w > limit {
			bad("%s = %d, want 1 to %d", name, w, limit)
		}
	}
	window("struggle_window", th.StruggleWindow, MaxAttempts)
	window("prereq_window", th.PrereqWindow, MaxAttempts)
	window("gaming_window", th.GamingWindow, MaxActions)
	window("well_window", th.WellWindow, MaxAttempts)
	count := func(name string, n, lo, hi int) {
		// A range that is empty comes from a field it depends on, which
		// is reported already: "want 0 to -1" would only confuse.
		if hi >= lo && (n < lo || n > hi) {
			bad("%s = %d, want %d to %d", name, n, lo, hi)
		}
	}
	count("struggle_max_correct", th.StruggleMaxCorrect, 0, th.StruggleWindow-1)
	count("prereq_wrong", th.PrereqWrong, 1, th.PrereqWindow)
	count("gaming_watch", th.GamingWatch, 1, th.GamingWindow)
	count("gaming_act_now", th.GamingActNow, th.GamingWatch, th.GamingWindow)
	count("well_min_correct", th.WellMinCorrect, 1, th.WellWindow)
	count("struggle_problems", th.StruggleProblems, 0, MaxAttempts)
	if th.StruggleProblems > 0 && th.StruggleProblems <= th.StruggleMaxCorrect {
		bad("struggle_problems = %d, want it above struggle_max_correct (%d) or 0", th.StruggleProblems, th.StruggleMaxCorrect)
	}
	count("struggle_clear", th.StruggleClear, th.StruggleMaxCorrect+1, th.StruggleWindow)
	count("gaming_clear", th.GamingClear, 1, th.GamingWatch)
	count("well_clear", th.WellClear, 1, th.WellMinCorrect)
	count("stuck_attempts", th.StuckAttempts, 1, math.MaxInt32)
	count("prereq_depth", th.PrereqDepth, 1, 4)
	prob := func(name string, v float64) {
		if math.IsNaN(v) || v <= 0 || v > 1 {
			bad("%s = %v, want it in (0, 1]", name, v)
		}
	}
	prob("stuck_mastery", th.StuckMastery)
	if th.StuckEarly != 0 {
		count("stuck_early", th.StuckEarly, 1, MaxAttempts)
		count("stuck_early_wrong", th.StuckEarlyWrong, 1, max(th.StuckEarly, 1))
		prob("stuck_early_mastery", th.StuckEarlyMastery)
	}
	prob("prereq_mastery", th.PrereqMastery)
	if th.StruggleWindow == th.WellWindow && th.StruggleMaxCorrect >= th.WellMinCorrect {
		bad("struggle_max_correct (%d) must be below well_min_correct (%d): a student cannot be struggling and doing well at once",
			th.StruggleMaxCorrect, th.WellMinCorrect)
	}
	return errors.Join(errs...)
}

// NextCheck returns when, after since, the idle rule could next change
// its finding for s if s does nothing before then: the moment it would
// reach "watch", or "act now" when the student was in trouble before
// going quiet. The room arms a timer for it, with since the moment its
// detectors last looked at s (a moment already past is due at once). It
// returns false when no waiting can change anything: no activity open, a
// hand up (waiting for help is not idling), LastAction unknown, or "act
// now" reached by since.
func (th Thresholds) NextCheck(s Student, since int64) (int64, bool) {
	if !s.ActivityOpen || s.HandUp || s.LastAction <= 0 {
		return 0, false
	}
	ds := []int64{th.IdleWatchMs, th.IdleActNowMs}
	if e := (evaluator{s: s, th: th, now: since}); !e.troubled() {
		// A silence after no trouble stays at watch: nothing changes at
		// act now's time.
		ds = ds[:1]
	}
	for _, d := range ds {
		if at := s.LastAction + d; at > since {
			return at, true
		}
	}
	return 0, false
}
