package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/classhub/classhub/protocol"
)

// Size limits of a bank. They keep one bank small enough to load into every
// room and every screen, and catch a file pasted in the wrong place.
const (
	MaxBankBytes   = 5 << 20 // the whole file
	MaxSkills      = 500
	MaxItems       = 2000
	MaxSets        = 500
	MaxSetItems    = 200  // items of one set
	MaxTitle       = 200  // bank, skill, lesson and set titles; choice board labels
	MaxPrompt      = 2000 // characters
	MaxChoice      = 200
	MinChoices     = 2
	MaxChoices     = 8
	MaxHints       = 10
	MaxHint        = 1000
	MaxExplanation = 4000
	MaxLessonText  = 10000
	MaxAdvice      = 2000
	MaxDescription = 2000
	MaxUnit        = 30
	MaxAccept      = 50 // accepted answers of a text item
	MaxReadSeconds = 600
	MaxAnswer      = 1e15 // numeric answers, in absolute value
	MaxAnswerText  = 40   // numeric answers as written
)

// Parse reads and checks a whole bank. name is the file's name, used in
// the problems it reports. Any problem refuses the whole bank: the error
// is then an *Errors that lists every problem found, in file order.
func Parse(name string, data []byte) (*Bank, error) {
	p := &parser{file: name, at: map[ref]pos{}, bad: map[ref]bool{}}
	b := p.decode(data)
	if b != nil {
		p.check(b)
	}
	if len(p.probs) > 0 {
		return nil, &Errors{Problems: sortProblems(p.probs)}
	}
	b.index()
	return b, nil
}

// pos is a place in the file.
type pos struct{ line, col int }

// section is the part of a bank a ref points into.
type section byte

const (
	secBank section = iota
	secSkill
	secItem
	secSet
)

// ref names a place in a bank independently of the file, so that the
// checks, which work on Go values, can report problems where the file
// has them: the field key of entry i of a section, or its element j.
type ref struct {
	sec section
	i   int
	key string // "" for the entry itself; "lesson.practice" for a nested field
	j   int    // -1 for the field itself
}

func bankRef(key string) ref         { return ref{secBank, 0, key, -1} }
func skillRef(i int, key string) ref { return ref{secSkill, i, key, -1} }
func itemRef(i int, key string) ref  { return ref{secItem, i, key, -1} }
func setRef(i int, key string) ref   { return ref{secSet, i, key, -1} }
func (r ref) elem(j int) ref         { r.j = j; return r }

// parser collects the problems of one bank.
type parser struct {
	file  string
	probs []Problem
	at    map[ref]pos  // where each ref is in the file
	bad   map[ref]bool // fields already reported as malformed
}

// problemAt records a problem at n.
func (p *parser) problemAt(n *yaml.Node, format string, args ...any) {
	line, col := n.Line, n.Column
	if line < 1 {
		line, col = 1, 1 // a node the library placed nowhere: an empty document
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// report records a problem found by the checks at r, unless r's field was
// already reported as malformed: one mistake, one message.
func (p *parser) report(r ref, format string, args ...any) {
	field := r
	field.j = -1
	if p.bad[field] {
		return
	}
	where, ok := p.at[r]
	if !ok {
		where, ok = p.at[field]
	}
	if !ok {
		where, ok = p.at[ref{r.sec, r.i, "", -1}]
	}
	if !ok {
		where = pos{1, 1}
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: where.line, Col: where.col, Msg: fmt.Sprintf(format, args...)})
}

// mark records where r is.
func (p *parser) mark(r ref, n *yaml.Node) { p.at[r] = pos{n.Line, n.Column} }

var (
	yamlLine   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// parserProblems are the YAML library's messages for errors of its
// parser, which it numbers from line 0 where it numbers the errors of
// its scanner from line 1.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// decode turns the file into a Bank, reporting what is malformed: syntax,
// unknown fields, values of the wrong type, missing answers. It returns
// nil when the file is not a YAML mapping at all.
func (p *parser) decode(data []byte) *Bank {
	if len(data) > MaxBankBytes {
		p.probs = append(p.probs, Problem{File: p.file, Line: 1, Col: 1, Msg: fmt.Sprintf(
			"the file is %.1f MB; a bank can be at most %d MB: split it into smaller units", float64(len(data))/(1<<20), MaxBankBytes>>20)})
		return nil
	}
	if !p.scanText(data) {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.probs = append(p.probs, Problem{File: p.file, Line: 1, Col: 1, Msg: "the file is empty: a bank starts with \"bank: <id>\""})
		} else {
			p.syntax(err, data)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.syntax(err, data)
	default:
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		p.problemAt(at, "a file holds one bank: remove this second YAML document (after \"---\") or put it in a file of its own")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	p.aliases(root)
	if root.Kind != yaml.MappingNode {
		p.problemAt(root, "a bank is a mapping of fields, starting with \"bank: <id>\"")
		return nil
	}
	return p.bank(root)
}

// syntax reports a YAML syntax error, with its line when the YAML library
// gives one or it can be found.
func (p *parser) syntax(err error, data []byte) {
	msg := err.Error()
	line, col := 0, 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblems[msg] {
			line++
		}
	} else if m := yamlAnchor.FindStringSubmatch(msg); m != nil {
		// The library does not say where the alias is: the first use of
		// the name is the place to look.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = bytes.Count(data[:i], []byte("\n")) + 1
			col = utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
		}
		msg = fmt.Sprintf("alias *%s names no anchor &%s above it", m[1], m[1])
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// An error without a line is about the start of the file (the
	// library leaves out line 1).
	p.probs = append(p.probs, Problem{File: p.file, Line: max(line, 1), Col: col, Msg: "YAML syntax: " + msg})
}

// scanText reports bytes that cannot be in a YAML text file, with the
// place of the first one, because the YAML library names no place for them.
func (p *parser) scanText(data []byte) bool {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			p.probs = append(p.probs, Problem{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(
				"byte 0x%02x is not UTF-8 text: save the file as UTF-8", data[i])})
			return false
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			p.probs = append(p.probs, Problem{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(
				"control character U+%04X is not allowed in a bank: delete it", r)})
			return false
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return true
}

// aliases reports YAML aliases: a bank writes every value out, so that
// what a teacher reads is what students get (and so that a small file
// cannot expand into a huge one).
func (p *parser) aliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		p.problemAt(n, "aliases (*%s) are not supported: write the value out in full", n.Value)
		return
	}
	for _, c := range n.Content {
		p.aliases(c)
	}
}

// field is one key and its value in a mapping.
type field struct{ key, val *yaml.Node }

// fields reads a mapping, reporting keys that are not among allowed, or
// given twice. what names the mapping in messages.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) map[string]field {
	out := map[string]field{}
	if n.Kind != yaml.MappingNode {
		if n.Kind != yaml.AliasNode {
			p.problemAt(n, "%s must be a mapping of fields (name: value), not %s", what, describe(n))
		}
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.problemAt(k, "%s: field names must be plain words", what)
			continue
		}
		if prev, ok := out[k.Value]; ok {
			p.problemAt(k, "%s: field %q is given twice (first on line %d)", what, k.Value, prev.key.Line)
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			p.problemAt(k, "%s: unknown field %q%s", what, k.Value, suggest(k.Value, allowed))
			continue
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// suggest offers the allowed field nearest to a mistyped one.
func suggest(got string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(got), a); d < bestD {
			best, bestD = a, d
		}
	}
	if best == "" {
		return " (the fields here are " + strings.Join(allowed, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// text reads a scalar field as trimmed text. A missing or empty field is "".
func (p *parser) text(fs map[string]field, key string, r ref, what string) string {
	f, ok := fs[key]
	if !ok {
		return ""
	}
	p.mark(r, f.val)
	if f.val.Kind != yaml.ScalarNode {
		p.bad[r] = true
		if f.val.Kind != yaml.AliasNode {
			p.problemAt(f.val, "%s: %s must be text, not %s", what, key, describe(f.val))
		}
		return ""
	}
	if f.val.ShortTag() == "!!null" {
		return ""
	}
	return strings.TrimSpace(f.val.Value)
}

// texts reads a list of texts, marking where each element is.
func (p *parser) texts(fs map[string]field, key string, r ref, what string) []string {
	f, ok := fs[key]
	if !ok {
		return nil
	}
	p.mark(r, f.val)
	if f.val.Kind == yaml.ScalarNode && f.val.ShortTag() == "!!null" {
		return []string{}
	}
	if f.val.Kind != yaml.SequenceNode {
		p.bad[r] = true
		if f.val.Kind != yaml.AliasNode {
			p.problemAt(f.val, "%s: %s must be a list, as in %s: [a, b], not %s", what, key, key, describe(f.val))
		}
		return nil
	}
	out := make([]string, 0, len(f.val.Content))
	for j, e := range f.val.Content {
		p.mark(r.elem(j), e)
		if e.Kind != yaml.ScalarNode {
			p.bad[r] = true
			if e.Kind != yaml.AliasNode {
				p.problemAt(e, "%s: each entry of %s must be text, not %s", what, key, describe(e))
			}
			continue
		}
		if e.ShortTag() == "!!null" {
			out = append(out, "")
			continue
		}
		out = append(out, strings.TrimSpace(e.Value))
	}
	return out
}

// number reads a scalar field as a finite number; ok is false when the
// field is missing or malformed.
func (p *parser) number(fs map[string]field, key string, r ref, what string) (v float64, ok bool) {
	f, given := fs[key]
	if !given {
		return 0, false
	}
	p.mark(r, f.val)
	if f.val.Kind == yaml.ScalarNode {
		if tag := f.val.ShortTag(); tag == "!!int" || tag == "!!float" {
			v, err := strconv.ParseFloat(f.val.Value, 64)
			if err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
				return v, true
			}
		}
	}
	p.bad[r] = true
	if f.val.Kind != yaml.AliasNode {
		p.problemAt(f.val, "%s: %s must be a number, not %s", what, key, describe(f.val))
	}
	return 0, false
}

// entries returns the entries of a top-level list that are mappings,
// reporting the others; nil when the list is missing.
func (p *parser) entries(fs map[string]field, key, what string) []*yaml.Node {
	f, ok := fs[key]
	if !ok {
		return nil
	}
	if f.val.Kind == yaml.ScalarNode && f.val.ShortTag() == "!!null" {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		p.bad[bankRef(key)] = true
		if f.val.Kind != yaml.AliasNode {
			p.problemAt(f.val, "%s must be a list of entries, each starting with \"- id: ...\"", key)
		}
		return nil
	}
	var out []*yaml.Node
	for _, e := range f.val.Content {
		switch e.Kind {
		case yaml.MappingNode:
			out = append(out, e)
		case yaml.AliasNode: // reported by aliases
		default:
			p.problemAt(e, "each %s is a mapping of fields starting with \"- id: ...\", not %s", what, describe(e))
		}
	}
	return out
}

// peekID returns the id field of a mapping, read before its other fields
// so that problems with them can name the entry.
func peekID(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "id" && v.Kind == yaml.ScalarNode {
			return strings.TrimSpace(v.Value)
		}
	}
	return ""
}

// label names entry i of a section in messages: by its id when it has a
// usable one, else by its place.
func label(kind, id string, i int) string {
	if id != "" && protocol.BankID(id).Valid() {
		return kind + " " + id
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

func (p *parser) bank(root *yaml.Node) *Bank {
	p.mark(bankRef(""), root)
	fs := p.fields(root, "the bank", "bank", "title", "description", "skills", "items", "sets")
	b := &Bank{
		ID:          protocol.BankID(p.text(fs, "bank", bankRef("bank"), "the bank")),
		Title:       p.text(fs, "title", bankRef("title"), "the bank"),
		Description: p.text(fs, "description", bankRef("description"), "the bank"),
	}
	if _, ok := fs["bank"]; !ok {
		p.problemAt(root, "the bank has no id: add \"bank: <id>\" at the top")
		p.bad[bankRef("bank")] = true
	}
	for key, f := range fs {
		if key == "skills" || key == "items" || key == "sets" {
			// Problems with a whole list are about the key that starts it.
			p.mark(bankRef(key), f.key)
		}
	}
	for i, n := range p.entries(fs, "skills", "skill") {
		b.Skills = append(b.Skills, p.skill(i, n))
	}
	for i, n := range p.entries(fs, "items", "item") {
		b.Items = append(b.Items, p.item(i, n))
	}
	for i, n := range p.entries(fs, "sets", "set") {
		b.Sets = append(b.Sets, p.set(i, n))
	}
	return b
}

func (p *parser) skill(i int, n *yaml.Node) *Skill {
	p.mark(skillRef(i, ""), n)
	what := label("skill", peekID(n), i)
	fs := p.fields(n, what, "id", "name", "prereqs", "bkt", "lesson")
	s := &Skill{ID: protocol.SkillID(p.text(fs, "id", skillRef(i, "id"), what))}
	s.Name = p.text(fs, "name", skillRef(i, "name"), what)
	for _, id := range p.texts(fs, "prereqs", skillRef(i, "prereqs"), what) {
		s.Prereqs = append(s.Prereqs, protocol.SkillID(id))
	}
	s.BKT = DefaultBKT
	if f, ok := fs["bkt"]; ok {
		p.mark(skillRef(i, "bkt"), f.val)
		bf := p.fields(f.val, what+": bkt", "l0", "t", "g", "s", "mastered")
		for key, dst := range map[string]*float64{"l0": &s.BKT.L0, "t": &s.BKT.T, "g": &s.BKT.G, "s": &s.BKT.S, "mastered": &s.BKT.Mastered} {
			if v, ok := p.number(bf, key, skillRef(i, "bkt."+key), what+": bkt"); ok {
				*dst = v
			}
		}
	}
	if f, ok := fs["lesson"]; ok {
		p.mark(skillRef(i, "lesson"), f.val)
		lf := p.fields(f.val, what+": lesson", "title", "text", "practice", "advice")
		l := &Lesson{
			Skill:  s.ID,
			Title:  p.text(lf, "title", skillRef(i, "lesson.title"), what+": lesson"),
			Text:   p.text(lf, "text", skillRef(i, "lesson.text"), what+": lesson"),
			Advice: p.text(lf, "advice", skillRef(i, "lesson.advice"), what+": lesson"),
		}
		for _, id := range p.texts(lf, "practice", skillRef(i, "lesson.practice"), what+": lesson") {
			l.Practice = append(l.Practice, protocol.ItemID(id))
		}
		s.Lesson = l
	}
	return s
}

func (p *parser) item(i int, n *yaml.Node) *Item {
	p.mark(itemRef(i, ""), n)
	what := label("item", peekID(n), i)
	fs := p.fields(n, what, "id", "skill", "kind", "prompt", "choices", "answer",
		"tolerance", "unit", "accept", "hints", "explanation", "family", "read_seconds")
	it := &Item{ID: protocol.ItemID(p.text(fs, "id", itemRef(i, "id"), what))}
	it.Skill = protocol.SkillID(p.text(fs, "skill", itemRef(i, "skill"), what))
	it.Kind = protocol.ItemKind(p.text(fs, "kind", itemRef(i, "kind"), what))
	it.Prompt = p.text(fs, "prompt", itemRef(i, "prompt"), what)
	it.Choices = p.texts(fs, "choices", itemRef(i, "choices"), what)
	it.Accept = p.texts(fs, "accept", itemRef(i, "accept"), what)
	it.Hints = p.texts(fs, "hints", itemRef(i, "hints"), what)
	it.Explanation = p.text(fs, "explanation", itemRef(i, "explanation"), what)
	it.Family = p.text(fs, "family", itemRef(i, "family"), what)
	it.Unit = p.text(fs, "unit", itemRef(i, "unit"), what)
	it.Tolerance, _ = p.number(fs, "tolerance", itemRef(i, "tolerance"), what)
	if v, ok := p.number(fs, "read_seconds", itemRef(i, "read_seconds"), what); ok {
		it.ReadSeconds = v
		if v == 0 {
			// 0 would read as "not given"; say so rather than ignore it.
			p.bad[itemRef(i, "read_seconds")] = true
			p.problemAt(fs["read_seconds"].val, "%s: read_seconds is 0; it must be between 1 and %d, or left out", what, MaxReadSeconds)
		}
	}
	p.answer(it, fs, i, what)
	return it
}

// answer reads the answer of an item, which depends on its kind: the
// index or text of the right choice, or a number. Text items take their
// answers from accept.
func (p *parser) answer(it *Item, fs map[string]field, i int, what string) {
	r := itemRef(i, "answer")
	f, given := fs["answer"]
	if given {
		p.mark(r, f.val)
	}
	if !given {
		switch it.Kind {
		case protocol.ItemChoice:
			p.report(itemRef(i, ""), "%s: a choice item needs an answer: the index of the right choice (0 for the first) or its text", what)
			p.bad[r] = true
		case protocol.ItemNumeric:
			p.report(itemRef(i, ""), "%s: a numeric item needs an answer: a number", what)
			p.bad[r] = true
		}
		return
	}
	v := f.val
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		p.bad[r] = true
		if v.Kind != yaml.AliasNode {
			p.problemAt(v, "%s: answer must be a single value, not %s", what, describe(v))
		}
		return
	}
	switch it.Kind {
	case protocol.ItemChoice:
		if len(it.Choices) == 0 {
			// The missing or malformed choices are reported on their own.
			p.bad[r] = true
			return
		}
		if v.ShortTag() == "!!int" {
			n, err := strconv.Atoi(v.Value)
			if err != nil || n < 0 || n >= len(it.Choices) {
				p.bad[r] = true
				msg := fmt.Sprintf("%s: answer %s is not one of the %d choices (0 to %d: answer counts from 0)",
					what, v.Value, len(it.Choices), len(it.Choices)-1)
				if choiceIndex(it.Choices, v.Value) >= 0 {
					msg += fmt.Sprintf("; to name a choice by its text, quote it: answer: %q", v.Value)
				}
				p.problemAt(v, "%s", msg)
				return
			}
			it.Correct = n
			return
		}
		text := strings.TrimSpace(v.Value)
		j := choiceIndex(it.Choices, text)
		if j < 0 {
			p.bad[r] = true
			p.problemAt(v, "%s: answer %q is not one of the choices", what, text)
			return
		}
		it.Correct = j
	case protocol.ItemNumeric:
		if x, ok := parseNumber(v.Value); ok {
			it.Value, it.ValueText = x.value, x.text
			return
		}
		if tag := v.ShortTag(); tag == "!!int" || tag == "!!float" {
			if x, err := strconv.ParseFloat(v.Value, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
				it.Value, it.ValueText = x, formatNumber(x)
				return
			}
		}
		p.bad[r] = true
		p.problemAt(v, "%s: answer %q is not a number (write 12, -3.5 or 3/4)", what, v.Value)
	case protocol.ItemText:
		p.bad[r] = true
		p.problemAt(f.key, "%s: a text item lists its right answers under accept, not answer", what)
	}
}

// choiceIndex returns the index of the choice that matches text as a
// response would, or -1.
func choiceIndex(choices []string, text string) int {
	t := normalizeText(text)
	for j, c := range choices {
		if strings.EqualFold(normalizeText(c), t) {
			return j
		}
	}
	return -1
}

func (p *parser) set(i int, n *yaml.Node) *Set {
	p.mark(setRef(i, ""), n)
	what := label("set", peekID(n), i)
	fs := p.fields(n, what, "id", "title", "kind", "items", "pick", "labels", "enrichment")
	s := &Set{ID: SetID(p.text(fs, "id", setRef(i, "id"), what))}
	s.Title = p.text(fs, "title", setRef(i, "title"), what)
	s.Kind = SetKind(p.text(fs, "kind", setRef(i, "kind"), what))
	for _, id := range p.texts(fs, "items", setRef(i, "items"), what) {
		s.Items = append(s.Items, protocol.ItemID(id))
	}
	s.Labels = p.texts(fs, "labels", setRef(i, "labels"), what)
	s.Enrichment = SetID(p.text(fs, "enrichment", setRef(i, "enrichment"), what))
	if v, ok := p.number(fs, "pick", setRef(i, "pick"), what); ok {
		if v != math.Trunc(v) || v < 0 || v > MaxSetItems {
			p.bad[setRef(i, "pick")] = true
			p.problemAt(fs["pick"].val, "%s: pick must be a whole number of options, not %s", what, fs["pick"].val.Value)
		} else {
			s.Pick = int(v)
		}
	}
	return s
}
