package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
)

// chromium finds the browser the web apps are tested in. CI installs
// Debian's chromium package (.ci/test); elsewhere it must be installed.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CLASSHUB_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("CLASSHUB_CHROMIUM=%s is not a program to run: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser test needs Chromium and found none. On Debian or Ubuntu: " +
		"sudo apt-get install --no-install-recommends chromium (or run .ci/test as root, which installs it); " +
		"elsewhere set CLASSHUB_CHROMIUM to a Chromium or Chrome binary")
	return ""
}

// browser starts headless Chromium with a fresh profile. The flags that
// stop background networking matter: on a machine without Internet access
// Chromium otherwise stalls on its own requests.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab is one page of the browser in a browser context of its own, so that
// each person has their own storage, as on their own device.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	mu   sync.Mutex
	logs []string // the page's console and errors, shown when a step fails
}

func newTab(t *testing.T, parent context.Context, name string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, name: name, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	if err := chromedp.Listen(ctx, tb.listen); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	if err := chromedp.Do(ctx, setup...); err != nil {
		t.Fatalf("%s: set up: %v", name, err)
	}
	return tb
}

func (tb *tab) listen(ev any) {
	var line string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		line = "uncaught: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			line += " " + e.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	tb.mu.Lock()
	tb.logs = append(tb.logs, line)
	tb.mu.Unlock()
}

// fail stops the test with what the page showed and logged.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	text, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	tb.mu.Lock()
	logs := strings.Join(tb.logs, "\n")
	tb.mu.Unlock()
	tb.t.Fatalf("%s: %s\n--- the page shows:\n%s\n--- its console:\n%s", tb.name, fmt.Sprintf(format, args...), text, logs)
}

// shot saves a screenshot of the page when CLASSHUB_SCREENSHOTS names a
// folder, for a person to look at what the apps show.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("CLASSHUB_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("%s: screenshot: %v", tb.name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, tb.name+"-"+name+".png"), png, 0o644); err != nil {
		tb.t.Logf("%s: screenshot: %v", tb.name, err)
	}
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail("%s: %v", what, err)
	}
}

func (tb *tab) eval(expr string, out any) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		tb.fail("evaluate %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.fail("evaluate %s: %v (%s)", expr, err, b)
		}
	}
}

func (tb *tab) str(expr string) string {
	tb.t.Helper()
	var s string
	tb.eval(expr, &s)
	return s
}

// until polls a condition of the page until it holds. Every wait of the
// test is one of these: the test never sleeps for a fixed time.
func (tb *tab) until(what, cond string) {
	tb.t.Helper()
	// The page itself evaluates cond on every animation frame until it
	// holds (an element not there yet counts as false), so nothing here
	// waits longer than the condition needs.
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { try { return !!(`+cond+`) } catch { return false } })()`, chromedp.WithPollingTimeout(20*time.Second))); err != nil || !ok {
		tb.fail("waited 20s for %s (%s); last error: %v", what, cond, err)
	}
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (tb *tab) typeIn(sel, text string) {
	tb.t.Helper()
	tb.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// set gives a field a value as a person's choice would, with its input and
// change events.
func (tb *tab) set(sel, value string) {
	tb.t.Helper()
	var ok bool
	tb.eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) return false;
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return el.value === %q;
	})()`, sel, value, value), &ok)
	if !ok {
		tb.fail("cannot set %s to %q", sel, value)
	}
}

const visible = `((el) => !!el && !el.hidden && el.getClientRects().length > 0)`

func isVisible(sel string) string {
	return fmt.Sprintf(`%s(document.querySelector(%q))`, visible, sel)
}

func textOf(sel string) string {
	return fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").trim()`, sel)
}

var clockText = regexp.MustCompile(`^(\d+):(\d\d)$`)

// seconds reads a countdown such as 0:07.
func seconds(tb *tab, sel string) int {
	tb.t.Helper()
	s := tb.str(textOf(sel))
	m := clockText.FindStringSubmatch(s)
	if m == nil {
		tb.fail("%s shows %q, not a countdown", sel, s)
	}
	min, _ := strconv.Atoi(m[1])
	sec, _ := strconv.Atoi(m[2])
	return min*60 + sec
}

// openClass signs the teacher in through the console and starts a class;
// it returns the console's tab and the class's join code.
func openClass(t *testing.T, b context.Context, s *proc, email, title string) (*tab, string) {
	t.Helper()
	teacher := newTab(t, b, "teacher")
	teacher.do("open the console", chromedp.Navigate(s.url+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	teacher.typeIn("#signin-email", email)
	teacher.typeIn("#signin-password", "correct horse battery")
	teacher.click("#signin-submit")
	teacher.until("the list of classes", isVisible("#new-class-title"))
	teacher.typeIn("#new-class-title", title)
	teacher.click("#new-class-submit")
	teacher.until("the live class", `document.querySelector("#live-status").dataset.state === "connected"`)
	code := strings.ReplaceAll(teacher.str(textOf("#join-code-show")), "-", "")
	if len(code) != 6 {
		t.Fatalf("the console shows the join code %q", code)
	}
	return teacher, code
}

// join has a student join the class through the student page, on a device
// (a browser context) of their own.
func join(t *testing.T, b context.Context, s *proc, code, name string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	st := newTab(t, b, name, setup...)
	st.do("open the student page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	st.typeIn("#join-code", code)
	st.typeIn("#join-name", name)
	st.click("#join-submit")
	st.until("the class page", `document.querySelector("#status").dataset.state === "connected"`)
	return st
}

// addTeacher makes a teacher account with the admin command.
func addTeacher(t *testing.T, data, email, name string) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"teacher", "add", "--data", data, "--email", email, "--name", name},
		strings.NewReader("correct horse battery\n"), &out, &errs)
	if err != nil {
		t.Fatalf("teacher add: %v\n%s", err, errs.String())
	}
}

// A real browser drives the real binary: a teacher signs in and runs a
// class from the console; three students follow it on the student page,
// one of them on a device whose clock is three hours wrong.
func TestBrowserOrchestration(t *testing.T) {
	began := time.Now()
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "okafor@school.example", "Mr Okafor")

	teacher, code := openClass(t, b, s, "okafor@school.example", "Year 5 science")

	// Three students join on their own devices. Cara's clock is three hours
	// behind: her countdown must still follow the server's clock.
	skew := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `(() => { const real = Date.now.bind(Date); Date.now = () => real() - 3 * 3600 * 1000; })();`,
		})
		return err
	})
	names := []string{"Alice", "Ben", "Cara"}
	students := map[string]*tab{}
	for _, name := range names {
		var setup []chromedp.Action[chromedp.Void]
		if name == "Cara" {
			setup = append(setup, skew)
		}
		students[name] = join(t, b, s, code, name, setup...)
	}
	teacher.until("three students online", `document.querySelectorAll("#roster .dot.on").length === 3`)

	// Two stations.
	teacher.click("#tab-stations")
	teacher.typeIn("#station-name", "Reading corner")
	teacher.set("#station-kind", "independent")
	teacher.click("#station-save")
	teacher.until("the first station", `document.querySelectorAll("#station-list [data-station]").length === 1`)
	teacher.typeIn("#station-name", "Laptops")
	teacher.set("#station-kind", "online")
	teacher.typeIn("#station-activity-title", "Fractions practice")
	teacher.click("#station-save")
	teacher.until("the second station", `document.querySelectorAll("#station-list [data-station]").length === 2`)

	// Two random groups, proposed, edited and applied.
	teacher.click("#tab-grouping")
	teacher.set("#grouping-method", "random")
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	teacher.until("a proposal of two groups", isVisible("#proposal")+` && document.querySelectorAll("#proposal-groups [data-proposed]:not([data-proposed='-1'])").length === 2`)
	teacher.shot("proposal")
	// Move one student of the larger group into the smaller one.
	var moved struct {
		Student string
		To      string
	}
	teacher.eval(`(() => {
		const cards = [...document.querySelectorAll("#proposal-groups [data-proposed]:not([data-proposed='-1'])")];
		const size = (c) => c.querySelectorAll("[data-student]").length;
		cards.sort((a, b) => size(b) - size(a));
		const chip = cards[0].querySelector("[data-student]");
		return {student: chip.dataset.student, to: cards[1].dataset.proposed};
	})()`, &moved)
	teacher.set(fmt.Sprintf(`select[data-move=%q]`, moved.Student), moved.To)
	teacher.until("the move in the proposal", fmt.Sprintf(`!!document.querySelector("#proposal-groups [data-proposed='%s'] [data-student='%s']")`, moved.To, moved.Student))
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelector("#proposal").hidden && document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)

	// Every student sees their group.
	groupOf := map[string]string{}
	for _, name := range names {
		st := students[name]
		st.until("their group", `document.querySelector("#my-group-name").textContent !== "No group yet"`)
		st.until("themselves among the members", fmt.Sprintf(`[...document.querySelectorAll("#my-group-members li")].some((li) => li.textContent.startsWith(%q))`, name+" (you)"))
		groupOf[name] = st.str(textOf("#my-group-name"))
	}
	var pair, alone []string
	count := map[string]int{}
	for _, g := range groupOf {
		count[g]++
	}
	for _, name := range names {
		if count[groupOf[name]] == 2 {
			pair = append(pair, name)
		} else {
			alone = append(alone, name)
		}
	}
	if len(pair) != 2 || len(alone) != 1 {
		t.Fatalf("the groups are %v; want one of two and one of one", groupOf)
	}

	// A rotation through both stations, 10 s legs, no warning, waiting for
	// the teacher at the end of each leg.
	teacher.click("#tab-rotation")
	teacher.until("the plan's stations", `document.querySelectorAll("#rotation-stations input:checked").length === 2`)
	teacher.set("#rotation-legs", "10s, 10s")
	teacher.set("#rotation-warn", "0")
	teacher.click("#rotation-wait")
	teacher.click("#rotation-start")
	teacher.until("the running rotation", isVisible("#rotation-live")+` && document.querySelectorAll("#rotation-tracks tr[data-track]").length === 2`)
	teacher.until("the teacher's countdowns", `[...document.querySelectorAll("#rotation-tracks .countdown")].every((c) => /^0:\d\d$/.test(c.textContent))`)

	teacher.shot("rotation")
	stationOf := map[string]string{}
	for _, name := range names {
		st := students[name]
		st.until("their station", `["Reading corner", "Laptops"].includes(document.querySelector("#my-station-name").textContent)`)
		st.until("a countdown", `/^0:(0\d|10)$/.test(document.querySelector("#countdown").textContent)`)
		stationOf[name] = st.str(textOf("#my-station-name"))
	}
	if stationOf[pair[0]] != stationOf[pair[1]] || stationOf[pair[0]] == stationOf[alone[0]] {
		t.Fatalf("stations %v for groups %v: each group should be at its own station", stationOf, groupOf)
	}
	// The countdown runs, on the right clock, also on Cara's device.
	for _, name := range []string{"Alice", "Cara"} {
		st := students[name]
		first := seconds(st, "#countdown")
		if first > 10 || first < 1 {
			st.fail("the countdown starts at %d s of a 10 s leg", first)
		}
		st.until("the countdown going down", fmt.Sprintf(`(() => { const m = /^0:(\d\d)$/.exec(document.querySelector("#countdown").textContent); return m && Number(m[1]) < %d; })()`, first))
	}
	if st := students[alone[0]]; stationOf[alone[0]] == "Laptops" {
		st.until("the station's activity", `document.querySelector("#station-activity").textContent.includes("Fractions practice")`)
	}

	// Pausing the class covers every student's screen; resuming uncovers it.
	teacher.click("#pause-class")
	for _, name := range names {
		students[name].until("the pause screen", isVisible("#pause-overlay"))
	}
	students["Cara"].shot("paused")
	teacher.until("the console's paused state", isVisible("#resume-class"))
	teacher.click("#resume-class")
	for _, name := range names {
		students[name].until("the pause screen to go", `document.querySelector("#pause-overlay").hidden`)
	}

	// An announcement to one group reaches that group only.
	teacher.click("#tab-messages")
	only := "Come to the front table, please."
	var value string
	teacher.eval(fmt.Sprintf(`(() => {
		const o = [...document.querySelectorAll("#announce-to option")].find((o) => o.value.startsWith("group:") && o.textContent === %q);
		return o ? o.value : "";
	})()`, groupOf[pair[0]]), &value)
	if value == "" {
		teacher.fail("no group %q to announce to", groupOf[pair[0]])
	}
	teacher.typeIn("#announce-text", only)
	teacher.set("#announce-to", value)
	teacher.click("#announce-submit")
	hasText := func(text string) string {
		return fmt.Sprintf(`[...document.querySelectorAll("#announcements li")].some((li) => li.textContent.includes(%q))`, text)
	}
	for _, name := range pair {
		students[name].until("the group's announcement", hasText(only))
		students[name].until("its tag", `[...document.querySelectorAll("#announcements li.private .tag")].some((t) => t.textContent === "to your group")`)
	}
	// Events reach a device in order: once the next announcement (to
	// everyone) is there, the one to the other group would have been too.
	all := "Tidy up in two minutes."
	teacher.typeIn("#announce-text", all)
	teacher.set("#announce-to", "")
	teacher.click("#announce-submit")
	for _, name := range names {
		students[name].until("the announcement to everyone", hasText(all))
	}
	var leaked bool
	students[alone[0]].eval(hasText(only), &leaked)
	if leaked {
		students[alone[0]].fail("the announcement to %s reached %s", groupOf[pair[0]], alone[0])
	}

	// The two members of one group write in their shared notes at the same
	// time, in two places; both keep their text.
	a, c := students[pair[0]], students[pair[1]]
	a.until("the workspace", isVisible("#ws-notes"))
	a.do("write the outline", chromedp.Focus(chromedp.CSS("#ws-notes")), chromedp.KeyEvent("Ideas:\nQuestions:"))
	a.until("the outline typed", `document.querySelector("#ws-notes").value === "Ideas:\nQuestions:"`)
	c.until("the outline", `document.querySelector("#ws-notes").value === "Ideas:\nQuestions:"`)
	a.eval(`(() => { const ta = document.querySelector("#ws-notes"); ta.focus(); ta.setSelectionRange(6, 6); return true; })()`, nil)
	c.eval(`(() => { const ta = document.querySelector("#ws-notes"); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); return true; })()`, nil)
	var wg sync.WaitGroup
	typeErr := make([]error, 2)
	for i, w := range []struct {
		tb   *tab
		text string
	}{{a, " plants need light"}, {c, " why are leaves green?"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(w.tb.ctx, 20*time.Second)
			defer cancel()
			typeErr[i] = chromedp.Do(ctx, chromedp.KeyEvent(w.text))
		}()
	}
	wg.Wait()
	for i, err := range typeErr {
		if err != nil {
			t.Fatalf("typing %d: %v", i, err)
		}
	}
	want := "Ideas: plants need light\nQuestions: why are leaves green?"
	for _, st := range []*tab{a, c} {
		st.until("both texts in the notes", fmt.Sprintf(`document.querySelector("#ws-notes").value === %q`, want))
	}
	a.shot("notes")
	teacher.click("#tab-workspaces")
	teacher.until("the notes in the console", fmt.Sprintf(`[...document.querySelectorAll("#workspaces textarea")].some((ta) => ta.value === %q)`, want))

	// The legs are 10 s and the rotation waits for the teacher: by now
	// time is up everywhere.
	for _, name := range names {
		students[name].until("time's up", `document.querySelector("#countdown").dataset.state === "due"`)
	}
	teacher.shot("workspaces")
	teacher.click("#tab-groups")
	teacher.shot("groups")
	teacher.click("#tab-roster")
	teacher.shot("roster")
	students[alone[0]].shot("due")
	t.Logf("the browser scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// clickText clicks the first element matching sel whose text is text, as a
// person picks a button by its label.
func (tb *tab) clickText(sel, text string) {
	tb.t.Helper()
	var ok bool
	tb.eval(fmt.Sprintf(`(() => {
		const el = [...document.querySelectorAll(%q)].find((e) => e.textContent.trim() === %q);
		if (!el) return false;
		el.click();
		return true;
	})()`, sel, text), &ok)
	if !ok {
		tb.fail("no %s labelled %q to click", sel, text)
	}
}

// optionValue is the value of the option of a select that shows text.
func (tb *tab) optionValue(sel, text string) string {
	tb.t.Helper()
	v := tb.str(fmt.Sprintf(`(() => {
		const o = [...document.querySelectorAll(%q + " option")].find((o) => o.textContent === %q);
		return o ? o.value : "";
	})()`, sel, text))
	if v == "" {
		tb.fail("%s has no option %q", sel, text)
	}
	return v
}

// The rest of the orchestration in the browser: levels, choices and
// interests, keep-together grouping, a coach invited, signed up and given a
// group, the group's tasks with a conflicting edit, roles, comments,
// activities, and a student moved into a group that already has work in
// its workspace.
func TestBrowserWorkspacesAndCoach(t *testing.T) {
	began := time.Now()
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "lee@school.example", "Ms Lee")
	teacher, code := openClass(t, b, s, "lee@school.example", "Year 6 nature")
	dana := join(t, b, s, code, "Dana")
	eli := join(t, b, s, code, "Eli")
	finn := join(t, b, s, code, "Finn")
	teacher.until("three students online", `document.querySelectorAll("#roster .dot.on").length === 3`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}
	danaID, eliID, finnID := id("Dana"), id("Eli"), id("Finn")

	// Levels, a choice and an interest.
	teacher.click("#tab-roster")
	teacher.set(fmt.Sprintf(`input[data-level-of=%q]`, danaID), "80")
	teacher.set(fmt.Sprintf(`input[data-level-of=%q]`, eliID), "30")
	teacher.typeIn("#choices-prompt", "Which topic?")
	teacher.typeIn("#choices-options", "Volcanoes\nRivers")
	teacher.click("#choices-offer")
	dana.until("the choice board", isVisible("#choices-box")+` && document.querySelectorAll("#choices button").length === 2`)
	dana.clickText("#choices button", "Volcanoes")
	dana.until("her choice", `document.querySelector("#choice-state").textContent.includes("You chose Volcanoes")`)
	teacher.until("Dana's choice", `document.querySelector("#choices-current").textContent.includes("Volcanoes: 1")`)
	finn.typeIn("#interest", "birds")
	finn.click("#interest-save")
	teacher.until("Finn's interest", `[...document.querySelectorAll("#roster tr")].some((tr) => tr.textContent.includes("Finn") && tr.textContent.includes("birds"))`)

	// Dana and Eli are kept together.
	teacher.click("#tab-grouping")
	for _, sid := range []string{danaID, eliID} {
		teacher.click(fmt.Sprintf(`#grouping-pick input[value=%q]`, sid))
	}
	teacher.click("#grouping-add-together")
	teacher.until("the rule", `document.querySelectorAll("#grouping-sets li.together").length === 1`)
	teacher.set("#grouping-by", "count")
	teacher.set("#grouping-n", "2")
	teacher.click("#grouping-propose")
	together := fmt.Sprintf(`[...document.querySelectorAll("#proposal-groups [data-proposed]")].some((g) => g.querySelector("[data-student='%s']") && g.querySelector("[data-student='%s']"))`, danaID, eliID)
	teacher.until("Dana and Eli together", isVisible("#proposal")+" && "+together)
	teacher.until("the levels in the proposal", fmt.Sprintf(`document.querySelector("#proposal [data-student='%s']").textContent.includes("80%%")`, danaID))
	teacher.click("#grouping-apply")
	teacher.until("two groups", `document.querySelectorAll("#group-list [data-group]:not([data-group=''])").length === 2`)
	dana.until("her group", `document.querySelector("#my-group-name").textContent !== "No group yet"`)
	danaGroup := dana.str(textOf("#my-group-name"))
	eli.until("the same group", fmt.Sprintf(`document.querySelector("#my-group-name").textContent === %q`, danaGroup))
	groupID := teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#group-list [data-group]")].find((g) => g.querySelector("[data-student='%s']")).dataset.group`, danaID))

	// A coach is invited, sets a password and is given Dana's group.
	teacher.click("#tab-groups")
	teacher.until("the coaches", isVisible("#coach-box"))
	teacher.click("#coach-box summary")
	teacher.typeIn("#coach-email", "diaz@school.example")
	teacher.typeIn("#coach-name", "Mr Diaz")
	teacher.click("#coach-invite")
	teacher.until("the invitation link", `!!document.querySelector("#coach-invite-link .invite-link")`)
	link := teacher.str(textOf("#coach-invite-link .invite-link"))
	coach := newTab(t, b, "coach")
	coach.do("follow the invitation", chromedp.Navigate(link))
	coach.until("the welcome", isVisible("#accept-password"))
	coach.typeIn("#accept-password", "correct horse battery")
	coach.typeIn("#accept-password2", "correct horse battery")
	coach.click("#accept-submit")
	coach.until("the list of classes", isVisible("#rooms"))
	coach.until("no class yet", `document.querySelector("#rooms-note").textContent.includes("No class has given you a group yet")`)
	teacher.click("#tab-groups") // the console looks for coaches again
	teacher.until("the coach in the console", fmt.Sprintf(`!!document.querySelector("select[data-coach-for='%s']")`, groupID))
	pick := fmt.Sprintf(`select[data-coach-for=%q]`, groupID)
	teacher.set(pick, teacher.optionValue(pick, "Mr Diaz"))
	teacher.until("the assignment", fmt.Sprintf(`document.querySelector("#group-list [data-group='%s'] .coaches").textContent.includes("Mr Diaz")`, groupID))
	// The coach's list of classes is written just after the console
	// hears of the assignment: a coach who looks at once may reload.
	coach.waitForClass(s.url, "Year 6 nature")
	coach.clickText("#room-list a", "Year 6 nature")
	coach.until("the group", fmt.Sprintf(`document.querySelector("#groups [data-group='%s'] h2").textContent === %q`, groupID, danaGroup))

	// A raised hand puts the student in the help queue: the coach sees the
	// students of their groups there, read-only, and no one else.
	dana.click("#raise-hand")
	danaFlag := fmt.Sprintf(`#coach-flags li.flag[data-student=%q][data-rule="help"]`, danaID)
	coach.until("Dana in the coach's help queue", isVisible(danaFlag)+" && "+textOf(danaFlag+" .flag-rule")+` === "Asked for help"`)
	var buttons int
	coach.eval(`document.querySelectorAll("#coach-flags button").length`, &buttons)
	if buttons != 0 {
		coach.fail("the coach's help queue has %d buttons; it is read-only", buttons)
	}
	finn.click("#raise-hand")
	teacher.until("Finn in the teacher's help queue", fmt.Sprintf(`!!document.querySelector('#help-queue li.flag[data-student=%q][data-rule="help"]')`, finnID))
	dana.click("#lower-hand")
	coach.until("Dana's flag cleared", fmt.Sprintf(`!document.querySelector(%q)`, danaFlag))
	var others int
	coach.eval(`document.querySelectorAll("#coach-flags li.flag").length`, &others)
	if others != 0 {
		coach.fail("the coach sees %d flags of students outside their groups", others)
	}
	finn.click("#lower-hand")

	// Tasks: Dana adds one for Eli; both then retitle it from the same
	// version, and Eli, second, is told and keeps his title.
	dana.until("the workspace", isVisible("#ws-new-task"))
	dana.typeIn("#ws-new-task", "Collect leaves")
	dana.set("#ws-new-assignee", eliID)
	dana.click("#ws-add-task button")
	task := `document.querySelector("#ws-tasks li.task")`
	eli.until("the task", task+` && `+task+`.textContent.includes("Collect leaves") && `+task+`.querySelector("select").value === `+fmt.Sprintf("%q", eliID))
	eli.clickText("#ws-tasks li.task button", "Edit")
	dana.clickText("#ws-tasks li.task button", "Edit")
	for _, w := range []struct {
		tb    *tab
		title string
	}{{dana, "Collect ten leaves"}, {eli, "Gather leaves"}} {
		w.tb.until("the title field", `!!document.querySelector(".task-title-input")`)
		w.tb.set(".task-title-input", w.title)
		w.tb.do("save the title", chromedp.Focus(chromedp.CSS(".task-title-input")), chromedp.KeyEvent("\r"))
		if w.tb == dana {
			dana.until("her title", task+`.textContent.includes("Collect ten leaves")`)
		}
	}
	eli.until("the conflict", task+`.querySelector(".conflict").textContent.includes("Someone else changed this first")`)
	eli.clickText("#ws-tasks li.task .conflict button", "Use mine")
	for _, st := range []*tab{dana, eli} {
		st.until("Eli's title", task+`.textContent.includes("Gather leaves") && !`+task+`.querySelector(".conflict").textContent`)
	}
	eli.click("#ws-tasks li.task input[type=checkbox]")
	dana.until("the task done", task+`.classList.contains("done")`)

	// Roles.
	dana.typeIn(fmt.Sprintf(`input[data-role-of=%q]`, eliID), "recorder")
	dana.clickText(fmt.Sprintf(`#ws-roles li[data-member=%q] button`, eliID), "Set role")
	eli.until("his role", `[...document.querySelectorAll("#my-group-members li")].some((li) => li.textContent.includes("Eli (you)") && li.textContent.includes("recorder"))`)

	// The coach follows the workspace and comments on it.
	coach.until("the task in the coach's view", fmt.Sprintf(`document.querySelector("#groups [data-group='%s']").textContent.includes("Gather leaves")`, groupID))
	coach.typeIn(fmt.Sprintf("#ws-%s-comment-text", groupID), "Nice start! Which trees are they from?")
	coach.click(fmt.Sprintf("#ws-%s-comment-send", groupID))
	for _, st := range []*tab{dana, eli} {
		st.until("the coach's comment", `[...document.querySelectorAll("#ws-comments li")].some((li) => li.textContent.includes("Mr Diaz (coach)") && li.textContent.includes("Which trees"))`)
	}
	teacher.click("#tab-workspaces")
	teacher.until("the comment in the console", fmt.Sprintf(`document.querySelector("[data-workspace='%s']").textContent.includes("Which trees")`, groupID))

	// An activity for the group, then one for everyone.
	teacher.click("#tab-messages")
	teacher.typeIn("#activity-title", "Leaf hunt")
	teacher.typeIn("#activity-text", "Find five kinds of leaves.")
	teacher.typeIn("#activity-url", "https://example.org/leaves")
	teacher.set("#activity-to", "group:"+groupID)
	teacher.click("#activity-push")
	dana.until("the activity", `[...document.querySelectorAll("#activities li")].some((li) => li.textContent.includes("Leaf hunt") && li.querySelector("a[href='https://example.org/leaves']"))`)
	teacher.until("the form cleared", `document.querySelector("#activity-title").value === ""`)
	teacher.typeIn("#activity-title", "Wash your hands")
	teacher.set("#activity-to", "")
	teacher.click("#activity-push")
	finn.until("the activity for everyone", `[...document.querySelectorAll("#activities li")].some((li) => li.textContent.includes("Wash your hands"))`)
	var leaked bool
	finn.eval(`[...document.querySelectorAll("#activities li")].some((li) => li.textContent.includes("Leaf hunt"))`, &leaked)
	if leaked {
		finn.fail("the group's activity reached Finn")
	}

	// Finn moves into Dana's group: his device loads the group's workspace.
	teacher.click("#tab-groups")
	teacher.set(fmt.Sprintf(`select[data-move-group=%q]`, finnID), groupID)
	finn.until("his new group", fmt.Sprintf(`document.querySelector("#my-group-name").textContent === %q`, danaGroup))
	finn.until("the group's work", task+` && `+task+`.textContent.includes("Gather leaves") && [...document.querySelectorAll("#ws-comments li")].some((li) => li.textContent.includes("Which trees"))`)
	coach.until("Finn in the coach's view", fmt.Sprintf(`document.querySelector("#groups [data-group='%s'] .members").textContent.includes("Finn")`, groupID))
	dana.shot("workspace")
	coach.shot("class")
	teacher.shot("groups2")
	t.Logf("the browser scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// demoBank is a demo content bank, parsed as the server parses it, for
// the test to know the right answers.
func demoBank(t *testing.T, id protocol.BankID) *content.Bank {
	t.Helper()
	for _, b := range content.Demo() {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf("no demo bank %s", id)
	return nil
}

// A bank with four mistakes, to upload through the console.
const brokenBank = `bank: broken-demo
title: "A bank with mistakes"
skills:
  - id: s1
    name: One
items:
  - id: i1
    skill: nope
    kind: numeric
    prompt: What is 1 + 1?
    answer: two
    hints: [Count them.]
    explanation: One and one make two.
sets:
  - id: set1
    title: A set
    kind: practice
    items: [i1, i2]
`

const practiceItem = `document.querySelector("#practice-item form[data-item]")`

// currentItem waits for a problem on a student's page and returns it.
func currentItem(st *tab, bank *content.Bank) *content.Item {
	st.t.Helper()
	st.until("a problem", practiceItem)
	id := st.str(practiceItem + `.dataset.item`)
	it := bank.Item(protocol.ItemID(id))
	if it == nil {
		st.fail("the page shows item %q, which the bank does not have", id)
	}
	return it
}

// answer answers the problem on a student's page, right or wrong, as the
// student would, and waits until the server has marked it. It returns the
// response as the server records it.
func answer(st *tab, it *content.Item, right bool) string {
	st.t.Helper()
	var before int
	st.eval(`Number(document.querySelector("#practice-box").dataset.answers)`, &before)
	var response string
	switch it.Kind {
	case protocol.ItemChoice:
		i := it.Correct
		if !right {
			i = (it.Correct + 1) % len(it.Choices)
		}
		st.click(fmt.Sprintf(`#practice-item .choice-btn[data-choice="%d"]`, i))
		response = it.Choices[i]
	case protocol.ItemNumeric:
		response = it.ValueText
		if !right {
			response = "99"
		}
		st.set("#practice-item .answer-input", response)
	default:
		response = it.Accept[0]
		if !right {
			response = "1/99"
		}
		st.set("#practice-item .answer-input", response)
	}
	st.click("#practice-item .check")
	st.until("the answer marked", fmt.Sprintf(`(() => { const b = document.querySelector("#practice-box"); return Number(b.dataset.answers) > %d && b.dataset.busy === "false"; })()`, before))
	return response
}

// Practice in the browser: a bank with mistakes refused line by line, a
// set of a demo bank given to the class from the console, a right answer,
// a wrong one with its explanation and a similar problem (on a phone),
// hints, a struggling student in the teacher's help queue with their own
// answers as evidence, help sent from the queue to their device, a
// snooze, a student who masters the set offered a challenge while the
// teacher sees a calm "doing well", a choice board, and practice closed.
// Flags never show on a student's page.
func TestBrowserPractice(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "park@school.example", "Mr Park")
	teacher, code := openClass(t, b, s, "park@school.example", "Year 5 fractions")
	ruby := join(t, b, s, code, "Ruby")
	wes := join(t, b, s, code, "Wes", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)) // on a phone
	sol := join(t, b, s, code, "Sol")
	amy := join(t, b, s, code, "Amy")
	students := []*tab{ruby, wes, sol, amy}
	teacher.until("four students online", `document.querySelectorAll("#roster .dot.on").length === 4`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}
	solID, amyID, rubyID := id("Sol"), id("Amy"), id("Ruby")

	// A bank with mistakes is refused, every mistake listed on its line.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	_, perr := content.Parse("broken.yaml", []byte(brokenBank))
	var problems *content.Errors
	if !errors.As(perr, &problems) || len(problems.Problems) < 2 {
		t.Fatalf("the broken bank parses as %v; want several problems", perr)
	}
	file := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(file, []byte(brokenBank), 0o644); err != nil {
		t.Fatal(err)
	}
	teacher.do("choose the bank file", chromedp.SetUploadFiles(chromedp.CSS("#bank-file"), []string{file}))
	teacher.click("#bank-upload")
	teacher.until("the problems listed", fmt.Sprintf(`document.querySelectorAll("#bank-upload-result .problems li").length === %d`, len(problems.Problems)))
	var shown []string
	teacher.eval(`[...document.querySelectorAll("#bank-upload-result .problems li")].map((li) => li.textContent)`, &shown)
	for i, p := range problems.Problems {
		if shown[i] != p.String() {
			teacher.fail("problem %d is shown as %q, want %q", i, shown[i], p.String())
		}
	}
	teacher.shot("bank-refused")

	// The set goes to the whole class; each device shows its first problem.
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	teacher.until("the set given", `document.querySelector("#practice-status").textContent.includes("4 students")`)
	set := bank.Set("frac-equivalence")
	for _, st := range students {
		st.until("the practice", isVisible("#practice-box")+fmt.Sprintf(` && document.querySelector("#practice-title").textContent === %q`, set.Title))
	}

	// Ruby answers right and is told so.
	it := currentItem(ruby, bank)
	answer(ruby, it, true)
	ruby.until("her answer marked right", `document.querySelector("#practice-feedback").dataset.result === "right" && document.querySelector("#practice-feedback").textContent.includes("Right")`)
	ruby.shot("right")
	ruby.click("#practice-other .next-btn")
	ruby.until("the next problem", fmt.Sprintf(`%s && %s.dataset.item !== %q`, practiceItem, practiceItem, it.ID))

	// She takes the hints one at a time; the last says it gives the answer
	// away.
	it = currentItem(ruby, bank)
	for i := range it.Hints {
		ruby.click("#practice-item .hint-btn")
		ruby.until("the hint", fmt.Sprintf(`document.querySelectorAll("#practice-item .hints li").length === %d`, i+1))
		got := ruby.str(fmt.Sprintf(`document.querySelectorAll("#practice-item .hints li")[%d].firstChild.textContent`, i))
		if got != it.Hints[i] {
			ruby.fail("hint %d reads %q, want %q", i+1, got, it.Hints[i])
		}
		if i == len(it.Hints)-2 {
			ruby.until("the warning on the last hint's button", `document.querySelector("#practice-item .hint-btn").textContent.includes("gives the answer away")`)
		}
	}
	ruby.until("the last hint marked", `!!document.querySelector("#practice-item .hints li.last .gives-away") && document.querySelector("#practice-item .hint-btn").hidden`)
	ruby.shot("hints")

	// Wes answers wrong: the explanation and a similar problem at once.
	it = currentItem(wes, bank)
	answer(wes, it, false)
	wes.until("the explanation", fmt.Sprintf(`document.querySelector("#practice-feedback").dataset.result === "wrong" && document.querySelector("#practice-feedback .explanation").textContent === %q`, it.Explanation))
	wes.until("a similar problem", fmt.Sprintf(`%s && %s.dataset.item !== %q && document.querySelector("#practice-item .item-label").textContent.includes("similar problem")`, practiceItem, practiceItem, it.ID))
	similar := currentItem(wes, bank)
	if similar.Skill != it.Skill || similar.Family != it.Family {
		wes.fail("after %s came %s, not a similar problem", it.ID, similar.ID)
	}
	wes.shot("similar")

	// Sol struggles: wrong the first time on every problem, right when
	// given the same one again. He is in the teacher's help queue at "act
	// now", whatever the rule, and at the latest once the flag comes with
	// a lesson to send.
	flag := fmt.Sprintf(`#help-queue li.flag[data-student=%q][data-level="act_now"]`, solID)
	sendHelp := flag + ` button[data-action="send_help"]`
	wrong := map[string]bool{}
	tried := map[protocol.ItemID]bool{}
	answered := 0
	recheck := "" // how the page labels a problem that checks a missed skill
	for n := 0; ; n++ {
		var ready bool
		teacher.eval(fmt.Sprintf(`!!document.querySelector(%q)`, sendHelp), &ready)
		if ready {
			t.Logf("Sol is flagged with help to send after %d answers", answered)
			break
		}
		if n == 80 {
			teacher.fail("after %d steps, mostly wrong answers, Sol is not in the help queue with help to send", n)
		}
		sol.until("a problem, or the button to the next one", `["item", "next", "done"].includes(document.querySelector("#practice-other").dataset.state) && document.querySelector("#practice-box").dataset.busy === "false"`)
		switch sol.str(`document.querySelector("#practice-other").dataset.state`) {
		case "next":
			sol.click("#practice-other .next-btn")
			continue
		case "done":
			sol.fail("the set ended before Sol was flagged")
		}
		it := currentItem(sol, bank)
		if recheck == "" && sol.str(`document.querySelector("#practice-item .item-label").dataset.reason`) == "checking that it stuck" {
			recheck = sol.str(textOf("#practice-item .item-label"))
		}
		right := tried[it.ID]
		r := answer(sol, it, right)
		answered++
		if !right {
			tried[it.ID] = true
			wrong[r] = true
		}
	}
	teacher.until("Sol at act now", isVisible(flag))
	// A skill missed comes back a few problems later, said kindly.
	if recheck != "A quick look back: checking that it stuck" {
		sol.fail("a problem checking a missed skill was labelled %q", recheck)
	}
	teacher.shot("help-queue")

	// The evidence shows Sol's own wrong answers.
	teacher.click(flag + " details.evidence summary")
	teacher.until("the evidence", isVisible(flag+" .evidence-body"))
	var responses []string
	teacher.eval(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((e) => e.textContent)`, flag+" .attempt.wrong .response"), &responses)
	found := false
	for _, r := range responses {
		if !wrong[r] {
			teacher.fail("the evidence shows the wrong answer %q, which Sol did not give (he gave %v)", r, wrong)
		}
		found = true
	}
	if !found {
		teacher.fail("the evidence of Sol's flag shows none of his wrong answers %v", wrong)
	}

	// No flag shows on a student's page.
	var summaries []string
	teacher.eval(`[...document.querySelectorAll("#help-queue .flag-summary")].map((p) => p.textContent)`, &summaries)
	for _, st := range students {
		for _, sum := range summaries {
			var leaked bool
			st.eval(fmt.Sprintf(`document.body.innerText.includes(%q) || document.body.textContent.includes(%q)`, sum, sum), &leaked)
			if leaked {
				st.fail("a flag reached a student's page: %q", sum)
			}
		}
		var flags int
		st.eval(`document.querySelectorAll(".flag, [data-flag]").length`, &flags)
		if flags != 0 {
			st.fail("a student's page has %d flag elements", flags)
		}
	}

	// The teacher sends the lesson: Sol's page shows it, then its problems.
	label := teacher.str(fmt.Sprintf(`document.querySelector(%q).textContent`, sendHelp))
	lesson, _ := strings.CutPrefix(label, "Send help: ")
	teacher.click(sendHelp)
	sol.until("the lesson", isVisible("#practice-help")+fmt.Sprintf(` && document.querySelector("#practice-help summary").textContent.includes(%q)`, lesson))
	sol.until("a problem after the lesson", practiceItem)
	teacher.until("the flag acknowledged", fmt.Sprintf(`!!document.querySelector(%q)`, flag+`[data-status="acked"]`))
	sol.shot("lesson")

	// Snoozed, the flag leaves the queue until its time is up.
	teacher.click(flag + ` button[data-action="snooze"][data-minutes="5"]`)
	teacher.until("the flag snoozed", fmt.Sprintf(`!document.querySelector('#help-queue li.flag[data-student=%q]:not([data-rule="doing_well"])')`, solID))

	// The roster shows each student's practice.
	teacher.click("#tab-roster")
	teacher.until("Ruby's practice in the roster", fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].some((tr) => tr.querySelector(".name").textContent === "Ruby" && tr.querySelector("td.practice").textContent.includes(%q) && tr.querySelector("td.practice").textContent.includes("1 of the last 1 right"))`, set.Title))
	teacher.shot("roster")

	// Amy gets every problem right: she is offered the set's challenge,
	// and the teacher sees that she is doing well, as a suggestion.
	for n := 0; ; n++ {
		if n == 30 {
			amy.fail("the set did not end after %d right answers", n)
		}
		amy.until("a problem, the button to the next one, or the end", `["item", "next", "done"].includes(document.querySelector("#practice-other").dataset.state) && document.querySelector("#practice-box").dataset.busy === "false"`)
		state := amy.str(`document.querySelector("#practice-other").dataset.state`)
		if state == "done" {
			break
		}
		if state == "next" {
			amy.click("#practice-other .next-btn")
			continue
		}
		answer(amy, currentItem(amy, bank), true)
	}
	amy.until("the challenge offered", `document.querySelector("#practice-other").textContent.includes("You've mastered this — try a challenge?") && !!document.querySelector("#practice-other .accept-offer")`)
	well := fmt.Sprintf(`#help-queue li.flag[data-student=%q][data-rule="doing_well"]`, amyID)
	teacher.until("Amy doing well", isVisible(well)+fmt.Sprintf(` && document.querySelector(%q).dataset.level === "info" && %s === "Info" && %s === "Doing well: offer enrichment"`, well, textOf(well+" .level"), textOf(well+" .flag-rule")))
	amy.shot("offer")
	teacher.click(well + ` button[data-action="resolve"]`)
	teacher.until("the suggestion resolved", fmt.Sprintf(`!document.querySelector(%q)`, well))
	amy.click("#practice-other .accept-offer")
	challenge := bank.EnrichmentFor(set.ID)
	amy.until("the challenge", fmt.Sprintf(`document.querySelector("#practice-title").textContent === %q && document.querySelector("#practice-kind").textContent === "Challenge"`, challenge.Title))
	if it := currentItem(amy, bank); !slices.Contains(challenge.Items, it.ID) {
		amy.fail("the challenge starts with %s, which is not one of its problems", it.ID)
	}

	// Ruby is given a choice board: she picks two problems by their
	// labels, does them, and is done.
	board := bank.Set("frac-stories")
	teacher.click("#tab-practice")
	teacher.set("#practice-to", "student:"+rubyID)
	teacher.click(`#banks [data-assign="fractions-5/frac-stories"]`)
	ruby.until("the choice board", fmt.Sprintf(`document.querySelector("#practice-other").dataset.state === "board" && document.querySelectorAll("#practice-other .board-option").length === %d && !document.querySelector("#practice-item form")`, len(board.Items)))
	var labels []string
	ruby.eval(`[...document.querySelectorAll("#practice-other .board-option")].map((b) => b.textContent)`, &labels)
	if !slices.Equal(labels, board.Labels) {
		ruby.fail("the board shows %q, want %q", labels, board.Labels)
	}
	ruby.clickText("#practice-other .board-option", board.Labels[1])
	ruby.clickText("#practice-other .board-option", board.Labels[3])
	ruby.until("her picks counted", `document.querySelector("#practice-other .board-count").textContent === "2 of 2 picked" && !document.querySelector("#practice-other .board-start").disabled`)
	ruby.shot("board")
	ruby.click("#practice-other .board-start")
	picked := []protocol.ItemID{board.Items[1], board.Items[3]}
	for range picked {
		ruby.until("a picked problem, or the button to it", `["item", "next"].includes(document.querySelector("#practice-other").dataset.state) && document.querySelector("#practice-box").dataset.busy === "false"`)
		if ruby.str(`document.querySelector("#practice-other").dataset.state`) == "next" {
			ruby.click("#practice-other .next-btn")
		}
		it := currentItem(ruby, bank)
		if !slices.Contains(picked, it.ID) {
			ruby.fail("Ruby picked %v and is given %s", picked, it.ID)
		}
		answer(ruby, it, true)
	}
	ruby.click("#practice-other .next-btn")
	ruby.until("the end of the set", `document.querySelector("#practice-other").dataset.state === "done" && document.querySelector("#practice-other").textContent.includes("All done — your teacher will tell you what's next")`)

	// Practice closed for everyone.
	teacher.click("#tab-practice")
	teacher.set("#practice-close-to", "")
	teacher.click("#practice-close")
	for _, st := range students {
		st.until("the activity closed", `document.querySelector("#practice-other").dataset.state === "closed" && document.querySelector("#practice-other").textContent.includes("This activity is closed")`)
	}
	t.Logf("the browser scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// waitForClass reloads the coach's list of classes until title is in
// it: the list is written just after the console hears of an
// assignment, so a coach who looks at once may have to reload.
func (tb *tab) waitForClass(base, title string) {
	tb.t.Helper()
	inList := fmt.Sprintf(`[...document.querySelectorAll("#room-list a")].some((a) => a.textContent === %q)`, title)
	for n := 0; ; n++ {
		tb.do("reload the list", chromedp.Navigate(base+"/coach"))
		tb.until("the list", inList+` || document.querySelector("#rooms-note").textContent !== ""`)
		var listed bool
		tb.eval(inList, &listed)
		if listed {
			return
		}
		if n == 20 {
			tb.fail("the class is not in the coach's list after %d reloads", n)
		}
	}
}

// addStations saves a station of each name from the console's stations
// tab, which must be open, and waits for each to be listed.
func (tb *tab) addStations(names ...string) {
	tb.t.Helper()
	for _, st := range names {
		tb.typeIn("#station-name", st)
		tb.click("#station-save")
		tb.until("the station", fmt.Sprintf(`[...document.querySelectorAll("#station-list h3")].some((h) => h.textContent === %q)`, st))
	}
}
