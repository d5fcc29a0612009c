package hub

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// answerFields lists the top-level fields of a sign-in answer, to check
// which of "teacher" and "coach" it has.
func answerFields(raw map[string]json.RawMessage) string {
	var ks []string
	for _, k := range []string{"role", "token", "expires", "teacher", "coach"} {
		if _, ok := raw[k]; ok {
			ks = append(ks, k)
		}
	}
	return strings.Join(ks, ",")
}

// A teacher invites a coach, the coach accepts and is signed in, signs in
// again later with the teacher's login, and holds a coach's token.
func TestCoachAccountFlow(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	if tl.Role != protocol.RoleTeacher || !tl.Teacher.ID.Valid() {
		t.Fatalf("teacher login: %+v", tl)
	}

	var ir InviteResponse
	st, perr := e.call("POST", "/api/v1/coaches", tl.Token, map[string]string{"email": " Okafor@School.example", "name": "Mr Okafor "}, &ir)
	if perr != nil || st != http.StatusCreated {
		t.Fatalf("invite: %d %v", st, perr)
	}
	inv := ir.Invite
	if inv.Email != "okafor@school.example" || inv.Name != "Mr Okafor" || len(inv.Code) < 26 || ir.Link != "/coach?invite="+inv.Code {
		t.Fatalf("invite answer: %+v", ir)
	}
	if exp := time.UnixMilli(inv.Expires); exp.Before(time.Now().Add(7*24*time.Hour-time.Minute)) || exp.After(time.Now().Add(7*24*time.Hour)) {
		t.Fatalf("invitation expires %v, want in 7 days", exp)
	}

	var list CoachesResponse
	if _, perr := e.call("GET", "/api/v1/coaches", tl.Token, nil, &list); perr != nil {
		t.Fatal(perr)
	}
	if list.Coaches == nil || len(list.Coaches) != 0 || len(list.Invites) != 1 || list.Invites[0].Code != "" || list.Invites[0].Email != inv.Email {
		t.Fatalf("coaches before acceptance: %+v", list)
	}

	var acc LoginResponse
	st, perr = e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": inv.Code, "password": "coach's own password"}, &acc)
	if perr != nil || st != http.StatusOK {
		t.Fatalf("accept: %d %v", st, perr)
	}
	co := acc.Coach
	if acc.Role != protocol.RoleCoach || acc.Token == "" || !co.ID.Valid() || co.InvitedBy != tl.Teacher.ID || co.Email != inv.Email || co.Name != inv.Name || acc.Teacher.ID != "" {
		t.Fatalf("accept answer: %+v", acc)
	}
	if cl, err := e.cfg.Tokens.Verify(acc.Token); err != nil || cl.Role != protocol.RoleCoach || cl.Coach != co.ID || cl.Teacher != "" || cl.Room != "" {
		t.Fatalf("token from accepting: %+v %v", cl, err)
	}
	if st, perr := e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": inv.Code, "password": "coach's own password"}, nil); st != http.StatusNotFound || perr.Code != protocol.CodeNotFound {
		t.Fatalf("accepting twice: %d %v", st, perr)
	}

	// The coach signs in where teachers do; the answer says which it is.
	var raw map[string]json.RawMessage
	if _, perr := e.call("POST", "/api/v1/login", "", map[string]string{"email": "OKAFOR@school.example", "password": "coach's own password"}, &raw); perr != nil {
		t.Fatal(perr)
	}
	if got := answerFields(raw); got != "role,token,expires,coach" {
		t.Fatalf("coach login answer has %s, want role,token,expires,coach", got)
	}
	var cl LoginResponse
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &cl)
	if cl.Role != protocol.RoleCoach || cl.Coach != co {
		t.Fatalf("coach login: %+v, want coach %+v", cl, co)
	}
	claims, err := e.cfg.Tokens.Verify(cl.Token)
	if err != nil || claims.Role != protocol.RoleCoach || claims.Coach != co.ID || claims.Name != "Mr Okafor" || claims.Teacher != "" {
		t.Fatalf("coach login token: %+v %v", claims, err)
	}
	if _, perr := e.call("POST", "/api/v1/login", "", map[string]string{"email": co.Email, "password": "not the password"}, nil); perr == nil || perr.Code != protocol.CodeUnauthorized {
		t.Fatalf("coach, wrong password: %v", perr)
	}

	// A teacher's answer is as it always was, with the role added.
	raw = nil
	if _, perr := e.call("POST", "/api/v1/login", "", map[string]string{"email": tl.Teacher.Email, "password": "correct horse battery"}, &raw); perr != nil {
		t.Fatal(perr)
	}
	if got := answerFields(raw); got != "role,token,expires,teacher" {
		t.Fatalf("teacher login answer has %s, want role,token,expires,teacher", got)
	}

	list = CoachesResponse{}
	if _, perr := e.call("GET", "/api/v1/coaches", tl.Token, nil, &list); perr != nil {
		t.Fatal(perr)
	}
	if len(list.Coaches) != 1 || list.Coaches[0] != co || list.Invites == nil || len(list.Invites) != 0 {
		t.Fatalf("coaches after acceptance: %+v", list)
	}
	other := e.teacher()
	list = CoachesResponse{}
	if _, perr := e.call("GET", "/api/v1/coaches", other.Token, nil, &list); perr != nil || len(list.Coaches) != 0 || len(list.Invites) != 0 {
		t.Fatalf("another teacher's coaches: %+v %v", list, perr)
	}

	// A coach is not a teacher.
	info := e.room(tl.Token, "Projects")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/rooms", nil},
		{"POST", "/api/v1/rooms", map[string]string{"title": "Mine"}},
		{"GET", "/api/v1/rooms/" + string(info.ID), nil},
		{"POST", "/api/v1/rooms/" + string(info.ID) + "/end", nil},
		{"GET", "/api/v1/coaches", nil},
		{"POST", "/api/v1/coaches", map[string]string{"email": "friend@school.example", "name": "Friend"}},
	} {
		if st, perr := e.call(c.method, c.path, cl.Token, c.body, nil); st != http.StatusForbidden || perr.Code != protocol.CodeForbidden {
			t.Errorf("coach token, %s %s: %d %v, want 403 forbidden", c.method, c.path, st, perr)
		}
	}
}

func TestCoachRESTErrors(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Projects")
	student := e.join(info.Code, "Olivia")
	var ir InviteResponse
	if st, perr := e.call("POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "okafor@school.example", "name": "Mr Okafor"}, &ir); perr != nil {
		t.Fatalf("invite: %d %v", st, perr)
	}
	for _, c := range []struct {
		method, path, token string
		body                any
		status              int
		code                protocol.Code
	}{
		{"POST", "/api/v1/coaches", tl.Token, `{"email":`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, `[]`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, `{"email":"a@b.example","name":"A"} {}`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]any{"email": "a@b.example", "name": "A", "role": "teacher"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]any{"email": 7, "name": "A"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "not an address", "name": "A"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "a@b.example", "name": " "}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "a@b.example"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches", tl.Token, map[string]string{"email": strings.ToUpper(tl.Teacher.Email), "name": "Me"}, 409, protocol.CodeConflict},
		{"POST", "/api/v1/coaches", "", map[string]string{"email": "a@b.example", "name": "A"}, 401, protocol.CodeUnauthorized},
		{"GET", "/api/v1/coaches", "garbage", nil, 401, protocol.CodeUnauthorized},
		{"GET", "/api/v1/coaches", student.Token, nil, 403, protocol.CodeForbidden},
		{"POST", "/api/v1/coaches/accept", "", `{"code":`, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches/accept", "", map[string]string{"password": "long enough pw"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "long enough pw", "email": "x@y.example"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "short"}, 400, protocol.CodeInvalid},
		{"POST", "/api/v1/coaches/accept", "", map[string]string{"code": "NOSUCHCODE", "password": "long enough pw"}, 404, protocol.CodeNotFound},
		{"GET", "/api/v1/coaches/accept", "", nil, 400, protocol.CodeInvalid},
	} {
		st, perr := e.call(c.method, c.path, c.token, c.body, nil)
		if st != c.status || perr == nil || perr.Code != c.code {
			t.Errorf("%s %s %v: got %d %v, want %d %s", c.method, c.path, c.body, st, perr, c.status, c.code)
		}
	}
	// None of the refusals used the code up.
	if st, perr := e.call("POST", "/api/v1/coaches/accept", "", map[string]string{"code": ir.Invite.Code, "password": "long enough pw"}, nil); perr != nil {
		t.Fatalf("accept after the refusals: %d %v", st, perr)
	}
	// Once the e-mail has an account, inviting it again is a conflict.
	if st, perr := e.call("POST", "/api/v1/coaches", tl.Token, map[string]string{"email": "okafor@school.example", "name": "Mr Okafor"}, nil); st != 409 || perr.Code != protocol.CodeConflict {
		t.Fatalf("inviting a coach's e-mail: %d %v", st, perr)
	}
}

// Invitation codes cannot be guessed at speed: accepting is limited per
// client address like signing in.
func TestAcceptIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.JoinBurst = 3; c.JoinRate = 0.001 })
	body := map[string]string{"code": "NOSUCHCODE", "password": "long enough pw"}
	for range 3 {
		if st, perr := e.call("POST", "/api/v1/coaches/accept", "", body, nil); st != http.StatusNotFound {
			t.Fatalf("within the burst: %d %v", st, perr)
		}
	}
	if st, perr := e.call("POST", "/api/v1/coaches/accept", "", body, nil); st != http.StatusTooManyRequests || perr.Code != protocol.CodeRateLimited {
		t.Fatalf("over the burst: %d %v, want 429 rate_limited", st, perr)
	}
}
