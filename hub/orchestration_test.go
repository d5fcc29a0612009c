package hub

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// TestCoachSeesOnlyTheirGroups drives a class over real WebSockets: groups
// are formed, a coach is assigned to one, and every device gets exactly
// the group events it may see, live and in its snapshot.
func TestCoachSeesOnlyTheirGroups(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Science projects")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	var students []*client
	var ids []protocol.StudentID
	for _, n := range []string{"Ana", "Ben", "Cara", "Dev"} {
		jr := e.join(info.Code, n)
		c, _ := e.mustConnect(n, protocol.Hello{Token: jr.Token})
		students = append(students, c)
		ids = append(ids, jr.Student)
	}
	for _, id := range ids {
		tc.waitEvent(protocol.EvPresence, about(id))
	}

	var ir InviteResponse
	if st, perr := e.call("POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "kim@school.example", "name": "Coach Kim"}, &ir); perr != nil || st != http.StatusCreated {
		t.Fatalf("invite: %d %v", st, perr)
	}
	var acc LoginResponse
	if _, perr := e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "a long coach password"}, &acc); perr != nil {
		t.Fatal(perr)
	}
	// Before any group is theirs, the coach is refused the class.
	if _, f := e.connect("coach-early", protocol.Hello{Token: acc.Token, Room: info.ID}); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("coach without a group: %+v", f)
	}

	var p protocol.Proposal
	if err := json.Unmarshal(tc.must(protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{
		Method: protocol.GroupRandom, Count: 2, Together: [][]protocol.StudentID{{ids[0], ids[1]}},
	}}), &p); err != nil {
		t.Fatal(err)
	}
	var applied struct{ Groups []protocol.GroupID }
	if err := json.Unmarshal(tc.must(protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID}), &applied); err != nil {
		t.Fatal(err)
	}
	groupOf := map[protocol.StudentID]protocol.GroupID{}
	for i, g := range p.Groups {
		for _, m := range g.Members {
			groupOf[m] = applied.Groups[i]
		}
	}
	mine := groupOf[ids[0]] // Ana and Ben's group
	tc.must(protocol.MsgAssignCoach, protocol.AssignCoach{Group: mine, Coach: acc.Coach.ID, Assigned: true})

	coach, w := e.mustConnect("coach", protocol.Hello{Token: acc.Token, Room: info.ID})
	var cv protocol.TeacherView
	if err := json.Unmarshal(w.Snapshot, &cv); err != nil {
		t.Fatal(err)
	}
	if w.Role != protocol.RoleCoach || len(cv.Groups) != 1 || cv.Groups[0].ID != mine || len(cv.Students) != 2 || cv.Proposal != nil {
		t.Fatalf("coach snapshot = %+v", cv)
	}

	// Live: an announcement to each group, a comment from the coach.
	other := groupOf[ids[2]]
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "coach group", Group: mine})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "other group", Group: other})
	coach.must(protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: mine, Op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "Good question list"}})
	if f := coach.request(protocol.MsgEditWorkspace, protocol.EditWorkspace{Group: other, Op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "hi"}}); f.Error == nil || f.Error.Code != protocol.CodeForbidden {
		t.Fatalf("comment on another group: %+v", f)
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "everyone"})
	for _, c := range append([]*client{coach}, students...) {
		c.waitEvent(protocol.EvAnnouncement, hasText("everyone"))
	}
	for i, c := range students {
		text := "other group"
		if groupOf[ids[i]] == mine {
			text = "coach group"
		}
		if !contains(announcementTexts(c), text) {
			t.Errorf("%s did not get %q", c.name, text)
		}
	}
	for i, c := range students {
		inMine := groupOf[ids[i]] == mine
		if got := len(c.events(protocol.EvWorkspace)); (got == 1) != inMine {
			t.Errorf("%s got %d workspace events; in the coach's group: %v", c.name, got, inMine)
		}
		for _, f := range c.events(protocol.EvAnnouncement) {
			if (inMine && hasText("other group")(f.Data)) || (!inMine && hasText("coach group")(f.Data)) {
				t.Errorf("%s got announcement %s", c.name, f.Data)
			}
		}
	}
	for _, f := range coach.events(protocol.EvAnnouncement) {
		if hasText("other group")(f.Data) {
			t.Error("the coach got the other group's announcement")
		}
	}
	if n := len(coach.events(protocol.EvWorkspace)); n != 1 {
		t.Errorf("coach got %d workspace events, want 1", n)
	}

	// Taken off the group, the coach is told so, then gets nothing more of it.
	tc.must(protocol.MsgAssignCoach, protocol.AssignCoach{Group: mine, Coach: acc.Coach.ID, Assigned: false})
	coach.waitEvent(protocol.EvGroup, func(d json.RawMessage) bool {
		var g protocol.GroupChanged
		_ = json.Unmarshal(d, &g)
		return g.Group.ID == mine && len(g.Group.Coaches) == 0
	})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "after", Group: mine})
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "everyone again"})
	coach.waitEvent(protocol.EvAnnouncement, hasText("everyone again"))
	for _, f := range coach.events(protocol.EvAnnouncement) {
		if hasText("after")(f.Data) {
			t.Error("a coach taken off the group still gets its events")
		}
	}
}

func announcementTexts(c *client) []string {
	var out []string
	for _, f := range c.events(protocol.EvAnnouncement) {
		var a protocol.Announcement
		_ = json.Unmarshal(f.Data, &a)
		out = append(out, a.Text)
	}
	return out
}
