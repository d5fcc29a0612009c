package tutorlog

import (
	"strconv"
	"strings"
)

// readDataShop reads a DataShop transaction export: one row per action.
//
// "Student Response Type" says what the student did: ATTEMPT is an
// answer, whose "Outcome" is CORRECT (or OK) or INCORRECT (or ERROR,
// BUG); HINT_REQUEST is a hint request, whatever its outcome (HINT,
// INITIAL_HINT, HINT_LEVEL_CHANGE, STUDY, or none). The case of these
// does not matter. Where the type is empty or the column is not there
// (DataShop does not require it), the outcome says: HINT is a hint
// request, the others an answer, as in DataShop's own step rollup. Rows that are neither, with no outcome (a page view, a
// save, a row with no field filled), answers with no outcome or UNGRADED,
// rows on no step (a hint on the whole problem) and steps whose "Student
// Response Subtype" is tutor-performed are left out and counted by why;
// any other row is refused. A step is the problem (and its "Problem
// View", if the column is there) and the "Step Name"; "Attempt At Step",
// if there, numbers the actions on a step, so that a student coming back
// to a step is known to have tried it. Times are read in the row's "Time
// Zone" if the column is there.
func readDataShop(name string, data []byte, o Options) (*Log, error) {
	t, err := newTable(name, data, o)
	if err != nil {
		return nil, err
	}
	var c struct{ student, when, typ, subtype, outcome, problem, view, step, attempt int }
	for _, f := range []struct {
		dst      *int
		name     string
		required bool
	}{
		{&c.student, "Anon Student Id", true},
		{&c.when, "Time", true},
		{&c.typ, "Student Response Type", false},
		{&c.subtype, "Student Response Subtype", false},
		{&c.outcome, "Outcome", true},
		{&c.problem, "Problem Name", true},
		{&c.view, "Problem View", false},
		{&c.step, "Step Name", true},
		{&c.attempt, "Attempt At Step", false},
	} {
		if *f.dst, err = t.column(f.name, f.required); err != nil {
			return nil, err
		}
	}
	kcs, models, model, err := t.kcColumns(o.Model)
	if err != nil {
		return nil, err
	}
	log := &Log{Format: DataShop, Model: model, Models: models, file: name}
	for {
		ok, err := t.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if in, err := t.inSample(); err != nil {
			return nil, err
		} else if !in {
			log.leave("of another sample than " + t.want)
			continue
		}
		a := Action{Line: t.line + 1}
		out := strings.ToUpper(strings.TrimSpace(t.get(c.outcome)))
		typ := strings.ToUpper(strings.TrimSpace(t.get(c.typ)))
		if typ == "" {
			// No response type (the column is optional in DataShop's
			// format): the outcome says, as in DataShop's own step rollup.
			switch out {
			case "HINT":
				typ = "HINT_REQUEST"
			case "CORRECT", "OK", "INCORRECT", "ERROR", "BUG":
				typ = "ATTEMPT"
			}
		}
		switch typ {
		case "ATTEMPT":
			switch out {
			case "CORRECT", "OK":
				a.Correct = true
			case "INCORRECT", "ERROR", "BUG":
			case "", "UNGRADED":
				log.leave("answers not graded (no Outcome, or UNGRADED)")
				continue
			default:
				return nil, t.errAt(c.outcome, "%q for an ATTEMPT: want CORRECT or INCORRECT (or OK, ERROR, BUG), or nothing or UNGRADED for an answer not graded", t.get(c.outcome))
			}
		case "HINT_REQUEST":
			a.Hint = true
		default:
			if out != "" {
				if c.typ < 0 {
					return nil, t.errAt(c.outcome, "%q with no Student Response Type: want CORRECT, INCORRECT (or OK, ERROR, BUG) or HINT, or nothing (a row that is neither, left out)", t.get(c.outcome))
				}
				return nil, t.errAt(c.typ, "%q with the Outcome %q: want ATTEMPT or HINT_REQUEST, or another type with no outcome (a row that is neither, left out)", t.get(c.typ), t.get(c.outcome))
			}
			if typ == "" {
				typ = "none"
			}
			log.leave("neither an answer nor a hint (Student Response Type " + typ + ")")
			continue
		}
		if strings.EqualFold(strings.TrimSpace(t.get(c.subtype)), "tutor-performed") {
			log.leave("performed by the tutor (Student Response Subtype tutor-performed)")
			continue
		}
		if a.Student = strings.TrimSpace(t.get(c.student)); a.Student == "" {
			return nil, t.errAt(c.student, "empty: want the student's ID")
		}
		if a.At, err = t.parseTime(c.when); err != nil {
			return nil, err
		}
		a.Problem = strings.TrimSpace(t.get(c.problem))
		if a.Problem == "" {
			return nil, t.errAt(c.problem, "empty: want the problem's name")
		}
		if c.view >= 0 {
			if v := strings.TrimSpace(t.get(c.view)); v != "" {
				if n, err := strconv.Atoi(v); err != nil || n < 1 {
					return nil, t.errAt(c.view, "%q: want the problem view, a whole number from 1", v)
				}
				a.Problem += " (view " + v + ")"
			}
		}
		step := strings.TrimSpace(t.get(c.step))
		if step == "" {
			log.leave("on no step (no Step Name: a hint or answer on the whole problem)")
			continue
		}
		a.Step = a.Problem + "\x00" + step
		if v := strings.TrimSpace(t.get(c.attempt)); v != "" {
			if a.Attempt, err = strconv.Atoi(v); err != nil || a.Attempt < 1 {
				return nil, t.errAt(c.attempt, "%q: want the action's number on its step, a whole number from 1", v)
			}
		}
		if a.Skill = t.skill(kcs); a.Skill == "" {
			log.NoSkill++
			continue
		}
		log.Actions = append(log.Actions, a)
	}
	t.done(log)
	return log, nil
}

// done adds what the table left out to the log.
func (t *table) done(log *Log) {
	if t.blank > 0 {
		log.leave("blank (no field filled)")
		log.Left["blank (no field filled)"] += t.blank - 1
	}
	log.Coarse = t.coarse
}

// StepName is what a step is called in the lines of a replay: the
// problem and the step, without the separator.
func StepName(step string) string { return strings.ReplaceAll(step, "\x00", ": ") }
