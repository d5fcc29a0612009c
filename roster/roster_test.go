package roster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

var (
	teacher = protocol.TeacherID("56dc0416-b107-4617-be61-55d33c2d6c59")
	other   = protocol.TeacherID("9a0c2f4e-3b1d-4c6a-8e7f-5d2b1a0c9e8f")
	room    = protocol.RoomID("4b955ea0-e456-4b43-a44e-e3de91013e9e")
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	s, err := Open(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s.Now = clk.now
	return s, clk
}

func people(names ...string) []StudentInput {
	out := make([]StudentInput, len(names))
	for i, n := range names {
		given, family, _ := strings.Cut(n, " ")
		out[i] = StudentInput{GivenName: given, FamilyName: family}
	}
	return out
}

func names(r Roster) []string {
	var out []string
	for _, s := range r.Students {
		out = append(out, s.Name)
	}
	return out
}

func isInvalid(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe) && pe.Code == protocol.CodeInvalid
}

// checkCodes fails unless every student has a join code of the list, with
// its picture, and no two have the same.
func checkCodes(t *testing.T, r Roster) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range r.Students {
		if s.Code == "" || picture(s.Code) == "" || s.Picture != picture(s.Code) {
			t.Errorf("%s: code %q picture %q", s.Name, s.Code, s.Picture)
		}
		if seen[s.Code] {
			t.Errorf("code %q given twice in %v", s.Code, r.Students)
		}
		seen[s.Code] = true
	}
}

func TestWordsAreDistinct(t *testing.T) {
	if len(Words) <= MaxStudents {
		t.Fatalf("%d words for rosters of %d: a full roster has no code to reissue", len(Words), MaxStudents)
	}
	words, pictures := map[string]bool{}, map[string]bool{}
	for _, w := range Words {
		if w.Word != strings.ToLower(strings.TrimSpace(w.Word)) || w.Word == "" || w.Picture == "" {
			t.Errorf("word %+v", w)
		}
		if words[w.Word] || pictures[w.Picture] {
			t.Errorf("%+v is on the list twice", w)
		}
		words[w.Word], pictures[w.Picture] = true, true
	}
}

func TestRosterCRUD(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	r, err := s.Create(ctx, teacher, "  7B   maths ", people("Olivia Smith", "Sam Kim", "Sam Park", "Noah"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.ID.Valid() || r.Teacher != teacher || r.Name != "7B maths" || r.Created != clk.now().UnixMilli() {
		t.Fatalf("created %+v", r)
	}
	if got, want := strings.Join(names(r), ","), "Olivia,Sam K.,Sam P.,Noah"; got != want {
		t.Fatalf("display names %s, want %s", got, want)
	}
	checkCodes(t, r)
	for _, st := range r.Students {
		if !st.ID.Valid() || st.SourcedID != "" {
			t.Errorf("student %+v", st)
		}
		if p, err := s.Profile(ctx, teacher, st.ID); err != nil || p.Student != st.ID || p.Roster != r.ID || p.Name != st.Name {
			t.Errorf("profile of %s: %+v %v", st.Name, p, err)
		}
	}

	got, err := s.Get(ctx, teacher, r.ID)
	if err != nil || !slices.Equal(got.Students, r.Students) || got.Name != r.Name {
		t.Fatalf("get: %+v %v, want %+v", got, err, r)
	}
	if _, err := s.Get(ctx, other, r.ID); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("another teacher's get: %v, want ErrNoRoster", err)
	}
	for _, id := range []ID{"", "x", "r.>", ID(strings.Repeat("a", 36))} {
		if _, err := s.Get(ctx, teacher, id); !errors.Is(err, ErrNoRoster) {
			t.Errorf("get %q: %v, want ErrNoRoster", id, err)
		}
	}

	second, err := s.Create(ctx, teacher, "6A science", nil)
	if err != nil || second.Students == nil || len(second.Students) != 0 {
		t.Fatalf("an empty roster: %+v %v", second, err)
	}
	list, err := s.List(ctx, teacher)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != r.ID {
		t.Fatalf("list: %+v %v, want 6A science then 7B maths", list, err)
	}
	if list, err := s.List(ctx, other); err != nil || len(list) != 0 {
		t.Fatalf("another teacher's list: %+v %v", list, err)
	}

	// Replace: Olivia renamed, Sam Kim kept, Sam Park and Noah removed,
	// Mia new.
	olivia, samK, samP := r.Students[0], r.Students[1], r.Students[2]
	clk.add(time.Minute)
	r2, err := s.Replace(ctx, teacher, r.ID, "7B maths (set 2)", []StudentInput{
		{ID: samK.ID, GivenName: "Sam", FamilyName: "Kim"},
		{ID: olivia.ID, GivenName: "Liv", FamilyName: "Smith"},
		{GivenName: "Mia", FamilyName: "Jones"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names(r2), ","), "Sam,Liv,Mia"; got != want {
		t.Fatalf("after replace: %s, want %s", got, want)
	}
	if r2.Students[0].ID != samK.ID || r2.Students[0].Code != samK.Code || r2.Students[1].ID != olivia.ID || r2.Students[1].Code != olivia.Code {
		t.Fatalf("kept students lost their IDs or codes: %+v", r2.Students)
	}
	if r2.Name != "7B maths (set 2)" || r2.Updated != clk.now().UnixMilli() || r2.Created != r.Created {
		t.Fatalf("replaced %+v", r2)
	}
	checkCodes(t, r2)
	if _, err := s.Profile(ctx, teacher, samP.ID); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("a removed student's profile: %v, want ErrNoStudent", err)
	}
	if _, err := s.Profile(ctx, teacher, r2.Students[2].ID); err != nil {
		t.Fatalf("a new student's profile: %v", err)
	}

	for _, in := range [][]StudentInput{
		{{ID: samP.ID, GivenName: "Sam"}},                                  // removed: not on the roster
		{{ID: samK.ID, GivenName: "Sam"}, {ID: samK.ID, GivenName: "Sam"}}, // twice
		{{ID: "x", GivenName: "Sam"}},
		{{GivenName: " "}},
	} {
		if _, err := s.Replace(ctx, teacher, r.ID, "7B", in); !isInvalid(err) {
			t.Errorf("replace with %+v: %v, want invalid", in, err)
		}
	}
	if _, err := s.Replace(ctx, other, r.ID, "Mine now", nil); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("another teacher's replace: %v, want ErrNoRoster", err)
	}

	if err := s.Seat(ctx, r.ID, room, protocol.NewStudentID(), samK.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, other, r.ID); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("another teacher's delete: %v, want ErrNoRoster", err)
	}
	if err := s.Delete(ctx, teacher, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, teacher, r.ID); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("get after delete: %v", err)
	}
	for _, st := range r2.Students {
		if _, _, err := s.loadProfile(ctx, st.ID); !errors.Is(err, ErrNoStudent) {
			t.Errorf("profile of %s after delete: %v", st.Name, err)
		}
	}
	if keys, err := s.keys(ctx, "m.>"); err != nil || len(keys) != 0 {
		t.Fatalf("seats after delete: %v %v", keys, err)
	}
	if err := s.Delete(ctx, teacher, r.ID); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestCreateRefused(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	many := make([]string, MaxStudents+1)
	for i := range many {
		many[i] = fmt.Sprintf("Student%d", i)
	}
	for _, c := range []struct {
		name     string
		students []StudentInput
	}{
		{"", nil},
		{"   ", nil},
		{strings.Repeat("n", protocol.MaxTitleRunes+1), nil},
		{"bell\a", nil},
		{"7B\nmaths", nil},
		{"7B\tmaths", nil},
		{"7B", []StudentInput{{GivenName: "Sa\nm"}}},
		{"7B", []StudentInput{{GivenName: "Sam", FamilyName: "Ki\r\nm"}}},
		{"7B", people("")},
		{"7B", []StudentInput{{GivenName: strings.Repeat("g", MaxPersonRunes+1)}}},
		{"7B", []StudentInput{{GivenName: "Sam", FamilyName: strings.Repeat("f", MaxPersonRunes+1)}}},
		{"7B", []StudentInput{{GivenName: "Sam\x00"}}},
		{"7B", []StudentInput{{ID: StudentID(protocol.NewStudentID()), GivenName: "Sam"}}},
		{"7B", people(many...)},
	} {
		if _, err := s.Create(ctx, teacher, c.name, c.students); !isInvalid(err) {
			t.Errorf("create %q %+v: %v, want invalid", c.name, c.students, err)
		}
	}
	if list, _ := s.List(ctx, teacher); len(list) != 0 {
		t.Fatalf("refused rosters were stored: %+v", list)
	}
	// Replacing is held to the same: a name typed on two lines is
	// refused, not joined into one.
	r, err := s.Create(ctx, teacher, "7B", people("Sam"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Replace(ctx, teacher, r.ID, "7B\nmaths", nil); !isInvalid(err) {
		t.Errorf("replace with a name on two lines: %v, want invalid", err)
	}
	if _, err := s.Replace(ctx, teacher, r.ID, "7B", []StudentInput{{GivenName: "Sa\nm"}}); !isInvalid(err) {
		t.Errorf("replace with a student's name on two lines: %v, want invalid", err)
	}
	// A line break or tab around a name, as a pasted cell has, is dropped.
	pasted, err := s.Replace(ctx, teacher, r.ID, "7B\n", []StudentInput{{GivenName: "\tSam\r\n", FamilyName: "Kim\n"}})
	if err != nil {
		t.Fatalf("replace with names pasted from a spreadsheet: %v", err)
	}
	if pasted.Name != "7B" || len(pasted.Students) != 1 || pasted.Students[0].GivenName != "Sam" || pasted.Students[0].FamilyName != "Kim" {
		t.Errorf("pasted names kept as %q %+v", pasted.Name, pasted.Students)
	}
	if _, err := s.Create(ctx, "", "7B", nil); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("no teacher: %v", err)
	}
}

func TestRosterLimit(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i := range MaxRosters {
		if _, err := s.Create(ctx, teacher, fmt.Sprintf("Class %d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, teacher, "One more", nil); !isInvalid(err) {
		t.Fatalf("roster %d: %v, want invalid", MaxRosters+1, err)
	}
	if _, err := s.Create(ctx, other, "Another teacher's", nil); err != nil {
		t.Fatalf("another teacher is not limited by this one's rosters: %v", err)
	}
}

func TestDisplayNames(t *testing.T) {
	long := strings.Repeat("g", MaxPersonRunes)
	for _, c := range []struct {
		in   []StudentInput
		want string
	}{
		{people("Olivia Smith", "Noah Brown"), "Olivia,Noah"},
		{people("Sam Kim", "sam Park", "Ava Lee"), "Sam K.,sam P.,Ava"},
		{people("Sam Kim", "Sam King"), "Sam Kim,Sam Kin."},
		{people("Sam Kim", "Sam Kim", "Sam Park"), "Sam Kim,Sam Kim 2,Sam P."},
		{people("Sam", "Sam", "Sam Kim"), "Sam,Sam 2,Sam K."},
		{people("Zoë Ødegård", "Zoë Østby", "Zoë Ødeby"), "Zoë Ødeg.,Zoë Øs.,Zoë Ødeb."},
		// A given name that reads like another's with an initial.
		{[]StudentInput{{GivenName: "Sam K."}, {GivenName: "Sam", FamilyName: "Kim"}, {GivenName: "Sam", FamilyName: "Lee"}}, "Sam K.,Sam K. 2,Sam L."},
		{[]StudentInput{{GivenName: long, FamilyName: "Kim"}, {GivenName: long, FamilyName: "Lee"}}, long + "," + long[:MaxPersonRunes-2] + " 2"},
	} {
		list, err := mergeInputs(nil, c.in)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(names(Roster{Students: list}), ",")
		if got != c.want {
			t.Errorf("%+v: %s, want %s", c.in, got, c.want)
		}
		for _, st := range list {
			if n := len([]rune(st.Name)); n > protocol.MaxNameRunes {
				t.Errorf("%q is %d characters, over %d", st.Name, n, protocol.MaxNameRunes)
			}
		}
	}
}

func TestCodesUniqueAndReissued(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	many := make([]string, MaxStudents)
	for i := range many {
		many[i] = fmt.Sprintf("Student%d", i)
	}
	r, err := s.Create(ctx, teacher, "Full class", people(many...))
	if err != nil {
		t.Fatal(err)
	}
	checkCodes(t, r)

	st := r.Students[5]
	got, err := s.ReissueCode(ctx, teacher, r.ID, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != st.ID || got.Code == st.Code || got.Picture != picture(got.Code) {
		t.Fatalf("reissued %+v, was %+v", got, st)
	}
	r2, _ := s.Get(ctx, teacher, r.ID)
	checkCodes(t, r2)
	if r2.Students[5].Code != got.Code {
		t.Fatalf("stored code %q, answered %q", r2.Students[5].Code, got.Code)
	}
	if !r2.Students[5].Matches(" "+strings.ToUpper(got.Code)) || r2.Students[5].Matches(st.Code) || r2.Students[5].Matches("") {
		t.Fatal("Matches does not check the new code")
	}
	for i := range r.Students {
		if i != 5 && r2.Students[i].Code != r.Students[i].Code {
			t.Errorf("reissuing one code changed another: %+v", r2.Students[i])
		}
	}

	if _, err := s.ReissueCode(ctx, teacher, r.ID, StudentID(protocol.NewStudentID())); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("an unknown student: %v, want ErrNoStudent", err)
	}
	if _, err := s.ReissueCode(ctx, other, r.ID, st.ID); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("another teacher: %v, want ErrNoRoster", err)
	}

	// Reissues at the same time, of different students, still leave every
	// code different.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.ReissueCode(ctx, teacher, r.ID, r.Students[i].ID)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r3, _ := s.Get(ctx, teacher, r.ID)
	checkCodes(t, r3)
}
