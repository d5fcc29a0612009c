package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The class at a glance is the console's home: a tile per student with
// whether they are here, their group and station, the set and problem
// they are on, their mastery by skill (named), and their flag with how
// long it has stood. The filter narrows the tiles, the arrow keys move
// between them, Enter opens one with what the teacher can do, the tabs
// follow the arrow keys too, and a reload comes back to the live class.
func TestBrowserClassAtAGlance(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "haddad@school.example", "Ms Haddad")
	teacher, code := openClass(t, b, s, "haddad@school.example", "Year 5 fractions")
	teacher.do("a projector-sized window", chromedp.EmulateViewport(1920, 1080))
	names := []string{"Ana", "Ben", "Cara", "Dev"}
	st := map[string]*tab{}
	for _, n := range names {
		st[n] = join(t, b, s, code, n)
	}
	if !teacher.visibleNow("#panel-glance") {
		teacher.fail("the console does not open on the class at a glance")
	}
	teacher.until("four tiles", `document.querySelectorAll("#glance li.tile").length === 4 && document.querySelectorAll('#glance li.tile[data-online="true"]').length === 4`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#glance li.tile")].find((li) => li.querySelector(".tile-open").textContent === %q).dataset.student`, name))
	}
	tile := func(name string) string { return fmt.Sprintf(`#glance li.tile[data-student=%q]`, id(name)) }

	// Stations, two groups and a rotation.
	teacher.click("#tab-stations")
	for _, n := range []string{"With me", "Laptops"} {
		teacher.typeIn("#station-name", n)
		teacher.click("#station-save")
		teacher.until("the station", fmt.Sprintf(`[...document.querySelectorAll("#station-list h3")].some((h) => h.textContent === %q)`, n))
	}
	teacher.click("#tab-grouping")
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	teacher.until("a proposal", isVisible("#proposal"))
	teacher.until("its reasons in words", `[...document.querySelectorAll("#proposal-groups .reason")].every((r) => r.textContent.startsWith("Chosen at random") && !r.textContent.includes("seed"))`)
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)
	teacher.click("#tab-rotation")
	teacher.until("the plan's stations", `document.querySelectorAll("#rotation-stations input:checked").length === 2`)
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live"))

	// Practice for everyone; Ana answers two problems right.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	ana := st["Ana"]
	for range 2 {
		it := currentItem(ana, bank)
		answer(ana, it, true)
		ana.click("#practice-other .next-btn")
		ana.until("the next problem", fmt.Sprintf(`%s && %s.dataset.item !== %q`, practiceItem, practiceItem, it.ID))
	}
	next := currentItem(ana, bank)
	// Ben raises his hand; Dev leaves.
	st["Ben"].typeIn("#hand-note", "Is 2/4 the same as 1/2?")
	st["Ben"].click("#raise-hand")
	if err := chromedp.Cancel(st["Dev"].ctx); err != nil {
		t.Fatalf("close Dev's device: %v", err)
	}

	teacher.click("#tab-glance")
	set := bank.Set("frac-equivalence")
	skill := bank.Skill(next.Skill).Name
	teacher.until("Ana's tile: her group and station, her problem, her mastery by skill", fmt.Sprintf(`(() => {
		const t = document.querySelector(%q);
		const where = t.querySelector(".tile-where").textContent;
		return /^Group \d · (With me|Laptops)$/.test(where) &&
			t.querySelector(".tile-set").textContent === %q && t.querySelector(".tile-doing").textContent === %q &&
			[...t.querySelectorAll(".mbar-row .mbar-name")].some((n) => n.textContent === %q) &&
			t.querySelector(".mbar-row .mbar[role=img]").getAttribute("aria-label").endsWith("%%");
	})()`, tile("Ana"), set.Title, next.Prompt, skill))
	teacher.until("Ben's tile: the hand, the flag and how long", fmt.Sprintf(`(() => {
		const t = document.querySelector(%q);
		return t.dataset.hand === "true" && t.dataset.level === "act_now" && t.querySelector(".tile-flag").textContent === "Act now · Asked for help · for under a minute";
	})()`, tile("Ben")))
	teacher.until("Dev offline", fmt.Sprintf(`document.querySelector(%q).dataset.online === "false"`, tile("Dev")))
	teacher.shot("glance-1920")
	teacher.do("a laptop's window", chromedp.EmulateViewport(1366, 768))
	teacher.shot("glance-1366")

	// The filter and the search.
	teacher.set("#glance-filter", "need")
	teacher.until("only Ben needs the teacher now", fmt.Sprintf(`document.querySelectorAll("#glance li.tile").length === 1 && !!document.querySelector(%q)`, tile("Ben")))
	teacher.until("the count", textOf("#glance-count")+` === "Showing 1 of 4"`)
	teacher.set("#glance-filter", "offline")
	teacher.until("only Dev offline", `document.querySelectorAll("#glance li.tile").length === 1`)
	teacher.set("#glance-filter", "")
	teacher.set("#glance-search", "car")
	teacher.until("only Cara", `document.querySelectorAll("#glance li.tile").length === 1 && document.querySelector("#glance .tile-open").textContent === "Cara"`)
	teacher.set("#glance-search", "")
	teacher.until("everyone again", `document.querySelectorAll("#glance li.tile").length === 4`)

	// The keyboard: one tab stop, the arrows move, Enter opens Ben's tile
	// with his note and what to do.
	teacher.until("one tab stop among the tiles", `document.querySelectorAll('#glance .tile-open[tabindex="0"]').length === 1`)
	teacher.eval(fmt.Sprintf(`(() => { document.querySelector(%q).focus(); return true; })()`, tile("Ana")+" .tile-open"), nil)
	teacher.until("Ana's tile focused", `document.activeElement.textContent === "Ana"`)
	teacher.do("the right arrow", chromedp.KeyEvent(kb.ArrowRight))
	teacher.until("Ben's tile focused", `document.activeElement.textContent === "Ben" && document.activeElement.tabIndex === 0 && document.querySelectorAll('#glance .tile-open[tabindex="0"]').length === 1`)
	teacher.do("Enter", chromedp.KeyEvent(kb.Enter))
	teacher.until("Ben's details", fmt.Sprintf(`(() => {
		const t = document.querySelector(%q);
		const more = t.querySelector(".tile-more");
		return !more.hidden && t.querySelector(".tile-open").getAttribute("aria-expanded") === "true" &&
			more.textContent.includes("Is 2/4 the same as 1/2?") &&
			[...more.querySelectorAll("button")].some((b) => b.textContent === "Lower Ben's hand");
	})()`, tile("Ben")))
	teacher.shot("glance-open")
	teacher.clickText(tile("Ben")+" .tile-more button", "Lower Ben's hand")
	st["Ben"].until("his hand lowered", `!document.querySelector("#lower-hand") || document.querySelector("#lower-hand").hidden`)
	teacher.until("no hand on Ben's tile", fmt.Sprintf(`document.querySelector(%q).dataset.hand === "false"`, tile("Ben")))

	// The tabs follow the arrow keys.
	teacher.eval(`(() => { document.querySelector("#tab-glance").focus(); return true; })()`, nil)
	teacher.do("the right arrow", chromedp.KeyEvent(kb.ArrowRight))
	teacher.until("the roster shown, its tab focused", `document.activeElement.id === "tab-roster" && document.querySelector("#tab-roster").getAttribute("aria-selected") === "true" && !document.querySelector("#panel-roster").hidden && document.querySelector("#panel-glance").hidden`)

	// A reload comes back to the live class, on its home.
	teacher.do("reload", chromedp.Reload())
	teacher.until("the live class again", isVisible("#live")+` && `+textOf("#live-title")+` === "Year 5 fractions" && document.querySelector("#live-status").dataset.state === "connected" && !document.querySelector("#panel-glance").hidden`)
	teacher.until("the tiles again", `document.querySelectorAll("#glance li.tile").length === 4`)
	t.Logf("the scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// visibleNow says whether sel is shown now.
func (tb *tab) visibleNow(sel string) bool {
	tb.t.Helper()
	var ok bool
	tb.eval(isVisible(sel), &ok)
	return ok
}
