package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classhub/classhub/rooms/detect"
)

// writeDataShop writes a DataShop transaction export of two students:
// one who gets the skill wrong problem after problem, asking for hints,
// and one who gets it right.
func writeDataShop(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Row\tAnon Student Id\tTime\tStudent Response Type\tProblem Name\tStep Name\tOutcome\tKC (Default)\n")
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	row := 0
	add := func(student, typ, problem, outcome string) {
		row++
		at = at.Add(20 * time.Second)
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\t%s\tstep\t%s\tfractions\n", row, student, at.Format("2006-01-02 15:04:05"), typ, problem, outcome)
	}
	for i := range 14 {
		p := fmt.Sprintf("p%d", i)
		if i%3 == 0 {
			add("Stu_slow", "HINT_REQUEST", p, "HINT")
		}
		add("Stu_slow", "ATTEMPT", p, "INCORRECT")
		add("Stu_slow", "ATTEMPT", p, "CORRECT")
		add("Stu_quick", "ATTEMPT", p, "CORRECT")
	}
	name := filepath.Join(dir, "tx.txt")
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestReplayCommand(t *testing.T) {
	dir := t.TempDir()
	log := writeDataShop(t, dir)
	lines, summary := filepath.Join(dir, "lines.jsonl"), filepath.Join(dir, "summary.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"replay", "--lines", lines, "--summary", summary, log}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"sha256 ", "| raw published rules |", "| classhub, act now |", "| struggle |", "2 students, 2 class periods"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(lines)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, flagged := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var fa detect.FirstAttempt
		if err := json.Unmarshal(sc.Bytes(), &fa); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if fa.Student == "Stu_slow" && len(fa.Flags) > 0 {
			flagged++
		}
		if fa.Step != string(fa.Item)+": step" {
			t.Errorf("step %q", fa.Step)
		}
	}
	if n != 28 || flagged == 0 {
		t.Errorf("%d lines (want 28, one per problem and student), %d of the struggling student's flagged", n, flagged)
	}
	var sum detect.AuditSummary
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.FirstAttempts != 28 || sum.WheelPairs != 1 || sum.MasteredPairs != 1 {
		t.Errorf("summary: %d first attempts, %d wheel-spinning and %d mastered pairs; want 28, 1, 1", sum.FirstAttempts, sum.WheelPairs, sum.MasteredPairs)
	}
}

// A log the command cannot read stops it at the first problem, with
// where and what was expected; nothing is guessed.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	log := writeDataShop(t, dir)
	b, _ := os.ReadFile(log)
	bad := strings.Replace(string(b), "INCORRECT", "WRONG", 1)
	if err := os.WriteFile(log, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"replay", log}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), log+":3:48: Outcome: \"WRONG\" for an ATTEMPT: want CORRECT or INCORRECT") {
		t.Errorf("err = %v", err)
	}
	other := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(other, []byte("user_id,skill,correct\n1,2,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"replay", other}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), other+":1:1: want the header of a DataShop transaction export") {
		t.Errorf("an unknown format: err = %v", err)
	}
}

// A log as an online course's export and a spreadsheet leave it: page
// views and saves among the answers, rows of empty fields, dates with
// slashes. The command replays the answers and hints and says what it
// left out; the order of the dates must be named.
func TestReplaySpreadsheetExport(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Anon Student ID\tTime\tTime Zone\tStudent Response Type\tProblem Name\tStep Name\tOutcome\tKC (Default)\r\n")
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		at = at.Add(30 * time.Second)
		fmt.Fprintf(&b, "Stu_a\t%s\tAmerica/New_York\tVIEW_PAGE\tp%d\t\t\t\r\n", at.Format("1/2/2006 3:04:05 PM"), i)
		at = at.Add(30 * time.Second)
		fmt.Fprintf(&b, "Stu_a\t%s\tAmerica/New_York\tATTEMPT\tp%d\tx\tINCORRECT\tfractions\r\n", at.Format("1/2/2006 3:04:05 PM"), i)
	}
	b.WriteString("\t\t\t\t\t\t\t\r\n\t\t\t\t\t\t\t\r\n")
	log := filepath.Join(dir, "export.txt")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"replay", log}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), log+":3:7: Time: \"3/1/2024 9:01:00 AM\" is a date with slashes") || !strings.Contains(err.Error(), "--dates mdy") {
		t.Fatalf("dates with slashes and no order: err = %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"replay", "--dates", "mdy", log}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"10 actions",
		"10 rows left out: neither an answer nor a hint (Student Response Type VIEW_PAGE)",
		"2 rows left out: blank (no field filled)",
		"1 students, 1 class periods",
		"10 first attempts, 100 % (10 of 10) wrong",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A student-step export keeps one row per step; when a student moves
// between two steps and back, the rows' times overlap. Each row is one
// first attempt, however its actions interleave with another's.
func TestReplayStudentStepOverlap(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Row\tSample\tAnon Student Id\tProblem Hierarchy\tProblem Name\tProblem View\tStep Name\tStep Start Time\tFirst Transaction Time\tCorrect Transaction Time\tStep End Time\tFirst Attempt\tIncorrects\tHints\tCorrects\tKC (Default)\tOpportunity (Default)\n")
	at := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	ts := func(s int) string { return at.Add(time.Duration(s) * time.Second).Format("2006-01-02 15:04:05") }
	rows := 0
	for p := range 6 {
		base := p * 300
		// x and y are worked on together: x's first attempt, y's, then
		// x's hint and y's and x's correct answers.
		fmt.Fprintf(&b, "%d\tAll Data\tStu_a\tUnit 1\tp%d\t1\tx\t\t%s\t%s\t%s\tincorrect\t1\t1\t1\tfractions\t%d\n", rows+1, p, ts(base), ts(base+120), ts(base+120), p+1)
		fmt.Fprintf(&b, "%d\tAll Data\tStu_a\tUnit 1\tp%d\t1\ty\t\t%s\t%s\t%s\tcorrect\t0\t0\t1\tfractions\t%d\n", rows+2, p, ts(base+30), ts(base+30), ts(base+30), p+1)
		rows += 2
	}
	log := filepath.Join(dir, "steps.txt")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := filepath.Join(dir, "lines.jsonl")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"replay", "--lines", lines, log}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "step, sha256 ") || !strings.Contains(stdout.String(), "12 first attempts") {
		t.Errorf("want a student-step export with 12 first attempts, one a row:\n%s", stdout.String())
	}
	data, err := os.ReadFile(lines)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != rows {
		t.Errorf("%d lines of first attempts, want %d (one a row)", n, rows)
	}
}

// --sample picks one sample of an export of several, which is refused
// without it.
func TestReplaySample(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(writeDataShop(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for i, l := range strings.SplitAfter(string(b), "\n") {
		switch {
		case i == 0:
			out.WriteString("Sample Name\t" + l)
		case l != "":
			out.WriteString("All Data\t" + l)
			out.WriteString("Week 1\t" + l)
		}
	}
	log := filepath.Join(dir, "samples.txt")
	if err := os.WriteFile(log, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"replay", log}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), log+`:3:1: Sample Name: "Week 1", after "All Data" from line 2`) {
		t.Fatalf("two samples: err = %v", err)
	}
	if err := run(context.Background(), []string{"replay", "--sample", "Week 1", log}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"rows left out: of another sample than Week 1", "2 students, 2 class periods", "28 first attempts"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}
