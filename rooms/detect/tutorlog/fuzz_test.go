package tutorlog

import (
	"errors"
	"testing"
)

// The readers take any bytes: they return actions that make sense or an
// Error that says where, and never panic.
func fuzzFormat(f *testing.F, format string, o Options, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		log, err := Read(format, "f", data, o)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 0 || e.What == "" {
				t.Fatalf("error without a place: %v", err)
			}
			return
		}
		for _, a := range log.Actions {
			if a.Student == "" || a.Skill == "" || a.Step == "" || a.Problem == "" || a.Line < 2 && format != Assist {
				t.Fatalf("action without a student, skill, step or line: %+v", a)
			}
			if a.Hint && a.Correct {
				t.Fatalf("a hint that is correct: %+v", a)
			}
		}
	})
}

func FuzzDataShop(f *testing.F) {
	fuzzFormat(f, DataShop, Options{Model: "Default"}, tsv(dataShopLog()...), tsv(dataShopLog()[:2]...), []byte("Row\tTime\n1\t2\n"))
}

func FuzzKDD(f *testing.F) {
	fuzzFormat(f, KDD, Options{}, tsv(kddLog()...), tsv(kddLog()[:2]...))
}

func FuzzAssist(f *testing.F) {
	fuzzFormat(f, Assist, Options{Pace: 1000}, []byte("3\n7,7,9,\n1,0,1,\n1\n9\n0\n"), []byte("0\n\n\n"))
}
