package rooms

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/workspace"
)

// maxAnnouncements is how many recent announcements a room keeps in its
// state (the log keeps them all).
const maxAnnouncements = 50

// State is a room's state: the fold of its events. It is owned by the
// room's actor and is JSON so that it can be snapshotted.
type State struct {
	Room          protocol.RoomID                 `json:"room"`
	Seq           uint64                          `json:"seq"`
	Title         string                          `json:"title"`
	Teacher       protocol.TeacherID              `json:"teacher"`
	Status        protocol.RoomStatus             `json:"status"`
	Opened        int64                           `json:"opened"`
	Students      map[protocol.StudentID]*Student `json:"students"`
	Announcements []Announcement                  `json:"announcements"`
	Owner         protocol.NodeID                 `json:"owner"`

	// Orchestration: see orchestrate.go for the commands that change it.
	Stations   []protocol.Station                        `json:"stations"`
	Groups     []*Group                                  `json:"groups"`
	Rotation   *protocol.Rotation                        `json:"rotation,omitempty"`
	Paused     bool                                      `json:"paused"`
	Proposal   *protocol.Proposal                        `json:"proposal,omitempty"`
	Placements map[protocol.StudentID]protocol.StationID `json:"placements"`
	Activities []Activity                                `json:"activities"`
	Choices    *protocol.Choices                         `json:"choices,omitempty"`
	Workspaces map[protocol.GroupID]*workspace.State     `json:"workspaces"`
	LateRule   protocol.LateRule                         `json:"late_rule"`
	// Learning: see learn.go.
	Learners   map[protocol.StudentID]*Learner `json:"learners,omitempty"`
	Flags      []protocol.Flag                 `json:"flags,omitempty"`
	Thresholds json.RawMessage                 `json:"thresholds,omitempty"`
	// Roster counts changes of who is in the class and who is present,
	// so that a proposal made before such a change is known to be stale.
	Roster uint64 `json:"roster"`
	// Clock is the time of the latest event: what views that order by
	// waiting time measure against.
	Clock int64 `json:"clock"`
}

// Group is a group as kept in state: the names of members are looked up
// in Students when a view is built.
type Group struct {
	ID      protocol.GroupID     `json:"id"`
	Name    string               `json:"name"`
	Members []protocol.StudentID `json:"members"`
	Coaches []protocol.CoachID   `json:"coaches,omitempty"`
}

// Activity is a pushed activity as kept in state, with its audience.
type Activity struct {
	Seq      uint64                  `json:"seq"`
	Pushed   protocol.ActivityPushed `json:"pushed"`
	Audience protocol.Audience       `json:"aud"`
}

// Student is one student's state in a room.
type Student struct {
	ID     protocol.StudentID `json:"id"`
	Name   string             `json:"name"`
	Joined int64              `json:"joined"`
	Online bool               `json:"online"`
	Hand   bool               `json:"hand"`
	Note   string             `json:"note,omitempty"`
	// HandSince is when the hand went up.
	HandSince int64 `json:"hand_since,omitempty"`

	Roster   string           `json:"roster,omitempty"`
	Group    protocol.GroupID `json:"group,omitempty"`
	Level    *float64         `json:"level,omitempty"`
	Interest string           `json:"interest,omitempty"`
	Choice   string           `json:"choice,omitempty"`
}

// Announcement is an announcement as kept in state, with its audience.
type Announcement struct {
	Seq      uint64                `json:"seq"`
	Time     int64                 `json:"time"`
	Data     protocol.Announcement `json:"data"`
	Audience protocol.Audience     `json:"aud"`
}

// maxActivities is how many pushed activities a room keeps in its state.
const maxActivities = 20

func newState(room protocol.RoomID) *State {
	s := &State{Room: room}
	s.init()
	return s
}

// init makes the maps of a state that was created or read from a snapshot.
func (s *State) init() {
	if s.Students == nil {
		s.Students = map[protocol.StudentID]*Student{}
	}
	if s.Placements == nil {
		s.Placements = map[protocol.StudentID]protocol.StationID{}
	}
	if s.Workspaces == nil {
		s.Workspaces = map[protocol.GroupID]*workspace.State{}
	}
	if s.LateRule == "" {
		s.LateRule = protocol.LateSmallest
	}
}

// Apply folds one event into the state. Events come from the log, so an
// event that does not fit is a corrupt log, not bad input: it is reported
// and the state is left as it was.
func (s *State) Apply(ev protocol.Event) error {
	if ev.Seq != s.Seq+1 {
		return fmt.Errorf("apply event %d to state at %d: out of order", ev.Seq, s.Seq)
	}
	switch ev.Type {
	case protocol.EvRoomOpened:
		var d protocol.RoomOpened
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		s.Title, s.Teacher, s.Status, s.Opened = d.Title, d.Teacher, protocol.StatusOpen, ev.Time
	case protocol.EvStudentJoined:
		var d protocol.StudentJoined
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		s.Students[d.Student] = &Student{ID: d.Student, Name: d.Name, Joined: ev.Time, Roster: d.Roster}
		if len(d.Mastery) > 0 {
			l := s.learner(d.Student)
			for sk, p := range d.Mastery {
				l.Mastery[sk] = p
			}
		}
		s.Roster++
	case protocol.EvPresence:
		var d protocol.Presence
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		if st := s.Students[d.Student]; st != nil {
			st.Online = d.Online
			s.Roster++
		}
	case protocol.EvAnnouncement:
		var d protocol.Announcement
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		s.Announcements = append(s.Announcements, Announcement{Seq: ev.Seq, Time: ev.Time, Data: d, Audience: ev.Audience})
		if n := len(s.Announcements); n > maxAnnouncements {
			s.Announcements = slices.Delete(s.Announcements, 0, n-maxAnnouncements)
		}
	case protocol.EvHand:
		var d protocol.Hand
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		if st := s.Students[d.Student]; st != nil {
			if d.Raised && !st.Hand {
				st.HandSince = ev.Time
			}
			st.Hand, st.Note = d.Raised, d.Note
		}
	case protocol.EvClassEnded:
		s.Status = protocol.StatusEnded
	case protocol.EvOwnerChanged:
		var d protocol.OwnerChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		s.Owner = d.Node
	default:
		handled, err := s.applyOrchestration(ev)
		if !handled {
			handled, err = s.applyLearning(ev)
		}
		if handled {
			if err != nil {
				return fmt.Errorf("apply %s: %w", ev.Type, err)
			}
			break
		}
		// An event type from a newer version: keep the offset moving so
		// that an older node can still follow the log.
	}
	s.Seq = ev.Seq
	s.Clock = max(s.Clock, ev.Time)
	return nil
}
