package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// within is until with a longer wait, for what a simulated class does in
// its own time.
func (tb *tab) within(d time.Duration, what, cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, d)
	defer cancel()
	if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { try { return !!(`+cond+`) } catch { return false } })()`, chromedp.WithPollingTimeout(d))); err != nil || !ok {
		tb.fail("waited %s for %s (%s); last error: %v", d, what, cond, err)
	}
}

var (
	demoSignIn   = regexp.MustCompile(`Sign in at\s+(http://\S+)/teacher`)
	demoEmailRe  = regexp.MustCompile(`e-mail\s+(\S+@\S+)`)
	demoPassRe   = regexp.MustCompile(`password\s+(\S+)`)
	demoFinished = "Stop with Ctrl+C."
)

// "classhub demo", the real binary, prints a teacher's sign-in; with it
// the console shows the demo class with its 24 students online, a
// rotation counting down and students in the help queue within a
// minute. Stopped, the demo removes its data folder.
func TestDemo(t *testing.T) {
	began := time.Now()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "demo", "--addr", "127.0.0.1:0", "--grace", "300ms")
	cmd.Env = append(os.Environ(), "CLASSHUB_TEST_MAIN=1", "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := new(lockedBuffer)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	printed := make(chan string, 1)
	go func() {
		var out strings.Builder
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), demoFinished) {
				printed <- out.String()
				sent = true
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var out string
	select {
	case out = <-printed:
	case err := <-exited:
		t.Fatalf("the demo exited before it was ready: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo printed no sign-in within 60s\n%s", logs.String())
	}
	url, email, password := demoSignIn.FindStringSubmatch(out), demoEmailRe.FindStringSubmatch(out), demoPassRe.FindStringSubmatch(out)
	if url == nil || email == nil || password == nil {
		t.Fatalf("the demo printed no sign-in:\n%s", out)
	}
	t.Logf("the demo was ready after %s:\n%s", time.Since(began).Round(100*time.Millisecond), out)

	b := browser(t)
	teacher := newTab(t, b, "demo")
	teacher.do("open the console", chromedp.Navigate(url[1]+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	teacher.typeIn("#signin-email", email[1])
	teacher.typeIn("#signin-password", password[1])
	teacher.click("#signin-submit")
	teacher.until("the demo class in the list", `[...document.querySelectorAll("#class-list a")].some((a) => a.textContent === "`+demoTitle+`")`)
	teacher.clickText("#class-list a", demoTitle)
	teacher.until("the live class", `document.querySelector("#live-status").dataset.state === "connected"`)
	teacher.within(30*time.Second, "24 students online", `document.querySelectorAll("#roster .dot.on").length === 24`)
	teacher.within(60*time.Second, "a rotation of three groups counting down",
		`document.querySelectorAll("#rotation-tracks tr[data-track]").length === 3 && [...document.querySelectorAll("#rotation-tracks .countdown")].some((c) => /^0:\d\d$/.test(c.textContent))`)
	teacher.within(60*time.Second, "students in the help queue, one to act on now",
		`document.querySelectorAll("#help-queue li.flag").length >= 2 && !!document.querySelector('#help-queue li.flag[data-level="act_now"]')`)
	teacher.shot("help-queue")
	teacher.click("#tab-rotation")
	teacher.shot("rotation")
	t.Logf("the console showed the rotation and the help queue after %s", time.Since(began).Round(100*time.Millisecond))

	// Stopped as a person stops it, the demo leaves nothing behind.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the demo stopped with %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the demo did not stop within 30s of Ctrl+C\n%s", logs.String())
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "classhub-demo-*"))
	if len(left) > 0 {
		t.Errorf("the demo left its data folder: %v", left)
	}
}
