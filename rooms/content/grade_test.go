package content

import (
	"errors"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

func TestGradeChoice(t *testing.T) {
	it := &Item{Kind: protocol.ItemChoice, Choices: []string{"SSS", "SAS", "ASA", "Not enough  information"}, Correct: 1}
	numbers := &Item{Kind: protocol.ItemChoice, Choices: []string{"3", "2", "1"}, Correct: 0}
	tests := []struct {
		name     string
		it       *Item
		response string
		correct  bool
		norm     string
	}{
		{"index", it, "1", true, "SAS"},
		{"index with spaces", it, " 1 ", true, "SAS"},
		{"leading zero", it, "01", true, "SAS"},
		{"wrong index", it, "0", false, "SSS"},
		{"index out of range", it, "4", false, "4"},
		{"negative", it, "-1", false, "-1"},
		{"plus sign is not an index", it, "+1", false, "+1"},
		{"huge index", it, "99999999999999999999999", false, "99999999999999999999999"},
		{"text", it, "SAS", true, "SAS"},
		{"text any case", it, "sas", true, "SAS"},
		{"wrong text", it, "asa", false, "ASA"},
		{"text with tidied spaces", it, "not   enough information ", false, "Not enough  information"},
		{"no such choice", it, "AAA", false, "AAA"},
		{"empty", it, "", false, ""},
		{"digits are indices first", numbers, "0", true, "3"},
		{"the text 3 is index 3, out of range, so the text", numbers, "3", true, "3"},
		{"the text 1 is index 1", numbers, "1", false, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			correct, norm, err := Grade(tt.it, tt.response)
			if err != nil || correct != tt.correct || norm != tt.norm {
				t.Errorf("Grade(%q) = %v, %q, %v; want %v, %q, nil", tt.response, correct, norm, err, tt.correct, tt.norm)
			}
		})
	}
}

func TestGradeNumeric(t *testing.T) {
	half := &Item{Kind: protocol.ItemNumeric, Value: 0.5, ValueText: "1/2"}
	tests := []struct {
		name     string
		it       *Item
		response string
		correct  bool
		norm     string
	}{
		{"integer", &Item{Kind: protocol.ItemNumeric, Value: 12}, "12", true, "12"},
		{"trailing zero", &Item{Kind: protocol.ItemNumeric, Value: 12}, "12.0", true, "12"},
		{"trailing point", &Item{Kind: protocol.ItemNumeric, Value: 12}, "12.", true, "12"},
		{"plus sign", &Item{Kind: protocol.ItemNumeric, Value: 12}, "+12", true, "12"},
		{"wrong", &Item{Kind: protocol.ItemNumeric, Value: 12}, "13", false, "13"},
		{"fraction", half, "1/2", true, "1/2"},
		{"fraction with spaces", half, " 1 / 2 ", true, "1/2"},
		{"equivalent fraction", half, "2/4", true, "2/4"},
		{"leading zeros", half, "01/02", true, "1/2"},
		{"decimal", half, "0.5", true, "0.5"},
		{"no leading zero", half, ".5", true, "0.5"},
		{"zeros trimmed", half, "000.500", true, "0.5"},
		{"tiny", &Item{Kind: protocol.ItemNumeric, Value: 1e-7}, ",0000001", true, "0.0000001"},
		{"many digits kept", &Item{Kind: protocol.ItemNumeric, Value: 12345678901234567890}, "12345678901234567890", true, "12345678901234567890"},
		{"decimal comma", half, "0,5", true, "0.5"},
		{"comma no leading zero", half, ",5", true, "0.5"},
		{"zero denominator", half, "1/0", false, "1/0"},
		{"negative", &Item{Kind: protocol.ItemNumeric, Value: -3.5}, "-3.5", true, "-3.5"},
		{"unicode minus", &Item{Kind: protocol.ItemNumeric, Value: -3.5}, "−3,5", true, "-3.5"},
		{"negative fraction", &Item{Kind: protocol.ItemNumeric, Value: -0.75}, "-3/4", true, "-3/4"},
		{"sign matters", &Item{Kind: protocol.ItemNumeric, Value: -3.5}, "3.5", false, "3.5"},
		{"mixed number", &Item{Kind: protocol.ItemNumeric, Value: 2.75}, "2 3/4", true, "2 3/4"},
		{"negative mixed number", &Item{Kind: protocol.ItemNumeric, Value: -2.75}, "-2 3/4", true, "-2 3/4"},
		{"mixed number with unit", &Item{Kind: protocol.ItemNumeric, Value: 2.75}, "2 3/4 cups", true, "2 3/4"},
		{"unit", &Item{Kind: protocol.ItemNumeric, Value: 12}, "12 cm", true, "12"},
		{"unit stuck on", &Item{Kind: protocol.ItemNumeric, Value: 72}, "72°", true, "72"},
		{"unit with a digit", &Item{Kind: protocol.ItemNumeric, Value: 5}, "5 m2", true, "5"},
		{"percent", &Item{Kind: protocol.ItemNumeric, Value: 50}, "50%", true, "50"},
		{"currency", &Item{Kind: protocol.ItemNumeric, Value: 12.5}, "$12.50", true, "12.5"},
		{"negative currency", &Item{Kind: protocol.ItemNumeric, Value: -4}, "-$4", true, "-4"},
		{"two numbers", &Item{Kind: protocol.ItemNumeric, Value: 12}, "12 or 13", false, "12 or 13"},
		{"two points", &Item{Kind: protocol.ItemNumeric, Value: 1.2}, "1.2.3", false, "1.2.3"},
		{"fraction of fractions", half, "1/2/3", false, "1/2/3"},
		{"space thousands", &Item{Kind: protocol.ItemNumeric, Value: 1000}, "1 000", false, "1 000"},
		{"thousands", &Item{Kind: protocol.ItemNumeric, Value: 1234567}, "1,234,567", true, "1234567"},
		{"thousands and decimals", &Item{Kind: protocol.ItemNumeric, Value: 1234.5}, "1,234.5", true, "1234.5"},
		{"ambiguous comma read as thousands", &Item{Kind: protocol.ItemNumeric, Value: 1000}, "1,000", true, "1000"},
		{"ambiguous comma read as decimal", &Item{Kind: protocol.ItemNumeric, Value: 1}, "1,000", true, "1"},
		{"ambiguous comma neither", &Item{Kind: protocol.ItemNumeric, Value: 7}, "1,000", false, "1"},
		{"not a number", &Item{Kind: protocol.ItemNumeric, Value: 12}, "twelve", false, "twelve"},
		{"word before", &Item{Kind: protocol.ItemNumeric, Value: 12}, "x = 12", false, "x = 12"},
		{"sign alone", &Item{Kind: protocol.ItemNumeric, Value: 0}, "-", false, "-"},
		{"point alone", &Item{Kind: protocol.ItemNumeric, Value: 0}, ".", false, "."},
		{"empty", &Item{Kind: protocol.ItemNumeric, Value: 0}, "", false, ""},
		{"minus zero", &Item{Kind: protocol.ItemNumeric, Value: 0}, "-0", true, "0"},
		{"within tolerance", &Item{Kind: protocol.ItemNumeric, Value: 5.0 / 7, Tolerance: 0.001}, "0.714", true, "0.714"},
		{"outside tolerance", &Item{Kind: protocol.ItemNumeric, Value: 5.0 / 7, Tolerance: 0.001}, "0.71", false, "0.71"},
		{"tolerance edge", &Item{Kind: protocol.ItemNumeric, Value: 10, Tolerance: 0.1}, "10.1", true, "10.1"},
		{"float rounding", &Item{Kind: protocol.ItemNumeric, Value: 0.3}, "0.30000000000000004", true, "0.30000000000000004"},
		{"thirds exact", &Item{Kind: protocol.ItemNumeric, Value: 1.0 / 3}, "2/6", true, "2/6"},
		{"big", &Item{Kind: protocol.ItemNumeric, Value: 1e15}, "1000000000000000", true, "1000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			correct, norm, err := Grade(tt.it, tt.response)
			if err != nil || correct != tt.correct || norm != tt.norm {
				t.Errorf("Grade(%q) = %v, %q, %v; want %v, %q, nil", tt.response, correct, norm, err, tt.correct, tt.norm)
			}
		})
	}
}

func TestGradeText(t *testing.T) {
	it := &Item{Kind: protocol.ItemText, Accept: []string{"right angle", "Right"}}
	tests := []struct {
		response string
		correct  bool
		norm     string
	}{
		{"right angle", true, "right angle"},
		{"  Right   Angle ", true, "Right Angle"},
		{"RIGHT", true, "RIGHT"},
		{"right\tangle", true, "right angle"},
		{"rightangle", false, "rightangle"},
		{"a right angle", false, "a right angle"},
		{"", false, ""},
		{"ríght", false, "ríght"},
	}
	for _, tt := range tests {
		correct, norm, err := Grade(it, tt.response)
		if err != nil || correct != tt.correct || norm != tt.norm {
			t.Errorf("Grade(%q) = %v, %q, %v; want %v, %q, nil", tt.response, correct, norm, err, tt.correct, tt.norm)
		}
	}
}

func TestGradeErrors(t *testing.T) {
	items := []*Item{
		{Kind: protocol.ItemChoice, Choices: []string{"a", "b"}},
		{Kind: protocol.ItemNumeric, Value: 1},
		{Kind: protocol.ItemText, Accept: []string{"a"}},
	}
	tests := []struct {
		name     string
		response string
		err      error
	}{
		{"200 characters", strings.Repeat("é", MaxResponse), nil},
		{"201 characters", strings.Repeat("é", MaxResponse+1), ErrResponseTooLong},
		{"201 spaces", strings.Repeat(" ", MaxResponse+1), ErrResponseTooLong},
		{"not UTF-8", "1\xff", ErrResponseNotUTF8},
		{"long and not UTF-8", strings.Repeat("\xff", 300), ErrResponseNotUTF8},
	}
	for _, it := range items {
		for _, tt := range tests {
			correct, _, err := Grade(it, tt.response)
			if !errors.Is(err, tt.err) || (err != nil && correct) {
				t.Errorf("%s %s: Grade = %v, %v; want false, %v", it.Kind, tt.name, correct, err, tt.err)
			}
		}
	}
}

func TestView(t *testing.T) {
	it := &Item{ID: "i", Skill: "s", Kind: protocol.ItemChoice, Prompt: "P", Choices: []string{"a", "b"}, Correct: 1,
		Hints: []string{"h1", "answer b"}, Explanation: "because b", Unit: ""}
	v := View(it)
	want := protocol.ItemView{ID: "i", Skill: "s", Kind: protocol.ItemChoice, Prompt: "P", Choices: []string{"a", "b"}, Hints: 2}
	if v.ID != want.ID || v.Skill != want.Skill || v.Kind != want.Kind || v.Prompt != want.Prompt || v.Hints != want.Hints ||
		strings.Join(v.Choices, ",") != "a,b" || v.Unit != "" || v.Reason != "" {
		t.Errorf("View = %+v, want %+v", v, want)
	}
	v.Choices[0] = "changed"
	if it.Choices[0] != "a" {
		t.Error("View shares the item's choices")
	}
	n := View(&Item{Kind: protocol.ItemNumeric, Value: 72, ValueText: "72", Unit: "°", Hints: []string{"h"}})
	if n.Unit != "°" || n.Choices != nil {
		t.Errorf("numeric View = %+v", n)
	}
}

func TestReadMs(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
	tests := []struct {
		name string
		it   *Item
		want int64
	}{
		{"short prompt gets the floor", &Item{Prompt: "2 + 2?"}, ReadFloorMs},
		{"per word", &Item{Prompt: words(20)}, 20 * ReadMsPerWord},
		{"choices count", &Item{Prompt: words(10), Choices: []string{words(3), words(3), words(4)}}, 20 * ReadMsPerWord},
		{"read_seconds wins", &Item{Prompt: words(100), ReadSeconds: 4.5}, 4500},
	}
	for _, tt := range tests {
		if got := ReadMs(tt.it); got != tt.want {
			t.Errorf("%s: ReadMs = %d, want %d", tt.name, got, tt.want)
		}
	}
	it := &Item{Hints: []string{"short", words(30)}}
	for i, want := range []int64{HintFloorMs, 30 * ReadMsPerWord, 0} {
		if got := HintReadMs(it, i); got != want {
			t.Errorf("HintReadMs(%d) = %d, want %d", i, got, want)
		}
	}
	if got := HintReadMs(it, -1); got != 0 {
		t.Errorf("HintReadMs(-1) = %d, want 0", got)
	}
}
