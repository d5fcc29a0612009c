package content

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// FuzzParse: Parse never panics; a bank it accepts passes its checks
// again and grades its own answers right; a bank it refuses has problems
// that each name the file and a line.
func FuzzParse(f *testing.F) {
	// The demo banks are not seeds: the fuzzer spends its time shrinking
	// inputs that large. TestParseProperties runs them through the same
	// checks.
	f.Add([]byte(baseBank))
	f.Add([]byte(graphBank([][2]string{{"a", "c"}, {"b", "a"}, {"c", "b"}})))
	f.Add([]byte("bank: &a x\ntitle: *a\n"))
	f.Add([]byte("[a, b\n"))
	f.Add([]byte("bank: t\n---\nbank: u\n"))
	f.Add([]byte(strings.Replace(baseBank, "answer: 3/4", "answer: 1,5", 1)))
	f.Fuzz(parseProperties)
}

// TestParseProperties holds the demo banks to FuzzParse's properties.
func TestParseProperties(t *testing.T) {
	for _, data := range DemoFiles() {
		parseProperties(t, data)
	}
}

func parseProperties(t *testing.T, data []byte) {
	b, err := Parse("f.yaml", data)
	if err == nil {
		p := &parser{file: "f.yaml", at: map[ref]pos{}, bad: map[ref]bool{}}
		p.check(b)
		if len(p.probs) > 0 {
			t.Fatalf("an accepted bank fails its checks again: %v", (&Errors{p.probs}).Error())
		}
		for _, it := range b.Items {
			if ok, _, err := Grade(it, gradeable(it)); !ok || err != nil {
				t.Fatalf("item %s: its own answer %q grades %v, %v", it.ID, gradeable(it), ok, err)
			}
			_ = View(it)
			if ReadMs(it) <= 0 {
				t.Fatalf("item %s: ReadMs = %d", it.ID, ReadMs(it))
			}
		}
		for _, s := range b.Skills {
			b.Ancestors(s.ID)
			if _, ok := b.Lesson(s.ID); !ok {
				t.Fatalf("skill %s has no lesson", s.ID)
			}
		}
		return
	}
	var perr *Errors
	if !errors.As(err, &perr) || len(perr.Problems) == 0 {
		t.Fatalf("error %v is not a list of problems", err)
	}
	for _, p := range perr.Problems {
		if p.Line < 1 || p.Col < 0 || p.File != "f.yaml" || p.Msg == "" {
			t.Fatalf("problem without a place: %+v", p)
		}
	}
}

// gradeable is an item's own answer as a student would type it.
func gradeable(it *Item) string {
	switch it.Kind {
	case protocol.ItemChoice:
		return strconv.Itoa(it.Correct) // what clients send
	case protocol.ItemNumeric:
		return it.ValueText
	}
	return it.Accept[0]
}

// FuzzGrade: Grade never panics, errs only on what it documents, and
// for numeric and text items grades its own normal form as it graded
// the response.
func FuzzGrade(f *testing.F) {
	items := []*Item{
		{Kind: protocol.ItemChoice, Choices: []string{"3", "2", "SAS", "not  enough"}, Correct: 2},
		{Kind: protocol.ItemNumeric, Value: 0.75, ValueText: "3/4"},
		{Kind: protocol.ItemNumeric, Value: 1000, ValueText: "1000", Tolerance: 0.5},
		{Kind: protocol.ItemNumeric, Value: -2.5, ValueText: "-2 1/2"},
		{Kind: protocol.ItemText, Accept: []string{"right angle", "4 1/6"}},
	}
	for _, s := range []string{"1", "3/4", "0,75", "1,000", "-2 1/2 cm", "$-2.5", "Right  Angle", "4 1/6", " ", "\xff", "1/0", ".", "-", "1,234.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, response string) {
		for _, it := range items {
			correct, norm, err := Grade(it, response)
			bad := !utf8.ValidString(response) || utf8.RuneCountInString(response) > MaxResponse
			if (err != nil) != bad {
				t.Fatalf("Grade(%q) err = %v", response, err)
			}
			if err != nil {
				continue
			}
			if it.Kind == protocol.ItemChoice {
				if correct && norm != it.Choices[it.Correct] {
					t.Fatalf("Grade(%q) right but normalized %q", response, norm)
				}
				continue
			}
			if utf8.RuneCountInString(norm) > MaxResponse {
				continue // ",5" → "0.5": a 200-character response can normalize to 201
			}
			again, norm2, err := Grade(it, norm)
			if err != nil || again != correct || norm2 != norm {
				t.Fatalf("%s: Grade(%q) = %v, %q but Grade(%q) = %v, %q, %v", it.Kind, response, correct, norm, norm, again, norm2, err)
			}
		}
	})
}
