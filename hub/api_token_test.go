package hub

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
)

// A teacher's, a coach's, a student's and a projector's token are each
// exchanged for a fresh one that says the same and lasts TokenTTL from
// now, and the fresh one works where the old one did, and nowhere more.
func TestRenewToken(t *testing.T) {
	e := newEnv(t)
	key, err := LoadOrCreateKey(context.Background(), e.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens issued an hour ago, so that a fresh one must expire later.
	earlier := NewSigner(key, func() time.Time { return time.Now().Add(-time.Hour) })
	tl := e.teacher()
	info := e.room(tl.Token, "Science")
	jr := e.join(info.Code, "Olivia")
	var pr ProjectorResponse
	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/projector", tl.Token, nil, &pr); perr != nil {
		t.Fatal(perr)
	}
	var ir InviteResponse
	if _, perr := e.call("POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "okafor@school.example", "name": "Mr Okafor"}, &ir); perr != nil {
		t.Fatal(perr)
	}
	var co LoginResponse
	if _, perr := e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "coach's own password"}, &co); perr != nil {
		t.Fatal(perr)
	}
	reissue := func(tok string) string {
		cl, err := e.cfg.Tokens.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		var old string
		switch cl.Role {
		case protocol.RoleTeacher:
			old, _, err = earlier.IssueTeacher(cl.Teacher, cl.Name, e.cfg.TokenTTL)
		case protocol.RoleCoach:
			old, _, err = earlier.IssueCoach(cl.Coach, cl.Name, e.cfg.TokenTTL)
		case protocol.RoleStudent:
			old, _, err = earlier.IssueStudent(cl.Room, cl.Student, cl.Name, e.cfg.TokenTTL)
		case protocol.RoleProjector:
			old, _, err = earlier.IssueProjector(cl.Room, e.cfg.TokenTTL)
		}
		if err != nil || old == "" {
			t.Fatal(err)
		}
		return old
	}

	for _, c := range []struct {
		name  string
		token string
		use   string // a route the token is good for
	}{
		{"teacher", reissue(tl.Token), "/api/v1/rooms"},
		{"coach", reissue(co.Token), "/api/v1/coach/rooms"},
		{"student", reissue(jr.Token), ""},
		{"projector", reissue(pr.Token), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := e.cfg.Tokens.Verify(c.token)
			if err != nil {
				t.Fatal(err)
			}
			var res RenewResponse
			if st, perr := e.call("POST", "/api/v1/token/renew", c.token, nil, &res); perr != nil || st != http.StatusOK {
				t.Fatalf("renew: %d %v", st, perr)
			}
			got, err := e.cfg.Tokens.Verify(res.Token)
			if err != nil {
				t.Fatalf("the fresh token does not verify: %v", err)
			}
			if res.Role != want.Role || res.Expires != got.Expires.UnixMilli() {
				t.Errorf("answer %+v for a token of %s expiring %v", res, got.Role, got.Expires)
			}
			if lasts := time.Until(got.Expires); lasts < e.cfg.TokenTTL-time.Minute || lasts > e.cfg.TokenTTL {
				t.Errorf("the fresh token lasts %v, want %v", lasts, e.cfg.TokenTTL)
			}
			if !got.Expires.After(want.Expires) {
				t.Errorf("the fresh token expires %v, not after the old one's %v", got.Expires, want.Expires)
			}
			got.Expires, want.Expires = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("the fresh token says %+v, want %+v", got, want)
			}
			if c.use != "" {
				if st, perr := e.call("GET", c.use, res.Token, nil, nil); perr != nil {
					t.Errorf("GET %s with the fresh token: %d %v", c.use, st, perr)
				}
			}
		})
	}

	// The student's fresh token opens the class's WebSocket as the same
	// student.
	var res RenewResponse
	if _, perr := e.call("POST", "/api/v1/token/renew", jr.Token, nil, &res); perr != nil {
		t.Fatal(perr)
	}
	_, w := e.mustConnect("olivia", protocol.Hello{Token: res.Token})
	if w.Student != jr.Student || w.Room != info.ID {
		t.Fatalf("the fresh token welcomed %s in %s, want %s in %s", w.Student, w.Room, jr.Student, info.ID)
	}

	// The projector's fresh token opens the class's WebSocket as its
	// projector, and is still refused where a teacher's token is needed.
	if _, perr := e.call("POST", "/api/v1/token/renew", pr.Token, nil, &res); perr != nil {
		t.Fatal(perr)
	}
	if res.Role != protocol.RoleProjector {
		t.Fatalf("a projector's token renewed as a %s's", res.Role)
	}
	_, w = e.mustConnect("projector", protocol.Hello{Token: res.Token})
	if w.Role != protocol.RoleProjector || w.Room != info.ID || w.Student != "" {
		t.Fatalf("the fresh projector token welcomed %+v", w)
	}
	for _, route := range []struct{ method, path string }{
		{"GET", "/api/v1/rooms"},
		{"POST", "/api/v1/rooms/" + string(info.ID) + "/projector"},
		{"GET", "/api/v1/coach/rooms"},
	} {
		if st, perr := e.call(route.method, route.path, res.Token, nil, nil); st != http.StatusForbidden || perr == nil || perr.Code != protocol.CodeForbidden {
			t.Errorf("%s %s with a renewed projector token: %d %v, want 403 forbidden", route.method, route.path, st, perr)
		}
	}
}

// What is not renewed: no token, a token that is not ours, an expired
// token, and a student's or a projector's token once the class ended.
func TestRenewTokenRefused(t *testing.T) {
	e := newEnv(t)
	key, err := LoadOrCreateKey(context.Background(), e.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	tl := e.teacher()
	info := e.room(tl.Token, "Science")
	jr := e.join(info.Code, "Olivia")
	var pr ProjectorResponse
	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/projector", tl.Token, nil, &pr); perr != nil {
		t.Fatal(perr)
	}
	expired, _, err := NewSigner(key, func() time.Time { return time.Now().Add(-13 * time.Hour) }).IssueTeacher(tl.Teacher.ID, tl.Teacher.Name, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := NewSigner([]byte("another deployment's key, 32 b!"), nil).IssueTeacher(tl.Teacher.ID, tl.Teacher.Name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := NewSigner(key, nil).IssueTeacher("0b6f2a3e-5d4c-4b2a-9e8f-7a6b5c4d3e2f", "Nobody", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name, token string, status int, code protocol.Code) {
		t.Helper()
		st, perr := e.call("POST", "/api/v1/token/renew", token, nil, nil)
		if st != status || perr == nil || perr.Code != code {
			t.Errorf("%s: %d %v, want %d %s", name, st, perr, status, code)
		}
	}
	check("no token", "", http.StatusUnauthorized, protocol.CodeUnauthorized)
	check("not a token", "not-a-token", http.StatusUnauthorized, protocol.CodeUnauthorized)
	check("another key's token", foreign, http.StatusUnauthorized, protocol.CodeUnauthorized)
	check("expired", expired, http.StatusUnauthorized, protocol.CodeUnauthorized)
	check("a teacher without an account", gone, http.StatusUnauthorized, protocol.CodeUnauthorized)

	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/end", tl.Token, nil, nil); perr != nil {
		t.Fatal(perr)
	}
	check("student of an ended class", jr.Token, http.StatusGone, protocol.CodeRoomEnded)
	check("projector of an ended class", pr.Token, http.StatusGone, protocol.CodeRoomEnded)
	// The teacher's token is still renewed: it is not bound to the class.
	if st, perr := e.call("POST", "/api/v1/token/renew", tl.Token, nil, nil); perr != nil {
		t.Errorf("teacher after the class ended: %d %v", st, perr)
	}
}
