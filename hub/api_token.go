package hub

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// RenewResponse is the answer to POST /api/v1/token/renew.
type RenewResponse struct {
	Role    protocol.Role `json:"role"`
	Token   string        `json:"token"`
	Expires int64         `json:"expires"`
}

// renewToken exchanges a valid token for a fresh one with the same
// claims, so that a console open longer than a token lasts, or a device
// through a long day, need not sign in or join again. An expired token is
// not renewed: that is a new sign-in. What sign-in or join would check
// now is checked again where it is cheap: a teacher's account must still
// exist, and a student's or a projector's class must still be open (a
// wall screen left on all day stays on). The fresh token says exactly
// what the old one said, so a projector's token renews into a
// projector's token for the same class and nothing more.
func (h *Hub) renewToken(c echo.Context) error {
	tok, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return protocol.Errorf(protocol.CodeUnauthorized, "send the token to renew (Authorization: Bearer <token>)")
	}
	cl, err := h.cfg.Tokens.Verify(strings.TrimSpace(tok))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	switch cl.Role {
	case protocol.RoleTeacher:
		if _, err := h.cfg.Accounts.Get(ctx, cl.Teacher); err != nil {
			return err
		}
	case protocol.RoleStudent, protocol.RoleProjector:
		info, err := h.cfg.Rooms.Room(ctx, cl.Room)
		if errors.Is(err, rooms.ErrNoRoom) {
			return protocol.Errorf(protocol.CodeUnauthorized, "the class of this token no longer exists; join again")
		}
		if err != nil {
			return err
		}
		if info.Status == protocol.StatusEnded {
			return protocol.Errorf(protocol.CodeRoomEnded, "the class has ended")
		}
	case protocol.RoleCoach:
	default:
		return protocol.Errorf(protocol.CodeForbidden, "a %s token is not renewed; issue a new one", cl.Role)
	}
	fresh, exp, err := h.cfg.Tokens.reissue(cl, h.cfg.TokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, RenewResponse{Role: cl.Role, Token: fresh, Expires: exp.UnixMilli()})
}
