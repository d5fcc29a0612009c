package tutorlog

import (
	"fmt"
	"strconv"
	"strings"
)

// maxStepActions bounds the actions one step row of the KDD Cup format
// may stand for, so that a count gone wrong cannot exhaust memory.
const maxStepActions = 10_000

// readSteps reads a log of one row per step, with its counts of
// incorrect answers, hints and correct answers, the time of its first
// action ("First Transaction Time") and of its correct answer ("Correct
// Transaction Time"): the KDD Cup 2010 step format, whose "Correct First
// Attempt" is 1 or 0, and DataShop's student-step export, whose "First
// Attempt" is correct, incorrect or hint.
//
// The format does not keep the order of the actions within a step, only
// their counts, so a row is laid out as actions in a fixed way: the first
// action at the first transaction time (a correct answer when the first
// attempt was right; a hint when DataShop says the first attempt was
// one; otherwise an incorrect answer if there is any, or else a hint,
// since either is a wrong first attempt), then the other hints, then the
// other incorrect answers, evenly spaced up to the correct answer, which
// comes at its own time (or at "Step End Time" if the step was never
// answered correctly). What counts for the knowledge model and the
// opportunities is the same whatever the order was. The actions are
// numbered on their step (Attempt) as DataShop's transactions are.
func readSteps(format, name string, data []byte, o Options) (*Log, error) {
	t, err := newTable(name, data, o)
	if err != nil {
		return nil, err
	}
	first := "Correct First Attempt"
	if format == StudentStep {
		first = "First Attempt"
	}
	var c struct{ student, problem, view, step, first, correctAt, end, cfa, incorrects, hints, corrects int }
	for _, f := range []struct {
		dst      *int
		name     string
		required bool
	}{
		{&c.student, "Anon Student Id", true},
		{&c.problem, "Problem Name", true},
		{&c.view, "Problem View", false},
		{&c.step, "Step Name", true},
		{&c.first, "First Transaction Time", true},
		{&c.correctAt, "Correct Transaction Time", false},
		{&c.end, "Step End Time", false},
		{&c.cfa, first, true},
		{&c.incorrects, "Incorrects", true},
		{&c.hints, "Hints", true},
		{&c.corrects, "Corrects", true},
	} {
		if *f.dst, err = t.column(f.name, f.required); err != nil {
			return nil, err
		}
	}
	kcs, models, model, err := t.kcColumns(o.Model)
	if err != nil {
		return nil, err
	}
	log := &Log{Format: format, Model: model, Models: models, file: name}
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
		base := Action{Line: t.line + 1}
		if base.Student = strings.TrimSpace(t.get(c.student)); base.Student == "" {
			return nil, t.errAt(c.student, "empty: want the student's ID")
		}
		if base.Problem = strings.TrimSpace(t.get(c.problem)); base.Problem == "" {
			return nil, t.errAt(c.problem, "empty: want the problem's name")
		}
		if v := strings.TrimSpace(t.get(c.view)); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return nil, t.errAt(c.view, "%q: want the problem view, a whole number from 1", v)
			}
			base.Problem += " (view " + v + ")"
		}
		base.Step = base.Problem + "\x00" + strings.TrimSpace(t.get(c.step))
		firstAt, err := t.parseTime(c.first)
		if err != nil {
			return nil, err
		}
		end := firstAt
		for _, col := range []int{c.correctAt, c.end} {
			if col >= 0 && strings.TrimSpace(t.get(col)) != "" {
				at, err := t.parseTime(col)
				if err != nil {
					return nil, err
				}
				if at < firstAt {
					return nil, t.errAt(col, "before the First Transaction Time: want a time at or after it")
				}
				end = at
				break
			}
		}
		var cfa, inc, hints, cor int
		firstHint := false
		v := strings.TrimSpace(t.get(c.cfa))
		switch {
		case format == KDD && v == "1", format == StudentStep && strings.EqualFold(v, "correct"):
			cfa = 1
		case format == KDD && v == "0", format == StudentStep && strings.EqualFold(v, "incorrect"):
		case format == StudentStep && strings.EqualFold(v, "hint"):
			firstHint = true
		case format == KDD && v == "":
			return nil, t.errAt(c.cfa, "empty: want 1 (right first time) or 0 (a KDD Cup test file keeps it back: replay the training file)")
		case format == KDD:
			return nil, t.errAt(c.cfa, "%q: want 1 (right first time) or 0", v)
		default:
			return nil, t.errAt(c.cfa, "%q: want correct, incorrect or hint", v)
		}
		if inc, err = t.parseCount(c.incorrects); err != nil {
			return nil, err
		}
		if hints, err = t.parseCount(c.hints); err != nil {
			return nil, err
		}
		if cor, err = t.parseCount(c.corrects); err != nil {
			return nil, err
		}
		if inc+hints+cor > maxStepActions {
			return nil, t.errAt(c.incorrects, "%d actions on one step: want at most %d", inc+hints+cor, maxStepActions)
		}
		skill := t.skill(kcs)
		if skill == "" {
			log.NoSkill++
			continue
		}
		base.Skill = skill
		var acts []Action
		add := func(hint, correct bool) {
			a := base
			a.Hint, a.Correct = hint, correct
			acts = append(acts, a)
		}
		switch {
		case cfa == 1 && cor == 0:
			return nil, t.errAt(c.corrects, "0 with a first attempt right: want at least the first correct answer")
		case cfa == 1:
			add(false, true)
			cor--
		case firstHint && hints == 0:
			return nil, t.errAt(c.hints, "0 with a first attempt that was a hint: want at least that hint")
		case firstHint:
			add(true, false)
			hints--
		case inc > 0:
			add(false, false)
			inc--
		case hints > 0:
			add(true, false)
			hints--
		default:
			return nil, t.errAt(c.cfa, "a wrong first attempt with no incorrect answer and no hint: want what the first attempt was")
		}
		for range hints {
			add(true, false)
		}
		for range inc {
			add(false, false)
		}
		for range cor {
			add(false, true)
		}
		// The first action at its time, the correct answers at theirs,
		// the others evenly between. They are numbered on their step, so
		// that the replay knows a student coming back to the step after
		// working on another (whose row's times overlap this one's) has
		// no first attempt left on it.
		middle := len(acts) - 1 - cor
		for i := range acts {
			acts[i].Attempt = i + 1
			switch {
			case i == 0:
				acts[i].At = firstAt
			case i > middle:
				acts[i].At = end
			default:
				acts[i].At = firstAt + (end-firstAt)*int64(i)/int64(middle+1)
			}
		}
		log.Actions = append(log.Actions, acts...)
	}
	t.done(log)
	return log, nil
}

// readAssist reads ASSISTments skill-builder sequences as the knowledge
// tracing literature shares them (for example pyBKT's examples): for each
// student three lines, the number of answers, their skills and whether
// each was right (1) or not (0), comma-separated. Every answer is the
// first attempt on a new problem. There are no times and no student IDs:
// students are numbered in their order in the file, and answers are laid
// out Options.Pace apart from Options.Start, the students of each thirty
// in the file starting together on a day of their own, as a class.
func readAssist(name string, data []byte, o Options) (*Log, error) {
	if o.Pace <= 0 {
		return nil, &Error{File: name, Line: 1, What: "this format has no times: say how long an answer takes with --pace (for example --pace 1m)"}
	}
	lines := splitLines(data)
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, &Error{File: name, Line: 1, What: "the file is empty: want three lines per student"}
	}
	log := &Log{Format: Assist}
	const day = 24 * 60 * 60 * 1000
	for i, k := 0, 0; i < len(lines); i, k = i+3, k+1 {
		n, err := strconv.Atoi(strings.TrimSpace(lines[i]))
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, &Error{File: name, Line: i + 1, Col: 1, What: fmt.Sprintf("%q: want the number of answers of a student, a whole number from 0", lines[i])}
		}
		if i+2 >= len(lines) {
			return nil, &Error{File: name, Line: len(lines) + 1, What: "the file ends within a student: want three lines per student (count, skills, correctness)"}
		}
		skills, _, err := assistList(name, i+2, lines[i+1], n, "skill")
		if err != nil {
			return nil, err
		}
		marks, mcols, err := assistList(name, i+3, lines[i+2], n, "0 or 1")
		if err != nil {
			return nil, err
		}
		student := fmt.Sprintf("student-%d", k+1)
		start := o.Start + int64(k/30)*day
		for j := range n {
			if marks[j] != "0" && marks[j] != "1" {
				return nil, &Error{File: name, Line: i + 3, Col: mcols[j], What: fmt.Sprintf("%q: want 1 (right) or 0", marks[j])}
			}
			problem := fmt.Sprintf("%s answer %d", student, j+1)
			log.Actions = append(log.Actions, Action{
				Student: student, At: start + int64(j)*o.Pace, Correct: marks[j] == "1",
				Problem: problem, Step: problem, Skill: skills[j], Line: i + 2,
			})
		}
	}
	return log, nil
}

// assistList splits one comma-separated line of n values (a comma at the
// end is allowed) and gives the column of each.
func assistList(name string, line int, text string, n int, what string) ([]string, []int, error) {
	parts := strings.Split(text, ",")
	if len(parts) == n+1 && strings.TrimSpace(parts[n]) == "" {
		parts = parts[:n]
	}
	if len(parts) != n || (n == 0 && strings.TrimSpace(text) != "") {
		return nil, nil, &Error{File: name, Line: line, Col: 1, What: fmt.Sprintf("%d values, want %d (%s, comma-separated), as the line before says", len(parts), n, what)}
	}
	cols := make([]int, n)
	col := 1
	for j, p := range parts {
		cols[j] = col
		col += len([]rune(p)) + 1
		parts[j] = strings.TrimSpace(p)
		if parts[j] == "" {
			return nil, nil, &Error{File: name, Line: line, Col: cols[j], What: fmt.Sprintf("an empty value: want a %s", what)}
		}
	}
	return parts, cols, nil
}
