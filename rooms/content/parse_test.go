package content

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// baseBank is a small valid bank. The cases of TestParseErrors change one
// piece of it; the comments give the line numbers their positions count.
const baseBank = `bank: t
title: Test bank
skills:
  - id: a
    name: A
    prereqs: []
  - id: b
    name: &n B
    prereqs: [a]
    lesson: {title: L, text: T, practice: [b1]}
items:
  - id: a1
    skill: a
    kind: choice
    prompt: Pick
    choices: [x, y, z, w]
    answer: 1
    hints: [h]
    explanation: E
    family: fa
  - id: a2
    skill: a
    kind: numeric
    prompt: N
    answer: 3/4
    hints: [h]
    explanation: E
    family: fa
  - id: b1
    skill: b
    kind: text
    prompt: T
    accept: ["yes"]
    hints: [h]
    explanation: E
sets:
  - id: s
    title: S
    kind: practice
    items: [a1, b1]
`

func TestParseBase(t *testing.T) {
	b, err := Parse("t.yaml", []byte(baseBank))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(len(b.Skills), len(b.Items), len(b.Sets)), "2 3 1"; got != want {
		t.Errorf("skills, items, sets = %s, want %s", got, want)
	}
	if it := b.Item("a2"); it.Value != 0.75 || it.ValueText != "3/4" {
		t.Errorf("a2 answer = %v %q, want 0.75 \"3/4\"", it.Value, it.ValueText)
	}
	if s := b.Skill("a"); s.BKT != DefaultBKT {
		t.Errorf("skill a BKT = %+v, want the defaults", s.BKT)
	}
}

// TestParseErrors changes baseBank in one place (old becomes new, once)
// and wants exactly the problems listed, each at its line and column.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string // "line:col: part of the message"
	}{
		{"typo in a field", "    prompt: Pick", "    promt: Pick", []string{
			`12:5: item a1 has no prompt`,
			`15:5: item a1: unknown field "promt" (did you mean "prompt"?)`,
		}},
		{"unknown top-level field", "title: Test bank", "title: Test bank\nauthor: me", []string{
			`3:1: the bank: unknown field "author" (the fields here are bank, title, description, skills, items, sets)`,
		}},
		{"choice index out of range", "answer: 1", "answer: 5", []string{
			`17:13: item a1: answer 5 is not one of the 4 choices (0 to 3: answer counts from 0)`,
		}},
		{"choice text not a choice", "answer: 1", `answer: "q"`, []string{
			`17:13: item a1: answer "q" is not one of the choices`,
		}},
		{"choice number that is a choice's text", "choices: [x, y, z, w]", "choices: [10, 20, 30, 40]\n    # shift", []string{
			`18:13: item a1: answer 1 is not one of`, // never: 1 is a fine index
		}},
		{"duplicate choices", "choices: [x, y, z, w]", "choices: [x, y, X, w]", []string{
			`16:21: item a1: the choice "X" is listed twice`,
		}},
		{"bad item id breaks its references", "  - id: a1", "  - id: A1", []string{
			`12:9: item id "A1" is not a valid name`,
			`40:13: set s: item "a1" is not an item of this bank`,
		}},
		{"duplicate item id", "  - id: a2", "  - id: a1", []string{
			`21:9: item a1 is defined twice (first at line 12)`,
		}},
		{"unknown prerequisite", "prereqs: [a]", "prereqs: [q]", []string{
			`9:15: skill b: prerequisite "q" is not a skill of this bank`,
		}},
		{"self prerequisite", "prereqs: []", "prereqs: [a]", []string{
			`6:15: skill a lists itself as a prerequisite`,
		}},
		{"cycle", "prereqs: []", "prereqs: [b]", []string{
			`9:15: prerequisites go round in a circle: a → b → a`,
		}},
		{"no hints", "    hints: [h]\n    explanation: E\n    family: fa\n  - id: a2", "    hints: []\n    explanation: E\n    family: fa\n  - id: a2", []string{
			`18:12: item a1 has no hints`,
		}},
		{"bkt out of range", "    prereqs: []", "    bkt: {l0: 1, t: 0, mastered: 0.5}", []string{
			`6:15: skill a: bkt l0 is 1`,
			`6:21: skill a: bkt t is 0`,
			`6:34: skill a: bkt mastered is 0.5`,
		}},
		{"bkt guess and slip", "    prereqs: []", "    bkt: {g: 0.6, s: 0.4}", []string{
			`6:10: skill a: bkt g + s is 1`,
		}},
		{"bkt not a number", "    prereqs: []", "    bkt: {g: high}", []string{
			`6:14: skill a: bkt: g must be a number, not "high"`,
		}},
		{"numeric answer not a number", "answer: 3/4", "answer: three", []string{
			`25:13: item a2: answer "three" is not a number`,
		}},
		{"numeric answer missing", "    answer: 3/4\n", "", []string{
			`21:5: item a2: a numeric item needs an answer`,
		}},
		{"text item with an answer", `    accept: ["yes"]`, "    answer: yes", []string{
			`29:5: item b1: a text item needs its right answers under accept`,
			`33:5: item b1: a text item lists its right answers under accept, not answer`,
		}},
		{"unknown kind", "kind: text", "kind: essay", []string{
			`31:11: item b1: kind "essay" is not one of choice, numeric, text`,
		}},
		{"choices on a numeric item", "    prompt: N", "    prompt: N\n    choices: [a, b]", []string{
			`25:14: item a2: only a choice item has choices; this one is a numeric item`,
		}},
		{"family mixes skills", "    explanation: E\nsets:", "    explanation: E\n    family: fa\nsets:", []string{
			`36:13: item b1: the items of family fa are variants of one problem, so they share a skill, but this one is of b and a1 (line 12) is of a`,
		}},
		{"lesson practice of another skill", "practice: [b1]", "practice: [a1, zz]", []string{
			`10:44: skill b: lesson practice item a1 is of skill a, not of this skill`,
			`10:48: skill b: lesson practice item "zz" is not an item of this bank`,
		}},
		{"skill without items", "items:\n  - id: a1", "  - id: c\n    name: C\nitems:\n  - id: a1", []string{
			`11:9: skill c has no items`,
		}},
		{"unknown set item", "items: [a1, b1]", "items: [a1, zz]", []string{
			`40:17: set s: item "zz" is not an item of this bank`,
		}},
		{"pick more than the options", "    kind: practice", "    kind: choice_board\n    pick: 3", []string{
			`40:11: set s: pick is 3 but there are only 2 options`,
		}},
		{"choice board without pick", "    kind: practice", "    kind: choice_board", []string{
			`37:5: set s: a choice board needs pick`,
		}},
		{"pick on a practice set", "    kind: practice", "    kind: practice\n    pick: 1", []string{
			`40:11: set s: only a choice board has pick`,
		}},
		{"enrichment that is not an enrichment set", "    kind: practice", "    kind: practice\n    enrichment: s", []string{
			`40:17: set s: enrichment s is a practice set, not an enrichment set`,
		}},
		{"field given twice", "    prompt: Pick", "    prompt: Pick\n    prompt: Again", []string{
			`16:5: item a1: field "prompt" is given twice (first on line 15)`,
		}},
		{"list expected", "hints: [h]\n    explanation: E\n    family: fa\n  - id: a2", "hints: h\n    explanation: E\n    family: fa\n  - id: a2", []string{
			`18:12: item a1: hints must be a list, as in hints: [a, b], not "h"`,
		}},
		{"alias", "    prompt: N", "    prompt: *n", []string{
			`24:13: aliases (*n) are not supported`,
		}},
		{"alias without anchor", "    name: A\n", "    name: *n\n", []string{
			`5:11: YAML syntax: alias *n names no anchor &n above it`,
		}},
		{"second document", "    items: [a1, b1]\n", "    items: [a1, b1]\n---\nbank: u\n", []string{
			`42:1: a file holds one bank`,
		}},
		{"syntax error", "    prompt: Pick", "    prompt: [Pick", []string{
			`15:0: YAML syntax: did not find expected ',' or ']'`,
		}},
		{"control character", "    prompt: Pick", "    prompt: Pi\x01ck", []string{
			`15:15: control character U+0001 is not allowed`,
		}},
		{"not UTF-8", "    prompt: Pick", "    prompt: Pi\xffck", []string{
			`15:15: byte 0xff is not UTF-8 text`,
		}},
		{"prompt too long", "    prompt: Pick", "    prompt: " + strings.Repeat("é", MaxPrompt+1), []string{
			`15:13: item a1: prompt is 2001 characters long; the most is 2000`,
		}},
		{"read_seconds out of range", "    prompt: N", "    prompt: N\n    read_seconds: -1", []string{
			`25:19: item a2: read_seconds is -1`,
		}},
		{"tolerance on a text item", "    prompt: T", "    prompt: T\n    tolerance: 0.1", []string{
			`33:16: item b1: only a numeric item has a tolerance`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(baseBank, tt.old) {
				t.Fatalf("baseBank has no %q", tt.old)
			}
			src := strings.Replace(baseBank, tt.old, tt.new, 1)
			if tt.name == "choice number that is a choice's text" {
				// A number that is also a choice's text is still an index.
				if _, err := Parse("t.yaml", []byte(src)); err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			_, err := Parse("t.yaml", []byte(src))
			var perr *Errors
			if !errors.As(err, &perr) {
				t.Fatalf("Parse error = %v, want *Errors", err)
			}
			var got []string
			for _, p := range perr.Problems {
				if p.File != "t.yaml" {
					t.Errorf("problem file = %q, want t.yaml", p.File)
				}
				got = append(got, fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d:\ngot  %s\nwant %s…", i, got[i], w)
				}
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("file size", func(t *testing.T) {
		_, err := Parse("big.yaml", make([]byte, MaxBankBytes+1))
		if err == nil || !strings.HasPrefix(err.Error(), "big.yaml:1:1: the file is 5.0 MB; a bank can be at most 5 MB") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("items", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("bank: t\ntitle: T\nskills: [{id: a, name: A}]\nitems:\n")
		for i := range MaxItems + 1 {
			fmt.Fprintf(&b, "  - {id: i%d, skill: a, kind: text, prompt: P, accept: [x], hints: [h], explanation: E}\n", i)
		}
		_, err := Parse("t.yaml", []byte(b.String()))
		if want := "t.yaml:4:1: the bank has 2001 items; the most is 2000"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want %s…", err, want)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, err := Parse("e.yaml", []byte("  \n"))
		if want := "e.yaml:1:1: the file is empty"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want %s…", err, want)
		}
	})
	t.Run("not a mapping", func(t *testing.T) {
		_, err := Parse("l.yaml", []byte("- a\n- b\n"))
		if want := "l.yaml:1:1: a bank is a mapping of fields"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want %s…", err, want)
		}
	})
}

// TestParseChoiceAnswerForms: a bank names the right choice by its index
// or, quoted, by its text.
func TestParseChoiceAnswerForms(t *testing.T) {
	for _, tt := range []struct {
		answer string
		want   int
	}{
		{"answer: 2", 2},
		{`answer: "z"`, 2},
		{`answer: " Z "`, 2},
		{"answer: w", 3},
		{"answer: 0", 0},
	} {
		src := strings.Replace(baseBank, "answer: 1", tt.answer, 1)
		b, err := Parse("t.yaml", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", tt.answer, err)
			continue
		}
		if got := b.Item("a1").Correct; got != tt.want {
			t.Errorf("%s: Correct = %d, want %d", tt.answer, got, tt.want)
		}
	}
}

func TestProblemString(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{"g.yaml", 42, 5, "oops"}, "g.yaml:42:5: oops"},
		{Problem{"g.yaml", 3, 0, "oops"}, "g.yaml:3: oops"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestDocExample parses the complete example of docs/CONTENT.md, so that
// the documentation shows a bank that works.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONTENT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/CONTENT.md has no yaml example")
	}
	b, err := Parse("example.yaml", []byte(example))
	if err != nil {
		t.Fatalf("the example of docs/CONTENT.md does not parse:\n%v", err)
	}
	if b.Item("supp.1").Correct != 1 || b.Skill("angles.supplementary").BKT.L0 != 0.2 || b.EnrichmentFor("practice").ID != "more" {
		t.Errorf("the example parses to something else than it says")
	}
}
