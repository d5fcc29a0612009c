package main

import (
	"bytes"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The real process killed mid-class with SIGKILL, and stopped with
// SIGTERM, as a client sees it: every acknowledged command is still in
// effect after the restart, a command whose answer was lost and one in
// flight at the kill are retried with their ids and carried out once,
// and every device resumes from its offset with nothing missing or
// doubled.
func TestConformanceRestart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) { cRestart(t, sig) })
	}
}

func cRestart(t *testing.T, sig syscall.Signal) {
	s := cStart(t)
	teacher := s.login()
	room := s.newRoom(teacher, "Restart")
	olivia := s.join(room.code, "Olivia")
	noah := s.join(room.code, "Noah")
	proj := s.projector(teacher, room.id)
	td, _ := s.enter("teacher", teacher, room.id, nil)
	pd, _ := s.enter("projector", proj, "", nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	nd, _ := s.enter("Noah", noah.token, "", nil)
	for _, st := range []cStudent{olivia, noah} {
		td.wait(st.name+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == st.id && f.data()["online"] == true
		})
	}

	// Groups, and a coach for Olivia's.
	prop := td.must("propose_groups", obj{"method": "random", "count": 2})
	gids := td.must("apply_groups", obj{"proposal": str(prop, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{olivia.id}},
		obj{"name": "Herons", "members": []any{noah.id}},
	}})["groups"].([]any)
	otters := gids[0].(string)
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "diaz@school.example", "name": "Mr Diaz"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a long password of his own"})
	coach := str(co, "token")
	td.must("assign_coach", obj{"group": otters, "coach": str(sub(co, "coach"), "id"), "assigned": true})
	cd, _ := s.enter("Mr Diaz", coach, room.id, nil)

	// Acknowledged before the kill.
	od.must("raise_hand", obj{"note": "help with 2"})
	td.must("announce", obj{"text": "for the Otters", "group": otters})
	od.must("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "measure the current"}})
	cd.must("edit_workspace", obj{"group": otters, "op": obj{"kind": "comment", "text": "good start"}})
	nd.must("set_interest", obj{"interest": "volcanoes"})
	td.must("set_level", obj{"student": noah.id, "level": 0.6})
	station := str(td.must("put_station", obj{"station": obj{"name": "Laptops", "kind": "online", "capacity": 4}}), "station")
	td.must("announce", obj{"text": "acknowledged 1"})
	td.must("announce", obj{"text": "acknowledged for Olivia", "to": olivia.id})
	td.must("pause_class", obj{})
	// A command whose answer the device will be said to have lost: it
	// was answered, and is sent again with its id after the restart.
	lostID := td.nextID()
	td.send(lostID, "announce", obj{"text": "answer lost"})
	lost := td.answer(lostID)
	if lost.typ() != "result" {
		t.Fatalf("the command whose answer is lost: %s", lost)
	}
	mark := td.must("announce", obj{"text": "before the kill"})
	end, _ := num(mark, "seq")
	for _, d := range []*cDev{td, pd, od, nd, cd} {
		d.wait("the last event before the kill", func(f frame) bool { return f.seq() == end })
	}
	// Commands in flight at the kill: a burst, sent without waiting for
	// the answers, the signal right after.
	var flightIDs []string
	for i := range cPipelined {
		id := td.nextID()
		flightIDs = append(flightIDs, id)
		td.send(id, "announce", obj{"text": fmt.Sprintf("in flight %d", i)})
	}

	if err := s.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	devs := []*cDev{td, pd, od, nd, cd}
	for _, d := range devs {
		code := d.closed()
		// "1012: the server is restarting"; a killed process closes
		// nothing, and the device sees the connection drop.
		if sig == syscall.SIGTERM && code != websocket.StatusServiceRestart {
			t.Errorf("%s: on SIGTERM closed with %d, want 1012", d.name, code)
		}
	}
	select {
	case <-s.p.exited:
	case <-time.After(cWait):
		t.Fatalf("the server did not exit within %v of %s", cWait, sigName[sig])
	}
	s.p = startServer(t, s.data)

	// Every device resumes from what it kept.
	type back struct {
		old, d *cDev
		token  string
		room   string
	}
	var backs []back
	for _, c := range []struct {
		d           *cDev
		token, room string
	}{{td, teacher, room.id}, {pd, proj, ""}, {od, olivia.token, ""}, {nd, noah.token, ""}, {cd, coach, room.id}} {
		d, w := s.enter(c.d.name+" after", c.token, c.room, c.d.resumeOf())
		if w["resumed"] != true {
			t.Fatalf("%s did not resume after %s: %v", c.d.name, sigName[sig], w)
		}
		backs = append(backs, back{c.d, d, c.token, c.room})
	}
	tb := backs[0].d

	// The answer lost: the same answer again, and done once.
	tb.send(lostID, "announce", obj{"text": "answer lost"})
	if again := tb.answer(lostID); again.typ() != "result" || !bytes.Equal(cJSON(t, again.data()), cJSON(t, lost.data())) {
		t.Errorf("the command whose answer was lost, retried after %s: %s, first %s", sigName[sig], again, lost)
	}
	// Those in flight: each retried with its id is carried out once,
	// whether or not it ran before the kill, and one answered before the
	// kill is answered the same again.
	before := map[string]frame{}
	for _, f := range td.all() {
		if slices.Contains(flightIDs, f.id()) {
			before[f.id()] = f
		}
	}
	flight := map[string]uint64{} // text → seq, as the answers say
	for i, id := range flightIDs {
		f := tb.patiently(id, "announce", obj{"text": fmt.Sprintf("in flight %d", i)})
		seq, _ := num(f.data(), "seq")
		flight[fmt.Sprintf("in flight %d", i)] = seq
		if b, ok := before[id]; ok && !bytes.Equal(cJSON(t, b.data()), cJSON(t, f.data())) {
			t.Errorf("%s answered %s before the kill and %s after", id, b, f)
		}
	}
	t.Logf("%d of the %d commands in flight were answered before the %s", len(before), len(flightIDs), sigName[sig])
	mark = tb.must("announce", obj{"text": "after the restart"})
	end, _ = num(mark, "seq")
	for _, b := range backs {
		b.d.wait("the first event after the restart", func(f frame) bool { return f.seq() == end })
	}

	for _, b := range backs {
		// The device's stream across the restart against a device of the
		// same person resuming from 0: no event missing, none twice.
		e, _ := b.d.state()
		ref, _ := s.enter(b.old.name+" from 0", b.token, b.room, obj{"epoch": e, "offset": 0})
		ref.wait("the first event after the restart", func(f frame) bool { return f.seq() == end })
		var got, want []frame
		for _, f := range append(b.old.events(), b.d.events()...) {
			if f.seq() <= end {
				got = append(got, f)
			}
		}
		for _, f := range ref.events() {
			if f.seq() > b.old.wOffset && f.seq() <= end {
				want = append(want, f)
			}
		}
		sameEvents(t, b.old.name+" across "+sigName[sig], got, want)
		if b.old == td {
			count := map[string]int{}
			for _, f := range ref.events() {
				text := str(f.data(), "text")
				count[text]++
				if s, ok := flight[text]; ok && s != f.seq() {
					t.Errorf("%q: its answer names seq %d, its event is at %d", text, s, f.seq())
				}
			}
			for text := range flight {
				if count[text] != 1 {
					t.Errorf("after %s the class's log holds %q, in flight at the kill, %d times; want once", sigName[sig], text, count[text])
				}
			}
			if count["answer lost"] != 1 {
				t.Errorf("after %s the class's log holds the command whose answer was lost %d times; want once", sigName[sig], count["answer lost"])
			}
		}
	}

	// What was acknowledged is in effect: the teacher's fresh view.
	_, w := s.enter("teacher fresh", teacher, room.id, nil)
	v := sub(w, "snapshot")
	if v["paused"] != true {
		t.Errorf("after %s the class is not paused: %v", sigName[sig], v)
	}
	var texts []string
	for _, a := range v["announcements"].([]any) {
		texts = append(texts, str(a.(obj), "text"))
	}
	for _, want := range []string{"acknowledged 1", "acknowledged for Olivia", "answer lost", "before the kill", "in flight 0", "in flight 7", "after the restart"} {
		if !slices.Contains(texts, want) {
			t.Errorf("after %s the announcements are %q, without %q", sigName[sig], texts, want)
		}
	}
	for _, x := range v["workspaces"].([]any) {
		w := x.(obj)
		if str(w, "group") != otters {
			continue
		}
		if tasks, _ := w["tasks"].([]any); len(tasks) != 1 || str(tasks[0].(obj), "title") != "measure the current" {
			t.Errorf("after %s the Otters' tasks are %v", sigName[sig], w["tasks"])
		}
		if cs, _ := w["comments"].([]any); len(cs) != 1 || str(cs[0].(obj), "text") != "good start" {
			t.Errorf("after %s the Otters' comments are %v", sigName[sig], w["comments"])
		}
	}
	stations, _ := v["stations"].([]any)
	if len(stations) != 1 || str(stations[0].(obj), "id") != station {
		t.Errorf("after %s the stations are %v", sigName[sig], stations)
	}
	for _, x := range v["students"].([]any) {
		m := x.(obj)
		switch str(m, "id") {
		case olivia.id:
			if m["hand"] != true || str(m, "note") != "help with 2" {
				t.Errorf("after %s Olivia is %v", sigName[sig], m)
			}
		case noah.id:
			if str(m, "interest") != "volcanoes" {
				t.Errorf("after %s Noah is %v", sigName[sig], m)
			}
			if l, _ := m["level"].(interface{ String() string }); l == nil || l.String() != "0.6" {
				t.Errorf("after %s Noah's level is %v", sigName[sig], m["level"])
			}
		}
	}
}
