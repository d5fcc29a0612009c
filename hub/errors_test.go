package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// TestHTTPErrors: every error a handler returns reaches the client as the
// code its sentinel declares, with the status of that code; an error that
// declares none is internal, says nothing of itself, and is logged.
func TestHTTPErrors(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   protocol.Code
		msg    string // "" for any
		logged bool
	}{
		{"room", fmt.Errorf("get room r: %w", rooms.ErrNoRoom), 404, protocol.CodeNotFound, "no such room", false},
		{"room moving", rooms.ErrFenced, 503, protocol.CodeUnavailable, "", false},
		{"refusal", protocol.Errorf(protocol.CodeFull, "the station is full"), 409, protocol.CodeFull, "the station is full", false},
		{"account", fmt.Errorf("invite: %w", accounts.ErrExists), 409, protocol.CodeConflict, "an account with that e-mail exists", false},
		{"password", accounts.ErrBadPassword, 401, protocol.CodeUnauthorized, "wrong e-mail or password", false},
		{"invitation", accounts.ErrInviteExpired, 404, protocol.CodeNotFound, "", false},
		{"token", fmt.Errorf("%w: signature", ErrInvalidToken), 401, protocol.CodeUnauthorized, "", false},
		{"roster busy", roster.ErrBusy, 503, protocol.CodeBusy, "", false},
		{"import", &roster.ImportError{Problems: []roster.Problem{{File: "users.csv", Line: 2, Message: "no name"}}}, 400, protocol.CodeInvalid, "", false},
		{"deadline", fmt.Errorf("read kv: %w", context.DeadlineExceeded), 503, protocol.CodeUnavailable, "", false},
		{"no route", echo.ErrNotFound, 404, protocol.CodeNotFound, "not found", false},
		{"method", echo.ErrMethodNotAllowed, 400, protocol.CodeInvalid, "method not allowed", false},
		{"router fault", echo.NewHTTPError(500, "stack trace here"), 500, protocol.CodeInternal, "internal error", true},
		{"fault", fmt.Errorf("store: %w", errors.New("disk full at /srv/nats")), 500, protocol.CodeInternal, "internal error", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &Hub{log: slog.New(slog.NewTextHandler(&logs, nil))}
			e := echo.New()
			rec := httptest.NewRecorder()
			h.httpError(c.err, e.NewContext(httptest.NewRequest(http.MethodGet, "/api/v1/x", nil), rec))
			var body struct {
				Error protocol.Error `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != c.status || body.Error.Code != c.code || (c.msg != "" && body.Error.Message != c.msg) || body.Error.Message == "" {
				t.Errorf("got %d %+v, want %d %s %q", rec.Code, body.Error, c.status, c.code, c.msg)
			}
			if got := strings.Contains(logs.String(), "level=ERROR"); got != c.logged {
				t.Errorf("logged %v, want %v: %s", got, c.logged, logs.String())
			}
			if c.code == protocol.CodeInternal && (strings.Contains(rec.Body.String(), "disk") || strings.Contains(rec.Body.String(), "stack")) {
				t.Errorf("a fault's details reached the client: %s", rec.Body)
			}
		})
	}
}
