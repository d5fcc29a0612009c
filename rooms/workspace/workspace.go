// Package workspace holds the rules of a group's shared workspace: its
// task checklist, its roles, its notes and the comments of coaches and
// teachers.
//
// Members of a group edit the workspace at the same time from their own
// devices, each against the version they last saw. The room's actor hands
// edits to Apply one at a time, in arrival order, and that order is the
// only thing that decides how concurrent edits combine:
//
//   - Tasks carry a version per field. An edit names the versions it saw
//     (its base); if a field it sets was changed since, the whole edit is
//     refused as stale, so nobody overwrites a change they have not seen,
//     while edits of different fields of one task both go through.
//   - The notes are merged by operational transformation: an edit made
//     against an older revision is transformed over every change that
//     arrived since, so that no one's typing is lost.
//
// Apply returns the edit as applied, which is what the room stores in its
// event log. Redo replays such an edit. Apply is a check followed by Redo,
// so the two cannot drift apart. Redo checks only that an edit fits the
// state (a task it names exists, notes edits lie within the text); it does
// not re-check limits or membership, so that a log written under older
// rules, or before a student left the group, still replays.
package workspace

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// Limits of a workspace. Everything over them is refused as invalid.
const (
	MaxTasks        = 100   // tasks in a checklist
	MaxTitleRunes   = 200   // characters of a task's title
	MaxRoleRunes    = 40    // characters of a role's name
	MaxComments     = 100   // comments kept; older ones are dropped
	MaxCommentRunes = 500   // characters of a comment
	MaxNotesRunes   = 20000 // characters of the notes
	MaxNotesEdits   = 50    // edits in one edit_notes
	MaxInsertRunes  = 2000  // characters one notes edit inserts
	// MaxNotesLog is how many notes changes are kept for transforming late
	// edits. An edit made against an older revision is refused as stale:
	// the device has been away long enough that it should reload.
	MaxNotesLog = 256
)

// State is one group's workspace plus what merging needs besides: the
// roles, and the latest notes changes, over which an edit made on an older
// notes revision is transformed. It is stored as JSON in the room's
// snapshots. Apply and Redo treat a State as a value: they return a new
// one and never write into the slices of the one they were given, so a
// caller may keep or share an old state safely.
type State struct {
	WS    protocol.Workspace   `json:"ws"`
	Roles []protocol.GroupRole `json:"roles"` // sorted by role name, case-insensitively
	Log   []NotesChange        `json:"log"`   // the last MaxNotesLog notes changes, oldest first
}

// NotesChange records one accepted change of the notes: Edits turned the
// notes of revision Rev-1 into those of revision Rev. They are sorted by
// position, and each applies to the text the one before it left.
type NotesChange struct {
	Rev   uint64              `json:"rev"`
	Edits []protocol.TextEdit `json:"edits"`
}

// Author is who makes an edit. Name and Role are what a comment records;
// Student is the student making the edit, if a student is, for callers
// that keep it with the edit (the rules here do not use it).
type Author struct {
	Name    string
	Role    protocol.Role
	Student protocol.StudentID
}

// New returns the empty workspace of a group. Its lists are empty rather
// than nil so that it reads as [] in JSON, as the states Apply returns do.
func New(group protocol.GroupID) State {
	return State{
		WS: protocol.Workspace{
			Group:    group,
			Tasks:    []protocol.Task{},
			Comments: []protocol.Comment{},
		},
		Roles: []protocol.GroupRole{},
		Log:   []NotesChange{},
	}
}

// Apply validates op, made by by, against s. It returns the state after
// the op and the op in the form the event log keeps: an add_task carries
// the ID newID gave it (newID is called for add_task only), notes edits
// are rewritten against the current notes revision, which becomes their
// NotesBase, and text fields hold exactly what was stored. members is the
// group's membership now; assignees and role holders must be among them.
// s itself is never modified.
//
// The logged op carries only the fields its kind uses, with titles, roles
// and comments trimmed of surrounding white space; fields that belong to
// other kinds are dropped rather than refused. Every accepted op bumps WS.Rev,
// even one that sets a value to what it already was. A refused op returns
// s as it was and a *protocol.Error (invalid, not_found, stale or
// forbidden; internal only if s itself is inconsistent or newID fails).
func Apply(s State, op protocol.WorkspaceOp, by Author, members []protocol.StudentID, now int64, newID func() protocol.TaskID) (State, protocol.WorkspaceOp, error) {
	applied, perr := check(s, op, by, members, newID)
	if perr != nil {
		return s, protocol.WorkspaceOp{}, perr
	}
	next, err := redo(s, applied, by, now)
	if err != nil {
		return s, protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInternal, "the workspace could not take the edit: %v", err)
	}
	return next, applied, nil
}

// Redo replays an op that Apply returned, read back from the event log,
// and yields the very state Apply yielded for it. An error means the log
// does not fit the state (it is damaged or out of order); it is never a
// verdict on the op's content, which was judged when it was applied. by
// and now must be the author and time the op was first applied with,
// since a comment records them. s itself is never modified.
func Redo(s State, applied protocol.WorkspaceOp, by Author, now int64) (State, error) {
	next, err := redo(s, applied, by, now)
	if err != nil {
		return s, err
	}
	return next, nil
}

// check validates op against s and returns it as it is to be applied.
func check(s State, op protocol.WorkspaceOp, by Author, members []protocol.StudentID, newID func() protocol.TaskID) (protocol.WorkspaceOp, *protocol.Error) {
	switch op.Kind {
	case protocol.WsAddTask:
		return checkAddTask(s, op, members, newID)
	case protocol.WsEditTask:
		return checkEditTask(s, op, members)
	case protocol.WsRemoveTask:
		if taskIndex(s.WS.Tasks, op.Task) < 0 {
			return protocol.WorkspaceOp{}, noTask()
		}
		return protocol.WorkspaceOp{Kind: op.Kind, Task: op.Task}, nil
	case protocol.WsSetRole:
		return checkSetRole(s, op, members)
	case protocol.WsEditNotes:
		return checkEditNotes(s, op)
	case protocol.WsComment:
		if by.Role != protocol.RoleTeacher && by.Role != protocol.RoleCoach {
			return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeForbidden, "only a teacher or a coach may comment on a workspace")
		}
		if strings.TrimSpace(by.Name) == "" {
			return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeForbidden, "a comment must carry its author's name")
		}
		text := strings.TrimSpace(op.Text)
		if e := protocol.CheckText("text", text, 1, MaxCommentRunes, true); e != nil {
			return protocol.WorkspaceOp{}, e
		}
		return protocol.WorkspaceOp{Kind: op.Kind, Text: text}, nil
	}
	return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "unknown workspace edit %q", op.Kind)
}

func noTask() *protocol.Error {
	return protocol.Errorf(protocol.CodeNotFound, "no such task; someone may have removed it")
}

func checkAddTask(s State, op protocol.WorkspaceOp, members []protocol.StudentID, newID func() protocol.TaskID) (protocol.WorkspaceOp, *protocol.Error) {
	title := ""
	if op.Title != nil {
		title = strings.TrimSpace(*op.Title)
	}
	if e := protocol.CheckText("title", title, 1, MaxTitleRunes, false); e != nil {
		return protocol.WorkspaceOp{}, e
	}
	out := protocol.WorkspaceOp{Kind: op.Kind, Title: &title}
	if op.Assignee != nil && *op.Assignee != "" {
		if !slices.Contains(members, *op.Assignee) {
			return protocol.WorkspaceOp{}, notMember("the assignee")
		}
		a := *op.Assignee
		out.Assignee = &a
	}
	if op.Due != nil {
		if *op.Due < 0 {
			return protocol.WorkspaceOp{}, badDue()
		}
		if *op.Due > 0 {
			d := *op.Due
			out.Due = &d
		}
	}
	if len(s.WS.Tasks) >= MaxTasks {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "the checklist already has %d tasks; remove one first", MaxTasks)
	}
	if newID == nil {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInternal, "no way to name a new task")
	}
	out.Task = newID()
	if out.Task == "" || taskIndex(s.WS.Tasks, out.Task) >= 0 {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInternal, "the new task could not be given a fresh ID")
	}
	return out, nil
}

func notMember(who string) *protocol.Error {
	return protocol.Errorf(protocol.CodeInvalid, "%s is not a member of the group", who)
}

func badDue() *protocol.Error {
	return protocol.Errorf(protocol.CodeInvalid, "due must be a time (milliseconds since 1970), or 0 for none")
}

func checkEditTask(s State, op protocol.WorkspaceOp, members []protocol.StudentID) (protocol.WorkspaceOp, *protocol.Error) {
	i := taskIndex(s.WS.Tasks, op.Task)
	if i < 0 {
		return protocol.WorkspaceOp{}, noTask()
	}
	t := s.WS.Tasks[i]
	if op.Title == nil && op.Assignee == nil && op.Due == nil && op.Done == nil {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "edit_task changes nothing: set title, assignee, due or done")
	}
	if op.Base == nil {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "edit_task needs base: the versions of the task you edited")
	}
	base := *op.Base
	out := protocol.WorkspaceOp{Kind: op.Kind, Task: op.Task, Base: &base}
	if op.Title != nil {
		title := strings.TrimSpace(*op.Title)
		if e := protocol.CheckText("title", title, 1, MaxTitleRunes, false); e != nil {
			return protocol.WorkspaceOp{}, e
		}
		out.Title = &title
	}
	if op.Assignee != nil {
		a := *op.Assignee
		if a != "" && !slices.Contains(members, a) {
			return protocol.WorkspaceOp{}, notMember("the assignee")
		}
		out.Assignee = &a
	}
	if op.Due != nil {
		if *op.Due < 0 {
			return protocol.WorkspaceOp{}, badDue()
		}
		d := *op.Due
		out.Due = &d
	}
	if op.Done != nil {
		d := *op.Done
		out.Done = &d
	}

	// A base newer than the task, in any field, can only come from a
	// confused device; taking it would let that device overwrite changes
	// it never saw.
	if base.Title > t.Vers.Title || base.Assignee > t.Vers.Assignee || base.Due > t.Vers.Due || base.Done > t.Vers.Done {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "base is ahead of the task; reload and retry")
	}
	type field struct {
		set       bool
		cur, base uint64
		changed   string // what someone did, for the stale message
	}
	fields := []field{
		{out.Title != nil, t.Vers.Title, base.Title, fmt.Sprintf("changed the title to %q", t.Title)},
		{out.Assignee != nil, t.Vers.Assignee, base.Assignee, assigneeChange(t.Assignee)},
		{out.Due != nil, t.Vers.Due, base.Due, dueChange(t.Due)},
		{out.Done != nil, t.Vers.Done, base.Done, doneChange(t.Done)},
	}
	var stale []string
	for _, f := range fields {
		switch {
		case !f.set:
		case f.cur > f.base:
			stale = append(stale, f.changed)
		}
	}
	if len(stale) > 0 {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeStale, "someone %s; reload and retry", joinAnd(stale))
	}
	return out, nil
}

// The group's names are not known here, so an assignee is named by ID;
// the device can show the name it knows for it.
func assigneeChange(a protocol.StudentID) string {
	if a == "" {
		return "took the assignee off the task"
	}
	return fmt.Sprintf("assigned the task to %s", a)
}

func dueChange(due int64) string {
	if due == 0 {
		return "took the due time off the task"
	}
	return "changed the due time to " + time.UnixMilli(due).UTC().Format("2006-01-02 15:04 UTC")
}

func doneChange(done bool) string {
	if done {
		return "marked the task done"
	}
	return "marked the task not done"
}

func joinAnd(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func checkSetRole(s State, op protocol.WorkspaceOp, members []protocol.StudentID) (protocol.WorkspaceOp, *protocol.Error) {
	role := strings.TrimSpace(op.Role)
	if e := protocol.CheckText("role", role, 0, MaxRoleRunes, false); e != nil {
		return protocol.WorkspaceOp{}, e
	}
	// Taking a role away from someone who has left the group is allowed,
	// or their role would be stuck with no one able to free it.
	holds := slices.ContainsFunc(s.Roles, func(r protocol.GroupRole) bool { return r.Student == op.Student })
	if !slices.Contains(members, op.Student) && !(role == "" && holds) {
		return protocol.WorkspaceOp{}, notMember("that student")
	}
	if role != "" {
		for _, r := range s.Roles {
			if r.Student != op.Student && strings.EqualFold(r.Role, role) {
				return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "another member is already the %s", r.Role)
			}
		}
	}
	return protocol.WorkspaceOp{Kind: op.Kind, Student: op.Student, Role: role}, nil
}

func checkEditNotes(s State, op protocol.WorkspaceOp) (protocol.WorkspaceOp, *protocol.Error) {
	rev := s.WS.NotesRev
	if op.NotesBase > rev {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "notes_base %d is ahead of the notes (revision %d)", op.NotesBase, rev)
	}
	behind := rev - op.NotesBase
	if behind > uint64(len(s.Log)) {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeStale, "the notes changed too much since; reload")
	}
	if len(op.Edits) < 1 || len(op.Edits) > MaxNotesEdits {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "edit_notes takes 1 to %d edits", MaxNotesEdits)
	}
	for i, e := range op.Edits {
		if e.Pos < 0 || e.Del < 0 {
			return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "edits[%d]: pos and del must not be negative", i)
		}
		if perr := protocol.CheckText(fmt.Sprintf("edits[%d].ins", i), e.Ins, 0, MaxInsertRunes, true); perr != nil {
			return protocol.WorkspaceOp{}, perr
		}
	}

	since := s.Log[len(s.Log)-int(behind):]
	if len(since) > 0 && (since[0].Rev != op.NotesBase+1 || since[len(since)-1].Rev != rev) {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInternal, "the notes history does not match revision %d", rev)
	}
	cur := utf8.RuneCountInString(s.WS.Notes)
	baseLen := cur
	for _, c := range since {
		baseLen -= editsGrowth(c.Edits)
	}
	// The transform trusts the logged changes to fit the texts they were
	// made on; a state restored from a damaged snapshot must not make it
	// loop or misplace text, so walk them forward once.
	n := baseLen
	for _, c := range since {
		var bad int
		if n, bad = fit(c.Edits, n); bad >= 0 {
			n = -1
			break
		}
	}
	if n != cur {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInternal, "the notes history does not match revision %d", rev)
	}
	if _, bad := fit(op.Edits, baseLen); bad >= 0 {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "edits[%d] does not fit the notes of revision %d (%d characters before the edit)", bad, op.NotesBase, editedLen(op.Edits[:bad], baseLen))
	}

	o := editsToOp(op.Edits)
	for _, c := range since {
		o, _ = transform(editsToOp(c.Edits), o)
	}
	if n := cur + o.growth(); n > MaxNotesRunes {
		return protocol.WorkspaceOp{}, protocol.Errorf(protocol.CodeInvalid, "the notes would have %d characters; the most is %d", n, MaxNotesRunes)
	}
	return protocol.WorkspaceOp{Kind: op.Kind, NotesBase: rev, Edits: opToEdits(o)}, nil
}

func editedLen(edits []protocol.TextEdit, n int) int {
	n, _ = fit(edits, n)
	return n
}

func taskIndex(tasks []protocol.Task, id protocol.TaskID) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(tasks, func(t protocol.Task) bool { return t.ID == id })
}

// redo applies an op that has passed check, or was read back from the
// log, to a copy of s.
func redo(s State, op protocol.WorkspaceOp, by Author, now int64) (State, error) {
	switch op.Kind {
	case protocol.WsAddTask:
		if op.Task == "" || taskIndex(s.WS.Tasks, op.Task) >= 0 {
			return s, fmt.Errorf("add_task of task %q, which is missing or already there", op.Task)
		}
		if op.Title == nil {
			return s, fmt.Errorf("add_task of task %s without a title", op.Task)
		}
		t := protocol.Task{ID: op.Task, Title: *op.Title, Vers: protocol.TaskVers{Title: 1, Assignee: 1, Due: 1, Done: 1}}
		if op.Assignee != nil {
			t.Assignee = *op.Assignee
		}
		if op.Due != nil {
			t.Due = *op.Due
		}
		s.WS.Tasks = append(slices.Clip(s.WS.Tasks), t)
	case protocol.WsEditTask:
		i := taskIndex(s.WS.Tasks, op.Task)
		if i < 0 {
			return s, fmt.Errorf("edit_task of task %q, which is not there", op.Task)
		}
		if op.Title == nil && op.Assignee == nil && op.Due == nil && op.Done == nil {
			return s, fmt.Errorf("edit_task of task %s that sets nothing", op.Task)
		}
		tasks := slices.Clone(s.WS.Tasks)
		t := &tasks[i]
		if op.Title != nil {
			t.Title = *op.Title
			t.Vers.Title++
		}
		if op.Assignee != nil {
			t.Assignee = *op.Assignee
			t.Vers.Assignee++
		}
		if op.Due != nil {
			t.Due = *op.Due
			t.Vers.Due++
		}
		if op.Done != nil {
			t.Done = *op.Done
			t.Vers.Done++
		}
		s.WS.Tasks = tasks
	case protocol.WsRemoveTask:
		i := taskIndex(s.WS.Tasks, op.Task)
		if i < 0 {
			return s, fmt.Errorf("remove_task of task %q, which is not there", op.Task)
		}
		s.WS.Tasks = slices.Delete(slices.Clone(s.WS.Tasks), i, i+1)
	case protocol.WsSetRole:
		if op.Student == "" {
			return s, fmt.Errorf("set_role without a student")
		}
		roles := make([]protocol.GroupRole, 0, len(s.Roles)+1)
		for _, r := range s.Roles {
			if r.Student != op.Student {
				roles = append(roles, r)
			}
		}
		if op.Role != "" {
			roles = append(roles, protocol.GroupRole{Student: op.Student, Role: op.Role})
		}
		slices.SortFunc(roles, compareRoles)
		s.Roles = roles
	case protocol.WsEditNotes:
		if op.NotesBase != s.WS.NotesRev {
			return s, fmt.Errorf("edit_notes against notes revision %d at revision %d", op.NotesBase, s.WS.NotesRev)
		}
		text := []rune(s.WS.Notes)
		if _, bad := fit(op.Edits, len(text)); bad >= 0 {
			return s, fmt.Errorf("edit_notes edit %d does not fit the notes of revision %d", bad, op.NotesBase)
		}
		next, err := editsToOp(op.Edits).apply(text)
		if err != nil {
			return s, fmt.Errorf("edit_notes at revision %d: %w", op.NotesBase, err)
		}
		s.WS.Notes = string(next)
		s.WS.NotesRev++
		edits := slices.Clone(op.Edits)
		if edits == nil {
			edits = []protocol.TextEdit{}
		}
		s.Log = appendLast(s.Log, NotesChange{Rev: s.WS.NotesRev, Edits: edits}, MaxNotesLog)
	case protocol.WsComment:
		c := protocol.Comment{By: by.Name, Role: by.Role, Text: op.Text, Time: now}
		s.WS.Comments = appendLast(s.WS.Comments, c, MaxComments)
	default:
		return s, fmt.Errorf("unknown workspace edit %q", op.Kind)
	}
	s.WS.Rev++
	return s, nil
}

// appendLast returns a new slice of the last keep elements of list and v.
func appendLast[T any](list []T, v T, keep int) []T {
	if len(list) >= keep {
		list = list[len(list)-keep+1:]
	}
	out := make([]T, 0, len(list)+1)
	return append(append(out, list...), v)
}

// compareRoles orders roles by name regardless of case; the student breaks
// ties so that the order never depends on the order of arrival.
func compareRoles(a, b protocol.GroupRole) int {
	return cmp.Or(
		cmp.Compare(strings.ToLower(a.Role), strings.ToLower(b.Role)),
		cmp.Compare(a.Role, b.Role),
		cmp.Compare(a.Student, b.Student),
	)
}
