package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/natstest"
)

// Every event for a group or its staff names, in its audience, the
// group's coaches (and for a group, its members) as they were when it was
// made: the log is folded again beside the audiences, and each is checked
// against the state just before its event. A group event that changes the
// group is also for those it takes out.
func TestAudiencesNameWhoWasThere(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Olivia", "Noah", "Mason", "Amelia")
	stations, groups := c.formGroups(0)
	kim := protocol.CoachID("c0c0c0c0-0000-4000-8000-00000000000a")
	lee := protocol.CoachID("c0c0c0c0-0000-4000-8000-00000000000b")
	assign := func(co protocol.CoachID, g protocol.GroupID, on bool) {
		c.must(protocol.MsgAssignCoach, protocol.AssignCoach{Group: g, Coach: co, Assigned: on}, nil)
	}
	assign(kim, groups[0], true)
	assign(lee, groups[1], true)
	c.assign("frac-equivalence", protocol.Target{})
	for i := range c.students {
		d := c.device(i)
		for range 4 {
			if d.item == nil {
				d.next()
			}
			d.answer(i != 0) // Olivia misses everything: flags for her group's staff
		}
	}
	activity := func(label string) {
		for _, g := range groups {
			c.must(protocol.MsgAnnounce, protocol.Announce{Text: label, Group: g}, nil)
			c.must(protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: g, Op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr(label)}}, nil)
			c.must(protocol.MsgPushActivity, protocol.PushActivity{Activity: protocol.Activity{Title: label}, To: protocol.Target{Group: g}}, nil)
		}
		for _, f := range c.view().Flags {
			c.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: f.ID, Action: protocol.FlagAck}, nil)
		}
	}
	groupOf := func(sid protocol.StudentID) protocol.GroupID {
		for _, st := range c.view().Students {
			if st.ID == sid {
				return st.Group
			}
		}
		return ""
	}
	other := func(g protocol.GroupID) protocol.GroupID {
		if g == groups[0] {
			return groups[1]
		}
		return groups[0]
	}

	activity("before")
	assign(kim, groups[1], true)
	activity("Kim has both")
	assign(kim, groups[0], false)
	olivia := c.students[0]
	c.must(protocol.MsgMoveStudent, protocol.MoveStudent{Student: olivia, Group: other(groupOf(olivia))}, nil)
	activity("Olivia moved")
	c.must(protocol.MsgMoveStudent, protocol.MoveStudent{Student: olivia, Station: stations[0]}, nil)
	assign(lee, groups[1], false)
	activity("Lee gone")
	// Presence is for the staff of the student's group.
	ctx := context.Background()
	if _, err := m.Do(ctx, protocol.Command{Room: c.id, Type: protocol.CmdDisconnect, Actor: student(olivia), Conn: "s0"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "Olivia offline", func() bool {
		return slices.ContainsFunc(c.log(), func(ev protocol.Event) bool {
			var p protocol.Presence
			return ev.Type == protocol.EvPresence && json.Unmarshal(ev.Data, &p) == nil && p.Student == olivia && !p.Online
		})
	})

	st := class.New(c.id)
	checked := map[protocol.EventType]int{}
	for _, ev := range c.log() {
		a := ev.Audience
		if a.Kind == protocol.AudGroup || a.Kind == protocol.AudStaff {
			var (
				coaches     []protocol.CoachID
				wantMembers []protocol.StudentID
			)
			if g := st.Group(a.Group); g != nil {
				coaches, wantMembers = g.Coaches, g.Members
			}
			if ev.Type == protocol.EvGroup {
				var d protocol.GroupChanged
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				// The coaches and members before and after the change.
				coaches = union(coaches, d.Group.Coaches)
				for _, mem := range d.Group.Members {
					wantMembers = union(wantMembers, []protocol.StudentID{mem.ID})
				}
			}
			if !sameSet(a.Coaches, coaches) {
				t.Errorf("seq %d %s for group %s: coaches %v, want %v, who coached it then", ev.Seq, ev.Type, a.Group, a.Coaches, coaches)
			}
			if a.Kind == protocol.AudGroup && !sameSet(a.Members, wantMembers) {
				t.Errorf("seq %d %s for group %s: members %v, want %v, who were in it then", ev.Seq, ev.Type, a.Group, a.Members, wantMembers)
			}
			if a.Kind == protocol.AudStaff && len(a.Members) > 0 {
				t.Errorf("seq %d %s: a staff audience lists students %v", ev.Seq, ev.Type, a.Members)
			}
			checked[ev.Type]++
		}
		// Events about one student for the staff: the staff of their group then.
		if ev.Type == protocol.EvFlag || ev.Type == protocol.EvPresence {
			sid := studentOf(ev)
			var want protocol.GroupID
			if s := st.Students[sid]; s != nil {
				want = s.Group
			}
			switch {
			case want == "" && a.Kind != protocol.AudTeachers:
				t.Errorf("seq %d %s of a student in no group: audience %+v, want the teachers", ev.Seq, ev.Type, a)
			case want != "" && (a.Kind != protocol.AudStaff || a.Group != want):
				t.Errorf("seq %d %s: audience %+v, want the staff of %s", ev.Seq, ev.Type, a, want)
			}
		}
		if err := st.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, typ := range []protocol.EventType{protocol.EvGroup, protocol.EvAnnouncement, protocol.EvWorkspace, protocol.EvActivity, protocol.EvFlag, protocol.EvPresence} {
		if checked[typ] == 0 {
			t.Errorf("no %s event for a group or its staff was checked", typ)
		}
	}
	t.Logf("checked %v", checked)
}

func union[T comparable](a, b []T) []T {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func sameSet[T comparable](a, b []T) bool {
	return len(union(a, b)) == len(a) && len(union(b, a)) == len(b) && len(a) == len(b)
}

// studentOf is the student an event of presence or of a flag is about.
func studentOf(ev protocol.Event) protocol.StudentID {
	var d struct {
		Student protocol.StudentID `json:"student"`
		Flag    struct {
			Student protocol.StudentID `json:"student"`
		} `json:"flag"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		panic(fmt.Sprintf("seq %d: %v", ev.Seq, err))
	}
	if d.Student != "" {
		return d.Student
	}
	return d.Flag.Student
}
