package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// flagged has a student practise on their page, wrong the first time on
// every problem and right when it comes again, until the teacher's help
// queue shows a flag for them with the lesson to send.
func flagged(teacher, st *tab, id string) {
	st.t.Helper()
	bank := demoBank(st.t, "fractions-5")
	ready := fmt.Sprintf(`#help-queue li.flag[data-student=%q] button[data-action="send_help"]`, id)
	tried := map[protocol.ItemID]bool{}
	for n := 0; ; n++ {
		var ok bool
		teacher.eval(fmt.Sprintf(`!!document.querySelector(%q)`, ready), &ok)
		if ok {
			return
		}
		if n == 80 {
			teacher.fail("after %d steps, mostly wrong answers, %s is not in the help queue with help to send", n, st.name)
		}
		st.until("a problem, or the button to the next one", `["item", "next", "done"].includes(document.querySelector("#practice-other").dataset.state) && document.querySelector("#practice-box").dataset.busy === "false"`)
		switch st.str(`document.querySelector("#practice-other").dataset.state`) {
		case "next":
			st.click("#practice-other .next-btn")
			continue
		case "done":
			st.fail("the set ended before %s was flagged", st.name)
		}
		it := currentItem(st, bank)
		answer(st, it, tried[it.ID])
		tried[it.ID] = true
	}
}

// Three students stuck on the same skill: the help queue proposes one
// small group at the teacher's table with the skill's lesson, and the
// teacher forms it from the queue, leaving one of them out.
func TestBrowserSmallGroupFromTheHelpQueue(t *testing.T) {
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "park@school.example", "Mr Park")
	teacher, code := openClass(t, b, s, "park@school.example", "Year 5 fractions")
	names := []string{"Olivia", "Wes", "Sol", "Amy"}
	tabs := map[string]*tab{}
	for _, n := range names {
		tabs[n] = join(t, b, s, code, n)
	}
	teacher.until("four students online", `document.querySelectorAll("#roster .dot.on").length === 4`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	teacher.until("the set given", `document.querySelector("#practice-status").textContent.includes("4 students")`)

	for _, n := range []string{"Olivia", "Wes"} {
		flagged(teacher, tabs[n], id(n))
	}
	var none bool
	teacher.eval(`document.querySelectorAll("#help-small-groups li").length === 0`, &none)
	if !none {
		teacher.fail("two students flagged, and a small group is already proposed")
	}
	flagged(teacher, tabs["Sol"], id("Sol"))

	card := `#help-small-groups li.small-group`
	teacher.until("the small group proposed", isVisible(card))
	text := teacher.str(textOf(card))
	for _, want := range []string{"Small group: Equivalent fractions", "Olivia", "Wes", "Sol", "Lesson: Same amount, different names"} {
		if !strings.Contains(text, want) {
			teacher.fail("the proposal reads %q; it lacks %q", text, want)
		}
	}
	if strings.Contains(text, "Amy") {
		teacher.fail("the proposal names Amy, who was not flagged: %q", text)
	}
	teacher.shot("small-group-proposed")

	// The teacher leaves Wes out and forms the group at the table.
	teacher.click(fmt.Sprintf(`%s input[value=%q]`, card, id("Wes")))
	teacher.clickText(card+" button", "Form the group at my table")
	teacher.until("the proposal gone from the queue", `document.querySelectorAll("#help-small-groups li").length === 0`)
	teacher.click("#tab-groups")
	teacher.until("the small group among the groups", `document.querySelector("#group-list").textContent.includes("Small group: Equivalent")`)
	var members []string
	teacher.eval(`[...document.querySelectorAll("#group-list .group-card")].filter((g) => g.textContent.trim().startsWith("Small group")).map((g) => g.textContent)`, &members)
	if len(members) != 1 || !strings.Contains(members[0], "Olivia") || !strings.Contains(members[0], "Sol") || strings.Contains(members[0], "Wes") {
		teacher.fail("the small group reads %q; want Olivia and Sol without Wes", members)
	}
	teacher.until("the teacher's table made", `document.querySelector("#station-list").textContent.includes("Teacher's table")`)
	teacher.shot("small-group-formed")

	// Olivia is sent the lesson's problems.
	olivia := tabs["Olivia"]
	olivia.until("a problem the teacher sent", `(() => {
		const s = document.querySelector("#practice-other").dataset.state;
		if (s === "next") document.querySelector("#practice-other .next-btn").click();
		const l = document.querySelector("#practice-item .item-label");
		return !!l && l.dataset.reason === "sent by your teacher";
	})()`)
}
