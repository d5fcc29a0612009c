package hub

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// InviteResponse is the answer to POST /api/v1/coaches. It is the only
// answer that carries the invitation's code: the teacher passes Link on
// to the coach, and the server keeps no copy of the code it could show
// again.
type InviteResponse struct {
	Invite accounts.Invite `json:"invite"`
	Link   string          `json:"link"` // the page where the coach accepts, relative to the server
}

// CoachesResponse is the answer to GET /api/v1/coaches: the teacher's
// coaches and pending invitations, without codes.
type CoachesResponse struct {
	Coaches []accounts.Coach  `json:"coaches"`
	Invites []accounts.Invite `json:"invites"`
}

func (h *Hub) inviteCoach(c echo.Context) error {
	var req struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	inv, err := h.cfg.Accounts.InviteCoach(c.Request().Context(), teacherOf(c), req.Email, req.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, InviteResponse{Invite: inv, Link: "/coach?invite=" + url.QueryEscape(inv.Code)})
}

func (h *Hub) listCoaches(c echo.Context) error {
	coaches, invites, err := h.cfg.Accounts.Coaches(c.Request().Context(), teacherOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, CoachesResponse{Coaches: coaches, Invites: invites})
}

// acceptInvite makes the coach's account and signs the coach in at once,
// so that following the link ends on a working console.
func (h *Hub) acceptInvite(c echo.Context) error {
	var req struct {
		Code     string `json:"code"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Code == "" || req.Password == "" {
		return protocol.Errorf(protocol.CodeInvalid, "code and password are required")
	}
	co, err := h.cfg.Accounts.AcceptInvite(c.Request().Context(), req.Code, req.Password)
	if err != nil {
		return err
	}
	res, err := h.coachSignIn(co)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// coachSignIn issues a coach's token and the answer that carries it.
func (h *Hub) coachSignIn(co accounts.Coach) (LoginResponse, error) {
	tok, exp, err := h.cfg.Tokens.IssueCoach(co.ID, co.Name, h.cfg.TokenTTL)
	if err != nil {
		return LoginResponse{}, err
	}
	return LoginResponse{Role: protocol.RoleCoach, Token: tok, Expires: exp.UnixMilli(), Coach: co}, nil
}

// coachRooms lists the open classes in which the signed-in coach follows a
// group.
func (h *Hub) coachRooms(c echo.Context) error {
	id := c.Get(claimsKey).(Claims).Coach
	list, err := h.cfg.Rooms.CoachRooms(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]rooms.RoomInfo{"rooms": list})
}
