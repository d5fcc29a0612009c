package workspace

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// input turns bytes into choices; past the end every choice is 0.
type input struct {
	b []byte
	i int
}

func (in *input) done() bool { return in.i >= len(in.b) }

func (in *input) byte() byte {
	if in.done() {
		return 0
	}
	in.i++
	return in.b[in.i-1]
}

// n returns a choice in [0, k).
func (in *input) n(k int) int {
	if k <= 1 {
		return 0
	}
	v := int(in.byte())
	if k > 256 {
		v = v<<8 | int(in.byte())
	}
	return v % k
}

var (
	pieces    = []string{"a", "b", " ", "é", "🙂", "\n", "\t", "Z"}
	badPieces = []string{"\x00", "\xff", "\r", "\u0085"}
)

// text makes a string for a field whose limit is limit: mostly short,
// sometimes right at the limit or just over, sometimes with a character
// no field takes, sometimes raw bytes.
func (in *input) text(limit int) string {
	var sb strings.Builder
	switch in.n(16) {
	case 12, 13:
		return strings.Repeat(pieces[in.n(5)], limit-1+in.n(3))
	case 14:
		b := make([]byte, in.n(12))
		for i := range b {
			b[i] = in.byte()
		}
		return string(b)
	case 15:
		sb.WriteString(badPieces[in.n(len(badPieces))])
	}
	for range in.n(7) {
		sb.WriteString(pieces[in.n(len(pieces))])
	}
	return sb.String()
}

var authors = []Author{byAna, byBen, byTeacher, byCoach, {Name: "Wall", Role: protocol.RoleProjector}, {Role: protocol.RoleTeacher}}

// pick returns one of the state's tasks, or one that is not there.
func (in *input) task(s State) protocol.TaskID {
	if i := in.n(len(s.WS.Tasks) + 1); i < len(s.WS.Tasks) {
		return s.WS.Tasks[i].ID
	}
	return taskID(999)
}

// student returns a member, one who may have left, a stranger or no one.
func (in *input) student() protocol.StudentID {
	all := append(slices.Clone(members), stranger, "")
	return all[in.n(len(all))]
}

// op decodes an op for s. notes holds the notes of every revision so far,
// so that most notes edits fit the revision they claim to be made on.
func (in *input) op(s State, notes map[uint64]string) protocol.WorkspaceOp {
	switch in.n(8) {
	case 0:
		op := protocol.WorkspaceOp{Kind: protocol.WsAddTask}
		if in.n(8) > 0 {
			op.Title = ptr(in.text(MaxTitleRunes))
		}
		if in.n(2) == 0 {
			op.Assignee = ptr(in.student())
		}
		if in.n(2) == 0 {
			op.Due = ptr(int64(in.n(5)-1) * due)
		}
		return op
	case 1:
		op := protocol.WorkspaceOp{Kind: protocol.WsEditTask, Task: in.task(s)}
		if i := taskIndex(s.WS.Tasks, op.Task); i >= 0 && in.n(8) > 0 {
			v := s.WS.Tasks[i].Vers
			// Mostly what the editor saw now; sometimes older, or ahead.
			for _, f := range []*uint64{&v.Title, &v.Assignee, &v.Due, &v.Done} {
				switch in.n(10) {
				case 0:
					*f = max(*f, 1) - 1
				case 1:
					*f++
				}
			}
			op.Base = &v
		}
		if in.n(2) == 0 {
			op.Title = ptr(in.text(MaxTitleRunes))
		}
		if in.n(2) == 0 {
			op.Assignee = ptr(in.student())
		}
		if in.n(2) == 0 {
			op.Due = ptr(int64(in.n(5)-1) * due)
		}
		if in.n(2) == 0 {
			op.Done = ptr(in.n(2) == 0)
		}
		return op
	case 2:
		return protocol.WorkspaceOp{Kind: protocol.WsRemoveTask, Task: in.task(s)}
	case 3:
		roles := []string{"recorder", "Recorder", "facilitator", "", "  "}
		role := in.text(MaxRoleRunes)
		if i := in.n(len(roles) + 1); i < len(roles) {
			role = roles[i]
		}
		return protocol.WorkspaceOp{Kind: protocol.WsSetRole, Student: in.student(), Role: role}
	case 4, 5:
		rev := s.WS.NotesRev
		op := protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: rev - uint64(in.n(int(min(rev, 300))+1))}
		if in.n(16) == 0 {
			op.NotesBase = rev + 1
		}
		n := utf8.RuneCountInString(notes[op.NotesBase])
		count := 1 + in.n(4)
		switch in.n(32) {
		case 0:
			count = 0
		case 1:
			count = MaxNotesEdits + 1
		}
		for range count {
			e := protocol.TextEdit{Pos: in.n(n + 2), Ins: in.text(MaxInsertRunes)}
			if e.Pos <= n {
				e.Del = in.n(min(n-e.Pos, 6) + 2)
			}
			if in.n(64) == 0 {
				e.Pos = -1
			}
			n += utf8.RuneCountInString(e.Ins) - e.Del
			op.Edits = append(op.Edits, e)
		}
		return op
	case 6:
		return protocol.WorkspaceOp{Kind: protocol.WsComment, Text: in.text(MaxCommentRunes)}
	}
	return protocol.WorkspaceOp{Kind: protocol.WorkspaceOpKind(in.text(8)), Title: ptr("x"), Text: "x"}
}

// drive applies the ops decoded from in one after another, checking each
// as try does and the state's invariants after it, restarting the server
// from a snapshot now and then and letting members leave; at the end the
// ops as applied, replayed with Redo from the start, give the same state.
// It returns how many ops of each kind were accepted.
func drive(t testing.TB, in *input, steps int) map[protocol.WorkspaceOpKind]int {
	type entry struct {
		op protocol.WorkspaceOp
		by Author
	}
	s, g := New(group), &ids{}
	ms := slices.Clone(members)
	notes := map[uint64]string{0: ""}
	var log []entry
	accepted := map[protocol.WorkspaceOpKind]int{}
	for range steps {
		if in.done() {
			break
		}
		switch in.n(16) {
		case 0:
			s = roundTrip(t, s)
		case 1:
			if len(ms) > 0 {
				ms = ms[1:]
			}
		}
		op := in.op(s, notes)
		by := authors[in.n(len(authors))]
		next, applied, err := try(t, s, op, by, ms, g.next)
		if err != nil {
			switch err.Code {
			case protocol.CodeInvalid, protocol.CodeNotFound, protocol.CodeStale, protocol.CodeForbidden:
			default:
				t.Fatalf("%s: %v", jsonOf(t, op), err)
			}
			continue
		}
		checkInvariants(t, next)
		s = next
		notes[s.WS.NotesRev] = s.WS.Notes
		log = append(log, entry{roundTrip(t, applied), by})
		accepted[applied.Kind]++
	}
	replay := New(group)
	for i, e := range log {
		var err error
		if replay, err = Redo(replay, e.op, e.by, now); err != nil {
			t.Fatalf("Redo of op %d, %s: %v", i, jsonOf(t, e.op), err)
		}
	}
	if got, want := jsonOf(t, replay), jsonOf(t, s); got != want {
		t.Fatalf("replay gives\n%s\nApply gave\n%s", got, want)
	}
	return accepted
}

func checkInvariants(t testing.TB, s State) {
	t.Helper()
	ws := s.WS
	if len(ws.Tasks) > MaxTasks {
		t.Fatalf("%d tasks", len(ws.Tasks))
	}
	seen := map[protocol.TaskID]bool{}
	for _, tk := range ws.Tasks {
		if tk.ID == "" || seen[tk.ID] {
			t.Fatalf("task ID %q twice or empty", tk.ID)
		}
		seen[tk.ID] = true
		if e := protocol.CheckText("title", tk.Title, 1, MaxTitleRunes, false); e != nil || tk.Title != strings.TrimSpace(tk.Title) {
			t.Fatalf("title %q: %v", tk.Title, e)
		}
		if v := tk.Vers; v.Title < 1 || v.Assignee < 1 || v.Due < 1 || v.Done < 1 || tk.Due < 0 {
			t.Fatalf("task %+v", tk)
		}
	}
	if !utf8.ValidString(ws.Notes) || utf8.RuneCountInString(ws.Notes) > MaxNotesRunes {
		t.Fatalf("notes of %d characters, valid %v", utf8.RuneCountInString(ws.Notes), utf8.ValidString(ws.Notes))
	}
	if len(s.Log) > MaxNotesLog || uint64(len(s.Log)) > ws.NotesRev || ws.NotesRev > ws.Rev {
		t.Fatalf("log of %d at notes rev %d, rev %d", len(s.Log), ws.NotesRev, ws.Rev)
	}
	for i, c := range s.Log {
		if want := ws.NotesRev - uint64(len(s.Log)-1-i); c.Rev != want {
			t.Fatalf("log entry %d has rev %d, want %d", i, c.Rev, want)
		}
	}
	if !slices.IsSortedFunc(s.Roles, compareRoles) {
		t.Fatalf("roles not sorted: %+v", s.Roles)
	}
	for i, a := range s.Roles {
		if a.Role == "" {
			t.Fatalf("empty role: %+v", s.Roles)
		}
		for _, b := range s.Roles[i+1:] {
			if a.Student == b.Student || strings.EqualFold(a.Role, b.Role) {
				t.Fatalf("roles %+v and %+v clash", a, b)
			}
		}
	}
	if len(ws.Comments) > MaxComments {
		t.Fatalf("%d comments", len(ws.Comments))
	}
}

// Random sequences of ops: folding the applied ops with Redo from New
// gives exactly the state Apply gave.
func TestRedoReproducesApply(t *testing.T) {
	total := map[protocol.WorkspaceOpKind]int{}
	for _, seed := range seeds[:50] {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := make([]byte, 4000)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		for k, n := range drive(t, &input{b: b}, 150) {
			total[k] += n
		}
	}
	// The sequences must get somewhere for the check to mean anything.
	for _, k := range []protocol.WorkspaceOpKind{protocol.WsAddTask, protocol.WsEditTask, protocol.WsRemoveTask, protocol.WsSetRole, protocol.WsEditNotes, protocol.WsComment} {
		if total[k] < 30 {
			t.Errorf("only %d %s accepted", total[k], k)
		}
	}
	t.Logf("accepted: %v", total)
}

// FuzzApply: any sequence of ops decoded from bytes is accepted or
// refused with a protocol error, never panics, leaves the state untouched
// when refused, and replays with Redo to the state Apply gave.
func FuzzApply(f *testing.F) {
	for _, seed := range seeds[:20] {
		rng := rand.New(rand.NewPCG(seed, 8))
		b := make([]byte, 200+rng.IntN(400))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("\x04\x00\x00\x00\x00\x06\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		drive(t, &input{b: b}, 64)
	})
}
