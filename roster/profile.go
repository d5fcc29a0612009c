package roster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// Profile limits.
const (
	// MaxItems is how many entries each list of a profile holds.
	MaxItems = 12
	// MaxItemRunes bounds one entry of a list.
	MaxItemRunes = 100
	// MaxSkills is how many skills a profile keeps an estimate of; past
	// it, the skill estimated longest ago is forgotten.
	MaxSkills = 200
	// MaxHistory is how many samples of mastery a profile keeps; past it,
	// the oldest are forgotten.
	MaxHistory = 500
)

// Profile is what is known of a rostered student as a learner.
type Profile struct {
	Student StudentID `json:"student"`
	Roster  ID        `json:"roster"`
	// Name is the student's display name on the roster when read.
	Name       string   `json:"name"`
	Strengths  []string `json:"strengths"`
	Challenges []string `json:"challenges"`
	Interests  []string `json:"interests"`
	Goals      []string `json:"goals"`
	// Mastery is the latest estimate of each skill; History the estimates
	// of the sessions, oldest first.
	Mastery map[protocol.SkillID]Estimate `json:"mastery"`
	History []Sample                      `json:"history"`
	Updated int64                         `json:"updated"` // Unix milliseconds
}

// Estimate is the latest estimate of a skill's mastery, and the session
// that made it.
type Estimate struct {
	P    float64         `json:"p"` // 0 to 1
	Room protocol.RoomID `json:"room"`
	At   int64           `json:"at"` // Unix milliseconds
}

// Sample is one estimate of one skill at the end of one session.
type Sample struct {
	Room  protocol.RoomID  `json:"room"`
	At    int64            `json:"at"` // Unix milliseconds
	Skill protocol.SkillID `json:"skill"`
	P     float64          `json:"p"`
}

// ProfileEdit changes the lists of a profile. A nil list is left as it
// is; an empty one clears it.
type ProfileEdit struct {
	Strengths  *[]string `json:"strengths,omitempty"`
	Challenges *[]string `json:"challenges,omitempty"`
	Interests  *[]string `json:"interests,omitempty"`
	Goals      *[]string `json:"goals,omitempty"`
}

// profileRecord is a profile as stored, with who it belongs to.
type profileRecord struct {
	Teacher    protocol.TeacherID            `json:"teacher"`
	Roster     ID                            `json:"roster"`
	Student    StudentID                     `json:"student"`
	Strengths  []string                      `json:"strengths,omitempty"`
	Challenges []string                      `json:"challenges,omitempty"`
	Interests  []string                      `json:"interests,omitempty"`
	Goals      []string                      `json:"goals,omitempty"`
	Mastery    map[protocol.SkillID]Estimate `json:"mastery,omitempty"`
	History    []Sample                      `json:"history,omitempty"`
	// Practice counts the practice opportunities of each skill over all
	// sessions: what the wheel-spinning rule counts.
	Practice map[protocol.SkillID]int `json:"practice,omitempty"`
	Created  int64                    `json:"created"`
	Updated  int64                    `json:"updated"`
}

func (p profileRecord) profile(name string) Profile {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	out := Profile{
		Student: p.Student, Roster: p.Roster, Name: name,
		Strengths: orEmpty(p.Strengths), Challenges: orEmpty(p.Challenges),
		Interests: orEmpty(p.Interests), Goals: orEmpty(p.Goals),
		Mastery: p.Mastery, History: p.History, Updated: p.Updated,
	}
	if out.Mastery == nil {
		out.Mastery = map[protocol.SkillID]Estimate{}
	}
	if out.History == nil {
		out.History = []Sample{}
	}
	return out
}

func (s *Store) createProfile(ctx context.Context, teacher protocol.TeacherID, roster ID, student StudentID) error {
	now := s.now().UnixMilli()
	b, err := json.Marshal(profileRecord{Teacher: teacher, Roster: roster, Student: student, Created: now, Updated: now})
	if err != nil {
		return err
	}
	if _, err := s.kv.Create(ctx, profileKey(student), b); err != nil {
		return fmt.Errorf("roster: store profile: %w", err)
	}
	return nil
}

func (s *Store) loadProfile(ctx context.Context, student StudentID) (profileRecord, uint64, error) {
	var p profileRecord
	if !student.Valid() {
		return p, 0, ErrNoStudent
	}
	e, err := s.kv.Get(ctx, profileKey(student))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return p, 0, ErrNoStudent
	}
	if err != nil {
		return p, 0, fmt.Errorf("roster: read profile: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return p, 0, fmt.Errorf("roster: decode profile %s: %w", student, err)
	}
	return p, e.Revision(), nil
}

// member returns the student's entry on the roster of their profile, which
// must be the teacher's.
func (s *Store) member(ctx context.Context, teacher protocol.TeacherID, p profileRecord) (Student, error) {
	if p.Teacher != teacher {
		return Student{}, ErrNoStudent
	}
	r, err := s.Get(ctx, teacher, p.Roster)
	if errors.Is(err, ErrNoRoster) {
		return Student{}, ErrNoStudent
	}
	if err != nil {
		return Student{}, err
	}
	st, ok := r.Student(p.Student)
	if !ok {
		return Student{}, ErrNoStudent
	}
	return st, nil
}

// Profile returns the profile of a student on one of the teacher's
// rosters. Another teacher's student is ErrNoStudent.
func (s *Store) Profile(ctx context.Context, teacher protocol.TeacherID, student StudentID) (Profile, error) {
	p, _, err := s.loadProfile(ctx, student)
	if err != nil {
		return Profile{}, err
	}
	st, err := s.member(ctx, teacher, p)
	if err != nil {
		return Profile{}, err
	}
	return p.profile(st.Name), nil
}

// EditProfile changes the lists of the profile of a student on one of the
// teacher's rosters. Which lists a caller may change is the caller's to
// decide: a student changes their interests and goals only.
func (s *Store) EditProfile(ctx context.Context, teacher protocol.TeacherID, student StudentID, e ProfileEdit) (Profile, error) {
	for _, l := range []struct {
		field string
		list  *[]string
	}{{"strengths", e.Strengths}, {"challenges", e.Challenges}, {"interests", e.Interests}, {"goals", e.Goals}} {
		if l.list == nil {
			continue
		}
		if err := cleanList(l.field, l.list); err != nil {
			return Profile{}, err
		}
	}
	p, _, err := s.loadProfile(ctx, student)
	if err != nil {
		return Profile{}, err
	}
	st, err := s.member(ctx, teacher, p)
	if err != nil {
		return Profile{}, err
	}
	p, err = s.updateProfile(ctx, student, func(p *profileRecord) error {
		set := func(dst *[]string, src *[]string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&p.Strengths, e.Strengths)
		set(&p.Challenges, e.Challenges)
		set(&p.Interests, e.Interests)
		set(&p.Goals, e.Goals)
		return nil
	})
	if err != nil {
		return Profile{}, err
	}
	return p.profile(st.Name), nil
}

// cleanList trims the entries of a list in place and checks them.
func cleanList(field string, list *[]string) error {
	if len(*list) > MaxItems {
		return protocol.Errorf(protocol.CodeInvalid, "%s has at most %d entries", field, MaxItems)
	}
	out := make([]string, len(*list))
	for i, s := range *list {
		out[i] = strings.TrimSpace(s)
		if e := protocol.CheckText(fmt.Sprintf("%s[%d]", field, i), out[i], 1, MaxItemRunes, false); e != nil {
			return e
		}
	}
	*list = out
	return nil
}

// Mastery returns the latest estimate of each skill the student has been
// estimated on, in any session with their roster: the prior for a new
// session. A student with no estimates yet has an empty map; a student on
// no roster is ErrNoStudent.
func (s *Store) Mastery(ctx context.Context, student StudentID) (map[protocol.SkillID]float64, error) {
	p, _, err := s.loadProfile(ctx, student)
	if err != nil {
		return nil, err
	}
	out := make(map[protocol.SkillID]float64, len(p.Mastery))
	for k, e := range p.Mastery {
		out[k] = e.P
	}
	return out, nil
}

// Practice returns how many practice opportunities (first attempts on a
// step) the student has had on each skill over all their sessions: what
// the wheel-spinning rule counts, so that a student who spins over
// several lessons is seen. A student on no roster is ErrNoStudent.
func (s *Store) Practice(ctx context.Context, student StudentID) (map[protocol.SkillID]int, error) {
	p, _, err := s.loadProfile(ctx, student)
	if err != nil {
		return nil, err
	}
	out := make(map[protocol.SkillID]int, len(p.Practice))
	maps.Copy(out, p.Practice)
	return out, nil
}

// RecordPractice records the practice opportunities of each skill at the
// end of a session: the session started from Practice and counted on, so
// a count only ever grows, and recording the same counts again changes
// nothing. Counts of skills the profile keeps no estimate of are dropped
// past MaxSkills.
func (s *Store) RecordPractice(ctx context.Context, student StudentID, counts map[protocol.SkillID]int) error {
	switch {
	case !student.Valid():
		return ErrNoStudent
	case len(counts) > MaxSkills:
		return protocol.Errorf(protocol.CodeInvalid, "a session records at most %d skills", MaxSkills)
	}
	for k, n := range counts {
		if !k.Valid() || n < 0 {
			return protocol.Errorf(protocol.CodeInvalid, "practice of %q must be a skill and a count from 0", k)
		}
	}
	_, err := s.updateProfile(ctx, student, func(p *profileRecord) error {
		if p.Practice == nil {
			p.Practice = map[protocol.SkillID]int{}
		}
		for k, n := range counts {
			p.Practice[k] = max(p.Practice[k], n)
		}
		if len(p.Practice) > MaxSkills {
			maps.DeleteFunc(p.Practice, func(k protocol.SkillID, _ int) bool { _, ok := p.Mastery[k]; return !ok })
		}
		return nil
	})
	return err
}

// RecordSession records the mastery estimates of one session of a
// rostered student: room is the session, at when the estimates were made
// (Unix milliseconds), mastery an estimate from 0 to 1 per skill. Each
// becomes the skill's latest estimate unless a later one is known, and a
// sample of the history. Recording the same session and time again
// replaces its samples rather than adding to them, so a retry is safe.
func (s *Store) RecordSession(ctx context.Context, student StudentID, room protocol.RoomID, at int64, mastery map[protocol.SkillID]float64) error {
	switch {
	case !student.Valid():
		return ErrNoStudent
	case !room.Valid():
		return protocol.Errorf(protocol.CodeInvalid, "%q is not a room ID", room)
	case at <= 0:
		return protocol.Errorf(protocol.CodeInvalid, "the time of a session must be positive")
	case len(mastery) > MaxSkills:
		return protocol.Errorf(protocol.CodeInvalid, "a session records at most %d skills", MaxSkills)
	}
	skills := slices.Sorted(maps.Keys(mastery))
	for _, k := range skills {
		if p := mastery[k]; !k.Valid() || math.IsNaN(p) || p < 0 || p > 1 {
			return protocol.Errorf(protocol.CodeInvalid, "mastery of %q must be a skill and a number from 0 to 1", k)
		}
	}
	_, err := s.updateProfile(ctx, student, func(p *profileRecord) error {
		if p.Mastery == nil {
			p.Mastery = map[protocol.SkillID]Estimate{}
		}
		for _, k := range skills {
			v := mastery[k]
			if cur, ok := p.Mastery[k]; !ok || at >= cur.At {
				p.Mastery[k] = Estimate{P: v, Room: room, At: at}
			}
			i := slices.IndexFunc(p.History, func(x Sample) bool { return x.Room == room && x.At == at && x.Skill == k })
			if i >= 0 {
				p.History[i].P = v
			} else {
				p.History = append(p.History, Sample{Room: room, At: at, Skill: k, P: v})
			}
		}
		slices.SortStableFunc(p.History, func(a, b Sample) int { return cmp.Compare(a.At, b.At) })
		if n := len(p.History) - MaxHistory; n > 0 {
			p.History = slices.Delete(p.History, 0, n)
		}
		if n := len(p.Mastery) - MaxSkills; n > 0 {
			oldest := slices.SortedFunc(maps.Keys(p.Mastery), func(a, b protocol.SkillID) int {
				return cmp.Or(cmp.Compare(p.Mastery[a].At, p.Mastery[b].At), strings.Compare(string(a), string(b)))
			})
			for _, k := range oldest[:n] {
				delete(p.Mastery, k)
			}
		}
		return nil
	})
	return err
}

// updateProfile applies fn to a profile and stores it on the revision
// read, reading again when it changed meanwhile.
func (s *Store) updateProfile(ctx context.Context, student StudentID, fn func(*profileRecord) error) (profileRecord, error) {
	for range maxTries {
		p, rev, err := s.loadProfile(ctx, student)
		if err != nil {
			return p, err
		}
		if err := fn(&p); err != nil {
			return p, err
		}
		p.Updated = s.now().UnixMilli()
		b, err := json.Marshal(p)
		if err != nil {
			return p, err
		}
		_, err = s.kv.Update(ctx, profileKey(student), b, rev)
		if revisionConflict(err) {
			continue
		}
		if err != nil {
			return p, fmt.Errorf("roster: store profile: %w", err)
		}
		return p, nil
	}
	return profileRecord{}, ErrBusy
}

// Seat records that student, of roster, joined the session room as the
// room's student inRoom, so that a token of that student of the room can
// be traced back to the rostered student.
func (s *Store) Seat(ctx context.Context, roster ID, room protocol.RoomID, inRoom protocol.StudentID, student StudentID) error {
	if !roster.Valid() || !room.Valid() || !inRoom.Valid() || !student.Valid() {
		return fmt.Errorf("roster: seat of %q in %q: a malformed ID", student, room)
	}
	if _, err := s.kv.Put(ctx, seatKey(roster, room, inRoom), []byte(student)); err != nil {
		return fmt.Errorf("roster: store seat: %w", err)
	}
	return nil
}

// SeatOf returns the rostered student who joined the session room, opened
// with roster, as the room's student inRoom: ErrNoStudent when none did.
func (s *Store) SeatOf(ctx context.Context, roster ID, room protocol.RoomID, inRoom protocol.StudentID) (StudentID, error) {
	if !roster.Valid() || !room.Valid() || !inRoom.Valid() {
		return "", ErrNoStudent
	}
	e, err := s.kv.Get(ctx, seatKey(roster, room, inRoom))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", ErrNoStudent
	}
	if err != nil {
		return "", fmt.Errorf("roster: read seat: %w", err)
	}
	return StudentID(e.Value()), nil
}

// RoomProfiles is the store as the rooms see learner profiles: students
// named by their roster ID as a plain string.
type RoomProfiles struct{ s *Store }

// Profiles returns the store's view for the rooms.
func (s *Store) Profiles() RoomProfiles { return RoomProfiles{s} }

// Mastery returns what earlier sessions learnt of the student.
func (p RoomProfiles) Mastery(ctx context.Context, student string) (map[protocol.SkillID]float64, error) {
	return p.s.Mastery(ctx, StudentID(student))
}

// Practice returns the student's practice opportunities per skill.
func (p RoomProfiles) Practice(ctx context.Context, student string) (map[protocol.SkillID]int, error) {
	return p.s.Practice(ctx, StudentID(student))
}

// RecordPractice stores the student's practice opportunities per skill.
func (p RoomProfiles) RecordPractice(ctx context.Context, student string, counts map[protocol.SkillID]int) error {
	return p.s.RecordPractice(ctx, StudentID(student), counts)
}

// RecordSession stores what a session learnt of the student.
func (p RoomProfiles) RecordSession(ctx context.Context, student string, room protocol.RoomID, at int64, m map[protocol.SkillID]float64) error {
	return p.s.RecordSession(ctx, StudentID(student), room, at, m)
}
