package tutorlog

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// The same log written as the exports, spreadsheets and scripts of the
// field write it reads as the same actions.
func TestDataShopVariants(t *testing.T) {
	want, err := Read(DataShop, "tx.txt", tsv(dataShopLog()...), Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	join := func(rows [][]string, sep, end string, cell func(string) string) []byte {
		var b strings.Builder
		for _, r := range rows {
			for i, f := range r {
				if i > 0 {
					b.WriteString(sep)
				}
				b.WriteString(cell(f))
			}
			b.WriteString(end)
		}
		return []byte(b.String())
	}
	same := func(s string) string { return s }
	// moved puts the columns in another order, with the columns of a
	// newer export between them.
	moved := func() [][]string {
		rows := dataShopLog()
		extra := [][]string{{"CF (ansType)", "Selection", "Action", "Input", "KC Category (Default)", "Time Zone"}}
		for i := 1; i < len(rows); i++ {
			extra = append(extra, []string{"number", "x1", "UpdateTextField", `he said "7"`, "", "UTC"})
		}
		for i, r := range rows {
			r = append(r, extra[i]...)
			slices.Reverse(r)
			rows[i] = r
		}
		return rows
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"CR LF line ends", join(dataShopLog(), "\t", "\r\n", same)},
		{"CR line ends", join(dataShopLog(), "\t", "\r", same)},
		{"a byte-order mark and no line end at the end", []byte("\ufeff" + strings.TrimSuffix(string(tsv(dataShopLog()...)), "\n"))},
		{"empty lines at the end", append(tsv(dataShopLog()...), "\n\n\r\n"...)},
		{"UTF-16, little-endian, as a spreadsheet saves Unicode text", utf16Text(binary.LittleEndian, strings.ReplaceAll(string(tsv(dataShopLog()...)), "\n", "\r\n"))},
		{"UTF-16, big-endian", utf16Text(binary.BigEndian, string(tsv(dataShopLog()...)))},
		{"every field quoted", join(dataShopLog(), "\t", "\n", quote)},
		{"comma-separated, quoted where needed", join(dataShopLog(), ",", "\r\n", func(s string) string {
			if strings.ContainsAny(s, `,"`) {
				return quote(s)
			}
			return s
		})},
		{"columns in another order, with more of them", tsv(moved()...)},
		{"names in other cases and spacing", func() []byte {
			rows := dataShopLog()
			rows[0][1], rows[0][4], rows[0][10] = "Anon Student ID", "student response type", "KC(Default)"
			rows[0][3] = " Time "
			return tsv(rows...)
		}()},
		{"values in lower case", func() []byte {
			rows := dataShopLog()
			for _, r := range rows[1:] {
				r[4], r[9] = strings.ToLower(r[4]), strings.ToLower(r[9])
			}
			return tsv(rows...)
		}()},
		{"a very long field", func() []byte {
			rows := dataShopLog()
			rows[0] = append(rows[0], "Feedback Text")
			for i := 1; i < len(rows); i++ {
				rows[i] = append(rows[i], strings.Repeat("Think about the place value of each digit. ", 50_000))
			}
			return tsv(rows...)
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if f, err := Detect("tx.txt", tt.data); err != nil || f != DataShop {
				t.Fatalf("Detect = %q, %v", f, err)
			}
			got, err := Read(DataShop, "tx.txt", tt.data, Options{Model: "Default"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Actions, want.Actions) || got.NoSkill != want.NoSkill || len(got.Left) != 0 {
				t.Errorf("got %d actions (%d without a KC, left out %v):\n%+v\nwant %d:\n%+v", len(got.Actions), got.NoSkill, got.Left, got.Actions, len(want.Actions), want.Actions)
			}
		})
	}
}

// Rows that are no answer or hint of the student's on a step are left
// out and counted by why; the others read as before.
func TestDataShopLeftOut(t *testing.T) {
	rows := dataShopLog()
	rows[0] = append(rows[0], "Student Response Subtype")
	for i := 1; i < len(rows); i++ {
		rows[i] = append(rows[i], "")
	}
	want, err := Read(DataShop, "tx.txt", tsv(rows...), Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	row := func(typ, step, outcome, subtype string) []string {
		return []string{"9", "Stu_a", "s1", "2024-02-16 05:35:20", typ, "p1", "1", step, "", outcome, "add", "", "u1", subtype}
	}
	blank := make([]string, len(rows[0]))
	more := slices.Concat(rows[:3], [][]string{
		row("VIEW_PAGE", "", "", ""),
		row("SAVE_ATTEMPT", "x1", "", "UI Event"),
		row("", "", "", ""),
		blank,
		row("ATTEMPT", "x1", "", ""),
		row("ATTEMPT", "x1", "UNGRADED", ""),
		row("HINT_REQUEST", "", "", ""),
		row("ATTEMPT", "x2", "CORRECT", "tutor-performed"),
	}, rows[3:], [][]string{blank, blank})
	got, err := Read(DataShop, "tx.txt", tsv(more...), Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Actions {
		got.Actions[i].Line = want.Actions[i].Line
	}
	if !slices.Equal(got.Actions, want.Actions) {
		t.Errorf("actions:\n%+v\nwant\n%+v", got.Actions, want.Actions)
	}
	wantLeft := map[string]int{
		"blank (no field filled)": 3,
		"neither an answer nor a hint (Student Response Type VIEW_PAGE)":    1,
		"neither an answer nor a hint (Student Response Type SAVE_ATTEMPT)": 1,
		"neither an answer nor a hint (Student Response Type none)":         1,
		"answers not graded (no Outcome, or UNGRADED)":                      2,
		"on no step (no Step Name: a hint or answer on the whole problem)":  1,
		"performed by the tutor (Student Response Subtype tutor-performed)": 1,
	}
	if !maps.Equal(got.Left, wantLeft) {
		t.Errorf("left out %v\nwant %v", got.Left, wantLeft)
	}

	// A log with nothing to replay is refused, saying why.
	only := [][]string{rows[0], row("VIEW_PAGE", "", "", ""), blank}
	_, err = Read(DataShop, "tx.txt", tsv(only...), Options{Model: "Default"})
	if err == nil || !strings.HasPrefix(err.Error(), "tx.txt:2: no answer or hint on a step to replay: every row was left out (1 blank") {
		t.Errorf("nothing to replay: err = %v", err)
	}
	if _, err = Read(DataShop, "tx.txt", tsv(rows[0]), Options{Model: "Default"}); err == nil || !strings.HasPrefix(err.Error(), "tx.txt:2: no rows after the header") {
		t.Errorf("a header alone: err = %v", err)
	}
}

// Times are read in their row's zone, with or without fractions of a
// second, and dates with slashes in the order the user says.
func TestTimes(t *testing.T) {
	read := func(t *testing.T, o Options, zone string, times ...string) (*Log, error) {
		rows := [][]string{{"Anon Student Id", "Time", "Time Zone", "Student Response Type", "Outcome", "Problem Name", "Step Name", "KC (Default)"}}
		for i, tm := range times {
			rows = append(rows, []string{"s", tm, zone, "ATTEMPT", "CORRECT", "p", string(rune('a' + i)), "k"})
		}
		return Read(DataShop, "tx.txt", tsv(rows...), o)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, zone string
		o          Options
		in         string
		want       time.Time
		coarse     int
	}{
		{"seconds", "", Options{}, "2024-02-16 05:34:51", time.Date(2024, 2, 16, 5, 34, 51, 0, time.UTC), 0},
		{"milliseconds", "UTC", Options{}, "2024-02-16 05:34:51.250", time.Date(2024, 2, 16, 5, 34, 51, 250e6, time.UTC), 0},
		{"a zone", "America/New_York", Options{}, "2024-07-01 09:00:00", time.Date(2024, 7, 1, 9, 0, 0, 0, ny), 0},
		{"the hour that comes twice in autumn, first", "US/Eastern", Options{}, "2024-11-03 01:30:00", time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC), 0},
		{"an offset", "America/New_York", Options{}, "2024-07-01T09:00:00.5+02:00", time.Date(2024, 7, 1, 7, 0, 0, 500e6, time.UTC), 0},
		{"minutes only", "", Options{}, "2024-02-16 05:34", time.Date(2024, 2, 16, 5, 34, 0, 0, time.UTC), 1},
		{"month first", "", Options{Dates: MonthFirst}, "1/7/2012 12:00:28", time.Date(2012, 1, 7, 12, 0, 28, 0, time.UTC), 0},
		{"day first", "", Options{Dates: DayFirst}, "1/7/2012 12:00:28", time.Date(2012, 7, 1, 12, 0, 28, 0, time.UTC), 0},
		{"a two-digit year, minutes only", "", Options{Dates: MonthFirst}, "10/14/05 14:51", time.Date(2005, 10, 14, 14, 51, 0, 0, time.UTC), 1},
		{"PM", "GMT", Options{Dates: MonthFirst}, "2/16/2024 5:34:51 PM", time.Date(2024, 2, 16, 17, 34, 51, 0, time.UTC), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log, err := read(t, tt.o, tt.zone, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := log.Actions[0].At; got != tt.want.UnixMilli() || log.Coarse != tt.coarse {
				t.Errorf("%q read as %v (%d to the minute), want %v (%d)", tt.in, time.UnixMilli(got).UTC(), log.Coarse, tt.want.UTC(), tt.coarse)
			}
		})
	}
	// In a zone's time, a class at 2 in the afternoon in winter and one
	// at 1 in summer are an hour apart in UTC as they are on the wall.
	log, err := read(t, Options{}, "Europe/Paris", "2024-01-15 14:00:00", "2024-07-15 13:00:00")
	if err != nil {
		t.Fatal(err)
	}
	if w, s := log.Actions[0].At, log.Actions[1].At; time.UnixMilli(w).UTC().Hour() != 13 || time.UnixMilli(s).UTC().Hour() != 11 {
		t.Errorf("Paris at 14:00 in January and 13:00 in July read as %v and %v UTC", time.UnixMilli(w).UTC(), time.UnixMilli(s).UTC())
	}
	for _, tt := range []struct {
		o    Options
		in   string
		want string
	}{
		{Options{}, "1/7/2012 12:00:28", `tx.txt:2:3: Time: "1/7/2012 12:00:28" is a date with slashes, which a spreadsheet writes month first or day first: say which with --dates mdy or --dates dmy`},
		{Options{Dates: MonthFirst}, "13/1/2020 10:00", `tx.txt:2:3: Time: "13/1/2020 10:00" is not a date and time of the order mdy: want M/D/YYYY H:MM:SS`},
		{Options{Dates: DayFirst}, "1/13/2020 10:00", `tx.txt:2:3: Time: "1/13/2020 10:00" is not a date and time of the order dmy: want D/M/YYYY H:MM:SS`},
		{Options{}, "2024-02-16 05:34:51 EST", `tx.txt:2:3: Time: "2024-02-16 05:34:51 EST" is not a time`},
	} {
		if _, err := read(t, tt.o, "", tt.in); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v\nwant one starting %q", tt.in, err, tt.want)
		}
	}
	if _, err := read(t, Options{Dates: "ymd"}, "", "2024-02-16 05:34"); err == nil || !strings.Contains(err.Error(), "want mdy or dmy") {
		t.Errorf("an unknown order: err = %v", err)
	}
}

// Malformed tables stop at their first problem, with where it is.
func TestTableErrors(t *testing.T) {
	head := "Anon Student Id,Time,Student Response Type,Outcome,Problem Name,Step Name,KC (Default)\n"
	for _, tt := range []struct{ name, in, want string }{
		{"a quote not closed", head + "s,2024-02-16 05:34:51,ATTEMPT,CORRECT,\"p1, part 2,x,k\n", `tx.txt:2:39: a quoted field not closed before the next comma or the end of the line`},
		{"a quote inside a field", head + "s,2024-02-16 05:34:51,ATTEMPT,CORRECT,\"p\"1,x,k\n", `tx.txt:2:39: a quoted field not closed`},
		{"a row with row names", strings.ReplaceAll(head, ",", "\t") + "1\ts\t2024-02-16 05:34:51\tATTEMPT\tCORRECT\tp\tx\tk\n", `tx.txt:2: 8 tab-separated fields, want 7 as in the header (a table written with row names`},
		{"a column twice, in another case", strings.Replace(head, "Outcome", "TIME", 1) + "s,2024-02-16 05:34:51,ATTEMPT,CORRECT,p,x,k\n", `tx.txt:1:44: a second column "Time"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(DataShop, "tx.txt", []byte(tt.in), Options{})
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant one starting %q", err, tt.want)
			}
		})
	}
	// A field that only starts with a quote, in a tab-separated export
	// (DataShop does not quote), is read as it is written.
	rows := dataShopLog()
	rows[1][7] = `"x1`
	log, err := Read(DataShop, "tx.txt", tsv(rows...), Options{Model: "Default"})
	if err != nil || log.Actions[0].Step != "p1 (view 1)\x00\"x1" {
		t.Errorf("a field starting with a quote: %v, %+v", err, log)
	}
}

var stepHeader = []string{"Row", "Sample", "Anon Student Id", "Problem Hierarchy", "Problem Name", "Problem View", "Step Name", "Step Start Time",
	"First Transaction Time", "Correct Transaction Time", "Step End Time", "Step Duration (sec)", "Correct Step Duration (sec)",
	"Error Step Duration (sec)", "First Attempt", "Incorrects", "Hints", "Corrects", "Condition", "KC (Default)", "Opportunity (Default)",
	"Predicted Error Rate (Default)"}

// DataShop's student-step export says whether a first attempt was a
// hint, which the KDD Cup format does not.
func TestStudentStep(t *testing.T) {
	rows := [][]string{
		slices.Clone(stepHeader),
		{"1", "All Data", "Stu_a", "Unit 1, Section 2", "p1", "1", "x1", "", "2024-02-16 05:34:51", "2024-02-16 05:35:51", "2024-02-16 05:35:51", "60", "60", ".", "hint", "1", "2", "1", "", "add", "1", "0.3"},
		{"2", "All Data", "Stu_a", "Unit 1, Section 2", "p1", "1", "x2", "", "2024-02-16 05:36:00", "2024-02-16 05:36:00", "2024-02-16 05:36:00", "9", "9", ".", "correct", "0", "0", "1", "", "add~~carry", "2~~1", "0.2"},
		{"3", "All Data", "Stu_a", "Unit 1, Section 2", "p1", "1", "x3", "", "2024-02-16 05:36:10", "", "2024-02-16 05:36:40", "30", ".", "30", "incorrect", "1", "1", "0", "", "carry", "2", "0.2"},
		{"4", "All Data", "Stu_b", "Unit 1, Section 2", "p1", "1", "x1", "", "2024-02-16 05:36:10", "", "2024-02-16 05:36:40", "30", ".", "30", "incorrect", "1", "1", "0", "", "", "", ""},
	}
	data := tsv(rows...)
	if f, err := Detect("ss.txt", data); err != nil || f != StudentStep {
		t.Fatalf("Detect = %q, %v", f, err)
	}
	log, err := Read(StudentStep, "ss.txt", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05", "2024-02-16 "+s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	step := func(s string) string { return "p1 (view 1)\x00" + s }
	want := []Action{
		{Student: "Stu_a", At: at("05:34:51"), Hint: true, Problem: "p1 (view 1)", Step: step("x1"), Skill: "add", Attempt: 1, Line: 2},
		{Student: "Stu_a", At: at("05:35:11"), Hint: true, Problem: "p1 (view 1)", Step: step("x1"), Skill: "add", Attempt: 2, Line: 2},
		{Student: "Stu_a", At: at("05:35:31"), Problem: "p1 (view 1)", Step: step("x1"), Skill: "add", Attempt: 3, Line: 2},
		{Student: "Stu_a", At: at("05:35:51"), Correct: true, Problem: "p1 (view 1)", Step: step("x1"), Skill: "add", Attempt: 4, Line: 2},
		{Student: "Stu_a", At: at("05:36:00"), Correct: true, Problem: "p1 (view 1)", Step: step("x2"), Skill: "add~~carry", Attempt: 1, Line: 3},
		{Student: "Stu_a", At: at("05:36:10"), Problem: "p1 (view 1)", Step: step("x3"), Skill: "carry", Attempt: 1, Line: 4},
		{Student: "Stu_a", At: at("05:36:25"), Hint: true, Problem: "p1 (view 1)", Step: step("x3"), Skill: "carry", Attempt: 2, Line: 4},
	}
	if !slices.Equal(log.Actions, want) || log.NoSkill != 1 || log.Format != StudentStep {
		t.Errorf("got %s, %d without a KC:\n%+v\nwant\n%+v", log.Format, log.NoSkill, log.Actions, want)
	}
	for _, tt := range []struct {
		row, col int
		v, want  string
	}{
		{1, 14, "Hint?", `ss.txt:2:`},
		{1, 16, "0", `Hints: 0 with a first attempt that was a hint`},
		{1, 14, "", `First Attempt: "": want correct, incorrect or hint`},
		{1, 8, "NA", `First Transaction Time: "NA" is not a time`},
	} {
		bad := [][]string{slices.Clone(rows[0]), slices.Clone(rows[1])}
		bad[tt.row][tt.col] = tt.v
		if _, err := Read(StudentStep, "ss.txt", tsv(bad...), Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s = %q: err = %v, want %q", stepHeader[tt.col], tt.v, err, tt.want)
		}
	}
	// The KDD Cup's test files keep the first attempt back.
	kdd := kddLog()
	kdd[1][13] = ""
	if _, err := Read(KDD, "kdd.txt", tsv(kdd...), Options{}); err == nil || !strings.Contains(err.Error(), "a KDD Cup test file keeps it back") {
		t.Errorf("a test file: err = %v", err)
	}
}

// Without a response type (the column is optional in DataShop's format,
// and empty in some logs), the outcome says what the student did, as in
// DataShop's step rollup; the same log reads as the same actions.
func TestDataShopNoResponseType(t *testing.T) {
	want, err := Read(DataShop, "tx.txt", tsv(dataShopLog()...), Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	empty := dataShopLog()
	for _, r := range empty[1:] {
		r[4] = ""
		if r[9] == "" {
			r[9] = "HINT"
		}
	}
	without := dataShopLog()
	for i, r := range without {
		without[i] = slices.Delete(r, 4, 5)
	}
	for i := 1; i < len(without); i++ {
		if without[i][8] == "" {
			without[i][8] = "HINT"
		}
	}
	for name, rows := range map[string][][]string{"empty": empty, "no column": without} {
		data := tsv(rows...)
		if f, err := Detect("tx.txt", data); err != nil || f != DataShop {
			t.Fatalf("%s: Detect = %q, %v", name, f, err)
		}
		got, err := Read(DataShop, "tx.txt", data, Options{Model: "Default"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got.Actions, want.Actions) {
			t.Errorf("%s:\n%+v\nwant\n%+v", name, got.Actions, want.Actions)
		}
	}
	without[2][8] = "STUDY"
	if _, err := Read(DataShop, "tx.txt", tsv(without...), Options{Model: "Default"}); err == nil || !strings.HasPrefix(err.Error(), `tx.txt:3:`) || !strings.Contains(err.Error(), `Outcome: "STUDY" with no Student Response Type: want CORRECT, INCORRECT`) {
		t.Errorf("an outcome that says nothing: err = %v", err)
	}
}

// utf16Text writes text as UTF-16 with its byte-order mark.
func utf16Text(order binary.AppendByteOrder, text string) []byte {
	b := order.AppendUint16(nil, 0xfeff)
	for _, u := range utf16.Encode([]rune(text)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// An export of several samples writes an action in two of them twice:
// it is refused unless the sample to read is named.
func TestSamples(t *testing.T) {
	rows := dataShopLog()
	rows[0][2] = "Sample Name"
	for _, r := range rows[1:] {
		r[2] = "All Data"
	}
	one, err := Read(DataShop, "tx.txt", tsv(rows...), Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	both := slices.Clone(rows)
	for _, r := range rows[1:4] {
		r = slices.Clone(r)
		r[2] = "Week 1"
		both = append(both, r)
	}
	_, err = Read(DataShop, "tx.txt", tsv(both...), Options{Model: "Default"})
	if err == nil || !strings.HasPrefix(err.Error(), `tx.txt:8:9: Sample Name: "Week 1", after "All Data" from line 2: an export of several samples`) || !strings.Contains(err.Error(), "--sample") {
		t.Fatalf("two samples: err = %v", err)
	}
	got, err := Read(DataShop, "tx.txt", tsv(both...), Options{Model: "Default", Sample: "All Data"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Actions, one.Actions) || got.Left["of another sample than All Data"] != 3 {
		t.Errorf("the sample All Data: %d actions (want %d), left out %v", len(got.Actions), len(one.Actions), got.Left)
	}
	if _, err := Read(DataShop, "tx.txt", tsv(both...), Options{Model: "Default", Sample: "Week 2"}); err == nil || !strings.Contains(err.Error(), "every row was left out (9 of another sample than Week 2)") {
		t.Errorf("a sample not in the file: err = %v", err)
	}
	if _, err := Read(DataShop, "tx.txt", tsv(dataShopLog()...), Options{Model: "Default", Sample: "All Data"}); err == nil || !strings.Contains(err.Error(), `no column "Sample Name" or "Sample"`) {
		t.Errorf("a sample asked of a log without samples: err = %v", err)
	}
}

// The KDD Cup's later files (Bridge to Algebra, Algebra 2006–2009) have
// two models, SubSkills and KTracedSkills, with several components a
// step, and Opportunity columns beside them.
func TestKDDTwoModels(t *testing.T) {
	header := []string{"Row", "Anon Student Id", "Problem Hierarchy", "Problem Name", "Problem View", "Step Name", "Step Start Time",
		"First Transaction Time", "Correct Transaction Time", "Step End Time", "Step Duration (sec)", "Correct Step Duration (sec)",
		"Error Step Duration (sec)", "Correct First Attempt", "Incorrects", "Hints", "Corrects",
		"KC(SubSkills)", "Opportunity(SubSkills)", "KC(KTracedSkills)", "Opportunity(KTracedSkills)"}
	row := []string{"9", "stu_de2777346f", "Unit CTA1_01, Section CTA1_01-3", "REAL20B", "1", "R6C2", "2008-09-19 13:30:46.0",
		"2008-09-19 13:30:46.0", "2008-09-19 13:30:46.0", "2008-09-19 13:30:46.0", "0", "0", "", "1", "0", "0", "1",
		"Using simple numbers~~Find Y, any form~~Using large numbers~~Find Y, negative slope", "4~~3~~4~~3",
		"Using simple numbers-1~~Using large numbers-1~~Find Y, negative slope-1", "4~~4~~3"}
	data := tsv(header, row)
	if _, err := Read(KDD, "b.txt", data, Options{}); err == nil || !strings.Contains(err.Error(), "2 knowledge-component models (SubSkills, KTracedSkills): say which to read with --kc") {
		t.Fatalf("two models: err = %v", err)
	}
	log, err := Read(KDD, "b.txt", data, Options{Model: "KTracedSkills"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2008, 9, 19, 13, 30, 46, 0, time.UTC).UnixMilli()
	want := []Action{{Student: "stu_de2777346f", At: at, Correct: true, Problem: "REAL20B (view 1)", Step: "REAL20B (view 1)\x00R6C2",
		Skill: "Find Y, negative slope-1~~Using large numbers-1~~Using simple numbers-1", Attempt: 1, Line: 2}}
	if !slices.Equal(log.Actions, want) {
		t.Errorf("got %+v\nwant %+v", log.Actions, want)
	}
}
