package roster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/jsstore"
	"github.com/classhub/classhub/protocol"
)

// Bucket is the KV bucket of rosters, profiles and seats.
const Bucket = "classhub_rosters"

// Limits.
const (
	// MaxRosters is how many rosters a teacher keeps.
	MaxRosters = 100
	// MaxStudents is how many students a roster holds. It is below the
	// number of join codes, so that a full roster still has codes to
	// reissue.
	MaxStudents = 36
	// MaxPersonRunes bounds a given name and a family name.
	MaxPersonRunes = 40
	// maxSourcedID bounds a OneRoster sourcedId, in bytes.
	maxSourcedID = 255
	// maxTries bounds the attempts of one read-modify-write.
	maxTries = 10
)

// ID names a roster: a UUID in canonical form.
type ID string

// Valid reports whether id is a canonical UUID.
func (id ID) Valid() bool { return validUUID(string(id)) }

// StudentID names a student on a roster: a UUID, the same in every
// session the student joins with the roster. It is not the
// protocol.StudentID of a room, which names the student within one
// session only.
type StudentID string

// Valid reports whether id is a canonical UUID.
func (id StudentID) Valid() bool { return validUUID(string(id)) }

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Roster is a teacher's list of the students of one class.
type Roster struct {
	ID      ID                 `json:"id"`
	Teacher protocol.TeacherID `json:"teacher"`
	Name    string             `json:"name"`
	// SourcedID is the OneRoster class the roster was imported from.
	SourcedID string    `json:"sourced_id,omitempty"`
	Students  []Student `json:"students"`
	Created   int64     `json:"created"` // Unix milliseconds
	Updated   int64     `json:"updated"` // Unix milliseconds
}

// Student is one student on a roster.
type Student struct {
	ID         StudentID `json:"id"`
	GivenName  string    `json:"given_name"`
	FamilyName string    `json:"family_name"`
	// Name is what the class sees: the given name, with as much of the
	// family name as tells apart students who share it ("Sam K.").
	Name string `json:"name"`
	// SourcedID is the student's OneRoster user, for imported students.
	SourcedID string `json:"sourced_id,omitempty"`
	// Code is the student's join code, a word of Words, and Picture its
	// emoji. No two students of a roster have the same code.
	Code    string `json:"code"`
	Picture string `json:"picture"`
}

// StudentInput is a student as a teacher types them in. A student with an
// ID is that student of the roster, whose ID and code are kept; a student
// without one is new.
type StudentInput struct {
	ID         StudentID `json:"id,omitempty"`
	GivenName  string    `json:"given_name"`
	FamilyName string    `json:"family_name"`
}

// Student returns the student with that ID.
func (r Roster) Student(id StudentID) (Student, bool) {
	for _, s := range r.Students {
		if s.ID == id {
			return s, true
		}
	}
	return Student{}, false
}

func (r Roster) clone() Roster {
	r.Students = slices.Clone(r.Students)
	return r
}

// Store keeps rosters, the profiles of their students, and which student
// of a session is which rostered student, in Bucket:
//
//	"r.<teacher>.<roster>"          → a roster
//	"p.<student>"                   → the profile of a rostered student
//	"m.<roster>.<room>.<in room>"   → the rostered student who joined a
//	                                  session as that student of the room
//
// Rosters are keyed under their teacher, so that a teacher's rosters are
// listed with one filtered read and another teacher's roster is simply
// not found. A profile is created with its student and deleted with them:
// every student of a roster has one, which holds the teacher and roster
// it belongs to. Changes of a record are read-modify-write on the
// revision read, so concurrent edits are never lost.
type Store struct {
	kv jetstream.KeyValue
	// Now is the clock of creation and update times; nil means time.Now.
	Now func() time.Time
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Open opens the roster bucket, creating it if missing.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	kv, err := jsstore.KeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: Bucket, History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	}, false)
	if err != nil {
		return nil, fmt.Errorf("roster: bucket: %w", err)
	}
	return &Store{kv: kv}, nil
}

func rosterKey(teacher protocol.TeacherID, id ID) string {
	return "r." + string(teacher) + "." + string(id)
}

func profileKey(id StudentID) string { return "p." + string(id) }

func seatKey(roster ID, room protocol.RoomID, inRoom protocol.StudentID) string {
	return "m." + string(roster) + "." + string(room) + "." + string(inRoom)
}

// cleanName drops spaces around a name and runs of spaces within it.
func cleanName(s string) string { return strings.Join(strings.Fields(s), " ") }

// typedName checks a name as a teacher typed it, before cleanName folds
// its line breaks and tabs into spaces: names are on one line, and one
// sent on two is refused rather than joined. What surrounds the name (a
// cell pasted from a spreadsheet ends in a line break) is dropped, as
// spaces are.
func typedName(field, s string) error {
	if strings.ContainsFunc(strings.TrimSpace(s), unicode.IsControl) {
		return protocol.Errorf(protocol.CodeInvalid, "%s must be on one line, without control characters", field)
	}
	return nil
}

func fold(s string) string { return strings.ToLower(s) }

func checkRosterName(name string) error {
	if e := protocol.CheckText("name", name, 1, protocol.MaxTitleRunes, false); e != nil {
		return e
	}
	return nil
}

func checkPerson(field, given, family string) error {
	if e := protocol.CheckText(field+".given_name", given, 1, MaxPersonRunes, false); e != nil {
		return e
	}
	if e := protocol.CheckText(field+".family_name", family, 0, MaxPersonRunes, false); e != nil {
		return e
	}
	return nil
}

// Get returns the teacher's roster with that ID.
func (s *Store) Get(ctx context.Context, teacher protocol.TeacherID, id ID) (Roster, error) {
	r, _, err := s.load(ctx, teacher, id)
	return r, err
}

func (s *Store) load(ctx context.Context, teacher protocol.TeacherID, id ID) (Roster, uint64, error) {
	if !teacher.Valid() || !id.Valid() {
		return Roster{}, 0, ErrNoRoster
	}
	e, err := s.kv.Get(ctx, rosterKey(teacher, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Roster{}, 0, ErrNoRoster
	}
	if err != nil {
		return Roster{}, 0, fmt.Errorf("roster: read roster: %w", err)
	}
	r, err := decodeRoster(e)
	return r, e.Revision(), err
}

func decodeRoster(e jetstream.KeyValueEntry) (Roster, error) {
	var r Roster
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Roster{}, fmt.Errorf("roster: decode %s: %w", e.Key(), err)
	}
	if r.Students == nil {
		r.Students = []Student{}
	}
	for i := range r.Students {
		r.Students[i].Picture = picture(r.Students[i].Code)
	}
	return r, nil
}

// List returns the teacher's rosters, sorted by name.
func (s *Store) List(ctx context.Context, teacher protocol.TeacherID) ([]Roster, error) {
	if !teacher.Valid() {
		return []Roster{}, nil
	}
	entries, err := s.scan(ctx, "r."+string(teacher)+".*")
	if err != nil {
		return nil, err
	}
	out := make([]Roster, 0, len(entries))
	for _, e := range entries {
		r, err := decodeRoster(e)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Roster) int {
		return cmp.Or(strings.Compare(fold(a.Name), fold(b.Name)), strings.Compare(string(a.ID), string(b.ID)))
	})
	return out, nil
}

// Create makes a roster for the teacher from students typed in, who must
// not have IDs: each gets a new ID, a join code and a profile.
func (s *Store) Create(ctx context.Context, teacher protocol.TeacherID, name string, students []StudentInput) (Roster, error) {
	if !teacher.Valid() {
		return Roster{}, ErrNoRoster
	}
	if err := typedName("name", name); err != nil {
		return Roster{}, err
	}
	name = cleanName(name)
	if err := checkRosterName(name); err != nil {
		return Roster{}, err
	}
	list, err := mergeInputs(nil, students)
	if err != nil {
		return Roster{}, err
	}
	if err := s.roomForAnother(ctx, teacher); err != nil {
		return Roster{}, err
	}
	now := s.now().UnixMilli()
	r := Roster{ID: ID(uuid.NewString()), Teacher: teacher, Name: name, Students: list, Created: now, Updated: now}
	if err := s.write(ctx, nil, 0, r); err != nil {
		return Roster{}, err
	}
	return r, nil
}

// roomForAnother refuses a new roster to a teacher who has MaxRosters.
func (s *Store) roomForAnother(ctx context.Context, teacher protocol.TeacherID) error {
	n, err := s.count(ctx, "r."+string(teacher)+".*")
	if err != nil {
		return err
	}
	if n >= MaxRosters {
		return protocol.Errorf(protocol.CodeInvalid, "a teacher keeps at most %d rosters; delete one first", MaxRosters)
	}
	return nil
}

// Replace sets the name and the students of a roster. Students given with
// their IDs keep them, with their join codes and profiles; students left
// out are removed, with their profiles; students without an ID are new.
func (s *Store) Replace(ctx context.Context, teacher protocol.TeacherID, id ID, name string, students []StudentInput) (Roster, error) {
	if err := typedName("name", name); err != nil {
		return Roster{}, err
	}
	name = cleanName(name)
	if err := checkRosterName(name); err != nil {
		return Roster{}, err
	}
	return s.change(ctx, teacher, id, func(r *Roster) error {
		list, err := mergeInputs(r.Students, students)
		if err != nil {
			return err
		}
		r.Name, r.Students = name, list
		return nil
	})
}

// mergeInputs turns students typed in into the students of a roster whose
// students were old: the students named by ID keep their IDs, codes and
// sourced IDs.
func mergeInputs(old []Student, in []StudentInput) ([]Student, error) {
	if len(in) > MaxStudents {
		return nil, protocol.Errorf(protocol.CodeInvalid, "a roster holds at most %d students", MaxStudents)
	}
	out := make([]Student, 0, len(in))
	seen := map[StudentID]bool{}
	for i, si := range in {
		field := fmt.Sprintf("students[%d]", i)
		if err := typedName(field+".given_name", si.GivenName); err != nil {
			return nil, err
		}
		if err := typedName(field+".family_name", si.FamilyName); err != nil {
			return nil, err
		}
		given, family := cleanName(si.GivenName), cleanName(si.FamilyName)
		if err := checkPerson(field, given, family); err != nil {
			return nil, err
		}
		st := Student{GivenName: given, FamilyName: family}
		if si.ID != "" {
			prev, ok := Roster{Students: old}.Student(si.ID)
			switch {
			case !ok:
				return nil, protocol.Errorf(protocol.CodeInvalid, "%s.id: the roster has no student %q; leave the ID out for a new student", field, si.ID)
			case seen[si.ID]:
				return nil, protocol.Errorf(protocol.CodeInvalid, "%s.id: student %q is listed twice", field, si.ID)
			}
			seen[si.ID] = true
			st.ID, st.Code, st.SourcedID = prev.ID, prev.Code, prev.SourcedID
		} else {
			st.ID = StudentID(uuid.NewString())
		}
		out = append(out, st)
	}
	if err := finish(out); err != nil {
		return nil, err
	}
	return out, nil
}

// finish gives join codes to the students without one and sets every
// display name.
func finish(list []Student) error {
	used := map[string]bool{}
	for _, st := range list {
		if st.Code != "" {
			used[st.Code] = true
		}
	}
	for i := range list {
		if list[i].Code != "" {
			continue
		}
		w, err := pickWord(used, "")
		if err != nil {
			return err
		}
		list[i].Code, used[w] = w, true
	}
	for i := range list {
		list[i].Picture = picture(list[i].Code)
	}
	setDisplayNames(list)
	return nil
}

// setDisplayNames names each student for the class: the given name alone
// when no one else has it; otherwise with the shortest start of the
// family name that tells the student apart from the others of that given
// name ("Sam K.", "Sam P."; "Sam Kim" and "Sam Kin." for Kim and King).
// Names still alike after that, such as two students of the same full
// name, are numbered in roster order: "Sam Kim", "Sam Kim 2".
func setDisplayNames(list []Student) {
	byGiven := map[string][]int{}
	for i, st := range list {
		k := fold(st.GivenName)
		byGiven[k] = append(byGiven[k], i)
	}
	for i := range list {
		name := list[i].GivenName
		if same := byGiven[fold(name)]; len(same) > 1 && list[i].FamilyName != "" {
			name += " " + familyPart(list, same, i)
		}
		list[i].Name = cut(name, protocol.MaxNameRunes)
	}
	count := map[string]int{}
	for _, st := range list {
		count[fold(st.Name)]++
	}
	used := map[string]bool{}
	for i := range list {
		k := fold(list[i].Name)
		if !used[k] {
			used[k] = true
			continue
		}
		for n := 2; ; n++ {
			suffix := " " + strconv.Itoa(n)
			cand := cut(list[i].Name, protocol.MaxNameRunes-len(suffix)) + suffix
			if ck := fold(cand); !used[ck] && count[ck] == 0 {
				list[i].Name, used[ck] = cand, true
				break
			}
		}
	}
}

// familyPart is the start of student i's family name that no other student
// of same (the students of i's given name) shares.
func familyPart(list []Student, same []int, i int) string {
	fam := []rune(list[i].FamilyName)
	prefix := func(s string, k int) string {
		r := []rune(s)
		return fold(string(r[:min(k, len(r))]))
	}
	for k := 1; k <= len(fam); k++ {
		p := fold(string(fam[:k]))
		unique := true
		for _, j := range same {
			if j != i && list[j].FamilyName != "" && prefix(list[j].FamilyName, k) == p {
				unique = false
				break
			}
		}
		if unique {
			if k == len(fam) {
				return string(fam)
			}
			return string(fam[:k]) + "."
		}
	}
	return string(fam)
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n]))
}

// ReissueCode gives a student of a roster a new join code, one no other
// student of the roster has and not the one the student had.
func (s *Store) ReissueCode(ctx context.Context, teacher protocol.TeacherID, id ID, student StudentID) (Student, error) {
	var out Student
	_, err := s.change(ctx, teacher, id, func(r *Roster) error {
		used := map[string]bool{}
		at := -1
		for i, st := range r.Students {
			if st.ID == student {
				at = i
			} else {
				used[st.Code] = true
			}
		}
		if at < 0 {
			return ErrNoStudent
		}
		w, err := pickWord(used, r.Students[at].Code)
		if err != nil {
			return err
		}
		r.Students[at].Code, r.Students[at].Picture = w, picture(w)
		out = r.Students[at]
		return nil
	})
	return out, err
}

// Delete deletes a roster with the profiles of its students and what the
// store kept of the sessions they joined.
func (s *Store) Delete(ctx context.Context, teacher protocol.TeacherID, id ID) error {
	for range maxTries {
		r, rev, err := s.load(ctx, teacher, id)
		if err != nil {
			return err
		}
		err = s.kv.Delete(ctx, rosterKey(teacher, id), jetstream.LastRevision(rev))
		if revisionConflict(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("roster: delete roster: %w", err)
		}
		// The roster first: a failure after it leaves records no roster
		// reaches, never a roster without its profiles.
		for _, st := range r.Students {
			_ = s.kv.Delete(ctx, profileKey(st.ID))
		}
		keys, err := s.keys(ctx, "m."+string(id)+".>")
		if err != nil {
			return err
		}
		for _, k := range keys {
			_ = s.kv.Delete(ctx, k)
		}
		return nil
	}
	return ErrBusy
}

// change applies fn to the teacher's roster and stores the result on the
// revision read, reading again when the roster changed meanwhile.
func (s *Store) change(ctx context.Context, teacher protocol.TeacherID, id ID, fn func(*Roster) error) (Roster, error) {
	for range maxTries {
		old, rev, err := s.load(ctx, teacher, id)
		if err != nil {
			return Roster{}, err
		}
		next := old.clone()
		if err := fn(&next); err != nil {
			return Roster{}, err
		}
		next.Updated = s.now().UnixMilli()
		err = s.write(ctx, &old, rev, next)
		if revisionConflict(err) {
			continue
		}
		if err != nil {
			return Roster{}, err
		}
		return next, nil
	}
	return Roster{}, ErrBusy
}

// write stores r, a new roster when old is nil and otherwise a change of
// old at revision rev, with the profiles of the students it adds and
// without those of the students it removes. Profiles are created before
// the roster is stored and deleted after, so that every student of a
// stored roster has one; a failure in between leaves only profiles that
// no roster reaches.
func (s *Store) write(ctx context.Context, old *Roster, rev uint64, r Roster) error {
	var before []Student
	if old != nil {
		before = old.Students
	}
	had := map[StudentID]bool{}
	for _, st := range before {
		had[st.ID] = true
	}
	has := map[StudentID]bool{}
	var added []StudentID
	for _, st := range r.Students {
		has[st.ID] = true
		if !had[st.ID] {
			added = append(added, st.ID)
		}
	}
	var created []StudentID
	undo := func() {
		for _, id := range created {
			_ = s.kv.Delete(context.WithoutCancel(ctx), profileKey(id))
		}
	}
	for _, id := range added {
		if err := s.createProfile(ctx, r.Teacher, r.ID, id); err != nil {
			undo()
			return err
		}
		created = append(created, id)
	}
	b, err := json.Marshal(r)
	if err != nil {
		undo()
		return err
	}
	if old == nil {
		_, err = s.kv.Create(ctx, rosterKey(r.Teacher, r.ID), b)
	} else {
		_, err = s.kv.Update(ctx, rosterKey(r.Teacher, r.ID), b, rev)
	}
	if err != nil {
		undo()
		if revisionConflict(err) {
			return err
		}
		return fmt.Errorf("roster: store roster: %w", err)
	}
	for _, st := range before {
		if !has[st.ID] {
			_ = s.kv.Delete(ctx, profileKey(st.ID))
		}
	}
	return nil
}

// scan returns the live entries whose keys match filter, a key with NATS
// wildcards, in no particular order.
func (s *Store) scan(ctx context.Context, filter string) ([]jetstream.KeyValueEntry, error) {
	w, err := s.kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("roster: list %s: %w", filter, err)
	}
	defer func() { _ = w.Stop() }()
	// A key written while the listing runs may come twice; the later wins.
	latest := map[string]jetstream.KeyValueEntry{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("roster: list %s: the watch ended early", filter)
			}
			if e == nil { // all the values there were when the watch began
				out := make([]jetstream.KeyValueEntry, 0, len(latest))
				for _, e := range latest {
					out = append(out, e)
				}
				return out, nil
			}
			latest[e.Key()] = e
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// keys returns the live keys that match filter.
func (s *Store) keys(ctx context.Context, filter string) ([]string, error) {
	lister, err := s.kv.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("roster: list %s: %w", filter, err)
	}
	var out []string
	for k := range lister.Keys() {
		out = append(out, k)
	}
	_ = lister.Stop() // the listing is over; stopping it again only says so
	return out, nil
}

func (s *Store) count(ctx context.Context, filter string) (int, error) {
	keys, err := s.keys(ctx, filter)
	return len(keys), err
}

// revisionConflict reports whether a conditional write failed because the
// key changed since it was read, or, for a create, because it exists. Replicated buckets report it with a code
// of their own.
func revisionConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var ae *jetstream.APIError
	return errors.As(err, &ae) &&
		(ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
