package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/roster"
)

// axe-core runs in the browser tests to check every screen of the web
// apps against WCAG 2.1 A and AA and axe's best practices. It is vendored
// for the tests only, one file with its licence header, as npm publishes
// it: npm pack axe-core@4.14.1 (package/axe.min.js).
const axeFile = "testdata/axe/axe.min.js"

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axeFile)
	return string(b), err
})

// axeViolation is one rule a screen breaks, with the elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe checks the page as it is now: axe-core finds no violation, no two
// buttons or links have the same accessible name (a screen reader's list
// of buttons tells "Assign Fractions practice" from "Assign Fraction
// stories"), and nothing moves when the person asked for reduced motion.
// Each problem fails the test; the test goes on to the next screen.
// screen names the state of the page.
func (tb *tab) axe(screen string) {
	tb.t.Helper()
	for _, v := range tb.axeViolations(screen) {
		tb.t.Errorf("%s, %s: %s (%s, %s)\n\t%s", tb.name, screen, v.Help, v.ID, v.Impact, strings.Join(v.Nodes, "\n\t"))
	}
	for name, n := range tb.sameNames() {
		tb.t.Errorf("%s, %s: %d buttons or links are all called %q", tb.name, screen, n, name)
	}
	var moving []string
	tb.eval(`(() => {
		if (!matchMedia("(prefers-reduced-motion: reduce)").matches) return [];
		const long = (d) => d.split(",").some((x) => parseFloat(x) * (x.trim().endsWith("ms") ? 1 : 1000) > 1);
		const out = document.getAnimations().filter((a) => a.playState === "running").map((a) => "animation " + (a.animationName || a.id));
		for (const e of document.querySelectorAll("*")) {
			const cs = getComputedStyle(e);
			if (long(cs.transitionDuration) || long(cs.animationDuration) || cs.scrollBehavior === "smooth") out.push((e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className) + " moves");
		}
		return out;
	})()`, &moving)
	for _, m := range moving {
		tb.t.Errorf("%s, %s: with reduced motion asked for, %s", tb.name, screen, m)
	}
}

// sameNames finds the buttons and links of the page, as the browser's
// accessibility tree has them, that share their name with another.
func (tb *tab) sameNames() map[string]int {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	tree, err := chromedp.Run(ctx, chromedp.Action[*accessibility.GetFullAXTreeResult](func(ctx context.Context, t *chromedp.Target) (*accessibility.GetFullAXTreeResult, error) {
		r, err := cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		return &r, err
	}))
	if err != nil {
		tb.fail("read the accessibility tree: %v", err)
	}
	count := map[string]int{}
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil || n.Name == nil {
			continue
		}
		var role, name string
		_ = json.Unmarshal(n.Role.Value, &role)
		_ = json.Unmarshal(n.Name.Value, &name)
		if role == "button" || role == "link" {
			count[role+" "+strings.TrimSpace(name)]++
		}
	}
	for k, n := range count {
		if n < 2 {
			delete(count, k)
		}
	}
	return count
}

func (tb *tab) axeViolations(screen string) []axeViolation {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		tb.t.Fatalf("read axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	var loaded bool
	tb.eval(`typeof window.axe === "object"`, &loaded)
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			tb.fail("load axe-core on %s: %v", screen, err)
		}
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
		resultTypes: ["violations"],
	}).then((r) => r.violations.map((v) => ({
		id: v.id, impact: v.impact || "", help: v.help,
		nodes: v.nodes.map((n) => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ")),
	})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("run axe-core on %s: %v", screen, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal(raw, &vs); err != nil {
		tb.fail("axe-core's result on %s: %v", screen, err)
	}
	return vs
}

// reducedMotion has a tab's pages ask for reduced motion, as a person
// sets it in their system.
var reducedMotion = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	return err
})

// focused is true when the element sel has the keyboard focus.
func focused(sel string) string {
	return fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)
}

// key presses one key (a kb constant or a character) on the focused element.
func (tb *tab) key(k string, opts ...chromedp.KeyOption) {
	tb.t.Helper()
	tb.do("press "+k, chromedp.KeyEvent(k, opts...))
}

// Every screen of the web apps passes axe-core, with distinct names for
// its buttons and links and nothing moving for a person who asked for
// reduced motion: the console's sign-in (also with its error), its list
// of classes, the live class on each of its tabs with students, groups, a
// rotation, practice and the help queue, the code full screen; the
// student page before joining, in class, practising (a choice, a written
// answer, a wrong answer's explanation, hints, a quick check), paused and
// after the class; the coach's pages; the projector. The keyboard works
// as the WAI-ARIA patterns say: arrow keys, Home and End in the tabs, the
// code full screen keeps the focus and gives it back, and an action
// leaves the focus where the person can go on.
func TestBrowserAccessibility(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "nguyen@school.example", "Ms Nguyen")

	// Sign-in, its error, the list of classes.
	teacher := newTab(t, b, "teacher", reducedMotion, chromedp.EmulateViewport(1366, 768))
	teacher.do("open the console", chromedp.Navigate(s.url+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	teacher.axe("sign-in")
	teacher.typeIn("#signin-email", "nguyen@school.example")
	teacher.typeIn("#signin-password", "wrong password")
	teacher.click("#signin-submit")
	teacher.until("the error", `document.querySelector("#signin-error").textContent !== ""`)
	teacher.axe("sign-in refused")
	teacher.set("#signin-password", "")
	teacher.typeIn("#signin-password", "correct horse battery")
	teacher.click("#signin-submit")
	teacher.until("the list of classes, the focus on the new class's title", isVisible("#new-class-title")+` && `+focused("#new-class-title"))
	teacher.axe("classes")
	teacher.typeIn("#new-class-title", "Year 5 fractions")
	teacher.click("#new-class-submit")
	teacher.until("the live class, the focus on its title", `document.querySelector("#live-status").dataset.state === "connected" && `+focused("#live-title"))
	teacher.axe("live, empty")
	code := strings.ReplaceAll(teacher.str(textOf("#join-code-show")), "-", "")

	// The student page before joining, refused, and in class.
	phone := []chromedp.Action[chromedp.Void]{reducedMotion, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)}
	ivy := newTab(t, b, "Ivy", phone...)
	ivy.do("open the student page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	ivy.axe("join")
	ivy.typeIn("#join-code", "ZZZZZZ")
	ivy.typeIn("#join-name", "Ivy")
	ivy.click("#join-submit")
	ivy.until("the refusal", `document.querySelector("#join-error").textContent !== ""`)
	ivy.axe("join refused")
	ivy.set("#join-code", code)
	ivy.click("#join-submit")
	ivy.until("the class page, the focus on its title", `document.querySelector("#status").dataset.state === "connected" && `+focused("#class-title"))
	ivy.axe("in class")
	// A class opened with a roster: pick a name, then a picture.
	rosterJoinScreens(t, b, s, teacher.str(`JSON.parse(localStorage.getItem("classhub.teacher")).token`), phone...)
	jon := join(t, b, s, code, "Jon", phone...)
	kai := join(t, b, s, code, "Kai", reducedMotion, chromedp.EmulateViewport(1366, 768))
	teacher.until("three students online", `document.querySelectorAll("#roster .dot.on").length === 3`)
	teacher.axe("live, three students")

	// The tabs: one tab stop; the arrow keys, Home and End move between
	// them and show each one's panel.
	teacher.do("focus the tabs", chromedp.Focus(chromedp.CSS("#tab-glance")))
	var stops int
	teacher.eval(`[...document.querySelectorAll("[role=tab]")].filter((b) => b.tabIndex === 0).length`, &stops)
	if stops != 1 {
		teacher.fail("the tabs have %d tab stops, want 1", stops)
	}
	teacher.key(kb.ArrowRight)
	teacher.until("the roster tab, focused and shown", focused("#tab-roster")+` && `+isVisible("#panel-roster")+` && document.querySelector("#tab-roster").getAttribute("aria-selected") === "true" && document.querySelector("#panel-glance").hidden`)
	teacher.key(kb.End)
	teacher.until("the last tab", focused("#tab-practice")+` && `+isVisible("#panel-practice"))
	teacher.key(kb.ArrowRight)
	teacher.until("round to the first tab", focused("#tab-glance")+` && `+isVisible("#panel-glance"))
	teacher.key(kb.ArrowLeft)
	teacher.until("round to the last tab", focused("#tab-practice"))
	teacher.key(kb.Home)
	teacher.until("the first tab", focused("#tab-glance")+` && `+isVisible("#panel-glance"))

	// Every tab, with what it shows in a class.
	teacher.click("#tab-stations")
	teacher.addStations("Reading corner", "Laptops")
	teacher.axe("stations")
	teacher.click("#tab-grouping")
	teacher.set("#grouping-method", "random")
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	teacher.until("a proposal", isVisible("#proposal"))
	teacher.axe("grouping, a proposal")
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)
	teacher.click("#tab-groups")
	teacher.until("the coaches", isVisible("#coach-box"))
	teacher.click("#coach-box summary")
	teacher.axe("groups")
	teacher.click("#tab-rotation")
	teacher.until("the plan's stations", `document.querySelectorAll("#rotation-stations input:checked").length === 2`)
	teacher.axe("rotation, a plan")
	teacher.set("#rotation-legs", "5, 5")
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live"))
	teacher.axe("rotation, running")
	teacher.click("#tab-messages")
	teacher.typeIn("#announce-text", "Ten minutes left.")
	teacher.click("#announce-submit")
	teacher.until("the announcement sent", `document.querySelectorAll("#sent li").length === 1`)
	teacher.axe("messages")
	// An announcement reaches a student's live region without moving the
	// focus from what she is typing.
	ivy.do("start typing a note", chromedp.Focus(chromedp.CSS("#hand-note")))
	teacher.typeIn("#announce-text", "Tidy up soon.")
	teacher.click("#announce-submit")
	ivy.until("the announcement in a live region, the focus kept", `[...document.querySelectorAll("[aria-live] li")].some((li) => li.textContent.includes("Tidy up soon.")) && `+focused("#hand-note"))
	teacher.click("#tab-workspaces")
	teacher.axe("workspaces")
	teacher.click("#tab-roster")
	teacher.axe("roster")

	// Practice: every set's button says which set it assigns.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.axe("practice")
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	teacher.until("the set given", `document.querySelector("#practice-status").textContent.includes("3 students")`)
	teacher.axe("practice, given")
	for _, st := range []*tab{ivy, jon, kai} {
		st.until("the practice", isVisible("#practice-box")+` && `+practiceItem)
	}
	ivy.axe("practice, a problem")

	// An answer leaves the focus on what comes next: after a right one,
	// the button to the next problem; on the next problem, its answer.
	it := currentItem(ivy, bank)
	answer(ivy, it, true)
	ivy.until("the focus on the next button", focused("#practice-other .next-btn"))
	ivy.axe("practice, right")
	ivy.key(kb.Enter)
	ivy.until("the next problem, focused", fmt.Sprintf(`%s && %s.dataset.item !== %q && document.querySelector("#practice-item").contains(document.activeElement)`, practiceItem, practiceItem, it.ID))
	ivy.axe("practice, the next problem")
	// A wrong answer: the explanation and a similar problem, the focus on
	// its answer.
	it = currentItem(jon, bank)
	answer(jon, it, false)
	jon.until("the explanation and a similar problem", fmt.Sprintf(`document.querySelector("#practice-feedback").dataset.result === "wrong" && %s.dataset.item !== %q && document.querySelector("#practice-item").contains(document.activeElement)`, practiceItem, it.ID))
	jon.axe("practice, wrong")
	// Hints: the focus stays on the button while there are more.
	it = currentItem(jon, bank)
	jon.do("focus the hint button", chromedp.Focus(chromedp.CSS("#practice-item .hint-btn")))
	jon.key(kb.Enter)
	kept := `document.querySelector("#practice-item").contains(document.activeElement)`
	if len(it.Hints) > 1 {
		kept = focused("#practice-item .hint-btn")
	}
	jon.until("a hint, the focus kept", `document.querySelectorAll("#practice-item .hints li").length === 1 && `+kept)
	jon.axe("practice, a hint")

	// The help queue: a hand raised reaches the console without taking the
	// teacher's focus, and is announced.
	teacher.do("focus a tab", chromedp.Focus(chromedp.CSS("#tab-practice")))
	kai.typeIn("#hand-note", "What does equivalent mean?")
	kai.click("#raise-hand")
	kai.until("the hand up, the focus on lowering it", isVisible("#lower-hand")+` && `+focused("#lower-hand"))
	kai.axe("hand up")
	teacher.until("Kai in the help queue, announced", `[...document.querySelectorAll("#help-queue li.flag")].some((li) => li.textContent.includes("Kai")) && document.querySelector("#help-announce").textContent.includes("Kai")`)
	teacher.until("the focus where it was", focused("#tab-practice"))
	teacher.click("#tab-glance")
	teacher.axe("class at a glance, a hand up")
	kai.click("#lower-hand")
	kai.until("the hand down, the focus on raising it", isVisible("#raise-hand")+` && `+focused("#raise-hand"))

	// The code full screen keeps the focus while it is open and gives it
	// back to its button when it closes.
	teacher.do("focus the button", chromedp.Focus(chromedp.CSS("#fullscreen-code")))
	teacher.key(kb.Enter)
	teacher.until("the code full screen, focused", isVisible("#code-overlay")+` && document.querySelector("#code-overlay").contains(document.activeElement)`)
	teacher.axe("code full screen")
	teacher.key(kb.Tab)
	teacher.until("the focus kept in the overlay", `document.querySelector("#code-overlay").contains(document.activeElement)`)
	teacher.key(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	teacher.until("the focus kept in the overlay", `document.querySelector("#code-overlay").contains(document.activeElement)`)
	teacher.key(kb.Escape)
	teacher.until("closed, the focus back", `document.querySelector("#code-overlay").hidden && `+focused("#fullscreen-code"))

	// A quick check, as a check.
	teacher.click("#tab-practice")
	teacher.set("#practice-to", teacher.optionValue("#practice-to", "Kai"))
	teacher.click(`#banks [data-assign="fractions-5/frac-check"]`)
	kai.until("the check", `document.querySelector("#practice-kind").textContent.includes("Hints and answers come when you hand it in") && `+practiceItem)
	kai.axe("a quick check")

	// A coach, invited.
	teacher.click("#tab-groups")
	teacher.typeIn("#coach-email", "diaz@school.example")
	teacher.typeIn("#coach-name", "Mr Diaz")
	teacher.click("#coach-invite")
	teacher.until("the invitation link", `!!document.querySelector("#coach-invite-link .invite-link")`)
	teacher.axe("groups, a coach invited")
	link := teacher.str(textOf("#coach-invite-link .invite-link"))
	coach := newTab(t, b, "coach", reducedMotion, chromedp.EmulateViewport(1366, 768))
	coach.do("follow the invitation", chromedp.Navigate(link))
	coach.until("the welcome", isVisible("#accept-password"))
	coach.axe("invitation")
	coach.typeIn("#accept-password", "correct horse battery")
	coach.typeIn("#accept-password2", "correct horse battery")
	coach.click("#accept-submit")
	coach.until("the list of classes", isVisible("#rooms"))
	coach.axe("classes")
	groupID := teacher.str(`document.querySelector("#group-list [data-group]:not([data-group=''])").dataset.group`)
	teacher.click("#tab-groups")
	pick := fmt.Sprintf(`select[data-coach-for=%q]`, groupID)
	teacher.until("the coach in the console", `!!document.querySelector(`+fmt.Sprintf("%q", pick)+`)`)
	teacher.set(pick, teacher.optionValue(pick, "Mr Diaz"))
	teacher.until("the assignment", fmt.Sprintf(`document.querySelector("#group-list [data-group='%s'] .coaches").textContent.includes("Mr Diaz")`, groupID))
	coach.waitForClass(s.url, "Year 5 fractions")
	coach.clickText("#room-list a", "Year 5 fractions")
	coach.until("the group", fmt.Sprintf(`!!document.querySelector("#groups [data-group='%s']")`, groupID))
	coach.axe("a class")
	other := newTab(t, b, "coach-signin", reducedMotion, chromedp.EmulateViewport(1366, 768))
	other.do("open the coach page", chromedp.Navigate(s.url+"/coach"))
	other.until("the sign-in", isVisible("#signin-email"))
	other.axe("sign-in")

	// The projector.
	token := teacher.str(`JSON.parse(localStorage.getItem("classhub.teacher")).token`)
	room := teacher.str(`new URLSearchParams(location.hash.slice(1)).get("class")`)
	var proj struct {
		Token string `json:"token"`
	}
	s.post("/api/v1/rooms/"+room+"/projector", token, struct{}{}, &proj)
	wall := newTab(t, b, "projector", reducedMotion, chromedp.EmulateViewport(1920, 1080))
	wall.do("open the projector", chromedp.Navigate(s.url+"/projector#token="+proj.Token+"&code="+code))
	wall.until("the class on the wall", isVisible("#wall")+` && document.querySelector("#wall-status").dataset.state === "connected" && document.querySelectorAll("#wall-tracks [data-track]").length === 2`)
	wall.axe("class")

	// Paused, everywhere. On a student's page the pause takes the focus,
	// the page under it is out of reach, and the focus goes back when the
	// class resumes.
	ivy.do("focus the note", chromedp.Focus(chromedp.CSS("#hand-note")))
	teacher.click("#pause-class")
	for _, st := range []*tab{ivy, jon} {
		st.until("the pause screen", isVisible("#pause-overlay"))
	}
	wall.until("the pause on the wall", isVisible("#wall-paused"))
	ivy.until("the focus on the pause, the page inert", focused("#pause-title")+` && document.querySelector("#class").inert`)
	ivy.axe("paused")
	wall.axe("paused")
	teacher.until("the console's paused state", isVisible("#resume-class")+` && `+focused("#resume-class"))
	teacher.axe("paused")
	teacher.click("#resume-class")
	teacher.until("running again, the focus on pausing", isVisible("#pause-class")+` && `+focused("#pause-class"))
	ivy.until("the pause screen gone, the focus back", `document.querySelector("#pause-overlay").hidden && !document.querySelector("#class").inert && `+focused("#hand-note"))

	// The class ends.
	teacher.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	teacher.click("#end-class")
	ivy.until("the end", isVisible("#ended"))
	ivy.axe("ended")
	wall.until("the end on the wall", isVisible("#wall-none"))
	wall.axe("ended")
	teacher.until("the class ended", textOf("#join-code-show")+` === "ended"`)
	teacher.axe("ended")
	t.Logf("the accessibility scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// rosterJoinScreens checks the student page of a class opened with a
// roster: the names to pick from once the code is typed, the pictures of
// the name picked, a wrong picture's refusal, and the class joined. The
// focus follows each step: the list's title, the pictures' title, the
// picture that was wrong, the class's title.
func rosterJoinScreens(t *testing.T, b context.Context, s *proc, token string, setup ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	var ros roster.Roster
	s.post("/api/v1/rosters", token, hub.RosterRequest{Name: "5N maths", Students: []roster.StudentInput{
		{GivenName: "Mia", FamilyName: "Walker"}, {GivenName: "Leo", FamilyName: "Green"}, {GivenName: "Sam", FamilyName: "Khan"}, {GivenName: "Sam", FamilyName: "Lewis"},
	}}, &ros)
	var room struct{ Code string }
	s.post("/api/v1/rooms", token, map[string]string{"title": "Year 5 roster class", "roster": string(ros.ID)}, &room)
	var mia, other roster.Student
	for _, st := range ros.Students {
		if st.GivenName == "Mia" {
			mia = st
		}
	}
	for _, st := range ros.Students {
		if st.Code != mia.Code {
			other = st
		}
	}

	tb := newTab(t, b, "Mia", setup...)
	tb.do("open the student page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	tb.typeIn("#join-code", room.Code)
	tb.until("the names to pick from, the focus on their title", isVisible("#pick-names")+` && document.querySelectorAll("#pick-names button").length === 4 && `+focused("#pick-title"))
	tb.axe("pick your name")
	tb.shot("pick-name")
	tb.click(fmt.Sprintf(`#pick-names [data-student=%q]`, mia.ID))
	tb.until("the pictures, the focus on their title", isVisible("#pick-words")+` && document.querySelectorAll("#pick-words button").length > 1 && `+focused("#pick-word-title"))
	tb.axe("pick your picture")
	tb.shot("pick-picture")
	tb.click(fmt.Sprintf(`#pick-words [data-word=%q]`, other.Code))
	tb.until("the refusal, the focus on the picture", `document.querySelector("#pick-error").textContent.includes("not Mia's picture") && `+focused(fmt.Sprintf(`#pick-words [data-word=%q]`, other.Code)))
	tb.axe("pick your picture, a wrong one")
	tb.shot("pick-wrong")
	tb.click(fmt.Sprintf(`#pick-words [data-word=%q]`, mia.Code))
	tb.until("the class page, the focus on its title", `document.querySelector("#status").dataset.state === "connected" && `+focused("#class-title"))
	tb.axe("in class, picked from the roster")
	tb.shot("picked")
}
