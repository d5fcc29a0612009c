package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// A teacher gets a projector token for a class over REST. The wall screen
// it opens sees only the events for everyone, and nothing in its view or
// its events names a student or shows a flag, an answer or a mastery:
// only what the teacher chose to show the class.
func TestProjector(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Year 5 maths")
	path := "/api/v1/rooms/" + string(info.ID) + "/projector"

	// Who may get one.
	other := e.teacher()
	if st, perr := e.call("POST", path, other.Token, nil, nil); st != http.StatusNotFound || perr.Code != protocol.CodeNotFound {
		t.Fatalf("another teacher's class: %d %v", st, perr)
	}
	if st, perr := e.call("POST", path, "", nil, nil); st != http.StatusUnauthorized || perr.Code != protocol.CodeUnauthorized {
		t.Fatalf("without a token: %d %v", st, perr)
	}
	olivia := e.join(info.Code, "Olivia")
	if st, perr := e.call("POST", path, olivia.Token, nil, nil); st != http.StatusForbidden || perr.Code != protocol.CodeForbidden {
		t.Fatalf("a student: %d %v", st, perr)
	}
	var pr ProjectorResponse
	if st, perr := e.call("POST", path, tl.Token, nil, &pr); perr != nil || st != http.StatusOK {
		t.Fatalf("projector token: %d %v", st, perr)
	}
	if pr.Token == "" || pr.Room != (JoinedRoom{ID: info.ID, Title: "Year 5 maths"}) || pr.Expires <= time.Now().UnixMilli() {
		t.Fatalf("projector response %+v", pr)
	}
	// The token opens no REST route: it is not a teacher's, nor a student's.
	for _, r := range [][2]string{{"GET", "/api/v1/rooms"}, {"GET", "/api/v1/rooms/" + string(info.ID) + "/report"}, {"POST", path}, {"GET", "/api/v1/me/profile"}} {
		if st, perr := e.call(r[0], r[1], pr.Token, nil, nil); st != http.StatusForbidden || perr.Code != protocol.CodeForbidden {
			t.Errorf("%s %s with a projector token: %d %v", r[0], r[1], st, perr)
		}
	}

	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	pc, w := e.mustConnect("projector", protocol.Hello{Token: pr.Token})
	if w.Role != protocol.RoleProjector || w.Room != info.ID || w.Student != "" || w.Name != "" {
		t.Fatalf("projector welcome %+v", w)
	}
	start := w.Offset

	// The class: two students, groups, announcements to all and to one,
	// a hand (a help flag for the teacher), practice with an answer, a
	// level only the teacher sees.
	oc, _ := e.mustConnect("olivia", protocol.Hello{Token: olivia.Token})
	noah := e.join(info.Code, "Noah")
	nc, _ := e.mustConnect("noah", protocol.Hello{Token: noah.Token})
	// Both present before the proposal: a presence change after it would
	// make it stale.
	tc.waitEvent(protocol.EvPresence, about(olivia.Student))
	tc.waitEvent(protocol.EvPresence, about(noah.Student))
	var prop protocol.Proposal
	_ = json.Unmarshal(tc.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupingMethod("random"), Count: 1}}), &prop)
	tc.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: prop.ID, Groups: []protocol.ProposedGroup{{Name: "Otters", Members: []protocol.StudentID{olivia.Student, noah.Student}}}})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "Pens down, eyes on the board."})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "Look at question 3 again.", To: olivia.Student})
	oc.must(protocol.MsgRaiseHand, protocol.RaiseHand{Note: "stuck on 3b"})
	tc.waitEvent(protocol.EvFlag, nil)
	tc.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}})
	oc.must(protocol.MsgNextItem, struct{}{})
	oc.must(protocol.MsgAnswer, protocol.Answer{Item: "frac.eq.1", Response: "12"})
	nc.must(protocol.MsgNextItem, struct{}{})
	tc.must(protocol.MsgSetLevel, protocol.SetLevel{Student: noah.Student, Level: 0.4})
	if f := pc.request(protocol.MsgRaiseHand, protocol.RaiseHand{}); f.Error == nil || f.Error.Code != protocol.CodeForbidden {
		t.Fatalf("a projector raises a hand: %+v", f)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "marker"})
	pc.waitEvent(protocol.EvAnnouncement, hasText("marker"))

	// Exactly the events of the log whose audience is everyone.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last := pc.events()[len(pc.events())-1].Seq
	log, err := e.rm.ReadLog(ctx, info.ID, start+1, last)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []uint64
	private := 0
	for _, ev := range log {
		if ev.Audience.Kind == protocol.AudAll {
			want = append(want, ev.Seq)
		} else {
			private++
		}
	}
	for _, f := range pc.events() {
		got = append(got, f.Seq)
	}
	if !slices.Equal(got, want) || private < 10 {
		t.Errorf("the projector got seqs %v; the events for everyone are %v (of %d events, %d not for everyone)", got, want, len(log), private)
	}

	secrets := []string{"Olivia", "Noah", string(olivia.Student), string(noah.Student), "stuck on 3b", "Look at question 3",
		`"flag`, `"mastery"`, `"p"`, `"response"`, `"attempt`, `"members"`, `"level"`, `"student"`, `"students"`, `"learning"`}
	leaks := func(what string, b []byte) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows %s: %s", what, s, b)
			}
		}
	}
	for _, f := range pc.events() {
		b, _ := json.Marshal(f)
		leaks("the projector's event "+string(f.Event), b)
	}

	// A new screen's snapshot: what the teacher chose to show, nothing more.
	_, w2 := e.mustConnect("projector again", protocol.Hello{Token: pr.Token, Room: info.ID})
	leaks("the projector's snapshot", w2.Snapshot)
	var view map[string]json.RawMessage
	if err := json.Unmarshal(w2.Snapshot, &view); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	pt := reflect.TypeFor[protocol.ProjectorView]()
	for i := range pt.NumField() {
		name, _, _ := strings.Cut(pt.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	for k := range view {
		if !fields[k] {
			t.Errorf("the projector's snapshot has %q, which a projector view does not", k)
		}
	}
	for _, s := range []string{"Otters", "Pens down, eyes on the board.", `"online":2`} {
		if !strings.Contains(string(w2.Snapshot), s) {
			t.Errorf("the projector's snapshot lacks %s: %s", s, w2.Snapshot)
		}
	}

	// The token is for this class only.
	other2 := e.room(tl.Token, "Year 6 maths")
	c, f := e.connect("projector elsewhere", protocol.Hello{Token: pr.Token, Room: other2.ID})
	if f.Error == nil || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("the projector token in another class: %+v", f)
	}
	if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseUnauthorized) {
		t.Fatalf("closed with %d, want %d", code, protocol.CloseUnauthorized)
	}

	// An ended class gives no more screens.
	tc.must(protocol.MsgEndClass, struct{}{})
	if st, perr := e.call("POST", path, tl.Token, nil, nil); st != http.StatusGone || perr.Code != protocol.CodeRoomEnded {
		t.Fatalf("projector token for an ended class: %d %v", st, perr)
	}
}
