package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The sizes of the devices in a classroom.
var (
	phone      = [2]int64{390, 844}
	chromebook = [2]int64{1366, 768}
	wallSize   = [2]int64{1920, 1080}
)

// lesson keeps the screenshots of a whole lesson, numbered in the order
// they were taken, in CLASSHUB_SCREENSHOTS or else a temporary folder of
// the test, and checks every screen with axe-core as it goes.
type lesson struct {
	t   *testing.T
	dir string
	n   int
}

func newLesson(t *testing.T) *lesson {
	dir := os.Getenv("CLASSHUB_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &lesson{t: t, dir: dir}
}

// screen saves a screenshot of the whole page of tb, named after the
// person, the screen and the size of the device, and checks the screen.
func (l *lesson) screen(tb *tab, name string) {
	l.t.Helper()
	var size []int
	tb.eval(`[innerWidth, innerHeight]`, &size)
	l.n++
	file := filepath.Join(l.dir, fmt.Sprintf("%02d-%s-%s-%dx%d.png", l.n, strings.ToLower(tb.name), name, size[0], size[1]))
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	// The whole page, or the window when a cover over the window (the
	// pause, the code full screen) is what the person sees.
	var covered bool
	tb.eval(`[...document.querySelectorAll(".overlay, #code-overlay")].some((e) => !e.hidden && getComputedStyle(e).position === "fixed")`, &covered)
	shot := chromedp.FullScreenshot(100)
	if covered {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		tb.fail("screenshot of %s: %v", name, err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		l.t.Fatal(err)
	}
	tb.axe(name)
}

func sized(size [2]int64) []chromedp.Action[chromedp.Void] {
	if size[0] < 600 {
		return []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateMobile)}
	}
	return []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(size[0], size[1])}
}

// A whole lesson in real browsers, on the devices of a classroom: the
// teacher on a Chromebook signs in, opens a class and puts the projector
// on the wall; four students join on phones and Chromebooks; the teacher
// sets up stations, groups and a coach, starts a rotation and gives
// practice; students answer right and wrong, take a hint, raise a hand and
// write in their group's notes; the coach follows their group and
// comments; the teacher announces, pauses, resumes and ends the class.
// Every screen is saved as a screenshot and passes axe-core.
func TestBrowserLesson(t *testing.T) {
	began := time.Now()
	l := newLesson(t)
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "hughes@school.example", "Ms Hughes")

	// The teacher signs in and opens the class.
	teacher := newTab(t, b, "teacher", sized(chromebook)...)
	teacher.do("open the console", chromedp.Navigate(s.url+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	l.screen(teacher, "sign-in")
	teacher.typeIn("#signin-email", "hughes@school.example")
	teacher.typeIn("#signin-password", "correct horse battery")
	teacher.click("#signin-submit")
	teacher.until("the list of classes", isVisible("#new-class-title"))
	teacher.typeIn("#new-class-title", "Year 5 fractions")
	teacher.click("#new-class-submit")
	teacher.until("the live class", `document.querySelector("#live-status").dataset.state === "connected"`)
	code := strings.ReplaceAll(teacher.str(textOf("#join-code-show")), "-", "")
	l.screen(teacher, "class-open")

	// The projector, opened from the console, on the wall.
	wall := openWall(t, teacher, "projector")
	wall.until("the projector page", `location.pathname === "/projector"`)
	wall.do("fill the wall", sized(wallSize)...)
	wall.until("the class on the wall", isVisible("#wall")+` && document.querySelector("#wall-status").dataset.state === "connected" && document.querySelector("#wall-qr").complete && document.querySelector("#wall-qr").naturalWidth > 0`)
	wall.until("the code on one line", oneLine("#wall-code"))
	l.screen(wall, "join")

	// Four students join, on phones and Chromebooks.
	type who struct {
		name string
		size [2]int64
	}
	class := []who{{"Ana", phone}, {"Ben", chromebook}, {"Cara", phone}, {"Dev", chromebook}}
	students := map[string]*tab{}
	for i, w := range class {
		st := newTab(t, b, w.name, sized(w.size)...)
		st.do("open the student page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
		if i == 0 {
			l.screen(st, "join")
		}
		st.typeIn("#join-code", code)
		st.typeIn("#join-name", w.name)
		st.click("#join-submit")
		st.until("the class page", `document.querySelector("#status").dataset.state === "connected"`)
		students[w.name] = st
	}
	ana, ben, cara, dev := students["Ana"], students["Ben"], students["Cara"], students["Dev"]
	l.screen(ana, "joined")
	teacher.until("four students online", `document.querySelectorAll("#roster .dot.on").length === 4`)
	l.screen(teacher, "glance")

	// Stations: the teacher's table, laptops for practice, a project.
	teacher.click("#tab-stations")
	for _, st := range []struct{ name, kind string }{{"My table", "teacher_led"}, {"Laptops", "online"}, {"Poster project", "collab"}} {
		teacher.typeIn("#station-name", st.name)
		teacher.set("#station-kind", st.kind)
		teacher.click("#station-save")
		teacher.until("the station", fmt.Sprintf(`[...document.querySelectorAll("#station-list h3")].some((h) => h.textContent === %q)`, st.name))
	}
	l.screen(teacher, "stations")

	// Groups: two, proposed and applied.
	teacher.click("#tab-grouping")
	teacher.set("#grouping-method", "random")
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	teacher.until("a proposal", isVisible("#proposal")+` && document.querySelectorAll("#proposal-groups [data-proposed]:not([data-proposed='-1'])").length === 2`)
	l.screen(teacher, "grouping")
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)
	for _, st := range students {
		st.until("their group", `document.querySelector("#my-group-name").textContent !== "No group yet"`)
	}
	anaGroup := ana.str(textOf("#my-group-name"))
	mate := ""
	for _, w := range class[1:] {
		if students[w.name].str(textOf("#my-group-name")) == anaGroup {
			mate = w.name
		}
	}
	if mate == "" {
		ana.fail("Ana is alone in %s", anaGroup)
	}

	// A coach for Ana's group.
	teacher.click("#tab-groups")
	teacher.until("the coaches", isVisible("#coach-box"))
	teacher.click("#coach-box summary")
	teacher.typeIn("#coach-email", "reyes@school.example")
	teacher.typeIn("#coach-name", "Mr Reyes")
	teacher.click("#coach-invite")
	teacher.until("the invitation link", `!!document.querySelector("#coach-invite-link .invite-link")`)
	link := teacher.str(textOf("#coach-invite-link .invite-link"))
	coach := newTab(t, b, "coach", sized(chromebook)...)
	coach.do("follow the invitation", chromedp.Navigate(link))
	coach.until("the welcome", isVisible("#accept-password"))
	l.screen(coach, "invitation")
	coach.typeIn("#accept-password", "correct horse battery")
	coach.typeIn("#accept-password2", "correct horse battery")
	coach.click("#accept-submit")
	coach.until("the list of classes", isVisible("#rooms"))
	anaID := teacher.str(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === "Ana").dataset.student`)
	groupID := teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#group-list [data-group]")].find((g) => g.querySelector("[data-student='%s']")).dataset.group`, anaID))
	teacher.click("#tab-groups")
	pick := fmt.Sprintf(`select[data-coach-for=%q]`, groupID)
	teacher.until("the coach in the console", fmt.Sprintf(`!!document.querySelector(%q)`, pick))
	teacher.set(pick, teacher.optionValue(pick, "Mr Reyes"))
	teacher.until("the assignment", fmt.Sprintf(`document.querySelector("#group-list [data-group='%s'] .coaches").textContent.includes("Mr Reyes")`, groupID))
	l.screen(teacher, "groups")
	coach.waitForClass(s.url, "Year 5 fractions")
	l.screen(coach, "classes")
	coach.clickText("#room-list a", "Year 5 fractions")
	coach.until("the group", fmt.Sprintf(`!!document.querySelector("#groups [data-group='%s']")`, groupID))

	// The rotation: two-minute legs through the three stations.
	teacher.click("#tab-rotation")
	teacher.until("the plan's stations", `document.querySelectorAll("#rotation-stations input:checked").length === 3`)
	teacher.set("#rotation-legs", "2, 2, 2")
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live")+` && document.querySelectorAll("#rotation-tracks tr[data-track]").length === 2`)
	l.screen(teacher, "rotation")
	wall.until("the rotation on the wall", `document.querySelectorAll("#wall-tracks [data-track]").length === 2`)
	teacher.set("#projector-names", "first")
	wall.until("first names on the wall", `document.querySelector("#wall-tracks").textContent.includes("Ana")`)
	l.screen(wall, "rotation")
	for _, st := range students {
		st.until("their station and countdown", `document.querySelector("#my-station-name").textContent !== "—" && /^\d:\d\d$/.test(document.querySelector("#countdown").textContent)`)
	}
	l.screen(ben, "station")

	// Practice for everyone.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	teacher.until("the set given", `document.querySelector("#practice-status").textContent.includes("4 students")`)
	l.screen(teacher, "practice")
	for _, st := range students {
		st.until("the practice", isVisible("#practice-box")+` && `+practiceItem)
	}
	l.screen(cara, "problem")
	answer(ana, currentItem(ana, bank), true)
	ana.until("right", `document.querySelector("#practice-feedback").dataset.result === "right"`)
	l.screen(ana, "right")
	it := currentItem(cara, bank)
	answer(cara, it, false)
	cara.until("the explanation and a similar problem", fmt.Sprintf(`document.querySelector("#practice-feedback").dataset.result === "wrong" && %s.dataset.item !== %q`, practiceItem, it.ID))
	l.screen(cara, "wrong")
	dev.click("#practice-item .hint-btn")
	dev.until("a hint", `document.querySelectorAll("#practice-item .hints li").length === 1`)
	l.screen(dev, "hint")

	// Ana raises her hand with a question; the teacher and her coach see it.
	ana.typeIn("#hand-note", "Is 2/4 the same as 1/2?")
	ana.click("#raise-hand")
	teacher.click("#tab-glance")
	teacher.until("Ana in the help queue", `[...document.querySelectorAll("#help-queue li.flag")].some((li) => li.textContent.includes("Ana"))`)
	l.screen(teacher, "help-queue")
	coach.until("Ana in the coach's queue", `[...document.querySelectorAll("#coach-flags li.flag")].some((li) => li.textContent.includes("Ana"))`)
	l.screen(ana, "hand-up")

	// Ana and her group mate write in their notes; the coach comments.
	ana.until("the workspace", isVisible("#ws-notes"))
	ana.do("write", chromedp.Focus(chromedp.CSS("#ws-notes")), chromedp.KeyEvent("Poster: halves, quarters, eighths"))
	students[mate].until("the notes", `document.querySelector("#ws-notes").value === "Poster: halves, quarters, eighths"`)
	coach.until("the notes", fmt.Sprintf(`[...document.querySelectorAll("#groups [data-group='%s'] textarea")].some((ta) => ta.value === "Poster: halves, quarters, eighths")`, groupID))
	comment := fmt.Sprintf(`#ws-%s-comment-text`, groupID)
	coach.typeIn(comment, "Good start: add a picture for each.")
	coach.click(fmt.Sprintf(`#ws-%s-comment-send`, groupID))
	ana.until("the comment", `document.querySelector("#ws-comments").textContent.includes("add a picture")`)
	l.screen(coach, "group")
	l.screen(students[mate], "workspace")

	// An announcement, a pause and the end.
	teacher.click("#tab-messages")
	teacher.typeIn("#announce-text", "Five minutes, then we tidy up.")
	teacher.click("#announce-submit")
	for _, st := range students {
		st.until("the announcement", `document.querySelector("#announcements").textContent.includes("Five minutes")`)
	}
	l.screen(teacher, "messages")
	teacher.click("#pause-class")
	for _, st := range students {
		st.until("the pause screen", isVisible("#pause-overlay"))
	}
	wall.until("the pause on the wall", isVisible("#wall-paused"))
	l.screen(dev, "paused")
	l.screen(wall, "paused")
	teacher.click("#resume-class")
	for _, st := range students {
		st.until("the pause gone", `document.querySelector("#pause-overlay").hidden`)
	}
	teacher.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	teacher.click("#end-class")
	for _, st := range students {
		st.until("the end", isVisible("#ended"))
	}
	wall.until("the end on the wall", isVisible("#wall-none"))
	teacher.until("the class ended, with no code to join", textOf("#class-state")+` === "Class ended" && !`+isVisible("#join-code-show"))
	l.screen(cara, "ended")
	l.screen(wall, "ended")
	l.screen(teacher, "ended")
	t.Logf("the lesson took %s; %d screenshots in %s", time.Since(began).Round(100*time.Millisecond), l.n, l.dir)
}
