package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// wrongWordCost is what a wrong join word costs its client address, in
// joins, on top of the attempt itself: guessing a classmate's word runs
// out of attempts five times faster than joining does, while a few
// mis-picks in a class behind one school address cost little of its
// burst.
const wrongWordCost = 4

// JoinListResponse is the answer to GET /api/v1/join/:code: what a
// student's device shows before joining. Students are the names to pick
// from, sorted, for a class opened with a roster; never their join words.
type JoinListResponse struct {
	Room     JoinedRoom      `json:"room"`
	Rostered bool            `json:"rostered"`
	Students []JoinListEntry `json:"students"`
	// Words are the join words and their pictures, in the order to show
	// them; empty for a class without a roster.
	Words []roster.Word `json:"words"`
}

// JoinListEntry is one name of a roster, as a student picks it.
type JoinListEntry struct {
	ID   roster.StudentID `json:"id"`
	Name string           `json:"name"`
}

// RosterRequest is the body of POST /api/v1/rosters and of
// PUT /api/v1/rosters/:id.
type RosterRequest struct {
	Name     string                `json:"name"`
	Students []roster.StudentInput `json:"students"`
}

// rosterStore returns the store of rosters, or not_found when the hub
// keeps none.
func (h *Hub) rosterStore() (*roster.Store, error) {
	if h.cfg.Rosters == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "this server keeps no class rosters")
	}
	return h.cfg.Rosters, nil
}

// rosterParam reads a roster ID from the path.
func rosterParam(c echo.Context, name string) (roster.ID, error) {
	id := roster.ID(c.Param(name))
	if !id.Valid() {
		return "", protocol.Errorf(protocol.CodeInvalid, "%q is not a roster ID", c.Param(name))
	}
	return id, nil
}

// studentParam reads a roster student's ID from the path.
func studentParam(c echo.Context, name string) (roster.StudentID, error) {
	id := roster.StudentID(c.Param(name))
	if !id.Valid() {
		return "", protocol.Errorf(protocol.CodeInvalid, "%q is not a student ID", c.Param(name))
	}
	return id, nil
}

// roomByCode returns the open room whose join code is code, without
// joining it. A code that is unknown, mistyped or of an ended class is
// not_found, worded as a join's.
//
// rooms looks codes up only inside a join, so this reads its join-code
// index ("c.<code>" → room ID in protocol.BucketRooms) itself. It is the
// one place the hub knows that layout, to be replaced by a lookup of
// rooms.Manager when there is one.
func (h *Hub) roomByCode(ctx context.Context, code string) (rooms.RoomInfo, error) {
	info, err := h.cfg.Rooms.RoomByCode(ctx, code)
	if errors.Is(err, rooms.ErrNoRoom) || (err == nil && info.Status != protocol.StatusOpen) {
		return rooms.RoomInfo{}, errNoCode
	}
	return info, err
}

// joinList answers GET /api/v1/join/:code: the class of a join code and,
// if it was opened with a roster, the names to pick from.
func (h *Hub) joinList(c echo.Context) error {
	ctx := c.Request().Context()
	info, err := h.roomByCode(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	res := JoinListResponse{Room: JoinedRoom{ID: info.ID, Title: info.Title}, Students: []JoinListEntry{}, Words: []roster.Word{}}
	if info.Roster == "" {
		return c.JSON(http.StatusOK, res)
	}
	res.Rostered, res.Words = true, roster.Words
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	// The roster is read as it is now: students the teacher adds during
	// the session can join at once. A roster deleted since leaves no one
	// to pick.
	r, err := st.Get(ctx, info.Teacher, roster.ID(info.Roster))
	if err != nil && !errors.Is(err, roster.ErrNoRoster) {
		return err
	}
	for _, s := range r.Students {
		res.Students = append(res.Students, JoinListEntry{ID: s.ID, Name: s.Name})
	}
	// In alphabetical order, where a student looks for their name.
	slices.SortStableFunc(res.Students, func(a, b JoinListEntry) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return c.JSON(http.StatusOK, res)
}

// joinPicked joins a student of a rostered class who picked their name
// and their join word. A wrong word is unauthorized and costs the
// client's address wrongWordCost more joins.
func (h *Hub) joinPicked(c echo.Context, code, name string, student roster.StudentID, word string) (rooms.RoomInfo, protocol.JoinResult, error) {
	var none protocol.JoinResult
	switch {
	case name != "":
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeInvalid, "give either a name, or a student and a word")
	case student == "" || strings.TrimSpace(word) == "":
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeInvalid, "student and word are both required")
	case !student.Valid():
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeInvalid, "%q is not a student ID", student)
	}
	ctx := c.Request().Context()
	info, err := h.roomByCode(ctx, code)
	if err != nil {
		return rooms.RoomInfo{}, none, err
	}
	if info.Roster == "" {
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeInvalid, "this class has no list of names: type your name")
	}
	st, err := h.rosterStore()
	if err != nil {
		return rooms.RoomInfo{}, none, err
	}
	r, err := st.Get(ctx, info.Teacher, roster.ID(info.Roster))
	if err != nil && !errors.Is(err, roster.ErrNoRoster) {
		return rooms.RoomInfo{}, none, err
	}
	s, ok := r.Student(student)
	if !ok {
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeNotFound, "that name is not on this class's list")
	}
	if !s.Matches(word) {
		for range wrongWordCost {
			h.joins.allow(c.RealIP(), time.Now())
		}
		return rooms.RoomInfo{}, none, protocol.Errorf(protocol.CodeUnauthorized, "that is not your picture; try again")
	}
	joined, res, err := h.cfg.Rooms.JoinAs(ctx, code, protocol.JoinRoom{Name: s.Name, Roster: string(s.ID)})
	if err != nil {
		return rooms.RoomInfo{}, none, err
	}
	// The seat is what lets the student's token reach their profile. A
	// failure to store it fails the join; joining again is the same
	// student of the class and stores it again.
	if err := st.Seat(ctx, r.ID, joined.ID, res.Student, s.ID); err != nil {
		return rooms.RoomInfo{}, none, err
	}
	return joined, res, nil
}

func (h *Hub) listRosters(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	list, err := st.List(c.Request().Context(), teacherOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]roster.Roster{"rosters": list})
}

func (h *Hub) createRoster(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	var req RosterRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := st.Create(c.Request().Context(), teacherOf(c), req.Name, req.Students)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (h *Hub) getRoster(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	id, err := rosterParam(c, "id")
	if err != nil {
		return err
	}
	r, err := st.Get(c.Request().Context(), teacherOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Hub) putRoster(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	id, err := rosterParam(c, "id")
	if err != nil {
		return err
	}
	var req RosterRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := st.Replace(c.Request().Context(), teacherOf(c), id, req.Name, req.Students)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Hub) deleteRoster(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	id, err := rosterParam(c, "id")
	if err != nil {
		return err
	}
	if err := st.Delete(c.Request().Context(), teacherOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Hub) reissueCode(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	id, err := rosterParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := studentParam(c, "student")
	if err != nil {
		return err
	}
	s, err := st.ReissueCode(c.Request().Context(), teacherOf(c), id, sid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]roster.Student{"student": s})
}

// importRosters takes a OneRoster 1.1 CSV bundle: a zip as the body
// (Content-Type application/zip), or its three files as parts of a
// multipart form named users, classes and enrollments.
func (h *Hub) importRosters(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	req := c.Request()
	req.Body = uploadBody{http.MaxBytesReader(c.Response(), req.Body, roster.MaxBundleBytes)}
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	var b roster.Bundle
	switch mt {
	case "application/zip", "application/x-zip-compressed":
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return uploadError(err)
		}
		if b, err = roster.ReadZip(data); err != nil {
			return err
		}
	case "multipart/form-data":
		if b, err = readBundleParts(req); err != nil {
			return err
		}
	default:
		return protocol.Errorf(protocol.CodeInvalid, "send the OneRoster files as a zip (Content-Type application/zip), or as multipart/form-data parts named users, classes and enrollments")
	}
	res, err := st.Import(req.Context(), teacherOf(c), b)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// readBundleParts reads the files of a bundle from a multipart form. A
// part is named by its form name or its file name, with or without .csv;
// other parts are ignored.
func readBundleParts(req *http.Request) (roster.Bundle, error) {
	var b roster.Bundle
	mr, err := req.MultipartReader()
	if err != nil {
		return b, protocol.Errorf(protocol.CodeInvalid, "the multipart form cannot be read: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, uploadError(err)
		}
		name := part.FormName()
		if name == "" {
			name = part.FileName()
		}
		var dst *[]byte
		switch strings.TrimSuffix(strings.ToLower(name), ".csv") {
		case "users":
			dst = &b.Users
		case "classes":
			dst = &b.Classes
		case "enrollments":
			dst = &b.Enrollments
		default:
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return b, uploadError(err)
		}
		*dst = data
	}
}

// uploadBody is the body of an upload of rosters: past the limit of the
// http.MaxBytesReader beneath, a read fails with errUploadTooBig, the
// hub's own refusal of what it will not read.
type uploadBody struct{ io.ReadCloser }

func (b uploadBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, ok := err.(*http.MaxBytesError); ok {
		err = errUploadTooBig
	}
	return n, err
}

// uploadError is a failure to read an upload: errUploadTooBig when that
// is in err, and otherwise errUploadUnreadable, with err for the logs.
func uploadError(err error) error {
	return fmt.Errorf("read upload: %w: %w", err, errUploadUnreadable)
}

func (h *Hub) getProfile(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	sid, err := studentParam(c, "student")
	if err != nil {
		return err
	}
	p, err := st.Profile(c.Request().Context(), teacherOf(c), sid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// putProfile changes the lists of a profile: those in the body, each
// replaced whole; lists left out are kept. Mastery is recorded by the
// sessions only.
func (h *Hub) putProfile(c echo.Context) error {
	st, err := h.rosterStore()
	if err != nil {
		return err
	}
	sid, err := studentParam(c, "student")
	if err != nil {
		return err
	}
	var req roster.ProfileEdit
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := st.EditProfile(c.Request().Context(), teacherOf(c), sid, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// studentOnly admits requests with a valid student token.
func (h *Hub) studentOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return h.only(protocol.RoleStudent, next)
}

// me returns the store and who the student of the token is: the teacher
// of their class and their entry on its roster. A student who typed their
// name has no roster entry, and so no profile.
func (h *Hub) me(c echo.Context) (*roster.Store, protocol.TeacherID, roster.StudentID, error) {
	st, err := h.rosterStore()
	if err != nil {
		return nil, "", "", err
	}
	cl := c.Get(claimsKey).(Claims)
	ctx := c.Request().Context()
	info, err := h.cfg.Rooms.Room(ctx, cl.Room)
	if errors.Is(err, rooms.ErrNoRoom) || (err == nil && info.Roster == "") {
		return nil, "", "", errNoProfile
	}
	if err != nil {
		return nil, "", "", err
	}
	sid, err := st.SeatOf(ctx, roster.ID(info.Roster), cl.Room, cl.Student)
	if errors.Is(err, roster.ErrNoStudent) {
		return nil, "", "", errNoProfile
	}
	return st, info.Teacher, sid, err
}

// StudentProfile is a learner profile as its student reads it: the
// challenges are the teacher's notes and are left out, and the skills of
// its mastery are named, as a student cannot list the content banks.
type StudentProfile struct {
	roster.Profile
	// Challenges hides the profile's own: it is always left out.
	Challenges *struct{}                   `json:"challenges,omitempty"`
	SkillNames map[protocol.SkillID]string `json:"skill_names"`
}

// studentProfile is p as its student reads it.
func (h *Hub) studentProfile(ctx context.Context, p roster.Profile) StudentProfile {
	sp := StudentProfile{Profile: p, SkillNames: map[protocol.SkillID]string{}}
	// Names are a courtesy: without the banks the skills show by their IDs,
	// and the profile is answered all the same.
	banks, err := h.cfg.Rooms.Banks(ctx)
	if err != nil {
		h.log.Warn("name the skills of a profile", "err", err)
	}
	for _, b := range banks {
		for id, name := range b.SkillNames {
			if _, ok := p.Mastery[id]; ok {
				sp.SkillNames[id] = name
			}
		}
	}
	return sp
}

func (h *Hub) myProfile(c echo.Context) error {
	st, teacher, sid, err := h.me(c)
	if err != nil {
		return err
	}
	p, err := st.Profile(c.Request().Context(), teacher, sid)
	if errors.Is(err, roster.ErrNoStudent) {
		return errOffRoster
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.studentProfile(c.Request().Context(), p))
}

// editMyProfile lets a student change their own interests and goals. The
// strengths and challenges are the teacher's to write.
func (h *Hub) editMyProfile(c echo.Context) error {
	var req struct {
		Interests  *[]string `json:"interests"`
		Goals      *[]string `json:"goals"`
		Strengths  *[]string `json:"strengths"`
		Challenges *[]string `json:"challenges"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Strengths != nil || req.Challenges != nil {
		return protocol.Errorf(protocol.CodeForbidden, "a student may change only their interests and goals")
	}
	st, teacher, sid, err := h.me(c)
	if err != nil {
		return err
	}
	p, err := st.EditProfile(c.Request().Context(), teacher, sid, roster.ProfileEdit{Interests: req.Interests, Goals: req.Goals})
	if errors.Is(err, roster.ErrNoStudent) {
		return errOffRoster
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.studentProfile(c.Request().Context(), p))
}
