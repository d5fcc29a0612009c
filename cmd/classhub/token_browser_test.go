package main

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The web apps renew their tokens before they expire: a teacher's console,
// a student's page and the projector on the wall, open longer than a
// token lasts (30 s here), each keep a fresh token where they keep theirs;
// after the first tokens expired, a student who reloads is back in the
// class without joining again, a teacher who reloads is still signed in,
// and a projector reloaded still shows the class.
func TestBrowserTokenRenewal(t *testing.T) {
	b := browser(t)
	data := t.TempDir()
	s := startServerWith(t, data, "--token-ttl", "30s")
	addTeacher(t, data, "renew@school.example", "Ms Renew")
	teacher, code := openClass(t, b, s, "renew@school.example", "A long lesson")
	st := join(t, b, s, code, "Lena")
	wall := openWall(t, teacher, "projector")
	wall.until("the projector showing the class", `document.querySelector("#wall-status").dataset.state === "connected" && `+textOf("#wall-title")+` === "A long lesson"`)

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
	var wTok string
	wall.eval(`JSON.parse(sessionStorage.getItem("classhub.projector")).token`, &wTok)
	if tTok == "" || sTok == "" || wTok == "" {
		t.Fatalf("no token kept: teacher %q, student %q, projector %q", tTok, sTok, wTok)
	}
	wExp := tokenExpiry(t, wTok)
	// Renewed at half their life, each where the page keeps it.
	teacher.until("the console's token renewed", `JSON.parse(localStorage.getItem("classhub.teacher")).token !== `+strconv.Quote(tTok))
	st.until("the student's token renewed", `JSON.parse(localStorage.getItem("classhub.student")).token !== `+strconv.Quote(sTok))
	wall.until("the projector's token renewed", `JSON.parse(sessionStorage.getItem("classhub.projector")).token !== `+strconv.Quote(wTok))
	var renewed string
	wall.eval(`JSON.parse(sessionStorage.getItem("classhub.projector")).token`, &renewed)
	if exp := tokenExpiry(t, renewed); !exp.After(wExp) {
		t.Fatalf("the projector's renewed token expires at %v, the first at %v", exp, wExp)
	}
	if _, exp := stored(st, "classhub.student"); exp <= sExp {
		t.Fatalf("the renewed token expires at %d, the first at %d", exp, sExp)
	}

	// Past the first tokens' expiry, the pages go on with the new ones.
	last := max(tExp, sExp, wExp.UnixMilli())
	st.until("the first tokens to expire", `Date.now() > `+strconv.FormatInt(last+1000, 10))
	st.do("reload the student page", chromedp.Reload())
	st.until("the class again after a reload", `document.querySelector("#status").dataset.state === "connected"`)
	// The console, reloaded, is still signed in and back in its class.
	teacher.do("reload the console", chromedp.Reload())
	teacher.until("the live class again", `document.querySelector("#live-status").dataset.state === "connected"`)
	teacher.until("the class's title", isVisible("#live-title"))
	// The projector, reloaded, shows the class and how to join it.
	wall.do("reload the projector", chromedp.Reload())
	wall.until("the projector showing the class again", `document.querySelector("#wall-status").dataset.state === "connected" && `+
		textOf("#wall-title")+` === "A long lesson" && `+isVisible("#wall-join"))
	if got, want := strings.ReplaceAll(wall.str(textOf("#wall-code")), "-", ""), code; got != want {
		wall.fail("the reloaded projector shows the code %q, want %q", got, want)
	}
	// Opened again from the console, into the same window: the projector
	// takes the new token, and the address bar on the wall does not keep
	// showing it.
	var kept string
	wall.eval(`JSON.parse(sessionStorage.getItem("classhub.projector")).token`, &kept)
	teacher.click("#projector-open")
	wall.until("the projector on its new token", `location.hash === "" && JSON.parse(sessionStorage.getItem("classhub.projector")).token !== `+strconv.Quote(kept)+
		` && document.querySelector("#wall-status").dataset.state === "connected" && `+textOf("#wall-title")+` === "A long lesson"`)
}

// tokenExpiry reads when a token expires from its claims (the test knows
// the format; the pages read it the same way to renew at half its life).
func tokenExpiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a token: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("the token's claims: %v", err)
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Exp == 0 {
		t.Fatalf("the token's claims %s: %v", b, err)
	}
	return time.Unix(c.Exp, 0)
}
