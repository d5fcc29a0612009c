// Package content is what students practise: banks of skills, items and
// sets, read from YAML files that teachers write, and the grading of
// answers to items.
//
// A bank is checked whole when it is parsed: Parse refuses a bank with any
// problem and names every problem with its line and column, so that a
// teacher can fix a file in one pass. A parsed bank is never changed
// afterwards, so it can be shared by every room without locks. Callers
// must treat what the lookups return as read-only.
//
// The package does no I/O of its own: callers hand it the bytes of a file.
// docs/CONTENT.md describes the file format.
package content

import (
	"github.com/classhub/classhub/protocol"
)

// SetID names a set within a content bank, like protocol.SkillID.
type SetID string

// Valid reports whether id is a well-formed content name.
func (id SetID) Valid() bool { return protocol.BankID(id).Valid() }

// SetKind is what a set is for.
type SetKind string

// Set kinds.
const (
	SetPractice    SetKind = "practice"     // items of a few skills, served adaptively
	SetPlaylist    SetKind = "playlist"     // items in a fixed order, one after the other
	SetChoiceBoard SetKind = "choice_board" // the student picks Pick of the options
	SetCheck       SetKind = "check"        // a short, low-stakes check of a unit
	SetEnrichment  SetKind = "enrichment"   // harder work offered to students who have mastered a set
)

// BKT holds the Bayesian Knowledge Tracing parameters of a skill.
type BKT struct {
	L0       float64 // the chance the skill is known before any practice
	T        float64 // the chance of learning it at each opportunity
	G        float64 // the chance of a right answer without knowing it (guess)
	S        float64 // the chance of a wrong answer while knowing it (slip)
	Mastered float64 // the estimate at or above which the skill counts as mastered
}

// DefaultBKT is the BKT of a skill whose bank gives none, or the values a
// bank leaves out. They are the usual starting values of the literature:
// a skill a quarter of students already know, learnt by one in five at
// each try, with room for a lucky guess and a careless slip.
var DefaultBKT = BKT{L0: 0.25, T: 0.2, G: 0.2, S: 0.1, Mastered: 0.95}

// Bank is a parsed, valid content bank: one unit of a course.
type Bank struct {
	ID          protocol.BankID
	Title       string
	Description string   // optional: a paragraph for teachers choosing content
	Skills      []*Skill // in file order
	Items       []*Item  // in file order
	Sets        []*Set   // in file order

	skills  map[protocol.SkillID]*Skill
	items   map[protocol.ItemID]*Item
	sets    map[SetID]*Set
	bySkill map[protocol.SkillID][]*Item
	family  map[string][]*Item
	ances   map[protocol.SkillID][]protocol.SkillID
}

// Skill is a knowledge component: what mastery is tracked for.
type Skill struct {
	ID      protocol.SkillID
	Name    string
	Prereqs []protocol.SkillID // skills of the bank to learn first; no cycle
	BKT     BKT
	Lesson  *Lesson // the supplemental lesson; nil when the bank gives none
}

// Lesson is a short supplemental lesson on a skill, with its practice:
// what a teacher can send a student who is missing the skill.
type Lesson struct {
	Skill    protocol.SkillID
	Title    string
	Text     string            // plain text, paragraphs separated by blank lines
	Practice []protocol.ItemID // items of the skill
	Advice   string            // optional: a note for the teacher, never shown to students
}

// Help is the lesson as the teacher's one-click help.
func (l Lesson) Help() protocol.Help {
	return protocol.Help{
		Skill:  l.Skill,
		Title:  l.Title,
		Items:  append([]protocol.ItemID(nil), l.Practice...),
		Advice: l.Advice,
	}
}

// Item is one problem. Which answer fields are set depends on Kind.
type Item struct {
	ID          protocol.ItemID
	Skill       protocol.SkillID
	Kind        protocol.ItemKind
	Prompt      string
	Choices     []string // choice: 2 to 8 options, distinct
	Correct     int      // choice: the index of the right option
	Value       float64  // numeric: the right number
	ValueText   string   // numeric: the right number as the bank writes it ("2 1/2")
	Tolerance   float64  // numeric: how far off an answer may be, absolute
	Unit        string   // numeric: optional, shown next to the answer box
	Accept      []string // text: the accepted answers
	Hints       []string // at least one; the last gives the answer away
	Explanation string   // the worked solution, shown after a wrong answer
	Family      string   // optional: items of one family are variants of one problem
	ReadSeconds float64  // optional: overrides the reading-time estimate
}

// Answer is the right answer as a teacher reads it: the right choice's
// text, the number with its unit, or the first accepted text.
func (it *Item) Answer() string {
	switch it.Kind {
	case protocol.ItemChoice:
		return it.Choices[it.Correct]
	case protocol.ItemNumeric:
		if it.Unit != "" {
			return it.ValueText + " " + it.Unit
		}
		return it.ValueText
	default:
		return it.Accept[0]
	}
}

// Set is a sequence or a menu of items given to students as one activity.
type Set struct {
	ID         SetID
	Title      string
	Kind       SetKind
	Items      []protocol.ItemID  // in order; for a choice board, its options
	Pick       int                // choice board: how many options a student does
	Labels     []string           // choice board: optional label per option
	Enrichment SetID              // practice and playlist: optional enrichment set offered on mastery
	Skills     []protocol.SkillID // the skills of its items, in order of first use
}

// Skill returns the skill id, or nil when the bank has none.
func (b *Bank) Skill(id protocol.SkillID) *Skill { return b.skills[id] }

// Item returns the item id, or nil when the bank has none.
func (b *Bank) Item(id protocol.ItemID) *Item { return b.items[id] }

// Set returns the set id, or nil when the bank has none.
func (b *Bank) Set(id SetID) *Set { return b.sets[id] }

// Prereqs returns the direct prerequisites of skill, nil for an unknown skill.
func (b *Bank) Prereqs(skill protocol.SkillID) []protocol.SkillID {
	s := b.skills[skill]
	if s == nil {
		return nil
	}
	return append([]protocol.SkillID(nil), s.Prereqs...)
}

// Ancestors returns every skill that skill builds on, directly or not,
// nearest first: the direct prerequisites in their order, then theirs.
// A skill reached by two paths is listed once, at its shortest distance.
// The nearest weak ancestor is usually the one worth a supplemental
// lesson, which is why the order matters.
func (b *Bank) Ancestors(skill protocol.SkillID) []protocol.SkillID {
	return append([]protocol.SkillID(nil), b.ances[skill]...)
}

// ItemsOf returns the items of skill in file order.
func (b *Bank) ItemsOf(skill protocol.SkillID) []*Item {
	return append([]*Item(nil), b.bySkill[skill]...)
}

// Variants returns the other items of item's family in file order or,
// when it has no family, the other items of its skill. It is what to
// serve after a wrong answer: the same problem with other numbers.
func (b *Bank) Variants(item protocol.ItemID) []*Item {
	it := b.items[item]
	if it == nil {
		return nil
	}
	pool := b.bySkill[it.Skill]
	if it.Family != "" {
		pool = b.family[it.Family]
	}
	var out []*Item
	for _, o := range pool {
		if o != it {
			out = append(out, o)
		}
	}
	return out
}

// LessonPractice is how many items a lesson without its own practice
// list offers: enough to see the skill again, few enough to finish.
const LessonPractice = 3

// Lesson returns the supplemental lesson of skill, false for an unknown
// skill. A skill whose bank gives no lesson still has one, so that help
// is always ready: titled with the skill's name, with no text and the
// first LessonPractice items of the skill.
func (b *Bank) Lesson(skill protocol.SkillID) (Lesson, bool) {
	s := b.skills[skill]
	if s == nil {
		return Lesson{}, false
	}
	if s.Lesson != nil {
		l := *s.Lesson
		l.Practice = append([]protocol.ItemID(nil), l.Practice...)
		return l, true
	}
	l := Lesson{Skill: skill, Title: s.Name}
	for _, it := range b.bySkill[skill] {
		if len(l.Practice) == LessonPractice {
			break
		}
		l.Practice = append(l.Practice, it.ID)
	}
	return l, true
}

// EnrichmentFor returns the enrichment set to offer a student who has
// mastered set: the one the set names, else the bank's first enrichment
// set, else nil.
func (b *Bank) EnrichmentFor(set SetID) *Set {
	if s := b.sets[set]; s != nil && s.Enrichment != "" {
		return b.sets[s.Enrichment]
	}
	for _, s := range b.Sets {
		if s.Kind == SetEnrichment {
			return s
		}
	}
	return nil
}

// index builds the lookup tables of a bank that check found sound.
func (b *Bank) index() {
	b.skills = make(map[protocol.SkillID]*Skill, len(b.Skills))
	b.items = make(map[protocol.ItemID]*Item, len(b.Items))
	b.sets = make(map[SetID]*Set, len(b.Sets))
	b.bySkill = make(map[protocol.SkillID][]*Item)
	b.family = make(map[string][]*Item)
	for _, s := range b.Skills {
		b.skills[s.ID] = s
	}
	for _, it := range b.Items {
		b.items[it.ID] = it
		b.bySkill[it.Skill] = append(b.bySkill[it.Skill], it)
		if it.Family != "" {
			b.family[it.Family] = append(b.family[it.Family], it)
		}
	}
	for _, s := range b.Sets {
		b.sets[s.ID] = s
		s.Skills = nil
		seen := map[protocol.SkillID]bool{}
		for _, id := range s.Items {
			if sk := b.items[id].Skill; !seen[sk] {
				seen[sk] = true
				s.Skills = append(s.Skills, sk)
			}
		}
	}
	b.ances = make(map[protocol.SkillID][]protocol.SkillID, len(b.Skills))
	for _, s := range b.Skills {
		b.ances[s.ID] = b.bfs(s.ID)
	}
}

// bfs lists the ancestors of skill breadth first.
func (b *Bank) bfs(skill protocol.SkillID) []protocol.SkillID {
	seen := map[protocol.SkillID]bool{skill: true}
	var out []protocol.SkillID
	queue := []protocol.SkillID{skill}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, p := range b.skills[cur].Prereqs {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				queue = append(queue, p)
			}
		}
	}
	return out
}
