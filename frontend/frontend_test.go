package frontend

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
)

func TestServesTheApps(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for path, want := range map[string]string{
		"/":                     "text/html",
		"/teacher":              "text/html",
		"/teacher/":             "text/html",
		"/coach":                "text/html",
		"/coach/":               "text/html",
		"/projector":            "text/html",
		"/projector.js":         "text/javascript",
		"/teacher-projector.js": "text/javascript",
		"/teacher-share.js":     "text/javascript",
		"/coach.js":             "text/javascript",
		"/notes.js":             "text/javascript",
		"/client.js":            "text/javascript",
		"/student.js":           "text/javascript",
		"/teacher.js":           "text/javascript",
		"/practice.js":          "text/javascript",
		"/flags.js":             "text/javascript",
		"/teacher-flags.js":     "text/javascript",
		"/teacher-practice.js":  "text/javascript",
		"/app.css":              "text/css",
		"/report":               "text/html",
		"/rosters/":             "text/html",
		"/profile":              "text/html",
		"/charts.js":            "text/javascript",
		"/after.css":            "text/css",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), want) || len(body) == 0 {
			t.Errorf("%s: %d %q (%d bytes), want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), len(body), want)
		}
		if res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: Cache-Control %q", path, res.Header.Get("Cache-Control"))
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if _, b := get("/teacher"); !strings.Contains(b, "teacher.js") {
		t.Error("/teacher is not the console")
	}
	if _, b := get("/coach?invite=ABC"); !strings.Contains(b, "coach.js") {
		t.Error("/coach is not the coach page")
	}
	for page, script := range map[string]string{"/report?room=x": "report.js", "/rosters": "rosters.js", "/profile?student=x": "profile.js"} {
		if _, b := get(page); !strings.Contains(b, script) {
			t.Errorf("%s is not the page of %s", page, script)
		}
	}
	if code, _ := get("/nothing.js"); code != 404 {
		t.Errorf("/nothing.js: %d", code)
	}
}

// The apps load nothing from elsewhere: a school network may block it,
// and a student's device should talk to the school's server only.
func TestNoExternalURLs(t *testing.T) {
	ext := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|import[^;]*["']https?://`)
	err := fs.WalkDir(FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), path)
		if err != nil {
			return err
		}
		if m := ext.Find(b); m != nil {
			t.Errorf("%s refers to an external URL: %s", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every module an app imports is there, and every element a page's scripts
// look up by ID is in that page: a renamed ID or file fails here rather
// than in a classroom.
func TestPagesAndScriptsFit(t *testing.T) {
	idRe := regexp.MustCompile(`(?:\$|getElementById)\("([^"]+)"\)`)
	read := func(name string) string {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(b)
	}
	for page, entry := range map[string]string{"index.html": "student.js", "teacher.html": "teacher.js", "coach.html": "coach.js",
		"report.html": "report.js", "rosters.html": "rosters.js", "profile.html": "profile.js"} {
		html := read(page)
		if !strings.Contains(html, `src="`+entry+`"`) {
			t.Errorf("%s does not load %s", page, entry)
		}
		seen := map[string]bool{}
		queue := []string{entry}
		for len(queue) > 0 {
			mod := queue[0]
			queue = queue[1:]
			if seen[mod] {
				continue
			}
			seen[mod] = true
			if _, err := fs.Stat(FS(), mod); err != nil {
				t.Errorf("%s: module %s is missing", page, mod)
				continue
			}
			src := read(mod)
			for _, m := range importRe.FindAllStringSubmatch(src, -1) {
				queue = append(queue, m[1])
			}
			for _, m := range idRe.FindAllStringSubmatch(src, -1) {
				if !strings.Contains(html, `id="`+m[1]+`"`) {
					t.Errorf("%s looks up #%s, which %s does not have", mod, m[1], page)
				}
			}
		}
	}
}

var importRe = regexp.MustCompile(`(?:from|import)\s*\(?\s*"\./([^"]+)"`)

// modules lists the modules an app loads from entry, entry included.
func modules(t *testing.T, entry string) []string {
	t.Helper()
	seen := map[string]bool{}
	queue := []string{entry}
	var out []string
	for len(queue) > 0 {
		mod := queue[0]
		queue = queue[1:]
		if seen[mod] {
			continue
		}
		seen[mod] = true
		out = append(out, mod)
		b, err := fs.ReadFile(FS(), mod)
		if err != nil {
			t.Fatalf("%s: %v", mod, err)
		}
		for _, m := range importRe.FindAllStringSubmatch(string(b), -1) {
			queue = append(queue, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// Flags are for teachers and coaches: the student page does not load the
// help queue's module nor handle a flag event, so that a bug of the
// server's audience could not put one on a student's screen either.
func TestFlagsStayOffStudentDevices(t *testing.T) {
	flagEvent := regexp.MustCompile(`case\s+"flag"\s*:|"flag_action"`)
	for _, mod := range modules(t, "student.js") {
		if mod == "flags.js" || strings.HasPrefix(mod, "teacher") || mod == "console.js" {
			t.Errorf("the student page loads %s", mod)
		}
		b, _ := fs.ReadFile(FS(), mod)
		if m := flagEvent.Find(b); m != nil {
			t.Errorf("%s, loaded by the student page, handles flags: %s", mod, m)
		}
	}
	for _, entry := range []string{"teacher.js", "coach.js"} {
		if !slices.Contains(modules(t, entry), "flags.js") {
			t.Errorf("%s does not load the help queue (flags.js)", entry)
		}
	}
	// The coach's queue is read-only: flag_action is the teachers'.
	if b, _ := fs.ReadFile(FS(), "coach.js"); strings.Contains(string(b), "flag_action") {
		t.Error("coach.js sends flag_action, which only a teacher may")
	}
}

// Every rule, level and kind the server sends has words for the people
// who read it: a value renamed in the protocol fails here rather than
// showing its raw name in a classroom.
func TestLearningWords(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	has := func(file, src, key string) {
		t.Helper()
		re := regexp.MustCompile(`(?m)^\s*"?` + regexp.QuoteMeta(key) + `"?\s*:\s*"[^"]+"`)
		if !re.MatchString(src) {
			t.Errorf("%s has no words for %q", file, key)
		}
	}
	flags := read("flags.js")
	for _, r := range []protocol.FlagRule{protocol.RuleIdle, protocol.RuleStruggle, protocol.RuleStuck, protocol.RulePrereqGap,
		protocol.RuleGaming, protocol.RuleHelp, protocol.RuleDoingWell} {
		has("flags.js", flags, string(r))
	}
	for _, l := range []protocol.FlagLevel{protocol.LevelInfo, protocol.LevelWatch, protocol.LevelActNow} {
		has("flags.js", flags, string(l))
	}
	if !strings.Contains(flags, `"Doing well: offer enrichment"`) {
		t.Error("flags.js does not word doing well as a suggestion")
	}
	kinds := []content.SetKind{content.SetPractice, content.SetPlaylist, content.SetChoiceBoard, content.SetCheck, content.SetEnrichment}
	for _, file := range []string{"practice.js", "teacher-practice.js"} {
		src := read(file)
		for _, k := range kinds {
			has(file, src, string(k))
		}
	}
	practice := read("practice.js")
	for _, k := range []protocol.ItemKind{protocol.ItemChoice, protocol.ItemNumeric} {
		if !strings.Contains(practice, `"`+string(k)+`"`) {
			t.Errorf("practice.js does not show %s items", k)
		}
	}
	// The student page's wording of the reasons the server gives.
	for _, reason := range []string{"a similar problem", "checking that it stuck", "sent by your teacher"} {
		if !strings.Contains(practice, `"`+reason+`":`) {
			t.Errorf("practice.js has no words for the reason %q", reason)
		}
	}
}
