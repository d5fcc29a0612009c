package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/classhub/classhub/accounts"
	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
	"github.com/classhub/classhub/roster"
)

// maxBodyBytes bounds a REST request body; every body of the API is a few
// short strings.
const maxBodyBytes = 16 << 10

// Register adds the REST API (/api/v1/...) and the WebSocket endpoint
// (/ws) to e, and makes every error e answers a JSON error body with a
// code from the protocol's table, logging those that are the server's
// fault.
func (h *Hub) Register(e *echo.Echo) {
	e.HTTPErrorHandler = h.httpError
	e.GET("/ws", echo.WrapHandler(h))
	api := e.Group("/api/v1")
	api.POST("/login", h.login, h.limitByAddress)
	api.POST("/join", h.join, h.limitByAddress)
	api.POST("/token/renew", h.renewToken)
	api.GET("/join/:code", h.joinList, h.limitLookups)
	api.GET("/rooms", h.listRooms, h.teacherOnly)
	api.POST("/rooms", h.createRoom, h.teacherOnly)
	api.GET("/rooms/:id", h.getRoom, h.teacherOnly)
	api.POST("/rooms/:id/end", h.endRoom, h.teacherOnly)
	api.POST("/rooms/:id/projector", h.projector, h.teacherOnly)
	api.GET("/rooms/:id/teachers", h.listTeachers, h.teacherOnly)
	api.POST("/rooms/:id/teachers", h.shareClass, h.teacherOnly)
	api.DELETE("/rooms/:id/teachers/:teacher", h.unshareClass, h.teacherOnly)
	api.POST("/coaches", h.inviteCoach, h.teacherOnly)
	api.GET("/coaches", h.listCoaches, h.teacherOnly)
	api.POST("/coaches/accept", h.acceptInvite, h.limitByAddress)
	api.GET("/coach/rooms", h.coachRooms, h.coachOnly)
	api.GET("/rosters", h.listRosters, h.teacherOnly)
	api.POST("/rosters", h.createRoster, h.teacherOnly)
	api.POST("/rosters/import", h.importRosters, h.teacherOnly)
	api.GET("/rosters/:id", h.getRoster, h.teacherOnly)
	api.PUT("/rosters/:id", h.putRoster, h.teacherOnly)
	api.DELETE("/rosters/:id", h.deleteRoster, h.teacherOnly)
	api.POST("/rosters/:id/students/:student/code", h.reissueCode, h.teacherOnly)
	api.GET("/profiles/:student", h.getProfile, h.teacherOnly)
	api.PUT("/profiles/:student", h.putProfile, h.teacherOnly)
	api.GET("/me/profile", h.myProfile, h.studentOnly)
	api.PUT("/me/profile", h.editMyProfile, h.studentOnly)
	api.GET("/rooms/:id/report", h.report, h.teacherOnly)
	api.GET("/rooms/:id/students/:student/export", h.exportStudent, h.teacherOnly)
	api.POST("/rooms/:id/students/:student/erase", h.eraseStudent, h.teacherOnly)
	api.GET("/banks", h.listBanks, h.teacherOnly)
	api.POST("/banks", h.putBank, h.teacherOnly)
	// Without it, a path under /api/ that is no route would fall through
	// to the web apps' file server and its text/plain 404.
	e.Any("/api/*", noRoute)
}

// noRoute answers a request that no route of the API takes: a path the
// API does not have is not_found; a path it has, asked with a method it
// does not take, is invalid, with the methods it takes in Allow (the
// catch-all would otherwise hide them, being a route for every method).
func noRoute(c echo.Context) error {
	req := c.Request()
	var allow []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut} {
		probe := c.Echo().NewContext(req, nil)
		c.Echo().Router().Find(m, echo.GetPath(req), probe)
		if probe.Path() != c.Path() {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return protocol.Errorf(protocol.CodeNotFound, "no such route: %s %s", req.Method, req.URL.Path)
	}
	c.Response().Header().Set(echo.HeaderAllow, strings.Join(append([]string{http.MethodOptions}, allow...), ", "))
	if req.Method == http.MethodOptions {
		return c.NoContent(http.StatusNoContent)
	}
	return protocol.Errorf(protocol.CodeInvalid, "%s is not allowed on %s, which takes %s", req.Method, req.URL.Path, strings.Join(allow, " or "))
}

// httpError writes every error as {"error":{"code","message"}} with the
// status of its code. What the client is told is protocol.ErrorOf's to
// decide; an error it does not know is the server's fault, logged here.
func (h *Hub) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		// The router's own answers (no such route, a method the route
		// does not take) carry an HTTP status, not a code.
		if code := protocol.CodeOfStatus(he.Code); code != protocol.CodeInternal {
			msg, _ := he.Message.(string)
			if msg == "" || msg == http.StatusText(he.Code) {
				msg = strings.ToLower(http.StatusText(he.Code))
			}
			err = &protocol.Error{Code: code, Message: msg}
		}
	}
	pe := protocol.ErrorOf(err)
	if pe.Code == protocol.CodeInternal {
		h.log.Error("REST request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if (pe.Code == protocol.CodeRateLimited || pe.RetryAfter > 0) && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", strconv.FormatInt(max(1, (pe.RetryAfter+999)/1000), 10))
	}
	_ = c.JSON(pe.Code.HTTPStatus(), map[string]*protocol.Error{"error": pe})
}

// bind decodes a JSON body strictly: one object, known fields only, at
// most maxBodyBytes.
func bind(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBodyBytes+1))
	if err != nil {
		return protocol.Errorf(protocol.CodeInvalid, "the request body could not be read")
	}
	if len(body) > maxBodyBytes {
		return protocol.Errorf(protocol.CodeFrameTooLarge, "the request body is over %d bytes", maxBodyBytes)
	}
	// Checked before decoding, which would turn such bytes into U+FFFD
	// and let a name through that the WebSocket refuses.
	if !utf8.Valid(body) {
		return protocol.Errorf(protocol.CodeBadFrame, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return protocol.Errorf(protocol.CodeInvalid, "the request body is not the expected JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return protocol.Errorf(protocol.CodeInvalid, "the request body has data after the JSON object")
	}
	return nil
}

// LoginResponse is the answer to POST /api/v1/login and to accepting a
// coach invitation. Role says who signed in, and which of Teacher and
// Coach is present.
type LoginResponse struct {
	Role    protocol.Role    `json:"role"`
	Token   string           `json:"token"`
	Expires int64            `json:"expires"`
	Teacher accounts.Teacher `json:"teacher,omitzero"`
	Coach   accounts.Coach   `json:"coach,omitzero"`
}

func (h *Hub) login(c echo.Context) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Email == "" || req.Password == "" {
		return protocol.Errorf(protocol.CodeInvalid, "email and password are required")
	}
	acct, err := h.cfg.Accounts.Authenticate(c.Request().Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	var res LoginResponse
	switch acct.Role {
	case protocol.RoleTeacher:
		t := acct.AsTeacher()
		tok, exp, err := h.cfg.Tokens.IssueTeacher(t.ID, t.Name, h.cfg.TokenTTL)
		if err != nil {
			return err
		}
		res = LoginResponse{Role: protocol.RoleTeacher, Token: tok, Expires: exp.UnixMilli(), Teacher: t}
	case protocol.RoleCoach:
		if res, err = h.coachSignIn(acct.AsCoach()); err != nil {
			return err
		}
	default:
		// Accounts hold teachers and coaches only; anything else is a
		// fault here, not the client's.
		return errors.New("hub: an account of an unknown role signed in")
	}
	return c.JSON(http.StatusOK, res)
}

// JoinResponse is the answer to POST /api/v1/join.
type JoinResponse struct {
	Token   string             `json:"token"`
	Expires int64              `json:"expires"`
	Room    JoinedRoom         `json:"room"`
	Student protocol.StudentID `json:"student"`
	Name    string             `json:"name"`
}

// JoinedRoom is what a student learns of the room they joined.
type JoinedRoom struct {
	ID    protocol.RoomID `json:"id"`
	Title string          `json:"title"`
}

// join joins a student to a class: with a name typed in, or, in a class
// opened with a roster, with their name picked from it (student, the
// roster student's ID) and their join word.
func (h *Hub) join(c echo.Context) error {
	var req struct {
		Code    string `json:"code"`
		Name    string `json:"name"`
		Student string `json:"student"`
		Word    string `json:"word"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	var (
		info rooms.RoomInfo
		res  protocol.JoinResult
		err  error
	)
	if req.Student != "" || req.Word != "" {
		info, res, err = h.joinPicked(c, req.Code, req.Name, roster.StudentID(req.Student), req.Word)
	} else {
		name := strings.TrimSpace(req.Name)
		if e := protocol.CheckText("name", name, 1, protocol.MaxNameRunes, false); e != nil {
			return e
		}
		// A class with a roster is joined by picking a name from it, so
		// that each student is the same learner from session to session.
		if info, err = h.roomByCode(c.Request().Context(), req.Code); err != nil {
			return err
		}
		if info.Roster != "" {
			return protocol.Errorf(protocol.CodeInvalid, "this class has a list of names: pick your name")
		}
		info, res, err = h.cfg.Rooms.Join(c.Request().Context(), req.Code, name)
	}
	if err != nil {
		return err
	}
	tok, exp, err := h.cfg.Tokens.IssueStudent(info.ID, res.Student, res.Name, h.cfg.TokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, JoinResponse{
		Token: tok, Expires: exp.UnixMilli(), Room: JoinedRoom{ID: info.ID, Title: info.Title},
		Student: res.Student, Name: res.Name,
	})
}

const claimsKey = "classhub.claims"

// teacherOnly admits requests with a valid teacher token in the
// Authorization header.
func (h *Hub) teacherOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return h.only(protocol.RoleTeacher, next)
}

// coachOnly admits requests with a valid coach token.
func (h *Hub) coachOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return h.only(protocol.RoleCoach, next)
}

func (h *Hub) only(role protocol.Role, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || tok == "" {
			return protocol.Errorf(protocol.CodeUnauthorized, "sign in first (Authorization: Bearer <token>)")
		}
		cl, err := h.cfg.Tokens.Verify(strings.TrimSpace(tok))
		if err != nil {
			return err
		}
		if cl.Role != role {
			return protocol.Errorf(protocol.CodeForbidden, "only %ss may do this", role)
		}
		c.Set(claimsKey, cl)
		return next(c)
	}
}

func teacherOf(c echo.Context) protocol.TeacherID {
	return c.Get(claimsKey).(Claims).Teacher
}

// listRooms is a page of the teacher's classes, newest first; next is
// the cursor of the following page.
func (h *Hub) listRooms(c echo.Context) error {
	page := rooms.Page{Before: c.QueryParam("before")}
	if l := c.QueryParam("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return protocol.Errorf(protocol.CodeInvalid, "limit must be a number from 1 to 500")
		}
		page.Limit = n
	}
	list, next, err := h.cfg.Rooms.Rooms(c.Request().Context(), teacherOf(c), page)
	if err != nil {
		return err
	}
	if list == nil {
		list = []rooms.RoomInfo{}
	}
	return c.JSON(http.StatusOK, struct {
		Rooms []rooms.RoomInfo `json:"rooms"`
		Next  string           `json:"next,omitempty"`
	}{list, next})
}

// createRoom opens a class session, with one of the teacher's rosters if
// the body names one: its students then join by picking their names.
func (h *Hub) createRoom(c echo.Context) error {
	var req struct {
		Title  string `json:"title"`
		Roster string `json:"roster"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	open := rooms.RoomInfo{Teacher: teacherOf(c), Title: strings.TrimSpace(req.Title), OwnerName: nameOf(c)}
	if req.Roster != "" {
		id := roster.ID(req.Roster)
		if !id.Valid() {
			return protocol.Errorf(protocol.CodeInvalid, "%q is not a roster ID", req.Roster)
		}
		st, err := h.rosterStore()
		if err != nil {
			return err
		}
		if _, err := st.Get(ctx, open.Teacher, id); err != nil {
			return err
		}
		open.Roster = string(id)
	}
	info, err := h.cfg.Rooms.Open(ctx, open)
	if err != nil {
		return err
	}
	info.Role = protocol.TeachOwner
	return c.JSON(http.StatusCreated, info)
}

func (h *Hub) getRoom(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachAssistant)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (h *Hub) endRoom(c echo.Context) error {
	info, err := h.classRoom(c, protocol.TeachCoTeacher)
	if err != nil {
		return err
	}
	if info.Status != protocol.StatusEnded {
		_, err := h.cfg.Rooms.Do(c.Request().Context(), protocol.Command{
			Room: info.ID, Type: protocol.MsgEndClass, Name: nameOf(c),
			Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: teacherOf(c)}, Data: json.RawMessage(`{}`),
		})
		if err != nil && protocol.ErrorOf(err).Code != protocol.CodeRoomEnded {
			return err
		}
		role := info.Role
		if info, err = h.cfg.Rooms.Room(c.Request().Context(), info.ID); err != nil {
			return err
		}
		info.Role = role
	}
	return c.JSON(http.StatusOK, info)
}

// addressLimits rate-limits requests per client address: join codes and
// passwords cannot be guessed at speed, while a whole class behind one
// school NAT can still join at once.
type addressLimits struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	m     map[string]*addressLimit
	swept time.Time
}

type addressLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func (l *addressLimits) allow(addr string, now time.Time) bool {
	return l.take(addr, now, true)
}

// has reports whether the address has an attempt left, without taking it.
func (l *addressLimits) has(addr string, now time.Time) bool {
	return l.take(addr, now, false)
}

func (l *addressLimits) take(addr string, now time.Time, take bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*addressLimit{}
	}
	// Forget addresses idle long enough for their bucket to be full again.
	if now.Sub(l.swept) > time.Minute {
		full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Minute
		for k, a := range l.m {
			if now.Sub(a.seen) > full {
				delete(l.m, k)
			}
		}
		l.swept = now
	}
	a := l.m[addr]
	if a == nil {
		a = &addressLimit{lim: rate.NewLimiter(l.rate, l.burst)}
		l.m[addr] = a
	}
	a.seen = now
	if !take {
		return a.lim.TokensAt(now) >= 1
	}
	return a.lim.AllowN(now, 1)
}

func (h *Hub) limitByAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.joins.allow(c.RealIP(), time.Now()) {
			return h.tooManyAttempts(c)
		}
		return next(c)
	}
}

func (h *Hub) tooManyAttempts(c echo.Context) error {
	secs := int(max(1, 1/float64(h.joins.rate)))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	// The body says it too, as every rate_limited does (retry_after, in
	// milliseconds), for a client that reads the error rather than the
	// headers.
	e := protocol.Errorf(protocol.CodeRateLimited, "too many attempts from this address; retry in a moment")
	e.RetryAfter = int64(secs) * 1000
	return e
}

// limitLookups limits the look-up of a join code, which every student's
// page makes before joining. Looking up a code that exists costs an
// attempt of a bucket of its own, so that a class behind one address
// joins within the join limit however many look up first; a code that
// does not exist costs a join attempt as well, and none is looked up
// while the address has no join attempt left, so that guessing codes
// goes no faster than through joining.
func (h *Hub) limitLookups(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ip, now := c.RealIP(), time.Now()
		if !h.joins.has(ip, now) || !h.lookups.allow(ip, now) {
			return h.tooManyAttempts(c)
		}
		err := next(c)
		if err != nil && protocol.ErrorOf(err).Code == protocol.CodeNotFound {
			h.joins.allow(ip, time.Now())
		}
		return err
	}
}
