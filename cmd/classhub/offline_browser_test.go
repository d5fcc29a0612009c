package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/classhub/classhub/protocol"
)

// offline takes a tab's network away, or gives it back, as a device that
// loses its Wi-Fi: requests fail (its service worker's too) and the page
// is told it is offline.
func offline(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		sw := on
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &sw,
			MatchedNetworkConditions:    []*network.Conditions{{Offline: on, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: on, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// wsFrames records the WebSocket frames a tab sends and receives.
type wsFrames struct {
	sent, got frames
}

func (w *wsFrames) listen(ev any) {
	if e, ok := ev.(*network.EventWebSocketFrameSent); ok && e.Response != nil {
		w.sent.mu.Lock()
		w.sent.list = append(w.sent.list, string(e.Response.PayloadData))
		w.sent.mu.Unlock()
	}
	w.got.listen(ev)
}

// framesWithID are the frames of a list that carry the request ID id.
func framesWithID(list []string, id string) []string {
	var out []string
	for _, f := range list {
		var fr struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(f), &fr) == nil && fr.ID == id {
			out = append(out, f)
		}
	}
	return out
}

// An answer given offline survives a reload and is sent once: Olivia's
// Chromebook loses the network in the middle of practice; her answer is
// shown as saved and kept on the device; she reloads the page, still
// offline, and sees her problem with her answer, still saved; the network
// comes back and the answer is marked, once. A copy of the answer put back
// on the device, as a device that sent it but never heard back would have
// it, goes again with the same request ID and gets the first answer:
// the teacher still sees one answer.
func TestBrowserOfflineAnswers(t *testing.T) {
	began := time.Now()
	bank := demoBank(t, "fractions-5")
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "osei@school.example", "Ms Osei")
	teacher, code := openClass(t, b, s, "osei@school.example", "Year 5 fractions")
	olivia := join(t, b, s, code, "Olivia", chromedp.EmulateViewport(1366, 768))
	var ws wsFrames
	if err := chromedp.Listen(olivia.ctx, ws.listen); err != nil {
		t.Fatal(err)
	}
	olivia.do("record the network", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	olivia.until("the page kept for offline", `document.documentElement.dataset.offline === "ready"`)
	teacher.until("Olivia online", `document.querySelectorAll("#roster .dot.on").length === 1`)

	teacher.click("#tab-practice")
	teacher.until("the demo banks", `!!document.querySelector("#banks [data-assign='fractions-5/frac-equivalence']")`)
	teacher.set("#practice-to", "")
	teacher.click(`#banks [data-assign="fractions-5/frac-equivalence"]`)
	it := currentItem(olivia, bank)
	olivia.until("ready to answer", `document.querySelector("#practice-box").dataset.busy === "false"`)

	// The network goes; she answers right.
	olivia.do("lose the network", offline(true))
	olivia.until("the page offline", `document.querySelector("#status").dataset.state !== "connected"`)
	shown := it.ValueText
	switch it.Kind {
	case protocol.ItemChoice:
		olivia.click(fmt.Sprintf(`#practice-item .choice-btn[data-choice="%d"]`, it.Correct))
		shown = it.Choices[it.Correct]
	case protocol.ItemNumeric:
		olivia.set("#practice-item .answer-input", it.ValueText)
	default:
		shown = it.Accept[0]
		olivia.set("#practice-item .answer-input", shown)
	}
	olivia.click("#practice-item .check")
	saved := fmt.Sprintf(`document.querySelector("#practice-feedback").dataset.result === "queued" && document.querySelector("#practice-feedback").textContent.includes("Saved — will send") && document.querySelector("#practice-feedback").textContent.includes(%q)`, shown)
	olivia.until("the answer saved, to send", saved)
	olivia.shot("offline-saved")
	var outbox []struct {
		ID    string          `json:"id"`
		Type  string          `json:"type"`
		Data  json.RawMessage `json:"data"`
		Frame string          `json:"frame"`
	}
	keptKey := `Object.keys(localStorage).find((k) => k.startsWith("classhub.student.outbox."))`
	olivia.eval(`JSON.parse(localStorage.getItem(`+keptKey+`) || "[]")`, &outbox)
	if len(outbox) != 1 || outbox[0].Type != "answer" {
		olivia.fail("the device keeps %+v, want the answer", outbox)
	}
	kept := outbox[0]

	// She reloads, still offline: the page comes from the device, with her
	// problem, her answer and "saved — will send".
	olivia.do("reload offline", chromedp.Reload())
	olivia.until("the page again", isVisible("#class"))
	olivia.until("her problem with her answer, saved", fmt.Sprintf(`%s && %s.dataset.item === %q && `, practiceItem, practiceItem, it.ID)+saved)
	if it.Kind != protocol.ItemChoice {
		olivia.until("her answer in its field", fmt.Sprintf(`document.querySelector("#practice-item .answer-input").value === %q`, shown))
	}
	olivia.shot("offline-reloaded")
	olivia.axe("saved offline, reloaded")
	if st := olivia.str(`document.querySelector("#status").dataset.state`); st == "connected" {
		olivia.fail("the page is connected while the network is off")
	}
	practiceOf := `(() => { const tr = [...document.querySelectorAll("#roster tr[data-student]")].find((tr) => tr.querySelector(".name").textContent === "Olivia"); return tr ? tr.querySelector("td.practice").textContent : ""; })()`
	if got := teacher.str(practiceOf); strings.Contains(got, "of the last") {
		teacher.fail("the teacher sees an answer of Olivia's while she is offline: %q", got)
	}

	// The network comes back: the answer is marked, once.
	olivia.do("get the network back", offline(false))
	olivia.until("connected", `document.querySelector("#status").dataset.state === "connected"`)
	olivia.until("her answer marked right", `document.querySelector("#practice-feedback").dataset.result === "right"`)
	olivia.until("nothing left to send", `!`+keptKey)
	teacher.click("#tab-roster")
	teacher.until("one answer, right", practiceOf+`.includes("1 of the last 1 right")`)
	waitFor(t, 20*time.Second, "the answer's result", func() bool { return len(framesWithID(ws.got.all(), kept.ID)) > 0 })
	if first := framesWithID(ws.got.all(), kept.ID); len(first) != 1 || !strings.Contains(first[0], `"type":"result"`) {
		olivia.fail("the answer %s was answered with %v, want one result", kept.ID, first)
	}

	// A device that sent the answer and never heard back still has it: it
	// goes again with the same request ID and gets the first answer.
	olivia.eval(fmt.Sprintf(`(() => { localStorage.setItem(%q, %q); return true; })()`,
		"classhub.student.outbox."+olivia.str(`JSON.parse(localStorage.getItem("classhub.student")).room.id`)+"."+olivia.str(`JSON.parse(localStorage.getItem("classhub.student")).student`),
		string(mustJSON(t, []any{kept}))), nil)
	olivia.do("reload", chromedp.Reload())
	olivia.until("connected", `document.querySelector("#status").dataset.state === "connected"`)
	olivia.until("nothing left to send", `!`+keptKey)
	waitFor(t, 20*time.Second, "the answer sent again answered", func() bool { return len(framesWithID(ws.got.all(), kept.ID)) >= 2 })
	again := framesWithID(ws.got.all(), kept.ID)
	if sent := framesWithID(ws.sent.all(), kept.ID); len(sent) != 2 || sent[0] != sent[1] {
		olivia.fail("the answer went out as %v, want the same frame twice", sent)
	}
	if len(again) != 2 || again[0] != again[1] {
		olivia.fail("the same request ID was answered %s, then %s", again[0], again[1])
	}
	teacher.until("still one answer", practiceOf+`.includes("1 of the last 1 right")`)
	t.Logf("the offline scenario took %s", time.Since(began).Round(100*time.Millisecond))
}
