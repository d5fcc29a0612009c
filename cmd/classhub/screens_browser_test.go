package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fitsWindow finds what a person would see broken on the page as it is
// now: a page wider than the window (it scrolls sideways), a control
// (button, link, field) outside the window or with its label cut off,
// two controls on top of one another, and text cut off in an element
// that hides what overflows. Elements hidden, of no size, or in a part
// meant to scroll sideways (a wide table in its own scroller) are left
// out: that scrolling is chosen, not broken.
const fitsWindow = `(() => {
	const out = [];
	const W = document.documentElement.clientWidth;
	const name = (e) => e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") + " «" + (e.textContent || e.value || "").trim().slice(0, 30) + "»";
	// Shown: laid out, not hidden, not only for screen readers (sr-only
	// clips to a pixel), not inside a closed details but its summary.
	const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden" && !e.closest("[hidden], .sr-only") &&
		!(e.closest("details:not([open])") && !e.closest("summary"));
	const scroller = (e) => {
		for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
			const ox = getComputedStyle(p).overflowX;
			if (ox === "auto" || ox === "scroll") return true;
		}
		return false;
	};
	if (document.documentElement.scrollWidth > W + 1) {
		// Name the outermost elements that reach past the window.
		// A thing positioned absolutely escapes the scroller it sits in
		// unless that scroller is positioned: it counts too.
		const wide = [...document.querySelectorAll("body *")].filter((e) => e.getClientRects().length > 0 && !e.closest("[hidden]") &&
			(!scroller(e) || getComputedStyle(e).position === "absolute") && e.getBoundingClientRect().right > W + 1);
		const outer = wide.filter((e) => !wide.includes(e.parentElement)).slice(0, 5).map(name);
		const inner = wide.filter((e) => !wide.some((x) => x !== e && e.contains(x))).slice(0, 5).map(name);
		out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + "px in a window of " + W + "px; past the window: " + outer.join(", ") + "; innermost: " + inner.join(", "));
	}
	const controls = [...document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, summary")].filter((e) => shown(e) && !scroller(e));
	for (const e of controls) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) continue;
		if (r.left < -1 || r.right > W + 1) out.push(name(e) + " is outside the window (" + Math.round(r.left) + " to " + Math.round(r.right) + " of " + W + ")");
		if (e.tagName === "BUTTON" && e.scrollWidth > e.clientWidth + 1 && !(getComputedStyle(e).textOverflow === "ellipsis" && e.title)) out.push(name(e) + " has its label cut off");
	}
	const boxes = controls.filter((e) => getComputedStyle(e).position !== "fixed").map((e) => [e, e.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
	for (let i = 0; i < boxes.length; i++) {
		for (let j = i + 1; j < boxes.length; j++) {
			const [a, ra] = boxes[i], [b, rb] = boxes[j];
			if (a.contains(b) || b.contains(a) || (a.labels && [...a.labels].some((l) => l.contains(b))) || (b.labels && [...b.labels].some((l) => l.contains(a)))) continue;
			const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
			const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
			if (x > 2 && y > 2) out.push(name(a) + " and " + name(b) + " overlap");
		}
	}
	for (const e of document.querySelectorAll("body *")) {
		if (!shown(e) || scroller(e) || e.matches("input, textarea, select, img, svg, svg *")) continue;
		const cs = getComputedStyle(e);
		if ((cs.overflowX === "hidden" || cs.overflowX === "clip") && !(cs.textOverflow === "ellipsis" && (e.title || e.closest("[title]"))) && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) out.push(name(e) + " cuts off its text (" + e.scrollWidth + "px in " + e.clientWidth + "px)");
	}
	return out;
})()`

// screens keeps screenshots in CLASSHUB_SCREENSHOTS or else a folder of
// the test, for a person to look at.
type screens struct {
	t   *testing.T
	dir string
}

// look saves a screenshot of the page as it is, checks it with axe-core
// and fails the test for anything fitsWindow finds.
func (sc *screens) look(tb *tab, size string, name string) {
	sc.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.fail("screenshot of %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(sc.dir, fmt.Sprintf("%s-%s-%s.png", tb.name, size, name)), png, 0o644); err != nil {
		sc.t.Fatal(err)
	}
	var broken []string
	tb.eval(fitsWindow, &broken)
	for _, b := range broken {
		sc.t.Errorf("%s at %s, %s: %s", tb.name, size, name, b)
	}
	tb.axe(size + ", " + name)
}

// The console, the student page and the projector, at a phone's size and
// at a desktop's (a wall's for the projector), in a class with long names
// in it, then the class's report and the rosters page at both sizes: every screen passes axe-core and nothing on it is cut off, off
// the window, or on top of something else. The screenshots are kept for a
// person to look at (CLASSHUB_SCREENSHOTS names where).
func TestBrowserScreensFit(t *testing.T) {
	began := time.Now()
	dir := os.Getenv("CLASSHUB_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sc := &screens{t: t, dir: dir}
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "featherstonehaugh@school.example", "Ms Featherstonehaugh-Montgomery")
	teacher, code := openClass(t, b, s, "featherstonehaugh@school.example", "Year 5 fractions and decimals, Tuesday afternoon double lesson")
	long := join(t, b, s, code, "Maximiliana-Josephine")
	join(t, b, s, code, "Bo")
	join(t, b, s, code, "Christopher")
	teacher.until("three students online", `document.querySelectorAll("#roster .dot.on").length === 3`)

	teacher.click("#tab-stations")
	teacher.addStations("Teacher's table by the window", "Laptops")
	teacher.click("#tab-grouping")
	teacher.set("#grouping-method", "random")
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	teacher.until("a proposal", isVisible("#proposal"))
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)
	teacher.click("#tab-rotation")
	teacher.until("the plan's stations", `document.querySelectorAll("#rotation-stations input:checked").length === 2`)
	teacher.set("#rotation-legs", "10, 10")
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live"))
	teacher.click("#tab-messages")
	teacher.typeIn("#announce-text", "When you finish, compare your answers with your partner and write down one question.")
	teacher.click("#announce-submit")
	teacher.until("the announcement sent", `document.querySelectorAll("#sent li").length === 1`)
	long.typeIn("#hand-note", "I do not understand why three quarters is bigger than two thirds")
	long.click("#raise-hand")
	teacher.click("#tab-glance")
	teacher.until("the hand in the help queue", `document.querySelectorAll("#help-queue li.flag").length === 1`)

	wall := openWall(t, teacher, "projector")
	wall.until("the projector page", `location.pathname === "/projector"`)

	for _, size := range []struct {
		name       string
		page, wall [2]int64
	}{
		{"phone", phone, phone},
		{"desktop", chromebook, wallSize},
	} {
		teacher.do("resize", sized(size.page)...)
		long.do("resize", sized(size.page)...)
		wall.do("resize", sized(size.wall)...)
		for _, tabID := range []string{"glance", "roster", "stations", "grouping", "groups", "rotation", "messages", "workspaces", "practice"} {
			teacher.click("#tab-" + tabID)
			teacher.until("the "+tabID+" tab", isVisible("#panel-"+tabID))
			if tabID == "practice" {
				teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign]")`)
			}
			sc.look(teacher, size.name, tabID)
		}
		long.until("the class, the rotation and the hand", `document.querySelector("#status").dataset.state === "connected" && `+isVisible("#lower-hand"))
		sc.look(long, size.name, "class")
		wall.until("the rotation on the wall", `document.querySelector("#wall-status").dataset.state === "connected" && document.querySelectorAll("#wall-tracks [data-track]").length === 2`)
		sc.look(wall, size.name, "rotation")
	}

	// The projector's join screen (no rotation), at both sizes.
	teacher.click("#tab-rotation")
	teacher.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	teacher.until("the button to end the rotation", isVisible("#rotation-end"))
	teacher.click("#rotation-end")
	for _, size := range [][2]int64{phone, wallSize} {
		wall.do("resize", sized(size)...)
		wall.until("the join screen", `document.body.dataset.mode === "join" && document.querySelector("#wall-qr").complete && document.querySelector("#wall-qr").naturalWidth > 0`)
		sc.look(wall, map[bool]string{true: "phone", false: "desktop"}[size == phone], "join")
	}
	// The class ends; its report and the rosters page, at both sizes.
	teacher.click("#end-class")
	teacher.until("the class ended", textOf("#join-code-show")+` === "ended"`)
	room := teacher.str(`new URLSearchParams(location.hash.slice(1)).get("class")`)
	for _, size := range []struct {
		name string
		page [2]int64
	}{{"phone", phone}, {"desktop", chromebook}} {
		teacher.do("resize", sized(size.page)...)
		teacher.do("open the report", chromedp.Navigate(s.url+"/report?room="+room))
		teacher.until("the report", textOf("#report-title")+`.includes("Year 5 fractions") && `+isVisible("#report-when"))
		sc.look(teacher, size.name, "report")
		teacher.do("open the rosters", chromedp.Navigate(s.url+"/rosters"))
		teacher.until("the rosters page", isVisible("#new-form"))
		sc.look(teacher, size.name, "rosters")
	}
	t.Logf("the screens took %s; screenshots in %s", time.Since(began).Round(100*time.Millisecond), dir)
}
