package auth

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

// record is a teacher as stored.
type record struct {
	Teacher
	Hash []byte `json:"hash"`
}

// Accounts keeps teacher accounts in protocol.BucketTeachers:
// "t.<id>" → the record, "e.<sha256 of the e-mail>" → the ID. The e-mail
// key is created with KV Create, which makes e-mails unique across nodes
// without a lock.
type Accounts struct {
	kv jetstream.KeyValue
	// Cost is the bcrypt cost of new hashes; tests lower it.
	Cost int

	dummyOnce sync.Once
	dummy     []byte
}

// OpenAccounts opens the teacher bucket, creating it if missing.
func OpenAccounts(ctx context.Context, js jetstream.JetStream, replicas int) (*Accounts, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: protocol.BucketTeachers, History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: teacher bucket: %w", err)
	}
	return &Accounts{kv: kv, Cost: bcrypt.DefaultCost}, nil
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
func (a *Accounts) Add(ctx context.Context, email, name, password string) (Teacher, error) {
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
		return Teacher{}, fmt.Errorf("auth: hash password: %w", err)
	}
	t := Teacher{ID: protocol.NewTeacherID(), Email: email, Name: name, Created: time.Now().UnixMilli()}
	b, err := json.Marshal(record{Teacher: t, Hash: hash})
	if err != nil {
		return Teacher{}, err
	}
	// The record first, then the index: a crash between the two leaves an
	// unreachable record, never an index entry without a record.
	if _, err := a.kv.Put(ctx, "t."+string(t.ID), b); err != nil {
		return Teacher{}, fmt.Errorf("auth: store teacher: %w", err)
	}
	if _, err := a.kv.Create(ctx, emailKey(email), []byte(t.ID)); err != nil {
		_ = a.kv.Delete(context.WithoutCancel(ctx), "t."+string(t.ID))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Teacher{}, ErrExists
		}
		return Teacher{}, fmt.Errorf("auth: index teacher: %w", err)
	}
	return t, nil
}

func (a *Accounts) get(ctx context.Context, id protocol.TeacherID) (record, uint64, error) {
	var r record
	if !id.Valid() {
		return r, 0, ErrNoTeacher
	}
	e, err := a.kv.Get(ctx, "t."+string(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return r, 0, ErrNoTeacher
	}
	if err != nil {
		return r, 0, fmt.Errorf("auth: read teacher: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return r, 0, fmt.Errorf("auth: decode teacher %s: %w", id, err)
	}
	return r, e.Revision(), nil
}

func (a *Accounts) byEmail(ctx context.Context, email string) (record, uint64, error) {
	e, err := a.kv.Get(ctx, emailKey(normalizeEmail(email)))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{}, 0, ErrNoTeacher
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("auth: read teacher: %w", err)
	}
	return a.get(ctx, protocol.TeacherID(e.Value()))
}

// Get returns a teacher by ID.
func (a *Accounts) Get(ctx context.Context, id protocol.TeacherID) (Teacher, error) {
	r, _, err := a.get(ctx, id)
	return r.Teacher, err
}

// Authenticate checks an e-mail and password. An unknown e-mail costs as
// much time as a wrong password, so that timing does not tell which
// e-mails have accounts.
func (a *Accounts) Authenticate(ctx context.Context, email, password string) (Teacher, error) {
	r, _, err := a.byEmail(ctx, email)
	if errors.Is(err, ErrNoTeacher) {
		a.dummyOnce.Do(func() {
			a.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), a.Cost)
		})
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return Teacher{}, ErrBadPassword
	}
	if err != nil {
		return Teacher{}, err
	}
	if bcrypt.CompareHashAndPassword(r.Hash, []byte(password)) != nil {
		return Teacher{}, ErrBadPassword
	}
	return r.Teacher, nil
}

// SetPassword replaces a teacher's password.
func (a *Accounts) SetPassword(ctx context.Context, email, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	r, rev, err := a.byEmail(ctx, email)
	if err != nil {
		return err
	}
	if r.Hash, err = bcrypt.GenerateFromPassword([]byte(password), a.Cost); err != nil {
		return fmt.Errorf("auth: hash password: %w", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := a.kv.Update(ctx, "t."+string(r.ID), b, rev); err != nil {
		return fmt.Errorf("auth: store teacher: %w", err)
	}
	return nil
}

// Count returns the number of teacher accounts.
func (a *Accounts) Count(ctx context.Context) (int, error) {
	lister, err := a.kv.ListKeysFiltered(ctx, "t.>")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("auth: count teachers: %w", err)
	}
	n := 0
	for range lister.Keys() {
		n++
	}
	_ = lister.Stop() // the listing is over; stopping it again only says so
	return n, nil
}
