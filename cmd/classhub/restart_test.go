package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/hub"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/roster"
)

// wholeClassSeedEnv replays a run of TestWholeClassRestart: the test logs
// its seed, and this variable sets it.
const wholeClassSeedEnv = "CLASSHUB_WHOLECLASS_SEED"

// wholeClassStudentsEnv sets how many students the class of
// TestWholeClassRestart has: 5 unless set, which keeps the test quick. The
// first five play the scripted parts; the others join, are grouped and
// practise too. At most as many as a roster holds (roster.MaxStudents).
const wholeClassStudentsEnv = "CLASSHUB_WHOLECLASS_STUDENTS"

// wholeClassKillEnv, set to "practised", has the kill come only once
// every student has practised, as in the figure of docs/BENCHMARKS.md;
// set to "after=N", right after the script's first N commands (the
// seed still chooses how a command stands then); unset, it comes at any
// point once every role is in class.
const wholeClassKillEnv = "CLASSHUB_WHOLECLASS_KILL"

// wcOptions are what the environment sets of TestWholeClassRestart.
type wcOptions struct {
	students  int
	practised bool // kill only after every student has practised
	after     int  // kill after this many commands of the script; 0: as the seed has it
}

// wcTimeout is how long the test waits for any one frame. A command takes
// milliseconds; this only bounds a test that would otherwise hang.
const wcTimeout = 15 * time.Second

// A whole class across a real process restart. One class uses everything
// at once: stations, an applied grouping, a running rotation, practice
// with right and wrong answers and hints, a flag, a raised hand, notes
// edited by two students of a group, a coach who comments, students who
// joined by picking their name from a roster; then the class's own
// thresholds and late-joiner rule, choices offered and made, an interest,
// a hand lowered by the teacher, a station put and removed, the class
// paused and resumed, the rotation paused, resumed and extended for one
// group, and two changes that wait for the rotation's next leg: a small
// group proposed from the flags of three students on one skill, accepted
// by the teacher ({"status":"scheduled"}), and a regrouping applied
// ({"scheduled":true}); the teacher advances the rotation, and both are
// formed then, in that step, once (the coach, whose groups that leg
// replaced, is given one of the new ones); a student moved to another
// group; the rotation ended. The binary is killed with
// SIGKILL in one subtest and stopped with SIGTERM in the other, after a
// number of the scripted commands chosen by the seed, possibly with a
// command in flight. Then, on the same data folder:
//
//   - every device resumes with its epoch and offset, and its stream
//     across the restart has no event twice and none missing: it equals
//     what a fresh connection of the same person resuming from offset 0
//     receives;
//   - every role's view (the snapshot a fresh connection gets) equals the
//     view before the restart;
//   - a command retried with its request ID, the one in flight and one
//     answered long before, gets its first answer again, and every
//     command is in the log exactly once;
//   - students go on answering and are graded.
//
// Every student joins by picking their name and word, since a class
// opened with a roster refuses a typed name. A projector on the wall is
// in the class from the start, resumes like every device, and nothing it
// receives, live, on resume or in a snapshot, names a student or shows a
// flag, an answer, a mastery, a hand or anything not for everyone.
//
// The devices come back all at once, as a classroom's do. The test logs
// how long that took: from starting the new process, and from its being
// ready (/readyz), to the last device's welcome with resumed=true, in a
// line beginning "restart-to-resumed:". It reports the time and never
// asserts it: docs/BENCHMARKS.md has the figures.
func TestWholeClassRestart(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv(wholeClassSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", wholeClassSeedEnv, s, err)
		}
	}
	t.Logf("seed %d (%s=%d runs this again)", seed, wholeClassSeedEnv, seed)
	opt := wcOptions{students: 5}
	if s := os.Getenv(wholeClassStudentsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 5 || n > roster.MaxStudents {
			t.Fatalf("%s=%q: want a number of students from 5 to %d", wholeClassStudentsEnv, s, roster.MaxStudents)
		}
		opt.students = n
	}
	switch s := os.Getenv(wholeClassKillEnv); s {
	case "":
	case "practised":
		opt.practised = true
	default:
		n, err := strconv.Atoi(strings.TrimPrefix(s, "after="))
		if !strings.HasPrefix(s, "after=") || err != nil || n < 1 {
			t.Fatalf("%s=%q: want \"practised\", \"after=N\" or nothing", wholeClassKillEnv, s)
		}
		opt.after = n
	}
	for i, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sigName[sig], func(t *testing.T) {
			began := time.Now()
			wholeClass(t, sig, rand.New(rand.NewPCG(seed, uint64(i))), opt)
			t.Logf("took %s", time.Since(began).Round(100*time.Millisecond))
		})
	}
}

// How a command stands when the server goes down.
const (
	killBetween = iota // between two commands: nothing in flight
	killLost           // the command ran and was answered, but the device never read the answer
	killRacing         // the command was just sent: the kill races it
)

var killModes = []string{"between two commands", "after a command whose answer the device lost", "with a command in flight"}

var sigName = map[syscall.Signal]string{syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM"}

func wholeClass(t *testing.T, sig syscall.Signal, rng *rand.Rand, opt wcOptions) {
	c := newWholeClass(t, sig, rng, opt.students)
	script := c.script()
	// The kill comes once every role is in class: after the coach's tablet
	// entered (the coach may only enter once given a group).
	minK := c.coachStep + 1
	if opt.practised {
		minK = c.practisedStep
	}
	k := minK + rng.IntN(len(script)-minK+1)
	if opt.after > 0 {
		if opt.after < minK || opt.after > len(script) {
			t.Fatalf("%s: the kill can come after %d to %d commands of this script", wholeClassKillEnv, minK, len(script))
		}
		k = opt.after
	}
	mode := killBetween
	if k < len(script) {
		mode = rng.IntN(len(killModes))
	}
	t.Logf("%s after %d of the %d scripted commands, %s", sigName[sig], k, len(script), killModes[mode])

	for _, a := range script[:k] {
		c.run(a)
	}
	var inflight *wcStep
	if mode == killLost {
		inflight = c.build(script[k])
		c.send(inflight)
		f := inflight.dev.answer(inflight.id)
		inflight.first = &f // and nothing else: the device never saw it
		k++
	}
	before, quiet := c.views()
	if mode == killRacing {
		inflight = c.build(script[k])
		c.send(inflight)
		k++
	}
	switch mode {
	case killLost:
		t.Logf("the device lost the answer to %s (%s)", inflight.what, inflight.id)
	case killRacing:
		t.Logf("in flight at the kill: %s (%s)", inflight.what, inflight.id)
	}
	old := c.pickAnswered(inflight)

	c.restart()
	c.settle()
	after, _ := c.views()
	c.compareViews(before, after, quiet, mode)
	c.retry(inflight, old)
	c.checkStreams("after the restart")

	for _, a := range script[k:] {
		c.run(a)
	}
	c.answerAgain()
	c.checkLearning()
	c.checkStreams("at the end")
	c.checkProjector()
}

// wcClass is the class, as the test drives it.
type wcClass struct {
	t    *testing.T
	rng  *rand.Rand
	sig  syscall.Signal
	data string
	srv  *proc
	bank *content.Bank

	room    protocol.RoomID
	code    string
	teacher *wcClient
	coach   *wcClient // nil until the coach has a group
	// coachAway: the groups the coach coached are gone, and his tablet
	// with them, until he is given another.
	coachAway bool
	// regroupWaits: a regrouping was applied during the rotation, for its
	// next leg.
	regroupWaits bool
	wall         *wcClient // the projector
	coachID      protocol.CoachID
	coachTo      string // the coach's token
	pupils       []*wcStudent
	// rosterInputs are the students as the teacher typed them in.
	rosterInputs []roster.StudentInput

	stations map[string]protocol.StationID
	groups   map[string]protocol.GroupID
	proposal protocol.ProposalID
	seed     int64 // of the latest proposal
	// smallGroup is the small group proposed from the flags, once the
	// teacher accepted it.
	smallGroup protocol.SmallGroupID
	notes      map[string]string
	notesRev   map[string]uint64
	steps      []*wcStep // every command of the script, in the order sent
	coachStep  int       // the index in the script of the command after which the coach enters
	// practisedStep is the number of commands of the script after which
	// the class has practised: every student has an item, and all but
	// Mason and Liam have answered.
	practisedStep int
	markers       int
	restarted     bool
	ranBefore     bool // the log grew between the views before the kill and the restart
	// wallViews are the projector's snapshots from views, checked for
	// what it must not show.
	wallViews []json.RawMessage
}

type wcStudent struct {
	*wcClient
	id    protocol.StudentID
	item  protocol.ItemID // the item in front of them, as their answers said
	hints int             // hints shown on it
	done  bool            // no more items in the set
}

// wcStep is one command of the script.
type wcStep struct {
	what string
	dev  *wcClient
	id   string
	typ  protocol.MsgType
	data json.RawMessage
	// sig names what the command's event says it did, so that the log can
	// be checked for each command once; "" for a command whose repeat
	// changes nothing (next_item, a sync).
	sig   string
	first *protocol.ServerFrame // the first answer
	final *protocol.ServerFrame // the answer it was left with
	// after reads the answer; without it, any error fails the test.
	after func(f protocol.ServerFrame)
	// ran says the command ran though it was answered with an error: it
	// was in flight at the kill, ran then, and its retry was refused.
	ran bool
	// also names more that the command did, each to be in the log once
	// as sig is: what waited for the rotation's next leg and came with it.
	also []string
}

// wcAction builds a step when its turn comes, from the class as it is
// then (IDs from earlier answers, the item in front of a student).
type wcAction func(c *wcClass) *wcStep

// The students beyond the scripted five: given names none of which is
// part of anything the projector may show (station, group and
// announcement texts), and family names that tell apart those who share
// a given name.
var (
	extraGiven  = []string{"Ava", "Ben", "Chloe", "Dylan", "Ella", "Finn", "Grace", "Harry", "Isla", "Jack", "Kai", "Lily", "Max", "Nina", "Oscar", "Poppy", "Quinn", "Ruby", "Sam", "Theo", "Uma", "Victor", "Willow", "Xander", "Yara", "Zoe"}
	extraFamily = []string{"Taylor", "Evans", "Khan", "Walker", "Patel", "Hughes", "Green", "Lewis"}
	// extraGroups name the groups of the other students, five to a group.
	extraGroups = []string{"Kites", "Wrens", "Foxes", "Hares", "Moles", "Owls", "Crabs", "Newts", "Voles"}
)

func newWholeClass(t *testing.T, sig syscall.Signal, rng *rand.Rand, students int) *wcClass {
	c := &wcClass{
		t: t, rng: rng, sig: sig, data: t.TempDir(), bank: demoBank(t, "fractions-5"),
		stations: map[string]protocol.StationID{}, groups: map[string]protocol.GroupID{},
		notes: map[string]string{}, notesRev: map[string]uint64{},
	}
	c.srv = startServer(t, c.data)
	addTeacher(t, c.data, "lee@school.example", "Ms Lee")
	var login hub.LoginResponse
	c.srv.post("/api/v1/login", "", map[string]string{"email": "lee@school.example", "password": "correct horse battery"}, &login)

	var ros roster.Roster
	inputs := []roster.StudentInput{
		{GivenName: "Olivia", FamilyName: "Smith"}, {GivenName: "Noah", FamilyName: "Jones"},
		{GivenName: "Mason", FamilyName: "Brown"}, {GivenName: "Amelia", FamilyName: "Clark"},
		{GivenName: "Liam", FamilyName: "Wright"},
	}
	for e := 0; len(inputs) < students; e++ {
		inputs = append(inputs, roster.StudentInput{GivenName: extraGiven[e%len(extraGiven)], FamilyName: extraFamily[e/len(extraGiven)%len(extraFamily)]})
	}
	c.srv.post("/api/v1/rosters", login.Token, hub.RosterRequest{Name: "5B maths", Students: inputs}, &ros)
	c.rosterInputs = inputs
	var room struct {
		ID   protocol.RoomID
		Code string
	}
	c.srv.post("/api/v1/rooms", login.Token, map[string]string{"title": "Year 5 maths", "roster": string(ros.ID)}, &room)
	c.room, c.code = room.ID, room.Code

	var inv hub.InviteResponse
	c.srv.post("/api/v1/coaches", login.Token, map[string]string{"email": "diaz@school.example", "name": "Mr Diaz"}, &inv)
	var co hub.LoginResponse
	c.srv.post("/api/v1/coaches/accept", "", map[string]string{"code": inv.Invite.Code, "password": "a long password of his own"}, &co)
	c.coachID, c.coachTo = co.Coach.ID, co.Token

	c.teacher = c.client("teacher", "t", login.Token, c.room)
	c.teacher.connect(false)

	// The wall screen is on before the students come in. Its hello names
	// no class: the token is bound to one.
	var pr hub.ProjectorResponse
	c.srv.post("/api/v1/rooms/"+string(c.room)+"/projector", login.Token, nil, &pr)
	if pr.Token == "" || pr.Room.ID != c.room {
		t.Fatalf("projector token: %+v", pr)
	}
	c.wall = c.client("projector", "p", pr.Token, "")
	if w := c.wall.connect(false); w.Role != protocol.RoleProjector || w.Room != c.room || w.Student != "" || w.Name != "" {
		t.Fatalf("the projector's welcome: %+v", w)
	}

	// Every student picks their name from the list and then their word.
	var list hub.JoinListResponse
	c.srv.get("/api/v1/join/"+c.code, &list)
	if !list.Rostered || len(list.Students) != len(ros.Students) || len(list.Words) == 0 {
		t.Fatalf("the join list of a class opened with a roster is %+v", list)
	}
	for i, rs := range ros.Students {
		if !slices.Contains(list.Students, hub.JoinListEntry{ID: rs.ID, Name: rs.Name}) {
			t.Fatalf("%s is not on the join list %+v", rs.Name, list.Students)
		}
		var j hub.JoinResponse
		c.srv.post("/api/v1/join", "", map[string]string{"code": c.code, "student": string(rs.ID), "word": rs.Code}, &j)
		if j.Name != rs.Name {
			t.Fatalf("%s joined as %q", rs.Name, j.Name)
		}
		s := &wcStudent{wcClient: c.client(j.Name, fmt.Sprintf("s%d", i), j.Token, ""), id: j.Student}
		s.connect(false)
		c.pupils = append(c.pupils, s)
	}
	c.teacher.wait("every student online", func(fs []wcFrame) bool {
		online := map[protocol.StudentID]bool{}
		for _, f := range fs {
			if f.Event == protocol.EvPresence {
				p := decode[protocol.Presence](t, f.Data)
				online[p.Student] = p.Online
			}
		}
		for _, s := range c.pupils {
			if !online[s.id] {
				return false
			}
		}
		return true
	})
	return c
}

// script is the lesson: every command a class sends, in order. Olivia,
// Noah and Mason are the Otters; Amelia and Liam the Herons, whom Mr Diaz
// coaches. Amelia struggles; Liam raises his hand; Olivia and Noah write
// the Otters' notes; Mason takes an item before the restart and answers
// it only after. The other students, if any, are in groups of five and
// practise along with them: items, right and wrong answers, hints.
func (c *wcClass) script() []wcAction {
	const olivia, noah, mason, amelia, liam = 0, 1, 2, 3, 4
	members := map[string][]int{"Otters": {olivia, noah, mason}, "Herons": {amelia, liam}}
	order := []string{"Otters", "Herons"}
	for i := 5; i < len(c.pupils); i++ {
		g := (i - 5) / 5
		name := fmt.Sprintf("Team %d", g+1)
		if g < len(extraGroups) {
			name = extraGroups[g]
		}
		if len(members[name]) == 0 {
			order = append(order, name)
		}
		members[name] = append(members[name], i)
	}
	s := []wcAction{
		putStation("Teacher table", protocol.StationTeacherLed, nil),
		putStation("Laptops", protocol.StationOnline, &protocol.Activity{Title: "Fractions practice", URL: "https://practice.example.org/fractions"}),
		putStation("Build", protocol.StationCollab, nil),
		proposeGroups(),
		applyGroups(members, order),
		assignCoach("Herons"),
	}
	c.coachStep = len(s) - 1
	s = append(s,
		startRotation(),
		assignPractice(),
		practice(olivia, pNext), practice(noah, pNext), practice(mason, pNext), practice(amelia, pNext), practice(liam, pNext),
		practice(olivia, pRight), practice(noah, pWrong), practice(noah, pHint), practice(noah, pRight),
		practice(amelia, pWrong), practice(amelia, pHint), practice(amelia, pWrong), practice(amelia, pWrong),
		practice(amelia, pHint), practice(amelia, pWrong),
	)
	s = append(s, c.otherPractice()...)
	c.practisedStep = len(s)
	s = append(s,
		raiseHand(liam, "stuck on the second one"),
		editNotes(olivia, "Otters", "Bulb lights up."),
		editNotes(noah, "Otters", " It gets warm."),
		comment("Herons", "Good start. Which fraction did you compare first?"),
		announce("Pens down for a moment, eyes on the board.", "", ""),
		announce("Herons, bring your fraction strips to the board.", "Herons", ""),
		announce("Laptops: save your work now.", "", "Laptops"),
		pushActivity(noah, "Equivalent fractions, a second look"),
		setLevel(olivia, 0.7),
		sendToStation(liam, "Teacher table"),
		ackFlag(amelia, liam),
		practice(liam, pRight),
		assignCoach("Otters"),
		comment("Otters", "Nice notes. What makes it warm?"),
		editNotes(olivia, "Otters", " Then it stops."),
		practice(amelia, pWrong),
		practice(noah, pNext),
		practice(olivia, pWrong),
	)
	// The rest of the lesson: the whole-class controls, the rotation
	// steered by hand, and two changes that wait for the rotation's next
	// leg: a small group from the help queue (Mason and Noah struggle on
	// the skill Amelia struggles on) and a regrouping.
	s = append(s,
		// The script answers faster than anyone reads, which the gaming
		// rule would flag instead of the struggle: the class's thresholds
		// look at four answers, and no pace.
		setThresholds(`{"idle_watch_ms":3600000,"idle_act_now_ms":7200000,"struggle_window":4,"struggle_max_correct":0,"struggle_problems":0,"struggle_clear":2,"gaming_watch":10,"gaming_act_now":10}`),
		setLateRule(protocol.LateNone),
		offerChoices("Which story next?", "Rockets", "Rivers"),
		choose(olivia, "Rockets"),
		setInterest(noah, "volcanoes"),
		lowerHand(liam),
		putStation("Spare desks", protocol.StationIndependent, nil),
		removeStation("Spare desks"),
		pauseClass(true),
		pauseClass(false),
		rotate(protocol.RotatePause, "Herons", 0),
		rotate(protocol.RotateResume, "Herons", 0),
		rotate(protocol.RotateExtend, "", 120000),
	)
	for _, i := range []int{mason, noah} {
		for _, k := range []practiceKind{pWrong, pHint, pWrong, pWrong, pHint, pWrong} {
			s = append(s, practice(i, k))
		}
	}
	s = append(s, practice(amelia, pWrong))
	regroup := map[string][]int{}
	for name, ms := range members {
		regroup[name] = ms
	}
	regroup["Otters"], regroup["Herons"] = []int{olivia, amelia, liam}, []int{noah, mason}
	s = append(s,
		acceptSmallGroup(),
		proposeGroups(),
		applyGroupsAs(regroup, order, true),
		rotate(protocol.RotateAdvance, "", 0),
		assignCoach("Otters"),
		announce("Otters, welcome to your new group.", "Otters", ""),
		moveToGroup(liam, "Herons"),
		rotate(protocol.RotateEnd, "", 0),
	)
	return s
}

// otherPractice is the practice of the students beyond the scripted
// five, in turns as a class works: each takes an item, then answers it
// right or wrong and asks for hints, in one of three patterns.
func (c *wcClass) otherPractice() []wcAction {
	patterns := [][]practiceKind{
		{pNext, pWrong, pHint, pRight, pNext},
		{pNext, pRight, pWrong, pHint, pRight},
		{pNext, pHint, pWrong, pWrong, pRight},
	}
	var s []wcAction
	for turn := range patterns[0] {
		for i := 5; i < len(c.pupils); i++ {
			if p := patterns[(i-5)%len(patterns)]; turn < len(p) {
				s = append(s, practice(i, p[turn]))
			}
		}
	}
	return s
}

// --- the commands of the script ---

func putStation(name string, kind protocol.StationKind, act *protocol.Activity) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{
			what: "put station " + name, dev: c.teacher, typ: protocol.MsgPutStation, sig: "station/" + name,
			data: mustJSON(c.t, protocol.PutStation{Station: protocol.Station{Name: name, Kind: kind, Activity: act}}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("put station "+name, f)
				c.stations[name] = decode[struct{ Station protocol.StationID }](c.t, f.Data).Station
			},
		}
	}
}

func proposeGroups() wcAction {
	return func(c *wcClass) *wcStep {
		c.seed++
		seed := 1000 + c.seed
		return &wcStep{
			what: "propose groups", dev: c.teacher, typ: protocol.MsgProposeGroups, sig: fmt.Sprintf("proposal/%d", seed),
			data: mustJSON(c.t, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Seed: seed}}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("propose groups", f)
				c.proposal = decode[protocol.Proposal](c.t, f.Data).ID
			},
		}
	}
}

// applyGroups applies the teacher's edit of the latest proposal: the
// groups named, with these students.
func applyGroups(members map[string][]int, order []string) wcAction {
	return applyGroupsAs(members, order, false)
}

// applyGroupsAs applies the edit; scheduled says a rotation runs, so the
// class answers that the groups are formed at its next leg.
func applyGroupsAs(members map[string][]int, order []string, scheduled bool) wcAction {
	var self wcAction
	self = func(c *wcClass) *wcStep {
		var groups []protocol.ProposedGroup
		for _, name := range order {
			g := protocol.ProposedGroup{Name: name}
			for _, i := range members[name] {
				g.Members = append(g.Members, c.pupils[i].id)
			}
			groups = append(groups, g)
		}
		return &wcStep{
			what: "apply groups", dev: c.teacher, typ: protocol.MsgApplyGroups, sig: applySig(scheduled, c.seed),
			data: mustJSON(c.t, protocol.ApplyGroups{Proposal: c.proposal, Groups: groups}),
			after: func(f protocol.ServerFrame) {
				if f.Type == protocol.FrameError && f.Error.Code == protocol.CodeStale && c.restarted {
					// Students who came back late from the restart went
					// offline and online again, which changes the class
					// the proposal was made for: ask again. The restart
					// alone must not make it stale.
					if !c.presenceSince(c.proposalSeq()) {
						c.t.Errorf("the proposal went stale across the restart although no student came or went: %s", f.Error.Message)
					}
					c.t.Logf("the proposal went stale across the restart (presence changed): proposing again")
					c.run(proposeGroups())
					c.run(self)
					return
				}
				c.mustResult("apply groups", f)
				if scheduled {
					if r := decode[struct{ Scheduled bool }](c.t, f.Data); !r.Scheduled {
						c.t.Fatalf("apply groups during the rotation answered %s, want {\"scheduled\":true}", f.Data)
					}
					c.regroupWaits = true
					return
				}
				ids := decode[struct{ Groups []protocol.GroupID }](c.t, f.Data).Groups
				if len(ids) != len(order) {
					c.t.Fatalf("apply groups answered %s", f.Data)
				}
				for i, name := range order {
					c.groups[name] = ids[i]
				}
			},
		}
	}
	return self
}

func assignCoach(group string) wcAction {
	return func(c *wcClass) *wcStep {
		g := c.groups[group]
		return &wcStep{
			what: "give the coach " + group, dev: c.teacher, typ: protocol.MsgAssignCoach, sig: "coach/" + string(g),
			data: mustJSON(c.t, protocol.AssignCoach{Group: g, Coach: c.coachID, Assigned: true}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("assign coach", f)
				if c.coachAway {
					// His tablet comes back with a group of his own.
					c.coachAway = false
					c.coach.connect(false)
				}
				if c.coach == nil {
					// With a group, the coach's tablet may enter.
					c.coach = c.client("coach", "c", c.coachTo, c.room)
					w := c.coach.connect(false)
					v := decode[protocol.TeacherView](c.t, w.Snapshot)
					if w.Role != protocol.RoleCoach || len(v.Groups) != 1 || v.Groups[0].ID != g {
						c.t.Fatalf("the coach entered as %s with groups %+v", w.Role, v.Groups)
					}
				}
			},
		}
	}
}

func startRotation() wcAction {
	return func(c *wcClass) *wcStep {
		// Legs of four hours (the longest allowed): the rotation runs all
		// through the test, and no deadline falls due while the server is
		// down. No warnings.
		leg := int64(4 * time.Hour / time.Millisecond)
		plan := protocol.RotationPlan{
			Stations: []protocol.StationID{c.stations["Teacher table"], c.stations["Laptops"], c.stations["Build"]},
			Legs:     []int64{leg, leg, leg}, WarnMs: -1,
		}
		return &wcStep{what: "start the rotation", dev: c.teacher, typ: protocol.MsgStartRotation, sig: "rotation/start",
			data: mustJSON(c.t, protocol.StartRotation{Plan: plan})}
	}
}

func assignPractice() wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{
			what: "assign practice", dev: c.teacher, typ: protocol.MsgAssignPractice, sig: "practice/fractions-5/frac-equivalence",
			data: mustJSON(c.t, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("assign practice", f)
				if n := decode[struct{ Students int }](c.t, f.Data).Students; n != len(c.pupils) {
					c.t.Errorf("practice was given to %d students, want %d", n, len(c.pupils))
				}
			},
		}
	}
}

type practiceKind int

const (
	pNext practiceKind = iota
	pRight
	pWrong
	pHint
)

// practice is a student's next move: the next item when nothing is in
// front of them, else a right or wrong answer or a hint.
func practice(i int, kind practiceKind) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		it := c.bank.Item(s.item)
		if s.item != "" && it == nil {
			c.t.Fatalf("%s has item %s, which the bank does not have", s.name, s.item)
		}
		if kind == pHint && it != nil && s.hints >= len(it.Hints) {
			kind = pWrong // no hint left: answer instead
		}
		st := &wcStep{dev: s.wcClient}
		switch {
		case s.item == "" || kind == pNext:
			st.what, st.typ, st.data = s.name+" asks for an item", protocol.MsgNextItem, json.RawMessage(`{}`)
			st.after = func(f protocol.ServerFrame) {
				if c.practiceRefused(s, st, f) {
					return
				}
				r := decode[struct {
					Item *protocol.ItemView
					Done bool
				}](c.t, f.Data)
				switch {
				case r.Item != nil:
					if s.item != r.Item.ID {
						s.item, s.hints = r.Item.ID, 0
					}
				case r.Done:
					s.item, s.done = "", true
				default:
					c.t.Fatalf("%s: next_item answered %s", s.name, f.Data)
				}
			}
		case kind == pHint:
			st.what, st.typ, st.sig = fmt.Sprintf("%s asks for a hint on %s", s.name, s.item), protocol.MsgHint, fmt.Sprintf("hint/%s/%s", s.id, s.item)
			st.data = mustJSON(c.t, protocol.Hint{Item: s.item})
			st.after = func(f protocol.ServerFrame) {
				if c.practiceRefused(s, st, f) {
					return
				}
				r := decode[struct{ Index int }](c.t, f.Data)
				if r.Index != s.hints {
					c.t.Errorf("%s: hint %d of %s, want %d", s.name, r.Index, s.item, s.hints)
				}
				s.hints = r.Index + 1
			}
		default:
			right := kind == pRight
			resp := response(it, right)
			st.what = fmt.Sprintf("%s answers %s %q (%s)", s.name, s.item, resp, map[bool]string{true: "right", false: "wrong"}[right])
			st.typ, st.sig = protocol.MsgAnswer, fmt.Sprintf("attempt/%s/%s", s.id, s.item)
			st.data = mustJSON(c.t, protocol.Answer{Item: s.item, Response: resp})
			st.after = func(f protocol.ServerFrame) {
				if c.practiceRefused(s, st, f) {
					return
				}
				r := decode[struct {
					Correct bool
					Next    *protocol.ItemView
				}](c.t, f.Data)
				if r.Correct != right {
					c.t.Errorf("%s: graded correct=%v", st.what, r.Correct)
				}
				switch {
				case r.Correct:
					s.item, s.hints = "", 0
				case r.Next != nil:
					s.item, s.hints = r.Next.ID, 0
				}
			}
		}
		return st
	}
}

// practiceRefused reports a refused move of practice, which the script
// never makes on purpose, and brings what the test knows of the student's
// practice up to date from their view, so that the class goes on.
func (c *wcClass) practiceRefused(s *wcStudent, st *wcStep, f protocol.ServerFrame) bool {
	c.t.Helper()
	if f.Type == protocol.FrameResult {
		return false
	}
	c.t.Errorf("%s (%s): answered %s", st.what, st.id, frameText(f))
	c.resync(s)
	return true
}

// resync brings what the test knows of a student's practice up to date
// from their view.
func (c *wcClass) resync(s *wcStudent) {
	v := s.fresh("resync")
	w := v.connect(false)
	v.close()
	sv := decode[protocol.StudentView](c.t, w.Snapshot)
	s.item, s.hints, s.done = "", 0, false
	if p := sv.Practice; p != nil && p.Item != nil {
		s.item, s.hints = p.Item.ID, len(p.Hints)
	}
}

// response is a right or a wrong answer to it, as a student types it.
func response(it *content.Item, right bool) string {
	switch it.Kind {
	case protocol.ItemChoice:
		if right {
			return it.Choices[it.Correct]
		}
		return it.Choices[(it.Correct+1)%len(it.Choices)]
	case protocol.ItemNumeric:
		if right {
			return it.ValueText
		}
		if it.Value == -1 {
			return "-2"
		}
		return "-1"
	default:
		if right {
			return it.Accept[0]
		}
		return "no idea"
	}
}

func raiseHand(i int, note string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: s.name + " raises a hand", dev: s.wcClient, typ: protocol.MsgRaiseHand,
			sig: fmt.Sprintf("hand/%s/%s", s.id, note), data: mustJSON(c.t, protocol.RaiseHand{Note: note})}
	}
}

// editNotes appends text to a group's notes, from the notes as the
// student's device has them (the answers to the edits before).
func editNotes(i int, group, text string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		op := protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: c.notesRev[group],
			Edits: []protocol.TextEdit{{Pos: len([]rune(c.notes[group])), Ins: text}}}
		return &wcStep{
			what: fmt.Sprintf("%s writes %q in the %s' notes", s.name, text, group), dev: s.wcClient, typ: protocol.MsgEditWorkspace,
			sig:  fmt.Sprintf("notes/%s/%s", s.id, text),
			data: mustJSON(c.t, protocol.EditWorkspace{Group: c.groups[group], Op: op}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("edit notes", f)
				r := decode[struct{ Op protocol.WorkspaceOp }](c.t, f.Data)
				c.notes[group] += text
				c.notesRev[group] = r.Op.NotesBase + 1
			},
		}
	}
}

func comment(group, text string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "the coach comments on the " + group, dev: c.coach, typ: protocol.MsgEditWorkspace, sig: "comment/" + text,
			data: mustJSON(c.t, protocol.EditWorkspace{Group: c.groups[group], Op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: text}})}
	}
}

func announce(text, group, station string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "announce " + strconv.Quote(text), dev: c.teacher, typ: protocol.MsgAnnounce, sig: "announce/" + text,
			data: mustJSON(c.t, protocol.Announce{Text: text, Group: c.groups[group], Station: c.stations[station]})}
	}
}

func pushActivity(i int, title string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "push an activity to " + c.pupils[i].name, dev: c.teacher, typ: protocol.MsgPushActivity, sig: "activity/" + title,
			data: mustJSON(c.t, protocol.PushActivity{Activity: protocol.Activity{Title: title, Text: "Fold the strip in halves, then quarters."},
				To: protocol.Target{Student: c.pupils[i].id}})}
	}
}

func setLevel(i int, level float64) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: "set " + s.name + "'s level", dev: c.teacher, typ: protocol.MsgSetLevel, sig: fmt.Sprintf("level/%s/%g", s.id, level),
			data: mustJSON(c.t, protocol.SetLevel{Student: s.id, Level: level})}
	}
}

func sendToStation(i int, station string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: "send " + s.name + " to " + station, dev: c.teacher, typ: protocol.MsgMoveStudent,
			sig:  fmt.Sprintf("placement/%s/%s", s.id, c.stations[station]),
			data: mustJSON(c.t, protocol.MoveStudent{Student: s.id, Station: c.stations[station]})}
	}
}

// ackFlag acknowledges the struggling student's live flag, or, if the
// detectors raised none, the flag of the student whose hand is up.
func ackFlag(struggling, hand int) wcAction {
	return func(c *wcClass) *wcStep {
		sid, hid := c.pupils[struggling].id, c.pupils[hand].id
		// The hand's flag comes after the struggling student's answers in
		// the log: once the console has it, it has theirs.
		c.teacher.wait("the flag of the raised hand", func(fs []wcFrame) bool {
			return slices.ContainsFunc(fs, func(f wcFrame) bool {
				if f.Event != protocol.EvFlag {
					return false
				}
				fl := decode[protocol.FlagChanged](c.t, f.Data).Flag
				return fl.Student == hid && fl.Rule == protocol.RuleHelp
			})
		})
		var id, help protocol.FlagID
		for _, f := range c.teacher.frames() {
			if f.Event != protocol.EvFlag {
				continue
			}
			fl := decode[protocol.FlagChanged](c.t, f.Data).Flag
			live := fl.Status != protocol.FlagCleared && fl.Status != protocol.FlagResolved
			switch {
			case fl.Student == sid && fl.Rule != protocol.RuleHelp && live:
				id = fl.ID
			case fl.Student == sid && fl.ID == id && !live:
				id = ""
			case fl.Student == hid && fl.Rule == protocol.RuleHelp:
				help = fl.ID
			}
		}
		if id == "" {
			id = help
		}
		return &wcStep{what: "acknowledge flag " + string(id), dev: c.teacher, typ: protocol.MsgFlagAction, sig: "flagack/" + string(id),
			data: mustJSON(c.t, protocol.FlagAction{Flag: id, Action: "ack"})}
	}
}

func setThresholds(th string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "set the thresholds " + th, dev: c.teacher, typ: protocol.MsgSetThresholds, sig: "thresholds",
			data: mustJSON(c.t, protocol.SetThresholds{Thresholds: json.RawMessage(th)})}
	}
}

func setLateRule(rule protocol.LateRule) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "late joiners: " + string(rule), dev: c.teacher, typ: protocol.MsgSetLateRule, sig: "late/" + string(rule),
			data: mustJSON(c.t, protocol.SetLateRule{Rule: rule})}
	}
}

func offerChoices(prompt string, options ...string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "offer " + strings.Join(options, ", "), dev: c.teacher, typ: protocol.MsgOfferChoices, sig: "choices/" + prompt,
			data: mustJSON(c.t, protocol.OfferChoices{Prompt: prompt, Options: options})}
	}
}

func choose(i int, option string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: s.name + " chooses " + option, dev: s.wcClient, typ: protocol.MsgChoose, sig: fmt.Sprintf("choice/%s/%s", s.id, option),
			data: mustJSON(c.t, protocol.Choose{Option: option})}
	}
}

func setInterest(i int, interest string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: s.name + " is interested in " + interest, dev: s.wcClient, typ: protocol.MsgSetInterest,
			sig: fmt.Sprintf("interest/%s/%s", s.id, interest), data: mustJSON(c.t, protocol.SetInterest{Interest: interest})}
	}
}

// lowerHand is the teacher lowering a student's raised hand.
func lowerHand(i int) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: "lower " + s.name + "'s hand", dev: c.teacher, typ: protocol.MsgLowerHand, sig: fmt.Sprintf("lowered/%s", s.id),
			data: mustJSON(c.t, protocol.LowerHand{Student: s.id})}
	}
}

// moveToGroup moves a student into another group. Its events (the two
// groups and their summary) are not counted: the views before and after
// a kill and the streams say whether it happened once.
func moveToGroup(i int, group string) wcAction {
	return func(c *wcClass) *wcStep {
		s := c.pupils[i]
		return &wcStep{what: "move " + s.name + " to the " + group, dev: c.teacher, typ: protocol.MsgMoveStudent,
			data: mustJSON(c.t, protocol.MoveStudent{Student: s.id, Group: c.groups[group]})}
	}
}

func removeStation(name string) wcAction {
	return func(c *wcClass) *wcStep {
		return &wcStep{what: "remove station " + name, dev: c.teacher, typ: protocol.MsgRemoveStation, sig: "unstation/" + name,
			data: mustJSON(c.t, protocol.RemoveStation{Station: c.stations[name]})}
	}
}

func pauseClass(pause bool) wcAction {
	return func(c *wcClass) *wcStep {
		typ, what := protocol.MsgResumeClass, "resume the class"
		if pause {
			typ, what = protocol.MsgPauseClass, "pause the class"
		}
		return &wcStep{what: what, dev: c.teacher, typ: typ, sig: fmt.Sprintf("paused/%v", pause), data: json.RawMessage(`{}`)}
	}
}

// rotate steers the rotation by hand. Advancing it is the next leg: the
// regrouping and the small group that waited for it are formed then, in
// the same step.
func rotate(action protocol.RotateAction, group string, ms int64) wcAction {
	return func(c *wcClass) *wcStep {
		st := &wcStep{what: fmt.Sprintf("rotation: %s %s", action, group), dev: c.teacher, typ: protocol.MsgRotate,
			sig:  fmt.Sprintf("rotation/%s/%s", action, c.groups[group]),
			data: mustJSON(c.t, protocol.Rotate{Action: action, Group: c.groups[group], Ms: ms})}
		if action == protocol.RotateAdvance && c.regroupWaits {
			// The groups the coach coached go with this leg, and his
			// tablet with them, until he is given one of the new groups.
			if c.coach != nil && !c.coachAway {
				c.coach.close()
				c.coachAway = true
			}
			st.after = func(f protocol.ServerFrame) {
				c.mustResult(st.what, f)
				st.also = append(c.regrouped(), "rotation/regroup", "regroup")
			}
		}
		return st
	}
}

// smallGroupFormed reports whether the student is in the small group
// formed at the rotation's next leg.
func (c *wcClass) smallGroupFormed(sid protocol.StudentID) bool {
	return slices.ContainsFunc(c.teacher.frames(), func(f wcFrame) bool {
		if f.Event != protocol.EvSmallGroup {
			return false
		}
		sg := decode[protocol.SmallGroupChanged](c.t, f.Data)
		return sg.Change == "formed" && slices.ContainsFunc(sg.SmallGroup.Students, func(m protocol.Member) bool { return m.ID == sid })
	})
}

// regrouped takes the names of the groups formed at the rotation's next
// leg.
//
// It returns what else the leg did, as the steps name it: the small group
// formed, and its students placed at the teacher-led station.
func (c *wcClass) regrouped() []string {
	var gs protocol.Groups
	var from uint64
	c.teacher.wait("the groups formed at the next leg", func(fs []wcFrame) bool {
		for _, f := range fs {
			if f.Event == protocol.EvGroups {
				if g := decode[protocol.Groups](c.t, f.Data); g.Proposal != "" {
					gs, from = g, f.Seq
					return true
				}
			}
		}
		return false
	})
	for _, g := range gs.Groups {
		c.groups[g.Name] = g.ID
	}
	var also []string
	if c.smallGroup != "" {
		also = append(also, "smallgroup/formed/"+string(c.smallGroup))
		var to uint64
		c.teacher.wait("the small group formed at the next leg", func(fs []wcFrame) bool {
			for _, f := range fs {
				if f.Event == protocol.EvSmallGroup {
					if sg := decode[protocol.SmallGroupChanged](c.t, f.Data); sg.Change == "formed" && sg.SmallGroup.ID == c.smallGroup {
						to = f.Seq
						return true
					}
				}
			}
			return false
		})
		for _, f := range c.teacher.events(from, to) {
			if f.Event == protocol.EvPlacement {
				p := decode[protocol.Placement](c.t, f.Data)
				also = append(also, fmt.Sprintf("placement/%s/%s", p.Student, p.Station))
			}
		}
	}
	return also
}

// acceptSmallGroup accepts the help queue's proposal of a small group
// while the rotation runs: it waits for the next leg.
func acceptSmallGroup() wcAction {
	return func(c *wcClass) *wcStep {
		var g protocol.SmallGroup
		err := c.teacher.waitErr("a small group proposed from the flags", func(fs []wcFrame) bool {
			for _, f := range fs {
				if f.Event != protocol.EvSmallGroup {
					continue
				}
				sg := decode[protocol.SmallGroupChanged](c.t, f.Data).SmallGroup
				if sg.ID == g.ID || g.ID == "" {
					g = sg
				}
			}
			return g.Status == protocol.SmallGroupProposed
		})
		if err != nil {
			var flags []string
			for _, f := range c.teacher.frames() {
				if f.Event == protocol.EvFlag || f.Event == protocol.EvSmallGroup {
					flags = append(flags, fmt.Sprintf("%d %s %s", f.Seq, f.Event, short(f.Data)))
				}
			}
			c.t.Fatalf("%v\nthe console's flags and small groups:\n%s", err, strings.Join(flags, "\n"))
		}
		if len(g.Students) < 3 {
			c.t.Fatalf("the small group proposed has %d students: %+v", len(g.Students), g)
		}
		c.smallGroup = g.ID
		return &wcStep{
			what: "accept the small group on " + string(g.Skill), dev: c.teacher, typ: protocol.MsgSmallGroupAction,
			sig:  "smallgroup/accepted/" + string(g.ID),
			data: mustJSON(c.t, protocol.SmallGroupAction{SmallGroup: g.ID, Action: protocol.SmallGroupAccept}),
			after: func(f protocol.ServerFrame) {
				c.mustResult("accept the small group", f)
				if r := decode[struct{ Status protocol.SmallGroupStatus }](c.t, f.Data); r.Status != protocol.SmallGroupScheduled {
					c.t.Errorf("accepting a small group during the rotation answered %s, want status scheduled", f.Data)
				}
			},
		}
	}
}

// applySig names what applying groups shows in the log: the groups, or,
// while a rotation runs, the proposal kept for its next leg.
func applySig(scheduled bool, seed int64) string {
	if scheduled {
		return fmt.Sprintf("schedule/%d", 1000+seed)
	}
	return "apply"
}

// --- running the script ---

func (c *wcClass) build(a wcAction) *wcStep { return a(c) }

func (c *wcClass) send(st *wcStep) {
	st.id = st.dev.send(st.typ, st.data)
	c.steps = append(c.steps, st)
}

// run sends a command and waits for its answer.
func (c *wcClass) run(a wcAction) *wcStep {
	c.t.Helper()
	st := c.build(a)
	c.send(st)
	c.finish(st, st.dev.answer(st.id))
	return st
}

func (c *wcClass) finish(st *wcStep, f protocol.ServerFrame) {
	c.t.Helper()
	st.final = &f
	if st.first == nil {
		st.first = &f
	}
	if st.after != nil {
		st.after(f)
		return
	}
	c.mustResult(st.what, f)
}

func (c *wcClass) mustResult(what string, f protocol.ServerFrame) {
	c.t.Helper()
	if f.Type != protocol.FrameResult {
		c.t.Fatalf("%s: answered %s %+v", what, f.Type, f.Error)
	}
}

func (c *wcClass) proposalSeq() uint64 {
	var seq uint64
	for _, f := range c.teacher.frames() {
		if f.Event == protocol.EvProposal && decode[protocol.Proposal](c.t, f.Data).ID == c.proposal {
			seq = f.Seq
		}
	}
	return seq
}

// presenceSince reports whether the console got a presence event after seq.
func (c *wcClass) presenceSince(seq uint64) bool {
	return slices.ContainsFunc(c.teacher.frames(), func(f wcFrame) bool { return f.Event == protocol.EvPresence && f.Seq > seq })
}

// pickAnswered picks a command answered before the kill, to send again
// with its request ID after the restart: one whose repeat would show (it
// has an event), other than the one in flight.
func (c *wcClass) pickAnswered(not *wcStep) *wcStep {
	var cands []*wcStep
	for _, st := range c.steps {
		if st != not && st.sig != "" && st.final != nil && st.final.Type == protocol.FrameResult {
			cands = append(cands, st)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[c.rng.IntN(len(cands))]
}

// --- the restart ---

func (c *wcClass) devices() []*wcClient {
	var ds []*wcClient
	for _, s := range c.pupils {
		ds = append(ds, s.wcClient)
	}
	ds = append(ds, c.teacher)
	if c.coach != nil && !c.coachAway {
		ds = append(ds, c.coach)
	}
	return append(ds, c.wall)
}

// restart stops the server with the subtest's signal, starts it again on
// the same data folder, and every device resumes, all at once, as a
// classroom's devices do when the server is back. It logs how long that
// took.
func (c *wcClass) restart() {
	t := c.t
	p := c.srv
	if err := p.cmd.Process.Signal(c.sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not exit within 30s of %v\n%s", c.sig, tail(p.logs.String(), 40))
	}
	if c.sig == syscall.SIGTERM && p.exitErr != nil {
		t.Errorf("after SIGTERM the server exited with %v\n%s", p.exitErr, tail(p.logs.String(), 40))
	}
	if strings.Contains(p.logs.String(), "panic") {
		t.Errorf("the server panicked before the restart:\n%s", tail(p.logs.String(), 60))
	}
	devs := c.devices()
	for _, d := range devs {
		err := d.waitClosed()
		if code := websocket.CloseStatus(err); c.sig == syscall.SIGTERM && code != websocket.StatusCode(protocol.CloseRestart) {
			t.Errorf("on SIGTERM %s was closed with %d (%v), want %d", d.name, code, err, protocol.CloseRestart)
		}
	}

	execAt := time.Now()
	c.srv = startServer(t, c.data)
	readyAt := c.waitReady()
	c.restarted = true
	type resumed struct {
		epoch  string
		offset uint64
		w      protocol.Welcome
		err    error
	}
	rs := make([]resumed, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		d.mu.Lock()
		rs[i].epoch, rs[i].offset = d.epoch, d.offset
		d.mu.Unlock()
		wg.Go(func() {
			w, err := d.dial(true)
			if err == nil {
				// The answer to a ping comes after the resume's last event.
				var id string
				if id, err = d.sendErr(protocol.MsgPing, json.RawMessage(`{}`)); err == nil {
					_, err = d.answerErr(id)
				}
			}
			rs[i].w, rs[i].err = w, err
		})
	}
	wg.Wait()
	var first, last time.Time
	var offset uint64
	for i, d := range devs {
		r := rs[i]
		offset = max(offset, r.w.Offset)
		switch {
		case r.err != nil:
			t.Fatalf("%s did not resume: %v", d.name, r.err)
		case !r.w.Resumed:
			t.Errorf("%s asked to resume from %d of %s and got a snapshot instead: %+v", d.name, r.offset, r.epoch, r.w.Reason)
		case r.w.Epoch != r.epoch:
			t.Errorf("%s resumed in epoch %s, had %s", d.name, r.w.Epoch, r.epoch)
		case r.w.Offset < r.offset:
			t.Errorf("%s resumed from %d, but the class is at %d", d.name, r.offset, r.w.Offset)
		}
		d.mu.Lock()
		if d.welcomed.After(last) {
			last = d.welcomed
		}
		if first.IsZero() || d.welcomed.Before(first) {
			first = d.welcomed
		}
		d.mu.Unlock()
	}
	// Reported, never asserted: a shared machine makes any bound either
	// loose or flaky. The first device's welcome waits for the class to
	// be read back from its log; the others, for their turn after it.
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	t.Logf("restart-to-resumed: signal=%s students=%d devices=%d events=%d from_exec=%s from_ready=%s first_from_ready=%s",
		sigName[c.sig], len(c.pupils), len(devs), offset, ms(last.Sub(execAt)), ms(last.Sub(readyAt)), ms(first.Sub(readyAt)))
}

// waitReady polls the new process's /readyz until it answers 200, and
// returns when it did.
func (c *wcClass) waitReady() time.Time {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(c.srv.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("status %d", res.StatusCode)
			}
			c.t.Fatalf("/readyz did not answer 200 within 30s (last: %v)\n%s", err, tail(c.srv.logs.String(), 30))
		}
		select {
		case <-c.srv.exited:
			c.t.Fatalf("the server exited before it was ready: %v\n%s", c.srv.exitErr, tail(c.srv.logs.String(), 30))
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// settle waits until presence has settled after the restart: each
// student's device sends a command the class answers, which it does only
// after it took in the device's return (the device's hello comes first on
// its connection). A student who took longer than the grace period went
// offline and is online again by then.
func (c *wcClass) settle() {
	for _, s := range c.pupils {
		id := s.send(protocol.MsgChoose, mustJSON(c.t, protocol.Choose{Option: "anything"}))
		// Nothing offered (wrong_state), or not one of the options offered.
		if f := s.answer(id); f.Error == nil || (f.Error.Code != protocol.CodeWrongState && f.Error.Code != protocol.CodeInvalid) {
			c.t.Errorf("%s: choose of no option answered %s %+v, want wrong_state or invalid", s.name, f.Type, f.Error)
		}
	}
	away := 0
	for _, f := range c.teacher.frames() {
		if f.conn == c.teacher.conn && f.Event == protocol.EvPresence && !decode[protocol.Presence](c.t, f.Data).Online {
			away++
		}
	}
	c.t.Logf("%d student(s) came back after the grace period, and were shown offline meanwhile", away)
}

// views takes each role's view of the class: the snapshot a fresh
// connection of that person gets. It also returns the offset of the
// teacher's.
func (c *wcClass) views() (map[string]json.RawMessage, uint64) {
	vs := map[string]json.RawMessage{}
	var offset uint64
	for _, d := range c.devices() {
		v := d.fresh("view")
		w := v.connect(false)
		v.close()
		if w.Resumed || len(w.Snapshot) == 0 {
			c.t.Fatalf("a fresh connection of %s got no snapshot: %+v", d.name, w)
		}
		vs[d.name] = w.Snapshot
		if d == c.wall {
			c.wallViews = append(c.wallViews, w.Snapshot)
		}
		if d == c.teacher {
			offset = w.Offset
		}
	}
	return vs, offset
}

// compareViews compares the views before and after the restart. Nothing
// of them is left out: the test takes the views at quiet moments, with
// every student online before and, once presence settled, after;
// deadlines and other times in them are absolute. Only when the command
// in flight ran before the kill do they legitimately differ, and then
// only for those who may see its events: a view changes only by events
// its viewer may see.
func (c *wcClass) compareViews(before, after map[string]json.RawMessage, quiet uint64, mode int) {
	t := c.t
	// What each device got after the quiet moment, presence aside: its
	// resume has been read to the end (restart waits for that).
	grew := func(d *wcClient) []string {
		var out []string
		for _, f := range d.frames() {
			if f.Type == protocol.FrameEvent && f.Seq > quiet && f.Event != protocol.EvPresence {
				out = append(out, fmt.Sprintf("%d %s %s", f.Seq, f.Event, short(f.Data)))
			}
		}
		return out
	}
	since := grew(c.teacher)
	c.ranBefore = len(since) > 0
	switch {
	case len(since) > 0 && mode == killRacing:
		t.Logf("the command in flight ran before the kill:\n%s", strings.Join(since, "\n"))
	case len(since) > 0:
		t.Errorf("the log grew across the restart without any command:\n%s", strings.Join(since, "\n"))
	}
	for _, d := range c.devices() {
		b, ok := before[d.name]
		if !ok {
			continue // the coach, before the coach had a group
		}
		if mode == killRacing && len(grew(d)) > 0 {
			t.Logf("the view of %s is not compared: the command in flight changed it before the kill", d.name)
			continue
		}
		a, ok := after[d.name]
		if !ok {
			t.Errorf("after the restart there is no view of %s", d.name)
			continue
		}
		var x, y any
		_ = json.Unmarshal(b, &x)
		_ = json.Unmarshal(a, &y)
		var diffs []string
		diffJSON(d.name, x, y, &diffs)
		if len(diffs) > 0 {
			if len(diffs) > 20 {
				diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
			}
			t.Errorf("the view of %s changed across the restart (before → after):\n%s", d.name, strings.Join(diffs, "\n"))
		}
	}
}

// retry sends the command that was in flight, and one answered before the
// kill, again with their request IDs: each must get its first answer.
func (c *wcClass) retry(inflight, old *wcStep) {
	t := c.t
	if inflight != nil {
		first := inflight.first
		if first == nil {
			// SIGTERM may let the answer through before the device is
			// closed: then the device has it.
			if f, ok := inflight.dev.firstAnswer(inflight.id); ok {
				first = &f
			}
		}
		inflight.dev.write(inflight.id, inflight.typ, inflight.data)
		f := inflight.dev.answer(inflight.id)
		switch {
		case first != nil:
			if !sameAnswer(*first, f) {
				t.Errorf("%s, sent again with its request ID %s after the restart, was answered %s, and the first time %s",
					inflight.what, inflight.id, frameText(f), frameText(*first))
			}
			// What the command did is what its first answer says.
			inflight.first = first
			c.finish(inflight, *first)
		case f.Type == protocol.FrameError:
			ran := "did not run"
			if c.ranBefore {
				ran = "ran"
			}
			t.Errorf("%s was in flight at the kill (it %s before the kill); sent again with its request ID %s, it was refused: %s",
				inflight.what, ran, inflight.id, frameText(f))
			// Its events are in the log once if it ran before the kill.
			inflight.ran = c.ranBefore
			c.finish(inflight, f)
		default:
			c.finish(inflight, f)
		}
	}
	if old != nil {
		old.dev.write(old.id, old.typ, old.data)
		f := old.dev.answer(old.id)
		t.Logf("sent %q again with its request ID %s", old.what, old.id)
		if !sameAnswer(*old.first, f) {
			t.Errorf("%s, answered before the restart, sent again with its request ID %s, was answered %s; the first answer was %s",
				old.what, old.id, frameText(f), frameText(*old.first))
		}
	}
}

// --- the checks ---

// checkStreams checks every device's stream of events: in order, nothing
// twice, and, since the device first connected, exactly what a fresh
// connection of the same person resuming from offset 0 gets. Then that
// each command is in the log once.
func (c *wcClass) checkStreams(when string) {
	t := c.t
	c.markers++
	mk := c.run(announce(fmt.Sprintf("Marker %d: everything before this has reached you.", c.markers), "", ""))
	end := decode[struct{ Seq uint64 }](t, mk.final.Data).Seq
	var log []wcFrame
	for _, d := range c.devices() {
		d.waitSeq(end)
		d.checkOrder(when)
		fresh := d.fresh("check")
		d.mu.Lock()
		fresh.epoch = d.epoch
		d.mu.Unlock()
		w := fresh.connect(true)
		if !w.Resumed {
			t.Errorf("%s: %s a resume from offset 0 got a snapshot: %+v", when, d.name, w.Reason)
			fresh.close()
			continue
		}
		fresh.waitSeq(end)
		fresh.close()
		all := fresh.events(0, end)
		d.mu.Lock()
		first := d.first
		live := eventsIn(d.all[d.firstIdx:], first, end)
		d.mu.Unlock()
		want := eventsIn(all, first, end)
		compareStreams(t, fmt.Sprintf("%s: %s since offset %d", when, d.name, first), live, want)
		if d == c.teacher {
			log = all
		}
	}
	c.checkOnce(when, log)
}

// compareStreams reports how a device's events differ from those it
// should have.
func compareStreams(t *testing.T, who string, got, want []wcFrame) {
	t.Helper()
	gotBy, wantBy := map[uint64]wcFrame{}, map[uint64]wcFrame{}
	for _, f := range got {
		gotBy[f.Seq] = f
	}
	for _, f := range want {
		wantBy[f.Seq] = f
	}
	var problems []string
	for _, f := range want {
		g, ok := gotBy[f.Seq]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("seq %d %s %s: the resume gives it, the device never got it", f.Seq, f.Event, short(f.Data)))
		case g.Event != f.Event || g.Time != f.Time || g.Epoch != f.Epoch || !sameJSON(g.Data, f.Data):
			problems = append(problems, fmt.Sprintf("seq %d differs: got %s %s, resume gives %s %s", f.Seq, g.Event, short(g.Data), f.Event, short(f.Data)))
		}
	}
	for _, f := range got {
		if _, ok := wantBy[f.Seq]; !ok {
			problems = append(problems, fmt.Sprintf("seq %d %s %s: the device got it, the resume does not give it", f.Seq, f.Event, short(f.Data)))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 15 {
			problems = append(problems[:15], fmt.Sprintf("... and %d more", len(problems)-15))
		}
		t.Errorf("%s: the device's events (%d) are not those a resume from offset 0 gives (%d):\n%s", who, len(got), len(want), strings.Join(problems, "\n"))
	}
}

// checkOnce checks that every command the class answered with a result
// is in the log exactly once, and that the log has nothing that no command
// made.
func (c *wcClass) checkOnce(when string, log []wcFrame) {
	want := map[string][]string{}
	for _, st := range c.steps {
		if st.sig != "" && st.final != nil && (st.final.Type == protocol.FrameResult || st.ran) {
			want[st.sig] = append(want[st.sig], st.id)
			for _, sig := range st.also {
				want[sig] = append(want[sig], st.id)
			}
		}
	}
	got := eventSigs(c.t, log, c.coachID)
	for _, sig := range sortedKeys(got) {
		if got[sig] != len(want[sig]) {
			c.t.Errorf("%s: the log has %d× %s, from %d command(s) %v", when, got[sig], sig, len(want[sig]), want[sig])
		}
	}
	for _, sig := range sortedKeys(want) {
		if got[sig] == 0 {
			c.t.Errorf("%s: the log has no %s, though command(s) %v were answered", when, sig, want[sig])
		}
	}
}

// eventSigs names what each event says a command did, as the steps name
// it, and counts them.
func eventSigs(t *testing.T, log []wcFrame, coach protocol.CoachID) map[string]int {
	sigs := map[string]int{}
	stations := map[protocol.StationID]string{}
	coaches := map[protocol.GroupID]bool{}
	groups := map[protocol.GroupID]bool{}
	for _, f := range log {
		switch f.Event {
		case protocol.EvStations:
			now := map[protocol.StationID]bool{}
			for _, s := range decode[protocol.Stations](t, f.Data).Stations {
				if stations[s.ID] == "" {
					sigs["station/"+s.Name]++
				}
				stations[s.ID], now[s.ID] = s.Name, true
			}
			for id, name := range stations {
				if !now[id] {
					sigs["unstation/"+name]++
					delete(stations, id)
				}
			}
		case protocol.EvProposal:
			p := decode[protocol.Proposal](t, f.Data)
			if p.Scheduled {
				sigs[fmt.Sprintf("schedule/%d", p.Request.Seed)]++
			} else {
				sigs[fmt.Sprintf("proposal/%d", p.Request.Seed)]++
			}
		case protocol.EvGroups:
			// A regrouping is groups all new; a small group formed adds
			// one to those there were.
			gs := decode[protocol.Groups](t, f.Data)
			fresh := !slices.ContainsFunc(gs.Groups, func(g protocol.GroupSummary) bool { return groups[g.ID] })
			switch {
			case gs.Proposal != "":
				sigs["regroup"]++
			case fresh:
				sigs["apply"]++
			}
			for _, g := range gs.Groups {
				groups[g.ID] = true
			}
		case protocol.EvThresholds:
			sigs["thresholds"]++
		case protocol.EvLateRule:
			sigs["late/"+string(decode[protocol.LateRuleSet](t, f.Data).Rule)]++
		case protocol.EvChoices:
			sigs["choices/"+decode[protocol.Choices](t, f.Data).Prompt]++
		case protocol.EvChoice:
			ch := decode[protocol.Choice](t, f.Data)
			if ch.Option != nil {
				sigs[fmt.Sprintf("choice/%s/%s", ch.Student, *ch.Option)]++
			}
			if ch.Interest != nil {
				sigs[fmt.Sprintf("interest/%s/%s", ch.Student, *ch.Interest)]++
			}
		case protocol.EvClassPaused:
			sigs[fmt.Sprintf("paused/%v", decode[protocol.ClassPaused](t, f.Data).Paused)]++
		case protocol.EvSmallGroup:
			sg := decode[protocol.SmallGroupChanged](t, f.Data)
			switch sg.Change {
			case "accepted", "formed":
				sigs[fmt.Sprintf("smallgroup/%s/%s", sg.Change, sg.SmallGroup.ID)]++
			}
		case protocol.EvGroup:
			g := decode[protocol.GroupChanged](t, f.Data).Group
			has := slices.Contains(g.Coaches, coach)
			if has && !coaches[g.ID] {
				sigs["coach/"+string(g.ID)]++
			}
			coaches[g.ID] = has
		case protocol.EvRotation:
			r := decode[protocol.RotationChanged](t, f.Data)
			if len(r.Actions) == 0 {
				break
			}
			switch a := r.Actions[0]; a.Kind {
			case "start", "regroup":
				sigs["rotation/"+a.Kind]++
			case "pause", "resume", "extend", "advance", "end":
				sigs[fmt.Sprintf("rotation/%s/%s", a.Kind, a.Group)]++
			}
		case protocol.EvPractice:
			p := decode[protocol.PracticeStarted](t, f.Data)
			sigs[fmt.Sprintf("practice/%s/%s", p.Set.Bank, p.Set.Set)]++
		case protocol.EvAttempt:
			a := decode[protocol.Attempted](t, f.Data)
			sigs[fmt.Sprintf("attempt/%s/%s", a.Student, a.Item)]++
		case protocol.EvHintShown:
			h := decode[protocol.HintShown](t, f.Data)
			sigs[fmt.Sprintf("hint/%s/%s", h.Student, h.Item)]++
		case protocol.EvHand:
			if h := decode[protocol.Hand](t, f.Data); h.Raised {
				sigs[fmt.Sprintf("hand/%s/%s", h.Student, h.Note)]++
			} else {
				sigs[fmt.Sprintf("lowered/%s", h.Student)]++
			}
		case protocol.EvWorkspace:
			w := decode[protocol.WorkspaceChanged](t, f.Data)
			switch w.Op.Kind {
			case protocol.WsEditNotes:
				var ins []string
				for _, e := range w.Op.Edits {
					ins = append(ins, e.Ins)
				}
				sigs[fmt.Sprintf("notes/%s/%s", w.By.Student, strings.Join(ins, ""))]++
			case protocol.WsComment:
				sigs["comment/"+w.Op.Text]++
			}
		case protocol.EvAnnouncement:
			sigs["announce/"+decode[protocol.Announcement](t, f.Data).Text]++
		case protocol.EvActivity:
			sigs["activity/"+decode[protocol.ActivityPushed](t, f.Data).Activity.Title]++
		case protocol.EvLevel:
			l := decode[protocol.Level](t, f.Data)
			sigs[fmt.Sprintf("level/%s/%g", l.Student, l.Level)]++
		case protocol.EvPlacement:
			p := decode[protocol.Placement](t, f.Data)
			sigs[fmt.Sprintf("placement/%s/%s", p.Student, p.Station)]++
		case protocol.EvFlag:
			if fc := decode[protocol.FlagChanged](t, f.Data); fc.Change == "ack" {
				sigs["flagack/"+string(fc.Flag.ID)]++
			}
		}
	}
	return sigs
}

// answerAgain has every student answer after the restart, right, and be
// graded; Mason has had his item since before it.
func (c *wcClass) answerAgain() {
	for i, s := range c.pupils {
		if c.smallGroupFormed(s.id) {
			// The small group's lesson came in front of what they had.
			c.resync(s)
		}
		if s.item == "" && !s.done {
			c.run(practice(i, pNext))
		}
		if s.done {
			c.t.Logf("%s has finished the set", s.name)
			continue
		}
		st := c.run(practice(i, pRight))
		if r := decode[struct{ Correct *bool }](c.t, st.final.Data); r.Correct == nil || !*r.Correct {
			c.t.Errorf("%s's right answer after the restart was graded %s", s.name, st.final.Data)
		}
	}
}

// checkLearning checks that the struggling student was flagged, that the
// coach of her group saw it, and that no student's device ever got a flag.
func (c *wcClass) checkLearning() {
	amelia := c.pupils[3]
	flagged := func(d *wcClient) bool {
		return slices.ContainsFunc(d.frames(), func(f wcFrame) bool {
			if f.Event != protocol.EvFlag {
				return false
			}
			fl := decode[protocol.FlagChanged](c.t, f.Data).Flag
			return fl.Student == amelia.id && fl.Rule != protocol.RuleHelp
		})
	}
	if !flagged(c.teacher) {
		c.t.Errorf("%s answered wrong again and again, and the console got no flag for her", amelia.name)
	}
	if !flagged(c.coach) {
		c.t.Errorf("the coach of %s's group got no flag for her", amelia.name)
	}
	for _, s := range c.pupils {
		if slices.ContainsFunc(s.frames(), func(f wcFrame) bool { return f.Event == protocol.EvFlag }) {
			c.t.Errorf("%s's device got a flag", s.name)
		}
	}
}

// checkProjector checks what the wall screen received, on all its
// connections and in its snapshots: nothing names a student or shows a
// flag, an answer, a student's item or hint, a mastery, a level, a hand
// or a hand's note; nothing is for fewer than everyone (a group's or a
// station's announcement, an activity pushed to one student, a group's
// notes and comments); its snapshot has only what a projector view has.
// And every event it got since it connected, every other device got too:
// it was for everyone.
func (c *wcClass) checkProjector() {
	t := c.t
	// The practice event for everyone lists the set's items: that is what
	// the class practises, not what one student has in front of them.
	secrets := []string{`"flag`, `"mastery"`, `"p"`, `"response"`, `"attempt"`, `"item"`, `"hint"`, `"offer"`, `"help_sent"`,
		`"members"`, `"level"`, `"student"`, `"students"`, `"learning"`, `"hand"`, `"note"`,
		"stuck on the second one", "Herons, bring your fraction strips", "Laptops: save your work", "Equivalent fractions, a second look",
		"Fold the strip", "Bulb lights up", "It gets warm", "Then it stops", "Which fraction did you compare", "What makes it warm"}
	for _, s := range c.pupils {
		secrets = append(secrets, s.name, string(s.id))
	}
	for _, in := range c.rosterInputs {
		secrets = append(secrets, in.GivenName, in.FamilyName)
	}
	slices.Sort(secrets)
	secrets = slices.Compact(secrets)
	leaks := func(what string, b []byte) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s shows %s: %s", what, s, short(b))
			}
		}
	}
	fields := map[string]bool{}
	pt := reflect.TypeFor[protocol.ProjectorView]()
	for i := range pt.NumField() {
		name, _, _ := strings.Cut(pt.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	snapshot := func(what string, raw json.RawMessage) {
		t.Helper()
		leaks(what, raw)
		var view map[string]json.RawMessage
		if err := json.Unmarshal(raw, &view); err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		for k := range view {
			if !fields[k] {
				t.Errorf("%s has %q, which a projector view does not", what, k)
			}
		}
	}

	frames := c.wall.frames()
	events := 0
	for _, f := range frames {
		switch f.Type {
		case protocol.FrameEvent:
			events++
			b, _ := json.Marshal(f.ServerFrame)
			leaks(fmt.Sprintf("the projector's event %d %s", f.Seq, f.Event), b)
		case protocol.FrameWelcome:
			w := decode[protocol.Welcome](t, f.Data)
			if w.Role != protocol.RoleProjector || w.Student != "" || w.Name != "" {
				t.Errorf("the projector was welcomed as %s %q %q", w.Role, w.Student, w.Name)
			}
			if len(w.Snapshot) > 0 {
				snapshot(fmt.Sprintf("the projector's snapshot on connection %d", f.conn), w.Snapshot)
			}
		default:
			b, _ := json.Marshal(f.ServerFrame)
			leaks("the projector's "+string(f.Type), b)
		}
	}
	for i, v := range c.wallViews {
		snapshot(fmt.Sprintf("a fresh projector's snapshot (%d)", i+1), v)
	}
	if len(c.wallViews) == 0 || events < 5 {
		t.Errorf("the projector got %d events and %d fresh snapshots: too few to say anything", events, len(c.wallViews))
	}

	// What the others got: an event for everyone reaches every device
	// connected when it happened.
	c.wall.mu.Lock()
	from := c.wall.first
	c.wall.mu.Unlock()
	for _, d := range c.devices() {
		if d == c.wall {
			continue
		}
		d.mu.Lock()
		first := d.first
		d.mu.Unlock()
		have := map[uint64]bool{}
		for _, f := range d.frames() {
			if f.Type == protocol.FrameEvent {
				have[f.Seq] = true
			}
		}
		for _, f := range eventsIn(frames, max(from, first), ^uint64(0)) {
			if !have[f.Seq] {
				t.Errorf("the projector got event %d %s %s, which %s, connected then, did not get: it was not for everyone", f.Seq, f.Event, short(f.Data), d.name)
			}
		}
	}
}

// --- a device ---

// wcClient is a device that keeps every frame it receives, on every
// connection, read by a goroutine of its own, so that the test can send a
// command and not read its answer, and look at everything afterwards.
type wcClient struct {
	t      *testing.T
	cls    *wcClass
	name   string
	token  string
	room   protocol.RoomID // hello.room; "" for a student
	prefix string          // of request IDs: unique to the person for the whole class
	n      int

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever something arrives
	all      []wcFrame
	conn     int // the current connection, from 1
	ws       *websocket.Conn
	readDone chan struct{}
	closeErr error // why the current connection's reading ended
	epoch    string
	offset   uint64 // the device's offset, kept as PROTOCOL.md says
	// first is the offset of the latest snapshot welcome, and firstIdx
	// the index in all after it: the device holds every event after it.
	first    uint64
	firstIdx int
	welcomed time.Time // when the latest welcome arrived
}

// wcFrame is a frame and the connection it came on.
type wcFrame struct {
	conn int
	protocol.ServerFrame
}

func (c *wcClass) client(name, prefix, token string, room protocol.RoomID) *wcClient {
	return &wcClient{t: c.t, cls: c, name: name, prefix: prefix, token: token, room: room, changed: make(chan struct{})}
}

// fresh is another device of the same person.
func (d *wcClient) fresh(suffix string) *wcClient {
	return d.cls.client(d.name, d.prefix+"-"+suffix, d.token, d.room)
}

func (d *wcClient) frames() []wcFrame {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.all)
}

// connect opens a connection and says hello, resuming from the device's
// epoch and offset if asked to, and returns the welcome.
func (d *wcClient) connect(resume bool) protocol.Welcome {
	d.t.Helper()
	w, err := d.dial(resume)
	if err != nil {
		d.t.Fatal(err)
	}
	return w
}

// dial is connect for any goroutine: it fails nothing and says what went
// wrong.
func (d *wcClient) dial(resume bool) (protocol.Welcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wcTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(d.cls.srv.url, "http")+"/ws", nil)
	if err != nil {
		return protocol.Welcome{}, fmt.Errorf("%s: %w", d.name, err)
	}
	ws.SetReadLimit(64 << 20) // a teacher's snapshot may be large
	d.t.Cleanup(func() { _ = ws.CloseNow() })
	d.mu.Lock()
	d.conn++
	conn := d.conn
	d.ws, d.closeErr = ws, nil
	done := make(chan struct{})
	d.readDone = done
	var r *protocol.Resume
	if resume {
		r = &protocol.Resume{Epoch: d.epoch, Offset: d.offset}
	}
	d.mu.Unlock()
	go d.read(ws, conn, done)
	id := fmt.Sprintf("%s-hello-%d", d.prefix, conn)
	hello, err := json.Marshal(protocol.Hello{Token: d.token, Room: d.room, Resume: r})
	if err != nil {
		return protocol.Welcome{}, err
	}
	if err := d.writeErr(id, protocol.MsgHello, hello); err != nil {
		return protocol.Welcome{}, err
	}
	f, err := d.answerErr(id)
	if err != nil {
		return protocol.Welcome{}, err
	}
	if f.Type != protocol.FrameWelcome {
		return protocol.Welcome{}, fmt.Errorf("%s: hello answered %s", d.name, frameText(f))
	}
	var w protocol.Welcome
	if err := json.Unmarshal(f.Data, &w); err != nil {
		return protocol.Welcome{}, fmt.Errorf("%s: welcome %s: %w", d.name, short(f.Data), err)
	}
	return w, nil
}

func (d *wcClient) read(ws *websocket.Conn, conn int, done chan struct{}) {
	defer close(done)
	for {
		_, b, err := ws.Read(context.Background())
		d.mu.Lock()
		if err != nil {
			d.closeErr = err
			d.signal()
			d.mu.Unlock()
			return
		}
		var f protocol.ServerFrame
		if jerr := json.Unmarshal(b, &f); jerr != nil {
			f = protocol.ServerFrame{Type: "undecodable: " + string(b)}
		}
		switch f.Type {
		case protocol.FrameWelcome:
			var w protocol.Welcome
			_ = json.Unmarshal(f.Data, &w)
			d.welcomed = time.Now()
			d.epoch = w.Epoch
			if !w.Resumed {
				d.offset, d.first, d.firstIdx = w.Offset, w.Offset, len(d.all)+1
			}
		case protocol.FrameEvent:
			d.offset = max(d.offset, f.Seq)
		}
		d.all = append(d.all, wcFrame{conn, f})
		d.signal()
		d.mu.Unlock()
	}
}

// signal wakes the waiters; called with d.mu held.
func (d *wcClient) signal() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// send sends a command with a new request ID and returns the ID.
func (d *wcClient) send(typ protocol.MsgType, data json.RawMessage) string {
	d.t.Helper()
	id, err := d.sendErr(typ, data)
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

func (d *wcClient) sendErr(typ protocol.MsgType, data json.RawMessage) (string, error) {
	d.n++
	id := fmt.Sprintf("%s-%d", d.prefix, d.n)
	return id, d.writeErr(id, typ, data)
}

func (d *wcClient) write(id string, typ protocol.MsgType, data json.RawMessage) {
	d.t.Helper()
	if err := d.writeErr(id, typ, data); err != nil {
		d.t.Fatal(err)
	}
}

func (d *wcClient) writeErr(id string, typ protocol.MsgType, data json.RawMessage) error {
	b, err := json.Marshal(protocol.ClientFrame{V: protocol.Version, ID: id, Type: typ, Data: data})
	if err != nil {
		return err
	}
	d.mu.Lock()
	ws := d.ws
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), wcTimeout)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%s: send %s: %w", d.name, typ, err)
	}
	return nil
}

// wait waits until ok holds of the frames received; ok runs with d.mu
// held. It gives up when the server exits.
func (d *wcClient) wait(what string, ok func([]wcFrame) bool) {
	d.t.Helper()
	if err := d.waitErr(what, ok); err != nil {
		d.t.Fatal(err)
	}
}

// waitErr is wait for any goroutine.
func (d *wcClient) waitErr(what string, ok func([]wcFrame) bool) error {
	deadline := time.NewTimer(wcTimeout)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		done, ch := ok(d.all), d.changed
		d.mu.Unlock()
		if done {
			return nil
		}
		srv := d.cls.srv
		select {
		case <-ch:
		case <-srv.exited:
			d.mu.Lock()
			done = ok(d.all)
			d.mu.Unlock()
			if !done {
				return fmt.Errorf("%s: the server exited (%v) while the device waited for %s; its log ends:\n%s", d.name, srv.exitErr, what, tail(srv.logs.String(), 60))
			}
			return nil
		case <-deadline.C:
			return fmt.Errorf("%s: no %s within %s; the server's log ends:\n%s", d.name, what, wcTimeout, tail(srv.logs.String(), 30))
		}
	}
}

// answer waits for the answer to request id on the current connection.
func (d *wcClient) answer(id string) protocol.ServerFrame {
	d.t.Helper()
	f, err := d.answerErr(id)
	if err != nil {
		d.t.Fatal(err)
	}
	return f
}

func (d *wcClient) answerErr(id string) (protocol.ServerFrame, error) {
	var got protocol.ServerFrame
	err := d.waitErr("answer to "+id, func(fs []wcFrame) bool {
		for i := len(fs) - 1; i >= 0 && fs[i].conn == d.conn; i-- {
			if f := fs[i]; f.ID == id && f.Type != protocol.FrameEvent {
				got = f.ServerFrame
				return true
			}
		}
		return false
	})
	return got, err
}

// firstAnswer is the first answer to request id on any connection.
func (d *wcClient) firstAnswer(id string) (protocol.ServerFrame, bool) {
	for _, f := range d.frames() {
		if f.ID == id && (f.Type == protocol.FrameResult || f.Type == protocol.FrameError) {
			return f.ServerFrame, true
		}
	}
	return protocol.ServerFrame{}, false
}

func (d *wcClient) waitSeq(seq uint64) {
	d.t.Helper()
	d.wait(fmt.Sprintf("event %d", seq), func(fs []wcFrame) bool {
		return slices.ContainsFunc(fs, func(f wcFrame) bool { return f.Type == protocol.FrameEvent && f.Seq == seq })
	})
}

// waitClosed waits until the current connection has ended and says how.
func (d *wcClient) waitClosed() error {
	d.mu.Lock()
	done := d.readDone
	d.mu.Unlock()
	select {
	case <-done:
	case <-time.After(wcTimeout):
		d.t.Fatalf("%s: the connection did not end with the server", d.name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closeErr
}

func (d *wcClient) close() {
	d.mu.Lock()
	ws := d.ws
	d.mu.Unlock()
	_ = ws.Close(websocket.StatusNormalClosure, "")
	d.waitClosed()
}

// events are the events received with from < seq <= to.
func (d *wcClient) events(from, to uint64) []wcFrame {
	return eventsIn(d.frames(), from, to)
}

func eventsIn(fs []wcFrame, from, to uint64) []wcFrame {
	var out []wcFrame
	for _, f := range fs {
		if f.Type == protocol.FrameEvent && f.Seq > from && f.Seq <= to {
			out = append(out, f)
		}
	}
	return out
}

// checkOrder checks that the device never got an event twice or out of
// order, across all its connections.
func (d *wcClient) checkOrder(when string) {
	var last uint64
	var problems []string
	for _, f := range d.frames() {
		if f.Type != protocol.FrameEvent {
			continue
		}
		if f.Seq <= last {
			problems = append(problems, fmt.Sprintf("seq %d (%s) on connection %d after seq %d", f.Seq, f.Event, f.conn, last))
		}
		last = max(last, f.Seq)
	}
	if len(problems) > 0 {
		d.t.Errorf("%s: %s got events twice or out of order:\n%s", when, d.name, strings.Join(problems, "\n"))
	}
}

// --- helpers ---

func (s *proc) get(path string, out any) {
	s.t.Helper()
	res, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		s.t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, raw, err)
	}
	return v
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

// sameAnswer reports whether two answers to one request say the same.
func sameAnswer(a, b protocol.ServerFrame) bool {
	if a.Type != b.Type || a.ID != b.ID {
		return false
	}
	if a.Error != nil || b.Error != nil {
		return a.Error != nil && b.Error != nil && *a.Error == *b.Error
	}
	return sameJSON(a.Data, b.Data)
}

func frameText(f protocol.ServerFrame) string {
	if f.Error != nil {
		return fmt.Sprintf("%s %s: %s", f.Type, f.Error.Code, f.Error.Message)
	}
	return fmt.Sprintf("%s %s", f.Type, short(f.Data))
}

func short(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// diffJSON lists where two decoded JSON values differ, by path.
func diffJSON(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, shortAny(a), shortAny(b)))
			return
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case !inA:
				*out = append(*out, fmt.Sprintf("%s.%s: absent → %s", path, k, shortAny(y)))
			case !inB:
				*out = append(*out, fmt.Sprintf("%s.%s: %s → absent", path, k, shortAny(x)))
			default:
				diffJSON(path+"."+k, x, y, out)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, shortAny(a), shortAny(b)))
			return
		}
		for i := range av {
			diffJSON(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, fmt.Sprintf("%s: %s → %s", path, shortAny(a), shortAny(b)))
		}
	}
}

func shortAny(v any) string {
	b, _ := json.Marshal(v)
	return short(b)
}
