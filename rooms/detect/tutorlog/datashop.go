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
// INITIAL_HINT, HINT_LEVEL_CHANGE, STUDY, or none). A step is the problem
// (and its "Problem View", if the column is there) and the "Step Name";
// "Attempt At Step", if there, numbers the actions on a step, so that a
// student coming back to a step is known to have tried it.
func readDataShop(name string, data []byte, o Options) (*Log, error) {
	t, err := newTable(name, data)
	if err != nil {
		return nil, err
	}
	var c struct{ student, when, typ, outcome, problem, view, step, attempt int }
	for _, f := range []struct {
		dst      *int
		name     string
		required bool
	}{
		{&c.student, "Anon Student Id", true},
		{&c.when, "Time", true},
		{&c.typ, "Student Response Type", true},
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
	kcs, models, model, err := t.kcColumns("KC (", o.Model)
	if err != nil {
		return nil, err
	}
	log := &Log{Format: DataShop, Model: model, Models: models}
	for {
		ok, err := t.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		a := Action{Line: t.line + 1}
		if a.Student = t.get(c.student); a.Student == "" {
			return nil, t.errAt(c.student, "empty: want the student's ID")
		}
		if a.At, err = t.parseTime(c.when); err != nil {
			return nil, err
		}
		switch typ := t.get(c.typ); typ {
		case "ATTEMPT":
			switch out := t.get(c.outcome); out {
			case "CORRECT", "OK":
				a.Correct = true
			case "INCORRECT", "ERROR", "BUG":
			default:
				return nil, t.errAt(c.outcome, "%q for an ATTEMPT: want CORRECT or INCORRECT (or OK, ERROR, BUG)", out)
			}
		case "HINT_REQUEST":
			a.Hint = true
		default:
			return nil, t.errAt(c.typ, "%q: want ATTEMPT or HINT_REQUEST", typ)
		}
		a.Problem = t.get(c.problem)
		if a.Problem == "" {
			return nil, t.errAt(c.problem, "empty: want the problem's name")
		}
		if c.view >= 0 {
			if v := t.get(c.view); v != "" {
				if n, err := strconv.Atoi(v); err != nil || n < 1 {
					return nil, t.errAt(c.view, "%q: want the problem view, a whole number from 1", v)
				}
				a.Problem += " (view " + v + ")"
			}
		}
		a.Step = a.Problem + "\x00" + t.get(c.step)
		if v := t.get(c.attempt); v != "" {
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
	return log, nil
}

// StepName is what a step is called in the lines of a replay: the
// problem and the step, without the separator.
func StepName(step string) string { return strings.ReplaceAll(step, "\x00", ": ") }
