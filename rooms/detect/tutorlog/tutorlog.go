// Package tutorlog reads the logs of intelligent tutors in the formats
// the field shares them in, so that the detectors can be replayed over
// real classes (classhub replay, docs/DETECTORS.md):
//
//   - DataShop transaction exports (PSLC DataShop, LearnSphere):
//     tab-separated, one row per student action, with the columns
//     "Anon Student Id", "Time", "Student Response Type", "Outcome",
//     "Problem Name", "Step Name" and one or more "KC (model)" columns;
//   - DataShop student-step exports and the KDD Cup 2010 step format:
//     tab-separated, one row per step, with "First Attempt" (DataShop:
//     correct, incorrect or hint) or "Correct First Attempt" (KDD Cup: 1
//     or 0), "Incorrects", "Hints", "Corrects" and the step's times;
//   - the ASSISTments skill-builder sequences used by the knowledge-tracing
//     literature: three lines per student (the number of answers, their
//     skills, their correctness), with no times.
//
// A reader never guesses: a column it needs is found by its name (the
// case and spacing aside) or the log is refused, and the first problem is
// reported with the file, line and column where it is and what was
// expected there. Rows it leaves out (blank rows, page views, answers not
// graded) are counted by why.
//
// The package is pure: it reads bytes and returns actions.
package tutorlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the zones of a log's "Time Zone" column, whatever the machine has
	"unicode/utf16"
	"unicode/utf8"
)

// Formats.
const (
	DataShop    = "datashop" // transaction export
	StudentStep = "step"     // DataShop student-step export
	KDD         = "kdd"      // KDD Cup 2010 steps
	Assist      = "assist"   // skill-builder sequences, three lines per student
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
	// Left counts the other rows left out, by why: rows with no field
	// filled, rows that are neither an answer nor a hint on a step (a
	// page view, a save), answers the tutor did not grade, steps the
	// tutor performed. None is a first attempt of the student's.
	Left map[string]int `json:"left,omitempty"`
	// Coarse counts the rows timed to the minute only: the actions of one
	// minute keep the order they have in the file.
	Coarse int `json:"coarse,omitempty"`

	file string
}

// leave counts a row left out for why.
func (l *Log) leave(why string) {
	if l.Left == nil {
		l.Left = map[string]int{}
	}
	l.Left[why]++
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
	// Dates is the order of a date written with slashes (MonthFirst or
	// DayFirst); such a date is refused without it.
	Dates string
	// Sample is the DataShop sample to read from an export of several;
	// such an export is refused without it.
	Sample string
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
	head := firstLine(data)
	sep := "\t"
	if !strings.Contains(head, "\t") && strings.Contains(head, ",") {
		sep = ","
	}
	var cols []string
	for c := range strings.SplitSeq(head, sep) {
		cols = append(cols, headerName(unquote(c)))
	}
	has := func(name string) bool { return slices.Contains(cols, headerName(name)) }
	switch {
	case has("Outcome") && (has("Student Response Type") || has("Time") && has("Step Name")):
		return DataShop, nil
	case has("Correct First Attempt"):
		return KDD, nil
	case has("First Attempt") && has("Incorrects") && has("Hints") && has("Corrects"):
		return StudentStep, nil
	}
	return "", &Error{File: name, Line: 1, Col: 1, What: `want the header of a DataShop transaction export (with "Outcome", and "Student Response Type" or "Time" and "Step Name"), of a DataShop student-step export (with "First Attempt", "Incorrects", "Hints" and "Corrects") or of the KDD Cup 2010 step format (with "Correct First Attempt"), tab-separated; for ASSISTments skill-builder sequences say --format assist`}
}

// Read reads a log of the given format.
func Read(format, name string, data []byte, o Options) (*Log, error) {
	switch format {
	case DataShop:
		return nonEmpty(readDataShop(name, data, o))
	case KDD, StudentStep:
		return nonEmpty(readSteps(format, name, data, o))
	case Assist:
		return readAssist(name, data, o)
	}
	return nil, fmt.Errorf("tutorlog: unknown format %q: want %s, %s, %s or %s", format, DataShop, StudentStep, KDD, Assist)
}

// nonEmpty refuses a table from which nothing was read, saying what was
// left out.
func nonEmpty(log *Log, err error) (*Log, error) {
	if err != nil || len(log.Actions) > 0 {
		return log, err
	}
	var left []string
	if log.NoSkill > 0 {
		left = append(left, fmt.Sprintf("%d with no knowledge component in the model %q", log.NoSkill, log.Model))
	}
	for _, why := range slices.Sorted(maps.Keys(log.Left)) {
		left = append(left, fmt.Sprintf("%d %s", log.Left[why], why))
	}
	what := "no rows after the header: want one row per action or step"
	if len(left) > 0 {
		what = "no answer or hint on a step to replay: every row was left out (" + strings.Join(left, "; ") + ")"
	}
	return nil, &Error{File: log.file, Line: 2, What: what}
}

// table is a file of rows with a header: tab-separated as DataShop and
// the KDD Cup write them, or comma-separated when the header has commas
// and no tab. A field may be quoted as spreadsheets and R write it ("a
// ""b""", on one line); a field that only starts with a quote is read as
// it is written, since DataShop does not quote.
type table struct {
	name   string
	sep    byte
	header []string
	starts []int // the column (in characters, from 1) of each field of the current row
	fields []string
	line   int
	lines  []string
	dates  string
	zone   int // the "Time Zone" column, or -1
	zones  map[string]*time.Location
	sample int    // the "Sample Name" (or "Sample") column, or -1
	want   string // the sample to read (Options.Sample)
	seen   string // the first sample met, when none was named
	seenAt int    // its line
	blank  int    // rows with no field filled, left out
	coarse int    // rows with a time to the minute only
	rough  bool   // the current row has one
}

func newTable(name string, data []byte, o Options) (*table, error) {
	lines := splitLines(data)
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, &Error{File: name, Line: 1, What: "the file is empty: want a header line of tab-separated column names"}
	}
	switch o.Dates {
	case "", MonthFirst, DayFirst:
	default:
		return nil, fmt.Errorf("tutorlog: dates %q: want %s or %s", o.Dates, MonthFirst, DayFirst)
	}
	t := &table{name: name, sep: '\t', lines: lines, dates: o.Dates, zone: -1}
	if !strings.Contains(lines[0], "\t") && strings.Contains(lines[0], ",") {
		t.sep = ','
	}
	header, _, err := t.split(lines[0])
	if err != nil {
		return nil, err
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	t.header = header
	if t.zone, err = t.column("Time Zone", false); err != nil {
		return nil, err
	}
	t.want = o.Sample
	if t.sample, err = t.column("Sample Name", false); err != nil {
		return nil, err
	}
	if t.sample < 0 {
		if t.sample, err = t.column("Sample", false); err != nil {
			return nil, err
		}
	}
	if t.sample < 0 && t.want != "" {
		return nil, &Error{File: name, Line: 1, Col: 1, What: fmt.Sprintf("no column \"Sample Name\" or \"Sample\" in the header, yet the sample %q was asked for", t.want)}
	}
	return t, nil
}

// split cuts one line into its fields, unquoted, and the column of each.
func (t *table) split(l string) ([]string, []int, error) {
	var fields []string
	var starts []int
	col := 1
	for i := 0; ; {
		starts = append(starts, col)
		f, n, err := t.field(l[i:], col)
		if err != nil {
			return nil, nil, err
		}
		fields = append(fields, f)
		col += utf8.RuneCountInString(l[i : i+n])
		i += n
		if i >= len(l) {
			return fields, starts, nil
		}
		i++ // the separator
		col++
	}
}

// field reads the field at the start of s: its value and the bytes it
// takes, up to the separator or the end.
func (t *table) field(s string, col int) (string, int, error) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			if i+1 == len(s) || s[i+1] == t.sep {
				return b.String(), i + 1, nil
			}
			break
		}
		if t.sep == ',' {
			return "", 0, &Error{File: t.name, Line: t.line + 1, Col: col, What: `a quoted field not closed before the next comma or the end of the line: want "text", a quote inside written twice ("")`}
		}
	}
	n := strings.IndexByte(s, t.sep)
	if n < 0 {
		n = len(s)
	}
	return s[:n], n, nil
}

// next moves to the next row with a field filled; false at the end.
func (t *table) next() (bool, error) {
	for {
		t.line++
		if t.line >= len(t.lines) {
			return false, nil
		}
		l := t.lines[t.line]
		if strings.Trim(l, string(t.sep)+" \t") == "" {
			t.blank++
			continue
		}
		fields, starts, err := t.split(l)
		if err != nil {
			return false, err
		}
		if len(fields) != len(t.header) {
			kind := "tab"
			if t.sep == ',' {
				kind = "comma"
			}
			what := fmt.Sprintf("%d %s-separated fields, want %d as in the header", len(fields), kind, len(t.header))
			if len(fields) == len(t.header)+1 {
				what += " (a table written with row names has one more field on each row than in its header: write it without them)"
			}
			return false, &Error{File: t.name, Line: t.line + 1, What: what}
		}
		t.fields, t.starts, t.rough = fields, starts, false
		return true, nil
	}
}

// decode is the text of a file: UTF-8 (or bytes that are not, as they
// are), or UTF-16 with its byte-order mark, as a spreadsheet saves
// "Unicode text".
func decode(data []byte) string {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order = binary.BigEndian
	default:
		return string(data)
	}
	units := make([]uint16, 0, len(data)/2)
	for i := 2; i+1 < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	return string(utf16.Decode(units))
}

// splitLines cuts a file into its lines, without a UTF-8 byte-order mark
// at the start: lines end in LF or CR LF, or in CR alone in a file that
// has no LF (as spreadsheets on old Macs save text).
func splitLines(data []byte) []string {
	text := strings.TrimPrefix(decode(data), "\ufeff")
	if !strings.Contains(text, "\n") {
		return strings.Split(text, "\r")
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// firstLine is the header of a file, as splitLines cuts it.
func firstLine(data []byte) string {
	if len(data) > 1<<20 {
		data = data[:1<<20]
	}
	return splitLines(data)[0]
}

// headerName is a column's name as compared: the case, spaces around
// and repeated spaces do not matter ("Anon Student ID" is "Anon Student
// Id").
func headerName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// unquote removes the quotes of a header cell written quoted.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// column returns the index of the one column named name, or an error at
// the header.
func (t *table) column(name string, required bool) (int, error) {
	at := -1
	for i, h := range t.header {
		if headerName(h) == headerName(name) {
			if at >= 0 {
				return 0, &Error{File: t.name, Line: 1, Col: t.headerCol(i), What: fmt.Sprintf("a second column %q: want it once, so that no column is guessed", name)}
			}
			at = i
		}
	}
	if at < 0 && required {
		return 0, &Error{File: t.name, Line: 1, Col: 1, What: fmt.Sprintf("no column %q in the header: want it, with that name", name)}
	}
	return at, nil
}

// headerCol is the column of the header's field i.
func (t *table) headerCol(i int) int {
	_, starts, err := t.split(t.lines[0])
	if err != nil || i >= len(starts) {
		return 1
	}
	return starts[i]
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

// kcModel is the model a header cell names if it is a knowledge
// component column: "KC (Default)" as DataShop writes it or
// "KC(Default)" as the KDD Cup does.
func kcModel(h string) (string, bool) {
	if len(h) < 2 || !strings.EqualFold(h[:2], "KC") {
		return "", false
	}
	m := strings.TrimLeft(h[2:], " ")
	if !strings.HasPrefix(m, "(") || !strings.HasSuffix(m, ")") {
		return "", false
	}
	return strings.TrimSpace(m[1 : len(m)-1]), true
}

// kcColumns finds the columns of the knowledge-component model to read.
func (t *table) kcColumns(model string) ([]int, []string, string, error) {
	byModel := map[string][]int{}
	var models []string
	for i, h := range t.header {
		if m, ok := kcModel(h); ok {
			if byModel[m] == nil {
				models = append(models, m)
			}
			byModel[m] = append(byModel[m], i)
		}
	}
	switch {
	case len(models) == 0:
		return nil, nil, "", &Error{File: t.name, Line: 1, Col: 1, What: "no knowledge-component column (KC (model)) in the header: the detectors need the skill of each step"}
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
// them, or one in each of several columns of the model. A step with
// several is practice of their combination, named in DataShop's notation
// with the components in alphabetical order (so that the same components
// are the same combination whatever their order in a cell or the order of
// the columns), because an action here has one skill.
func (t *table) skill(cols []int) string {
	var kcs []string
	for _, c := range cols {
		for k := range strings.SplitSeq(t.fields[c], "~~") {
			if k = strings.TrimSpace(k); k != "" && !slices.Contains(kcs, k) {
				kcs = append(kcs, k)
			}
		}
	}
	slices.Sort(kcs)
	return strings.Join(kcs, "~~")
}

// The orders of a date written with slashes, as spreadsheets write them.
const (
	MonthFirst = "mdy" // 1/13/2020, as in the United States
	DayFirst   = "dmy" // 13/1/2020
)

// isoLayouts are the forms of a time in DataShop and KDD Cup files (a
// fraction of a second is read after the seconds whatever the layout),
// those with the minutes only last.
var isoLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05Z07:00", "2006/1/2 15:04:05",
	"2006-01-02 15:04", "2006-01-02T15:04", "2006/1/2 15:04",
}

// slashLayouts are the forms of a date with slashes, month first; the
// day-first ones swap "1" and "2".
var slashLayouts = []string{
	"1/2/2006 15:04:05", "1/2/2006 3:04:05 PM", "1/2/06 15:04:05", "1/2/06 3:04:05 PM",
	"1/2/2006 15:04", "1/2/2006 3:04 PM", "1/2/06 15:04", "1/2/06 3:04 PM",
}

var slashDate = regexp.MustCompile(`^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}[ T]`)

// parseTime reads a time of field i, in the zone of the row's "Time
// Zone" (a zoneinfo name such as America/New_York) if the log has one,
// else as UTC: the replay needs the times of one student relative to
// each other and to their classmates.
func (t *table) parseTime(i int) (int64, error) {
	v := strings.TrimSpace(t.fields[i])
	loc := time.UTC
	if z := strings.TrimSpace(t.get(t.zone)); z != "" {
		if loc = t.zones[z]; loc == nil {
			l, err := time.LoadLocation(z)
			if err != nil || z == "Local" {
				return 0, t.errAt(t.zone, "%q is not a time zone: want a zoneinfo name such as America/New_York or UTC, or nothing", z)
			}
			if t.zones == nil {
				t.zones = map[string]*time.Location{}
			}
			t.zones[z], loc = l, l
		}
	}
	for k, l := range isoLayouts {
		if tm, err := time.ParseInLocation(l, v, loc); err == nil {
			t.roughly(k >= 5)
			return tm.UnixMilli(), nil
		}
	}
	if slashDate.MatchString(v) {
		if t.dates == "" {
			return 0, t.errAt(i, "%q is a date with slashes, which a spreadsheet writes month first or day first: say which with --dates %s or --dates %s", v, MonthFirst, DayFirst)
		}
		for k, l := range slashLayouts {
			if t.dates == DayFirst {
				l = "2/1" + l[3:]
			}
			if tm, err := time.ParseInLocation(l, v, loc); err == nil {
				t.roughly(k >= 4)
				return tm.UnixMilli(), nil
			}
		}
		order := "M/D/YYYY"
		if t.dates == DayFirst {
			order = "D/M/YYYY"
		}
		return 0, t.errAt(i, "%q is not a date and time of the order %s: want %s H:MM:SS, the year in two or four digits, with AM or PM or not", v, t.dates, order)
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return 0, t.errAt(i, "%q is a number, not a time (a spreadsheet's day number?): want YYYY-MM-DD HH:MM:SS; save the column as text", v)
	}
	return 0, t.errAt(i, "%q is not a time: want YYYY-MM-DD HH:MM:SS, with fractions of a second or not", v)
}

// inSample says whether the current row is of the sample to read. An
// export of several samples writes an action that is in two of them
// twice: such a file is refused unless the sample to read is named.
func (t *table) inSample() (bool, error) {
	if t.sample < 0 {
		return true, nil
	}
	v := strings.TrimSpace(t.fields[t.sample])
	if t.want != "" {
		return v == t.want, nil
	}
	switch {
	case v == "":
	case t.seen == "":
		t.seen, t.seenAt = v, t.line+1
	case v != t.seen:
		return false, t.errAt(t.sample, "%q, after %q from line %d: an export of several samples writes an action that is in two of them twice; say which sample to read with --sample", v, t.seen, t.seenAt)
	}
	return true, nil
}

// roughly counts the current row as timed to the minute only, once.
func (t *table) roughly(minutes bool) {
	if minutes && !t.rough {
		t.rough = true
		t.coarse++
	}
}

func (t *table) parseCount(i int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(t.fields[i]))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, t.errAt(i, "%q is not a count: want a whole number from 0", t.fields[i])
	}
	return n, nil
}
