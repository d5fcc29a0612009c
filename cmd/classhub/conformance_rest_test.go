package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The later parts of PROTOCOL.md's REST section, held to the real binary
// by the client of conformance_client_test.go: rosters and joining by
// picking a name, importing from OneRoster, learner profiles, projectors,
// sharing a class, reports, exports and erasing, join codes and tokens.

func TestConformanceREST(t *testing.T) {
	s := cStart(t)
	// "A teacher token (from sign-in) lasts 12 hours."
	now := uint64(time.Now().UnixMilli())
	lb := s.ok(200, "POST", "/api/v1/login", "", obj{"email": cTeacherEmail, "password": cPassword})
	teacher := str(lb, "token")
	cTwelveHours(t, "a teacher's token", lb, now)
	s.uploadBank(teacher)
	addTeacher(t, s.data, "other@school.example", "Mr Other")
	other := str(s.ok(200, "POST", "/api/v1/login", "", obj{"email": "other@school.example", "password": cPassword}), "token")
	parts := []struct {
		name string
		run  func(*cServer, string, string)
	}{
		{"Rosters", cRosters}, {"Import", cImport}, {"Profiles", cProfiles}, {"Projectors", cProjectors},
		{"Sharing", cSharing}, {"Tokens", cTokens},
		// Last: it restarts the binary, under the subtest, whose end
		// stops it.
		{"Reports", cReports},
	}
	for _, p := range parts {
		t.Run(p.name, func(t *testing.T) { s.t = t; p.run(s, teacher, other) })
	}
	s.t = t
}

// cIsErr checks a REST error: its status and code, and a message.
func cIsErr(t *testing.T, what string, r cResp, status int, code string) {
	t.Helper()
	if r.status != status || r.errCode() != code || str(sub(r.body, "error"), "message") == "" {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, r.raw, status, code)
	}
}

func cList(m obj, k string) []obj {
	var out []obj
	xs, _ := m[k].([]any)
	for _, x := range xs {
		if o, ok := x.(obj); ok {
			out = append(out, o)
		}
	}
	return out
}

// rosterStudent finds a roster's student by given and family name.
func rosterStudent(r obj, given, family string) obj {
	for _, st := range cList(r, "students") {
		if str(st, "given_name") == given && str(st, "family_name") == family {
			return st
		}
	}
	return nil
}

// cRosters: "Rosters and profiles" and "Joining by picking a name".
func cRosters(s *cServer, teacher, other string) {
	t := s.t
	body := obj{"name": "5B maths", "students": []obj{
		{"given_name": "Sam", "family_name": "Kim"}, {"given_name": "Sam", "family_name": "Park"},
		{"given_name": "Olivia", "family_name": "Smith"}, {"given_name": "Noah", "family_name": ""},
	}}
	r := s.ok(201, "POST", "/api/v1/rosters", teacher, body)
	rid := str(r, "id")
	if !cUUID.MatchString(rid) || str(r, "name") != "5B maths" || len(cList(r, "students")) != 4 {
		t.Fatalf("a new roster: %v", r)
	}
	for _, k := range []string{"created", "updated"} {
		if _, ok := num(r, k); !ok {
			t.Errorf("a roster without %s: %v", k, r)
		}
	}
	words := map[string]bool{}
	for _, st := range cList(r, "students") {
		if !cUUID.MatchString(str(st, "id")) || str(st, "code") == "" || str(st, "picture") == "" {
			t.Errorf("a roster student: %v", st)
		}
		if words[str(st, "code")] {
			t.Errorf("two students of a roster with the word %s", str(st, "code"))
		}
		words[str(st, "code")] = true
	}
	// The names the class sees: the given name, or as much of the family
	// name as tells them apart.
	if n := str(rosterStudent(r, "Sam", "Kim"), "name"); n != "Sam K." {
		t.Errorf("Sam Kim beside Sam Park is shown %q, want Sam K.", n)
	}
	if n := str(rosterStudent(r, "Sam", "Park"), "name"); n != "Sam P." {
		t.Errorf("Sam Park beside Sam Kim is shown %q, want Sam P.", n)
	}
	if n := str(rosterStudent(r, "Olivia", "Smith"), "name"); n != "Olivia" {
		t.Errorf("Olivia Smith is shown %q, want Olivia", n)
	}
	// Refused: bad names, too many students, an unknown field; another
	// teacher's roster; a student's token.
	cIsErr(t, "a given name of 41 characters", s.json("POST", "/api/v1/rosters", teacher, obj{"name": "x", "students": []obj{{"given_name": strings.Repeat("a", 41), "family_name": ""}}}), 400, "invalid")
	cIsErr(t, "a roster name on two lines", s.json("POST", "/api/v1/rosters", teacher, obj{"name": "a\nb", "students": []obj{}}), 400, "invalid")
	many := make([]obj, 37)
	for i := range many {
		many[i] = obj{"given_name": "Kid", "family_name": strings.Repeat("z", i%40+1)}
	}
	cIsErr(t, "a roster of 37 students", s.json("POST", "/api/v1/rosters", teacher, obj{"name": "Too many", "students": many}), 400, "invalid")
	cIsErr(t, "a roster student with an unknown field", s.json("POST", "/api/v1/rosters", teacher, obj{"name": "x", "students": []obj{{"given_name": "A", "family_name": "B", "age": 9}}}), 400, "invalid")
	cIsErr(t, "another teacher's roster", s.json("GET", "/api/v1/rosters/"+rid, other, nil), 404, "not_found")
	cIsErr(t, "another teacher's roster changed", s.json("PUT", "/api/v1/rosters/"+rid, other, obj{"name": "mine", "students": []obj{}}), 404, "not_found")
	cIsErr(t, "the rosters without a token", s.json("GET", "/api/v1/rosters", "", nil), 401, "unauthorized")
	list := s.ok(200, "GET", "/api/v1/rosters", teacher, nil)
	if rs := cList(list, "rosters"); len(rs) != 1 || str(rs[0], "id") != rid {
		t.Errorf("the teacher's rosters: %v", list)
	}
	if rs := cList(s.ok(200, "GET", "/api/v1/rosters", other, nil), "rosters"); len(rs) != 0 {
		t.Errorf("another teacher sees rosters %v", rs)
	}
	s.ok(201, "POST", "/api/v1/rosters", teacher, obj{"name": "1A art", "students": []obj{}})
	var names []string
	for _, x := range cList(s.ok(200, "GET", "/api/v1/rosters", teacher, nil), "rosters") {
		names = append(names, str(x, "name"))
	}
	if !sort.StringsAreSorted(names) || len(names) != 2 {
		t.Errorf("the rosters, sorted by name: %v", names)
	}

	// Reissuing a word: a new one, not the old, not a classmate's.
	olivia := rosterStudent(r, "Olivia", "Smith")
	re := s.ok(200, "POST", "/api/v1/rosters/"+rid+"/students/"+str(olivia, "id")+"/code", teacher, nil)
	nw := str(sub(re, "student"), "code")
	if nw == "" || nw == str(olivia, "code") || (words[nw] && nw != str(olivia, "code")) {
		t.Errorf("a reissued word %q; the old %q, the roster's %v", nw, str(olivia, "code"), words)
	}
	cIsErr(t, "a word for a student of no roster of hers", s.json("POST", "/api/v1/rosters/"+rid+"/students/4b955ea0-e456-4b43-a44e-e3de91013e9e/code", teacher, nil), 404, "not_found")
	r = s.ok(200, "GET", "/api/v1/rosters/"+rid, teacher, nil)
	olivia = rosterStudent(r, "Olivia", "Smith")

	// A class opened with the roster is joined by picking a name.
	room := s.ok(201, "POST", "/api/v1/rooms", teacher, obj{"title": "Rostered", "roster": rid})
	if str(room, "roster") != rid {
		t.Errorf("a class opened with a roster: %v", room)
	}
	code := str(room, "code")
	look := s.ok(200, "GET", "/api/v1/join/"+strings.ToLower(code[:3])+"-"+code[3:], "", nil)
	if look["rostered"] != true || len(cList(look, "students")) != 4 || len(cList(look, "words")) == 0 {
		t.Fatalf("the join code of a rostered class: %v", look)
	}
	var shown []string
	for _, st := range cList(look, "students") {
		shown = append(shown, str(st, "name"))
		if _, has := st["code"]; has {
			t.Errorf("the join page shows a student's word: %v", st)
		}
		if len(st) != 2 {
			t.Errorf("the join page's student holds more than id and name: %v", st)
		}
	}
	if !sort.StringsAreSorted(shown) {
		t.Errorf("the join page's students, sorted by name: %v", shown)
	}
	var wl []string
	for _, w := range cList(look, "words") {
		wl = append(wl, str(w, "word"))
		if str(w, "picture") == "" {
			t.Errorf("a word without its picture: %v", w)
		}
	}
	if !slices.Contains(wl, str(olivia, "code")) {
		t.Errorf("the words shown %v lack Olivia's", wl)
	}
	cIsErr(t, "a typed name in a rostered class", s.json("POST", "/api/v1/join", "", obj{"code": code, "name": "Olivia"}), 400, "invalid")
	cIsErr(t, "a wrong word", s.json("POST", "/api/v1/join", "", obj{"code": code, "student": str(olivia, "id"), "word": "not-her-word"}), 401, "unauthorized")
	cIsErr(t, "a name not on the roster", s.json("POST", "/api/v1/join", "", obj{"code": code, "student": "4b955ea0-e456-4b43-a44e-e3de91013e9e", "word": "apple"}), 404, "not_found")
	j := s.ok(200, "POST", "/api/v1/join", "", obj{"code": code, "student": str(olivia, "id"), "word": "  " + strings.ToUpper(str(olivia, "code")) + " "})
	if str(j, "name") != "Olivia" || !cUUID.MatchString(str(j, "student")) || str(j, "token") == "" || str(sub(j, "room"), "id") != str(room, "id") {
		t.Errorf("a join by picking a name: %v", j)
	}
	if str(j, "student") == str(olivia, "id") {
		t.Errorf("the class's student is the roster's id: %v", j)
	}
	j2 := s.ok(200, "POST", "/api/v1/join", "", obj{"code": code, "student": str(olivia, "id"), "word": str(olivia, "code")})
	if str(j2, "student") != str(j, "student") {
		t.Errorf("picking the same name again made another student: %s then %s", str(j, "student"), str(j2, "student"))
	}
	// A class without a roster: picking is refused, the lists are empty.
	plain := s.newRoom(teacher, "Typed names")
	pl := s.ok(200, "GET", "/api/v1/join/"+plain.code, "", nil)
	if pl["rostered"] != false || len(cList(pl, "students")) != 0 || len(cList(pl, "words")) != 0 {
		t.Errorf("the join code of a class without a roster: %v", pl)
	}
	cIsErr(t, "picking a name in a class without a roster", s.json("POST", "/api/v1/join", "", obj{"code": plain.code, "student": str(olivia, "id"), "word": str(olivia, "code")}), 400, "invalid")

	// PUT replaces: ids kept with words; a student left out is removed
	// and can no longer join; one added can join at once.
	var keep []obj
	for _, st := range cList(r, "students") {
		if str(st, "given_name") == "Noah" {
			continue
		}
		keep = append(keep, obj{"id": str(st, "id"), "given_name": str(st, "given_name"), "family_name": str(st, "family_name")})
	}
	keep = append(keep, obj{"given_name": "Ava", "family_name": "Jones"})
	noah := rosterStudent(r, "Noah", "")
	r2 := s.ok(200, "PUT", "/api/v1/rosters/"+rid, teacher, obj{"name": "5B maths, spring", "students": keep})
	if str(r2, "name") != "5B maths, spring" || len(cList(r2, "students")) != 4 || rosterStudent(r2, "Noah", "") != nil {
		t.Errorf("a roster replaced: %v", r2)
	}
	if o := rosterStudent(r2, "Olivia", "Smith"); str(o, "id") != str(olivia, "id") || str(o, "code") != str(olivia, "code") {
		t.Errorf("Olivia kept by id keeps her id and word: %v, was %v", o, olivia)
	}
	cIsErr(t, "a student removed from the roster joins", s.json("POST", "/api/v1/join", "", obj{"code": code, "student": str(noah, "id"), "word": str(noah, "code")}), 404, "not_found")
	ava := rosterStudent(r2, "Ava", "Jones")
	s.ok(200, "POST", "/api/v1/join", "", obj{"code": code, "student": str(ava, "id"), "word": str(ava, "code")})
	// DELETE: 204, then gone.
	if d := s.json("DELETE", "/api/v1/rosters/"+rid, teacher, nil); d.status != 204 {
		t.Errorf("DELETE a roster: %d %s", d.status, d.raw)
	}
	cIsErr(t, "a deleted roster", s.json("GET", "/api/v1/rosters/"+rid, teacher, nil), 404, "not_found")
	cIsErr(t, "the profile of a deleted roster's student", s.json("GET", "/api/v1/profiles/"+str(olivia, "id"), teacher, nil), 404, "not_found")
}

// cBundle writes a OneRoster CSV bundle as a zip, the files in a folder.
func cBundle(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := z.Create("export/" + n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var cBundleFiles = map[string]string{
	// Columns in another order and case than the standard's; a teacher
	// row, a row to be deleted.
	"users.csv": "sourcedId,ROLE,status,givenName,familyName,email\n" +
		"s1,student,active,Olivia,Smith,o@x\n" +
		"s2,student,active,Noah,Brown,n@x\n" +
		"s3,student,tobedeleted,Gone,Away,g@x\n" +
		"t1,teacher,active,Ms,Lee,l@x\n",
	"classes.csv": "sourcedId,status,title,classCode\n" +
		"c1,active,7B maths,7BM\n" +
		"c2,active,,ART2\n",
	"enrollments.csv": "classSourcedId,userSourcedId,role,status\n" +
		"c1,s1,student,active\n" +
		"c1,s2,student,active\n" +
		"c1,s3,student,active\n" +
		"c1,t1,teacher,active\n" +
		"c2,s2,student,active\n",
	"orgs.csv": "sourcedId,name\no1,School\n",
}

// cImport: "Importing from OneRoster".
func cImport(s *cServer, teacher, other string) {
	t := s.t
	imp := func(token string, body []byte, ctype string) cResp {
		t.Helper()
		return s.do("POST", "/api/v1/rosters/import", token, body, "Content-Type", ctype)
	}
	before := len(cList(s.ok(200, "GET", "/api/v1/rosters", teacher, nil), "rosters"))
	// A bundle with problems: refused whole, each problem as file:line.
	bad := map[string]string{}
	for k, v := range cBundleFiles {
		bad[k] = v
	}
	bad["users.csv"] += "s9,student,active,,Blank,b@x\n"
	bad["enrollments.csv"] += "c9,s1,student,active\n"
	r := imp(teacher, cBundle(t, bad), "application/zip")
	cIsErr(t, "a bundle with two problems", r, 400, "invalid")
	msg := str(sub(r.body, "error"), "message")
	if !strings.Contains(msg, "users.csv:6") || !strings.Contains(msg, "enrollments.csv:7") {
		t.Errorf("the problems of a bundle, as file:line: %q", msg)
	}
	if n := len(cList(s.ok(200, "GET", "/api/v1/rosters", teacher, nil), "rosters")); n != before {
		t.Errorf("a refused bundle left %d rosters, before %d", n, before)
	}
	cIsErr(t, "a body that is not a zip", imp(teacher, []byte("not a zip"), "application/zip"), 400, "invalid")
	cIsErr(t, "an upload over 4 MiB", imp(teacher, make([]byte, 4<<20+1), "application/zip"), 413, "frame_too_large")
	cIsErr(t, "an import of another type", imp(teacher, cBundle(t, cBundleFiles), "text/plain"), 400, "invalid")
	cIsErr(t, "an import with a student's token", imp(s.join(s.newRoom(teacher, "Import").code, "Kid").token, cBundle(t, cBundleFiles), "application/zip"), 403, "forbidden")

	// The bundle: one roster per class, students only, not the deleted.
	r = imp(teacher, cBundle(t, cBundleFiles), "application/zip")
	if r.status != 200 {
		t.Fatalf("an import: %d %s", r.status, r.raw)
	}
	if n, _ := num(r.body, "created"); n != 2 {
		t.Errorf("an import of two classes: %s", r.raw)
	}
	byName := map[string]obj{}
	for _, ro := range cList(r.body, "rosters") {
		byName[str(ro, "name")] = ro
	}
	maths, art := byName["7B maths"], byName["ART2"]
	if maths == nil || art == nil || str(maths, "sourced_id") != "c1" || str(art, "sourced_id") != "c2" {
		t.Fatalf("the imported rosters (a class without a title named by its code): %s", r.raw)
	}
	if st := cList(maths, "students"); len(st) != 2 || rosterStudent(maths, "Olivia", "Smith") == nil || str(rosterStudent(maths, "Olivia", "Smith"), "sourced_id") != "s1" {
		t.Errorf("7B maths: %v", maths["students"])
	}
	olivia := rosterStudent(maths, "Olivia", "Smith")

	// Again, as multipart, with a student typed in, one left out and the
	// title changed: updated in place.
	ed := s.ok(200, "PUT", "/api/v1/rosters/"+str(maths, "id"), teacher, obj{"name": "renamed", "students": []obj{
		{"id": str(olivia, "id"), "given_name": "Olivia", "family_name": "Smith"},
		{"id": str(rosterStudent(maths, "Noah", "Brown"), "id"), "given_name": "Noah", "family_name": "Brown"},
		{"given_name": "Typed", "family_name": "In"},
	}})
	if len(cList(ed, "students")) != 3 {
		t.Fatalf("the roster with a student typed in: %v", ed)
	}
	second := map[string]string{
		"users.csv":       cBundleFiles["users.csv"],
		"classes.csv":     "sourcedId,status,title,classCode\nc1,active,7B maths,7BM\n",
		"enrollments.csv": "classSourcedId,userSourcedId,role,status\nc1,s1,student,active\n",
	}
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	for _, part := range []string{"users", "classes", "enrollments"} {
		w, err := mw.CreateFormFile(part, part+".csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(second[part+".csv"]))
	}
	_ = mw.Close()
	r = imp(teacher, mb.Bytes(), mw.FormDataContentType())
	if r.status != 200 {
		t.Fatalf("an import as multipart: %d %s", r.status, r.raw)
	}
	if c, _ := num(r.body, "created"); c != 0 {
		t.Errorf("importing a class again created a roster: %s", r.raw)
	}
	if u, _ := num(r.body, "updated"); u != 1 {
		t.Errorf("importing a class again: %s", r.raw)
	}
	again := s.ok(200, "GET", "/api/v1/rosters/"+str(maths, "id"), teacher, nil)
	if str(again, "name") != "7B maths" {
		t.Errorf("an imported roster takes the class's title again: %v", again["name"])
	}
	if o := rosterStudent(again, "Olivia", "Smith"); str(o, "id") != str(olivia, "id") || str(o, "code") != str(olivia, "code") {
		t.Errorf("Olivia, matched by sourcedId, keeps id and word: %v, was %v", o, olivia)
	}
	if rosterStudent(again, "Noah", "Brown") != nil || rosterStudent(again, "Typed", "In") == nil {
		t.Errorf("after the import, no longer enrolled are removed and typed in are kept: %v", again["students"])
	}
	if _, ok := s.json("GET", "/api/v1/rosters/"+str(art, "id"), teacher, nil).body["id"]; !ok {
		t.Errorf("a class left out of a later bundle lost its roster")
	}
	cIsErr(t, "another teacher reads an imported roster", s.json("GET", "/api/v1/rosters/"+str(maths, "id"), other, nil), 404, "not_found")
}

// cProfiles: "Learner profiles", across two classes of one roster.
func cProfiles(s *cServer, teacher, other string) {
	t := s.t
	ro := s.ok(201, "POST", "/api/v1/rosters", teacher, obj{"name": "Profiles", "students": []obj{{"given_name": "Lia", "family_name": "Ng"}}})
	lia := cList(ro, "students")[0]
	pid := str(lia, "id")
	p := s.ok(200, "GET", "/api/v1/profiles/"+pid, teacher, nil)
	if str(p, "student") != pid || str(p, "roster") != str(ro, "id") || str(p, "name") != "Lia" {
		t.Errorf("a new profile: %v", p)
	}
	p = s.ok(200, "PUT", "/api/v1/profiles/"+pid, teacher, obj{"strengths": []string{"mental arithmetic"}, "challenges": []string{"reads slowly"}})
	if l, _ := p["strengths"].([]any); len(l) != 1 {
		t.Errorf("a profile's strengths set: %v", p)
	}
	p = s.ok(200, "PUT", "/api/v1/profiles/"+pid, teacher, obj{"interests": []string{"horses"}})
	if l, _ := p["strengths"].([]any); len(l) != 1 {
		t.Errorf("lists left out of a PUT are kept: %v", p)
	}
	cIsErr(t, "13 strengths", s.json("PUT", "/api/v1/profiles/"+pid, teacher, obj{"strengths": make([]string, 13)}), 400, "invalid")
	cIsErr(t, "a goal of 101 characters", s.json("PUT", "/api/v1/profiles/"+pid, teacher, obj{"goals": []string{strings.Repeat("g", 101)}}), 400, "invalid")
	cIsErr(t, "a PUT of mastery", s.json("PUT", "/api/v1/profiles/"+pid, teacher, obj{"mastery": obj{}}), 400, "invalid")
	cIsErr(t, "another teacher's student's profile", s.json("GET", "/api/v1/profiles/"+pid, other, nil), 404, "not_found")

	// A first class: Lia practises; her mastery goes to her profile.
	first := s.ok(201, "POST", "/api/v1/rooms", teacher, obj{"title": "Profiles 1", "roster": str(ro, "id")})
	j := s.ok(200, "POST", "/api/v1/join", "", obj{"code": str(first, "code"), "student": pid, "word": str(lia, "code")})
	me := s.ok(200, "GET", "/api/v1/me/profile", str(j, "token"), nil)
	if _, has := me["challenges"]; has {
		t.Errorf("the student's own profile shows the teacher's challenges: %v", me)
	}
	me = s.ok(200, "PUT", "/api/v1/me/profile", str(j, "token"), obj{"interests": []string{"horses", "drawing"}, "goals": []string{"times tables"}})
	if l, _ := me["interests"].([]any); len(l) != 2 {
		t.Errorf("a student sets her interests: %v", me)
	}
	cIsErr(t, "a student sets her strengths", s.json("PUT", "/api/v1/me/profile", str(j, "token"), obj{"strengths": []string{"everything"}}), 403, "forbidden")
	cIsErr(t, "a student sets her challenges", s.json("PUT", "/api/v1/me/profile", str(j, "token"), obj{"challenges": []string{}}), 403, "forbidden")
	typed := s.join(s.newRoom(teacher, "Typed").code, "Tim")
	cIsErr(t, "the profile of a student who typed a name", s.json("GET", "/api/v1/me/profile", typed.token, nil), 404, "not_found")
	cIsErr(t, "a student reads a profile by id", s.json("GET", "/api/v1/profiles/"+pid, str(j, "token"), nil), 403, "forbidden")

	st := &cLearner{cStudent: cStudent{token: str(j, "token"), id: str(j, "student"), name: "Lia"}, p: map[string]float64{}}
	st.d, _ = s.enter("Lia", st.token, "", nil)
	td, _ := s.enter("teacher", teacher, str(first, "id"), nil)
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	st.step(true)
	st.step(true)
	after := st.pOf("c.base")
	s.ok(200, "POST", "/api/v1/rooms/"+str(first, "id")+"/end", teacher, nil)
	var prof obj
	deadline := time.Now().Add(cWait)
	for {
		prof = s.ok(200, "GET", "/api/v1/profiles/"+pid, teacher, nil)
		if m := sub(sub(prof, "mastery"), "c.base"); m != nil || time.Now().After(deadline) {
			break
		}
		tick := time.NewTimer(50 * time.Millisecond)
		<-tick.C
	}
	m := sub(sub(prof, "mastery"), "c.base")
	cNear(t, "the profile's mastery after the class", m["p"], after)
	if str(m, "room") != str(first, "id") {
		t.Errorf("the profile's mastery names its class: %v", m)
	}
	if h := cList(prof, "history"); len(h) == 0 || str(h[len(h)-1], "skill") != "c.base" {
		t.Errorf("the profile's history: %v", prof["history"])
	}
	me = s.ok(200, "GET", "/api/v1/me/profile", str(j, "token"), nil)
	if str(sub(me, "skill_names"), "c.base") != "Counting on" {
		t.Errorf("the student's profile names the skills of its mastery: %v", me)
	}

	// A second class of the same roster: she starts from her profile.
	second := s.ok(201, "POST", "/api/v1/rooms", teacher, obj{"title": "Profiles 2", "roster": str(ro, "id")})
	td2, _ := s.enter("teacher 2", teacher, str(second, "id"), nil)
	j = s.ok(200, "POST", "/api/v1/join", "", obj{"code": str(second, "code"), "student": pid, "word": str(lia, "code")})
	joined := td2.wait("Lia joined", func(f frame) bool { return f.event() == "student_joined" })
	if str(joined.data(), "roster") != pid {
		t.Errorf("a rostered student's join names her roster id: %s", joined)
	}
	st2 := &cLearner{cStudent: cStudent{token: str(j, "token"), id: str(j, "student"), name: "Lia"}, p: map[string]float64{"c.base": after}}
	st2.d, _ = s.enter("Lia 2", st2.token, "", nil)
	td2.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}})
	st2.step(false) // checked against BKT from the profile's p, not L0

	// Erasing her from the class leaves her profile as it was.
	s.ok(200, "POST", "/api/v1/rooms/"+str(second, "id")+"/students/"+st2.id+"/erase", teacher, nil)
	kept := s.ok(200, "GET", "/api/v1/profiles/"+pid, teacher, nil)
	if sub(sub(kept, "mastery"), "c.base") == nil || len(cList(kept, "history")) == 0 {
		t.Errorf("a rostered student's profile after her erasure from a class: %v", kept)
	}
}

// cProjectors: "Projectors".
func cProjectors(s *cServer, teacher, other string) {
	t := s.t
	room := s.newRoom(teacher, "Wall")
	before, _ := num(s.ok(200, "GET", "/api/v1/rooms/"+room.id, teacher, nil), "created")
	b := s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/projector", teacher, nil)
	exp, _ := num(b, "expires")
	if str(sub(b, "room"), "title") != "Wall" || exp < before+12*3600000-60000 || exp > before+12*3600000+uint64(cWait.Milliseconds())+60000 {
		t.Errorf("a projector token: %v (the class made at %d)", b, before)
	}
	proj := str(b, "token")
	cIsErr(t, "a projector's token on a REST route", s.json("GET", "/api/v1/rooms/"+room.id, proj, nil), 403, "forbidden")
	cIsErr(t, "a projector's token asks for a projector", s.json("POST", "/api/v1/rooms/"+room.id+"/projector", proj, nil), 403, "forbidden")
	st := s.join(room.code, "Kid")
	cIsErr(t, "a student asks for a projector", s.json("POST", "/api/v1/rooms/"+room.id+"/projector", st.token, nil), 403, "forbidden")
	cIsErr(t, "another teacher asks for a projector", s.json("POST", "/api/v1/rooms/"+room.id+"/projector", other, nil), 404, "not_found")
	// Another class's room in the hello: unauthorized, 4002.
	elsewhere := s.newRoom(teacher, "Elsewhere")
	d := s.dial("projector, wrong room")
	f := d.hello(proj, elsewhere.id, nil)
	d.isError(f, "unauthorized", true)
	if c := d.closed(); c != 4002 {
		t.Errorf("a projector's hello to another class: closed with %d, want 4002", c)
	}
	pd, w := s.enter("projector", proj, "", nil)
	if str(w, "role") != "projector" || str(w, "room") != room.id {
		t.Errorf("the projector's welcome: %v", w)
	}
	pd.isOpen()
	pd.refused("forbidden", "announce", obj{"text": "hi"})
	pd.refused("forbidden", "raise_hand", obj{})
	// Renewing keeps it a projector's token for the class.
	rn := s.ok(200, "POST", "/api/v1/token/renew", proj, nil)
	if str(rn, "role") != "projector" {
		t.Errorf("a projector's token renewed: %v", rn)
	}
	_, w = s.enter("projector renewed", str(rn, "token"), "", nil)
	if str(w, "role") != "projector" || str(w, "room") != room.id {
		t.Errorf("a renewed projector's welcome: %v", w)
	}
}

// cSharing: "Sharing a class".
func cSharing(s *cServer, teacher, other string) {
	t := s.t
	room := s.newRoom(teacher, "Shared")
	path := "/api/v1/rooms/" + room.id + "/teachers"
	l := s.ok(200, "GET", path, teacher, nil)
	if ts := cList(l, "teachers"); len(ts) != 1 || str(ts[0], "role") != "owner" || str(l, "you") != "owner" {
		t.Errorf("the teachers of a class not shared: %v", l)
	}
	cIsErr(t, "sharing with an e-mail of no account", s.json("POST", path, teacher, obj{"email": "nobody@school.example", "role": "co_teacher"}), 404, "not_found")
	cIsErr(t, "sharing with the owner's own e-mail", s.json("POST", path, teacher, obj{"email": cTeacherEmail, "role": "co_teacher"}), 400, "invalid")
	cIsErr(t, "sharing in another role", s.json("POST", path, teacher, obj{"email": "other@school.example", "role": "owner"}), 400, "invalid")
	inv := s.ok(201, "POST", "/api/v1/coaches", teacher, obj{"email": "coach.share@school.example", "name": "Coach"})
	s.ok(200, "POST", "/api/v1/coaches/accept", "", obj{"code": str(sub(inv, "invite"), "code"), "password": "a long password of his own"})
	cIsErr(t, "sharing with a coach's e-mail", s.json("POST", path, teacher, obj{"email": "coach.share@school.example", "role": "co_teacher"}), 400, "invalid")
	cIsErr(t, "a teacher the class is not shared with lists its teachers", s.json("GET", path, other, nil), 404, "not_found")
	sh := s.ok(200, "POST", path, teacher, obj{"email": " OTHER@school.example ", "role": "assistant"})
	ts := cList(sh, "teachers")
	if len(ts) != 2 || str(ts[0], "role") != "owner" || str(ts[1], "role") != "assistant" || str(ts[1], "email") != "other@school.example" {
		t.Errorf("a class shared with an assistant: %v", sh)
	}
	if _, ok := num(ts[1], "since"); !ok {
		t.Errorf("a share without since: %v", ts[1])
	}
	otherID := str(ts[1], "id")
	if you := str(s.ok(200, "GET", path, other, nil), "you"); you != "assistant" {
		t.Errorf("the assistant is %q to the class", you)
	}
	// An assistant may not share, read the report, export or erase.
	cIsErr(t, "an assistant shares", s.json("POST", path, other, obj{"email": cTeacherEmail, "role": "co_teacher"}), 403, "forbidden")
	cIsErr(t, "an assistant reads the report", s.json("GET", "/api/v1/rooms/"+room.id+"/report", other, nil), 403, "forbidden")
	kid := s.join(room.code, "Kid")
	cIsErr(t, "an assistant exports a student", s.json("GET", "/api/v1/rooms/"+room.id+"/students/"+kid.id+"/export", other, nil), 403, "forbidden")
	// Sharing again changes the role: a co-teacher reads the report, but
	// exports and erases nothing.
	s.ok(200, "POST", path, teacher, obj{"email": "other@school.example", "role": "co_teacher"})
	s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/report", other, nil)
	cIsErr(t, "a co-teacher exports a student", s.json("GET", "/api/v1/rooms/"+room.id+"/students/"+kid.id+"/export", other, nil), 403, "forbidden")
	cIsErr(t, "a co-teacher erases a student", s.json("POST", "/api/v1/rooms/"+room.id+"/students/"+kid.id+"/erase", other, nil), 403, "forbidden")
	cIsErr(t, "a student lists the teachers", s.json("GET", path, kid.token, nil), 403, "forbidden")
	// The teacher leaves the class themselves; then it is not theirs.
	l = s.ok(200, "DELETE", path+"/"+otherID, other, nil)
	if ts := cList(l, "teachers"); len(ts) != 1 {
		t.Errorf("after the share ended: %v", l)
	}
	cIsErr(t, "ending a share that is not", s.json("DELETE", path+"/"+otherID, teacher, nil), 404, "not_found")
	cIsErr(t, "the class after the share ended", s.json("GET", "/api/v1/rooms/"+room.id, other, nil), 404, "not_found")
	// An ended class may be shared too.
	s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/end", teacher, nil)
	s.ok(200, "POST", path, teacher, obj{"email": "other@school.example", "role": "co_teacher"})
	s.ok(200, "DELETE", path+"/"+otherID, teacher, nil)
}

// cReportColumns are the CSV report's columns, as the document lists
// them.
var cReportColumns = []string{"student_id", "name", "skill", "mastery_before", "mastery_after", "attempts", "correct",
	"activities_completed", "flags", "act_now_flags", "median_response_s", "stations", "acted_by"}

// cReports: "After class: reports, exports and erasing", through a
// restart of the binary.
func cReports(s *cServer, teacher, other string) {
	t := s.t
	room := s.newRoom(teacher, "Report")
	td, _ := s.enter("teacher", teacher, room.id, nil)
	ben := s.learner(room, "Ben")
	ada := s.learner(room, "Ada")
	zed := s.learner(room, "Zed")
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}, "to": obj{"student": ben.id}})
	td.ok("assign_practice", obj{"set": obj{"bank": cBankID, "set": "base"}, "to": obj{"student": ada.id}})
	ben.step(true)
	ben.step(false)
	ada.step(true)
	ada.d.ok("raise_hand", obj{"note": "please"})
	_, g := flagEvent(td, 0, ada.id, "open", "help")
	td.ok("flag_action", obj{"flag": str(g, "id"), "action": "resolve"})
	flagEvent(td, 0, ada.id, "resolve", "")

	rep := s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/report", teacher, nil)
	if str(rep, "room") != room.id || str(rep, "title") != "Report" || rep["ended"] != nil {
		t.Errorf("the report of an open class: %v", rep)
	}
	var names []string
	students := map[string]obj{}
	for _, st := range cList(rep, "students") {
		names = append(names, str(st, "name"))
		students[str(st, "name")] = st
	}
	if !slices.Equal(names, []string{"Ada", "Ben", "Zed"}) {
		t.Errorf("the report's students, sorted by name: %v", names)
	}
	bs := cList(students["Ben"], "skills")
	if len(bs) != 1 || str(bs[0], "skill") != "c.base" {
		t.Fatalf("Ben's skills: %v", students["Ben"]["skills"])
	}
	if b, has := bs[0]["before"]; !has || b != nil {
		t.Errorf("a skill first met in this session has before null: %v", bs[0])
	}
	cNear(t, "Ben's mastery after", bs[0]["after"], ben.pOf("c.base"))
	if a, _ := num(bs[0], "attempts"); a != 2 {
		t.Errorf("Ben's attempts: %v", bs[0])
	}
	if c, _ := num(bs[0], "correct"); c != 1 {
		t.Errorf("Ben's correct: %v", bs[0])
	}
	if acts := cList(students["Ben"], "activities"); len(acts) != 1 || str(acts[0], "title") != "Counting on" || acts[0]["complete"] != false {
		t.Errorf("Ben's activities: %v", students["Ben"]["activities"])
	}
	af := cList(students["Ada"], "flags")
	if len(af) != 1 || str(af[0], "rule") != "help" || str(af[0], "status") != "resolved" || str(sub(af[0], "by"), "name") != "Ms Conf" {
		t.Errorf("Ada's flags: %v", students["Ada"]["flags"])
	}
	if _, ok := num(af[0], "respond_ms"); !ok {
		t.Errorf("a flag acted on without respond_ms: %v", af[0])
	}
	if ab := cList(students["Ada"], "acted_by"); len(ab) != 1 || str(ab[0], "name") != "Ms Conf" {
		t.Errorf("Ada's acted_by: %v", students["Ada"]["acted_by"])
	}
	if ts := cList(rep, "teachers"); len(ts) != 1 || str(ts[0], "role") != "owner" {
		t.Errorf("the report's teachers: %v", rep["teachers"])
	}
	var whats []string
	for _, a := range cList(rep, "actions") {
		whats = append(whats, str(a, "what"))
	}
	if !slices.ContainsFunc(whats, func(w string) bool { return strings.Contains(w, "resolved the flag on Ada") }) {
		t.Errorf("the report's actions: %v", whats)
	}
	// CSV: the documented columns, a row per student and skill, Zed on a
	// row of his own with the skill's columns empty.
	r := s.do("GET", "/api/v1/rooms/"+room.id+"/report?format=csv", teacher, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.header.Get("Content-Disposition"), `attachment; filename="classhub-report-`+room.id+`.csv"`) {
		t.Fatalf("the CSV report: %d %v", r.status, r.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
	if err != nil || len(rows) != 4 || !slices.Equal(rows[0], cReportColumns) {
		t.Fatalf("the CSV report (%v): %q", err, r.raw)
	}
	for _, row := range rows[1:] {
		switch row[1] {
		case "Zed":
			if row[0] != zed.id || row[2] != "" || row[3] != "" || row[4] != "" || row[5] != "0" || row[6] != "0" {
				t.Errorf("a student who answered nothing: %q", row)
			}
		case "Ben":
			if row[2] != "c.base" || row[3] != "" || row[5] != "2" || row[6] != "1" {
				t.Errorf("Ben's row: %q", row)
			}
		case "Ada":
			if row[8] != "1" || row[9] != "1" || row[12] != "Ms Conf" {
				t.Errorf("Ada's row: %q", row)
			}
		}
	}
	cIsErr(t, "the report of another teacher's class", s.json("GET", "/api/v1/rooms/"+room.id+"/report", other, nil), 404, "not_found")
	cIsErr(t, "the report with a student's token", s.json("GET", "/api/v1/rooms/"+room.id+"/report", ben.token, nil), 403, "forbidden")

	// An export: the student's entry, their practice, and every event
	// that names them, with its audience.
	ex := s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/students/"+ben.id+"/export", teacher, nil)
	if str(ex, "room") != room.id || str(sub(ex, "student"), "id") != ben.id || str(sub(ex, "student"), "name") != "Ben" || sub(ex, "learner") == nil {
		t.Errorf("Ben's export: %.300v", ex)
	}
	evs := cList(ex, "events")
	var types []string
	for _, e := range evs {
		types = append(types, str(e, "type"))
		if _, ok := num(e, "seq"); !ok || str(sub(e, "aud"), "kind") == "" || e["data"] == nil {
			t.Errorf("an exported event: %v", e)
		}
		if str(e, "type") == "attempt" && str(sub(e, "data"), "student") != ben.id {
			t.Errorf("Ben's export holds another's attempt: %v", e)
		}
	}
	for _, want := range []string{"student_joined", "practice", "item", "attempt"} {
		if !slices.Contains(types, want) {
			t.Errorf("Ben's export has no %s: %v", want, types)
		}
	}
	if ze := s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/students/"+zed.id+"/export", teacher, nil); ze["learner"] != nil {
		t.Errorf("the export of a student given no practice has learner: %v", ze["learner"])
	}
	cIsErr(t, "the export of a student not in the class", s.json("GET", "/api/v1/rooms/"+room.id+"/students/4b955ea0-e456-4b43-a44e-e3de91013e9e/export", teacher, nil), 404, "not_found")

	// Erasing Ben; then the binary restarts; he is gone from the report,
	// the export, the snapshot, and his token opens nothing.
	er := s.ok(200, "POST", "/api/v1/rooms/"+room.id+"/students/"+ben.id+"/erase", teacher, nil)
	if n, _ := num(er, "removed"); n == 0 {
		t.Errorf("the erasure: %v", er)
	}
	if err := s.p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.p.exited:
	case <-time.After(cWait):
		t.Fatalf("the server did not exit within %v", cWait)
	}
	s.p = startServer(t, s.data)
	rep = s.ok(200, "GET", "/api/v1/rooms/"+room.id+"/report", teacher, nil)
	names = nil
	for _, st := range cList(rep, "students") {
		names = append(names, str(st, "name"))
	}
	if !slices.Equal(names, []string{"Ada", "Zed"}) || strings.Contains(string(cJSON(t, rep)), ben.id) {
		t.Errorf("after the erasure and a restart, the report: %v", names)
	}
	erased := false
	for _, a := range cList(rep, "actions") {
		if str(a, "event") == "erased" && strings.Contains(str(a, "what"), "erased a student") {
			erased = true
		}
	}
	if !erased {
		t.Errorf("the report's actions do not list the erasure: %v", rep["actions"])
	}
	r = s.do("GET", "/api/v1/rooms/"+room.id+"/report?format=csv", teacher, nil)
	if strings.Contains(string(r.raw), ben.id) || strings.Contains(string(r.raw), "Ben") {
		t.Errorf("after the erasure the CSV report names Ben: %s", r.raw)
	}
	cIsErr(t, "the export of an erased student", s.json("GET", "/api/v1/rooms/"+room.id+"/students/"+ben.id+"/export", teacher, nil), 404, "not_found")
	cIsErr(t, "erasing him again", s.json("POST", "/api/v1/rooms/"+room.id+"/students/"+ben.id+"/erase", teacher, nil), 404, "not_found")
	d := s.dial("Ben after")
	f := d.hello(ben.token, "", nil)
	d.isError(f, "unauthorized", true)
	if c := d.closed(); c != 4004 {
		t.Errorf("the erased student's hello after a restart: closed with %d, want 4004", c)
	}
	_, w := s.enter("teacher after", teacher, room.id, nil)
	if strings.Contains(string(cJSON(t, w)), ben.id) {
		t.Errorf("after the erasure and a restart the teacher's snapshot names Ben")
	}
	cIsErr(t, "erasing with a student's token", s.json("POST", "/api/v1/rooms/"+room.id+"/students/"+ada.id+"/erase", ada.token, nil), 403, "forbidden")
	cIsErr(t, "erasing in another teacher's class", s.json("POST", "/api/v1/rooms/"+room.id+"/students/"+ada.id+"/erase", other, nil), 404, "not_found")

	// Last, on the restarted server, whose allowance of joins for this
	// address is whole (a burst of 60): a wrong word counts as five
	// attempts, so the thirteenth wrong word within a few seconds is over
	// the limit; at one attempt each it would not be.
	ro := s.ok(201, "POST", "/api/v1/rosters", teacher, obj{"name": "Words", "students": []obj{{"given_name": "Wu", "family_name": ""}}})
	wu := cList(ro, "students")[0]
	wroom := s.ok(201, "POST", "/api/v1/rooms", teacher, obj{"title": "Words", "roster": str(ro, "id")})
	start := time.Now()
	var last cResp
	for i := range 13 {
		last = s.json("POST", "/api/v1/join", "", obj{"code": str(wroom, "code"), "student": str(wu, "id"), "word": "not-a-word"})
		if i < 12 && last.status != 401 {
			t.Fatalf("wrong word %d: %d %s", i+1, last.status, last.raw)
		}
	}
	if time.Since(start) < 5*time.Second {
		cIsErr(t, "the thirteenth wrong word", last, 429, "rate_limited")
		if last.header.Get("Retry-After") == "" {
			t.Errorf("a join over the limit without Retry-After: %v", last.header)
		}
	} else {
		t.Logf("thirteen wrong words took %v: the allowance refilled meanwhile", time.Since(start))
	}
}

// cTokens: "Tokens": twelve hours, and what each opens.
func cTokens(s *cServer, teacher, other string) {
	t := s.t
	now := uint64(time.Now().UnixMilli())
	room := s.newRoom(teacher, "Tokens")
	j := s.ok(200, "POST", "/api/v1/join", "", obj{"code": room.code, "name": "Tia"})
	cTwelveHours(t, "a student's token", j, now)
	// A student's token is bound to its class.
	elsewhere := s.newRoom(teacher, "Elsewhere")
	d := s.dial("Tia elsewhere")
	f := d.hello(str(j, "token"), elsewhere.id, nil)
	d.isError(f, "unauthorized", true)
	if c := d.closed(); c != 4002 {
		t.Errorf("a student's token for another class: closed with %d, want 4002", c)
	}
	// A teacher's token names no class: the hello must.
	d = s.dial("teacher without a room")
	if f := d.hello(teacher, "", nil); f.typ() != "error" || (f.code() != "invalid" && f.code() != "unauthorized") {
		t.Errorf("a teacher's hello without a room: %s", f)
	}
	// The same student when the token comes back.
	_, w1 := s.enter("Tia", str(j, "token"), "", nil)
	_, w2 := s.enter("Tia again", str(j, "token"), "", nil)
	if str(w1, "student") != str(w2, "student") || str(w1, "student") != str(j, "student") {
		t.Errorf("one token, two students: %v, %v", w1["student"], w2["student"])
	}
	// Renewing a teacher's token: the same teacher, 12 hours from now.
	now = uint64(time.Now().UnixMilli())
	rn := s.ok(200, "POST", "/api/v1/token/renew", teacher, nil)
	cTwelveHours(t, "a renewed teacher's token", rn, now)
	if str(rn, "role") != "teacher" || str(rn, "token") == "" {
		t.Errorf("a teacher's token renewed: %v", rn)
	}
	if l := s.ok(200, "GET", "/api/v1/rooms?limit=500", str(rn, "token"), nil); len(cList(l, "rooms")) == 0 {
		t.Errorf("a renewed teacher's token lists no classes")
	}
	cIsErr(t, "renewing a token that is no token", s.json("POST", "/api/v1/token/renew", "nonsense", nil), 401, "unauthorized")
}

// cTwelveHours checks that a token answered at about now expires 12 hours
// later.
func cTwelveHours(t *testing.T, what string, m obj, now uint64) {
	t.Helper()
	exp, _ := num(m, "expires")
	if exp < now+12*3600000-60000 || exp > now+12*3600000+uint64(cWait.Milliseconds())+60000 {
		t.Errorf("%s expires at %d, %v after %d", what, exp, time.Duration(exp-now)*time.Millisecond, now)
	}
}
