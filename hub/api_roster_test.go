package hub

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// withRosters gives the node a roster store in its NATS.
func withRosters(t *testing.T) envOption {
	return func(c *Config, rc *rooms.Config) {
		st, err := roster.Open(context.Background(), rc.JS, 1)
		if err != nil {
			t.Fatal(err)
		}
		c.Rosters = st
		rc.Profiles = st.Profiles()
	}
}

// send makes a request with a body of the given type and decodes the
// answer as call does.
func (e *env) send(method, path, token, contentType string, body []byte, out any) (int, *protocol.Error) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 {
		var eb struct {
			Error *protocol.Error `json:"error"`
		}
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error == nil || eb.Error.Code == "" || eb.Error.Message == "" {
			e.t.Fatalf("%s %s: status %d with a body that is not a JSON error: %q", method, path, res.StatusCode, b)
		}
		return res.StatusCode, eb.Error
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode, nil
}

// A OneRoster bundle of one class, 7B maths, of Olivia Smith, Sam Kim and
// Sam Park, with their teacher and a student to be deleted.
var (
	bundleUsers = "sourcedId,status,dateLastModified,role,username,givenName,familyName,email\n" +
		"t1,active,2026-09-01,teacher,rivera,Ada,Rivera,rivera@school.example\n" +
		"s1,active,2026-09-01,student,osmith,Olivia,Smith,\n" +
		"s2,active,2026-09-01,student,skim,Sam,Kim,\n" +
		"s3,active,2026-09-01,student,spark,Sam,Park,\n" +
		"s4,tobedeleted,2026-09-01,student,nbrown,Noah,Brown,\n"
	bundleClasses = "sourcedId,status,dateLastModified,title,classCode,classType\n" +
		"c1,active,2026-09-01,7B maths,MATH7B,scheduled\n"
	bundleEnrollments = "sourcedId,status,dateLastModified,classSourcedId,userSourcedId,role,primary\n" +
		"e1,active,2026-09-01,c1,t1,teacher,true\n" +
		"e2,active,2026-09-01,c1,s1,student,false\n" +
		"e3,active,2026-09-01,c1,s2,student,false\n" +
		"e4,active,2026-09-01,c1,s3,student,false\n" +
		"e5,active,2026-09-01,c1,s4,student,false\n"
)

func zipBundle(t *testing.T, users, classes, enrollments string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{
		{"oneroster/users.csv", users}, {"oneroster/classes.csv", classes}, {"oneroster/enrollments.csv", enrollments},
		{"oneroster/manifest.csv", "propertyName,value\nmanifest.version,1.0\n"},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importRoster imports the bundle for the teacher and returns its roster.
func (e *env) importRoster(token string) roster.Roster {
	e.t.Helper()
	var res roster.ImportResult
	st, perr := e.send("POST", "/api/v1/rosters/import", token, "application/zip", zipBundle(e.t, bundleUsers, bundleClasses, bundleEnrollments), &res)
	if perr != nil || st != http.StatusOK || len(res.Rosters) != 1 {
		e.t.Fatalf("import: %d %v %+v", st, perr, res)
	}
	return res.Rosters[0]
}

// rosteredRoom opens a class with the roster.
func (e *env) rosteredRoom(token string, id roster.ID) rooms.RoomInfo {
	e.t.Helper()
	var info rooms.RoomInfo
	st, perr := e.call("POST", "/api/v1/rooms", token, map[string]string{"title": "Maths", "roster": string(id)}, &info)
	if perr != nil || st != http.StatusCreated || info.Roster != string(id) {
		e.t.Fatalf("open a rostered class: %d %v %+v", st, perr, info)
	}
	return info
}

func pick(code string, s roster.Student, word string) map[string]string {
	return map[string]string{"code": code, "student": string(s.ID), "word": word}
}

// The whole path of a rostered class: a teacher imports a class from the
// school's system and opens a session with it; a student picks their
// name and word, from two devices, and is one student; the student and
// the teacher read and edit the profile, each as allowed.
func TestRosteredClass(t *testing.T) {
	e := newEnv(t, withRosters(t))
	tl := e.teacher()
	r := e.importRoster(tl.Token)
	if r.Name != "7B maths" || len(r.Students) != 3 {
		t.Fatalf("imported %+v", r)
	}
	olivia, samK := r.Students[0], r.Students[1]
	if olivia.Name != "Olivia" || samK.Name != "Sam K." || r.Students[2].Name != "Sam P." {
		t.Fatalf("names %q %q %q", olivia.Name, samK.Name, r.Students[2].Name)
	}
	info := e.rosteredRoom(tl.Token, r.ID)

	// The list of names, from the code as a student types it.
	typed := strings.ToLower(info.Code[:3]) + "-" + info.Code[3:]
	var raw map[string]json.RawMessage
	if st, perr := e.call("GET", "/api/v1/join/"+typed, "", nil, &raw); perr != nil {
		t.Fatalf("join list: %d %v", st, perr)
	}
	var students []map[string]any
	if err := json.Unmarshal(raw["students"], &students); err != nil || len(students) != 3 {
		t.Fatalf("students %s: %v", raw["students"], err)
	}
	for i, s := range students {
		if len(s) != 2 || s["id"] != string(r.Students[i].ID) || s["name"] != r.Students[i].Name {
			t.Errorf("entry %d: %v, want only the id and name of %+v", i, s, r.Students[i])
		}
	}
	for _, s := range r.Students {
		if bytes.Contains(raw["students"], []byte(s.Code)) {
			t.Errorf("the join list shows %s's code %q: %s", s.Name, s.Code, raw["students"])
		}
	}
	var jl JoinListResponse
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &jl)
	if !jl.Rostered || jl.Room != (JoinedRoom{ID: info.ID, Title: "Maths"}) || len(jl.Words) != len(roster.Words) {
		t.Fatalf("join list: %+v", jl)
	}

	// Olivia picks her name and her word; then again from a tablet.
	var first, second JoinResponse
	if st, perr := e.call("POST", "/api/v1/join", "", pick(typed, olivia, olivia.Code), &first); perr != nil {
		t.Fatalf("join by picking: %d %v", st, perr)
	}
	if first.Name != "Olivia" || first.Room.ID != info.ID || !first.Student.Valid() || first.Token == "" {
		t.Fatalf("join answer %+v", first)
	}
	cl, err := e.cfg.Tokens.Verify(first.Token)
	if err != nil || cl.Role != protocol.RoleStudent || cl.Room != info.ID || cl.Student != first.Student || cl.Name != "Olivia" {
		t.Fatalf("token %+v %v", cl, err)
	}
	if st, perr := e.call("POST", "/api/v1/join", "", pick(info.Code, olivia, " "+strings.ToUpper(olivia.Code)), &second); perr != nil {
		t.Fatalf("join again: %d %v", st, perr)
	}
	if second.Student != first.Student || second.Name != first.Name {
		t.Fatalf("joined again as %+v, first as %+v: want the same student", second, first)
	}
	tc, w := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	_ = tc
	var tv protocol.TeacherView
	if err := json.Unmarshal(w.Snapshot, &tv); err != nil || len(tv.Students) != 1 || tv.Students[0].ID != first.Student {
		t.Fatalf("the class after two joins of Olivia: %+v %v", tv.Students, err)
	}
	e.mustConnect("olivia's tablet", protocol.Hello{Token: second.Token})

	// Wrong words, typed names and half-picked names are refused.
	for _, c := range []struct {
		body   map[string]string
		status int
		code   protocol.Code
		msg    string
	}{
		{pick(info.Code, olivia, samK.Code), 401, protocol.CodeUnauthorized, "not your picture"},
		{map[string]string{"code": info.Code, "name": "Olivia"}, 400, protocol.CodeInvalid, "pick your name"},
		{map[string]string{"code": info.Code, "name": "Olivia", "student": string(olivia.ID), "word": olivia.Code}, 400, protocol.CodeInvalid, "either"},
		{map[string]string{"code": info.Code, "student": string(olivia.ID)}, 400, protocol.CodeInvalid, "required"},
		{map[string]string{"code": info.Code, "word": olivia.Code}, 400, protocol.CodeInvalid, "required"},
		{map[string]string{"code": info.Code, "student": "x", "word": olivia.Code}, 400, protocol.CodeInvalid, "not a student ID"},
		{pick(info.Code, roster.Student{ID: roster.StudentID(protocol.NewStudentID())}, "apple"), 404, protocol.CodeNotFound, "not on this class's list"},
		{pick("ZZZZZZ", olivia, olivia.Code), 404, protocol.CodeNotFound, "no open class"},
	} {
		st, perr := e.call("POST", "/api/v1/join", "", c.body, nil)
		if st != c.status || perr == nil || perr.Code != c.code || !strings.Contains(perr.Message, c.msg) {
			t.Errorf("join %v: %d %v, want %d %s (%q)", c.body, st, perr, c.status, c.code, c.msg)
		}
	}

	// Olivia reads her profile and changes her interests and goals, not
	// her strengths.
	var p roster.Profile
	if st, perr := e.call("GET", "/api/v1/me/profile", first.Token, nil, &p); perr != nil {
		t.Fatalf("own profile: %d %v", st, perr)
	}
	if p.Student != olivia.ID || p.Roster != r.ID || p.Name != "Olivia" || p.Interests == nil || len(p.Interests) != 0 {
		t.Fatalf("own profile %+v", p)
	}
	mine := map[string][]string{"interests": {"horses", "drawing"}, "goals": {"times tables to 12"}}
	if st, perr := e.call("PUT", "/api/v1/me/profile", second.Token, mine, &p); perr != nil {
		t.Fatalf("edit own profile: %d %v", st, perr)
	}
	if !slices.Equal(p.Interests, mine["interests"]) || !slices.Equal(p.Goals, mine["goals"]) {
		t.Fatalf("after the edit: %+v", p)
	}
	for _, body := range []map[string][]string{
		{"strengths": {"everything"}},
		{"interests": {"horses"}, "challenges": {}},
	} {
		if st, perr := e.call("PUT", "/api/v1/me/profile", first.Token, body, nil); st != 403 || perr.Code != protocol.CodeForbidden {
			t.Errorf("a student's edit of %v: %d %v, want 403 forbidden", body, st, perr)
		}
	}
	if st, perr := e.call("PUT", "/api/v1/me/profile", first.Token, map[string]any{"goals": []string{"x"}, "mastery": map[string]float64{"a": 1}}, nil); st != 400 || perr.Code != protocol.CodeInvalid {
		t.Errorf("a student's edit of mastery: %d %v, want 400 invalid", st, perr)
	}

	// The teacher reads the whole profile, with Olivia's edits, and writes
	// strengths.
	if st, perr := e.call("GET", "/api/v1/profiles/"+string(olivia.ID), tl.Token, nil, &p); perr != nil {
		t.Fatalf("teacher's read: %d %v", st, perr)
	}
	if !slices.Equal(p.Interests, mine["interests"]) || len(p.Strengths) != 0 {
		t.Fatalf("teacher's read %+v", p)
	}
	if _, perr := e.call("PUT", "/api/v1/profiles/"+string(olivia.ID), tl.Token, map[string][]string{"strengths": {"mental arithmetic"}, "challenges": {"fractions"}}, &p); perr != nil {
		t.Fatal(perr)
	}
	if !slices.Equal(p.Strengths, []string{"mental arithmetic"}) || !slices.Equal(p.Challenges, []string{"fractions"}) || !slices.Equal(p.Goals, mine["goals"]) {
		t.Fatalf("teacher's edit %+v", p)
	}
	if _, perr := e.call("GET", "/api/v1/me/profile", first.Token, nil, &p); perr != nil || !slices.Equal(p.Strengths, []string{"mental arithmetic"}) {
		t.Fatalf("Olivia reads her strengths: %+v %v", p, perr)
	}
	// The challenges are the teacher's notes: Olivia's device is never
	// sent them, on a read or on her own edit.
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PUT", map[string][]string{"goals": {"times tables to 12"}}}} {
		var raw map[string]json.RawMessage
		if _, perr := e.call(c.method, "/api/v1/me/profile", first.Token, c.body, &raw); perr != nil {
			t.Fatal(perr)
		}
		if _, ok := raw["challenges"]; ok || raw["strengths"] == nil {
			t.Errorf("%s /api/v1/me/profile sends the student %v; want the strengths and no challenges", c.method, raw)
		}
	}

	// Another teacher finds none of it.
	other := e.teacher()
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/profiles/" + string(olivia.ID), nil},
		{"PUT", "/api/v1/profiles/" + string(olivia.ID), map[string][]string{"goals": {"mine"}}},
		{"GET", "/api/v1/rosters/" + string(r.ID), nil},
		{"PUT", "/api/v1/rosters/" + string(r.ID), map[string]any{"name": "Mine", "students": []any{}}},
		{"DELETE", "/api/v1/rosters/" + string(r.ID), nil},
		{"POST", "/api/v1/rosters/" + string(r.ID) + "/students/" + string(olivia.ID) + "/code", nil},
		{"POST", "/api/v1/rooms", map[string]string{"title": "Mine", "roster": string(r.ID)}},
	} {
		if st, perr := e.call(c.method, c.path, other.Token, c.body, nil); st != 404 || perr.Code != protocol.CodeNotFound {
			t.Errorf("another teacher, %s %s: %d %v, want 404 not_found", c.method, c.path, st, perr)
		}
	}
	var list map[string][]roster.Roster
	if _, perr := e.call("GET", "/api/v1/rosters", other.Token, nil, &list); perr != nil || list["rosters"] == nil || len(list["rosters"]) != 0 {
		t.Fatalf("another teacher's rosters: %v %v", list, perr)
	}

	// Tokens of the wrong role are forbidden.
	if st, perr := e.call("GET", "/api/v1/me/profile", tl.Token, nil, nil); st != 403 || perr.Code != protocol.CodeForbidden {
		t.Errorf("a teacher's token on /me/profile: %d %v", st, perr)
	}
	if st, perr := e.call("GET", "/api/v1/rosters", first.Token, nil, nil); st != 403 || perr.Code != protocol.CodeForbidden {
		t.Errorf("a student's token on /rosters: %d %v", st, perr)
	}
	if st, perr := e.call("GET", "/api/v1/me/profile", "", nil, nil); st != 401 || perr.Code != protocol.CodeUnauthorized {
		t.Errorf("no token on /me/profile: %d %v", st, perr)
	}

	// A student whose name the teacher takes off the roster keeps the
	// session, but no longer has a profile.
	var r2 roster.Roster
	keep := []roster.StudentInput{{ID: samK.ID, GivenName: "Sam", FamilyName: "Kim"}}
	if _, perr := e.call("PUT", "/api/v1/rosters/"+string(r.ID), tl.Token, RosterRequest{Name: r.Name, Students: keep}, &r2); perr != nil {
		t.Fatal(perr)
	}
	if st, perr := e.call("GET", "/api/v1/me/profile", first.Token, nil, nil); st != 404 || !strings.Contains(perr.Message, "no longer") {
		t.Errorf("the profile of a student taken off the roster: %d %v", st, perr)
	}
}

// A student of a class without a roster types their name as before, and
// has no profile.
func TestUnrosteredClass(t *testing.T) {
	e := newEnv(t, withRosters(t))
	tl := e.teacher()
	info := e.room(tl.Token, "Science")
	var jl JoinListResponse
	if _, perr := e.call("GET", "/api/v1/join/"+info.Code, "", nil, &jl); perr != nil {
		t.Fatal(perr)
	}
	if jl.Rostered || jl.Room.ID != info.ID || jl.Students == nil || len(jl.Students) != 0 || jl.Words == nil || len(jl.Words) != 0 {
		t.Fatalf("join list of a class without a roster: %+v", jl)
	}
	jr := e.join(info.Code, "Olivia")
	st, perr := e.call("GET", "/api/v1/me/profile", jr.Token, nil, nil)
	if st != 404 || perr.Code != protocol.CodeNotFound || !strings.Contains(perr.Message, "picking their name") {
		t.Fatalf("the profile of a student who typed their name: %d %v", st, perr)
	}
	r := e.importRoster(tl.Token)
	if st, perr := e.call("POST", "/api/v1/join", "", pick(info.Code, r.Students[0], r.Students[0].Code), nil); st != 400 || !strings.Contains(perr.Message, "type your name") {
		t.Fatalf("picking a name in a class without a roster: %d %v", st, perr)
	}
	for _, code := range []string{"ZZZZZZ", "0OIL1", "x"} {
		if st, perr := e.call("GET", "/api/v1/join/"+code, "", nil, nil); st != 404 || perr.Code != protocol.CodeNotFound {
			t.Errorf("join list of %q: %d %v, want 404", code, st, perr)
		}
	}
	// An ended class's code is void for the list as for joining.
	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/end", tl.Token, nil, nil); perr != nil {
		t.Fatal(perr)
	}
	if st, _ := e.call("GET", "/api/v1/join/"+info.Code, "", nil, nil); st != 404 {
		t.Fatalf("join list of an ended class: %d, want 404", st)
	}
}

func TestRosterREST(t *testing.T) {
	e := newEnv(t, withRosters(t))
	tl := e.teacher()
	var r roster.Roster
	body := RosterRequest{Name: "5C", Students: []roster.StudentInput{{GivenName: "Ava", FamilyName: "Lee"}, {GivenName: "Ben"}}}
	if st, perr := e.call("POST", "/api/v1/rosters", tl.Token, body, &r); perr != nil || st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, perr)
	}
	if r.Name != "5C" || len(r.Students) != 2 || r.Students[0].Code == "" || r.Students[0].Picture == "" {
		t.Fatalf("created %+v", r)
	}
	var list map[string][]roster.Roster
	if _, perr := e.call("GET", "/api/v1/rosters", tl.Token, nil, &list); perr != nil || len(list["rosters"]) != 1 || list["rosters"][0].ID != r.ID {
		t.Fatalf("list: %+v %v", list, perr)
	}
	var got roster.Roster
	if _, perr := e.call("GET", "/api/v1/rosters/"+string(r.ID), tl.Token, nil, &got); perr != nil || !slices.Equal(got.Students, r.Students) {
		t.Fatalf("get: %+v %v", got, perr)
	}

	ava := r.Students[0]
	put := RosterRequest{Name: "5C maths", Students: []roster.StudentInput{{ID: ava.ID, GivenName: "Ava", FamilyName: "Lee"}, {GivenName: "Ava", FamilyName: "Moss"}}}
	if _, perr := e.call("PUT", "/api/v1/rosters/"+string(r.ID), tl.Token, put, &got); perr != nil {
		t.Fatal(perr)
	}
	if got.Name != "5C maths" || len(got.Students) != 2 || got.Students[0].ID != ava.ID || got.Students[0].Code != ava.Code ||
		got.Students[0].Name != "Ava L." || got.Students[1].Name != "Ava M." {
		t.Fatalf("put: %+v", got)
	}

	var reissued map[string]roster.Student
	if _, perr := e.call("POST", "/api/v1/rosters/"+string(r.ID)+"/students/"+string(ava.ID)+"/code", tl.Token, nil, &reissued); perr != nil {
		t.Fatal(perr)
	}
	if s := reissued["student"]; s.ID != ava.ID || s.Code == ava.Code || s.Code == got.Students[1].Code {
		t.Fatalf("reissued %+v, was %+v", s, ava)
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         protocol.Code
	}{
		{"POST", "/api/v1/rosters", `{"name":"5C","students":[],"teacher":"x"}`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rosters", `{"name":"5C","students":[{"given_name":"Ava","code":"apple"}]}`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rosters", map[string]any{"name": "", "students": []any{}}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rosters", map[string]any{"name": "5D", "students": []any{map[string]string{"given_name": ""}}}, 400, protocol.CodeInvalid},
		{"PUT", "/api/v1/rosters/" + string(r.ID), map[string]any{"name": "5C", "students": []any{map[string]string{"id": string(protocol.NewStudentID()), "given_name": "Zed"}}}, 400, protocol.CodeInvalid},
		{"GET", "/api/v1/rosters/not-an-id", nil, 400, protocol.CodeInvalid},
		{"GET", "/api/v1/rosters/" + string(protocol.NewRoomID()), nil, 404, protocol.CodeNotFound},
		{"POST", "/api/v1/rosters/" + string(r.ID) + "/students/x/code", nil, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rosters/" + string(r.ID) + "/students/" + string(protocol.NewStudentID()) + "/code", nil, 404, protocol.CodeNotFound},
		{"GET", "/api/v1/profiles/x", nil, 400, protocol.CodeInvalid},
		{"PUT", "/api/v1/profiles/" + string(ava.ID), map[string]any{"goals": []string{""}}, 400, protocol.CodeInvalid},
		{"PUT", "/api/v1/profiles/" + string(ava.ID), map[string]any{"history": []any{}}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rooms", map[string]string{"title": "Maths", "roster": "x"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/rooms", map[string]string{"title": "Maths", "roster": string(protocol.NewRoomID())}, 404, protocol.CodeNotFound},
		{"GET", "/api/v1/rosters", "", 401, protocol.CodeUnauthorized},
	} {
		token := tl.Token
		if c.status == 401 {
			token = ""
		}
		st, perr := e.call(c.method, c.path, token, c.body, nil)
		if st != c.status || perr == nil || perr.Code != c.code {
			t.Errorf("%s %s %v: %d %v, want %d %s", c.method, c.path, c.body, st, perr, c.status, c.code)
		}
	}

	if st, perr := e.call("DELETE", "/api/v1/rosters/"+string(r.ID), tl.Token, nil, nil); perr != nil || st != http.StatusNoContent {
		t.Fatalf("delete: %d %v", st, perr)
	}
	if st, _ := e.call("GET", "/api/v1/rosters/"+string(r.ID), tl.Token, nil, nil); st != 404 {
		t.Fatalf("get after delete: %d", st)
	}
	if st, _ := e.call("GET", "/api/v1/profiles/"+string(ava.ID), tl.Token, nil, nil); st != 404 {
		t.Fatalf("a profile after its roster's delete: %d", st)
	}
}

func TestRosterImportREST(t *testing.T) {
	e := newEnv(t, withRosters(t))
	tl := e.teacher()

	// A bad bundle: every problem in the message, nothing imported.
	users := bundleUsers + "s5,active,2026-09-01,student,x,,Jones,\n"
	enrol := bundleEnrollments + "e6,active,2026-09-01,c9,s1,student,false\n"
	st, perr := e.send("POST", "/api/v1/rosters/import", tl.Token, "application/zip", zipBundle(t, users, bundleClasses, enrol), nil)
	want := "nothing was imported; the bundle has 2 problems\nusers.csv:7: givenName is empty\nenrollments.csv:7: class \"c9\" is not in classes.csv"
	if st != 400 || perr.Code != protocol.CodeInvalid || perr.Message != want {
		t.Fatalf("a bad bundle: %d %v, want 400 invalid %q", st, perr, want)
	}
	var list map[string][]roster.Roster
	if _, perr := e.call("GET", "/api/v1/rosters", tl.Token, nil, &list); perr != nil || len(list["rosters"]) != 0 {
		t.Fatalf("after a bad bundle: %+v %v", list, perr)
	}

	// The three files as a multipart form, then the same as a zip: the
	// second updates the first.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for name, data := range map[string]string{"users": bundleUsers, "classes": bundleClasses, "enrollments": bundleEnrollments} {
		w, err := mw.CreateFormFile(name, name+".csv")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, data)
	}
	_ = mw.Close()
	var first, second roster.ImportResult
	if st, perr := e.send("POST", "/api/v1/rosters/import", tl.Token, mw.FormDataContentType(), form.Bytes(), &first); perr != nil {
		t.Fatalf("multipart import: %d %v", st, perr)
	}
	if first.Created != 1 || len(first.Rosters) != 1 || len(first.Rosters[0].Students) != 3 {
		t.Fatalf("multipart import: %+v", first)
	}
	if st, perr := e.send("POST", "/api/v1/rosters/import", tl.Token, "application/zip", zipBundle(t, bundleUsers, bundleClasses, bundleEnrollments), &second); perr != nil {
		t.Fatalf("zip import: %d %v", st, perr)
	}
	if second.Created != 0 || second.Updated != 1 || second.Rosters[0].ID != first.Rosters[0].ID || !slices.Equal(second.Rosters[0].Students, first.Rosters[0].Students) {
		t.Fatalf("re-import: %+v\nfirst: %+v", second, first)
	}

	for _, c := range []struct {
		contentType string
		body        []byte
		status      int
		code        protocol.Code
	}{
		{"application/json", []byte(`{}`), 400, protocol.CodeInvalid},
		{"application/zip", []byte("not a zip"), 400, protocol.CodeInvalid},
		{"application/zip", make([]byte, roster.MaxBundleBytes+1), 413, protocol.CodeFrameTooLarge},
		{"multipart/form-data", []byte("x"), 400, protocol.CodeInvalid},
		{"multipart/form-data; boundary=b", bigPart(roster.MaxBundleBytes), 413, protocol.CodeFrameTooLarge},
		{"multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"users\"\r\n\r\nid"), 400, protocol.CodeInvalid},
	} {
		if st, perr := e.send("POST", "/api/v1/rosters/import", tl.Token, c.contentType, c.body, nil); st != c.status || perr.Code != c.code {
			t.Errorf("import of %s: %d %v, want %d %s", c.contentType, st, perr, c.status, c.code)
		}
	}
}

// bigPart is a multipart form whose one part is over n bytes.
func bigPart(n int) []byte {
	head := "--b\r\nContent-Disposition: form-data; name=\"users\"\r\n\r\n"
	return append(append([]byte(head), bytes.Repeat([]byte("x"), n)...), "\r\n--b--\r\n"...)
}

// A wrong join word costs more of the address's attempts than a join: a
// classmate's word cannot be guessed at the pace of a class joining.
func TestWrongWordIsRateLimited(t *testing.T) {
	e := newEnv(t, withRosters(t), func(c *Config, _ *rooms.Config) { c.JoinBurst = 10; c.JoinRate = 0.001 })
	tl := e.teacher() // one attempt: signing in
	r := e.importRoster(tl.Token)
	info := e.rosteredRoom(tl.Token, r.ID)
	olivia, sam := r.Students[0], r.Students[1]
	for range 2 { // 1 + wrongWordCost each
		if st, perr := e.call("POST", "/api/v1/join", "", pick(info.Code, olivia, sam.Code), nil); st != 401 {
			t.Fatalf("a wrong word: %d %v", st, perr)
		}
	}
	if st, perr := e.call("POST", "/api/v1/join", "", pick(info.Code, olivia, olivia.Code), nil); st != 429 || perr.Code != protocol.CodeRateLimited {
		t.Fatalf("after two wrong words: %d %v, want 429 rate_limited", st, perr)
	}
}
