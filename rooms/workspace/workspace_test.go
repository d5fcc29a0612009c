package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

const (
	group = protocol.GroupID("00000000-0000-4000-8000-00000000000a")
	now   = int64(1_760_000_000_000)
	due   = int64(1_760_500_000_000)
)

func sid(n int) protocol.StudentID {
	return protocol.StudentID(fmt.Sprintf("00000000-0000-4000-8000-%012d", n))
}

var (
	ana, ben, cai, stranger = sid(1), sid(2), sid(3), sid(9)
	members                 = []protocol.StudentID{ana, ben, cai}

	byAna     = Author{Name: "Ana", Role: protocol.RoleStudent, Student: ana}
	byBen     = Author{Name: "Ben", Role: protocol.RoleStudent, Student: ben}
	byTeacher = Author{Name: "Ms Okafor", Role: protocol.RoleTeacher}
	byCoach   = Author{Name: "Sam", Role: protocol.RoleCoach}
)

func ptr[T any](v T) *T { return &v }

// ids hands out task IDs in order, as the room's UUIDs would but readably.
type ids struct{ n int }

func (g *ids) next() protocol.TaskID {
	g.n++
	return taskID(g.n)
}

func taskID(n int) protocol.TaskID {
	return protocol.TaskID(fmt.Sprintf("00000000-0000-4000-9000-%012d", n))
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// try runs Apply and checks what holds for every op: s is not modified; a
// refusal is a *protocol.Error with a message that returns s as it was;
// an accepted op bumps Rev, and its applied form, read back from JSON as
// the log would, replays with Redo to exactly the same state.
func try(t testing.TB, s State, op protocol.WorkspaceOp, by Author, members []protocol.StudentID, newID func() protocol.TaskID) (State, protocol.WorkspaceOp, *protocol.Error) {
	t.Helper()
	before := jsonOf(t, s)
	next, applied, err := Apply(s, op, by, members, now, newID)
	if got := jsonOf(t, s); got != before {
		t.Fatalf("Apply changed its input:\n%s\nwas\n%s", got, before)
	}
	if err != nil {
		var perr *protocol.Error
		if !errors.As(err, &perr) || perr.Message == "" {
			t.Fatalf("Apply: %v (%T), want a *protocol.Error with a message", err, err)
		}
		if got := jsonOf(t, next); got != before {
			t.Fatalf("refused op %+v changed the state to\n%s", op, got)
		}
		return next, applied, perr
	}
	if next.WS.Rev != s.WS.Rev+1 {
		t.Fatalf("rev %d after rev %d, want one more", next.WS.Rev, s.WS.Rev)
	}
	var logged protocol.WorkspaceOp
	if err := json.Unmarshal([]byte(jsonOf(t, applied)), &logged); err != nil {
		t.Fatal(err)
	}
	again, rerr := Redo(s, logged, by, now)
	if rerr != nil {
		t.Fatalf("Redo(%s): %v", jsonOf(t, logged), rerr)
	}
	if got, want := jsonOf(t, again), jsonOf(t, next); got != want {
		t.Fatalf("Redo gives\n%s\nApply gave\n%s", got, want)
	}
	if got := jsonOf(t, s); got != before {
		t.Fatalf("Redo changed its input")
	}
	return next, applied, nil
}

func must(t testing.TB, s State, op protocol.WorkspaceOp, by Author, newID func() protocol.TaskID) (State, protocol.WorkspaceOp) {
	t.Helper()
	next, applied, err := try(t, s, op, by, members, newID)
	if err != nil {
		t.Fatalf("%+v: %v", op, err)
	}
	return next, applied
}

// fixture is a workspace with two tasks: "Draft intro", unassigned, and
// "Find sources", Ben's, due at due.
func fixture(t testing.TB) (State, *ids) {
	g := &ids{}
	s := New(group)
	s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Draft intro")}, byAna, g.next)
	s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Find sources"), Assignee: ptr(ben), Due: ptr(due)}, byAna, g.next)
	return s, g
}

type opCase struct {
	name    string
	s       State // the fixture if zero
	op      protocol.WorkspaceOp
	by      Author               // byAna if zero
	members []protocol.StudentID // members if nil
	newID   func() protocol.TaskID
	code    protocol.Code // "" if the op is accepted
	msg     string        // part of the refusal's message
	check   func(t *testing.T, s State, applied protocol.WorkspaceOp)
}

func runCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, g := c.s, &ids{n: 100}
			if s.WS.Group == "" {
				s, _ = fixture(t)
			}
			by := c.by
			if by == (Author{}) {
				by = byAna
			}
			ms := c.members
			if ms == nil {
				ms = members
			}
			newID := c.newID
			if newID == nil {
				newID = g.next
			}
			next, applied, err := try(t, s, c.op, by, ms, newID)
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.code != "" && err == nil:
				t.Fatalf("accepted as %s, want %s", jsonOf(t, applied), c.code)
			case err != nil && err.Code != c.code:
				t.Fatalf("got %v, want code %s", err, c.code)
			case err != nil && !strings.Contains(err.Message, c.msg):
				t.Fatalf("got %q, want it to say %q", err.Message, c.msg)
			}
			if err == nil && c.check != nil {
				c.check(t, next, applied)
			}
		})
	}
}

func TestNew(t *testing.T) {
	s := New(group)
	want := `{"ws":{"group":"` + string(group) + `","rev":0,"tasks":[],"notes":"","notes_rev":0,"comments":[]},"roles":[],"log":[]}`
	if got := jsonOf(t, s); got != want {
		t.Errorf("New = %s\nwant  %s", got, want)
	}
}

func TestAddTask(t *testing.T) {
	full := New(group)
	g := &ids{n: 1000}
	for i := range MaxTasks {
		full, _ = must(t, full, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr(fmt.Sprint("task ", i))}, byAna, g.next)
	}
	last := func(t *testing.T, s State) protocol.Task {
		t.Helper()
		return s.WS.Tasks[len(s.WS.Tasks)-1]
	}
	runCases(t, []opCase{
		{name: "title only", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Make slides")},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				want := protocol.Task{ID: taskID(101), Title: "Make slides", Vers: protocol.TaskVers{Title: 1, Assignee: 1, Due: 1, Done: 1}}
				if got := last(t, s); got != want {
					t.Errorf("task %+v, want %+v", got, want)
				}
				if len(s.WS.Tasks) != 3 {
					t.Errorf("%d tasks, want 3", len(s.WS.Tasks))
				}
				if applied.Task != want.ID || *applied.Title != "Make slides" {
					t.Errorf("applied %s", jsonOf(t, applied))
				}
			}},
		{name: "assignee and due", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("Interview"), Assignee: ptr(cai), Due: ptr(due)},
			check: func(t *testing.T, s State, _ protocol.WorkspaceOp) {
				if got := last(t, s); got.Assignee != cai || got.Due != due || got.Done {
					t.Errorf("task %+v", got)
				}
			}},
		{name: "no assignee and no due spelled out", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x"), Assignee: ptr(protocol.StudentID("")), Due: ptr(int64(0))},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				if applied.Assignee != nil || applied.Due != nil {
					t.Errorf("applied %s, want neither assignee nor due", jsonOf(t, applied))
				}
			}},
		{name: "title trimmed", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("  Make slides \t")},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				if last(t, s).Title != "Make slides" || *applied.Title != "Make slides" {
					t.Errorf("title %q, applied %q", last(t, s).Title, *applied.Title)
				}
			}},
		{name: "200 characters", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr(strings.Repeat("é", MaxTitleRunes))}},
		{name: "fields of other kinds are dropped", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x"), Task: "made-up", Done: ptr(true), Text: "hi", Role: "r", Base: &protocol.TaskVers{Title: 9}},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				want := protocol.WorkspaceOp{Kind: protocol.WsAddTask, Task: taskID(101), Title: ptr("x")}
				if jsonOf(t, applied) != jsonOf(t, want) {
					t.Errorf("applied %s, want %s", jsonOf(t, applied), jsonOf(t, want))
				}
				if last(t, s).Done {
					t.Error("a new task is done")
				}
			}},
		{name: "no title", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask}, code: protocol.CodeInvalid, msg: "title"},
		{name: "empty title", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("")}, code: protocol.CodeInvalid, msg: "title"},
		{name: "blank title", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("   ")}, code: protocol.CodeInvalid, msg: "title"},
		{name: "title too long", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr(strings.Repeat("é", MaxTitleRunes+1))}, code: protocol.CodeInvalid, msg: "200"},
		{name: "title of two lines", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("a\nb")}, code: protocol.CodeInvalid, msg: "control"},
		{name: "title not UTF-8", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("a\xffb")}, code: protocol.CodeInvalid, msg: "UTF-8"},
		{name: "assignee not a member", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x"), Assignee: ptr(stranger)}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "assignee has left", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x"), Assignee: ptr(ben)}, members: []protocol.StudentID{ana}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "negative due", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x"), Due: ptr(int64(-1))}, code: protocol.CodeInvalid, msg: "due"},
		{name: "checklist full", s: full, op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("one more")}, code: protocol.CodeInvalid, msg: "100 tasks"},
		{name: "ID already taken", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x")}, newID: func() protocol.TaskID { return taskID(1) }, code: protocol.CodeInternal},
		{name: "empty ID", op: protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x")}, newID: func() protocol.TaskID { return "" }, code: protocol.CodeInternal},
		{name: "unknown kind", op: protocol.WorkspaceOp{Kind: "rename_group", Title: ptr("x")}, code: protocol.CodeInvalid, msg: "rename_group"},
	})
}

func TestAddTaskWithoutIDs(t *testing.T) {
	s, _ := fixture(t)
	_, _, err := try(t, s, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x")}, byAna, members, nil)
	if err == nil || err.Code != protocol.CodeInternal {
		t.Fatalf("got %v, want internal", err)
	}
	// Other kinds do not need IDs.
	if _, _, err := try(t, s, protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(1)}, byAna, members, nil); err != nil {
		t.Fatal(err)
	}
}

func TestEditTask(t *testing.T) {
	edited, _ := fixture(t)
	// Someone has since renamed task 1, assigned it, given it a due time
	// and ticked it: every field is at version 2.
	edited, _ = must(t, edited, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 1, Assignee: 1, Due: 1, Done: 1},
		Title: ptr("Draft intro v2"), Assignee: ptr(cai), Due: ptr(due), Done: ptr(true)}, byBen, nil)
	base1 := &protocol.TaskVers{Title: 1, Assignee: 1, Due: 1, Done: 1}
	task := func(t *testing.T, s State, id protocol.TaskID) protocol.Task {
		t.Helper()
		i := taskIndex(s.WS.Tasks, id)
		if i < 0 {
			t.Fatalf("task %s is gone", id)
		}
		return s.WS.Tasks[i]
	}
	runCases(t, []opCase{
		{name: "title", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Title: ptr(" Intro ")},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				want := protocol.Task{ID: taskID(1), Title: "Intro", Vers: protocol.TaskVers{Title: 2, Assignee: 1, Due: 1, Done: 1}}
				if got := task(t, s, taskID(1)); got != want {
					t.Errorf("task %+v, want %+v", got, want)
				}
				if *applied.Title != "Intro" || applied.Assignee != nil || applied.Due != nil || applied.Done != nil || *applied.Base != *base1 {
					t.Errorf("applied %s", jsonOf(t, applied))
				}
			}},
		{name: "every field", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Title: ptr("T"), Assignee: ptr(ana), Due: ptr(due), Done: ptr(true)},
			check: func(t *testing.T, s State, _ protocol.WorkspaceOp) {
				want := protocol.Task{ID: taskID(1), Title: "T", Assignee: ana, Due: due, Done: true, Vers: protocol.TaskVers{Title: 2, Assignee: 2, Due: 2, Done: 2}}
				if got := task(t, s, taskID(1)); got != want {
					t.Errorf("task %+v, want %+v", got, want)
				}
			}},
		{name: "clear assignee and due", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: base1, Assignee: ptr(protocol.StudentID("")), Due: ptr(int64(0))},
			check: func(t *testing.T, s State, _ protocol.WorkspaceOp) {
				if got := task(t, s, taskID(2)); got.Assignee != "" || got.Due != 0 || got.Vers.Assignee != 2 || got.Vers.Due != 2 {
					t.Errorf("task %+v", got)
				}
			}},
		{name: "the same value is still a change", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: base1, Assignee: ptr(ben)},
			check: func(t *testing.T, s State, _ protocol.WorkspaceOp) {
				if got := task(t, s, taskID(2)); got.Assignee != ben || got.Vers.Assignee != 2 {
					t.Errorf("task %+v", got)
				}
			}},
		{name: "unassign someone who left", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: base1, Assignee: ptr(protocol.StudentID(""))}, members: []protocol.StudentID{ana}},
		{name: "a field not set may be stale", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 2}, Title: ptr("Intro")}},
		{name: "the task is gone", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(77), Base: base1, Title: ptr("x")}, code: protocol.CodeNotFound, msg: "no such task"},
		{name: "no task", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Base: base1, Title: ptr("x")}, code: protocol.CodeNotFound},
		{name: "nothing set", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1}, code: protocol.CodeInvalid, msg: "changes nothing"},
		{name: "no base", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Title: ptr("x")}, code: protocol.CodeInvalid, msg: "base"},
		{name: "base ahead", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Done: 5}, Done: ptr(true)}, code: protocol.CodeInvalid, msg: "ahead"},
		{name: "base ahead in a field not set", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 3, Assignee: 1, Due: 1, Done: 1}, Done: ptr(true)}, code: protocol.CodeInvalid, msg: "ahead"},
		{name: "bad title", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Title: ptr("")}, code: protocol.CodeInvalid, msg: "title"},
		{name: "assignee not a member", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Assignee: ptr(stranger)}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "negative due", op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Due: ptr(int64(-5))}, code: protocol.CodeInvalid, msg: "due"},
		{name: "stale title", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Title: ptr("Intro")},
			code: protocol.CodeStale, msg: `someone changed the title to "Draft intro v2"; reload and retry`},
		{name: "stale assignee", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Assignee: ptr(ana)},
			code: protocol.CodeStale, msg: "someone assigned the task to " + string(cai) + "; reload"},
		{name: "stale due", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Due: ptr(int64(0))},
			code: protocol.CodeStale, msg: "someone changed the due time to 2025-10-15 03:46 UTC; reload"},
		{name: "stale done", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: base1, Done: ptr(false)},
			code: protocol.CodeStale, msg: "someone marked the task done; reload"},
		{name: "stale fields named together", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 1, Assignee: 2, Due: 1, Done: 1}, Title: ptr("a"), Assignee: ptr(ana), Due: ptr(int64(0)), Done: ptr(false)},
			code: protocol.CodeStale, msg: `someone changed the title to "Draft intro v2", changed the due time to 2025-10-15 03:46 UTC and marked the task done; reload and retry`},
		{name: "one stale field refuses all", s: edited, op: protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 2, Assignee: 2, Due: 2, Done: 1}, Title: ptr("a"), Done: ptr(false)},
			code: protocol.CodeStale, msg: "someone marked the task done; reload and retry"},
	})
}

func TestStaleMessagesOfClearedFields(t *testing.T) {
	s, _ := fixture(t)
	base1 := &protocol.TaskVers{Title: 1, Assignee: 1, Due: 1, Done: 1}
	s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: base1, Assignee: ptr(protocol.StudentID("")), Due: ptr(int64(0)), Done: ptr(false)}, byBen, nil)
	_, _, err := try(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: base1, Assignee: ptr(ana), Due: ptr(due), Done: ptr(true)}, byAna, members, nil)
	want := "someone took the assignee off the task, took the due time off the task and marked the task not done; reload and retry"
	if err == nil || err.Code != protocol.CodeStale || err.Message != want {
		t.Fatalf("got %v, want stale: %s", err, want)
	}
}

// Two members edit one task from the same version of it.
func TestConcurrentTaskEdits(t *testing.T) {
	s0, _ := fixture(t)
	base := s0.WS.Tasks[1].Vers
	rename := protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: &base, Title: ptr("Find three sources")}
	tick := protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: &base, Done: ptr(true)}
	retitle := protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(2), Base: &base, Title: ptr("Find two sources")}

	t.Run("different fields both apply", func(t *testing.T) {
		for _, order := range [][]protocol.WorkspaceOp{{rename, tick}, {tick, rename}} {
			s := s0
			for _, op := range order {
				s, _ = must(t, s, op, byAna, nil)
			}
			got := s.WS.Tasks[1]
			want := protocol.Task{ID: taskID(2), Title: "Find three sources", Assignee: ben, Due: due, Done: true,
				Vers: protocol.TaskVers{Title: 2, Assignee: 1, Due: 1, Done: 2}}
			if got != want {
				t.Errorf("task %+v, want %+v", got, want)
			}
		}
	})
	t.Run("same field: the second is stale", func(t *testing.T) {
		s1, _ := must(t, s0, rename, byAna, nil)
		s2, _, err := try(t, s1, retitle, byBen, members, nil)
		if err == nil || err.Code != protocol.CodeStale {
			t.Fatalf("got %v, want stale", err)
		}
		if want := `someone changed the title to "Find three sources"; reload and retry`; err.Message != want {
			t.Errorf("message %q, want %q", err.Message, want)
		}
		if jsonOf(t, s2) != jsonOf(t, s1) {
			t.Errorf("the refused edit changed the state")
		}
		if s2.WS.Tasks[1].Title != "Find three sources" {
			t.Errorf("title %q, want the first edit's", s2.WS.Tasks[1].Title)
		}
		// Reloaded, the second editor gets through.
		reloaded := s1.WS.Tasks[1].Vers
		retry := retitle
		retry.Base = &reloaded
		s3, _ := must(t, s1, retry, byBen, nil)
		if got := s3.WS.Tasks[1]; got.Title != "Find two sources" || got.Vers.Title != 3 {
			t.Errorf("task %+v", got)
		}
	})
}

func TestRemoveTask(t *testing.T) {
	s, _ := fixture(t)
	s1, applied := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(1), Title: ptr("ignored")}, byAna, nil)
	if want := (protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(1)}); jsonOf(t, applied) != jsonOf(t, want) {
		t.Errorf("applied %s", jsonOf(t, applied))
	}
	if len(s1.WS.Tasks) != 1 || s1.WS.Tasks[0].ID != taskID(2) {
		t.Fatalf("tasks %+v", s1.WS.Tasks)
	}
	s2, _ := must(t, s1, protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(2)}, byAna, nil)
	if jsonOf(t, s2.WS.Tasks) != "[]" {
		t.Errorf("tasks %s, want []", jsonOf(t, s2.WS.Tasks))
	}
	for _, c := range []struct {
		name string
		op   protocol.WorkspaceOp
	}{
		{"remove again", protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(1)}},
		{"edit after removal", protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{Title: 1}, Title: ptr("x")}},
		{"no task", protocol.WorkspaceOp{Kind: protocol.WsRemoveTask}},
	} {
		if _, _, err := try(t, s1, c.op, byAna, members, nil); err == nil || err.Code != protocol.CodeNotFound {
			t.Errorf("%s: got %v, want not_found", c.name, err)
		}
	}
}

func TestSetRole(t *testing.T) {
	withRoles := New(group)
	withRoles, _ = must(t, withRoles, protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben, Role: "recorder"}, byAna, nil)
	withRoles, _ = must(t, withRoles, protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ana, Role: "Facilitator"}, byAna, nil)
	roles := func(want string) func(*testing.T, State, protocol.WorkspaceOp) {
		return func(t *testing.T, s State, _ protocol.WorkspaceOp) {
			t.Helper()
			var got []string
			for _, r := range s.Roles {
				got = append(got, fmt.Sprintf("%s=%s", r.Role, strings.TrimLeft(string(r.Student)[24:], "0")))
			}
			if strings.Join(got, " ") != want {
				t.Errorf("roles %v, want %s", got, want)
			}
		}
	}
	runCases(t, []opCase{
		{name: "first role", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: cai, Role: " timekeeper "}, check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
			roles("timekeeper=3")(t, s, applied)
			if applied.Role != "timekeeper" || applied.Student != cai {
				t.Errorf("applied %s", jsonOf(t, applied))
			}
		}},
		{name: "sorted by name", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: cai, Role: "encourager"}, check: roles("encourager=3 Facilitator=1 recorder=2")},
		{name: "a new role replaces the old", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben, Role: "artist"}, check: roles("artist=2 Facilitator=1")},
		{name: "the holder may recase their role", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben, Role: "Recorder"}, check: roles("Facilitator=1 Recorder=2")},
		{name: "take a role away", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben, Role: ""}, check: roles("Facilitator=1")},
		{name: "take away a role not held", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: cai}, check: roles("Facilitator=1 recorder=2")},
		{name: "take away the role of someone who left", s: withRoles, members: []protocol.StudentID{ana}, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben}, check: roles("Facilitator=1")},
		{name: "40 characters", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ana, Role: strings.Repeat("é", MaxRoleRunes)}},
		{name: "role taken", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: cai, Role: "recorder"}, code: protocol.CodeInvalid, msg: "another member is already the recorder"},
		{name: "role taken in another case", s: withRoles, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: cai, Role: "FACILITATOR"}, code: protocol.CodeInvalid, msg: "already the Facilitator"},
		{name: "not a member", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: stranger, Role: "x"}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "left the group", s: withRoles, members: []protocol.StudentID{ana}, op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ben, Role: "artist"}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "take away from a stranger", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: stranger}, code: protocol.CodeInvalid, msg: "not a member"},
		{name: "no student", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Role: "x"}, code: protocol.CodeInvalid},
		{name: "too long", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ana, Role: strings.Repeat("é", MaxRoleRunes+1)}, code: protocol.CodeInvalid, msg: "40"},
		{name: "two lines", op: protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: ana, Role: "a\nb"}, code: protocol.CodeInvalid, msg: "control"},
	})
}

func TestComment(t *testing.T) {
	runCases(t, []opCase{
		{name: "teacher", by: byTeacher, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "  Good start.\nCite your sources.\n"},
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				want := []protocol.Comment{{By: "Ms Okafor", Role: protocol.RoleTeacher, Text: "Good start.\nCite your sources.", Time: now}}
				if jsonOf(t, s.WS.Comments) != jsonOf(t, want) {
					t.Errorf("comments %s", jsonOf(t, s.WS.Comments))
				}
				if want := (protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "Good start.\nCite your sources."}); jsonOf(t, applied) != jsonOf(t, want) {
					t.Errorf("applied %s", jsonOf(t, applied))
				}
			}},
		{name: "coach", by: byCoach, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: strings.Repeat("🙂", MaxCommentRunes)}},
		{name: "student", by: byAna, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "hi"}, code: protocol.CodeForbidden},
		{name: "projector", by: Author{Name: "Wall", Role: protocol.RoleProjector}, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "hi"}, code: protocol.CodeForbidden},
		{name: "no name", by: Author{Role: protocol.RoleTeacher}, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "hi"}, code: protocol.CodeForbidden, msg: "name"},
		{name: "blank name", by: Author{Name: " ", Role: protocol.RoleCoach}, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "hi"}, code: protocol.CodeForbidden, msg: "name"},
		{name: "empty", by: byTeacher, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: " \n "}, code: protocol.CodeInvalid, msg: "text"},
		{name: "too long", by: byTeacher, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: strings.Repeat("🙂", MaxCommentRunes+1)}, code: protocol.CodeInvalid, msg: "500"},
		{name: "control character", by: byTeacher, op: protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "a\x07b"}, code: protocol.CodeInvalid, msg: "control"},
	})
}

func TestCommentsKeepTheLast100(t *testing.T) {
	s := New(group)
	for i := range MaxComments + 5 {
		s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsComment, Text: fmt.Sprint("comment ", i)}, byCoach, nil)
	}
	if len(s.WS.Comments) != MaxComments || s.WS.Comments[0].Text != "comment 5" || s.WS.Comments[MaxComments-1].Text != "comment 104" {
		t.Fatalf("%d comments from %q to %q", len(s.WS.Comments), s.WS.Comments[0].Text, s.WS.Comments[len(s.WS.Comments)-1].Text)
	}
	if s.WS.Rev != MaxComments+5 {
		t.Errorf("rev %d", s.WS.Rev)
	}
}

// notesAt returns a workspace whose notes are text at revision 1.
func notesAt(t testing.TB, text string) State {
	var edits []protocol.TextEdit
	for r, pos := []rune(text), 0; pos == 0 || pos < len(r); pos += MaxInsertRunes {
		edits = append(edits, protocol.TextEdit{Pos: pos, Ins: string(r[pos:min(len(r), pos+MaxInsertRunes)])})
	}
	s, _ := must(t, New(group), protocol.WorkspaceOp{Kind: protocol.WsEditNotes, Edits: edits}, byAna, nil)
	return s
}

func TestEditNotes(t *testing.T) {
	long := notesAt(t, strings.Repeat("🙂", MaxNotesRunes-1))
	notes := func(want string) func(*testing.T, State, protocol.WorkspaceOp) {
		return func(t *testing.T, s State, _ protocol.WorkspaceOp) {
			t.Helper()
			if s.WS.Notes != want {
				t.Errorf("notes %q, want %q", s.WS.Notes, want)
			}
		}
	}
	abc := notesAt(t, "abc é🙂 xyz")
	// Ben has since replaced "abc" with "ABC": the notes are at revision 2.
	moved, _ := must(t, abc, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(0, 3, "ABC")}, byBen, nil)
	edit := func(base uint64, edits ...protocol.TextEdit) protocol.WorkspaceOp {
		return protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: base, Edits: edits}
	}
	runCases(t, []opCase{
		{name: "first text", s: New(group), op: edit(0, protocol.TextEdit{Pos: 0, Ins: "Hello\n\tworld"}),
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				notes("Hello\n\tworld")(t, s, applied)
				want := `{"ws":{"group":"` + string(group) + `","rev":1,"tasks":[],"notes":"Hello\n\tworld","notes_rev":1,"comments":[]},"roles":[],"log":[{"rev":1,"edits":[{"pos":0,"ins":"Hello\n\tworld"}]}]}`
				if got := jsonOf(t, s); got != want {
					t.Errorf("state %s\nwant  %s", got, want)
				}
			}},
		{name: "positions in code points", s: abc, op: edit(1, protocol.TextEdit{Pos: 4, Del: 2, Ins: "ü"}), check: notes("abc ü xyz")},
		{name: "edits in order, each on the text the last left", s: abc, op: edit(1,
			protocol.TextEdit{Pos: 0, Del: 4},   // "é🙂 xyz"
			protocol.TextEdit{Pos: 2, Ins: "!"}, // "é🙂! xyz"
			protocol.TextEdit{Pos: 0, Ins: ">"}, // ">é🙂! xyz"
		),
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				notes(">é🙂! xyz")(t, s, applied)
				// As applied: sorted, canonical, against revision 1.
				want := []protocol.TextEdit{{Pos: 0, Del: 4, Ins: ">"}, {Pos: 3, Ins: "!"}}
				if applied.NotesBase != 1 || jsonOf(t, applied.Edits) != jsonOf(t, want) {
					t.Errorf("applied %s", jsonOf(t, applied))
				}
			}},
		{name: "an edit made before a change", s: moved, op: edit(1, protocol.TextEdit{Pos: 10, Ins: "!"}, protocol.TextEdit{Pos: 1, Del: 1}),
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				// "b" was replaced by Ben, so deleting it again deletes
				// nothing; the "!" still goes at the end.
				notes("ABC é🙂 xyz!")(t, s, applied)
				if applied.NotesBase != 2 || jsonOf(t, applied.Edits) != `[{"pos":10,"ins":"!"}]` {
					t.Errorf("applied %s", jsonOf(t, applied))
				}
				if got := s.Log[len(s.Log)-1]; got.Rev != 3 || jsonOf(t, got.Edits) != jsonOf(t, applied.Edits) {
					t.Errorf("logged %s", jsonOf(t, got))
				}
			}},
		{name: "a change that is already made still counts", s: moved, op: edit(1, protocol.TextEdit{Pos: 0, Del: 3}),
			check: func(t *testing.T, s State, applied protocol.WorkspaceOp) {
				notes("ABC é🙂 xyz")(t, s, applied)
				if s.WS.NotesRev != 3 || len(applied.Edits) != 0 || jsonOf(t, s.Log[len(s.Log)-1].Edits) != "[]" {
					t.Errorf("notes rev %d, applied %s, log %s", s.WS.NotesRev, jsonOf(t, applied), jsonOf(t, s.Log))
				}
			}},
		{name: "up to the limit", s: long, op: edit(1, protocol.TextEdit{Pos: 0, Ins: "é"})},
		{name: "50 edits", s: abc, op: edit(1, make([]protocol.TextEdit, MaxNotesEdits)...)},
		{name: "2000 characters", s: abc, op: edit(1, protocol.TextEdit{Pos: 3, Ins: strings.Repeat("🙂", MaxInsertRunes)})},
		{name: "no edits", s: abc, op: edit(1), code: protocol.CodeInvalid, msg: "1 to 50 edits"},
		{name: "51 edits", s: abc, op: edit(1, make([]protocol.TextEdit, MaxNotesEdits+1)...), code: protocol.CodeInvalid, msg: "1 to 50 edits"},
		{name: "base ahead", s: abc, op: edit(2, protocol.TextEdit{Ins: "x"}), code: protocol.CodeInvalid, msg: "ahead"},
		{name: "negative position", s: abc, op: edit(1, protocol.TextEdit{Pos: -1, Ins: "x"}), code: protocol.CodeInvalid, msg: "negative"},
		{name: "negative deletion", s: abc, op: edit(1, protocol.TextEdit{Pos: 1, Del: -1}), code: protocol.CodeInvalid, msg: "negative"},
		{name: "control character", s: abc, op: edit(1, protocol.TextEdit{Ins: "a\rb"}), code: protocol.CodeInvalid, msg: "edits[0].ins contains a control character"},
		{name: "not UTF-8", s: abc, op: edit(1, protocol.TextEdit{Ins: "x"}, protocol.TextEdit{Ins: "\xc3"}), code: protocol.CodeInvalid, msg: "edits[1].ins is not valid UTF-8"},
		{name: "insert too long", s: abc, op: edit(1, protocol.TextEdit{Ins: strings.Repeat("a", MaxInsertRunes+1)}), code: protocol.CodeInvalid, msg: "2000"},
		{name: "past the end", s: abc, op: edit(1, protocol.TextEdit{Pos: 12, Ins: "x"}), code: protocol.CodeInvalid, msg: "edits[0] does not fit"},
		{name: "deleting past the end", s: abc, op: edit(1, protocol.TextEdit{Pos: 10, Del: 2}), code: protocol.CodeInvalid, msg: "does not fit"},
		{name: "past the end the last edit left", s: abc, op: edit(1, protocol.TextEdit{Pos: 0, Del: 5}, protocol.TextEdit{Pos: 7, Ins: "x"}), code: protocol.CodeInvalid, msg: "edits[1] does not fit the notes of revision 1 (5 characters before the edit)"},
		{name: "fits the base, not the current text", s: moved, op: edit(0, protocol.TextEdit{Pos: 1, Ins: "x"}), code: protocol.CodeInvalid, msg: "does not fit the notes of revision 0"},
		{name: "huge numbers", s: abc, op: edit(1, protocol.TextEdit{Pos: 1 << 62, Del: 1 << 62}), code: protocol.CodeInvalid, msg: "does not fit"},
		{name: "over the limit", s: long, op: edit(1, protocol.TextEdit{Pos: 0, Ins: "ab"}), code: protocol.CodeInvalid, msg: "20001 characters"},
	})
}

func TestNotesLog(t *testing.T) {
	s := New(group)
	for i := range MaxNotesLog + 44 {
		s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: uint64(i), Edits: ed(i, 0, "x")}, byAna, nil)
	}
	if len(s.Log) != MaxNotesLog || s.Log[0].Rev != 45 || s.Log[MaxNotesLog-1].Rev != 300 || s.WS.NotesRev != 300 {
		t.Fatalf("log of %d from rev %d to %d at notes rev %d", len(s.Log), s.Log[0].Rev, s.Log[len(s.Log)-1].Rev, s.WS.NotesRev)
	}
	// The oldest base still in reach: the text then had 44 characters.
	next, applied := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 44, Edits: ed(44, 0, "!")}, byBen, nil)
	if want := strings.Repeat("x", 300) + "!"; next.WS.Notes != want || applied.Edits[0].Pos != 300 {
		t.Errorf("notes %q, applied %s", next.WS.Notes, jsonOf(t, applied))
	}
	_, _, err := try(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 43, Edits: ed(0, 0, "!")}, byBen, members, nil)
	if err == nil || err.Code != protocol.CodeStale || err.Message != "the notes changed too much since; reload" {
		t.Fatalf("got %v, want stale", err)
	}
}

// A state restored from a damaged snapshot is refused, not trusted.
func TestApplyOnInconsistentNotes(t *testing.T) {
	s := notesAt(t, "abc")
	s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(3, 0, "d")}, byAna, nil)
	for name, damage := range map[string]func(*State){
		"log entry that does not fit":  func(s *State) { s.Log = []NotesChange{s.Log[0], {Rev: 2, Edits: ed(9, 0, "d")}} },
		"log entry deleting backwards": func(s *State) { s.Log = []NotesChange{s.Log[0], {Rev: 2, Edits: ed(1, -5, "")}} },
		"log out of step":              func(s *State) { s.Log = []NotesChange{s.Log[1], s.Log[0]} },
	} {
		d := s
		damage(&d)
		_, _, err := try(t, d, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 0, Edits: ed(0, 0, "x")}, byAna, members, nil)
		if err == nil || err.Code != protocol.CodeInternal {
			t.Errorf("%s: got %v, want internal", name, err)
		}
	}
}

func TestRedoRefusesLogsThatDoNotFit(t *testing.T) {
	s, _ := fixture(t)
	s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, Edits: ed(0, 0, "abc")}, byAna, nil)
	for _, c := range []struct {
		name string
		op   protocol.WorkspaceOp
	}{
		{"unknown kind", protocol.WorkspaceOp{Kind: "x"}},
		{"add a task that is there", protocol.WorkspaceOp{Kind: protocol.WsAddTask, Task: taskID(1), Title: ptr("x")}},
		{"add a task without ID", protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("x")}},
		{"add a task without title", protocol.WorkspaceOp{Kind: protocol.WsAddTask, Task: taskID(50)}},
		{"edit a task that is not there", protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(50), Title: ptr("x")}},
		{"edit nothing", protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: taskID(1)}},
		{"remove a task that is not there", protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: taskID(50)}},
		{"role of no one", protocol.WorkspaceOp{Kind: protocol.WsSetRole, Role: "x"}},
		{"notes of another revision", protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 0, Edits: ed(0, 0, "x")}},
		{"notes edit past the end", protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(4, 0, "x")}},
		{"notes edit backwards", protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(2, -1, "")}},
	} {
		before := jsonOf(t, s)
		got, err := Redo(s, c.op, byAna, now)
		if err == nil {
			t.Errorf("%s: no error", c.name)
		}
		if jsonOf(t, got) != before || jsonOf(t, s) != before {
			t.Errorf("%s: the state changed", c.name)
		}
	}
}

// Redo replays what the rules would refuse today: logs outlive rules and
// members.
func TestRedoDoesNotRecheck(t *testing.T) {
	s, _ := fixture(t)
	for _, op := range []protocol.WorkspaceOp{
		{Kind: protocol.WsAddTask, Task: taskID(60), Title: ptr(strings.Repeat("x", 300)), Assignee: ptr(stranger)},
		{Kind: protocol.WsEditTask, Task: taskID(1), Base: &protocol.TaskVers{}, Title: ptr("x")},
		{Kind: protocol.WsSetRole, Student: stranger, Role: "recorder"},
		{Kind: protocol.WsSetRole, Student: ben, Role: "Recorder"},
		{Kind: protocol.WsComment, Text: ""},
	} {
		var err error
		if s, err = Redo(s, op, byAna, now); err != nil {
			t.Errorf("Redo(%s): %v", jsonOf(t, op), err)
		}
	}
	if s.WS.Rev != 7 {
		t.Errorf("rev %d, want 7", s.WS.Rev)
	}
}

// Apply never writes into memory its input shares: two edits applied to
// one state each give their own state.
func TestApplyDoesNotShare(t *testing.T) {
	s := notesAt(t, "abc")
	s.WS.Tasks = make([]protocol.Task, 0, 10)
	s.WS.Comments = make([]protocol.Comment, 0, 10)
	s.Log = append(make([]NotesChange, 0, 10), s.Log...)
	g := &ids{}
	a, _ := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("a")}, byAna, g.next)
	b, _ := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsAddTask, Title: ptr("b")}, byAna, g.next)
	c, _ := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "c"}, byTeacher, nil)
	d, _ := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsComment, Text: "d"}, byTeacher, nil)
	e, _ := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(0, 0, "e")}, byAna, nil)
	f, fa := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(0, 0, "f")}, byAna, nil)
	fa.Edits[0].Ins = "changed by the caller"
	if a.WS.Tasks[0].Title != "a" || b.WS.Tasks[0].Title != "b" || c.WS.Comments[0].Text != "c" || d.WS.Comments[0].Text != "d" ||
		e.Log[1].Edits[0].Ins != "e" || f.Log[1].Edits[0].Ins != "f" {
		t.Errorf("states share memory: %s %s %s %s %s %s", jsonOf(t, a.WS.Tasks), jsonOf(t, b.WS.Tasks), jsonOf(t, c.WS.Comments), jsonOf(t, d.WS.Comments), jsonOf(t, e.Log), jsonOf(t, f.Log))
	}
}
