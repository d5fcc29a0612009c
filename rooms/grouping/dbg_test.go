package grouping

import (
	"testing"

	"github.com/classhub/classhub/protocol"
)

func TestDebugShow(t *testing.T) {
	st := class(14)
	st[3].Level = -1
	st[5].Present = false
	ints := []string{"rock music", "Rock music", "rock music", "chess", "", "space", "rock music", "chess", "", "dance", "rock music", "rock  music", "", "chess"}
	for i := range st {
		st[i].Interest = ints[i]
		st[i].Choice = ints[(i+3)%len(ints)]
	}
	for _, m := range methods {
		req := protocol.GroupingRequest{Method: m, Size: 4, Seed: 42, Max: 4,
			Apart:    [][]protocol.StudentID{byName(st, "Ana", "Ben"), byName(st, "Fay", "Gus")},
			Together: [][]protocol.StudentID{byName(st, "Cara", "Eli")},
			AvoidRecent: true}
		res, err := Propose(st, req, []Pair{{st[0].ID, st[2].ID}, {st[7].ID, st[8].ID}})
		t.Logf("== %s err=%v", m, err)
		for _, g := range res.Groups {
			var names []string
			for _, id := range g.Members {
				for _, s := range st {
					if s.ID == id {
						names = append(names, s.Name)
					}
				}
			}
			t.Logf("%-14s %v | %s", g.Name, names, g.Reason)
		}
		for _, g := range res.Experts {
			t.Logf("  %s %d | %s", g.Name, len(g.Members), g.Reason)
		}
		for _, n := range res.Notes {
			t.Logf("  note: %s", n)
		}
	}
}
