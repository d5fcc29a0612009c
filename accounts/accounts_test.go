package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

func TestAccounts(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	a, err := Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	if n, err := a.Count(ctx); err != nil || n != 0 {
		t.Fatalf("count of an empty bucket: %d %v", n, err)
	}
	tch, err := a.Add(ctx, "  Rivera@School.Example ", "Ms Rivera", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if tch.Email != "rivera@school.example" || !tch.ID.Valid() {
		t.Fatalf("added %+v", tch)
	}
	if _, err := a.Add(ctx, "RIVERA@school.example", "Someone", "another password"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	for _, c := range []struct{ email, name, password string }{
		{"not an address", "A", "long enough pw"},
		{"Name <a@b.example>", "A", "long enough pw"},
		{"a@b.example", "", "long enough pw"},
		{"a@b.example", "bad\x00name", "long enough pw"},
		{"a@b.example", "A", "short"},
		{"a@b.example", "A", strings.Repeat("x", 73)},
	} {
		var pe *protocol.Error
		if _, err := a.Add(ctx, c.email, c.name, c.password); !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
			t.Errorf("Add(%q, %q, %q): %v, want invalid", c.email, c.name, c.password, err)
		}
	}
	if got, err := a.Authenticate(ctx, "rivera@school.example", "correct horse battery"); err != nil || got.Role != protocol.RoleTeacher || got.Coach != "" || got.AsTeacher() != tch {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	for _, c := range [][2]string{{"rivera@school.example", "wrong password!"}, {"nobody@school.example", "correct horse battery"}} {
		if _, err := a.Authenticate(ctx, c[0], c[1]); !errors.Is(err, ErrBadPassword) {
			t.Errorf("Authenticate(%q): %v, want ErrBadPassword", c[0], err)
		}
	}
	if err := a.SetPassword(ctx, "Rivera@school.example", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "rivera@school.example", "correct horse battery"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("old password still works: %v", err)
	}
	if _, err := a.Authenticate(ctx, "rivera@school.example", "a brand new password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if got, err := a.Get(ctx, tch.ID); err != nil || got != tch {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := a.Get(ctx, protocol.NewTeacherID()); !errors.Is(err, ErrNoTeacher) {
		t.Fatalf("get unknown: %v", err)
	}
	if n, err := a.Count(ctx); err != nil || n != 1 {
		t.Fatalf("count: %d %v", n, err)
	}
}

// A class is shared with a teacher found by e-mail, as typed; a coach's
// e-mail and an e-mail of nobody are told apart, each in words.
func TestTeacherByEmail(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	a, err := Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.Cost = bcrypt.MinCost
	tch, err := a.Add(ctx, "okafor@school.example", "Ms Okafor", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.TeacherByEmail(ctx, "  Okafor@School.example ")
	if err != nil || got != tch {
		t.Fatalf("by e-mail: %+v %v, want %+v", got, err, tch)
	}
	inv, err := a.InviteCoach(ctx, tch.ID, "diaz@school.example", "Mr Diaz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AcceptInvite(ctx, inv.Code, "a long password of his own"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TeacherByEmail(ctx, "diaz@school.example"); !errors.Is(err, ErrNotATeacher) || protocol.ErrorOf(err).Code != protocol.CodeInvalid {
		t.Fatalf("a coach's e-mail: %v", err)
	}
	if _, err := a.TeacherByEmail(ctx, "nobody@school.example"); !errors.Is(err, ErrNoSuchTeacher) || protocol.ErrorOf(err).Code != protocol.CodeNotFound {
		t.Fatalf("an unknown e-mail: %v", err)
	}
	if _, err := a.TeacherByEmail(ctx, "not an address"); protocol.ErrorOf(err).Code != protocol.CodeInvalid {
		t.Fatalf("not an address: %v", err)
	}
}
