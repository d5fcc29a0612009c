package detect

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// The policy's timing. docs/DETECTORS.md gives the reasons.
const (
	// Cooldown is how long after a flag closes (cleared by itself or
	// resolved by a teacher) a condition of the same concern may not open
	// a new flag at the same level or lower.
	Cooldown int64 = 3 * 60_000
	// UpdateGap is the least time between two updates of a flag for more
	// severe evidence alone.
	UpdateGap int64 = 60_000
	// Refresh is the least time between two updates of a flag whose
	// skill, suggested help or wording changed but whose rule did not and
	// whose evidence did not get worse: often enough that what the
	// teacher reads does not go stale, seldom enough that a student moving
	// from skill to skill does not send the flag again on every answer.
	Refresh int64 = 3 * 60_000
	// NeedStep is the rise in need that counts as more severe evidence:
	// one more problem wrong among the last ten for the struggle rule, a
	// prerequisite found weaker, or one more condition joining the flag.
	NeedStep = 0.05
	// MergeBonus is the need a merged flag gains for each condition
	// beyond its main one.
	MergeBonus = 0.05
)

// Queue scoring: a flag gains up to WaitWeight of need as it waits, in
// full after WaitCap.
const (
	WaitWeight       = 0.5
	WaitCap    int64 = 10 * 60_000
)

// Change kinds.
const (
	ChangeOpen     = "open"     // a new flag
	ChangeUpdate   = "update"   // new evidence, or a snooze ended with the condition still there
	ChangeEscalate = "escalate" // the level went up
	ChangeClear    = "clear"    // nothing the flag stood for holds any more
)

// Change is one change Reconcile asks the room to make. Flag is the flag
// as it should be stored and sent to teachers after the change.
type Change struct {
	Kind string        `json:"kind"`
	Flag protocol.Flag `json:"flag"`
}

// Concerns. Every flag belongs to one: the doing-well suggestion is its
// own, and every other rule is a reason the student needs a teacher, all
// merged in one flag so the teacher has one place to go per student.
const (
	concernNeed = iota
	concernEnrich
	concerns
)

func concern(r protocol.FlagRule) int {
	switch r {
	case protocol.RuleDoingWell:
		return concernEnrich
	case protocol.RuleHelp, protocol.RulePrereqGap, protocol.RuleStuck, protocol.RuleStruggle, protocol.RuleGaming, protocol.RuleIdle:
		return concernNeed
	}
	return -1
}

func live(f protocol.Flag) bool {
	return f.Status == protocol.FlagOpen || f.Status == protocol.FlagAcked || f.Status == protocol.FlagSnoozed
}

func closed(f protocol.Flag) bool {
	return f.Status == protocol.FlagCleared || f.Status == protocol.FlagResolved
}

// Merge folds the findings of one concern into the one a flag shows: the
// main finding is the one at the highest level, strongest rule first; the
// others are named in its summary ("Also stuck: …"). Its need is the
// main one's plus MergeBonus for each other condition; it began when the
// earliest did. The findings are taken in any order; Merge panics on
// none.
func Merge(fs []Finding) Finding {
	order := slices.Clone(fs)
	slices.SortStableFunc(order, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(levelRank(b.Level), levelRank(a.Level)), cmp.Compare(strength(b.Rule), strength(a.Rule)))
	})
	m := order[0]
	if len(order) == 1 {
		return m
	}
	var sum strings.Builder
	sum.WriteString(m.Evidence.Summary)
	for _, f := range order[1:] {
		sum.WriteString(" Also ")
		sum.WriteString(lowerFirst(f.Evidence.Summary))
		if m.Skill == "" {
			m.Skill = f.Skill
		}
		if len(m.Evidence.Attempts) == 0 {
			m.Evidence.Attempts = f.Evidence.Attempts
		}
		if len(m.Evidence.LowSkills) == 0 {
			m.Evidence.LowSkills = f.Evidence.LowSkills
		}
		if f.Evidence.Since > 0 && (m.Evidence.Since <= 0 || f.Evidence.Since < m.Evidence.Since) {
			m.Evidence.Since = f.Evidence.Since
		}
		if m.Help == nil {
			m.Help = f.Help
		}
	}
	m.Evidence.Summary = sum.String()
	m.Need = min(m.Need+MergeBonus*float64(len(order)-1), 1)
	return m
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// Reconcile compares one student's flags with the findings that hold now
// (from Evaluate) and returns the changes to make, in a fixed order. open
// holds the student's flags as the room keeps them: the live ones (open,
// acked, snoozed) and those closed (cleared or resolved) within the last
// Cooldown, with Updated set to when they closed; flags of rules this
// package does not know are left alone. newID gives the ID of a new flag.
//
// The policy, per concern (the doing-well suggestion, and everything
// else):
//
//   - One live flag per concern, so never two per rule. Several conditions
//     at once are merged into it (Merge): its rule is the strongest, the
//     others are named in its summary.
//   - Open when a condition holds (lingering ones do not count) and no
//     flag is live, unless a flag of the concern closed within Cooldown at
//     the same level or higher: it does not come back so soon. A hand
//     raised after that flag closed is a new request and opens at once.
//   - Escalate when the level of what holds goes above the flag's. The
//     level of a live flag never goes down: a condition easing from "act
//     now" to "watch" would otherwise alarm again each time it crossed
//     back.
//   - Update when the main rule changes; when the need rose by NeedStep or
//     more and the last update is UpdateGap old; or when the skill, the
//     suggested help or the summary changed and the last update is
//     Refresh old. Not on every answer.
//   - Clear when no condition of the concern holds and the flag's own rule
//     does not linger either.
//   - A snoozed flag gets no change before its snooze ends; then it is
//     updated back to open if its condition still holds, or cleared.
//
// If open already holds more than one live flag of a concern (which
// Reconcile never causes), the one with the highest level, then the
// oldest, carries the concern; the others are cleared when their rule no
// longer holds and left alone otherwise.
func Reconcile(open []protocol.Flag, findings []Finding, now int64, newID func() protocol.FlagID) []Change {
	return ReconcileWithin(open, findings, now, newID, Budget{Slots: -1})
}

// Budget is what a class allows a student's flags to reach act now.
type Budget struct {
	// Slots is how many more flags may be raised to act now for the
	// student now (Slots gives it); negative: no limit.
	Slots int
	// Persist is how long a condition calling for act now must last, at
	// need 1 on one piece of evidence, before the flag rises to act now
	// (Thresholds.ActNowPersistMs); 0: at once.
	Persist int64
}

// persistFor is how long m, calling for act now on the conditions hold,
// must last before it calls the teacher: b.Persist divided by m's need
// and by the pieces of evidence (each condition at act now, each further
// skill wheel-spun on). A raised hand never waits, nor a forecast that
// is only of use before a deadline (Finding.Forecast).
func (b Budget) persistFor(m Finding, hold []Finding) int64 {
	if b.Persist <= 0 || m.Rule == protocol.RuleHelp {
		return 0
	}
	k := 0
	for _, f := range hold {
		if f.Level != protocol.LevelActNow {
			continue
		}
		if f.Forecast {
			return 0
		}
		k++
		if f.Rule == protocol.RuleStuck && len(f.Evidence.LowSkills) > 1 {
			k += len(f.Evidence.LowSkills) - 1
		}
	}
	return int64(float64(b.Persist) / (max(m.Need, 0.1) * float64(max(k, 1))))
}

// ReconcileWithin is Reconcile under the class's act-now budget b.
//
// Persistence: a condition that calls for act now first opens (or keeps)
// its flag at watch, marked Rising with the time it began; the flag rises
// to act now once the condition has lasted b.persistFor (need × time ≥
// b.Persist, sooner on more evidence). A condition that stops calling
// for act now before then never calls the teacher, and its clock starts
// again. A raised hand never waits.
//
// Slots: b.Slots is how many more flags may be raised to "act now" for
// this student now (Slots gives it; negative for no limit). With none
// left, a flag that would open at act now opens at watch instead, and one
// that would be escalated to act now stays at watch, both marked Waiting:
// in the help queue they come first among the watch flags, and they rise
// to act now at a later call once a slot is free. A raised hand is never
// held back.
func ReconcileWithin(open []protocol.Flag, findings []Finding, now int64, newID func() protocol.FlagID, b Budget) []Change {
	slots := b.Slots
	var changes []Change
	for c := range concerns {
		var fs []Finding
		for _, f := range findings {
			if concern(f.Rule) == c {
				fs = append(fs, f)
			}
		}
		var lives, done []protocol.Flag
		for _, f := range open {
			if concern(f.Rule) != c {
				continue
			}
			switch {
			case live(f):
				lives = append(lives, f)
			case closed(f):
				done = append(done, f)
			}
		}
		slices.SortFunc(lives, func(a, b protocol.Flag) int {
			return cmp.Or(cmp.Compare(levelRank(b.Level), levelRank(a.Level)), cmp.Compare(a.Opened, b.Opened), cmp.Compare(a.ID, b.ID))
		})
		for _, f := range lives[min(1, len(lives)):] {
			if snoozing(f, now) || holds(fs, f.Rule) {
				continue
			}
			changes = append(changes, Change{ChangeClear, cleared(f, now)})
		}
		var hold []Finding
		top := 0 // the highest level that holds
		for _, f := range fs {
			if !f.Lingering {
				hold = append(hold, f)
				top = max(top, levelRank(f.Level))
			}
		}
		var m Finding
		var rising int64 // when the condition began calling for act now, while it waits to rise
		cool := false
		if len(hold) > 0 {
			m = Merge(hold)
			if settling(m, done, now) {
				m.Level = protocol.LevelWatch
				top = min(top, levelRank(protocol.LevelWatch))
			}
			cool = coolingDown(m, hold, done, now)
			if wait := b.persistFor(m, hold); wait > 0 && m.Level == protocol.LevelActNow &&
				(len(lives) == 0 || lives[0].Level != protocol.LevelActNow) {
				rising = now
				if len(lives) > 0 && lives[0].Rising > 0 {
					rising = lives[0].Rising
				}
				if now < rising+wait && m.Failed <= rising {
					m.Level = protocol.LevelWatch
					top = min(top, levelRank(protocol.LevelWatch))
				}
			}
		}
		switch {
		case len(lives) == 0:
			if len(hold) == 0 {
				continue
			}
			if !cool {
				f := opened(m, now, newID())
				f.Rising = rising
				if held(m, slots) {
					f.Level, f.Waiting = protocol.LevelWatch, true
				}
				changes = append(changes, Change{ChangeOpen, f})
			}
		case len(hold) > 0:
			if ch, ok := revise(lives[0], m, top, now, slots, rising); ok {
				changes = append(changes, ch)
			}
		default:
			// Only lingering conditions: the flag stays while its own
			// rule lingers.
			i := slices.IndexFunc(fs, func(f Finding) bool { return f.Rule == lives[0].Rule })
			switch {
			case i >= 0:
				if ch, ok := revise(lives[0], fs[i], top, now, slots, 0); ok {
					changes = append(changes, ch)
				}
			case !snoozing(lives[0], now):
				changes = append(changes, Change{ChangeClear, cleared(lives[0], now)})
			}
		}
	}
	return changes
}

func snoozing(f protocol.Flag, now int64) bool {
	return f.Status == protocol.FlagSnoozed && now < f.Snooze
}

func holds(fs []Finding, r protocol.FlagRule) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Rule == r })
}

func cleared(f protocol.Flag, now int64) protocol.Flag {
	f.Status, f.Updated, f.Snooze = protocol.FlagCleared, now, 0
	return f
}

func opened(m Finding, now int64, id protocol.FlagID) protocol.Flag {
	return protocol.Flag{
		ID: id, Student: m.Student, Name: m.Name, Rule: m.Rule, Level: m.Level,
		Status: protocol.FlagOpen, Skill: m.Skill, Opened: now, Updated: now,
		Need: m.Need, Evidence: m.Evidence, Help: m.Help,
	}
}

// ReAlert is how long after a student's flag at act now closes a new
// one of theirs may not rise to act now again on the same evidence: only
// a skill in trouble the closed flag did not name, or a hand raised since,
// calls the teacher again so soon.
const ReAlert int64 = 20 * 60_000

// newSkill reports whether m names a skill in trouble that flag f does
// not.
func newSkill(m Finding, f protocol.Flag) bool {
	if m.Skill != "" && !OnSkill(f, m.Skill) {
		return true
	}
	return slices.ContainsFunc(m.Evidence.LowSkills, func(l protocol.SkillMastery) bool { return !OnSkill(f, l.Skill) })
}

// settling reports whether m, at act now, comes too soon after the
// student left act now (a flag of theirs at act now closed within
// ReAlert) and names no skill in trouble that flag did not. A raised
// hand is never held back.
func settling(m Finding, done []protocol.Flag, now int64) bool {
	if m.Level != protocol.LevelActNow || m.Rule == protocol.RuleHelp {
		return false
	}
	return slices.ContainsFunc(done, func(c protocol.Flag) bool {
		return c.Level == protocol.LevelActNow && now-c.Updated < ReAlert && !newSkill(m, c)
	})
}

// coolingDown reports whether a flag of the concern closed too recently
// for m to open a new one.
func coolingDown(m Finding, fs []Finding, done []protocol.Flag, now int64) bool {
	var hand int64 = -1
	for _, f := range fs {
		if f.Rule == protocol.RuleHelp {
			hand = f.Evidence.Since
		}
	}
	for _, c := range done {
		if now-c.Updated >= Cooldown || levelRank(m.Level) > levelRank(c.Level) {
			continue
		}
		if hand > c.Updated {
			continue // a new request for help
		}
		return true
	}
	return false
}

// held reports whether m, at act now, must wait for a slot.
func held(m Finding, slots int) bool {
	return slots == 0 && m.Level == protocol.LevelActNow && m.Rule != protocol.RuleHelp
}

// revise returns the change, if any, that brings live flag f up to m,
// where top is the rank of the highest level that holds (not lingers),
// slots the act-now budget left (negative: no limit) and rising when the
// condition began calling for act now, if it does and f is not there yet.
func revise(f protocol.Flag, m Finding, top int, now int64, slots int, rising int64) (Change, bool) {
	if snoozing(f, now) {
		return Change{}, false
	}
	g := f
	g.Rule, g.Skill, g.Need, g.Evidence, g.Help, g.Updated = m.Rule, m.Skill, m.Need, m.Evidence, m.Help, now
	if m.Name != "" {
		g.Name = m.Name
	}
	woke := f.Status == protocol.FlagSnoozed
	if woke {
		g.Status, g.Snooze = protocol.FlagOpen, 0
	}
	g.Waiting, g.Rising = false, rising
	if top > levelRank(f.Level) {
		if !held(m, slots) || levelRank(f.Level) < levelRank(protocol.LevelWatch) {
			// A teacher who saw it at a lower level has not seen it at
			// this one: it is open again.
			g.Level, g.Status, g.Snooze = m.Level, protocol.FlagOpen, 0
			if g.Level == protocol.LevelActNow {
				g.Rising = 0
			}
			if held(m, slots) {
				g.Level, g.Waiting = protocol.LevelWatch, true
			}
			return Change{ChangeEscalate, g}, true
		}
		g.Waiting = true
	}
	if woke || f.Waiting != g.Waiting || f.Rising != g.Rising || meaningful(f, m, now) {
		return Change{ChangeUpdate, g}, true
	}
	return Change{}, false
}

// Slots is how many more flags of a class may be raised to act now for
// student, under a budget of that many at once (0 or less: no limit, and
// Slots returns -1). flags are the class's. The budget is spent by the
// flags at act now that are open or acknowledged (a teacher is on them;
// a snoozed one waits); and a flag of another student already Waiting
// comes before the student's, unless the student's own waiting flag
// scores higher in the help queue (need, and time waited): the budget
// goes to who most needs a person and has waited longest, not to whoever
// acts next.
func Slots(flags []protocol.Flag, student protocol.StudentID, budget int, now int64) int {
	if budget <= 0 {
		return -1
	}
	var mine *protocol.Flag
	for i, f := range flags {
		if f.Student == student && f.Waiting && live(f) {
			mine = &flags[i]
		}
	}
	busy := 0
	for _, f := range flags {
		if f.Student == student || !live(f) || f.Student == ClassNotice {
			continue
		}
		switch {
		case f.Level == protocol.LevelActNow && f.Status != protocol.FlagSnoozed:
			busy++
		case f.Waiting && (mine == nil || score(f, now) > score(*mine, now)):
			busy++
		}
	}
	return max(budget-busy, 0)
}

// score is a flag's rank within its level in the help queue.
func score(f protocol.Flag, now int64) float64 {
	wait := min(max(now-f.Opened, 0), WaitCap)
	return f.Need + WaitWeight*float64(wait)/float64(WaitCap)
}

// meaningful reports whether m is worth an update of live flag f at now:
// a new main rule at once; more severe evidence once UpdateGap has passed;
// anything else a teacher reads (the skill, the suggested help, the
// wording) only once Refresh has passed, so that a flag whose student
// moves from skill to skill is not sent again on every answer.
func meaningful(f protocol.Flag, m Finding, now int64) bool {
	if f.Rule != m.Rule {
		return true
	}
	age := now - f.Updated
	// The tolerance keeps a rise of exactly one step from being lost to
	// rounding.
	if m.Need >= f.Need+NeedStep-1e-9 && age >= UpdateGap {
		return true
	}
	changed := f.Skill != m.Skill || helpKey(f.Help) != helpKey(m.Help) || m.Evidence.Summary != f.Evidence.Summary
	return changed && age >= Refresh
}

func helpKey(h *protocol.Help) [2]string {
	if h == nil {
		return [2]string{}
	}
	return [2]string{string(h.Skill), h.Title}
}

// Queue returns the flags a teacher should see, in the order to attend to
// them: live flags only (open, acked, and snoozed ones whose snooze has
// ended); "act now" first, then "watch", then "info"; within a level the
// ones no teacher has acknowledged first; then by score, highest first,
// where
//
//	score = Need + WaitWeight · min(now − Opened, WaitCap) / WaitCap
//
// so that a flag gains up to half a point of need over its first ten
// minutes and a student who has waited long is not passed over forever
// by fresher, slightly needier ones. Ties go to the older flag, then the
// smaller ID. flags is not changed.
func Queue(flags []protocol.Flag, now int64) []protocol.Flag {
	var out []protocol.Flag
	for _, f := range flags {
		if f.Status == protocol.FlagOpen || f.Status == protocol.FlagAcked || (f.Status == protocol.FlagSnoozed && now >= f.Snooze) {
			out = append(out, f)
		}
	}
	waiting := func(f protocol.Flag) int {
		switch {
		case f.Waiting:
			return 0
		case f.Rising > 0:
			return 1
		}
		return 2
	}
	acked := func(f protocol.Flag) int {
		if f.Status == protocol.FlagAcked {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b protocol.Flag) int {
		return cmp.Or(
			cmp.Compare(levelRank(b.Level), levelRank(a.Level)),
			cmp.Compare(waiting(a), waiting(b)),
			cmp.Compare(acked(a), acked(b)),
			cmp.Compare(score(b, now), score(a, now)),
			cmp.Compare(a.Opened, b.Opened),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return out
}

// Wake returns the earliest time after since at which Reconcile could
// act on flags without any new finding: a snooze ending, or a cool-down
// ending so that a condition that still holds may open a flag again, the
// next look at flags waiting for an act-now slot, or the end of the gap
// after a flag's last update, when an update held back until then
// (meaningful) is due: the teacher gets it then, not at the student's
// next answer. The room arms a timer for it, with since the moment its
// detectors last looked at every student (a moment already past is due
// at once).
func Wake(flags []protocol.Flag, since int64) (int64, bool) {
	var at int64
	ok := false
	consider := func(t int64) {
		if t > since && (!ok || t < at) {
			at, ok = t, true
		}
	}
	for _, f := range flags {
		switch {
		case f.Status == protocol.FlagSnoozed:
			consider(f.Snooze)
		case closed(f):
			consider(f.Updated + Cooldown)
		case f.Waiting || (f.Rising > 0 && live(f)):
			consider(since + WaitingCheck)
		}
		if live(f) && f.Status != protocol.FlagSnoozed {
			// An update held back (meaningful) is due by time alone.
			consider(f.Updated + UpdateGap)
			consider(f.Updated + Refresh)
		}
	}
	return at, ok
}

// RiseAt is when a flag of open marked Rising would rise to act now by
// time alone, on the findings that hold now: the moment its condition has
// lasted b's persistence. ok is false when no flag is rising or nothing
// holds at act now. A room arms its timer for it, so that the teacher is
// called when the wait ends, not at the next look after it.
func RiseAt(open []protocol.Flag, findings []Finding, b Budget) (int64, bool) {
	var rising int64
	for _, f := range open {
		if live(f) && f.Rising > 0 && concern(f.Rule) == concernNeed {
			rising = f.Rising
		}
	}
	if rising == 0 {
		return 0, false
	}
	var hold []Finding
	for _, f := range findings {
		if !f.Lingering && concern(f.Rule) == concernNeed {
			hold = append(hold, f)
		}
	}
	if len(hold) == 0 {
		return 0, false
	}
	m := Merge(hold)
	if m.Level != protocol.LevelActNow {
		return 0, false
	}
	return rising + b.persistFor(m, hold), true
}

// WaitingCheck is how often a room looks again at flags waiting for an
// act-now slot, besides when a flag is resolved.
const WaitingCheck int64 = 30_000
