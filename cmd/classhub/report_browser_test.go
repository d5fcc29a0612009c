package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/classhub/classhub/protocol"
)

// signIn signs a teacher in on the console and leaves them on their list
// of classes.
func signIn(t *testing.T, b context.Context, s *proc, email string) *tab {
	t.Helper()
	teacher := newTab(t, b, "teacher", chromedp.EmulateViewport(1366, 900))
	teacher.do("open the console", chromedp.Navigate(s.url+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	teacher.typeIn("#signin-email", email)
	teacher.typeIn("#signin-password", "correct horse battery")
	teacher.click("#signin-submit")
	teacher.until("the list of classes", isVisible("#new-class-title"))
	return teacher
}

// joinByPicking has a student of a class opened with a roster join it on
// the student page: the code, their name from the list, their picture.
func joinByPicking(t *testing.T, b context.Context, s *proc, code, name, word string, setup ...chromedp.Action[chromedp.Void]) *tab {
	t.Helper()
	st := newTab(t, b, name, setup...)
	st.do("open the student page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	st.typeIn("#join-code", code)
	st.until("the names of the class", isVisible("#pick-names")+` && !`+isVisible("#join-name"))
	st.clickText("#pick-names button", name)
	st.until("the pictures", isVisible("#pick-words"))
	st.shot("pick-picture")
	st.click(fmt.Sprintf(`#pick-words button[data-word=%q]`, word))
	st.until("the class page", `document.querySelector("#status").dataset.state === "connected"`)
	return st
}

// downloads lets a tab save files into a folder of the test's own.
func downloads(tb *tab) string {
	tb.t.Helper()
	dir := tb.t.TempDir()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	tb.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: id, DownloadPath: dir,
		})
		return err
	}))
	return dir
}

// downloaded waits for a file whose name ends in suffix to be saved in
// dir, whole, and returns its content.
func downloaded(t *testing.T, dir, suffix string) []byte {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no file *%s was downloaded into %s within 30s (it holds %v)", suffix, dir, entries)
		}
	}
}

// follow opens the page a link on the page leads to, as a click on it
// would, and waits until the new page has loaded.
func (tb *tab) follow(sel string) {
	tb.t.Helper()
	href := tb.str(fmt.Sprintf(`document.querySelector(%q).href`, sel))
	if href == "" {
		tb.fail("%s links nowhere", sel)
	}
	tb.do("follow "+sel, chromedp.Navigate(href))
}

// afterNavigation waits for a condition on a page that the last action
// sends to another address by itself (a script setting location): while
// the old page goes, its evaluations fail, and are tried again.
func (tb *tab) afterNavigation(what, cond string) {
	tb.t.Helper()
	tb.untilWithin(60*time.Second, what, cond)
}

// untilWithin is until with a longer wait, for a step that waits on the
// server's work (an upload, a log rewritten) on a loaded machine.
func (tb *tab) untilWithin(d time.Duration, what, cond string) {
	tb.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+cond+`) } catch { return false } })()`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.fail("waited %s for %s (%s); last error: %v", d, what, cond, err)
		}
		<-tick.C
	}
}

type rosterRow struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Word string `json:"word"`
}

// After class, on screens: a teacher types a roster (a mistake in it
// shown on its line, nothing typed lost), writes a student's profile,
// starts a class with the roster; students join by picking their name
// and picture (a wrong picture refused in words), and the rostered
// student sees the part of their profile that is theirs. They practise;
// the class ends; the console says so and links the report, which the
// class list links too. The report shows the heatmap of the students and
// skills practised, downloads as CSV, and erases a student after a
// confirmation that says what goes. The profile then holds the mastery
// of the session.
func TestBrowserRosterClassReport(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "lind@school.example", "Ms Lind")
	teacher := signIn(t, b, s, "lind@school.example")

	// A roster typed in, with a first name too long on its second line:
	// the mistake is shown on that line and the text stays.
	teacher.follow("#rosters-link")
	teacher.until("the rosters page", isVisible("#new-form"))
	long := strings.Repeat("Maximiliana", 4)
	typed := "Olivia Smith\n" + long + " Jones\nBen Jones\nSam Kim"
	teacher.typeIn("#new-name", "5B maths")
	teacher.set("#new-students", typed)
	teacher.click("#new-submit")
	teacher.until("the mistake on its line", `document.querySelector("#new-students-error").textContent.startsWith("Line 2 (")`)
	if got := teacher.str(textOf("#new-students-error")); !strings.Contains(got, "first name must have at most 40 characters") {
		teacher.fail("the mistake reads %q", got)
	}
	if got := teacher.str(`document.querySelector("#new-students").value`); got != typed {
		teacher.fail("after the refusal the list reads %q, want what was typed", got)
	}
	teacher.shot("roster-mistake")
	teacher.axe("rosters, a mistake")
	teacher.set("#new-students", "Olivia Smith\nBen Jones\nSam Kim")
	teacher.click("#new-submit")
	teacher.until("the roster shown", isVisible("#roster")+` && document.querySelectorAll("#edit-students tr").length === 3`)
	var rows []rosterRow
	teacher.eval(`[...document.querySelectorAll("#edit-students tr")].map((tr) => ({id: tr.dataset.id, name: tr.children[2].textContent, word: tr.querySelector(".word").lastChild.textContent}))`, &rows)
	student := map[string]rosterRow{}
	for _, r := range rows {
		student[r.Name] = r
	}
	if len(student) != 3 || student["Olivia"].Word == "" || student["Ben"].Word == "" {
		teacher.fail("the roster shows %+v", rows)
	}
	teacher.shot("roster")
	teacher.axe("rosters")

	// Olivia's profile, written by the teacher.
	teacher.follow(fmt.Sprintf(`#edit-students tr[data-id=%q] a`, student["Olivia"].ID))
	teacher.until("Olivia's profile", `document.querySelector("#profile-title").textContent === "Olivia's profile"`)
	teacher.set("#p-strengths", "mental arithmetic\nexplaining her thinking")
	teacher.set("#p-challenges", "rushes word problems")
	teacher.set("#p-goals", "times tables to 12")
	// The sign-in runs out before the teacher saves: told so next to the
	// button, with everything typed kept; signed in again, the same save
	// goes through.
	teacher.eval(`(() => { window.keptSignIn = localStorage.getItem("classhub.teacher"); localStorage.removeItem("classhub.teacher"); return true; })()`, nil)
	teacher.click("#profile-save")
	teacher.until("the save refused", `document.querySelector("#profile-save-error").textContent.startsWith("Your sign-in has expired")`)
	if got := teacher.str(`document.querySelector("#p-strengths").value`); got != "mental arithmetic\nexplaining her thinking" {
		teacher.fail("after the refusal the strengths read %q", got)
	}
	teacher.shot("profile-expired")
	teacher.eval(`(() => { localStorage.setItem("classhub.teacher", window.keptSignIn); return true; })()`, nil)
	teacher.click("#profile-save")
	teacher.until("the profile saved", `document.querySelector("#profile-saved").textContent === "Saved." && document.querySelector("#profile-save-error").textContent === ""`)
	teacher.shot("profile-edit")
	teacher.axe("profile")

	// The class is started with the roster.
	teacher.follow("#back-roster")
	teacher.until("the roster again", isVisible("#start-form"))
	teacher.set("#start-title", "5B maths, Tuesday")
	teacher.click("#start-submit")
	teacher.afterNavigation("the live class", `document.querySelector("#live-status").dataset.state === "connected"`)
	code := strings.ReplaceAll(teacher.str(textOf("#join-code-show")), "-", "")

	// Olivia, on a phone, picks her name and picture, and sees her part of
	// her profile: her strengths and goals, never the teacher's note of
	// her challenges.
	olivia := joinByPicking(t, b, s, code, "Olivia", student["Olivia"].Word, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	olivia.until("her profile", isVisible("#me-profile")+` && document.querySelectorAll("#me-strengths li").length === 2`)
	if got := olivia.str(`document.querySelector("#me-goals").value`); got != "times tables to 12" {
		olivia.fail("her goals read %q", got)
	}
	if strings.Contains(olivia.str(`document.body.innerText`), "rushes") {
		olivia.fail("the teacher's note of her challenges reaches her device")
	}
	olivia.shot("profile")
	olivia.axe("her profile")

	// Ben picks a picture that is not his first: told so, and tries again.
	ben := newTab(t, b, "Ben", chromedp.EmulateViewport(1366, 768))
	ben.do("open the student page", chromedp.Navigate(s.url+"/?code="+code))
	ben.until("the names of the class", isVisible("#pick-names")+` && document.querySelectorAll("#pick-names button").length === 3`)
	var names []string
	ben.eval(`[...document.querySelectorAll("#pick-names button")].map((b) => b.textContent)`, &names)
	if !slices.Equal(names, []string{"Ben", "Olivia", "Sam"}) {
		ben.fail("the names to pick from are %v", names)
	}
	ben.shot("pick-name")
	ben.clickText("#pick-names button", "Ben")
	ben.until("the pictures", isVisible("#pick-words"))
	wrong := student["Sam"].Word
	ben.click(fmt.Sprintf(`#pick-words button[data-word=%q]`, wrong))
	ben.until("the wrong picture refused", `document.querySelector("#pick-error").textContent.startsWith("That is not Ben's picture")`)
	ben.shot("pick-wrong")
	ben.click(fmt.Sprintf(`#pick-words button[data-word=%q]`, student["Ben"].Word))
	ben.until("the class page", `document.querySelector("#status").dataset.state === "connected"`)
	if got := ben.str(textOf("#me")); got != "You are Ben" {
		ben.fail("Ben's page says %q", got)
	}
	teacher.until("both online", `document.querySelectorAll("#roster .dot.on").length === 2`)
	id := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === %q).dataset.student`, name))
	}
	oliviaID, benID := id("Olivia"), id("Ben")

	// They practise: Olivia answers two problems right, Ben one wrong.
	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	skills := map[string]map[protocol.SkillID]bool{"Olivia": {}, "Ben": {}}
	for i := range 2 {
		it := currentItem(olivia, bank)
		answer(olivia, it, true)
		skills["Olivia"][it.Skill] = true
		if i == 0 {
			olivia.click("#practice-other .next-btn")
			olivia.until("the next problem", fmt.Sprintf(`%s && %s.dataset.item !== %q`, practiceItem, practiceItem, it.ID))
		}
	}
	it := currentItem(ben, bank)
	answer(ben, it, false)
	skills["Ben"][it.Skill] = true

	// The teacher sets Olivia's level: the report says who acted on her.
	tok := teacher.str(`JSON.parse(localStorage.getItem("classhub.teacher")).token`)
	td, _ := s.connect(tok, protocol.RoomID(teacher.str(`new URLSearchParams(location.hash.slice(1)).get("class")`)), nil)
	td.do(protocol.MsgSetLevel, protocol.SetLevel{Student: protocol.StudentID(oliviaID), Level: 0.6})
	td.ws.CloseNow()

	// The class ends: the console says so and links the report.
	teacher.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	teacher.click("#end-class")
	teacher.until("the class ended", `document.querySelector("#class-state").textContent === "Class ended"`+` && `+isVisible("#class-report"))
	if strings.Contains(teacher.str(`document.body.innerText`), "Class running") {
		teacher.fail("the console still says the class is running")
	}
	teacher.shot("ended")
	fromClass := teacher.str(`document.querySelector("#class-report").href`)

	// The class list links the same report.
	teacher.click("#back")
	teacher.until("the class list", `!!document.querySelector("#class-list .report-link")`)
	// A new class can be started with the roster from the console too.
	teacher.until("the roster offered for a new class", `[...document.querySelectorAll("#new-class-roster option")].some((o) => o.textContent === "Roster: 5B maths (3)")`)
	if got := teacher.str(`document.querySelector("#class-list .report-link").href`); got != fromClass {
		teacher.fail("the class list links the report %s, the ended class %s", got, fromClass)
	}
	teacher.shot("class-list")
	teacher.follow("#class-list .report-link")
	teacher.until("the heatmap", `document.querySelectorAll("#heatmap .hm-row").length === 2`)
	// Who acted on each student: Ms Lind on Olivia, nobody on Ben.
	acted := func(sid string) string {
		return teacher.str(fmt.Sprintf(`document.querySelector('#students tr[data-student="%s"] .acted-by').textContent`, sid))
	}
	if o, b := acted(oliviaID), acted(benID); o != "Ms Lind" || b != "none" {
		teacher.fail("who acted on them: Olivia %q, Ben %q; want Ms Lind and none", o, b)
	}

	// The heatmap has a row for each student who practised and a column
	// for each skill they answered on, named as the bank names it.
	var hmNames []string
	teacher.eval(`[...document.querySelectorAll("#heatmap .hm-row .hm-name")].map((t) => t.firstChild.textContent)`, &hmNames)
	if !slices.Equal(hmNames, []string{"Ben", "Olivia"}) {
		teacher.fail("the heatmap's rows are %v", hmNames)
	}
	all := map[protocol.SkillID]bool{}
	for name, sk := range skills {
		sid := map[string]string{"Olivia": oliviaID, "Ben": benID}[name]
		var cells []string
		teacher.eval(fmt.Sprintf(`[...document.querySelectorAll('#heatmap .hm-cell[data-student="%s"]')].map((c) => c.dataset.skill)`, sid), &cells)
		var want []string
		for k := range sk {
			want = append(want, string(k))
			all[k] = true
		}
		slices.Sort(cells)
		slices.Sort(want)
		if !slices.Equal(cells, want) {
			teacher.fail("%s's cells are of the skills %v, want %v", name, cells, want)
		}
	}
	var heads []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	teacher.eval(`[...document.querySelectorAll("#heatmap .hm-skill")].map((h) => ({id: h.dataset.skill, name: h.querySelector("title").textContent}))`, &heads)
	if len(heads) != len(all) {
		teacher.fail("the heatmap has %d skill columns, want %d", len(heads), len(all))
	}
	for _, h := range heads {
		sk := bank.Skill(protocol.SkillID(h.ID))
		if !all[protocol.SkillID(h.ID)] || sk == nil || h.Name != sk.Name {
			teacher.fail("the heatmap has the column %+v", h)
		}
	}
	var after float64
	teacher.eval(fmt.Sprintf(`Number(document.querySelector('#heatmap .hm-cell[data-student="%s"]').dataset.after)`, oliviaID), &after)
	if after <= 0 || after > 1 {
		teacher.fail("Olivia's mastery after the class is %v", after)
	}
	teacher.shot("report")
	teacher.axe("report")

	// The CSV: a row for each student and skill.
	dir := downloads(teacher)
	teacher.click("#csv")
	recs, err := csv.NewReader(bytes.NewReader(downloaded(t, dir, ".csv"))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV downloaded: %v", err)
	}
	if len(recs) < 1 || recs[0][0] != "student_id" || recs[0][2] != "skill" {
		t.Fatalf("the CSV's header is %v", recs)
	}
	got := map[string][]string{}
	for _, r := range recs[1:] {
		got[r[1]] = append(got[r[1]], r[2])
	}
	for name, sk := range skills {
		var want []string
		for k := range sk {
			want = append(want, string(k))
		}
		slices.Sort(want)
		slices.Sort(got[name])
		if !slices.Equal(got[name], want) {
			t.Errorf("the CSV has %s's skills %v, want %v", name, got[name], want)
		}
	}

	// Olivia's export: everything the class holds about her, as a file.
	teacher.click(fmt.Sprintf(`#students [data-export=%q]`, oliviaID))
	var export struct {
		Room    string `json:"room"`
		Student struct {
			Name string `json:"name"`
		} `json:"student"`
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(downloaded(t, dir, ".json"), &export); err != nil {
		t.Fatalf("the export downloaded: %v", err)
	}
	if export.Student.Name != "Olivia" || len(export.Events) == 0 {
		t.Fatalf("the export is of %q with %d events", export.Student.Name, len(export.Events))
	}

	// Erasing Ben: the confirmation says what goes; cancelled, nothing
	// changes and the focus is back on his button; confirmed, he is gone.
	erase := fmt.Sprintf(`#students [data-erase=%q]`, benID)
	teacher.click(erase)
	teacher.until("the confirmation", `document.querySelector("#erase-dialog").open`)
	what := teacher.str(textOf("#erase-dialog"))
	for _, want := range []string{"Erase Ben from “5B maths, Tuesday”?", "their practice: 1 set given, 1 answer", "cannot be undone", "learner profile is kept"} {
		if !strings.Contains(what, want) {
			teacher.fail("the confirmation does not say %q: %s", want, what)
		}
	}
	teacher.shot("erase-confirm")
	teacher.axe("report, erase confirmation")
	teacher.click("#erase-cancel")
	teacher.until("the focus back on the button", fmt.Sprintf(`!document.querySelector("#erase-dialog").open && document.activeElement.dataset.erase === %q`, benID))
	if n := teacher.str(`String(document.querySelectorAll("#students tr[data-student]").length)`); n != "2" {
		teacher.fail("after a cancel the report lists %s students", n)
	}
	teacher.click(erase)
	teacher.until("the confirmation", `document.querySelector("#erase-dialog").open`)
	teacher.click("#erase-confirm")
	teacher.untilWithin(60*time.Second, "Ben erased", `document.querySelector("#report-status").textContent.startsWith("Ben was erased") && document.querySelectorAll("#students tr[data-student]").length === 1 && document.querySelectorAll("#heatmap .hm-row").length === 1`)
	if teacher.str(`document.querySelector("#students tr[data-student]").dataset.student`) != oliviaID {
		teacher.fail("the student left in the report is not Olivia")
	}
	teacher.shot("erased")

	// The profile now holds the mastery of the session's skills. Recording
	// it follows the end of the class, so the page is opened until it does.
	want := len(skills["Olivia"])
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		teacher.do("open Olivia's profile", chromedp.Navigate(s.url+"/profile?student="+student["Olivia"].ID))
		teacher.until("the profile", isVisible("#profile-body"))
		var n int
		teacher.eval(`document.querySelectorAll("#mastery li").length`, &n)
		if n == want {
			break
		}
		if time.Now().After(deadline) {
			teacher.fail("Olivia's profile shows %d skills' mastery, want %d", n, want)
		}
		<-tick.C
	}
	if got := teacher.str(`document.querySelector("#p-challenges").value`); got != "rushes word problems" {
		teacher.fail("the challenges read %q", got)
	}
	teacher.shot("profile-mastery")
	teacher.axe("profile, mastery")
	t.Logf("the roster, class and report scenario took %s", time.Since(began).Round(100*time.Millisecond))
}

// zipOf makes a zip of the files.
func zipOf(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "oneroster.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A OneRoster export with mistakes is refused with each at its file and
// line; fixed, it becomes a roster.
func TestBrowserOneRosterImport(t *testing.T) {
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "ngata@school.example", "Mr Ngata")
	teacher := signIn(t, b, s, "ngata@school.example")
	teacher.do("open the rosters", chromedp.Navigate(s.url+"/rosters"))
	teacher.until("the import form", isVisible("#import-form"))

	classes := "sourcedId,status,title,classCode\r\nc1,active,7B maths,7BM\r\n"
	bad := zipOf(t, map[string]string{
		"export/users.csv":       "sourcedId,status,role,givenName,familyName\r\nu1,active,student,Olivia,Smith\r\nu2,active,student,,Jones\r\nt1,active,teacher,Ana,Park\r\n",
		"export/classes.csv":     classes,
		"export/enrollments.csv": "sourcedId,status,classSourcedId,userSourcedId,role\r\ne1,active,c1,u1,student\r\ne2,active,c9,u1,student\r\n",
	})
	teacher.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{bad}))
	teacher.click("#import-submit")
	teacher.untilWithin(60*time.Second, "the problems", `document.querySelectorAll("#import-result tr.problem").length > 0`)
	var problems [][]string
	teacher.eval(`[...document.querySelectorAll("#import-result tr.problem")].map((tr) => [...tr.children].map((td) => td.textContent))`, &problems)
	has := func(file, line, word string) bool {
		return slices.ContainsFunc(problems, func(p []string) bool { return p[0] == file && p[1] == line && strings.Contains(p[2], word) })
	}
	if len(problems) != 2 || !has("users.csv", "3", "givenName") || !has("enrollments.csv", "3", "c9") {
		teacher.fail("the problems shown are %v; want users.csv line 3 (givenName) and enrollments.csv line 3 (c9)", problems)
	}
	if !strings.HasPrefix(teacher.str(textOf("#import-result p.error")), "Nothing was imported: the file has 2 problems") {
		teacher.fail("the import's refusal reads %q", teacher.str(textOf("#import-result p.error")))
	}
	if n := teacher.str(`String(document.querySelectorAll("#roster-list li").length)`); n != "0" {
		teacher.fail("a refused import left %s rosters", n)
	}
	teacher.shot("import-problems")
	teacher.axe("rosters, import problems")

	good := zipOf(t, map[string]string{
		"users.csv":       "sourcedId,status,role,givenName,familyName\r\nu1,active,student,Olivia,Smith\r\nu2,active,student,Ben,Jones\r\n",
		"classes.csv":     classes,
		"enrollments.csv": "sourcedId,status,classSourcedId,userSourcedId,role\r\ne1,active,c1,u1,student\r\ne2,active,c1,u2,student\r\n",
	})
	teacher.do("choose the fixed file", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{good}))
	teacher.click("#import-submit")
	teacher.untilWithin(60*time.Second, "the roster imported", `document.querySelector("#import-result .ok") && document.querySelectorAll("#roster-list li").length === 1`)
	if got := teacher.str(textOf("#roster-list li h3")); got != "7B maths" {
		teacher.fail("the imported roster is named %q", got)
	}
	teacher.shot("imported")
	teacher.axe("rosters, imported")

	// The roster edited: Ben gets a new picture word, Olivia leaves, a
	// student is added with a family name too long (said on its line, the
	// rest kept), then fixed.
	teacher.click("#roster-list li button")
	teacher.until("the roster", isVisible("#roster")+` && document.querySelectorAll("#edit-students tr").length === 2`)
	wordOf := func(name string) string {
		return teacher.str(fmt.Sprintf(`[...document.querySelectorAll("#edit-students tr")].find((tr) => tr.children[2].textContent === %q).querySelector(".word").lastChild.textContent`, name))
	}
	old := wordOf("Ben")
	teacher.click(`#edit-students button[aria-label="New word for Ben"]`)
	teacher.until("Ben's new word", fmt.Sprintf(`[...document.querySelectorAll("#edit-students tr")].find((tr) => tr.children[2].textContent === "Ben").querySelector(".word").lastChild.textContent !== %q`, old))
	teacher.click(`#edit-students button[aria-label="Remove Olivia"]`)
	teacher.until("Olivia marked", `!!document.querySelector('#edit-students button[aria-label="Keep Olivia"]')`)
	added := "Aroha " + strings.Repeat("Wiremu", 7)
	teacher.set("#edit-add", added)
	teacher.click("#edit-save")
	teacher.until("the mistake on its line", `document.querySelector("#edit-add-error").textContent.startsWith("Line 1 (")`)
	if got := teacher.str(`document.querySelector("#edit-add").value`); got != added {
		teacher.fail("after the refusal the added line reads %q", got)
	}
	teacher.set("#edit-add", "Aroha Wiremu")
	teacher.click("#edit-save")
	teacher.untilWithin(60*time.Second, "the roster saved", `document.querySelector("#rosters-status").textContent.startsWith("Saved") && [...document.querySelectorAll("#edit-students tr")].map((tr) => tr.children[2].textContent).join() === "Ben,Aroha"`)
	var shown []string
	teacher.eval(`[...document.querySelectorAll("#edit-students tr")].map((tr) => tr.children[2].textContent)`, &shown)
	if !slices.Equal(shown, []string{"Ben", "Aroha"}) {
		teacher.fail("after saving the roster lists %v, want Ben and Aroha", shown)
	}

	// A report of a class that is not the teacher's says so in words.
	teacher.do("open the report of no class", chromedp.Navigate(s.url+"/report?room=4b955ea0-e456-4b43-a44e-e3de91013e9e"))
	teacher.until("the refusal", isVisible("#report-load")+` && document.querySelector("#report-error").textContent.startsWith("There is no such class among yours")`)
}
