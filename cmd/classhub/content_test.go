package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/rooms/content"
)

// badBank has several problems on known lines.
const badBank = `bank: class-7
title: A bank with mistakes
skills:
  - id: angles
    name: Angles
    prereqs: [triangles]
  - id: triangles
    name: Triangles
    prereqs: [angles]
items:
  - id: q1
    skill: angles
    kind: choice
    prompt: Which is acute?
    choices: [30°, 90°, 120°, 180°]
    answer: 4
    hints: [Less than 90°.]
    explanation: Acute angles are less than 90°.
  - id: q2
    skill: triangles
    kind: numeric
    promt: Two angles are 50° and 60°. The third?
    answer: 70
    hints: []
    explanation: 180 − 110 = 70.
sets:
  - id: practice
    title: Practice
    kind: practice
    items: [q1, q3]
`

func TestContentCheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(badBank), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := contentCmd([]string{"check", bad}, &stdout, &stderr)
	var st exitStatus
	if !errors.As(err, &st) || st != 1 {
		t.Fatalf("contentCmd = %v, want exit status 1", err)
	}
	want := []string{
		bad + `:9:15: prerequisites go round in a circle: angles → triangles → angles`,
		bad + `:16:13: item q1: answer 4 is not one of the 4 choices (0 to 3: answer counts from 0)`,
		bad + `:19:5: item q2 has no prompt`,
		bad + `:22:5: item q2: unknown field "promt" (did you mean "prompt"?)`,
		bad + `:24:12: item q2 has no hints`,
		bad + `:30:17: set practice: item "q3" is not an item of this bank`,
	}
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(got), len(want), stdout.String())
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d:\ngot  %s\nwant %s…", i+1, got[i], want[i])
		}
	}
}

func TestContentCheckDemo(t *testing.T) {
	dir := t.TempDir()
	files := content.DemoFiles()
	var paths []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var stdout, stderr bytes.Buffer
	if err := contentCmd(append([]string{"check"}, paths...), &stdout, &stderr); err != nil {
		t.Fatalf("contentCmd = %v\n%s%s", err, stdout.String(), stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(got) != len(paths) {
		t.Fatalf("printed %q, want one line per file", stdout.String())
	}
	for i, p := range paths {
		b, err := content.Parse(p, files[filepath.Base(p)])
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s: ok (%d skills, %d items, %d sets)", p, len(b.Skills), len(b.Items), len(b.Sets))
		if got[i] != want {
			t.Errorf("line %d = %q, want %q", i+1, got[i], want)
		}
	}
}

func TestContentCheckMixed(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, content.DemoFiles()["fractions-5.yaml"], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	var stdout, stderr bytes.Buffer
	err := contentCmd([]string{"check", missing, good}, &stdout, &stderr)
	if !errors.Is(err, exitStatus(1)) {
		t.Fatalf("contentCmd = %v, want exit status 1", err)
	}
	out := stdout.String()
	if !strings.HasPrefix(out, missing+": open ") || !strings.Contains(out, good+": ok (") {
		t.Errorf("output:\n%s", out)
	}
}

func TestContentUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"lint"}, {"check"}} {
		var stdout, stderr bytes.Buffer
		err := contentCmd(args, &stdout, &stderr)
		var st exitStatus
		if err == nil || errors.As(err, &st) {
			t.Errorf("contentCmd(%q) = %v, want a usage error", args, err)
		}
	}
}
