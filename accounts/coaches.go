package accounts

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/classhub/classhub/protocol"
)

// InviteTTL is how long a coach invitation can be accepted: long enough
// for an e-mail to be read after a weekend, short enough that a forwarded
// link does not stay good for ever.
const InviteTTL = 7 * 24 * time.Hour

// maxInviteCode bounds the code AcceptInvite will look up. Issued codes
// are far shorter; anything longer is refused before touching the bucket.
const maxInviteCode = 64

// Coach is a coach account as the API shows it: never the hash.
type Coach struct {
	ID        protocol.CoachID   `json:"id"`
	Email     string             `json:"email"`
	Name      string             `json:"name"`
	InvitedBy protocol.TeacherID `json:"invited_by"`
	Created   int64              `json:"created"` // Unix milliseconds
}

// coachRecord is a coach as stored.
type coachRecord struct {
	Coach
	Hash []byte `json:"hash"`
}

// Invite is a teacher's invitation of a coach. Code, the secret that
// accepts it, is known only to the answer of InviteCoach: the bucket
// keeps a hash of it, so neither a listing nor a copy of the bucket can
// accept an invitation.
type Invite struct {
	Code    string `json:"code,omitempty"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	Expires int64  `json:"expires"` // Unix milliseconds
}

// inviteRecord is an invitation as stored. The expiry is in the value
// rather than a KV TTL, so that an expired code can be told apart from an
// unknown one, and so that expiry follows the Store's clock.
type inviteRecord struct {
	Email   string             `json:"email"`
	Name    string             `json:"name"`
	By      protocol.TeacherID `json:"by"`
	Created int64              `json:"created"`
	Expires int64              `json:"expires"`
}

type pendingInvite struct {
	key string
	rec inviteRecord
}

func coachKey(by protocol.TeacherID, id protocol.CoachID) string {
	return "c." + string(by) + "." + string(id)
}

// codeHash names an invitation in the bucket. Plain SHA-256 suffices,
// unlike for passwords: the code is 128 random bits or more, so there is
// nothing to guess from its hash.
func codeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// InviteCoach invites a coach on behalf of the teacher by and returns the
// invitation with its code, the one time the code is shown.
//
// An e-mail that has an account, of either role, is refused with
// ErrExists. Inviting an e-mail again replaces the same teacher's earlier
// invitation of it, whose code stops working: that is how a teacher
// resends a lost or stale link. Invitations of one e-mail by different
// teachers stand side by side; the first accepted makes the account and
// the others then fail with ErrExists.
func (a *Store) InviteCoach(ctx context.Context, by protocol.TeacherID, email, name string) (Invite, error) {
	email, name = normalizeEmail(email), strings.TrimSpace(name)
	if err := checkEmail(email); err != nil {
		return Invite{}, err
	}
	if e := protocol.CheckText("name", name, 1, maxNameRunes, false); e != nil {
		return Invite{}, e
	}
	if _, _, err := a.get(ctx, by); err != nil {
		return Invite{}, err
	}
	switch _, err := a.kv.Get(ctx, emailKey(email)); {
	case err == nil:
		return Invite{}, ErrExists
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return Invite{}, fmt.Errorf("accounts: read account: %w", err)
	}
	earlier, err := a.pendingInvites(ctx, by)
	if err != nil {
		return Invite{}, err
	}

	code := rand.Text()
	now := a.now()
	rec := inviteRecord{Email: email, Name: name, By: by, Created: now.UnixMilli(), Expires: now.Add(InviteTTL).UnixMilli()}
	b, err := json.Marshal(rec)
	if err != nil {
		return Invite{}, err
	}
	if _, err := a.kv.Create(ctx, "i."+string(by)+"."+codeHash(code), b); err != nil {
		return Invite{}, fmt.Errorf("accounts: store invitation: %w", err)
	}
	// The new invitation is stored before the old ones go, so that a
	// failure in between leaves two good codes for one person, never none.
	for _, p := range earlier {
		if p.rec.Email != email {
			continue
		}
		if err := a.kv.Delete(ctx, p.key); err != nil {
			return Invite{}, fmt.Errorf("accounts: replace invitation: %w", err)
		}
	}
	return Invite{Code: code, Email: email, Name: name, Expires: rec.Expires}, nil
}

// AcceptInvite turns an invitation into a coach account with password
// and voids the code. An unknown, used or replaced code is refused with
// ErrNoInvite, an expired one with ErrInviteExpired; an e-mail that got
// an account since the invitation with ErrExists. A refused password
// leaves the code good.
func (a *Store) AcceptInvite(ctx context.Context, code, password string) (Coach, error) {
	// Issued codes are upper-case base32; a code typed by hand may not be.
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" || len(code) > maxInviteCode {
		return Coach{}, ErrNoInvite
	}
	found, err := a.scan(ctx, "i.*."+codeHash(code))
	if err != nil {
		return Coach{}, err
	}
	if len(found) == 0 {
		return Coach{}, ErrNoInvite
	}
	e := found[0]
	var inv inviteRecord
	if err := json.Unmarshal(e.Value(), &inv); err != nil {
		return Coach{}, fmt.Errorf("accounts: decode invitation: %w", err)
	}
	// An expired invitation is left for pendingInvites to delete, so that
	// trying the link again still says it expired.
	if !a.now().Before(time.UnixMilli(inv.Expires)) {
		return Coach{}, ErrInviteExpired
	}
	if err := checkPassword(password); err != nil {
		return Coach{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.Cost)
	if err != nil {
		return Coach{}, fmt.Errorf("accounts: hash password: %w", err)
	}

	// Voiding the code on the revision read is what makes it good once:
	// of two acceptances at the same time, one deletes it and the other
	// is refused here.
	if err := a.kv.Delete(ctx, e.Key(), jetstream.LastRevision(e.Revision())); err != nil {
		if revisionConflict(err) {
			return Coach{}, ErrNoInvite
		}
		return Coach{}, fmt.Errorf("accounts: void invitation: %w", err)
	}
	// On a storage failure the code is put back, so that the coach can
	// simply try again.
	restore := func() { _, _ = a.kv.Create(context.WithoutCancel(ctx), e.Key(), e.Value()) }

	c := Coach{ID: protocol.CoachID(uuid.NewString()), Email: inv.Email, Name: inv.Name, InvitedBy: inv.By, Created: a.now().UnixMilli()}
	b, err := json.Marshal(coachRecord{Coach: c, Hash: hash})
	if err != nil {
		restore()
		return Coach{}, err
	}
	key := coachKey(inv.By, c.ID)
	// The record first, then the e-mail index, as for teachers.
	if _, err := a.kv.Put(ctx, key, b); err != nil {
		restore()
		return Coach{}, fmt.Errorf("accounts: store coach: %w", err)
	}
	if _, err := a.kv.Create(ctx, emailKey(c.Email), []byte(key)); err != nil {
		_ = a.kv.Delete(context.WithoutCancel(ctx), key)
		if errors.Is(err, jetstream.ErrKeyExists) {
			// The e-mail is taken for good: the code stays void.
			return Coach{}, ErrExists
		}
		restore()
		return Coach{}, fmt.Errorf("accounts: index coach: %w", err)
	}
	return c, nil
}

// Coaches returns the coaches the teacher invited and the teacher's
// pending invitations, without their codes, each sorted by name.
func (a *Store) Coaches(ctx context.Context, teacher protocol.TeacherID) ([]Coach, []Invite, error) {
	if !teacher.Valid() {
		return nil, nil, ErrNoTeacher
	}
	entries, err := a.scan(ctx, "c."+string(teacher)+".*")
	if err != nil {
		return nil, nil, err
	}
	coaches := make([]Coach, 0, len(entries))
	for _, e := range entries {
		var r coachRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, nil, fmt.Errorf("accounts: decode coach %s: %w", e.Key(), err)
		}
		coaches = append(coaches, r.Coach)
	}
	pending, err := a.pendingInvites(ctx, teacher)
	if err != nil {
		return nil, nil, err
	}
	invites := make([]Invite, 0, len(pending))
	for _, p := range pending {
		invites = append(invites, Invite{Email: p.rec.Email, Name: p.rec.Name, Expires: p.rec.Expires})
	}
	slices.SortFunc(coaches, func(x, y Coach) int { return byName(x.Name, x.Email, y.Name, y.Email) })
	slices.SortFunc(invites, func(x, y Invite) int { return byName(x.Name, x.Email, y.Name, y.Email) })
	return coaches, invites, nil
}

// byName orders people as a list for people to read: by name regardless
// of case, then by e-mail so that the order is stable.
func byName(nameX, emailX, nameY, emailY string) int {
	return cmp.Or(strings.Compare(strings.ToLower(nameX), strings.ToLower(nameY)), strings.Compare(emailX, emailY))
}

// pendingInvites returns the teacher's invitations that can still be
// accepted. Expired ones are deleted on the way, as nothing else deletes
// them; their codes then read as unknown.
func (a *Store) pendingInvites(ctx context.Context, by protocol.TeacherID) ([]pendingInvite, error) {
	entries, err := a.scan(ctx, "i."+string(by)+".*")
	if err != nil {
		return nil, err
	}
	now := a.now()
	var out []pendingInvite
	for _, e := range entries {
		var r inviteRecord
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return nil, fmt.Errorf("accounts: decode invitation %s: %w", e.Key(), err)
		}
		if !now.Before(time.UnixMilli(r.Expires)) {
			_ = a.kv.Delete(ctx, e.Key(), jetstream.LastRevision(e.Revision()))
			continue
		}
		out = append(out, pendingInvite{key: e.Key(), rec: r})
	}
	return out, nil
}

// scan returns the live entries whose keys match filter, a key with NATS
// wildcards, in no particular order.
func (a *Store) scan(ctx context.Context, filter string) ([]jetstream.KeyValueEntry, error) {
	w, err := a.kv.Watch(ctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("accounts: list %s: %w", filter, err)
	}
	defer func() { _ = w.Stop() }()
	// A key written while the listing runs may come twice; the later wins.
	latest := map[string]jetstream.KeyValueEntry{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("accounts: list %s: the watch ended early", filter)
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

// revisionConflict reports whether a conditional write failed because the
// key changed since it was read. Replicated buckets report it with a code
// of their own.
func revisionConflict(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) &&
		(ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
