package roster

import (
	"archive/zip"
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/classhub/classhub/protocol"
)

// FuzzParseBundle: whatever a school's export holds, reading it ends in
// classes that are valid rosters or in problems that say where, never in
// a panic, and reads the same twice.
func FuzzParseBundle(f *testing.F) {
	b := sampleBundle()
	f.Add(b.Users, b.Classes, b.Enrollments)
	f.Add([]byte(usersHeader+"\n"), []byte(classesHeader+"\n"), []byte(enrollmentsHeader+"\n"))
	f.Add([]byte("sourcedId,givenName\n\"a"), []byte("\xff\xfe"), []byte(""))
	f.Add(csvFile(usersHeader, userLine("u1", "", "student", "Ana", "Lee")),
		csvFile(classesHeader, classLine("c1", "", "", "")),
		csvFile(enrollmentsHeader, enrollmentLine("e1", "", "c1", "u1", "student"), enrollmentLine("e2", "", "c1", "u1", "student")))
	f.Fuzz(func(t *testing.T, users, classes, enrollments []byte) {
		in := Bundle{Users: users, Classes: classes, Enrollments: enrollments}
		got, problems := parseBundle(in)
		lines := map[string]int{
			UsersFile:       bytes.Count(users, []byte("\n")) + bytes.Count(users, []byte("\r")) + 1,
			ClassesFile:     bytes.Count(classes, []byte("\n")) + bytes.Count(classes, []byte("\r")) + 1,
			EnrollmentsFile: bytes.Count(enrollments, []byte("\n")) + bytes.Count(enrollments, []byte("\r")) + 1,
		}
		for _, p := range problems {
			n, ok := lines[p.File]
			if !ok || p.Line < 0 || p.Line > n || p.Message == "" || !utf8.ValidString(p.Message) {
				t.Fatalf("a problem that says nothing usable: %+v", p)
			}
		}
		if len(problems) == 0 {
			for _, c := range got {
				if err := checkRosterName(c.name); err != nil {
					t.Fatalf("class %q read without a problem: %v", c.name, err)
				}
				for _, s := range c.students {
					if err := checkPerson("student", s.given, s.family); err != nil {
						t.Fatalf("student %q %q read without a problem: %v", s.given, s.family, err)
					}
				}
			}
		}
		again, problemsAgain := parseBundle(in)
		if !reflect.DeepEqual(got, again) || !reflect.DeepEqual(problems, problemsAgain) {
			t.Fatal("the same bundle read twice differs")
		}
	})
}

// FuzzReadZip: an upload that is not a sound bundle is refused with an
// error a teacher can read, never a panic.
func FuzzReadZip(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	b := sampleBundle()
	for name, data := range map[string][]byte{UsersFile: b.Users, ClassesFile: b.Classes, EnrollmentsFile: b.Enrollments} {
		w, _ := zw.Create("export/" + name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		done := make(chan struct{})
		go func() { _, err = ReadZip(data); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadZip of %d bytes took over 5 s", len(data))
		}
		if err == nil {
			return
		}
		var ie *ImportError
		var pe *protocol.Error
		if !errors.As(err, &ie) && !errors.As(err, &pe) {
			t.Fatalf("refused with an error of no known kind: %v", err)
		}
		if ie != nil {
			for _, p := range ie.Problems {
				if p.Message == "" || !utf8.ValidString(p.Message) {
					t.Fatalf("a problem that says nothing usable: %+v", p)
				}
			}
		}
	})
}
