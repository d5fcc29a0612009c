package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// Who may see an event is decided as of the moment it happened. A device
// that was away while its coach or student was moved between groups and
// stations resumes, from its offset or from 0, from the node's ring or
// from the log, with exactly the event frames a device of the same person
// connected throughout received: the same seqs, the same bytes.
func TestResumeByTheAudienceOfTheTime(t *testing.T) {
	for _, c := range []struct {
		name string
		ring int
	}{
		{"from the ring", 0}, // the default ring holds the whole class
		{"from the log", 4},  // a ring this small never holds a missed stretch
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.ring > 0 {
				testResumeByTheAudienceOfTheTime(t, func(hc *Config, _ *rooms.Config) { hc.RingSize = c.ring })
			} else {
				testResumeByTheAudienceOfTheTime(t)
			}
		})
	}
}

// evFrame is one event frame as a device received it.
type evFrame struct {
	seq  uint64
	typ  protocol.EventType
	data json.RawMessage
	raw  []byte
}

// eventFrames returns the event frames received so far, with their bytes.
func (c *client) eventFrames() []evFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []evFrame
	for i, f := range c.frames {
		if f.Type == protocol.FrameEvent {
			out = append(out, evFrame{seq: f.Seq, typ: f.Event, data: f.Data, raw: c.raw[i]})
		}
	}
	return out
}

// between keeps the frames with seq in (from, to].
func between(fs []evFrame, from, to uint64) []evFrame {
	var out []evFrame
	for _, f := range fs {
		if f.seq > from && f.seq <= to {
			out = append(out, f)
		}
	}
	return out
}

func seqs(fs []evFrame) []uint64 {
	out := make([]uint64, len(fs))
	for i, f := range fs {
		out[i] = f.seq
	}
	return out
}

// describe shows frames for a failure message: seq, type and the start of
// the data.
func describe(fs []evFrame) string {
	var sb strings.Builder
	for _, f := range fs {
		d := string(f.data)
		if len(d) > 120 {
			d = d[:120] + "…"
		}
		fmt.Fprintf(&sb, "  %d %s %s\n", f.seq, f.typ, d)
	}
	return sb.String()
}

// sameFrames fails unless got and want are the same frames: the same
// seqs in the same order, each with the same bytes.
func sameFrames(t *testing.T, what string, want, got []evFrame) {
	t.Helper()
	if !slices.Equal(seqs(got), seqs(want)) {
		in := func(fs []evFrame, seq uint64) bool {
			return slices.ContainsFunc(fs, func(f evFrame) bool { return f.seq == seq })
		}
		var extra, missing []evFrame
		for _, f := range got {
			if !in(want, f.seq) {
				extra = append(extra, f)
			}
		}
		for _, f := range want {
			if !in(got, f.seq) {
				missing = append(missing, f)
			}
		}
		t.Errorf("%s: %d events, want %d (as a device connected throughout received)\nleaked %d:\n%smissed %d:\n%s",
			what, len(got), len(want), len(extra), describe(extra), len(missing), describe(missing))
		return
	}
	for i := range want {
		if !bytes.Equal(got[i].raw, want[i].raw) {
			t.Errorf("%s: seq %d differs:\n got %s\nwant %s", what, want[i].seq, got[i].raw, want[i].raw)
		}
	}
}

// upTo waits until the client has the announcement text and returns its seq.
func upTo(c *client, text string) uint64 {
	c.t.Helper()
	return c.waitEvent(protocol.EvAnnouncement, hasText(text)).Seq
}

// coach invites a coach, who accepts and is signed in.
func (e *env) coach(teacherToken, email, name string) LoginResponse {
	e.t.Helper()
	var ir InviteResponse
	if st, perr := e.call("POST", "/api/v1/coaches", teacherToken, map[string]string{"email": email, "name": name}, &ir); perr != nil || st != http.StatusCreated {
		e.t.Fatalf("invite %s: %d %v", email, st, perr)
	}
	var acc LoginResponse
	if _, perr := e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "a long coach password"}, &acc); perr != nil {
		e.t.Fatalf("accept %s: %v", email, perr)
	}
	return acc
}

const oneSumBank = `bank: sums
title: Sums
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
    explanation: Start at 2 and count on 3 more.
sets:
  - id: adding
    title: Adding
    kind: practice
    items: [add.1]
`

func testResumeByTheAudienceOfTheTime(t *testing.T, opts ...envOption) {
	e := newEnv(t, opts...)
	tl := e.teacher()
	info := e.room(tl.Token, "Projects")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	var table, laptops protocol.StationID
	for _, s := range []struct {
		id   *protocol.StationID
		name string
		kind protocol.StationKind
	}{{&table, "Teacher table", protocol.StationTeacherLed}, {&laptops, "Laptops", protocol.StationOnline}} {
		var r struct{ Station protocol.StationID }
		if err := json.Unmarshal(tc.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: s.name, Kind: s.kind}}), &r); err != nil {
			t.Fatal(err)
		}
		*s.id = r.Station
	}

	// Ana has two devices: one stays connected, the other goes away and
	// resumes. They joined before anyone else, so that the one connected
	// throughout saw everything of hers from the start.
	ana := e.join(info.Code, "Ana")
	anaLive, anaLiveW := e.mustConnect("ana (connected throughout)", protocol.Hello{Token: ana.Token})
	anaAway, _ := e.mustConnect("ana (goes away)", protocol.Hello{Token: ana.Token})
	students := map[string]JoinResponse{"Ana": ana}
	devices := map[string]*client{}
	for _, n := range []string{"Ben", "Cara", "Dev", "Eve", "Finn"} {
		students[n] = e.join(info.Code, n)
		devices[n], _ = e.mustConnect(n, protocol.Hello{Token: students[n].Token})
	}
	for _, s := range students {
		tc.waitEvent(protocol.EvPresence, about(s.Student))
	}
	id := func(n string) protocol.StudentID { return students[n].Student }

	var p protocol.Proposal
	if err := json.Unmarshal(tc.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{
		Method: protocol.GroupRandom, Count: 3,
	}}), &p); err != nil {
		t.Fatal(err)
	}
	var applied struct{ Groups []protocol.GroupID }
	if err := json.Unmarshal(tc.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID, Groups: []protocol.ProposedGroup{
		{Name: "Otters", Members: []protocol.StudentID{id("Ana"), id("Ben")}},
		{Name: "Herons", Members: []protocol.StudentID{id("Cara"), id("Dev")}},
		{Name: "Foxes", Members: []protocol.StudentID{id("Eve"), id("Finn")}},
	}}), &applied); err != nil {
		t.Fatal(err)
	}
	g1, g2, g3 := applied.Groups[0], applied.Groups[1], applied.Groups[2]
	groups := map[string]protocol.GroupID{"g1": g1, "g2": g2, "g3": g3}

	// Kim coaches g1, Lee g2. Each has a device connected throughout; one
	// of Kim's devices goes away and resumes.
	kim := e.coach(tl.Token, "kim@school.example", "Coach Kim")
	lee := e.coach(tl.Token, "lee@school.example", "Coach Lee")
	assign := func(c LoginResponse, g protocol.GroupID, on bool) {
		tc.must(protocol.MsgAssignCoach, protocol.AssignCoach{Group: g, Coach: c.Coach.ID, Assigned: on})
	}
	assign(kim, g1, true)
	assign(lee, g2, true)
	kimLive, kimLiveW := e.mustConnect("kim (connected throughout)", protocol.Hello{Token: kim.Token, Room: info.ID})
	kimAway, _ := e.mustConnect("kim (goes away)", protocol.Hello{Token: kim.Token, Room: info.ID})
	leeLive, leeLiveW := e.mustConnect("lee (connected throughout)", protocol.Hello{Token: lee.Token, Room: info.ID})

	// Flags for Ana and Cara: one right answer is "doing well" here. The
	// teacher's acks on them are events for the staff of their group as
	// it is at each ack.
	if st, perr := e.call("POST", "/api/v1/banks?name=sums.yaml", tl.Token, oneSumBank, nil); perr != nil {
		t.Fatalf("upload bank: %d %v", st, perr)
	}
	tc.must(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"well_window":1,"well_min_correct":1,"well_clear":1}`)})
	flags := map[string]protocol.FlagID{}
	for _, n := range []string{"Ana", "Cara"} {
		dev := devices[n]
		if n == "Ana" {
			dev = anaLive
		}
		tc.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "sums", Set: "adding"}, To: protocol.Target{Student: id(n)}})
		dev.must(protocol.MsgNextItem, struct{}{})
		dev.must(protocol.MsgAnswer, protocol.Answer{Item: "add.1", Response: "5"})
		f := tc.waitEvent(protocol.EvFlag, flagOf(id(n)))
		var fc protocol.FlagChanged
		_ = json.Unmarshal(f.Data, &fc)
		flags[n] = fc.Flag.ID
	}

	// activity makes an event of every audience a group, a station or a
	// student's staff can have, each marked with label.
	activity := func(label string) {
		t.Helper()
		for _, gn := range []string{"g1", "g2", "g3"} {
			g := groups[gn]
			tc.must(protocol.MsgAnnounce, protocol.Announce{Text: label + " " + gn, Group: g})
			tc.must(protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: g, Op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptrTo(label + " " + gn)}})
			tc.must(protocol.MsgPushActivity, protocol.PushActivity{Activity: protocol.Activity{Title: label + " " + gn}, To: protocol.Target{Group: g}})
		}
		tc.must(protocol.MsgAnnounce, protocol.Announce{Text: label + " table", Station: table})
		tc.must(protocol.MsgAnnounce, protocol.Announce{Text: label + " laptops", Station: laptops})
		tc.must(protocol.MsgAnnounce, protocol.Announce{Text: label + " for Ana", To: id("Ana")})
		tc.must(protocol.MsgAnnounce, protocol.Announce{Text: label + " for all"})
		for _, n := range []string{"Ana", "Cara"} {
			tc.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: flags[n], Action: protocol.FlagAck})
		}
		// Ben's and Dev's presence: events for their groups' staff.
		mark := tc.resumeFrom().Offset
		for _, n := range []string{"Ben", "Dev"} {
			_ = devices[n].ws.CloseNow()
		}
		for _, n := range []string{"Ben", "Dev"} {
			tc.waitEventAfter(mark, protocol.EvPresence, presenceOf(id(n), false))
		}
		for _, n := range []string{"Ben", "Dev"} {
			devices[n], _ = e.mustConnect(n, protocol.Hello{Token: students[n].Token})
		}
		for _, n := range []string{"Ben", "Dev"} {
			tc.waitEventAfter(mark, protocol.EvPresence, presenceOf(id(n), true))
		}
	}
	move := func(n string, m protocol.MoveStudent) {
		m.Student = id(n)
		tc.must(protocol.MsgMoveStudent, m)
	}
	leave := func(c *client) *protocol.Resume {
		_ = c.ws.CloseNow()
		return c.resumeFrom()
	}

	activity("A")
	anaFrom, kimFrom := leave(anaAway), leave(kimAway)

	// Away: Kim is moved from g1 to g2; Ana from g1 to g2, then to the
	// teacher's table, then back with her group.
	activity("B1")
	assign(kim, g2, true)
	activity("B2")
	assign(kim, g1, false)
	activity("B3")
	move("Ana", protocol.MoveStudent{Group: g2})
	activity("B4")
	move("Ana", protocol.MoveStudent{Station: table})
	activity("B5")
	move("Ana", protocol.MoveStudent{Clear: true})
	activity("B6")
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "end of B"})

	anaBack, w := e.mustConnect("ana (back)", protocol.Hello{Token: ana.Token, Resume: anaFrom})
	if !w.Resumed {
		t.Fatalf("ana not resumed from %+v: %v", anaFrom, w.Reason)
	}
	kimBack, w := e.mustConnect("kim (back)", protocol.Hello{Token: kim.Token, Room: info.ID, Resume: kimFrom})
	if !w.Resumed {
		t.Fatalf("kim not resumed from %+v: %v", kimFrom, w.Reason)
	}
	endB := upTo(anaLive, "end of B")
	for _, c := range []*client{anaBack, kimBack, kimLive, leeLive} {
		upTo(c, "end of B")
	}
	sameFrames(t, "Ana, resumed after B", between(anaLive.eventFrames(), anaFrom.Offset, endB), between(anaBack.eventFrames(), 0, endB))
	sameFrames(t, "Kim, resumed after B", between(kimLive.eventFrames(), kimFrom.Offset, endB), between(kimBack.eventFrames(), 0, endB))

	// Away again: Kim loses his last group, things happen, then he is given
	// g3; Ana goes to g3, and to the laptops.
	anaFrom, kimFrom = leave(anaBack), leave(kimBack)
	activity("C1")
	assign(kim, g2, false)
	activity("C2")
	move("Ana", protocol.MoveStudent{Group: g3})
	activity("C3")
	assign(kim, g3, true)
	activity("C4")
	move("Ana", protocol.MoveStudent{Station: laptops})
	activity("C5")
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "end of C"})

	anaBack, w = e.mustConnect("ana (back again)", protocol.Hello{Token: ana.Token, Resume: anaFrom})
	if !w.Resumed {
		t.Fatalf("ana not resumed from %+v: %v", anaFrom, w.Reason)
	}
	kimBack, w = e.mustConnect("kim (back again)", protocol.Hello{Token: kim.Token, Room: info.ID, Resume: kimFrom})
	if !w.Resumed {
		t.Fatalf("kim not resumed from %+v: %v", kimFrom, w.Reason)
	}
	endC := upTo(anaLive, "end of C")
	for _, c := range []*client{anaBack, kimBack, kimLive, leeLive} {
		upTo(c, "end of C")
	}
	sameFrames(t, "Ana, resumed after C", between(anaLive.eventFrames(), anaFrom.Offset, endC), between(anaBack.eventFrames(), 0, endC))
	sameFrames(t, "Kim, resumed after C", between(kimLive.eventFrames(), kimFrom.Offset, endC), between(kimBack.eventFrames(), 0, endC))

	// From offset 0: the whole class, from the log.
	epoch := anaFrom.Epoch
	all, w := e.mustConnect("teacher (from 0)", protocol.Hello{Token: tl.Token, Room: info.ID, Resume: &protocol.Resume{Epoch: epoch}})
	if !w.Resumed {
		t.Fatalf("teacher not resumed from 0: %v", w.Reason)
	}
	upTo(all, "end of C")
	log := between(all.eventFrames(), 0, endC)
	for _, c := range []struct {
		name  string
		hello protocol.Hello
		live  *client
		from  uint64 // the live device's welcome offset
		// before is what the live device would have received before its
		// welcome, had it been connected: told from the teacher's frames.
		before func(evFrame) bool
	}{
		{"Ana", protocol.Hello{Token: ana.Token}, anaLive, anaLiveW.Offset, func(f evFrame) bool {
			return forEveryone(f) || (f.typ == protocol.EvStudentJoined && about(id("Ana"))(f.data))
		}},
		{"Kim", protocol.Hello{Token: kim.Token, Room: info.ID}, kimLive, kimLiveW.Offset, func(f evFrame) bool {
			return forEveryone(f) || (f.typ == protocol.EvGroup && coachedBy(f, kim.Coach.ID))
		}},
		{"Lee", protocol.Hello{Token: lee.Token, Room: info.ID}, leeLive, leeLiveW.Offset, func(f evFrame) bool {
			return forEveryone(f) || (f.typ == protocol.EvGroup && coachedBy(f, lee.Coach.ID))
		}},
	} {
		c.hello.Resume = &protocol.Resume{Epoch: epoch}
		zero, w := e.mustConnect(c.name+" (from 0)", c.hello)
		if !w.Resumed {
			t.Fatalf("%s not resumed from 0: %v", c.name, w.Reason)
		}
		upTo(zero, "end of C")
		got := zero.eventFrames()
		sameFrames(t, c.name+", resumed from 0, after the live device's welcome", between(c.live.eventFrames(), c.from, endC), between(got, c.from, endC))
		var want []evFrame
		for _, f := range between(log, 0, c.from) {
			if c.before(f) {
				want = append(want, f)
			}
		}
		sameFrames(t, c.name+", resumed from 0, before the live device's welcome", want, between(got, 0, c.from))
	}

	// The live devices got what their people may see, so that the
	// comparisons above compare something: Kim saw g1's events while he
	// coached it and not after, g2's only from his assignment to it, and
	// the events that gave and took each group; a student's help flags
	// never reached a student.
	texts := func(c *client) []string {
		var out []string
		for _, f := range c.eventFrames() {
			var a protocol.Announcement
			if f.typ == protocol.EvAnnouncement && json.Unmarshal(f.data, &a) == nil {
				out = append(out, a.Text)
			}
		}
		return out
	}
	for _, c := range []struct {
		who  *client
		text string
		want bool
	}{
		{kimLive, "A g1", true}, {kimLive, "A g2", false},
		{kimLive, "B1 g1", true}, {kimLive, "B1 g2", false},
		{kimLive, "B2 g1", true}, {kimLive, "B2 g2", true},
		{kimLive, "B3 g1", false}, {kimLive, "B3 g2", true},
		{kimLive, "C2 g2", false}, {kimLive, "C3 g3", false}, {kimLive, "C4 g3", true},
		{kimLive, "B5 table", false}, {kimLive, "A for Ana", false},
		{leeLive, "B3 g2", true}, {leeLive, "B3 g1", false},
		{anaLive, "B3 g1", true}, {anaLive, "B4 g1", false}, {anaLive, "B4 g2", true},
		{anaLive, "B5 table", true}, {anaLive, "B6 table", false}, {anaLive, "B6 g2", true},
		{anaLive, "C3 g3", true}, {anaLive, "C3 g2", false}, {anaLive, "C5 laptops", true},
		{anaLive, "C1 for Ana", true},
	} {
		if got := slices.Contains(texts(c.who), c.text); got != c.want {
			t.Errorf("%s received %q: %v, want %v", c.who.name, c.text, got, c.want)
		}
	}
	staffOf := func(c *client, n string) int {
		k := 0
		for _, f := range c.eventFrames() {
			if f.typ == protocol.EvFlag && flagOf(id(n))(f.data) {
				k++
			}
		}
		return k
	}
	if staffOf(anaLive, "Ana")+staffOf(anaLive, "Cara") != 0 {
		t.Error("a student's device received flags")
	}
	if staffOf(kimLive, "Cara") == 0 || staffOf(kimLive, "Ana") == 0 {
		t.Errorf("Kim received %d flag events of Ana and %d of Cara, want some of each", staffOf(kimLive, "Ana"), staffOf(kimLive, "Cara"))
	}
	groupEvents := 0
	for _, f := range kimLive.eventFrames() {
		if f.typ == protocol.EvGroup {
			groupEvents++
		}
	}
	if groupEvents < 5 {
		t.Errorf("Kim received %d group events, want the ones that gave and took his groups", groupEvents)
	}
	// Ana learnt she left g1 from g1's own event, the last of it she got.
	var lastOfG1 *protocol.GroupChanged
	for _, f := range anaLive.eventFrames() {
		var g protocol.GroupChanged
		if f.typ == protocol.EvGroup && json.Unmarshal(f.data, &g) == nil && g.Group.ID == g1 {
			lastOfG1 = &g
		}
	}
	if lastOfG1 == nil || slices.ContainsFunc(lastOfG1.Group.Members, func(m protocol.Member) bool { return m.ID == id("Ana") }) {
		t.Errorf("Ana's last event of g1 is %+v, want the one without her", lastOfG1)
	}
}

// waitEventAfter waits for an event above seq after, of type typ, whose
// data satisfies match.
func (c *client) waitEventAfter(after uint64, typ protocol.EventType, match func(json.RawMessage) bool) protocol.ServerFrame {
	c.t.Helper()
	var got protocol.ServerFrame
	c.waitFor(fmt.Sprintf("event %s after %d", typ, after), func(frames []protocol.ServerFrame, _ error) bool {
		for _, f := range frames {
			if f.Type == protocol.FrameEvent && f.Seq > after && f.Event == typ && match(f.Data) {
				got = f
				return true
			}
		}
		return false
	})
	return got
}

func presenceOf(s protocol.StudentID, online bool) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var p protocol.Presence
		return json.Unmarshal(d, &p) == nil && p.Student == s && p.Online == online
	}
}

func flagOf(s protocol.StudentID) func(json.RawMessage) bool {
	return func(d json.RawMessage) bool {
		var fc protocol.FlagChanged
		return json.Unmarshal(d, &fc) == nil && fc.Flag.Student == s
	}
}

func ptrTo[T any](v T) *T { return &v }

// forEveryone reports whether an event is for the whole class, told by its
// type and data alone.
func forEveryone(f evFrame) bool {
	switch f.typ {
	case protocol.EvRoomOpened, protocol.EvStations, protocol.EvGroups, protocol.EvRotation, protocol.EvClassPaused, protocol.EvChoices:
		return true
	case protocol.EvAnnouncement:
		var a protocol.Announcement
		return json.Unmarshal(f.data, &a) == nil && a.To == "" && a.Group == "" && a.Station == ""
	}
	return false
}

func coachedBy(f evFrame, c protocol.CoachID) bool {
	var g protocol.GroupChanged
	return json.Unmarshal(f.data, &g) == nil && slices.Contains(g.Group.Coaches, c)
}
