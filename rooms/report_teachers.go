package rooms

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
)

// TeacherReport is one teacher of the class: its owner or a teacher it was
// shared with, and how many of the actions of the report were theirs.
type TeacherReport struct {
	ID   protocol.TeacherID `json:"id"`
	Name string             `json:"name"`
	Role protocol.TeachRole `json:"role"` // at the end of the session; "" if the share was ended
	// Shared and Unshared are when the class was shared with them and,
	// if it was, when that ended (Unix ms); 0 for the owner.
	Shared   int64 `json:"shared,omitempty"`
	Unshared int64 `json:"unshared,omitempty"`
	Actions  int   `json:"actions"`
}

// ActionReport is one thing a teacher did that shaped the lesson, in the
// order of the log: who, when, and what, in words.
type ActionReport struct {
	Time    int64              `json:"time"`
	Event   protocol.EventType `json:"event"`
	Teacher protocol.TeacherID `json:"teacher"`
	Name    string             `json:"name"`
	What    string             `json:"what"`
	// Student is the student the action was about, when it was about
	// one (their flag, their level, help or work sent to them).
	Student protocol.StudentID `json:"student,omitempty"`
}

// teacherFolder collects, while the report folds the log, who taught the
// class and what each teacher did.
type teacherFolder struct {
	teachers map[protocol.TeacherID]*TeacherReport
	order    []protocol.TeacherID
	actions  []ActionReport
	flagBy   map[protocol.FlagID]*protocol.ActedBy
}

func newTeacherFolder() *teacherFolder {
	return &teacherFolder{teachers: map[protocol.TeacherID]*TeacherReport{}, flagBy: map[protocol.FlagID]*protocol.ActedBy{}}
}

func (f *teacherFolder) teacher(id protocol.TeacherID, name string) *TeacherReport {
	t := f.teachers[id]
	if t == nil {
		t = &TeacherReport{ID: id, Name: name}
		f.teachers[id] = t
		f.order = append(f.order, id)
	}
	if name != "" {
		t.Name = name
	}
	return t
}

// fold reads one event, already applied to st.
func (f *teacherFolder) fold(st *class.State, ev protocol.Event) error {
	if ev.Type == protocol.EvRoomOpened {
		f.teacher(st.Teacher, st.TeacherName).Role = protocol.TeachOwner
	}
	if ev.Type == protocol.EvShare {
		var d protocol.Share
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		t := f.teacher(d.Teacher, d.Name)
		if d.Revoked {
			t.Role, t.Unshared = "", ev.Time
		} else {
			if t.Role == "" {
				t.Shared, t.Unshared = ev.Time, 0
			}
			t.Role = d.Role
		}
	}
	if ev.By == nil {
		return nil
	}
	if ev.Type == protocol.EvFlag {
		var d protocol.FlagChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		by := *ev.By
		f.flagBy[d.Flag.ID] = &by
	}
	what, about, err := describe(st, ev)
	if err != nil || what == "" {
		return err
	}
	t := f.teacher(ev.By.Teacher, "")
	name := ev.By.Name
	if name == "" {
		name = t.Name
	}
	t.Actions++
	f.actions = append(f.actions, ActionReport{Time: ev.Time, Event: ev.Type, Teacher: ev.By.Teacher, Name: name, What: what, Student: about})
	return nil
}

// describe says in words what a teacher's event did, or "" for events
// that are not worth a line of the report (the replies to retries, one
// group's membership when the set of groups says it, a workspace edit),
// and the student it was about, when it was about one.
func describe(st *class.State, ev protocol.Event) (string, protocol.StudentID, error) {
	what, err := describeWhat(st, ev)
	if err != nil || what == "" {
		return what, "", err
	}
	var about protocol.StudentID
	switch ev.Type {
	case protocol.EvFlag:
		var d protocol.FlagChanged
		_ = json.Unmarshal(ev.Data, &d)
		about = d.Flag.Student
	case protocol.EvAnnouncement:
		var d protocol.Announcement
		_ = json.Unmarshal(ev.Data, &d)
		about = d.To
	case protocol.EvActivity:
		var d protocol.ActivityPushed
		_ = json.Unmarshal(ev.Data, &d)
		about = d.To.Student
	case protocol.EvPractice:
		var d protocol.PracticeStarted
		_ = json.Unmarshal(ev.Data, &d)
		about = d.To.Student
	case protocol.EvClosed:
		var d protocol.PracticeClosed
		_ = json.Unmarshal(ev.Data, &d)
		about = d.To.Student
	case protocol.EvPlacement, protocol.EvHelpSent, protocol.EvLevel, protocol.EvHand:
		var d struct {
			Student protocol.StudentID `json:"student"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		about = d.Student
	}
	return what, about, nil
}

func describeWhat(st *class.State, ev protocol.Event) (string, error) {
	student := func(id protocol.StudentID) string {
		if s := st.Students[id]; s != nil {
			return s.Name
		}
		return "a student"
	}
	target := func(t protocol.Target) string {
		switch {
		case t.Student != "":
			return " for " + student(t.Student)
		case t.Group != "":
			if g := st.Group(t.Group); g != nil {
				return " for " + g.Name
			}
			return " for a group"
		case t.Station != "":
			if s := st.Station(t.Station); s != nil {
				return " for the students at " + s.Name
			}
			return " for a station"
		}
		return " for the class"
	}
	switch ev.Type {
	case protocol.EvAnnouncement:
		var d protocol.Announcement
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "announced" + target(protocol.Target{Student: d.To, Group: d.Group, Station: d.Station}) + ": " + d.Text, nil
	case protocol.EvClassPaused:
		var d protocol.ClassPaused
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		if d.Paused {
			return "paused the class", nil
		}
		return "resumed the class", nil
	case protocol.EvClassEnded:
		return "ended the class", nil
	case protocol.EvGroups:
		return fmt.Sprintf("formed %d groups", len(st.Groups)), nil
	case protocol.EvStations:
		return fmt.Sprintf("set up the stations (%d)", len(st.Stations)), nil
	case protocol.EvPlacement:
		var d protocol.Placement
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		if s := st.Station(d.Station); s != nil {
			return "sent " + student(d.Student) + " to " + s.Name, nil
		}
		return "sent " + student(d.Student) + " back to their group", nil
	case protocol.EvRotation:
		var d protocol.RotationChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		var kinds []string
		for _, a := range d.Actions {
			if !slices.Contains(kinds, a.Kind) {
				kinds = append(kinds, a.Kind)
			}
		}
		return "rotation: " + strings.Join(kinds, ", "), nil
	case protocol.EvActivity:
		var d protocol.ActivityPushed
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "pushed “" + d.Activity.Title + "”" + target(d.To), nil
	case protocol.EvPractice:
		var d protocol.PracticeStarted
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "assigned “" + d.Title + "”" + target(d.To), nil
	case protocol.EvClosed:
		var d protocol.PracticeClosed
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "closed practice" + target(d.To), nil
	case protocol.EvHelpSent:
		var d protocol.HelpSent
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "sent help to " + student(d.Student), nil
	case protocol.EvFlag:
		var d protocol.FlagChanged
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		verb := map[string]string{"ack": "acknowledged", "resolve": "resolved", "snooze": "snoozed", "send_help": "sent help on", "pull": "pulled to the table on"}[d.Change]
		if verb == "" {
			return "", nil // the detectors' own changes
		}
		return verb + " the flag on " + student(d.Flag.Student) + " (" + string(d.Flag.Rule) + ")", nil
	case protocol.EvLevel:
		var d protocol.Level
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return fmt.Sprintf("set the level of %s to %.0f%%", student(d.Student), d.Level*100), nil
	case protocol.EvChoices:
		return "offered a choice", nil
	case protocol.EvLateRule:
		return "changed how late joiners are placed", nil
	case protocol.EvThresholds:
		return "changed the detectors' thresholds", nil
	case protocol.EvHand:
		var d protocol.Hand
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		return "lowered the hand of " + student(d.Student), nil
	case protocol.EvShare:
		var d protocol.Share
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		if d.Revoked {
			return "stopped sharing the class with " + d.Name, nil
		}
		return "shared the class with " + d.Name + " as " + roleWords(d.Role), nil
	case protocol.EvErased:
		var d protocol.Erased
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return "", err
		}
		// Not the student's name: the erasure leaves none.
		return fmt.Sprintf("erased a student from the class (%d events removed)", d.Removed), nil
	}
	return "", nil
}

func roleWords(r protocol.TeachRole) string {
	switch r {
	case protocol.TeachCoTeacher:
		return "co-teacher"
	case protocol.TeachAssistant:
		return "teaching assistant"
	}
	return string(r)
}
