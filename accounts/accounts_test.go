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
