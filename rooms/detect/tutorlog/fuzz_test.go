package tutorlog

import (
	"encoding/binary"
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
	fuzzFormat(f, DataShop, Options{Model: "Default", Dates: MonthFirst}, tsv(dataShopLog()...), tsv(dataShopLog()[:2]...), []byte("Row\tTime\n1\t2\n"),
		[]byte("\ufeff\"Anon Student ID\"\t\"Time\"\t\"Time Zone\"\t\"Student Response Type\"\t\"Outcome\"\t\"Problem Name\"\t\"Step Name\"\t\"KC(Default)\"\r\n"+
			"\"s\"\t\"1/7/2012 1:00:28 PM\"\t\"America/New_York\"\t\"attempt\"\t\"correct\"\t\"p\"\t\"x\"\t\"a~~b\"\r\n\t\t\t\t\t\t\t\r\n"),
		[]byte("Anon Student Id,Time,Student Response Type,Outcome,Problem Name,Step Name,KC (Default)\rs,2024-02-16 05:34,VIEW_PAGE,,\"p, 1\",,\rs,2024-02-16 05:35,HINT_REQUEST,,\"p, 1\",x,k\r"))
}

func FuzzDataShopUTF16(f *testing.F) {
	fuzzFormat(f, DataShop, Options{Model: "Default", Sample: "All Data"}, utf16Text(binary.LittleEndian, string(tsv(dataShopLog()...))), []byte{0xfe, 0xff, 0, 'R'})
}

func FuzzStudentStep(f *testing.F) {
	row := []string{"1", "All Data", "Stu_a", "Unit 1", "p1", "1", "x1", "", "2024-02-16 05:34:51", "2024-02-16 05:35:51", "2024-02-16 05:35:51", "60", "60", ".", "hint", "1", "2", "1", "", "add~~carry", "1", "0.3"}
	fuzzFormat(f, StudentStep, Options{Dates: DayFirst}, tsv(stepHeader, row), tsv(stepHeader))
}

func FuzzKDD(f *testing.F) {
	fuzzFormat(f, KDD, Options{}, tsv(kddLog()...), tsv(kddLog()[:2]...))
}

func FuzzAssist(f *testing.F) {
	fuzzFormat(f, Assist, Options{Pace: 1000}, []byte("3\n7,7,9,\n1,0,1,\n1\n9\n0\n"), []byte("0\n\n\n"))
}
