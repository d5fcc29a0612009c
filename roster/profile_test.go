package roster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
)

func list(items ...string) *[]string { return &items }

func TestProfiles(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	r, err := s.Create(ctx, teacher, "7B maths", people("Olivia Smith", "Sam Kim"))
	if err != nil {
		t.Fatal(err)
	}
	olivia, sam := r.Students[0], r.Students[1]

	p, err := s.Profile(ctx, teacher, olivia.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Student != olivia.ID || p.Roster != r.ID || p.Name != "Olivia" || p.Strengths == nil || len(p.Strengths) != 0 ||
		p.Goals == nil || p.Mastery == nil || len(p.Mastery) != 0 || p.History == nil || len(p.History) != 0 {
		t.Fatalf("a new profile: %+v", p)
	}

	clk.add(time.Minute)
	p, err = s.EditProfile(ctx, teacher, olivia.ID, ProfileEdit{
		Strengths: list(" mental arithmetic "), Challenges: list("fractions", "long division"),
		Interests: list("horses"), Goals: list("times tables to 12"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Strengths, "|") != "mental arithmetic" || strings.Join(p.Challenges, "|") != "fractions|long division" ||
		strings.Join(p.Interests, "|") != "horses" || strings.Join(p.Goals, "|") != "times tables to 12" || p.Updated != clk.now().UnixMilli() {
		t.Fatalf("edited: %+v", p)
	}
	// Lists left out are kept; an empty list clears.
	p, err = s.EditProfile(ctx, teacher, olivia.ID, ProfileEdit{Interests: list("horses", "drawing"), Goals: list()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Strengths, "|") != "mental arithmetic" || strings.Join(p.Interests, "|") != "horses|drawing" || len(p.Goals) != 0 {
		t.Fatalf("edited again: %+v", p)
	}
	if got, err := s.Profile(ctx, teacher, olivia.ID); err != nil || strings.Join(got.Interests, "|") != "horses|drawing" {
		t.Fatalf("read back: %+v %v", got, err)
	}

	tooMany := make([]string, MaxItems+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint(i)
	}
	for _, e := range []ProfileEdit{
		{Strengths: &tooMany},
		{Goals: list("")},
		{Interests: list("  ")},
		{Challenges: list(strings.Repeat("c", MaxItemRunes+1))},
		{Goals: list("two\nlines")},
	} {
		if _, err := s.EditProfile(ctx, teacher, olivia.ID, e); !isInvalid(err) {
			t.Errorf("edit %+v: %v, want invalid", e, err)
		}
	}

	// Another teacher's students are not found, nor are students gone
	// from the roster.
	if _, err := s.Profile(ctx, other, olivia.ID); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("another teacher's read: %v, want ErrNoStudent", err)
	}
	if _, err := s.EditProfile(ctx, other, olivia.ID, ProfileEdit{Goals: list("mine")}); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("another teacher's edit: %v, want ErrNoStudent", err)
	}
	for _, id := range []StudentID{"", "x", StudentID(protocol.NewStudentID())} {
		if _, err := s.Profile(ctx, teacher, id); !errors.Is(err, ErrNoStudent) {
			t.Errorf("profile of %q: %v, want ErrNoStudent", id, err)
		}
	}
	if _, err := s.Replace(ctx, teacher, r.ID, r.Name, []StudentInput{{ID: olivia.ID, GivenName: "Olivia", FamilyName: "Smith"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Profile(ctx, teacher, sam.ID); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("a removed student's profile: %v, want ErrNoStudent", err)
	}
	if _, err := s.Mastery(ctx, sam.ID); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("a removed student's mastery: %v, want ErrNoStudent", err)
	}
}

func TestMasteryHistory(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r, err := s.Create(ctx, teacher, "7B maths", people("Olivia Smith"))
	if err != nil {
		t.Fatal(err)
	}
	id := r.Students[0].ID
	if m, err := s.Mastery(ctx, id); err != nil || m == nil || len(m) != 0 {
		t.Fatalf("mastery before any session: %v %v", m, err)
	}
	room2 := protocol.NewRoomID()
	const t0, t1, t2 = 1_000, 2_000, 3_000
	for _, c := range []struct {
		room protocol.RoomID
		at   int64
		m    map[protocol.SkillID]float64
	}{
		{room, t1, map[protocol.SkillID]float64{"fractions.add": 0.3, "decimals": 0.5}},
		{room2, t2, map[protocol.SkillID]float64{"fractions.add": 0.6}},
		{room, t0, map[protocol.SkillID]float64{"fractions.add": 0.1}},  // late news of an earlier session
		{room2, t2, map[protocol.SkillID]float64{"fractions.add": 0.7}}, // the same session again
	} {
		if err := s.RecordSession(ctx, id, c.room, c.at, c.m); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.Mastery(ctx, id)
	if err != nil || len(m) != 2 || m["fractions.add"] != 0.7 || m["decimals"] != 0.5 {
		t.Fatalf("mastery %v %v, want fractions.add 0.7 and decimals 0.5", m, err)
	}
	p, err := s.Profile(ctx, teacher, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{room, t0, "fractions.add", 0.1},
		{room, t1, "decimals", 0.5},
		{room, t1, "fractions.add", 0.3},
		{room2, t2, "fractions.add", 0.7},
	}
	if fmt.Sprint(p.History) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", p.History, want)
	}
	if e := p.Mastery["fractions.add"]; e != (Estimate{P: 0.7, Room: room2, At: t2}) {
		t.Fatalf("latest estimate %+v", e)
	}

	// The history keeps the latest MaxHistory samples: ten sessions of 50
	// skills push the four above out.
	const perSession = MaxHistory / 10
	for i := range 10 {
		m := map[protocol.SkillID]float64{}
		for k := range perSession {
			m[protocol.SkillID(fmt.Sprintf("h-%02d", k))] = 0.5
		}
		if err := s.RecordSession(ctx, id, room2, int64(10_000+i), m); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = s.Profile(ctx, teacher, id)
	if len(p.History) != MaxHistory || p.History[0].At != 10_000 || p.History[MaxHistory-1].At != 10_009 {
		t.Fatalf("history of %d from %d to %d, want %d from 10000 to 10009", len(p.History), p.History[0].At, p.History[len(p.History)-1].At, MaxHistory)
	}

	// The estimates keep the MaxSkills skills estimated last: the two
	// estimated first go.
	many := map[protocol.SkillID]float64{}
	for i := range MaxSkills - perSession {
		many[protocol.SkillID(fmt.Sprintf("skill-%03d", i))] = 0.9
	}
	if err := s.RecordSession(ctx, id, room, 20_000, many); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Mastery(ctx, id)
	_, fractions := m["fractions.add"]
	_, decimals := m["decimals"]
	if len(m) != MaxSkills || fractions || decimals || m["h-00"] != 0.5 || m["skill-000"] != 0.9 {
		t.Fatalf("%d skills, fractions.add kept %v, decimals kept %v; want %d without them", len(m), fractions, decimals, MaxSkills)
	}

	for _, c := range []struct {
		room protocol.RoomID
		at   int64
		m    map[protocol.SkillID]float64
	}{
		{room, 1, map[protocol.SkillID]float64{"a": 1.5}},
		{room, 1, map[protocol.SkillID]float64{"a": -0.1}},
		{room, 1, map[protocol.SkillID]float64{"a": math.NaN()}},
		{room, 1, map[protocol.SkillID]float64{"Not A Skill": 0.5}},
		{"x", 1, map[protocol.SkillID]float64{"a": 0.5}},
		{room, 0, map[protocol.SkillID]float64{"a": 0.5}},
		{room, 1, func() map[protocol.SkillID]float64 {
			m := map[protocol.SkillID]float64{}
			for i := range MaxSkills + 1 {
				m[protocol.SkillID(fmt.Sprint("s", i))] = 0.5
			}
			return m
		}()},
	} {
		if err := s.RecordSession(ctx, id, c.room, c.at, c.m); !isInvalid(err) {
			t.Errorf("record %s %d %v: %v, want invalid", c.room, c.at, len(c.m), err)
		}
	}
	if err := s.RecordSession(ctx, StudentID(protocol.NewStudentID()), room, 1, nil); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("an unknown student: %v, want ErrNoStudent", err)
	}
}

func TestSeats(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r, err := s.Create(ctx, teacher, "7B maths", people("Olivia Smith"))
	if err != nil {
		t.Fatal(err)
	}
	inRoom := protocol.NewStudentID()
	if _, err := s.SeatOf(ctx, r.ID, room, inRoom); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("no seat yet: %v", err)
	}
	if err := s.Seat(ctx, r.ID, room, inRoom, r.Students[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SeatOf(ctx, r.ID, room, inRoom); err != nil || got != r.Students[0].ID {
		t.Fatalf("seat: %q %v", got, err)
	}
	if _, err := s.SeatOf(ctx, ID(protocol.NewRoomID()), room, inRoom); !errors.Is(err, ErrNoStudent) {
		t.Fatalf("a seat of another roster: %v", err)
	}
	if err := s.Seat(ctx, r.ID, "x", inRoom, r.Students[0].ID); err == nil {
		t.Fatal("a seat in a malformed room was stored")
	}
}

// Practice opportunities add up over sessions, and a count never goes
// back: a session records where it counted on to.
func TestPracticeAcrossSessions(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r, err := s.Create(ctx, teacher, "7B maths", people("Olivia Smith"))
	if err != nil {
		t.Fatal(err)
	}
	id := r.Students[0].ID
	if n, err := s.Practice(ctx, id); err != nil || len(n) != 0 {
		t.Fatalf("practice before any session: %v %v", n, err)
	}
	for _, c := range []map[protocol.SkillID]int{
		{"fractions.add": 6, "decimals": 2},
		{"fractions.add": 11},
		{"fractions.add": 9}, // an older session recorded late
	} {
		if err := s.RecordPractice(ctx, id, c); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Practice(ctx, id)
	if err != nil || len(n) != 2 || n["fractions.add"] != 11 || n["decimals"] != 2 {
		t.Fatalf("practice %v %v, want fractions.add 11 and decimals 2", n, err)
	}
	if err := s.RecordPractice(ctx, id, map[protocol.SkillID]int{"fractions.add": -1}); !isInvalid(err) {
		t.Errorf("a negative count: err = %v", err)
	}
	if err := s.RecordPractice(ctx, StudentID(protocol.NewStudentID()), nil); !errors.Is(err, ErrNoStudent) {
		t.Errorf("no such student: err = %v", err)
	}
}
