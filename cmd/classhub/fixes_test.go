package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/classhub/classhub/rooms/content"
)

// The rough edges a class met, each seen in the browser: no "null" under
// a text answer; the note of a raised hand in its card in the help queue;
// a new hand that arrives out of view pointed to, and brought into view
// with one click; "Bring to my table" told on the student's device; the
// "To" of an announcement back on "Everyone" once it is sent.
func TestBrowserQueueAndPracticeFixes(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "nkemelu@school.example", "Ms Nkemelu")
	teacher, code := openClass(t, b, s, "nkemelu@school.example", "Year 5 fractions")
	teacher.do("a laptop's window", chromedp.EmulateViewport(1280, 800))
	names := []string{"Ana", "Ben", "Cara", "Dev", "Eve", "Fay"}
	st := map[string]*tab{}
	for _, n := range names {
		st[n] = join(t, b, s, code, n)
	}
	teacher.until("six students online", `document.querySelectorAll("#roster .dot.on").length === 6`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}

	// A text answer has no "null" under it.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "student:"+id("Ana"))
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	ana := st["Ana"]
	for n := 0; ; n++ {
		if n == 5 {
			ana.fail("no text problem among the first five")
		}
		it := currentItem(ana, bank)
		if it.Kind == "text" {
			break
		}
		answer(ana, it, true)
		ana.click("#practice-other .next-btn")
		ana.until("the next problem", fmt.Sprintf(`%s && %s.dataset.item !== %q`, practiceItem, practiceItem, it.ID))
	}
	if got := ana.str(`document.querySelector("#practice-item").innerText`); containsWord(got, "null") {
		ana.fail("the text problem shows %q", got)
	}
	ana.shot("text-answer")

	// A teacher-led station, for "Bring to my table".
	teacher.click("#tab-stations")
	teacher.typeIn("#station-name", "My table")
	teacher.set("#station-kind", "teacher_led")
	teacher.click("#station-save")
	teacher.until("the station", `document.querySelectorAll("#station-list [data-station]").length === 1`)

	// Ben raises his hand with a note: it is in his card.
	ben := st["Ben"]
	note := "I don't get question 2"
	ben.typeIn("#hand-note", note)
	ben.click("#raise-hand")
	benFlag := fmt.Sprintf(`#help-queue li.flag[data-student=%q][data-rule="help"]`, id("Ben"))
	teacher.until("Ben's note in his card", fmt.Sprintf(`%s === %q`, textOf(benFlag+" .flag-note"), "“"+note+"”"))

	// Four more hands fill the queue past its height; the teacher
	// acknowledges them all and scrolls to the bottom of the queue.
	for _, n := range []string{"Cara", "Dev", "Eve", "Fay"} {
		st[n].typeIn("#hand-note", "Question from "+n)
		st[n].click("#raise-hand")
	}
	teacher.until("five hands in the queue", `document.querySelectorAll('#help-queue li.flag[data-rule="help"]').length === 5`)
	for i := range 5 {
		teacher.until("the acknowledgement", fmt.Sprintf(`document.querySelectorAll('#help-queue li.flag[data-status="acked"]').length === %d`, i))
		teacher.click(`#help-queue li.flag:not([data-status="acked"]) button[data-action="ack"]`)
	}
	teacher.until("all acknowledged", `document.querySelectorAll('#help-queue li.flag[data-status="acked"]').length === 5`)
	teacher.until("a queue that scrolls", `(() => { const q = document.querySelector("#help-queue-box"); return q.scrollHeight > q.clientHeight + 100; })()`)
	teacher.eval(`(() => { const q = document.querySelector("#help-queue-box"); q.scrollTop = q.scrollHeight; window.scrollTo(0, 0); return true; })()`, nil)
	teacher.until("no notice while nothing is new", `document.querySelector("#help-new").hidden`)

	// Ana raises her hand: her flag goes to the top of the queue, out of
	// view, and the console points to it.
	ana.click("#raise-hand")
	anaFlag := fmt.Sprintf(`#help-queue li.flag[data-student=%q][data-rule="help"]`, id("Ana"))
	teacher.until("Ana's flag at the top", fmt.Sprintf(`document.querySelector("#help-queue li.flag") === document.querySelector(%q)`, anaFlag))
	inView := fmt.Sprintf(`(() => {
		const box = document.querySelector("#help-queue-box").getBoundingClientRect();
		const r = document.querySelector(%q).getBoundingClientRect();
		return r.top >= Math.max(box.top, 0) - 1 && r.top + 40 <= Math.min(box.bottom, innerHeight) + 1;
	})()`, anaFlag)
	var visibleNow bool
	teacher.eval(inView, &visibleNow)
	if visibleNow {
		teacher.fail("Ana's flag is in view with the queue scrolled down; the test shows nothing")
	}
	teacher.until("the notice of the new flag", isVisible("#help-new")+` && `+textOf("#help-new")+` === "↑ New in the help queue: Ana · Asked for help"`)
	teacher.until("the new flag announced", textOf("#help-announce")+` === "Ana: Asked for help"`)
	teacher.shot("new-flag-notice")
	teacher.click("#help-new")
	teacher.until("Ana's flag in view, with the focus", inView+fmt.Sprintf(` && document.activeElement === document.querySelector(%q)`, anaFlag))
	teacher.until("the notice gone", `document.querySelector("#help-new").hidden`)

	// "Bring to my table" tells Ben.
	teacher.click(benFlag + ` button[data-action="pull"]`)
	ben.until("the teacher's call", isVisible("#placement-notice")+` && `+textOf("#placement-text")+` === "Your teacher asked you to come to their table: My table."`)
	ben.until("the station card", textOf("#my-station-name")+` === "My table"`)
	ben.shot("called-to-table")
	ben.click("#placement-ok")
	ben.until("the notice closed", `document.querySelector("#placement-notice").hidden`)

	// An announcement to Ben; the "To" is back on everyone, and the next
	// one reaches Cara.
	teacher.click("#tab-messages")
	teacher.typeIn("#announce-text", "Ben, bring your workbook.")
	teacher.set("#announce-to", "student:"+id("Ben"))
	teacher.click("#announce-submit")
	ben.until("his announcement", `[...document.querySelectorAll("#announcements li")].some((li) => li.textContent.includes("bring your workbook"))`)
	teacher.until("the form ready for everyone", `document.querySelector("#announce-text").value === "" && document.querySelector("#announce-to").value === ""`)
	teacher.typeIn("#announce-text", "Five minutes left.")
	teacher.click("#announce-submit")
	st["Cara"].until("the announcement to everyone", `[...document.querySelectorAll("#announcements li")].some((li) => li.textContent.includes("Five minutes left."))`)
	t.Logf("the scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// containsWord reports whether text has word as a whole word.
func containsWord(text, word string) bool {
	for i := 0; i+len(word) <= len(text); i++ {
		if text[i:i+len(word)] != word {
			continue
		}
		before := i == 0 || !isLetter(text[i-1])
		after := i+len(word) == len(text) || !isLetter(text[i+len(word)])
		if before && after {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// A bank of two problems of two skills, one hint each: neither has a
// similar problem to give instead.
const twoSkillsBank = `bank: two-skills
title: Two skills
skills:
  - id: add
    name: Adding
  - id: sub
    name: Taking away
items:
  - id: add.1
    skill: add
    kind: numeric
    prompt: What is 2 + 3?
    answer: 5
    hints: [2 + 3 = 5.]
    explanation: Two and three make five.
  - id: sub.1
    skill: sub
    kind: numeric
    prompt: What is 5 - 3?
    answer: 2
    hints: [5 - 3 = 2.]
    explanation: Five take away three leaves two.
sets:
  - id: both
    title: Adding and taking away
    kind: practice
    items: [add.1, sub.1]
`

// Practice that moves on: a student still wrong after the last hint is
// shown the explanation and goes on to the next problem, not held on it
// for good; a student who masters the set's skills is offered the
// challenge at once, in the middle of the set, and may take it or go on.
func TestBrowserMovingOnAndEarlyOffer(t *testing.T) {
	began := time.Now()
	fractions := demoBank(t, "fractions-5")
	two, err := content.Parse("two.yaml", []byte(twoSkillsBank))
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "osei@school.example", "Mr Osei")
	teacher, code := openClass(t, b, s, "osei@school.example", "Year 5 maths")
	noah := join(t, b, s, code, "Noah")
	amelia := join(t, b, s, code, "Amelia", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	teacher.until("two students online", `document.querySelectorAll("#roster .dot.on").length === 2`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}

	// The bank of two skills, for Noah.
	teacher.click("#tab-practice")
	file := filepath.Join(t.TempDir(), "two.yaml")
	if err := os.WriteFile(file, []byte(twoSkillsBank), 0o644); err != nil {
		t.Fatal(err)
	}
	teacher.do("choose the bank file", chromedp.SetUploadFiles(chromedp.CSS("#bank-file"), []string{file}))
	teacher.click("#bank-upload")
	teacher.until("the bank saved", `!!document.querySelector("#banks [data-assign='two-skills/both']")`)
	teacher.set("#practice-to", "student:"+id("Noah"))
	teacher.click(`#banks [data-assign="two-skills/both"]`)

	// Noah takes the hint, the last, and still answers wrong.
	it := currentItem(noah, two)
	if it.ID != "add.1" {
		noah.fail("the first problem is %s", it.ID)
	}
	noah.click("#practice-item .hint-btn")
	noah.until("the last hint", `!!document.querySelector("#practice-item .hints li.last")`)
	answer(noah, it, false)
	noah.until("the explanation, and the way on", `document.querySelector("#practice-feedback").dataset.result === "wrong" && `+
		textOf("#practice-feedback .explanation")+` === "Two and three make five." && !!document.querySelector("#practice-feedback .moved-on") && `+
		`document.querySelector("#practice-other").dataset.state === "next" && !document.querySelector("#practice-item form")`)
	noah.shot("moved-on")
	noah.click("#practice-other .next-btn")
	if it := currentItem(noah, two); it.ID != "sub.1" {
		noah.fail("after moving on, the problem is %s, want sub.1", it.ID)
	}

	// Amelia gets every problem right: the challenge is offered as soon
	// as she has mastered the set's skills, before the set ends.
	set := fractions.Set("frac-equivalence")
	teacher.set("#practice-to", "student:"+id("Amelia"))
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	answered := 0
	for {
		if answered == len(set.Items) {
			amelia.fail("no offer after %d right answers, the whole set", answered)
		}
		it := currentItem(amelia, fractions)
		if !slices.Contains(set.Items, it.ID) {
			amelia.fail("problem %s is not in the set", it.ID)
		}
		answer(amelia, it, true)
		answered++
		amelia.until("the way on", `document.querySelector("#practice-other").dataset.state === "next"`)
		var offered bool
		amelia.eval(`!!document.querySelector("#practice-other .accept-offer")`, &offered)
		if offered {
			break
		}
		amelia.click("#practice-other .next-btn")
	}
	if answered >= len(set.Items) {
		amelia.fail("offered only after all %d problems", answered)
	}
	amelia.until("the offer beside the next problem", `document.querySelector("#practice-other").textContent.includes("You've mastered this — try a challenge?") && !!document.querySelector("#practice-other .next-btn")`)
	amelia.shot("early-offer")
	t.Logf("Amelia was offered the challenge after %d of %d problems", answered, len(set.Items))
	amelia.click("#practice-other .accept-offer")
	challenge := fractions.EnrichmentFor(set.ID)
	amelia.until("the challenge", fmt.Sprintf(`document.querySelector("#practice-title").textContent === %q`, challenge.Title))
	t.Logf("the scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// A quick check runs as a check (the console's default for one): no hint
// and no explanation while Judy works, each answer only "saved", the next
// problem at once; when she hands it in with the last answer she sees how
// many were right and each problem with her answer and how it works, and a
// reload keeps it.
func TestBrowserCheckRunsAsACheck(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	set := bank.Set("frac-check")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "ivanova@school.example", "Ms Ivanova")
	teacher, code := openClass(t, b, s, "ivanova@school.example", "Year 5 maths")
	judy := join(t, b, s, code, "Judy", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	teacher.until("Judy online", `document.querySelectorAll("#roster .dot.on").length === 1`)
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-check']")`)
	if !teacher.visibleNow("#practice-as-check") {
		teacher.fail("no choice to run a quick check as a check")
	}
	teacher.until("run as a check by default", `document.querySelector("#practice-as-check").checked`)
	teacher.click(`#banks [data-assign="fractions-5/frac-check"]`)
	judy.until("the check", `document.querySelector("#practice-kind").textContent.includes("Hints and answers come when you hand it in")`)

	right := map[string]bool{}
	prev := ""
	for i := range set.Items {
		judy.until("the next problem", fmt.Sprintf(`%s && %s.dataset.item !== %q && document.querySelector("#practice-box").dataset.busy === "false"`, practiceItem, practiceItem, prev))
		it := currentItem(judy, bank)
		if judy.visibleNow("#practice-item .hint-btn") {
			judy.fail("a hint button in a check, on %s", it.ID)
		}
		right[string(it.ID)] = i%3 != 1
		answer(judy, it, right[string(it.ID)])
		judy.until("the answer saved, and nothing more", `document.querySelector("#practice-feedback").dataset.result === "saved" || document.querySelector("#practice-other").dataset.state === "done"`)
		if got := judy.str(`document.querySelector("#practice-feedback").textContent`); got != "" && got != "Answer saved." {
			judy.fail("after an answer in a check the page says %q", got)
		}
		if i == 1 {
			judy.shot("check-saved")
		}
		prev = string(it.ID)
	}
	review := func() {
		judy.until("the check handed in", fmt.Sprintf(`document.querySelector("#practice-other").dataset.state === "done" && document.querySelectorAll("#practice-other .review-item").length === %d`, len(set.Items)))
		n := 0
		for _, ok := range right {
			if ok {
				n++
			}
		}
		judy.until("how many were right", fmt.Sprintf(`document.querySelector("#practice-other").textContent.includes("Handed in: %d of %d right.")`, n, len(set.Items)))
		for _, id := range set.Items {
			li := fmt.Sprintf(`#practice-other .review-item[data-item=%q]`, id)
			if right[string(id)] {
				judy.until("a right answer in the review", fmt.Sprintf(`document.querySelector(%q).classList.contains("right") && !document.querySelector(%q)`, li, li+" .explanation"))
			} else {
				judy.until("a wrong answer with its explanation", fmt.Sprintf(`document.querySelector(%q).classList.contains("wrong") && %s === %q`, li, textOf(li+" .explanation"), bank.Item(id).Explanation))
			}
		}
	}
	review()
	judy.shot("check-review")
	judy.do("reload", chromedp.Reload())
	review()
	t.Logf("the scenario took %s", time.Since(began).Round(100*time.Millisecond))
}
