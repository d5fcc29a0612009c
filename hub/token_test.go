package hub

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

var (
	tokenRoom    = protocol.RoomID("4b955ea0-e456-4b43-a44e-e3de91013e9e")
	tokenStudent = protocol.StudentID("67e7036b-49c9-4c4d-b326-834a6a42fd97")
	tokenTeacher = protocol.TeacherID("56dc0416-b107-4617-be61-55d33c2d6c59")
	tokenCoach   = protocol.CoachID("0d3f7a52-8c1e-4f0b-9a37-2b6e5c4d1a90")
)

func TestTokensRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })

	tok, exp, err := s.IssueStudent(tokenRoom, tokenStudent, "Olivia", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Role: protocol.RoleStudent, Student: tokenStudent, Room: tokenRoom, Name: "Olivia", Expires: exp}
	if !c.Expires.Equal(want.Expires) || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expires %v, want %v", c.Expires, now.Add(time.Hour))
	}
	c.Expires = want.Expires
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}

	tok, _, err = s.IssueTeacher(tokenTeacher, "Ms Rivera", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Verify(tok); err != nil || c.Role != protocol.RoleTeacher || c.Teacher != tokenTeacher || c.Room != "" {
		t.Fatalf("teacher token: %+v %v", c, err)
	}

	tok, _, err = s.IssueCoach(tokenCoach, "Mr Okafor", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err = s.Verify(tok)
	want = Claims{Role: protocol.RoleCoach, Coach: tokenCoach, Name: "Mr Okafor", Expires: now.Add(time.Hour)}
	if err != nil || !c.Expires.Equal(want.Expires) {
		t.Fatalf("coach token: %+v %v", c, err)
	}
	c.Expires = want.Expires
	if c != want {
		t.Fatalf("coach token: got %+v, want %+v", c, want)
	}

	ptok, _, err := s.IssueProjector(tokenRoom, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err = s.Verify(ptok)
	want = Claims{Role: protocol.RoleProjector, Room: tokenRoom, Expires: now.Add(time.Hour)}
	if err != nil || !c.Expires.Equal(want.Expires) {
		t.Fatalf("projector token: %+v %v", c, err)
	}
	c.Expires = want.Expires
	if c != want {
		t.Fatalf("projector token: got %+v, want %+v", c, want)
	}

	now = now.Add(time.Hour + time.Second)
	if _, err := s.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired token: %v, want ErrExpired", err)
	}
}

func TestTokensRefused(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	s := NewSigner(key, nil)
	good, _, _ := s.IssueStudent(tokenRoom, tokenStudent, "Olivia", time.Hour)
	other, _, _ := NewSigner([]byte("another key, another deployment"), nil).IssueStudent(tokenRoom, tokenStudent, "Olivia", time.Hour)
	sign := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	exp := time.Now().Add(time.Hour).Unix()
	parts := strings.Split(good, ".")
	cases := map[string]string{
		"empty":            "",
		"garbage":          "not.a.token",
		"another key":      other,
		"tampered payload": parts[0] + "." + strings.ToUpper(parts[1][:4]) + parts[1][4:] + "." + parts[2],
		"alg none":         sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "iss": issuer, "exp": exp}),
		"HS512":            sign(jwt.SigningMethodHS512, key, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "iss": issuer, "exp": exp}),
		"other issuer":     sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "iss": "someone", "exp": exp}),
		"no expiry":        sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "iss": issuer}),
		"student no room":  sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "student", "sid": string(tokenStudent), "iss": issuer, "exp": exp}),
		"teacher in room":  sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		"unknown role":     sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "admin", "tid": string(tokenTeacher), "iss": issuer, "exp": exp}),
		"bad student id":   sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "student", "sid": "x", "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		// Look-alikes: each role's ID with another role's, or in a room.
		"coach no id":           sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "iss": issuer, "exp": exp}),
		"bad coach id":          sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "cid": "x", "iss": issuer, "exp": exp}),
		"coach as teacher id":   sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "tid": string(tokenCoach), "iss": issuer, "exp": exp}),
		"coach with teacher id": sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "cid": string(tokenCoach), "tid": string(tokenTeacher), "iss": issuer, "exp": exp}),
		"coach with student id": sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "cid": string(tokenCoach), "sid": string(tokenStudent), "iss": issuer, "exp": exp}),
		"coach in room":         sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "coach", "cid": string(tokenCoach), "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		"teacher with coach id": sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "teacher", "tid": string(tokenTeacher), "cid": string(tokenCoach), "iss": issuer, "exp": exp}),
		"student with coach id": sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "student", "sid": string(tokenStudent), "room": string(tokenRoom), "cid": string(tokenCoach), "iss": issuer, "exp": exp}),
		"projector no room":     sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "projector", "iss": issuer, "exp": exp}),
		"projector bad room":    sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "projector", "room": "x", "iss": issuer, "exp": exp}),
		"projector as student":  sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "projector", "sid": string(tokenStudent), "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		"projector as teacher":  sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "projector", "tid": string(tokenTeacher), "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		"projector as coach":    sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "projector", "cid": string(tokenCoach), "room": string(tokenRoom), "iss": issuer, "exp": exp}),
		"teacher as coach":      sign(jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "teacher", "cid": string(tokenCoach), "iss": issuer, "exp": exp}),
	}
	for name, tok := range cases {
		if c, err := s.Verify(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: got %+v, %v; want ErrInvalidToken", name, c, err)
		}
	}
}

func TestKeyIsSharedAndKept(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, js := ns.Connect(t)
			k, err := LoadOrCreateKey(ctx, js, 1)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if string(k) != string(keys[0]) || len(k) != 32 {
			t.Fatalf("nodes disagree on the key: %x vs %x", k, keys[0])
		}
	}
	_, js := ns.Connect(t)
	if k, err := LoadOrCreateKey(ctx, js, 1); err != nil || string(k) != string(keys[0]) {
		t.Fatalf("key after reconnecting: %x %v", k, err)
	}
}

// FuzzVerify: no input panics, and nothing verifies that the signer did
// not issue.
func FuzzVerify(f *testing.F) {
	// A fixed clock: the fuzzing workers are processes of their own, and
	// each must issue the very token the seed corpus holds (with the
	// wall clock, a worker a second later issues another valid one).
	at := time.Date(2026, 9, 1, 8, 30, 0, 0, time.UTC)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return at })
	good, _, _ := s.IssueStudent(tokenRoom, tokenStudent, "Olivia", time.Hour)
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add(good[:len(good)-1] + "x")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok)
		if err == nil && tok != good {
			t.Fatalf("a token the signer did not issue verified: %q → %+v", tok, c)
		}
	})
}
