package grouping

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// names of the members of a group, in the group's order.
func memberNames(roster []Student, g protocol.ProposedGroup) []string {
	var out []string
	for _, m := range g.Members {
		for _, s := range roster {
			if s.ID == m {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

func levelsOf(roster []Student, g protocol.ProposedGroup) []float64 {
	var out []float64
	for _, m := range g.Members {
		for _, s := range roster {
			if s.ID == m && s.Level >= 0 {
				out = append(out, s.Level)
			}
		}
	}
	return out
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func TestRandom(t *testing.T) {
	st := class(24)
	req := protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 4, Seed: 42}
	res, _ := check(t, st, req, nil)
	for _, g := range res.Groups {
		if got, want := g.Reason, "random (seed 42)"; got != want {
			t.Errorf("%s: reason %q, want %q", g.Name, got, want)
		}
	}
	for g, grp := range res.Groups {
		if got, want := grp.Name, fmt.Sprintf("Group %d", g+1); got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
	req.Seed = 43
	other, _ := check(t, st, req, nil)
	if reflect.DeepEqual(res.Groups[0].Members, other.Groups[0].Members) &&
		reflect.DeepEqual(res.Groups[1].Members, other.Groups[1].Members) {
		t.Errorf("seeds 42 and 43 deal the same groups")
	}
}

func TestLevel(t *testing.T) {
	st := class(20)
	st[3].Level = -1 // Dev
	req := protocol.GroupingRequest{Method: protocol.GroupLevel, Count: 4, Seed: 1}
	res, _ := check(t, st, req, nil)
	re := regexp.MustCompile(`^mastery \d\.\d\d–\d\.\d\d, band (\d) of 4(; level unknown for Dev)?$`)
	prevTop := -1.0
	unknownSeen := false
	for g, grp := range res.Groups {
		m := re.FindStringSubmatch(grp.Reason)
		if m == nil {
			t.Fatalf("%s: reason %q", grp.Name, grp.Reason)
		}
		if got, want := m[1], fmt.Sprint(g+1); got != want {
			t.Errorf("%s is band %s, want %s", grp.Name, got, want)
		}
		unknownSeen = unknownSeen || m[2] != ""
		// Bands are contiguous: every level of a band is at least the
		// levels of the band below.
		ls := levelsOf(st, grp)
		if slices.Min(ls) < prevTop {
			t.Errorf("%s starts at %.2f below the band before (%.2f)", grp.Name, slices.Min(ls), prevTop)
		}
		prevTop = slices.Max(ls)
	}
	if !unknownSeen {
		t.Errorf("no reason says Dev's level is unknown")
	}
}

func TestMixed(t *testing.T) {
	st := class(24)
	var all []float64
	for _, s := range st {
		all = append(all, s.Level)
	}
	classMean := mean(all)
	req := protocol.GroupingRequest{Method: protocol.GroupMixed, Size: 4, Seed: 5}
	res, _ := check(t, st, req, nil)
	re := regexp.MustCompile(`^mixed: (\d\.\d\d)–(\d\.\d\d), mean (\d\.\d\d) \(class (\d\.\d\d)\)$`)
	for _, grp := range res.Groups {
		m := re.FindStringSubmatch(grp.Reason)
		if m == nil {
			t.Fatalf("%s: reason %q", grp.Name, grp.Reason)
		}
		ls := levelsOf(st, grp)
		if got := mean(ls); math.Abs(got-classMean) > 0.05 {
			t.Errorf("%s has mean %.3f, class %.3f", grp.Name, got, classMean)
		}
		if got, want := m[3], fmt.Sprintf("%.2f", mean(ls)); got != want {
			t.Errorf("%s: reason says mean %s, want %s", grp.Name, got, want)
		}
		if got, want := m[4], fmt.Sprintf("%.2f", classMean); got != want {
			t.Errorf("%s: reason says class %s, want %s", grp.Name, got, want)
		}
		if slices.Max(ls)-slices.Min(ls) < 0.3 {
			t.Errorf("%s is not mixed: %v", grp.Name, ls)
		}
	}
}

// withValues gives the students of a class interests (or choices) in
// order; "" is none.
func withValues(n int, choice bool, vals ...string) []Student {
	st := class(n)
	for i := range st {
		if choice {
			st[i].Choice = vals[i]
		} else {
			st[i].Interest = vals[i]
		}
	}
	return st
}

func TestInterestAndChoice(t *testing.T) {
	type group struct{ name, reason string }
	cases := []struct {
		name   string
		st     []Student
		req    protocol.GroupingRequest
		groups []group
		notes  []string
	}{{
		name: "one group per interest",
		st: withValues(12, false, "rock music", "chess", "Rock Music", "space", "rock music", "chess",
			"space", "rock  music", "chess", "space", "", "chess"),
		req: protocol.GroupingRequest{Method: protocol.GroupInterest, Size: 4},
		groups: []group{
			{"Chess", "interest: chess"},
			{"Rock music", "interest: rock music"},
			{"Space", "interest: space; no interest given: Kit"},
		},
	}, {
		name: "a popular interest is split",
		st: withValues(12, false, "rock music", "rock music", "rock music", "rock music", "rock music", "rock music",
			"rock music", "rock music", "", "", "", ""),
		req: protocol.GroupingRequest{Method: protocol.GroupInterest, Count: 3},
		groups: []group{
			{"Rock music 1", "interest: rock music (part 1 of 2)"},
			{"Rock music 2", "interest: rock music (part 2 of 2)"},
			{"Group 3", "no interest given"},
		},
	}, {
		name: "rare interests share a group",
		st:   withValues(8, false, "rock music", "rock music", "rock music", "rock music", "chess", "space", "", ""),
		req:  protocol.GroupingRequest{Method: protocol.GroupInterest, Size: 4},
		groups: []group{
			{"Rock music", "interest: rock music"},
			{"Chess & space", "interest: chess, space; no interest given: Gus and Hal"},
		},
		notes: []string{"chess (1) and space (1) share the group “Chess & space”: too few students for a group each."},
	}, {
		name: "rare interests share a group while others are free",
		st: withValues(24, false, "rock music", "rock music", "rock music", "rock music", "chess", "chess", "chess", "chess",
			"space", "space", "space", "space", "dance", "art", "film", "", "", "", "", "", "", "", "", ""),
		req: protocol.GroupingRequest{Method: protocol.GroupInterest, Size: 4},
		groups: []group{
			{"Rock music", "interest: rock music"},
			{"Chess", "interest: chess"},
			{"Space", "interest: space"},
			{"Art, dance & film", "interest: art, dance, film; no interest given: *"},
			{"Group 5", "no interest given"},
			{"Group 6", "no interest given"},
		},
		notes: []string{"art (1), dance (1) and film (1) share the group “Art, dance & film”: too few students for a group each."},
	}, {
		name: "choice counts who chose it",
		st: withValues(8, true, "volcanoes", "rivers", "volcanoes", "rivers", "volcanoes", "rivers",
			"volcanoes", "rivers"),
		req: protocol.GroupingRequest{Method: protocol.GroupChoice, Count: 2},
		groups: []group{
			{"Rivers", "choice: rivers (4 chose it)"},
			{"Volcanoes", "choice: volcanoes (4 chose it)"},
		},
	}, {
		name:   "nobody chose",
		st:     withValues(4, true, "", "", "", ""),
		req:    protocol.GroupingRequest{Method: protocol.GroupChoice, Count: 2},
		groups: []group{{"Group 1", "no choice made"}, {"Group 2", "no choice made"}},
		notes:  []string{"No student made a choice, so the groups are random."},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := check(t, c.st, c.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []group
			for _, g := range res.Groups {
				// A reason wanted as "...*" names a student drawn by the
				// seed; only the start is compared.
				reason := g.Reason
				for _, w := range c.groups {
					if p, ok := strings.CutSuffix(w.reason, "*"); ok && w.name == g.Name && strings.HasPrefix(reason, p) {
						reason = w.reason
					}
				}
				got = append(got, group{g.Name, reason})
			}
			slices.SortFunc(got, func(a, b group) int { return strings.Compare(a.name, b.name) })
			want := slices.Clone(c.groups)
			slices.SortFunc(want, func(a, b group) int { return strings.Compare(a.name, b.name) })
			if !reflect.DeepEqual(got, want) {
				t.Errorf("groups\n got %q\nwant %q", got, want)
			}
			if !reflect.DeepEqual(res.Notes, c.notes) {
				t.Errorf("notes\n got %q\nwant %q", res.Notes, c.notes)
			}
			// Everyone with the group's interest is in it.
			key := func(s Student) string {
				if c.req.Method == protocol.GroupChoice {
					return valueKey(s.Choice)
				}
				return valueKey(s.Interest)
			}
			for _, g := range res.Groups {
				for _, name := range memberNames(c.st, g) {
					s := c.st[slices.IndexFunc(c.st, func(s Student) bool { return s.Name == name })]
					if k := key(s); k != "" && !strings.Contains(strings.ToLower(g.Name), k) {
						t.Errorf("%s (%s) is in %s", name, k, g.Name)
					}
				}
			}
		})
	}
}

func TestJigsaw(t *testing.T) {
	cases := []struct {
		name    string
		n       int
		req     protocol.GroupingRequest
		experts []string // names and reasons
	}{{
		name:    "three home groups of four",
		n:       12,
		req:     protocol.GroupingRequest{Method: protocol.GroupJigsaw, Size: 4, Seed: 3},
		experts: []string{"Expert group 1: topic 1", "Expert group 2: topic 2", "Expert group 3: topic 3", "Expert group 4: topic 4"},
	}, {
		name: "expert groups split to the largest size allowed",
		n:    12,
		req:  protocol.GroupingRequest{Method: protocol.GroupJigsaw, Size: 2, Max: 2, Seed: 3},
		experts: []string{
			"Expert group 1.1: topic 1, part 1 of 3", "Expert group 1.2: topic 1, part 2 of 3", "Expert group 1.3: topic 1, part 3 of 3",
			"Expert group 2.1: topic 2, part 1 of 3", "Expert group 2.2: topic 2, part 2 of 3", "Expert group 2.3: topic 2, part 3 of 3",
		},
	}, {
		name:    "uneven home groups",
		n:       10,
		req:     protocol.GroupingRequest{Method: protocol.GroupJigsaw, Count: 3, Seed: 9},
		experts: []string{"Expert group 1: topic 1", "Expert group 2: topic 2", "Expert group 3: topic 3", "Expert group 4: topic 4"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := class(c.n)
			res, err := check(t, st, c.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			topicOf := make(map[string]string)
			for _, ex := range res.Experts {
				got = append(got, ex.Name+": "+ex.Reason)
				topic := strings.TrimPrefix(strings.Split(ex.Reason, ",")[0], "topic ")
				for _, name := range memberNames(st, ex) {
					topicOf[name] = topic
				}
			}
			if !reflect.DeepEqual(got, c.experts) {
				t.Errorf("experts\n got %q\nwant %q", got, c.experts)
			}
			// The home group's reason gives each member the topic of their
			// expert group.
			for _, g := range res.Groups {
				_, list, ok := strings.Cut(g.Reason, "; topics: ")
				if !ok {
					t.Fatalf("%s: reason %q has no topics", g.Name, g.Reason)
				}
				var want []string
				for _, name := range memberNames(st, g) {
					want = append(want, name+" "+topicOf[name])
				}
				if got := strings.Split(list, ", "); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: topics %q, want %q", g.Name, got, want)
				}
			}
		})
	}
}

func TestConstraintsMoveStudents(t *testing.T) {
	st := class(12)
	ana, ben, cara, dev := byName(st, "Ana")[0], byName(st, "Ben")[0], byName(st, "Cara")[0], byName(st, "Dev")[0]
	// Level bands of 4: without constraints Ana (0.00) and Dev (0.11) share
	// band 1, and Ben (0.37) and Cara (0.74) do not.
	free, _ := check(t, st, protocol.GroupingRequest{Method: protocol.GroupLevel, Size: 4}, nil)
	at := groupOf(free)
	if at[ana] != at[dev] || at[ben] == at[cara] {
		t.Fatalf("the roster changed: %v", free.Groups)
	}
	req := protocol.GroupingRequest{
		Method:   protocol.GroupLevel,
		Size:     4,
		Apart:    [][]protocol.StudentID{{ana, dev}},
		Together: [][]protocol.StudentID{{ben, cara}},
	}
	res, _ := check(t, st, req, nil)
	var reasons []string
	for _, g := range res.Groups {
		reasons = append(reasons, g.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"moved here to be apart from", "moved here to be with"} {
		if !strings.Contains(all, want) {
			t.Errorf("no reason says %q:\n%s", want, all)
		}
	}
}

func TestAvoidRecent(t *testing.T) {
	st := class(12)
	req := protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 3, Seed: 8}
	last, _ := check(t, st, req, nil)
	var recent []Pair
	for _, g := range last.Groups {
		for i, a := range g.Members {
			for _, b := range g.Members[i+1:] {
				recent = append(recent, Pair{a, b})
			}
		}
	}
	recent = append(recent, Pair{st[0].ID, "not-in-this-class"})

	req.AvoidRecent = true
	res, _ := check(t, st, req, recent)
	at := groupOf(res)
	for _, pr := range recent {
		if _, ok := at[pr[1]]; ok && at[pr[0]] == at[pr[1]] {
			t.Errorf("%s and %s are together again", pr[0], pr[1])
		}
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}

	// One group: nothing can be avoided, and the teacher is told. The
	// first two pairs are the first member of a group (by name) with the
	// next two, so they read in this order.
	req.Size, req.Count = 0, 1
	res, _ = check(t, st, req, recent[:2])
	want := []string{fmt.Sprintf("2 recent pairings could not be avoided: %s and %s, %s and %s.",
		nameOf(st, recent[0][0]), nameOf(st, recent[0][1]), nameOf(st, recent[1][0]), nameOf(st, recent[1][1]))}
	if !reflect.DeepEqual(res.Notes, want) {
		t.Errorf("notes\n got %q\nwant %q", res.Notes, want)
	}
}

func nameOf(st []Student, id protocol.StudentID) string {
	for _, s := range st {
		if s.ID == id {
			return s.Name
		}
	}
	return ""
}

func TestAbsent(t *testing.T) {
	st := class(8)
	st[2].Present = false // Cara
	st[5].Present = false // Fay
	ana, ben, cara, dev, fay := byName(st, "Ana")[0], byName(st, "Ben")[0], byName(st, "Cara")[0], byName(st, "Dev")[0], byName(st, "Fay")[0]
	req := protocol.GroupingRequest{
		Method:   protocol.GroupRandom,
		Count:    2,
		Together: [][]protocol.StudentID{{ana, cara, dev}, {fay, cara}},
		Apart:    [][]protocol.StudentID{{ben, fay}},
	}
	res, err := check(t, st, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Cara is absent and left out of the together list with Ana and Dev.",
		"Cara and Fay are absent, so the together list naming Cara and Fay does not apply.",
		"Fay is absent, so the apart list with Ben does not apply.",
	}
	if !reflect.DeepEqual(res.Notes, want) {
		t.Errorf("notes\n got %q\nwant %q", res.Notes, want)
	}
	if at := groupOf(res); at[ana] != at[dev] {
		t.Errorf("Ana and Dev are apart")
	}

	req.IncludeAbsent = true
	res, err = check(t, st, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q with absent students included", res.Notes)
	}
}

func TestNoStudents(t *testing.T) {
	res, err := Propose(nil, protocol.GroupingRequest{Method: protocol.GroupMixed, Size: 4}, nil)
	if err != nil || len(res.Groups) != 0 || len(res.Notes) != 1 {
		t.Errorf("got %+v, %v; want no groups and a note", res, err)
	}
	absent := class(3)
	for i := range absent {
		absent[i].Present = false
	}
	_, err = Propose(absent, protocol.GroupingRequest{Method: protocol.GroupMixed, Count: 2}, nil)
	if got, want := Reasons(err), []string{"0 students cannot form 2 groups without leaving one empty"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reasons %q, want %q", got, want)
	}
}

func TestInfeasible(t *testing.T) {
	ids := func(st []Student, names ...string) []protocol.StudentID { return byName(st, names...) }
	c30, c12, c10, c8, c6 := class(30), class(12), class(10), class(8), class(6)
	cases := []struct {
		name string
		st   []Student
		req  protocol.GroupingRequest
		want []string // every reason, in order; a trailing "*" matches a prefix
	}{{
		name: "every reason at once",
		st:   c30,
		req: protocol.GroupingRequest{Method: protocol.GroupMixed, Count: 4, Max: 4,
			Together: [][]protocol.StudentID{ids(c30, "Ana", "Ben", "Cara"), ids(c30, "Cara", "Dev", "Eli")},
			Apart:    [][]protocol.StudentID{ids(c30, "Ben", "Ana")}},
		want: []string{
			"Ana, Ben, Cara, Dev and Eli must be together but groups hold at most 4",
			"Ana must be both with and apart from Ben",
			"30 students cannot form 4 groups of at most 4",
		},
	}, {
		name: "more to keep apart than groups",
		st:   c12,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 3,
			Apart: [][]protocol.StudentID{ids(c12, "Dev", "Cara", "Ben", "Ana")}},
		want: []string{"Ana, Ben, Cara and Dev must be apart but there are only 3 groups"},
	}, {
		name: "one group cannot keep anyone apart",
		st:   c12,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 1,
			Apart: [][]protocol.StudentID{ids(c12, "Ana", "Ben")}},
		want: []string{"Ana and Ben must be apart but there is only 1 group"},
	}, {
		name: "more groups than students",
		st:   class(3),
		req:  protocol.GroupingRequest{Method: protocol.GroupLevel, Count: 4},
		want: []string{"3 students cannot form 4 groups without leaving one empty"},
	}, {
		name: "too few for the smallest group",
		st:   c10,
		req:  protocol.GroupingRequest{Method: protocol.GroupLevel, Count: 4, Min: 3},
		want: []string{"10 students cannot form 4 groups of at least 3"},
	}, {
		name: "one group too small",
		st:   class(1),
		req:  protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 1, Min: 5},
		want: []string{"1 student cannot form 1 group of at least 5"},
	}, {
		name: "size larger than the largest group",
		st:   c30,
		req:  protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 6, Max: 4},
		want: []string{"30 students cannot form 5 groups of at most 4"},
	}, {
		name: "both bounds",
		st:   c10,
		req:  protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2, Min: 6, Max: 8},
		want: []string{"10 students cannot form 2 groups of at least 6"},
	}, {
		name: "together larger than the groups leave room for",
		st:   c10,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 5,
			Together: [][]protocol.StudentID{ids(c10, "Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus")}},
		want: []string{"Ana, Ben, Cara, Dev, Eli, Fay and Gus must be together but with 5 groups a group holds at most 6"},
	}, {
		name: "together larger than the smallest groups leave room for",
		st:   c10,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 4, Min: 2,
			Together: [][]protocol.StudentID{ids(c10, "Ana", "Ben", "Cara", "Dev", "Eli")}},
		want: []string{"Ana, Ben, Cara, Dev and Eli must be together but 4 groups of at least 2 leave room for at most 4 in one group"},
	}, {
		name: "together lists that do not pack",
		st:   c12,
		req: protocol.GroupingRequest{Method: protocol.GroupMixed, Count: 3, Max: 4,
			Together: [][]protocol.StudentID{ids(c12, "Jon", "Kit"), ids(c12, "Ana", "Ben", "Cara"),
				ids(c12, "Dev", "Eli", "Fay"), ids(c12, "Gus", "Hal", "Ivy")}},
		want: []string{"the together lists (Ana, Ben and Cara), (Dev, Eli and Fay), (Gus, Hal and Ivy) and (Jon and Kit) cannot all be placed in 3 groups of at most 4"},
	}, {
		name: "two pairs in three groups of four students",
		st:   class(4),
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 3,
			Together: [][]protocol.StudentID{ids(c6, "Ana", "Ben"), ids(c6, "Cara", "Dev")}},
		want: []string{"the together lists (Ana and Ben) and (Cara and Dev) cannot all be placed in 3 groups without leaving one empty"},
	}, {
		name: "an odd ring of apart lists in two groups",
		st:   c6,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2,
			Apart: [][]protocol.StudentID{ids(c6, "Ana", "Ben"), ids(c6, "Ben", "Cara"), ids(c6, "Cara", "Ana")}},
		want: []string{"keeping *"},
	}, {
		name: "apart lists that together need more groups",
		st:   c8,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 3,
			Apart: [][]protocol.StudentID{ids(c8, "Ana", "Ben", "Cara"), ids(c8, "Ana", "Ben", "Dev"),
				ids(c8, "Ana", "Cara", "Dev"), ids(c8, "Ben", "Cara", "Dev")}},
		want: []string{"the apart lists require Ana, Ben, Cara and Dev to be in 4 different groups, but there are only 3"},
	}, {
		name: "apart lists through a together list",
		st:   c8,
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 3,
			Together: [][]protocol.StudentID{ids(c8, "Eli", "Dev")},
			Apart: [][]protocol.StudentID{ids(c8, "Ana", "Ben", "Cara"), ids(c8, "Ana", "Ben", "Eli"),
				ids(c8, "Ana", "Cara", "Dev"), ids(c8, "Ben", "Cara", "Dev")}},
		want: []string{"the apart lists require Ana, Ben, Cara and (Dev and Eli) to be in 4 different groups, but there are only 3"},
	}, {
		name: "apart lists that no search can meet",
		st:   class(20),
		req: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 5, Min: 4, Max: 4,
			Together: [][]protocol.StudentID{ids(class(20), "Ana", "Ben", "Cara", "Dev"), ids(class(20), "Eli", "Fay", "Gus", "Hal")},
			Apart:    [][]protocol.StudentID{ids(class(20), "Ivy", "Jon", "Kit", "Lea")}},
		want: []string{"no way was found to keep Ivy, Jon, Kit and Lea apart in 5 groups of exactly 4 alongside the other lists"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := check(t, c.st, c.req, nil)
			if code(err) != protocol.CodeInfeasible {
				t.Fatalf("got %v, %v; want infeasible", res.Groups, err)
			}
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *protocol.Error", err)
			}
			got := Reasons(err)
			if len(got) != len(c.want) && !strings.HasSuffix(c.want[len(c.want)-1], "*") {
				t.Fatalf("reasons\n got %q\nwant %q", got, c.want)
			}
			for i, w := range c.want {
				if p, ok := strings.CutSuffix(w, "*"); ok {
					if i >= len(got) || !strings.HasPrefix(got[i], p) {
						t.Errorf("reason %d: got %q, want one starting %q", i, got, p)
					}
					continue
				}
				if got[i] != w {
					t.Errorf("reason %d\n got %q\nwant %q", i, got[i], w)
				}
			}
			if pe.Message != strings.Join(got, "; ") {
				t.Errorf("message %q does not join the reasons %q", pe.Message, got)
			}
		})
	}
}

func TestOddRingNamesEveryStep(t *testing.T) {
	st := class(6)
	req := protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 2,
		Apart: [][]protocol.StudentID{byName(st, "Ana", "Ben"), byName(st, "Ben", "Cara"), byName(st, "Cara", "Ana")}}
	_, err := Propose(st, req, nil)
	got := Reasons(err)
	if len(got) != 1 || !strings.HasSuffix(got[0], " needs at least 3 groups, but there are only 2") {
		t.Fatalf("reasons %q", got)
	}
	for _, pair := range [][2]string{{"Ana", "Ben"}, {"Ben", "Cara"}, {"Cara", "Ana"}} {
		if !strings.Contains(got[0], pair[0]+" apart from "+pair[1]) && !strings.Contains(got[0], pair[1]+" apart from "+pair[0]) {
			t.Errorf("%q does not name %s and %s", got[0], pair[0], pair[1])
		}
	}
}

func TestInvalid(t *testing.T) {
	st := class(4)
	dup := append(class(4), Student{ID: id(0), Name: "Ana again", Present: true})
	noID := append(class(4), Student{Name: "Zed", Present: true})
	cases := []struct {
		name string
		st   []Student
		req  protocol.GroupingRequest
		want string
	}{
		{"no size or count", st, protocol.GroupingRequest{Method: protocol.GroupRandom}, "give either a group size or a number of groups"},
		{"size and count", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2, Count: 2}, "give either a group size or a number of groups, not both"},
		{"negative size", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: -1}, "the group size cannot be negative (-1)"},
		{"negative count", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Count: -2}, "the number of groups cannot be negative (-2)"},
		{"negative min", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2, Min: -1}, "the smallest group allowed cannot be negative (-1)"},
		{"negative max", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2, Max: -1}, "the largest group allowed cannot be negative (-1)"},
		{"min above max", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2, Min: 5, Max: 4}, "the smallest group allowed (5) is larger than the largest (4)"},
		{"unknown method", st, protocol.GroupingRequest{Method: "teams", Size: 2}, `"teams" is not a grouping method`},
		{"no method", st, protocol.GroupingRequest{Size: 2}, "choose a grouping method"},
		{"unknown student", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2,
			Apart: [][]protocol.StudentID{{id(0), "nobody"}}}, `the apart list 1 names a student who is not in this class ("nobody")`},
		{"unknown student in together", st, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2,
			Together: [][]protocol.StudentID{{id(0)}, {id(99)}}}, `the together list 2 names a student who is not in this class ("` + string(id(99)) + `")`},
		{"duplicate student", dup, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2}, "student " + string(id(0)) + " (Ana again) is listed more than once"},
		{"student without an ID", noID, protocol.GroupingRequest{Method: protocol.GroupRandom, Size: 2}, "Zed has no student ID"},
		{"several problems", st, protocol.GroupingRequest{Method: "teams", Size: -1, Max: -2},
			`"teams" is not a grouping method; the group size cannot be negative (-1); the largest group allowed cannot be negative (-2)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Propose(c.st, c.req, nil)
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
				t.Fatalf("got %v, want an invalid error", err)
			}
			if pe.Message != c.want {
				t.Errorf("message\n got %q\nwant %q", pe.Message, c.want)
			}
			if Reasons(err) != nil {
				t.Errorf("Reasons of an invalid request: %q", Reasons(err))
			}
		})
	}
}

func TestReasons(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{nil, nil},
		{errors.New("boom"), nil},
		{protocol.Errorf(protocol.CodeInvalid, "a; b"), nil},
		{protocol.Errorf(protocol.CodeInfeasible, "a; b"), []string{"a", "b"}},
		{fmt.Errorf("proposing: %w", protocol.Errorf(protocol.CodeInfeasible, "only")), []string{"only"}},
	}
	for _, c := range cases {
		if got := Reasons(c.err); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Reasons(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// A semicolon in a name must not split a reason in two.
func TestSemicolonInName(t *testing.T) {
	st := class(3)
	st[0].Name = "Ana; Maria"
	req := protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 1,
		Apart: [][]protocol.StudentID{{st[0].ID, st[1].ID}}}
	_, err := Propose(st, req, nil)
	if got, want := Reasons(err), []string{"Ana, Maria and Ben must be apart but there is only 1 group"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reasons %q, want %q", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	st := class(40)
	st[7].Level = -1
	for i := range st {
		st[i].Interest = []string{"art", "music", "", "sport"}[i%4]
	}
	for _, m := range methods {
		req := protocol.GroupingRequest{Method: m, Size: 5, Seed: 11, Max: 6, AvoidRecent: true,
			Together: [][]protocol.StudentID{{st[1].ID, st[2].ID}},
			Apart:    [][]protocol.StudentID{{st[3].ID, st[4].ID, st[5].ID}}}
		recent := []Pair{{st[1].ID, st[9].ID}, {st[10].ID, st[11].ID}}
		a, _ := check(t, st, req, recent)
		rev := slices.Clone(st)
		slices.Reverse(rev)
		b, _ := check(t, rev, req, recent)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the roster's order changed the proposal", m)
		}
	}
}
