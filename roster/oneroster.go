package roster

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
)

// Import limits.
const (
	// MaxBundleBytes bounds a zipped bundle as uploaded.
	MaxBundleBytes = 4 << 20
	// MaxFileBytes bounds one CSV file of a bundle, unzipped.
	MaxFileBytes = 8 << 20
	// maxProblems is how many problems an ImportError lists; it counts
	// the rest.
	maxProblems = 100
)

// The files of a OneRoster 1.1 CSV bundle that an import reads; the others
// (orgs.csv, courses.csv, manifest.csv...) are ignored.
const (
	UsersFile       = "users.csv"
	ClassesFile     = "classes.csv"
	EnrollmentsFile = "enrollments.csv"
)

var fileOrder = map[string]int{UsersFile: 0, ClassesFile: 1, EnrollmentsFile: 2}

// importNamespace names the IDs of imported rosters: a roster imported
// from a class has an ID made of the teacher and the class's sourcedId,
// so that importing the class again finds it, even when two imports run
// at once.
var importNamespace = uuid.MustParse("54d681bc-2f39-48b9-b4fb-0f701bf9a67b")

func importedID(teacher protocol.TeacherID, class string) ID {
	return ID(uuid.NewSHA1(importNamespace, []byte(string(teacher)+"\x00"+class)).String())
}

// Bundle is what an import reads of a OneRoster 1.1 CSV bundle: the
// contents of its users, classes and enrollments files.
type Bundle struct {
	Users, Classes, Enrollments []byte
}

// ImportResult is what an import did: the rosters of the bundle's
// classes, in the order of classes.csv, and how many were new.
type ImportResult struct {
	Rosters []Roster `json:"rosters"`
	Created int      `json:"created"`
	Updated int      `json:"updated"`
}

// ReadZip reads a bundle from a zip archive. The three files are found by
// name in any folder of the archive. A file missing or twice in the
// archive, or over MaxFileBytes, is an ImportError; an archive that is
// not a zip is a protocol error.
func ReadZip(data []byte) (Bundle, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Bundle{}, protocol.Errorf(protocol.CodeInvalid, "the upload is not a zip archive")
	}
	var b Bundle
	files := map[string]*[]byte{UsersFile: &b.Users, ClassesFile: &b.Classes, EnrollmentsFile: &b.Enrollments}
	from := map[string]string{}
	var problems []Problem
	for _, f := range zr.File {
		name := strings.ToLower(path.Base(f.Name))
		dst, ok := files[name]
		if !ok || f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		if prev, ok := from[name]; ok {
			problems = append(problems, Problem{File: name, Message: fmt.Sprintf("the zip holds two: %q and %q", prev, f.Name)})
			continue
		}
		from[name] = f.Name
		data, err := readZipped(f)
		if err != nil {
			problems = append(problems, Problem{File: name, Message: err.Error()})
			continue
		}
		*dst = data
	}
	for _, name := range []string{UsersFile, ClassesFile, EnrollmentsFile} {
		if _, ok := from[name]; !ok {
			problems = append(problems, Problem{File: name, Message: "not in the zip"})
		}
	}
	if len(problems) > 0 {
		return Bundle{}, importError(problems)
	}
	return b, nil
}

func readZipped(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > MaxFileBytes {
		return nil, fmt.Errorf("over %d MiB unzipped", MaxFileBytes>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot be unzipped: %v", err)
	}
	defer rc.Close()
	// The size in the archive's directory is the sender's word; the limit
	// holds whatever it says.
	data, err := io.ReadAll(io.LimitReader(rc, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be unzipped: %v", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("over %d MiB unzipped", MaxFileBytes>>20)
	}
	return data, nil
}

// importError sorts problems by file and line and keeps the first
// maxProblems.
func importError(problems []Problem) *ImportError {
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(fileOrder[a.File], fileOrder[b.File]), cmp.Compare(a.Line, b.Line))
	})
	e := &ImportError{Problems: problems}
	if n := len(problems) - maxProblems; n > 0 {
		e.Problems, e.More = problems[:maxProblems], n
	}
	return e
}

// Import makes one roster of the teacher per class of the bundle, of the
// students enrolled in it. Rows whose status is "tobedeleted" are left
// out, and so are users and enrollments of any role but "student".
//
// A bundle with any problem is refused whole with an ImportError that
// lists every problem with its file and line; nothing is stored.
//
// Importing a class again updates its roster: students are matched by
// sourcedId and keep their IDs, join codes and profiles; students no
// longer enrolled are removed; students typed in by hand are kept. The
// roster's name becomes the class's title again.
func (s *Store) Import(ctx context.Context, teacher protocol.TeacherID, b Bundle) (ImportResult, error) {
	if !teacher.Valid() {
		return ImportResult{}, ErrNoRoster
	}
	classes, problems := parseBundle(b)
	existing, err := s.List(ctx, teacher)
	if err != nil {
		return ImportResult{}, err
	}
	byID := map[ID]Roster{}
	for _, r := range existing {
		byID[r.ID] = r
	}
	added := 0
	for _, c := range classes {
		r, ok := byID[importedID(teacher, c.sourcedID)]
		if !ok {
			added++
			continue
		}
		typed := 0
		for _, st := range r.Students {
			if st.SourcedID == "" {
				typed++
			}
		}
		if n := len(c.students) + typed; typed > 0 && n > MaxStudents {
			problems = append(problems, Problem{File: ClassesFile, Line: c.line, Message: fmt.Sprintf(
				"class %q would have %d students with the %d typed in by hand on its roster; a roster holds at most %d", c.sourcedID, n, typed, MaxStudents)})
		}
	}
	if len(existing)+added > MaxRosters {
		problems = append(problems, Problem{File: ClassesFile, Message: fmt.Sprintf(
			"the bundle adds %d rosters to your %d; a teacher keeps at most %d", added, len(existing), MaxRosters)})
	}
	if len(problems) > 0 {
		return ImportResult{}, importError(problems)
	}

	res := ImportResult{Rosters: make([]Roster, 0, len(classes))}
	for _, c := range classes {
		_, exists := byID[importedID(teacher, c.sourcedID)]
		r, created, err := s.importClass(ctx, teacher, c, exists)
		if err != nil {
			return ImportResult{}, err
		}
		res.Rosters = append(res.Rosters, r)
		if created {
			res.Created++
		} else {
			res.Updated++
		}
	}
	return res, nil
}

// importClass stores the roster of one class, a new one or an update of
// the roster of an earlier import, and reports whether it is new.
func (s *Store) importClass(ctx context.Context, teacher protocol.TeacherID, c importedClass, exists bool) (Roster, bool, error) {
	id := importedID(teacher, c.sourcedID)
	for range maxTries {
		if exists {
			r, err := s.change(ctx, teacher, id, func(r *Roster) error { return c.mergeInto(r) })
			if !errors.Is(err, ErrNoRoster) {
				return r, false, err
			}
			exists = false // deleted meanwhile: make it anew
			continue
		}
		now := s.now().UnixMilli()
		r := Roster{ID: id, Teacher: teacher, Created: now, Updated: now}
		if err := c.mergeInto(&r); err != nil {
			return Roster{}, false, err
		}
		err := s.write(ctx, nil, 0, r)
		if err == nil {
			return r, true, nil
		}
		if !revisionConflict(err) {
			return Roster{}, false, err
		}
		exists = true // another import made it meanwhile
	}
	return Roster{}, false, ErrBusy
}

// importedClass is a class of a bundle with its students.
type importedClass struct {
	line      int
	sourcedID string
	name      string
	students  []importedStudent
}

type importedStudent struct {
	sourcedID, given, family string
}

// mergeInto makes r the roster of the class, keeping the IDs and codes of
// the students r already has by sourcedId, and the students typed in.
func (c importedClass) mergeInto(r *Roster) error {
	bySourced := map[string]Student{}
	var typed []Student
	for _, st := range r.Students {
		if st.SourcedID == "" {
			typed = append(typed, st)
		} else {
			bySourced[st.SourcedID] = st
		}
	}
	list := make([]Student, 0, len(c.students)+len(typed))
	for _, is := range c.students {
		st := Student{GivenName: is.given, FamilyName: is.family, SourcedID: is.sourcedID}
		if prev, ok := bySourced[is.sourcedID]; ok {
			st.ID, st.Code = prev.ID, prev.Code
		} else {
			st.ID = StudentID(uuid.NewString())
		}
		list = append(list, st)
	}
	list = append(list, typed...)
	if len(list) > MaxStudents {
		return protocol.Errorf(protocol.CodeInvalid, "class %q would have %d students; a roster holds at most %d", c.sourcedID, len(list), MaxStudents)
	}
	// In a stable order before naming, so that students of the same full
	// name are numbered the same way on every import.
	slices.SortFunc(list, func(a, b Student) int {
		return cmp.Or(strings.Compare(fold(a.GivenName), fold(b.GivenName)), strings.Compare(fold(a.FamilyName), fold(b.FamilyName)),
			strings.Compare(a.SourcedID, b.SourcedID), strings.Compare(string(a.ID), string(b.ID)))
	})
	if err := finish(list); err != nil {
		return err
	}
	slices.SortStableFunc(list, func(a, b Student) int { return strings.Compare(fold(a.Name), fold(b.Name)) })
	r.Name, r.SourcedID, r.Students = c.name, c.sourcedID, list
	return nil
}

// table is one CSV file of a bundle: its columns by lower-case header
// name, and its rows with their line numbers.
type table struct {
	file string
	cols map[string]int
	rows []tableRow
}

type tableRow struct {
	line   int
	fields []string
}

// get returns a field of a row by column, trimmed; "" when the file has no
// such column.
func (t *table) get(r tableRow, col string) string {
	i, ok := t.cols[strings.ToLower(col)]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// readTable reads a CSV file of a bundle, reporting what is wrong with it
// through add. It returns nil when the file cannot be read to its end or
// lacks a required column: the other files are then not checked against
// it, which would only list the same problem again.
func readTable(file string, data []byte, required []string, add func(Problem)) *table {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		add(Problem{File: file, Message: "missing or empty"})
		return nil
	}
	if !utf8.Valid(data) {
		add(Problem{File: file, Message: "is not UTF-8 text"})
		return nil
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		add(Problem{File: file, Line: 1, Message: "the header cannot be read: " + csvMessage(err)})
		return nil
	}
	t := &table{file: file, cols: map[string]int{}}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, dup := t.cols[k]; !dup {
			t.cols[k] = i
		}
	}
	ok := true
	for _, col := range required {
		if _, has := t.cols[strings.ToLower(col)]; !has {
			add(Problem{File: file, Line: 1, Message: "no " + col + " column"})
			ok = false
		}
	}
	if !ok {
		return nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			add(Problem{File: file, Line: line, Message: csvMessage(err) + "; the rest of the file was not read"})
			return nil
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			add(Problem{File: file, Line: line, Message: fmt.Sprintf("%d fields where the header has %d", len(rec), len(header))})
			continue
		}
		t.rows = append(t.rows, tableRow{line: line, fields: rec})
	}
	return t
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// status reads the status column of a row: whether the row is to be
// deleted, or a problem for a status OneRoster does not have.
func status(t *table, r tableRow, add func(Problem)) (deleted, ok bool) {
	switch st := strings.ToLower(t.get(r, "status")); st {
	case "", "active":
		return false, true
	case "tobedeleted":
		return true, true
	default:
		add(Problem{File: t.file, Line: r.line, Message: fmt.Sprintf("status is %q; OneRoster has active and tobedeleted", st)})
		return false, false
	}
}

// sourcedID reads a sourcedId column, which must not be empty.
func sourcedID(t *table, r tableRow, col string, add func(Problem)) (string, bool) {
	v := t.get(r, col)
	switch {
	case v == "":
		add(Problem{File: t.file, Line: r.line, Message: col + " is empty"})
		return "", false
	case len(v) > maxSourcedID:
		add(Problem{File: t.file, Line: r.line, Message: fmt.Sprintf("%s is over %d bytes", col, maxSourcedID)})
		return "", false
	}
	return v, true
}

// checkField adds the problem of a text field as the import words it.
func checkField(t *table, r tableRow, col, v string, min, max int, add func(Problem)) bool {
	switch {
	case v == "" && min > 0:
		add(Problem{File: t.file, Line: r.line, Message: col + " is empty"})
		return false
	case utf8.RuneCountInString(v) > max:
		add(Problem{File: t.file, Line: r.line, Message: fmt.Sprintf("%s is over %d characters", col, max)})
		return false
	}
	if e := protocol.CheckText(col, v, min, max, false); e != nil {
		add(Problem{File: t.file, Line: r.line, Message: e.Message})
		return false
	}
	return true
}

type importedUser struct {
	line          int
	given, family string
	student, gone bool
	problem       bool
}

type classRow struct {
	importedClass
	gone bool
	seen map[string]bool
}

// parseBundle reads the classes of a bundle with their students, and
// every problem of the bundle.
func parseBundle(b Bundle) ([]importedClass, []Problem) {
	var problems []Problem
	add := func(p Problem) { problems = append(problems, p) }

	users := map[string]*importedUser{}
	ut := readTable(UsersFile, b.Users, []string{"sourcedId", "givenName", "familyName", "role"}, add)
	if ut != nil {
		for _, r := range ut.rows {
			id, ok := sourcedID(ut, r, "sourcedId", add)
			if !ok {
				continue
			}
			if prev := users[id]; prev != nil {
				add(Problem{File: UsersFile, Line: r.line, Message: fmt.Sprintf("sourcedId %q is also on line %d", id, prev.line)})
				continue
			}
			u := &importedUser{line: r.line}
			users[id] = u
			gone, ok := status(ut, r, add)
			if gone || !ok {
				u.gone, u.problem = gone, !ok
				continue
			}
			if !strings.EqualFold(ut.get(r, "role"), "student") {
				continue
			}
			u.student = true
			u.given, u.family = cleanName(ut.get(r, "givenName")), cleanName(ut.get(r, "familyName"))
			okGiven := checkField(ut, r, "givenName", u.given, 1, MaxPersonRunes, add)
			okFamily := checkField(ut, r, "familyName", u.family, 0, MaxPersonRunes, add)
			u.problem = !okGiven || !okFamily
		}
	}

	var order []*classRow
	classes := map[string]*classRow{}
	ct := readTable(ClassesFile, b.Classes, []string{"sourcedId", "title"}, add)
	if ct != nil {
		for _, r := range ct.rows {
			id, ok := sourcedID(ct, r, "sourcedId", add)
			if !ok {
				continue
			}
			if prev := classes[id]; prev != nil {
				add(Problem{File: ClassesFile, Line: r.line, Message: fmt.Sprintf("sourcedId %q is also on line %d", id, prev.line)})
				continue
			}
			c := &classRow{importedClass: importedClass{line: r.line, sourcedID: id}, seen: map[string]bool{}}
			classes[id] = c
			gone, ok := status(ct, r, add)
			if gone || !ok {
				c.gone = true
				continue
			}
			// The title names the roster; a class without one is named by
			// its code.
			c.name = cleanName(ct.get(r, "title"))
			field := "title"
			if c.name == "" && ct.get(r, "classCode") != "" {
				c.name, field = cleanName(ct.get(r, "classCode")), "classCode"
			}
			if checkField(ct, r, field, c.name, 1, protocol.MaxTitleRunes, add) {
				order = append(order, c)
			}
		}
	}

	et := readTable(EnrollmentsFile, b.Enrollments, []string{"classSourcedId", "userSourcedId", "role"}, add)
	if et != nil && ut != nil && ct != nil {
		for _, r := range et.rows {
			gone, ok := status(et, r, add)
			if gone || !ok || !strings.EqualFold(et.get(r, "role"), "student") {
				continue
			}
			cid, okC := sourcedID(et, r, "classSourcedId", add)
			uid, okU := sourcedID(et, r, "userSourcedId", add)
			if !okC || !okU {
				continue
			}
			c, u := classes[cid], users[uid]
			if c == nil {
				add(Problem{File: EnrollmentsFile, Line: r.line, Message: fmt.Sprintf("class %q is not in classes.csv", cid)})
			}
			if u == nil {
				add(Problem{File: EnrollmentsFile, Line: r.line, Message: fmt.Sprintf("user %q is not in users.csv", uid)})
			}
			if c == nil || u == nil || c.gone || u.gone || !u.student || u.problem || c.seen[uid] {
				continue
			}
			c.seen[uid] = true
			c.students = append(c.students, importedStudent{sourcedID: uid, given: u.given, family: u.family})
		}
	}

	out := make([]importedClass, 0, len(order))
	for _, c := range order {
		if len(c.students) > MaxStudents {
			add(Problem{File: ClassesFile, Line: c.line, Message: fmt.Sprintf("class %q has %d students; a roster holds at most %d", c.sourcedID, len(c.students), MaxStudents)})
		}
		out = append(out, c.importedClass)
	}
	return out, problems
}
