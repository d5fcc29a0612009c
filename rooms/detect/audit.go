package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// Audit replays a real tutor's log through what a room runs (the learner
// record, the knowledge model, the detectors and the flag policy) and
// measures the flags against what the students did next, beside the raw
// published rules on the same attempts. It is what "classhub replay"
// runs; docs/DETECTORS.md gives its figures on public logs and how a
// school reads them on its own.

// LogAction is one action of a tutor's log: an answer or a hint request
// on one step.
type LogAction struct {
	Student protocol.StudentID `json:"student"`
	At      int64              `json:"at"`
	Hint    bool               `json:"hint,omitempty"`
	Correct bool               `json:"correct,omitempty"`
	Item    protocol.ItemID    `json:"item"` // the problem
	Step    string             `json:"step"` // the step within it; a new value starts a new step
	Skill   protocol.SkillID   `json:"skill"`
	// Again says the student comes back to a step they acted on before
	// and left: nothing on it is a first attempt any more.
	Again bool `json:"again,omitempty"`
	Line  int  `json:"line,omitempty"` // where it is in the log
}

// AuditConfig is how Audit replays a log.
type AuditConfig struct {
	Thresholds Thresholds
	// Params are the knowledge model's parameters for every skill: a log
	// comes without fitted ones.
	Params mastery.Params
	// Gap is the pause in a student's actions that ends a class period,
	// in milliseconds: the log of a student is split there.
	Gap int64
	// Attend is how long after a flag reaches act now a teacher resolves
	// it, in milliseconds, freeing its act-now slot (Thresholds.ActNowBudget);
	// 0: nobody resolves a flag, and one clears only when its condition
	// goes.
	Attend int64
}

// DefaultGap is the pause that ends a class period unless told
// otherwise: longer than any pause within a lesson the idle rule should
// see, shorter than the time between two lessons.
const DefaultGap int64 = 30 * 60_000

// OpenFlag is a flag open on a student at a moment.
type OpenFlag struct {
	Rule  protocol.FlagRule  `json:"rule"`
	Level protocol.FlagLevel `json:"level,omitempty"`
	Skill protocol.SkillID   `json:"skill,omitempty"`
}

// FirstAttempt is one line of an audit: a first attempt on a step (an
// answer, or a hint asked for before any), with the flags open on the
// student just before it, classhub's and the raw published rules'.
type FirstAttempt struct {
	Student protocol.StudentID `json:"student"`
	Period  int                `json:"period"` // the student's class period, from 1
	At      int64              `json:"at"`
	Line    int                `json:"line,omitempty"`
	Item    protocol.ItemID    `json:"item"`
	Step    string             `json:"step"`
	Skill   protocol.SkillID   `json:"skill"`
	// Opportunity numbers the first attempts of the student on the skill
	// over the whole log, from 1.
	Opportunity int `json:"opportunity"`
	// P is the estimate of the skill before the attempt, or the model's
	// L0 before any evidence.
	P       float64    `json:"p"`
	Correct bool       `json:"correct"` // right first time, without a hint
	Hint    bool       `json:"hint,omitempty"`
	Flags   []OpenFlag `json:"flags"`
	Raw     []OpenFlag `json:"raw"`
}

// Figures measure one set of flags against the log. A first attempt is
// flagged when a flag on its skill was open just before it.
type Figures struct {
	Flagged      int `json:"flagged"`       // first attempts flagged
	FlaggedWrong int `json:"flagged_wrong"` // of them, wrong
	// Lift is P(wrong | flagged) / P(wrong): how much likelier than
	// usual the next first attempt on the skill of a flag is wrong.
	Lift float64 `json:"lift"`
	// Alerts counts the flags raised to this level: opened at it, or
	// escalated to it; AlertRate per 30 students per 45 minutes.
	Alerts    int     `json:"alerts"`
	AlertRate float64 `json:"alerts_per_class"`
	// Warned counts the wheel-spinning pairs flagged on their skill before
	// their 10th opportunity; Early is their share of all such pairs.
	Warned int     `json:"wheel_warned"`
	Early  float64 `json:"wheel_early"`
	// MasteredWarned counts the pairs that reached mastery within ten
	// opportunities and were flagged on the skill before they did.
	MasteredWarned int `json:"mastered_warned"`
}

// RuleCount is what one rule did in an audit.
type RuleCount struct {
	Opened int `json:"opened"`  // flags opened with it as their rule, any level
	ActNow int `json:"act_now"` // act-now alerts with it as their rule
}

// AuditSummary is the outcome of an audit.
type AuditSummary struct {
	Students       int     `json:"students"`
	Periods        int     `json:"periods"`
	Classes        int     `json:"classes"` // periods of students that overlap, taken as one class
	StudentMinutes float64 `json:"student_minutes"`
	Actions        int     `json:"actions"`
	FirstAttempts  int     `json:"first_attempts"`
	Wrong          int     `json:"wrong"` // first attempts not right
	// Wheel-spinning by Beck & Gong: a student and skill with ten or more
	// opportunities and no three right in a row within the first ten.
	// Mastered pairs did have three in a row within ten.
	WheelPairs    int `json:"wheel_pairs"`
	MasteredPairs int `json:"mastered_pairs"`

	// classhub: Flags for any flag that asks for a teacher (watch or act
	// now), ActNow for act now alone; Raw for the raw published rules.
	Flags  Figures `json:"flags"`
	ActNow Figures `json:"act_now"`
	Raw    Figures `json:"raw"`

	Rules    map[protocol.FlagRule]*RuleCount `json:"rules"`
	RawRules map[protocol.FlagRule]int        `json:"raw_rules"`

	// Every change of a flag a console would get, and the rate of updates
	// per 30 students per 45 minutes.
	Opened      int     `json:"opened"` // flags opened, doing-well suggestions too
	Updates     int     `json:"updates"`
	WellUpdates int     `json:"well_updates"` // of Updates, of doing-well suggestions
	Escalations int     `json:"escalations"`
	Clears      int     `json:"clears"`
	UpdateRate  float64 `json:"updates_per_class"`
	// ClassNotices counts the class-level notices opened: many students
	// idle at once (ClassIdle).
	ClassNotices int `json:"class_notices"`
	// Held counts the flags that had to wait for an act-now slot, and
	// Risen those of them that rose to act now later; Resolved the flags
	// the model teacher resolved (AuditConfig.Attend).
	Held     int `json:"held"`
	Risen    int `json:"risen"`
	Resolved int `json:"resolved"`
}

// perClass scales a count to 30 students for 45 minutes.
func (s AuditSummary) perClass(n int) float64 {
	if s.StudentMinutes <= 0 {
		return math.NaN()
	}
	return float64(n) / s.StudentMinutes * 30 * 45
}

// auditGraph is the content of a log: skills by their IDs, no
// prerequisites, one mastery threshold.
type auditGraph struct{ mastered float64 }

func (auditGraph) Prereqs(protocol.SkillID) []protocol.SkillID { return nil }
func (auditGraph) Name(s protocol.SkillID) string              { return string(s) }
func (auditGraph) Lesson(protocol.SkillID) *protocol.Help      { return nil }
func (g auditGraph) Mastered(protocol.SkillID) float64         { return g.mastered }

// The raw published rules, as the papers give them, for comparison.
const (
	// rawWindow and rawMaxRight: struggling when at most rawMaxRight of
	// the last rawWindow answers and hint requests were right.
	rawWindow   = 10
	rawMaxRight = 3
	// rawWheel: wheel-spinning at this many opportunities on the skill
	// without mastery (Beck & Gong, 2013).
	rawWheel = 10
)

// rawState is what the raw rules keep of one student.
type rawState struct {
	window []bool // right or not, the last rawWindow actions of the period
	open   map[protocol.FlagRule]protocol.SkillID
}

// learnerLog is what Audit keeps of one student over the whole log.
type learnerLog struct {
	id       protocol.StudentID
	acts     []LogAction
	mastery  map[protocol.SkillID]float64 // carried from period to period, as a learner profile does
	practice map[protocol.SkillID]int     // the record's opportunities, carried likewise
	opps     map[protocol.SkillID]int     // over the whole log, for the lines
	outcomes map[protocol.SkillID][]opportunity
}

// opportunity is one first attempt on a skill, for the wheel-spinning
// figures: right or not, and which flags were on the skill before it.
type opportunity struct {
	right               bool
	flag, actNow, other bool // flagged by classhub (any level, act now), by the raw rules
}

// period is one class period of one student: a run of their actions
// with no pause of Gap or more.
type period struct {
	l          *learnerLog
	n          int // the student's period number, from 1
	acts       []LogAction
	start, end int64
}

// Audit replays acts, a tutor's log, and calls line for each first
// attempt; it returns the first error line returns. See the package
// documentation of classhub replay in docs/DETECTORS.md for what each
// figure means.
//
// Each student's actions are taken in time order (a log's order for
// equal times) and split into class periods at pauses of cfg.Gap or more;
// periods of different students that overlap in time make one class. In
// a period a student is a room's student with an activity open: each
// action goes through the learner record, then the detectors and the
// policy run for the student, and every Tick every student in the class
// is evaluated again; when the student's period ends, so do their flags.
// Mastery and the opportunities per skill carry from one period to the
// next, as the learner profile of a rostered student does.
func Audit(acts []LogAction, cfg AuditConfig, line func(FirstAttempt) error) (AuditSummary, error) {
	if cfg.Gap <= 0 {
		cfg.Gap = DefaultGap
	}
	sum := AuditSummary{Rules: map[protocol.FlagRule]*RuleCount{}, RawRules: map[protocol.FlagRule]int{}}
	sum.Actions = len(acts)
	// Students, in the order they first appear.
	byID := map[protocol.StudentID]*learnerLog{}
	var learners []*learnerLog
	for _, a := range acts {
		l := byID[a.Student]
		if l == nil {
			l = &learnerLog{id: a.Student, mastery: map[protocol.SkillID]float64{}, practice: map[protocol.SkillID]int{}, opps: map[protocol.SkillID]int{},
				outcomes: map[protocol.SkillID][]opportunity{}}
			byID[a.Student] = l
			learners = append(learners, l)
		}
		l.acts = append(l.acts, a)
	}
	sum.Students = len(learners)
	var periods []*period
	for _, l := range learners {
		slices.SortStableFunc(l.acts, func(a, b LogAction) int { return cmp.Compare(a.At, b.At) })
		var p *period
		for _, a := range l.acts {
			if p == nil || a.At-p.end >= cfg.Gap {
				p = &period{l: l, n: 1, start: a.At}
				if n := len(periods); n > 0 && periods[n-1].l == l {
					p.n = periods[n-1].n + 1
				}
				periods = append(periods, p)
			}
			p.acts = append(p.acts, a)
			p.end = a.At
		}
	}
	sum.Periods = len(periods)
	for _, p := range periods {
		sum.StudentMinutes += float64(p.end-p.start) / 60_000
	}
	// Classes: periods that overlap, transitively, in order of start. A
	// student's periods never overlap each other.
	slices.SortStableFunc(periods, func(a, b *period) int { return cmp.Compare(a.start, b.start) })
	var classes [][]*period
	var classEnd int64
	for _, p := range periods {
		if len(classes) == 0 || p.start > classEnd {
			classes = append(classes, nil)
			classEnd = p.end
		}
		classes[len(classes)-1] = append(classes[len(classes)-1], p)
		classEnd = max(classEnd, p.end)
	}
	sum.Classes = len(classes)
	au := &auditor{cfg: cfg, sum: &sum, line: line, g: auditGraph{mastered: cfg.Params.Mastered},
		reached: map[protocol.FlagID]int64{}, held: map[protocol.FlagID]bool{}}
	for _, c := range classes {
		if err := au.class(c); err != nil {
			return sum, err
		}
	}
	au.wheel(learners)
	for _, f := range []*Figures{&sum.Flags, &sum.ActNow, &sum.Raw} {
		f.AlertRate = sum.perClass(f.Alerts)
		f.Lift = lift(f.FlaggedWrong, f.Flagged, sum.Wrong, sum.FirstAttempts)
		f.Early = math.NaN()
		if sum.WheelPairs > 0 {
			f.Early = float64(f.Warned) / float64(sum.WheelPairs)
		}
	}
	sum.UpdateRate = sum.perClass(sum.Updates)
	return sum, nil
}

// lift is P(wrong | flagged) / P(wrong); NaN when either is unknown.
func lift(flaggedWrong, flagged, wrong, all int) float64 {
	if flagged == 0 || wrong == 0 || all == 0 {
		return math.NaN()
	}
	return (float64(flaggedWrong) / float64(flagged)) / (float64(wrong) / float64(all))
}

type auditor struct {
	cfg     AuditConfig
	sum     *AuditSummary
	line    func(FirstAttempt) error
	g       Graph
	ids     int
	reached map[protocol.FlagID]int64 // when each flag reached act now
	held    map[protocol.FlagID]bool  // the flags that waited for a slot
	// Buffers used afresh by each check and tick, so that a long log
	// does not allocate them again for every student every 30 s.
	flags []protocol.Flag
	in    []Student
}

func (au *auditor) newID() protocol.FlagID {
	au.ids++
	return protocol.FlagID(fmt.Sprintf("00000000-0000-4000-8000-%012x", au.ids))
}

// seat is one student in a class being replayed.
type seat struct {
	p    *period
	s    Student
	desk desk
	step string
	raw  rawState
	next int // the next of p.acts
}

// class replays one class: the periods that overlap.
func (au *auditor) class(ps []*period) error {
	seats := make([]*seat, len(ps))
	start, end := ps[0].start, ps[0].end
	for i, p := range ps {
		seats[i] = &seat{p: p, raw: rawState{open: map[protocol.FlagRule]protocol.SkillID{}}}
		seats[i].s = Student{ID: p.l.id, Name: string(p.l.id), ActivityOpen: true,
			Record: Record{Mastery: p.l.mastery, FirstAttempts: p.l.practice, LastAction: p.start}}
		end = max(end, p.end)
	}
	// The actions of the class in time order, then by seat.
	type ev struct {
		at   int64
		seat int
	}
	var evs []ev
	for i, st := range seats {
		for _, a := range st.p.acts {
			evs = append(evs, ev{a.At, i})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return cmp.Compare(a.at, b.at) })
	var notice desk // the class-level notices
	tick := start + Tick
	for _, e := range evs {
		for ; tick <= e.at; tick += Tick {
			au.tick(seats, &notice, tick)
		}
		st := seats[e.seat]
		a := st.p.acts[st.next]
		st.next++
		if err := au.act(st, a); err != nil {
			return err
		}
		au.together(seats, &notice, e.at)
		au.check(seats, st, e.at)
	}
	for ; tick <= end; tick += Tick {
		au.tick(seats, &notice, tick)
	}
	return nil
}

// tick evaluates every student of the class who is in their period, as
// the room's timer does: first the model teacher resolves the flags due
// (AuditConfig.Attend), then the students whose flags wait for an
// act-now slot are evaluated, in the order of the help queue, then the
// others.
func (au *auditor) tick(seats []*seat, notice *desk, now int64) {
	if au.cfg.Attend > 0 {
		for _, st := range seats {
			for i, f := range st.desk.flags {
				if at, ok := au.reached[f.ID]; ok && live(f) && f.Level == protocol.LevelActNow && now-at >= au.cfg.Attend {
					f.Status, f.Updated = protocol.FlagResolved, now
					st.desk.flags[i] = f
					delete(au.reached, f.ID)
					au.sum.Resolved++
				}
			}
		}
	}
	au.together(seats, notice, now)
	order := slices.Clone(seats)
	rank := map[*seat]float64{}
	for _, st := range seats {
		for _, f := range st.desk.live() {
			if f.Waiting {
				rank[st] = 1 + score(f, now)
			}
		}
	}
	slices.SortStableFunc(order, func(a, b *seat) int { return cmp.Compare(rank[b], rank[a]) })
	for _, st := range order {
		if now >= st.p.start && now <= st.p.end {
			au.check(seats, st, now)
		}
	}
}

// together marks the students idle with many others at now and keeps
// the class-level notice up to date.
func (au *auditor) together(seats []*seat, notice *desk, now int64) {
	in := au.in[:0]
	defer func() { au.in = in[:0] }()
	for _, st := range seats {
		st.s.Together = false
		if now >= st.p.start && now <= st.p.end {
			in = append(in, st.s)
		}
	}
	var live *protocol.Flag
	if ls := notice.live(); len(ls) > 0 {
		live = &ls[0]
	}
	together, f := ClassIdle(in, live, au.cfg.Thresholds, now)
	for _, st := range seats {
		st.s.Together = slices.Contains(together, st.s.ID)
	}
	var fs []Finding
	if f != nil {
		fs = append(fs, *f)
	}
	for _, c := range notice.reconcile(fs, now, au.newID, Budget{Slots: -1}) {
		if c.Kind == ChangeOpen {
			au.sum.ClassNotices++
		}
	}
}

// act replays one action of a student: the line of a first attempt, the
// learner record, the raw rules, then the detectors and the policy.
func (au *auditor) act(st *seat, a LogAction) error {
	s, p := &st.s, au.cfg.Params
	if a.Step != st.step {
		st.step = a.Step
		if a.Again {
			s.Resume(a.At)
		} else {
			s.NewStep(a.At)
		}
	}
	_, first := s.Estimate(a.Skill, a.Correct && !a.Hint, p)
	if first {
		if err := au.first(st, a); err != nil {
			return err
		}
	}
	entry := Attempt{Item: a.Item, Skill: a.Skill, Correct: a.Correct, At: a.At}
	if a.Hint {
		s.Hint(entry, p)
	} else {
		s.Answer(entry, p)
	}
	s.Skill = a.Skill
	au.raw(st, a)
	return nil
}

// first writes the line of a first attempt and counts it.
func (au *auditor) first(st *seat, a LogAction) error {
	l, sum := st.p.l, au.sum
	right := a.Correct && !a.Hint
	l.opps[a.Skill]++
	p, ok := st.s.Mastery[a.Skill]
	if !ok {
		p = au.cfg.Params.L0
	}
	fa := FirstAttempt{Student: l.id, Period: st.p.n, At: a.At, Line: a.Line, Item: a.Item, Step: a.Step,
		Skill: a.Skill, Opportunity: l.opps[a.Skill], P: p, Correct: right, Hint: a.Hint, Flags: []OpenFlag{}, Raw: []OpenFlag{}}
	o := opportunity{right: right}
	for _, f := range st.desk.live() {
		fa.Flags = append(fa.Flags, OpenFlag{Rule: f.Rule, Level: f.Level, Skill: f.Skill})
		if concern(f.Rule) != concernNeed || !OnSkill(f, a.Skill) {
			continue
		}
		o.flag = o.flag || f.Level == protocol.LevelWatch || f.Level == protocol.LevelActNow
		o.actNow = o.actNow || f.Level == protocol.LevelActNow
	}
	for _, r := range []protocol.FlagRule{protocol.RuleStruggle, protocol.RuleStuck} {
		if sk, ok := st.raw.open[r]; ok {
			fa.Raw = append(fa.Raw, OpenFlag{Rule: r, Skill: sk})
			o.other = o.other || sk == a.Skill
		}
	}
	sum.FirstAttempts++
	if !right {
		sum.Wrong++
	}
	for _, f := range []struct {
		on  bool
		fig *Figures
	}{{o.flag, &sum.Flags}, {o.actNow, &sum.ActNow}, {o.other, &sum.Raw}} {
		if f.on {
			f.fig.Flagged++
			if !right {
				f.fig.FlaggedWrong++
			}
		}
	}
	l.outcomes[a.Skill] = append(l.outcomes[a.Skill], o)
	if au.line != nil {
		return au.line(fa)
	}
	return nil
}

// raw applies the raw published rules after an action, and counts the
// alerts they raise: a rule's condition becoming true.
//
//   - struggle (Lumilo's, Holstein, McLaren & Aleven, 2018): at most 3 of
//     the last 10 answers and hint requests right, a hint and an answer
//     after a hint on its step counting as not right; on the skill
//     practised;
//   - wheel-spinning (Beck & Gong, 2013, as Lumilo raised it): 10 or more
//     opportunities on the skill practised, over everything the log has of
//     the student, with its estimate below mastery.
//
// Neither has levels, hysteresis or a cool-down: a raw flag is open while
// its condition holds.
func (au *auditor) raw(st *seat, a LogAction) {
	rs := &st.raw
	right := a.Correct && !a.Hint && st.s.Hints == 0
	rs.window = append(rs.window, right)
	if len(rs.window) > rawWindow {
		rs.window = rs.window[1:]
	}
	n := 0
	for _, r := range rs.window {
		if r {
			n++
		}
	}
	p, ok := st.s.Mastery[a.Skill]
	for _, c := range []struct {
		rule protocol.FlagRule
		on   bool
	}{
		{protocol.RuleStruggle, len(rs.window) == rawWindow && n <= rawMaxRight},
		{protocol.RuleStuck, st.p.l.opps[a.Skill] >= rawWheel && ok && p < au.cfg.Params.Mastered},
	} {
		_, was := rs.open[c.rule]
		switch {
		case c.on && !was:
			au.sum.RawRules[c.rule]++
			au.sum.Raw.Alerts++
			rs.open[c.rule] = a.Skill
		case c.on:
			rs.open[c.rule] = a.Skill
		case was:
			delete(rs.open, c.rule)
		}
	}
}

// check runs the detectors and the policy for one student and counts the
// changes.
func (au *auditor) check(seats []*seat, st *seat, now int64) {
	sum := au.sum
	slots := -1
	if b := au.cfg.Thresholds.ActNowBudget; b > 0 {
		all := au.flags[:0]
		for _, o := range seats {
			all = append(all, o.desk.flags...)
		}
		slots = Slots(all, st.s.ID, b, now)
		au.flags = all
	}
	for _, c := range st.desk.within(st.s, au.g, au.cfg.Thresholds, now, au.newID, slots) {
		need := concern(c.Flag.Rule) == concernNeed
		rc := sum.Rules[c.Flag.Rule]
		if rc == nil {
			rc = &RuleCount{}
			sum.Rules[c.Flag.Rule] = rc
		}
		act := c.Flag.Level == protocol.LevelActNow
		if c.Flag.Waiting && !au.held[c.Flag.ID] {
			au.held[c.Flag.ID] = true
			sum.Held++
		}
		if act && (c.Kind == ChangeOpen || c.Kind == ChangeEscalate) {
			au.reached[c.Flag.ID] = now
			if au.held[c.Flag.ID] {
				sum.Risen++
			}
		}
		switch c.Kind {
		case ChangeOpen:
			sum.Opened++
			rc.Opened++
			if need {
				sum.Flags.Alerts++
			}
			if act {
				sum.ActNow.Alerts++
				rc.ActNow++
			}
		case ChangeEscalate:
			sum.Escalations++
			if act {
				sum.ActNow.Alerts++
				rc.ActNow++
			}
		case ChangeUpdate:
			sum.Updates++
			if !need {
				sum.WellUpdates++
			}
		case ChangeClear:
			sum.Clears++
		}
	}
}

// wheel finds the wheel-spinning pairs by Beck & Gong's definition and
// which were flagged before their 10th opportunity.
func (au *auditor) wheel(learners []*learnerLog) {
	sum := au.sum
	for _, l := range learners {
		for _, os := range l.outcomes {
			mastered, run := 0, 0
			for i, o := range os[:min(len(os), rawWheel)] {
				if run = run + 1; !o.right {
					run = 0
				}
				if run == 3 {
					mastered = i + 1
					break
				}
			}
			upto := 0
			switch {
			case mastered > 0:
				sum.MasteredPairs++
				upto = mastered
			case len(os) >= rawWheel:
				sum.WheelPairs++
				upto = rawWheel
			default:
				continue
			}
			var flag, act, raw bool
			for _, o := range os[:upto] {
				flag, act, raw = flag || o.flag, act || o.actNow, raw || o.other
			}
			for _, f := range []struct {
				on  bool
				fig *Figures
			}{{flag, &sum.Flags}, {act, &sum.ActNow}, {raw, &sum.Raw}} {
				switch {
				case !f.on:
				case mastered > 0:
					f.fig.MasteredWarned++
				default:
					f.fig.Warned++
				}
			}
		}
	}
}

// OnSkill reports whether flag f is about skill: the skill of the flag,
// or one its evidence names as low (the other skills a student is stuck
// on, a weak prerequisite).
func OnSkill(f protocol.Flag, skill protocol.SkillID) bool {
	if f.Skill == skill {
		return true
	}
	return slices.ContainsFunc(f.Evidence.LowSkills, func(m protocol.SkillMastery) bool { return m.Skill == skill })
}
