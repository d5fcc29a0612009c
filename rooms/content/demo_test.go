package content

import (
	"strconv"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// TestDemoParses fails on any problem of an embedded demo bank: Demo
// would panic in the server.
func TestDemoParses(t *testing.T) {
	banks := Demo()
	if len(banks) != 2 {
		t.Fatalf("Demo() has %d banks, want 2", len(banks))
	}
	for _, b := range banks {
		t.Logf("%s: %d skills, %d items, %d sets", b.ID, len(b.Skills), len(b.Items), len(b.Sets))
	}
}

// TestDemoAnswers grades every demo item's own answer, and every wrong
// choice, so that no answer key is wrong.
func TestDemoAnswers(t *testing.T) {
	for _, b := range Demo() {
		for _, it := range b.Items {
			var rights []string
			switch it.Kind {
			case protocol.ItemChoice:
				rights = []string{strconv.Itoa(it.Correct), it.Choices[it.Correct]}
				for j, c := range it.Choices {
					if j == it.Correct {
						continue
					}
					for _, wrong := range []string{strconv.Itoa(j), c} {
						if ok, _, err := Grade(it, wrong); ok || err != nil {
							t.Errorf("%s %s: Grade(%q) = %v, %v; want wrong", b.ID, it.ID, wrong, ok, err)
						}
					}
				}
			case protocol.ItemNumeric:
				rights = []string{it.ValueText, formatNumber(it.Value)}
				if it.Unit != "" {
					rights = append(rights, it.ValueText+" "+it.Unit)
				}
			case protocol.ItemText:
				rights = it.Accept
			}
			rights = append(rights, it.Answer())
			for _, r := range rights {
				if ok, _, err := Grade(it, r); !ok || err != nil {
					t.Errorf("%s %s: Grade(%q) = %v, %v; want right", b.ID, it.ID, r, ok, err)
				}
			}
		}
	}
}
