package grouping

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// result writes the proposal: groups in a stable order, each with a name
// and a reason a teacher can read, members by name, and the notes.
func (p *plan) result(home, final []int) Result {
	groups := make([][]int, p.g)
	for s, g := range final {
		groups[g] = append(groups[g], s)
	}
	for _, ms := range groups {
		slices.SortFunc(ms, p.compare)
	}
	jigsaw := p.req.Method == protocol.GroupJigsaw
	var topic []int
	if jigsaw {
		topic = p.topics(groups)
	}
	names := p.groupNames()
	res := Result{Notes: slices.Clone(p.notes), Groups: make([]protocol.ProposedGroup, p.g)}
	for g, ms := range groups {
		reason := p.methodReason(g, ms)
		if jigsaw {
			ts := make([]string, len(ms))
			for k, s := range ms {
				ts[k] = fmt.Sprintf("%s %d", p.name[s], topic[s])
			}
			reason += "; topics: " + strings.Join(ts, ", ")
		}
		reason += p.moveReasons(g, ms, home, final)
		res.Groups[g] = protocol.ProposedGroup{Name: names[g], Members: p.ids(ms), Reason: reason}
	}
	if jigsaw {
		res.Experts = p.experts(groups, topic)
	}
	res.Notes = append(res.Notes, p.laterNotes(groups, names)...)
	return res
}

func (p *plan) ids(ms []int) []protocol.StudentID {
	out := make([]protocol.StudentID, len(ms))
	for k, s := range ms {
		out[k] = p.st[s].ID
	}
	return out
}

// methodReason says why group g is as the method made it.
func (p *plan) methodReason(g int, ms []int) string {
	switch p.req.Method {
	case protocol.GroupRandom:
		return fmt.Sprintf("random (seed %d)", p.req.Seed)
	case protocol.GroupLevel:
		band := fmt.Sprintf("band %d of %d", g+1, p.g)
		if lo, hi, _, ok := p.levels(ms); ok {
			band = fmt.Sprintf("mastery %.2f–%.2f, %s", lo, hi, band)
		}
		return band + p.unknownLevels(ms)
	case protocol.GroupMixed, protocol.GroupJigsaw:
		mu := p.classMean()
		lo, hi, mean, ok := p.levels(ms)
		var r string
		switch {
		case math.IsNaN(mu):
			r = "mixed: no levels known"
		case !ok:
			r = fmt.Sprintf("mixed: levels unknown (class %.2f)", mu)
		default:
			r = fmt.Sprintf("mixed: %.2f–%.2f, mean %.2f (class %.2f)", lo, hi, mean, mu)
		}
		return r + p.unknownLevels(ms)
	}
	// Interest and choice.
	kind, none := "interest", "no interest given"
	if p.req.Method == protocol.GroupChoice {
		kind, none = "choice", "no choice made"
	}
	vp := p.vals
	var parts []string
	for _, v := range vp.groupVals[g] {
		var extra []string
		if p.req.Method == protocol.GroupChoice {
			extra = append(extra, fmt.Sprintf("%d chose it", vp.values[v].count))
		}
		if gs := vp.valGroups[v]; len(gs) > 1 {
			extra = append(extra, fmt.Sprintf("part %d of %d", slices.Index(gs, g)+1, len(gs)))
		}
		s := vp.values[v].label
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, ", ") + ")"
		}
		parts = append(parts, s)
	}
	r := kind + ": " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		r = none
	}
	var without []int
	for _, s := range ms {
		if vp.of[s] < 0 {
			without = append(without, s)
		}
	}
	if len(without) > 0 && len(without) < len(ms) {
		r += "; " + none + ": " + p.names(without)
	}
	return r
}

// levels gives the range and mean of the known levels among ms.
func (p *plan) levels(ms []int) (lo, hi, mean float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	k := 0
	for _, s := range ms {
		if l := p.level[s]; l >= 0 {
			lo, hi = min(lo, l), max(hi, l)
			mean += l
			k++
		}
	}
	if k == 0 {
		return 0, 0, 0, false
	}
	return lo, hi, mean / float64(k), true
}

func (p *plan) unknownLevels(ms []int) string {
	var un []int
	for _, s := range ms {
		if p.level[s] < 0 {
			un = append(un, s)
		}
	}
	if len(un) == 0 {
		return ""
	}
	return "; level unknown for " + p.names(un)
}

// moveReasons says which students of group g a constraint or the soft
// goal brought here from the group the method chose for them, and why.
func (p *plan) moveReasons(g int, ms []int, home, final []int) string {
	type why struct {
		text    string
		partner int
	}
	var order []why
	who := make(map[why][]int)
	partner := func(s int, prs [][2]int) int {
		best := -1
		for _, pr := range prs {
			j := -1
			switch s {
			case pr[0]:
				j = pr[1]
			case pr[1]:
				j = pr[0]
			}
			if j >= 0 && final[j] == home[s] && (best < 0 || p.less(j, best)) {
				best = j
			}
		}
		return best
	}
	for _, s := range ms {
		if home[s] == g {
			continue
		}
		// A unit member joining a mate the method put here came to be
		// with them; otherwise the student's own constraint explains the
		// move, and failing that the unit's.
		mates := p.units[p.unitOf[s]]
		mate := -1
		for _, j := range mates {
			if j == s {
				continue
			}
			if mate < 0 || home[j] == g && home[mate] != g ||
				(home[j] == g) == (home[mate] == g) && p.less(j, mate) {
				mate = j
			}
		}
		w := why{"to make room", -1}
		if mate >= 0 && home[mate] == g {
			w = why{"to be with", mate}
		} else if j := partner(s, p.pairs); j >= 0 {
			w = why{"to be apart from", j}
		} else if j := partner(s, p.recent); j >= 0 {
			w = why{"to avoid working with", j}
		} else if mate >= 0 {
			w = why{"to stay with", mate}
		}
		if _, ok := who[w]; !ok {
			order = append(order, w)
		}
		who[w] = append(who[w], s)
	}
	var b strings.Builder
	for _, w := range order {
		fmt.Fprintf(&b, "; %s moved here %s", p.names(who[w]), w.text)
		if w.partner >= 0 {
			b.WriteString(" " + p.name[w.partner])
		}
		if w.text == "to avoid working with" {
			b.WriteString(" again")
		}
	}
	return b.String()
}

// groupNames names the groups: "Group 1", "Group 2"... or, for interest
// and choice, after the answers they were made for. Names are unique.
func (p *plan) groupNames() []string {
	names := make([]string, p.g)
	used := make(map[string]bool)
	for g := range names {
		n := fmt.Sprintf("Group %d", g+1)
		if p.vals != nil && len(p.vals.groupVals[g]) > 0 {
			vs := p.vals.groupVals[g]
			labels := make([]string, 0, len(vs))
			for _, v := range vs {
				labels = append(labels, p.vals.values[v].label)
			}
			switch {
			case len(vs) == 1 && len(p.vals.valGroups[vs[0]]) > 1:
				n = fmt.Sprintf("%s %d", labels[0], slices.Index(p.vals.valGroups[vs[0]], g)+1)
			case len(vs) == 1:
				n = labels[0]
			case len(vs) <= 3:
				n = strings.Join(labels[:len(vs)-1], ", ") + " & " + labels[len(vs)-1]
			default:
				n = fmt.Sprintf("%s, %s & %d more", labels[0], labels[1], len(vs)-2)
			}
			n = capitalize(n)
		}
		base := n
		for k := 2; used[n]; k++ {
			n = fmt.Sprintf("%s (%d)", base, k)
		}
		used[n] = true
		names[g] = n
	}
	return names
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// topics gives each member of a home group a distinct topic, 1 up to the
// size of the largest group. A smaller group leaves out the topics that
// have the most students so far, so the expert groups come out even; who
// takes which topic is drawn from the seed.
func (p *plan) topics(groups [][]int) []int {
	k := 0
	for _, ms := range groups {
		k = max(k, len(ms))
	}
	count := make([]int, k+1)
	topic := make([]int, p.n)
	for _, ms := range groups {
		ts := make([]int, k)
		for t := range ts {
			ts[t] = t + 1
		}
		slices.SortStableFunc(ts, func(a, b int) int { return count[a] - count[b] })
		ts = ts[:len(ms)]
		slices.Sort(ts)
		order := slices.Clone(ms)
		p.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for i, s := range order {
			topic[s] = ts[i]
			count[ts[i]]++
		}
	}
	return topic
}

// experts gathers the students of each topic, split evenly into parts no
// larger than the largest group allowed.
func (p *plan) experts(groups [][]int, topic []int) []protocol.ProposedGroup {
	k := 0
	for _, ms := range groups {
		k = max(k, len(ms))
	}
	byTopic := make([][]int, k+1)
	for _, ms := range groups { // home group order, so parts mix home groups
		for _, s := range ms {
			byTopic[topic[s]] = append(byTopic[topic[s]], s)
		}
	}
	var out []protocol.ProposedGroup
	for t := 1; t <= k; t++ {
		ms := byTopic[t]
		parts := 1
		if p.req.Max > 0 && len(ms) > p.req.Max {
			parts = (len(ms) + p.req.Max - 1) / p.req.Max
		}
		for part := range parts {
			var sub []int
			for i := part; i < len(ms); i += parts {
				sub = append(sub, ms[i])
			}
			slices.SortFunc(sub, p.compare)
			name, reason := fmt.Sprintf("Expert group %d", t), fmt.Sprintf("topic %d", t)
			if parts > 1 {
				name = fmt.Sprintf("Expert group %d.%d", t, part+1)
				reason = fmt.Sprintf("topic %d, part %d of %d", t, part+1, parts)
			}
			out = append(out, protocol.ProposedGroup{Name: name, Members: p.ids(sub), Reason: reason})
		}
	}
	return out
}

// laterNotes tells the teacher what the proposal could not do as asked.
func (p *plan) laterNotes(groups [][]int, names []string) []string {
	var notes []string
	switch p.req.Method {
	case protocol.GroupLevel, protocol.GroupMixed, protocol.GroupJigsaw:
		if math.IsNaN(p.classMean()) {
			notes = append(notes, "No student's level is known, so the groups do not reflect mastery.")
		}
	case protocol.GroupInterest, protocol.GroupChoice:
		vp := p.vals
		if len(vp.values) == 0 {
			if p.req.Method == protocol.GroupInterest {
				notes = append(notes, "No student gave an interest, so the groups are random.")
			} else {
				notes = append(notes, "No student made a choice, so the groups are random.")
			}
		}
		for g, vs := range vp.groupVals {
			if len(vs) < 2 {
				continue
			}
			items := make([]string, len(vs))
			for k, v := range vs {
				items[k] = fmt.Sprintf("%s (%d)", vp.values[v].label, vp.values[v].count)
			}
			why := "too few students for a group each"
			for _, v := range vs {
				if 2*vp.values[v].count >= p.target[0] {
					why = "there are more answers than groups"
				}
			}
			notes = append(notes, fmt.Sprintf("%s share the group “%s”: %s.", andList(items), names[g], why))
		}
	}

	small, large := p.n, 0
	for _, ms := range groups {
		small, large = min(small, len(ms)), max(large, len(ms))
	}
	if large-small > 1 {
		notes = append(notes, fmt.Sprintf("Group sizes range from %d to %d to meet the together and apart lists.", small, large))
	}

	if p.req.AvoidRecent {
		group := make([]int, p.n)
		for g, ms := range groups {
			for _, s := range ms {
				group[s] = g
			}
		}
		var again []string
		for _, pr := range p.sortedPairs(p.recent) {
			if group[pr[0]] == group[pr[1]] {
				again = append(again, p.name[pr[0]]+" and "+p.name[pr[1]])
			}
		}
		switch {
		case len(again) == 1:
			notes = append(notes, "1 recent pairing could not be avoided: "+again[0]+".")
		case len(again) > 1 && len(again) <= 10:
			notes = append(notes, fmt.Sprintf("%d recent pairings could not be avoided: %s.", len(again), strings.Join(again, ", ")))
		case len(again) > 10:
			notes = append(notes, fmt.Sprintf("%d recent pairings could not be avoided, among them %s.", len(again), strings.Join(again[:10], ", ")))
		}
	}
	return notes
}
