// Package tutorlog reads the logs of intelligent tutors in the formats
// the field shares them in, so that the detectors can be replayed over
// real classes (classhub replay, docs/DETECTORS.md):
//
//   - DataShop transaction exports (PSLC DataShop, LearnSphere):
//     tab-separated, one row per student action, with the columns
//     "Anon Student Id", "Time", "Student Response Type", "Outcome",
//     "Problem Name", "Step Name" and one or more "KC (model)" columns;
//   - the KDD Cup 2010 step format: tab-separated, one row per step, with
//     "Correct First Attempt", "Incorrects", "Hints", "Corrects" and the
//     step's times;
//   - the ASSISTments skill-builder sequences used by the knowledge-tracing
//     literature: three lines per student (the number of answers, their
//     skills, their correctness), with no times.
//
// A reader never guesses: a column it needs is found by its exact name or
// the log is refused, and the first problem is reported with the file,
// line and column where it is and what was expected there.
//
// The package is pure: it reads bytes and returns actions.
package tutorlog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Formats.
const (
	DataShop = "datashop" // transaction export
	KDD      = "kdd"      // KDD Cup 2010 steps
	Assist   = "assist"   // skill-builder sequences, three lines per student
)

// Action is one thing a student did: an answer or a hint request on one
// step of one problem.
type Action struct {
	Student string `json:"student"`
	At      int64  `json:"at"` // Unix milliseconds
	Hint    bool   `json:"hint,omitempty"`
	Correct bool   `json:"correct,omitempty"`
	Problem string `json:"problem"`
	// Step names the step within its problem and problem view: the
	// actions of one step share it, and it differs from the step before.
	Step  string `json:"step"`
	Skill string `json:"skill"`
	// Attempt numbers the action on its step when the log says
	// (DataShop's "Attempt At Step"), from 1; 0 when it does not. A
	// student coming back to a step they left shows above 1.
	Attempt int `json:"attempt,omitempty"`
	Line    int `json:"line"` // where in the file it comes from
}

// Log is what a reader got from one file.
type Log struct {
	Format  string   `json:"format"`
	Model   string   `json:"model,omitempty"` // the knowledge-component model read
	Models  []string `json:"models,omitempty"`
	Actions []Action `json:"actions"`
	// NoSkill counts the rows left out because the model gives their
	// step no knowledge component: the detectors need one.
	NoSkill int `json:"no_skill"`
}

// Options say what a reader cannot find out by itself.
type Options struct {
	// Model is the knowledge-component model to read, by the name in its
	// column header ("Default" for "KC (Default)"); it may be left empty
	// when the log has one model only.
	Model string
	// Pace is the time each answer of a log without times (Assist) is
	// taken to last, in milliseconds; such a log is refused without it.
	Pace int64
	// Start is when the first answer of a log without times is taken to
	// be, Unix milliseconds.
	Start int64
}

// Error is the first problem found in a log: where and what was expected.
type Error struct {
	File string
	Line int // from 1
	Col  int // from 1, in characters; 0 for the whole line
	What string
}

func (e *Error) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.What)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.What)
}

// Detect says which tab-separated format a file's header is, by the
// columns each format requires, or returns an error at line 1 naming
// what was expected.
func Detect(name string, data []byte) (string, error) {
	head, _, _ := strings.Cut(string(data), "\n")
	head = strings.TrimSuffix(head, "\r")
	cols := strings.Split(head, "\t")
	switch {
	case slices.Contains(cols, "Student Response Type") && slices.Contains(cols, "Outcome"):
		return DataShop, nil
	case slices.Contains(cols, "Correct First Attempt"):
		return KDD, nil
	}
	return "", &Error{File: name, Line: 1, Col: 1, What: `want the tab-separated header of a DataShop transaction export (with "Student Response Type" and "Outcome") or of the KDD Cup 2010 step format (with "Correct First Attempt"); for ASSISTments skill-builder sequences say --format assist`}
}

// Read reads a log of the given format.
func Read(format, name string, data []byte, o Options) (*Log, error) {
	switch format {
	case DataShop:
		return readDataShop(name, data, o)
	case KDD:
		return readKDD(name, data, o)
	case Assist:
		return readAssist(name, data, o)
	}
	return nil, fmt.Errorf("tutorlog: unknown format %q: want %s, %s or %s", format, DataShop, KDD, Assist)
}

// table is a tab-separated file with a header.
type table struct {
	name   string
	header []string
	starts []int // the column (in characters, from 1) of each field of the current row
	fields []string
	line   int
	lines  []string
}

func newTable(name string, data []byte) (*table, error) {
	text := string(data)
	text = strings.TrimPrefix(text, "\ufeff")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, &Error{File: name, Line: 1, What: "the file is empty: want a header line of tab-separated column names"}
	}
	t := &table{name: name, header: strings.Split(lines[0], "\t"), lines: lines}
	return t, nil
}

// next moves to the next row; false at the end.
func (t *table) next() (bool, error) {
	t.line++
	if t.line >= len(t.lines) {
		return false, nil
	}
	l := t.lines[t.line]
	t.fields = strings.Split(l, "\t")
	if len(t.fields) != len(t.header) {
		return false, &Error{File: t.name, Line: t.line + 1, What: fmt.Sprintf("%d tab-separated fields, want %d as in the header", len(t.fields), len(t.header))}
	}
	t.starts = t.starts[:0]
	col := 1
	for _, f := range t.fields {
		t.starts = append(t.starts, col)
		col += len([]rune(f)) + 1
	}
	return true, nil
}

// column returns the index of the one column named name, or an error at
// the header.
func (t *table) column(name string, required bool) (int, error) {
	at := -1
	col := 1
	for i, h := range t.header {
		if h == name {
			if at >= 0 {
				return 0, &Error{File: t.name, Line: 1, Col: col, What: fmt.Sprintf("a second column %q: want it once, so that no column is guessed", name)}
			}
			at = i
		}
		col += len([]rune(h)) + 1
	}
	if at < 0 && required {
		return 0, &Error{File: t.name, Line: 1, Col: 1, What: fmt.Sprintf("no column %q in the header: want it, with that exact name", name)}
	}
	return at, nil
}

// errAt is a problem in field i of the current row.
func (t *table) errAt(i int, format string, a ...any) error {
	return &Error{File: t.name, Line: t.line + 1, Col: t.starts[i], What: fmt.Sprintf("%s: ", t.header[i]) + fmt.Sprintf(format, a...)}
}

// get returns field i of the current row, "" for a column that is not
// there (i < 0).
func (t *table) get(i int) string {
	if i < 0 {
		return ""
	}
	return t.fields[i]
}

// kcColumns finds the columns of the knowledge-component model to read:
// prefix is "KC (" for DataShop and "KC(" for KDD.
func (t *table) kcColumns(prefix string, model string) ([]int, []string, string, error) {
	byModel := map[string][]int{}
	var models []string
	for i, h := range t.header {
		if m, ok := strings.CutPrefix(h, prefix); ok && strings.HasSuffix(m, ")") {
			m = strings.TrimSuffix(m, ")")
			if byModel[m] == nil {
				models = append(models, m)
			}
			byModel[m] = append(byModel[m], i)
		}
	}
	switch {
	case len(models) == 0:
		return nil, nil, "", &Error{File: t.name, Line: 1, Col: 1, What: fmt.Sprintf("no knowledge-component column (%sname)) in the header: the detectors need the skill of each step", prefix)}
	case model == "" && len(models) > 1:
		return nil, nil, "", &Error{File: t.name, Line: 1, Col: 1, What: fmt.Sprintf("%d knowledge-component models (%s): say which to read with --kc", len(models), strings.Join(models, ", "))}
	case model == "":
		model = models[0]
	case byModel[model] == nil:
		return nil, nil, "", &Error{File: t.name, Line: 1, Col: 1, What: fmt.Sprintf("no knowledge-component model %q: want one of %s", model, strings.Join(models, ", "))}
	}
	return byModel[model], models, model, nil
}

// skill is the knowledge component of the current row under the model's
// columns: one or more, "~~" between several in a cell as DataShop writes
// them. A step with several is practice of their combination, named as
// DataShop names it, because an action here has one skill.
func (t *table) skill(cols []int) string {
	var kcs []string
	for _, c := range cols {
		for k := range strings.SplitSeq(t.fields[c], "~~") {
			if k = strings.TrimSpace(k); k != "" && !slices.Contains(kcs, k) {
				kcs = append(kcs, k)
			}
		}
	}
	return strings.Join(kcs, "~~")
}

// timeLayouts are the forms of a time in DataShop and KDD Cup files.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"}

// parseTime reads a time of field i; the zone is left out of the
// replay, which needs only the times of one student relative to each
// other and to their classmates.
func (t *table) parseTime(i int) (int64, error) {
	v := t.fields[i]
	for _, l := range timeLayouts {
		if tm, err := time.Parse(l, v); err == nil {
			return tm.UnixMilli(), nil
		}
	}
	return 0, t.errAt(i, "%q is not a time: want YYYY-MM-DD HH:MM:SS, with fractions of a second or not", v)
}

func (t *table) parseCount(i int) (int, error) {
	n, err := strconv.Atoi(t.fields[i])
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, t.errAt(i, "%q is not a count: want a whole number from 0", t.fields[i])
	}
	return n, nil
}
