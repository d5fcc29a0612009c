package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// From flags to small groups. When several students are flagged on the
// same skill, or lack the same prerequisite, the help queue proposes one
// teacher-led small group for them with that skill's supplemental lesson.
// A proposal is a suggestion: it waits for the teacher, who accepts it
// (as it is or with other students), or dismisses it; it goes stale when
// its students' flags resolve first. Every step is a small_group event
// in the class's log, so a restart forgets nothing.

// teacherTableName is the name of the teacher-led station a small group
// makes when the class has none.
const teacherTableName = "Teacher's table"

// smallGroupMin is how many students flagged on one skill make a
// proposal.
func (r *room) smallGroupMin() int { return r.m.cfg.SmallGroupMin }

// skillName is a skill's name in the bank of one of the students' sets,
// or its ID.
func (r *room) skillName(ctx context.Context, skill protocol.SkillID, students []protocol.StudentID) string {
	for _, sid := range students {
		l := r.st.Learners[sid]
		if l == nil || l.Set.Bank == "" {
			continue
		}
		if b, err := r.bank(ctx, l.Set.Bank); err == nil {
			if s := b.Skill(skill); s != nil && s.Name != "" {
				return s.Name
			}
		}
	}
	return string(skill)
}

// inSmallGroup reports whether a student is already taken care of for a
// skill: in a small group for it that waits for the next leg, or formed
// and still together.
func (r *room) inSmallGroup(sid protocol.StudentID, skill protocol.SkillID) bool {
	for _, g := range r.st.SmallGroups {
		if g.Skill != skill || !slices.ContainsFunc(g.Students, func(m protocol.Member) bool { return m.ID == sid }) {
			continue
		}
		switch g.Status {
		case protocol.SmallGroupScheduled:
			return true
		case protocol.SmallGroupFormed:
			if st := r.st.Students[sid]; st != nil && st.Group == g.Group {
				return true
			}
		}
	}
	return false
}

func ids(ms []protocol.Member) []protocol.StudentID {
	out := make([]protocol.StudentID, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func (r *room) emitSmallGroup(ctx context.Context, change string, g protocol.SmallGroup) error {
	_, err := r.emit(ctx, protocol.EvSmallGroup, protocol.ToTeachers, protocol.SmallGroupChanged{Change: change, SmallGroup: g})
	return err
}

// reconcileSmallGroups brings the proposals in line with the flags now:
// a new proposal for a skill several students need, an update when who
// needs it changed, stale when too few still do.
func (r *room) reconcileSmallGroups(ctx context.Context) error {
	if r.st.Status != protocol.StatusOpen {
		return nil
	}
	now := r.now()
	eligible := func(sid protocol.StudentID, skill protocol.SkillID) bool {
		st := r.st.Students[sid]
		return st != nil && st.Online && !r.inSmallGroup(sid, skill)
	}
	clusters := detect.Clusters(r.st.Flags, r.smallGroupMin(), now, eligible)
	bySkill := map[protocol.SkillID]detect.Cluster{}
	for _, c := range clusters {
		bySkill[c.Skill] = c
	}
	open := map[protocol.SkillID]bool{}
	for _, g := range slices.Clone(r.st.SmallGroups) {
		if g.Status != protocol.SmallGroupProposed {
			if g.Status == protocol.SmallGroupScheduled {
				open[g.Skill] = true
			}
			continue
		}
		c, ok := bySkill[g.Skill]
		if !ok {
			g.Status, g.Updated = protocol.SmallGroupStale, now
			if err := r.emitSmallGroup(ctx, "stale", g); err != nil {
				return err
			}
			continue
		}
		open[g.Skill] = true
		if slices.Equal(ids(g.Students), c.Students) && slices.Equal(g.Flags, c.Flags) {
			continue
		}
		next := r.fromCluster(ctx, c, now)
		next.ID, next.Made = g.ID, g.Made
		if err := r.emitSmallGroup(ctx, "updated", next); err != nil {
			return err
		}
	}
	for _, c := range clusters {
		if open[c.Skill] || r.dismissed(c) {
			continue
		}
		g := r.fromCluster(ctx, c, now)
		g.ID, g.Made = protocol.SmallGroupID(uuid.NewString()), now
		if err := r.emitSmallGroup(ctx, "proposed", g); err != nil {
			return err
		}
	}
	return nil
}

// dismissed reports whether the teacher dismissed a proposal for the
// same skill with every one of these students in it: it is not proposed
// again until someone new needs it.
func (r *room) dismissed(c detect.Cluster) bool {
	for _, g := range r.st.SmallGroups {
		if g.Skill != c.Skill || g.Status != protocol.SmallGroupDismissed {
			continue
		}
		had := ids(g.Students)
		if !slices.ContainsFunc(c.Students, func(s protocol.StudentID) bool { return !slices.Contains(had, s) }) {
			return true
		}
	}
	return false
}

func (r *room) fromCluster(ctx context.Context, c detect.Cluster, now int64) protocol.SmallGroup {
	name := r.skillName(ctx, c.Skill, c.Students)
	g := protocol.SmallGroup{
		Skill: c.Skill, SkillName: name, Students: r.membersOf(c.Students), Flags: slices.Clone(c.Flags),
		Lesson: c.Lesson, Status: protocol.SmallGroupProposed, Updated: now,
	}
	// The names are in Students, not in the sentence: erasing a student
	// from the log removes them from the list.
	what := "are flagged on " + name
	if c.Prereq {
		what = "lack the prerequisite " + name
	}
	g.Reason = fmt.Sprintf("%d students %s. Teach them together at the teacher's table", len(g.Students), what)
	if c.Lesson != nil && c.Lesson.Title != "" {
		g.Reason += fmt.Sprintf(", with the lesson %q", c.Lesson.Title)
	}
	g.Reason += "."
	return g
}

// smallGroupAction is the teacher's answer to a proposal.
func (r *room) smallGroupAction(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.SmallGroupAction)
	cur := r.st.SmallGroup(in.SmallGroup)
	switch {
	case cur == nil:
		return nil, protocol.Errorf(protocol.CodeNotFound, "no small group %s in this class", in.SmallGroup)
	case cur.Status == protocol.SmallGroupStale:
		return nil, protocol.Errorf(protocol.CodeStale, "the flags behind this small group were resolved; it is no longer proposed")
	case cur.Status != protocol.SmallGroupProposed:
		return nil, protocol.Errorf(protocol.CodeWrongState, "this small group was already %s", cur.Status)
	}
	g := *cur
	g.Updated = r.now()
	if in.Action == protocol.SmallGroupDismiss {
		g.Status = protocol.SmallGroupDismissed
		if err := r.emitSmallGroup(ctx, "dismissed", g); err != nil {
			return nil, err
		}
		return reply(map[string]any{"status": g.Status})
	}
	students := ids(g.Students)
	if in.Students != nil {
		students = in.Students
	}
	for _, sid := range students {
		st := r.st.Students[sid]
		switch {
		case st == nil:
			return nil, protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", sid)
		case !st.Online:
			return nil, protocol.Errorf(protocol.CodeAbsent, "%s has left the class", st.Name)
		}
	}
	g.Students = r.membersOf(students)
	g.Flags = r.flagsOf(g.Flags, students)
	station, made := r.teacherStation()
	if !made {
		s := r.st.Station(station)
		arriving := 0
		for _, sid := range students {
			if r.st.StationOf(sid) != station {
				arriving++
			}
		}
		if s.Capacity > 0 && len(r.st.AtStation(station))+arriving > s.Capacity {
			return nil, protocol.Errorf(protocol.CodeFull, "%s holds %d; %d are there and the small group brings %d", s.Name, s.Capacity, len(r.st.AtStation(station)), arriving)
		}
	}
	if made {
		list := append(slices.Clone(r.st.Stations), protocol.Station{ID: station, Name: teacherTableName, Kind: protocol.StationTeacherLed})
		if len(list) > protocol.MaxStations {
			return nil, protocol.Errorf(protocol.CodeWrongState, "there is no teacher-led station, and the class has no room for another station")
		}
		if _, err := r.emit(ctx, protocol.EvStations, protocol.ToAll, protocol.Stations{Stations: list}); err != nil {
			return nil, err
		}
	}
	g.Station = station
	if rot := r.st.Rotation; rot != nil && !rot.Ended {
		// The rotation's groups keep their leg; the small group forms
		// when it ends.
		g.Status = protocol.SmallGroupScheduled
		if err := r.emitSmallGroup(ctx, "accepted", g); err != nil {
			return nil, err
		}
		return reply(map[string]any{"status": g.Status})
	}
	if err := r.formSmallGroup(ctx, g, "accepted"); err != nil {
		return nil, err
	}
	return reply(map[string]any{"status": protocol.SmallGroupFormed, "group": r.st.SmallGroup(g.ID).Group})
}

// teacherStation is the class's teacher-led station, or the ID of one to
// make (made).
func (r *room) teacherStation() (id protocol.StationID, made bool) {
	for _, s := range r.st.Stations {
		if s.Kind == protocol.StationTeacherLed {
			return s.ID, false
		}
	}
	return protocol.StationID(uuid.NewString()), true
}

// formSmallGroup makes the small group: its students leave their groups
// for a group of their own, are placed at the teacher-led station and
// sent the skill's supplemental lesson; the flags it answers are marked
// as seen to.
func (r *room) formSmallGroup(ctx context.Context, g protocol.SmallGroup, change string) error {
	var students []protocol.StudentID
	for _, m := range g.Students {
		if r.st.Students[m.ID] != nil {
			students = append(students, m.ID)
		}
	}
	now := r.now()
	g.Updated = now
	if len(students) == 0 {
		g.Status = protocol.SmallGroupStale
		return r.emitSmallGroup(ctx, "stale", g)
	}
	if r.st.Station(g.Station) == nil {
		// The station went while the group waited for its leg.
		station, made := r.teacherStation()
		if made {
			list := append(slices.Clone(r.st.Stations), protocol.Station{ID: station, Name: teacherTableName, Kind: protocol.StationTeacherLed})
			if _, err := r.emit(ctx, protocol.EvStations, protocol.ToAll, protocol.Stations{Stations: list}); err != nil {
				return err
			}
		}
		g.Station = station
	}
	for _, old := range slices.Clone(r.st.Groups) {
		if !slices.ContainsFunc(old.Members, func(m protocol.StudentID) bool { return slices.Contains(students, m) }) {
			continue
		}
		next := *old
		next.Members = slices.DeleteFunc(slices.Clone(old.Members), func(m protocol.StudentID) bool { return slices.Contains(students, m) })
		if err := r.emitGroup(ctx, &next); err != nil {
			return err
		}
	}
	gid := protocol.GroupID(uuid.NewString())
	name := []rune("Small group: " + g.SkillName)
	if len(name) > protocol.MaxGroupNameRunes {
		name = append(name[:protocol.MaxGroupNameRunes-1], '…')
	}
	gv := protocol.Group{ID: gid, Name: string(name), Members: r.membersOf(students)}
	if _, err := r.emit(ctx, protocol.EvGroup, protocol.ToGroup(gid, students, nil), protocol.GroupChanged{Group: gv}); err != nil {
		return err
	}
	if err := r.emitSummary(ctx); err != nil {
		return err
	}
	for _, sid := range students {
		if r.st.Placements[sid] == g.Station {
			continue
		}
		if _, err := r.emit(ctx, protocol.EvPlacement, protocol.ToStudent(sid), protocol.Placement{Student: sid, Station: g.Station}); err != nil {
			return err
		}
	}
	if g.Lesson != nil && len(g.Lesson.Items) > 0 {
		for _, sid := range students {
			if err := r.sendLesson(ctx, sid, *g.Lesson); err != nil {
				return err
			}
		}
	}
	for _, id := range g.Flags {
		f := r.flag(id)
		if f == nil || closed(*f) || !slices.Contains(students, f.Student) || f.Status == protocol.FlagAcked {
			continue
		}
		next := *f
		if next.Acked == 0 {
			next.Acked = now
		}
		next.Status, next.Updated = protocol.FlagAcked, now
		if err := r.emitFlag(ctx, "small_group", next); err != nil {
			return err
		}
	}
	g.Students = r.membersOf(students)
	g.Flags = r.flagsOf(g.Flags, students)
	g.Status, g.Group = protocol.SmallGroupFormed, gid
	return r.emitSmallGroup(ctx, change, g)
}

// flagsOf keeps, of a small group's flags, those about its students: a
// student the teacher left out takes their flag with them.
func (r *room) flagsOf(flags []protocol.FlagID, students []protocol.StudentID) []protocol.FlagID {
	return slices.DeleteFunc(slices.Clone(flags), func(id protocol.FlagID) bool {
		f := r.flag(id)
		return f != nil && !slices.Contains(students, f.Student)
	})
}

// sendLesson sends a student the supplemental lesson of a skill, as
// send_help does, when they practise in a bank that has it.
func (r *room) sendLesson(ctx context.Context, sid protocol.StudentID, h protocol.Help) error {
	l := r.st.Learners[sid]
	if l == nil || l.Set.Bank == "" || l.Closed {
		return nil
	}
	b, err := r.bank(ctx, l.Set.Bank)
	if err != nil {
		return err
	}
	lesson, ok := b.Lesson(h.Skill)
	if !ok {
		return nil
	}
	help := protocol.HelpSent{Student: sid, Help: h, Text: lesson.Text}
	help.Help.Advice = ""
	_, err = r.emit(ctx, protocol.EvHelpSent, protocol.ToStudent(sid), help)
	return err
}

// atNextLeg carries out what waited for the rotation's next leg: a
// regrouping the teacher applied while it ran, and the small groups
// accepted meanwhile. It is called after each rotation event; only one
// that moves groups on (or ends the rotation) is a new leg.
func (r *room) atNextLeg(ctx context.Context, actions []protocol.RotationAction) error {
	newLeg := r.st.Rotation == nil || r.st.Rotation.Ended
	for _, a := range actions {
		switch a.Kind {
		case "advance", "finish", "end":
			newLeg = true
		}
	}
	if !newLeg {
		return nil
	}
	if r.st.Regroup != nil {
		if err := r.regroupNow(ctx, *r.st.Regroup); err != nil {
			return err
		}
	}
	for _, g := range slices.Clone(r.st.SmallGroups) {
		if g.Status != protocol.SmallGroupScheduled {
			continue
		}
		if err := r.formSmallGroup(ctx, g, "formed"); err != nil {
			return err
		}
	}
	return nil
}

// regroupNow forms the groups of a regrouping that waited for the
// rotation's next leg. The new groups take over the rotation's tracks in
// order, so each goes on where the group it replaces would have.
func (r *room) regroupNow(ctx context.Context, p protocol.Proposal) error {
	var groups []protocol.ProposedGroup
	for _, g := range p.Groups {
		members := slices.DeleteFunc(slices.Clone(g.Members), func(m protocol.StudentID) bool { return r.st.Students[m] == nil })
		groups = append(groups, protocol.ProposedGroup{Name: g.Name, Members: members})
	}
	ids, err := r.formGroups(ctx, groups, p.ID)
	if err != nil {
		return err
	}
	rot := r.st.Rotation
	if rot == nil || rot.Ended {
		return nil
	}
	next := *rot
	next.Tracks = slices.Clone(rot.Tracks)
	for i := range next.Tracks {
		if i < len(ids) {
			next.Tracks[i].Group = ids[i]
		}
	}
	_, err = r.emit(ctx, protocol.EvRotation, protocol.ToAll, protocol.RotationChanged{
		Actions:  []protocol.RotationAction{{Kind: "regroup", At: r.now()}},
		Rotation: next,
	})
	return err
}

// scheduleRegroup keeps a regrouping applied while a rotation runs for
// the rotation's next leg.
func (r *room) scheduleRegroup(ctx context.Context, p protocol.Proposal, groups []protocol.ProposedGroup) (json.RawMessage, error) {
	tracks := len(r.st.Rotation.Tracks)
	if len(groups) != tracks {
		return nil, protocol.Errorf(protocol.CodeWrongState, "the running rotation has %d groups; a regrouping into %d cannot take over its tracks at the next leg (regroup into %d, or end the rotation first)", tracks, len(groups), tracks)
	}
	p.Groups, p.Scheduled = groups, true
	if _, err := r.emit(ctx, protocol.EvProposal, protocol.ToTeachers, p); err != nil {
		return nil, err
	}
	return reply(map[string]any{"scheduled": true})
}

// checkGroups reads the groups of a regrouping: every member a student
// of the class, present unless the proposal included absent students,
// and in one group only.
func (r *room) checkGroups(groups []protocol.ProposedGroup, includeAbsent bool) error {
	seen := map[protocol.StudentID]string{}
	for _, g := range groups {
		for _, m := range g.Members {
			st := r.st.Students[m]
			switch {
			case st == nil:
				return protocol.Errorf(protocol.CodeNotFound, "no student %s in this class", m)
			case !st.Online && !includeAbsent:
				return protocol.Errorf(protocol.CodeAbsent, "%s has left the class", st.Name)
			case seen[m] != "":
				return protocol.Errorf(protocol.CodeInvalid, "%s is in both %s and %s", st.Name, seen[m], g.Name)
			}
			seen[m] = g.Name
		}
	}
	return nil
}

// formGroups replaces the class's groups with these, and returns their
// IDs in order. proposal names the scheduled regrouping they carry out.
func (r *room) formGroups(ctx context.Context, groups []protocol.ProposedGroup, proposal protocol.ProposalID) ([]protocol.GroupID, error) {
	ids := make([]protocol.GroupID, len(groups))
	summary := protocol.Groups{Groups: []protocol.GroupSummary{}, Proposal: proposal}
	for i, g := range groups {
		ids[i] = protocol.GroupID(uuid.NewString())
		members := slices.Clone(g.Members)
		gv := protocol.Group{ID: ids[i], Name: g.Name, Members: r.membersOf(members)}
		if _, err := r.emit(ctx, protocol.EvGroup, protocol.ToGroup(ids[i], members, nil), protocol.GroupChanged{Group: gv}); err != nil {
			return nil, err
		}
		summary.Groups = append(summary.Groups, protocol.GroupSummary{ID: ids[i], Name: g.Name, Size: len(members)})
	}
	if _, err := r.emit(ctx, protocol.EvGroups, protocol.ToAll, summary); err != nil {
		return nil, err
	}
	r.afterFlush(func(ctx context.Context) { r.m.history.record(ctx, r.st.Teacher, r.id, r.st) })
	return ids, nil
}
