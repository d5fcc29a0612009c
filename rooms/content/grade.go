package content

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// MaxResponse is the longest response Grade takes, in characters: every
// answer of a bank is short, and a longer response is a paste or an attack.
const MaxResponse = 200

// Errors of Grade: the response could not be graded at all.
var (
	ErrResponseTooLong = errors.New("the answer is too long: at most 200 characters")
	ErrResponseNotUTF8 = errors.New("the answer is not valid text")
)

// Grade says whether response answers item, and gives the response in a
// normal form to record:
//
//   - choice: the response is the index of a choice as a decimal ("2",
//     counting from 0, which is what clients send) or else a choice's
//     text; normalized is the chosen choice's text.
//   - numeric: a number, "12", "-3.5", "1,5" (decimal comma), "1/2" or
//     "2 1/2", optionally followed by a unit ("12 cm"), within the item's
//     tolerance; normalized is the number without its unit. "1,000" is
//     read both as 1 and as 1000, and is right if either is.
//   - text: one of the accepted answers, ignoring case, the spaces around
//     it and how many spaces separate its words; normalized has its
//     spaces tidied.
//
// A response that means nothing (no such choice, not a number) is wrong,
// not an error, and is normalized as given. err is only for a response
// that is not valid UTF-8 or longer than MaxResponse characters.
func Grade(it *Item, response string) (correct bool, normalized string, err error) {
	if !utf8.ValidString(response) {
		return false, "", ErrResponseNotUTF8
	}
	if utf8.RuneCountInString(response) > MaxResponse {
		return false, "", ErrResponseTooLong
	}
	r := normalizeText(response)
	switch it.Kind {
	case protocol.ItemChoice:
		j := -1
		if n, err := strconv.Atoi(r); err == nil && isDigits(r) && n < len(it.Choices) {
			j = n
		} else {
			j = choiceIndex(it.Choices, r)
		}
		if j < 0 {
			return false, r, nil
		}
		return j == it.Correct, it.Choices[j], nil
	case protocol.ItemNumeric:
		cands, ok := scanResponse(r)
		if !ok {
			return false, r, nil
		}
		for _, c := range cands {
			if near(c.value, it.Value, it.Tolerance) {
				return true, c.text, nil
			}
		}
		return false, cands[0].text, nil
	case protocol.ItemText:
		for _, a := range it.Accept {
			if strings.EqualFold(normalizeText(a), r) {
				return true, r, nil
			}
		}
		return false, r, nil
	}
	return false, r, nil
}

// near reports whether got is within tol of want, allowing for the
// rounding of binary floating point ("0.1 + 0.2").
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol+1e-9*math.Max(1, math.Abs(want))
}

// normalizeText trims s and turns each run of spaces inside it into one
// space.
func normalizeText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// number is one reading of a written number.
type number struct {
	value float64
	text  string // the number in a normal form: "-3.5", "1/2", "2 1/2"
}

// parseNumber reads s as exactly one number, with no unit: how a bank
// writes a numeric answer.
func parseNumber(s string) (number, bool) {
	cands, rest, ok := scanNumber(strings.TrimSpace(s))
	if !ok || rest != "" || len(cands) != 1 {
		return number{}, false
	}
	return cands[0], true
}

// scanResponse reads a response as a number and an optional unit. It
// gives two readings for "1,000", which is 1 to some and 1000 to others.
func scanResponse(s string) ([]number, bool) {
	cands, rest, ok := scanNumber(s)
	if !ok || !unitText(rest) {
		return nil, false
	}
	return cands, true
}

// unitText reports whether rest can be the unit after a number: empty, or
// text that starts with neither a digit nor number punctuation and has
// no word that starts with a digit, so that "12 cm" and "5 m2" are
// numbers with a unit but "12 or 13" and "1.2.3" are not numbers.
func unitText(rest string) bool {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true
	}
	if strings.ContainsRune("0123456789.,/+-−", []rune(rest)[0]) {
		return false
	}
	for _, w := range strings.Fields(rest) {
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// scanNumber reads a number at the start of s: an optional sign and
// currency symbol, then a decimal (with a point or a comma, and commas
// between thousands), a fraction or a mixed number. It returns the
// readings of the number and the text after it.
func scanNumber(s string) (cands []number, rest string, ok bool) {
	neg, sawSign, sawCurrency := false, false, false
prefix:
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case !sawSign && (r == '-' || r == '−' || r == '+'):
			neg, sawSign = r != '+', true
		case !sawCurrency && strings.ContainsRune("$€£¥", r):
			sawCurrency = true
		default:
			break prefix
		}
		s = s[size:]
	}
	whole, s := digits(s)
	sign := ""
	if neg {
		sign = "-"
	}
	// A fraction, "3/4" or "3 / 4".
	if whole != "" {
		if f, ok := fraction(whole, s); ok {
			v := f.value
			if neg {
				v = -v
			}
			return []number{{v, sign + f.text}}, f.rest, true
		}
	}
	// A mixed number, "2 3/4".
	if whole != "" && strings.HasPrefix(s, " ") {
		if num, t := digits(strings.TrimLeft(s, " ")); num != "" {
			if f, ok := fraction(num, t); ok {
				w, _ := strconv.ParseFloat(whole, 64)
				v := w + f.value
				if neg {
					v = -v
				}
				return []number{{v, sign + trimZeros(whole) + " " + f.text}}, f.rest, finite(v)
			}
		}
	}
	// Thousands separated by commas: "1,234,567" or "1,234.5" only; a
	// single ",ddd" is ambiguous and read both ways below.
	intPart := whole
	groups := 0
	if len(whole) >= 1 && len(whole) <= 3 && whole[0] != '0' {
		t := s
		var g []string
		for len(t) >= 4 && t[0] == ',' && isDigits(t[1:4]) && (len(t) == 4 || t[4] < '0' || t[4] > '9') {
			g = append(g, t[1:4])
			t = t[4:]
		}
		if len(g) >= 2 || (len(g) == 1 && strings.HasPrefix(t, ".")) {
			intPart, s, groups = whole+strings.Join(g, ""), t, len(g)
		}
	}
	frac := ""
	comma := false
	if s != "" && (s[0] == '.' || (s[0] == ',' && groups == 0)) {
		f, t := digits(s[1:])
		if f != "" || s[0] == '.' {
			comma = s[0] == ','
			frac, s = f, t
			if f == "" && intPart == "" {
				return nil, "", false
			}
			if f == "" {
				frac = "0"
			}
		}
	}
	if intPart == "" && frac == "" {
		return nil, "", false
	}
	lit := intPart
	if lit == "" {
		lit = "0"
	}
	if frac != "" {
		lit += "." + frac
	}
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil || !finite(v) {
		return nil, "", false
	}
	if neg {
		v = -v
	}
	cands = []number{{v, decimalText(neg, intPart, frac)}}
	if comma && len(frac) == 3 && len(intPart) <= 3 && intPart != "" && intPart[0] != '0' {
		alt, _ := strconv.ParseFloat(intPart+frac, 64)
		if neg {
			alt = -alt
		}
		cands = append(cands, number{alt, decimalText(neg, intPart+frac, "")})
	}
	return cands, s, true
}

// fractionPart is a fraction read after its numerator.
type fractionPart struct {
	value float64
	text  string // "3/4"
	rest  string // what follows the denominator
}

// fraction reads "/ d" after a numerator num. The denominator must not
// be zero.
func fraction(num, s string) (fractionPart, bool) {
	t := strings.TrimLeft(s, " ")
	if !strings.HasPrefix(t, "/") {
		return fractionPart{}, false
	}
	den, t := digits(strings.TrimLeft(t[1:], " "))
	if den == "" {
		return fractionPart{}, false
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 || !finite(n/d) {
		return fractionPart{}, false
	}
	return fractionPart{n / d, trimZeros(num) + "/" + trimZeros(den), t}, true
}

// digits splits the leading ASCII digits off s.
func digits(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// trimZeros drops leading zeros, keeping one digit.
func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// decimalText writes a decimal exactly as typed, less its noise: no
// leading zeros, no trailing zeros after the point, no "-0". Keeping the
// digits rather than formatting the float keeps what the student wrote.
func decimalText(neg bool, intPart, frac string) string {
	intPart = trimZeros(intPart)
	frac = strings.TrimRight(frac, "0")
	s := intPart
	if frac != "" {
		s += "." + frac
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}

// formatNumber writes v plainly, without an exponent ("1000000",
// "0.25"), so that Grade reads it back.
func formatNumber(v float64) string {
	if v == 0 {
		return "0" // and not "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// View is item as a student sees it: never its answer, its hints' text
// or its explanation.
func View(it *Item) protocol.ItemView {
	return protocol.ItemView{
		ID:      it.ID,
		Skill:   it.Skill,
		Kind:    it.Kind,
		Prompt:  it.Prompt,
		Choices: append([]string(nil), it.Choices...),
		Unit:    it.Unit,
		Hints:   len(it.Hints),
	}
}

// Reading-time estimates, the least time a deliberate read takes; see
// docs/CONTENT.md for why these numbers.
const (
	ReadMsPerWord = 150  // 400 words a minute: faster is skimming
	ReadFloorMs   = 2000 // the least for an item, however short
	HintFloorMs   = 1000 // the least for a hint, however short
)

// ReadMs is the least time in milliseconds a student who reads item
// deliberately spends before answering: read_seconds when the bank gives
// it, else ReadMsPerWord for each word of the prompt and the choices,
// and at least ReadFloorMs. An answer faster than that is a guess.
func ReadMs(it *Item) int64 {
	if it.ReadSeconds > 0 {
		return int64(math.Round(it.ReadSeconds * 1000))
	}
	words := len(strings.Fields(it.Prompt))
	for _, c := range it.Choices {
		words += len(strings.Fields(c))
	}
	return max(ReadFloorMs, ReadMsPerWord*int64(words))
}

// HintReadMs is the least time in milliseconds a deliberate read of
// item's hint i (from 0) takes: ReadMsPerWord a word, at least
// HintFloorMs. Asking for the next hint sooner is skipping through the
// hints to the answer. It is 0 for a hint the item does not have.
func HintReadMs(it *Item, i int) int64 {
	if i < 0 || i >= len(it.Hints) {
		return 0
	}
	return max(HintFloorMs, ReadMsPerWord*int64(len(strings.Fields(it.Hints[i]))))
}
