package hub

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

const tinyBank = `bank: tiny
title: %s
skills:
  - id: add
    name: Adding
items:
  - id: add.1
    skill: add
    kind: numeric
    prompt: What is 2 + 3?
    answer: 5
    hints: [Count on from 2., 2 + 3 = 5.]
    explanation: Start at 2 and count on 3 more, 3, 4, 5.
sets:
  - id: adding
    title: Adding
    kind: practice
    items: [add.1]
`

// A bank with errors is refused whole, every error listed, and the bank
// in use stays as it was.
func TestBankUpload(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	var info rooms.BankInfo
	if st, perr := e.call("POST", "/api/v1/banks?name=tiny.yaml", tl.Token, strings.Replace(tinyBank, "%s", "Tiny v1", 1), &info); perr != nil || st != http.StatusCreated {
		t.Fatalf("upload: %d %v", st, perr)
	}
	if info.ID != "tiny" || info.Items != 1 || len(info.Sets) != 1 {
		t.Fatalf("bank info %+v", info)
	}
	broken := strings.Replace(strings.Replace(tinyBank, "%s", "Tiny v2", 1), "skill: add\n", "skill: subtract\n", 1)
	broken = strings.Replace(broken, "items: [add.1]", "items: [add.2]", 1)
	st, perr := e.call("POST", "/api/v1/banks?name=tiny.yaml", tl.Token, broken, nil)
	if st != http.StatusUnprocessableEntity || perr.Code != protocol.CodeBadContent {
		t.Fatalf("broken bank: %d %v", st, perr)
	}
	lines := strings.Split(strings.TrimSpace(perr.Message), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "tiny.yaml:") {
		t.Fatalf("want every error as file:line: %q", perr.Message)
	}
	var list struct{ Banks []rooms.BankInfo }
	if _, perr := e.call("GET", "/api/v1/banks", tl.Token, nil, &list); perr != nil {
		t.Fatal(perr)
	}
	found := false
	for _, b := range list.Banks {
		if b.ID == "tiny" {
			found = true
			if b.Title != "Tiny v1" {
				t.Fatalf("the bank in use changed to %q", b.Title)
			}
		}
	}
	if !found || len(list.Banks) < 3 {
		t.Fatalf("banks %+v", list.Banks)
	}
}

// After class: the report as JSON and CSV, an export of one student, and
// erasing her, which also shuts her device out.
func TestReportExportErase(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Fractions")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	olivia := e.join(info.Code, "Olivia")
	oc, _ := e.mustConnect("olivia", protocol.Hello{Token: olivia.Token})
	tc.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}})
	oc.must(protocol.MsgNextItem, struct{}{})
	oc.must(protocol.MsgAnswer, protocol.Answer{Item: "frac.eq.1", Response: "12"})

	var rep rooms.Report
	if _, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID)+"/report", tl.Token, nil, &rep); perr != nil {
		t.Fatal(perr)
	}
	if len(rep.Students) != 1 || len(rep.Students[0].Skills) != 1 || rep.Students[0].Skills[0].Attempts != 1 {
		t.Fatalf("report %+v", rep)
	}
	res, err := http.Get(e.srv.URL + "/api/v1/rooms/" + string(info.ID) + "/report?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a report without a token: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/rooms/"+string(info.ID)+"/report?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+tl.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(body), "Olivia,fractions.equivalent") {
		t.Fatalf("csv %s:\n%s", res.Header.Get("Content-Type"), body)
	}

	// Another teacher cannot read it.
	other := e.teacher()
	if st, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID)+"/report", other.Token, nil, nil); st != http.StatusNotFound || perr.Code != protocol.CodeNotFound {
		t.Fatalf("another teacher's report: %d %v", st, perr)
	}

	var ex json.RawMessage
	if _, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID)+"/students/"+string(olivia.Student)+"/export", tl.Token, nil, &ex); perr != nil {
		t.Fatal(perr)
	}
	if !strings.Contains(string(ex), `"response":"12"`) || !strings.Contains(string(ex), "Olivia") {
		t.Fatalf("export lacks her answer: %s", ex)
	}
	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/students/"+string(olivia.Student)+"/erase", tl.Token, nil, nil); perr != nil {
		t.Fatal(perr)
	}
	// Her device is moved off the old log and cannot come back.
	if code := oc.waitClosed(); code != websocket.StatusCode(protocol.CloseRoomMoved) {
		t.Fatalf("her device closed with %d, want %d", code, protocol.CloseRoomMoved)
	}
	if _, f := e.connect("olivia again", protocol.Hello{Token: olivia.Token}); f.Error == nil || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("her token after erasing: %+v", f)
	}
	if _, perr := e.call("GET", "/api/v1/rooms/"+string(info.ID)+"/report", tl.Token, nil, &rep); perr != nil || len(rep.Students) != 0 {
		t.Fatalf("report after erasing: %+v %v", rep, perr)
	}
}
