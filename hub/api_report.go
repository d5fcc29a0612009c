package hub

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
)

// report answers the session report of a teacher's class, as JSON or, with
// ?format=csv, as CSV (one row per student and skill).
func (h *Hub) report(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachCoTeacher)
	if err != nil {
		return err
	}
	rep, err := h.cfg.Rooms.Report(c.Request().Context(), info.ID)
	if err != nil {
		return err
	}
	if len(rep.Teachers) > 0 && rep.Teachers[0].Name == "" {
		// Classes opened before co-teaching do not name their owner.
		rep.Teachers[0].Name = info.OwnerName
		if t, err := h.cfg.Accounts.Get(c.Request().Context(), info.Teacher); err == nil && rep.Teachers[0].Name == "" {
			rep.Teachers[0].Name = t.Name
		}
	}
	if c.QueryParam("format") == "csv" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="classhub-report-`+string(info.ID)+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", rep.CSV())
	}
	return c.JSON(http.StatusOK, rep)
}

func sidParam(c echo.Context) (protocol.StudentID, error) {
	id := protocol.StudentID(c.Param("student"))
	if !id.Valid() {
		return "", protocol.Errorf(protocol.CodeInvalid, "%q is not a student ID", id)
	}
	return id, nil
}

// exportStudent answers everything a class holds about one student.
func (h *Hub) exportStudent(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachOwner)
	if err != nil {
		return err
	}
	sid, err := sidParam(c)
	if err != nil {
		return err
	}
	raw, err := h.cfg.Rooms.ExportStudent(c.Request().Context(), info.Teacher, info.ID, sid)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, raw)
}

// eraseStudent removes one student from a class and its log.
func (h *Hub) eraseStudent(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachOwner)
	if err != nil {
		return err
	}
	sid, err := sidParam(c)
	if err != nil {
		return err
	}
	raw, err := h.cfg.Rooms.EraseStudentAs(c.Request().Context(), protocol.ActedBy{Teacher: teacherOf(c), Name: nameOf(c)}, info.ID, sid)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, raw)
}
