package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// As the binary serves them: a path under /api/ that is no route, or a
// route asked with the wrong method, answers the API's JSON error, while
// the web apps beside it are still served.
func TestServedRoutes(t *testing.T) {
	s := startServer(t, t.TempDir())
	get := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for _, c := range []struct {
		method, path string
		status       int
		code         protocol.Code
	}{
		{"GET", "/api/v1/nope", 404, protocol.CodeNotFound},
		{"POST", "/api/v1/nope", 404, protocol.CodeNotFound},
		{"DELETE", "/api/v1/rooms", 400, protocol.CodeInvalid},
	} {
		res, b := get(c.method, c.path)
		var body struct{ Error *protocol.Error }
		if json.Unmarshal(b, &body) != nil || body.Error == nil || body.Error.Code != c.code || res.StatusCode != c.status ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s %q; want %d with a JSON %s", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), b, c.status, c.code)
		}
	}
	for _, path := range []string{"/", "/teacher", "/coach"} {
		res, b := get("GET", path)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<html") {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}
