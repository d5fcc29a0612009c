package main

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// The web apps renew their tokens before they expire: a teacher's console
// and a student's page, open longer than a token lasts (30 s here), each
// keep a fresh token where they keep theirs; after the first tokens
// expired, a student who reloads is back in the class without joining
// again, and a teacher who reloads is still signed in.
func TestBrowserTokenRenewal(t *testing.T) {
	b := browser(t)
	data := t.TempDir()
	s := startServerWith(t, data, "--token-ttl", "30s")
	addTeacher(t, data, "renew@school.example", "Ms Renew")
	teacher, code := openClass(t, b, s, "renew@school.example", "A long lesson")
	st := join(t, b, s, code, "Lena")

	stored := func(tb *tab, key string) (token string, expires int64) {
		var rec struct {
			Token   string `json:"token"`
			Expires int64  `json:"expires"`
		}
		tb.eval(`JSON.parse(localStorage.getItem("`+key+`"))`, &rec)
		return rec.Token, rec.Expires
	}
	tTok, tExp := stored(teacher, "classhub.teacher")
	sTok, sExp := stored(st, "classhub.student")
	if tTok == "" || sTok == "" {
		t.Fatalf("no token kept: teacher %q, student %q", tTok, sTok)
	}
	// Renewed at half their life, each where the page keeps it.
	teacher.until("the console's token renewed", `JSON.parse(localStorage.getItem("classhub.teacher")).token !== `+strconv.Quote(tTok))
	st.until("the student's token renewed", `JSON.parse(localStorage.getItem("classhub.student")).token !== `+strconv.Quote(sTok))
	if _, exp := stored(st, "classhub.student"); exp <= sExp {
		t.Fatalf("the renewed token expires at %d, the first at %d", exp, sExp)
	}

	// Past the first tokens' expiry, the pages go on with the new ones.
	last := max(tExp, sExp)
	st.until("the first tokens to expire", `Date.now() > `+strconv.FormatInt(last+1000, 10))
	st.do("reload the student page", chromedp.Reload())
	st.until("the class again after a reload", `document.querySelector("#status").dataset.state === "connected"`)
	// The console, reloaded, is still signed in and back in its class.
	teacher.do("reload the console", chromedp.Reload())
	teacher.until("the live class again", `document.querySelector("#live-status").dataset.state === "connected"`)
	teacher.until("the class's title", isVisible("#live-title"))
}
