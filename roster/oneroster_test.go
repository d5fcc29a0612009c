package roster

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// The headers of OneRoster 1.1 CSV files, in the specification's order.
const (
	usersHeader       = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password"
	classesHeader     = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"
	enrollmentsHeader = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate"
)

func userLine(id, status, role, given, family string) string {
	return strings.Join([]string{id, status, "2026-09-01", "true", "org1", role, id + "@school.example", "", given, family, "", "", "", "", "", "", "07", ""}, ",")
}

func classLine(id, status, title, code string) string {
	return strings.Join([]string{id, status, "2026-09-01", title, "07", "course1", code, "scheduled", "", "org1", "term1", "", "", "1"}, ",")
}

func enrollmentLine(id, status, class, user, role string) string {
	return strings.Join([]string{id, status, "2026-09-01", class, "org1", user, role, "false", "", ""}, ",")
}

func csvFile(header string, rows ...string) []byte {
	return []byte(header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n")
}

// sampleBundle: two classes of students, with a teacher, rows to delete,
// a duplicate enrollment and a class to delete.
func sampleBundle() Bundle {
	return Bundle{
		Users: csvFile(usersHeader,
			userLine("t1", "active", "teacher", "Ada", "Rivera"),
			userLine("s1", "active", "student", "Olivia", "Smith"),
			userLine("s2", "", "student", "Sam", "Kim"),
			userLine("s3", "active", "student", "Sam", "Park"),
			userLine("s4", "tobedeleted", "student", "Noah", "Brown"),
			userLine("s5", "active", "student", "Mia", "Jones"),
		),
		Classes: csvFile(classesHeader,
			classLine("c1", "active", "7B maths", "MATH7B"),
			classLine("c2", "active", "", "SCI6A"),
			classLine("c3", "tobedeleted", "Old class", "OLD"),
		),
		Enrollments: csvFile(enrollmentsHeader,
			enrollmentLine("e1", "active", "c1", "t1", "teacher"),
			enrollmentLine("e2", "active", "c1", "s1", "student"),
			enrollmentLine("e3", "active", "c1", "s2", "student"),
			enrollmentLine("e4", "active", "c1", "s3", "student"),
			enrollmentLine("e5", "active", "c1", "s4", "student"),
			enrollmentLine("e6", "active", "c2", "s5", "student"),
			enrollmentLine("e7", "active", "c2", "s1", "student"),
			enrollmentLine("e8", "active", "c1", "s2", "student"),
			enrollmentLine("e9", "tobedeleted", "c2", "s2", "student"),
			enrollmentLine("e10", "active", "c3", "s1", "student"),
		),
	}
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type brief struct{ name, sourced string }

func briefs(r Roster) []brief {
	var out []brief
	for _, s := range r.Students {
		out = append(out, brief{s.Name, s.SourcedID})
	}
	return out
}

func equalBriefs(a, b []brief) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImport(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	res, err := s.Import(ctx, teacher, sampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || res.Updated != 0 || len(res.Rosters) != 2 {
		t.Fatalf("import: %+v", res)
	}
	maths, sci := res.Rosters[0], res.Rosters[1]
	if maths.Name != "7B maths" || maths.SourcedID != "c1" || sci.Name != "SCI6A" || sci.SourcedID != "c2" {
		t.Fatalf("rosters %q (%s) and %q (%s)", maths.Name, maths.SourcedID, sci.Name, sci.SourcedID)
	}
	if got, want := briefs(maths), []brief{{"Olivia", "s1"}, {"Sam K.", "s2"}, {"Sam P.", "s3"}}; !equalBriefs(got, want) {
		t.Fatalf("7B maths: %v, want %v", got, want)
	}
	if got, want := briefs(sci), []brief{{"Mia", "s5"}, {"Olivia", "s1"}}; !equalBriefs(got, want) {
		t.Fatalf("SCI6A: %v, want %v", got, want)
	}
	checkCodes(t, maths)
	checkCodes(t, sci)
	if maths.Students[0].ID == sci.Students[1].ID {
		t.Fatal("one student on two rosters has one ID: a roster student is one per roster")
	}
	list, err := s.List(ctx, teacher)
	if err != nil || len(list) != 2 {
		t.Fatalf("list after import: %+v %v", list, err)
	}

	// The same bundle again changes nothing but the update times.
	again, err := s.Import(ctx, teacher, sampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	if again.Created != 0 || again.Updated != 2 {
		t.Fatalf("re-import: created %d updated %d, want 0 and 2", again.Created, again.Updated)
	}
	for i, r := range again.Rosters {
		if r.ID != res.Rosters[i].ID || !slicesEqual(r.Students, res.Rosters[i].Students) {
			t.Fatalf("re-import of %s:\n%+v\nwas\n%+v", r.Name, r.Students, res.Rosters[i].Students)
		}
	}
	if list, _ := s.List(ctx, teacher); len(list) != 2 {
		t.Fatalf("re-import duplicated rosters: %d", len(list))
	}

	// Another teacher's import of the same bundle is their own.
	if r, err := s.Import(ctx, other, sampleBundle()); err != nil || r.Created != 2 || r.Rosters[0].ID == maths.ID {
		t.Fatalf("another teacher's import: %+v %v", r, err)
	}

	// The teacher types a student in; then the school moves Sam Park out,
	// Sam Kim is now Samuel, and Sam Lee is new.
	samK, samP := maths.Students[1], maths.Students[2]
	var in []StudentInput
	for _, st := range maths.Students {
		in = append(in, StudentInput{ID: st.ID, GivenName: st.GivenName, FamilyName: st.FamilyName})
	}
	in = append(in, StudentInput{GivenName: "Zed"})
	typed, err := s.Replace(ctx, teacher, maths.ID, "Maths, renamed", in)
	if err != nil {
		t.Fatal(err)
	}
	b := sampleBundle()
	b.Users = csvFile(usersHeader,
		userLine("s1", "active", "student", "Olivia", "Smith"),
		userLine("s2", "active", "student", "Samuel", "Kim"),
		userLine("s3", "active", "student", "Sam", "Park"),
		userLine("s5", "active", "student", "Mia", "Jones"),
		userLine("s6", "active", "student", "Sam", "Lee"),
	)
	b.Enrollments = csvFile(enrollmentsHeader,
		enrollmentLine("e2", "active", "c1", "s1", "student"),
		enrollmentLine("e3", "active", "c1", "s2", "student"),
		enrollmentLine("e4", "tobedeleted", "c1", "s3", "student"),
		enrollmentLine("e6", "active", "c2", "s5", "student"),
		enrollmentLine("e7", "active", "c2", "s1", "student"),
		enrollmentLine("e11", "active", "c1", "s6", "student"),
	)
	third, err := s.Import(ctx, teacher, b)
	if err != nil {
		t.Fatal(err)
	}
	m := third.Rosters[0]
	if got, want := briefs(m), []brief{{"Olivia", "s1"}, {"Sam", "s6"}, {"Samuel", "s2"}, {"Zed", ""}}; !equalBriefs(got, want) {
		t.Fatalf("after the school's changes: %v, want %v", got, want)
	}
	if m.Name != "7B maths" || m.ID != maths.ID {
		t.Fatalf("roster %q %s", m.Name, m.ID)
	}
	checkCodes(t, m)
	if got := m.Students[2]; got.ID != samK.ID || got.Code != samK.Code {
		t.Fatalf("Samuel lost Sam Kim's ID or code: %+v, was %+v", got, samK)
	}
	if got := m.Students[3]; got.ID != typed.Students[3].ID || got.Code != typed.Students[3].Code {
		t.Fatalf("the student typed in changed: %+v, was %+v", got, typed.Students[3])
	}
	if _, err := s.Profile(ctx, teacher, samP.ID); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("the profile of a student moved out: %v, want ErrNoStudent", err)
	}
}

func slicesEqual(a, b []Student) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every problem of a bundle is listed with its file and line, and nothing
// of it is stored.
func TestImportProblems(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	b := Bundle{
		Users: csvFile(usersHeader,
			userLine("s1", "active", "student", "Olivia", "Smith"),                            // 2
			userLine("", "active", "student", "Sam", "Kim"),                                   // 3
			userLine("s1", "active", "student", "Olivia", "Smyth"),                            // 4
			userLine("s5", "active", "student", "", "Jones"),                                  // 5
			userLine("s6", "archived", "student", "Ava", "Lee"),                               // 6
			"s7,active,2026-09-01",                                                            // 7
			userLine("t1", "active", "teacher", "", ""),                                       // 8: not a student; not checked
			userLine("s8", "active", "student", "Noah", "\"Mc\r\nDonald\""),                   // 9 and 10: good, "Mc Donald"
			userLine("s9", "active", "Student", "Zoë", strings.Repeat("x", MaxPersonRunes+1)), // 11
		),
		Classes: csvFile(classesHeader,
			classLine("c1", "active", "7B maths", "MATH7B"), // 2
			classLine("c2", "active", "", ""),               // 3
		),
		Enrollments: csvFile(enrollmentsHeader,
			enrollmentLine("e1", "active", "c1", "s1", "student"),  // 2
			enrollmentLine("e2", "active", "c9", "s1", "student"),  // 3
			enrollmentLine("e3", "active", "c1", "s99", "student"), // 4
			enrollmentLine("e4", "active", "", "s1", "student"),    // 5
			enrollmentLine("e5", "active", "c1", "s5", "student"),  // 6: s5 has a problem already
		),
	}
	_, err := s.Import(ctx, teacher, b)
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("import: %v, want an ImportError", err)
	}
	want := []string{
		"users.csv:3: sourcedId is empty",
		`users.csv:4: sourcedId "s1" is also on line 2`,
		"users.csv:5: givenName is empty",
		`users.csv:6: status is "archived"; OneRoster has active and tobedeleted`,
		"users.csv:7: 3 fields where the header has 18",
		"users.csv:11: familyName is over 40 characters",
		"classes.csv:3: title is empty",
		`enrollments.csv:3: class "c9" is not in classes.csv`,
		`enrollments.csv:4: user "s99" is not in users.csv`,
		"enrollments.csv:5: classSourcedId is empty",
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if msg := ie.Error(); !strings.HasPrefix(msg, "nothing was imported; the bundle has 10 problems\n") || !strings.Contains(msg, "\nusers.csv:5: givenName is empty\n") {
		t.Fatalf("message %q", msg)
	}
	if list, err := s.List(ctx, teacher); err != nil || len(list) != 0 {
		t.Fatalf("a refused bundle stored %+v %v", list, err)
	}

	// A bundle refused on re-import leaves the earlier import as it was.
	first, err := s.Import(ctx, teacher, sampleBundle())
	if err != nil {
		t.Fatal(err)
	}
	bad := sampleBundle()
	bad.Users = append(bad.Users, userLine("s7", "active", "student", "", "Nobody")+"\r\n"...)
	bad.Enrollments = csvFile(enrollmentsHeader, enrollmentLine("e2", "active", "c1", "s1", "student"))
	if _, err := s.Import(ctx, teacher, bad); !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].String() != "users.csv:8: givenName is empty" {
		t.Fatalf("a bad re-import: %v", err)
	}
	for _, r := range first.Rosters {
		if now, err := s.Get(ctx, teacher, r.ID); err != nil || !slicesEqual(now.Students, r.Students) {
			t.Fatalf("a refused re-import changed %s: %+v %v", r.Name, now.Students, err)
		}
	}
}

func TestImportFileProblems(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	many := []string{}
	enrol := []string{}
	for i := range MaxStudents + 1 {
		id := "s" + strings.Repeat("x", i)
		many = append(many, userLine(id, "active", "student", "Kid", id))
		enrol = append(enrol, enrollmentLine("e"+id, "active", "c1", id, "student"))
	}
	for _, c := range []struct {
		name string
		b    Bundle
		want string
	}{
		{"no users", Bundle{Classes: sampleBundle().Classes, Enrollments: sampleBundle().Enrollments}, "users.csv: missing or empty"},
		{"no givenName column", Bundle{
			Users:       []byte("sourcedId,status,familyName,role\ns1,active,Smith,student\n"),
			Classes:     sampleBundle().Classes,
			Enrollments: sampleBundle().Enrollments,
		}, "users.csv:1: no givenName column"},
		{"not UTF-8", Bundle{Users: []byte("sourcedId\xff\n"), Classes: sampleBundle().Classes, Enrollments: sampleBundle().Enrollments}, "users.csv: is not UTF-8 text"},
		{"a bare quote", Bundle{
			Users:       csvFile(usersHeader, userLine("s1", "active", "student", "Olivia", `Sm"ith`)),
			Classes:     sampleBundle().Classes,
			Enrollments: sampleBundle().Enrollments,
		}, `users.csv:2: bare " in non-quoted-field; the rest of the file was not read`},
		{"a class too big", Bundle{
			Users:       csvFile(usersHeader, many...),
			Classes:     csvFile(classesHeader, classLine("c1", "active", "Big class", "")),
			Enrollments: csvFile(enrollmentsHeader, enrol...),
		}, `classes.csv:2: class "c1" has 37 students; a roster holds at most 36`},
	} {
		_, err := s.Import(ctx, teacher, c.b)
		var ie *ImportError
		if !errors.As(err, &ie) || len(ie.Problems) == 0 || ie.Problems[0].String() != c.want {
			t.Errorf("%s: %v, want first %q", c.name, err, c.want)
		}
	}
	// The header is found whatever its case, after a byte-order mark.
	b := sampleBundle()
	b.Users = append([]byte("\ufeff"), bytes.Replace(b.Users, []byte("givenName"), []byte("GIVENNAME"), 1)...)
	if res, err := s.Import(ctx, teacher, b); err != nil || res.Created != 2 {
		t.Fatalf("a BOM and an upper-case header: %+v %v", res, err)
	}
}

func TestReadZip(t *testing.T) {
	sb := sampleBundle()
	b, err := ReadZip(zipOf(t, map[string][]byte{
		"export/users.csv": sb.Users, "export/classes.csv": sb.Classes, "export/Enrollments.csv": sb.Enrollments,
		"export/orgs.csv": []byte("sourcedId\n"), "__MACOSX/export/._users.csv": []byte("junk"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Users, sb.Users) || !bytes.Equal(b.Classes, sb.Classes) || !bytes.Equal(b.Enrollments, sb.Enrollments) {
		t.Fatalf("read %+v", b)
	}

	var ie *ImportError
	_, err = ReadZip(zipOf(t, map[string][]byte{"users.csv": sb.Users, "a/classes.csv": sb.Classes, "b/classes.csv": sb.Classes}))
	if !errors.As(err, &ie) || len(ie.Problems) != 2 ||
		!strings.HasPrefix(ie.Problems[0].String(), "classes.csv: the zip holds two: ") || ie.Problems[1].String() != "enrollments.csv: not in the zip" {
		t.Fatalf("a zip with two classes files and no enrollments: %v", err)
	}

	huge := make([]byte, MaxFileBytes+1)
	_, err = ReadZip(zipOf(t, map[string][]byte{"users.csv": huge, "classes.csv": sb.Classes, "enrollments.csv": sb.Enrollments}))
	if !errors.As(err, &ie) || len(ie.Problems) != 1 || ie.Problems[0].String() != "users.csv: over 8 MiB unzipped" {
		t.Fatalf("a file over the limit: %v", err)
	}

	var pe *protocol.Error
	if _, err := ReadZip([]byte("users.csv,classes.csv")); !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
		t.Fatalf("not a zip: %v", err)
	}
}
