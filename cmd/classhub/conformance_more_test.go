package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cPrivacy holds the server to "Privacy: who sees what": Olivia and
// Mason are the Otters, Noah the Herons; the teacher and the class do
// what each audience is for, and every device's stream, its resume from
// offset 0 and its snapshot are checked against the Events table's
// audiences.
func cPrivacy(s *cServer, teacher string) {
	t := s.t
	aud := cAudiences(t)
	room := s.newRoom(teacher, "Privacy")
	td, tw0 := s.enter("teacher", teacher, room.id, nil)
	proj := s.projector(teacher, room.id)
	pd, _ := s.enter("projector", proj, "", nil)
	names := []string{"Olivia", "Mason", "Noah"}
	st := map[string]cStudent{}
	dev := map[string]*cDev{}
	for _, n := range names {
		st[n] = s.join(room.code, n)
		dev[n], _ = s.enter(n, st[n].token, "", nil)
	}
	for _, n := range names {
		td.wait(n+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == st[n].id && f.data()["online"] == true
		})
	}
	olivia, mason, noah := st["Olivia"], st["Mason"], st["Noah"]

	// Mr Diaz, a coach, by invitation.
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "diaz@school.example", "name": "Mr Diaz"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": " " + strings.ToLower(str(sub(inv, "invite"), "code")) + " ", "password": "a long password of his own"})
	coach, coachID := str(co, "token"), str(sub(co, "coach"), "id")
	if str(co, "role") != "coach" || coach == "" || !cUUID.MatchString(coachID) {
		t.Fatalf("a coach's acceptance: %v", co)
	}
	// Before he has a group, his hello is refused.
	early := s.dial("Mr Diaz, no group")
	early.isError(early.hello(coach, room.id, nil), "unauthorized", true)
	if code := early.closed(); code != 4002 {
		t.Errorf("a coach of no group: closed with %d, want 4002", code)
	}

	prop := td.must("propose_groups", obj{"method": "random", "count": 2})
	applied := td.must("apply_groups", obj{"proposal": str(prop, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{olivia.id, mason.id}},
		obj{"name": "Herons", "members": []any{noah.id}},
	}})
	gids, _ := applied["groups"].([]any)
	if len(gids) != 2 {
		t.Fatalf("apply_groups: %v", applied)
	}
	otters, herons := gids[0].(string), gids[1].(string)
	td.must("assign_coach", obj{"group": otters, "coach": coachID, "assigned": true})
	cr := s.ok(200, "GET", "/api/v1/coach/rooms", coach, nil)
	if rs, _ := cr["rooms"].([]any); len(rs) != 1 || str(rs[0].(obj), "id") != room.id {
		t.Errorf("the coach's classes: %v", cr)
	}
	cd, cw := s.enter("Mr Diaz", coach, room.id, nil)
	if str(cw, "role") != "coach" {
		t.Errorf("the coach's welcome: %v", cw)
	}
	station := str(td.must("put_station", obj{"station": obj{"name": "Laptops", "kind": "online", "capacity": 0}}), "station")
	td.must("move_student", obj{"student": noah.id, "station": station})
	td.must("announce", obj{"text": "For everyone."})
	td.must("announce", obj{"text": "For Olivia alone.", "to": olivia.id})
	td.must("announce", obj{"text": "For the Otters.", "group": otters})
	td.must("announce", obj{"text": "For the Herons.", "group": herons})
	td.must("announce", obj{"text": "For the laptops.", "station": station})
	td.must("push_activity", obj{"activity": obj{"title": "Olivia's reading"}, "to": obj{"student": olivia.id}})
	td.must("push_activity", obj{"activity": obj{"title": "Everyone's reading"}})
	td.must("set_level", obj{"student": olivia.id, "level": 0.35})
	dev["Olivia"].must("raise_hand", obj{"note": "stuck on 3b"})
	dev["Olivia"].must("set_interest", obj{"interest": "robots"})
	td.must("offer_choices", obj{"prompt": "Which passage?", "options": []any{"Volcanoes", "Space"}})
	dev["Mason"].must("choose", obj{"option": "volcanoes"})
	// Practice: items, hints and answers are for the student and the
	// teachers.
	given := td.must("assign_practice", obj{"set": obj{"bank": "fractions-5", "set": "frac-equivalence"}})
	if n, _ := num(given, "students"); n != 3 {
		t.Errorf("assign_practice to the class of three: %v", given)
	}
	item := str(sub(dev["Olivia"].must("next_item", obj{}), "item"), "id")
	if h := dev["Olivia"].must("hint", obj{"item": item}); h["text"] == nil {
		t.Errorf("a hint: %v", h)
	}
	if a := dev["Olivia"].must("answer", obj{"item": item, "response": "3"}); a["correct"] == nil || a["p"] == nil {
		t.Errorf("an answer: %v", a)
	}
	dev["Mason"].must("next_item", obj{})
	// The Otters' workspace: members edit it, their coach comments, and
	// no one else touches it. Two edits made on the same notes both land,
	// the first applied first.
	ws := func(d *cDev, op obj) frame { return d.cmd("edit_workspace", obj{"group": otters, "op": op}) }
	if f := ws(dev["Olivia"], obj{"kind": "edit_notes", "notes_base": 0, "edits": []any{obj{"pos": 0, "ins": "A"}}}); f.typ() != "result" {
		t.Fatalf("Olivia edits her group's notes: %s", f)
	}
	ws(dev["Olivia"], obj{"kind": "edit_notes", "notes_base": 1, "edits": []any{obj{"pos": 1, "ins": "B"}}})
	if f := ws(dev["Mason"], obj{"kind": "edit_notes", "notes_base": 1, "edits": []any{obj{"pos": 1, "ins": "C"}}}); f.typ() != "result" {
		t.Errorf("Mason's edit on the notes before Olivia's: %s", f)
	}
	if f := ws(cd, obj{"kind": "comment", "text": "Good start."}); f.typ() != "result" {
		t.Errorf("the coach comments: %s", f)
	}
	dev["Noah"].isError(ws(dev["Noah"], obj{"kind": "add_task", "title": "not my group"}), "forbidden", true)
	cd.isError(ws(cd, obj{"kind": "add_task", "title": "coaches comment"}), "forbidden", true)
	cd.refused("forbidden", "edit_workspace", obj{"group": herons, "op": obj{"kind": "comment", "text": "not my group"}})
	_, ow := s.enter("Olivia's notes", olivia.token, "", nil)
	if w := sub(sub(ow, "snapshot"), "workspace"); str(w, "group") != otters || str(w, "notes") != "ABC" {
		t.Errorf("Olivia's view of her group's workspace is %v, want the Otters' notes \"ABC\" (both inserts at one place, the first applied first)", w)
	}

	// A hand raises a help flag: for the teachers, and the coaches of
	// the student's group. Noah's group has none.
	dev["Noah"].must("raise_hand", obj{"note": "Noah's question"})
	for _, who := range []cStudent{olivia, noah} {
		td.wait(who.name+"'s help flag", func(f frame) bool {
			return f.event() == "flag" && str(sub(f.data(), "flag"), "student") == who.id
		})
	}
	// "A student who arrives at the station later does not get it":
	// Olivia goes to the laptops after their announcement; her snapshot
	// must not show it (checked below against her events).
	td.must("move_student", obj{"student": olivia.id, "station": station})
	marker := td.must("announce", obj{"text": "The end."})
	end, _ := num(marker, "seq")
	all := append([]*cDev{td, pd, cd}, dev["Olivia"], dev["Mason"], dev["Noah"])
	for _, d := range all {
		d.wait("the last announcement", func(f frame) bool { return f.seq() == end })
	}

	// who: the students each device is, for the audience rules.
	type viewer struct {
		d       *cDev
		role    string
		student string
		group   string
		token   string
	}
	viewers := []viewer{
		{td, "teacher", "", "", teacher},
		{pd, "projector", "", "", proj},
		{cd, "coach", "", otters, coach},
		{dev["Olivia"], "student", olivia.id, otters, olivia.token},
		{dev["Mason"], "student", mason.id, otters, mason.token},
		{dev["Noah"], "student", noah.id, herons, noah.token},
	}
	// may says whether the viewer may see the event, from the Events
	// table and the Privacy section; "" when it may, else why not.
	may := func(v viewer, f frame) string {
		kinds, ok := aud[f.event()]
		if !ok {
			return "" // an event type the document does not know: ignored
		}
		if v.role == "teacher" {
			if slices.Equal(kinds, []string{"none"}) {
				return "an event of audience none"
			}
			return ""
		}
		data := f.data()
		target := data
		if to := sub(data, "to"); to != nil {
			target = to
		}
		switch {
		case slices.Contains(kinds, "all") && str(target, "student") == "" && str(target, "group") == "" && str(target, "station") == "":
			return ""
		case v.role == "projector":
			return "not for everyone"
		case v.role == "coach":
			// Their groups' group events, and staff events about the
			// students of their groups; never one student's, a station's
			// or the teachers'.
			if slices.Contains(kinds, "group") && (str(target, "group") == v.group || str(sub(data, "group"), "id") == v.group) {
				return ""
			}
			about := str(data, "student")
			if fl := sub(data, "flag"); fl != nil {
				about = str(fl, "student")
			}
			if slices.Contains(kinds, "staff") && (about == olivia.id || about == mason.id) {
				return ""
			}
			return fmt.Sprintf("audience %v, not for a coach of the Otters", kinds)
		case slices.Contains(kinds, "student") && (str(data, "student") == v.student || str(target, "student") == v.student):
			return ""
		case slices.Contains(kinds, "group") && (str(target, "group") == v.group || str(sub(data, "group"), "id") == v.group):
			return ""
		case slices.Contains(kinds, "members") && str(target, "station") == station && v.student == noah.id:
			return ""
		}
		return fmt.Sprintf("audience %v, not for %s", kinds, v.d.name)
	}
	for _, v := range viewers {
		live := v.d.events()
		for _, f := range live {
			if why := may(v, f); why != "" {
				t.Errorf("%s received %s: %s", v.d.name, f, why)
			}
		}
		// "A device receives exactly the events whose audience includes
		// it, on the live connection, in a resume and in a snapshot alike":
		// a device of the same person resuming from 0.
		e, _ := v.d.state()
		r, w := s.enter(v.d.name+" from 0", v.token, roomFor(v.role, room.id), obj{"epoch": e, "offset": 0})
		if w["resumed"] != true {
			t.Errorf("%s: a resume from offset 0 was not resumed: %v", v.d.name, w)
			continue
		}
		r.wait("the last announcement", func(f frame) bool { return f.seq() == end })
		var replay []frame
		for _, f := range r.events() {
			if why := may(v, f); why != "" {
				t.Errorf("%s, resuming from 0, received %s: %s", v.d.name, f, why)
			}
			if f.seq() > v.d.wOffset && f.seq() <= end {
				replay = append(replay, f)
			}
		}
		var upto []frame
		for _, f := range live {
			if f.seq() <= end {
				upto = append(upto, f)
			}
		}
		sameEvents(t, v.d.name+": live and resumed from 0", replay, upto)
		// A fresh snapshot: the view this role may see.
		_, fw := s.enter(v.d.name+" fresh", v.token, roomFor(v.role, room.id), nil)
		snap := cJSON(t, fw["snapshot"])
		// "Apply the events that follow to the snapshot": the
		// announcements and activities a snapshot shows are those the
		// same person's events carried, in order.
		for _, k := range []struct{ field, event, key string }{{"announcements", "announcement", "text"}, {"activities", "activity", "title"}} {
			var fromEvents, inSnap []string
			for _, f := range r.events() {
				if f.event() == k.event {
					if k.key == "title" {
						fromEvents = append(fromEvents, str(sub(f.data(), "activity"), "title"))
					} else {
						fromEvents = append(fromEvents, str(f.data(), "text"))
					}
				}
			}
			list, _ := sub(fw, "snapshot")[k.field].([]any)
			for _, x := range list {
				if k.key == "title" {
					inSnap = append(inSnap, str(sub(x.(obj), "activity"), "title")+str(x.(obj), "title"))
				} else {
					inSnap = append(inSnap, str(x.(obj), "text"))
				}
			}
			if !slices.Equal(fromEvents, inSnap) {
				t.Errorf("%s: the snapshot's %s are %q, the events carried %q", v.d.name, k.field, inSnap, fromEvents)
			}
		}
		switch {
		case v.role == "projector":
			if n, _ := num(sub(fw, "snapshot"), "online"); n != 3 {
				t.Errorf("the projector's snapshot counts %d students online, want 3: %s", n, snap)
			}
			for _, n := range names {
				if bytes.Contains(snap, []byte(n)) || bytes.Contains(snap, []byte(st[n].id)) {
					t.Errorf("the projector's snapshot names %s: %s", n, snap)
				}
			}
			for _, never := range []string{"For Olivia", "For the Otters", "For the Herons", "For the laptops", "Olivia's reading", "stuck on 3b", "robots"} {
				if bytes.Contains(snap, []byte(never)) {
					t.Errorf("the projector's snapshot shows %q: %s", never, snap)
				}
			}
		case v.student == noah.id:
			for _, n := range []string{"Olivia", "Mason"} {
				if bytes.Contains(snap, []byte(n)) || bytes.Contains(snap, []byte(st[n].id)) {
					t.Errorf("Noah's snapshot names %s, who is not in his group: %s", n, snap)
				}
			}
		case v.role == "coach":
			for _, never := range []string{"For Olivia", "For the Herons", "For the laptops", "Olivia's reading", "0.35", "Noah", noah.id, "proposal", "Noah's question"} {
				if bytes.Contains(snap, []byte(never)) {
					t.Errorf("the coach's snapshot shows %q: %s", never, snap)
				}
			}
			cs := sub(fw, "snapshot")
			for _, x := range cs["students"].([]any) {
				if _, ok := x.(obj)["level"]; ok {
					t.Errorf("the coach's snapshot shows a level: %s", snap)
				}
			}
			// "Coach view: the flags of the students of the coach's
			// groups; learning is always empty."
			if l, ok := cs["learning"].([]any); !ok || len(l) != 0 {
				t.Errorf("the coach's snapshot's learning: %v", cs["learning"])
			}
			fl, _ := cs["flags"].([]any)
			for _, x := range fl {
				if who := str(x.(obj), "student"); who != olivia.id && who != mason.id {
					t.Errorf("the coach's snapshot has a flag of a student not in his group: %v", x)
				}
			}
			if len(fl) == 0 {
				t.Errorf("the coach's snapshot has no flag, though Olivia of his group raised her hand")
			}
		case v.student == mason.id:
			for _, never := range []string{"For Olivia", "For the Herons", "For the laptops", "Olivia's reading", "stuck on 3b", "robots", "0.35"} {
				if bytes.Contains(snap, []byte(never)) {
					t.Errorf("Mason's snapshot shows %q: %s", never, snap)
				}
			}
		}
		if v.role != "teacher" && v.role != "coach" {
			for _, k := range []string{"flags", "learning", "students"} {
				if _, ok := sub(fw, "snapshot")[k]; ok {
					t.Errorf("%s's snapshot has %q: %s", v.d.name, k, snap)
				}
			}
		}
	}

	for _, d := range all {
		d.answeredOnce()
	}

	// "Apply the events that follow to the snapshot": the roster of the
	// teacher's first snapshot, with student_joined, presence and hand
	// applied, is the roster of a fresh one.
	show := func(m obj) string {
		return fmt.Sprintf("%s online=%v hand=%v note=%q", str(m, "name"), m["online"], m["hand"], str(m, "note"))
	}
	state := map[string]obj{}
	for _, x := range sub(tw0, "snapshot")["students"].([]any) {
		state[str(x.(obj), "id")] = x.(obj)
	}
	for _, f := range td.events() {
		d := f.data()
		id := str(d, "student")
		if _, ok := state[id]; !ok && f.event() != "student_joined" {
			continue
		}
		switch f.event() {
		case "student_joined":
			state[id] = obj{"name": str(d, "name"), "online": false, "hand": false}
		case "presence":
			state[id]["online"] = d["online"]
		case "hand":
			state[id]["hand"] = d["raised"]
			if n, ok := d["note"]; ok && d["raised"] == true {
				state[id]["note"] = n
			} else {
				delete(state[id], "note")
			}
		}
	}
	_, fresh := s.enter("teacher, fresh roster", teacher, room.id, nil)
	for _, x := range sub(fresh, "snapshot")["students"].([]any) {
		m := x.(obj)
		if got, want := show(state[str(m, "id")]), show(m); got != want {
			t.Errorf("the teacher's roster from events: %s; a fresh snapshot: %s", got, want)
		}
	}

	// What each must have seen, so that the checks above are not empty.
	has := func(d *cDev, what string, ok func(frame) bool) {
		t.Helper()
		for _, f := range d.events() {
			if ok(f) {
				return
			}
		}
		t.Errorf("%s did not receive %s", d.name, what)
	}
	text := func(x string) func(frame) bool {
		return func(f frame) bool { return f.event() == "announcement" && str(f.data(), "text") == x }
	}
	ev := func(e string) func(frame) bool { return func(f frame) bool { return f.event() == e } }
	has(td, "the hand", ev("hand"))
	has(td, "the level", ev("level"))
	has(td, "the proposal", ev("proposal"))
	has(td, "the announcement to Olivia", text("For Olivia alone."))
	has(dev["Olivia"], "her own hand", ev("hand"))
	has(dev["Olivia"], "her announcement", text("For Olivia alone."))
	has(dev["Olivia"], "her group's announcement", text("For the Otters."))
	has(dev["Mason"], "his group's announcement", text("For the Otters."))
	has(dev["Mason"], "his choice", ev("choice"))
	has(dev["Mason"], "his item", ev("item"))
	has(dev["Olivia"], "her attempt", ev("attempt"))
	has(dev["Olivia"], "her hint", ev("hint"))
	has(td, "Olivia's attempt", ev("attempt"))
	has(dev["Noah"], "the station's announcement", text("For the laptops."))
	has(dev["Noah"], "his group's announcement", text("For the Herons."))
	has(pd, "the announcement to everyone", text("For everyone."))
	has(cd, "his group's announcement", text("For the Otters."))
	has(cd, "his group's workspace", ev("workspace"))
	has(dev["Mason"], "his group's workspace", ev("workspace"))
	has(cd, "the help flag on Olivia", ev("flag"))
	has(pd, "the groups", ev("groups"))
	// Names never reach the projector, in any frame.
	for _, f := range pd.all() {
		for _, n := range names {
			if strings.Contains(f.String(), n) || strings.Contains(f.String(), st[n].id) {
				t.Errorf("the projector received a frame naming %s: %s", n, f)
			}
		}
	}
}

// roomFor is the room a hello names: required for teachers, left out for
// tokens bound to a class.
func roomFor(role, room string) string {
	if role == "teacher" || role == "coach" {
		return room
	}
	return ""
}

// cResume: a dropped device resumes with its epoch and offset and gets
// every event it missed, once; a resume that cannot be served gets a
// snapshot and not_recoverable.
func cResume(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Resume")
	olivia := s.join(room.code, "Olivia")
	noah := s.join(room.code, "Noah")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	td.must("announce", obj{"text": "before the drop"})
	od.wait("the first announcement", func(f frame) bool { return str(f.data(), "text") == "before the drop" })
	epoch, offset := od.state()
	before := od.events()
	_ = od.ws.CloseNow()
	od.closed()

	// While she is away: for everyone, for her, for another student.
	td.must("announce", obj{"text": "missed 1"})
	td.must("announce", obj{"text": "missed 2", "to": olivia.id})
	td.must("announce", obj{"text": "not hers", "to": noah.id})
	last := td.must("announce", obj{"text": "missed 3"})
	end, _ := num(last, "seq")

	od2, w := s.enter("Olivia again", olivia.token, "", obj{"epoch": epoch, "offset": offset})
	if w["resumed"] != true || str(w, "epoch") != epoch || w["snapshot"] != nil {
		t.Fatalf("a resume within the class's log: %v", w)
	}
	if wo, _ := num(w, "offset"); wo < end {
		t.Errorf("the welcome's offset %d is below the last event %d", wo, end)
	}
	od2.wait("the last missed event", func(f frame) bool { return f.seq() == end })
	var texts []string
	for _, f := range od2.events() {
		if f.seq() <= offset {
			t.Errorf("a resume from %d delivered seq %d", offset, f.seq())
		}
		texts = append(texts, str(f.data(), "text"))
	}
	if want := []string{"missed 1", "missed 2", "missed 3"}; !slices.Equal(texts, want) {
		t.Errorf("after resuming Olivia received %q, want %q", texts, want)
	}
	// The whole: before the drop and after it, against a resume from 0.
	ref, _ := s.enter("Olivia from 0", olivia.token, "", obj{"epoch": epoch, "offset": 0})
	ref.wait("the last missed event", func(f frame) bool { return f.seq() == end })
	var got []frame
	for _, f := range append(before, od2.events()...) {
		if f.seq() <= end {
			got = append(got, f)
		}
	}
	var want []frame
	for _, f := range ref.events() {
		if f.seq() <= end && f.seq() > before[0].seq()-1 {
			want = append(want, f)
		}
	}
	sameEvents(t, "Olivia across the drop", got, want)

	// "A device that resumes, from any offset (0 included), receives
	// exactly the events a device of the same person connected throughout
	// received": from every offset up to the end, seqs she saw and seqs
	// that were for others alike, as a device that lost its connection in
	// the middle of a replay resumes from the largest seq it received.
	for o := uint64(0); o <= end; o++ {
		d, w := s.enter(fmt.Sprintf("Olivia from %d", o), olivia.token, "", obj{"epoch": epoch, "offset": o})
		if w["resumed"] != true {
			t.Errorf("a resume from offset %d: %v", o, w)
			continue
		}
		var got, want []frame
		if o < end {
			d.wait("the last missed event", func(f frame) bool { return f.seq() == end })
		} else {
			d.isOpen()
		}
		for _, f := range d.events() {
			if f.seq() <= end {
				got = append(got, f)
			}
		}
		for _, f := range ref.events() {
			if f.seq() > o && f.seq() <= end {
				want = append(want, f)
			}
		}
		sameEvents(t, fmt.Sprintf("Olivia resumed from %d", o), got, want)
		_ = d.ws.CloseNow()
		d.closed()
	}

	// After a resumed welcome, the offset the device keeps is the largest
	// seq it received, and it resumes from there once more with nothing
	// to replay.
	e2, o2 := od2.state()
	if o2 != end {
		t.Errorf("Olivia keeps offset %d after the replay, want %d", o2, end)
	}
	od3, w3 := s.enter("Olivia a third time", olivia.token, "", obj{"epoch": e2, "offset": o2})
	if w3["resumed"] != true {
		t.Errorf("a resume from the latest offset: %v", w3)
	}
	od3.isOpen()
	for _, f := range od3.events() {
		if f.seq() <= o2 {
			t.Errorf("a resume from the latest offset replayed %s", f)
		}
	}

	// Resumes that cannot be served: another epoch, an offset ahead of
	// the class.
	for _, c := range []struct {
		what   string
		resume obj
	}{
		{"another epoch", obj{"epoch": "32e691a4-5ca2-4992-aa75-a51a7ea2d48f", "offset": offset}},
		{"an offset ahead of the class", obj{"epoch": epoch, "offset": end + 1000}},
	} {
		_, w := s.enter("Olivia, "+c.what, olivia.token, "", c.resume)
		if w["resumed"] != false || str(sub(w, "reason"), "code") != "not_recoverable" || str(sub(w, "reason"), "message") == "" {
			t.Errorf("a resume from %s: %v", c.what, w)
		}
		if me := sub(sub(w, "snapshot"), "me"); str(me, "id") != olivia.id {
			t.Errorf("a resume from %s: the snapshot is not Olivia's view: %v", c.what, w)
		}
	}
}

// cConnections: the sixth connection of one person is welcomed and the
// oldest is told too_many_connections and closed with 4006.
func cConnections(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Connections")
	olivia := s.join(room.code, "Olivia")
	var devs []*cDev
	for i := range cMaxConns + 1 {
		d, _ := s.enter(fmt.Sprintf("Olivia's device %d", i+1), olivia.token, "", nil)
		devs = append(devs, d)
	}
	oldest := devs[0]
	f := oldest.wait("too_many_connections", func(f frame) bool { return f.typ() == "error" })
	oldest.isError(f, "too_many_connections", false)
	if ra, ok := num(sub(f.m, "error"), "retry_after"); !ok || ra != 30000 {
		t.Errorf("too_many_connections: retry_after %v, want 30000", sub(f.m, "error")["retry_after"])
	}
	if code := oldest.closed(); code != 4006 {
		t.Errorf("the oldest connection was closed with %d, want 4006", code)
	}
	for _, d := range devs[1:] {
		d.isOpen()
	}
	// A class's projectors count as one person.
	proj := s.projector(teacher, room.id)
	var walls []*cDev
	for i := range cMaxConns + 1 {
		d, _ := s.enter(fmt.Sprintf("projector %d", i+1), proj, "", nil)
		walls = append(walls, d)
	}
	if code := walls[0].closed(); code != 4006 {
		t.Errorf("the oldest of six projectors was closed with %d, want 4006", code)
	}
}

// cEnded: end_class reaches every device as class_ended, then close 4003;
// a hello to the ended class is welcomed with its snapshot, then closed
// with 4003.
func cEnded(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Ended")
	olivia := s.join(room.code, "Olivia")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	proj := s.projector(teacher, room.id)
	pd, _ := s.enter("projector", proj, "", nil)
	od.must("raise_hand", obj{})
	td.wait("the help flag", func(f frame) bool { return f.event() == "flag" })
	// Noah's device drops before the end, and comes back after it.
	noah := s.join(room.code, "Noah")
	nd, _ := s.enter("Noah", noah.token, "", nil)
	nd.isOpen()
	noahResume := nd.resumeOf()
	_ = nd.ws.CloseNow()
	nd.closed()
	if r := td.must("end_class", obj{}); len(r) != 0 {
		t.Errorf("end_class's result: %v", r)
	}
	for _, d := range []*cDev{td, od, pd} {
		d.wait("class_ended", func(f frame) bool { return f.event() == "class_ended" })
		if code := d.closed(); code != 4003 {
			t.Errorf("%s: closed with %d after the class ended, want 4003", d.name, code)
		}
	}
	// The flags still open are cleared just before class_ended.
	var cleared bool
	for _, f := range td.events() {
		if f.event() == "flag" && str(f.data(), "change") == "clear" {
			cleared = true
		}
		if f.event() == "class_ended" && !cleared {
			t.Errorf("class_ended came before the open flag was cleared")
		}
	}
	// "If the class has ended, the welcome is followed by a close with
	// 4003": a resumed one by the missed events, class_ended among them.
	nd2 := s.dial("Noah, resuming after the end")
	w := nd2.hello(noah.token, "", noahResume)
	if code := nd2.closed(); code != 4003 {
		t.Errorf("a resume into an ended class: closed with %d, want 4003", code)
	}
	var ended bool
	for _, f := range nd2.events() {
		ended = ended || f.event() == "class_ended"
	}
	if w.typ() != "welcome" || w.data()["resumed"] != true || !ended {
		t.Errorf("a resume into an ended class: %s, then %v; want it resumed with class_ended among the missed events", w, nd2.events())
	}

	// The session report, as JSON and as CSV.
	rep := s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/report", teacher, nil)
	if str(rep, "room") != room.id || rep["ended"] == nil || rep["opened"] == nil {
		t.Errorf("the report: %v", rep)
	}
	// Every student, sorted by name.
	if sts, _ := rep["students"].([]any); len(sts) != 2 || str(sts[0].(obj), "id") != noah.id || str(sts[1].(obj), "id") != olivia.id {
		t.Errorf("the report's students: %v", rep["students"])
	} else if fl, _ := sts[1].(obj)["flags"].([]any); len(fl) != 1 || str(fl[0].(obj), "rule") != "help" {
		t.Errorf("the report's flags of Olivia: %v", sts[1])
	}
	csv := s.do("GET", "/api/v1/rooms/"+room.id+"/report?format=csv", teacher, nil)
	header := "student_id,name,skill,mastery_before,mastery_after,attempts,correct,activities_completed,flags,act_now_flags,median_response_s,stations,acted_by"
	lines := strings.Split(strings.TrimSpace(string(csv.raw)), "\n")
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.header.Get("Content-Disposition"), `attachment; filename="classhub-report-`+room.id+`.csv"`) ||
		strings.TrimSpace(lines[0]) != header || len(lines) != 3 || !strings.HasPrefix(lines[1], noah.id+",Noah,") || !strings.HasPrefix(lines[2], olivia.id+",Olivia,") {
		t.Errorf("the report as CSV: %d %v\n%s", csv.status, csv.header, csv.raw)
	}

	for _, who := range []struct{ name, token, room string }{{"teacher", teacher, room.id}, {"Olivia", olivia.token, ""}, {"projector", proj, ""}} {
		d := s.dial(who.name + " after the end")
		f := d.hello(who.token, who.room, nil)
		snap := sub(f.data(), "snapshot")
		if f.typ() != "welcome" || str(snap, "status") != "ended" {
			t.Errorf("%s's hello to an ended class: %s", who.name, f)
		}
		if code := d.closed(); code != 4003 {
			t.Errorf("%s: a hello to an ended class closed with %d, want 4003", who.name, code)
		}
		if who.name == "teacher" {
			for _, x := range snap["students"].([]any) {
				m := x.(obj)
				if m["online"] != false || m["hand"] != false || m["note"] != nil {
					t.Errorf("in an ended class a student is %v", m)
				}
			}
		} else if who.name == "projector" {
			if n, ok := num(snap, "online"); !ok || n != 0 {
				t.Errorf("in an ended class the projector counts %v online", snap["online"])
			}
		} else if me := sub(snap, "me"); me["online"] != false || me["hand"] != false {
			t.Errorf("in an ended class Olivia's view of herself is %v", me)
		}
	}
}

// cRoles holds the server to the Messages table's "sent by": every type
// a role may not send is forbidden, whatever its data.
func cRoles(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Roles")
	olivia := s.join(room.code, "Olivia")
	devs := map[string]*cDev{}
	devs["student"], _ = s.enter("Olivia", olivia.token, "", nil)
	devs["projector"], _ = s.enter("projector", s.projector(teacher, room.id), "", nil)
	devs["teacher"], _ = s.enter("teacher", teacher, room.id, nil)
	rows := cTable(t, "## Messages")
	checked := 0
	for _, r := range rows[1:] {
		typ := cSpans(r[0])[0]
		if typ == "hello" {
			continue
		}
		words := strings.FieldsFunc(r[1], func(c rune) bool { return c < 'a' || c > 'z' })
		for role, d := range devs {
			if strings.Contains(r[1], "every role") || slices.Contains(words, role) {
				continue
			}
			checked++
			// With data the type would take from its own role, and with
			// none: the role is refused either way.
			d.refused("forbidden", typ, obj{})
			d.refused("forbidden", typ, nil)
		}
	}
	if checked < 40 {
		t.Errorf("only %d refusals read from the Messages table", checked)
	}
	// Nothing refused changed the class: the teacher's view is as new.
	_, w := s.enter("teacher fresh", teacher, room.id, nil)
	v := sub(w, "snapshot")
	if a, _ := v["announcements"].([]any); len(a) != 0 || v["paused"] != false || str(v, "status") != "open" {
		t.Errorf("refused commands changed the class: %v", v)
	}
}

// cLimits: the documented limits a client can reach.
func cLimits(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Limits")
	olivia := s.join(room.code, "Olivia")
	od, _ := s.enter("Olivia", olivia.token, "", nil)

	// data may be left out, or null, when it would be empty.
	for _, b := range []string{`{"v":1,"id":"n1","type":"ping"}`, `{"v":1,"id":"n2","type":"ping","data":null}`} {
		od.sendRaw([]byte(b))
	}
	for _, id := range []string{"n1", "n2"} {
		if f := od.answer(id); f.typ() != "result" {
			t.Errorf("a ping with its data %s: %s", map[string]string{"n1": "left out", "n2": "null"}[id], f)
		}
	}

	// The hello's limits: a token over 4096 bytes, an epoch over 64.
	d := s.dial("limits")
	d.refused("invalid", "hello", obj{"token": strings.Repeat("t", 4097)})
	d.refused("invalid", "hello", obj{"token": olivia.token, "resume": obj{"epoch": strings.Repeat("e", 65), "offset": 1}})
	d.refused("invalid", "hello", obj{"token": olivia.token, "resume": obj{"epoch": "", "offset": 1}})
	// A student may name their own class.
	if f := d.hello(olivia.token, room.id, nil); f.typ() != "welcome" {
		t.Errorf("a student's hello naming their own class: %s", f)
	}

	// "A class has at most 20 stations (a 21st is refused with invalid)."
	td, _ := s.enter("teacher", teacher, room.id, nil)
	for i := range 20 {
		td.patiently(td.nextID(), "put_station", obj{"station": obj{"name": fmt.Sprintf("Station %d", i+1), "kind": "independent", "capacity": 0}})
	}
	if f := td.politely(td.nextID(), "put_station", obj{"station": obj{"name": "One too many", "kind": "custom", "capacity": 0}}); f.code() != "invalid" {
		t.Errorf("a 21st station: %s", f)
	}

	// Commands per person: 20 a second, bursts of 40. Sent without
	// waiting, some are refused with rate_limited and a retry_after, and
	// are not carried out; each is carried out once retried with its id.
	var ids []string
	for range 60 {
		id := od.nextID()
		ids = append(ids, id)
		od.send(id, "set_interest", obj{"interest": id})
	}
	var limited []string
	for _, id := range ids {
		f := od.answer(id)
		switch f.typ() {
		case "result":
		case "error":
			od.isError(f, "rate_limited", true)
			if ra, ok := num(sub(f.m, "error"), "retry_after"); !ok || ra == 0 {
				t.Errorf("rate_limited without a retry_after: %s", f)
			}
			limited = append(limited, id)
		}
	}
	if len(limited) == 0 {
		t.Fatalf("60 commands at once from one person: none was rate_limited")
	}
	for _, id := range limited {
		od.patiently(id, "set_interest", obj{"interest": id})
	}
	od.answeredOnce()
	td.answeredOnce()

	// The allowance is the person's, "however many connections they
	// use": two devices of one student, 30 commands each, share it.
	two := s.newRoom(teacher, "Two devices")
	mia := s.join(two.code, "Mia")
	a, _ := s.enter("Mia's laptop", mia.token, "", nil)
	b, _ := s.enter("Mia's tablet", mia.token, "", nil)
	var sentA, sentB []string
	for i := range 30 {
		ia, ib := a.nextID(), b.nextID()
		sentA, sentB = append(sentA, ia), append(sentB, ib)
		a.send(ia, "set_interest", obj{"interest": fmt.Sprintf("a%d", i)})
		b.send(ib, "set_interest", obj{"interest": fmt.Sprintf("b%d", i)})
	}
	refused := 0
	for d, ids := range map[*cDev][]string{a: sentA, b: sentB} {
		for _, id := range ids {
			if d.answer(id).code() == "rate_limited" {
				refused++
			}
		}
	}
	if refused == 0 {
		t.Errorf("60 commands of one student on two connections at once: none was rate_limited")
	}
	// Each interest was stated once: one choice event per id.
	od.patiently(od.nextID(), "set_interest", obj{"interest": "the end"})
	od.wait("the last choice", func(f frame) bool { return f.event() == "choice" && str(f.data(), "interest") == "the end" })
	seen := map[string]int{}
	for _, f := range od.events() {
		if f.event() == "choice" {
			seen[str(f.data(), "interest")]++
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("the interest %s was stated %d times", id, seen[id])
		}
	}
}

// patiently sends a command until it is carried out, waiting as long as
// each rate_limited asks ("wait that long and retry with the same id").
func (d *cDev) patiently(id, typ string, data any) frame {
	d.t.Helper()
	f := d.politely(id, typ, data)
	if f.typ() != "result" {
		d.t.Fatalf("%s: %s answered %s", d.name, typ, f)
	}
	return f
}

// politely sends a command until it is answered with anything but
// rate_limited, and returns that answer.
func (d *cDev) politely(id, typ string, data any) frame {
	d.t.Helper()
	for {
		f := d.resend(id, typ, data)
		if f.code() != "rate_limited" {
			return f
		}
		ra, _ := num(sub(f.m, "error"), "retry_after")
		d.pause(time.Duration(ra) * time.Millisecond)
	}
}

// cErase: erasing a student closes every device with 4005, refuses the
// erased student's token with 4004, gives the others a fresh snapshot
// (not_recoverable) in a new epoch, and ends the rewritten log with an
// erased event that keeps only a digest of the student's ID.
func cErase(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Erase")
	olivia := s.join(room.code, "Olivia")
	noah := s.join(room.code, "Noah")
	td, tw := s.enter("teacher", teacher, room.id, nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	nd, _ := s.enter("Noah", noah.token, "", nil)
	od.must("raise_hand", obj{"note": "a private note"})
	for _, who := range []cStudent{olivia, noah} {
		td.wait(who.name+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == who.id && f.data()["online"] == true
		})
	}
	// Olivia and Noah share a group, its list and its workspace.
	prop := td.must("propose_groups", obj{"method": "random", "count": 1})
	group := td.must("apply_groups", obj{"proposal": str(prop, "id")})["groups"].([]any)[0].(string)
	od.must("edit_workspace", obj{"group": group, "op": obj{"kind": "add_task", "title": "measure the current"}})
	td.must("announce", obj{"text": "before the erasure"})
	nd.wait("the announcement", func(f frame) bool { return f.event() == "announcement" })
	epoch, offset := nd.state()

	// The export first: everything the class holds about her.
	ex := s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/students/"+olivia.id+"/export", teacher, nil)
	if str(ex, "room") != room.id || str(sub(ex, "student"), "id") != olivia.id || ex["events"] == nil {
		t.Errorf("the export: %v", ex)
	}

	r := s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/students/"+olivia.id+"/erase", teacher, nil)
	removed, ok1 := num(r, "removed")
	if _, ok2 := num(r, "events"); !ok1 || !ok2 || removed == 0 {
		t.Errorf("the erasure answered %v", r)
	}
	for _, d := range []*cDev{td, od, nd} {
		if code := d.closed(); code != 4005 {
			t.Errorf("%s: closed with %d by the erasure, want 4005", d.name, code)
		}
	}
	d := s.dial("Olivia, erased")
	d.isError(d.hello(olivia.token, "", nil), "unauthorized", true)
	if code := d.closed(); code != 4004 {
		t.Errorf("the erased student's hello: closed with %d, want 4004", code)
	}
	nd2, w := s.enter("Noah after", noah.token, "", obj{"epoch": epoch, "offset": offset})
	if w["resumed"] != false || str(sub(w, "reason"), "code") != "not_recoverable" || str(w, "epoch") == epoch {
		t.Errorf("Noah's resume after the erasure: %v", w)
	}
	nd2.isOpen()
	if snap := cJSON(t, w["snapshot"]); bytes.Contains(snap, []byte(olivia.id)) || bytes.Contains(snap, []byte("Olivia")) {
		t.Errorf("Noah's snapshot after the erasure still names her: %s", snap)
	}
	e2 := str(w, "epoch")
	nref, _ := s.enter("Noah from 0", noah.token, "", obj{"epoch": e2, "offset": 0})
	after, _ := s.enter("teacher, marking", teacher, room.id, nil)
	mk, _ := num(after.must("announce", obj{"text": "after the erasure"}), "seq")
	nref.wait("the announcement after the erasure", func(f frame) bool { return f.seq() == mk })
	var signed bool
	for _, f := range nref.events() {
		// "Their workspace edits are signed (erased)."
		if f.event() == "workspace" && str(sub(f.data(), "by"), "name") == "(erased)" {
			signed = true
		}
		if strings.Contains(f.String(), olivia.id) || strings.Contains(f.String(), "Olivia") {
			t.Errorf("Noah's events of the rewritten log name the erased student: %s", f)
		}
	}
	if !signed {
		t.Errorf("Noah's events of the rewritten log have no workspace edit signed (erased): %v", nref.events())
	}
	_, fw := s.enter("teacher after", teacher, room.id, nil)
	if snap := cJSON(t, fw["snapshot"]); bytes.Contains(snap, []byte(olivia.id)) || bytes.Contains(snap, []byte("a private note")) {
		t.Errorf("the class still holds the erased student: %s", snap)
	}
	// The rewritten log, from its start: nothing of her, and an erased
	// event last, with the digest of her ID.
	// "The answer says how many events the new log holds": the erased
	// event is the last of them.
	held, _ := num(r, "events")
	ref, _ := s.enter("teacher from 0", teacher, room.id, obj{"epoch": e2, "offset": 0})
	erased := ref.wait("the erased event", func(f frame) bool { return f.event() == "erased" })
	for _, f := range ref.events() {
		if strings.Contains(f.String(), olivia.id) {
			t.Errorf("the rewritten log names the erased student: %s", f)
		}
		if f.seq() > held {
			break
		}
	}
	sum := sha256.Sum256([]byte("classhub-erasure:" + room.id + ":" + olivia.id))
	if erased.seq() != held || str(erased.data(), "digest") != hex.EncodeToString(sum[:]) {
		t.Errorf("the rewritten log of %d events has %s, want erased last with the digest %x", held, erased, sum)
	} else if n, _ := num(erased.data(), "removed"); n != removed {
		t.Errorf("the erased event says %d removed, the answer %d", n, removed)
	}
	_ = tw
	again := s.json("POST", "/api/v1/rooms/"+room.id+"/students/"+olivia.id+"/erase", teacher, nil)
	if again.status != 404 || again.errCode() != "not_found" {
		t.Errorf("erasing her again: %d %s", again.status, again.raw)
	}
}

// cShare: a co-teacher whose share ends is closed with 4007, and their
// hello is refused with unauthorized and 4007.
func cShare(s *cServer, teacher string) {
	t := s.t
	addTeacher(t, s.data, "brown@school.example", "Mr Brown")
	b := s.ok(200, "POST", "/api/v1/login", "", obj{"email": "brown@school.example", "password": cPassword})
	brown, brownID := str(b, "token"), str(sub(b, "teacher"), "id")
	room := s.newRoom(teacher, "Shared")

	// Not his class: the hello is refused with 4002.
	d := s.dial("Mr Brown, not his")
	d.isError(d.hello(brown, room.id, nil), "unauthorized", true)
	if code := d.closed(); code != 4002 {
		t.Errorf("a teacher's hello to another's class: closed with %d, want 4002", code)
	}
	if r := s.json("GET", "/api/v1/rooms/"+room.id, brown, nil); r.status != 404 || r.errCode() != "not_found" {
		t.Errorf("another teacher's class over REST: %d %s", r.status, r.raw)
	}

	sh := s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/teachers", teacher, obj{"email": " Brown@School.example ", "role": "co_teacher"})
	if str(sh, "you") != "owner" {
		t.Errorf("sharing: %v", sh)
	}
	bd, bw := s.enter("Mr Brown", brown, room.id, nil)
	if str(sub(bw, "snapshot"), "you") != "co_teacher" {
		t.Errorf("the co-teacher's view says you are %v", sub(bw, "snapshot")["you"])
	}
	bd.must("announce", obj{"text": "from the co-teacher"})
	s.ok(200, "DELETE", "/api/v1/rooms/"+room.id+"/teachers/"+brownID, teacher, nil)
	if code := bd.closed(); code != 4007 {
		t.Errorf("the co-teacher's console after the share ended: closed with %d, want 4007", code)
	}
	// "Every console of that teacher on the class receives it, then is
	// closed with 4007."
	var revoked bool
	for _, f := range bd.events() {
		revoked = revoked || (f.event() == "share" && f.data()["revoked"] == true && str(f.data(), "teacher") == brownID)
	}
	if !revoked {
		t.Errorf("the co-teacher's console was closed without the share event that ended it")
	}
	d = s.dial("Mr Brown, unshared")
	d.isError(d.hello(brown, room.id, nil), "unauthorized", true)
	if code := d.closed(); code != 4007 {
		t.Errorf("the hello of a teacher whose share ended: closed with %d, want 4007", code)
	}
}

// cJoinLimit: sign-ins, joins and look-ups of codes that do not exist
// share an allowance per address, a burst of 60 and then one a second;
// over it, 429 rate_limited with Retry-After and, as every rate_limited,
// retry_after in the body.
func cJoinLimit(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Join limit")
	var r cResp
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatalf("200 look-ups of codes that do not exist were never refused")
		}
		r = s.json("GET", "/api/v1/join/ZZZZZ"+string(rune('2'+i%8)), "", nil)
		if r.status != 404 {
			break
		}
	}
	// The allowance refills by one a second, continuously: a request may
	// find the one that came since the last was refused, and is then
	// served, as it should be. Each is tried again until refused; three
	// tries cannot all find a new one in the milliseconds they take.
	over := func(do func() cResp) cResp {
		var r cResp
		for range 3 {
			if r = do(); r.status == 429 {
				break
			}
		}
		return r
	}
	for what, r := range map[string]cResp{
		"a look-up of a code that does not exist": r,
		"a join": over(func() cResp {
			return s.json("POST", "/api/v1/join", "", obj{"code": room.code, "name": "Olivia"})
		}),
		"a sign-in": over(func() cResp {
			return s.json("POST", "/api/v1/login", "", obj{"email": cTeacherEmail, "password": cPassword})
		}),
		"a look-up of a code that does": over(func() cResp { return s.json("GET", "/api/v1/join/"+room.code, "", nil) }),
	} {
		ra, ok := num(sub(r.body, "error"), "retry_after")
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 429 || r.errCode() != "rate_limited" || err != nil || secs < 1 || !ok || ra < 1 {
			t.Errorf("%s over the address's allowance: %d, Retry-After %q, %s; want 429 rate_limited with Retry-After and retry_after", what, r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
}

// cMoves: who sees a group's events is decided as of the moment each
// happened. Mason moves from the Otters to the Herons, Liam joins late
// and is placed by the rule; each device's stream, live and resumed from
// 0, is the same, and holds a group's events only while its student was
// a member.
func cMoves(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Moves")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	st := map[string]cStudent{}
	dev := map[string]*cDev{}
	for _, n := range []string{"Olivia", "Mason", "Noah"} {
		st[n] = s.join(room.code, n)
		dev[n], _ = s.enter(n, st[n].token, "", nil)
		td.wait(n+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == st[n].id && f.data()["online"] == true
		})
	}
	prop := td.must("propose_groups", obj{"method": "random", "count": 2})
	gids := td.must("apply_groups", obj{"proposal": str(prop, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{st["Olivia"].id, st["Mason"].id}},
		obj{"name": "Herons", "members": []any{st["Noah"].id}},
	}})["groups"].([]any)
	otters, herons := gids[0].(string), gids[1].(string)
	td.must("announce", obj{"text": "Otters, before", "group": otters})
	td.must("move_student", obj{"student": st["Mason"].id, "group": herons})
	td.refused("not_found", "move_student", obj{"student": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "group": herons})
	td.must("announce", obj{"text": "Otters, after", "group": otters})
	td.must("announce", obj{"text": "Herons, after", "group": herons})
	// Liam joins late: the smallest group by students online, the Otters.
	st["Liam"] = s.join(room.code, "Liam")
	dev["Liam"], _ = s.enter("Liam", st["Liam"].token, "", nil)
	td.wait("Liam online", func(f frame) bool {
		return f.event() == "presence" && str(f.data(), "student") == st["Liam"].id && f.data()["online"] == true
	})
	td.must("announce", obj{"text": "Otters, with Liam", "group": otters})
	end, _ := num(td.must("announce", obj{"text": "The end."}), "seq")

	// Ms Eve coaches the Otters; while her tablet is off she is moved to
	// the Herons. Resuming, she gets the rest of the Otters' events up to
	// her taking away, then the Herons' from her giving, and nothing of
	// the Herons from before.
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "eve@school.example", "name": "Ms Eve"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "another long password"})
	eve, eveID := str(co, "token"), str(sub(co, "coach"), "id")
	td.must("assign_coach", obj{"group": otters, "coach": eveID, "assigned": true})
	ed, _ := s.enter("Ms Eve", eve, room.id, nil)
	td.must("announce", obj{"text": "Otters, Eve here", "group": otters})
	ed.wait("her group's announcement", func(f frame) bool { return str(f.data(), "text") == "Otters, Eve here" })
	eveResume := ed.resumeOf()
	_ = ed.ws.CloseNow()
	ed.closed()
	td.must("announce", obj{"text": "Otters, Eve away", "group": otters})
	td.must("assign_coach", obj{"group": otters, "coach": eveID, "assigned": false})
	td.must("announce", obj{"text": "Otters, Eve gone", "group": otters})
	td.must("assign_coach", obj{"group": herons, "coach": eveID, "assigned": true})
	td.must("announce", obj{"text": "Herons, Eve's now", "group": herons})
	eveEnd, _ := num(td.must("announce", obj{"text": "Eve's end"}), "seq")
	ed2, w := s.enter("Ms Eve again", eve, room.id, eveResume)
	if w["resumed"] != true {
		t.Fatalf("the coach's resume: %v", w)
	}
	ed2.wait("the end", func(f frame) bool { return f.seq() == eveEnd })
	var got []string
	var groupsSeen []string
	for _, f := range ed2.events() {
		switch f.event() {
		case "announcement":
			got = append(got, str(f.data(), "text"))
		case "group":
			g := sub(f.data(), "group")
			coaches, _ := g["coaches"].([]any)
			groupsSeen = append(groupsSeen, fmt.Sprintf("%s %v", str(g, "name"), slices.Contains(coaches, any(eveID))))
		}
	}
	if want := []string{"Otters, Eve away", "Herons, Eve's now", "Eve's end"}; !slices.Equal(got, want) {
		t.Errorf("the coach, moved while away, resumed with the announcements %q, want %q", got, want)
	}
	if want := []string{"Otters false", "Herons true"}; !slices.Equal(groupsSeen, want) {
		t.Errorf("the coach resumed with the group events %q, want the Otters' taking her away and the Herons' giving", groupsSeen)
	}

	// A student who joined but is not online cannot be moved.
	ada := s.join(room.code, "Ada")
	td.refused("absent", "move_student", obj{"student": ada.id, "group": herons})
	td.refused("absent", "move_student", obj{"student": ada.id, "station": str(td.must("put_station", obj{"station": obj{"name": "Table", "kind": "teacher_led", "capacity": 1}}), "station")})

	texts := func(d *cDev) []string {
		var out []string
		for _, f := range d.events() {
			if f.event() == "announcement" && f.seq() <= end {
				out = append(out, str(f.data(), "text"))
			}
		}
		return out
	}
	want := map[string][]string{
		"Olivia": {"Otters, before", "Otters, after", "Otters, with Liam", "The end."},
		"Mason":  {"Otters, before", "Herons, after", "The end."},
		"Noah":   {"Herons, after", "The end."},
		"Liam":   {"Otters, with Liam", "The end."},
	}
	for n, d := range dev {
		d.wait("the end", func(f frame) bool { return f.seq() == end })
		if got := texts(d); !slices.Equal(got, want[n]) {
			t.Errorf("%s received the announcements %q, want %q", n, got, want[n])
		}
		// The group events a student receives: the last of a group they
		// left lists its members without them.
		var lastOtters obj
		for _, f := range d.events() {
			if g := sub(f.data(), "group"); f.event() == "group" && str(g, "id") == otters {
				lastOtters = g
			}
		}
		switch n {
		case "Mason":
			if lastOtters == nil || strings.Contains(string(cJSON(t, lastOtters)), st["Mason"].id) {
				t.Errorf("Mason's last event of the Otters, whom he left: %v", lastOtters)
			}
		case "Noah":
			if lastOtters != nil {
				t.Errorf("Noah received an event of the Otters: %v", lastOtters)
			}
		case "Liam", "Olivia":
			if lastOtters == nil || !strings.Contains(string(cJSON(t, lastOtters)), st["Liam"].id) {
				t.Errorf("%s: the Otters' group event does not list Liam, the late joiner: %v", n, lastOtters)
			}
		}
		// Resumed from 0, the same stream.
		e, _ := d.state()
		r, _ := s.enter(n+" from 0", st[n].token, "", obj{"epoch": e, "offset": 0})
		r.wait("the end", func(f frame) bool { return f.seq() == end })
		var replay, live []frame
		for _, f := range r.events() {
			if f.seq() > d.wOffset && f.seq() <= end {
				replay = append(replay, f)
			}
		}
		for _, f := range d.events() {
			if f.seq() <= end {
				live = append(live, f)
			}
		}
		sameEvents(t, n+": live and resumed from 0", replay, live)
		// Liam's fresh snapshot names no one of the Herons.
		if n == "Liam" {
			_, w := s.enter("Liam fresh", st[n].token, "", nil)
			snap := cJSON(t, w["snapshot"])
			for _, other := range []string{"Noah", "Mason"} {
				if bytes.Contains(snap, []byte(other)) {
					t.Errorf("Liam's snapshot names %s, of another group: %s", other, snap)
				}
			}
		}
	}
}

// cNoOps: "these commands succeed without an event when they would
// change nothing", and a hand raised twice or lowered twice likewise.
func cNoOps(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "No-ops")
	olivia := s.join(room.code, "Olivia")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	td.wait("Olivia online", func(f frame) bool { return f.event() == "presence" && f.data()["online"] == true })
	prop := td.must("propose_groups", obj{"method": "random", "count": 1})
	group := td.must("apply_groups", obj{"proposal": str(prop, "id")})["groups"].([]any)[0].(string)
	station := str(td.must("put_station", obj{"station": obj{"name": "Table", "kind": "teacher_led", "capacity": 0}}), "station")
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "fox@school.example", "name": "Mr Fox"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "yet another long password"})
	coach := str(sub(co, "coach"), "id")
	td.must("offer_choices", obj{"prompt": "Which?", "options": []any{"Volcanoes", "Space"}})
	start, _ := num(td.must("announce", obj{"text": "start"}), "seq")

	twice := []struct {
		d    *cDev
		typ  string
		data obj
	}{
		{td, "pause_class", obj{}},
		{td, "resume_class", obj{}},
		{td, "move_student", obj{"student": olivia.id, "station": station}},
		{td, "move_student", obj{"student": olivia.id, "group": group}},
		{td, "assign_coach", obj{"group": group, "coach": coach, "assigned": true}},
		{td, "assign_coach", obj{"group": group, "coach": coach, "assigned": false}},
		{od, "choose", obj{"option": "Space"}},
		{od, "set_interest", obj{"interest": "robots"}},
		{od, "raise_hand", obj{"note": "stuck"}},
		{od, "lower_hand", obj{}},
	}
	for _, c := range twice {
		c.d.patiently(c.d.nextID(), c.typ, c.data)
		c.d.patiently(c.d.nextID(), c.typ, c.data)
	}
	// Already in force in a new class: no event at all.
	td.patiently(td.nextID(), "set_late_rule", obj{"rule": "smallest"})
	td.patiently(td.nextID(), "resume_class", obj{})
	end, _ := num(td.patiently(td.nextID(), "announce", obj{"text": "end"}).data(), "seq")
	td.wait("the end", func(f frame) bool { return f.seq() == end })
	n := map[string]int{}
	for _, f := range td.events() {
		if f.seq() > start && f.seq() < end {
			n[f.event()]++
		}
	}
	// One event for each change made, none for the repeats: a pause and a
	// resume, the placement at the station, the coach given and taken
	// (moving her into the group she is in changes nothing), a choice and
	// an interest, the hand up and down.
	want := map[string]int{"class_paused": 2, "placement": 1, "group": 2, "choice": 2, "hand": 2}
	for ev, c := range want {
		if n[ev] != c {
			t.Errorf("%s: %d events for commands made twice, want %d (all: %v)", ev, n[ev], c, n)
		}
	}
	for _, ev := range []string{"late_rule"} {
		if n[ev] != 0 {
			t.Errorf("%s: %d events for a rule already in force", ev, n[ev])
		}
	}
}

// cCoTeachers holds the server to the Co-teachers table: what a
// co-teacher and a teaching assistant may not do is forbidden, over the
// WebSocket and over REST.
func cCoTeachers(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Co-teachers")
	olivia := s.join(room.code, "Olivia")
	tok := map[string]string{}
	for role, who := range map[string][2]string{"co_teacher": {"white@school.example", "Ms White"}, "assistant": {"green@school.example", "Mr Green"}} {
		addTeacher(t, s.data, who[0], who[1])
		tok[role] = str(s.ok(200, "POST", "/api/v1/login", "", obj{"email": who[0], "password": cPassword}), "token")
		s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/teachers", teacher, obj{"email": who[0], "role": role})
	}
	devs := map[string]*cDev{}
	for _, role := range []string{"co_teacher", "assistant"} {
		token := tok[role]
		d, w := s.enter(role, token, room.id, nil)
		if str(sub(w, "snapshot"), "you") != role {
			t.Errorf("the %s's view says you are %v", role, sub(w, "snapshot")["you"])
		}
		devs[role] = d
	}
	rows := cTable(t, "### Co-teachers")
	if got := strings.Join(rows[0], "|"); got != "command|co-teacher|teaching assistant" {
		t.Fatalf("the Co-teachers table's header: %q", got)
	}
	n := 0
	for _, r := range rows[1:] {
		for i, role := range []string{"co_teacher", "assistant"} {
			if !strings.HasPrefix(r[i+1], "no") {
				continue
			}
			if strings.HasPrefix(r[0], "REST") {
				n++
				base := "/api/v1/rooms/" + room.id
				var reqs [][3]string
				switch {
				case strings.Contains(r[0], "ending the class"):
					reqs = [][3]string{{"POST", base + "/end"}, {"GET", base + "/report"}}
				case strings.Contains(r[0], "sharing the class"):
					reqs = [][3]string{{"POST", base + "/teachers", `{"email":"conf@school.example","role":"assistant"}`},
						{"GET", base + "/students/" + olivia.id + "/export"}, {"POST", base + "/students/" + olivia.id + "/erase"}}
				default:
					t.Errorf("a REST row of the Co-teachers table this suite does not know: %q", r[0])
				}
				for _, q := range reqs {
					var body []byte
					if q[2] != "" {
						body = []byte(q[2])
					}
					if res := s.do(q[0], q[1], tok[role], body); res.status != 403 || res.errCode() != "forbidden" {
						t.Errorf("%s %s by the %s: %d %s, want 403 forbidden", q[0], q[1], role, res.status, res.raw)
					}
				}
				continue
			}
			for _, typ := range cSpans(r[0]) {
				n++
				// Data that is well formed: a command's data is checked
				// before the sender's share of the class.
				data, ok := wellFormed[typ]
				if !ok {
					t.Errorf("no well-formed data for %s, which the Co-teachers table names", typ)
					continue
				}
				if f := devs[role].politely(devs[role].nextID(), typ, data); f.code() != "forbidden" {
					t.Errorf("%s from the %s: %s, want forbidden", typ, role, f)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d refusals read from the Co-teachers table", n)
	}
	// The class is as it was: open, and Olivia in it.
	_, w := s.enter("owner", teacher, room.id, nil)
	if v := sub(w, "snapshot"); str(v, "status") != "open" || !bytes.Contains(cJSON(t, v), []byte(olivia.id)) {
		t.Errorf("after the refusals the class is %v", v)
	}
}

// wellFormed is data each command a share may forbid takes, well formed
// and naming things the class need not have.
var wellFormed = map[string]obj{
	"put_station":    {"station": obj{"name": "Reading corner", "kind": "independent", "capacity": 0}},
	"remove_station": {"station": "4b955ea0-e456-4b43-a44e-e3de91013e9e"},
	"propose_groups": {"method": "random", "count": 2},
	"apply_groups":   {"proposal": "4b955ea0-e456-4b43-a44e-e3de91013e9e"},
	"assign_coach":   {"group": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "coach": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "assigned": true},
	"start_rotation": {"plan": obj{"stations": []any{"4b955ea0-e456-4b43-a44e-e3de91013e9e"}, "legs": []any{600000}, "warn_ms": 60000, "auto": false}},
	"set_late_rule":  {"rule": "none"},
	"set_thresholds": {"thresholds": obj{}},
	"end_class":      {},
}

// cKept: the teacher view keeps "the 50 most recent" announcements, oldest
// first, and a class "its 20 most recent activities".
func cKept(s *cServer, teacher string) {
	t := s.t
	room := s.newRoom(teacher, "Kept")
	olivia := s.join(room.code, "Olivia")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	for i := range 52 {
		td.patiently(td.nextID(), "announce", obj{"text": fmt.Sprintf("announcement %d", i+1)})
	}
	for i := range 22 {
		td.patiently(td.nextID(), "push_activity", obj{"activity": obj{"title": fmt.Sprintf("activity %d", i+1)}})
	}
	for _, who := range []struct{ name, token, room string }{{"teacher", teacher, room.id}, {"Olivia", olivia.token, ""}} {
		_, w := s.enter(who.name+" fresh", who.token, who.room, nil)
		v := sub(w, "snapshot")
		as, _ := v["announcements"].([]any)
		if len(as) != 50 || str(as[0].(obj), "text") != "announcement 3" || str(as[49].(obj), "text") != "announcement 52" {
			t.Errorf("%s's snapshot holds %d announcements, from %v to %v; want the 50 most recent, oldest first", who.name, len(as), as[0], as[len(as)-1])
		}
		acts, _ := v["activities"].([]any)
		if len(acts) != 20 || str(sub(acts[0].(obj), "activity"), "title") != "activity 3" {
			t.Errorf("%s's snapshot holds %d activities, the first %v; want the 20 most recent", who.name, len(acts), acts[0])
		}
	}
}

// cCodes provokes the documented error codes the rest of the suite does
// not, each as the document describes it.
func cCodes(s *cServer, teacher string) {
	t := s.t
	// conflict: an invitation for an e-mail that has an account.
	if r := s.json("POST", "/api/v1/coaches", teacher, obj{"email": cTeacherEmail, "name": "Ms Conf"}); r.errCode() != "conflict" {
		t.Errorf("inviting an e-mail that has an account: %d %s", r.status, r.raw)
	}
	// bad_content: a bank with errors, every one of them, one a line.
	bad := s.do("POST", "/api/v1/banks?name=broken.yaml", teacher, []byte("id: broken\ntitle: Broken\nskills:\n  - id: a\n    prereqs: [nope]\n"))
	if bad.status != 422 || bad.errCode() != "bad_content" || !strings.Contains(str(sub(bad.body, "error"), "message"), "broken.yaml:") {
		t.Errorf("a broken bank: %d %s", bad.status, bad.raw)
	}

	room := s.newRoom(teacher, "Codes")
	olivia, noah := s.join(room.code, "Olivia"), s.join(room.code, "Noah")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	od, _ := s.enter("Olivia", olivia.token, "", nil)
	nd, _ := s.enter("Noah", noah.token, "", nil)
	for _, who := range []cStudent{olivia, noah} {
		td.wait(who.name+" online", func(f frame) bool {
			return f.event() == "presence" && str(f.data(), "student") == who.id && f.data()["online"] == true
		})
	}
	// infeasible: two groups of at least 4 from two students.
	td.refused("infeasible", "propose_groups", obj{"method": "random", "count": 2, "min": 4})
	// stale: a proposal that is not the latest.
	old := str(td.must("propose_groups", obj{"method": "random", "count": 1}), "id")
	td.must("propose_groups", obj{"method": "random", "count": 2})
	td.refused("stale", "apply_groups", obj{"proposal": old})
	// full: a station at capacity.
	table := str(td.must("put_station", obj{"station": obj{"name": "Table", "kind": "teacher_led", "capacity": 1}}), "station")
	td.must("move_student", obj{"student": olivia.id, "station": table})
	td.refused("full", "move_student", obj{"student": noah.id, "station": table})
	// not_given, duplicate, closed: practice.
	od.refused("wrong_state", "next_item", obj{})
	td.must("assign_practice", obj{"set": obj{"bank": "fractions-5", "set": "frac-equivalence"}})
	item := sub(od.must("next_item", obj{}), "item")
	nd.must("next_item", obj{})
	od.refused("not_given", "answer", obj{"item": "not-the-item", "response": "1"})
	// duplicate: an answer to an item already solved. She reads the
	// hints, then tries answers until one is right (a wrong one that
	// moves her on ends the attempt).
	var solved bool
	for range 3 {
		h := od.cmd("hint", obj{"item": str(item, "id")})
		if h.typ() != "result" || h.data()["last"] == true {
			break
		}
	}
	for _, response := range []string{"15", "3", "6", "4", "10", "2/3"} {
		a := od.cmd("answer", obj{"item": str(item, "id"), "response": response})
		if a.typ() == "result" && a.data()["correct"] == true {
			solved = true
			od.refused("duplicate", "answer", obj{"item": str(item, "id"), "response": response})
			break
		}
		if a.typ() != "result" || a.data()["next"] != nil {
			break
		}
	}
	if !solved {
		t.Logf("no answer guessed for %v: duplicate is left to the rest of the suite", item)
	}
	td.must("close_practice", obj{})
	nd.refused("closed", "next_item", obj{})
}

// cAllCodes checks that the suite met every error code of the Error codes
// table but those it cannot provoke from outside.
func cAllCodes(t *testing.T) {
	unreachable := map[string]string{
		"storage_full": "needs a store that refuses to write",
		"busy":         "needs an overloaded class",
		"unavailable":  "needs a class moving or a lost broker",
		"internal":     "needs a server fault",
	}
	for code := range cErrorCodes(t) {
		if _, ok := cSeen.Load(code); !ok && unreachable[code] == "" {
			t.Errorf("the suite never met the error code %s", code)
		}
	}
}
