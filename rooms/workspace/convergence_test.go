package workspace

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// char is one character of a test's notes with where it came from. Equal
// runes are not told apart by the text, so the properties below are about
// these identities; the server never sees them.
type char struct {
	r     rune
	id    int
	owner int // the client that typed it; -1 for the text all started from
}

func runesOf(cs []char) string {
	rs := make([]rune, len(cs))
	for i, c := range cs {
		rs[i] = c.r
	}
	return string(rs)
}

// charMaker draws the runes of new characters. "unique" gives every
// character its own rune, mixing one- to four-byte encodings (é and 🙂
// among them), so that the final text alone tells who typed what; the
// others repeat a few runes, as real text does.
func charMaker(t testing.TB, alpha string, rng *rand.Rand) func(owner int) char {
	id := 0
	return func(owner int) char {
		id++
		var r rune
		switch alpha {
		case "unique":
			n := rune(id / 4)
			switch id % 4 {
			case 0:
				r = '!' + n // printable ASCII
			case 1:
				r = 'À' + n // two bytes; é is 'À'+41
			case 2:
				r = '一' + n // three bytes
			default:
				r = '😀' + n // four bytes; 🙂 is '😀'+66
			}
			if id/4 > '~'-'!' {
				t.Fatalf("more than %d characters in one case", id)
			}
		default:
			a := alphabets[alpha]
			r = a[rng.IntN(len(a))]
		}
		return char{r: r, id: id, owner: owner}
	}
}

// typeEdits makes n random edits of local as client owner would type them
// and returns the text they leave and the edits.
func typeEdits(rng *rand.Rand, local []char, n, owner int, newChar func(int) char) ([]char, []protocol.TextEdit) {
	var edits []protocol.TextEdit
	for range n {
		pos := rng.IntN(len(local) + 1)
		del := 0
		if rng.IntN(3) > 0 {
			del = rng.IntN(min(5, len(local)-pos) + 1)
		}
		ins := make([]char, rng.IntN(4))
		if del == 0 && len(ins) == 0 {
			ins = make([]char, 1)
		}
		for i := range ins {
			ins[i] = newChar(owner)
		}
		local = slices.Replace(slices.Clone(local), pos, pos+del, ins...)
		edits = append(edits, protocol.TextEdit{Pos: pos, Del: del, Ins: runesOf(ins)})
	}
	return local, edits
}

func roundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	var out T
	if err := json.Unmarshal([]byte(jsonOf(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var convergenceAlphabets = []string{"unique", "ascii", "multibyte"}

// Several clients edit the notes from the same revision and the server
// takes their edits in some order. Nothing anyone typed is lost, nothing
// no one deleted goes, each client's text keeps its order, the result
// depends on the order of arrival only, and each client reaches the
// server's text by transforming what it receives.
func TestNotesConvergence(t *testing.T) {
	for _, alpha := range convergenceAlphabets {
		t.Run(alpha, func(t *testing.T) {
			for _, seed := range seeds {
				convergeFromOneBase(t, alpha, seed)
			}
		})
	}
}

func convergeFromOneBase(t *testing.T, alpha string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 4))
	newChar := charMaker(t, alpha, rng)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: %s", seed, fmt.Sprintf(format, args...))
	}

	// Some history first, so that the clients' base is not the start.
	s := New(group)
	var text []char
	for range rng.IntN(4) {
		var edits []protocol.TextEdit
		text, edits = typeEdits(rng, text, 1+rng.IntN(4), -1, newChar)
		s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: s.WS.NotesRev, Edits: edits}, byTeacher, nil)
	}
	if extra := rng.IntN(30); extra > 0 {
		ins := make([]char, extra)
		for i := range ins {
			ins[i] = newChar(-1)
		}
		text = append(text, ins...)
		s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: s.WS.NotesRev, Edits: ed(len(text)-extra, 0, runesOf(ins))}, byTeacher, nil)
	}
	base, baseRev, start := text, s.WS.NotesRev, s

	type client struct {
		local []char
		edits []protocol.TextEdit
	}
	clients := make([]client, 2+rng.IntN(3))
	for i := range clients {
		clients[i].local, clients[i].edits = typeEdits(rng, base, 1+rng.IntN(6), i, newChar)
	}
	order := rng.Perm(len(clients))
	applied := make([]protocol.WorkspaceOp, len(order))
	for k, c := range order {
		var a protocol.WorkspaceOp
		s, a = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: baseRev, Edits: clients[c].edits}, byAna, nil)
		applied[k] = a
	}
	final := s.WS.Notes

	// Follow the identities through the ops as applied. What a client's op
	// inserts must be exactly what the client typed and kept, in its order.
	server := slices.Clone(base)
	for k, c := range order {
		var kept []char
		for _, ch := range clients[c].local {
			if ch.owner == c {
				kept = append(kept, ch)
			}
		}
		for _, e := range applied[k].Edits {
			ins := []rune(e.Ins)
			if len(ins) > len(kept) || string(ins) != runesOf(kept[:len(ins)]) {
				fail("client %d's op inserts %q; it typed %q", c, e.Ins, runesOf(kept))
			}
			if e.Pos < 0 || e.Del < 0 || e.Pos+e.Del > len(server) {
				fail("applied edit %+v does not fit %q", e, runesOf(server))
			}
			server = slices.Replace(server, e.Pos, e.Pos+e.Del, kept[:len(ins)]...)
			kept = kept[len(ins):]
		}
		// (a) Every inserted string of every client is there.
		if len(kept) > 0 {
			fail("client %d's %q is lost", c, runesOf(kept))
		}
	}
	if got := runesOf(server); got != final {
		fail("applied ops give %q, the server has %q", got, final)
	}

	// (b) What no client deleted of the base is still there, in order, and
	// what some client deleted is gone.
	deleted := map[int]bool{}
	for _, cl := range clients {
		have := map[int]bool{}
		for _, ch := range cl.local {
			have[ch.id] = true
		}
		for _, ch := range base {
			if !have[ch.id] {
				deleted[ch.id] = true
			}
		}
	}
	var wantBase, gotBase []int
	for _, ch := range base {
		if !deleted[ch.id] {
			wantBase = append(wantBase, ch.id)
		}
	}
	inFinal := map[int]bool{}
	for _, ch := range server {
		inFinal[ch.id] = true
		if ch.owner == -1 {
			gotBase = append(gotBase, ch.id)
		}
	}
	if !slices.Equal(gotBase, wantBase) {
		fail("base characters %v remain, want %v", gotBase, wantBase)
	}
	// Each client's own text keeps its order among what remains.
	for c, cl := range clients {
		var want, got []int
		mine := map[int]bool{}
		for _, ch := range cl.local {
			mine[ch.id] = true
			if inFinal[ch.id] {
				want = append(want, ch.id)
			}
		}
		for _, ch := range server {
			if mine[ch.id] {
				got = append(got, ch.id)
			}
		}
		if !slices.Equal(got, want) {
			fail("client %d's text %q comes out in the order %v, want %v (final %q)", c, runesOf(cl.local), got, want, final)
		}
	}

	// (c) The same arrival order gives the same result, whoever sends the
	// edits, whenever, and with the server restarted from its snapshot
	// before every one.
	again := roundTrip(t, start)
	others := []protocol.StudentID{cai, ben, ana}
	for k, c := range order {
		next, a, err := Apply(roundTrip(t, again), protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: baseRev, Edits: clients[c].edits},
			Author{Name: fmt.Sprint("client ", c), Role: protocol.RoleStudent, Student: others[c%3]}, others, now+int64(k)*1000, nil)
		if err != nil {
			fail("replay: %v", err)
		}
		if jsonOf(t, a) != jsonOf(t, applied[k]) {
			fail("replay applied %s, first time %s", jsonOf(t, a), jsonOf(t, applied[k]))
		}
		again = next
	}
	if again.WS.Notes != final {
		fail("replay gives %q, first time %q", again.WS.Notes, final)
	}

	// (d) Each client rebases its own text over the ops it receives, in the
	// server's order, until its own comes back; then applies the rest.
	for c, cl := range clients {
		view := []rune(runesOf(cl.local))
		pending := editsToOp(cl.edits)
		acked := false
		for k, from := range order {
			if from == c {
				acked = true
				continue
			}
			m := editsToOp(applied[k].Edits)
			if !acked {
				pending, m = transform(m, pending)
			}
			var err error
			if view, err = m.apply(view); err != nil {
				fail("client %d cannot apply %s: %v", c, jsonOf(t, applied[k]), err)
			}
		}
		if string(view) != final {
			fail("client %d ends with %q, the server with %q", c, string(view), final)
		}
	}
}

// Inserts at one point come out in the order they arrived, also where
// someone deleted around that point meanwhile.
func TestConcurrentInsertsKeepArrivalOrder(t *testing.T) {
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 5))
		text := "0123456789"
		s := notesAt(t, text)
		at := rng.IntN(len(text) + 1)
		words := []string{"é", "🙂", "ab", "c\nd", "\t"}[:2+rng.IntN(4)]
		// Maybe someone deletes a range that holds the point.
		var wipe *protocol.TextEdit
		if lo, hi := rng.IntN(at+1), at+rng.IntN(len(text)-at+1); hi > lo && rng.IntN(2) == 0 {
			wipe = &protocol.TextEdit{Pos: lo, Del: hi - lo}
		}
		order := rng.Perm(len(words))
		wipeAt := rng.IntN(len(order) + 1)
		var want string
		for k, w := range order {
			if wipe != nil && k == wipeAt {
				s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: []protocol.TextEdit{*wipe}}, byBen, nil)
			}
			s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: ed(at, 0, words[w])}, byAna, nil)
			want += words[w]
		}
		if wipe != nil && wipeAt == len(order) {
			s, _ = must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: 1, Edits: []protocol.TextEdit{*wipe}}, byBen, nil)
		}
		before, after := text[:at], text[at:]
		if wipe != nil {
			before, after = text[:wipe.Pos], text[wipe.Pos+wipe.Del:]
		}
		if got := before + want + after; s.WS.Notes != got {
			t.Fatalf("seed %d: notes %q, want %q (inserts at %d in order %v, delete %+v)", seed, s.WS.Notes, got, at, order, wipe)
		}
	}
}

// Clients that keep typing while their edits travel, each with one edit
// in flight and the rest buffered, as a device does, and that receive
// the server's ops late and out of step with each other, all end with the
// server's text.
func TestNotesClientsConverge(t *testing.T) {
	for _, alpha := range convergenceAlphabets {
		t.Run(alpha, func(t *testing.T) {
			for _, seed := range seeds {
				clientsConverge(t, alpha, seed)
			}
		})
	}
}

type simClient struct {
	view     []rune
	rev      uint64 // the last server revision applied to view
	inflight textOp // sent, not yet back from the server
	sent     bool
	buffer   textOp // typed since, not yet sent
	inbox    []simMsg
	outbox   []protocol.WorkspaceOp
	typed    int
}

type simMsg struct {
	op   protocol.WorkspaceOp // as applied
	mine bool
}

func (c *simClient) send(op textOp) {
	c.inflight, c.sent = op, true
	c.outbox = append(c.outbox, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: c.rev, Edits: opToEdits(op)})
}

func (c *simClient) receive() error {
	m := c.inbox[0]
	c.inbox = c.inbox[1:]
	if m.op.NotesBase != c.rev {
		return fmt.Errorf("op against revision %d at revision %d", m.op.NotesBase, c.rev)
	}
	c.rev++
	if m.mine {
		c.sent = false
		if c.buffer != nil {
			c.send(c.buffer)
			c.buffer = nil
		}
		return nil
	}
	o := editsToOp(m.op.Edits)
	if c.sent {
		c.inflight, o = transform(o, c.inflight)
		if c.buffer != nil {
			c.buffer, o = transform(o, c.buffer)
		}
	}
	v, err := o.apply(c.view)
	c.view = v
	return err
}

func clientsConverge(t *testing.T, alpha string, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 6))
	newChar := charMaker(t, alpha, rng)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: %s", seed, fmt.Sprintf(format, args...))
	}
	s := notesAt(t, "The plan:\n")
	clients := make([]*simClient, 2+rng.IntN(3))
	for i := range clients {
		clients[i] = &simClient{view: []rune(s.WS.Notes), rev: s.WS.NotesRev}
	}
	const typing = 6 // local edits per client
	for step := 0; ; step++ {
		var moves []func()
		for i, c := range clients {
			if c.typed < typing {
				moves = append(moves, func() {
					var local []char
					for _, r := range c.view {
						local = append(local, char{r: r})
					}
					local, edits := typeEdits(rng, local, 1, i, newChar)
					o := editsToOp(edits)
					c.view = []rune(runesOf(local))
					c.typed++
					switch {
					case !c.sent:
						c.send(o)
					default:
						c.buffer = compose(c.buffer, o)
					}
				})
			}
			if len(c.outbox) > 0 {
				moves = append(moves, func() {
					op := c.outbox[0]
					c.outbox = c.outbox[1:]
					next, a, err := Apply(s, op, byAna, members, now, nil)
					if err != nil {
						fail("client %d's %s refused: %v", i, jsonOf(t, op), err)
					}
					s = next
					if rng.IntN(4) == 0 {
						s = roundTrip(t, s)
					}
					for j, d := range clients {
						d.inbox = append(d.inbox, simMsg{op: a, mine: j == i})
					}
				})
			}
			if len(c.inbox) > 0 {
				moves = append(moves, func() {
					if err := c.receive(); err != nil {
						fail("client %d: %v", i, err)
					}
				})
			}
		}
		if len(moves) == 0 {
			break
		}
		moves[rng.IntN(len(moves))]()
	}
	for i, c := range clients {
		if string(c.view) != s.WS.Notes || c.rev != s.WS.NotesRev {
			fail("client %d has %q at revision %d; the server %q at %d", i, string(c.view), c.rev, s.WS.Notes, s.WS.NotesRev)
		}
	}
}
