package detect

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// Tick is how often Replay re-evaluates every student, as the room does
// for the idle rule and for cool-downs and snoozes that end.
const Tick int64 = 30_000

// StudentReport is what happened to one student in a replay.
type StudentReport struct {
	ID    protocol.StudentID `json:"id"`
	Name  string             `json:"name"`
	Role  Role               `json:"role"`
	Onset int64              `json:"onset,omitempty"`
	// Flagged and ActNow are when the student was first seen with a flag
	// at any level, and at "act now", at or after the onset: the first
	// flag opened, escalated or updated then; 0 if none was.
	Flagged int64 `json:"flagged,omitempty"`
	ActNow  int64 `json:"act_now,omitempty"`
	// Alerts counts the "act now" alerts on the student over the whole
	// session: flags opened at that level and flags escalated to it.
	Alerts int `json:"alerts"`
	// Rules are the rules of those alerts, in order.
	Rules []protocol.FlagRule `json:"rules,omitempty"`
}

// Report is the outcome of one replay.
type Report struct {
	Seed     uint64          `json:"seed"`
	Students []StudentReport `json:"students"`
	Alerts   int             `json:"alerts"`      // "act now" alerts in all
	Fine     int             `json:"fine_alerts"` // those on students who were not strugglers
	// FineUnlearned counts the alerts on students who were not strugglers
	// that came while they did not know the skill they were practising:
	// a slow patch the learning model gave them, rather than a student
	// doing well.
	FineUnlearned int `json:"fine_unlearned"`
	Opened        int `json:"opened"` // flags opened at any level
	Updates       int `json:"updates"`
	Clears        int `json:"clears"`
}

// Replay runs a trace through the room's loop: every event updates the
// student's learner record (Record.Answer, Record.Hint, a new step at
// each new item) and is
// followed by Evaluate and Reconcile for that student; every Tick every
// student is evaluated again. Nobody acknowledges, snoozes or resolves a
// flag: the figures are those of the detectors and the policy alone.
func Replay(tr Trace, th Thresholds) Report {
	g := tr.Graph()
	start := tr.Config.Start
	type state struct {
		s     Student
		desk  desk
		known bool            // at the last answer, the truth of the simulation
		step  protocol.ItemID // the item in front of the student
	}
	sts := make([]state, len(tr.Students))
	rep := Report{Seed: tr.Seed, Students: make([]StudentReport, len(tr.Students))}
	for i, st := range tr.Students {
		m := make(map[protocol.SkillID]float64, len(st.Mastery))
		for k, v := range st.Mastery {
			m[k] = v
		}
		sts[i].s = Student{ID: st.ID, Name: st.Name, Record: Record{Mastery: m, LastAction: start}, ActivityOpen: true}
		rep.Students[i] = StudentReport{ID: st.ID, Name: st.Name, Role: st.Role, Onset: st.Onset}
	}
	var ids int
	newID := func() protocol.FlagID {
		ids++
		return protocol.FlagID(fmt.Sprintf("00000000-0000-4000-8000-%012x", ids))
	}
	check := func(i int, now int64) {
		st := &sts[i]
		changes := st.desk.step(st.s, g, th, now, newID)
		sr := &rep.Students[i]
		for _, c := range changes {
			switch c.Kind {
			case ChangeOpen:
				rep.Opened++
			case ChangeUpdate:
				rep.Updates++
			case ChangeClear:
				rep.Clears++
			}
			if c.Kind == ChangeClear {
				continue
			}
			// Caught: the first change after the onset that leaves the
			// student with a flag, or an "act now" flag. A flag raised
			// before the onset for something else counts from the first
			// change after it, which is when the new trouble joins it.
			if sr.Onset > 0 && now >= sr.Onset {
				if sr.Flagged == 0 {
					sr.Flagged = now
				}
				if sr.ActNow == 0 && c.Flag.Level == protocol.LevelActNow {
					sr.ActNow = now
				}
			}
			if c.Kind == ChangeUpdate || c.Flag.Level != protocol.LevelActNow {
				continue
			}
			sr.Alerts++
			sr.Rules = append(sr.Rules, c.Flag.Rule)
			rep.Alerts++
			if !sr.Role.Struggler() {
				rep.Fine++
				if !st.known {
					rep.FineUnlearned++
				}
			}
		}
	}
	next := start + Tick
	for _, e := range tr.Events {
		for next <= e.At && next <= tr.End {
			for i := range sts {
				check(i, next)
			}
			next += Tick
		}
		if e.At > tr.End || e.Student < 0 || e.Student >= len(sts) {
			continue
		}
		st := &sts[e.Student]
		s := &st.s
		if (e.Kind == KindAttempt || e.Kind == KindHint) && e.Item != st.step {
			// A new item: the room gives it before the first action on it.
			st.step = e.Item
			s.NewStep(0)
		}
		switch e.Kind {
		case KindAttempt:
			st.known = e.Known
			s.Skill = e.Skill
			s.Answer(Attempt{Item: e.Item, Skill: e.Skill, Response: e.Response, Correct: e.Correct,
				Ms: e.Ms, ReadMs: e.ReadMs, At: e.At}, tr.params(e.Skill))
		case KindHint:
			s.Skill = e.Skill
			s.Hint(Attempt{Item: e.Item, Skill: e.Skill, Ms: e.Ms, ReadMs: e.ReadMs, At: e.At}, tr.params(e.Skill))
		case KindHandUp:
			s.HandUp, s.HandSince, s.LastAction = true, e.At, e.At
		case KindHandDown:
			s.HandUp, s.HandSince, s.LastAction = false, 0, e.At
		}
		check(e.Student, e.At)
	}
	for ; next <= tr.End; next += Tick {
		for i := range sts {
			check(i, next)
		}
	}
	return rep
}

// RoleSummary is how one kind of struggler fared over many replays.
type RoleSummary struct {
	Role     Role    `json:"role"`
	Students int     `json:"students"` // strugglers of this role whose trouble showed
	Flagged  int     `json:"flagged"`  // of them, flagged at any level after the onset
	ActNow   int     `json:"act_now"`  // of them, alerted "act now" after the onset
	Flag50   float64 `json:"flag_median_min"`
	Flag90   float64 `json:"flag_p90_min"`
	Act50    float64 `json:"act_now_median_min"`
	Act90    float64 `json:"act_now_p90_min"`
	Alerts   float64 `json:"alerts_per_student"` // "act now" alerts per student of this role
}

// Summary is a Study's outcome. The alert figures are per 30 students per
// 45 minutes, averaged over the seeds.
type Summary struct {
	Seeds      int           `json:"seeds"`
	Roles      []RoleSummary `json:"roles"`
	Strugglers RoleSummary   `json:"strugglers"` // all strugglers together
	Alerts     float64       `json:"alerts"`     // all "act now" alerts
	AlertsMax  float64       `json:"alerts_max"` // in the worst seed
	Fine       float64       `json:"fine_alerts"`
	Unlearned  float64       `json:"fine_unlearned"` // of Fine, while not knowing the skill practised
	FineMax    float64       `json:"fine_alerts_max"`
	Opened     float64       `json:"opened"`
	Updates    float64       `json:"updates"`
}

// Study simulates and replays the class for seeds 1 to n.
func Study(cfg SimConfig, th Thresholds, n int) Summary {
	scale := 1.0
	if cfg.Students > 0 && cfg.Minutes > 0 {
		scale = 30.0 / float64(cfg.Students) * 45.0 / float64(cfg.Minutes)
	}
	sum := Summary{Seeds: n}
	type acc struct {
		students, flagged, actNow, alerts int
		flag, act                         []float64
	}
	by := map[Role]*acc{}
	var order []Role
	all := &acc{}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rep := Replay(Simulate(cfg, seed), th)
		alerts, fine := float64(rep.Alerts)*scale, float64(rep.Fine)*scale
		sum.Alerts += alerts / float64(n)
		sum.Fine += fine / float64(n)
		sum.Unlearned += float64(rep.FineUnlearned) * scale / float64(n)
		sum.AlertsMax = max(sum.AlertsMax, alerts)
		sum.FineMax = max(sum.FineMax, fine)
		sum.Opened += float64(rep.Opened) * scale / float64(n)
		sum.Updates += float64(rep.Updates) * scale / float64(n)
		for _, sr := range rep.Students {
			if !sr.Role.Struggler() || sr.Onset == 0 {
				continue
			}
			a := by[sr.Role]
			if a == nil {
				a = &acc{}
				by[sr.Role] = a
				order = append(order, sr.Role)
			}
			for _, a := range []*acc{a, all} {
				a.students++
				a.alerts += sr.Alerts
				if sr.Flagged > 0 {
					a.flagged++
					a.flag = append(a.flag, float64(sr.Flagged-sr.Onset)/60_000)
				}
				if sr.ActNow > 0 {
					a.actNow++
					a.act = append(a.act, float64(sr.ActNow-sr.Onset)/60_000)
				}
			}
		}
	}
	summarise := func(role Role, a *acc) RoleSummary {
		rs := RoleSummary{Role: role, Students: a.students, Flagged: a.flagged, ActNow: a.actNow,
			Flag50: quantile(a.flag, 0.5), Flag90: quantile(a.flag, 0.9),
			Act50: quantile(a.act, 0.5), Act90: quantile(a.act, 0.9)}
		if a.students > 0 {
			rs.Alerts = float64(a.alerts) / float64(a.students)
		}
		return rs
	}
	for _, role := range order {
		sum.Roles = append(sum.Roles, summarise(role, by[role]))
	}
	sum.Strugglers = summarise("all strugglers", all)
	return sum
}

// quantile returns the q-quantile of xs (nearest rank), NaN for none.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Table writes the summary as the Markdown tables of docs/DETECTORS.md.
func (s Summary) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Strugglers, over %d seeds (minutes from the onset of the trouble):\n\n", s.Seeds)
	b.WriteString("| role | students | flagged | act now | to first flag, median / p90 | to act now, median / p90 | act-now alerts each |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range append(slices.Clone(s.Roles), s.Strugglers) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f / %.1f | %.1f / %.1f | %.2f |\n",
			r.Role, r.Students, r.Flagged, r.ActNow, r.Flag50, r.Flag90, r.Act50, r.Act90, r.Alerts)
	}
	fmt.Fprintf(&b, "\nAlerts per 30 students per 45 minutes, mean (worst seed):\n\n")
	b.WriteString("| | per class |\n|---|---:|\n")
	fmt.Fprintf(&b, "| act-now alerts, all | %.2f (%.0f) |\n", s.Alerts, s.AlertsMax)
	fmt.Fprintf(&b, "| act-now alerts on students who were fine | %.2f (%.0f) |\n", s.Fine, s.FineMax)
	fmt.Fprintf(&b, "| … of which while they had not learned the skill practised | %.2f |\n", s.Unlearned)
	fmt.Fprintf(&b, "| flags opened, any level | %.2f |\n", s.Opened)
	fmt.Fprintf(&b, "| flag updates | %.2f |\n", s.Updates)
	return b.String()
}

// desk is one student's flags as the room keeps them: the live ones and
// those closed within the cool-down, which are all Reconcile needs.
type desk struct {
	flags []protocol.Flag
	pass  []protocol.Flag
}

// step runs the detectors and the policy on s at now, as the room does
// after an action or on its timer, keeps the flags up to date and
// returns the changes.
func (d *desk) step(s Student, g Graph, th Thresholds, now int64, newID func() protocol.FlagID) []Change {
	return d.reconcile(Evaluate(s, g, th, now), now, newID, Budget{Slots: -1, Persist: th.ActNowPersistMs})
}

// within is step under an act-now budget of slots (ReconcileWithin).
func (d *desk) within(s Student, g Graph, th Thresholds, now int64, newID func() protocol.FlagID, slots int) []Change {
	return d.reconcile(Evaluate(s, g, th, now), now, newID, Budget{Slots: slots, Persist: th.ActNowPersistMs})
}

// reconcile applies ReconcileWithin's changes for findings to the flags.
func (d *desk) reconcile(findings []Finding, now int64, newID func() protocol.FlagID, b Budget) []Change {
	d.pass = d.pass[:0]
	for _, f := range d.flags {
		if live(f) || (closed(f) && now-f.Updated < max(Cooldown, ReAlert)) {
			d.pass = append(d.pass, f)
		}
	}
	changes := ReconcileWithin(d.pass, findings, now, newID, b)
	for _, c := range changes {
		if c.Kind == ChangeOpen {
			d.flags = append(d.flags, c.Flag)
			continue
		}
		for j := range d.flags {
			if d.flags[j].ID == c.Flag.ID {
				d.flags[j] = c.Flag
			}
		}
	}
	// Flags closed beyond the cool-down are of no more use to Reconcile.
	d.flags = slices.DeleteFunc(d.flags, func(f protocol.Flag) bool {
		return closed(f) && now-f.Updated >= max(Cooldown, ReAlert)
	})
	return changes
}

// live returns the flags open on the student (open, acked or snoozed).
func (d *desk) live() []protocol.Flag {
	var out []protocol.Flag
	for _, f := range d.flags {
		if live(f) {
			out = append(out, f)
		}
	}
	return out
}
