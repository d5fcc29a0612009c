package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// Finding is one condition that holds for a student now.
type Finding struct {
	Student  protocol.StudentID `json:"student"`
	Name     string             `json:"name"`
	Rule     protocol.FlagRule  `json:"rule"`
	Level    protocol.FlagLevel `json:"level"`
	Skill    protocol.SkillID   `json:"skill,omitempty"`
	Evidence protocol.Evidence  `json:"evidence"`
	Help     *protocol.Help     `json:"help,omitempty"`
	// Need is how much the student needs a teacher for this condition,
	// 0 to 1; docs/DETECTORS.md gives it per rule. It ranks the queue and
	// decides whether new evidence is worth an update.
	Need float64 `json:"need"`
	// Lingering says the condition no longer meets the threshold that
	// raises it but has not gone away either: it is in the rule's
	// hysteresis band (docs/DETECTORS.md). A lingering finding keeps a
	// live flag from clearing; it never opens or escalates one.
	Lingering bool `json:"lingering,omitempty"`
	// Failed is when the student last got a problem wrong first time (a
	// wrong first attempt in Record.Firsts); 0 if none is recorded. A
	// condition waiting to rise to act now rises at the next failure
	// (ReconcileWithin).
	Failed int64 `json:"failed,omitempty"`
	// Forecast says the finding foretells trouble that is only worth
	// foretelling before it comes (wheel-spinning before the tenth
	// problem): it rises to act now without waiting to persist.
	Forecast bool `json:"forecast,omitempty"`
}

// strength orders the rules when several hold at once: the merged flag
// takes the rule of the strongest. A request for help comes first since
// the student is waiting; then the rules that come with a specific remedy,
// most specific first; then behaviour.
func strength(r protocol.FlagRule) int {
	switch r {
	case protocol.RuleHelp:
		return 6
	case protocol.RulePrereqGap:
		return 5
	case protocol.RuleStuck:
		return 4
	case protocol.RuleStruggle:
		return 3
	case protocol.RuleGaming:
		return 2
	case protocol.RuleIdle:
		return 1
	}
	return 0
}

// levelRank orders levels; an unknown level ranks below info.
func levelRank(l protocol.FlagLevel) int {
	switch l {
	case protocol.LevelActNow:
		return 3
	case protocol.LevelWatch:
		return 2
	case protocol.LevelInfo:
		return 1
	}
	return 0
}

// Evaluate applies every rule to s at time now and returns the conditions
// that hold, and those that linger in their hysteresis band (Lingering),
// strongest rule first, at most one per rule. It looks no further back
// than MaxAttempts attempts and MaxActions actions, and does not change
// s. g may be nil: then no prerequisite gap is found and skills go by
// their IDs. th should be valid, but Evaluate does not panic on any
// input.
func Evaluate(s Student, g Graph, th Thresholds, now int64) []Finding {
	s.Attempts = last(s.Attempts, MaxAttempts)
	s.Firsts = last(s.Firsts, MaxAttempts)
	s.Actions = last(s.Actions, MaxActions)
	e := evaluator{s: s, g: g, th: th, now: now}
	var out []Finding
	var failed int64
	for i := len(s.Firsts) - 1; i >= 0; i-- {
		if !s.Firsts[i].Right() {
			failed = s.Firsts[i].At
			break
		}
	}
	add := func(f Finding, ok bool) {
		if ok {
			f.Student, f.Name, f.Failed = s.ID, s.Name, failed
			out = append(out, f)
		}
	}
	add(e.help())
	add(e.prereqGap())
	add(e.stuck())
	add(e.struggle())
	add(e.gaming())
	add(e.idle())
	add(e.doingWell())
	return out
}

type evaluator struct {
	s   Student
	g   Graph
	th  Thresholds
	now int64
}

func (e *evaluator) name(skill protocol.SkillID) string {
	if e.g == nil || skill == "" {
		return string(skill)
	}
	if n := e.g.Name(skill); n != "" {
		return n
	}
	return string(skill)
}

// lesson returns a copy of the skill's lesson with advice, or advice alone.
func (e *evaluator) lesson(skill protocol.SkillID, advice string) *protocol.Help {
	var h protocol.Help
	if e.g != nil && skill != "" {
		if l := e.g.Lesson(skill); l != nil {
			h = *l
			h.Items = slices.Clone(l.Items)
		}
	}
	if h.Skill == "" {
		h.Skill = skill
	}
	if h.Advice == "" {
		h.Advice = advice
	} else {
		h.Advice = advice + " " + h.Advice
	}
	return &h
}

// current is the skill the student is on: the one the room says, or else
// the skill of the last attempt.
func (e *evaluator) current() protocol.SkillID {
	if e.s.Skill != "" {
		return e.s.Skill
	}
	if n := len(e.s.Attempts); n > 0 {
		return e.s.Attempts[n-1].Skill
	}
	return ""
}

func (e *evaluator) skillMastery(skill protocol.SkillID, p float64) protocol.SkillMastery {
	return protocol.SkillMastery{Skill: skill, Name: e.name(skill), P: p, Mastered: p >= e.masteredAt(skill)}
}

// mastery returns the student's estimate for skill, if there is a usable
// one.
func (e *evaluator) mastery(skill protocol.SkillID) (float64, bool) {
	p, ok := e.s.Mastery[skill]
	if !ok || math.IsNaN(p) {
		return 0, false
	}
	return min(max(p, 0), 1), true
}

// masteredAt is the skill's mastery threshold.
func (e *evaluator) masteredAt(skill protocol.SkillID) float64 {
	if e.g != nil {
		if m := e.g.Mastered(skill); m > 0 {
			return m
		}
	}
	return mastery.Default.Mastered
}

func last[T any](xs []T, n int) []T {
	if n < 0 {
		n = 0
	}
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

func summaries(as []Attempt) []protocol.AttemptSummary {
	if len(as) == 0 {
		return nil
	}
	out := make([]protocol.AttemptSummary, len(as))
	for i, a := range as {
		out[i] = summary(a)
	}
	return out
}

func summary(a Attempt) protocol.AttemptSummary {
	return protocol.AttemptSummary{Item: a.Item, Skill: a.Skill, Response: a.Response, Correct: a.Correct, Hint: a.Hint, Hints: a.Hints, Ms: a.Ms, At: a.At}
}

// correct counts the entries that are Right: a hint first, or a correct
// answer after hints, is not.
func correct(as []Attempt) int {
	n := 0
	for _, a := range as {
		if a.Right() {
			n++
		}
	}
	return n
}

// minutes writes a duration for teachers: "2 minutes", "90 seconds".
func minutes(ms int64) string {
	switch {
	case ms == 60_000:
		return "1 minute"
	case ms%60_000 == 0:
		return fmt.Sprintf("%d minutes", ms/60_000)
	}
	return fmt.Sprintf("%d seconds", ms/1000)
}

// help: the student raised a hand. It is private: flags never reach other
// students.
func (e *evaluator) help() (Finding, bool) {
	if !e.s.HandUp {
		return Finding{}, false
	}
	since := e.s.HandSince
	if since <= 0 {
		since = e.now
	}
	return Finding{
		Rule: protocol.RuleHelp, Level: protocol.LevelActNow, Skill: e.current(),
		Evidence: protocol.Evidence{Summary: "Asked for help: hand raised.", Since: since},
		Need:     0.8,
	}, true
}

// prereqGap: a prerequisite within PrereqDepth steps is known to be weak
// while the student is failing the skill that builds on it.
func (e *evaluator) prereqGap() (Finding, bool) {
	th, skill := e.th, e.current()
	if e.g == nil || skill == "" || th.PrereqWindow < 1 {
		return Finding{}, false
	}
	// The last PrereqWindow attempts on the skill, oldest first.
	var recent []Attempt
	for i := len(e.s.Attempts) - 1; i >= 0 && len(recent) < th.PrereqWindow; i-- {
		if a := e.s.Attempts[i]; a.Skill == skill {
			recent = append(recent, a)
		}
	}
	slices.Reverse(recent)
	wrong := len(recent) - correct(recent)
	// Failing the skill raises the gap. Once raised it lingers, whatever
	// the last few answers, until the skill practised is mastered: lucky
	// guesses can carry the estimate of a skill over its threshold and
	// move the student on, and the same missing prerequisite then
	// undermines the next skill.
	cur, curKnown := e.mastery(skill)
	lingering := wrong < max(th.PrereqWrong, 1)
	if lingering && curKnown && cur >= e.masteredAt(skill) {
		return Finding{}, false
	}
	type low struct {
		skill protocol.SkillID
		p     float64
		depth int
	}
	var lows []low
	seen := map[protocol.SkillID]bool{skill: true}
	frontier := []protocol.SkillID{skill}
	for depth := 1; depth <= th.PrereqDepth && len(frontier) > 0; depth++ {
		var next []protocol.SkillID
		for _, sk := range frontier {
			for _, q := range e.g.Prereqs(sk) {
				if seen[q] || len(seen) > 256 {
					continue
				}
				seen[q] = true
				next = append(next, q)
				if p, ok := e.mastery(q); ok && p < th.PrereqMastery {
					lows = append(lows, low{q, p, depth})
				}
			}
		}
		frontier = next
	}
	if len(lows) == 0 {
		return Finding{}, false
	}
	slices.SortFunc(lows, func(a, b low) int {
		return cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(a.depth, b.depth), cmp.Compare(a.skill, b.skill))
	})
	first := lows[0]
	skills := make([]protocol.SkillMastery, 0, len(lows)+1)
	for _, l := range lows {
		skills = append(skills, e.skillMastery(l.skill, l.p))
	}
	if curKnown {
		skills = append(skills, e.skillMastery(skill, cur))
		slices.SortStableFunc(skills, func(a, b protocol.SkillMastery) int { return cmp.Compare(a.P, b.P) })
	}
	since := e.now
	if len(recent) > 0 {
		since = recent[0].At
	}
	summary := fmt.Sprintf("Missing a prerequisite: %s is at %.2f while %d of the last %d answers on %s are wrong.",
		e.name(first.skill), first.p, wrong, len(recent), e.name(skill))
	if lingering {
		summary = fmt.Sprintf("Missing a prerequisite: %s is at %.2f and %s is not mastered yet.",
			e.name(first.skill), first.p, e.name(skill))
	}
	gap := 1.0
	if th.PrereqMastery > 0 {
		gap = 1 - first.p/th.PrereqMastery
	}
	return Finding{
		Rule: protocol.RulePrereqGap, Level: protocol.LevelActNow, Skill: skill,
		Evidence: protocol.Evidence{
			Summary:   summary,
			Attempts:  summaries(recent),
			LowSkills: skills,
			Since:     since,
		},
		Help:      e.lesson(first.skill, fmt.Sprintf("Send the lesson on %s before going on with %s.", e.name(first.skill), e.name(skill))),
		Need:      0.7 + 0.3*min(max(gap, 0), 1),
		Lingering: lingering,
	}, true
}

// stuck: many practice opportunities on the skill without mastering it
// (wheel-spinning): the skill practised now, else the last one of the
// recent problems the rule lingers on; the other skills of the recent
// problems the student spins on are named in the same finding.
func (e *evaluator) stuck() (Finding, bool) {
	// Every skill of the recent problems the student spins on, the one
	// in front of them first: several skills at once are one student for
	// the teacher to go to, with the skills in the evidence.
	var main Finding
	found := false
	var also []protocol.SkillMastery
	seen := map[protocol.SkillID]bool{}
	consider := func(sk protocol.SkillID, left bool) {
		if seen[sk] {
			return
		}
		seen[sk] = true
		if !found {
			f, ok := e.stuckOn(sk)
			if !ok {
				return
			}
			// A student who left a skill they were stuck on for another,
			// as tutors interleave skills, has not got over it: the flag
			// lingers on it while it stays among the recent problems.
			f.Lingering = f.Lingering || left
			main, found = f, true
			return
		}
		if spinning, _, ok := e.spins(sk); ok && spinning {
			p, _ := e.mastery(sk)
			also = append(also, e.skillMastery(sk, p))
		}
	}
	cur := e.current()
	consider(cur, false)
	for i := len(e.s.Firsts) - 1; i >= 0; i-- {
		consider(e.s.Firsts[i].Skill, e.s.Firsts[i].Skill != cur)
	}
	if !found {
		return Finding{}, false
	}
	if len(also) > 0 {
		names := make([]string, len(also))
		for i, m := range also {
			names[i] = fmt.Sprintf("%s (%.2f)", m.Name, m.P)
		}
		main.Evidence.Summary += " Also stuck on " + strings.Join(names, ", ") + "."
		main.Evidence.LowSkills = append(main.Evidence.LowSkills, also...)
		main.Need = min(main.Need+MergeBonus*float64(len(also)), 1)
	}
	return main, true
}

// recentWrong counts the skill's last StuckEarly first attempts in the
// record, and the wrong ones among them.
func (e *evaluator) recentWrong(skill protocol.SkillID) (seen, wrong int) {
	k := e.th.StuckEarly
	if k <= 0 {
		k = 7
	}
	for i := len(e.s.Firsts) - 1; i >= 0 && seen < k; i-- {
		if a := e.s.Firsts[i]; a.Skill == skill {
			seen++
			if !a.Right() {
				wrong++
			}
		}
	}
	return seen, wrong
}

// stuckCandidate is the skill's first attempts and mastery when the stuck
// rule may hold on it: a known skill, not mastered, with the opportunities
// of one of its conditions (raised by either, it lingers until the skill
// is mastered once the student has had them).
func (e *evaluator) stuckCandidate(skill protocol.SkillID) (n int, p float64, ok bool) {
	th := e.th
	n = e.s.FirstAttempts[skill]
	p, known := e.mastery(skill)
	least := max(th.StuckAttempts, 1)
	if th.StuckEarly > 0 {
		least = min(least, th.StuckEarly)
	}
	return n, p, skill != "" && known && p < e.masteredAt(skill) && n >= least
}

// spins reports whether the stuck rule holds on skill (spinning: not
// lingering) or lingers there, without building the evidence.
func (e *evaluator) spins(skill protocol.SkillID) (spinning, lingering, ok bool) {
	th := e.th
	n, p, ok := e.stuckCandidate(skill)
	if !ok {
		return false, false, false
	}
	if n >= max(th.StuckAttempts, 1) && p < th.StuckMastery {
		return true, false, true
	}
	if _, wrong := e.recentWrong(skill); th.StuckEarly > 0 && n >= th.StuckEarly && p < th.StuckEarlyMastery && wrong >= th.StuckEarlyWrong {
		return true, false, true
	}
	return false, true, true
}

func (e *evaluator) stuckOn(skill protocol.SkillID) (Finding, bool) {
	th := e.th
	n, p, ok := e.stuckCandidate(skill)
	if !ok {
		return Finding{}, false
	}
	spinning := n >= max(th.StuckAttempts, 1) && p < th.StuckMastery
	seen, wrong := e.recentWrong(skill)
	failing := th.StuckEarly > 0 && wrong >= th.StuckEarlyWrong
	early := !spinning && th.StuckEarly > 0 && n >= th.StuckEarly && p < th.StuckEarlyMastery && failing
	level := protocol.LevelActNow
	if spinning && !failing {
		// Ten problems without mastery, but not failing now: the
		// teacher should know, not come at once.
		level = protocol.LevelWatch
	}
	lingering := !spinning && !early
	// The last ten attempts on the skill, oldest first.
	var at [10]int
	found := 0
	for i := len(e.s.Attempts) - 1; i >= 0 && found < len(at); i-- {
		if e.s.Attempts[i].Skill == skill {
			at[found] = i
			found++
		}
	}
	var on []protocol.AttemptSummary
	since := e.now
	if found > 0 {
		on = make([]protocol.AttemptSummary, found)
		for j := range found {
			on[found-1-j] = summary(e.s.Attempts[at[j]])
		}
		since = on[0].At
	}
	k := float64(max(th.StuckAttempts, 1))
	summaryText := fmt.Sprintf("Stuck: %d problems on %s without mastering it (%.2f).", n, e.name(skill), p)
	if early && !spinning {
		summaryText = fmt.Sprintf("Stuck: %d of the last %d problems on %s wrong first time after %d tries, and it is at %.2f.", wrong, seen, e.name(skill), n, p)
	}
	return Finding{
		Rule: protocol.RuleStuck, Level: level, Skill: skill,
		Evidence: protocol.Evidence{
			Summary:   summaryText,
			Attempts:  on,
			LowSkills: []protocol.SkillMastery{e.skillMastery(skill, p)},
			Since:     since,
		},
		Help:      e.lesson(skill, "More of the same problems is not helping: re-teach it with a worked example or another approach."),
		Need:      0.6 + 0.3*min(max(float64(n)-k/2, 0)/(2*k), 1),
		Lingering: lingering,
		Forecast:  early,
	}, true
}

// struggle: few right among the recent attempts, on any skill, raised at
// "watch"; "act now" when, besides, few of the last problems were right
// first time (Record.Firsts), however many retries came between them: a
// student who gets a new skill after a few wrong tries on two problems
// shows the first pattern but not the second, and a student who fails
// problem after problem shows both whatever the retries.
func (e *evaluator) struggle() (Finding, bool) {
	th := e.th
	if th.StruggleWindow < 1 {
		return Finding{}, false
	}
	w := last(e.s.Attempts, th.StruggleWindow)
	c := correct(w)
	full := len(w) == th.StruggleWindow
	watch := full && c <= th.StruggleMaxCorrect
	lingering := full && !watch && c < max(th.StruggleClear, th.StruggleMaxCorrect+1)
	var fs []Attempt
	fc := 0
	if watch && th.StruggleProblems > 0 {
		fs = e.practised(th.StruggleProblems)
		fc = correct(fs)
	}
	act := watch && len(fs) == th.StruggleProblems && th.StruggleProblems > 0 && fc <= th.StruggleMaxCorrect
	if !watch && !lingering {
		return Finding{}, false
	}
	level, need := protocol.LevelWatch, 0.4
	summary := fmt.Sprintf("Struggling: %d of the last %d answers right.", c, len(w))
	evidence := w
	if act {
		level, evidence = protocol.LevelActNow, fs
		sev := 1.0
		if th.StruggleMaxCorrect > 0 {
			sev = float64(th.StruggleMaxCorrect-fc) / float64(th.StruggleMaxCorrect)
		}
		need = 0.5 + 0.4*sev
		summary = fmt.Sprintf("Struggling: %d of the last %d problems right first time.", fc, len(fs))
		if len(w) > 0 {
			summary = fmt.Sprintf("Struggling: %d of the last %d problems right first time, %d of the last %d answers right.", fc, len(fs), c, len(w))
		}
	}
	skill := e.current()
	return Finding{
		Rule: protocol.RuleStruggle, Level: level, Skill: skill,
		Evidence: protocol.Evidence{
			Summary:  summary,
			Attempts: summaries(evidence),
			Since:    evidence[0].At,
		},
		Help:      e.lesson(skill, "Work one problem through with them, then let them try the next alone."),
		Need:      need,
		Lingering: lingering,
	}, true
}

// practised returns the last n first attempts (or fewer) on skills the
// student had practised before: a skill's first opportunity shows what
// the student was never taught, not that they struggle.
func (e *evaluator) practised(n int) []Attempt {
	i, fresh := len(e.s.Firsts), false
	for k := 0; i > 0 && k < n; {
		i--
		if e.s.Firsts[i].New {
			fresh = true
		} else {
			k++
		}
	}
	if !fresh {
		return e.s.Firsts[i:]
	}
	out := make([]Attempt, 0, n)
	for _, a := range e.s.Firsts[i:] {
		if !a.New {
			out = append(out, a)
		}
	}
	return out
}

// fast reports whether an action came quicker than a deliberate read of
// what it answered allows.
func fast(ms, readMs int64) bool { return readMs > 0 && ms >= 0 && ms < readMs }

// gaming: answers and hint requests faster than a careful read allows:
// rapid guessing and clicking through hints.
func (e *evaluator) gaming() (Finding, bool) {
	th := e.th
	w := last(e.s.Actions, th.GamingWindow)
	n, hints := 0, 0
	var since int64
	for _, a := range w {
		if fast(a.Ms, a.ReadMs) {
			if n == 0 {
				since = a.At
			}
			n++
			if a.Kind == KindHint {
				hints++
			}
		}
	}
	if n < max(min(th.GamingClear, th.GamingWatch), 1) {
		return Finding{}, false
	}
	lingering := n < th.GamingWatch
	level := protocol.LevelWatch
	if n >= th.GamingActNow {
		level = protocol.LevelActNow
	}
	var rushed []Attempt
	for _, a := range e.s.Attempts {
		if a.At >= w[0].At && fast(a.Ms, a.ReadMs) {
			rushed = append(rushed, a)
		}
	}
	rushed = last(rushed, len(w))
	return Finding{
		Rule: protocol.RuleGaming, Level: level, Skill: e.current(),
		Evidence: protocol.Evidence{
			Summary: fmt.Sprintf("Rushing: %d of the last %d actions faster than a careful read (%d answers, %d hints).",
				n, len(w), n-hints, hints),
			Attempts: summaries(rushed),
			Since:    since,
		},
		Help:      &protocol.Help{Skill: e.current(), Advice: "Sit with them for one problem and ask them to explain each step before answering."},
		Need:      0.3 + 0.5*float64(n)/float64(max(len(w), 1)),
		Lingering: lingering,
	}, true
}

// idle: no action for a while when expected to be working. A raised hand
// is waiting for help, not idling; a student idle with many others is
// left to the class-level notice (ClassIdle).
func (e *evaluator) idle() (Finding, bool) {
	th, s := e.th, e.s
	if s.Together || !idleNow(s, th, e.now) {
		return Finding{}, false
	}
	return e.idleFinding()
}

// idleNow reports whether the idle rule holds for s at now, at watch or
// above, leaving aside whether others are idle too.
func idleNow(s Student, th Thresholds, now int64) bool {
	return s.ActivityOpen && !s.HandUp && s.LastAction > 0 && th.IdleWatchMs > 0 && now-s.LastAction >= th.IdleWatchMs
}

func (e *evaluator) idleFinding() (Finding, bool) {
	th, s := e.th, e.s
	if !s.ActivityOpen || s.HandUp || s.LastAction <= 0 || th.IdleWatchMs <= 0 {
		return Finding{}, false
	}
	gone := e.now - s.LastAction
	if gone < th.IdleWatchMs {
		return Finding{}, false
	}
	level, need, after := protocol.LevelWatch, 0.35, th.IdleWatchMs
	summary := "Idle: no action for over %s with the activity open."
	// A long silence calls the teacher only after trouble: a student who
	// was failing and stopped has likely given up, while one who was
	// getting on is as likely reading, thinking or away for a reason.
	if gone >= th.IdleActNowMs {
		after = th.IdleActNowMs
		if e.troubled() {
			level, need = protocol.LevelActNow, 0.5
			summary = "Idle: no action for over %s after getting problems wrong."
		}
	}
	return Finding{
		Rule: protocol.RuleIdle, Level: level, Skill: e.current(),
		Evidence: protocol.Evidence{
			Summary: fmt.Sprintf(summary, minutes(after)),
			Since:   s.LastAction,
		},
		Help: &protocol.Help{Skill: e.current(), Advice: "Check in: ask what they are working on and what the next step is."},
		Need: need,
	}, true
}

// troubled reports whether the student's last answers show trouble: the
// struggle rule holds at watch or above, or the student is stuck on the
// skill in front of them and failing it now.
func (e *evaluator) troubled() bool {
	if f, ok := e.struggle(); ok && !f.Lingering {
		return true
	}
	f, ok := e.stuckOn(e.current())
	return ok && !f.Lingering && f.Level == protocol.LevelActNow
}

// doingWell: most of the recent answers right. A suggestion, never an
// alarm.
func (e *evaluator) doingWell() (Finding, bool) {
	th := e.th
	if th.WellWindow < 1 || len(e.s.Attempts) < th.WellWindow {
		return Finding{}, false
	}
	w := last(e.s.Attempts, th.WellWindow)
	c := correct(w)
	if c < max(min(th.WellClear, th.WellMinCorrect), 1) {
		return Finding{}, false
	}
	since := w[0].At
	return Finding{
		Rule: protocol.RuleDoingWell, Level: protocol.LevelInfo, Skill: e.current(),
		Evidence: protocol.Evidence{
			Summary: fmt.Sprintf("Doing well: %d of the last %d answers right.", c, len(w)),
			Since:   since,
		},
		Help:      &protocol.Help{Skill: e.current(), Advice: "Ready for more: offer an extension or a challenge problem, or let them help a classmate."},
		Need:      0.1 + 0.1*float64(c)/float64(len(w)),
		Lingering: c < th.WellMinCorrect,
	}, true
}
