package detect

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// reader hands out the bytes of a fuzz input, then zeros.
type reader struct{ b []byte }

func (r *reader) byte() int {
	if len(r.b) == 0 {
		return 0
	}
	x := r.b[0]
	r.b = r.b[1:]
	return int(x)
}

func (r *reader) int64() int64 {
	var buf [8]byte
	n := copy(buf[:], r.b)
	r.b = r.b[n:]
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

// small is a signed value near zero, or now and then an extreme.
func (r *reader) small() int64 {
	switch x := r.byte(); x {
	case 255:
		return math.MaxInt64
	case 254:
		return math.MinInt64
	default:
		return int64(x-100) * 1000
	}
}

func (r *reader) prob() float64 {
	switch x := r.byte(); x {
	case 255:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 253:
		return -0.5
	default:
		return float64(x) / 250
	}
}

// decodeCase turns bytes into a student, a graph, thresholds (perhaps
// invalid), flags and a time.
func decodeCase(data []byte) (Student, Graph, Thresholds, []protocol.Flag, int64) {
	r := &reader{data}
	ids := []protocol.SkillID{"a", "b", "c", "d", ""}
	skill := func() protocol.SkillID { return ids[r.byte()%len(ids)] }
	now := r.int64()
	s := Student{ID: "s", Name: "S", Skill: skill(), ActivityOpen: r.byte()%2 == 0, HandUp: r.byte()%3 == 0, HandSince: now + r.small()}
	s.LastAction = now + r.small()
	s.Mastery = map[protocol.SkillID]float64{}
	s.FirstAttempts = map[protocol.SkillID]int{}
	for range r.byte() % 5 {
		s.Mastery[skill()] = r.prob()
		s.FirstAttempts[skill()] = r.byte() - 20
	}
	for range r.byte() % 30 {
		s.Attempts = append(s.Attempts, Attempt{Item: "i", Skill: skill(), Correct: r.byte()%2 == 0, First: r.byte()%2 == 0,
			Hint: r.byte()%5 == 0, Hints: r.byte() - 1, Ms: r.small(), ReadMs: r.small(), At: now + r.small()})
	}
	for range r.byte() % 15 {
		kind := []string{KindAttempt, KindHint, "?"}[r.byte()%3]
		s.Actions = append(s.Actions, Action{Kind: kind, Ms: r.small(), ReadMs: r.small(), At: now + r.small()})
	}
	var g Graph
	if r.byte()%4 != 0 {
		sg := StaticGraph{}
		for range r.byte() % 6 {
			k := skill()
			sk := sg[k]
			sk.Prereqs = append(sk.Prereqs, skill())
			sk.Mastered = r.prob()
			if r.byte()%2 == 0 {
				sk.Lesson = &protocol.Help{Skill: k, Items: []protocol.ItemID{"x"}}
			}
			sg[k] = sk
		}
		g = sg
	}
	th := DefaultThresholds()
	if r.byte()%2 == 0 {
		th.StruggleWindow, th.StruggleMaxCorrect, th.StruggleProblems, th.StruggleClear = r.byte()-5, r.byte()-5, r.byte()-5, r.byte()-5
		th.GamingWindow, th.GamingWatch, th.GamingActNow, th.GamingClear = r.byte()-5, r.byte()-5, r.byte()-5, r.byte()-5
		th.WellWindow, th.WellMinCorrect, th.WellClear = r.byte()-5, r.byte()-5, r.byte()-5
		th.PrereqDepth, th.PrereqWindow, th.PrereqWrong, th.StuckAttempts = r.byte()-5, r.byte()-5, r.byte()-5, r.byte()-5
		th.PrereqMastery, th.StuckMastery = r.prob(), r.prob()
		th.IdleWatchMs, th.IdleActNowMs = r.small(), r.small()
	}
	rules := []protocol.FlagRule{protocol.RuleIdle, protocol.RuleStruggle, protocol.RuleStuck, protocol.RulePrereqGap,
		protocol.RuleGaming, protocol.RuleHelp, protocol.RuleDoingWell, "odd"}
	levels := []protocol.FlagLevel{protocol.LevelInfo, protocol.LevelWatch, protocol.LevelActNow, ""}
	statuses := []protocol.FlagStatus{protocol.FlagOpen, protocol.FlagAcked, protocol.FlagSnoozed, protocol.FlagResolved, protocol.FlagCleared, "?"}
	var flags []protocol.Flag
	for i := range r.byte() % 5 {
		flags = append(flags, protocol.Flag{
			ID: protocol.FlagID(string(rune('A' + i))), Student: "s",
			Rule: rules[r.byte()%len(rules)], Level: levels[r.byte()%len(levels)], Status: statuses[r.byte()%len(statuses)],
			Opened: now + r.small(), Updated: now + r.small(), Snooze: now + r.small(), Need: r.prob(),
		})
	}
	return s, g, th, flags, now
}

// FuzzEvaluate checks that no history, graph or thresholds make the
// detectors or the policy panic, or produce what cannot be sent.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x01\x02\x00\x01\x64\x64\x04\x02\x30\x03\x10"))
	f.Add([]byte("some bytes to start from, with a few more of them here and there........"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, g, th, flags, now := decodeCase(data)
		fs := Evaluate(s, g, th, now)
		seen := map[protocol.FlagRule]bool{}
		for _, f := range fs {
			if seen[f.Rule] {
				t.Fatalf("two findings of %s", f.Rule)
			}
			seen[f.Rule] = true
			if math.IsNaN(f.Need) || math.IsInf(f.Need, 0) {
				t.Fatalf("%s: need %v", f.Rule, f.Need)
			}
		}
		n := 0
		cs := Reconcile(flags, fs, now, func() protocol.FlagID { n++; return protocol.FlagID(string(rune('a' + n))) })
		if _, err := json.Marshal(fs); err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if math.IsNaN(c.Flag.Need) && c.Kind == ChangeOpen {
				t.Fatalf("opened with need NaN")
			}
		}
		Queue(apply(flags, cs), now)
		Wake(flags, now)
		th.NextCheck(s, now)
		_ = th.Validate()
	})
}
