package rooms

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/rooms/natstest"
)

// The fold is proved on the logs of random classes made by the real
// command handlers: random valid commands from the teacher, the students
// and a coach, the fake clock moving rotations and detectors on, and the
// node restarted now and then (so that the actor itself loads from
// snapshots taken in the middle of everything). On each log:
//
//	fold(all events) = fold(snapshot of a prefix through JSON, then the rest)
//
// at every cut, for the state and for the view of every role.
//
// CLASSHUB_SEED replays a run; CLASSHUB_CLASSES and CLASSHUB_STEPS set
// how many classes and how many random commands each.
func TestFoldProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CLASSHUB_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CLASSHUB_SEED: %v", err)
		}
		seed = v
	}
	classes, steps := 3, 120
	if s := os.Getenv("CLASSHUB_CLASSES"); s != "" {
		classes, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("CLASSHUB_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (CLASSHUB_SEED=%d replays it)", seed, seed)
	seen := map[protocol.EventType]int{}
	events, cuts := 0, 0
	for i := range classes {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		evs, viewers := randomClass(t, rng, steps)
		for _, ev := range evs {
			seen[ev.Type]++
		}
		events += len(evs)
		cuts += checkCuts(t, evs, viewers)
		if t.Failed() {
			t.Fatalf("class %d of seed %d", i, seed)
		}
	}
	for _, typ := range protocol.EventTypes() {
		if seen[typ] == 0 {
			t.Errorf("no random class made a %s event: the generator must exercise every event type", typ)
		}
	}
	t.Logf("seed %d: %d classes, %d events, %d cuts, each checked for the state and %s", seed, classes, events, cuts, "every role's view")
}

// randomClass runs one random class and returns its log and who looks at it.
func randomClass(t *testing.T, rng *rand.Rand, steps int) ([]protocol.Event, []protocol.Viewer) {
	t.Helper()
	ctx := context.Background()
	ns := natstest.Start(t)
	nc, js := ns.Connect(t)
	clk := newFakeClock()
	// Two students flagged on one skill make a small group here, so that
	// a random class of six sees proposals.
	cfgs := []func(*Config){clk.use, func(c *Config) { c.SnapshotEvery = 1 + rng.IntN(12); c.SmallGroupMin = 2 }}
	rest := &atRest{}
	m := newManager(t, nc, js, "node-a", cfgs...)
	m.between = rest.check
	bank, err := m.Bank(ctx, "fractions-5")
	if err != nil {
		t.Fatal(err)
	}
	geometry, err := m.Bank(ctx, "geometry-7")
	if err != nil {
		t.Fatal(err)
	}
	info, err := m.CreateRoom(ctx, teacherA, "Random class")
	if err != nil {
		t.Fatal(err)
	}
	g := &gen{t: t, rng: rng, m: m, clk: clk, room: info.ID, bank: bank, geometry: geometry, coach: "0b0b0b0b-0000-4000-8000-00000000c0ac"}
	for i := range 6 {
		_, res, err := m.Join(ctx, info.Code, fmt.Sprintf("Student %c", 'A'+i))
		if err != nil {
			t.Fatal(err)
		}
		g.students = append(g.students, res.Student)
		g.connect(i)
	}
	burst := steps/4 + rng.IntN(steps/2)
	for i := range steps {
		g.step(i == burst)
		if rng.IntN(40) == 0 {
			// A restart: the actor saves a snapshot and gives its lease
			// back; the next command loads the class from snapshot + log.
			if err := g.m.Close(ctx); err != nil {
				t.Fatal(err)
			}
			g.m = newManager(t, nc, js, "node-a", cfgs...)
			g.m.between = rest.check
			for i := range g.students {
				if rng.IntN(2) == 0 {
					g.connect(i)
				}
			}
		}
	}
	g.teach(protocol.MsgEndClass, struct{}{})
	rest.report(t, g.m, info.ID)
	for range 5 {
		g.step(false) // refused now, and must change nothing
	}
	// A student erased after class: the log is rewritten and ends with
	// the erasure's record, and it must fold at every cut as any other.
	erased := g.students[len(g.students)-1]
	if _, err := g.m.EraseStudentAs(ctx, protocol.ActedBy{Teacher: teacherA, Name: "Ms A"}, info.ID, erased); err != nil {
		t.Fatal(err)
	}
	g.students = g.students[:len(g.students)-1]
	last := g.offset()
	evs, err := g.m.ReadLog(ctx, info.ID, 1, last)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != last {
		t.Fatalf("log holds %d events, the class is at %d", len(evs), last)
	}
	viewers := []protocol.Viewer{{Role: protocol.RoleTeacher}, {Role: protocol.RoleTeacher, Teacher: teacherA}, {Role: protocol.RoleTeacher, Teacher: coTeacherB},
		{Role: protocol.RoleProjector}, {Role: protocol.RoleCoach, Coach: g.coach}}
	for _, s := range g.students {
		viewers = append(viewers, protocol.Viewer{Role: protocol.RoleStudent, Student: s})
	}
	return evs, viewers
}

// gen makes random commands that are mostly valid: it looks at the
// class's state (through a teacher's snapshot) to pick real stations,
// groups, items and flags.
type gen struct {
	t        *testing.T
	rng      *rand.Rand
	m        *Manager
	clk      *fakeClock
	room     protocol.RoomID
	bank     *content.Bank // fractions-5
	geometry *content.Bank
	students []protocol.StudentID
	coach    protocol.CoachID
	conns    int
	reqs     int
	// wrong are the students who miss every answer: the one who
	// struggles, and in a burst another beside them.
	wrong map[int]bool
}

func (g *gen) do(a protocol.Actor, typ protocol.MsgType, data any) json.RawMessage {
	g.t.Helper()
	raw, _ := json.Marshal(data)
	cmd := protocol.Command{Room: g.room, Type: typ, Actor: a, Data: raw}
	if g.rng.IntN(3) == 0 && typ != protocol.CmdSnapshot {
		g.reqs++
		cmd.ReqID = fmt.Sprintf("r%d", g.reqs)
	}
	out, err := g.m.Do(context.Background(), cmd)
	var pe *protocol.Error
	switch {
	case err == nil:
	case errors.As(err, &pe) && pe.Code != protocol.CodeInternal && pe.Code != protocol.CodeUnavailable:
		// A refusal: the generator is allowed to ask for what cannot be.
		if os.Getenv("CLASSHUB_VERBOSE") != "" {
			g.t.Logf("%s by %s refused: %v", typ, a.Role, err)
		}
	default:
		g.t.Fatalf("%s by %s: %v", typ, a.Role, err)
	}
	if cmd.ReqID != "" && err == nil {
		// A retry of the same request gets the same answer, and runs once.
		again, err := g.m.Do(context.Background(), cmd)
		if err != nil || string(again) != string(out) {
			g.t.Fatalf("%s retried: %s %v, first %s", typ, again, err, out)
		}
	}
	return out
}

func (g *gen) teach(typ protocol.MsgType, data any) json.RawMessage {
	return g.do(teacher(teacherA), typ, data)
}

func (g *gen) share(id protocol.TeacherID, role protocol.TeachRole) {
	g.teach(protocol.CmdShare, protocol.ShareClass{Teacher: id, Name: "Teacher " + string(id[len(id)-2:]), Email: "t" + string(id[len(id)-2:]) + "@school.example", Role: role})
}

// presence connects or disconnects a teacher's console.
func (g *gen) presence(a protocol.Actor, conn string, on bool) {
	typ := protocol.CmdDisconnect
	if on {
		typ = protocol.CmdConnect
	}
	raw, _ := json.Marshal(nil)
	if _, err := g.m.Do(context.Background(), protocol.Command{Room: g.room, Type: typ, Actor: a, Conn: conn, Data: raw}); err != nil {
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code == protocol.CodeInternal {
			g.t.Fatalf("%s of %s: %v", typ, conn, err)
		}
	}
}

func (g *gen) connect(i int) {
	g.conns++
	raw, _ := json.Marshal(nil)
	if _, err := g.m.Do(context.Background(), protocol.Command{Room: g.room, Type: protocol.CmdConnect, Actor: student(g.students[i]), Conn: fmt.Sprintf("c%d", g.conns), Data: raw}); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gen) snapshot() protocol.SnapshotResult {
	g.t.Helper()
	var res protocol.SnapshotResult
	if err := json.Unmarshal(g.teach(protocol.CmdSnapshot, nil), &res); err != nil {
		g.t.Fatal(err)
	}
	return res
}

func (g *gen) offset() uint64 { return g.snapshot().Offset }

func (g *gen) view() protocol.TeacherView {
	g.t.Helper()
	var tv protocol.TeacherView
	if err := json.Unmarshal(g.snapshot().View, &tv); err != nil {
		g.t.Fatal(err)
	}
	return tv
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pick[T any](rng *rand.Rand, list []T) (T, bool) {
	var zero T
	if len(list) == 0 {
		return zero, false
	}
	return list[rng.IntN(len(list))], true
}

func (g *gen) target(tv protocol.TeacherView) protocol.Target {
	switch g.rng.IntN(4) {
	case 0:
		s, _ := pick(g.rng, g.students)
		return protocol.Target{Student: s}
	case 1:
		if gr, ok := pick(g.rng, tv.Groups); ok {
			return protocol.Target{Group: gr.ID}
		}
	case 2:
		if st, ok := pick(g.rng, tv.Stations); ok {
			return protocol.Target{Station: st.ID}
		}
	}
	return protocol.Target{}
}

var (
	kinds = []protocol.StationKind{protocol.StationTeacherLed, protocol.StationOnline, protocol.StationCollab, protocol.StationIndependent}
	sets  = []string{"frac-equivalence", "frac-operations", "frac-path", "frac-stories", "frac-check"}
)

// step sends one random command, or a burst of practice.
func (g *gen) step(burst bool) {
	rng := g.rng
	tv := g.view()
	si := rng.IntN(len(g.students))
	sid := g.students[si]
	me := student(sid)
	if rng.IntN(8) == 0 {
		g.clk.Advance(time.Duration(rng.IntN(300)) * time.Second)
	}
	if burst {
		// A burst of practice: the one who aces everything goes through
		// the whole set (and is offered enrichment), the one who struggles
		// keeps missing (and is flagged, with help to send).
		if tv.Paused {
			g.teach(protocol.MsgResumeClass, struct{}{})
		}
		// Every kind of event at least once per class, whatever the dice
		// said: late rule, activity, groups with a workspace edit, a
		// rotation.
		g.teach(protocol.MsgSetLateRule, protocol.SetLateRule{Rule: protocol.LateNone})
		// Shared with an assistant, who pauses and resumes the class and
		// is refused what is the owner's and co-teachers'; then revoked.
		g.share(assistantC, protocol.TeachAssistant)
		// Their consoles come and go: teacher_presence while it is shared.
		g.presence(teacher(teacherA), "console-owner", true)
		g.presence(teacher(assistantC), "console-ta", true)
		g.do(teacher(assistantC), protocol.MsgPauseClass, struct{}{})
		g.do(teacher(assistantC), protocol.MsgSetLateRule, protocol.SetLateRule{Rule: protocol.LateSmallest})
		g.do(teacher(assistantC), protocol.MsgResumeClass, struct{}{})
		g.presence(teacher(assistantC), "console-ta", false)
		g.do(teacher(teacherA), protocol.CmdUnshare, protocol.UnshareClass{Teacher: assistantC})
		g.teach(protocol.MsgOfferChoices, protocol.OfferChoices{Prompt: "Pick a topic", Options: []string{"rock", "space"}})
		g.do(student(g.students[4]), protocol.MsgChoose, protocol.Choose{Option: "rock"})
		g.teach(protocol.MsgSetLevel, protocol.SetLevel{Student: g.students[4], Level: 0.5})
		g.teach(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"struggle_window":9}`)})
		g.do(student(g.students[5]), protocol.MsgRaiseHand, protocol.RaiseHand{Note: "a question"})
		g.teach(protocol.MsgPushActivity, protocol.PushActivity{Activity: protocol.Activity{Title: "Warm-up"}})
		g.teach(protocol.MsgRotate, protocol.Rotate{Action: protocol.RotateEnd})
		var big struct{ Station protocol.StationID }
		_ = json.Unmarshal(g.teach(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Carpet", Kind: protocol.StationCollab, Capacity: 36}}), &big)
		var p protocol.Proposal
		if json.Unmarshal(g.teach(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, IncludeAbsent: true}}), &p) == nil && p.ID != "" {
			g.teach(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID})
		}
		tv = g.view()
		if gr, ok := pick(rng, tv.Groups); ok {
			if m, ok := pick(rng, gr.Members); ok {
				g.do(student(m.ID), protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: gr.ID, Op: protocol.WorkspaceOp{Kind: protocol.WsEditNotes, Edits: []protocol.TextEdit{{Pos: 0, Ins: "plan "}}}})
			}
		}
		g.teach(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{Stations: []protocol.StationID{big.Station}, Legs: []int64{600_000}}})
		g.teach(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-equivalence"}, To: protocol.Target{Student: g.students[0]}})
		g.teach(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-operations"}, To: protocol.Target{Student: g.students[1]}})
		for range 60 {
			if p := g.practise(0); p != nil && p.Offer != nil {
				break
			}
		}
		g.teach(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-operations"}, To: protocol.Target{Student: g.students[5]}})
		g.wrong = map[int]bool{1: true, 5: true}
		for range 40 {
			g.practise(1)
			g.practise(5)
		}
		g.wrong = nil
		// Help sent to one of them, before a small group taken would
		// resolve their flags; not to the last student, whom the class
		// erases at the end with all that was theirs.
		flags := g.view().Flags
		slices.SortStableFunc(flags, func(a, b protocol.Flag) int {
			return cmp.Compare(b2i(a.Student == g.students[len(g.students)-1]), b2i(b.Student == g.students[len(g.students)-1]))
		})
		for _, f := range flags {
			if os.Getenv("CLASSHUB_VERBOSE") != "" {
				g.t.Logf("flag %s %s %s help=%v", f.Rule, f.Level, f.Status, f.Help != nil)
			}
			if f.Help != nil && len(f.Help.Items) > 0 {
				g.teach(protocol.MsgFlagAction, protocol.FlagAction{Flag: f.ID, Action: protocol.FlagSendHelp})
				break
			}
		}
		// The two struggling on one skill are proposed a small group with
		// the teacher: taken, or turned down.
		for _, sg := range g.view().SmallGroups {
			act := protocol.SmallGroupAction{SmallGroup: sg.ID, Action: protocol.SmallGroupAccept}
			if rng.IntN(3) == 0 {
				act.Action = protocol.SmallGroupDismiss
			}
			g.teach(protocol.MsgSmallGroupAction, act)
		}
		// One student sent to a station for the rest of the leg, and
		// another's practice closed by the teacher.
		var table struct{ Station protocol.StationID }
		_ = json.Unmarshal(g.teach(protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: "Table", Kind: protocol.StationTeacherLed, Capacity: 36}}), &table)
		g.connect(2)
		g.teach(protocol.MsgMoveStudent, protocol.MoveStudent{Student: g.students[2], Station: table.Station})
		g.teach(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: "frac-path"}, To: protocol.Target{Student: g.students[3]}})
		g.teach(protocol.MsgClosePractice, protocol.ClosePractice{To: protocol.Target{Student: g.students[3]}})
		return
	}
	switch rng.IntN(31) {
	case 0:
		st := protocol.Station{Name: fmt.Sprintf("Station %d", rng.IntN(9)), Kind: kinds[rng.IntN(len(kinds))], Capacity: 2 + rng.IntN(8)}
		if old, ok := pick(rng, tv.Stations); ok && rng.IntN(3) == 0 {
			st.ID = old.ID
		}
		g.teach(protocol.MsgPutStation, protocol.PutStation{Station: st})
	case 1:
		if st, ok := pick(rng, tv.Stations); ok && rng.IntN(4) == 0 {
			g.teach(protocol.MsgRemoveStation, protocol.RemoveStation{Station: st.ID})
		}
	case 2, 3:
		var p protocol.Proposal
		req := protocol.GroupingRequest{
			Method: protocol.GroupRandom, Count: 2 + rng.IntN(2), Seed: rng.Int64N(1000) + 1, IncludeAbsent: rng.IntN(2) == 0,
		}
		if rng.IntN(3) == 0 {
			// By the class's mastery of a skill.
			req.Method, req.Skill = protocol.GroupLevel, "fractions.equivalent"
		}
		raw := g.teach(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: req})
		if json.Unmarshal(raw, &p) == nil && p.ID != "" && rng.IntN(3) > 0 {
			g.teach(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID})
		}
	case 4:
		if gr, ok := pick(rng, tv.Groups); ok {
			mv := protocol.MoveStudent{Student: sid, Group: gr.ID}
			if st, ok := pick(rng, tv.Stations); ok && rng.IntN(2) == 0 {
				mv = protocol.MoveStudent{Student: sid, Station: st.ID}
			}
			if rng.IntN(4) == 0 {
				mv = protocol.MoveStudent{Student: sid, Clear: true}
			}
			g.teach(protocol.MsgMoveStudent, mv)
		}
	case 5:
		if gr, ok := pick(rng, tv.Groups); ok {
			g.teach(protocol.MsgAssignCoach, protocol.AssignCoach{Group: gr.ID, Coach: g.coach, Assigned: rng.IntN(3) > 0})
		}
	case 6:
		var ids []protocol.StationID
		for _, st := range tv.Stations {
			ids = append(ids, st.ID)
		}
		if len(ids) > 0 {
			legs := make([]int64, len(ids))
			for i := range legs {
				legs[i] = int64(120_000 + rng.IntN(600_000))
			}
			g.teach(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{Stations: ids, Legs: legs, Auto: rng.IntN(2) == 0}})
		}
	case 7:
		acts := []protocol.RotateAction{protocol.RotatePause, protocol.RotateResume, protocol.RotateExtend, protocol.RotateAdvance, protocol.RotateEnd}
		r := protocol.Rotate{Action: acts[rng.IntN(len(acts))]}
		if r.Action == protocol.RotateExtend {
			r.Ms = 60_000
		}
		if gr, ok := pick(rng, tv.Groups); ok && rng.IntN(2) == 0 {
			r.Group = gr.ID
		}
		g.teach(protocol.MsgRotate, r)
	case 8:
		if tv.Paused {
			g.teach(protocol.MsgResumeClass, struct{}{})
		} else {
			g.teach(protocol.MsgPauseClass, struct{}{})
		}
	case 9:
		g.teach(protocol.MsgPushActivity, protocol.PushActivity{Activity: protocol.Activity{Title: "Read page 4"}, To: g.target(tv)})
	case 10:
		g.teach(protocol.MsgSetLevel, protocol.SetLevel{Student: sid, Level: rng.Float64()})
	case 11:
		g.teach(protocol.MsgOfferChoices, protocol.OfferChoices{Prompt: "Pick a topic", Options: []string{"rock", "space", "sport"}})
	case 12:
		rules := []protocol.LateRule{protocol.LateSmallest, protocol.LateNone}
		g.teach(protocol.MsgSetLateRule, protocol.SetLateRule{Rule: rules[rng.IntN(2)]})
	case 13:
		opt, _ := pick(rng, []string{"rock", "space", "sport"})
		g.do(me, protocol.MsgChoose, protocol.Choose{Option: opt})
		g.do(me, protocol.MsgSetInterest, protocol.SetInterest{Interest: opt})
	case 14:
		g.workspace(tv, me)
	case 15:
		t := g.target(tv)
		g.teach(protocol.MsgAnnounce, protocol.Announce{Text: "Listen up", To: t.Student, Group: t.Group, Station: t.Station})
	case 16:
		set, _ := pick(rng, sets)
		g.teach(protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: "fractions-5", Set: set}, To: g.target(tv)})
	case 17, 18, 19, 20, 21:
		if rng.IntN(3) > 0 {
			si = rng.IntN(2) // the one who aces everything, the one who struggles
		}
		g.practise(si)
	case 22:
		if f, ok := pick(rng, tv.Flags); ok {
			kinds := []protocol.FlagActionKind{protocol.FlagAck, protocol.FlagResolve, protocol.FlagSnooze, protocol.FlagSendHelp, protocol.FlagPull}
			fa := protocol.FlagAction{Flag: f.ID, Action: kinds[rng.IntN(len(kinds))]}
			if f.Help != nil && rng.IntN(2) == 0 {
				fa.Action = protocol.FlagSendHelp
			}
			if fa.Action == protocol.FlagSnooze {
				fa.Minutes = 1 + rng.IntN(5)
			}
			g.teach(protocol.MsgFlagAction, fa)
		}
	case 23:
		if rng.IntN(3) == 0 {
			g.teach(protocol.MsgClosePractice, protocol.ClosePractice{To: g.target(tv)})
		}
		if sg, ok := pick(rng, tv.SmallGroups); ok {
			act := protocol.SmallGroupAction{SmallGroup: sg.ID, Action: protocol.SmallGroupAccept}
			switch rng.IntN(3) {
			case 0:
				act.Action = protocol.SmallGroupDismiss
			case 1:
				act.Students = []protocol.StudentID{sid}
			}
			g.teach(protocol.MsgSmallGroupAction, act)
		}
	case 24:
		g.teach(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(fmt.Sprintf(`{"struggle_window":%d}`, 8+rng.IntN(6)))})
	case 25:
		g.do(me, protocol.MsgRaiseHand, protocol.RaiseHand{Note: "stuck"})
	case 26:
		if rng.IntN(2) == 0 {
			g.do(me, protocol.MsgLowerHand, protocol.LowerHand{})
		} else {
			g.teach(protocol.MsgLowerHand, protocol.LowerHand{Student: sid})
		}
	case 27:
		raw, _ := json.Marshal(nil)
		conn := fmt.Sprintf("c%d", g.rng.IntN(g.conns+1))
		_, _ = g.m.Do(context.Background(), protocol.Command{Room: g.room, Type: protocol.CmdDisconnect, Actor: me, Conn: conn, Data: raw})
	case 28:
		g.connect(si)
	case 30:
		// A co-teacher: shared, given another role, acting, leaving.
		roles := []protocol.TeachRole{protocol.TeachCoTeacher, protocol.TeachAssistant}
		switch rng.IntN(4) {
		case 3:
			g.presence(teacher(coTeacherB), "console-co", rng.IntN(2) == 0)
		case 0:
			g.share(coTeacherB, roles[rng.IntN(2)])
		case 1:
			t := g.target(tv)
			g.do(teacher(coTeacherB), protocol.MsgAnnounce, protocol.Announce{Text: "From the co-teacher", To: t.Student, Group: t.Group, Station: t.Station})
		case 2:
			g.do(teacher(coTeacherB), protocol.CmdUnshare, protocol.UnshareClass{Teacher: coTeacherB})
		}
	case 29:
		if rng.IntN(6) == 0 {
			// A late joiner.
			info, err := g.m.Room(context.Background(), g.room)
			if err == nil {
				if _, res, err := g.m.Join(context.Background(), info.Code, "Late"); err == nil {
					g.students = append(g.students, res.Student)
					g.connect(len(g.students) - 1)
				}
			}
		}
	}
}

// practise is one student's next move in practice: take an item, answer
// it right or wrong, ask for a hint, pick from a board, take an offer.
// Student A answers right, student B wrong: one is offered enrichment, the
// other is flagged.
func (g *gen) practise(i int) *protocol.StudentPractice {
	a := student(g.students[i])
	var res protocol.SnapshotResult
	if err := json.Unmarshal(g.do(a, protocol.CmdSnapshot, nil), &res); err != nil {
		return nil
	}
	var sv protocol.StudentView
	_ = json.Unmarshal(res.View, &sv)
	p := sv.Practice
	bank := g.bank
	if p != nil && p.Set.Bank != bank.ID {
		bank = g.geometry
	}
	switch {
	case p == nil || p.Closed:
		return p
	case p.Offer != nil && g.rng.IntN(2) == 0:
		g.do(a, protocol.MsgAcceptOffer, struct{}{})
	case len(p.Options) > 0:
		var ids []protocol.ItemID
		for _, o := range p.Options {
			ids = append(ids, o.Item)
		}
		g.rng.Shuffle(len(ids), func(x, y int) { ids[x], ids[y] = ids[y], ids[x] })
		g.do(a, protocol.MsgPickItems, protocol.PickItems{Items: ids[:min(len(ids), max(p.Pick, 1))]})
	case p.Item == nil:
		g.do(a, protocol.MsgNextItem, struct{}{})
	case i != 0 && g.rng.IntN(4) == 0: // the one who aces everything needs no hint
		g.do(a, protocol.MsgHint, protocol.Hint{Item: p.Item.ID})
	default:
		right := g.rng.IntN(2) == 0
		switch {
		case i == 0:
			right = true
		case i == 1 || g.wrong[i]:
			right = false
		}
		resp := "no idea"
		if it := bank.Item(p.Item.ID); it != nil && right {
			resp = it.Answer()
		}
		g.clk.Advance(time.Duration(2+g.rng.IntN(60)) * time.Second)
		g.do(a, protocol.MsgAnswer, protocol.Answer{Item: p.Item.ID, Response: resp})
	}
	return p
}

func (g *gen) workspace(tv protocol.TeacherView, me protocol.Actor) {
	gr, ok := pick(g.rng, tv.Groups)
	if !ok {
		return
	}
	var ws *protocol.Workspace
	for i := range tv.Workspaces {
		if tv.Workspaces[i].Group == gr.ID {
			ws = &tv.Workspaces[i]
		}
	}
	who := me
	if m, ok := pick(g.rng, gr.Members); ok {
		who = student(m.ID)
	}
	op := protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "Nice start"}
	switch g.rng.IntN(5) {
	case 0:
		title := "Find sources"
		op = protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: &title}
	case 1:
		if ws != nil && len(ws.Tasks) > 0 {
			task := ws.Tasks[g.rng.IntN(len(ws.Tasks))]
			done := true
			op = protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: task.ID, Base: &task.Vers, Done: &done}
		}
	case 2, 3:
		if ws != nil {
			op = protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: ws.NotesRev, Edits: []protocol.TextEdit{{Pos: 0, Ins: "idea "}}}
		}
	case 4:
		if m, ok := pick(g.rng, gr.Members); ok {
			op = protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: m.ID, Role: "scribe"}
		}
	}
	if op.Kind == protocol.WsComment && g.rng.IntN(2) == 0 {
		who = protocol.Actor{Role: protocol.RoleCoach, Coach: g.coach}
	}
	g.do(who, protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: gr.ID, Op: op})
}

// checkCuts checks the property at every cut of evs and returns how many
// cuts it checked.
func checkCuts(t *testing.T, evs []protocol.Event, viewers []protocol.Viewer) int {
	t.Helper()
	room := protocol.RoomID("")
	all := class.New(room)
	for _, ev := range evs {
		if err := all.Apply(ev); err != nil {
			t.Fatalf("fold of the whole log: %v", err)
		}
	}
	want := encodeAll(t, all, viewers)
	for cut := 0; cut <= len(evs); cut++ {
		prefix := class.New(room)
		for _, ev := range evs[:cut] {
			if err := prefix.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		b, err := json.Marshal(prefix)
		if err != nil {
			t.Fatal(err)
		}
		var snap class.State
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatalf("snapshot at %d does not read back: %v", cut, err)
		}
		for _, ev := range evs[cut:] {
			if err := snap.Apply(ev); err != nil {
				t.Fatalf("cut at %d: event %d (%s) does not fold on the snapshot: %v", cut, ev.Seq, ev.Type, err)
			}
		}
		got := encodeAll(t, &snap, viewers)
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("cut at %d: %s differs\nall events:    %s\nsnapshot+rest: %s", cut, k, want[k], got[k])
			}
		}
	}
	return len(evs) + 1
}

// encodeAll is the state and every viewer's view, as JSON.
func encodeAll(t *testing.T, s *class.State, viewers []protocol.Viewer) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out["state"] = string(b)
	for _, v := range viewers {
		if v.Role == protocol.RoleCoach {
			v.Groups = nil
			for _, g := range s.Groups {
				if slices.Contains(g.Coaches, v.Coach) {
					v.Groups = append(v.Groups, g.ID)
				}
			}
		}
		b, err := json.Marshal(s.View(v))
		if err != nil {
			t.Fatal(err)
		}
		out[string(v.Role)+" "+string(v.Student)] = string(b)
	}
	return out
}

// atRest checks a class between the actor's steps: looking again at every
// student at that moment changes no flag, unless a mark of time is due
// (the detector timer's work). It is what makes a restart change nothing,
// since a class loaded again is looked at again, whole; a command that
// changes what the detectors see (thresholds, a pause, a move) must look
// again itself, at once.
type atRest struct {
	mu       sync.Mutex
	problems []restProblem
}

type restProblem struct {
	seq  uint64
	what string
}

func (a *atRest) check(ctx context.Context, r *room) {
	if r.st.Status != protocol.StatusOpen {
		return
	}
	now := r.now()
	if at, ok := r.nextWatch(); ok && at <= now {
		return
	}
	var found []string
	note := func(who string, cs []detect.Change) {
		for _, c := range cs {
			found = append(found, fmt.Sprintf("%s of %s's %s flag (at %s, %s)", c.Kind, who, c.Flag.Rule, c.Flag.Level, c.Flag.Status))
		}
	}
	together, notice := r.classIdle(r.thresholds(), now)
	note("the class", notice)
	// The room's shortcut for a class with no notice and few idle decides
	// as detect.ClassIdle does on every student.
	var members []detect.Student
	var live *protocol.Flag
	for sid := range r.st.Learners {
		members = append(members, r.presenceOf(sid))
	}
	for _, f := range r.st.Flags {
		if f.Student == detect.ClassNotice && !class.Closed(f) {
			live = &f
		}
	}
	if ids, _ := detect.ClassIdle(members, live, r.thresholds(), now); len(ids) != len(together) {
		found = append(found, fmt.Sprintf("the class-level idle notice speaks for %d students, detect.ClassIdle for %d", len(together), len(ids)))
	}
	ids := make([]protocol.StudentID, 0, len(r.st.Students))
	for sid := range r.st.Students {
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	for _, sid := range ids {
		if r.st.Learners[sid] == nil && !slices.ContainsFunc(r.st.Flags, func(f protocol.Flag) bool { return f.Student == sid }) {
			continue
		}
		cs, _, err := r.flagChanges(ctx, sid, now, together)
		if err != nil {
			found = append(found, fmt.Sprintf("looking at %s: %v", r.name(sid), err))
		}
		note(r.name(sid), cs)
	}
	if len(found) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.problems = append(a.problems, restProblem{r.st.Seq, strings.Join(found, "; ")})
}

func (a *atRest) report(t *testing.T, m *Manager, room protocol.RoomID) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[string]bool{}
	for _, p := range a.problems {
		if seen[p.what] {
			continue
		}
		seen[p.what] = true
		var came []string
		if evs, err := m.ReadLog(context.Background(), room, max(p.seq, 3)-2, p.seq); err == nil {
			for _, ev := range evs {
				came = append(came, fmt.Sprintf("%s %s", ev.Type, ev.Data))
			}
		}
		t.Errorf("a class at rest is not what the detectors see: at offset %d, after\n\t%s\nlooking again now would make: %s", p.seq, strings.Join(came, "\n\t"), p.what)
		if len(seen) == 4 {
			break
		}
	}
}
