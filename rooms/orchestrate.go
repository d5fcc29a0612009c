package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/grouping"
	"github.com/classhub/classhub/rooms/rotation"
	"github.com/classhub/classhub/rooms/workspace"
)

// defaultWarnMs is the warning before a leg ends when the plan gives none.
const defaultWarnMs = 60_000

func (r *room) now() int64 { return r.m.cfg.Now().UnixMilli() }

func seqResult(ev protocol.Event) (json.RawMessage, error) {
	return reply(map[string]uint64{"seq": ev.Seq})
}

func (r *room) name(sid protocol.StudentID) string {
	if st := r.st.Students[sid]; st != nil {
		return st.Name
	}
	return string(sid)
}

// Stations.

func (r *room) putStation(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.PutStation).Station
	list := slices.Clone(r.st.Stations)
	if in.ID == "" {
		if len(list) >= protocol.MaxStations {
			return nil, protocol.Errorf(protocol.CodeInvalid, "a class has at most %d stations", protocol.MaxStations)
		}
		in.ID = protocol.StationID(uuid.NewString())
		list = append(list, in)
	} else {
		i := slices.IndexFunc(list, func(s protocol.Station) bool { return s.ID == in.ID })
		if i < 0 {
			return nil, protocol.Errorf(protocol.CodeNotFound, "no station %s in this class", in.ID)
		}
		list[i] = in
	}
	if _, err := r.emit(ctx, protocol.EvStations, protocol.ToAll, protocol.Stations{Stations: list}); err != nil {
		return nil, err
	}
	return reply(map[string]protocol.StationID{"station": in.ID})
}

func (r *room) removeStation(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	id := v.(*protocol.RemoveStation).Station
	s := r.st.Station(id)
	if s == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no station %s in this class", id)
	}
	if rot := r.st.Rotation; rot != nil && !rot.Ended && slices.Contains(rot.Plan.Stations, id) {
		return nil, protocol.Errorf(protocol.CodeWrongState, "%s is part of the running rotation; end the rotation first", s.Name)
	}
	list := slices.DeleteFunc(slices.Clone(r.st.Stations), func(s protocol.Station) bool { return s.ID == id })
	_, err := r.emit(ctx, protocol.EvStations, protocol.ToAll, protocol.Stations{Stations: list})
	return okResult, err
}

// Grouping.

func (r *room) proposeGroups(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	req := v.(*protocol.ProposeGroups).GroupingRequest
	if req.Seed == 0 {
		req.Seed = rand.Int64N(1<<31-1) + 1
	}
	var students []grouping.Student
	for _, st := range r.st.Students {
		gs := grouping.Student{ID: st.ID, Name: st.Name, Level: -1, Interest: st.Interest, Choice: st.Choice, Present: st.Online}
		switch {
		case req.Skill != "":
			// What the class has shown: the knowledge-tracing estimate
			// of the skill, unknown for a student with none yet.
			if l := r.st.Learners[st.ID]; l != nil {
				gs.Level = l.P(req.Skill, -1)
			}
		case st.Level != nil:
			gs.Level = *st.Level
		}
		students = append(students, gs)
	}
	var recent []grouping.Pair
	if req.AvoidRecent {
		recent = r.m.history.recentPairs(ctx, r.st.Teacher, r.id, r.st.Students)
	}
	res, err := grouping.Propose(students, req, recent)
	if err != nil {
		return nil, err
	}
	p := protocol.Proposal{
		ID: protocol.ProposalID(uuid.NewString()), Request: req, Seed: req.Seed,
		Groups: res.Groups, Experts: res.Experts, Notes: res.Notes, Basis: r.st.Roster, Made: r.now(),
	}
	if req.Skill != "" {
		var all []protocol.StudentID
		for sid := range r.st.Students {
			all = append(all, sid)
		}
		slices.Sort(all)
		p.Notes = append([]string{fmt.Sprintf("Levels are the class's current mastery of %s, estimated from their answers.", r.skillName(ctx, req.Skill, all))}, p.Notes...)
	}
	if _, err := r.emit(ctx, protocol.EvProposal, protocol.ToTeachers, p); err != nil {
		return nil, err
	}
	return reply(p)
}

func (r *room) applyGroups(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.ApplyGroups)
	p := r.st.Proposal
	switch {
	case p == nil || p.ID != in.Proposal:
		return nil, protocol.Errorf(protocol.CodeStale, "this proposal is not the latest one; ask for a new proposal")
	case p.Basis != r.st.Roster:
		return nil, protocol.Errorf(protocol.CodeStale, "the class changed since this proposal was made (someone joined, left or moved); ask for a new proposal")
	}
	groups := in.Groups
	if groups == nil {
		groups = p.Groups
	}
	if len(groups) == 0 {
		return nil, protocol.Errorf(protocol.CodeInvalid, "apply_groups: no groups")
	}
	if err := r.checkGroups(groups, p.Request.IncludeAbsent); err != nil {
		return nil, err
	}
	if rot := r.st.Rotation; rot != nil && !rot.Ended {
		// The groups at their stations keep their leg; the new groups
		// take over at the next one.
		return r.scheduleRegroup(ctx, *p, groups)
	}
	ids, err := r.formGroups(ctx, groups, "")
	if err != nil {
		return nil, err
	}
	return reply(map[string][]protocol.GroupID{"groups": ids})
}

func (r *room) membersOf(ids []protocol.StudentID) []protocol.Member {
	out := make([]protocol.Member, 0, len(ids))
	for _, id := range ids {
		out = append(out, protocol.Member{ID: id, Name: r.name(id)})
	}
	return out
}

// emitGroup announces one group as it is in g (which may differ from state).
func (r *room) emitGroup(ctx context.Context, g *class.Group) error {
	gv := protocol.Group{ID: g.ID, Name: g.Name, Members: r.membersOf(g.Members), Coaches: g.Coaches}
	_, err := r.emit(ctx, protocol.EvGroup, r.groupChangeAudience(g), protocol.GroupChanged{Group: gv})
	return err
}

func (r *room) emitSummary(ctx context.Context) error {
	_, err := r.emit(ctx, protocol.EvGroups, protocol.ToAll, protocol.Groups{Groups: r.st.GroupSummaries()})
	return err
}

func (r *room) moveStudent(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.MoveStudent)
	st := r.st.Students[in.Student]
	if st == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", in.Student)
	}
	if in.Clear {
		if _, ok := r.st.Placements[st.ID]; !ok {
			return okResult, nil
		}
		if _, err := r.emit(ctx, protocol.EvPlacement, protocol.ToStudent(st.ID), protocol.Placement{Student: st.ID}); err != nil {
			return nil, err
		}
		return okResult, nil
	}
	if !st.Online {
		return nil, protocol.Errorf(protocol.CodeAbsent, "%s has left the class", st.Name)
	}
	if in.Station != "" {
		s := r.st.Station(in.Station)
		if s == nil {
			return nil, protocol.Errorf(protocol.CodeNotFound, "no station %s in this class", in.Station)
		}
		if r.st.StationOf(st.ID) == s.ID {
			return okResult, nil
		}
		if n := len(r.st.AtStation(s.ID)); s.Capacity > 0 && n >= s.Capacity {
			return nil, protocol.Errorf(protocol.CodeFull, "%s is full (%d of %d)", s.Name, n, s.Capacity)
		}
		if _, err := r.emit(ctx, protocol.EvPlacement, protocol.ToStudent(st.ID), protocol.Placement{Student: st.ID, Station: s.ID}); err != nil {
			return nil, err
		}
		return okResult, nil
	}
	to := r.st.Group(in.Group)
	if to == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", in.Group)
	}
	if st.Group == to.ID {
		return okResult, nil
	}
	if rot := r.st.Rotation; rot != nil && !rot.Ended {
		// Capacity of the station the student arrives at.
		if sid := r.trackStation(to.ID); sid != "" {
			if s := r.st.Station(sid); s != nil && s.Capacity > 0 {
				if _, placed := r.st.Placements[st.ID]; !placed {
					if n := len(r.st.AtStation(sid)); n >= s.Capacity {
						return nil, protocol.Errorf(protocol.CodeFull, "%s is at %s, which is full (%d of %d)", to.Name, s.Name, n, s.Capacity)
					}
				}
			}
		}
	}
	if from := r.st.Group(st.Group); from != nil {
		next := *from
		next.Members = slices.DeleteFunc(slices.Clone(from.Members), func(m protocol.StudentID) bool { return m == st.ID })
		if err := r.emitGroup(ctx, &next); err != nil {
			return nil, err
		}
	}
	next := *to
	next.Members = append(slices.Clone(to.Members), st.ID)
	if err := r.emitGroup(ctx, &next); err != nil {
		return nil, err
	}
	return okResult, r.emitSummary(ctx)
}

func (r *room) trackStation(g protocol.GroupID) protocol.StationID {
	if r.st.Rotation == nil {
		return ""
	}
	for _, t := range r.st.Rotation.Tracks {
		if t.Group == g && !t.Done {
			return t.Station
		}
	}
	return ""
}

func (r *room) assignCoach(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.AssignCoach)
	g := r.st.Group(in.Group)
	if g == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", in.Group)
	}
	has := slices.Contains(g.Coaches, in.Coach)
	if has == in.Assigned {
		return okResult, nil
	}
	next := *g
	if in.Assigned {
		next.Coaches = append(slices.Clone(g.Coaches), in.Coach)
	} else {
		next.Coaches = slices.DeleteFunc(slices.Clone(g.Coaches), func(c protocol.CoachID) bool { return c == in.Coach })
	}
	if err := r.emitGroup(ctx, &next); err != nil {
		return nil, err
	}
	r.afterFlush(func(ctx context.Context) {
		if err := r.m.dir.setCoach(ctx, r.id, in.Coach, r.coaches()); err != nil {
			r.m.log.Warn("room directory: coaches", "room", r.id, "err", err)
		}
	})
	return okResult, nil
}

// coaches lists every coach of any group of the room.
func (r *room) coaches() []protocol.CoachID {
	var out []protocol.CoachID
	for _, g := range r.st.Groups {
		for _, c := range g.Coaches {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Rotation.

func (r *room) startRotation(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.StartRotation)
	if rot := r.st.Rotation; rot != nil && !rot.Ended {
		return nil, protocol.Errorf(protocol.CodeWrongState, "a rotation is already running; end it first")
	}
	groups := in.Groups
	if len(groups) == 0 {
		for _, g := range r.st.Groups {
			groups = append(groups, g.ID)
		}
	}
	if len(groups) == 0 {
		return nil, protocol.Errorf(protocol.CodeWrongState, "form groups before starting a rotation")
	}
	for _, g := range groups {
		if r.st.Group(g) == nil {
			return nil, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", g)
		}
	}
	for _, s := range in.Plan.Stations {
		if r.st.Station(s) == nil {
			return nil, protocol.Errorf(protocol.CodeNotFound, "no station %s in this class", s)
		}
	}
	plan := in.Plan
	switch {
	case plan.WarnMs < 0:
		plan.WarnMs = 0
	case plan.WarnMs == 0 && len(plan.Legs) > 0:
		plan.WarnMs = min(defaultWarnMs, slices.Min(plan.Legs)/2)
		if plan.WarnMs < 1000 {
			plan.WarnMs = 0
		}
	}
	now := r.now()
	rot, err := rotation.Start(plan, groups, now)
	if err != nil {
		return nil, err
	}
	for leg := range rot.Plan.Legs {
		for sid, n := range r.st.LoadAt(rot, leg) {
			if s := r.st.Station(sid); s != nil && s.Capacity > 0 && n > s.Capacity {
				return nil, protocol.Errorf(protocol.CodeFull, "%s holds %d, but leg %d would bring %d students there", s.Name, s.Capacity, leg+1, n)
			}
		}
	}
	actions := []protocol.RotationAction{{Kind: "start", At: now}}
	if r.st.Paused {
		if rot, err = rotation.Hold(rot, now); err != nil {
			return nil, err
		}
		actions = append(actions, protocol.RotationAction{Kind: "hold", At: now})
	}
	if err := r.emitRotation(ctx, actions, rot); err != nil {
		return nil, err
	}
	return okResult, nil
}

func (r *room) emitRotation(ctx context.Context, actions []protocol.RotationAction, rot protocol.Rotation) error {
	_, err := r.emit(ctx, protocol.EvRotation, protocol.ToAll, protocol.RotationChanged{Actions: actions, Rotation: rot})
	r.armRotation()
	if err != nil {
		return err
	}
	return r.atNextLeg(ctx, actions)
}

func wireActions(acts []rotation.Action) []protocol.RotationAction {
	out := make([]protocol.RotationAction, 0, len(acts))
	for _, a := range acts {
		out = append(out, protocol.RotationAction{Kind: string(a.Kind), Group: a.Group, Leg: a.Leg, Station: a.Station, At: a.At})
	}
	return out
}

func (r *room) rotate(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.Rotate)
	if r.st.Rotation == nil || r.st.Rotation.Ended {
		return nil, protocol.Errorf(protocol.CodeWrongState, "no rotation is running")
	}
	if in.Group != "" && r.st.Group(in.Group) == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", in.Group)
	}
	cur, now := *r.st.Rotation, r.now()
	var (
		next protocol.Rotation
		acts []rotation.Action
		err  error
	)
	switch in.Action {
	case protocol.RotatePause:
		next, err = rotation.Pause(cur, in.Group, now)
	case protocol.RotateResume:
		next, err = rotation.Resume(cur, in.Group, now)
	case protocol.RotateExtend:
		next, err = rotation.Extend(cur, in.Group, in.Ms, now)
	case protocol.RotateAdvance:
		next, acts, err = rotation.Advance(cur, in.Group, now)
	case protocol.RotateEnd:
		next, err = rotation.End(cur, now)
	}
	if err != nil {
		return nil, err
	}
	actions := append([]protocol.RotationAction{{Kind: string(in.Action), Group: in.Group, At: now}}, wireActions(acts)...)
	if err := r.emitRotation(ctx, actions, next); err != nil {
		return nil, err
	}
	return okResult, nil
}

// armRotation sets the one rotation timer to the next moment the rotation
// has something to do. It is called after every rotation event and after
// the room starts on this node, so a deadline that passed while no node ran
// the room fires at once, and one already recorded never fires again.
func (r *room) armRotation() {
	if r.rotStop != nil {
		r.rotStop()
		r.rotStop = nil
	}
	if r.st.Rotation == nil || r.st.Status == protocol.StatusEnded {
		// A class that ended stops its rotation where it stands:
		// class_ended is the last event of its log.
		return
	}
	at, ok := rotation.Next(*r.st.Rotation)
	if !ok {
		return
	}
	d := time.UnixMilli(at).Sub(r.m.cfg.Now())
	gen := r.rotGen + 1
	r.rotGen = gen
	r.rotStop = r.m.cfg.AfterFunc(max(d, 0), func() {
		select {
		case r.rotFire <- gen:
		case <-r.done:
		}
	})
}

// rotationDue records what the rotation's clock says has happened.
func (r *room) rotationDue(ctx context.Context, gen uint64) error {
	if gen != r.rotGen || r.st.Rotation == nil || r.st.Status == protocol.StatusEnded {
		return nil // a timer that was replaced, or of a class that ended
	}
	next, acts := rotation.Due(*r.st.Rotation, r.now())
	if len(acts) == 0 {
		r.armRotation()
		return nil
	}
	return r.emitRotation(ctx, wireActions(acts), next)
}

// Whole-class controls.

func (r *room) pauseClass(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	pause := cmd.Type == protocol.MsgPauseClass
	if r.st.Paused == pause {
		return okResult, nil
	}
	now := r.now()
	var (
		rot  protocol.Rotation
		move bool
	)
	if cur := r.st.Rotation; cur != nil && !cur.Ended {
		var err error
		if pause {
			rot, err = rotation.Hold(*cur, now)
		} else {
			rot, err = rotation.Release(*cur, now)
		}
		if err != nil {
			return nil, err
		}
		move = true
	}
	if _, err := r.emit(ctx, protocol.EvClassPaused, protocol.ToAll, protocol.ClassPaused{Paused: pause}); err != nil {
		return nil, err
	}

	if move {
		kind := "release"
		if pause {
			kind = "hold"
		}
		if err := r.emitRotation(ctx, []protocol.RotationAction{{Kind: kind, At: now}}, rot); err != nil {
			return nil, err
		}
	}
	return okResult, nil
}

// audience resolves a target to the audience of an event for it.
func (r *room) audience(t protocol.Target) (protocol.Audience, error) {
	switch {
	case t.Student != "":
		if r.st.Students[t.Student] == nil {
			return protocol.Audience{}, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", t.Student)
		}
		return protocol.ToStudent(t.Student), nil
	case t.Group != "":
		g := r.st.Group(t.Group)
		if g == nil {
			return protocol.Audience{}, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", t.Group)
		}
		return r.groupAudience(g), nil
	case t.Station != "":
		if r.st.Station(t.Station) == nil {
			return protocol.Audience{}, protocol.Errorf(protocol.CodeNotFound, "no station %s in this class", t.Station)
		}
		return protocol.ToMembers(r.st.AtStation(t.Station)), nil
	}
	return protocol.ToAll, nil
}

func (r *room) pushActivity(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.PushActivity)
	aud, err := r.audience(in.To)
	if err != nil {
		return nil, err
	}
	ev, err := r.emit(ctx, protocol.EvActivity, aud, protocol.ActivityPushed{Activity: in.Activity, To: in.To})
	if err != nil {
		return nil, err
	}
	return seqResult(ev)
}

func (r *room) setLevel(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.SetLevel)
	if r.st.Students[in.Student] == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", in.Student)
	}
	_, err := r.emit(ctx, protocol.EvLevel, protocol.ToTeachers, protocol.Level{Student: in.Student, Level: in.Level})
	return okResult, err
}

func (r *room) offerChoices(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.OfferChoices)
	opts := make([]string, 0, len(in.Options))
	for _, o := range in.Options {
		opts = append(opts, strings.TrimSpace(o))
	}
	_, err := r.emit(ctx, protocol.EvChoices, protocol.ToAll, protocol.Choices{Prompt: in.Prompt, Options: opts})
	return okResult, err
}

func (r *room) setLateRule(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.SetLateRule)
	if r.st.LateRule == in.Rule {
		return okResult, nil
	}
	_, err := r.emit(ctx, protocol.EvLateRule, protocol.ToTeachers, protocol.LateRuleSet{Rule: in.Rule})
	return okResult, err
}

func (r *room) student(a protocol.Actor) (*class.Student, error) {
	st := r.st.Students[a.Student]
	if a.Role != protocol.RoleStudent || st == nil {
		return nil, protocol.Errorf(protocol.CodeForbidden, "only a student of this class may do this")
	}
	return st, nil
}

func (r *room) choose(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	st, err := r.student(cmd.Actor)
	if err != nil {
		return nil, err
	}
	if r.st.Choices == nil {
		return nil, protocol.Errorf(protocol.CodeWrongState, "there is nothing to choose from right now")
	}
	want := strings.TrimSpace(v.(*protocol.Choose).Option)
	i := slices.IndexFunc(r.st.Choices.Options, func(o string) bool { return strings.EqualFold(o, want) })
	if i < 0 {
		return nil, protocol.Errorf(protocol.CodeInvalid, "%q is not one of the options", want)
	}
	opt := r.st.Choices.Options[i]
	if st.Choice == opt {
		return okResult, nil
	}
	_, err = r.emit(ctx, protocol.EvChoice, protocol.ToStudent(st.ID), protocol.Choice{Student: st.ID, Option: &opt})
	return okResult, err
}

func (r *room) setInterest(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	st, err := r.student(cmd.Actor)
	if err != nil {
		return nil, err
	}
	in := strings.TrimSpace(v.(*protocol.SetInterest).Interest)
	if st.Interest == in {
		return okResult, nil
	}
	_, err = r.emit(ctx, protocol.EvChoice, protocol.ToStudent(st.ID), protocol.Choice{Student: st.ID, Interest: &in})
	return okResult, err
}

// Workspaces.

func (r *room) editWorkspace(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.EditWorkspace)
	g := r.st.Group(in.Group)
	if g == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no group %s in this class", in.Group)
	}
	a := cmd.Actor
	by := protocol.Author{Role: a.Role, Name: cmd.Name}
	switch a.Role {
	case protocol.RoleTeacher:
		if !r.isTeacher(a) {
			return nil, protocol.Errorf(protocol.CodeForbidden, "this is not your class")
		}
		if by.Name == "" {
			by.Name = "Teacher"
		}
	case protocol.RoleStudent:
		st := r.st.Students[a.Student]
		if st == nil || st.Group != g.ID {
			return nil, protocol.Errorf(protocol.CodeForbidden, "only the members of %s may edit its workspace", g.Name)
		}
		if in.Op.Kind == protocol.WsComment {
			return nil, protocol.Errorf(protocol.CodeForbidden, "comments are for coaches and teachers; use the notes")
		}
		by.Name, by.Student = st.Name, st.ID
	case protocol.RoleCoach:
		if !slices.Contains(g.Coaches, a.Coach) {
			return nil, protocol.Errorf(protocol.CodeForbidden, "you do not coach %s", g.Name)
		}
		if in.Op.Kind != protocol.WsComment {
			return nil, protocol.Errorf(protocol.CodeForbidden, "a coach comments on a workspace; the group edits it")
		}
		if by.Name == "" {
			by.Name = "Coach"
		}
	default:
		return nil, protocol.Errorf(protocol.CodeForbidden, "a %s may not edit workspaces", a.Role)
	}
	ws := r.st.Workspaces[g.ID]
	if ws == nil {
		fresh := workspace.New(g.ID)
		ws = &fresh
	}
	next, applied, err := workspace.Apply(*ws, in.Op, workspace.Author{Name: by.Name, Role: by.Role, Student: by.Student},
		g.Members, r.now(), func() protocol.TaskID { return protocol.TaskID(uuid.NewString()) })
	if err != nil {
		return nil, err
	}
	ev := protocol.WorkspaceChanged{Group: g.ID, Op: applied, By: by, Rev: next.WS.Rev}
	if _, err := r.emit(ctx, protocol.EvWorkspace, r.groupAudience(g), ev); err != nil {
		return nil, err
	}
	return reply(map[string]any{"rev": next.WS.Rev, "op": applied})
}

// placeLate puts a student who joined after groups were formed into a
// group by the room's late-join rule, which the teacher sees and sets.
func (r *room) placeLate(ctx context.Context, sid protocol.StudentID) error {
	if r.st.LateRule != protocol.LateSmallest || len(r.st.Groups) == 0 {
		return nil
	}
	var best *class.Group
	for _, g := range r.st.Groups {
		if best == nil || len(r.st.Present(g)) < len(r.st.Present(best)) {
			best = g
		}
	}
	next := *best
	next.Members = append(slices.Clone(best.Members), sid)
	if err := r.emitGroup(ctx, &next); err != nil {
		return fmt.Errorf("place late joiner: %w", err)
	}
	return r.emitSummary(ctx)
}
