package content

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// check finds what is wrong with a bank's values: names, references,
// completeness, the prerequisite graph, limits. It works on Go values, so
// that a bank can be checked again after it was built, and reports
// through p, which knows where each value was in the file.
func (p *parser) check(b *Bank) {
	if !b.ID.Valid() {
		p.report(bankRef("bank"), "the bank's id %q is not a valid name: %s", b.ID, nameRule)
	}
	p.title(bankRef("title"), "the bank", "title", b.Title, true)
	if n := utf8.RuneCountInString(b.Description); n > MaxDescription {
		p.report(bankRef("description"), "the bank's description is %d characters long; the most is %d", n, MaxDescription)
	}
	switch {
	case len(b.Skills) == 0:
		p.report(bankRef("skills"), "the bank has no skills: list them under skills:")
	case len(b.Skills) > MaxSkills:
		p.report(bankRef("skills"), "the bank has %d skills; the most is %d: split it into smaller units", len(b.Skills), MaxSkills)
	}
	switch {
	case len(b.Items) == 0:
		p.report(bankRef("items"), "the bank has no items: list them under items:")
	case len(b.Items) > MaxItems:
		p.report(bankRef("items"), "the bank has %d items; the most is %d: split it into smaller units", len(b.Items), MaxItems)
	}
	if len(b.Sets) > MaxSets {
		p.report(bankRef("sets"), "the bank has %d sets; the most is %d", len(b.Sets), MaxSets)
	}

	skills := map[protocol.SkillID]int{}
	for i, s := range b.Skills {
		if s.ID == "" {
			p.report(skillRef(i, ""), "skill #%d has no id: add \"id: <name>\"", i+1)
		} else if !s.ID.Valid() {
			p.report(skillRef(i, "id"), "skill id %q is not a valid name: %s", s.ID, nameRule)
		} else if j, dup := skills[s.ID]; dup {
			p.report(skillRef(i, "id"), "skill %s is defined twice (first at line %d)", s.ID, p.at[skillRef(j, "id")].line)
		} else {
			skills[s.ID] = i
		}
	}
	items := map[protocol.ItemID]int{}
	for i, it := range b.Items {
		if it.ID == "" {
			p.report(itemRef(i, ""), "item #%d has no id: add \"id: <name>\"", i+1)
		} else if !it.ID.Valid() {
			p.report(itemRef(i, "id"), "item id %q is not a valid name: %s", it.ID, nameRule)
		} else if j, dup := items[it.ID]; dup {
			p.report(itemRef(i, "id"), "item %s is defined twice (first at line %d)", it.ID, p.at[itemRef(j, "id")].line)
		} else {
			items[it.ID] = i
		}
	}
	sets := map[SetID]int{}
	for i, s := range b.Sets {
		if s.ID == "" {
			p.report(setRef(i, ""), "set #%d has no id: add \"id: <name>\"", i+1)
		} else if !s.ID.Valid() {
			p.report(setRef(i, "id"), "set id %q is not a valid name: %s", s.ID, nameRule)
		} else if j, dup := sets[s.ID]; dup {
			p.report(setRef(i, "id"), "set %s is defined twice (first at line %d)", s.ID, p.at[setRef(j, "id")].line)
		} else {
			sets[s.ID] = i
		}
	}

	used := map[protocol.SkillID]bool{}
	for _, it := range b.Items {
		used[it.Skill] = true
	}
	for i, s := range b.Skills {
		p.checkSkill(b, i, s, skills, items, used)
	}
	p.cycles(b, skills)
	family := map[string]int{}
	for i, it := range b.Items {
		p.checkItem(i, it, skills)
		if it.Family == "" {
			continue
		}
		if !protocol.BankID(it.Family).Valid() {
			p.report(itemRef(i, "family"), "item %s: family %q is not a valid name: %s", it.ID, it.Family, nameRule)
			continue
		}
		j, seen := family[it.Family]
		if !seen {
			family[it.Family] = i
			continue
		}
		if first := b.Items[j]; first.Skill != it.Skill {
			p.report(itemRef(i, "family"), "item %s: the items of family %s are variants of one problem, so they share a skill, but this one is of %s and %s (line %d) is of %s",
				it.ID, it.Family, it.Skill, first.ID, p.at[itemRef(j, "")].line, first.Skill)
		}
	}
	for i, s := range b.Sets {
		p.checkSet(b, i, s, items, sets)
	}
}

const nameRule = "use lower-case letters, digits, '.', '-' and '_', at most 64 of them"

// title checks a required or optional short text.
func (p *parser) title(r ref, what, key, v string, required bool) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0 && required:
		p.report(r, "%s has no %s", what, key)
	case n > MaxTitle:
		p.report(r, "%s: %s is %d characters long; the most is %d", what, key, n, MaxTitle)
	}
}

// long checks a long text against its limit.
func (p *parser) long(r ref, what, key, v string, limit int, required bool) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0 && required:
		p.report(r, "%s has no %s", what, key)
	case n > limit:
		p.report(r, "%s: %s is %d characters long; the most is %d", what, key, n, limit)
	}
}

func (p *parser) checkSkill(b *Bank, i int, s *Skill, skills map[protocol.SkillID]int, items map[protocol.ItemID]int, used map[protocol.SkillID]bool) {
	what := label("skill", string(s.ID), i)
	p.title(skillRef(i, "name"), what, "name", s.Name, true)
	seen := map[protocol.SkillID]bool{}
	for j, pre := range s.Prereqs {
		r := skillRef(i, "prereqs").elem(j)
		switch _, ok := skills[pre]; {
		case pre == s.ID:
			p.report(r, "%s lists itself as a prerequisite", what)
		case !ok:
			p.report(r, "%s: prerequisite %q is not a skill of this bank", what, pre)
		case seen[pre]:
			p.report(r, "%s lists prerequisite %s twice", what, pre)
		}
		seen[pre] = true
	}
	k := s.BKT
	for _, v := range []struct {
		key string
		v   float64
	}{{"l0", k.L0}, {"t", k.T}, {"g", k.G}, {"s", k.S}} {
		if !(v.v > 0 && v.v < 1) {
			p.report(skillRef(i, "bkt."+v.key), "%s: bkt %s is %g; it is a probability strictly between 0 and 1", what, v.key, v.v)
		}
	}
	if k.G+k.S >= 1 {
		p.report(skillRef(i, "bkt"), "%s: bkt g + s is %g; it must be below 1, or a right answer would say less than a wrong one about what a student knows", what, k.G+k.S)
	}
	if !(k.Mastered > 0.5 && k.Mastered < 1) {
		p.report(skillRef(i, "bkt.mastered"), "%s: bkt mastered is %g; it must be above 0.5 and below 1", what, k.Mastered)
	}
	if s.ID.Valid() && !used[s.ID] {
		p.report(skillRef(i, "id"), "%s has no items: add items with \"skill: %s\", or remove the skill", what, s.ID)
	}
	l := s.Lesson
	if l == nil {
		return
	}
	p.title(skillRef(i, "lesson.title"), what+": the lesson", "title", l.Title, true)
	p.long(skillRef(i, "lesson.text"), what+": the lesson", "text", l.Text, MaxLessonText, true)
	p.long(skillRef(i, "lesson.advice"), what+": the lesson", "advice", l.Advice, MaxAdvice, false)
	if len(l.Practice) > MaxSetItems {
		p.report(skillRef(i, "lesson.practice"), "%s: the lesson has %d practice items; the most is %d", what, len(l.Practice), MaxSetItems)
	}
	seenItem := map[protocol.ItemID]bool{}
	for j, id := range l.Practice {
		r := skillRef(i, "lesson.practice").elem(j)
		switch k, ok := items[id]; {
		case !ok:
			p.report(r, "%s: lesson practice item %q is not an item of this bank", what, id)
		case b.Items[k].Skill != s.ID:
			p.report(r, "%s: lesson practice item %s is of skill %s, not of this skill", what, id, b.Items[k].Skill)
		case seenItem[id]:
			p.report(r, "%s: lesson practice lists item %s twice", what, id)
		}
		seenItem[id] = true
	}
}

// cycles reports every cycle of the prerequisite graph, naming the skills
// around it, at the prerequisite that closes it.
func (p *parser) cycles(b *Bank, skills map[protocol.SkillID]int) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(b.Skills))
	var path []int
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		for j, pre := range b.Skills[i].Prereqs {
			k, ok := skills[pre]
			if !ok || k == i {
				continue // reported by checkSkill
			}
			switch state[k] {
			case unseen:
				visit(k)
			case onPath:
				var names []string
				start := 0
				for start < len(path) && path[start] != k {
					start++
				}
				for _, n := range path[start:] {
					names = append(names, string(b.Skills[n].ID))
				}
				names = append(names, string(pre))
				p.report(skillRef(i, "prereqs").elem(j), "prerequisites go round in a circle: %s (each needs the next first); remove one of these prerequisites",
					strings.Join(names, " → "))
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i, s := range b.Skills {
		// Only the first skill of a duplicated id is in the graph.
		if skills[s.ID] == i && state[i] == unseen {
			visit(i)
		}
	}
}

func (p *parser) checkItem(i int, it *Item, skills map[protocol.SkillID]int) {
	what := label("item", string(it.ID), i)
	if it.Skill == "" {
		p.report(itemRef(i, ""), "%s has no skill: add \"skill: <skill id>\"", what)
	} else if _, ok := skills[it.Skill]; !ok {
		p.report(itemRef(i, "skill"), "%s: skill %q is not a skill of this bank", what, it.Skill)
	}
	p.long(itemRef(i, "prompt"), what, "prompt", it.Prompt, MaxPrompt, true)
	p.long(itemRef(i, "explanation"), what, "explanation", it.Explanation, MaxExplanation, true)
	switch {
	case len(it.Hints) == 0:
		p.report(itemRef(i, "hints"), "%s has no hints: give at least one, the last giving the answer away", what)
	case len(it.Hints) > MaxHints:
		p.report(itemRef(i, "hints"), "%s has %d hints; the most is %d", what, len(it.Hints), MaxHints)
	}
	for j, h := range it.Hints {
		r := itemRef(i, "hints").elem(j)
		if h == "" {
			p.report(r, "%s: hint %d is empty", what, j+1)
		} else if n := utf8.RuneCountInString(h); n > MaxHint {
			p.report(r, "%s: hint %d is %d characters long; the most is %d", what, j+1, n, MaxHint)
		}
	}
	if it.ReadSeconds != 0 && !(it.ReadSeconds >= 1 && it.ReadSeconds <= MaxReadSeconds) {
		p.report(itemRef(i, "read_seconds"), "%s: read_seconds is %g; it must be between 1 and %d", what, it.ReadSeconds, MaxReadSeconds)
	}
	known := it.Kind == protocol.ItemChoice || it.Kind == protocol.ItemNumeric || it.Kind == protocol.ItemText
	if known && it.Kind != protocol.ItemChoice && it.Choices != nil {
		p.report(itemRef(i, "choices"), "%s: only a choice item has choices; this one is %s", what, kindName(it.Kind))
	}
	if known && it.Kind != protocol.ItemNumeric {
		if it.Tolerance != 0 {
			p.report(itemRef(i, "tolerance"), "%s: only a numeric item has a tolerance; this one is %s", what, kindName(it.Kind))
		}
		if it.Unit != "" {
			p.report(itemRef(i, "unit"), "%s: only a numeric item has a unit; this one is %s", what, kindName(it.Kind))
		}
	}
	if known && it.Kind != protocol.ItemText && it.Accept != nil {
		p.report(itemRef(i, "accept"), "%s: only a text item has accepted answers; this one is %s", what, kindName(it.Kind))
	}
	switch it.Kind {
	case "":
		p.report(itemRef(i, ""), "%s has no kind: add \"kind: choice\", \"kind: numeric\" or \"kind: text\"", what)
	case protocol.ItemChoice:
		p.checkChoices(i, it, what)
	case protocol.ItemNumeric:
		switch {
		case it.ValueText == "":
			p.report(itemRef(i, "answer"), "%s: a numeric item needs an answer: a number", what)
		case !(math.Abs(it.Value) <= MaxAnswer):
			p.report(itemRef(i, "answer"), "%s: the answer %s is too big: at most 10^15", what, it.ValueText)
		case utf8.RuneCountInString(it.ValueText) > MaxAnswerText:
			p.report(itemRef(i, "answer"), "%s: the answer %s has more than %d characters; round it and give a tolerance", what, it.ValueText, MaxAnswerText)
		}
		if !(it.Tolerance >= 0) || math.IsInf(it.Tolerance, 0) {
			p.report(itemRef(i, "tolerance"), "%s: tolerance is %g; it must be 0 or more (how far off an answer may be)", what, it.Tolerance)
		}
		if n := utf8.RuneCountInString(it.Unit); n > MaxUnit {
			p.report(itemRef(i, "unit"), "%s: unit is %d characters long; the most is %d", what, n, MaxUnit)
		}
	case protocol.ItemText:
		switch {
		case len(it.Accept) == 0:
			p.report(itemRef(i, "accept"), "%s: a text item needs its right answers under accept: [answer, another form]", what)
		case len(it.Accept) > MaxAccept:
			p.report(itemRef(i, "accept"), "%s has %d accepted answers; the most is %d", what, len(it.Accept), MaxAccept)
		}
		for j, a := range it.Accept {
			r := itemRef(i, "accept").elem(j)
			if normalizeText(a) == "" {
				p.report(r, "%s: accepted answer %d is empty", what, j+1)
			} else if n := utf8.RuneCountInString(a); n > MaxResponse {
				p.report(r, "%s: accepted answer %d is %d characters long, longer than any response can be (%d)", what, j+1, n, MaxResponse)
			}
		}
	default:
		p.report(itemRef(i, "kind"), "%s: kind %q is not one of choice, numeric, text", what, it.Kind)
	}
}

// plural writes a count of things: "1 label", "3 labels".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

func kindName(k protocol.ItemKind) string {
	if k == "" {
		return "of no kind"
	}
	return "a " + string(k) + " item"
}

func (p *parser) checkChoices(i int, it *Item, what string) {
	switch {
	case len(it.Choices) < MinChoices:
		p.report(itemRef(i, "choices"), "%s: a choice item needs %d to %d choices; it has %d", what, MinChoices, MaxChoices, len(it.Choices))
	case len(it.Choices) > MaxChoices:
		p.report(itemRef(i, "choices"), "%s has %d choices; the most is %d", what, len(it.Choices), MaxChoices)
	}
	seen := map[string]bool{}
	for j, c := range it.Choices {
		r := itemRef(i, "choices").elem(j)
		key := strings.ToLower(normalizeText(c))
		if key == "" {
			p.report(r, "%s: choice %d (counting from 0) is empty", what, j)
			continue
		}
		if n := utf8.RuneCountInString(c); n > MaxChoice {
			p.report(r, "%s: choice %d (counting from 0) is %d characters long; the most is %d", what, j, n, MaxChoice)
		}
		if seen[key] {
			p.report(r, "%s: the choice %q is listed twice; students could not tell them apart", what, c)
		}
		seen[key] = true
	}
	if len(it.Choices) > 0 && (it.Correct < 0 || it.Correct >= len(it.Choices)) {
		p.report(itemRef(i, "answer"), "%s: answer %d is not one of the %d choices (0 to %d: answer counts from 0)", what, it.Correct, len(it.Choices), len(it.Choices)-1)
	}
}

func (p *parser) checkSet(b *Bank, i int, s *Set, items map[protocol.ItemID]int, sets map[SetID]int) {
	what := label("set", string(s.ID), i)
	p.title(setRef(i, "title"), what, "title", s.Title, true)
	switch s.Kind {
	case SetPractice, SetPlaylist, SetChoiceBoard, SetCheck, SetEnrichment:
	case "":
		p.report(setRef(i, ""), "%s has no kind: add \"kind: practice\" (or playlist, choice_board, check, enrichment)", what)
	default:
		p.report(setRef(i, "kind"), "%s: kind %q is not one of practice, playlist, choice_board, check, enrichment", what, s.Kind)
	}
	switch {
	case len(s.Items) == 0:
		p.report(setRef(i, "items"), "%s has no items: list them under items: [item id, ...]", what)
	case len(s.Items) > MaxSetItems:
		p.report(setRef(i, "items"), "%s has %d items; the most is %d", what, len(s.Items), MaxSetItems)
	}
	seen := map[protocol.ItemID]bool{}
	for j, id := range s.Items {
		r := setRef(i, "items").elem(j)
		if _, ok := items[id]; !ok {
			p.report(r, "%s: item %q is not an item of this bank", what, id)
		} else if seen[id] {
			p.report(r, "%s lists item %s twice", what, id)
		}
		seen[id] = true
	}
	if s.Kind == SetChoiceBoard {
		switch {
		case len(s.Items) > 0 && len(s.Items) < 2:
			p.report(setRef(i, "items"), "%s: a choice board needs at least 2 options to choose from", what)
		case s.Pick < 1:
			p.report(setRef(i, ""), "%s: a choice board needs pick: how many of its %d options a student does", what, len(s.Items))
		case s.Pick > len(s.Items):
			p.report(setRef(i, "pick"), "%s: pick is %d but there are only %d options", what, s.Pick, len(s.Items))
		}
		if s.Labels != nil && len(s.Labels) != len(s.Items) {
			p.report(setRef(i, "labels"), "%s has %s for %s; give one label per option, in the same order, or none", what, plural(len(s.Labels), "label"), plural(len(s.Items), "option"))
		}
		for j, l := range s.Labels {
			r := setRef(i, "labels").elem(j)
			if l == "" {
				p.report(r, "%s: label %d is empty", what, j+1)
			} else if n := utf8.RuneCountInString(l); n > MaxTitle {
				p.report(r, "%s: label %d is %d characters long; the most is %d", what, j+1, n, MaxTitle)
			}
		}
	} else {
		if s.Pick != 0 {
			p.report(setRef(i, "pick"), "%s: only a choice board has pick", what)
		}
		if s.Labels != nil {
			p.report(setRef(i, "labels"), "%s: only a choice board has labels", what)
		}
	}
	if s.Enrichment != "" {
		switch k, ok := sets[s.Enrichment]; {
		case s.Kind != SetPractice && s.Kind != SetPlaylist:
			p.report(setRef(i, "enrichment"), "%s: only a practice set or a playlist names an enrichment set", what)
		case !ok:
			p.report(setRef(i, "enrichment"), "%s: enrichment %q is not a set of this bank", what, s.Enrichment)
		case b.Sets[k].Kind != SetEnrichment:
			p.report(setRef(i, "enrichment"), "%s: enrichment %s is a %s set, not an enrichment set", what, s.Enrichment, strings.ReplaceAll(string(b.Sets[k].Kind), "_", " "))
		}
	}
}
