package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The "Class orchestration" part of PROTOCOL.md, held to the real binary
// by the independent client of conformance_client_test.go: stations,
// groups and proposals, late joiners, moving students, the rotation,
// whole-class controls, group workspaces, coaches and co-teachers, each
// as every audience sees it, and the snapshots of an orchestrated class,
// rebuilt from the first snapshot and the events as the document says,
// against a fresh one.

// ---- commands ----

// deny sends a command that must be refused with code, with a message
// and the command's id.
func (d *cDev) deny(code, typ string, data any) frame {
	d.t.Helper()
	id := d.nextID()
	f := d.politely(id, typ, data)
	if f.typ() != "error" || f.code() != code || str(sub(f.m, "error"), "message") == "" || f.id() != id {
		d.t.Errorf("%s: %s %s: want an error %s with a message and the id, got %s", d.name, typ, cJSONs(d.t, data), code, f)
	}
	return f
}

func cJSONs(t *testing.T, v any) string { return string(cJSON(t, v)) }

// after returns the events with a seq above from.
func (d *cDev) after(from uint64) []frame {
	var out []frame
	for _, f := range d.events() {
		if f.seq() > from {
			out = append(out, f)
		}
	}
	return out
}

// kinds lists the event types of frames.
func kinds(fs []frame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.event())
	}
	return out
}

func ids(xs []any) []string {
	var out []string
	for _, x := range xs {
		switch v := x.(type) {
		case string:
			out = append(out, v)
		case obj:
			out = append(out, str(v, "id"))
		}
	}
	return out
}

func list(m obj, k string) []any { l, _ := m[k].([]any); return l }

func n64(m obj, k string) int64 {
	n, ok := m[k].(json.Number)
	if !ok {
		return -1
	}
	v, err := n.Int64()
	if err != nil {
		return -1
	}
	return v
}

// peek opens the class on a new connection without resume and returns
// its snapshot, then closes it.
func (s *cServer) peek(name, token, room string) obj {
	s.t.Helper()
	d, w := s.enter(name, token, room, nil)
	_ = d.ws.CloseNow()
	d.closed()
	return sub(w, "snapshot")
}

// ---- a class ----

// oClass is one class with its teacher's console, a projector and
// students online, each device keeping its first welcome.
type oClass struct {
	s       *cServer
	t       *testing.T
	room    cRoom
	teacher string
	td, pd  *cDev
	proj    string
	st      map[string]cStudent
	dev     map[string]*cDev
	first   map[*cDev]obj // each device's first welcome
	// prior holds, for a device that resumed on a new connection, the
	// events of the connections before it.
	prior map[*cDev][]frame
	coach struct{ token, id string }
	cd    *cDev
}

func oNew(s *cServer, teacher, title string, names ...string) *oClass {
	c := &oClass{s: s, t: s.t, teacher: teacher, st: map[string]cStudent{}, dev: map[string]*cDev{}, first: map[*cDev]obj{}, prior: map[*cDev][]frame{}}
	c.room = s.newRoom(teacher, title)
	var w obj
	c.td, w = s.enter("teacher", teacher, c.room.id, nil)
	c.first[c.td] = w
	c.proj = s.projector(teacher, c.room.id)
	c.pd, w = s.enter("projector", c.proj, "", nil)
	c.first[c.pd] = w
	for _, n := range names {
		c.add(n)
	}
	return c
}

// add joins a student and brings their device online.
func (c *oClass) add(name string) *cDev {
	c.st[name] = c.s.join(c.room.code, name)
	var w obj
	c.dev[name], w = c.s.enter(name, c.st[name].token, "", nil)
	c.first[c.dev[name]] = w
	c.online(name, true)
	return c.dev[name]
}

// online waits until the teacher sees the student online or offline.
func (c *oClass) online(name string, on bool) {
	c.td.wait(fmt.Sprintf("%s online %v", name, on), func(f frame) bool {
		return f.event() == "presence" && str(f.data(), "student") == c.st[name].id && f.data()["online"] == on
	})
}

// leave closes the student's device and waits until the teacher sees
// them offline.
func (c *oClass) leave(name string) {
	d := c.dev[name]
	_ = d.ws.CloseNow()
	d.closed()
	c.online(name, false)
	delete(c.dev, name)
}

func (c *oClass) id(name string) string { return c.st[name].id }

// groups proposes and applies the teacher's groups, and returns their
// IDs in order.
func (c *oClass) groups(spec ...[]string) []string {
	c.t.Helper()
	prop := c.td.ok("propose_groups", obj{"method": "random", "count": len(spec)})
	var gs []any
	for i, names := range spec {
		var ms []any
		for _, n := range names[1:] {
			ms = append(ms, c.id(n))
		}
		_ = i
		gs = append(gs, obj{"name": names[0], "members": ms})
	}
	res := c.td.ok("apply_groups", obj{"proposal": str(prop, "id"), "groups": gs})
	return ids(list(res, "groups"))
}

// withCoach invites a coach, gives them the group and opens their tablet.
func (c *oClass) withCoach(email, name, group string) {
	c.t.Helper()
	inv := c.s.ok(201, "POST", "/api/v1/coaches", c.teacher, obj{"email": email, "name": name})
	co := c.s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a coach's long password"})
	c.coach.token, c.coach.id = str(co, "token"), str(sub(co, "coach"), "id")
	c.td.ok("assign_coach", obj{"group": group, "coach": c.coach.id, "assigned": true})
	var w obj
	c.cd, w = c.s.enter(name, c.coach.token, c.room.id, nil)
	c.first[c.cd] = w
}

// mark announces to everyone and waits until every device has it; it
// returns its seq.
func (c *oClass) mark(text string) uint64 {
	c.t.Helper()
	seq, _ := num(c.td.ok("announce", obj{"text": text}), "seq")
	for _, d := range c.devices() {
		d.wait("the announcement "+text, func(f frame) bool { return f.seq() == seq })
	}
	return seq
}

func (c *oClass) devices() []*cDev {
	out := []*cDev{c.td, c.pd}
	names := make([]string, 0, len(c.dev))
	for n := range c.dev {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, c.dev[n])
	}
	if c.cd != nil {
		out = append(out, c.cd)
	}
	return out
}

// nothing checks that the commands between from and the mark made no
// event on any device: "a refused command has changed nothing and
// produced no event".
func (c *oClass) nothing(what string, from uint64) {
	c.t.Helper()
	end := c.mark("after " + what)
	for _, d := range c.devices() {
		for _, f := range d.after(from) {
			if f.seq() < end {
				c.t.Errorf("%s: %s received %s", what, d.name, f)
			}
		}
	}
}

// last is the class's latest offset, as the teacher sees it.
func (c *oClass) last() uint64 { return c.mark("now") }

// whoGot lists the devices that received an event satisfying ok after
// from.
func (c *oClass) whoGot(from uint64, ok func(frame) bool) []string {
	var out []string
	for _, d := range c.devices() {
		for _, f := range d.after(from) {
			if ok(f) {
				out = append(out, d.name)
				break
			}
		}
	}
	return out
}

func (c *oClass) sees(what string, from uint64, ok func(frame) bool, want ...string) {
	c.t.Helper()
	got := c.whoGot(from, ok)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		c.t.Errorf("%s reached %q, want %q", what, got, want)
	}
}

func evIs(ev string) func(frame) bool { return func(f frame) bool { return f.event() == ev } }

// check holds every device's view to the document: its first snapshot
// with the events it received applied "as described" equals a fresh
// snapshot of the same person, and its stream equals one resumed from
// offset 0.
func (c *oClass) check(what string) {
	c.t.Helper()
	type who struct {
		d           *cDev
		role, token string
		me, coachID string
	}
	var ws []who
	ws = append(ws, who{c.td, "teacher", c.teacher, "", ""}, who{c.pd, "projector", c.proj, "", ""})
	for n, d := range c.dev {
		ws = append(ws, who{d, "student", c.st[n].token, c.st[n].id, ""})
	}
	if c.cd != nil {
		ws = append(ws, who{c.cd, "coach", c.coach.token, "", c.coach.id})
	}
	type fresh struct {
		w   obj
		off uint64
	}
	snaps := map[*cDev]fresh{}
	for _, v := range ws {
		fd, fw := c.s.enter(v.d.name+" fresh", v.token, roomFor(v.role, c.room.id), nil)
		off, _ := num(fw, "offset")
		snaps[v.d] = fresh{fw, off}
		_ = fd.ws.CloseNow()
		fd.closed()
	}
	end := c.mark("checked: " + what)
	// Privacy: a student's view names no student but those of their own
	// group, and their group shows no coaches; the projector's names no
	// student at all.
	for _, v := range ws {
		snap := sub(snaps[v.d].w, "snapshot")
		var own []string
		switch v.role {
		case "student":
			own = append(ids(list(sub(snap, "group"), "members")), v.me)
			if _, ok := sub(snap, "group")["coaches"]; ok {
				c.t.Errorf("%s: %s's group shows its coaches: %v", what, v.d.name, sub(snap, "group"))
			}
		case "projector":
		default:
			continue
		}
		raw := cJSONs(c.t, snap)
		for n, st := range c.st {
			if !slices.Contains(own, st.id) && (strings.Contains(raw, st.id) || strings.Contains(raw, `"`+n+`"`)) {
				c.t.Errorf("%s: %s's view names %s: %s", what, v.d.name, n, raw)
			}
		}
	}
	for _, v := range ws {
		fr := snaps[v.d]
		first := c.first[v.d]
		from, _ := num(first, "offset")
		view := newView(c.t, v.role, v.me, v.coachID, sub(first, "snapshot"))
		events := append(slices.Clone(c.prior[v.d]), v.d.events()...)
		for _, f := range events {
			if f.seq() <= fr.off {
				view.apply(f)
			}
		}
		got, want := view.norm(), normView(v.role, sub(fr.w, "snapshot"))
		keys := map[string]bool{}
		for k := range got {
			keys[k] = true
		}
		for k := range want {
			keys[k] = true
		}
		for k := range keys {
			if view.unknown[k] {
				continue
			}
			g, w := cJSONs(c.t, got[k]), cJSONs(c.t, want[k])
			if g != w {
				c.t.Errorf("%s: %s's %s built from the events (offsets %d to %d):\n  %s\na fresh snapshot's:\n  %s", what, v.d.name, k, from, fr.off, g, w)
			}
		}
		// Resumed from 0: the same events.
		e, _ := v.d.state()
		rd, rw := c.s.enter(v.d.name+" from 0", v.token, roomFor(v.role, c.room.id), obj{"epoch": e, "offset": 0})
		if rw["resumed"] != true {
			c.t.Errorf("%s: %s could not resume from 0: %v", what, v.d.name, rw)
			continue
		}
		rd.wait("the check's mark", func(f frame) bool { return f.seq() == end })
		var replay, live []frame
		for _, f := range rd.events() {
			if f.seq() > from && f.seq() <= end {
				replay = append(replay, f)
			}
		}
		for _, f := range events {
			if f.seq() <= end {
				live = append(live, f)
			}
		}
		sameEvents(c.t, what+": "+v.d.name+" live and resumed from 0", replay, live)
		_ = rd.ws.CloseNow()
		rd.closed()
	}
}

// ---- views ----

// oView is a device's view of the class, built as "Apply the events that
// follow to the snapshot" says.
type oView struct {
	t                 *testing.T
	role, me, coachID string
	v                 obj
	// placement is a student's own placement, from placement events.
	placement string
	// unknown names the fields the events cannot tell (the document
	// says to take a fresh snapshot for them).
	unknown map[string]bool
}

func clone(t *testing.T, v any) obj {
	m, err := cDecode(cJSON(t, v))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newView(t *testing.T, role, me, coachID string, snap obj) *oView {
	v := &oView{t: t, role: role, me: me, coachID: coachID, v: clone(t, snap), unknown: map[string]bool{}}
	if role == "student" {
		v.placement = str(v.v, "station")
		if g := sub(v.v, "group"); g != nil && v.placement == str(v.trackOf(str(g, "id")), "station") && v.running() {
			// At their group's station, not placed (a placement elsewhere
			// differs from the track).
			v.placement = ""
		}
	}
	return v
}

func (v *oView) running() bool {
	r := sub(v.v, "rotation")
	return r != nil && r["ended"] != true
}

func (v *oView) trackOf(group string) obj {
	for _, x := range list(sub(v.v, "rotation"), "tracks") {
		if str(x.(obj), "group") == group {
			return x.(obj)
		}
	}
	return nil
}

func (v *oView) students() []obj {
	var out []obj
	for _, x := range list(v.v, "students") {
		out = append(out, x.(obj))
	}
	return out
}

func (v *oView) student(id string) obj {
	if v.role == "student" {
		if id == v.me {
			return sub(v.v, "me")
		}
		return nil
	}
	for _, s := range v.students() {
		if str(s, "id") == id {
			return s
		}
	}
	return nil
}

func (v *oView) groupOf(id string) obj {
	for _, x := range list(v.v, "groups") {
		if str(x.(obj), "id") == id {
			return x.(obj)
		}
	}
	return nil
}

func (v *oView) workspace(group string) obj {
	if v.role == "student" {
		if w := sub(v.v, "workspace"); w != nil && str(w, "group") == group {
			return w
		}
		return nil
	}
	for _, x := range list(v.v, "workspaces") {
		if str(x.(obj), "group") == group {
			return x.(obj)
		}
	}
	return nil
}

func emptyWorkspace(group string) obj {
	return obj{"group": group, "rev": json.Number("0"), "tasks": []any{}, "notes": "", "notes_rev": json.Number("0"), "comments": []any{}}
}

// dropGroup removes a group, its workspace and the students' group that
// names it.
func (v *oView) dropGroup(id string) {
	switch v.role {
	case "student":
		if g := sub(v.v, "group"); g != nil && str(g, "id") == id {
			delete(v.v, "group")
			delete(v.v, "workspace")
			delete(sub(v.v, "me"), "group")
		}
	default:
		v.v["groups"] = slices.DeleteFunc(list(v.v, "groups"), func(x any) bool { return str(x.(obj), "id") == id })
		v.v["workspaces"] = slices.DeleteFunc(list(v.v, "workspaces"), func(x any) bool { return str(x.(obj), "group") == id })
		for _, s := range v.students() {
			if str(s, "group") == id {
				delete(s, "group")
			}
		}
		if v.role == "coach" {
			v.trimCoachStudents()
		}
	}
}

// trimCoachStudents keeps the coach's students to the members of their
// groups.
func (v *oView) trimCoachStudents() {
	in := map[string]bool{}
	for _, x := range list(v.v, "groups") {
		for _, m := range ids(list(x.(obj), "members")) {
			in[m] = true
		}
	}
	v.v["students"] = slices.DeleteFunc(list(v.v, "students"), func(x any) bool { return !in[str(x.(obj), "id")] })
	v.v["placements"] = slices.DeleteFunc(list(v.v, "placements"), func(x any) bool { return !in[str(x.(obj), "student")] })
}

func (v *oView) dropPlacements(students []string, all bool) {
	if v.role == "student" {
		if all || slices.Contains(students, v.me) {
			v.placement = ""
		}
		return
	}
	if _, ok := v.v["placements"]; !ok {
		return
	}
	v.v["placements"] = slices.DeleteFunc(list(v.v, "placements"), func(x any) bool {
		return all || slices.Contains(students, str(x.(obj), "student"))
	})
}

func (v *oView) apply(f frame) {
	d := f.data()
	s := v.v
	switch f.event() {
	case "student_joined":
		if v.role == "teacher" {
			s["students"] = append(list(s, "students"), obj{"id": str(d, "student"), "name": str(d, "name")})
		}
	case "announcement":
		a := obj{"text": d["text"]}
		for _, k := range []string{"to", "group", "station"} {
			if x, ok := d[k]; ok {
				a[k] = x
			}
		}
		as := append(list(s, "announcements"), a)
		if len(as) > 50 {
			as = as[len(as)-50:]
		}
		s["announcements"] = as
	case "stations":
		s["stations"] = d["stations"]
		listed := ids(list(d, "stations"))
		if v.role == "student" {
			if v.placement != "" && !slices.Contains(listed, v.placement) {
				v.placement = ""
			}
		} else if _, ok := s["placements"]; ok {
			s["placements"] = slices.DeleteFunc(list(s, "placements"), func(x any) bool { return !slices.Contains(listed, str(x.(obj), "station")) })
		}
	case "group":
		g := sub(d, "group")
		id := str(g, "id")
		members := ids(list(g, "members"))
		switch v.role {
		case "student":
			own := sub(s, "group")
			if slices.Contains(members, v.me) {
				ng := obj{"id": id, "name": g["name"], "members": g["members"]}
				if own != nil && str(own, "id") == id {
					if r, ok := own["roles"]; ok {
						ng["roles"] = r
					}
				} else {
					// A group the student is new to. A new group starts
					// with an empty workspace; of one that was there
					// before (the student moved into it), the workspace
					// so far and the roles are not in the events.
					if slices.Contains(ids(list(s, "groups")), id) {
						v.unknown["workspace"], v.unknown["group"] = true, true
					}
					s["workspace"] = emptyWorkspace(id)
				}
				s["group"] = ng
				sub(s, "me")["group"] = id
			} else if own != nil && str(own, "id") == id {
				delete(s, "group")
				delete(s, "workspace")
				delete(sub(s, "me"), "group")
			}
		case "teacher", "coach":
			if v.role == "coach" {
				if cs := ids(list(g, "coaches")); !slices.Contains(cs, v.coachID) {
					v.dropGroup(id)
					return
				}
			}
			ng := obj{"id": id, "name": g["name"], "members": g["members"]}
			if cs := list(g, "coaches"); len(cs) > 0 {
				ng["coaches"] = cs
			}
			if old := v.groupOf(id); old != nil {
				if r, ok := old["roles"]; ok {
					ng["roles"] = r
				}
				for i, x := range list(s, "groups") {
					if str(x.(obj), "id") == id {
						list(s, "groups")[i] = ng
					}
				}
			} else {
				s["groups"] = append(list(s, "groups"), ng)
				s["workspaces"] = append(list(s, "workspaces"), emptyWorkspace(id))
				if v.role == "coach" {
					v.unknown["students"], v.unknown["workspaces"] = true, true
				}
			}
			for _, st := range v.students() {
				switch {
				case slices.Contains(members, str(st, "id")):
					st["group"] = id
				case str(st, "group") == id:
					delete(st, "group")
				}
			}
			if v.role == "coach" {
				for _, m := range list(g, "members") {
					if v.student(str(m.(obj), "id")) == nil {
						s["students"] = append(list(s, "students"), obj{"id": str(m.(obj), "id"), "name": str(m.(obj), "name"), "group": id})
					}
				}
				v.trimCoachStudents()
			}
		}
	case "groups":
		listed := ids(list(d, "groups"))
		switch v.role {
		case "student", "projector":
			var keep []string
			if own := sub(s, "group"); own != nil {
				keep = append(keep, str(own, "id"))
			}
			for _, id := range keep {
				if !slices.Contains(listed, id) {
					v.dropGroup(id)
				}
			}
			s["groups"] = d["groups"]
		default:
			for _, id := range ids(list(s, "groups")) {
				if !slices.Contains(listed, id) {
					v.dropGroup(id)
				}
			}
			// In the order the event lists them.
			var ordered []any
			for _, id := range listed {
				if g := v.groupOf(id); g != nil {
					ordered = append(ordered, g)
				}
			}
			if ordered == nil {
				ordered = []any{}
			}
			s["groups"] = ordered
			delete(s, "proposal")
			if r := sub(s, "regroup"); r != nil && str(r, "id") == str(d, "proposal") {
				delete(s, "regroup")
			}
		}
	case "proposal":
		if d["scheduled"] == true {
			s["regroup"] = d
			if p := sub(s, "proposal"); p != nil && str(p, "id") == str(d, "id") {
				delete(s, "proposal")
			}
		} else {
			s["proposal"] = d
		}
	case "placement":
		st := str(d, "student")
		if v.role == "student" {
			if st == v.me {
				v.placement = str(d, "station")
			}
			return
		}
		ps := slices.DeleteFunc(list(s, "placements"), func(x any) bool { return str(x.(obj), "student") == st })
		if station := str(d, "station"); station != "" {
			ps = append(ps, obj{"student": st, "station": station})
		}
		if ps == nil {
			ps = []any{}
		}
		s["placements"] = ps
	case "rotation":
		s["rotation"] = d["rotation"]
		for _, x := range list(d, "actions") {
			a := x.(obj)
			switch str(a, "kind") {
			case "advance", "done":
				if g := str(a, "group"); g != "" {
					v.dropPlacements(v.membersOf(g), false)
				}
			case "end":
				v.dropPlacements(nil, true)
			}
		}
	case "class_paused":
		s["paused"] = d["paused"]
	case "activity":
		a := obj{"activity": d["activity"]}
		if to, ok := d["to"]; ok {
			a["to"] = to
		}
		as := append(list(s, "activities"), a)
		if len(as) > 20 {
			as = as[len(as)-20:]
		}
		s["activities"] = as
	case "level":
		if st := v.student(str(d, "student")); st != nil {
			st["level"] = d["level"]
		}
	case "choices":
		if len(list(d, "options")) == 0 {
			delete(s, "choices")
		} else {
			s["choices"] = obj{"prompt": d["prompt"], "options": d["options"]}
		}
		if v.role == "student" {
			delete(sub(s, "me"), "choice")
		}
		for _, st := range v.students() {
			delete(st, "choice")
		}
	case "choice":
		st := v.student(str(d, "student"))
		if st == nil {
			return
		}
		for _, k := range []string{"option", "interest"} {
			x, ok := d[k]
			if !ok {
				continue
			}
			field := k
			if k == "option" {
				field = "choice"
			}
			if x == "" {
				delete(st, field)
			} else {
				st[field] = x
			}
		}
	case "workspace":
		v.applyWorkspace(f)
	case "late_rule":
		s["late_rule"] = d["rule"]
	}
}

// membersOf is the members of a group as the view knows them.
func (v *oView) membersOf(group string) []string {
	if v.role == "student" {
		if g := sub(v.v, "group"); g != nil && str(g, "id") == group {
			return []string{v.me}
		}
		return nil
	}
	if g := v.groupOf(group); g != nil {
		return ids(list(g, "members"))
	}
	return nil
}

func (v *oView) applyWorkspace(f frame) {
	d := f.data()
	g := str(d, "group")
	w := v.workspace(g)
	if w == nil {
		return
	}
	w["rev"] = d["rev"]
	op := sub(d, "op")
	switch str(op, "kind") {
	case "add_task":
		task := obj{"id": op["task"], "title": op["title"], "done": false,
			"vers": obj{"title": json.Number("1"), "assignee": json.Number("1"), "due": json.Number("1"), "done": json.Number("1")}}
		for _, k := range []string{"assignee", "due"} {
			if x, ok := op[k]; ok {
				task[k] = x
			}
		}
		w["tasks"] = append(list(w, "tasks"), task)
	case "edit_task":
		for _, x := range list(w, "tasks") {
			task := x.(obj)
			if str(task, "id") != str(op, "task") {
				continue
			}
			vers := sub(task, "vers")
			for _, k := range []string{"title", "assignee", "due", "done"} {
				nv, ok := op[k]
				if !ok {
					continue
				}
				switch {
				case k == "assignee" && nv == "", k == "due" && fmt.Sprint(nv) == "0":
					delete(task, k)
				default:
					task[k] = nv
				}
				vers[k] = json.Number(fmt.Sprint(n64(vers, k) + 1))
			}
		}
	case "remove_task":
		w["tasks"] = slices.DeleteFunc(list(w, "tasks"), func(x any) bool { return str(x.(obj), "id") == str(op, "task") })
	case "set_role":
		var grp obj
		if v.role == "student" {
			grp = sub(v.v, "group")
		} else {
			grp = v.groupOf(g)
		}
		if grp == nil {
			return
		}
		roles := slices.DeleteFunc(list(grp, "roles"), func(x any) bool { return str(x.(obj), "student") == str(op, "student") })
		if r := str(op, "role"); r != "" {
			roles = append(roles, obj{"student": op["student"], "role": r})
		}
		if len(roles) == 0 {
			delete(grp, "roles")
		} else {
			grp["roles"] = roles
		}
	case "edit_notes":
		notes := []rune(str(w, "notes"))
		for _, x := range list(op, "edits") {
			e := x.(obj)
			pos, del := int(n64(e, "pos")), int(max(n64(e, "del"), 0))
			if pos < 0 || pos+del > len(notes) {
				v.t.Errorf("an edit_notes event that does not fit the notes %q: %v", string(notes), e)
				return
			}
			notes = slices.Concat(notes[:pos], []rune(str(e, "ins")), notes[pos+del:])
		}
		w["notes"] = string(notes)
		w["notes_rev"] = json.Number(fmt.Sprint(n64(w, "notes_rev") + 1))
	case "comment":
		by := sub(d, "by")
		cs := append(list(w, "comments"), obj{"by": by["name"], "role": by["role"], "text": op["text"], "time": f.m["time"]})
		if len(cs) > 100 {
			cs = cs[len(cs)-100:]
		}
		w["comments"] = cs
	}
}

// norm is the view's fields of class orchestration, in a form to
// compare: lists whose order the document does not fix are sorted.
func (v *oView) norm() obj {
	n := normView(v.role, v.v)
	if v.role == "student" {
		// "Where a student is now: at the station of their placement if
		// they have one, else at their group's station while a rotation
		// runs, else nowhere in particular."
		station := v.placement
		if station == "" && v.running() {
			if g := sub(v.v, "group"); g != nil {
				if tr := v.trackOf(str(g, "id")); tr != nil && tr["done"] != true {
					station = str(tr, "station")
				}
			}
		}
		if station != "" {
			n["station"] = station
		} else {
			delete(n, "station")
		}
	}
	return n
}

func normView(role string, snap obj) obj {
	n := obj{}
	keep := map[string][]string{
		"teacher":   {"stations", "groups", "rotation", "paused", "proposal", "regroup", "placements", "activities", "choices", "workspaces", "late_rule", "announcements", "status"},
		"coach":     {"stations", "groups", "rotation", "paused", "proposal", "regroup", "placements", "activities", "choices", "workspaces", "announcements", "status"},
		"student":   {"stations", "groups", "group", "station", "rotation", "paused", "activities", "workspace", "choices", "announcements", "status"},
		"projector": {"stations", "groups", "rotation", "paused", "activities", "choices", "announcements", "status"},
	}[role]
	for _, k := range keep {
		if x, ok := snap[k]; ok {
			n[k] = x
		}
	}
	byKey := func(xs []any, k string) []any {
		out := slices.Clone(xs)
		slices.SortFunc(out, func(a, b any) int { return strings.Compare(str(a.(obj), k), str(b.(obj), k)) })
		return out
	}
	if ps, ok := n["placements"].([]any); ok {
		n["placements"] = byKey(ps, "student")
	}
	if ws, ok := n["workspaces"].([]any); ok {
		n["workspaces"] = byKey(ws, "group")
	}
	sortRoles := func(g obj) obj {
		if g == nil {
			return nil
		}
		g = shallow(g)
		if rs, ok := g["roles"].([]any); ok {
			g["roles"] = byKey(rs, "student")
		}
		return g
	}
	if gs, ok := n["groups"].([]any); ok && role != "student" && role != "projector" {
		var out []any
		for _, g := range gs {
			out = append(out, sortRoles(g.(obj)))
		}
		if out == nil {
			out = []any{}
		}
		n["groups"] = out
	}
	if g, ok := n["group"].(obj); ok {
		n["group"] = sortRoles(g)
	}
	switch role {
	case "teacher", "coach":
		var roster []any
		for _, x := range list(snap, "students") {
			s := x.(obj)
			e := obj{"id": s["id"], "name": s["name"]}
			for _, k := range []string{"group", "level", "interest", "choice"} {
				if y, ok := s[k]; ok {
					e[k] = y
				}
			}
			roster = append(roster, e)
		}
		n["students"] = byKey(roster, "id")
	case "student":
		me := sub(snap, "me")
		e := obj{"id": me["id"]}
		for _, k := range []string{"group", "interest", "choice", "level"} {
			if y, ok := me[k]; ok {
				e[k] = y
			}
		}
		n["me"] = e
	}
	return n
}

// shallow is a shallow copy of an object.
func shallow(m obj) obj {
	out := obj{}
	for k, x := range m {
		out[k] = x
	}
	return out
}

// ---- the suite ----

func TestConformanceOrchestration(t *testing.T) {
	s := cStart(t)
	teacher := s.login()
	// The rotation's own clock, with the shortest legs the plan allows,
	// runs in its class while the other parts run; it is read at the end.
	clock := oClockStart(s, teacher)
	parts := []struct {
		name string
		run  func(*cServer, string)
	}{
		{"Stations", oStations}, {"Groups", oGroups}, {"LateJoiners", oLate}, {"Moving", oMoving},
		{"Rotation", oRotation}, {"Controls", oControls}, {"Workspaces", oWorkspaces},
		{"Coaches", oCoaches}, {"CoTeachers", oCoTeachers},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) { s.t = t; p.run(s, teacher) })
	}
	t.Run("Clock", func(t *testing.T) { s.t = t; clock.t = t; oClockCheck(clock) })
	t.Run("Due", func(t *testing.T) {
		s.t, clock.due.t = t, t
		for _, d := range clock.due.devices() {
			d.t = t
		}
		oDueCheck(clock)
	})
	t.Run("Ended", func(t *testing.T) {
		s.t, clock.ended.t = t, t
		oEndedCheck(clock)
	})
}

// oStations: "Stations".
func oStations(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Stations", "Olivia", "Noah")
	td := c.td
	from := c.last()
	table := str(td.ok("put_station", obj{"station": obj{"name": "Teacher table", "kind": "teacher_led", "capacity": 6}}), "station")
	laptops := str(td.ok("put_station", obj{"station": obj{"name": "Laptops", "kind": "online", "capacity": 6, "activity": obj{"title": "Circuits practice", "text": "Start at level 1.\nMove up after 4 right in a row.", "url": "https://practice.example.org/circuits"}}}), "station")
	build := str(td.ok("put_station", obj{"station": obj{"name": "Build", "kind": "collab", "capacity": 0}}), "station")
	for _, id := range []string{table, laptops, build} {
		if !cUUID.MatchString(id) {
			t.Fatalf("put_station named the station %q", id)
		}
	}
	// Replacing: "send every field, as for a new one"; the result names
	// the same station, and the list keeps the order of creation.
	if got := str(td.ok("put_station", obj{"station": obj{"id": table, "name": "Teacher table", "kind": "teacher_led", "capacity": 3}}), "station"); got != table {
		t.Errorf("replacing a station: the result names %q, want %q", got, table)
	}
	// Every device receives stations after each change: the whole list.
	c.mark("stations made")
	c.sees("stations", from, evIs("stations"), "teacher", "projector", "Olivia", "Noah")
	for _, d := range c.devices() {
		var n int
		var lastList []any
		for _, f := range d.after(from) {
			if f.event() == "stations" {
				n++
				lastList = list(f.data(), "stations")
			}
		}
		if n != 4 {
			t.Errorf("%s received %d stations events for four changes", d.name, n)
		}
		if got := ids(lastList); !slices.Equal(got, []string{table, laptops, build}) {
			t.Errorf("%s: the stations are %v, want in the order they were created", d.name, got)
		}
		for _, x := range lastList {
			st := x.(obj)
			if str(st, "id") == table && (n64(st, "capacity") != 3 || st["activity"] != nil) {
				t.Errorf("%s: the replaced station is %v", d.name, st)
			}
			if str(st, "id") == laptops && str(sub(st, "activity"), "text") != "Start at level 1.\nMove up after 4 right in a row." {
				t.Errorf("%s: the laptops' activity is %v", d.name, st["activity"])
			}
		}
	}

	// Refusals: each changes nothing and makes no event.
	from = c.last()
	c.dev["Olivia"].deny("forbidden", "put_station", obj{"station": obj{"name": "Mine", "kind": "custom", "capacity": 0}})
	c.pd.deny("forbidden", "put_station", obj{"station": obj{"name": "Mine", "kind": "custom", "capacity": 0}})
	c.dev["Olivia"].deny("forbidden", "remove_station", obj{"station": build})
	for _, bad := range []obj{
		{"name": strings.Repeat("x", 41), "kind": "custom", "capacity": 0},
		{"name": "", "kind": "custom", "capacity": 0},
		{"name": "two\nlines", "kind": "custom", "capacity": 0},
		{"name": "Lab", "kind": "lab", "capacity": 0},
		{"name": "Lab", "kind": "custom", "capacity": 501},
		{"name": "Lab", "kind": "custom", "capacity": -1},
		{"name": "Lab", "kind": "custom", "capacity": 0, "activity": obj{"title": ""}},
		{"name": "Lab", "kind": "custom", "capacity": 0, "activity": obj{"title": strings.Repeat("t", 121)}},
		{"name": "Lab", "kind": "custom", "capacity": 0, "activity": obj{"title": "T", "text": strings.Repeat("t", 1001)}},
		{"name": "Lab", "kind": "custom", "capacity": 0, "activity": obj{"title": "T", "url": "ftp://example.org/x"}},
		{"name": "Lab", "kind": "custom", "capacity": 0, "activity": obj{"title": "T", "url": "https://example.org/" + strings.Repeat("x", 2000)}},
		{"name": "Lab", "kind": "custom", "capacity": 0, "colour": "red"},
	} {
		td.deny("invalid", "put_station", obj{"station": bad})
	}
	td.deny("not_found", "put_station", obj{"station": obj{"id": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "name": "Lab", "kind": "custom", "capacity": 0}})
	td.deny("not_found", "remove_station", obj{"station": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	td.deny("invalid", "remove_station", obj{"station": "4B955EA0-E456-4B43-A44E-E3DE91013E9E"})
	c.nothing("refused station commands", from)

	// "a class has at most 20 stations (a 21st is refused with invalid)".
	var extra []string
	for i := 4; i <= 20; i++ {
		extra = append(extra, str(td.ok("put_station", obj{"station": obj{"name": fmt.Sprintf("Station %d", i), "kind": "independent", "capacity": 0}}), "station"))
	}
	from = c.last()
	td.deny("invalid", "put_station", obj{"station": obj{"name": "Station 21", "kind": "independent", "capacity": 0}})
	c.nothing("a 21st station", from)
	for _, id := range extra {
		td.ok("remove_station", obj{"station": id})
	}

	// "Students the teacher had sent to that station are no longer there.
	// No placement event says so."
	td.ok("move_student", obj{"student": c.id("Olivia"), "station": build})
	from = c.last()
	if r := td.ok("remove_station", obj{"station": build}); len(r) != 0 {
		t.Errorf("remove_station answered %v, want {}", r)
	}
	c.mark("build removed")
	c.sees("a placement event for a removed station", from, evIs("placement"))
	c.sees("stations after a removal", from, evIs("stations"), "teacher", "projector", "Olivia", "Noah")
	if st, ok := s.peek("Olivia, after the removal", c.st["Olivia"].token, "")["station"]; ok {
		t.Errorf("Olivia's view has her at %v, a station that was removed", st)
	}
	c.check("stations")
}

// oGroups: "Groups and proposals".
func oGroups(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Groups", "Olivia", "Noah", "Mason", "Amelia", "Judy")
	td := c.td
	ada := s.join(c.room.code, "Ada") // joined, never online
	online := []string{c.id("Olivia"), c.id("Noah"), c.id("Mason"), c.id("Amelia"), c.id("Judy")}

	// Asking: the result is the proposal, and the proposal event carries
	// the same to the teachers only.
	from := c.last()
	req := obj{"method": "mixed", "size": 2, "apart": []any{[]any{c.id("Noah"), c.id("Mason")}}}
	p := td.ok("propose_groups", req)
	if !cUUID.MatchString(str(p, "id")) || n64(p, "seed") <= 0 || n64(sub(p, "request"), "seed") != n64(p, "seed") ||
		str(sub(p, "request"), "method") != "mixed" || n64(p, "basis") < 0 || n64(p, "made") <= 0 {
		t.Errorf("a proposal without its id, request, seed, basis or made: %v", p)
	}
	var members []string
	var sizes []int
	for i, x := range list(p, "groups") {
		g := x.(obj)
		if str(g, "name") != fmt.Sprintf("Group %d", i+1) || str(g, "reason") == "" {
			t.Errorf("proposed group %d: %v", i, g)
		}
		ms := ids(list(g, "members"))
		if slices.Contains(ms, c.id("Noah")) && slices.Contains(ms, c.id("Mason")) {
			t.Errorf("Noah and Mason were to be apart: %v", g)
		}
		members = append(members, ms...)
		sizes = append(sizes, len(ms))
	}
	slices.Sort(members)
	want := slices.Clone(online)
	slices.Sort(want)
	if !slices.Equal(members, want) {
		t.Errorf("the proposal groups %v; want the students online, once each: %v", members, want)
	}
	if len(sizes) > 0 && slices.Max(sizes)-slices.Min(sizes) > 1 {
		t.Errorf("the proposed groups' sizes differ by more than one: %v", sizes)
	}
	c.mark("proposed")
	c.sees("a proposal", from, evIs("proposal"), "teacher")
	for _, f := range td.after(from) {
		if f.event() == "proposal" && cJSONs(t, f.data()) != cJSONs(t, p) {
			t.Errorf("the proposal event %s differs from the result %s", cJSONs(t, f.data()), cJSONs(t, p))
		}
	}
	// include_absent groups Ada too; without it she is left out.
	withAda := td.ok("propose_groups", obj{"method": "random", "count": 2, "include_absent": true})
	if !strings.Contains(cJSONs(t, list(withAda, "groups")), ada.id) {
		t.Errorf("include_absent left Ada out: %v", withAda)
	}
	if strings.Contains(cJSONs(t, list(p, "groups")), ada.id) {
		t.Errorf("a proposal grouped Ada, who is not online: %v", p)
	}

	// Refusals of propose_groups.
	from = c.last()
	for _, bad := range []obj{
		{"method": "random"},
		{"method": "random", "size": 2, "count": 2},
		{"method": "random", "size": 0},
		{"method": "random", "size": 101},
		{"method": "random", "count": 41},
		{"method": "alphabetical", "count": 2},
		{"method": "random", "count": 2, "skill": "science.circuits"},
		{"method": "random", "count": 2, "apart": []any{[]any{c.id("Noah")}}},
		{"method": "random", "count": 2, "colour": "red"},
	} {
		td.deny("invalid", "propose_groups", bad)
	}
	c.dev["Olivia"].deny("forbidden", "propose_groups", obj{"method": "random", "count": 2})
	c.pd.deny("forbidden", "propose_groups", obj{"method": "random", "count": 2})
	// "a request that cannot be met is refused with infeasible, and its
	// message lists every reason, separated by "; "".
	inf := td.deny("infeasible", "propose_groups", obj{"method": "random", "count": 2, "min": 4,
		"apart": []any{[]any{c.id("Noah"), c.id("Mason")}}, "together": []any{[]any{c.id("Noah"), c.id("Mason")}}})
	if m := str(sub(inf.m, "error"), "message"); !strings.Contains(m, "; ") {
		t.Errorf("an infeasible request with two reasons: the message %q does not list them separated by \"; \"", m)
	}
	c.nothing("refused proposals", from)

	// Applying: the refusals, in the order the document gives them.
	latest := td.ok("propose_groups", obj{"method": "random", "count": 2, "seed": 42})
	pid := str(latest, "id")
	from = c.last()
	td.deny("stale", "apply_groups", obj{"proposal": str(p, "id")})
	td.deny("stale", "apply_groups", obj{"proposal": str(p, "id"), "groups": []any{obj{"name": "A", "members": []any{"4b955ea0-e456-4b43-a44e-e3de91013e9e"}}}})
	td.deny("not_found", "apply_groups", obj{"proposal": pid, "groups": []any{obj{"name": "A", "members": []any{"4b955ea0-e456-4b43-a44e-e3de91013e9e"}}}})
	td.deny("absent", "apply_groups", obj{"proposal": pid, "groups": []any{obj{"name": "A", "members": []any{ada.id, c.id("Olivia")}}}})
	td.deny("invalid", "apply_groups", obj{"proposal": pid, "groups": []any{
		obj{"name": "A", "members": []any{c.id("Olivia")}}, obj{"name": "B", "members": []any{c.id("Olivia"), c.id("Noah")}}}})
	td.deny("invalid", "apply_groups", obj{"proposal": pid, "groups": []any{}})
	td.deny("invalid", "apply_groups", obj{"proposal": pid, "groups": []any{obj{"name": strings.Repeat("n", 41), "members": []any{c.id("Olivia")}}}})
	td.deny("invalid", "apply_groups", obj{"proposal": pid, "groups": []any{obj{"name": "A", "members": []any{c.id("Olivia")}, "reason": "mine"}}})
	// A proposal the class never made is not the latest either.
	td.deny("stale", "apply_groups", obj{"proposal": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	c.dev["Olivia"].deny("forbidden", "apply_groups", obj{"proposal": pid})
	c.nothing("refused applications", from)
	// The proposal made with include_absent may name Ada.
	pa := td.ok("propose_groups", obj{"method": "random", "count": 2, "include_absent": true})
	td.ok("apply_groups", obj{"proposal": str(pa, "id"), "groups": []any{obj{"name": "With Ada", "members": []any{ada.id, c.id("Olivia")}}}})
	// "a group changed who is in it (a student moved, a late joiner was
	// placed; a coach assigned or taken away ... leaves the proposal as
	// it was)".
	for _, change := range []struct {
		what  string
		stale bool
		do    func(group string)
	}{
		{"a student moved", true, func(group string) {
			td.ok("move_student", obj{"student": c.id("Noah"), "group": group})
		}},
		{"a coach was assigned", false, func(group string) {
			inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "stale@school.example", "name": "Mr Stale"})
			co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a coach's long password"})
			td.ok("assign_coach", obj{"group": group, "coach": str(sub(co, "coach"), "id"), "assigned": true})
		}},
	} {
		group := str(list(s.peek("teacher, groups", teacher, c.room.id), "groups")[0].(obj), "id")
		stale := td.ok("propose_groups", obj{"method": "random", "count": 2})
		change.do(group)
		if change.stale {
			td.deny("stale", "apply_groups", obj{"proposal": str(stale, "id")})
		} else {
			td.ok("apply_groups", obj{"proposal": str(stale, "id")})
		}
	}
	// "the class changed since it was made: a student joined, came online
	// or went offline": Liam comes online.
	p2 := td.ok("propose_groups", obj{"method": "random", "count": 2})
	c.add("Liam")
	td.deny("stale", "apply_groups", obj{"proposal": str(p2, "id")})

	// The teacher's edit, applied: Judy and Liam in no group.
	p3 := td.ok("propose_groups", obj{"method": "random", "count": 2})
	from = c.last()
	res := td.ok("apply_groups", obj{"proposal": str(p3, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{c.id("Olivia"), c.id("Mason")}},
		obj{"name": "Herons", "members": []any{c.id("Noah"), c.id("Amelia")}},
	}})
	gids := ids(list(res, "groups"))
	if len(gids) != 2 || !cUUID.MatchString(gids[0]) || !cUUID.MatchString(gids[1]) {
		t.Fatalf("apply_groups answered %v", res)
	}
	otters, herons := gids[0], gids[1]
	c.mark("applied")
	// One group event per new group, for its members and the teachers,
	// then one groups event for everyone, with names and sizes only.
	if got := kinds(filter(td.after(from), "group", "groups")); !slices.Equal(got, []string{"group", "group", "groups"}) {
		t.Errorf("the teacher received %v after apply_groups, want group, group, groups", got)
	}
	var groupIDs []string
	for _, f := range td.after(from) {
		if f.event() == "group" {
			groupIDs = append(groupIDs, str(sub(f.data(), "group"), "id"))
		}
	}
	if !slices.Equal(groupIDs, gids) {
		t.Errorf("the group events name %v, want the groups in the order given, %v", groupIDs, gids)
	}
	c.sees("the Otters' group event", from, func(f frame) bool { return f.event() == "group" && str(sub(f.data(), "group"), "id") == otters }, "teacher", "Olivia", "Mason")
	c.sees("the Herons' group event", from, func(f frame) bool { return f.event() == "group" && str(sub(f.data(), "group"), "id") == herons }, "teacher", "Noah", "Amelia")
	c.sees("groups", from, evIs("groups"), "teacher", "projector", "Olivia", "Noah", "Mason", "Amelia", "Judy", "Liam")
	for _, d := range c.devices() {
		for _, f := range d.after(from) {
			if f.event() != "groups" {
				continue
			}
			want := fmt.Sprintf(`{"groups":[{"id":%q,"name":"Otters","size":2},{"id":%q,"name":"Herons","size":2}]}`, otters, herons)
			if got := cJSONs(t, f.data()); got != want {
				t.Errorf("%s: groups %s, want %s", d.name, got, want)
			}
		}
	}
	for _, f := range td.after(from) {
		if f.event() == "group" && str(sub(f.data(), "group"), "id") == otters {
			g := sub(f.data(), "group")
			if str(g, "name") != "Otters" || cJSONs(t, list(g, "members")) != fmt.Sprintf(`[{"id":%q,"name":"Olivia"},{"id":%q,"name":"Mason"}]`, c.id("Olivia"), c.id("Mason")) {
				t.Errorf("the Otters' group event: %v", g)
			}
		}
	}
	// "After a groups event the class has no proposal": the same proposal
	// again is stale.
	td.deny("stale", "apply_groups", obj{"proposal": str(p3, "id")})
	if _, ok := s.peek("teacher, after applying", teacher, c.room.id)["proposal"]; ok {
		t.Errorf("the teacher's view still has a proposal after the groups changed")
	}
	// A student in none of the groups has no group.
	if js := s.peek("Judy, after applying", c.st["Judy"].token, ""); js["group"] != nil || sub(js, "me")["group"] != nil {
		t.Errorf("Judy, in no group, has one: %v", js)
	}
	// Proposal and then the students' and projector's views.
	td.ok("propose_groups", obj{"method": "random", "count": 2})
	c.check("groups applied")

	// Applying again replaces every group: the old ones end with their
	// workspaces.
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "a task of the old Otters"}})
	p4 := td.ok("propose_groups", obj{"method": "random", "count": 3})
	from = c.last()
	res = td.ok("apply_groups", obj{"proposal": str(p4, "id")})
	if len(list(res, "groups")) != 3 {
		t.Errorf("a proposal of 3 groups, applied as it is: %v", res)
	}
	c.mark("regrouped")
	for _, f := range td.after(from) {
		if f.event() == "groups" && strings.Contains(cJSONs(t, f.data()), otters) {
			t.Errorf("after a regrouping the old groups remain: %s", f)
		}
	}
	if strings.Contains(cJSONs(t, s.peek("teacher, regrouped", teacher, c.room.id)), "a task of the old Otters") {
		t.Errorf("the old Otters' workspace outlived the regrouping")
	}
	c.check("regrouped")

	// The methods: by the option chosen and by the interest stated, each
	// group named after what it was made for; together kept together;
	// jigsaw with its expert groups.
	td.ok("offer_choices", obj{"prompt": "Which?", "options": []any{"Volcanoes", "Space"}})
	picks := map[string]string{"Olivia": "Volcanoes", "Noah": "Volcanoes", "Mason": "Space", "Amelia": "Space", "Judy": "Space", "Liam": "Volcanoes"}
	for n, o := range picks {
		c.dev[n].ok("choose", obj{"option": o})
		c.dev[n].ok("set_interest", obj{"interest": "robots " + o})
	}
	for _, m := range []struct{ method, prefix string }{{"choice", ""}, {"interest", "robots "}} {
		p := td.ok("propose_groups", obj{"method": m.method, "count": 2})
		for _, x := range list(p, "groups") {
			gr := x.(obj)
			for _, id := range ids(list(gr, "members")) {
				for n, o := range picks {
					// Named after it, as a name is written.
					if c.id(n) == id && !strings.Contains(strings.ToLower(str(gr, "name")), strings.ToLower(m.prefix+o)) {
						t.Errorf("by %s: %s, who picked %s, is in %q", m.method, n, o, str(gr, "name"))
					}
				}
			}
		}
	}
	p = td.ok("propose_groups", obj{"method": "random", "size": 2, "max": 2, "together": []any{[]any{c.id("Olivia"), c.id("Judy")}}})
	for _, x := range list(p, "groups") {
		ms := ids(list(x.(obj), "members"))
		if len(ms) > 2 || slices.Contains(ms, c.id("Olivia")) != slices.Contains(ms, c.id("Judy")) {
			t.Errorf("size 2 at most, Olivia and Judy together: %v", list(p, "groups"))
		}
	}
	p = td.ok("propose_groups", obj{"method": "jigsaw", "count": 2})
	var home, experts []string
	for _, x := range list(p, "groups") {
		home = append(home, ids(list(x.(obj), "members"))...)
	}
	for _, x := range list(p, "experts") {
		experts = append(experts, ids(list(x.(obj), "members"))...)
	}
	slices.Sort(home)
	slices.Sort(experts)
	if len(home) != 6 || !slices.Equal(home, experts) {
		t.Errorf("a jigsaw: home groups %v and expert groups %v, want every student online once in each", list(p, "groups"), list(p, "experts"))
	}
}

// filter keeps the events of the given types.
func filter(fs []frame, evs ...string) []frame {
	var out []frame
	for _, f := range fs {
		if slices.Contains(evs, f.event()) {
			out = append(out, f)
		}
	}
	return out
}

// oLate: "Late joiners".
func oLate(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Late joiners", "Olivia", "Mason", "Noah", "Amelia", "Judy")
	otters, herons := func(g []string) (string, string) { return g[0], g[1] }(c.groups(
		[]string{"Otters", "Olivia", "Mason"},
		[]string{"Herons", "Noah", "Amelia", "Judy"}))
	// The Herons have more members but fewer online: Amelia and Judy
	// leave. "the group with the fewest students online".
	c.leave("Amelia")
	c.leave("Judy")
	from := c.last()
	c.add("Liam")
	c.mark("Liam joined")
	// "The student's student_joined is followed by that group's group
	// event and a groups event."
	var seq []string
	for _, f := range filter(c.td.after(from), "student_joined", "group", "groups") {
		seq = append(seq, f.event())
		if f.event() == "group" {
			g := sub(f.data(), "group")
			if str(g, "id") != herons || !slices.Contains(ids(list(g, "members")), c.id("Liam")) {
				t.Errorf("Liam, late, was placed by %s; the Herons have one student online, the Otters two", f)
			}
		}
	}
	if !slices.Equal(seq, []string{"student_joined", "group", "groups"}) {
		t.Errorf("a late joiner: the teacher received %v, want student_joined, group, groups", seq)
	}
	if g := sub(c.first[c.dev["Liam"]], "snapshot"); str(sub(g, "group"), "id") != herons || str(sub(g, "me"), "group") != herons {
		t.Errorf("Liam's first view: %v", g)
	}
	// Of several such groups, the first: the Otters and the Herons now
	// have two online each.
	c.add("Ava")
	if g := sub(c.first[c.dev["Ava"]], "snapshot"); str(sub(g, "me"), "group") != otters {
		t.Errorf("Ava joined with the Otters and the Herons at two online each, and went to %v, want the first", sub(g, "me")["group"])
	}

	// set_late_rule: for the teachers only.
	from = c.last()
	c.td.deny("invalid", "set_late_rule", obj{"rule": "random"})
	c.td.deny("invalid", "set_late_rule", obj{})
	c.dev["Olivia"].deny("forbidden", "set_late_rule", obj{"rule": "none"})
	c.pd.deny("forbidden", "set_late_rule", obj{"rule": "none"})
	c.nothing("refused late rules", from)
	from = c.last()
	c.td.ok("set_late_rule", obj{"rule": "none"})
	c.mark("rule set")
	c.sees("late_rule", from, evIs("late_rule"), "teacher")
	for _, f := range c.td.after(from) {
		if f.event() == "late_rule" && cJSONs(t, f.data()) != `{"rule":"none"}` {
			t.Errorf("late_rule: %s", f)
		}
	}
	from = c.last()
	c.add("Zoe")
	c.mark("Zoe joined")
	if got := kinds(filter(c.td.after(from), "group", "groups")); len(got) != 0 {
		t.Errorf("with the rule none, a late joiner made %v", got)
	}
	if g := sub(c.first[c.dev["Zoe"]], "snapshot"); g["group"] != nil || sub(g, "me")["group"] != nil {
		t.Errorf("with the rule none, Zoe has a group: %v", g)
	}
	if v := s.peek("teacher, rule none", teacher, c.room.id); str(v, "late_rule") != "none" {
		t.Errorf("the teacher view's late_rule: %v", v["late_rule"])
	}
	for _, who := range []struct{ name, token string }{{"Olivia", c.st["Olivia"].token}, {"projector", c.proj}} {
		if v := s.peek(who.name+", rule none", who.token, ""); v["late_rule"] != nil {
			t.Errorf("%s's view shows the late-join rule: %v", who.name, v["late_rule"])
		}
	}
	c.check("late joiners")
}

// oMoving: "Moving students".
func oMoving(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Moving", "Olivia", "Mason", "Noah", "Amelia")
	g := c.groups([]string{"Otters", "Olivia", "Mason"}, []string{"Herons", "Noah", "Amelia"})
	otters, herons := g[0], g[1]
	table := str(c.td.ok("put_station", obj{"station": obj{"name": "Teacher table", "kind": "teacher_led", "capacity": 1}}), "station")
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "Draw the circuit"}})
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "set_role", "student": c.id("Olivia"), "role": "recorder"}})

	// Refusals.
	from := c.last()
	for _, bad := range []obj{
		{"student": c.id("Mason")},
		{"student": c.id("Mason"), "group": herons, "station": table},
		{"student": c.id("Mason"), "group": herons, "clear": true},
		{"group": herons},
	} {
		c.td.deny("invalid", "move_student", bad)
	}
	c.td.deny("not_found", "move_student", obj{"student": c.id("Mason"), "group": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	c.td.deny("not_found", "move_student", obj{"student": c.id("Mason"), "station": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	c.td.deny("not_found", "move_student", obj{"student": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "group": herons})
	c.dev["Noah"].deny("forbidden", "move_student", obj{"student": c.id("Noah"), "group": otters})
	c.nothing("refused moves", from)

	// Noah moves to the Otters: group (Herons, without him), group
	// (Otters, with him), then groups.
	from = c.last()
	if r := c.td.ok("move_student", obj{"student": c.id("Noah"), "group": otters}); len(r) != 0 {
		t.Errorf("move_student answered %v, want {}", r)
	}
	c.mark("Noah moved")
	var order []string
	for _, f := range filter(c.td.after(from), "group", "groups") {
		if f.event() == "group" {
			gr := sub(f.data(), "group")
			order = append(order, fmt.Sprintf("%s %v", str(gr, "name"), slices.Contains(ids(list(gr, "members")), c.id("Noah"))))
		} else {
			order = append(order, "groups")
		}
	}
	if want := []string{"Herons false", "Otters true", "groups"}; !slices.Equal(order, want) {
		t.Errorf("moving Noah to the Otters: the teacher received %v, want %v", order, want)
	}
	isGroup := func(id string) func(frame) bool {
		return func(f frame) bool { return f.event() == "group" && str(sub(f.data(), "group"), "id") == id }
	}
	c.sees("the Herons' event of Noah leaving", from, isGroup(herons), "teacher", "Noah", "Amelia")
	c.sees("the Otters' event of Noah joining", from, isGroup(otters), "teacher", "Noah", "Olivia", "Mason")
	c.sees("groups after a move", from, evIs("groups"), "teacher", "projector", "Noah", "Amelia", "Olivia", "Mason")
	// "nothing of that group after it".
	from = c.last()
	c.td.ok("announce", obj{"text": "Herons only", "group": herons})
	c.dev["Amelia"].ok("edit_workspace", obj{"group": herons, "op": obj{"kind": "add_task", "title": "Herons' task"}})
	c.mark("after Noah left the Herons")
	for _, f := range c.dev["Noah"].after(from) {
		if strings.Contains(cJSONs(t, f.data()), herons) {
			t.Errorf("Noah received an event of the Herons after he left them: %s", f)
		}
	}
	// The group he joined had a workspace and roles before him: his
	// fresh view has them.
	v := s.peek("Noah, moved", c.st["Noah"].token, "")
	if w := sub(v, "workspace"); str(w, "group") != otters || len(list(w, "tasks")) != 1 {
		t.Errorf("Noah, moved to the Otters, sees the workspace %v", w)
	}
	if r := list(sub(v, "group"), "roles"); len(r) != 1 {
		t.Errorf("Noah, moved to the Otters, sees the roles %v", r)
	}

	// To a station: placement for the student and the teachers.
	from = c.last()
	c.td.ok("move_student", obj{"student": c.id("Amelia"), "station": table})
	c.td.deny("full", "move_student", obj{"student": c.id("Mason"), "station": table})
	c.mark("Amelia at the table")
	c.sees("a placement", from, evIs("placement"), "teacher", "Amelia")
	for _, f := range c.td.after(from) {
		if f.event() == "placement" && cJSONs(t, f.data()) != fmt.Sprintf(`{"station":%q,"student":%q}`, table, c.id("Amelia")) {
			t.Errorf("placement: %s", f)
		}
	}
	if v := s.peek("Amelia at the table", c.st["Amelia"].token, ""); str(v, "station") != table {
		t.Errorf("Amelia's view puts her at %v, want the table", v["station"])
	}
	if v := s.peek("teacher, Amelia at the table", teacher, c.room.id); cJSONs(t, v["placements"]) != fmt.Sprintf(`[{"station":%q,"student":%q}]`, table, c.id("Amelia")) {
		t.Errorf("the teacher's placements: %v", v["placements"])
	}
	// "as many students online are at the station as its capacity":
	// Amelia leaves, and the table has room again.
	c.leave("Amelia")
	c.td.ok("move_student", obj{"student": c.id("Mason"), "station": table})
	c.td.ok("move_student", obj{"student": c.id("Mason"), "clear": true})
	// Absent: Amelia is not online.
	c.td.deny("absent", "move_student", obj{"student": c.id("Amelia"), "group": otters})
	c.td.deny("absent", "move_student", obj{"student": c.id("Amelia"), "station": table})
	from = c.last()
	c.td.ok("move_student", obj{"student": c.id("Olivia"), "station": table})
	c.td.ok("move_student", obj{"student": c.id("Olivia"), "clear": true})
	c.mark("Olivia back")
	var ps []string
	for _, f := range c.dev["Olivia"].after(from) {
		if f.event() == "placement" {
			ps = append(ps, cJSONs(t, f.data()))
		}
	}
	if want := []string{fmt.Sprintf(`{"station":%q,"student":%q}`, table, c.id("Olivia")), fmt.Sprintf(`{"student":%q}`, c.id("Olivia"))}; !slices.Equal(ps, want) {
		t.Errorf("Olivia's placements: %v, want %v", ps, want)
	}
	c.check("moves")
}

// rotationEvents is the rotation events a device received after from.
func rotationEvents(d *cDev, from uint64) []frame { return filter(d.after(from), "rotation") }

// actions writes a rotation event's actions as kind:group:leg:station,
// naming groups and stations by the names given.
func actions(f frame, names map[string]string) []string {
	var out []string
	for _, x := range list(f.data(), "actions") {
		a := x.(obj)
		s := str(a, "kind")
		if g := str(a, "group"); g != "" {
			s += ":" + names[g]
		}
		if l := n64(a, "leg"); l >= 0 {
			s += fmt.Sprintf(":%d", l)
		}
		if st := str(a, "station"); st != "" {
			s += ":" + names[st]
		}
		if n64(a, "at") <= 0 {
			s += ":no at"
		}
		out = append(out, s)
	}
	return out
}

// tracks writes a rotation's tracks as group:first:leg:station and the
// state of the clock.
func tracks(rot obj, names map[string]string) []string {
	var out []string
	for _, x := range list(rot, "tracks") {
		tr := x.(obj)
		s := fmt.Sprintf("%s:%d:%d:%s", names[str(tr, "group")], n64(tr, "first"), n64(tr, "leg"), names[str(tr, "station")])
		for _, k := range []string{"deadline", "left"} {
			if _, ok := tr[k]; ok {
				s += " " + k
			}
		}
		for _, k := range []string{"paused", "held", "warned", "due", "done"} {
			if tr[k] == true {
				s += " " + k
			}
		}
		out = append(out, s)
	}
	return out
}

func trackOf(rot obj, group string) obj {
	for _, x := range list(rot, "tracks") {
		if str(x.(obj), "group") == group {
			return x.(obj)
		}
	}
	return nil
}

// lastRotation is the rotation of the last rotation event a device
// received after from, which must be one.
func (c *oClass) lastRotation(d *cDev, from uint64) (obj, frame) {
	c.t.Helper()
	rs := rotationEvents(d, from)
	if len(rs) == 0 {
		c.t.Fatalf("%s received no rotation event", d.name)
	}
	f := rs[len(rs)-1]
	return sub(f.data(), "rotation"), f
}

// oRotation: "Rotation" and "Rotation actions", with a regrouping
// applied mid-rotation.
func oRotation(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Rotation", "Olivia", "Mason", "Noah", "Amelia", "Judy")
	td := c.td
	station := func(name string, capacity int) string {
		return str(td.ok("put_station", obj{"station": obj{"name": name, "kind": "custom", "capacity": capacity}}), "station")
	}
	tt, lp, bd, xx := station("Teacher table", 2), station("Laptops", 0), station("Build", 0), station("Spare", 0)
	plan := func(stations []string, legs []int, warn int) obj {
		var ss, ls []any
		for _, s := range stations {
			ss = append(ss, s)
		}
		for _, l := range legs {
			ls = append(ls, l)
		}
		return obj{"plan": obj{"stations": ss, "legs": ls, "warn_ms": warn, "auto": false}}
	}
	// The legs are long: the teacher moves the groups on with advance,
	// and no clock runs out while the test looks.
	const leg = 600000
	good := plan([]string{tt, lp, bd}, []int{leg, leg, leg}, 0)
	td.deny("wrong_state", "start_rotation", good) // no groups yet
	g := c.groups([]string{"Otters", "Olivia", "Mason"}, []string{"Herons", "Noah", "Amelia"})
	otters, herons := g[0], g[1]
	names := map[string]string{otters: "Otters", herons: "Herons", tt: "T", lp: "L", bd: "B", xx: "X"}

	// Refusals of start_rotation.
	from := c.last()
	var twentyOne []int
	for range 21 {
		twentyOne = append(twentyOne, leg)
	}
	for _, bad := range []obj{
		plan(nil, []int{leg}, 0),
		plan([]string{tt, tt}, []int{leg}, 0),
		plan([]string{tt}, nil, 0),
		plan([]string{tt}, []int{9999}, 0),
		plan([]string{tt}, []int{14400001}, 0),
		plan([]string{tt}, twentyOne, 0),
		plan([]string{tt}, []int{leg}, 999),
		plan([]string{tt}, []int{leg, 20000}, 20001),
		{"plan": sub(good, "plan"), "groups": []any{}},
		{"plan": obj{"stations": []any{tt}, "legs": []any{leg}, "warn_ms": 0, "auto": false, "loop": true}},
		{"plan": sub(good, "plan"), "order": "random"},
	} {
		td.deny("invalid", "start_rotation", bad)
	}
	td.deny("not_found", "start_rotation", plan([]string{tt, "4b955ea0-e456-4b43-a44e-e3de91013e9e"}, []int{leg}, 0))
	td.deny("not_found", "start_rotation", obj{"plan": sub(good, "plan"), "groups": []any{"4b955ea0-e456-4b43-a44e-e3de91013e9e"}})
	c.dev["Olivia"].deny("forbidden", "start_rotation", good)
	// full: the teacher's table holds two; Noah, sent there, and the two
	// Otters who start there would be three.
	td.ok("move_student", obj{"student": c.id("Noah"), "station": tt})
	from2 := c.last()
	td.deny("full", "start_rotation", good)
	c.nothing("a rotation that would overfill a station", from2)
	td.ok("move_student", obj{"student": c.id("Noah"), "clear": true})
	c.td.deny("wrong_state", "rotate", obj{"action": "advance"})
	_ = from

	// Start: every device gets the rotation.
	from = c.last()
	if r := td.ok("start_rotation", good); len(r) != 0 {
		t.Errorf("start_rotation answered %v, want {}", r)
	}
	c.mark("started")
	c.sees("the rotation's start", from, evIs("rotation"), "teacher", "projector", "Olivia", "Mason", "Noah", "Amelia", "Judy")
	rot, f := c.lastRotation(td, from)
	if got := actions(f, names); !slices.Equal(got, []string{"start:0"}) {
		t.Errorf("the start's actions: %v", got)
	}
	started := n64(rot, "started")
	if n64(sub(rot, "plan"), "warn_ms") != 60000 || rot["ended"] != false || started <= 0 {
		t.Errorf("the rotation as started (warn_ms 0 is one minute, half the shortest leg being more): %v", rot)
	}
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:T deadline", "Herons:1:0:L deadline"}) {
		t.Errorf("the tracks at the start: %v", got)
	}
	for _, id := range []string{otters, herons} {
		if dl := n64(trackOf(rot, id), "deadline"); dl != started+leg {
			t.Errorf("%s's first deadline is %d, want the start %d and a leg", names[id], dl, started)
		}
	}
	for _, d := range c.devices() {
		if r, _ := c.lastRotation(d, from); cJSONs(t, r) != cJSONs(t, rot) {
			t.Errorf("%s's rotation differs from the teacher's: %v", d.name, r)
		}
	}
	if v := s.peek("Olivia, at the table", c.st["Olivia"].token, ""); str(v, "station") != tt {
		t.Errorf("Olivia, whose group starts at the table, is at %v", v["station"])
	}
	td.deny("wrong_state", "start_rotation", good)
	td.deny("wrong_state", "remove_station", obj{"station": lp})
	td.ok("remove_station", obj{"station": xx})

	// What is sent to a station reaches the students there now.
	from = c.last()
	td.ok("announce", obj{"text": "Laptops: save your work now.", "station": lp})
	act := td.ok("push_activity", obj{"activity": obj{"title": "At the table"}, "to": obj{"station": tt}})
	if n64(act, "seq") <= 0 {
		t.Errorf("push_activity answered %v, want its seq", act)
	}
	td.ok("move_student", obj{"student": c.id("Olivia"), "station": bd})
	td.ok("announce", obj{"text": "Build: the glue is out.", "station": bd})
	td.ok("announce", obj{"text": "Table: pens down.", "station": tt})
	c.mark("to the stations")
	text := func(s string) func(frame) bool {
		return func(f frame) bool { return str(f.data(), "text") == s || str(sub(f.data(), "activity"), "title") == s }
	}
	c.sees("an announcement to the laptops", from, text("Laptops: save your work now."), "teacher", "Noah", "Amelia")
	c.sees("an activity to the table", from, text("At the table"), "teacher", "Olivia", "Mason")
	c.sees("an announcement to Build, where Olivia was sent", from, text("Build: the glue is out."), "teacher", "Olivia")
	c.sees("an announcement to the table, after Olivia left it", from, text("Table: pens down."), "teacher", "Mason")

	// Moving into a group at a full station: full, unless the student was
	// sent to a station of their own.
	td.ok("move_student", obj{"student": c.id("Olivia"), "clear": true})
	td.deny("full", "move_student", obj{"student": c.id("Judy"), "group": otters})
	td.ok("move_student", obj{"student": c.id("Judy"), "station": bd})
	td.ok("move_student", obj{"student": c.id("Judy"), "group": otters})

	// A regrouping while the rotation runs: as many groups as tracks, and
	// it waits for the next leg.
	p3 := td.ok("propose_groups", obj{"method": "random", "count": 3})
	td.deny("wrong_state", "apply_groups", obj{"proposal": str(p3, "id")})
	p := td.ok("propose_groups", obj{"method": "random", "count": 2})
	if r := td.ok("apply_groups", obj{"proposal": str(p, "id")}); cJSONs(t, r) != `{"scheduled":true}` {
		t.Errorf("apply_groups while a rotation runs answered %v", r)
	}
	// A later one replaces the one waiting.
	p = td.ok("propose_groups", obj{"method": "random", "count": 2})
	from = c.last()
	if r := td.ok("apply_groups", obj{"proposal": str(p, "id"), "groups": []any{
		obj{"name": "Foxes", "members": []any{c.id("Olivia"), c.id("Noah"), c.id("Judy")}},
		obj{"name": "Owls", "members": []any{c.id("Mason"), c.id("Amelia")}},
	}}); cJSONs(t, r) != `{"scheduled":true}` {
		t.Errorf("apply_groups while a rotation runs answered %v", r)
	}
	c.mark("regroup scheduled")
	c.sees("the scheduled regrouping", from, evIs("proposal"), "teacher")
	c.sees("group or groups before the next leg", from, func(f frame) bool { return f.event() == "group" || f.event() == "groups" })
	var scheduled obj
	for _, f := range td.after(from) {
		if f.event() == "proposal" {
			scheduled = f.data()
		}
	}
	if scheduled["scheduled"] != true || str(scheduled, "id") != str(p, "id") || !strings.Contains(cJSONs(t, scheduled), `"name":"Foxes"`) {
		t.Errorf("the proposal event of a scheduled regrouping: %v", scheduled)
	}
	if v := s.peek("teacher, regroup waiting", teacher, c.room.id); str(sub(v, "regroup"), "id") != str(p, "id") {
		t.Errorf("the teacher's view shows the waiting regrouping as %v", v["regroup"])
	}

	// The controls.
	from = c.last()
	td.ok("rotate", obj{"action": "pause", "group": otters})
	td.deny("wrong_state", "rotate", obj{"action": "pause", "group": otters})
	td.deny("wrong_state", "rotate", obj{"action": "resume", "group": herons})
	td.ok("rotate", obj{"action": "extend", "group": herons, "ms": 120000})
	td.ok("rotate", obj{"action": "extend", "group": otters, "ms": 60000})
	for _, bad := range []obj{
		{"action": "extend", "group": herons, "ms": 999},
		{"action": "extend", "group": herons, "ms": 7200001},
		{"action": "extend", "group": herons},
		{"action": "skip"},
		{"action": "end", "group": herons},
	} {
		td.deny("invalid", "rotate", bad)
	}
	td.deny("not_found", "rotate", obj{"action": "pause", "group": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	c.dev["Olivia"].deny("forbidden", "rotate", obj{"action": "advance"})
	c.mark("controls")
	rs := rotationEvents(td, from)
	if len(rs) != 3 {
		t.Fatalf("pause, extend and extend made %d rotation events, want 3: %v", len(rs), kinds(rs))
	}
	paused, extended, extendedPaused := rs[0], rs[1], rs[2]
	if got := actions(paused, names); !slices.Equal(got, []string{"pause:Otters:0"}) {
		t.Errorf("the pause's actions: %v", got)
	}
	pr := sub(paused.data(), "rotation")
	ot := trackOf(pr, otters)
	left := n64(ot, "left")
	if ot["paused"] != true || left <= 0 || left > leg || ot["deadline"] != nil {
		t.Errorf("the Otters, paused: %v", ot)
	}
	if got := actions(extended, names); !slices.Equal(got, []string{"extend:Herons:0"}) {
		t.Errorf("the extension's actions: %v", got)
	}
	if a, b := n64(trackOf(pr, herons), "deadline"), n64(trackOf(sub(extended.data(), "rotation"), herons), "deadline"); b != a+120000 {
		t.Errorf("two more minutes for the Herons moved their deadline from %d to %d", a, b)
	}
	if l := n64(trackOf(sub(extendedPaused.data(), "rotation"), otters), "left"); l != left+60000 {
		t.Errorf("a minute more for the paused Otters: left %d, then %d", left, l)
	}
	from = c.last()
	td.ok("rotate", obj{"action": "resume", "group": otters})
	c.mark("resumed")
	rot, f = c.lastRotation(td, from)
	at := n64(list(f.data(), "actions")[0].(obj), "at")
	if ot := trackOf(rot, otters); n64(ot, "deadline") != at+left+60000 || ot["paused"] != nil || ot["left"] != nil {
		t.Errorf("the Otters resumed at %d with %d left: %v", at, left+60000, ot)
	}

	// The whole class paused: class_paused, then hold; the clocks stop.
	td.ok("rotate", obj{"action": "pause", "group": herons})
	from = c.last()
	td.ok("pause_class", obj{})
	td.deny("wrong_state", "rotate", obj{"action": "resume", "group": otters})
	c.mark("class paused")
	if got := kinds(filter(c.dev["Olivia"].after(from), "class_paused", "rotation")); !slices.Equal(got, []string{"class_paused", "rotation"}) {
		t.Errorf("pause_class: Olivia received %v, want class_paused then rotation", got)
	}
	rot, f = c.lastRotation(td, from)
	if got := actions(f, names); !slices.Equal(got, []string{"hold:0"}) {
		t.Errorf("the hold's actions: %v", got)
	}
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:T left held", "Herons:1:0:L left paused held"}) {
		t.Errorf("the tracks held: %v", got)
	}
	heldLeft := n64(trackOf(rot, otters), "left")
	from = c.last()
	td.ok("resume_class", obj{})
	c.mark("class resumed")
	if got := kinds(filter(c.pd.after(from), "class_paused", "rotation")); !slices.Equal(got, []string{"class_paused", "rotation"}) {
		t.Errorf("resume_class: the projector received %v, want class_paused then rotation", got)
	}
	rot, f = c.lastRotation(td, from)
	if got := actions(f, names); !slices.Equal(got, []string{"release:0"}) {
		t.Errorf("the release's actions: %v", got)
	}
	// "A group the teacher paused on its own stays paused."
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:T deadline", "Herons:1:0:L left paused"}) {
		t.Errorf("the tracks released: %v", got)
	}
	at = n64(list(f.data(), "actions")[0].(obj), "at")
	if dl := n64(trackOf(rot, otters), "deadline"); dl != at+heldLeft {
		t.Errorf("the Otters released at %d with %d left: deadline %d", at, heldLeft, dl)
	}
	c.check("rotation, first leg")

	// The next leg: the regrouping takes effect.
	from = c.last()
	td.ok("rotate", obj{"action": "advance"})
	c.mark("second leg")
	var seen []string
	var foxes, owls string
	for _, f := range filter(td.after(from), "group", "groups", "rotation") {
		switch f.event() {
		case "group":
			gr := sub(f.data(), "group")
			seen = append(seen, "group "+str(gr, "name"))
			names[str(gr, "id")] = str(gr, "name")
			if str(gr, "name") == "Foxes" {
				foxes = str(gr, "id")
			} else {
				owls = str(gr, "id")
			}
		case "groups":
			seen = append(seen, "groups")
			if str(f.data(), "proposal") != str(p, "id") {
				t.Errorf("the groups event of the regrouping names the proposal %q, want %q", str(f.data(), "proposal"), str(p, "id"))
			}
		case "rotation":
			seen = append(seen, "rotation "+strings.Join(actions(f, names), " "))
		}
	}
	// The groups move on as they were; then the new groups are formed,
	// and take the tracks.
	if want := []string{"rotation advance:0 advance:Otters:1:L advance:Herons:1:B", "group Foxes", "group Owls", "groups", "rotation regroup:0"}; !slices.Equal(seen, want) {
		t.Errorf("the advance that carries out the regrouping: the teacher received\n  %q\nwant\n  %q", seen, want)
	}
	rot, _ = c.lastRotation(td, from)
	// The Owls' clock stays stopped: they take the Herons' track, which
	// the teacher had paused.
	if got := tracks(rot, names); !slices.Equal(got, []string{"Foxes:0:1:L deadline", "Owls:1:1:B left paused"}) {
		t.Errorf("the tracks after the regrouping: %v", got)
	}
	if v := s.peek("teacher, regrouped", teacher, c.room.id); v["regroup"] != nil || len(list(v, "placements")) != 0 {
		t.Errorf("after the next leg the teacher's view still has a regroup or placements: %v %v", v["regroup"], v["placements"])
	}
	if v := s.peek("Judy, regrouped", c.st["Judy"].token, ""); str(v, "station") != lp || str(sub(v, "group"), "id") != foxes {
		t.Errorf("Judy, a Fox whose placement ended with the leg, is at %v in %v", v["station"], sub(v, "group")["name"])
	}
	td.ok("rotate", obj{"action": "resume", "group": owls})
	c.check("rotation, regrouped")

	// To the end: the Foxes alone, then everyone.
	from = c.last()
	td.ok("rotate", obj{"action": "advance", "group": foxes})
	td.ok("rotate", obj{"action": "advance"})
	// "rotate is refused with wrong_state when ... the group has already
	// finished".
	td.deny("wrong_state", "rotate", obj{"action": "pause", "group": foxes})
	td.deny("wrong_state", "rotate", obj{"action": "advance", "group": foxes})
	td.ok("rotate", obj{"action": "advance"})
	td.deny("wrong_state", "rotate", obj{"action": "advance"})
	td.deny("wrong_state", "rotate", obj{"action": "end"})
	c.mark("finished")
	rs = rotationEvents(td, from)
	var all []string
	for _, f := range rs {
		all = append(all, strings.Join(actions(f, names), " "))
	}
	if want := []string{"advance:Foxes:0 advance:Foxes:2:B", "advance:0 done:Foxes:3 advance:Owls:2:T", "advance:0 done:Owls:3 finish:3"}; !slices.Equal(all, want) {
		t.Errorf("advancing to the end: the actions\n  %q\nwant\n  %q", all, want)
	}
	rot = sub(rs[len(rs)-1].data(), "rotation")
	if got := tracks(rot, names); rot["ended"] != true || !slices.Equal(got, []string{"Foxes:0:3: done", "Owls:1:3: done"}) {
		t.Errorf("the rotation finished: %v", rot)
	}
	c.check("rotation finished")

	// A rotation started while the class is paused starts held, and
	// end ends it at once, without finish.
	td.ok("pause_class", obj{})
	from = c.last()
	td.ok("start_rotation", plan([]string{lp, bd}, []int{leg, leg, leg}, -1))
	c.mark("started paused")
	rot, f = c.lastRotation(td, from)
	if got := actions(f, names); !slices.Equal(got, []string{"start:0", "hold:0"}) {
		t.Errorf("a start while paused: %v", got)
	}
	if got := tracks(rot, names); !slices.Equal(got, []string{"Foxes:0:0:L left held", "Owls:1:0:B left held"}) || n64(sub(rot, "plan"), "warn_ms") != 0 {
		t.Errorf("a rotation started held, without warnings: %v", rot)
	}
	if n64(trackOf(rot, foxes), "left") != leg {
		t.Errorf("a rotation started held has the whole leg left: %v", trackOf(rot, foxes))
	}
	td.ok("resume_class", obj{})
	from = c.last()
	td.ok("rotate", obj{"action": "end"})
	c.mark("ended")
	rot, f = c.lastRotation(td, from)
	if got := actions(f, names); !slices.Equal(got, []string{"end:0"}) {
		t.Errorf("the end's actions: %v", got)
	}
	if got := tracks(rot, names); rot["ended"] != true || !slices.Equal(got, []string{"Foxes:0:3: done", "Owls:1:3: done"}) {
		t.Errorf("the rotation ended: %v", rot)
	}
	td.deny("wrong_state", "rotate", obj{"action": "pause"})
	c.check("rotation ended")

	// The groups that rotate, in the order given: the i-th starts at
	// station i.
	from = c.last()
	td.ok("start_rotation", obj{"plan": sub(plan([]string{lp, bd}, []int{leg, 10000}, 0), "plan"), "groups": []any{owls}})
	c.mark("the Owls alone")
	rot, _ = c.lastRotation(td, from)
	if got := tracks(rot, names); !slices.Equal(got, []string{"Owls:0:0:L deadline"}) {
		t.Errorf("a rotation of the Owls alone: %v", got)
	}
	// "0: the default, one minute, or half the shortest leg if that is
	// less".
	if w := n64(sub(rot, "plan"), "warn_ms"); w != 5000 {
		t.Errorf("warn_ms 0 with a shortest leg of 10 s is in force as %d, want 5000", w)
	}
	if v := s.peek("Olivia, a Fox, not rotating", c.st["Olivia"].token, ""); v["station"] != nil {
		t.Errorf("Olivia, whose group does not rotate, is at %v", v["station"])
	}
	td.ok("rotate", obj{"action": "end"})
	from = c.last()
	td.ok("start_rotation", obj{"plan": sub(plan([]string{lp, bd}, []int{leg}, -1), "plan"), "groups": []any{owls, foxes}})
	c.mark("the Owls first")
	rot, _ = c.lastRotation(td, from)
	if got := tracks(rot, names); !slices.Equal(got, []string{"Owls:0:0:L deadline", "Foxes:1:0:B deadline"}) {
		t.Errorf("a rotation of the Owls, then the Foxes: %v", got)
	}
	c.check("a rotation of the groups given")
}

// oClock is a class whose rotation runs on its own clock, with auto,
// the shortest legs and the shortest warning the plan allows.
type oClock struct {
	*oClass
	names map[string]string
	start uint64
	// due is a class whose rotation runs without auto: its groups wait
	// for the teacher when their time is up.
	due      *oClass
	dueNames map[string]string
	dueStart uint64
	// ended is a class ended while its rotation ran.
	ended *oClass
}

func oClockStart(s *cServer, teacher string) *oClock {
	c := oNew(s, teacher, "Clock", "Olivia", "Noah")
	g := c.groups([]string{"Otters", "Olivia"}, []string{"Herons", "Noah"})
	a := str(c.td.ok("put_station", obj{"station": obj{"name": "A", "kind": "custom", "capacity": 0}}), "station")
	b := str(c.td.ok("put_station", obj{"station": obj{"name": "B", "kind": "custom", "capacity": 0}}), "station")
	k := &oClock{oClass: c, names: map[string]string{g[0]: "Otters", g[1]: "Herons", a: "A", b: "B"}}
	k.start = c.last()
	c.td.ok("start_rotation", obj{"plan": obj{"stations": []any{a, b}, "legs": []any{10000, 10000}, "warn_ms": 1000, "auto": true}})

	d := oNew(s, teacher, "Due", "Mia", "Leo")
	g = d.groups([]string{"Otters", "Mia"}, []string{"Herons", "Leo"})
	a = str(d.td.ok("put_station", obj{"station": obj{"name": "A", "kind": "custom", "capacity": 0}}), "station")
	b = str(d.td.ok("put_station", obj{"station": obj{"name": "B", "kind": "custom", "capacity": 0}}), "station")
	k.due, k.dueNames = d, map[string]string{g[0]: "Otters", g[1]: "Herons", a: "A", b: "B"}
	k.dueStart = d.last()
	d.td.ok("start_rotation", obj{"plan": obj{"stations": []any{a, b}, "legs": []any{10000, 600000}, "warn_ms": 1000, "auto": false}})

	e := oNew(s, teacher, "Ended mid-rotation", "Eva")
	e.groups([]string{"Otters", "Eva"})
	a = str(e.td.ok("put_station", obj{"station": obj{"name": "A", "kind": "custom", "capacity": 0}}), "station")
	e.td.ok("start_rotation", obj{"plan": obj{"stations": []any{a}, "legs": []any{10000, 10000}, "warn_ms": 1000, "auto": true}})
	e.td.ok("end_class", obj{})
	for _, dv := range e.devices() {
		if code := dv.closed(); code != 4003 {
			s.t.Errorf("%s: closed with %d when the class ended, want 4003", dv.name, code)
		}
	}
	k.ended = e
	return k
}

// oEndedCheck: the rotation of a class that ended records nothing after
// class_ended, however its legs would have run: class_ended is the last
// event a device receives.
func oEndedCheck(k *oClock) {
	c := k.ended
	t := c.t
	e, _ := c.td.state()
	rd, w := c.s.enter("teacher from 0", c.teacher, c.room.id, obj{"epoch": e, "offset": 0})
	if w["resumed"] != true {
		t.Fatalf("a resume from 0 in an ended class: %v", w)
	}
	if code := rd.closed(); code != 4003 {
		t.Errorf("a resume in an ended class closed with %d, want 4003", code)
	}
	evs := rd.events()
	if len(evs) == 0 || evs[len(evs)-1].event() != "class_ended" {
		t.Errorf("the ended class's events end with %v, want class_ended last", kinds(evs))
	}
	var sawEnd bool
	for _, f := range evs {
		if sawEnd {
			t.Errorf("an event after class_ended: %s", f)
		}
		sawEnd = sawEnd || f.event() == "class_ended"
	}
}

// oDueCheck: without auto, "the group becomes due and waits until the
// teacher advances it or gives it more time"; a due group cannot be
// paused, stays due through a pause of the class, and extended while the
// class is paused gets the time for when it resumes.
func oDueCheck(k *oClock) {
	c, names := k.due, k.dueNames
	t := c.t
	var otters, herons string
	for id, n := range names {
		switch n {
		case "Otters":
			otters = id
		case "Herons":
			herons = id
		}
	}
	f := c.td.wait("the leg's time up", func(f frame) bool {
		return f.event() == "rotation" && f.seq() > k.dueStart && len(actions(f, names)) > 0 && strings.HasPrefix(actions(f, names)[0], "due")
	})
	rs := rotationEvents(c.td, k.dueStart)
	started := n64(sub(rs[0].data(), "rotation"), "started")
	if got := actions(f, names); !slices.Equal(got, []string{"due:Otters:0:A", "due:Herons:0:B"}) {
		t.Errorf("time up without auto: %v", got)
	}
	for _, x := range list(f.data(), "actions") {
		if at := n64(x.(obj), "at"); at != started+10000 {
			t.Errorf("a due action at %d, want the deadline %d", at, started+10000)
		}
	}
	if got := tracks(sub(f.data(), "rotation"), names); !slices.Equal(got, []string{"Otters:0:0:A warned due", "Herons:1:0:B warned due"}) {
		t.Errorf("the tracks due: %v", got)
	}
	td := c.td
	// "a due group gets ms from now and runs again ... When the leg then
	// has more than warn_ms left, its warning will be given again."
	from := c.last()
	td.ok("rotate", obj{"action": "extend", "group": herons, "ms": 3000})
	c.mark("extended")
	rot, ext := c.lastRotation(td, from)
	at := n64(list(ext.data(), "actions")[0].(obj), "at")
	deadline := n64(trackOf(rot, herons), "deadline")
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:A warned due", "Herons:1:0:B deadline"}) || deadline != at+3000 {
		t.Errorf("a due group given 3 s at %d: %v", at, rot)
	}
	again := c.td.wait("the Herons due again", func(f frame) bool {
		return f.event() == "rotation" && f.seq() > from && slices.Contains(actions(f, names), "due:Herons:0:B")
	})
	var moments []string
	for _, f := range rotationEvents(td, from) {
		if f.seq() > again.seq() {
			break
		}
		for _, x := range list(f.data(), "actions") {
			moments = append(moments, fmt.Sprintf("%s %d", str(x.(obj), "kind"), n64(x.(obj), "at")-deadline))
		}
	}
	if want := []string{"extend " + fmt.Sprint(at-deadline), "warn -1000", "due 0"}; !slices.Equal(moments, want) {
		t.Errorf("after the extension, the actions and their moments from the new deadline: %v, want %v", moments, want)
	}
	td.deny("wrong_state", "rotate", obj{"action": "pause", "group": otters})
	from = c.last()
	td.ok("pause_class", obj{})
	td.ok("rotate", obj{"action": "extend", "group": otters, "ms": 600000})
	c.mark("held")
	held := rotationEvents(td, from)
	if len(held) != 2 {
		t.Fatalf("pause_class and extend made %d rotation events", len(held))
	}
	if got := tracks(sub(held[0].data(), "rotation"), names); !slices.Equal(got, []string{"Otters:0:0:A held warned due", "Herons:1:0:B held warned due"}) {
		t.Errorf("due tracks held: %v", got)
	}
	rot = sub(held[1].data(), "rotation")
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:A left held", "Herons:1:0:B held warned due"}) || n64(trackOf(rot, otters), "left") != 600000 {
		t.Errorf("a due group extended while the class is paused: %v", rot)
	}
	from = c.last()
	td.ok("resume_class", obj{})
	td.ok("rotate", obj{"action": "advance", "group": herons})
	c.mark("released")
	rs = rotationEvents(td, from)
	if len(rs) != 2 {
		t.Fatalf("resume_class and advance made %d rotation events", len(rs))
	}
	rot = sub(rs[0].data(), "rotation")
	at = n64(list(rs[0].data(), "actions")[0].(obj), "at")
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:A deadline", "Herons:1:0:B warned due"}) || n64(trackOf(rot, otters), "deadline") != at+600000 {
		t.Errorf("released at %d: %v", at, rot)
	}
	rot = sub(rs[1].data(), "rotation")
	at = n64(list(rs[1].data(), "actions")[0].(obj), "at")
	if got := tracks(rot, names); !slices.Equal(got, []string{"Otters:0:0:A deadline", "Herons:1:1:A deadline"}) || n64(trackOf(rot, herons), "deadline") != at+600000 {
		t.Errorf("a due group advanced at %d, with the full next leg from now: %v", at, rot)
	}
	// "A paused or held group moves but stays stopped, with the whole
	// next leg left."
	from = c.last()
	td.ok("rotate", obj{"action": "pause", "group": otters})
	td.ok("rotate", obj{"action": "advance", "group": otters})
	td.ok("rotate", obj{"action": "resume", "group": otters})
	c.mark("a paused group advanced")
	rs = rotationEvents(td, from)
	if len(rs) != 3 {
		t.Fatalf("pause, advance and resume made %d rotation events", len(rs))
	}
	rot = sub(rs[1].data(), "rotation")
	if got := tracks(rot, names); !slices.Equal(got[:1], []string{"Otters:0:1:B left paused"}) || n64(trackOf(rot, otters), "left") != 600000 {
		t.Errorf("a paused group advanced: %v", rot)
	}
	// Without a group: every running group, then every paused one.
	from = c.last()
	td.ok("rotate", obj{"action": "pause"})
	td.deny("wrong_state", "rotate", obj{"action": "pause", "group": herons})
	td.ok("rotate", obj{"action": "resume"})
	c.mark("all paused and resumed")
	rs = rotationEvents(td, from)
	if len(rs) != 2 {
		t.Fatalf("pause and resume of every group made %d rotation events", len(rs))
	}
	if got := tracks(sub(rs[0].data(), "rotation"), names); !slices.Equal(got, []string{"Otters:0:1:B left paused", "Herons:1:1:A left paused"}) || !slices.Equal(actions(rs[0], names), []string{"pause:0"}) {
		t.Errorf("every group paused: %v %v", actions(rs[0], names), got)
	}
	if got := tracks(sub(rs[1].data(), "rotation"), names); !slices.Equal(got, []string{"Otters:0:1:B deadline", "Herons:1:1:A deadline"}) {
		t.Errorf("every group resumed: %v", got)
	}
	c.check("due")
}

// oClockCheck: "Warnings and time up", with auto. Every moment is given
// once, at the moment it was due, and moments that fall together come in
// one event; the schedule holds.
func oClockCheck(k *oClock) {
	t := k.t
	c := k.oClass
	c.t = t
	for _, d := range c.devices() {
		d.t = t
	}
	fin := c.td.wait("the rotation's finish", func(f frame) bool {
		return f.event() == "rotation" && sub(f.data(), "rotation")["ended"] == true
	})
	c.mark("finished")
	rs := rotationEvents(c.td, k.start)
	var got []string
	for _, f := range rs {
		got = append(got, strings.Join(actions(f, k.names), " "))
	}
	want := []string{"start:0", "warn:Otters:0:A warn:Herons:0:B", "advance:Otters:1:B advance:Herons:1:A",
		"warn:Otters:1:B warn:Herons:1:A", "done:Otters:2 done:Herons:2 finish:2"}
	if !slices.Equal(got, want) {
		t.Fatalf("a rotation of two 10-second legs with auto: the actions\n  %q\nwant\n  %q", got, want)
	}
	started := n64(sub(rs[0].data(), "rotation"), "started")
	if n64(sub(sub(rs[0].data(), "rotation"), "plan"), "warn_ms") != 1000 {
		t.Errorf("the plan as started: %v", sub(rs[0].data(), "rotation"))
	}
	// The moment each action was due.
	due := []int64{started, started + 9000, started + 10000, started + 19000, started + 20000}
	for i, f := range rs {
		for _, x := range list(f.data(), "actions") {
			if at := n64(x.(obj), "at"); at != due[i] {
				t.Errorf("%s: at %d, want %d (started %d)", strings.Join(actions(f, k.names), " "), at, due[i], started)
			}
		}
		if tm, _ := num(f.m, "time"); int64(tm) < due[i] {
			t.Errorf("a rotation event recorded at %d, before its moment %d", tm, due[i])
		}
	}
	// After the advance: the next deadline counted from the old one.
	for _, x := range list(sub(rs[2].data(), "rotation"), "tracks") {
		if dl := n64(x.(obj), "deadline"); dl != started+20000 || x.(obj)["warned"] != nil {
			t.Errorf("after an advance on time the track is %v, want the deadline %d, not warned", x, started+20000)
		}
	}
	for _, x := range list(sub(rs[1].data(), "rotation"), "tracks") {
		if x.(obj)["warned"] != true {
			t.Errorf("after the warning, the track is not warned: %v", x)
		}
	}
	if got := tracks(sub(fin.data(), "rotation"), k.names); !slices.Equal(got, []string{"Otters:0:2: done", "Herons:1:2: done"}) {
		t.Errorf("the rotation finished: %v", got)
	}
	for _, d := range c.devices() {
		sameEvents(t, d.name+"'s rotation events", rotationEvents(d, k.start), rs)
	}
	c.check("a rotation on its own clock")
}

// oControls: "Whole-class controls".
func oControls(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Controls", "Olivia", "Mason", "Noah")
	g := c.groups([]string{"Otters", "Olivia", "Mason"}, []string{"Herons", "Noah"})
	otters, herons := g[0], g[1]
	c.withCoach("moss@school.example", "Ms Moss", otters)
	td := c.td
	lab := str(td.ok("put_station", obj{"station": obj{"name": "Lab", "kind": "custom", "capacity": 0}}), "station")
	td.ok("move_student", obj{"student": c.id("Mason"), "station": lab})

	// Pause: everyone; a paused class still takes commands.
	from := c.last()
	td.ok("pause_class", obj{})
	td.ok("pause_class", obj{})
	c.dev["Olivia"].ok("raise_hand", obj{"note": "while paused"})
	td.ok("resume_class", obj{})
	c.mark("paused and resumed")
	c.sees("class_paused", from, evIs("class_paused"), "teacher", "projector", "Olivia", "Mason", "Noah", "Ms Moss")
	var ps []string
	for _, f := range filter(c.pd.after(from), "class_paused") {
		ps = append(ps, cJSONs(t, f.data()))
	}
	if !slices.Equal(ps, []string{`{"paused":true}`, `{"paused":false}`}) {
		t.Errorf("the projector's class_paused: %v", ps)
	}

	// Announcements and activities by target, each seen by its audience.
	from = c.last()
	td.deny("invalid", "announce", obj{"text": "two targets", "group": otters, "station": lab})
	td.deny("invalid", "announce", obj{"text": "two targets", "to": c.id("Noah"), "group": otters})
	td.deny("not_found", "announce", obj{"text": "no such group", "group": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	td.deny("not_found", "announce", obj{"text": "no such station", "station": "4b955ea0-e456-4b43-a44e-e3de91013e9e"})
	td.deny("invalid", "push_activity", obj{"activity": obj{"title": "two targets"}, "to": obj{"group": otters, "station": lab}})
	td.deny("invalid", "push_activity", obj{"activity": obj{"title": "empty"}, "to": obj{"student": ""}})
	td.deny("invalid", "push_activity", obj{"activity": obj{"title": ""}})
	td.deny("invalid", "push_activity", obj{"activity": obj{"title": "T", "url": "javascript:alert(1)"}})
	td.deny("not_found", "push_activity", obj{"activity": obj{"title": "T"}, "to": obj{"group": "4b955ea0-e456-4b43-a44e-e3de91013e9e"}})
	c.dev["Olivia"].deny("forbidden", "push_activity", obj{"activity": obj{"title": "T"}})
	c.cd.deny("forbidden", "announce", obj{"text": "from a coach"})
	c.pd.deny("forbidden", "pause_class", obj{})
	c.nothing("refused announcements and activities", from)
	from = c.last()
	results := map[string]int64{}
	for _, a := range []struct {
		title string
		to    obj
	}{{"whole class", nil}, {"whole class, {}", obj{}}, {"Olivia's", obj{"student": c.id("Olivia")}}, {"the Otters'", obj{"group": otters}}, {"the Lab's", obj{"station": lab}}} {
		data := obj{"activity": obj{"title": a.title, "text": "Read it.\tThen try.", "url": "https://example.org/" + strings.ReplaceAll(a.title, " ", "-")}}
		if a.to != nil {
			data["to"] = a.to
		}
		results[a.title] = n64(td.ok("push_activity", data), "seq")
	}
	results["ann: group"] = n64(td.ok("announce", obj{"text": "ann: group", "group": herons}), "seq")
	results["ann: station"] = n64(td.ok("announce", obj{"text": "ann: station", "station": lab}), "seq")
	c.mark("sent")
	title := func(s string) func(frame) bool {
		return func(f frame) bool {
			return str(sub(f.data(), "activity"), "title") == s || f.event() == "announcement" && str(f.data(), "text") == s
		}
	}
	everyone := []string{"teacher", "projector", "Olivia", "Mason", "Noah", "Ms Moss"}
	c.sees("an activity to the whole class", from, title("whole class"), everyone...)
	c.sees("an activity to {}", from, title("whole class, {}"), everyone...)
	c.sees("an activity to Olivia", from, title("Olivia's"), "teacher", "Olivia")
	c.sees("an activity to the Otters", from, title("the Otters'"), "teacher", "Olivia", "Mason", "Ms Moss")
	c.sees("an activity to the Lab", from, title("the Lab's"), "teacher", "Mason")
	c.sees("an announcement to the Herons", from, title("ann: group"), "teacher", "Noah")
	c.sees("an announcement to the Lab", from, title("ann: station"), "teacher", "Mason")
	// "The result is the activity's offset": the event at that seq.
	for _, f := range td.after(from) {
		key := str(sub(f.data(), "activity"), "title")
		if f.event() == "announcement" {
			key = str(f.data(), "text")
		}
		if seq, ok := results[key]; ok && uint64(seq) != f.seq() {
			t.Errorf("%q: the result names seq %d, the event is at %d", key, seq, f.seq())
		}
		if f.event() == "activity" && key == "the Lab's" {
			if want := fmt.Sprintf(`{"activity":{"text":"Read it.\tThen try.","title":"the Lab's","url":"https://example.org/the-Lab's"},"to":{"station":%q}}`, lab); cJSONs(t, f.data()) != want {
				t.Errorf("an activity event %s, want %s", cJSONs(t, f.data()), want)
			}
		}
	}

	// Levels: the teachers only.
	from = c.last()
	td.deny("invalid", "set_level", obj{"student": c.id("Olivia"), "level": 1.5})
	td.deny("invalid", "set_level", obj{"student": c.id("Olivia"), "level": -0.1})
	td.deny("not_found", "set_level", obj{"student": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "level": 0.5})
	c.nothing("refused levels", from)
	from = c.last()
	td.ok("set_level", obj{"student": c.id("Olivia"), "level": 0.35})
	c.mark("level set")
	c.sees("a level", from, evIs("level"), "teacher")
	if v := s.peek("Olivia, levelled", c.st["Olivia"].token, ""); strings.Contains(cJSONs(t, v), "0.35") {
		t.Errorf("Olivia's view shows her level: %v", v)
	}

	// Choices and interests.
	from = c.last()
	c.dev["Olivia"].deny("wrong_state", "choose", obj{"option": "Volcanoes"})
	for _, bad := range []obj{
		{"prompt": "Which?", "options": []any{"Rock", " rock "}},
		{"prompt": "Which?", "options": []any{""}},
		{"prompt": "Which?", "options": []any{strings.Repeat("o", 61)}},
		{"prompt": "two\nlines", "options": []any{"A"}},
		{"prompt": strings.Repeat("p", 501), "options": []any{"A"}},
		{"prompt": "Which?", "options": []any{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"}},
	} {
		td.deny("invalid", "offer_choices", bad)
	}
	c.dev["Olivia"].deny("forbidden", "offer_choices", obj{"prompt": "Which?", "options": []any{"A"}})
	td.deny("forbidden", "choose", obj{"option": "A"})
	c.dev["Olivia"].deny("invalid", "set_interest", obj{"interest": strings.Repeat("i", 61)})
	c.dev["Olivia"].deny("invalid", "set_interest", obj{"interest": "two\nlines"})
	c.nothing("refused choices", from)
	from = c.last()
	td.ok("offer_choices", obj{"prompt": "Which passage will you read?", "options": []any{" Rock music ", "Volcanoes", "Space travel"}})
	c.dev["Olivia"].deny("invalid", "choose", obj{"option": "Dinosaurs"})
	c.dev["Olivia"].ok("choose", obj{"option": "  rock MUSIC "})
	c.dev["Noah"].ok("set_interest", obj{"interest": "robots"})
	c.mark("chosen")
	c.sees("choices", from, evIs("choices"), everyone...)
	for _, f := range filter(c.pd.after(from), "choices") {
		if cJSONs(t, f.data()) != `{"options":["Rock music","Volcanoes","Space travel"],"prompt":"Which passage will you read?"}` {
			t.Errorf("choices: %s", f)
		}
	}
	c.sees("Olivia's choice", from, func(f frame) bool { return f.event() == "choice" && str(f.data(), "student") == c.id("Olivia") }, "teacher", "Olivia")
	c.sees("Noah's interest", from, func(f frame) bool { return f.event() == "choice" && str(f.data(), "student") == c.id("Noah") }, "teacher", "Noah")
	for _, f := range filter(c.td.after(from), "choice") {
		want := fmt.Sprintf(`{"option":"Rock music","student":%q}`, c.id("Olivia"))
		if str(f.data(), "student") == c.id("Noah") {
			want = fmt.Sprintf(`{"interest":"robots","student":%q}`, c.id("Noah"))
		}
		if cJSONs(t, f.data()) != want {
			t.Errorf("choice: %s, want %s", cJSONs(t, f.data()), want)
		}
	}
	c.check("choices made")
	// A new offer clears every choice; none withdraws it.
	td.ok("offer_choices", obj{"prompt": "And now?", "options": []any{"Rock music", "Jazz"}})
	if v := s.peek("teacher, offered again", teacher, c.room.id); strings.Contains(cJSONs(t, v["students"]), `"choice"`) {
		t.Errorf("after a new offer a student still has a choice: %v", v["students"])
	}
	c.dev["Noah"].ok("set_interest", obj{"interest": ""})
	td.ok("offer_choices", obj{"prompt": "", "options": []any{}})
	c.dev["Olivia"].deny("wrong_state", "choose", obj{"option": "Jazz"})
	for _, who := range []struct{ name, token, room string }{{"teacher", teacher, c.room.id}, {"Olivia", c.st["Olivia"].token, ""}, {"projector", c.proj, ""}} {
		if v := s.peek(who.name+", offer withdrawn", who.token, who.room); v["choices"] != nil {
			t.Errorf("%s's view after the offer was withdrawn: choices %v", who.name, v["choices"])
		}
	}
	c.check("controls")

	// "one to a station by the students online there when it is sent": a
	// student sent there but offline does not get it, not on resuming
	// either.
	mason := c.dev["Mason"]
	back := mason.resumeOf()
	c.leave("Mason")
	td.ok("announce", obj{"text": "Lab, while Mason is away", "station": lab})
	md, w := s.enter("Mason, back", c.st["Mason"].token, "", back)
	if w["resumed"] != true {
		t.Fatalf("Mason's resume: %v", w)
	}
	c.dev["Mason"] = md
	c.first[md], c.prior[md] = c.first[mason], mason.events()
	c.online("Mason", true)
	end := c.mark("Mason back")
	md.wait("the mark", func(f frame) bool { return f.seq() == end })
	for _, f := range md.events() {
		if str(f.data(), "text") == "Lab, while Mason is away" {
			t.Errorf("Mason, at the Lab but offline when it was sent, received %s", f)
		}
	}
	c.check("an announcement to a station while a student there was away")
}

// oWorkspaces: "Group workspaces", the document's own example first.
func oWorkspaces(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Workspaces", "Olivia", "Mason", "Liam", "Noah")
	g := c.groups([]string{"Otters", "Olivia", "Mason", "Liam"}, []string{"Herons", "Noah"})
	otters, herons := g[0], g[1]
	c.withCoach("diaz@school.example", "Mr Diaz", herons)
	olivia, mason, liam, noah := c.dev["Olivia"], c.dev["Mason"], c.dev["Liam"], c.dev["Noah"]
	ws := func(d *cDev, group string, op obj) frame {
		return d.politely(d.nextID(), "edit_workspace", obj{"group": group, "op": op})
	}
	okWS := func(d *cDev, group string, op obj) obj {
		t.Helper()
		f := ws(d, group, op)
		if f.typ() != "result" {
			t.Fatalf("%s: edit_workspace %v answered %s", d.name, op, f)
		}
		return f.data()
	}
	from := c.last()
	r := okWS(olivia, otters, obj{"kind": "add_task", "title": "  Draw the circuit  "})
	task := str(sub(r, "op"), "task")
	if want := fmt.Sprintf(`{"op":{"kind":"add_task","task":%q,"title":"Draw the circuit"},"rev":1}`, task); cJSONs(t, r) != want || !cUUID.MatchString(task) {
		t.Errorf("add_task answered %s, want %s", cJSONs(t, r), want)
	}
	base := obj{"title": 1, "assignee": 1, "due": 1, "done": 1}
	// From the same versions, Mason takes the task and Liam renames it:
	// both apply.
	okWS(mason, otters, obj{"kind": "edit_task", "task": task, "base": base, "assignee": c.id("Mason")})
	okWS(liam, otters, obj{"kind": "edit_task", "task": task, "base": base, "title": "Draw the circuit neatly"})
	st := ws(olivia, otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 1, "assignee": 2, "due": 1, "done": 1}, "title": "Draw and label the circuit"})
	olivia.isError(st, "stale", true)
	if m := str(sub(st.m, "error"), "message"); !strings.Contains(m, "Draw the circuit neatly") {
		t.Errorf("a stale edit's message %q does not say what changed", m)
	}
	r = okWS(mason, otters, obj{"kind": "set_role", "student": c.id("Mason"), "role": "recorder"})
	if n64(r, "rev") != 4 {
		t.Errorf("the fourth change: rev %v", r["rev"])
	}
	// The notes: "Bulb lights up." at notes_rev 1, then Mason's change and
	// Olivia's, both made on revision 1.
	okWS(olivia, otters, obj{"kind": "edit_notes", "notes_base": 0, "edits": []any{obj{"pos": 0, "ins": "Bulb lights up."}}})
	r = okWS(mason, otters, obj{"kind": "edit_notes", "notes_base": 1, "edits": []any{obj{"pos": 0, "del": 4, "ins": "The lamp"}}})
	if cJSONs(t, sub(r, "op")) != `{"edits":[{"del":4,"ins":"The lamp","pos":0}],"kind":"edit_notes","notes_base":1}` || n64(r, "rev") != 6 {
		t.Errorf("Mason's change answered %s", cJSONs(t, r))
	}
	r = okWS(olivia, otters, obj{"kind": "edit_notes", "notes_base": 1, "edits": []any{obj{"pos": 15, "ins": " It gets warm."}}})
	if cJSONs(t, r) != `{"op":{"edits":[{"ins":" It gets warm.","pos":19}],"kind":"edit_notes","notes_base":2},"rev":7}` {
		t.Errorf("Olivia's change, transformed over Mason's, answered %s", cJSONs(t, r))
	}
	// The coach of the Herons comments; a coach does not edit tasks; a
	// student does not comment.
	r = okWS(c.cd, herons, obj{"kind": "comment", "text": "Good start. Which resistor did you pick, and why?"})
	if cJSONs(t, r) != `{"op":{"kind":"comment","text":"Good start. Which resistor did you pick, and why?"},"rev":1}` {
		t.Errorf("the coach's comment answered %s", cJSONs(t, r))
	}
	c.mark("the example")
	v := s.peek("Olivia, after the example", c.st["Olivia"].token, "")
	w := sub(v, "workspace")
	want := fmt.Sprintf(`{"comments":[],"group":%q,"notes":"The lamp lights up. It gets warm.","notes_rev":3,"rev":7,"tasks":[{"assignee":%q,"done":false,"id":%q,"title":"Draw the circuit neatly","vers":{"assignee":2,"done":1,"due":1,"title":2}}]}`, otters, c.id("Mason"), task)
	if cJSONs(t, w) != want {
		t.Errorf("the Otters' workspace after the document's example:\n  %s\nwant\n  %s", cJSONs(t, w), want)
	}
	if cJSONs(t, list(sub(v, "group"), "roles")) != fmt.Sprintf(`[{"role":"recorder","student":%q}]`, c.id("Mason")) {
		t.Errorf("the Otters' roles: %v", sub(v, "group")["roles"])
	}
	// The events: to the group's members, its coaches and the teachers,
	// each with who made it.
	isWS := func(group string) func(frame) bool {
		return func(f frame) bool { return f.event() == "workspace" && str(f.data(), "group") == group }
	}
	c.sees("the Otters' workspace", from, isWS(otters), "teacher", "Olivia", "Mason", "Liam")
	c.sees("the Herons' workspace", from, isWS(herons), "teacher", "Noah", "Mr Diaz")
	var revs []int64
	for _, f := range filter(liam.after(from), "workspace") {
		revs = append(revs, n64(f.data(), "rev"))
		by := sub(f.data(), "by")
		if str(by, "role") != "student" || str(by, "name") == "" || !cUUID.MatchString(str(by, "student")) {
			t.Errorf("a student's workspace change signed %v", by)
		}
	}
	if fmt.Sprint(revs) != "[1 2 3 4 5 6 7]" {
		t.Errorf("Liam received the Otters' revisions %v", revs)
	}
	for _, f := range filter(c.td.after(from), "workspace") {
		if str(f.data(), "group") == herons && cJSONs(t, f.data()["by"]) != `{"name":"Mr Diaz","role":"coach"}` {
			t.Errorf("the coach's comment signed %v", f.data()["by"])
		}
	}

	// Refusals, each changing nothing.
	from = c.last()
	for _, x := range []struct {
		d     *cDev
		code  string
		group string
		op    obj
	}{
		{noah, "forbidden", otters, obj{"kind": "add_task", "title": "not my group"}},
		{c.cd, "forbidden", herons, obj{"kind": "add_task", "title": "Measure the current"}},
		{c.cd, "forbidden", otters, obj{"kind": "comment", "text": "not my group"}},
		{olivia, "forbidden", otters, obj{"kind": "comment", "text": "students write in the notes"}},
		{c.pd, "forbidden", otters, obj{"kind": "add_task", "title": "a projector"}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": ""}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": strings.Repeat("t", 201)}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": "two\nlines"}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": "T", "assignee": c.id("Noah")}},
		{olivia, "invalid", otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 2, "assignee": 2, "due": 1, "done": 1}}},
		{olivia, "invalid", otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 3, "assignee": 2, "due": 1, "done": 1}, "done": true}},
		{olivia, "not_found", otters, obj{"kind": "edit_task", "task": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "base": base, "done": true}},
		{olivia, "not_found", otters, obj{"kind": "remove_task", "task": "4b955ea0-e456-4b43-a44e-e3de91013e9e"}},
		{olivia, "invalid", otters, obj{"kind": "set_role", "student": c.id("Olivia"), "role": "Recorder"}},
		{olivia, "invalid", otters, obj{"kind": "set_role", "student": c.id("Noah"), "role": "facilitator"}},
		{olivia, "invalid", otters, obj{"kind": "set_role", "student": c.id("Olivia"), "role": strings.Repeat("r", 41)}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 4, "edits": []any{obj{"pos": 0, "ins": "ahead"}}}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{obj{"pos": 34, "ins": "past the end"}}}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{obj{"pos": 30, "del": 4}}}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{}}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{obj{"pos": 0, "ins": "a\rb"}}}},
		{olivia, "invalid", otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{obj{"pos": 0, "ins": strings.Repeat("x", 2001)}}}},
		{c.td, "invalid", otters, obj{"kind": "comment", "text": strings.Repeat("c", 501)}},
		{olivia, "invalid", otters, obj{"kind": "rename", "name": "Otters!"}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": "T", "colour": "red"}},
		{olivia, "invalid", otters, obj{"kind": "add_task", "title": "T", "due": -1}},
		{olivia, "invalid", otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 2, "assignee": 2, "due": 1, "done": 1}, "due": -5}},
		{c.td, "not_found", "4b955ea0-e456-4b43-a44e-e3de91013e9e", obj{"kind": "comment", "text": "no such group"}},
	} {
		f := ws(x.d, x.group, x.op)
		x.d.isError(f, x.code, true)
	}
	c.nothing("refused workspace changes", from)

	// Characters are code points: an emoji is one.
	okWS(olivia, otters, obj{"kind": "edit_notes", "notes_base": 3, "edits": []any{obj{"pos": 0, "ins": "🙂 é "}}})
	okWS(mason, otters, obj{"kind": "edit_notes", "notes_base": 4, "edits": []any{obj{"pos": 1, "del": 3, "ins": "!"}}})
	// Every accepted change raises rev, even one that changes nothing;
	// due and done, cleared.
	okWS(liam, otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 2, "assignee": 2, "due": 1, "done": 1}, "due": 1795452130000, "done": true})
	okWS(liam, otters, obj{"kind": "edit_task", "task": task, "base": obj{"title": 2, "assignee": 2, "due": 2, "done": 2}, "due": 0, "assignee": ""})
	okWS(c.td, otters, obj{"kind": "set_role", "student": c.id("Mason"), "role": "recorder"})
	okWS(c.td, otters, obj{"kind": "comment", "text": "Lovely notes.\nKeep going."})
	t2 := str(sub(okWS(olivia, otters, obj{"kind": "add_task", "title": "Tidy up", "assignee": c.id("Liam"), "due": 1795452250000}), "op"), "task")
	okWS(olivia, otters, obj{"kind": "remove_task", "task": t2})
	okWS(olivia, otters, obj{"kind": "set_role", "student": c.id("Olivia"), "role": "facilitator"})
	// "A student who left the group can still lose their role."
	c.td.ok("move_student", obj{"student": c.id("Olivia"), "group": herons})
	okWS(c.td, otters, obj{"kind": "set_role", "student": c.id("Olivia"), "role": ""})
	v = s.peek("teacher, workspaces", teacher, c.room.id)
	for _, x := range list(v, "workspaces") {
		w := x.(obj)
		if str(w, "group") != otters {
			continue
		}
		if str(w, "notes") != "🙂!The lamp lights up. It gets warm." || n64(w, "notes_rev") != 5 || n64(w, "rev") != 17 {
			t.Errorf("the Otters' notes after edits by code points: %q, notes_rev %v, rev %v", str(w, "notes"), w["notes_rev"], w["rev"])
		}
		if got := cJSONs(t, list(w, "tasks")); got != fmt.Sprintf(`[{"done":true,"id":%q,"title":"Draw the circuit neatly","vers":{"assignee":3,"done":2,"due":3,"title":2}}]`, task) {
			t.Errorf("the Otters' tasks: %s", got)
		}
	}
	c.check("workspaces")

	// The notes' limit: 20000 characters, in code points.
	rev, size := int64(5), len([]rune("🙂!The lamp lights up. It gets warm."))
	for i := 0; size < 20000; i++ {
		n := min(2000, 20000-size)
		okWS(liam, otters, obj{"kind": "edit_notes", "notes_base": rev, "edits": []any{obj{"pos": 0, "ins": strings.Repeat(string(rune('a'+i)), n)}}})
		rev++
		size += n
	}
	if f := ws(liam, otters, obj{"kind": "edit_notes", "notes_base": rev, "edits": []any{obj{"pos": 0, "ins": "é"}}}); f.code() != "invalid" {
		t.Errorf("notes that would grow over 20000 characters: %s", f)
	}

	// The rules of transforming two changes made on the same text, on the
	// Herons' notes: the teacher's change reaches the server first, then
	// Noah's, made on the same revision.
	olivia = c.dev["Olivia"] // now a Heron
	okWS(noah, herons, obj{"kind": "edit_notes", "notes_base": 0, "edits": []any{obj{"pos": 0, "ins": "abcdef"}}})
	for _, x := range []struct {
		rule           string
		base           int64
		teacher, noah  obj
		applied, notes string
	}{
		{"both insert at one position: the first change's text first", 1,
			obj{"pos": 3, "ins": "X"}, obj{"pos": 3, "ins": "Y"}, `[{"ins":"Y","pos":4}]`, "abcXYdef"},
		{"text both delete is deleted once", 3,
			obj{"pos": 2, "del": 3}, obj{"pos": 3, "del": 3}, `[{"del":1,"pos":2}]`, "abef"},
		{"an insert inside a range the other deletes is kept, at its place", 5,
			obj{"pos": 1, "del": 2}, obj{"pos": 2, "ins": "Z"}, `[{"ins":"Z","pos":1}]`, "aZf"},
	} {
		okWS(c.td, herons, obj{"kind": "edit_notes", "notes_base": x.base, "edits": []any{x.teacher}})
		r := okWS(noah, herons, obj{"kind": "edit_notes", "notes_base": x.base, "edits": []any{x.noah}})
		if got := cJSONs(t, sub(r, "op")["edits"]); got != x.applied || n64(sub(r, "op"), "notes_base") != x.base+1 {
			t.Errorf("%s: Noah's change was applied as %s on %v, want %s on %d", x.rule, got, sub(r, "op")["notes_base"], x.applied, x.base+1)
		}
		if w := sub(s.peek("Noah, "+x.rule, c.st["Noah"].token, ""), "workspace"); str(w, "notes") != x.notes || n64(w, "notes_rev") != x.base+2 {
			t.Errorf("%s: the notes are %q at %v, want %q at %d", x.rule, str(w, "notes"), w["notes_rev"], x.notes, x.base+2)
		}
	}
	// "The server keeps the last 256 changes of the notes to transform
	// over: an edit made on an older revision is refused with stale."
	// Every change below is made on revision 7; the last is 257 behind.
	editors := []*cDev{noah, olivia, c.td}
	for i := range 257 {
		okWS(editors[i%3], herons, obj{"kind": "edit_notes", "notes_base": 7, "edits": []any{obj{"pos": 0, "ins": "x"}}})
	}
	if f := ws(noah, herons, obj{"kind": "edit_notes", "notes_base": 7, "edits": []any{obj{"pos": 0, "ins": "x"}}}); f.code() != "stale" {
		t.Errorf("an edit made 257 changes ago: %s, want stale", f)
	}
	okWS(noah, herons, obj{"kind": "edit_notes", "notes_base": 8, "edits": []any{obj{"pos": 0, "ins": "y"}}})
	c.check("notes transformed")
}

// oCoaches: "Coaches".
func oCoaches(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Coaches", "Olivia", "Mason", "Noah", "Amelia")
	g := c.groups([]string{"Otters", "Olivia", "Mason"}, []string{"Herons", "Noah", "Amelia"})
	otters, herons := g[0], g[1]
	td := c.td
	lab := str(td.ok("put_station", obj{"station": obj{"name": "Lab", "kind": "custom", "capacity": 0}}), "station")
	td.ok("announce", obj{"text": "to the Otters, before a coach", "group": otters})
	td.ok("set_level", obj{"student": c.id("Olivia"), "level": 0.4})
	td.ok("move_student", obj{"student": c.id("Mason"), "station": lab})
	td.ok("move_student", obj{"student": c.id("Noah"), "station": lab})

	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "rook@school.example", "name": "Mr Rook"})
	co := s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a coach's long password"})
	c.coach.token, c.coach.id = str(co, "token"), str(sub(co, "coach"), "id")
	from := c.last()
	td.deny("not_found", "assign_coach", obj{"group": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "coach": c.coach.id, "assigned": true})
	td.deny("invalid", "assign_coach", obj{"group": otters, "coach": "Mr Diaz", "assigned": true})
	c.dev["Olivia"].deny("forbidden", "assign_coach", obj{"group": otters, "coach": c.coach.id, "assigned": true})
	c.nothing("refused assignments", from)
	from = c.last()
	td.ok("assign_coach", obj{"group": otters, "coach": c.coach.id, "assigned": true})
	c.mark("Mr Diaz has the Otters")
	c.sees("the group event giving the Otters a coach", from, evIs("group"), "teacher", "Olivia", "Mason")
	for _, f := range filter(td.after(from), "group") {
		if cs := ids(list(sub(f.data(), "group"), "coaches")); !slices.Equal(cs, []string{c.coach.id}) {
			t.Errorf("the Otters' group event lists the coaches %v", cs)
		}
	}
	if rs := list(s.ok(200, "GET", "/api/v1/coach/rooms", c.coach.token, nil), "rooms"); len(rs) != 1 || str(rs[0].(obj), "id") != c.room.id {
		t.Errorf("the coach's classes: %v", rs)
	}
	var w obj
	c.cd, w = s.enter("Mr Rook", c.coach.token, c.room.id, nil)
	c.first[c.cd] = w
	v := sub(w, "snapshot")
	if got := ids(list(v, "students")); len(got) != 2 || !slices.Contains(got, c.id("Olivia")) || !slices.Contains(got, c.id("Mason")) {
		t.Errorf("the coach's students: %v, want the Otters only", got)
	}
	if got := ids(list(v, "groups")); !slices.Equal(got, []string{otters}) {
		t.Errorf("the coach's groups: %v", got)
	}
	var wsg []string
	for _, x := range list(v, "workspaces") {
		wsg = append(wsg, str(x.(obj), "group"))
	}
	if !slices.Equal(wsg, []string{otters}) {
		t.Errorf("the coach's workspaces: %v", wsg)
	}
	// A placement is for the student and the teachers, as its event is.
	if cJSONs(t, v["placements"]) != `[]` {
		t.Errorf("the coach's placements: %v, want none", v["placements"])
	}
	snap := cJSONs(t, v)
	for _, never := range []string{"0.4", `"level"`, `"proposal"`, "Noah", "Amelia", c.id("Noah")} {
		if strings.Contains(snap, never) {
			t.Errorf("the coach's view shows %q: %s", never, snap)
		}
	}
	// "Announcements and activities are those for everyone and those
	// sent to a group while they coached it."
	if strings.Contains(snap, "to the Otters, before a coach") {
		t.Errorf("the coach's view shows an announcement to the Otters from before he coached them: %s", snap)
	}

	// Live: for everyone, and for their group; nothing for the teachers
	// only, for one student or for the students at a station.
	from = c.last()
	td.ok("propose_groups", obj{"method": "random", "count": 2})
	td.ok("set_level", obj{"student": c.id("Mason"), "level": 0.7})
	td.ok("set_late_rule", obj{"rule": "none"})
	td.ok("announce", obj{"text": "to Olivia", "to": c.id("Olivia")})
	td.ok("announce", obj{"text": "to the Lab", "station": lab})
	td.ok("announce", obj{"text": "to the Otters", "group": otters})
	td.ok("announce", obj{"text": "to the Herons", "group": herons})
	td.ok("push_activity", obj{"activity": obj{"title": "for the Otters"}, "to": obj{"group": otters}})
	td.ok("move_student", obj{"student": c.id("Olivia"), "station": lab})
	c.dev["Olivia"].ok("raise_hand", obj{"note": "a hand"})
	c.dev["Olivia"].ok("set_interest", obj{"interest": "rocks"})
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "Otters' task"}})
	c.dev["Noah"].ok("edit_workspace", obj{"group": herons, "op": obj{"kind": "add_task", "title": "Herons' task"}})
	c.cd.ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "comment", "text": "Nice."}})
	c.cd.deny("forbidden", "edit_workspace", obj{"group": herons, "op": obj{"kind": "comment", "text": "not mine"}})
	for _, typ := range []string{"announce", "pause_class", "move_student", "set_level", "rotate", "push_activity", "raise_hand", "choose"} {
		data, ok := map[string]obj{
			"announce": {"text": "hi"}, "pause_class": {}, "move_student": {"student": c.id("Olivia"), "clear": true},
			"set_level": {"student": c.id("Olivia"), "level": 0.1}, "rotate": {"action": "end"},
			"push_activity": {"activity": obj{"title": "T"}}, "raise_hand": {}, "choose": {"option": "A"},
		}[typ]
		if !ok {
			t.Fatal(typ)
		}
		c.cd.deny("forbidden", typ, data)
	}
	c.cd.ok("ping", obj{})
	c.mark("the coach's events")
	var got []string
	for _, f := range c.cd.after(from) {
		k := f.event()
		switch k {
		case "flag":
			continue // the help flag of Olivia's hand: see Learning
		case "announcement":
			k += " " + str(f.data(), "text")
		case "activity":
			k += " " + str(sub(f.data(), "activity"), "title")
		case "workspace":
			k += " " + str(sub(f.data(), "op"), "kind")
		}
		got = append(got, k)
	}
	if want := []string{"announcement to the Otters", "activity for the Otters", "workspace add_task", "workspace comment", "announcement the coach's events"}; !slices.Equal(got, want) {
		t.Errorf("the coach received\n  %q\nwant\n  %q", got, want)
	}

	// A second group: its group event is the first of it he receives;
	// taking the first away is the last of that one.
	from = c.last()
	td.ok("assign_coach", obj{"group": herons, "coach": c.coach.id, "assigned": true})
	td.ok("announce", obj{"text": "Herons, coached", "group": herons})
	td.ok("assign_coach", obj{"group": otters, "coach": c.coach.id, "assigned": false})
	td.ok("announce", obj{"text": "Otters, uncoached", "group": otters})
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "unseen"}})
	c.mark("moved")
	got = nil
	for _, f := range c.cd.after(from) {
		k := f.event()
		if k == "group" {
			gr := sub(f.data(), "group")
			k = fmt.Sprintf("group %v %v", str(gr, "id") == otters, slices.Contains(ids(list(gr, "coaches")), c.coach.id))
		} else if k == "announcement" {
			k = str(f.data(), "text")
		}
		got = append(got, k)
	}
	if want := []string{"group false true", "Herons, coached", "group true false", "moved"}; !slices.Equal(got, want) {
		t.Errorf("the coach, given the Herons and then without the Otters, received %q, want %q", got, want)
	}
	c.check("coaches")

	// Regrouping ends every assignment: the groups event says so, and
	// the coach's hello is refused.
	from = c.last()
	p := td.ok("propose_groups", obj{"method": "random", "count": 2})
	td.ok("apply_groups", obj{"proposal": str(p, "id")})
	c.mark("regrouped")
	if gs := filter(c.cd.after(from), "groups"); len(gs) != 1 || strings.Contains(cJSONs(t, gs[0].data()), herons) {
		t.Errorf("the coach's groups event after a regrouping: %v", gs)
	}
	if n := len(filter(c.cd.after(from), "group")); n != 0 {
		t.Errorf("the coach received %d group events of the new groups", n)
	}
	late := s.dial("Mr Rook, no group")
	late.isError(late.hello(c.coach.token, c.room.id, nil), "unauthorized", true)
	if code := late.closed(); code != 4002 {
		t.Errorf("a coach whose groups ended: closed with %d, want 4002", code)
	}
	c.cd = nil
	c.check("coaches after a regrouping")
}

// oCoTeachers: "Co-teachers": every teacher's console gets the same
// events, their views differ only in you, and what each role may do it
// does.
func oCoTeachers(s *cServer, teacher string) {
	t := s.t
	c := oNew(s, teacher, "Co-teaching", "Olivia", "Mason", "Noah")
	tok := map[string]string{}
	for role, who := range map[string][2]string{"co_teacher": {"grey@school.example", "Ms Grey"}, "assistant": {"plum@school.example", "Mr Plum"}} {
		addTeacher(t, s.data, who[0], who[1])
		tok[role] = str(s.ok(200, "POST", "/api/v1/login", "", obj{"email": who[0], "password": cPassword}), "token")
		s.ok(200, "POST", "/api/v1/rooms/"+c.room.id+"/teachers", teacher, obj{"email": who[0], "role": role})
	}
	co, _ := s.enter("co-teacher", tok["co_teacher"], c.room.id, nil)
	as, _ := s.enter("assistant", tok["assistant"], c.room.id, nil)
	from := c.last()
	// The co-teacher sets the class up.
	table := str(co.ok("put_station", obj{"station": obj{"name": "Table", "kind": "teacher_led", "capacity": 0}}), "station")
	lab := str(co.ok("put_station", obj{"station": obj{"name": "Lab", "kind": "custom", "capacity": 0}}), "station")
	p := co.ok("propose_groups", obj{"method": "random", "count": 2})
	g := ids(list(co.ok("apply_groups", obj{"proposal": str(p, "id"), "groups": []any{
		obj{"name": "Otters", "members": []any{c.id("Olivia"), c.id("Mason")}},
		obj{"name": "Herons", "members": []any{c.id("Noah")}},
	}}), "groups"))
	co.ok("set_late_rule", obj{"rule": "none"})
	co.ok("start_rotation", obj{"plan": obj{"stations": []any{table, lab}, "legs": []any{600000, 600000}, "warn_ms": -1, "auto": false}})
	// The assistant steers it.
	as.ok("announce", obj{"text": "from the assistant"})
	as.ok("pause_class", obj{})
	as.ok("resume_class", obj{})
	as.ok("rotate", obj{"action": "extend", "ms": 60000})
	as.ok("rotate", obj{"action": "advance"})
	as.ok("move_student", obj{"student": c.id("Olivia"), "station": table})
	as.ok("push_activity", obj{"activity": obj{"title": "from the assistant"}, "to": obj{"group": g[0]}})
	as.ok("set_level", obj{"student": c.id("Noah"), "level": 0.5})
	as.ok("offer_choices", obj{"prompt": "Which?", "options": []any{"A", "B"}})
	as.ok("edit_workspace", obj{"group": g[1], "op": obj{"kind": "comment", "text": "from the assistant"}})
	as.deny("forbidden", "start_rotation", obj{"plan": obj{"stations": []any{table}, "legs": []any{600000}, "warn_ms": -1, "auto": false}})
	// "Sharing again with another role changes the role at once: the room
	// checks every command against the role the sender has when it
	// arrives."
	s.ok(200, "POST", "/api/v1/rooms/"+c.room.id+"/teachers", teacher, obj{"email": "plum@school.example", "role": "co_teacher"})
	as.ok("put_station", obj{"station": obj{"name": "Corner", "kind": "independent", "capacity": 0}})
	s.ok(200, "POST", "/api/v1/rooms/"+c.room.id+"/teachers", teacher, obj{"email": "plum@school.example", "role": "assistant"})
	as.deny("forbidden", "remove_station", obj{"station": lab})
	end := c.mark("co-taught")
	for _, d := range []*cDev{co, as} {
		d.wait("the mark", func(f frame) bool { return f.seq() == end })
		var mine, owners []frame
		for _, f := range d.after(from) {
			if f.event() != "teacher_presence" {
				mine = append(mine, f)
			}
		}
		for _, f := range c.td.after(from) {
			if f.event() != "teacher_presence" {
				owners = append(owners, f)
			}
		}
		sameEvents(t, d.name+" and the owner", mine, owners)
	}
	views := map[string]obj{}
	for role, token := range map[string]string{"owner": teacher, "co_teacher": tok["co_teacher"], "assistant": tok["assistant"]} {
		v := s.peek(role+", fresh", token, c.room.id)
		if str(v, "you") != role {
			t.Errorf("the %s's view says you are %v", role, v["you"])
		}
		delete(v, "you")
		views[role] = v
	}
	for _, role := range []string{"co_teacher", "assistant"} {
		if a, b := cJSONs(t, views[role]), cJSONs(t, views["owner"]); a != b {
			t.Errorf("the %s's view differs from the owner's in more than you:\n  %s\n  %s", role, a, b)
		}
	}
	c.check("co-taught")
}

// ---- restarts ----

// The real process killed with SIGKILL, and stopped with SIGTERM, in the
// middle of a rotation: every acknowledged command is still in effect,
// the rotation's timing and legs are as they were, a regrouping waiting
// for the next leg still waits, a leg whose time ran out while the
// server was down is recorded at the moment it was due, and every device
// resumes with nothing missing or doubled.
func TestConformanceOrchestrationRestart(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		// Each on its own server, side by side: most of each is the
		// wait for a leg to end while its server is down.
		t.Run(sigName[sig], func(t *testing.T) { t.Parallel(); oRestart(t, sig) })
	}
}

func oRestart(t *testing.T, sig syscall.Signal) {
	s := cStart(t)
	teacher := s.login()
	// A rotation on its own clock: a 10-second leg, which ends while the
	// server is down.
	auto := oNew(s, teacher, "Auto", "Ada", "Ben")
	ag := auto.groups([]string{"Reds", "Ada"}, []string{"Blues", "Ben"})
	a1 := str(auto.td.ok("put_station", obj{"station": obj{"name": "A", "kind": "custom", "capacity": 0}}), "station")
	a2 := str(auto.td.ok("put_station", obj{"station": obj{"name": "B", "kind": "custom", "capacity": 0}}), "station")
	from := auto.last()
	auto.td.ok("start_rotation", obj{"plan": obj{"stations": []any{a1, a2}, "legs": []any{10000, 600000}, "warn_ms": 1000, "auto": true}})
	auto.mark("started")
	autoRot, _ := auto.lastRotation(auto.td, from)
	due := n64(autoRot, "started") + 10000
	autoNames := map[string]string{ag[0]: "Reds", ag[1]: "Blues", a1: "A", a2: "B"}

	// The class: a rotation in its second leg, one group paused, another
	// given more time, a regrouping waiting, a student sent to a station.
	c := oNew(s, teacher, "Restart", "Olivia", "Mason", "Noah", "Amelia", "Judy")
	g := c.groups([]string{"Otters", "Olivia", "Mason"}, []string{"Herons", "Noah", "Amelia"})
	otters, herons := g[0], g[1]
	c.withCoach("diaz@school.example", "Mr Diaz", otters)
	td := c.td
	st := func(name string) string {
		return str(td.ok("put_station", obj{"station": obj{"name": name, "kind": "custom", "capacity": 0}}), "station")
	}
	tt, lp, bd := st("Table"), st("Laptops"), st("Build")
	names := map[string]string{otters: "Otters", herons: "Herons", tt: "T", lp: "L", bd: "B"}
	td.ok("start_rotation", obj{"plan": obj{"stations": []any{tt, lp, bd}, "legs": []any{600000, 600000, 600000}, "warn_ms": 0, "auto": false}})
	td.ok("rotate", obj{"action": "advance"})
	td.ok("rotate", obj{"action": "pause", "group": otters})
	td.ok("rotate", obj{"action": "extend", "group": herons, "ms": 60000})
	p := td.ok("propose_groups", obj{"method": "random", "count": 2})
	td.ok("apply_groups", obj{"proposal": str(p, "id"), "groups": []any{
		obj{"name": "Foxes", "members": []any{c.id("Olivia"), c.id("Noah"), c.id("Judy")}},
		obj{"name": "Owls", "members": []any{c.id("Mason"), c.id("Amelia")}},
	}})
	td.ok("move_student", obj{"student": c.id("Judy"), "station": bd})
	td.ok("announce", obj{"text": "to the laptops", "station": lp})
	td.ok("push_activity", obj{"activity": obj{"title": "for the Otters"}, "to": obj{"group": otters}})
	c.dev["Olivia"].ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "add_task", "title": "acknowledged"}})
	c.cd.ok("edit_workspace", obj{"group": otters, "op": obj{"kind": "comment", "text": "acknowledged"}})
	td.ok("offer_choices", obj{"prompt": "Which?", "options": []any{"A", "B"}})
	c.dev["Mason"].ok("choose", obj{"option": "b"})
	c.mark("before the " + sigName[sig])
	before := s.peek("teacher, before", teacher, c.room.id)
	// In flight at the signal: sent, not waited for.
	type cmd struct {
		d    *cDev
		id   string
		typ  string
		data obj
	}
	flight := []cmd{
		{td, td.nextID(), "move_student", obj{"student": c.id("Judy"), "clear": true}},
		{td, td.nextID(), "set_level", obj{"student": c.id("Noah"), "level": 0.5}},
		{td, td.nextID(), "announce", obj{"text": "in flight"}},
		{c.dev["Noah"], c.dev["Noah"].nextID(), "edit_workspace", obj{"group": herons, "op": obj{"kind": "add_task", "title": "in flight"}}},
	}
	for _, f := range flight {
		f.d.send(f.id, f.typ, f.data)
	}
	killed := time.Now().UnixMilli()
	if err := s.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(c.devices(), auto.devices()...) {
		if code := d.closed(); sig == syscall.SIGTERM && code != 1012 {
			t.Errorf("%s: on SIGTERM closed with %d, want 1012", d.name, code)
		}
	}
	select {
	case <-s.p.exited:
	case <-time.After(cWait):
		t.Fatalf("the server did not exit within %v of %s", cWait, sigName[sig])
	}
	// The auto leg ends while the server is down.
	if wait := time.Until(time.UnixMilli(due + 50)); wait > 0 {
		c.td.pause(wait)
	}
	s.p = startServer(t, s.data)

	// Every device resumes from what it kept.
	resume := func(k *oClass) {
		swap := func(d *cDev, token, room string) *cDev {
			nd, w := s.enter(d.name, token, room, d.resumeOf())
			if w["resumed"] != true {
				t.Fatalf("%s did not resume after the %s: %v", d.name, sigName[sig], w)
			}
			nd.pfx, nd.n = d.pfx, d.n+1000 // the same person
			k.first[nd] = k.first[d]
			k.prior[nd] = append(k.prior[d], d.events()...)
			return nd
		}
		k.td = swap(k.td, teacher, k.room.id)
		k.pd = swap(k.pd, k.proj, "")
		for n, d := range k.dev {
			k.dev[n] = swap(d, k.st[n].token, "")
		}
		if k.cd != nil {
			k.cd = swap(k.cd, k.coach.token, k.room.id)
		}
	}
	resume(c)
	resume(auto)

	// The commands in flight, retried with their ids: each carried out
	// once, with the answer it had if it had one.
	for _, f := range flight {
		d := c.td
		if f.d != td {
			d = c.dev["Noah"]
		}
		var had frame
		for _, x := range f.d.all() {
			if x.id() == f.id {
				had = x
			}
		}
		got := d.patiently(f.id, f.typ, f.data)
		if had.m != nil && cJSONs(t, had.data()) != cJSONs(t, got.data()) {
			t.Errorf("%s answered %s before the %s and %s after", f.typ, had, sigName[sig], got)
		}
	}
	c.mark("after the " + sigName[sig])
	after := s.peek("teacher, after", teacher, c.room.id)
	for _, k := range []string{"rotation", "regroup", "stations", "groups", "workspaces", "activities", "choices"} {
		b, a := cJSONs(t, before[k]), cJSONs(t, after[k])
		if k == "workspaces" {
			// Noah's task, in flight, is the one change.
			a = strings.Replace(a, `"in flight"`, ``, 1)
		}
		if k != "workspaces" && b != a {
			t.Errorf("after the %s the teacher's %s is\n  %s\nbefore it\n  %s", sigName[sig], k, a, b)
		}
	}
	if got := tracks(sub(after, "rotation"), names); !slices.Equal(got, []string{"Otters:0:1:L left paused", "Herons:1:1:B deadline"}) {
		t.Errorf("after the %s the tracks are %v", sigName[sig], got)
	}
	if n := strings.Count(cJSONs(t, after["workspaces"]), `"title":"in flight"`); n != 1 {
		t.Errorf("a task added in flight at the %s is there %d times", sigName[sig], n)
	}
	if len(list(after, "placements")) != 0 {
		t.Errorf("Judy's placement, cleared in flight, is %v", after["placements"])
	}
	c.check("after the " + sigName[sig])

	// The regrouping still waits for the next leg, and takes it.
	from = c.last()
	c.td.ok("rotate", obj{"action": "advance"})
	c.mark("the next leg")
	var seen []string
	for _, f := range filter(c.td.after(from), "group", "groups", "rotation") {
		if f.event() == "group" {
			gr := sub(f.data(), "group")
			names[str(gr, "id")] = str(gr, "name")
			seen = append(seen, "group "+str(gr, "name"))
		} else if f.event() == "rotation" {
			seen = append(seen, "rotation "+strings.Join(actions(f, names), " "))
		} else {
			seen = append(seen, "groups")
		}
	}
	if want := []string{"rotation advance:0 advance:Otters:2:B advance:Herons:2:T", "group Foxes", "group Owls", "groups", "rotation regroup:0"}; !slices.Equal(seen, want) {
		t.Errorf("the next leg after the %s: %q, want %q", sigName[sig], seen, want)
	}
	// The regrouping ended the coach's assignment.
	c.cd = nil
	c.check("regrouped after the " + sigName[sig])

	// The auto leg that ended while the server was down: one advance,
	// at the moment it was due, and the next deadline from it.
	end := auto.mark("the auto class after the " + sigName[sig])
	var advances []frame
	for _, f := range rotationEvents(auto.td, 0) {
		if f.seq() <= end && slices.Contains(actions(f, autoNames), "advance:Reds:1:B") {
			advances = append(advances, f)
		}
	}
	for _, f := range auto.prior[auto.td] {
		if f.event() == "rotation" && slices.Contains(actions(f, autoNames), "advance:Reds:1:B") {
			advances = append(advances, f)
		}
	}
	if len(advances) != 1 {
		t.Fatalf("the leg that ended while the server was down was advanced %d times", len(advances))
	}
	f := advances[0]
	if got := actions(f, autoNames); !slices.Equal(got, []string{"advance:Reds:1:B", "advance:Blues:1:A"}) {
		t.Errorf("the advance on time: %v", got)
	}
	for _, x := range list(f.data(), "actions") {
		if at := n64(x.(obj), "at"); at != due {
			t.Errorf("an advance recorded after the %s at %d, want the moment it was due, %d", sigName[sig], at, due)
		}
	}
	if tm, _ := num(f.m, "time"); int64(tm) <= due {
		t.Errorf("the advance's event time %d is not after the moment it was due %d, though the server was down then", tm, due)
	}
	for _, x := range list(sub(f.data(), "rotation"), "tracks") {
		if dl := n64(x.(obj), "deadline"); dl != due+600000 {
			t.Errorf("after the %s the next deadline is %d, want %d: the schedule holds", sigName[sig], dl, due+600000)
		}
	}
	// "A warning whose leg has already ended is not given": the first
	// leg's warning fell due while the server was down, unless the setup
	// was slow enough for it to come before.
	var warns []frame
	for _, f := range append(slices.Clone(auto.prior[auto.td]), auto.td.events()...) {
		if f.event() == "rotation" && slices.Contains(actions(f, autoNames), "warn:Reds:0:A") {
			warns = append(warns, f)
		}
	}
	if len(warns) > 1 {
		t.Errorf("the first leg's warning was given %d times", len(warns))
	}
	for _, f := range warns {
		if tm, _ := num(f.m, "time"); int64(tm) >= killed {
			t.Errorf("after the %s, a warning was given for a leg that had ended: %s", sigName[sig], f)
		}
	}
	auto.check("the auto class after the " + sigName[sig])
}
