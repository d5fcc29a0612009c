// Package class is the state of one class session: the fold of its
// events. State, Apply (one table from event type to function) and the
// views per role live here, with no I/O, no clock and no goroutines, so
// that every node, the report and the offline replay rebuild exactly the
// same state from the same log, and so that the fold is proved on its
// own (fold(all events) = fold(snapshot through JSON + the rest)).
//
// The room's actor (package rooms) decides which events to make; this
// package only says what they mean. It must not import rooms or hub.
package class

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/workspace"
)

// maxAnnouncements is how many recent announcements a room keeps in its
// state (the log keeps them all).
const maxAnnouncements = 50

// State is a room's state: the fold of its events. It is owned by the
// room's actor and is JSON so that it can be snapshotted; a state read
// back from JSON folds the rest of the log exactly as the original would.
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

	// Orchestration: stations, groups, rotation, class controls, workspaces.
	Stations []protocol.Station `json:"stations"`
	Groups   []*Group           `json:"groups"`
	Rotation *protocol.Rotation `json:"rotation,omitempty"`
	Paused   bool               `json:"paused"`
	Proposal *protocol.Proposal `json:"proposal,omitempty"`
	// Regroup is a regrouping applied while a rotation ran: it takes
	// effect at the rotation's next leg.
	Regroup    *protocol.Proposal                        `json:"regroup,omitempty"`
	Placements map[protocol.StudentID]protocol.StationID `json:"placements"`
	Activities []Activity                                `json:"activities"`
	Choices    *protocol.Choices                         `json:"choices,omitempty"`
	Workspaces map[protocol.GroupID]*workspace.State     `json:"workspaces"`
	LateRule   protocol.LateRule                         `json:"late_rule"`
	// Learning: practice, mastery, flags.
	Learners   map[protocol.StudentID]*Learner `json:"learners,omitempty"`
	Flags      []protocol.Flag                 `json:"flags,omitempty"`
	Thresholds json.RawMessage                 `json:"thresholds,omitempty"`
	// SmallGroups are the small groups proposed from the help queue,
	// oldest first, with what became of them (the latest few).
	SmallGroups []protocol.SmallGroup `json:"small_groups,omitempty"`
	// Roster counts changes of who is in the class and who is present,
	// so that a proposal made before such a change is known to be stale.
	Roster uint64 `json:"roster"`
	// Clock is the time of the latest event: what views that order by
	// waiting time measure against.
	Clock int64 `json:"clock"`
	// Settled is when the class last paused or resumed, or students were
	// last moved (stations, placements, rotation, groups): the idle rule
	// counts from no earlier, since a student moved or resumed has just
	// been given something new to do.
	Settled int64 `json:"settled,omitempty"`
	// Replies are the answers to recent commands with a request ID
	// (EvReply), oldest first.
	Replies []Reply `json:"replies,omitempty"`
	// replyAt finds a reply by its key: the reply's place in Replies plus
	// replyBase, so that dropping the oldest replies moves the base instead
	// of every place. Built from Replies when first needed (a state read
	// from a snapshot has none), never saved.
	replyAt   map[string]int
	replyBase int

	// Co-teaching: the owner's name, the teachers the owner shared the
	// class with, and those of its teachers with a console on it
	// (followed only while the class is shared).
	TeacherName    string                        `json:"teacher_name,omitempty"`
	Shares         map[protocol.TeacherID]*Share `json:"shares,omitempty"`
	TeachersOnline map[protocol.TeacherID]bool   `json:"teachers_online,omitempty"`
	// Unshared are the teachers whose share ended, and when: so that a
	// console of theirs is told the class was taken from them (4007),
	// not that it never was theirs.
	Unshared map[protocol.TeacherID]int64 `json:"unshared,omitempty"`
}

// Reply is the remembered answer to one command.
type Reply struct {
	Key     string             `json:"key"`
	Time    int64              `json:"time"`
	Student protocol.StudentID `json:"student,omitempty"`
	Data    json.RawMessage    `json:"data,omitempty"`
	Error   *protocol.Error    `json:"error,omitempty"`
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

// Share is one teacher the class is shared with.
type Share struct {
	Teacher protocol.TeacherID `json:"teacher"`
	Name    string             `json:"name"`
	Email   string             `json:"email,omitempty"`
	Role    protocol.TeachRole `json:"role"`
	Since   int64              `json:"since"`
}

// TeachRole is what teacher t is to the class: its owner, a co-teacher,
// a teaching assistant, or nothing ("").
func (s *State) TeachRole(t protocol.TeacherID) protocol.TeachRole {
	switch {
	case t == "":
		return ""
	case t == s.Teacher:
		return protocol.TeachOwner
	case s.Shares[t] != nil:
		return s.Shares[t].Role
	}
	return ""
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

// New is the state of a room before its first event.
func New(room protocol.RoomID) *State {
	s := &State{Room: room}
	s.normalize()
	return s
}

// UnmarshalJSON reads a state from a snapshot. JSON drops empty maps and
// may hold nulls; the fold writes to maps, so every map is made and every
// null entry dropped here, once, rather than guarded at each write.
func (s *State) UnmarshalJSON(b []byte) error {
	type plain State
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = State(p)
	s.normalize()
	return nil
}

// normalize makes the maps of a state and drops the null entries a
// snapshot may hold.
func (s *State) normalize() {
	if s.Students == nil {
		s.Students = map[protocol.StudentID]*Student{}
	}
	if s.Placements == nil {
		s.Placements = map[protocol.StudentID]protocol.StationID{}
	}
	if s.Workspaces == nil {
		s.Workspaces = map[protocol.GroupID]*workspace.State{}
	}
	if s.Shares == nil {
		s.Shares = map[protocol.TeacherID]*Share{}
	}
	if s.TeachersOnline == nil {
		s.TeachersOnline = map[protocol.TeacherID]bool{}
	}
	if s.Unshared == nil {
		s.Unshared = map[protocol.TeacherID]int64{}
	}
	maps.DeleteFunc(s.TeachersOnline, func(_ protocol.TeacherID, on bool) bool { return !on })
	if s.LateRule == "" {
		s.LateRule = protocol.LateSmallest
	}
	maps.DeleteFunc(s.Students, func(_ protocol.StudentID, st *Student) bool { return st == nil })
	maps.DeleteFunc(s.Workspaces, func(_ protocol.GroupID, ws *workspace.State) bool { return ws == nil })
	maps.DeleteFunc(s.Shares, func(_ protocol.TeacherID, sh *Share) bool { return sh == nil })
	maps.DeleteFunc(s.Learners, func(_ protocol.StudentID, l *Learner) bool { return l == nil })
	s.Groups = slices.DeleteFunc(s.Groups, func(g *Group) bool { return g == nil })
}
