package class

import (
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// entry is what a roster shows of one student. In an ended class nobody
// is here and nobody waits for help: the state keeps presence and hands
// as the last events left them (no event marks every device gone when a
// class ends, and the log is not rewritten), but a view says what is
// true now, so an ended class shows every student offline with no hand
// up. ClassTeachers does the same for its teachers.
func (s *State) entry(st *Student) protocol.RosterEntry {
	e := protocol.RosterEntry{
		ID: st.ID, Name: st.Name, Online: st.Online, Hand: st.Hand, Note: st.Note, Joined: st.Joined,
		Group: st.Group, Level: st.Level, Interest: st.Interest, Choice: st.Choice,
	}
	if s.Status == protocol.StatusEnded {
		e.Online, e.Hand, e.Note = false, false, ""
	}
	return e
}

func sortRoster(list []protocol.RosterEntry) {
	slices.SortFunc(list, func(a, b protocol.RosterEntry) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
}

// View is the snapshot that v may see. Coaches see the teacher's view
// limited to their groups and those groups' students.
func (s *State) View(v protocol.Viewer) any {
	switch v.Role {
	case protocol.RoleTeacher, protocol.RoleCoach:
		return s.staffView(v)
	case protocol.RoleStudent:
		return s.studentView(v)
	default:
		pv := protocol.ProjectorView{
			Room: s.Room, Title: s.Title, Status: s.Status, Announcements: s.announcementsFor(v),
			Stations: s.stations(), Groups: s.GroupSummaries(), Rotation: s.Rotation, Paused: s.Paused,
			Activities: s.activitiesFor(v), Choices: s.Choices,
		}
		for _, st := range s.Students {
			if st.Online && s.Status != protocol.StatusEnded {
				pv.Online++
			}
		}
		return pv
	}
}

func (s *State) staffView(v protocol.Viewer) protocol.TeacherView {
	teacher := v.Role == protocol.RoleTeacher
	tv := protocol.TeacherView{
		Room: s.Room, Title: s.Title, Status: s.Status, Opened: s.Opened,
		Students: []protocol.RosterEntry{}, Announcements: s.announcementsFor(v),
		Stations: s.stations(), Groups: []protocol.Group{}, Rotation: s.Rotation, Paused: s.Paused,
		Placements: []protocol.Placement{}, Activities: s.activitiesFor(v), Choices: s.Choices,
		Workspaces: []protocol.Workspace{}, LateRule: s.LateRule,
	}
	visible := func(sid protocol.StudentID) bool { return teacher }
	if !teacher {
		mine := map[protocol.StudentID]bool{}
		for _, g := range s.Groups {
			if slices.Contains(v.Groups, g.ID) {
				for _, m := range g.Members {
					mine[m] = true
				}
			}
		}
		visible = func(sid protocol.StudentID) bool { return mine[sid] }
	} else {
		tv.Proposal, tv.Regroup = s.Proposal, s.Regroup
		tv.Teachers, tv.You = s.ClassTeachers(), s.TeachRole(v.Teacher)
	}
	if !teacher {
		// What is on offer is for everyone, as its choices event is; the
		// students' picks are the teachers' (below).
		tv.LateRule = ""
	}
	for _, st := range s.Students {
		if visible(st.ID) {
			e := s.entry(st)
			if !teacher {
				// A coach follows projects: names, groups and who is
				// here (presence goes to the group's coaches too). Hands,
				// levels and choices are the teachers', and so are their
				// events, so a coach's screen never shows them.
				e = protocol.RosterEntry{ID: e.ID, Name: e.Name, Joined: e.Joined, Group: e.Group, Online: e.Online}
			}
			tv.Students = append(tv.Students, e)
		}
	}
	sortRoster(tv.Students)
	for _, g := range s.Groups {
		if teacher || slices.Contains(v.Groups, g.ID) {
			tv.Groups = append(tv.Groups, s.groupView(g))
			if ws := s.Workspaces[g.ID]; ws != nil {
				tv.Workspaces = append(tv.Workspaces, ws.WS)
			}
		}
	}
	tv.Flags = s.openFlags(visible)
	tv.SmallGroups = []protocol.SmallGroup{}
	for _, g := range s.SmallGroups {
		if teacher && OpenSmallGroup(g) {
			tv.SmallGroups = append(tv.SmallGroups, g)
		}
	}
	tv.Learning = []protocol.LearnerSummary{}
	for sid, l := range s.Learners {
		if teacher && l.Set.Bank != "" {
			tv.Learning = append(tv.Learning, l.summary(sid))
		}
	}
	slices.SortFunc(tv.Learning, func(a, b protocol.LearnerSummary) int { return strings.Compare(string(a.Student), string(b.Student)) })
	for sid, station := range s.Placements {
		if teacher {
			tv.Placements = append(tv.Placements, protocol.Placement{Student: sid, Station: station})
		}
	}
	slices.SortFunc(tv.Placements, func(a, b protocol.Placement) int { return strings.Compare(string(a.Student), string(b.Student)) })
	return tv
}

// ClassTeachers lists the class's teachers: the owner, then those it is
// shared with, by name. In an ended class none is online: the consoles
// that were on it when it ended are closed, and presence is no longer
// kept (see entry).
func (s *State) ClassTeachers() []protocol.ClassTeacher {
	here := func(t protocol.TeacherID) bool { return s.Status != protocol.StatusEnded && s.TeachersOnline[t] }
	out := []protocol.ClassTeacher{{ID: s.Teacher, Name: s.TeacherName, Role: protocol.TeachOwner, Online: here(s.Teacher)}}
	for _, sh := range s.Shares {
		out = append(out, protocol.ClassTeacher{ID: sh.Teacher, Name: sh.Name, Email: sh.Email, Role: sh.Role, Since: sh.Since, Online: here(sh.Teacher)})
	}
	slices.SortFunc(out[1:], func(a, b protocol.ClassTeacher) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	return out
}

func (s *State) studentView(v protocol.Viewer) protocol.StudentView {
	sv := protocol.StudentView{
		Room: s.Room, Title: s.Title, Status: s.Status, Announcements: s.announcementsFor(v),
		Stations: s.stations(), Groups: s.GroupSummaries(), Rotation: s.Rotation, Paused: s.Paused,
		Activities: s.activitiesFor(v), Choices: s.Choices,
	}
	st := s.Students[v.Student]
	if st == nil {
		return sv
	}
	sv.Me = s.entry(st)
	sv.Me.Level = nil // the teacher's estimate is the teacher's
	if g := s.Group(st.Group); g != nil {
		gv := s.groupView(g)
		gv.Coaches = nil
		sv.Group = &gv
		if ws := s.Workspaces[g.ID]; ws != nil {
			w := ws.WS
			sv.Workspace = &w
		}
	}
	sv.Station = s.StationOf(st.ID)
	if l := s.Learners[st.ID]; l != nil {
		sv.Practice = l.practice(st.ID)
	}
	return sv
}

func (s *State) stations() []protocol.Station {
	if s.Stations == nil {
		return []protocol.Station{}
	}
	return s.Stations
}

func (s *State) GroupSummaries() []protocol.GroupSummary {
	out := []protocol.GroupSummary{}
	for _, g := range s.Groups {
		out = append(out, protocol.GroupSummary{ID: g.ID, Name: g.Name, Size: len(g.Members)})
	}
	return out
}

// groupView is a group as its members, its coaches and the teachers see it.
func (s *State) groupView(g *Group) protocol.Group {
	out := protocol.Group{ID: g.ID, Name: g.Name, Members: []protocol.Member{}, Coaches: g.Coaches}
	for _, m := range g.Members {
		name := ""
		if st := s.Students[m]; st != nil {
			name = st.Name
		}
		out.Members = append(out.Members, protocol.Member{ID: m, Name: name})
	}
	if ws := s.Workspaces[g.ID]; ws != nil && len(ws.Roles) > 0 {
		out.Roles = ws.Roles
	}
	return out
}

func (s *State) activitiesFor(v protocol.Viewer) []protocol.ActivityPushed {
	return visible(v, s.Activities, func(a Activity) (protocol.Audience, protocol.ActivityPushed) { return a.Audience, a.Pushed })
}

func (s *State) announcementsFor(v protocol.Viewer) []protocol.Announcement {
	return visible(v, s.Announcements, func(a Announcement) (protocol.Audience, protocol.Announcement) { return a.Audience, a.Data })
}

// visible is the data of the kept items whose audience allows v, in order
// (never nil, so that views show an empty list).
func visible[T, D any](v protocol.Viewer, items []T, split func(T) (protocol.Audience, D)) []D {
	out := []D{}
	for _, it := range items {
		if aud, d := split(it); aud.Allows(v) {
			out = append(out, d)
		}
	}
	return out
}

func (s *State) Group(id protocol.GroupID) *Group {
	if id == "" {
		return nil
	}
	for _, g := range s.Groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (s *State) Station(id protocol.StationID) *protocol.Station {
	for i := range s.Stations {
		if s.Stations[i].ID == id {
			return &s.Stations[i]
		}
	}
	return nil
}

// stationOf is where a student is now: sent to a station by the teacher,
// else where their group's rotation track is, else nowhere.
func (s *State) StationOf(sid protocol.StudentID) protocol.StationID {
	if st, ok := s.Placements[sid]; ok {
		return st
	}
	stu := s.Students[sid]
	if stu == nil || stu.Group == "" || s.Rotation == nil || s.Rotation.Ended {
		return ""
	}
	for _, t := range s.Rotation.Tracks {
		if t.Group == stu.Group && !t.Done {
			return t.Station
		}
	}
	return ""
}

// atStation lists the present students at a station now.
func (s *State) AtStation(id protocol.StationID) []protocol.StudentID {
	var out []protocol.StudentID
	for sid, st := range s.Students {
		if st.Online && s.StationOf(sid) == id {
			out = append(out, sid)
		}
	}
	slices.Sort(out)
	return out
}

// present lists a group's members who are in class now.
func (s *State) Present(g *Group) []protocol.StudentID {
	var out []protocol.StudentID
	for _, m := range g.Members {
		if st := s.Students[m]; st != nil && st.Online {
			out = append(out, m)
		}
	}
	return out
}

// loadAt counts the present students a rotation would put at each station
// in leg leg, with the teacher's placements on top.
func (s *State) LoadAt(r protocol.Rotation, leg int) map[protocol.StationID]int {
	load := map[protocol.StationID]int{}
	for _, t := range r.Tracks {
		if t.Done || len(r.Plan.Stations) == 0 {
			continue
		}
		g := s.Group(t.Group)
		if g == nil {
			continue
		}
		st := r.Plan.Stations[(t.First+leg)%len(r.Plan.Stations)]
		for _, m := range s.Present(g) {
			if _, placed := s.Placements[m]; !placed {
				load[st]++
			}
		}
	}
	for sid, st := range s.Placements {
		if stu := s.Students[sid]; stu != nil && stu.Online {
			load[st]++
		}
	}
	return load
}
