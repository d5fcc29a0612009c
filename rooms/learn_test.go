package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/rooms/natstest"
)

// learnerDevice is one student practising, through the room's commands.
type learnerDevice struct {
	t    *testing.T
	clk  *fakeClock
	c    *testClass
	id   protocol.StudentID
	bank *content.Bank
	item *protocol.ItemView
}

func (c *testClass) device(i int) *learnerDevice { return c.deviceOn(i, "fractions-5") }

func (c *testClass) deviceOn(i int, bank protocol.BankID) *learnerDevice {
	b, err := c.m.Bank(context.Background(), bank)
	if err != nil {
		c.t.Fatal(err)
	}
	return &learnerDevice{t: c.t, c: c, id: c.students[i], bank: b, clk: c.clk}
}

func (d *learnerDevice) send(typ protocol.MsgType, data any) (json.RawMessage, error) {
	raw, _ := json.Marshal(data)
	return d.c.m.Do(context.Background(), protocol.Command{Room: d.c.id, Type: typ, Actor: student(d.id), Data: raw})
}

type answerResult struct {
	Correct     bool
	P           float64
	Explanation string
	Next        *protocol.ItemView
	MovedOn     bool `json:"moved_on"`
	Offer       *protocol.Offer
}

// next asks for the next item; it returns false at the end of the set.
func (d *learnerDevice) next() (bool, json.RawMessage) {
	d.t.Helper()
	raw, err := d.send(protocol.MsgNextItem, struct{}{})
	if err != nil {
		d.t.Fatalf("next_item: %v", err)
	}
	var res struct{ Item *protocol.ItemView }
	_ = json.Unmarshal(raw, &res)
	d.item = res.Item
	return d.item != nil, raw
}

// answer answers the current item, right or wrong.
func (d *learnerDevice) answer(right bool) answerResult {
	d.t.Helper()
	if d.clk != nil {
		d.clk.Advance(40 * time.Second) // a deliberate read and some working out
	}
	resp := "no idea"
	if right {
		resp = d.bank.Item(d.item.ID).Answer()
	}
	raw, err := d.send(protocol.MsgAnswer, protocol.Answer{Item: d.item.ID, Response: resp})
	if err != nil {
		d.t.Fatalf("answer %s: %v", d.item.ID, err)
	}
	var res answerResult
	_ = json.Unmarshal(raw, &res)
	if res.Correct != right {
		d.t.Fatalf("answer %q to %s graded %v, want %v", resp, d.item.ID, res.Correct, right)
	}
	d.item = res.Next
	return res
}

func (c *testClass) assign(set string, to protocol.Target) { c.assignFrom("fractions-5", set, to) }

func (c *testClass) assignFrom(bank protocol.BankID, set string, to protocol.Target) {
	c.t.Helper()
	c.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: bank, Set: set}, To: to}, nil)
}

// angleBank is a small bank whose later skill needs the earlier one: the
// triangle sum needs supplementary angles.
const angleBank = `bank: olivia-angles
title: Angles and triangles
skills:
  - id: supp
    name: Supplementary angles
    lesson:
      title: Angles on a straight line
      text: Two angles that make a straight line add up to 180 degrees.
      practice: [supp.1, supp.2, supp.3]
  - id: trisum
    name: Triangle angle sum
    prereqs: [supp]
items:
` + "%s" + `
sets:
  - id: supp-set
    title: Supplementary angles
    kind: practice
    items: [supp.1, supp.2, supp.3, supp.4]
  - id: tri-set
    title: Triangles
    kind: practice
    items: [tri.1, tri.2, tri.3, tri.4, tri.5, tri.6]
`

func angleItems() string {
	out := ""
	for i := 1; i <= 4; i++ {
		out += fmt.Sprintf(`  - id: supp.%d
    skill: supp
    kind: numeric
    prompt: An angle of %d degrees and its supplement. How big is the supplement?
    answer: %d
    hints: [They add up to 180., 180 - %d = %d.]
    explanation: Supplementary angles add up to 180 degrees, so 180 - %d = %d.
    family: supp
`, i, 20*i, 180-20*i, 20*i, 180-20*i, 20*i, 180-20*i)
	}
	for i := 1; i <= 6; i++ {
		out += fmt.Sprintf(`  - id: tri.%d
    skill: trisum
    kind: numeric
    prompt: A triangle has angles of 50 and %d degrees. How big is the third?
    answer: %d
    hints: [The three angles add up to 180., 180 - 50 - %d = %d.]
    explanation: The angles of a triangle add up to 180 degrees, so 180 - 50 - %d = %d.
    family: tri
`, i, 10*i, 130-10*i, 10*i, 130-10*i, 10*i, 130-10*i)
	}
	return out
}

func flagsOf(tv protocol.TeacherView, sid protocol.StudentID) []protocol.Flag {
	var out []protocol.Flag
	for _, f := range tv.Flags {
		if f.Student == sid {
			out = append(out, f)
		}
	}
	return out
}

func TestNoahSeesAVariantAndTheSkillComesBack(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Noah")
	c.clk = clk
	c.assign("frac-operations", protocol.Target{})
	noah := c.device(0)
	noah.next()
	missed := noah.item.Skill
	res := noah.answer(false)
	if res.Explanation == "" || res.Next == nil || res.Next.Skill != missed || res.Next.Reason != "a similar problem" {
		t.Fatalf("after a wrong answer: %+v", res)
	}
	noah.answer(true) // the similar problem
	back := false
	for range 6 {
		if noah.item == nil {
			if more, _ := noah.next(); !more {
				break
			}
		}
		if noah.item.Reason == "checking that it stuck" {
			if noah.item.Skill != missed {
				t.Fatalf("rechecked %s, want the missed %s", noah.item.Skill, missed)
			}
			back = true
			break
		}
		noah.answer(true)
	}
	if !back {
		t.Fatal("the missed skill never came back")
	}
}

func TestAmeliaIsOfferedEnrichment(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Amelia")
	c.clk = clk
	c.assign("frac-equivalence", protocol.Target{})
	amelia := c.device(0)
	set := amelia.bank.Set("frac-equivalence")
	// She is offered the challenge by the answer that masters the set's
	// last skill, without waiting for the end of the set.
	var last json.RawMessage
	var offer *protocol.Offer
	answered := 0
	for {
		more, raw := amelia.next()
		if !more {
			last = raw
			break
		}
		res := amelia.answer(true)
		answered++
		if res.Offer != nil {
			if offer != nil {
				t.Fatalf("offered twice: %+v, then %+v", offer, res.Offer)
			}
			offer = res.Offer
			if answered >= len(set.Items) {
				t.Fatalf("offered only at the end of the set, after %d answers", answered)
			}
		}
	}
	if offer == nil || offer.Set.Set != "frac-challenge" || offer.Student != amelia.id {
		t.Fatalf("the offer: %+v", offer)
	}
	var done struct {
		Done  bool
		Offer *protocol.Offer
	}
	_ = json.Unmarshal(last, &done)
	if !done.Done || done.Offer != nil {
		t.Fatalf("end of the set, the offer made already: %s", last)
	}
	// The teacher sees she is doing well: a suggestion, not an alarm.
	fs := flagsOf(c.view(), amelia.id)
	if len(fs) != 1 || fs[0].Rule != protocol.RuleDoingWell || fs[0].Level != protocol.LevelInfo {
		t.Fatalf("Amelia's flags = %+v", fs)
	}
	if _, err := amelia.send(protocol.MsgAcceptOffer, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if more, _ := amelia.next(); !more || amelia.bank.Item(amelia.item.ID) == nil {
		t.Fatal("no enrichment item after accepting the offer")
	}
}

func TestOliviaIsFlaggedWithHelpReady(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Olivia", "Mason")
	c.clk = clk
	if _, err := m.PutBank(context.Background(), "olivia.yaml", []byte(fmt.Sprintf(angleBank, angleItems()))); err != nil {
		t.Fatal(err)
	}
	olivia := c.deviceOn(0, "olivia-angles")
	// Supplementary angles slipped: she misses them.
	c.assignFrom("olivia-angles", "supp-set", protocol.Target{Student: olivia.id})
	for range 3 {
		if olivia.item == nil {
			olivia.next()
		}
		olivia.answer(false)
	}
	// Then the triangle sum, which needs them.
	c.assignFrom("olivia-angles", "tri-set", protocol.Target{Student: olivia.id})
	olivia.item = nil
	var flag *protocol.Flag
	for range 6 {
		if olivia.item == nil {
			if more, _ := olivia.next(); !more {
				break
			}
		}
		olivia.answer(false)
		if fs := flagsOf(c.view(), olivia.id); len(fs) > 0 && fs[0].Level == protocol.LevelActNow {
			flag = &fs[0]
			break
		}
	}
	if flag == nil {
		t.Fatalf("Olivia was not flagged; teacher view flags %+v", c.view().Flags)
	}
	if flag.Help == nil || flag.Help.Skill != "supp" || len(flag.Help.Items) == 0 {
		t.Fatalf("flag help = %+v", flag.Help)
	}
	if len(flag.Evidence.Attempts) == 0 || flag.Evidence.Attempts[len(flag.Evidence.Attempts)-1].Response != "no idea" {
		t.Fatalf("evidence lacks her actual answers: %+v", flag.Evidence)
	}
	// Flags never reach a student or the projector.
	for _, ev := range c.log() {
		if ev.Type != protocol.EvFlag {
			continue
		}
		for _, v := range []protocol.Viewer{{Role: protocol.RoleStudent, Student: olivia.id}, {Role: protocol.RoleStudent, Student: c.students[1]}, {Role: protocol.RoleProjector}} {
			if ev.Audience.Allows(v) {
				t.Fatalf("a flag event may be seen by %+v", v)
			}
		}
	}
	// One action sends her the supplemental lesson and its problems.
	c.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: flag.ID, Action: protocol.FlagSendHelp}, nil)
	fs := flagsOf(c.view(), olivia.id)
	if len(fs) == 0 || fs[0].Status != protocol.FlagAcked || fs[0].Acked == 0 {
		t.Fatalf("flag after sending help = %+v", fs)
	}
	olivia.item = nil
	olivia.next()
	if olivia.item.Skill != "supp" {
		t.Fatalf("after the help, her next item is on %s", olivia.item.Skill)
	}
	// On the lesson's problems the gap is being dealt with: the flag
	// clears, as it would at a restart of the server at this moment.
	if fs := flagsOf(c.view(), olivia.id); len(fs) != 0 {
		t.Fatalf("flag once she is on the lesson = %+v", fs)
	}
}

func TestRefusedAnswersMoveNothing(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Judy")
	c.assign("frac-equivalence", protocol.Target{})
	judy := c.device(0)
	judy.next()
	solved := judy.item.ID
	judy.answer(true)
	judy.next()
	before := c.stateJSON()
	cases := []struct {
		name string
		typ  protocol.MsgType
		data any
		want protocol.Code
	}{
		{"an item she was not given", protocol.MsgAnswer, protocol.Answer{Item: "frac.div.1", Response: "2"}, protocol.CodeNotGiven},
		{"a second answer to a solved item", protocol.MsgAnswer, protocol.Answer{Item: solved, Response: "2"}, protocol.CodeDuplicate},
		{"a hint for an item she was not given", protocol.MsgHint, protocol.Hint{Item: "frac.div.1"}, protocol.CodeNotGiven},
		{"picking without a choice board", protocol.MsgPickItems, protocol.PickItems{Items: []protocol.ItemID{"frac.eq.1"}}, protocol.CodeWrongState},
	}
	for _, tc := range cases {
		if _, err := judy.send(tc.typ, tc.data); codeOf(err) != tc.want {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
	if after := c.stateJSON(); after != before {
		t.Fatalf("refused answers changed the state:\nbefore %s\nafter  %s", before, after)
	}
	c.must(protocol.MsgClosePractice, protocol.ClosePractice{}, nil)
	if _, err := judy.send(protocol.MsgAnswer, protocol.Answer{Item: judy.item.ID, Response: "2"}); codeOf(err) != protocol.CodeClosed {
		t.Fatalf("answer after the activity closed: err = %v, want closed", err)
	}
}

// Idle is for students expected to be working: not while the class is
// paused, not at the teacher's table; and many idle at once are one
// class-level notice, not an alert each.
func TestIdleIsForStudentsExpectedToWork(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Olivia", "Mason", "Ava", "Noah", "Liam")
	c.clk = clk
	c.assign("frac-equivalence", protocol.Target{})
	devices := make([]*learnerDevice, len(c.students))
	for i := range devices {
		devices[i] = c.device(i)
		devices[i].next()
	}
	idleFlags := func() (each []protocol.Flag, notice []protocol.Flag) {
		for _, f := range c.view().Flags {
			switch {
			case f.Student == "" && f.Rule == protocol.RuleIdle:
				notice = append(notice, f)
			case f.Rule == protocol.RuleIdle:
				each = append(each, f)
			}
		}
		return each, notice
	}
	// The whole class quiet for three minutes: one notice, no flag each.
	clk.Advance(3 * time.Minute)
	poll(t, "the class-level notice", func() bool { _, n := idleFlags(); return len(n) == 1 })
	if each, n := idleFlags(); len(each) != 0 || n[0].Level != protocol.LevelWatch || n[0].Name != "Whole class" ||
		!strings.HasPrefix(n[0].Evidence.Summary, "5 students idle at once") {
		t.Fatalf("idle flags of their own %+v, notice %+v", each, n)
	}
	// Four go back to work; the fifth stays quiet: still the class's, not
	// an alert of her own.
	for _, d := range devices[1:] {
		d.answer(true)
	}
	clk.Advance(5 * time.Minute)
	for _, d := range devices[1:] {
		d.next()
		d.answer(true)
	}
	// (Mason, who answered first, may be quiet again by the time Liam
	// has answered: the clock moves 40 s with each answer. That is his
	// own idleness, not the class's.)
	each, n := idleFlags()
	for _, f := range each {
		if f.Student == c.students[0] {
			t.Fatalf("the last quiet student of the class got her own idle flag: %+v", f)
		}
	}
	if len(n) != 1 || !strings.Contains(n[0].Evidence.Summary, "Olivia") {
		t.Fatalf("the class-level notice no longer speaks for Olivia: %+v", n)
	}
	// Paused: nobody is idle, whatever the time.
	c.must(protocol.MsgPauseClass, struct{}{}, nil)
	clk.Advance(10 * time.Minute)
	poll(t, "the notice cleared while paused", func() bool { _, n := idleFlags(); return len(n) == 0 })
	if each, _ := idleFlags(); len(each) != 0 {
		t.Fatalf("idle flags while paused: %+v", each)
	}
	c.must(protocol.MsgResumeClass, struct{}{}, nil)
	// Olivia at the teacher's table: quiet there is no sign of anything;
	// Mason alone at his device is idle.
	var res struct{ Station protocol.StationID }
	c.must(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "With me", Kind: protocol.StationTeacherLed}}, &res)
	c.must(protocol.MsgMoveStudent, protocol.MoveStudent{Student: c.students[0], Station: res.Station}, nil)
	// The others keep working, one answer each every two minutes, while
	// six minutes pass: Mason's quiet crosses the watch mark and the
	// act-now mark; Olivia, quiet for longest, is with the teacher.
	for range 3 {
		for _, d := range devices[2:] {
			d.next()
			d.answer(true)
		}
	}
	poll(t, "Mason idle", func() bool {
		each, _ := idleFlags()
		return len(each) == 1 && each[0].Student == c.students[1]
	})
	if each, n := idleFlags(); len(each) != 1 || len(n) != 0 {
		t.Fatalf("idle flags %+v, notice %+v; want Mason's alone", each, n)
	}
}

// memProfiles keeps learner profiles in memory, practice too.
type memProfiles struct {
	mu       sync.Mutex
	mastery  map[string]map[protocol.SkillID]float64
	practice map[string]map[protocol.SkillID]int
}

func (p *memProfiles) Mastery(_ context.Context, roster string) (map[protocol.SkillID]float64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.mastery[roster]), nil
}

func (p *memProfiles) RecordSession(_ context.Context, roster string, _ protocol.RoomID, _ int64, m map[protocol.SkillID]float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mastery[roster] = maps.Clone(m)
	return nil
}

func (p *memProfiles) Practice(_ context.Context, roster string) (map[protocol.SkillID]int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.practice[roster]), nil
}

func (p *memProfiles) RecordPractice(_ context.Context, roster string, n map[protocol.SkillID]int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.practice[roster] = maps.Clone(n)
	return nil
}

// A rostered student who practised a skill ten times in earlier lessons
// without mastering it is wheel-spinning from the first problem of this
// one; the lesson's opportunities are added to the profile at the end.
func TestWheelSpinningAcrossSessions(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	const skill = protocol.SkillID("fractions.equivalent")
	profiles := &memProfiles{
		mastery:  map[string]map[protocol.SkillID]float64{"r-olivia": {skill: 0.3}},
		practice: map[string]map[protocol.SkillID]int{"r-olivia": {skill: 12}},
	}
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use, func(c *Config) { c.Profiles = profiles })
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Fractions")
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := m.JoinAs(ctx, info.Code, protocol.JoinRoom{Name: "Olivia", Roster: "r-olivia"})
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID, students: []protocol.StudentID{res.Student}, clk: clk}
	c.assign("frac-equivalence", protocol.Target{})
	// Past ten problems from her earlier sessions: the teacher knows as
	// soon as she is given a problem on the skill; act now once she is
	// failing it now.
	olivia := c.device(0)
	olivia.next()
	fs := flagsOf(c.view(), res.Student)
	if len(fs) != 1 || fs[0].Rule != protocol.RuleStuck || fs[0].Level != protocol.LevelWatch ||
		!strings.HasPrefix(fs[0].Evidence.Summary, "Stuck: 12 problems on") {
		t.Fatalf("flags once she is on the skill: %+v", fs)
	}
	olivia.answer(false)
	if fs := flagsOf(c.view(), olivia.id); len(fs) != 1 || fs[0].Rule != protocol.RuleStuck || fs[0].Level != protocol.LevelWatch {
		t.Fatalf("flags after the first answer: %+v", fs)
	}
	olivia.failUntil(func(fs []protocol.Flag) bool {
		return len(fs) == 1 && fs[0].Rule == protocol.RuleStuck && fs[0].Level == protocol.LevelActNow
	})
	c.must(protocol.MsgEndClass, struct{}{}, nil)
	poll(t, "practice recorded", func() bool {
		n, _ := profiles.Practice(ctx, "r-olivia")
		return n[skill] >= 15
	})
}

// failUntil answers wrong, problem after problem, at a deliberate pace,
// until done holds for the student's flags; it fails the test after 30
// answers.
func (d *learnerDevice) failUntil(done func([]protocol.Flag) bool) {
	d.t.Helper()
	for range 30 {
		if d.item == nil {
			if ok, _ := d.next(); !ok {
				d.t.Fatalf("the set ended before the flags did")
			}
		}
		d.answer(false)
		if fs := flagsOf(d.c.view(), d.id); done(fs) {
			return
		}
	}
	d.t.Fatalf("flags after 30 wrong answers: %+v", flagsOf(d.c.view(), d.id))
}

// At most three flags of a class are at act now at once; a fourth waits
// at watch, first of the watch flags, and rises when a teacher resolves
// one.
func TestActNowBudgetInAClass(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	const skill = protocol.SkillID("fractions.equivalent")
	profiles := &memProfiles{mastery: map[string]map[protocol.SkillID]float64{}, practice: map[string]map[protocol.SkillID]int{}}
	names := []string{"Olivia", "Mason", "Ava", "Noah"}
	for _, n := range names {
		profiles.mastery["r-"+n] = map[protocol.SkillID]float64{skill: 0.3}
		profiles.practice["r-"+n] = map[protocol.SkillID]int{skill: 12}
	}
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use, func(c *Config) { c.Profiles = profiles })
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Fractions")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID, clk: clk}
	for _, n := range names {
		_, res, err := m.JoinAs(ctx, info.Code, protocol.JoinRoom{Name: n, Roster: "r-" + n})
		if err != nil {
			t.Fatal(err)
		}
		c.students = append(c.students, res.Student)
	}
	c.assign("frac-equivalence", protocol.Target{})
	// Each fails problem after problem: past ten problems without
	// mastery and failing now, wheel-spinning at act now, or waiting for
	// a slot.
	for i := range names {
		c.device(i).failUntil(func(fs []protocol.Flag) bool {
			return len(fs) == 1 && fs[0].Rule == protocol.RuleStuck && (fs[0].Level == protocol.LevelActNow || fs[0].Waiting)
		})
	}
	level := func() (actNow []protocol.Flag, waiting []protocol.Flag) {
		for _, f := range c.view().Flags {
			switch {
			case f.Level == protocol.LevelActNow:
				actNow = append(actNow, f)
			case f.Waiting:
				waiting = append(waiting, f)
			}
		}
		return actNow, waiting
	}
	actNow, waiting := level()
	if len(actNow) != 3 || len(waiting) != 1 || waiting[0].Student != c.students[3] || waiting[0].Level != protocol.LevelWatch {
		t.Fatalf("act now %d, waiting %+v: want 3 and Noah's", len(actNow), waiting)
	}
	c.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: actNow[0].ID, Action: protocol.FlagResolve}, nil)
	actNow, waiting = level()
	if len(actNow) != 3 || len(waiting) != 0 || !slices.ContainsFunc(actNow, func(f protocol.Flag) bool { return f.Student == c.students[3] }) {
		t.Fatalf("after one resolved: act now %+v, waiting %+v; want Noah's risen", actNow, waiting)
	}
}

// twoSkills is a bank of two problems of two skills, one hint each: no
// problem has a similar one to give instead.
const twoSkills = `bank: two-skills
title: Two skills
skills:
  - id: add
    name: Adding
  - id: sub
    name: Taking away
items:
  - id: add.1
    skill: add
    kind: numeric
    prompt: What is 2 + 3?
    answer: 5
    hints: [2 + 3 = 5.]
    explanation: Two and three make five.
  - id: sub.1
    skill: sub
    kind: numeric
    prompt: What is 5 - 3?
    answer: 2
    hints: [5 - 3 = 2.]
    explanation: Five take away three leaves two.
sets:
  - id: both
    title: Adding and taking away
    kind: practice
    items: [add.1, sub.1]
`

// A student who is still wrong after the last hint, which gives the
// answer away, with no similar problem left, is not held on the problem
// for good: they see the explanation and go on to the next. A wrong
// answer before the last hint keeps them on it, to try again.
func TestAfterTheLastHintTheStudentMovesOn(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Noah")
	c.clk = clk
	if _, err := m.PutBank(context.Background(), "two.yaml", []byte(twoSkills)); err != nil {
		t.Fatal(err)
	}
	c.assignFrom("two-skills", "both", protocol.Target{})
	noah := c.deviceOn(0, "two-skills")
	if more, _ := noah.next(); !more || noah.item.ID != "add.1" {
		t.Fatalf("the first problem: %+v", noah.item)
	}
	first := noah.item
	if res := noah.answer(false); res.MovedOn || res.Next != nil {
		t.Fatalf("wrong before any hint: %+v, want to stay on the problem", res)
	}
	noah.item = first
	if _, err := noah.send(protocol.MsgHint, protocol.Hint{Item: "add.1"}); err != nil {
		t.Fatal(err)
	}
	res := noah.answer(false)
	if !res.MovedOn || res.Explanation == "" || res.Next != nil {
		t.Fatalf("wrong after the last hint: %+v, want the explanation and moved on", res)
	}
	if more, _ := noah.next(); !more || noah.item.ID != "sub.1" {
		t.Fatalf("after moving on, the next problem is %+v, want sub.1", noah.item)
	}
	// The problem set aside is not solved, and not given again.
	noah.answer(true)
	if more, raw := noah.next(); more {
		t.Fatalf("after the last problem: %s", raw)
	}
	l := c.view().Learning
	if len(l) != 1 || l[0].Item != nil || l[0].Answers != 3 || l[0].Correct != 1 {
		t.Fatalf("Noah's practice: %+v, want no problem in front of him, 3 answers, 1 right", l)
	}
}

// Judy's check is a check: run as one, it gives no hint and no
// explanation, asks each problem once, right or wrong, and shows her every
// answer with its explanation when she hands it in by answering the last.
func TestACheckRunsAsACheck(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Judy")
	c.clk = clk
	c.must(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-check"}, Check: true}, nil)
	judy := c.device(0)
	set := judy.bank.Set("frac-check")
	right := map[protocol.ItemID]bool{}
	for i := 0; ; i++ {
		more, raw := judy.next()
		if !more {
			var done struct {
				Done   bool
				Review []protocol.Reviewed
			}
			if err := json.Unmarshal(raw, &done); err != nil || !done.Done {
				t.Fatalf("the end of the check: %s", raw)
			}
			if len(done.Review) != len(set.Items) {
				t.Fatalf("the review has %d problems, want the %d of the check: %s", len(done.Review), len(set.Items), raw)
			}
			for k, rv := range done.Review {
				it := judy.bank.Item(rv.Item)
				if rv.Item != set.Items[k] || rv.Correct != right[rv.Item] || rv.Explanation != it.Explanation || rv.Prompt != it.Prompt || rv.Response == "" {
					t.Errorf("review %d: %+v, want %s answered (right: %v) with its explanation", k, rv, set.Items[k], right[rv.Item])
				}
			}
			break
		}
		if i >= len(set.Items) {
			t.Fatalf("problem %d of a check of %d", i+1, len(set.Items))
		}
		if _, err := judy.send(protocol.MsgHint, protocol.Hint{Item: judy.item.ID}); codeOf(err) != protocol.CodeWrongState {
			t.Fatalf("a hint in a check: %v, want wrong_state", err)
		}
		id := judy.item.ID
		right[id] = i%2 == 0
		res := judy.answer(right[id])
		if res.Explanation != "" || res.Next != nil || res.Offer != nil {
			t.Fatalf("answer %d in a check: %+v, want no explanation, no similar problem, no offer", i, res)
		}
		if !right[id] && !res.MovedOn {
			t.Fatalf("a wrong answer in a check: %+v, want it set aside", res)
		}
	}
	// Her snapshot says it is a check.
	res, _ := snapshotOf(t, m, c.id, student(judy.id))
	var sv protocol.StudentView
	if err := json.Unmarshal(res.View, &sv); err != nil || sv.Practice == nil || !sv.Practice.Check {
		t.Fatalf("Judy's practice: %+v (%v)", sv.Practice, err)
	}
}

// A condition calling for act now waits at watch, rising, and the room's
// own timer raises it to act now once it has lasted long enough, with no
// further action of the student's.
func TestActNowRisesOnTheRoomsTimer(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	// Olivia has had twelve problems on the skill in earlier lessons
	// without mastering it: failing it now is wheel-spinning by the
	// definition, not the forecast (which never waits).
	const skill = protocol.SkillID("fractions.equivalent")
	profiles := &memProfiles{
		mastery:  map[string]map[protocol.SkillID]float64{"r-Olivia": {skill: 0.3}},
		practice: map[string]map[protocol.SkillID]int{"r-Olivia": {skill: 12}},
	}
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use, func(c *Config) { c.Profiles = profiles })
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Fractions")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID, clk: clk}
	_, res, err := m.JoinAs(ctx, info.Code, protocol.JoinRoom{Name: "Olivia", Roster: "r-Olivia"})
	if err != nil {
		t.Fatal(err)
	}
	c.students = append(c.students, res.Student)
	c.assign("frac-equivalence", protocol.Target{})
	d := c.device(0)
	d.failUntil(func(fs []protocol.Flag) bool { return len(fs) == 1 && fs[0].Rising > 0 })
	f := flagsOf(c.view(), d.id)[0]
	if f.Level != protocol.LevelWatch || f.Waiting {
		t.Fatalf("rising flag %+v, want it at watch", f)
	}
	// The wait is at most act_now_persist_ms / 0.5 (the least need of a
	// condition at act now): 4 minutes, before a silence after trouble
	// would call for act now by itself (5 minutes).
	clk.Advance(4*time.Minute + 10*time.Second)
	poll(t, "the flag risen to act now", func() bool {
		fs := flagsOf(c.view(), d.id)
		return len(fs) == 1 && fs[0].Level == protocol.LevelActNow
	})
	if g := flagsOf(c.view(), d.id)[0]; g.ID != f.ID || g.Rising != 0 {
		t.Fatalf("risen flag %+v, want the same flag, rising no more", g)
	}
}
