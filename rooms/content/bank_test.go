package content

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// graphBank writes a bank whose skills have the given prerequisites (in
// order), each skill with one item.
func graphBank(skills [][2]string) string {
	var b strings.Builder
	b.WriteString("bank: g\ntitle: Graph\nskills:\n")
	for _, s := range skills {
		fmt.Fprintf(&b, "  - {id: %s, name: %s, prereqs: [%s]}\n", s[0], s[0], s[1])
	}
	b.WriteString("items:\n")
	for _, s := range skills {
		fmt.Fprintf(&b, "  - {id: %s.1, skill: %s, kind: text, prompt: P, accept: [x], hints: [h], explanation: E}\n", s[0], s[0])
	}
	return b.String()
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name   string
		skills [][2]string
		want   []string
	}{
		{"three", [][2]string{{"a", "c"}, {"b", "a"}, {"c", "b"}}, []string{
			"5:32: prerequisites go round in a circle: a → c → b → a",
		}},
		{"two separate cycles", [][2]string{{"a", "b"}, {"b", "a"}, {"c", "d"}, {"d", "c"}, {"e", "a, c"}}, []string{
			"5:32: prerequisites go round in a circle: a → b → a",
			"7:32: prerequisites go round in a circle: c → d → c",
		}},
		{"cycle below a sound skill", [][2]string{{"top", "x"}, {"x", "y"}, {"y", "x"}}, []string{
			"6:32: prerequisites go round in a circle: x → y → x",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("g.yaml", []byte(graphBank(tt.skills)))
			var perr *Errors
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want *Errors", err)
			}
			var got []string
			for _, p := range perr.Problems {
				got = append(got, fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("got  %s\nwant %s…", got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAncestors(t *testing.T) {
	// A diamond with a long way round: d needs b and c; b needs a; c
	// needs a and e; e needs a. a is at distance 2 from d, e at 2.
	b, err := Parse("g.yaml", []byte(graphBank([][2]string{
		{"a", ""}, {"e", "a"}, {"b", "a"}, {"c", "e, a"}, {"d", "b, c"},
	})))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		skill protocol.SkillID
		want  []protocol.SkillID
	}{
		{"d", []protocol.SkillID{"b", "c", "a", "e"}},
		{"c", []protocol.SkillID{"e", "a"}},
		{"a", nil},
		{"nope", nil},
	}
	for _, tt := range tests {
		if got := b.Ancestors(tt.skill); !slices.Equal(got, tt.want) {
			t.Errorf("Ancestors(%s) = %v, want %v", tt.skill, got, tt.want)
		}
	}
	if got, want := b.Prereqs("c"), []protocol.SkillID{"e", "a"}; !slices.Equal(got, want) {
		t.Errorf("Prereqs(c) = %v, want %v", got, want)
	}
	if got := b.Prereqs("nope"); got != nil {
		t.Errorf("Prereqs(nope) = %v, want nil", got)
	}
	b.Prereqs("c")[0] = "changed"
	if b.Skill("c").Prereqs[0] != "e" {
		t.Error("Prereqs shares the bank's slice")
	}

	geo := demoBank(t, "geometry-7")
	want := []protocol.SkillID{"congruence.criteria", "angles.vertical", "congruence.parts", "angles.supplementary",
		"triangles.sum", "angles.naming", "angles.measuring"}
	if got := geo.Ancestors("proofs.reasons"); !slices.Equal(got, want) {
		t.Errorf("geometry Ancestors(proofs.reasons) = %v, want %v", got, want)
	}
}

func demoBank(t *testing.T, id protocol.BankID) *Bank {
	t.Helper()
	for _, b := range Demo() {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf("no demo bank %s", id)
	return nil
}

func ids(items []*Item) []protocol.ItemID {
	var out []protocol.ItemID
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestLookups(t *testing.T) {
	b, err := Parse("t.yaml", []byte(baseBank+`  - id: e
    title: More
    kind: enrichment
    items: [a2]
  - id: p
    title: P
    kind: playlist
    items: [a1]
    enrichment: e
`))
	if err != nil {
		t.Fatal(err)
	}
	if b.Skill("a") == nil || b.Skill("zz") != nil {
		t.Error("Skill lookup")
	}
	if b.Item("a1") == nil || b.Item("zz") != nil {
		t.Error("Item lookup")
	}
	if b.Set("s") == nil || b.Set("zz") != nil {
		t.Error("Set lookup")
	}
	if got, want := ids(b.ItemsOf("a")), []protocol.ItemID{"a1", "a2"}; !slices.Equal(got, want) {
		t.Errorf("ItemsOf(a) = %v, want %v", got, want)
	}
	if got := b.ItemsOf("zz"); got != nil {
		t.Errorf("ItemsOf(zz) = %v, want nil", got)
	}
	if got, want := b.Set("s").Skills, []protocol.SkillID{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("set s Skills = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		set  SetID
		want SetID
	}{{"p", "e"}, {"s", "e"}, {"zz", "e"}} {
		if got := b.EnrichmentFor(tt.set); got == nil || got.ID != tt.want {
			t.Errorf("EnrichmentFor(%s) = %v, want %s", tt.set, got, tt.want)
		}
	}
	base, err := Parse("t.yaml", []byte(baseBank))
	if err != nil {
		t.Fatal(err)
	}
	if got := base.EnrichmentFor("s"); got != nil {
		t.Errorf("EnrichmentFor without enrichment sets = %v, want nil", got)
	}
	if got := b.Item("a2").Answer(); got != "3/4" {
		t.Errorf("Answer() = %q, want 3/4", got)
	}
}

func TestVariants(t *testing.T) {
	geo := demoBank(t, "geometry-7")
	tests := []struct {
		item protocol.ItemID
		want []protocol.ItemID
	}{
		// A family: its other members.
		{"ang.meas.1", []protocol.ItemID{"ang.meas.2", "ang.meas.3"}},
		{"ang.meas.3", []protocol.ItemID{"ang.meas.1", "ang.meas.2"}},
		// No family: the other items of the skill.
		{"ang.comp.5", []protocol.ItemID{"ang.comp.1", "ang.comp.2", "ang.comp.3", "ang.comp.4"}},
		{"nope", nil},
	}
	for _, tt := range tests {
		if got := ids(geo.Variants(tt.item)); !slices.Equal(got, tt.want) {
			t.Errorf("Variants(%s) = %v, want %v", tt.item, got, tt.want)
		}
	}
}

func TestLesson(t *testing.T) {
	b, err := Parse("t.yaml", []byte(baseBank))
	if err != nil {
		t.Fatal(err)
	}
	l, ok := b.Lesson("b")
	if !ok || l.Title != "L" || l.Text != "T" || !slices.Equal(l.Practice, []protocol.ItemID{"b1"}) {
		t.Errorf("Lesson(b) = %+v, %v", l, ok)
	}
	h := l.Help()
	if h.Skill != "b" || h.Title != "L" || !slices.Equal(h.Items, []protocol.ItemID{"b1"}) {
		t.Errorf("Help() = %+v", h)
	}
	// A skill without a lesson still has help: its name and first items.
	l, ok = b.Lesson("a")
	if !ok || l.Title != "A" || l.Text != "" || !slices.Equal(l.Practice, []protocol.ItemID{"a1", "a2"}) {
		t.Errorf("Lesson(a) = %+v, %v", l, ok)
	}
	if _, ok := b.Lesson("zz"); ok {
		t.Error("Lesson(zz) ok")
	}
	l, _ = b.Lesson("b")
	l.Practice[0] = "changed"
	if b.Skill("b").Lesson.Practice[0] != "b1" {
		t.Error("Lesson shares the bank's practice list")
	}
}

// TestDemoShape holds the demo to what the brief of the demo promises:
// every skill has a lesson, items have hints ending in a bottom-out hint,
// most items have a variant, and each unit has each kind of set.
func TestDemoShape(t *testing.T) {
	kinds := map[protocol.ItemKind]int{}
	total := 0
	for _, b := range Demo() {
		for _, s := range b.Skills {
			if s.Lesson == nil || len(s.Lesson.Practice) == 0 {
				t.Errorf("%s: skill %s has no lesson with practice", b.ID, s.ID)
			}
		}
		withVariant := 0
		for _, it := range b.Items {
			kinds[it.Kind]++
			total++
			if n := len(it.Hints); n < 2 || n > 3 {
				t.Errorf("%s: item %s has %d hints, want 2 or 3", b.ID, it.ID, n)
			}
			if it.Family != "" && len(b.Variants(it.ID)) > 0 {
				withVariant++
			}
		}
		if withVariant*10 < len(b.Items)*8 {
			t.Errorf("%s: %d of %d items have a variant in their family, want most", b.ID, withVariant, len(b.Items))
		}
		setKinds := map[SetKind]bool{}
		for _, s := range b.Sets {
			setKinds[s.Kind] = true
		}
		for _, k := range []SetKind{SetPractice, SetPlaylist, SetCheck, SetEnrichment} {
			if !setKinds[k] {
				t.Errorf("%s has no %s set", b.ID, k)
			}
		}
	}
	if total < 70 || kinds[protocol.ItemChoice] == 0 || kinds[protocol.ItemNumeric] == 0 || kinds[protocol.ItemText] == 0 {
		t.Errorf("demo items by kind = %v, %d in all", kinds, total)
	}
	t.Logf("demo items by kind: %v, %d in all", kinds, total)
}
