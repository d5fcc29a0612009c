package accounts

import (
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// clock is a time that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const pw = "correct horse battery"

// newAccounts opens the accounts of a fresh server, on a clock of its
// own, with one teacher.
func newAccounts(t *testing.T) (*Store, *clock, Teacher) {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	a, err := Open(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	a.Cost, a.Now = bcrypt.MinCost, clk.Now
	tch, err := a.Add(context.Background(), "rivera@school.example", "Ms Rivera", pw)
	if err != nil {
		t.Fatal(err)
	}
	return a, clk, tch
}

func mustInvite(t *testing.T, a *Store, by protocol.TeacherID, email, name string) Invite {
	t.Helper()
	inv, err := a.InviteCoach(context.Background(), by, email, name)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return inv
}

func TestCoachInvitation(t *testing.T) {
	a, clk, tch := newAccounts(t)
	ctx := context.Background()
	created := clk.Now()

	inv := mustInvite(t, a, tch.ID, "  Okafor@School.Example ", " Mr Okafor ")
	if inv.Email != "okafor@school.example" || inv.Name != "Mr Okafor" || inv.Expires != created.Add(7*24*time.Hour).UnixMilli() {
		t.Fatalf("invite: %+v", inv)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(inv.Code)
	if err != nil || len(raw)*8 < 128 || url.QueryEscape(inv.Code) != inv.Code {
		t.Fatalf("code %q: %d random bits, URL-safe %v, err %v", inv.Code, len(raw)*8, url.QueryEscape(inv.Code) == inv.Code, err)
	}

	coaches, invites, err := a.Coaches(ctx, tch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Invite{Email: inv.Email, Name: inv.Name, Expires: inv.Expires}); len(coaches) != 0 || len(invites) != 1 || invites[0] != want {
		t.Fatalf("before acceptance: coaches %+v invites %+v, want none and [%+v]", coaches, invites, want)
	}

	// A password that is refused does not use the code up.
	var pe *protocol.Error
	if _, err := a.AcceptInvite(ctx, inv.Code, "short"); !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
		t.Fatalf("short password: %v, want invalid", err)
	}
	clk.add(time.Minute)
	c, err := a.AcceptInvite(ctx, " "+strings.ToLower(inv.Code)+"\n", pw)
	if err != nil {
		t.Fatal(err)
	}
	want := Coach{ID: c.ID, Email: "okafor@school.example", Name: "Mr Okafor", InvitedBy: tch.ID, Created: clk.Now().UnixMilli()}
	if !c.ID.Valid() || c != want {
		t.Fatalf("coach: got %+v, want %+v", c, want)
	}
	if _, err := a.AcceptInvite(ctx, inv.Code, pw); !errors.Is(err, ErrNoInvite) {
		t.Fatalf("accepting twice: %v, want ErrNoInvite", err)
	}

	coaches, invites, err = a.Coaches(ctx, tch.ID)
	if err != nil || len(coaches) != 1 || coaches[0] != c || len(invites) != 0 {
		t.Fatalf("after acceptance: coaches %+v invites %+v %v", coaches, invites, err)
	}

	got, err := a.Authenticate(ctx, "OKAFOR@school.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != protocol.RoleCoach || got.Teacher != "" || got.AsCoach() != c {
		t.Fatalf("coach signs in as %+v, want coach %+v", got, c)
	}
	if _, err := a.Authenticate(ctx, c.Email, "not the password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("coach, wrong password: %v", err)
	}
	if got, err := a.Authenticate(ctx, tch.Email, pw); err != nil || got.Role != protocol.RoleTeacher || got.AsTeacher() != tch {
		t.Fatalf("the teacher signs in as %+v %v", got, err)
	}

	if err := a.SetPassword(ctx, c.Email, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, c.Email, pw); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("coach's old password still works: %v", err)
	}
	if got, err := a.Authenticate(ctx, c.Email, "a brand new password"); err != nil || got.AsCoach() != c {
		t.Fatalf("coach's new password: %+v %v", got, err)
	}
	if n, err := a.Count(ctx); err != nil || n != 1 {
		t.Fatalf("teachers counted: %d %v, want 1: coaches are not teachers", n, err)
	}
}

// One e-mail is one account, whichever role holds it.
func TestCoachEmailIsOneAccount(t *testing.T) {
	a, _, tch := newAccounts(t)
	ctx := context.Background()
	if _, err := a.InviteCoach(ctx, tch.ID, "RIVERA@school.example", "Ms Rivera"); !errors.Is(err, ErrExists) {
		t.Fatalf("inviting a teacher's e-mail: %v, want ErrExists", err)
	}

	other, err := a.Add(ctx, "chen@school.example", "Mr Chen", pw)
	if err != nil {
		t.Fatal(err)
	}
	first := mustInvite(t, a, tch.ID, "okafor@school.example", "Mr Okafor")
	second := mustInvite(t, a, other.ID, "okafor@school.example", "Okafor")
	if _, err := a.AcceptInvite(ctx, first.Code, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptInvite(ctx, second.Code, pw); !errors.Is(err, ErrExists) {
		t.Fatalf("another teacher's invitation of a coach's e-mail: %v, want ErrExists", err)
	}
	if _, err := a.AcceptInvite(ctx, second.Code, pw); !errors.Is(err, ErrNoInvite) {
		t.Fatalf("that invitation once refused: %v, want ErrNoInvite", err)
	}
	if _, err := a.InviteCoach(ctx, other.ID, "okafor@school.example", "Okafor"); !errors.Is(err, ErrExists) {
		t.Fatalf("inviting a coach's e-mail: %v, want ErrExists", err)
	}
	if _, err := a.Add(ctx, "Okafor@School.example", "Mr Okafor", pw); !errors.Is(err, ErrExists) {
		t.Fatalf("a teacher with a coach's e-mail: %v, want ErrExists", err)
	}
	if coaches, _, err := a.Coaches(ctx, other.ID); err != nil || len(coaches) != 0 {
		t.Fatalf("coaches of a teacher who invited none that accepted: %+v %v", coaches, err)
	}
}

func TestInviteRefused(t *testing.T) {
	a, _, tch := newAccounts(t)
	ctx := context.Background()
	for _, c := range []struct{ email, name string }{
		{"not an address", "A"},
		{"Name <a@b.example>", "A"},
		{"a@b.example", ""},
		{"a@b.example", "   "},
		{"a@b.example", "bad\x00name"},
		{"a@b.example", strings.Repeat("n", maxNameRunes+1)},
	} {
		var pe *protocol.Error
		if _, err := a.InviteCoach(ctx, tch.ID, c.email, c.name); !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
			t.Errorf("InviteCoach(%q, %q): %v, want invalid", c.email, c.name, err)
		}
	}
	for _, by := range []protocol.TeacherID{"", "x", protocol.NewTeacherID()} {
		if _, err := a.InviteCoach(ctx, by, "a@b.example", "A"); !errors.Is(err, ErrNoTeacher) {
			t.Errorf("invited by %q: %v, want ErrNoTeacher", by, err)
		}
	}
	for _, code := range []string{"", "   ", "NOTACODE", strings.Repeat("A", 26), strings.Repeat("A", 1000), "i.>", "*"} {
		if _, err := a.AcceptInvite(ctx, code, pw); !errors.Is(err, ErrNoInvite) {
			t.Errorf("AcceptInvite(%q): %v, want ErrNoInvite", code, err)
		}
	}
	if _, _, err := a.Coaches(ctx, "x"); !errors.Is(err, ErrNoTeacher) {
		t.Errorf("coaches of a bad teacher ID: %v, want ErrNoTeacher", err)
	}
}

func TestInviteExpires(t *testing.T) {
	a, clk, tch := newAccounts(t)
	ctx := context.Background()
	early := mustInvite(t, a, tch.ID, "early@school.example", "Early")
	late := mustInvite(t, a, tch.ID, "late@school.example", "Late")

	clk.add(InviteTTL - time.Millisecond)
	if _, err := a.AcceptInvite(ctx, early.Code, pw); err != nil {
		t.Fatalf("accepted on the last millisecond: %v", err)
	}
	clk.add(time.Millisecond)
	for range 2 { // and again: the link still says why
		if _, err := a.AcceptInvite(ctx, late.Code, pw); !errors.Is(err, ErrInviteExpired) {
			t.Fatalf("accepted when due: %v, want ErrInviteExpired", err)
		}
	}
	coaches, invites, err := a.Coaches(ctx, tch.ID)
	if err != nil || len(coaches) != 1 || coaches[0].Name != "Early" || len(invites) != 0 {
		t.Fatalf("after expiry: coaches %+v invites %+v %v", coaches, invites, err)
	}
	// Once the teacher has seen the list, the expired invitation is gone.
	if _, err := a.AcceptInvite(ctx, late.Code, pw); !errors.Is(err, ErrNoInvite) {
		t.Fatalf("an expired invitation after listing: %v, want ErrNoInvite", err)
	}
	// Inviting again is how the teacher resends.
	again := mustInvite(t, a, tch.ID, "late@school.example", "Late")
	if _, err := a.AcceptInvite(ctx, again.Code, pw); err != nil {
		t.Fatalf("a fresh invitation after one expired: %v", err)
	}
}

// Inviting an e-mail again replaces the teacher's earlier invitation of
// it, and no other.
func TestInviteAgainReplaces(t *testing.T) {
	a, _, tch := newAccounts(t)
	ctx := context.Background()
	old := mustInvite(t, a, tch.ID, "okafor@school.example", "Okafor")
	keep := mustInvite(t, a, tch.ID, "adeyemi@school.example", "Ms Adeyemi")
	renewed := mustInvite(t, a, tch.ID, "Okafor@school.example", "Mr Okafor")
	if renewed.Code == old.Code {
		t.Fatal("inviting again gave the same code")
	}
	_, invites, err := a.Coaches(ctx, tch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(invites) != 2 || invites[0].Name != "Mr Okafor" || invites[1].Name != "Ms Adeyemi" {
		t.Fatalf("invitations: %+v, want Mr Okafor's new one and Ms Adeyemi's", invites)
	}
	if _, err := a.AcceptInvite(ctx, old.Code, pw); !errors.Is(err, ErrNoInvite) {
		t.Fatalf("the replaced code: %v, want ErrNoInvite", err)
	}
	for _, inv := range []Invite{renewed, keep} {
		if c, err := a.AcceptInvite(ctx, inv.Code, pw); err != nil || c.Name != inv.Name {
			t.Fatalf("accept %s: %+v %v", inv.Name, c, err)
		}
	}
}

// Of many acceptances of one code at once, exactly one makes an account.
func TestAcceptOnceUnderRace(t *testing.T) {
	a, _, tch := newAccounts(t)
	ctx := context.Background()
	inv := mustInvite(t, a, tch.ID, "okafor@school.example", "Mr Okafor")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.AcceptInvite(ctx, inv.Code, pw)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrNoInvite):
			t.Errorf("a losing acceptance: %v, want ErrNoInvite", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d acceptances succeeded, want 1", ok)
	}
	if coaches, _, err := a.Coaches(ctx, tch.ID); err != nil || len(coaches) != 1 {
		t.Fatalf("coaches: %+v %v, want one", coaches, err)
	}
}

// A teacher's list holds that teacher's coaches and invitations only,
// sorted by name.
func TestCoachesOfATeacher(t *testing.T) {
	a, _, tch := newAccounts(t)
	ctx := context.Background()
	other, err := a.Add(ctx, "chen@school.example", "Mr Chen", pw)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, name := range []string{"zoe", "Adam", "mia", "Bea"} {
		codes = append(codes, mustInvite(t, a, tch.ID, strings.ToLower(name)+"@school.example", name).Code)
	}
	mustInvite(t, a, other.ID, "bob@school.example", "Bob")
	for _, code := range codes[:2] { // zoe and Adam accept
		if _, err := a.AcceptInvite(ctx, code, pw); err != nil {
			t.Fatal(err)
		}
	}
	coaches, invites, err := a.Coaches(ctx, tch.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotC, gotI []string
	for _, c := range coaches {
		gotC = append(gotC, c.Name)
	}
	for _, i := range invites {
		if i.Code != "" {
			t.Errorf("a listed invitation shows its code: %+v", i)
		}
		gotI = append(gotI, i.Name)
	}
	if strings.Join(gotC, ",") != "Adam,zoe" || strings.Join(gotI, ",") != "Bea,mia" {
		t.Fatalf("coaches %v and invitations %v, want [Adam zoe] and [Bea mia]", gotC, gotI)
	}
	if coaches, invites, err := a.Coaches(ctx, other.ID); err != nil || len(coaches) != 0 || len(invites) != 1 || invites[0].Name != "Bob" {
		t.Fatalf("the other teacher's list: %+v %+v %v", coaches, invites, err)
	}
}
