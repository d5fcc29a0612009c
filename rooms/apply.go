package rooms

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/workspace"
)

// applyOrchestration folds the events of stations, groups, rotation and
// workspaces. It reports whether it knew the event type.
func (s *State) applyOrchestration(ev protocol.Event) (bool, error) {
	decode := func(v any) error { return json.Unmarshal(ev.Data, v) }
	switch ev.Type {
	case protocol.EvStations:
		var d protocol.Stations
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Stations = d.Stations
		for sid, st := range s.Placements {
			if s.station(st) == nil {
				delete(s.Placements, sid)
			}
		}
	case protocol.EvGroup:
		var d protocol.GroupChanged
		if err := decode(&d); err != nil {
			return true, err
		}
		g := s.group(d.Group.ID)
		if g == nil {
			g = &Group{ID: d.Group.ID}
			s.Groups = append(s.Groups, g)
		}
		g.Name, g.Coaches = d.Group.Name, d.Group.Coaches
		members := make([]protocol.StudentID, 0, len(d.Group.Members))
		for _, m := range d.Group.Members {
			members = append(members, m.ID)
		}
		if !slices.Equal(members, g.Members) {
			// Only a change of who is where makes a proposal stale, not a
			// coach or a name.
			s.Roster++
		}
		g.Members = members
		for _, st := range s.Students {
			in := slices.Contains(g.Members, st.ID)
			switch {
			case in:
				st.Group = g.ID
			case st.Group == g.ID:
				st.Group = ""
			}
		}
		if s.Workspaces[g.ID] == nil {
			ws := workspace.New(g.ID)
			s.Workspaces[g.ID] = &ws
		}
	case protocol.EvGroups:
		var d protocol.Groups
		if err := decode(&d); err != nil {
			return true, err
		}
		keep := make([]*Group, 0, len(d.Groups))
		for _, gs := range d.Groups {
			if g := s.group(gs.ID); g != nil {
				keep = append(keep, g)
			}
		}
		for _, g := range s.Groups {
			if !slices.Contains(keep, g) {
				delete(s.Workspaces, g.ID)
				for _, st := range s.Students {
					if st.Group == g.ID {
						st.Group = ""
					}
				}
			}
		}
		s.Groups = keep
		s.Proposal = nil
		s.Roster++
	case protocol.EvProposal:
		var d protocol.Proposal
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Proposal = &d
	case protocol.EvPlacement:
		var d protocol.Placement
		if err := decode(&d); err != nil {
			return true, err
		}
		if d.Station == "" {
			delete(s.Placements, d.Student)
		} else {
			s.Placements[d.Student] = d.Station
		}
	case protocol.EvRotation:
		var d protocol.RotationChanged
		if err := decode(&d); err != nil {
			return true, err
		}
		rot := d.Rotation
		s.Rotation = &rot
		// A placement lasts until the student's group moves on.
		for _, a := range d.Actions {
			moved := (a.Kind == "advance" || a.Kind == "done") && a.Group != ""
			if !moved && a.Kind != "end" {
				continue
			}
			for sid := range s.Placements {
				if st := s.Students[sid]; st != nil && (a.Kind == "end" || st.Group == a.Group) {
					delete(s.Placements, sid)
				}
			}
		}
	case protocol.EvClassPaused:
		var d protocol.ClassPaused
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Paused = d.Paused
	case protocol.EvActivity:
		var d protocol.ActivityPushed
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Activities = append(s.Activities, Activity{Seq: ev.Seq, Pushed: d, Audience: ev.Audience})
		if n := len(s.Activities); n > maxActivities {
			s.Activities = slices.Delete(s.Activities, 0, n-maxActivities)
		}
	case protocol.EvLevel:
		var d protocol.Level
		if err := decode(&d); err != nil {
			return true, err
		}
		if st := s.Students[d.Student]; st != nil {
			lv := d.Level
			st.Level = &lv
		}
	case protocol.EvChoices:
		var d protocol.Choices
		if err := decode(&d); err != nil {
			return true, err
		}
		s.Choices = nil
		if len(d.Options) > 0 {
			s.Choices = &d
		}
		for _, st := range s.Students {
			st.Choice = ""
		}
	case protocol.EvChoice:
		var d protocol.Choice
		if err := decode(&d); err != nil {
			return true, err
		}
		if st := s.Students[d.Student]; st != nil {
			if d.Option != nil {
				st.Choice = *d.Option
			}
			if d.Interest != nil {
				st.Interest = *d.Interest
			}
		}
	case protocol.EvWorkspace:
		var d protocol.WorkspaceChanged
		if err := decode(&d); err != nil {
			return true, err
		}
		ws := s.Workspaces[d.Group]
		if ws == nil {
			return true, fmt.Errorf("no workspace of group %s", d.Group)
		}
		next, err := workspace.Redo(*ws, d.Op, workspace.Author{Name: d.By.Name, Role: d.By.Role, Student: d.By.Student}, ev.Time)
		if err != nil {
			return true, err
		}
		s.Workspaces[d.Group] = &next
	case protocol.EvLateRule:
		var d protocol.LateRuleSet
		if err := decode(&d); err != nil {
			return true, err
		}
		s.LateRule = d.Rule
	default:
		return false, nil
	}
	return true, nil
}
