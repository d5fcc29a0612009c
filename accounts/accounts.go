package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/classhub/classhub/jsstore"
	"github.com/classhub/classhub/protocol"
)

// Password limits. bcrypt reads at most 72 bytes; a longer password would
// be silently cut, so it is refused instead.
const (
	MinPasswordRunes = 10
	MaxPasswordBytes = 72
	maxNameRunes     = 80
)

// Teacher is a teacher account as the API shows it: never the hash.
type Teacher struct {
	ID      protocol.TeacherID `json:"id"`
	Email   string             `json:"email"`
	Name    string             `json:"name"`
	Created int64              `json:"created"` // Unix milliseconds
}

// Account is whoever signed in with an e-mail and a password: a teacher
// or a coach, as Role says. Teacher is set for teachers; Coach and
// InvitedBy for coaches.
type Account struct {
	Role      protocol.Role
	Teacher   protocol.TeacherID
	Coach     protocol.CoachID
	InvitedBy protocol.TeacherID
	Email     string
	Name      string
	Created   int64 // Unix milliseconds
}

// AsTeacher is a teacher's account as the API shows it.
func (a Account) AsTeacher() Teacher {
	return Teacher{ID: a.Teacher, Email: a.Email, Name: a.Name, Created: a.Created}
}

// AsCoach is a coach's account as the API shows it.
func (a Account) AsCoach() Coach {
	return Coach{ID: a.Coach, Email: a.Email, Name: a.Name, InvitedBy: a.InvitedBy, Created: a.Created}
}

// record is a teacher as stored.
type record struct {
	Teacher
	Hash []byte `json:"hash"`
}

// Store keeps the accounts of teachers and coaches in
// protocol.BucketTeachers:
//
//	"t.<teacher>"                  → a teacher's record
//	"c.<teacher>.<coach>"          → a coach's record, under the teacher who invited it
//	"i.<teacher>.<sha256 of code>" → a pending invitation of a coach
//	"e.<sha256 of the e-mail>"     → the account with that e-mail: a teacher's ID,
//	                                 or a coach's record key ("c.…")
//
// The e-mail key is created with KV Create, which makes e-mails unique
// across nodes and across roles without a lock. Teacher e-mail entries
// hold a bare ID because that is what was stored before coaches existed.
// Keys under the inviting teacher let a teacher's coaches and invitations
// be listed with one filtered read instead of a scan of every account.
type Store struct {
	kv jetstream.KeyValue
	// Cost is the bcrypt cost of new hashes; tests lower it.
	Cost int
	// Now is the clock of creation times and of invitation expiry; nil
	// means time.Now. Tests move it instead of waiting.
	Now func() time.Time

	dummyOnce sync.Once
	dummy     []byte
}

func (a *Store) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Open opens the teacher bucket, creating it if missing.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	kv, err := jsstore.KeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: protocol.BucketTeachers, History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	}, false)
	if err != nil {
		return nil, fmt.Errorf("accounts: teacher bucket: %w", err)
	}
	return &Store{kv: kv, Cost: bcrypt.DefaultCost}, nil
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func emailKey(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "e." + hex.EncodeToString(sum[:])
}

func checkEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || len(email) > 254 {
		return protocol.Errorf(protocol.CodeInvalid, "%q is not an e-mail address", email)
	}
	return nil
}

func checkPassword(p string) error {
	if len([]rune(p)) < MinPasswordRunes {
		return protocol.Errorf(protocol.CodeInvalid, "the password must have at least %d characters", MinPasswordRunes)
	}
	if len(p) > MaxPasswordBytes {
		return protocol.Errorf(protocol.CodeInvalid, "the password must be at most %d bytes", MaxPasswordBytes)
	}
	return nil
}

// Add creates a teacher account.
func (a *Store) Add(ctx context.Context, email, name, password string) (Teacher, error) {
	email, name = normalizeEmail(email), strings.TrimSpace(name)
	if err := checkEmail(email); err != nil {
		return Teacher{}, err
	}
	if e := protocol.CheckText("name", name, 1, maxNameRunes, false); e != nil {
		return Teacher{}, e
	}
	if err := checkPassword(password); err != nil {
		return Teacher{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.Cost)
	if err != nil {
		return Teacher{}, fmt.Errorf("accounts: hash password: %w", err)
	}
	t := Teacher{ID: protocol.NewTeacherID(), Email: email, Name: name, Created: a.now().UnixMilli()}
	b, err := json.Marshal(record{Teacher: t, Hash: hash})
	if err != nil {
		return Teacher{}, err
	}
	// The record first, then the index: a crash between the two leaves an
	// unreachable record, never an index entry without a record.
	if _, err := a.kv.Put(ctx, "t."+string(t.ID), b); err != nil {
		return Teacher{}, fmt.Errorf("accounts: store teacher: %w", err)
	}
	if _, err := a.kv.Create(ctx, emailKey(email), []byte(t.ID)); err != nil {
		_ = a.kv.Delete(context.WithoutCancel(ctx), "t."+string(t.ID))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Teacher{}, ErrExists
		}
		return Teacher{}, fmt.Errorf("accounts: index teacher: %w", err)
	}
	return t, nil
}

func (a *Store) get(ctx context.Context, id protocol.TeacherID) (record, uint64, error) {
	var r record
	if !id.Valid() {
		return r, 0, ErrNoTeacher
	}
	e, err := a.kv.Get(ctx, "t."+string(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return r, 0, ErrNoTeacher
	}
	if err != nil {
		return r, 0, fmt.Errorf("accounts: read teacher: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return r, 0, fmt.Errorf("accounts: decode teacher %s: %w", id, err)
	}
	return r, e.Revision(), nil
}

// Get returns a teacher by ID.
func (a *Store) Get(ctx context.Context, id protocol.TeacherID) (Teacher, error) {
	r, _, err := a.get(ctx, id)
	return r.Teacher, err
}

// stored is an account as kept, of either role, with what it takes to
// write it back.
type stored struct {
	key     string
	rev     uint64
	teacher *record      // set for a teacher
	coach   *coachRecord // set for a coach
}

func (s stored) account() Account {
	if s.coach != nil {
		c := s.coach.Coach
		return Account{Role: protocol.RoleCoach, Coach: c.ID, InvitedBy: c.InvitedBy, Email: c.Email, Name: c.Name, Created: c.Created}
	}
	t := s.teacher.Teacher
	return Account{Role: protocol.RoleTeacher, Teacher: t.ID, Email: t.Email, Name: t.Name, Created: t.Created}
}

func (s stored) hash() []byte {
	if s.coach != nil {
		return s.coach.Hash
	}
	return s.teacher.Hash
}

// withHash returns the record to store for a new password hash.
func (s stored) withHash(h []byte) any {
	if s.coach != nil {
		r := *s.coach
		r.Hash = h
		return r
	}
	r := *s.teacher
	r.Hash = h
	return r
}

// byEmail finds the account of an e-mail, whatever its role.
func (a *Store) byEmail(ctx context.Context, email string) (stored, error) {
	e, err := a.kv.Get(ctx, emailKey(normalizeEmail(email)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return stored{}, ErrNoTeacher
	}
	if err != nil {
		return stored{}, fmt.Errorf("accounts: read account: %w", err)
	}
	ref := string(e.Value())
	if !strings.HasPrefix(ref, "c.") {
		r, rev, err := a.get(ctx, protocol.TeacherID(ref))
		if err != nil {
			return stored{}, err
		}
		return stored{key: "t." + string(r.ID), rev: rev, teacher: &r}, nil
	}
	ce, err := a.kv.Get(ctx, ref)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return stored{}, ErrNoTeacher
	}
	if err != nil {
		return stored{}, fmt.Errorf("accounts: read coach: %w", err)
	}
	var r coachRecord
	if err := json.Unmarshal(ce.Value(), &r); err != nil {
		return stored{}, fmt.Errorf("accounts: decode coach %s: %w", ref, err)
	}
	return stored{key: ref, rev: ce.Revision(), coach: &r}, nil
}

// Authenticate checks an e-mail and password and returns the account,
// teacher or coach, so that both sign in the same way. An unknown e-mail
// costs as much time as a wrong password, so that timing does not tell
// which e-mails have accounts.
func (a *Store) Authenticate(ctx context.Context, email, password string) (Account, error) {
	s, err := a.byEmail(ctx, email)
	if errors.Is(err, ErrNoTeacher) {
		a.dummyOnce.Do(func() {
			a.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), a.Cost)
		})
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return Account{}, ErrBadPassword
	}
	if err != nil {
		return Account{}, err
	}
	if bcrypt.CompareHashAndPassword(s.hash(), []byte(password)) != nil {
		return Account{}, ErrBadPassword
	}
	return s.account(), nil
}

// SetPassword replaces the password of the account with that e-mail,
// teacher or coach: the admin command is how a forgotten password of
// either is reset.
func (a *Store) SetPassword(ctx context.Context, email, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	s, err := a.byEmail(ctx, email)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.Cost)
	if err != nil {
		return fmt.Errorf("accounts: hash password: %w", err)
	}
	b, err := json.Marshal(s.withHash(hash))
	if err != nil {
		return err
	}
	if _, err := a.kv.Update(ctx, s.key, b, s.rev); err != nil {
		return fmt.Errorf("accounts: store account: %w", err)
	}
	return nil
}

// Count returns the number of teacher accounts.
func (a *Store) Count(ctx context.Context) (int, error) {
	lister, err := a.kv.ListKeysFiltered(ctx, "t.>")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("accounts: count teachers: %w", err)
	}
	n := 0
	for range lister.Keys() {
		n++
	}
	_ = lister.Stop() // the listing is over; stopping it again only says so
	return n, nil
}

// TeacherByEmail returns the teacher whose account has that e-mail, so
// that a class can be shared with them. An e-mail of no account is
// ErrNoSuchTeacher; a coach's is ErrNotATeacher: classes are shared with
// teachers, coaches are assigned to groups.
func (a *Store) TeacherByEmail(ctx context.Context, email string) (Teacher, error) {
	email = normalizeEmail(email)
	if err := checkEmail(email); err != nil {
		return Teacher{}, err
	}
	s, err := a.byEmail(ctx, email)
	if errors.Is(err, ErrNoTeacher) {
		return Teacher{}, ErrNoSuchTeacher
	}
	if err != nil {
		return Teacher{}, err
	}
	if s.coach != nil {
		return Teacher{}, ErrNotATeacher
	}
	return s.teacher.Teacher, nil
}
