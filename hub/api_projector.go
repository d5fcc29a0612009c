package hub

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
)

// ProjectorResponse is the answer to POST /api/v1/rooms/{id}/projector.
type ProjectorResponse struct {
	Token   string     `json:"token"`
	Expires int64      `json:"expires"`
	Room    JoinedRoom `json:"room"`
}

// projector issues the token of a wall screen for one of the teacher's
// classes. The screen has no account: its token is bound to the class
// and names nobody, and the room shows it what the whole class sees.
func (h *Hub) projector(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachAssistant)
	if err != nil {
		return err
	}
	if info.Status == protocol.StatusEnded {
		return protocol.Errorf(protocol.CodeRoomEnded, "the class has ended")
	}
	tok, exp, err := h.cfg.Tokens.IssueProjector(info.ID, h.cfg.TokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ProjectorResponse{Token: tok, Expires: exp.UnixMilli(), Room: JoinedRoom{ID: info.ID, Title: info.Title}})
}
