package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Two teachers on one class, in real browsers against the real binary: the
// owner shares the class from the console's "Share this class" dialog
// (focus kept in it, an unknown e-mail answered next to the field, Escape
// closing it); the co-teacher finds it in their class list, opens it and
// pauses the class; the owner's console and the student's device show it
// paused. When the owner stops sharing, the co-teacher's console goes back
// to the class list and says so.
//
// Once the class ended, nobody shows as here in it, student or teacher;
// the owner opens it from the class list and shares it again, and the
// co-teacher opens it and reads its report.
func TestBrowserCoTeacher(t *testing.T) {
	began := time.Now()
	b := browser(t)
	data := t.TempDir()
	s := startServer(t, data)
	addTeacher(t, data, "okafor@school.example", "Ms Okafor")
	addTeacher(t, data, "brown@school.example", "Mr Brown")
	owner, code := openClass(t, b, s, "okafor@school.example", "Year 5 maths")
	ana := join(t, b, s, code, "Ana")

	// The dialog: opened from its button, the focus on the e-mail field.
	owner.until("the share button", isVisible("#share-open")+` && `+textOf("#share-open")+` === "Share this class"`)
	owner.click("#share-open")
	owner.until("the dialog, the e-mail field focused", isVisible("#share-dialog")+` && document.activeElement.id === "share-email"`)
	// An e-mail of nobody: the error next to the field, the text kept.
	owner.typeIn("#share-email", "brwn@school.example")
	owner.click("#share-submit")
	owner.until("the error next to the field", textOf("#share-error")+` === "no teacher has an account with that e-mail; ask them to sign up first" && document.querySelector("#share-email").value === "brwn@school.example" && document.querySelector("#share-email").getAttribute("aria-invalid") === "true"`)
	owner.shot("share-error")
	// The focus stays in the dialog: Tab from its last control comes back
	// to its first, Shift+Tab from the first goes to the last.
	owner.eval(`(() => { document.querySelector("#share-close").focus(); return true; })()`, nil)
	owner.do("Tab", chromedp.KeyEvent(kb.Tab))
	owner.until("the focus back on the e-mail field", `document.activeElement.id === "share-email"`)
	owner.do("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(8))) // 8: Shift
	owner.until("the focus on the close button", `document.activeElement.id === "share-close"`)

	owner.set("#share-email", "brown@school.example")
	owner.until("the error cleared as the field changes", textOf("#share-error")+` === ""`)
	owner.set("#share-role", "co_teacher")
	owner.click("#share-submit")
	owner.until("Mr Brown shared", textOf("#share-status")+` === "Shared with Mr Brown as co-teacher." && [...document.querySelectorAll("#share-list li")].some((li) => li.textContent.startsWith("Mr Brown · co-teacher"))`)
	owner.shot("share-dialog")
	owner.do("Escape", chromedp.KeyEvent(kb.Escape))
	owner.until("the dialog closed, the focus back on its button", `document.querySelector("#share-dialog").hidden && document.activeElement.id === "share-open"`)
	owner.until("who teaches the class", textOf("#teachers-line")+` === "Taught by Ms Okafor (owner), Mr Brown (co-teacher)"`)

	// The co-teacher: the class in their list, with who owns it.
	co := newTab(t, b, "co-teacher")
	co.do("open the console", chromedp.Navigate(s.url+"/teacher"), chromedp.WaitVisible(chromedp.CSS("#signin-email")))
	co.typeIn("#signin-email", "brown@school.example")
	co.typeIn("#signin-password", "correct horse battery")
	co.click("#signin-submit")
	co.until("the shared class in the list", `[...document.querySelectorAll("#class-list li")].some((li) => li.textContent.includes("Year 5 maths") && li.textContent.includes("shared by Ms Okafor, you are co-teacher"))`)
	co.shot("class-list")
	co.clickText("#class-list a", "Year 5 maths")
	co.until("the live class", `document.querySelector("#live-status").dataset.state === "connected" && `+textOf("#live-title")+` === "Year 5 maths"`)
	co.until("who teaches it, the owner here now", textOf("#teachers-line")+` === "Taught by Ms Okafor (owner, here now), Mr Brown (co-teacher)" && `+textOf("#share-open")+` === "Teachers of this class"`)
	owner.until("the co-teacher here now on the owner's console", textOf("#teachers-line")+` === "Taught by Ms Okafor (owner), Mr Brown (co-teacher, here now)"`)
	co.until("Ana on the co-teacher's console", `document.querySelectorAll("#glance li.tile").length === 1`)

	// The co-teacher pauses; the owner's console and Ana's device follow.
	co.click("#pause-class")
	co.until("paused on the co-teacher's console", `document.querySelector("#class-state").dataset.paused === "true"`)
	owner.until("paused on the owner's console", `document.querySelector("#class-state").dataset.paused === "true" && `+textOf("#class-state")+` === "Class paused: students see the pause screen" && `+isVisible("#resume-class"))
	ana.until("the pause screen on Ana's device", isVisible("#pause-overlay"))
	owner.shot("paused-by-co-teacher")
	// And back, from the owner's console.
	owner.click("#resume-class")
	co.until("running again on the co-teacher's console", `document.querySelector("#class-state").dataset.paused === "false"`)

	// Made a teaching assistant: the co-teacher's console no longer offers
	// ending the class or setting it up.
	owner.click("#share-open")
	owner.until("the dialog", isVisible("#share-dialog"))
	owner.set("#share-email", "brown@school.example")
	owner.set("#share-role", "assistant")
	owner.click("#share-submit")
	owner.until("Mr Brown an assistant", textOf("#share-status")+` === "Shared with Mr Brown as teaching assistant."`)
	co.until("the assistant's console", `document.body.dataset.you === "assistant" && !`+isVisible("#end-class")+
		` && getComputedStyle(document.querySelector("#station-form")).display === "none" && `+textOf("#teachers-line")+`.includes("As teaching assistant you steer the lesson")`)
	co.shot("assistant")

	// The owner stops sharing: the co-teacher is told, on the class list.
	owner.eval(`(() => { window.confirm = () => true; return true; })()`, nil)
	owner.click(`#share-list button[data-unshare]`)
	owner.until("Mr Brown gone from the list", textOf("#share-status")+` === "Mr Brown no longer teaches this class." && document.querySelectorAll("#share-list li").length === 1`)
	co.until("the co-teacher back on the class list, told why", isVisible("#classes")+` && `+textOf("#classes-error")+` === "“Year 5 maths” is no longer shared with you."`)
	co.until("the class gone from their list", `![...document.querySelectorAll("#class-list li")].some((li) => li.textContent.includes("Year 5 maths"))`)

	// The class ends, and is shared again from the class list, ended, so
	// that Mr Brown reads its report.
	owner.do("Escape", chromedp.KeyEvent(kb.Escape))
	owner.until("the dialog closed", `document.querySelector("#share-dialog").hidden`)
	owner.click("#end-class")
	owner.until("the class ended", textOf("#join-code-show")+` === "ended"`)
	// Nobody is here in a class that has ended: Ana's device was closed
	// with it, and the console says so at once, as a reload would.
	owner.until("nobody online in the ended class", textOf("#counts")+` === "1 joined · 0 online · 0 hands up" && `+
		textOf(`#roster tr[data-student] td:nth-child(2)`)+` === "offline"`)
	owner.click("#back")
	owner.until("the class list", isVisible("#classes")+` && [...document.querySelectorAll("#class-list li")].some((li) => li.textContent.includes("Year 5 maths") && li.textContent.includes("ended"))`)
	owner.clickText("#class-list a", "Year 5 maths")
	owner.until("the ended class, its teachers", textOf("#join-code-show")+` === "ended" && `+isVisible("#share-open"))
	owner.until("nobody online in the ended class, opened again", textOf("#counts")+` === "1 joined · 0 online · 0 hands up"`)
	owner.click("#share-open")
	owner.until("the dialog, the form offered", isVisible("#share-dialog")+` && `+isVisible("#share-form"))
	owner.set("#share-email", "brown@school.example")
	owner.set("#share-role", "co_teacher")
	owner.click("#share-submit")
	owner.until("Mr Brown shared the ended class", textOf("#share-status")+` === "Shared with Mr Brown as co-teacher."`)
	// The owner's console was on the class when it ended, and is on it
	// now: still, no teacher of an ended class is here now.
	owner.until("no teacher here now in the ended class", `document.querySelectorAll("#share-list li").length === 2 && `+
		`![...document.querySelectorAll("#share-list li")].some((li) => li.textContent.includes("here now"))`)
	owner.shot("share-ended")
	co.do("the class list again", chromedp.Reload())
	co.until("the ended class in their list", `[...document.querySelectorAll("#class-list li")].some((li) => li.textContent.includes("Year 5 maths") && li.textContent.includes("ended") && li.textContent.includes("you are co-teacher"))`)
	// Opened on the co-teacher's console, the ended class shows its owner,
	// whose console is open on it too, not as here now.
	co.clickText("#class-list a", "Year 5 maths")
	co.until("the ended class on the co-teacher's console", textOf("#join-code-show")+` === "ended" && `+textOf("#live-title")+` === "Year 5 maths" && `+
		textOf("#teachers-line")+` === "Taught by Ms Okafor (owner), Mr Brown (co-teacher)"`)
	co.shot("ended-teachers")
	co.click("#back")
	co.until("the class list", isVisible("#classes"))
	co.follow("#class-list a.report-link")
	co.until("the report of the ended class", textOf("#report-title")+`.includes("Year 5 maths") && `+isVisible("#report-when"))
	co.shot("report-ended")
	t.Logf("the scenario took %s", time.Since(began).Round(100*time.Millisecond))
}
