package frontend

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestServesTheApps(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for path, want := range map[string]string{
		"/":           "text/html",
		"/teacher":    "text/html",
		"/teacher/":   "text/html",
		"/coach":      "text/html",
		"/coach/":     "text/html",
		"/coach.js":   "text/javascript",
		"/notes.js":   "text/javascript",
		"/client.js":  "text/javascript",
		"/student.js": "text/javascript",
		"/teacher.js": "text/javascript",
		"/app.css":    "text/css",
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
	res, _ := http.Get(srv.URL + "/teacher")
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), "teacher.js") {
		t.Error("/teacher is not the console")
	}
	res, _ = http.Get(srv.URL + "/coach?invite=ABC")
	b, _ = io.ReadAll(res.Body)
	if !strings.Contains(string(b), "coach.js") {
		t.Error("/coach is not the coach page")
	}
	if res, _ := http.Get(srv.URL + "/nothing.js"); res.StatusCode != 404 {
		t.Errorf("/nothing.js: %d", res.StatusCode)
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
	importRe := regexp.MustCompile(`(?:from|import)\s*\(?\s*"\./([^"]+)"`)
	idRe := regexp.MustCompile(`(?:\$|getElementById)\("([^"]+)"\)`)
	read := func(name string) string {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(b)
	}
	for page, entry := range map[string]string{"index.html": "student.js", "teacher.html": "teacher.js", "coach.html": "coach.js"} {
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
