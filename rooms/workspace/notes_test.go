package workspace

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// spliceEdits applies edits one after the other the slow, obvious way: the
// meaning the fast paths must keep.
func spliceEdits(text []rune, edits []protocol.TextEdit) []rune {
	out := slices.Clone(text)
	for _, e := range edits {
		out = slices.Replace(out, e.Pos, e.Pos+e.Del, []rune(e.Ins)...)
	}
	return out
}

// randEdits makes n random edits that fit text, each against the text the
// previous one left, drawing characters from alphabet.
func randEdits(rng *rand.Rand, text []rune, n int, alphabet []rune) []protocol.TextEdit {
	cur := slices.Clone(text)
	var edits []protocol.TextEdit
	for range n {
		pos := rng.IntN(len(cur) + 1)
		del := 0
		if rng.IntN(2) == 0 {
			del = rng.IntN(min(4, len(cur)-pos) + 1)
		}
		ins := make([]rune, rng.IntN(4))
		for i := range ins {
			ins[i] = alphabet[rng.IntN(len(alphabet))]
		}
		e := protocol.TextEdit{Pos: pos, Del: del, Ins: string(ins)}
		cur = spliceEdits(cur, []protocol.TextEdit{e})
		edits = append(edits, e)
	}
	return edits
}

func randText(rng *rand.Rand, n int, alphabet []rune) []rune {
	out := make([]rune, n)
	for i := range out {
		out[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return out
}

var alphabets = map[string][]rune{
	"ascii":     []rune("ab c\n"),
	"multibyte": []rune("aé🙂\t"),
}

// seeds is the fixed list the property tests run over, so that a failure
// is reproducible by its seed.
var seeds = func() []uint64 {
	var s []uint64
	for i := range uint64(300) {
		s = append(s, i*7919+1)
	}
	return s
}()

func TestEditsToOpMatchesSplicing(t *testing.T) {
	for name, alpha := range alphabets {
		for _, seed := range seeds {
			rng := rand.New(rand.NewPCG(seed, 1))
			text := randText(rng, rng.IntN(12), alpha)
			edits := randEdits(rng, text, 1+rng.IntN(6), alpha)
			want := string(spliceEdits(text, edits))
			o := editsToOp(edits)
			got, err := o.apply(text)
			if err != nil || string(got) != want {
				t.Fatalf("%s seed %d: editsToOp(%+v) on %q = %q, %v; want %q", name, seed, edits, string(text), string(got), err, want)
			}
			// Back to edits: canonical, sorted, and the same change.
			back := opToEdits(o)
			if got := string(spliceEdits(text, back)); got != want {
				t.Fatalf("%s seed %d: opToEdits gives %+v, which makes %q; want %q", name, seed, back, got, want)
			}
			for i := 1; i < len(back); i++ {
				if back[i].Pos < back[i-1].Pos+len([]rune(back[i-1].Ins)) {
					t.Fatalf("%s seed %d: edits not in order: %+v", name, seed, back)
				}
			}
			if again := editsToOp(back); !reflect.DeepEqual(again, o) {
				t.Fatalf("%s seed %d: op %v round-trips to %v", name, seed, o, again)
			}
			if g := o.growth(); g != len(got)-len(text) {
				t.Fatalf("%s seed %d: growth %d, want %d", name, seed, g, len(got)-len(text))
			}
		}
	}
}

func TestComposeIsSequence(t *testing.T) {
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 2))
		alpha := alphabets["multibyte"]
		text := randText(rng, rng.IntN(10), alpha)
		ea := randEdits(rng, text, 1+rng.IntN(3), alpha)
		mid := spliceEdits(text, ea)
		eb := randEdits(rng, mid, 1+rng.IntN(3), alpha)
		want := string(spliceEdits(mid, eb))
		got, err := compose(editsToOp(ea), editsToOp(eb)).apply(text)
		if err != nil || string(got) != want {
			t.Fatalf("seed %d: compose on %q = %q, %v; want %q", seed, string(text), string(got), err, want)
		}
	}
}

// Transforming two concurrent ops both ways leads to one text whichever
// is applied first.
func TestTransformConverges(t *testing.T) {
	for name, alpha := range alphabets {
		for _, seed := range seeds {
			rng := rand.New(rand.NewPCG(seed, 3))
			text := randText(rng, rng.IntN(10), alpha)
			first := editsToOp(randEdits(rng, text, 1+rng.IntN(4), alpha))
			later := editsToOp(randEdits(rng, text, 1+rng.IntN(4), alpha))
			later2, first2 := transform(first, later)
			a, _ := first.apply(text)
			b, _ := later.apply(text)
			viaFirst, err1 := later2.apply(a)
			viaLater, err2 := first2.apply(b)
			if err1 != nil || err2 != nil || string(viaFirst) != string(viaLater) {
				t.Fatalf("%s seed %d: on %q, first %v then %v gives %q (%v); later %v then %v gives %q (%v)",
					name, seed, string(text), first, later2, string(viaFirst), err1, later, first2, string(viaLater), err2)
			}
		}
	}
}

func TestTransformRules(t *testing.T) {
	for _, c := range []struct {
		name          string
		text          string
		first, later  []protocol.TextEdit
		want          string
		wantFirstOnly string // the text after first alone, as a check of the case
	}{
		{"same point: the earlier insert first", "abcd", ed(2, 0, "X"), ed(2, 0, "Y"), "abXYcd", "abXcd"},
		{"different points", "abcd", ed(1, 0, "X"), ed(3, 0, "Y"), "aXbcYd", "aXbcd"},
		{"overlapping deletes delete once", "abcdefgh", ed(1, 4, ""), ed(3, 4, ""), "ah", "afgh"},
		{"a delete inside another", "abcdefgh", ed(1, 6, ""), ed(3, 2, ""), "ah", "ah"},
		{"the same delete", "abcdef", ed(2, 2, ""), ed(2, 2, ""), "abef", "abef"},
		{"an insert inside a deleted range stays at the deletion point", "abcdefgh", ed(1, 6, ""), ed(4, 0, "X"), "aXh", "ah"},
		{"a later delete around an earlier insert keeps it", "abcdefgh", ed(4, 0, "X"), ed(1, 6, ""), "aXh", "abcdXefgh"},
		{"insert at the start of a deleted range", "abcdef", ed(1, 3, ""), ed(1, 0, "X"), "aXef", "aef"},
		{"insert at the end of a deleted range", "abcdef", ed(1, 3, ""), ed(4, 0, "X"), "aXef", "aef"},
		{"replace and replace", "abcdef", ed(1, 2, "X"), ed(2, 2, "Y"), "aXYef", "aXdef"},
		{"code points, not bytes", "é🙂é🙂", ed(1, 1, "a"), ed(3, 0, "b"), "éaéb🙂", "éaé🙂"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := []rune(c.text)
			if got := string(spliceEdits(text, c.first)); got != c.wantFirstOnly {
				t.Fatalf("first alone gives %q, want %q", got, c.wantFirstOnly)
			}
			later2, _ := transform(editsToOp(c.first), editsToOp(c.later))
			mid, _ := editsToOp(c.first).apply(text)
			got, err := later2.apply(mid)
			if err != nil || string(got) != c.want {
				t.Errorf("got %q, %v; want %q", string(got), err, c.want)
			}
		})
	}
}

func ed(pos, del int, ins string) []protocol.TextEdit {
	return []protocol.TextEdit{{Pos: pos, Del: del, Ins: ins}}
}

func TestApplyRefusesOpsThatDoNotFit(t *testing.T) {
	for _, c := range []struct {
		text  string
		edits []protocol.TextEdit
	}{
		{"abc", ed(4, 0, "x")},
		{"abc", ed(2, 2, "")},
		{"", ed(0, 1, "")},
		{"é🙂", ed(1, 2, "")},
	} {
		if got, err := editsToOp(c.edits).apply([]rune(c.text)); err == nil {
			t.Errorf("%+v on %q = %q, want an error", c.edits, c.text, string(got))
		}
		if _, bad := fit(c.edits, len([]rune(c.text))); bad != 0 {
			t.Errorf("fit(%+v, %q) = %d, want 0", c.edits, c.text, bad)
		}
	}
}

func (o textOp) String() string {
	s := "["
	for i, c := range o {
		if i > 0 {
			s += " "
		}
		switch c.kind {
		case retainComp:
			s += fmt.Sprintf("r%d", c.n)
		case insertComp:
			s += fmt.Sprintf("i%q", string(c.s))
		case deleteComp:
			s += fmt.Sprintf("d%d", c.n)
		}
	}
	return s + "]"
}

// fullLog returns notes of 1000 "x" followed by MaxNotesLog changes, each
// inserting 50 "é" spread over the middle: the most a late edit can be
// transformed over. It also returns the revision before those changes.
func fullLog(t testing.TB) (State, uint64) {
	s := notesAt(t, strings.Repeat("x", 1000))
	base := s.WS.NotesRev
	for i := range MaxNotesLog {
		edits := make([]protocol.TextEdit, MaxNotesEdits)
		for j := range edits {
			edits[j] = protocol.TextEdit{Pos: 100 + 16*j + i%7 + j, Ins: "é"}
		}
		var err error
		if s, _, err = Apply(s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: s.WS.NotesRev, Edits: edits}, byBen, members, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s, base
}

// A deletion made before all of them, around all of them, keeps every
// insert and splits into as many pieces.
func TestLateDeleteOverAFullLog(t *testing.T) {
	s, base := fullLog(t)
	next, applied := must(t, s, protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: base, Edits: ed(50, 900, "")}, byAna, nil)
	want := strings.Repeat("x", 50) + strings.Repeat("é", MaxNotesLog*MaxNotesEdits) + strings.Repeat("x", 50)
	if next.WS.Notes != want {
		t.Errorf("notes of %d characters, want %d", utf8.RuneCountInString(next.WS.Notes), utf8.RuneCountInString(want))
	}
	if len(applied.Edits) < MaxNotesEdits {
		t.Errorf("%d edits, want the deletion split around the inserts", len(applied.Edits))
	}
}

func BenchmarkLateDeleteOverAFullLog(b *testing.B) {
	s, base := fullLog(b)
	op := protocol.WorkspaceOp{Kind: protocol.WsEditNotes, NotesBase: base, Edits: ed(50, 900, "")}
	for b.Loop() {
		if _, _, err := Apply(s, op, byAna, members, now, nil); err != nil {
			b.Fatal(err)
		}
	}
}
