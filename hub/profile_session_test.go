package hub

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/roster"
)

// A rostered student's mastery goes into their learner profile when the
// class ends, and the next class starts from it.
func TestMasteryCarriesAcrossSessions(t *testing.T) {
	e := newEnv(t, withRosters(t))
	tl := e.teacher()
	r := e.importRoster(tl.Token)
	olivia := r.Students[0]

	session := func(title string) (*client, *client, protocol.RoomID) {
		var info struct {
			ID   protocol.RoomID
			Code string
		}
		if st, perr := e.call("POST", "/api/v1/rooms", tl.Token, map[string]string{"title": title, "roster": string(r.ID)}, &info); perr != nil || st != http.StatusCreated {
			t.Fatalf("open: %d %v", st, perr)
		}
		var jr JoinResponse
		if _, perr := e.call("POST", "/api/v1/join", "", pick(info.Code, olivia, olivia.Code), &jr); perr != nil {
			t.Fatal(perr)
		}
		tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
		sc, _ := e.mustConnect("olivia", protocol.Hello{Token: jr.Token})
		tc.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}})
		return tc, sc, info.ID
	}

	tc, sc, _ := session("Monday")
	var next struct{ Item protocol.ItemView }
	_ = json.Unmarshal(sc.must(protocol.MsgNextItem, struct{}{}), &next)
	if next.Item.ID != "frac.eq.1" {
		t.Fatalf("first item %s", next.Item.ID)
	}
	sc.must(protocol.MsgAnswer, protocol.Answer{Item: "frac.eq.1", Response: "15"})
	tc.must(protocol.MsgEndClass, protocol.EndClass{})

	var prof roster.Profile
	if _, perr := e.call("GET", "/api/v1/profiles/"+string(olivia.ID), tl.Token, nil, &prof); perr != nil {
		t.Fatal(perr)
	}
	est, ok := prof.Mastery["fractions.equivalent"]
	if !ok || len(prof.History) == 0 {
		t.Fatalf("profile after the class: %+v", prof)
	}

	// Tuesday's class knows it before she answers anything.
	tc2, _, room := session("Tuesday")
	var tv protocol.TeacherView
	tc2.waitEvent(protocol.EvPractice, nil)
	_, w := e.mustConnect("teacher again", protocol.Hello{Token: tl.Token, Room: room})
	if err := json.Unmarshal(w.Snapshot, &tv); err != nil || len(tv.Learning) != 1 {
		t.Fatalf("learning on Tuesday: %+v %v", tv.Learning, err)
	}
	got := tv.Learning[0].Mastery
	if len(got) != 1 || got[0].Skill != "fractions.equivalent" || got[0].P != est.P {
		t.Fatalf("Tuesday starts from %+v, want %v from Monday", got, est.P)
	}
}
