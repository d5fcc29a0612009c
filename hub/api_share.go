package hub

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// TeachersResponse is the answer of the routes of a class's teachers:
// who teaches it now, the owner first, and what the asker is to it.
type TeachersResponse struct {
	Teachers []protocol.ClassTeacher `json:"teachers"`
	You      protocol.TeachRole      `json:"you"`
}

// trust orders the teaching roles: an assistant steers the lesson, a
// co-teacher also sets it up and ends it, the owner also shares it.
func trust(r protocol.TeachRole) int {
	switch r {
	case protocol.TeachAssistant:
		return 1
	case protocol.TeachCoTeacher:
		return 2
	case protocol.TeachOwner:
		return 3
	}
	return 0
}

// classRoom returns the room named in the path if the teacher is one of
// its teachers in a role of at least least, with Role set to what they
// are to it. A class that is not theirs is not found, not forbidden: room
// IDs are not confirmed to those who do not teach them. One that is theirs
// in a lesser role is forbidden, saying who may.
func (h *Hub) classRoom(c echo.Context, least protocol.TeachRole) (rooms.RoomInfo, error) {
	id := protocol.RoomID(c.Param("id"))
	if !id.Valid() {
		return rooms.RoomInfo{}, protocol.Errorf(protocol.CodeInvalid, "%q is not a room ID", c.Param("id"))
	}
	ctx := c.Request().Context()
	info, err := h.cfg.Rooms.Room(ctx, id)
	if err != nil {
		return info, err
	}
	role, err := h.cfg.Rooms.TeachRole(ctx, info, teacherOf(c))
	if err != nil {
		return rooms.RoomInfo{}, err
	}
	switch {
	case role == "":
		return rooms.RoomInfo{}, rooms.ErrNoRoom
	case trust(role) < trust(least) && least == protocol.TeachOwner:
		return rooms.RoomInfo{}, protocol.Errorf(protocol.CodeForbidden, "only the teacher who owns the class may do this")
	case trust(role) < trust(least):
		return rooms.RoomInfo{}, protocol.Errorf(protocol.CodeForbidden, "a teaching assistant may not do this; the class's owner and co-teachers may")
	}
	info.Role = role
	return info, nil
}

func nameOf(c echo.Context) string { return c.Get(claimsKey).(Claims).Name }

// listTeachers answers who teaches a class, from the class's own state.
func (h *Hub) listTeachers(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachAssistant)
	if err != nil {
		return err
	}
	raw, err := h.cfg.Rooms.Do(c.Request().Context(), protocol.Command{
		Room: info.ID, Type: protocol.CmdSnapshot, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: teacherOf(c)},
	})
	if err != nil {
		return err
	}
	var snap protocol.SnapshotResult
	var view protocol.TeacherView
	if err := json.Unmarshal(raw, &snap); err != nil {
		return err
	}
	if err := json.Unmarshal(snap.View, &view); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, TeachersResponse{Teachers: view.Teachers, You: view.You})
}

// shareClass shares the class with the teacher of an e-mail, as a
// co-teacher or a teaching assistant; sharing again changes the role.
func (h *Hub) shareClass(c echo.Context) error {
	var req struct {
		Email string             `json:"email"`
		Role  protocol.TeachRole `json:"role"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if !req.Role.Shareable() {
		return protocol.Errorf(protocol.CodeInvalid, "role must be %q or %q", protocol.TeachCoTeacher, protocol.TeachAssistant)
	}
	info, err := h.classRoom(c, protocol.TeachOwner)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.cfg.Accounts.TeacherByEmail(ctx, req.Email)
	if err != nil {
		return err
	}
	if t.ID == info.Teacher {
		return protocol.Errorf(protocol.CodeInvalid, "that is your own e-mail: share the class with another teacher")
	}
	raw, err := h.cfg.Rooms.Share(ctx, teacherOf(c), nameOf(c), info.ID, protocol.ShareClass{Teacher: t.ID, Name: t.Name, Email: t.Email, Role: req.Role})
	if err != nil {
		return err
	}
	return h.teachersAnswer(c, raw, protocol.TeachOwner)
}

// unshareClass ends a share: the owner's of anyone, a teacher's of
// themselves (leaving the class). The teacher's consoles on the class are
// closed with 4007.
func (h *Hub) unshareClass(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachAssistant)
	if err != nil {
		return err
	}
	target := protocol.TeacherID(c.Param("teacher"))
	if !target.Valid() {
		return protocol.Errorf(protocol.CodeInvalid, "%q is not a teacher ID", c.Param("teacher"))
	}
	raw, err := h.cfg.Rooms.Unshare(c.Request().Context(), teacherOf(c), nameOf(c), info.ID, target)
	if err != nil {
		return err
	}
	you := info.Role
	if target == teacherOf(c) {
		you = ""
	}
	return h.teachersAnswer(c, raw, you)
}

func (h *Hub) teachersAnswer(c echo.Context, raw json.RawMessage, you protocol.TeachRole) error {
	var list []protocol.ClassTeacher
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, TeachersResponse{Teachers: list, You: you})
}
