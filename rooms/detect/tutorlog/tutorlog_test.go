package tutorlog

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// tsv joins rows of fields into a tab-separated file.
func tsv(rows ...[]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteString("\n")
	}
	return []byte(b.String())
}

var dsHeader = []string{"Row", "Anon Student Id", "Session Id", "Time", "Student Response Type", "Problem Name", "Problem View", "Step Name",
	"Attempt At Step", "Outcome", "KC (Default)", "KC (Default)", "KC (Unique-step)"}

// dataShopLog is a small DataShop transaction export: Stu_a asks for a
// hint before answering step x1 of p1, gets it right, comes back to x1
// after x2; a step with two components; a row without one.
func dataShopLog() [][]string {
	return [][]string{
		slices.Clone(dsHeader),
		{"1", "Stu_a", "s1", "2024-02-16 05:34:51", "HINT_REQUEST", "p1", "1", "x1", "1", "HINT", "add", "", "u1"},
		{"2", "Stu_a", "s1", "2024-02-16 05:35:10", "ATTEMPT", "p1", "1", "x1", "2", "CORRECT", "add", "", "u1"},
		{"3", "Stu_a", "s1", "2024-02-16 05:35:40.5", "ATTEMPT", "p1", "1", "x2", "1", "INCORRECT", "add", "carry", "u2"},
		{"4", "Stu_a", "s1", "2024-02-16 05:36:00", "ATTEMPT", "p1", "1", "x1", "3", "CORRECT", "add", "", "u1"},
		{"5", "Stu_b", "s2", "2024-02-16 05:34:00", "ATTEMPT", "p1", "2", "x1", "1", "ERROR", "", "", "u1"},
		{"6", "Stu_b", "s2", "2024-02-16 05:34:30", "HINT_REQUEST", "p1", "2", "x1", "2", "", "add~~carry", "", "u1"},
	}
}

func TestDataShop(t *testing.T) {
	data := tsv(dataShopLog()...)
	if f, err := Detect("tx.txt", data); err != nil || f != DataShop {
		t.Fatalf("Detect = %q, %v", f, err)
	}
	_, err := Read(DataShop, "tx.txt", data, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || !strings.Contains(e.What, "Default, Unique-step") || !strings.Contains(e.What, "--kc") {
		t.Fatalf("two models and none chosen: err %v, want one naming both at line 1", err)
	}
	log, err := Read(DataShop, "tx.txt", data, Options{Model: "Default"})
	if err != nil {
		t.Fatal(err)
	}
	if log.Model != "Default" || log.NoSkill != 1 || len(log.Actions) != 5 {
		t.Fatalf("model %q, %d without a KC, %d actions; want Default, 1, 5", log.Model, log.NoSkill, len(log.Actions))
	}
	at := func(s string) int64 {
		tm, err := time.Parse("2006-01-02 15:04:05.999", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	want := []Action{
		{Student: "Stu_a", At: at("2024-02-16 05:34:51"), Hint: true, Problem: "p1 (view 1)", Step: "p1 (view 1)\x00x1", Skill: "add", Attempt: 1, Line: 2},
		{Student: "Stu_a", At: at("2024-02-16 05:35:10"), Correct: true, Problem: "p1 (view 1)", Step: "p1 (view 1)\x00x1", Skill: "add", Attempt: 2, Line: 3},
		{Student: "Stu_a", At: at("2024-02-16 05:35:40.5"), Problem: "p1 (view 1)", Step: "p1 (view 1)\x00x2", Skill: "add~~carry", Attempt: 1, Line: 4},
		{Student: "Stu_a", At: at("2024-02-16 05:36:00"), Correct: true, Problem: "p1 (view 1)", Step: "p1 (view 1)\x00x1", Skill: "add", Attempt: 3, Line: 5},
		{Student: "Stu_b", At: at("2024-02-16 05:34:30"), Hint: true, Problem: "p1 (view 2)", Step: "p1 (view 2)\x00x1", Skill: "add~~carry", Attempt: 2, Line: 7},
	}
	for i, w := range want {
		if got := log.Actions[i]; got != w {
			t.Errorf("action %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if got := StepName(log.Actions[0].Step); got != "p1 (view 1): x1" {
		t.Errorf("StepName = %q", got)
	}
}

// Every problem stops the reader at its place, with what was expected.
func TestDataShopErrors(t *testing.T) {
	set := func(row, col int, v string) func([][]string) [][]string {
		return func(rows [][]string) [][]string { rows[row][col] = v; return rows }
	}
	tests := []struct {
		name   string
		change func([][]string) [][]string
		model  string
		want   string
	}{
		{"an unknown outcome", set(3, 9, "MAYBE"), "Default", `tx.txt:4:52: Outcome: "MAYBE" for an ATTEMPT: want CORRECT or INCORRECT`},
		{"an unknown response type", set(2, 4, "CLICK"), "Default", `tx.txt:3:32: Student Response Type: "CLICK" with the Outcome "CORRECT": want ATTEMPT or HINT_REQUEST`},
		{"not a time", set(1, 3, "16th February 2024"), "Default", `tx.txt:2:12: Time: "16th February 2024" is not a time: want YYYY-MM-DD HH:MM:SS`},
		{"a date with slashes", set(1, 3, "16/02/2024 05:34"), "Default", `tx.txt:2:12: Time: "16/02/2024 05:34" is a date with slashes, which a spreadsheet writes month first or day first: say which with --dates mdy or --dates dmy`},
		{"a spreadsheet's day number", set(1, 3, "45338.2325"), "Default", `tx.txt:2:12: Time: "45338.2325" is a number, not a time`},
		{"an unknown time zone", func(rows [][]string) [][]string {
			rows[0][2] = "Time Zone"
			for _, r := range rows[1:] {
				r[2] = "UTC"
			}
			rows[2][2] = "Mars/Olympus"
			return rows
		}, "Default", `tx.txt:3:9: Time Zone: "Mars/Olympus" is not a time zone: want a zoneinfo name`},
		{"an answer graded HINT", set(2, 9, "HINT"), "Default", `tx.txt:3:50: Outcome: "HINT" for an ATTEMPT: want CORRECT or INCORRECT`},
		{"no student", set(1, 1, ""), "Default", `tx.txt:2:3: Anon Student Id: empty: want the student's ID`},
		{"a bad problem view", set(1, 6, "first"), "Default", `tx.txt:2:48: Problem View: "first": want the problem view`},
		{"a bad attempt number", set(1, 8, "0"), "Default", `tx.txt:2:53: Attempt At Step: "0": want the action's number on its step`},
		{"a row short of fields", func(rows [][]string) [][]string { rows[2] = rows[2][:5]; return rows }, "Default", "tx.txt:3: 5 tab-separated fields, want 13 as in the header"},
		{"no column Outcome", func(rows [][]string) [][]string { rows[0][9] = "Result"; return rows }, "Default", `tx.txt:1:1: no column "Outcome" in the header`},
		{"a column twice", func(rows [][]string) [][]string { rows[0][2] = "Time"; return rows }, "Default", `tx.txt:1:26: a second column "Time"`},
		{"an unknown model", nil, "Skills", `tx.txt:1:1: no knowledge-component model "Skills": want one of Default, Unique-step`},
		{"no model at all", func(rows [][]string) [][]string {
			for i := range rows {
				rows[i] = rows[i][:10]
			}
			return rows
		}, "", "tx.txt:1:1: no knowledge-component column (KC (model)) in the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := dataShopLog()
			if tt.change != nil {
				rows = tt.change(rows)
			}
			_, err := Read(DataShop, "tx.txt", tsv(rows...), Options{Model: tt.model})
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant one starting %q", err, tt.want)
			}
		})
	}
}

var kddHeader = []string{"Row", "Anon Student Id", "Problem Hierarchy", "Problem Name", "Problem View", "Step Name", "Step Start Time",
	"First Transaction Time", "Correct Transaction Time", "Step End Time", "Step Duration (sec)", "Correct Step Duration (sec)",
	"Error Step Duration (sec)", "Correct First Attempt", "Incorrects", "Hints", "Corrects", "KC(Default)", "Opportunity(Default)"}

func kddLog() [][]string {
	return [][]string{
		slices.Clone(kddHeader),
		{"1", "s1", "Unit 1", "EG4", "1", "3(x+2) = 15", "2005-09-09 12:24:35.0", "2005-09-09 12:24:49.0", "2005-09-09 12:25:15.0", "2005-09-09 12:25:15.0", "40", "40", "", "0", "2", "1", "1", "[SkillRule: Remove constant]~~[SkillRule: Distribute]", "1~~1"},
		{"2", "s1", "Unit 1", "EG4", "1", "x+2 = 5", "2005-09-09 12:25:15.0", "2005-09-09 12:25:31.0", "2005-09-09 12:25:31.0", "2005-09-09 12:25:31.0", "16", "16", "", "1", "0", "0", "1", "[SkillRule: Remove constant]", "2"},
		{"3", "s1", "Unit 1", "EG4", "1", "x = 3", "2005-09-09 12:25:31.0", "2005-09-09 12:25:40.0", "", "2005-09-09 12:26:00.0", "29", "", "29", "0", "0", "2", "0", "", ""},
	}
}

func TestKDD(t *testing.T) {
	data := tsv(kddLog()...)
	if f, err := Detect("kdd.txt", data); err != nil || f != KDD {
		t.Fatalf("Detect = %q, %v", f, err)
	}
	log, err := Read(KDD, "kdd.txt", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if log.NoSkill != 1 || len(log.Actions) != 5 {
		t.Fatalf("%d without a KC, %d actions; want 1 and 5", log.NoSkill, len(log.Actions))
	}
	base := time.Date(2005, 9, 9, 12, 24, 49, 0, time.UTC).UnixMilli()
	type act struct {
		hint, correct bool
		at            int64
	}
	want := []act{
		{false, false, base},          // the first attempt: an incorrect answer
		{true, false, base + 26000/3}, // then the hint
		{false, false, base + 2*26000/3},
		{false, true, base + 26000}, // the correct answer at its time
		{false, true, base + 42000}, // the next step, right first time
	}
	for i, w := range want {
		a := log.Actions[i]
		if (act{a.Hint, a.Correct, a.At}) != w {
			t.Errorf("action %d: %+v, want %+v", i, a, w)
		}
	}
	if log.Actions[0].Skill != "[SkillRule: Distribute]~~[SkillRule: Remove constant]" || log.Actions[0].Step == log.Actions[4].Step {
		t.Errorf("skill %q, steps %q and %q", log.Actions[0].Skill, log.Actions[0].Step, log.Actions[4].Step)
	}
	bad := kddLog()
	bad[2][13] = "yes"
	_, err = Read(KDD, "kdd.txt", tsv(bad...), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `kdd.txt:3:`) || !strings.Contains(err.Error(), `Correct First Attempt: "yes": want 1`) {
		t.Errorf("err = %v", err)
	}
	bad = kddLog()
	bad[1][14], bad[1][15] = "0", "0"
	if _, err = Read(KDD, "kdd.txt", tsv(bad...), Options{}); err == nil || !strings.Contains(err.Error(), "want what the first attempt was") {
		t.Errorf("a wrong first attempt with no incorrect answer or hint: err = %v", err)
	}
}

func TestAssist(t *testing.T) {
	data := []byte("3\n7,7,9,\n1,0,1,\n1\n9\n0\n")
	if _, err := Read(Assist, "b.csv", data, Options{}); err == nil || !strings.Contains(err.Error(), "--pace") {
		t.Fatalf("no pace: err = %v", err)
	}
	log, err := Read(Assist, "b.csv", data, Options{Pace: 60_000, Start: 1_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Actions) != 4 {
		t.Fatalf("%d actions, want 4", len(log.Actions))
	}
	a := log.Actions[2]
	if a.Student != "student-1" || a.Skill != "9" || !a.Correct || a.At != 1_000+2*60_000 || a.Line != 2 {
		t.Errorf("third answer %+v", a)
	}
	if b := log.Actions[3]; b.Student != "student-2" || b.Correct || b.At != 1_000 || b.Step == a.Step {
		t.Errorf("fourth answer %+v", b)
	}
	for _, in := range []string{"3\r\n7,7,9,\r\n1,0,1,\r\n1\r\n9\r\n0\r\n", "\ufeff3\r7,7,9\r1,0,1\r1\r9\r0\r"} {
		again, err := Read(Assist, "b.csv", []byte(in), Options{Pace: 60_000, Start: 1_000})
		if err != nil || !slices.Equal(again.Actions, log.Actions) {
			t.Errorf("%q: %v, %+v", in, err, again)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"2\n7,7\n1,2\n", `b.csv:3:3: "2": want 1 (right) or 0`},
		{"2\n7\n1,1\n", "b.csv:2:1: 1 values, want 2"},
		{"x\n", `b.csv:1:1: "x": want the number of answers`},
		{"2\n7,7\n", "b.csv:3: the file ends within a student"},
		{"2\n7,,\n1,1\n", "b.csv:2:3: an empty value"},
	} {
		_, err := Read(Assist, "b.csv", []byte(tt.in), Options{Pace: 1})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestDetectUnknown(t *testing.T) {
	_, err := Detect("x.csv", []byte("student,skill,correct\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "x.csv:1:1: want the header of a DataShop transaction export") {
		t.Errorf("err = %v", err)
	}
}
