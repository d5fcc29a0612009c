package hub

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/frontend"
	"github.com/classhub/classhub/protocol"
)

// A name that is not UTF-8 is refused on REST as a frame that is not
// UTF-8 is on the WebSocket, instead of being joined with U+FFFD in it.
func TestJoinRefusesNameNotUTF8(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Year 5 maths")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})

	// On the WebSocket: a text in bytes that are not UTF-8.
	tc.sendRaw([]byte("{\"v\":1,\"id\":\"u1\",\"type\":\"announce\",\"data\":{\"text\":\"Ol\xffvia\"}}"))
	var ws *protocol.Error
	tc.waitFor("the answer to a frame that is not UTF-8", func(frames []protocol.ServerFrame, _ error) bool {
		for _, f := range frames {
			if f.Type == protocol.FrameError {
				ws = f.Error
				return true
			}
		}
		return false
	})

	for _, body := range []string{
		"{\"code\":\"" + info.Code + "\",\"name\":\"Ol\xffvia\"}",
		"{\"code\":\"" + info.Code + "\",\"name\":\"\xc3\"}",
		"{\"code\":\"" + info.Code + "\",\"name\":\"Olivia\"}\xfe",
	} {
		st, perr := e.call("POST", "/api/v1/join", "", body, nil)
		if st != http.StatusBadRequest || perr == nil || perr.Code != ws.Code {
			t.Fatalf("join with %q: %d %v; the WebSocket answers %v", body, st, perr, ws)
		}
		if want := "the request body is not valid UTF-8"; perr.Message != want || ws.Message != "frame is not valid UTF-8" {
			t.Fatalf("messages: REST %q (want %q), WebSocket %q", perr.Message, want, ws.Message)
		}
	}
	// Nobody joined.
	var rep struct{ Students []json.RawMessage }
	if _, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID)+"/report", tl.Token, nil, &rep); perr != nil || len(rep.Students) != 0 {
		t.Fatalf("students after refused joins: %d %v", len(rep.Students), perr)
	}
}

// asServed mounts the API and the web apps on one echo, as the binary
// does, in front of e's node.
func asServed(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	ec := echo.New()
	ec.IPExtractor = echo.ExtractIPDirect()
	e.h.Register(ec)
	ec.GET("/*", echo.WrapHandler(frontend.Handler()))
	srv := httptest.NewServer(ec)
	t.Cleanup(srv.Close)
	return srv
}

// Every answer of the API is JSON, errors included: a path under /api/
// that the API does not have is not_found, a route asked with a method it
// does not take is invalid with Allow; the web apps are served as before.
func TestRESTErrorsAreJSON(t *testing.T) {
	e := newEnv(t)
	srv := asServed(t, e)
	tl := e.teacher()
	info := e.room(tl.Token, "Year 5 maths")
	do := func(method, path, token string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for _, c := range []struct {
		method, path, token string
		status              int
		code                protocol.Code
		allow               string
	}{
		{"GET", "/api/v1/nope", "", 404, protocol.CodeNotFound, ""},
		{"GET", "/api/v1/nope", tl.Token, 404, protocol.CodeNotFound, ""},
		{"POST", "/api/v1/nope", "", 404, protocol.CodeNotFound, ""},
		{"DELETE", "/api/v1/nope/deeper", "", 404, protocol.CodeNotFound, ""},
		{"GET", "/api/v1/rooms/" + string(info.ID) + "/nope", tl.Token, 404, protocol.CodeNotFound, ""},
		{"GET", "/api/v2/rooms", tl.Token, 404, protocol.CodeNotFound, ""},
		{"GET", "/api/", "", 404, protocol.CodeNotFound, ""},
		{"DELETE", "/api/v1/rooms", tl.Token, 400, protocol.CodeInvalid, "OPTIONS, GET, POST"},
		{"GET", "/api/v1/login", "", 400, protocol.CodeInvalid, "OPTIONS, POST"},
		{"PUT", "/api/v1/rooms/" + string(info.ID) + "/end", tl.Token, 400, protocol.CodeInvalid, "OPTIONS, POST"},
		{"PATCH", "/api/v1/rosters/" + string(info.ID), tl.Token, 400, protocol.CodeInvalid, "OPTIONS, DELETE, GET, PUT"},
	} {
		res, b := do(c.method, c.path, c.token)
		var body struct {
			Error *protocol.Error `json:"error"`
		}
		if err := json.Unmarshal(b, &body); err != nil || body.Error == nil || res.StatusCode != c.status || body.Error.Code != c.code || body.Error.Message == "" {
			t.Errorf("%s %s: %d %s %q; want %d with a JSON %s", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), b, c.status, c.code)
			continue
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, res.Header.Get("Content-Type"))
		}
		if got := res.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	// OPTIONS still lists the methods of a route.
	if res, _ := do("OPTIONS", "/api/v1/rooms", ""); res.StatusCode != http.StatusNoContent || res.Header.Get("Allow") != "OPTIONS, GET, POST" {
		t.Errorf("OPTIONS /api/v1/rooms: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	// The routes themselves still answer.
	if res, b := do("GET", "/api/v1/rooms/"+string(info.ID), tl.Token); res.StatusCode != http.StatusOK || !strings.Contains(string(b), string(info.ID)) {
		t.Errorf("GET the room: %d %s", res.StatusCode, b)
	}
	// The web apps are still served.
	for _, path := range []string{"/", "/teacher", "/coach", "/client.js", "/app.css"} {
		res, b := do("GET", path, "")
		if res.StatusCode != http.StatusOK || len(b) == 0 || strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

// Every route of the API is in PROTOCOL.md, and PROTOCOL.md names no
// route the API does not have.
func TestDocRESTRoutes(t *testing.T) {
	b, err := os.ReadFile("../protocol/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	e := newEnv(t)
	ec := echo.New()
	e.h.Register(ec)
	param := regexp.MustCompile(`:([a-z]+)`)
	var routes []string
	for _, r := range ec.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.HasSuffix(r.Path, "*") {
			continue
		}
		route := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		routes = append(routes, route)
		if !regexp.MustCompile("`" + regexp.QuoteMeta(route) + "[` ?]").MatchString(doc) {
			t.Errorf("PROTOCOL.md does not document %s", route)
		}
	}
	for _, m := range regexp.MustCompile("`((?:GET|POST|PUT|DELETE|PATCH) /api/[^` ?]*)").FindAllStringSubmatch(doc, -1) {
		if !slices.Contains(routes, m[1]) {
			t.Errorf("PROTOCOL.md documents %s, which the API does not have", m[1])
		}
	}
	if len(routes) < 25 {
		t.Fatalf("only %d routes found", len(routes))
	}
}
