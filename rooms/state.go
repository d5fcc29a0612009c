package rooms

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
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
}

// Student is one student's state in a room.
type Student struct {
	ID     protocol.StudentID `json:"id"`
	Name   string             `json:"name"`
	Joined int64              `json:"joined"`
	Online bool               `json:"online"`
	Hand   bool               `json:"hand"`
	Note   string             `json:"note,omitempty"`
}

// Announcement is an announcement as kept in state.
type Announcement struct {
	Seq  uint64             `json:"seq"`
	Time int64              `json:"time"`
	Text string             `json:"text"`
	To   protocol.StudentID `json:"to,omitempty"`
}

func newState(room protocol.RoomID) *State {
	return &State{Room: room, Students: map[protocol.StudentID]*Student{}}
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
		s.Students[d.Student] = &Student{ID: d.Student, Name: d.Name, Joined: ev.Time}
	case protocol.EvPresence:
		var d protocol.Presence
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		if st := s.Students[d.Student]; st != nil {
			st.Online = d.Online
		}
	case protocol.EvAnnouncement:
		var d protocol.Announcement
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		s.Announcements = append(s.Announcements, Announcement{Seq: ev.Seq, Time: ev.Time, Text: d.Text, To: d.To})
		if n := len(s.Announcements); n > maxAnnouncements {
			s.Announcements = slices.Delete(s.Announcements, 0, n-maxAnnouncements)
		}
	case protocol.EvHand:
		var d protocol.Hand
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Type, err)
		}
		if st := s.Students[d.Student]; st != nil {
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
		// An event type from a newer version: keep the offset moving so
		// that an older node can still follow the log.
	}
	s.Seq = ev.Seq
	return nil
}

func (s *State) announcementsFor(v protocol.Viewer) []protocol.Announcement {
	out := []protocol.Announcement{}
	for _, a := range s.Announcements {
		aud := protocol.ToAll
		if a.To != "" {
			aud = protocol.ToStudent(a.To)
		}
		if aud.Allows(v) {
			out = append(out, protocol.Announcement{Text: a.Text, To: a.To})
		}
	}
	return out
}

func (st *Student) entry() protocol.RosterEntry {
	return protocol.RosterEntry{ID: st.ID, Name: st.Name, Online: st.Online, Hand: st.Hand, Note: st.Note, Joined: st.Joined}
}

// View is the snapshot that v may see. Coaches see the teacher's view
// limited to the students of their groups (none until groups exist).
func (s *State) View(v protocol.Viewer) any {
	switch v.Role {
	case protocol.RoleTeacher, protocol.RoleCoach:
		tv := protocol.TeacherView{
			Room: s.Room, Title: s.Title, Status: s.Status, Opened: s.Opened,
			Students: []protocol.RosterEntry{}, Announcements: s.announcementsFor(v),
		}
		if v.Role == protocol.RoleTeacher {
			for _, st := range s.Students {
				tv.Students = append(tv.Students, st.entry())
			}
			slices.SortFunc(tv.Students, func(a, b protocol.RosterEntry) int {
				if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
					return c
				}
				return strings.Compare(string(a.ID), string(b.ID))
			})
		}
		return tv
	case protocol.RoleStudent:
		sv := protocol.StudentView{Room: s.Room, Title: s.Title, Status: s.Status, Announcements: s.announcementsFor(v)}
		if st := s.Students[v.Student]; st != nil {
			sv.Me = st.entry()
		}
		return sv
	default:
		pv := protocol.ProjectorView{Room: s.Room, Title: s.Title, Status: s.Status, Announcements: s.announcementsFor(v)}
		for _, st := range s.Students {
			if st.Online {
				pv.Online++
			}
		}
		return pv
	}
}
