package class

import (
	"encoding/json"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// seedClass is a class with a group, a station, a rotation, practice and a
// flag, for the fuzzers to fold odd events into.
func seedClass() []protocol.Event {
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "T", Teacher: "t"})
	l.add(protocol.EvStudentJoined, protocol.ToStudent(olivia), protocol.StudentJoined{Student: olivia, Name: "Olivia", Mastery: map[protocol.SkillID]float64{"k": 0.3}})
	l.add(protocol.EvStations, protocol.ToAll, protocol.Stations{Stations: []protocol.Station{{ID: "s1", Name: "Table", Kind: "teacher", Capacity: 4}}})
	l.add(protocol.EvGroup, protocol.ToGroup("g", []protocol.StudentID{olivia}, []protocol.CoachID{"c"}), protocol.GroupChanged{Group: protocol.Group{ID: "g", Name: "Reds", Members: []protocol.Member{{ID: olivia, Name: "Olivia"}}, Coaches: []protocol.CoachID{"c"}}})
	l.add(protocol.EvGroups, protocol.ToAll, protocol.Groups{Groups: []protocol.GroupSummary{{ID: "g", Name: "Reds", Size: 1}}})
	l.add(protocol.EvPractice, protocol.ToAll, protocol.PracticeStarted{Set: protocol.SetRef{Bank: "b", Set: "s"}, Kind: "practice", Items: []protocol.ItemID{"i1", "i2"}})
	l.add(protocol.EvItem, protocol.ToStudent(olivia), protocol.ItemGiven{Student: olivia, Item: protocol.ItemView{ID: "i1", Skill: "k"}})
	l.add(protocol.EvFlag, protocol.ToStaff("g", []protocol.CoachID{"c"}), protocol.FlagChanged{Flag: protocol.Flag{ID: "f1", Student: olivia, Rule: "struggle", Level: "watch", Status: "open"}})
	return l.evs
}

// Apply never panics on an event that decodes, whatever it says, and the
// views of every role never panic on the state it leaves; a state read
// back from JSON folds the same event to the same state.
func FuzzApply(f *testing.F) {
	base := seedClass()
	for _, ev := range base {
		f.Add(uint8(0), string(ev.Type), []byte(ev.Data), string(ev.Audience.Kind), string(ev.Audience.Group))
	}
	f.Add(uint8(3), string(protocol.EvRotation), []byte(`{"rotation":{"plan":{"stations":[]},"tracks":[{"group":"g","first":3}]},"actions":[{"kind":"end"}]}`), "all", "")
	f.Add(uint8(8), string(protocol.EvWorkspace), []byte(`{"group":"g","op":{"kind":"notes","edit":{"pos":-5}}}`), "group", "g")
	f.Add(uint8(8), string(protocol.EvAttempt), []byte(`{"student":"nobody","skill":"k","first":true,"correct":true}`), "student", "")
	f.Add(uint8(2), string(protocol.EvHelpSent), []byte(`{"student":"`+string(olivia)+`","help":{"items":null}}`), "student", "")
	f.Fuzz(func(t *testing.T, cut uint8, typ string, data []byte, aud, group string) {
		n := int(cut) % (len(base) + 1)
		s := New(room)
		for _, ev := range base[:n] {
			if err := s.Apply(ev); err != nil {
				t.Fatal(err)
			}
		}
		ev := protocol.Event{Seq: uint64(n + 1), Type: protocol.EventType(typ), Time: 1_800_000_100_000, Audience: protocol.Audience{Kind: protocol.AudienceKind(aud), Group: protocol.GroupID(group)}, Data: data}
		snap := throughJSON(t, s)
		err := s.Apply(ev)
		views(s)
		if err != nil {
			return
		}
		if err := snap.Apply(ev); err != nil {
			t.Fatalf("folds on the state but not on its snapshot: %v", err)
		}
		same(t, s, snap)
		// The rest of the class still folds.
		for _, next := range base[n:] {
			next.Seq = s.Seq + 1
			_ = s.Apply(next)
			views(s)
		}
	})
}

// FuzzSnapshot reads any JSON as a snapshot: no panic in reading it, in
// folding the seed class's events into it, or in any view.
func FuzzSnapshot(f *testing.F) {
	s := New(room)
	for _, ev := range seedClass() {
		_ = s.Apply(ev)
	}
	b, _ := json.Marshal(s)
	f.Add(b)
	f.Add([]byte(`{"students":{"x":{"id":"x","group":"nope"}},"groups":[{"id":"g","members":["x","y"]}],"rotation":{"plan":{"stations":[]},"tracks":[{"group":"g"}]}}`))
	f.Add([]byte(`{"learners":{"x":{"current":null,"mastery":null}},"flags":[{"id":"f"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s State
		if json.Unmarshal(b, &s) != nil {
			return
		}
		views(&s)
		for _, ev := range seedClass() {
			ev.Seq = s.Seq + 1
			_ = s.Apply(ev)
			views(&s)
		}
	})
}

func views(s *State) {
	for _, v := range []protocol.Viewer{
		{Role: protocol.RoleTeacher},
		{Role: protocol.RoleStudent, Student: olivia},
		{Role: protocol.RoleCoach, Coach: "c", Groups: []protocol.GroupID{"g"}},
		{Role: protocol.RoleProjector},
	} {
		if _, err := json.Marshal(s.View(v)); err != nil {
			panic(err)
		}
	}
	for id := range s.Students {
		_ = s.StationOf(id)
	}
	for _, st := range s.Stations {
		_ = s.AtStation(st.ID)
	}
	if s.Rotation != nil {
		_ = s.LoadAt(*s.Rotation, 1)
	}
}
