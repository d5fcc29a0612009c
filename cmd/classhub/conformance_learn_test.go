package main

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The "Learning" part of PROTOCOL.md, held to the real binary by the
// client of conformance_client_test.go: content banks, practice, mastery,
// flags and their rules, the help queue, acting on flags, small groups
// from the help queue, thresholds, who sees what of learning, and the
// snapshots of learning. The suite uploads its own bank (POST
// /api/v1/banks, as "Content banks" documents), so that it knows every
// answer from its own file, not from the server's.

// The mastery model as "Mastery" states it.
const (
	cL0        = 0.25
	cSlip      = 0.1
	cGuess     = 0.2
	cLearn     = 0.2
	cMasteredP = 0.95
)

// cBKT is one observed first attempt, as "Mastery" writes it.
func cBKT(p float64, right bool) float64 {
	var post float64
	if right {
		post = p * (1 - cSlip) / (p*(1-cSlip) + (1-p)*cGuess)
	} else {
		post = p * cSlip / (p*cSlip + (1-p)*(1-cGuess))
	}
	return post + (1-post)*cLearn
}

// The suite's bank: two skills, the second built on the first, numeric
// items whose answers the suite computes, a choice and a text item, and a
// set of each kind.
const cBankID = "conf-learn"

var cAnswers = map[string]string{}

func cBankYAML() string {
	var b strings.Builder
	b.WriteString(`bank: conf-learn
title: Conformance arithmetic
skills:
  - id: c.base
    name: Counting on
    lesson:
      title: Count on from the bigger number
      text: Start at the bigger number and count on.
      practice: [b.1, b.2, b.3]
      advice: Use a number line.
  - id: c.top
    name: Adding tens
    prereqs: [c.base]
  - id: c.more
    name: Words and choices
  - id: c.solo
    name: One of a kind
items:
  - id: solo.1
    skill: c.solo
    kind: numeric
    prompt: How many sides has a triangle?
    answer: 3
    unit: sides
    hints:
      - Count them.
      - It has 3.
    explanation: A triangle has 3 sides.
`)
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "  - id: b.%d\n    skill: c.base\n    kind: numeric\n    prompt: What is 1 + %d?\n    answer: %d\n    hints:\n      - Count on from %d.\n      - It is %d.\n    explanation: 1 + %d = %d.\n", i, i, i+1, i, i+1, i, i+1)
		cAnswers[fmt.Sprintf("b.%d", i)] = strconv.Itoa(i + 1)
		fmt.Fprintf(&b, "  - id: t.%d\n    skill: c.top\n    kind: numeric\n    prompt: What is 10 + %d?\n    answer: %d\n    hints:\n      - Add the ones to ten.\n      - It is %d.\n    explanation: 10 + %d = %d.\n", i, i, 10+i, 10+i, i, 10+i)
		cAnswers[fmt.Sprintf("t.%d", i)] = strconv.Itoa(10 + i)
	}
	b.WriteString(`  - id: m.choice
    skill: c.more
    kind: choice
    prompt: Which is the biggest?
    choices: ["3", "30", "13"]
    answer: 1
    hints:
      - Count the digits.
      - It is 30.
    explanation: 30 has the most tens.
  - id: m.text
    skill: c.more
    kind: text
    prompt: What do we call a number you can halve exactly?
    accept: [even]
    hints:
      - It is not odd.
      - Even.
    explanation: A number you can halve exactly is even.
sets:
  - id: base
    title: Counting on
    kind: practice
    items: [b.1, b.2, b.3, b.4, b.5, b.6, b.7, b.8, b.9, b.10, b.11, b.12]
    enrichment: more
  - id: top
    title: Adding tens
    kind: practice
    items: [t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10, t.11, t.12]
  - id: board
    title: Pick two
    kind: choice_board
    items: [b.4, b.5, b.6]
    pick: 2
    labels: [Four, Five, Six]
  - id: quick
    title: A quick check
    kind: check
    items: [b.7, b.8]
  - id: more
    title: Going further
    kind: enrichment
    items: [m.choice, m.text]
  - id: solo
    title: One of a kind
    kind: practice
    items: [solo.1]
`)
	cAnswers["m.choice"] = "1"
	cAnswers["m.text"] = "Even"
	return b.String()
}

// uploadBank puts the suite's bank on the server.
func (s *cServer) uploadBank(teacher string) {
	s.t.Helper()
	r := s.do("POST", "/api/v1/banks?name=conf.yaml", teacher, []byte(cBankYAML()), "Content-Type", "application/yaml")
	if r.status != 201 || str(r.body, "id") != cBankID {
		s.t.Fatalf("uploading the suite's bank: %d %s", r.status, r.raw)
	}
}

// do sends a command with a new id until it is answered with anything
// but rate_limited, and returns that answer.
func (d *cDev) do(typ string, data any) frame {
	d.t.Helper()
	return d.politely(d.nextID(), typ, data)
}

// ok is do that must succeed; it returns the result's data.
func (d *cDev) ok(typ string, data any) obj {
	d.t.Helper()
	return d.patiently(d.nextID(), typ, data).data()
}

// no is do that must be refused with code.
func (d *cDev) no(code, typ string, data any) frame {
	d.t.Helper()
	f := d.do(typ, data)
	d.isError(f, code, true)
	return f
}

// cLearner is a student's device with what the suite expects of their
// mastery.
type cLearner struct {
	cStudent
	d *cDev
	p map[string]float64 // skill → expected p
}

func (s *cServer) learner(room cRoom, name string) *cLearner {
	s.t.Helper()
	st := s.join(room.code, name)
	d, _ := s.enter(name, st.token, "", nil)
	return &cLearner{cStudent: st, d: d, p: map[string]float64{}}
}

func (l *cLearner) mastered(skill string) bool { return l.pOf(skill) >= cMasteredP }

func (l *cLearner) pOf(skill string) float64 {
	if p, ok := l.p[skill]; ok {
		return p
	}
	return cL0
}

// front is the item in front of the student (next_item).
func (l *cLearner) front() obj {
	l.d.t.Helper()
	r := l.d.ok("next_item", nil)
	it := sub(r, "item")
	if it == nil {
		l.d.t.Fatalf("%s: next_item gave no item: %v", l.name, r)
	}
	return it
}

// step answers the item in front of the student, right or wrong, as a
// first attempt, and checks the result against the mastery model.
func (l *cLearner) step(right bool) (string, obj) {
	t := l.d.t
	t.Helper()
	it := l.front()
	id, skill := str(it, "id"), str(it, "skill")
	resp := "0"
	if right {
		resp = cAnswers[id]
	}
	r := l.d.ok("answer", obj{"item": id, "response": resp})
	want := cBKT(l.pOf(skill), right)
	l.p[skill] = want
	if r["correct"] != right {
		t.Errorf("%s: %s answered %q: correct %v, want %v", l.name, id, resp, r["correct"], right)
	}
	// p is kept within [1e-6, 1 - 1e-6] (see Mastery).
	want = math.Min(math.Max(want, 1e-6), 1-1e-6)
	l.p[skill] = want
	cNear(t, fmt.Sprintf("%s: p after %s", l.name, id), r["p"], want)
	if r["mastered"] != (want >= cMasteredP) {
		t.Errorf("%s: p %v, mastered %v", l.name, r["p"], r["mastered"])
	}
	if !right {
		if str(r, "explanation") == "" {
			t.Errorf("%s: a wrong answer without its explanation: %v", l.name, r)
		}
	}
	return id, r
}

func cFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func cNear(t *testing.T, what string, got any, want float64) {
	t.Helper()
	g, ok := cFloat(got)
	if !ok || math.Abs(g-want) > 1e-9 {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// cFlags keeps the flags a teacher's device built from its events.
type cFlags map[string]obj

// build applies every flag event of d's frames from index from, as
// "Snapshots of learning" says, to flags.
func (fl cFlags) build(d *cDev) {
	for _, f := range d.events() {
		if f.event() == "flag" {
			g := sub(f.data(), "flag")
			fl[str(g, "id")] = g
		}
	}
}

// live is the queue the events make: without resolved, cleared or
// snoozed flags.
func (fl cFlags) live() map[string]obj {
	out := map[string]obj{}
	for id, g := range fl {
		switch str(g, "status") {
		case "resolved", "cleared", "snoozed":
			continue
		}
		out[id] = g
	}
	return out
}

// flagEvent waits on the teacher's device for a flag event about the
// student, with the change and the rule.
func flagEvent(d *cDev, from int, student, change, rule string) (frame, obj) {
	d.t.Helper()
	f, ok := d.waitFrom(from, fmt.Sprintf("a flag %s %s on %s", change, rule, student), func(f frame) bool {
		if f.event() != "flag" {
			return false
		}
		g := sub(f.data(), "flag")
		return str(g, "student") == student && (change == "" || str(f.data(), "change") == change) && (rule == "" || str(g, "rule") == rule)
	})
	if !ok {
		d.t.Fatalf("%s: the connection ended before a flag %s on %s", d.name, change, student)
	}
	return f, sub(f.data(), "flag")
}

// cFlagShape checks a flag's documented fields.
func cFlagShape(t *testing.T, g obj) {
	t.Helper()
	if !cUUID.MatchString(str(g, "id")) || str(g, "name") == "" || str(g, "rule") == "" ||
		!slices.Contains([]string{"info", "watch", "act_now"}, str(g, "level")) ||
		!slices.Contains([]string{"open", "acked", "snoozed", "resolved", "cleared"}, str(g, "status")) {
		t.Errorf("a flag's fields: %v", g)
	}
	for _, k := range []string{"opened", "updated"} {
		if _, ok := num(g, k); !ok {
			t.Errorf("a flag without %s: %v", k, g)
		}
	}
	if n, ok := cFloat(g["need"]); !ok || n < 0 || n > 1 {
		t.Errorf("a flag's need: %v", g)
	}
	ev := sub(g, "evidence")
	if str(ev, "summary") == "" {
		t.Errorf("a flag without evidence.summary: %v", g)
	}
	if _, ok := num(ev, "since"); !ok {
		t.Errorf("a flag without evidence.since: %v", g)
	}
}

// cThresholdsA are the thresholds of the flags class: each rule brought
// within a few answers, the others kept away, nothing waiting.
var cThresholdsA = obj{
	"act_now_persist_ms": 0, "act_now_budget": 0,
	"idle_watch_ms": 600000, "idle_act_now_ms": 1200000,
	"gaming_window": 10, "gaming_watch": 10, "gaming_act_now": 10, "gaming_clear": 1,
	"struggle_window": 2, "struggle_max_correct": 0, "struggle_problems": 0, "struggle_clear": 1,
	"stuck_attempts": 3, "stuck_mastery": 0.5, "stuck_early": 3, "stuck_early_wrong": 2, "stuck_early_mastery": 0.4,
	"well_window": 3, "well_min_correct": 3, "well_clear": 2,
}

// cThresholdFields are the fields of the Thresholds table.
func cThresholdFields(t *testing.T) []string {
	var out []string
	for _, r := range cTable(t, "### Thresholds")[1:] {
		out = append(out, cSpans(r[0])[0])
	}
	return out
}

func TestConformanceLearning(t *testing.T) {
	s := cStart(t)
	teacher := s.login()
	s.uploadBank(teacher)
	parts := []struct {
		name string
		run  func(*cServer, string)
	}{
		{"Banks", cBanks}, {"Practice", cPractice}, {"Flags", cFlagRules}, {"Timing", cTiming},
		{"Coaches", cCoachFlags}, {"Budget", cBudget}, {"Rising", cRising},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) { s.t = t; p.run(s, teacher) })
	}
	s.t = t
}

// cBanks: "Content banks".
func cBanks(s *cServer, teacher string) {
	t := s.t
	b := s.ok(200, "GET", "/api/v1/banks", teacher, nil)
	banks, _ := b["banks"].([]any)
	var ids []string
	var mine obj
	for _, x := range banks {
		m := x.(obj)
		ids = append(ids, str(m, "id"))
		if str(m, "id") == cBankID {
			mine = m
		}
	}
	if !sort.StringsAreSorted(ids) || !slices.Contains(ids, "fractions-5") || !slices.Contains(ids, "geometry-7") || mine == nil {
		t.Fatalf("GET /api/v1/banks: %v, want the demo banks and ours, sorted by id", ids)
	}
	if n, _ := num(mine, "skills"); n != 4 {
		t.Errorf("our bank's skills: %v", mine)
	}
	if n, _ := num(mine, "items"); n != 27 {
		t.Errorf("our bank's items: %v", mine)
	}
	if sn := sub(mine, "skill_names"); str(sn, "c.base") != "Counting on" || str(sn, "c.top") != "Adding tens" {
		t.Errorf("our bank's skill_names: %v", mine["skill_names"])
	}
	sets, _ := mine["sets"].([]any)
	kinds := map[string]string{}
	for _, x := range sets {
		m := x.(obj)
		kinds[str(m, "id")] = str(m, "kind")
		if str(m, "id") == "board" {
			if n, _ := num(m, "items"); n != 3 || str(m, "title") != "Pick two" {
				t.Errorf("the board set: %v", m)
			}
		}
	}
	if kinds["base"] != "practice" || kinds["board"] != "choice_board" || kinds["quick"] != "check" || kinds["more"] != "enrichment" {
		t.Errorf("our sets: %v", kinds)
	}

	// A bank with errors is refused whole, every error listed as
	// file:line[:col]: what, and the bank in use stays as it was.
	bad := strings.Replace(cBankYAML(), "title: Conformance arithmetic", "title: Broken", 1)
	bad = strings.Replace(bad, "prereqs: [c.base]", "prereqs: [c.nothing]", 1)
	bad = strings.Replace(bad, "    explanation: 1 + 1 = 2.\n", "", 1)
	r := s.do("POST", "/api/v1/banks?name=broken.yaml", teacher, []byte(bad), "Content-Type", "application/yaml")
	msg := str(sub(r.body, "error"), "message")
	if r.status != 422 || r.errCode() != "bad_content" {
		t.Fatalf("a bank with two errors: %d %s", r.status, r.raw)
	}
	lines := strings.Split(msg, "\n")
	lineRE := `^broken\.yaml:\d+(:\d+)?: `
	okLines := 0
	for _, l := range lines {
		if regexp.MustCompile(lineRE).MatchString(l) {
			okLines++
		}
	}
	if okLines < 2 || !strings.Contains(msg, "c.nothing") || !strings.Contains(msg, "b.1") {
		t.Errorf("the errors of a bad bank, one a line as file:line:col: what: %q", msg)
	}
	b = s.ok(200, "GET", "/api/v1/banks", teacher, nil)
	for _, x := range b["banks"].([]any) {
		if m := x.(obj); str(m, "id") == cBankID && str(m, "title") != "Conformance arithmetic" {
			t.Errorf("a refused upload changed the bank in use: %v", m)
		}
	}
	// Another role: 403 forbidden. No token: 401.
	room := s.newRoom(teacher, "Banks")
	st := s.join(room.code, "Bo")
	if r := s.do("GET", "/api/v1/banks", st.token, nil); r.status != 403 || r.errCode() != "forbidden" {
		t.Errorf("GET /api/v1/banks with a student's token: %d %s", r.status, r.raw)
	}
	if r := s.do("POST", "/api/v1/banks", st.token, []byte(cBankYAML()), "Content-Type", "application/yaml"); r.status != 403 || r.errCode() != "forbidden" {
		t.Errorf("POST /api/v1/banks with a student's token: %d %s", r.status, r.raw)
	}
	if r := s.do("GET", "/api/v1/banks", "", nil); r.status != 401 || r.errCode() != "unauthorized" {
		t.Errorf("GET /api/v1/banks without a token: %d %s", r.status, r.raw)
	}
	// Uploading a bank again replaces it for every class: an item taken
	// out can no longer be answered, a set taken out no longer assigned.
	swap := func(items, set string) string {
		var b strings.Builder
		b.WriteString("bank: conf-swap\ntitle: Swap\nskills:\n  - id: s.one\n    name: One\nitems:\n")
		for _, id := range strings.Split(items, ",") {
			b.WriteString("  - id: " + id + "\n    skill: s.one\n    kind: numeric\n    prompt: What is 2 + 2?\n    answer: 4\n    hints: [It is 4.]\n    explanation: 2 + 2 = 4.\n")
		}
		b.WriteString("sets:\n  - id: " + set + "\n    title: Swap set\n    kind: practice\n    items: [" + items + "]\n")
		return b.String()
	}
	if r := s.do("POST", "/api/v1/banks?name=swap.yaml", teacher, []byte(swap("x.1,x.2", "first")), "Content-Type", "application/yaml"); r.status != 201 {
		t.Fatalf("a second bank: %d %s", r.status, r.raw)
	}
	sroom := s.newRoom(teacher, "Swap")
	std, _ := s.enter("teacher, swap", teacher, sroom.id, nil)
	sw := s.learner(sroom, "Swa")
	std.ok("assign_practice", obj{"set": obj{"bank": "conf-swap", "set": "first"}})
	if it := sw.front(); str(it, "id") != "x.1" {
		t.Fatalf("the swap bank's first item: %v", it)
	}
	if r := s.do("POST", "/api/v1/banks?name=swap.yaml", teacher, []byte(swap("x.2,x.3", "second")), "Content-Type", "application/yaml"); r.status != 201 {
		t.Fatalf("the bank replaced: %d %s", r.status, r.raw)
	}
	sw.d.no("not_given", "answer", obj{"item": "x.1", "response": "4"})
	std.no("not_found", "assign_practice", obj{"set": obj{"bank": "conf-swap", "set": "first"}})
	std.ok("assign_practice", obj{"set": obj{"bank": "conf-swap", "set": "second"}})

	// A body over 5 MiB: 413 frame_too_large.
	big := make([]byte, 5242880+1)
	for i := range big {
		big[i] = '#'
	}
	if r := s.do("POST", "/api/v1/banks", teacher, big, "Content-Type", "application/yaml"); r.status != 413 || r.errCode() != "frame_too_large" {
		t.Errorf("a bank over 5 MiB: %d %.200s", r.status, r.raw)
	}
}

// cPractice: "Practice" and "Mastery", and who sees what of them.
func cPractice(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Practice")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	proj := s.projector(teacher, room.id)
	pd, _ := s.enter("projector", proj, "", nil)
	ola := s.learner(room, "Ola")
	ned := s.learner(room, "Ned")
	mo := s.learner(room, "Mo")

	// Before anything is assigned.
	ola.d.no("wrong_state", "next_item", nil)
	ola.d.no("wrong_state", "answer", obj{"item": "b.1", "response": "2"})
	// Only the teacher assigns; only a student practises.
	ola.d.no("forbidden", "assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	td.no("forbidden", "next_item", nil)
	td.no("not_found", "assign_practice", obj{"set": obj{"bank": cBankID, "set": "nope"}})
	td.no("not_found", "assign_practice", obj{"set": obj{"bank": "no-such-bank", "set": "base"}})

	// The whole class: one practice event for all, without students.
	r := td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	if n, _ := num(r, "students"); n != 3 {
		t.Errorf("assign_practice to the class of 3: %v", r)
	}
	for _, d := range []*cDev{td, pd, ola.d, ned.d, mo.d} {
		f := d.wait("the practice event", func(f frame) bool { return f.event() == "practice" })
		p := f.data()
		if str(p, "title") != "Counting on" || str(p, "kind") != "practice" || p["students"] != nil {
			t.Errorf("%s: the practice event for the class: %s", d.name, f)
		}
		if items, _ := p["items"].([]any); len(items) != 12 || items[0] != "b.1" {
			t.Errorf("%s: the practice event's items: %v", d.name, p["items"])
		}
	}

	// Ola: right first time, from 0.25 to 0.68 as "Mastery" says.
	id, res := ola.step(true)
	if id != "b.1" {
		t.Errorf("the first item of the set: %s", id)
	}
	cNear(t, "0.25 after one right first attempt", res["p"], 0.68)
	// Solved: answering it again is a duplicate.
	ola.d.no("duplicate", "answer", obj{"item": "b.1", "response": "2"})
	// An item not in front of her.
	ola.d.no("not_given", "answer", obj{"item": "b.9", "response": "10"})
	ola.d.no("not_given", "hint", obj{"item": "b.9"})
	// A similar problem after a wrong answer.
	it := ola.front()
	if str(it, "id") != "b.2" || str(it, "kind") != "numeric" || it["answer"] != nil {
		t.Errorf("the second item: %v", it)
	}
	if n, _ := num(it, "hints"); n != 2 {
		t.Errorf("an item of 2 hints: %v", it)
	}
	again := ola.front()
	if !cSameJSON(t, it, again) {
		t.Errorf("next_item while the item is unsolved: %v then %v", it, again)
	}
	_, res = ola.step(false)
	next := sub(res, "next")
	if str(next, "skill") != "c.base" || str(next, "reason") != "a similar problem" || str(next, "id") == "b.2" {
		t.Errorf("after a wrong answer, the similar problem: %v", res)
	}
	ola.d.no("not_given", "answer", obj{"item": "b.2", "response": "3"})
	// A hint before any answer is a wrong first attempt; the answer after
	// it does not move p.
	nid := str(next, "id")
	h := ola.d.ok("hint", obj{"item": nid})
	if n, _ := num(h, "index"); n != 0 || h["last"] != false || str(h, "text") == "" {
		t.Errorf("the first hint: %v", h)
	}
	ola.p["c.base"] = cBKT(ola.pOf("c.base"), false)
	hev := td.wait("the hint event", func(f frame) bool { return f.event() == "hint" && str(f.data(), "student") == ola.id })
	cNear(t, "p after a hint before any answer", hev.data()["p"], ola.p["c.base"])
	if hev.data()["first"] != true || str(hev.data(), "item") != nid {
		t.Errorf("the hint event: %s", hev)
	}
	h = ola.d.ok("hint", obj{"item": nid})
	if n, _ := num(h, "index"); n != 1 || h["last"] != true {
		t.Errorf("the last hint: %v", h)
	}
	ola.d.no("wrong_state", "hint", obj{"item": nid})
	// Her snapshot holds the hints shown.
	od2, w := s.enter("Ola again", ola.token, "", nil)
	pr := sub(sub(w, "snapshot"), "practice")
	if hs, _ := pr["hints"].([]any); len(hs) != 2 || str(sub(pr, "item"), "id") != nid || str(sub(pr, "set"), "bank") != cBankID {
		t.Errorf("Ola's snapshot after two hints: %v", pr)
	}
	// The same state as her live device built from its events.
	var built struct {
		set, title, kind, item string
		hints                  []string
		p                      map[string]string
	}
	built.p = map[string]string{}
	for _, f := range ola.d.events() {
		d := f.data()
		switch f.event() {
		case "practice":
			built.set, built.title, built.kind, built.item, built.hints = str(sub(d, "set"), "set"), str(d, "title"), str(d, "kind"), "", nil
		case "item":
			built.item, built.hints = str(sub(d, "item"), "id"), nil
		case "hint":
			built.hints = append(built.hints, str(d, "text"))
			built.p[str(d, "skill")] = fmt.Sprint(d["p"])
		case "attempt":
			built.p[str(d, "skill")] = fmt.Sprint(d["p"])
			if d["correct"] == true || d["moved_on"] == true {
				built.item = ""
			}
		}
	}
	var snapHints []string
	for _, h := range pr["hints"].([]any) {
		snapHints = append(snapHints, h.(string))
	}
	if str(sub(pr, "set"), "set") != built.set || str(pr, "title") != built.title || str(pr, "kind") != built.kind ||
		str(sub(pr, "item"), "id") != built.item || !slices.Equal(snapHints, built.hints) {
		t.Errorf("Ola's snapshot %v; her events built %+v", pr, built)
	}
	for _, x := range pr["mastery"].([]any) {
		m := x.(obj)
		if fmt.Sprint(m["p"]) != built.p[str(m, "skill")] {
			t.Errorf("Ola's snapshot's mastery of %s is %v; her events say %s", str(m, "skill"), m["p"], built.p[str(m, "skill")])
		}
	}
	_ = od2.ws.CloseNow()
	res = ola.d.ok("answer", obj{"item": nid, "response": cAnswers[nid]})
	cNear(t, "p after an answer that follows a hint", res["p"], ola.p["c.base"])
	at := td.wait("the attempt after the hints", func(f frame) bool {
		return f.event() == "attempt" && str(f.data(), "item") == nid
	})
	if at.data()["first"] != false || at.data()["correct"] != true {
		t.Errorf("the attempt after the hints: %s", at)
	}
	if n, _ := num(at.data(), "hints"); n != 2 {
		t.Errorf("the attempt after two hints: %s", at)
	}
	for _, k := range []string{"ms", "read_ms", "at"} {
		if _, ok := num(at.data(), k); !ok {
			t.Errorf("the attempt without %s: %s", k, at)
		}
	}

	// Ned: a skill missed on a first attempt comes back to be checked
	// three answers later. The answer that masters the skill carries the
	// offer (below).
	var offer obj
	ned.step(false)
	for range 3 {
		if _, res := ned.step(true); sub(res, "offer") != nil {
			offer = sub(res, "offer")
		}
	}
	it = ned.front()
	if str(it, "reason") != "checking that it stuck" || str(it, "skill") != "c.base" {
		t.Errorf("three answers after a miss, the item: %v", it)
	}

	// Mo: a choice board, a pick, then a playlist for Mo alone.
	r = td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "board"}, "to": obj{"student": mo.id}})
	if n, _ := num(r, "students"); n != 1 {
		t.Errorf("assign_practice to one student: %v", r)
	}
	f := mo.d.wait("the board", func(f frame) bool { return f.event() == "practice" && str(f.data(), "kind") == "choice_board" })
	if n, _ := num(f.data(), "pick"); n != 2 || len(f.data()["options"].([]any)) != 3 {
		t.Errorf("the board's practice event: %s", f)
	}
	if st, _ := f.data()["students"].([]any); len(st) != 1 || st[0] != mo.id {
		t.Errorf("a practice event for one student lists them: %s", f)
	}
	mo.d.no("wrong_state", "next_item", nil)
	mo.d.no("invalid", "pick_items", obj{"items": []string{"b.4"}})
	mo.d.no("invalid", "pick_items", obj{"items": []string{"b.4", "b.4"}})
	mo.d.no("invalid", "pick_items", obj{"items": []string{"b.4", "b.1"}})
	mo.d.ok("pick_items", obj{"items": []string{"b.6", "b.4"}})
	f = mo.d.wait("the picks as a playlist", func(f frame) bool { return f.event() == "practice" && str(f.data(), "kind") == "playlist" })
	if items, _ := f.data()["items"].([]any); len(items) != 2 || items[0] != "b.6" || items[1] != "b.4" {
		t.Errorf("the picks as a playlist: %s", f)
	}
	mo.d.no("wrong_state", "pick_items", obj{"items": []string{"b.6", "b.4"}})
	if id := str(mo.front(), "id"); id != "b.6" {
		t.Errorf("the first pick: %s", id)
	}

	// A check: no hints, no explanation, moves on right or wrong, and a
	// review at the end.
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "quick"}, "to": obj{"student": mo.id}, "check": true})
	f = mo.d.wait("the check", func(f frame) bool { return f.event() == "practice" && f.data()["check"] == true })
	if str(f.data(), "title") != "A quick check" || str(f.data(), "kind") != "check" {
		t.Errorf("the check's practice event: %s", f)
	}
	it = mo.front()
	mo.d.no("wrong_state", "hint", obj{"item": str(it, "id")})
	res = mo.d.ok("answer", obj{"item": str(it, "id"), "response": "0"})
	if res["explanation"] != nil || res["next"] != nil || res["moved_on"] != true {
		t.Errorf("a wrong answer in a check: %v", res)
	}
	it = mo.front()
	mo.d.ok("answer", obj{"item": str(it, "id"), "response": cAnswers[str(it, "id")]})
	done := mo.d.ok("next_item", nil)
	review, _ := done["review"].([]any)
	if done["done"] != true || len(review) != 2 {
		t.Fatalf("the end of a check: %v", done)
	}
	r0, r1 := review[0].(obj), review[1].(obj)
	if str(r0, "item") != "b.7" || r0["correct"] != false || str(r0, "response") != "0" || str(r0, "explanation") == "" || str(r0, "prompt") == "" ||
		str(r1, "item") != "b.8" || r1["correct"] != true {
		t.Errorf("the check's review: %v", review)
	}
	if again := mo.d.ok("next_item", nil); !cSameJSON(t, again, done) {
		t.Errorf("asking again after a check: %v, first %v", again, done)
	}

	// Mastery and the enrichment offer: Ned masters the skill with three
	// right first attempts; the answer that masters it carries the offer.
	for offer == nil && !ned.mastered("c.base") {
		if _, res = ned.step(true); sub(res, "offer") != nil {
			offer = sub(res, "offer")
		}
	}
	if offer == nil || str(offer, "student") != ned.id || str(sub(offer, "set"), "set") != "more" || str(offer, "title") != "Going further" {
		t.Fatalf("Ned's offer: %v (p %v)", offer, ned.p)
	}
	td.wait("the offer event", func(f frame) bool { return f.event() == "offer" && str(f.data(), "student") == ned.id })
	_, w = s.enter("Ned again", ned.token, "", nil)
	if o := sub(sub(sub(w, "snapshot"), "practice"), "offer"); str(o, "title") != "Going further" {
		t.Errorf("Ned's snapshot with an offer standing: %v", sub(w, "snapshot")["practice"])
	}
	// The teacher's summary says an offer stands.
	_, tw := s.enter("teacher, offer", teacher, room.id, nil)
	for _, x := range sub(tw, "snapshot")["learning"].([]any) {
		if m := x.(obj); str(m, "student") == ned.id && m["offered"] != true {
			t.Errorf("Ned's learning summary with an offer standing: %v", m)
		}
	}
	ola.d.no("wrong_state", "accept_offer", nil)
	ned.d.ok("accept_offer", nil)
	ned.d.wait("the enrichment", func(f frame) bool { return f.event() == "practice" && str(f.data(), "kind") == "enrichment" })
	ned.d.no("wrong_state", "accept_offer", nil)
	it = ned.front()
	if str(it, "id") != "m.choice" || len(it["choices"].([]any)) != 3 {
		t.Errorf("the enrichment's first item: %v", it)
	}
	// A choice by its position, a text by its words.
	if r := ned.d.ok("answer", obj{"item": "m.choice", "response": "1"}); r["correct"] != true {
		t.Errorf("a choice answered by its position: %v", r)
	}
	// The attempt holds the response as graded: the choice's text.
	at = td.wait("Ned's choice", func(f frame) bool { return f.event() == "attempt" && str(f.data(), "item") == "m.choice" })
	if str(at.data(), "response") != "30" {
		t.Errorf("a choice's attempt holds the response %q, want the choice's text", str(at.data(), "response"))
	}
	ned.front()
	if r := ned.d.ok("answer", obj{"item": "m.text", "response": "  EVEN "}); r["correct"] != true {
		t.Errorf("a text answered in another case: %v", r)
	}
	if r := ned.d.ok("next_item", nil); r["done"] != true || r["offer"] != nil {
		t.Errorf("the end of an enrichment set: %v", r)
	}

	// An item with no similar problem left stays in front of the student
	// after a wrong answer; once every hint was seen, a wrong answer sets
	// it aside (moved_on).
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "solo"}, "to": obj{"student": mo.id}})
	it = mo.front()
	if str(it, "id") != "solo.1" || str(it, "unit") != "sides" {
		t.Errorf("the solo item: %v", it)
	}
	res = mo.d.ok("answer", obj{"item": "solo.1", "response": "4 sides"})
	if res["correct"] != false || res["next"] != nil || res["moved_on"] != nil {
		t.Errorf("a wrong answer with no similar problem left: %v", res)
	}
	if again := mo.front(); str(again, "id") != "solo.1" {
		t.Errorf("after it, the item in front: %v", again)
	}
	mo.d.ok("hint", obj{"item": "solo.1"})
	if h := mo.d.ok("hint", obj{"item": "solo.1"}); h["last"] != true {
		t.Errorf("the last hint: %v", h)
	}
	res = mo.d.ok("answer", obj{"item": "solo.1", "response": "5"})
	if res["moved_on"] != true {
		t.Errorf("a wrong answer after every hint: %v", res)
	}
	at = td.wait("the attempt set aside", func(f frame) bool {
		return f.event() == "attempt" && str(f.data(), "item") == "solo.1" && f.data()["moved_on"] == true
	})
	if at.data()["first"] != false {
		t.Errorf("the second answer on an item is not a first attempt: %s", at)
	}
	if d := mo.d.ok("next_item", nil); d["done"] != true {
		t.Errorf("after the only item was set aside: %v", d)
	}
	// A number with its unit is graded as the number: the attempt holds
	// the number.
	first := td.wait("the first solo attempt", func(f frame) bool {
		return f.event() == "attempt" && str(f.data(), "item") == "solo.1"
	})
	if str(first.data(), "response") != "4" {
		t.Errorf("the attempt of \"4 sides\" holds %q, want the number without its unit", str(first.data(), "response"))
	}

	// Closing: the whole class; then refused with closed.
	r = td.ok("close_practice", obj{"to": obj{}})
	if n, _ := num(r, "students"); n != 3 {
		t.Errorf("close_practice for the class: %v", r)
	}
	for _, d := range []*cDev{ola.d, ned.d, mo.d, pd} {
		d.wait("practice_closed", func(f frame) bool { return f.event() == "practice_closed" })
	}
	ola.d.no("closed", "next_item", nil)
	ola.d.no("closed", "answer", obj{"item": "b.3", "response": "4"})
	if r := td.ok("close_practice", nil); len(r) != 0 {
		t.Errorf("close_practice with nothing open: %v", r)
	}
	_, w = s.enter("Ola, closed", ola.token, "", nil)
	if pr := sub(sub(w, "snapshot"), "practice"); pr["closed"] != true || pr["item"] != nil {
		t.Errorf("a closed practice in the snapshot: %v", pr)
	}

	// Who sees what: another student none of Ola's, Ned's and Mo's
	// practice; the projector only what is for all.
	td.ok("announce", obj{"text": "the end of practice"})
	for _, d := range []*cDev{ola.d, ned.d, mo.d, pd} {
		d.wait("the last announcement", func(f frame) bool { return str(f.data(), "text") == "the end of practice" })
	}
	private := []string{"item", "attempt", "hint", "offer", "help_sent", "flag", "thresholds"}
	for _, l := range []*cLearner{ola, ned, mo} {
		for _, f := range l.d.events() {
			if slices.Contains(private, f.event()) && str(f.data(), "student") != l.id {
				t.Errorf("%s received another student's %s: %s", l.name, f.event(), f)
			}
			if f.event() == "flag" || f.event() == "thresholds" {
				t.Errorf("%s received %s: %s", l.name, f.event(), f)
			}
			if f.event() == "practice" {
				if st, _ := f.data()["students"].([]any); len(st) > 0 && !slices.Contains(st, any(l.id)) {
					t.Errorf("%s received another student's practice: %s", l.name, f)
				}
			}
		}
	}
	for _, f := range pd.events() {
		if slices.Contains(private, f.event()) || (f.event() == "practice" && f.data()["students"] != nil) {
			t.Errorf("the projector received %s", f)
		}
	}
	_, w = s.enter("projector again", proj, "", nil)
	for _, k := range []string{"practice", "learning", "flags", "small_groups"} {
		if _, has := sub(w, "snapshot")[k]; has {
			t.Errorf("the projector's snapshot holds %s", k)
		}
	}

	// The teacher's learning summaries, built from events, against a
	// fresh snapshot.
	_, w = s.enter("teacher fresh", teacher, room.id, nil)
	ls, _ := sub(w, "snapshot")["learning"].([]any)
	var sids []string
	for _, x := range ls {
		m := x.(obj)
		sids = append(sids, str(m, "student"))
		var l *cLearner
		for _, c := range []*cLearner{ola, ned, mo} {
			if c.id == str(m, "student") {
				l = c
			}
		}
		if l == nil {
			t.Fatalf("a learning summary of nobody: %v", m)
		}
		var answers uint64
		for _, f := range td.events() {
			if f.event() == "attempt" && str(f.data(), "student") == l.id {
				answers++
			}
		}
		if n, _ := num(m, "answers"); n != answers {
			t.Errorf("%s's summary says %v answers; the teacher saw %d attempts", l.name, m["answers"], answers)
		}
		mast, _ := m["mastery"].([]any)
		var last float64 = -1
		for _, x := range mast {
			e := x.(obj)
			p, _ := cFloat(e["p"])
			if p < last {
				t.Errorf("%s's mastery is not lowest first: %v", l.name, mast)
			}
			last = p
			if want, ok := l.p[str(e, "skill")]; ok {
				cNear(t, l.name+"'s mastery of "+str(e, "skill"), e["p"], want)
			}
		}
	}
	if len(sids) != 3 || !sort.StringsAreSorted(sids) {
		t.Errorf("the learning summaries, sorted by student: %v", sids)
	}
}

func cSameJSON(t *testing.T, a, b any) bool {
	return string(cJSON(t, a)) == string(cJSON(t, b))
}

// cFlagRules: "Flags", their rules, one flag per student and concern,
// flag changes, the help queue, acting on a flag, small groups from the
// help queue, thresholds, and who sees what of it.
func cFlagRules(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Flags")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	proj := s.projector(teacher, room.id)
	pd, _ := s.enter("projector", proj, "", nil)
	names := []string{"Hana", "Sam", "Stu", "Pia", "Pat", "Dee", "Max"}
	ls := map[string]*cLearner{}
	for _, n := range names {
		ls[n] = s.learner(room, n)
		td.wait(n+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == ls[n].id && f.data()["online"] == true
		})
	}
	hana, sam, stu, pia, pat, dee, max := ls["Hana"], ls["Sam"], ls["Stu"], ls["Pia"], ls["Pat"], ls["Dee"], ls["Max"]

	// Thresholds: refused when they do not fit, with invalid naming each;
	// a student may not set them.
	hana.d.no("forbidden", "set_thresholds", obj{"thresholds": obj{}})
	td.no("invalid", "set_thresholds", obj{"thresholds": []any{}})
	f := td.no("invalid", "set_thresholds", obj{"thresholds": obj{"struggle_window": 0, "prereq_depth": 9}})
	if m := str(sub(f.m, "error"), "message"); !strings.Contains(m, "struggle_window") || !strings.Contains(m, "prereq_depth") {
		t.Errorf("two bad thresholds, the message names each: %q", m)
	}
	td.no("invalid", "set_thresholds", obj{"thresholds": obj{"no_such_threshold": 1}})
	td.no("invalid", "set_thresholds", obj{"thresholds": obj{"idle_watch_ms": 5000, "idle_act_now_ms": 4000}})
	// The class's thresholds: every field in the result and the event,
	// those left out at their defaults.
	res := td.ok("set_thresholds", obj{"thresholds": cThresholdsA})
	for _, k := range cThresholdFields(t) {
		if _, has := res[k]; !has {
			t.Errorf("set_thresholds' result has no %s: %v", k, res)
		}
	}
	for k, v := range cThresholdsA {
		if fmt.Sprint(res[k]) != fmt.Sprint(v) {
			t.Errorf("set_thresholds: %s sent %v, in force %v", k, v, res[k])
		}
	}
	for _, k := range []string{"prereq_window", "prereq_wrong", "prereq_mastery", "prereq_depth"} {
		if fmt.Sprint(res[k]) != map[string]string{"prereq_window": "4", "prereq_wrong": "2", "prereq_mastery": "0.4", "prereq_depth": "2"}[k] {
			t.Errorf("set_thresholds: %s left out is %v, not its default", k, res[k])
		}
	}
	tev := td.wait("the thresholds event", func(f frame) bool { return f.event() == "thresholds" })
	if !cSameJSON(t, sub(tev.data(), "thresholds"), res) {
		t.Errorf("the thresholds event %s, the result %v", tev, res)
	}

	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})

	// help: a raised hand, cleared when it is lowered.
	from := td.count()
	hana.d.ok("raise_hand", obj{"note": "stuck on 2"})
	_, g := flagEvent(td, from, hana.id, "open", "help")
	cFlagShape(t, g)
	if str(g, "level") != "act_now" || str(g, "status") != "open" || str(g, "name") != "Hana" {
		t.Errorf("a raised hand's flag: %v", g)
	}
	hanaFlag := str(g, "id")
	from = td.count()
	hana.d.ok("lower_hand", nil)
	_, g = flagEvent(td, from, hana.id, "clear", "help")
	if str(g, "id") != hanaFlag || str(g, "status") != "cleared" {
		t.Errorf("a lowered hand clears its flag: %v", g)
	}
	td.no("wrong_state", "flag_action", obj{"flag": hanaFlag, "action": "ack"})

	// struggle: with the class's thresholds, 0 of the last 2 right is a
	// struggle at watch; 1 of 2 right clears it (and the skill at 0.66 is
	// above the class's stuck_mastery).
	from = td.count()
	sam.step(false)
	sam.step(false)
	_, g = flagEvent(td, from, sam.id, "open", "struggle")
	cFlagShape(t, g)
	if str(g, "level") != "watch" || str(g, "skill") != "c.base" {
		t.Errorf("a struggle: %v", g)
	}
	if at, _ := sub(g, "evidence")["attempts"].([]any); len(at) < 2 {
		t.Errorf("a struggle's evidence names the answers: %v", g)
	}
	from = td.count()
	sam.step(true)
	_, g = flagEvent(td, from, sam.id, "clear", "")
	if str(g, "status") != "cleared" {
		t.Errorf("a struggle that eased: %v", g)
	}

	// stuck: a struggle at watch first, then 3 first attempts on the
	// skill below 0.5 (the class's stuck_mastery), 2 of the last 3 wrong
	// (stuck_early_wrong of stuck_early: failing now), escalate the same flag to act_now, its rule stuck.
	from = td.count()
	stu.step(false)
	stu.step(false)
	_, g = flagEvent(td, from, stu.id, "open", "struggle")
	stuFlag := str(g, "id")
	stu.step(false)
	_, g = flagEvent(td, from, stu.id, "escalate", "stuck")
	if str(g, "id") != stuFlag || str(g, "level") != "act_now" || str(g, "status") != "open" {
		t.Errorf("a struggle escalated to stuck: %v", g)
	}

	// prereq_gap: c.base missed once (0.23, below 0.4), then practising
	// c.top, which builds on it, 2 of the last answers on it wrong.
	var gapFlags []string
	for _, l := range []*cLearner{pia, pat} {
		l.step(false)
		td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "top"}, "to": obj{"student": l.id}})
		from = td.count()
		l.step(false)
		l.step(false)
		_, g = flagEvent(td, from, l.id, "", "prereq_gap")
		cFlagShape(t, g)
		gapFlags = append(gapFlags, str(g, "id"))
		if str(g, "level") != "act_now" || str(g, "skill") != "c.top" || str(sub(g, "help"), "skill") != "c.base" {
			t.Errorf("%s's prerequisite gap: %v", l.name, g)
		}
		if items, _ := sub(g, "help")["items"].([]any); len(items) == 0 || str(sub(g, "help"), "title") != "Count on from the bigger number" {
			t.Errorf("%s's gap names the lesson of c.base: %v", l.name, g["help"])
		}
		low, _ := sub(g, "evidence")["low_skills"].([]any)
		var lows []string
		for _, x := range low {
			lows = append(lows, str(x.(obj), "skill"))
		}
		if !slices.Contains(lows, "c.base") {
			t.Errorf("%s's gap: low_skills %v", l.name, low)
		}
		// Also struggling (0 of 2 right): merged into the one flag.
		n := 0
		for _, f := range td.all()[from:] {
			if f.event() == "flag" && str(sub(f.data(), "flag"), "student") == l.id && str(f.data(), "change") == "open" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d flags opened for one concern", l.name, n)
		}
	}

	// Three students with a live flag about c.base: a small group is
	// proposed, with c.base's lesson.
	sg := td.wait("a small group proposed", func(f frame) bool {
		return f.event() == "small_group" && str(f.data(), "change") == "proposed"
	})
	p1 := sub(sg.data(), "small_group")
	var members []string
	for _, x := range p1["students"].([]any) {
		members = append(members, str(x.(obj), "id"))
	}
	slices.Sort(members)
	want := []string{stu.id, pia.id, pat.id}
	slices.Sort(want)
	if !slices.Equal(members, want) || str(p1, "skill") != "c.base" || str(p1, "skill_name") != "Counting on" ||
		str(p1, "status") != "proposed" || len(p1["flags"].([]any)) != 3 || str(p1, "reason") == "" ||
		str(sub(p1, "lesson"), "title") != "Count on from the bigger number" {
		t.Errorf("the small group proposed: %v", p1)
	}
	_, w := s.enter("teacher, small groups", teacher, room.id, nil)
	if sgs, _ := sub(w, "snapshot")["small_groups"].([]any); len(sgs) != 1 || str(sgs[0].(obj), "id") != str(p1, "id") {
		t.Errorf("the teacher view's small_groups: %v", sub(w, "snapshot")["small_groups"])
	}

	// doing_well: 3 of the last 3 right, at info.
	from = td.count()
	dee.step(true)
	dee.step(true)
	dee.step(true)
	_, g = flagEvent(td, from, dee.id, "open", "doing_well")
	cFlagShape(t, g)
	deeFlag := str(g, "id")
	if str(g, "level") != "info" {
		t.Errorf("doing well: %v", g)
	}

	// The help queue: act_now first, then watch, then info; unacked
	// before acked; then by score; as a fresh snapshot has it.
	cQueue(s, teacher, room, td)

	// Acting on flags.
	f = hana.d.no("forbidden", "flag_action", obj{"flag": stuFlag, "action": "ack"})
	td.no("not_found", "flag_action", obj{"flag": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "action": "ack"})
	td.no("invalid", "flag_action", obj{"flag": stuFlag, "action": "wave"})
	from = td.count()
	if r := td.ok("flag_action", obj{"flag": gapFlags[0], "action": "ack"}); len(r) != 0 {
		t.Errorf("flag_action answers {}: %v", r)
	}
	_, g = flagEvent(td, from, pia.id, "ack", "")
	if str(g, "status") != "acked" || g["acked"] == nil {
		t.Errorf("an acknowledged flag: %v", g)
	}
	td.no("wrong_state", "flag_action", obj{"flag": deeFlag, "action": "send_help"})
	td.no("invalid", "flag_action", obj{"flag": deeFlag, "action": "snooze", "minutes": 0})
	td.no("invalid", "flag_action", obj{"flag": deeFlag, "action": "snooze", "minutes": 61})
	// pull: no teacher-led station yet; a student away; a full station.
	td.no("wrong_state", "flag_action", obj{"flag": stuFlag, "action": "pull"})
	station := str(td.ok("put_station", obj{"station": obj{"name": "Teacher table", "kind": "teacher_led", "capacity": 1}}), "station")
	_ = dee.d.ws.CloseNow()
	dee.d.closed()
	td.wait("Dee away", func(f frame) bool {
		return f.event() == "presence" && str(f.data(), "student") == dee.id && f.data()["online"] == false
	})
	td.no("absent", "flag_action", obj{"flag": deeFlag, "action": "pull"})
	dee.d, _ = s.enter("Dee back", dee.token, "", nil)
	from = td.count()
	td.ok("flag_action", obj{"flag": stuFlag, "action": "pull"})
	td.waitFrom(from, "Stu placed", func(f frame) bool {
		return f.event() == "placement" && str(f.data(), "student") == stu.id && str(f.data(), "station") == station
	})
	_, g = flagEvent(td, from, stu.id, "pull", "")
	if str(g, "status") != "acked" {
		t.Errorf("a pulled flag: %v", g)
	}
	td.no("full", "flag_action", obj{"flag": gapFlags[0], "action": "pull"})
	// snooze: hidden until then.
	from = td.count()
	before, _ := num(td.ok("ping", obj{}), "server_time")
	td.ok("flag_action", obj{"flag": deeFlag, "action": "snooze", "minutes": 10})
	_, g = flagEvent(td, from, dee.id, "snooze", "")
	if sn, _ := num(g, "snooze"); str(g, "status") != "snoozed" || sn < before+10*60000 || sn > before+10*60000+uint64(cWait.Milliseconds()) {
		t.Errorf("a flag snoozed for 10 minutes at %d: %v", before, g)
	}
	// send_help: the lesson, to the student and the teachers; its
	// problems come next.
	from = td.count()
	pfrom := pat.d.count()
	td.ok("flag_action", obj{"flag": gapFlags[1], "action": "send_help"})
	hs, ok := pat.d.waitFrom(pfrom, "help sent", func(f frame) bool { return f.event() == "help_sent" })
	if !ok {
		t.Fatal("Pat's device closed")
	}
	help := sub(hs.data(), "help")
	if str(hs.data(), "student") != pat.id || str(help, "skill") != "c.base" || str(hs.data(), "flag") != gapFlags[1] ||
		!strings.Contains(str(hs.data(), "text"), "count on") {
		t.Errorf("the help sent: %s", hs)
	}
	_, g = flagEvent(td, from, pat.id, "send_help", "")
	if str(g, "status") != "acked" {
		t.Errorf("a flag whose help was sent: %v", g)
	}
	lesson, _ := help["items"].([]any)
	if it := pat.front(); len(lesson) == 0 || str(it, "id") != lesson[0] || str(it, "reason") != "sent by your teacher" {
		t.Errorf("after the help, the lesson's first problem comes next: %v, lesson %v", it, lesson)
	}

	// Small groups: dismissed, then refused again; a student who was not
	// in it brings a new proposal, accepted with another list.
	sgID := str(p1, "id")
	from = td.count()
	if r := td.ok("small_group_action", obj{"small_group": sgID, "action": "dismiss"}); str(r, "status") != "dismissed" {
		t.Errorf("a small group dismissed: %v", r)
	}
	td.waitFrom(from, "the small group dismissed", func(f frame) bool {
		return f.event() == "small_group" && str(f.data(), "change") == "dismissed" && str(sub(f.data(), "small_group"), "id") == sgID
	})
	td.no("wrong_state", "small_group_action", obj{"small_group": sgID, "action": "accept"})
	td.no("not_found", "small_group_action", obj{"small_group": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "action": "dismiss"})
	from = td.count()
	max.step(false)
	max.step(false)
	flagEvent(td, from, max.id, "open", "struggle")
	sg = td.waitFrom2(from, "a new small group with Max", func(f frame) bool {
		if f.event() != "small_group" || str(f.data(), "change") != "proposed" {
			return false
		}
		for _, x := range sub(f.data(), "small_group")["students"].([]any) {
			if str(x.(obj), "id") == max.id {
				return true
			}
		}
		return false
	})
	p2 := sub(sg.data(), "small_group")
	td.no("not_found", "small_group_action", obj{"small_group": str(p2, "id"), "action": "accept", "students": []string{max.id, "4b955ea0-e456-4b43-a44e-e3de91013e9e"}})
	// The station takes one: room for two first.
	td.no("full", "small_group_action", obj{"small_group": str(p2, "id"), "action": "accept", "students": []string{max.id, pia.id}})
	td.ok("put_station", obj{"station": obj{"id": station, "name": "Teacher table", "kind": "teacher_led", "capacity": 0}})
	from = td.count()
	mfrom := max.d.count()
	r := td.ok("small_group_action", obj{"small_group": str(p2, "id"), "action": "accept", "students": []string{max.id, pia.id}})
	if str(r, "status") != "formed" || !cUUID.MatchString(str(r, "group")) {
		t.Fatalf("a small group accepted: %v", r)
	}
	grp := str(r, "group")
	td.waitFrom(from, "the small group accepted", func(f frame) bool {
		return f.event() == "small_group" && str(f.data(), "change") == "accepted" && str(sub(f.data(), "small_group"), "group") == grp
	})
	for _, l := range []*cLearner{max, pia} {
		td.waitFrom(from, l.name+" placed", func(f frame) bool {
			return f.event() == "placement" && str(f.data(), "student") == l.id && str(f.data(), "station") == station
		})
		td.waitFrom(from, l.name+"'s help", func(f frame) bool {
			return f.event() == "help_sent" && str(f.data(), "student") == l.id
		})
	}
	// Max's flag, not acknowledged before, is acked by the small group;
	// Pia's, acknowledged already, stays so.
	_, g = flagEvent(td, from, max.id, "small_group", "")
	if str(g, "status") != "acked" {
		t.Errorf("Max's flag after the small group: %v", g)
	}
	gev := td.waitFrom2(from, "the new group", func(f frame) bool {
		return f.event() == "group" && str(sub(f.data(), "group"), "id") == grp
	})
	if ms, _ := sub(gev.data(), "group")["members"].([]any); len(ms) != 2 {
		t.Errorf("the small group's group: %s", gev)
	}
	max.d.waitFrom(mfrom, "Max's help", func(f frame) bool { return f.event() == "help_sent" })
	for _, f := range pat.d.events() {
		if f.event() == "group" && str(sub(f.data(), "group"), "id") == grp {
			t.Errorf("Pat, left out of the small group, received its group: %s", f)
		}
	}

	// resolve: closed for good.
	from = td.count()
	td.ok("flag_action", obj{"flag": stuFlag, "action": "resolve"})
	_, g = flagEvent(td, from, stu.id, "resolve", "")
	if str(g, "status") != "resolved" {
		t.Errorf("a resolved flag: %v", g)
	}
	td.no("wrong_state", "flag_action", obj{"flag": stuFlag, "action": "ack"})

	// Who sees what: no student, and not the projector, receives a flag,
	// thresholds or a small group, not even about themselves; no student
	// another's practice.
	td.ok("announce", obj{"text": "flags done"})
	for _, l := range ls {
		l.d.wait("the last announcement", func(f frame) bool { return str(f.data(), "text") == "flags done" })
		for _, f := range l.d.events() {
			switch f.event() {
			case "flag", "thresholds", "small_group":
				t.Errorf("%s received %s", l.name, f)
			case "item", "attempt", "hint", "offer", "help_sent", "placement":
				if str(f.data(), "student") != l.id {
					t.Errorf("%s received another's %s", l.name, f)
				}
			}
		}
	}
	pd.wait("the last announcement", func(f frame) bool { return str(f.data(), "text") == "flags done" })
	for _, f := range pd.events() {
		switch f.event() {
		case "flag", "thresholds", "small_group", "item", "attempt", "hint", "offer", "help_sent", "placement":
			t.Errorf("the projector received %s", f)
		}
	}
	_, w = s.enter("Pia's snapshot", pia.token, "", nil)
	for _, k := range []string{"flags", "learning", "small_groups"} {
		if _, has := sub(w, "snapshot")[k]; has {
			t.Errorf("a student's snapshot holds %s", k)
		}
	}

	// A late teacher's snapshot holds the flags the live events built.
	cQueue(s, teacher, room, td)
}

// waitFrom2 is waitFrom that must find the frame.
func (d *cDev) waitFrom2(from int, what string, ok func(frame) bool) frame {
	d.t.Helper()
	f, found := d.waitFrom(from, what, ok)
	if !found {
		d.t.Fatalf("%s: %s never came; the connection ended: %v", d.name, what, d.readErr)
	}
	return f
}

// cQueue checks a fresh teacher snapshot's flags: the same as those the
// live device built from its events, in the order "The help queue"
// gives.
func cQueue(s *cServer, teacher string, room cRoom, td *cDev, earlier ...*cDev) {
	t := s.t
	t.Helper()
	// Every event up to now on the live device first.
	seq, _ := num(td.ok("announce", obj{"text": "queue mark"}), "seq")
	td.wait("the mark", func(f frame) bool { return f.seq() == seq })
	_, w := s.enter("teacher, queue", teacher, room.id, nil)
	snap := sub(w, "snapshot")
	now, _ := num(w, "server_time")
	q, _ := snap["flags"].([]any)
	built := cFlags{}
	for _, d := range earlier {
		built.build(d)
	}
	built.build(td)
	live := built.live()
	if len(q) != len(live) {
		t.Errorf("the snapshot's queue holds %d flags; the events built %d: %v", len(q), len(live), q)
	}
	for _, x := range q {
		g := x.(obj)
		b, ok := live[str(g, "id")]
		if !ok {
			t.Errorf("a flag in the snapshot the events did not build: %v", g)
			continue
		}
		for _, k := range []string{"rule", "level", "status", "student", "skill", "need", "opened", "updated", "acked"} {
			if fmt.Sprint(g[k]) != fmt.Sprint(b[k]) {
				t.Errorf("flag %s: %s is %v in the snapshot, %v from the events", str(g, "id"), k, g[k], b[k])
			}
		}
	}
	rank := map[string]int{"act_now": 0, "watch": 1, "info": 2}
	score := func(g obj) float64 {
		n, _ := cFloat(g["need"])
		o, _ := num(g, "opened")
		waited := math.Min(float64(now-o), 600000)
		return n + 0.5*waited/600000
	}
	for i := 1; i < len(q); i++ {
		a, b := q[i-1].(obj), q[i].(obj)
		ra, rb := rank[str(a, "level")], rank[str(b, "level")]
		if ra != rb {
			if ra > rb {
				t.Errorf("the queue puts %s before %s", str(a, "level"), str(b, "level"))
			}
			continue
		}
		if (a["waiting"] == true) != (b["waiting"] == true) || (a["rising"] != nil) != (b["rising"] != nil) {
			continue
		}
		ackA, ackB := a["acked"] != nil, b["acked"] != nil
		if ackA != ackB {
			if ackA {
				t.Errorf("the queue puts an acknowledged flag before one nobody acknowledged: %v, %v", a, b)
			}
			continue
		}
		if sa, sb := score(a), score(b); sa < sb-1e-6 {
			t.Errorf("the queue puts score %v before %v: %v, %v", sa, sb, a, b)
		}
	}
}

// cTiming: the rules that read time: gaming (answers faster than a
// careful read) and idle (no answer for a while), each in a class of its
// own thresholds.
func cTiming(s *cServer, teacher string) {
	t := s.t
	// gaming: a client answers in milliseconds, well under the 2 s a
	// careful read of an item takes: watch at 3, act_now at 5.
	room := s.newRoom(teacher, "Gaming")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	td.ok("set_thresholds", obj{"thresholds": obj{"act_now_persist_ms": 0}})
	gus := s.learner(room, "Gus")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	from := td.count()
	// Each answer comes within milliseconds; on a loaded machine one may
	// not, so the student answers until the flag comes, at most the set.
	seen := func(change string) bool {
		for _, f := range td.all()[from:] {
			if f.event() == "flag" && str(sub(f.data(), "flag"), "student") == gus.id && str(f.data(), "change") == change {
				return true
			}
		}
		return false
	}
	answered := 0
	for ; answered < 3 || (!seen("open") && answered < 8); answered++ {
		gus.step(true)
	}
	_, g := flagEvent(td, from, gus.id, "open", "gaming")
	cFlagShape(t, g)
	if str(g, "level") != "watch" {
		t.Errorf("3 answers too fast: %v", g)
	}
	gf := str(g, "id")
	for ; answered < 5 || (!seen("escalate") && answered < 10); answered++ {
		gus.step(true)
	}
	_, g = flagEvent(td, from, gus.id, "escalate", "gaming")
	if str(g, "level") != "act_now" || str(g, "id") != gf {
		t.Errorf("5 answers too fast: %v", g)
	}
	for _, f := range gus.d.events() {
		if f.event() == "flag" {
			t.Errorf("Gus received his own flag: %s", f)
		}
	}

	// idle: with idle_watch_ms at 1 s, a student with an item in front of
	// them who does nothing is flagged by time alone; an answer clears it.
	room = s.newRoom(teacher, "Idle")
	td, _ = s.enter("teacher", teacher, room.id, nil)
	td.ok("set_thresholds", obj{"thresholds": obj{"idle_watch_ms": 1000, "idle_act_now_ms": 600000}})
	ivy := s.learner(room, "Ivy")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	from = td.count()
	it := ivy.front()
	_, g = flagEvent(td, from, ivy.id, "open", "idle")
	cFlagShape(t, g)
	if str(g, "level") != "watch" {
		t.Errorf("idle for a second: %v", g)
	}
	from = td.count()
	ivy.d.ok("answer", obj{"item": str(it, "id"), "response": cAnswers[str(it, "id")]})
	_, g = flagEvent(td, from, ivy.id, "clear", "idle")
	if str(g, "status") != "cleared" {
		t.Errorf("an idle student who answers: %v", g)
	}

	// Many idle at once (idle_class, 2 here): one class-level notice,
	// student empty and name "Whole class", instead of a flag each; send_help
	// and pull do not apply to it.
	room = s.newRoom(teacher, "Idle together")
	td, _ = s.enter("teacher", teacher, room.id, nil)
	td.ok("set_thresholds", obj{"thresholds": obj{"idle_watch_ms": 1000, "idle_act_now_ms": 600000, "idle_class": 2}})
	a, b := s.learner(room, "Ann"), s.learner(room, "Ben")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	a.front()
	b.front()
	f := td.wait("the class-level notice", func(f frame) bool {
		return f.event() == "flag" && str(sub(f.data(), "flag"), "name") == "Whole class"
	})
	n := sub(f.data(), "flag")
	if str(n, "student") != "" || str(n, "rule") != "idle" {
		t.Errorf("the class-level notice: %s", f)
	}
	for _, f := range td.events() {
		if g := sub(f.data(), "flag"); f.event() == "flag" && str(g, "rule") == "idle" && str(g, "student") != "" {
			t.Errorf("a student idle with the class got a flag of her own: %s", f)
		}
	}
	for _, action := range []string{"send_help", "pull"} {
		td.no("wrong_state", "flag_action", obj{"flag": str(n, "id"), "action": action})
	}
	td.ok("flag_action", obj{"flag": str(n, "id"), "action": "ack"})
}

// A class with open flags through SIGKILL and SIGTERM of the real
// process: what was acknowledged is kept, no flag is raised twice, and
// every device resumes with nothing missing or doubled.
func TestConformanceLearningRestart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) { cLearnRestart(t, sig) })
	}
}

func cLearnRestart(t *testing.T, sig syscall.Signal) {
	s := cStart(t)
	teacher := s.login()
	s.uploadBank(teacher)
	room := s.newRoom(teacher, "Restart with flags")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	td.ok("set_thresholds", obj{"thresholds": cThresholdsA})
	hana, stu, pia, ola := s.learner(room, "Hana"), s.learner(room, "Stu"), s.learner(room, "Pia"), s.learner(room, "Ola")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	hana.d.ok("raise_hand", obj{"note": "before the restart"})
	flagEvent(td, 0, hana.id, "open", "help")
	for range 3 {
		stu.step(false)
	}
	_, g := flagEvent(td, 0, stu.id, "escalate", "stuck")
	stuFlag := str(g, "id")
	pia.step(false)
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "top"}, "to": obj{"student": pia.id}})
	pia.step(false)
	pia.step(false)
	_, g = flagEvent(td, 0, pia.id, "", "prereq_gap")
	piaFlag := str(g, "id")
	td.ok("flag_action", obj{"flag": piaFlag, "action": "ack"})
	flagEvent(td, 0, pia.id, "ack", "")
	it := ola.front()
	olaItem := str(it, "id")
	ola.d.ok("hint", obj{"item": olaItem})
	seq, _ := num(td.ok("announce", obj{"text": "before the kill"}), "seq")
	devs := []*cLearner{hana, stu, pia, ola}
	td.wait("the mark", func(f frame) bool { return f.seq() == seq })
	for _, l := range devs {
		l.d.wait("the mark", func(f frame) bool { return f.seq() == seq })
	}

	if err := s.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	td.closed()
	for _, l := range devs {
		l.d.closed()
	}
	select {
	case <-s.p.exited:
	case <-time.After(cWait):
		t.Fatalf("the server did not exit within %v of %s", cWait, sigName[sig])
	}
	s.p = startServer(t, s.data)

	oldTD := td
	td, w := s.enter("teacher after", teacher, room.id, oldTD.resumeOf())
	if w["resumed"] != true {
		t.Fatalf("the teacher did not resume after %s: %v", sigName[sig], w)
	}
	olds := map[string]*cDev{}
	for _, l := range devs {
		olds[l.name] = l.d
		var w obj
		l.d, w = s.enter(l.name+" after", l.token, "", l.d.resumeOf())
		if w["resumed"] != true {
			t.Fatalf("%s did not resume after %s: %v", l.name, sigName[sig], w)
		}
	}
	// Ola's item and hint are as she left them.
	if again := ola.front(); str(again, "id") != olaItem {
		t.Errorf("after %s Ola's item is %v, was %s", sigName[sig], again, olaItem)
	}
	_, w = s.enter("Ola fresh", ola.token, "", nil)
	if hs, _ := sub(sub(w, "snapshot"), "practice")["hints"].([]any); len(hs) != 1 {
		t.Errorf("after %s Ola's hints shown: %v", sigName[sig], sub(sub(w, "snapshot"), "practice"))
	}
	// The conditions still hold: no flag is raised again for them.
	stu.step(false)
	hana.d.ok("raise_hand", obj{"note": "still"})
	mark, _ := num(td.ok("announce", obj{"text": "after the restart"}), "seq")
	td.wait("the mark after", func(f frame) bool { return f.seq() == mark })

	// The teacher's stream across the restart, against one resumed from 0.
	e, _ := td.state()
	ref, _ := s.enter("teacher from 0", teacher, room.id, obj{"epoch": e, "offset": 0})
	ref.wait("the mark after", func(f frame) bool { return f.seq() == mark })
	var got, want []frame
	for _, f := range append(oldTD.events(), td.events()...) {
		if f.seq() <= mark {
			got = append(got, f)
		}
	}
	for _, f := range ref.events() {
		if f.seq() > oldTD.wOffset && f.seq() <= mark {
			want = append(want, f)
		}
	}
	sameEvents(t, "the teacher across "+sigName[sig], got, want)
	for _, l := range devs {
		var got, want []frame
		for _, f := range append(olds[l.name].events(), l.d.events()...) {
			if f.seq() <= mark {
				got = append(got, f)
			}
		}
		r, _ := s.enter(l.name+" from 0", l.token, "", obj{"epoch": e, "offset": 0})
		r.wait("the mark after", func(f frame) bool { return f.seq() == mark })
		for _, f := range r.events() {
			if f.seq() > olds[l.name].wOffset && f.seq() <= mark {
				want = append(want, f)
			}
		}
		sameEvents(t, l.name+" across "+sigName[sig], got, want)
	}
	opens := map[string]int{}
	for _, f := range ref.events() {
		if f.event() == "flag" && str(f.data(), "change") == "open" {
			opens[str(sub(f.data(), "flag"), "student")]++
		}
	}
	for _, l := range []*cLearner{hana, stu, pia} {
		if opens[l.id] != 1 {
			t.Errorf("after %s, %d flags were opened on %s; want 1", sigName[sig], opens[l.id], l.name)
		}
	}
	// The queue: the same flags, Pia's still acknowledged.
	cQueue(s, teacher, room, td, oldTD)
	_, w = s.enter("teacher fresh", teacher, room.id, nil)
	status := map[string]string{}
	for _, x := range sub(w, "snapshot")["flags"].([]any) {
		status[str(x.(obj), "id")] = str(x.(obj), "status")
	}
	if status[piaFlag] != "acked" || status[stuFlag] != "open" {
		t.Errorf("after %s the flags' statuses: %v", sigName[sig], status)
	}
}

// cCoachFlags: "Who sees what of learning" for coaches: the flags of
// their groups' students, live and in the snapshot; no learning
// summaries; no practice of anyone; and no acting on flags.
func cCoachFlags(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Coached")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	td.ok("set_thresholds", obj{"thresholds": cThresholdsA})
	amy, bob := s.learner(room, "Amy"), s.learner(room, "Bob")
	for _, l := range []*cLearner{amy, bob} {
		td.wait(l.name+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == l.id && f.data()["online"] == true
		})
	}
	prop := td.ok("propose_groups", obj{"method": "random", "count": 2})
	gids := td.ok("apply_groups", obj{"proposal": str(prop, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{amy.id}},
		obj{"name": "Herons", "members": []any{bob.id}},
	}})["groups"].([]any)
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "flags.coach@school.example", "name": "Mr Diaz"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a long password of his own"})
	td.ok("assign_coach", obj{"group": gids[0].(string), "coach": str(sub(co, "coach"), "id"), "assigned": true})
	cd, _ := s.enter("coach", str(co, "token"), room.id, nil)
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	for _, l := range []*cLearner{amy, bob} {
		from := td.count()
		l.step(false)
		l.step(false)
		flagEvent(td, from, l.id, "open", "struggle")
	}
	_, g := flagEvent(cd, 0, amy.id, "open", "struggle")
	cd.no("forbidden", "flag_action", obj{"flag": str(g, "id"), "action": "ack"})
	seq, _ := num(td.ok("announce", obj{"text": "coach mark"}), "seq")
	cd.wait("the mark", func(f frame) bool { return f.seq() == seq })
	for _, f := range cd.events() {
		switch f.event() {
		case "flag":
			if str(sub(f.data(), "flag"), "student") != amy.id {
				t.Errorf("the coach of the Otters received a flag of another group's student: %s", f)
			}
		case "item", "attempt", "hint", "offer", "help_sent", "thresholds":
			t.Errorf("a coach received %s", f)
		}
	}
	_, w := s.enter("coach fresh", str(co, "token"), room.id, nil)
	snap := sub(w, "snapshot")
	fl, _ := snap["flags"].([]any)
	if len(fl) != 1 || str(fl[0].(obj), "student") != amy.id {
		t.Errorf("the coach's snapshot flags: %v", snap["flags"])
	}
	if l, _ := snap["learning"].([]any); len(l) != 0 {
		t.Errorf("the coach's snapshot has learning summaries: %v", snap["learning"])
	}
}

// cBudget: the class's act-now budget (act_now_budget): a flag that calls
// for act_now while the budget is spent waits at watch (waiting), first
// among the watch flags, and is escalated when a teacher resolves an
// act-now flag.
func cBudget(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Budget")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	th := obj{}
	for k, v := range cThresholdsA {
		th[k] = v
	}
	th["act_now_budget"] = 1
	td.ok("set_thresholds", obj{"thresholds": th})
	hana, stu, sam := s.learner(room, "Hana"), s.learner(room, "Stu"), s.learner(room, "Sam")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	hana.d.ok("raise_hand", obj{"note": "first"})
	_, g := flagEvent(td, 0, hana.id, "open", "help")
	if str(g, "level") != "act_now" {
		t.Fatalf("the first act-now flag: %v", g)
	}
	hanaFlag := str(g, "id")
	// Sam struggles, at watch: the waiting flag comes before him.
	sam.step(false)
	sam.step(false)
	flagEvent(td, 0, sam.id, "open", "struggle")
	for range 3 {
		stu.step(false)
	}
	var stuFlag obj
	td.wait("Stu's flag waiting", func(f frame) bool {
		g := sub(f.data(), "flag")
		if f.event() == "flag" && str(g, "student") == stu.id && str(g, "rule") == "stuck" {
			stuFlag = g
			return true
		}
		return false
	})
	if str(stuFlag, "level") != "watch" || stuFlag["waiting"] != true {
		t.Errorf("a flag calling for act_now with the budget spent: %v", stuFlag)
	}
	_, w := s.enter("teacher, queue", teacher, room.id, nil)
	var order []string
	for _, x := range sub(w, "snapshot")["flags"].([]any) {
		order = append(order, str(x.(obj), "name"))
	}
	if !slices.Equal(order, []string{"Hana", "Stu", "Sam"}) {
		t.Errorf("the queue with a flag waiting: %v, want Hana, Stu (waiting, first of the watch flags), Sam", order)
	}
	from := td.count()
	td.ok("flag_action", obj{"flag": hanaFlag, "action": "resolve"})
	_, g = flagEvent(td, from, stu.id, "escalate", "stuck")
	if str(g, "level") != "act_now" || g["waiting"] == true {
		t.Errorf("the waiting flag after an act-now flag was resolved: %v", g)
	}
}

// cRising: a condition calling for act_now waits at watch (rising) for
// the class's act_now_persist_ms, or until the student fails another
// problem; then its flag is escalated.
func cRising(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Rising")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	th := obj{}
	for k, v := range cThresholdsA {
		th[k] = v
	}
	th["act_now_persist_ms"] = 600000
	td.ok("set_thresholds", obj{"thresholds": th})
	pia := s.learner(room, "Pia")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	pia.step(false)
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "top"}})
	from := td.count()
	pia.step(false)
	pia.step(false)
	_, g := flagEvent(td, from, pia.id, "", "prereq_gap")
	if str(g, "level") != "watch" || g["rising"] == nil {
		t.Errorf("a prerequisite gap while act_now_persist_ms runs: %v", g)
	}
	pia.step(false)
	_, g = flagEvent(td, from, pia.id, "escalate", "prereq_gap")
	if str(g, "level") != "act_now" {
		t.Errorf("a rising flag after another problem failed: %v", g)
	}
}
