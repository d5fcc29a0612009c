package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// prereqClass is a class of five practising triangles in the angle bank;
// flag(i) makes student i miss supplementary angles and then the
// triangle sum until the prerequisite gap is flagged.
type prereqClass struct {
	*testClass
	devices []*learnerDevice
}

func newPrereqClass(t *testing.T, m *Manager, clk *fakeClock) *prereqClass {
	t.Helper()
	c := newClass(t, m, "Olivia", "Noah", "Mason", "Amelia", "Judy")
	c.clk = clk
	if _, err := m.PutBank(context.Background(), "olivia.yaml", []byte(fmt.Sprintf(angleBank, angleItems()))); err != nil {
		t.Fatal(err)
	}
	pc := &prereqClass{testClass: c}
	for i := range c.students {
		pc.devices = append(pc.devices, c.deviceOn(i, "olivia-angles"))
	}
	return pc
}

// flag has student i show that supplementary angles slipped, until the
// prerequisite gap is flagged, and returns the flag.
func (c *prereqClass) flag(i int) protocol.Flag {
	c.t.Helper()
	d := c.devices[i]
	c.assignFrom("olivia-angles", "supp-set", protocol.Target{Student: d.id})
	d.item = nil
	for range 3 {
		if d.item == nil {
			d.next()
		}
		d.answer(false)
	}
	c.assignFrom("olivia-angles", "tri-set", protocol.Target{Student: d.id})
	d.item = nil
	for range 6 {
		if d.item == nil {
			if more, _ := d.next(); !more {
				break
			}
		}
		d.answer(false)
		for _, f := range flagsOf(c.view(), d.id) {
			if f.Help != nil && f.Help.Skill == "supp" {
				return f
			}
		}
	}
	c.t.Fatalf("student %d was not flagged on the prerequisite; flags %+v", i, c.view().Flags)
	return protocol.Flag{}
}

func (c *prereqClass) smallGroups() []protocol.SmallGroup { return c.view().SmallGroups }

func memberIDs(ms []protocol.Member) []protocol.StudentID {
	out := make([]protocol.StudentID, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func smallGroupChanges(evs []protocol.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type != protocol.EvSmallGroup {
			continue
		}
		var d protocol.SmallGroupChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			panic(err)
		}
		out = append(out, d.Change)
	}
	return out
}

// Olivia and two others lack the same prerequisite: the help queue
// proposes one small group at the teacher's table with its lesson; the
// teacher accepts it and the group is formed there.
func TestFlagsOnOnePrerequisiteProposeASmallGroup(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newPrereqClass(t, m, clk)

	flags := []protocol.Flag{c.flag(0), c.flag(1)}
	if sg := c.smallGroups(); len(sg) != 0 {
		t.Fatalf("two students flagged: no proposal yet, got %+v", sg)
	}
	flags = append(flags, c.flag(2))
	sg := c.smallGroups()
	if len(sg) != 1 {
		t.Fatalf("three flagged on one prerequisite: want one proposal, got %+v", sg)
	}
	p := sg[0]
	want := c.students[:3]
	if got := memberIDs(p.Students); !slicesEqualSet(got, want) {
		t.Fatalf("proposal names %v, want Olivia, Noah and Mason %v", got, want)
	}
	if p.Skill != "supp" || p.SkillName != "Supplementary angles" || p.Status != protocol.SmallGroupProposed {
		t.Fatalf("proposal %+v", p)
	}
	if p.Lesson == nil || p.Lesson.Title != "Angles on a straight line" || len(p.Lesson.Items) == 0 {
		t.Fatalf("proposal lesson %+v, want the supplemental lesson of supplementary angles", p.Lesson)
	}
	if p.Reason != `3 students lack the prerequisite Supplementary angles. Teach them together at the teacher's table, with the lesson "Angles on a straight line".` {
		t.Fatalf("reason %q", p.Reason)
	}
	for _, f := range flags {
		if !slices.Contains(p.Flags, f.ID) {
			t.Fatalf("proposal flags %v lack %s", p.Flags, f.ID)
		}
	}
	// Only the teachers see it.
	for _, ev := range c.log() {
		if ev.Type == protocol.EvSmallGroup && ev.Audience.Kind != protocol.AudTeachers {
			t.Fatalf("a small_group event for %+v", ev.Audience)
		}
	}

	// Accepted: the three leave their groups for one of their own, at the
	// teacher's table (made, as the class had none), with the lesson.
	var res struct {
		Status protocol.SmallGroupStatus
		Group  protocol.GroupID
	}
	c.must(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: p.ID, Action: protocol.SmallGroupAccept}, &res)
	if res.Status != protocol.SmallGroupFormed || res.Group == "" {
		t.Fatalf("accept answered %+v", res)
	}
	tv := c.view()
	if len(tv.SmallGroups) != 0 {
		t.Fatalf("a formed group is still proposed: %+v", tv.SmallGroups)
	}
	var table *protocol.Station
	for i := range tv.Stations {
		if tv.Stations[i].Kind == protocol.StationTeacherLed {
			table = &tv.Stations[i]
		}
	}
	if table == nil || table.Name != "Teacher's table" {
		t.Fatalf("stations %+v: want the teacher's table", tv.Stations)
	}
	var group *protocol.Group
	for i := range tv.Groups {
		if tv.Groups[i].ID == res.Group {
			group = &tv.Groups[i]
		}
	}
	if group == nil || group.Name != "Small group: Supplementary angles" || !slicesEqualSet(memberIDs(group.Members), want) {
		t.Fatalf("groups %+v: want the small group of the three", tv.Groups)
	}
	at := map[protocol.StudentID]protocol.StationID{}
	for _, pl := range tv.Placements {
		at[pl.Student] = pl.Station
	}
	for _, sid := range want {
		if at[sid] != table.ID {
			t.Fatalf("%s is at %q, want the teacher's table", sid, at[sid])
		}
	}
	for _, f := range flags {
		for _, now := range tv.Flags {
			if now.ID == f.ID && now.Status != protocol.FlagAcked {
				t.Fatalf("flag of %s is %s after the small group formed, want acked", f.Name, now.Status)
			}
		}
	}
	helped := 0
	for _, ev := range c.log() {
		if ev.Type == protocol.EvHelpSent {
			var h protocol.HelpSent
			_ = json.Unmarshal(ev.Data, &h)
			if h.Help.Skill == "supp" && slices.Contains(want, h.Student) && h.Text != "" {
				helped++
			}
		}
	}
	if helped != 3 {
		t.Fatalf("%d of the three were sent the lesson", helped)
	}
	// Olivia's next problem is the lesson's.
	olivia := c.devices[0]
	olivia.item = nil
	olivia.next()
	if olivia.item == nil || olivia.item.Skill != "supp" {
		t.Fatalf("Olivia's next item %+v, want the lesson's practice", olivia.item)
	}
	// More wrong answers from them propose nothing again: they are
	// already with the teacher.
	c.devices[1].item = nil
	c.devices[1].next()
	c.devices[1].answer(false)
	if sg := c.smallGroups(); len(sg) != 0 {
		t.Fatalf("proposed again for students in the small group: %+v", sg)
	}
	if got := smallGroupChanges(c.log()); !slices.Equal(got, []string{"proposed", "accepted"}) {
		t.Fatalf("small_group changes %v", got)
	}
}

func slicesEqualSet(a, b []protocol.StudentID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The teacher edits who joins, dismisses a proposal, or lets it go stale
// as the flags resolve; refused actions change nothing.
func TestSmallGroupEditDismissAndStale(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newPrereqClass(t, m, clk)
	var flags []protocol.Flag
	for i := range 3 {
		flags = append(flags, c.flag(i))
	}
	p := c.smallGroups()[0]

	// Dismissed: gone from the queue, and not proposed again for the same
	// students.
	c.must(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: p.ID, Action: protocol.SmallGroupDismiss}, nil)
	if sg := c.smallGroups(); len(sg) != 0 {
		t.Fatalf("dismissed, still proposed: %+v", sg)
	}
	c.devices[2].answer(false)
	if sg := c.smallGroups(); len(sg) != 0 {
		t.Fatalf("proposed again after the teacher dismissed it: %+v", sg)
	}
	if _, err := c.teach(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: p.ID, Action: protocol.SmallGroupAccept}); codeOf(err) != protocol.CodeWrongState {
		t.Fatalf("accepting a dismissed proposal: %v, want wrong_state", err)
	}
	// A fourth student lacks it too: proposed again, for all four.
	c.flag(3)
	sg := c.smallGroups()
	if len(sg) != 1 || len(sg[0].Students) != 4 || sg[0].ID == p.ID {
		t.Fatalf("after a fourth was flagged: %+v", sg)
	}
	q := sg[0]

	before := c.stateJSON()
	for _, bad := range []protocol.SmallGroupAction{
		{SmallGroup: q.ID, Action: protocol.SmallGroupAccept, Students: []protocol.StudentID{"0b0b0b0b-0000-4000-8000-000000000999"}},
		{SmallGroup: "0b0b0b0b-0000-4000-8000-000000000998", Action: protocol.SmallGroupAccept},
	} {
		if _, err := c.teach(protocol.MsgSmallGroupAction, bad); codeOf(err) != protocol.CodeNotFound {
			t.Fatalf("%+v: %v, want not_found", bad, err)
		}
	}
	if after := c.stateJSON(); after != before {
		t.Fatal("refused small-group actions changed the class")
	}

	// Resolved flags leave fewer than three: the proposal is stale.
	for _, f := range flags[:2] {
		c.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: f.ID, Action: protocol.FlagResolve}, nil)
	}
	if sg := c.smallGroups(); len(sg) != 0 {
		t.Fatalf("two of four resolved: want the proposal stale, got %+v", sg)
	}
	if _, err := c.teach(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: q.ID, Action: protocol.SmallGroupAccept}); codeOf(err) != protocol.CodeStale {
		t.Fatalf("accepting a stale proposal: %v, want stale", err)
	}
	changes := smallGroupChanges(c.log())
	if !slices.Contains(changes, "stale") || !slices.Contains(changes, "dismissed") {
		t.Fatalf("small_group changes %v", changes)
	}

	// Edited: the teacher takes Judy instead of Mason.
	c2 := newPrereqClass(t, m, clk)
	for i := range 3 {
		c2.flag(i)
	}
	r := c2.smallGroups()[0]
	edit := []protocol.StudentID{c2.students[0], c2.students[1], c2.students[4]}
	var res struct{ Group protocol.GroupID }
	c2.must(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: r.ID, Action: protocol.SmallGroupAccept, Students: edit}, &res)
	for _, g := range c2.view().Groups {
		if g.ID == res.Group && !slicesEqualSet(memberIDs(g.Members), edit) {
			t.Fatalf("edited small group has %v, want %v", memberIDs(g.Members), edit)
		}
	}
	// The formed group answers the flags of its students: Mason's, left
	// out, is not among them, and stays as it was.
	var formed protocol.SmallGroupChanged
	for _, ev := range c2.log() {
		if ev.Type == protocol.EvSmallGroup {
			if err := json.Unmarshal(ev.Data, &formed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if formed.Change != "accepted" || len(formed.SmallGroup.Flags) != 2 {
		t.Fatalf("the edited small group as formed: %+v", formed)
	}
	for _, id := range formed.SmallGroup.Flags {
		for _, f := range c2.view().Flags {
			if f.ID == id && !slices.Contains(edit, f.Student) {
				t.Fatalf("the edited small group names the flag of %s, whom the teacher left out: %+v", f.Student, formed.SmallGroup)
			}
		}
	}
}

// While a rotation runs, an accepted small group and an applied
// regrouping wait for the next leg, across a restart, and take effect
// there.
func TestRegroupingDuringARotationWaitsForTheNextLeg(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newPrereqClass(t, m, clk)
	var table struct{ Station protocol.StationID }
	c.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "With me", Kind: protocol.StationTeacherLed}}, &table)
	var online struct{ Station protocol.StationID }
	c.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Practice", Kind: protocol.StationOnline}}, &online)
	var p protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Seed: 3}}, &p)
	c.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID}, nil)
	c.must(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{
		Stations: []protocol.StationID{table.Station, online.Station}, Legs: []int64{3_600_000, 3_600_000}, Auto: true,
	}}, nil)
	oldGroups := c.view().Groups

	for i := range 3 {
		c.flag(i)
	}
	sg := c.smallGroups()
	if len(sg) != 1 {
		t.Fatalf("proposals %+v", sg)
	}
	var res struct{ Status protocol.SmallGroupStatus }
	c.must(protocol.MsgSmallGroupAction, protocol.SmallGroupAction{SmallGroup: sg[0].ID, Action: protocol.SmallGroupAccept}, &res)
	if res.Status != protocol.SmallGroupScheduled {
		t.Fatalf("accepted during a rotation: %s, want scheduled", res.Status)
	}
	// A regrouping of the whole class, applied now, waits too.
	var q protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Seed: 11}}, &q)
	var applied struct{ Scheduled bool }
	c.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: q.ID}, &applied)
	if !applied.Scheduled {
		t.Fatal("apply_groups during a rotation was not scheduled")
	}
	tv := c.view()
	if tv.Regroup == nil || tv.Regroup.ID != q.ID || len(tv.SmallGroups) != 1 || tv.SmallGroups[0].Status != protocol.SmallGroupScheduled {
		t.Fatalf("regroup %+v, small groups %+v", tv.Regroup, tv.SmallGroups)
	}
	if !slices.EqualFunc(tv.Groups, oldGroups, func(a, b protocol.Group) bool { return a.ID == b.ID }) {
		t.Fatalf("groups changed before the leg ended: %+v", tv.Groups)
	}
	// A regrouping that cannot take over the tracks is refused.
	var three protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 3, Seed: 5}}, &three)
	if _, err := c.teach(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: three.ID}); codeOf(err) != protocol.CodeWrongState {
		t.Fatalf("three groups for a rotation of two: %v, want wrong_state", err)
	}

	// The node restarts; the leg ends while it is down.
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	c.m = newManager(t, nc, js, "node-b", clk.use)
	poll(t, "the next leg's regrouping", func() bool {
		tv := c.view()
		return tv.Regroup == nil && len(tv.SmallGroups) == 0
	})
	tv = c.view()
	if len(tv.Groups) != 3 {
		t.Fatalf("groups after the leg: %+v, want the two of the regrouping and the small group", tv.Groups)
	}
	var small *protocol.Group
	var rest []protocol.GroupID
	for i, g := range tv.Groups {
		if slices.ContainsFunc(oldGroups, func(o protocol.Group) bool { return o.ID == g.ID }) {
			t.Fatalf("an old group survived the regrouping: %+v", g)
		}
		if strings.HasPrefix(g.Name, "Small group") {
			small = &tv.Groups[i]
		} else {
			rest = append(rest, g.ID)
		}
	}
	if small == nil || !slicesEqualSet(memberIDs(small.Members), c.students[:3]) {
		t.Fatalf("small group %+v", small)
	}
	var tracks []protocol.GroupID
	for _, tr := range tv.Rotation.Tracks {
		tracks = append(tracks, tr.Group)
	}
	if !slicesEqualSet(toStudents(tracks), toStudents(rest)) || tv.Rotation.Tracks[0].Leg != 1 {
		t.Fatalf("tracks %+v, want the regrouping's groups at leg 2", tv.Rotation.Tracks)
	}
	at := map[protocol.StudentID]protocol.StationID{}
	for _, pl := range tv.Placements {
		at[pl.Student] = pl.Station
	}
	for _, sid := range c.students[:3] {
		if at[sid] != table.Station {
			t.Fatalf("%s at %q after the leg, want the teacher's table", sid, at[sid])
		}
	}
	if acts := rotationActions(c.log()); count(acts, "regroup") != 1 {
		t.Fatalf("rotation actions %+v: want one regroup", acts)
	}
	// Another restart repeats nothing of it.
	regrouping := func() int {
		n := 0
		for _, ev := range c.log() {
			switch ev.Type {
			case protocol.EvGroup, protocol.EvGroups, protocol.EvRotation, protocol.EvSmallGroup, protocol.EvHelpSent, protocol.EvPlacement:
				n++
			}
		}
		return n
	}
	n := regrouping()
	if err := c.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.m = newManager(t, nc, js, "node-a", clk.use)
	if got := regrouping(); got != n {
		t.Fatalf("a restart added %d events of groups, rotation or small groups", got-n)
	}
}

// toStudents lets group IDs be compared as a set with slicesEqualSet.
func toStudents(ids []protocol.GroupID) []protocol.StudentID {
	out := make([]protocol.StudentID, len(ids))
	for i, id := range ids {
		out[i] = protocol.StudentID(id)
	}
	return out
}

// Grouping by level with a skill uses the class's current mastery of it:
// the students fall in bands by their estimates.
func TestGroupingByMasteryOfASkill(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newPrereqClass(t, m, clk)
	// Olivia and Noah miss supplementary angles, Mason and Amelia get
	// them right; Judy has not tried.
	c.assignFrom("olivia-angles", "supp-set", protocol.Target{})
	for i, right := range []bool{false, false, true, true} {
		d := c.devices[i]
		for range 3 {
			if d.item == nil {
				d.next()
			}
			d.answer(right)
		}
	}
	// The teacher's typed levels say the opposite; the skill wins.
	for i, lv := range []float64{0.9, 0.9, 0.1, 0.1} {
		c.must(protocol.MsgSetLevel, protocol.SetLevel{Student: c.students[i], Level: lv}, nil)
	}
	var p protocol.Proposal
	c.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupLevel, Count: 2, Skill: "supp", Seed: 1}}, &p)
	var low, high []protocol.StudentID
	for _, g := range p.Groups {
		if slices.Contains(g.Members, c.students[0]) {
			low = g.Members
		} else {
			high = g.Members
		}
	}
	if !slices.Contains(low, c.students[1]) || !slices.Contains(high, c.students[2]) || !slices.Contains(high, c.students[3]) {
		t.Fatalf("groups by mastery of supp: %+v", p.Groups)
	}
	if len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "current mastery of Supplementary angles") {
		t.Fatalf("notes %q", p.Notes)
	}
	for _, g := range p.Groups {
		if !strings.Contains(g.Reason, "mastery") {
			t.Fatalf("reason %q does not give the band", g.Reason)
		}
		if slices.Contains(g.Members, c.students[4]) && !strings.Contains(g.Reason, "level unknown for Judy") {
			t.Fatalf("Judy, with no estimate, is not named as unknown: %q", g.Reason)
		}
	}
	// The estimates in the bands are the learners'.
	tv := c.view()
	est := map[protocol.StudentID]float64{}
	for _, l := range tv.Learning {
		for _, sm := range l.Mastery {
			if sm.Skill == "supp" {
				est[l.Student] = sm.P
			}
		}
	}
	if !(est[c.students[0]] < 0.5 && est[c.students[2]] > est[c.students[0]]) {
		t.Fatalf("estimates %v", est)
	}
	// A skill goes with level, mixed or jigsaw only.
	if _, err := c.teach(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Skill: "supp"}}); codeOf(err) != protocol.CodeInvalid {
		t.Fatalf("random with a skill: %v, want invalid", err)
	}
}
