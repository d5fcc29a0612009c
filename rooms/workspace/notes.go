package workspace

import (
	"errors"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// The shared notes are merged by operational transformation. On the wire
// an edit of the notes is a list of protocol.TextEdit, each against the
// text left by the previous one, because that is what an editor on a
// device naturally records. Transforming such lists pairwise is fiddly and
// can blow up (one deletion split by every concurrent insertion inside
// it), so internally an edit is a single pass over the text: a sequence of
// retains, inserts and deletes. Sequential edits compose into one pass, a
// pass transforms against another in time linear in their sizes, and a
// pass converts back to a canonical list of TextEdits, sorted by position,
// which is what the log stores and what devices receive.

// compKind is what one component of a textOp does.
type compKind uint8

const (
	retainComp compKind = iota // copy n characters
	insertComp                 // insert s
	deleteComp                 // skip n characters
)

// comp is one component of a textOp. Inserted runes are never modified in
// place once they are in a comp, so comps may share them freely.
type comp struct {
	kind compKind
	n    int    // retain and delete
	s    []rune // insert
}

func (c comp) size() int {
	if c.kind == insertComp {
		return len(c.s)
	}
	return c.n
}

// textOp is one pass over a text. Whatever follows its last component is
// retained, so an op does not need to know the length of the text it
// applies to. Ops built with the methods below are canonical: no empty
// components, no two adjacent components of the same kind, at one point
// the insert before the delete, and no trailing retain. Canonical ops
// that do the same thing are equal, which keeps the server's transforms
// and a device's transforms of the same ops in step.
type textOp []comp

func (o *textOp) retain(n int) {
	if n == 0 {
		return
	}
	if k := len(*o); k > 0 && (*o)[k-1].kind == retainComp {
		(*o)[k-1].n += n
		return
	}
	*o = append(*o, comp{kind: retainComp, n: n})
}

func (o *textOp) insert(s []rune) {
	if len(s) == 0 {
		return
	}
	k := len(*o)
	if k > 0 && (*o)[k-1].kind == deleteComp {
		// Inserting then deleting at one point is the same as deleting then
		// inserting; keeping one order makes the form canonical.
		if k > 1 && (*o)[k-2].kind == insertComp {
			(*o)[k-2].s = concat((*o)[k-2].s, s)
			return
		}
		*o = slices.Insert(*o, k-1, comp{kind: insertComp, s: s})
		return
	}
	if k > 0 && (*o)[k-1].kind == insertComp {
		(*o)[k-1].s = concat((*o)[k-1].s, s)
		return
	}
	*o = append(*o, comp{kind: insertComp, s: s})
}

func (o *textOp) delete(n int) {
	if n == 0 {
		return
	}
	if k := len(*o); k > 0 && (*o)[k-1].kind == deleteComp {
		(*o)[k-1].n += n
		return
	}
	*o = append(*o, comp{kind: deleteComp, n: n})
}

// done drops a trailing retain, which means the same as none, and makes
// an op that does nothing nil.
func (o textOp) done() textOp {
	if k := len(o); k > 0 && o[k-1].kind == retainComp {
		o = o[:k-1]
	}
	if len(o) == 0 {
		return nil
	}
	return o
}

// concat returns a new slice so that the runes of other comps are never
// appended to in place.
func concat(a, b []rune) []rune {
	out := make([]rune, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// cursor walks an op component by component, taking parts of components.
// Past the end it reads as an endless retain.
type cursor struct {
	o   textOp
	i   int
	off int
}

func (c *cursor) more() bool { return c.i < len(c.o) }

func (c *cursor) kind() compKind {
	if !c.more() {
		return retainComp
	}
	return c.o[c.i].kind
}

func (c *cursor) left() int {
	if !c.more() {
		return math.MaxInt
	}
	return c.o[c.i].size() - c.off
}

// take consumes n units of the current component and returns the
// inserted runes among them, if it is an insert.
func (c *cursor) take(n int) []rune {
	if !c.more() {
		return nil
	}
	cur := c.o[c.i]
	var s []rune
	if cur.kind == insertComp {
		s = cur.s[c.off : c.off+n]
	}
	c.off += n
	if c.off == cur.size() {
		c.i++
		c.off = 0
	}
	return s
}

// compose returns the op that does a and then b.
func compose(a, b textOp) textOp {
	ca, cb := cursor{o: a}, cursor{o: b}
	var out textOp
	for ca.more() || cb.more() {
		// What a deletes, b never sees; what b inserts, a never had.
		if ca.kind() == deleteComp {
			out.delete(ca.left())
			ca.take(ca.left())
			continue
		}
		if cb.kind() == insertComp {
			out.insert(cb.take(cb.left()))
			continue
		}
		n := min(ca.left(), cb.left())
		ka, kb := ca.kind(), cb.kind()
		s := ca.take(n)
		cb.take(n)
		switch {
		case ka == retainComp && kb == retainComp:
			out.retain(n)
		case ka == retainComp && kb == deleteComp:
			out.delete(n)
		case ka == insertComp && kb == retainComp:
			out.insert(s)
		}
		// An insert of a that b deletes vanishes.
	}
	return out.done()
}

// transform takes two ops made against the same text, first the earlier
// one in the server's order and then the later one, and returns
// later', to apply after first, and first', to apply after later, such
// that both paths give the same text. Where both insert at one point, the
// earlier op's text comes first; where both delete a character, it is
// deleted once; a character inserted where the other deletes is kept, at
// the point of the deletion.
func transform(first, later textOp) (later2, first2 textOp) {
	cf, cl := cursor{o: first}, cursor{o: later}
	for cf.more() || cl.more() {
		if cf.kind() == insertComp {
			s := cf.take(cf.left())
			first2.insert(s)
			later2.retain(len(s))
			continue
		}
		if cl.kind() == insertComp {
			s := cl.take(cl.left())
			later2.insert(s)
			first2.retain(len(s))
			continue
		}
		n := min(cf.left(), cl.left())
		kf, kl := cf.kind(), cl.kind()
		cf.take(n)
		cl.take(n)
		switch {
		case kf == retainComp && kl == retainComp:
			first2.retain(n)
			later2.retain(n)
		case kf == deleteComp && kl == retainComp:
			first2.delete(n)
		case kf == retainComp && kl == deleteComp:
			later2.delete(n)
		}
	}
	return later2.done(), first2.done()
}

var errNoFit = errors.New("the edit does not fit the text")

// apply runs o over text and returns the new text; text is not modified.
func (o textOp) apply(text []rune) ([]rune, error) {
	out := make([]rune, 0, len(text)+max(0, o.growth()))
	pos := 0
	for _, c := range o {
		switch c.kind {
		case retainComp:
			if c.n > len(text)-pos {
				return nil, errNoFit
			}
			out = append(out, text[pos:pos+c.n]...)
			pos += c.n
		case insertComp:
			out = append(out, c.s...)
		case deleteComp:
			if c.n > len(text)-pos {
				return nil, errNoFit
			}
			pos += c.n
		}
	}
	return append(out, text[pos:]...), nil
}

// growth is how many characters o adds to a text it fits (negative if it
// removes more than it adds).
func (o textOp) growth() int {
	d := 0
	for _, c := range o {
		switch c.kind {
		case insertComp:
			d += len(c.s)
		case deleteComp:
			d -= c.n
		}
	}
	return d
}

// editsToOp turns sequential edits into one pass. The edits must fit the
// text they are meant for (see fit); editsToOp does not check.
func editsToOp(edits []protocol.TextEdit) textOp {
	// The log holds edits in canonical order, each to the right of the
	// text the previous one inserted; those convert in one sweep. Anything
	// else (a device's edits in the order typed) is composed edit by
	// edit, which is quadratic but only for the few edits of one op.
	var o textOp
	at := 0 // where the previous edit left off, in the text as it is now
	for _, e := range edits {
		if e.Pos < at {
			return composeEdits(edits)
		}
		ins := []rune(e.Ins)
		o.retain(e.Pos - at)
		o.insert(ins)
		o.delete(e.Del)
		at = e.Pos + len(ins)
	}
	return o.done()
}

func composeEdits(edits []protocol.TextEdit) textOp {
	var acc textOp
	for _, e := range edits {
		var one textOp
		one.retain(e.Pos)
		one.insert([]rune(e.Ins))
		one.delete(e.Del)
		acc = compose(acc, one.done())
	}
	return acc
}

// opToEdits turns a pass back into edits, sorted by position, each
// against the text left by the previous one. An op that changes nothing
// gives an empty, non-nil list.
func opToEdits(o textOp) []protocol.TextEdit {
	edits := []protocol.TextEdit{}
	pos := 0
	for i := 0; i < len(o); {
		if o[i].kind == retainComp {
			pos += o[i].n
			i++
			continue
		}
		e := protocol.TextEdit{Pos: pos}
		if o[i].kind == insertComp {
			e.Ins = string(o[i].s)
			pos += len(o[i].s)
			i++
		}
		if i < len(o) && o[i].kind == deleteComp {
			e.Del = o[i].n
			i++
		}
		edits = append(edits, e)
	}
	return edits
}

// fit walks edits over a text of n characters and returns the length of
// the result, or the index of the first edit whose range lies outside the
// text as the edits before it left it.
func fit(edits []protocol.TextEdit, n int) (int, int) {
	for i, e := range edits {
		if e.Pos < 0 || e.Del < 0 || e.Pos > n || e.Del > n-e.Pos {
			return n, i
		}
		n += utf8.RuneCountInString(e.Ins) - e.Del
	}
	return n, -1
}

// editsGrowth is how many characters edits add, assuming they fit.
func editsGrowth(edits []protocol.TextEdit) int {
	d := 0
	for _, e := range edits {
		d += utf8.RuneCountInString(e.Ins) - e.Del
	}
	return d
}
