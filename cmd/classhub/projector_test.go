package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// frames records the WebSocket frames a tab receives, as the browser's
// network log shows them.
type frames struct {
	mu   sync.Mutex
	list []string
}

func (f *frames) listen(ev any) {
	if e, ok := ev.(*network.EventWebSocketFrameReceived); ok && e.Response != nil {
		f.mu.Lock()
		f.list = append(f.list, string(e.Response.PayloadData))
		f.mu.Unlock()
	}
}

func (f *frames) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list)
}

// openWall clicks the console's projector button and follows the window
// it opens, as a tab of the test. The window is blank until the console
// has the projector's token; the console's request for it is held until
// the test is attached to the window. Attaching to a page that is
// changing races inside the browser driver (its event goroutine reads
// the frame's nodes while the attach walks them), so the test attaches
// while nothing changes there.
func openWall(t *testing.T, teacher *tab, name string) *tab {
	t.Helper()
	held := make(chan fetch.RequestID, 1)
	if err := chromedp.Listen(teacher.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case held <- e.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatalf("%s: listen: %v", teacher.name, err)
	}
	teacher.do("hold the projector's token", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/projector", RequestStage: fetch.RequestStageRequest}}})
		return err
	}))
	opened := chromedp.WaitNewTarget(teacher.ctx, func(*target.Info) bool { return true })
	teacher.click("#projector-open")
	var id target.ID
	select {
	case id = <-opened:
	case <-time.After(20 * time.Second):
		teacher.fail("no projector window opened")
	}
	ctx, cancel := chromedp.NewContext(teacher.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	wall := &tab{t: t, name: name, ctx: ctx}
	if err := chromedp.Listen(ctx, wall.listen); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	// The wall's page is loaded once its frame has gone to the projector
	// and fired its load event; the test's scripts run there, not in the
	// blank page it leaves. The driver calls a listener from the tab's
	// one event goroutine, so its state needs no lock.
	there, done := false, false
	loaded := make(chan struct{})
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventFrameNavigated:
			there = there || e.Frame.ParentID == "" && strings.Contains(e.Frame.URL, "/projector")
		case *page.EventLoadEventFired:
			if there && !done {
				done = true
				close(loaded)
			}
		}
	}); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	var req fetch.RequestID
	select {
	case req = <-held:
	case <-time.After(20 * time.Second):
		teacher.fail("the console asked for no projector token")
	}
	teacher.do("let the token through", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: req}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, fetch.Disable, cdp.Empty{})
		return err
	}))
	select {
	case <-loaded:
	case <-time.After(20 * time.Second):
		wall.fail("the projector's page did not load")
	}
	return wall
}

// oneLine is true when the text of the element sel is on one line and
// inside the window.
func oneLine(sel string) string {
	return fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const r = document.createRange();
		r.selectNodeContents(el);
		const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
		const box = el.getBoundingClientRect();
		return el.textContent.length > 0 && lines.size === 1 && box.left >= 0 && box.right <= innerWidth && el.scrollWidth <= el.clientWidth + 1;
	})()`, sel)
}

// What a projector may be sent: the welcome's projector view and the
// events for everyone. Anything about one student is not among them.
var projectorView = []string{"room", "title", "status", "online", "announcements", "stations", "groups", "rotation", "paused", "activities"}
var personalEvents = []string{"student_joined", "presence", "hand", "level", "choice", "placement", "group", "proposal", "workspace",
	"item", "attempt", "hint", "offer", "flag", "help_sent", "thresholds", "late_rule"}

// The projector: a teacher opens it from the console for a class where a
// student has raised a hand with a note, another has answered wrong, and
// groups rotate through stations. The wall shows the join code on one
// line at 1366 and 1920 pixels wide, the join link and its QR code (which
// opens the student page with the code filled in), the countdowns of the
// rotation from the server's clock, the groups at their stations with no
// names, then first names when the teacher chooses — and never a flag, a
// note, an answer, a mastery or a full name, on the page or in any frame
// it receives. The console's "code full screen" is on one line too and
// closes with Escape.
func TestBrowserProjector(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "rossi@school.example", "Ms Rossi")
	teacher, code := openClass(t, b, s, "rossi@school.example", "Year 4 maths")
	names := []string{"Ben Okafor", "Ana Lima", "Cara Diaz", "Ana Moreno"}
	students := map[string]*tab{}
	for _, n := range names {
		students[n] = join(t, b, s, code, n)
	}
	teacher.until("four students online", `document.querySelectorAll("#roster .dot.on").length === 4`)

	// Ben asks for help, with a note; Ana Lima answers a problem wrong.
	note := "stuck on question 3b"
	ben := students["Ben Okafor"]
	ben.typeIn("#hand-note", note)
	ben.click("#raise-hand")
	teacher.until("Ben in the help queue", `[...document.querySelectorAll("#help-queue li.flag")].some((li) => li.textContent.includes("Ben Okafor"))`)
	anaID := teacher.str(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === "Ana Lima").dataset.student`)
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "student:"+anaID)
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	ana := students["Ana Lima"]
	wrong := answer(ana, currentItem(ana, bank), false)

	// Two stations, two groups, and a rotation of one-minute legs.
	teacher.click("#tab-stations")
	teacher.addStations("Reading corner", "Laptops")
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
	teacher.set("#rotation-legs", "1, 1")
	teacher.set("#rotation-warn", "0")
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live"))

	// The teacher opens the projector, with no names (the default).
	if got := teacher.str(`document.querySelector("#projector-names").value`); got != "none" {
		teacher.fail("names on the projector are %q by default, want none", got)
	}
	wall := openWall(t, teacher, "projector")
	wall.until("the projector page", `location.pathname === "/projector" && `+isVisible("#wall"))
	if h := wall.str(`location.href`); strings.Contains(h, "token") {
		wall.fail("the address bar still shows the token: %s", h)
	}
	// Every frame from here on is recorded: the page is loaded again (the
	// token is kept for the tab) with the network log on.
	var got frames
	if err := chromedp.Listen(wall.ctx, got.listen); err != nil {
		t.Fatal(err)
	}
	wall.do("record the network and reload",
		chromedp.EmulateViewport(1366, 768),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
			return err
		}),
		chromedp.Reload())
	wall.until("the class on the wall", isVisible("#wall")+` && document.querySelector("#wall-status").dataset.state === "connected"`)

	// How to join: the code on one line, the link, its QR code.
	pretty := code[:3] + "-" + code[3:]
	if got := wall.str(textOf("#wall-code")); got != pretty {
		wall.fail("the wall shows the code %q, want %q", got, pretty)
	}
	host := strings.TrimPrefix(s.url, "http://")
	if got := wall.str(textOf("#wall-url")); got != host {
		wall.fail("the wall says to go to %q, want %q", got, host)
	}
	wall.until("the QR code drawn", `document.querySelector("#wall-qr").complete && document.querySelector("#wall-qr").naturalWidth > 0`)
	src, err := url.Parse(wall.str(`document.querySelector("#wall-qr").src`))
	if err != nil {
		t.Fatal(err)
	}
	link := src.Query().Get("text")
	if want := s.url + "/?code=" + code; link != want {
		wall.fail("the QR code is of %q, want %q", link, want)
	}

	// The rotation: each group at its station, counting down.
	wall.until("two groups counting down", `document.querySelectorAll("#wall-tracks [data-track]").length === 2 && [...document.querySelectorAll("#wall-tracks .wall-countdown")].every((c) => /^[01]:\d\d$/.test(c.textContent))`)
	for _, st := range []string{"Reading corner", "Laptops"} {
		wall.until("the station "+st, fmt.Sprintf(`[...document.querySelectorAll("#wall-tracks .wall-station")].some((p) => p.textContent === %q)`, st))
	}
	for _, size := range [][2]int64{{1366, 768}, {1920, 1080}} {
		wall.do("resize", chromedp.EmulateViewport(size[0], size[1]))
		wall.until(fmt.Sprintf("the code on one line at %d wide", size[0]), oneLine("#wall-code"))
		wall.shot(fmt.Sprintf("%dx%d", size[0], size[1]))
	}

	// Nothing of one student reaches the wall: no name (the teacher chose
	// none), no note, no flag, no answer, no mastery.
	private := func(firstNames bool) {
		t.Helper()
		text := wall.str(`document.body.innerText + " " + document.body.textContent + " " + document.title`)
		var words []string
		for _, n := range names {
			first, last, _ := strings.Cut(n, " ")
			words = append(words, last)
			if !firstNames {
				words = append(words, first)
			}
		}
		words = append(words, note, "Asked for help", "help", "flag", "Struggling", "mastery", "%", "right", "wrong", "score")
		if len(wrong) > 2 {
			words = append(words, wrong)
		}
		for _, w := range words {
			if strings.Contains(text, w) {
				wall.fail("the wall shows %q:\n%s", w, text)
			}
		}
		fs := got.all()
		if len(fs) == 0 {
			wall.fail("the network log recorded no frame")
		}
		for _, f := range fs {
			for _, n := range names {
				first, last, _ := strings.Cut(n, " ")
				if strings.Contains(f, first) || strings.Contains(f, last) {
					wall.fail("a frame to the projector names %s: %s", n, f)
				}
			}
			if strings.Contains(f, note) {
				wall.fail("a frame to the projector has Ben's note: %s", f)
			}
			var fr struct {
				Type  string          `json:"type"`
				Event string          `json:"event"`
				Data  json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal([]byte(f), &fr); err != nil {
				wall.fail("a frame that is not JSON: %s", f)
			}
			if slices.Contains(personalEvents, fr.Event) {
				wall.fail("the projector received a %s event: %s", fr.Event, f)
			}
			if fr.Type == "welcome" {
				var w struct {
					Role     string                     `json:"role"`
					Snapshot map[string]json.RawMessage `json:"snapshot"`
				}
				_ = json.Unmarshal(fr.Data, &w)
				if w.Role != "projector" {
					wall.fail("the projector was welcomed as %q", w.Role)
				}
				for k := range w.Snapshot {
					if !slices.Contains(projectorView, k) {
						wall.fail("the projector's snapshot has %q: %s", k, f)
					}
				}
			}
		}
	}
	private(false)
	if !slices.ContainsFunc(got.all(), func(f string) bool { return strings.Contains(f, `"type":"welcome"`) }) {
		wall.fail("the network log has no welcome: %v", got.all())
	}

	// First names, when the teacher chooses them: under each group, and
	// "Ana L." and "Ana M." told apart.
	teacher.set("#projector-names", "first")
	wall.until("first names on the wall", `(() => { const t = document.querySelector("#wall-tracks").textContent; return ["Ben", "Cara", "Ana L.", "Ana M."].every((n) => t.includes(n)); })()`)
	private(true)
	wall.shot("first-names")
	teacher.set("#projector-names", "none")
	wall.until("the names gone", `!document.querySelector("#wall-tracks").textContent.includes("Ben")`)

	// The class pauses: so does the wall.
	teacher.click("#pause-class")
	wall.until("the pause on the wall", isVisible("#wall-paused"))
	teacher.click("#resume-class")
	wall.until("the pause gone", `document.querySelector("#wall-paused").hidden`)

	// The QR code's link opens the student page with the code filled in.
	phone := newTab(t, b, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	phone.do("follow the join link", chromedp.Navigate(link))
	phone.until("the code filled in", fmt.Sprintf(`document.querySelector("#join-code").value === %q && document.activeElement === document.querySelector("#join-name") && location.search === ""`, code))
	phone.shot("join-link")

	// The console's code full screen: one line, the QR code, and Escape
	// closes it, back to the button.
	for _, size := range [][2]int64{{1366, 768}, {1920, 1080}} {
		teacher.do("resize", chromedp.EmulateViewport(size[0], size[1]))
		teacher.click("#fullscreen-code")
		teacher.until("the code full screen", isVisible("#code-overlay")+` && document.querySelector("#code-overlay-qr").complete && document.querySelector("#code-overlay-qr").naturalWidth > 0`)
		teacher.until(fmt.Sprintf("the code on one line at %d wide", size[0]), oneLine("#code-overlay-text"))
		if got := teacher.str(textOf("#code-overlay-text")); got != pretty {
			teacher.fail("the full-screen code is %q, want %q", got, pretty)
		}
		teacher.shot(fmt.Sprintf("code-%dx%d", size[0], size[1]))
		teacher.do("press Escape", chromedp.KeyEvent(kb.Escape))
		teacher.until("the overlay closed, focus on its button", `document.querySelector("#code-overlay").hidden && document.activeElement === document.querySelector("#fullscreen-code")`)
	}

	// The class ends: the wall says so.
	teacher.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	teacher.click("#end-class")
	wall.until("the end on the wall", isVisible("#wall-none")+` && document.querySelector("#wall-none-title").textContent === "This class has ended"`)
	t.Logf("the projector scenario took %s", time.Since(began).Round(100*time.Millisecond))
}
