package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// PROTOCOL.md is read by the people who write clients; these tests hold it
// to the code: every code, close code, message, event, audience and limit
// is documented as the code has it, and every example is a frame the code
// accepts or would send.

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docTable returns the rows of the first table after heading, header
// first, without the separator row, cells trimmed.
func docTable(t *testing.T, doc, heading string) [][]string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("PROTOCOL.md has no heading %q", heading)
	}
	var rows [][]string
	for _, l := range lines[start+1:] {
		if strings.HasPrefix(l, "#") && rows == nil {
			break // the next section: no table under this heading
		}
		if !strings.HasPrefix(l, "|") {
			if rows != nil {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("PROTOCOL.md: no table under %q", heading)
	}
	return rows
}

// code strips the backticks of a cell that is one code span.
func code(cell string) string {
	if len(cell) > 2 && cell[0] == '`' && cell[len(cell)-1] == '`' && strings.Count(cell, "`") == 2 {
		return cell[1 : len(cell)-1]
	}
	return cell
}

func TestDocErrorCodes(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Error codes")
	if got := strings.Join(rows[0], "|"); got != "code|HTTP|meaning|what a client does" {
		t.Fatalf("header %q", got)
	}
	documented := map[Code]bool{}
	for _, r := range rows[1:] {
		c := Code(code(r[0]))
		want, ok := httpStatus[c]
		if !ok {
			t.Errorf("PROTOCOL.md documents error code %q, which the code does not have", r[0])
			continue
		}
		if documented[c] {
			t.Errorf("error code %s documented twice", c)
		}
		documented[c] = true
		if r[1] != strconv.Itoa(want) || r[1] != strconv.Itoa(c.HTTPStatus()) {
			t.Errorf("error code %s: PROTOCOL.md says HTTP %s, the code %d", c, r[1], c.HTTPStatus())
		}
		if r[2] == "" || r[3] == "" {
			t.Errorf("error code %s: meaning or advice missing", c)
		}
	}
	for c := range httpStatus {
		if !documented[c] {
			t.Errorf("PROTOCOL.md does not document error code %s", c)
		}
	}
}

func TestDocCloseCodes(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Close codes")
	if got := strings.Join(rows[0], "|"); got != "code|meaning|after it" {
		t.Fatalf("header %q", got)
	}
	documented := map[CloseCode]bool{}
	for _, r := range rows[1:] {
		n, err := strconv.Atoi(r[0])
		c := CloseCode(n)
		if _, ok := finalClose[c]; err != nil || !ok {
			t.Errorf("PROTOCOL.md documents close code %q, which the code does not have", r[0])
			continue
		}
		documented[c] = true
		if got := strings.HasPrefix(r[2], "final"); got != c.Final() {
			t.Errorf("close code %d: PROTOCOL.md says %q, but Final() is %v", c, r[2], c.Final())
		}
	}
	for c := range finalClose {
		if !documented[c] {
			t.Errorf("PROTOCOL.md does not document close code %d", c)
		}
	}
}

func TestDocMessages(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Messages")
	if got := strings.Join(rows[0], "|"); got != "type|sent by|data|result" {
		t.Fatalf("header %q", got)
	}
	documented := map[MsgType]bool{}
	word := regexp.MustCompile(`[a-z]+`)
	for _, r := range rows[1:] {
		m := MsgType(code(r[0]))
		if !slices.Contains(MsgTypes(), m) {
			t.Errorf("PROTOCOL.md documents message type %q, which the code does not have", r[0])
			continue
		}
		documented[m] = true
		words := word.FindAllString(r[1], -1)
		for _, role := range roles {
			says := slices.Contains(words, string(role)) || strings.Contains(r[1], "every role")
			if says != Allowed(m, role) {
				t.Errorf("message %s: PROTOCOL.md says %q is sent by %q, Allowed(%s) is %v", m, r[1], role, role, Allowed(m, role))
			}
		}
	}
	for _, m := range MsgTypes() {
		if !documented[m] {
			t.Errorf("PROTOCOL.md has no row for message type %s", m)
		}
	}
}

func TestDocEvents(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Events")
	if got := strings.Join(rows[0], "|"); got != "event|audience|data" {
		t.Fatalf("header %q", got)
	}
	documented := map[EventType]bool{}
	for _, r := range rows[1:] {
		e := EventType(code(r[0]))
		kind, ok := eventTypes[e]
		if !ok {
			t.Errorf("PROTOCOL.md documents event %q, which the code does not have", r[0])
			continue
		}
		documented[e] = true
		if !strings.HasPrefix(r[1], "`"+string(kind)+"`") {
			t.Errorf("event %s: PROTOCOL.md gives the audience %q, want it to start with `%s`", e, r[1], kind)
		}
	}
	for e := range eventTypes {
		if !documented[e] {
			t.Errorf("PROTOCOL.md has no row for event %s", e)
		}
	}
}

// The privacy table is the audience matrix, cell by cell.
func TestDocPrivacy(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Privacy: who sees what")
	if !slices.Equal(rows[0], append([]string{"audience"}, viewerNames...)) {
		t.Fatalf("header %q, want audience and %q", rows[0], viewerNames)
	}
	documented := map[AudienceKind]bool{}
	for _, r := range rows[1:] {
		k := AudienceKind(code(r[0]))
		a, ok := audiences[k]
		if !ok {
			t.Errorf("PROTOCOL.md documents audience %q, which the code does not have", r[0])
			continue
		}
		documented[k] = true
		for i, vn := range viewerNames {
			want := "no"
			if a.Allows(viewers[vn]) {
				want = "yes"
			}
			if r[i+1] != want {
				t.Errorf("audience %s, viewer %s: PROTOCOL.md says %q, Allows says %q", k, vn, r[i+1], want)
			}
		}
	}
	for _, k := range audienceKinds {
		if !documented[k] {
			t.Errorf("PROTOCOL.md has no row for audience %s", k)
		}
	}
}

// The table of Versioning is what DecodeClientFrame answers, value by
// value, so that "v":1.0 and its kin are answered as the document says.
func TestDocVersions(t *testing.T) {
	rows := docTable(t, readDoc(t), "## Versioning")
	if got := strings.Join(rows[0], "|"); got != "`v` in a client frame|answer" {
		t.Fatalf("header %q", got)
	}
	seen := 0
	for _, r := range rows[1:] {
		want, _, _ := strings.Cut(r[1], ":")
		want = code(want)
		var values []string
		if r[0] == "left out" {
			values = []string{""}
		} else {
			for _, v := range strings.Split(r[0], ", ") {
				values = append(values, code(v))
			}
		}
		for _, v := range values {
			in := `{"v":` + v + `,"id":"v1","type":"ping"}`
			if v == "" {
				in = `{"id":"v1","type":"ping"}`
			}
			f, err := DecodeClientFrame([]byte(in))
			got := "read as version 1"
			if err != nil {
				got = string(err.Code)
			} else if f.V != Version {
				got = fmt.Sprintf("read as version %d", f.V)
			}
			if got != want {
				t.Errorf("v %q: PROTOCOL.md says %q, DecodeClientFrame answers %q (%v)", v, want, got, err)
			}
			seen++
		}
	}
	if seen < 10 {
		t.Errorf("the Versioning table shows only %d values", seen)
	}
}

// The limits the document states are the code's.
func TestDocLimits(t *testing.T) {
	doc := readDoc(t)
	for _, c := range []struct {
		ok   bool
		text string
	}{
		{MaxFrameBytes == 16<<10, "**16 KiB** (16384 bytes)"},
		{HardFrameBytes == 1<<20, "**1 MiB**"},
		{Version == 1, `"v":1`},
		{true, fmt.Sprintf("a string of 1 to %d bytes", MaxRequestID)},
		{true, fmt.Sprintf("`text` (1–%d characters", MaxTextRunes)},
		{true, fmt.Sprintf("`note`? (0–%d characters, one line)", MaxNoteRunes)},
		{true, fmt.Sprintf("`name` is 1–%d characters", MaxNameRunes)},
		{true, fmt.Sprintf("`title` is 1–%d characters", MaxTitleRunes)},
		{true, fmt.Sprintf("at most %d stations", MaxStations)},
		{true, fmt.Sprintf("`name` (1–%d characters, one line)", MaxStationName)},
		{true, fmt.Sprintf("`text`? (0–%d characters; newlines and tabs allowed)", MaxActivityText)},
		{true, fmt.Sprintf("at most %d bytes", MaxURLBytes)},
		{true, fmt.Sprintf("0 to %d options", MaxOptions)},
		{true, fmt.Sprintf("1–%d characters each", MaxOptionRunes)},
		{true, fmt.Sprintf("`interest` (0–%d characters", MaxInterestRunes)},
		{true, fmt.Sprintf("at most %d constraints", MaxConstraintSets)},
		{true, fmt.Sprintf("group names are 1–%d characters", MaxGroupNameRunes)},
		{true, fmt.Sprintf("1 to %d groups", MaxGroups)},
		{true, fmt.Sprintf("`response` (0–%d characters, one line)", MaxResponseRunes)},
		{true, fmt.Sprintf("`minutes` (for `snooze`: 1–%d)", MaxSnoozeMinutes)},
		{true, "`items` (1 to 20 item IDs)"},
		{true, "at most 4096 bytes"},
		{true, "lower-case letters, digits, `.`, `-` and `_`, 1 to 64 bytes"},
	} {
		if !c.ok || !strings.Contains(doc, c.text) {
			t.Errorf("PROTOCOL.md should say %q (and the code agree)", c.text)
		}
	}
}

// docExample is one JSON value from a fenced block of PROTOCOL.md.
type docExample struct {
	line    int
	info    string // the block's info string: json or http
	comment string // the comment line before it, without "//"
	status  int    // in http blocks: the status line before it ("404 Not Found"), 0 for a request body
	raw     []byte
}

// docExamples reads every JSON example: in json blocks, values one after
// the other (a value may span lines; lines starting with // are
// comments); in http blocks, each line that starts with '{'.
func docExamples(t *testing.T, doc string) []docExample {
	t.Helper()
	var (
		out     []docExample
		info    string
		inBlock bool
		buf     []byte
		start   int
		comment string
		status  int
	)
	statusLine := regexp.MustCompile(`^([1-5][0-9][0-9]) [A-Z]`)
	requestLine := regexp.MustCompile(`^[A-Z]+ /`)
	for i, l := range strings.Split(doc, "\n") {
		n := i + 1
		tl := strings.TrimSpace(l)
		if strings.HasPrefix(tl, "```") {
			if inBlock && len(buf) > 0 {
				t.Errorf("PROTOCOL.md line %d: example is not valid JSON: %s", start, buf)
			}
			inBlock, info, buf, comment, status = !inBlock, strings.TrimPrefix(tl, "```"), nil, "", 0
			if inBlock && info != "json" && info != "http" {
				t.Errorf("PROTOCOL.md line %d: block of %q; examples are json or http", n, info)
			}
			continue
		}
		if !inBlock {
			continue
		}
		switch info {
		case "http":
			// A request line starts a new exchange; a status line answers it.
			if m := statusLine.FindStringSubmatch(tl); m != nil {
				status, _ = strconv.Atoi(m[1])
			} else if requestLine.MatchString(tl) {
				status = 0
			}
			if strings.HasPrefix(tl, "{") {
				out = append(out, docExample{line: n, info: info, status: status, raw: []byte(tl)})
				if !json.Valid([]byte(tl)) {
					t.Errorf("PROTOCOL.md line %d: example is not valid JSON: %s", n, tl)
				}
			}
		case "json":
			switch {
			case len(buf) == 0 && tl == "":
				continue
			case len(buf) == 0 && strings.HasPrefix(tl, "//"):
				comment = strings.TrimSpace(strings.TrimPrefix(tl, "//"))
				continue
			}
			if len(buf) == 0 {
				start = n
			}
			buf = append(buf, l...)
			buf = append(buf, '\n')
			if json.Valid(buf) {
				out = append(out, docExample{line: start, info: info, comment: comment, raw: bytes.TrimSpace(buf)})
				buf = nil
			}
		}
	}
	if inBlock {
		t.Error("PROTOCOL.md ends inside a code block")
	}
	return out
}

// TestDocExamples: every example is a frame (or view, or REST body) the
// code accepts or would send, and every message, server frame, welcome
// form, view and event that a device can meet has one.
func TestDocExamples(t *testing.T) {
	exs := docExamples(t, readDoc(t))
	if len(exs) < 30 {
		t.Fatalf("only %d examples found", len(exs))
	}
	var (
		clients   = map[string]ClientFrame{} // by id
		clientRaw = map[string][]byte{}
		replies   = map[string][]ServerFrame{}
		kinds     = map[string]bool{}   // what the document shows
		refused   = map[string]*Error{} // client examples with invalid data
	)
	for _, ex := range exs {
		where := fmt.Sprintf("PROTOCOL.md line %d", ex.line)
		if ex.info == "http" {
			var body struct {
				Error *Error `json:"error"`
			}
			if json.Unmarshal(ex.raw, &body) == nil && body.Error != nil {
				if _, ok := httpStatus[body.Error.Code]; !ok || body.Error.Message == "" {
					t.Errorf("%s: REST error %+v", where, body.Error)
				}
				// An answer's status is its code's; the body alone (the
				// shape of every error) has none.
				if ex.status != 0 && ex.status != body.Error.Code.HTTPStatus() {
					t.Errorf("%s: REST error %s shown with status %d; its status is %d", where, body.Error.Code, ex.status, body.Error.Code.HTTPStatus())
				}
				kinds["rest error"] = true
				kinds["rest error "+string(body.Error.Code)] = true
			}
			continue
		}
		var probe struct {
			V    *int   `json:"v"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(ex.raw, &probe); err != nil {
			t.Errorf("%s: not a JSON object: %v", where, err)
			continue
		}
		if probe.V == nil {
			// A snapshot view, named by the comment before it.
			role, _, _ := strings.Cut(ex.comment, " ")
			if !strings.HasPrefix(ex.comment, role+" view") {
				t.Errorf("%s: an example without \"v\" must follow a comment naming its view: %q", where, ex.comment)
				continue
			}
			checkView(t, where, Role(role), ex.raw, kinds)
			kinds[role+" view"] = true
			continue
		}
		switch probe.Type {
		case FrameWelcome, FrameResult, FrameError, FrameEvent:
			var f ServerFrame
			if err := strictUnmarshal(ex.raw, &f); err != nil {
				t.Errorf("%s: not a server frame: %v", where, err)
				continue
			}
			checkServerFrame(t, where, f, kinds)
			if f.ID != "" {
				replies[f.ID] = append(replies[f.ID], f)
			}
		default:
			f, err := DecodeClientFrame(ex.raw)
			if err != nil {
				t.Errorf("%s: the server refuses this example: %v", where, err)
				continue
			}
			if _, err := DecodePayload(f.Type, f.Data); err != nil {
				refused[f.ID] = err // its answer must be this error
			}
			if prev, ok := clientRaw[f.ID]; ok && !bytes.Equal(prev, ex.raw) {
				t.Errorf("%s: id %q is used by two different examples", where, f.ID)
			}
			clients[f.ID], clientRaw[f.ID] = f, ex.raw
		}
	}

	// An example of invalid data is answered with the error the server gives.
	for id, e := range refused {
		ok := false
		for _, r := range replies[id] {
			ok = ok || (r.Type == FrameError && *r.Error == *e)
		}
		if !ok {
			t.Errorf("PROTOCOL.md: %s %q is refused with %v; show that error as its answer", clients[id].Type, id, e)
		}
	}

	// Every message type: an example and the answer to it.
	answered := map[MsgType]bool{}
	for id, f := range clients {
		for _, r := range replies[id] {
			switch {
			case r.Type == FrameError:
			case refused[id] != nil:
				t.Errorf("PROTOCOL.md: %s %q has invalid data, yet is answered by a %s frame", f.Type, id, r.Type)
			case f.Type == MsgHello && r.Type == FrameWelcome:
				answered[f.Type] = true
			case f.Type != MsgHello && r.Type == FrameResult:
				checkResult(t, f, r)
				answered[f.Type] = true
			default:
				t.Errorf("PROTOCOL.md: %s %q is answered by a %s frame", f.Type, id, r.Type)
			}
		}
	}
	for _, m := range sortedMsgTypes() {
		if !answered[m] {
			t.Errorf("PROTOCOL.md has no example of %s followed by its answer", m)
		}
	}
	for id, rs := range replies {
		for _, r := range rs {
			if _, ok := clients[id]; !ok && r.Type != FrameError {
				t.Errorf("PROTOCOL.md: a %s frame answers %q, which no example sends", r.Type, id)
			}
		}
	}

	want := []string{
		"welcome resumed", "welcome snapshot", "welcome not recoverable", "result", "error", "error without id",
		"teacher view", "student view", "projector view", "coach view", "rest error",
	}
	// The codes of class orchestration are shown in an error frame each.
	for _, c := range []Code{CodeWrongState, CodeStale, CodeFull, CodeAbsent, CodeInfeasible} {
		want = append(want, "error "+string(c))
	}
	// So are those of learning, and a content bank's errors in a REST body.
	for _, c := range []Code{CodeNotGiven, CodeClosed, CodeDuplicate} {
		want = append(want, "error "+string(c))
	}
	want = append(want, "rest error "+string(CodeBadContent))
	// The REST API's own refusals: a route it does not have, a method a
	// route does not take, a body that is not UTF-8.
	for _, c := range []Code{CodeNotFound, CodeInvalid, CodeBadFrame} {
		want = append(want, "rest error "+string(c))
	}
	// Every field of every view is shown at least once.
	for _, role := range []Role{RoleTeacher, RoleStudent, RoleProjector} {
		for _, f := range jsonFields(viewTypes[role]) {
			want = append(want, string(role)+" view field "+f.name)
		}
	}
	for e, k := range eventTypes {
		if k != AudNone {
			want = append(want, "event "+string(e))
		}
	}
	for _, k := range want {
		if !kinds[k] {
			t.Errorf("PROTOCOL.md has no example of %s", k)
		}
	}
}

func checkServerFrame(t *testing.T, where string, f ServerFrame, kinds map[string]bool) {
	t.Helper()
	if f.V != Version {
		t.Errorf("%s: v %d", where, f.V)
	}
	streamFields := f.Epoch != "" || f.Seq != 0 || f.Event != "" || f.Time != 0
	switch f.Type {
	case FrameWelcome:
		if f.ID == "" || streamFields || f.Error != nil {
			t.Errorf("%s: a welcome has an id and data only", where)
		}
		var w Welcome
		if err := strictUnmarshal(f.Data, &w); err != nil {
			t.Errorf("%s: welcome data: %v", where, err)
			return
		}
		if !w.Role.Valid() || !w.Room.Valid() || w.Epoch == "" || w.ServerTime <= 0 {
			t.Errorf("%s: welcome %+v", where, w)
		}
		if (w.Role == RoleStudent) != (w.Student != "") || (w.Student != "" && (!w.Student.Valid() || w.Name == "")) {
			t.Errorf("%s: welcome of a %s with student %q, name %q", where, w.Role, w.Student, w.Name)
		}
		switch {
		case w.Resumed:
			if len(w.Snapshot) != 0 || w.Reason != nil {
				t.Errorf("%s: a resumed welcome has no snapshot and no reason", where)
			}
			kinds["welcome resumed"] = true
		case len(w.Snapshot) == 0:
			t.Errorf("%s: a welcome that did not resume needs a snapshot", where)
		default:
			checkView(t, where, w.Role, w.Snapshot, kinds)
			kinds[string(w.Role)+" view"] = true
			if w.Reason != nil {
				if w.Reason.Code != CodeNotRecoverable || w.Reason.Message == "" {
					t.Errorf("%s: reason %+v", where, w.Reason)
				}
				kinds["welcome not recoverable"] = true
			} else {
				kinds["welcome snapshot"] = true
			}
		}
	case FrameResult:
		var obj map[string]any
		if f.ID == "" || streamFields || f.Error != nil || json.Unmarshal(f.Data, &obj) != nil {
			t.Errorf("%s: a result has an id and an object as data", where)
		}
		kinds["result"] = true
	case FrameError:
		if streamFields || len(f.Data) != 0 || f.Error == nil {
			t.Errorf("%s: an error has an id (or not) and an error only", where)
			return
		}
		if _, ok := httpStatus[f.Error.Code]; !ok || f.Error.Message == "" {
			t.Errorf("%s: error %+v", where, f.Error)
		}
		kinds["error"] = true
		kinds["error "+string(f.Error.Code)] = true
		if f.ID == "" {
			kinds["error without id"] = true
		}
	case FrameEvent:
		kind, ok := eventTypes[f.Event]
		switch {
		case !ok:
			t.Errorf("%s: unknown event %q", where, f.Event)
			return
		case kind == AudNone:
			t.Errorf("%s: %s is never sent to a device; do not show it as a frame", where, f.Event)
		case f.ID != "" || f.Error != nil || f.Epoch == "" || f.Seq == 0 || f.Time <= 0:
			t.Errorf("%s: an event has epoch, seq, event, time and data", where)
		}
		data := eventPayloads[f.Event]()
		if err := strictUnmarshal(f.Data, data); err != nil {
			t.Errorf("%s: data of %s: %v", where, f.Event, err)
		} else {
			checkLearningEvent(t, where, data)
		}
		kinds["event "+string(f.Event)] = true
	}
}

// checkView: a snapshot view is exactly the type the role receives, with
// every field the server always sends. The fields it shows are recorded in
// kinds, so that the document is known to show every field somewhere.
func checkView(t *testing.T, where string, role Role, raw []byte, kinds map[string]bool) {
	t.Helper()
	var (
		room   RoomID
		status RoomStatus
		err    error
	)
	switch role {
	case RoleTeacher, RoleCoach:
		var v TeacherView
		err = strictUnmarshal(raw, &v)
		room, status = v.Room, v.Status
		for _, s := range v.Students {
			if !s.ID.Valid() || s.Name == "" || s.Joined <= 0 {
				t.Errorf("%s: roster entry %+v", where, s)
			}
		}
		if v.Students == nil || v.Announcements == nil || v.Opened <= 0 {
			t.Errorf("%s: a teacher view has opened, students and announcements", where)
		}
		if role == RoleCoach {
			if v.Proposal != nil {
				t.Errorf("%s: a coach view shows the teachers' proposal", where)
			}
			for _, s := range v.Students {
				if s.Level != nil {
					t.Errorf("%s: a coach view shows the level of %s", where, s.Name)
				}
			}
		}
		for _, w := range v.Workspaces {
			if !slices.ContainsFunc(v.Groups, func(g Group) bool { return g.ID == w.Group }) {
				t.Errorf("%s: a workspace of group %s, which the view does not show", where, w.Group)
			}
		}
		checkStaffLearning(t, where, role, v)
	case RoleStudent:
		var v StudentView
		err = strictUnmarshal(raw, &v)
		room, status = v.Room, v.Status
		if !v.Me.ID.Valid() || v.Announcements == nil {
			t.Errorf("%s: a student view has me and announcements", where)
		}
		for _, a := range v.Announcements {
			if a.To != "" && a.To != v.Me.ID {
				t.Errorf("%s: a student view shows an announcement to another student", where)
			}
		}
		if v.Me.Level != nil {
			t.Errorf("%s: a student view shows the teacher's estimate of the student's level", where)
		}
		if v.Group != nil && (len(v.Group.Coaches) != 0 || !slices.ContainsFunc(v.Group.Members, func(m Member) bool { return m.ID == v.Me.ID })) {
			t.Errorf("%s: a student view shows a group the student is not in, or its coaches", where)
		}
		if v.Workspace != nil && (v.Group == nil || v.Workspace.Group != v.Group.ID) {
			t.Errorf("%s: a student view shows the workspace of another group", where)
		}
		for _, a := range v.Activities {
			if a.To.Student != "" && a.To.Student != v.Me.ID {
				t.Errorf("%s: a student view shows an activity sent to another student", where)
			}
		}
		if p := v.Practice; p != nil {
			if p.Offer != nil && p.Offer.Student != v.Me.ID {
				t.Errorf("%s: a student view shows an offer made to another student", where)
			}
			if p.Mastery == nil || !validName(string(p.Set.Bank)) || !validName(p.Set.Set) {
				t.Errorf("%s: practice %+v", where, p)
			}
			if p.Item != nil {
				checkItemView(t, where, *p.Item)
				if len(p.Hints) > p.Item.Hints {
					t.Errorf("%s: %d hints shown of an item that has %d", where, len(p.Hints), p.Item.Hints)
				}
			}
		}
	case RoleProjector:
		var v ProjectorView
		err = strictUnmarshal(raw, &v)
		room, status = v.Room, v.Status
		for _, a := range v.Announcements {
			if a.To != "" || a.Group != "" || a.Station != "" {
				t.Errorf("%s: a projector view shows an announcement that is not for everyone", where)
			}
		}
		for _, a := range v.Activities {
			if a.To != (Target{}) {
				t.Errorf("%s: a projector view shows an activity that is not for everyone", where)
			}
		}
	default:
		t.Errorf("%s: no view for role %q", where, role)
		return
	}
	if err != nil {
		t.Errorf("%s: not a %s view: %v", where, role, err)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	for name := range fields {
		kinds[string(role)+" view field "+name] = true
	}
	for _, f := range jsonFields(viewTypes[role]) {
		if _, ok := fields[f.name]; !ok && !f.optional {
			t.Errorf("%s: the %s view lacks %q, which the server always sends", where, role, f.name)
		}
	}
	if !room.Valid() || (status != StatusOpen && status != StatusEnded) {
		t.Errorf("%s: %s view of room %q, status %q", where, role, room, status)
	}
}

// checkResult: the result of each command has the documented shape.
func checkResult(t *testing.T, f ClientFrame, r ServerFrame) {
	t.Helper()
	m := f.Type
	switch m {
	case MsgPing:
		var p Pong
		if err := strictUnmarshal(r.Data, &p); err != nil || p.ServerTime <= 0 {
			t.Errorf("PROTOCOL.md: result of ping %s (%v)", r.Data, err)
		}
	case MsgAnnounce:
		var a struct {
			Seq uint64 `json:"seq"`
		}
		if err := strictUnmarshal(r.Data, &a); err != nil || a.Seq == 0 {
			t.Errorf("PROTOCOL.md: result of announce %s (%v)", r.Data, err)
		}
	case MsgPushActivity:
		var a struct {
			Seq uint64 `json:"seq"`
		}
		if err := strictUnmarshal(r.Data, &a); err != nil || a.Seq == 0 {
			t.Errorf("PROTOCOL.md: result of push_activity %s (%v)", r.Data, err)
		}
	case MsgPutStation:
		var p struct {
			Station StationID `json:"station"`
		}
		if err := strictUnmarshal(r.Data, &p); err != nil || !p.Station.Valid() {
			t.Errorf("PROTOCOL.md: result of put_station %s (%v)", r.Data, err)
		}
		sent, _ := DecodePayload(m, f.Data)
		if id := sent.(*PutStation).Station.ID; id != "" && id != p.Station {
			t.Errorf("PROTOCOL.md: put_station of station %s answered with station %s", id, p.Station)
		}
	case MsgProposeGroups:
		var p Proposal
		err := strictUnmarshal(r.Data, &p)
		sent, _ := DecodePayload(m, f.Data)
		req := sent.(*ProposeGroups).GroupingRequest
		if req.Seed == 0 {
			req.Seed = p.Seed
		}
		if err != nil || !p.ID.Valid() || p.Seed == 0 || p.Request.Seed != p.Seed || p.Made <= 0 || len(p.Groups) == 0 || !sameForOwner(req, p.Request) {
			t.Errorf("PROTOCOL.md: result of propose_groups %s (%v)", r.Data, err)
		}
		for _, g := range append(slices.Clone(p.Groups), p.Experts...) {
			if g.Name == "" || g.Reason == "" {
				t.Errorf("PROTOCOL.md: proposed group %+v without name or reason", g)
			}
		}
	case MsgApplyGroups:
		var a struct {
			Groups    []GroupID `json:"groups"`
			Scheduled bool      `json:"scheduled"`
		}
		err := strictUnmarshal(r.Data, &a)
		if err != nil || (len(a.Groups) == 0) != a.Scheduled {
			t.Errorf("PROTOCOL.md: result of apply_groups %s (%v)", r.Data, err)
		}
		sent, _ := DecodePayload(m, f.Data)
		if n := len(sent.(*ApplyGroups).Groups); n > 0 && n != len(a.Groups) {
			t.Errorf("PROTOCOL.md: apply_groups of %d groups answered with %d IDs", n, len(a.Groups))
		}
		for _, id := range a.Groups {
			if !id.Valid() {
				t.Errorf("PROTOCOL.md: apply_groups answered with group %q", id)
			}
		}
	case MsgSmallGroupAction:
		var a struct {
			Status SmallGroupStatus `json:"status"`
			Group  GroupID          `json:"group"`
		}
		err := strictUnmarshal(r.Data, &a)
		sent, _ := DecodePayload(m, f.Data)
		want := map[SmallGroupActionKind][]SmallGroupStatus{
			SmallGroupAccept:  {SmallGroupFormed, SmallGroupScheduled},
			SmallGroupDismiss: {SmallGroupDismissed},
		}[sent.(*SmallGroupAction).Action]
		if err != nil || !slices.Contains(want, a.Status) || (a.Status == SmallGroupFormed) != a.Group.Valid() {
			t.Errorf("PROTOCOL.md: result of small_group_action %s (%v)", r.Data, err)
		}
	case MsgEditWorkspace:
		var a struct {
			Rev uint64      `json:"rev"`
			Op  WorkspaceOp `json:"op"`
		}
		err := strictUnmarshal(r.Data, &a)
		sent, _ := DecodePayload(m, f.Data)
		if err != nil || a.Rev == 0 || a.Op.Kind != sent.(*EditWorkspace).Op.Kind {
			t.Errorf("PROTOCOL.md: result of edit_workspace %s (%v)", r.Data, err)
		}
		if a.Op.Kind == WsAddTask && !a.Op.Task.Valid() {
			t.Errorf("PROTOCOL.md: add_task answered without the new task's ID: %s", r.Data)
		}
	case MsgAssignPractice, MsgClosePractice:
		var a struct {
			Students int `json:"students"`
		}
		if err := strictUnmarshal(r.Data, &a); err != nil || a.Students < 1 {
			t.Errorf("PROTOCOL.md: result of %s %s (%v)", m, r.Data, err)
		}
	case MsgNextItem:
		var a struct {
			Item  *ItemView `json:"item"`
			Done  bool      `json:"done"`
			Offer *Offer    `json:"offer"`
		}
		err := strictUnmarshal(r.Data, &a)
		switch {
		case err != nil || (a.Item != nil) == a.Done || (a.Offer != nil && !a.Done):
			t.Errorf("PROTOCOL.md: result of next_item %s (%v): an item, or done (with an offer or not)", r.Data, err)
		case a.Item != nil:
			checkItemView(t, "PROTOCOL.md: next_item", *a.Item)
		case a.Offer != nil && (!a.Offer.Student.Valid() || a.Offer.Title == "" || !validName(a.Offer.Set.Set)):
			t.Errorf("PROTOCOL.md: next_item offers %+v", a.Offer)
		}
	case MsgAnswer:
		var a struct {
			Correct     *bool     `json:"correct"`
			P           *float64  `json:"p"`
			Mastered    *bool     `json:"mastered"`
			Explanation string    `json:"explanation"`
			Next        *ItemView `json:"next"`
		}
		err := strictUnmarshal(r.Data, &a)
		sent, _ := DecodePayload(m, f.Data)
		switch {
		case err != nil || a.Correct == nil || a.P == nil || a.Mastered == nil || *a.P < 0 || *a.P > 1:
			t.Errorf("PROTOCOL.md: result of answer %s (%v)", r.Data, err)
		case *a.Correct && (a.Explanation != "" || a.Next != nil):
			t.Errorf("PROTOCOL.md: a right answer is answered with an explanation or a next problem: %s", r.Data)
		case a.Next != nil:
			checkItemView(t, "PROTOCOL.md: answer", *a.Next)
			if a.Next.Reason != "a similar problem" || a.Next.ID == sent.(*Answer).Item {
				t.Errorf("PROTOCOL.md: after a wrong answer to %s, the next problem %+v", sent.(*Answer).Item, a.Next)
			}
		}
	case MsgHint:
		var a struct {
			Index *int   `json:"index"`
			Text  string `json:"text"`
			Last  *bool  `json:"last"`
		}
		if err := strictUnmarshal(r.Data, &a); err != nil || a.Index == nil || *a.Index < 0 || a.Text == "" || a.Last == nil {
			t.Errorf("PROTOCOL.md: result of hint %s (%v)", r.Data, err)
		}
	case MsgSetThresholds:
		// The thresholds in force: every one, those sent as sent.
		var got, sentTh map[string]json.Number
		err := strictUnmarshal(r.Data, &got)
		sent, _ := DecodePayload(m, f.Data)
		_ = json.Unmarshal(sent.(*SetThresholds).Thresholds, &sentTh)
		if err != nil || len(got) <= len(sentTh) {
			t.Errorf("PROTOCOL.md: result of set_thresholds %s (%v)", r.Data, err)
		}
		for k, v := range sentTh {
			if got[k] != v {
				t.Errorf("PROTOCOL.md: set_thresholds sets %s to %s, the result says %s", k, v, got[k])
			}
		}
	default:
		if string(r.Data) != "{}" {
			t.Errorf("PROTOCOL.md: result of %s is {}, not %s", m, r.Data)
		}
	}
}

// checkItemView: an item as a student may see it.
func checkItemView(t *testing.T, where string, it ItemView) {
	t.Helper()
	ok := validName(string(it.ID)) && validName(string(it.Skill)) && it.Prompt != "" && it.Hints >= 1
	switch it.Kind {
	case ItemChoice:
		ok = ok && len(it.Choices) >= 2
	case ItemNumeric, ItemText:
		ok = ok && len(it.Choices) == 0
	default:
		ok = false
	}
	if !ok {
		t.Errorf("%s: item %+v", where, it)
	}
}

// flagLevelRank orders the levels of flags, most urgent first in the queue.
func flagLevelRank(l FlagLevel) int {
	return map[FlagLevel]int{LevelActNow: 3, LevelWatch: 2, LevelInfo: 1}[l]
}

// checkStaffLearning: the flags of a teacher's (or coach's) view are the
// help queue, in its order; a coach gets no learning summaries and only
// the flags of the students in the view.
func checkStaffLearning(t *testing.T, where string, role Role, v TeacherView) {
	t.Helper()
	if v.Flags == nil || v.Learning == nil {
		return // reported as missing fields
	}
	if role == RoleCoach && len(v.Learning) > 0 {
		t.Errorf("%s: a coach view shows the learning summaries", where)
	}
	for i, f := range v.Flags {
		if f.Status != FlagOpen && f.Status != FlagAcked && f.Status != FlagSnoozed {
			t.Errorf("%s: the help queue holds a flag that is %s", where, f.Status)
		}
		if !slices.ContainsFunc(v.Students, func(e RosterEntry) bool { return e.ID == f.Student }) {
			t.Errorf("%s: a flag of %s, who is not in the view", where, f.Student)
		}
		if i == 0 {
			continue
		}
		prev := v.Flags[i-1]
		switch {
		case flagLevelRank(prev.Level) < flagLevelRank(f.Level):
			t.Errorf("%s: the help queue has %s before %s", where, prev.Level, f.Level)
		case prev.Level == f.Level && prev.Status == FlagAcked && f.Status == FlagOpen:
			t.Errorf("%s: the help queue has an acknowledged flag before an open one of the same level", where)
		}
	}
	for _, s := range v.Learning {
		if !slices.ContainsFunc(v.Students, func(e RosterEntry) bool { return e.ID == s.Student }) || s.Mastery == nil {
			t.Errorf("%s: learning summary %+v", where, s)
		}
		if s.Item != nil {
			checkItemView(t, where, *s.Item)
		}
	}
}

// checkLearningEvent: the promises of the events of learning.
func checkLearningEvent(t *testing.T, where string, data any) {
	t.Helper()
	switch d := data.(type) {
	case *FlagChanged:
		want, ok := changeStatus[d.Change]
		switch {
		case !ok:
			t.Errorf("%s: flag change %q", where, d.Change)
		case want != "" && d.Flag.Status != want:
			t.Errorf("%s: a flag after %s is %s, not %s", where, d.Change, d.Flag.Status, want)
		case d.Flag.Status == FlagSnoozed && d.Flag.Snooze <= d.Flag.Updated:
			t.Errorf("%s: a snoozed flag without its snooze", where)
		case !d.Flag.ID.Valid() || !d.Flag.Student.Valid() || d.Flag.Name == "" || d.Flag.Evidence.Summary == "":
			t.Errorf("%s: flag %+v", where, d.Flag)
		}
		if d.Flag.Help != nil && d.Flag.Help.Advice == "" {
			t.Errorf("%s: a flag's help without advice for the teacher", where)
		}
	case *HelpSent:
		if d.Help.Advice != "" {
			t.Errorf("%s: help_sent, which the student receives, carries the teacher's advice", where)
		}
		if len(d.Help.Items) == 0 {
			t.Errorf("%s: help_sent without problems", where)
		}
	case *ItemGiven:
		checkItemView(t, where, d.Item)
	case *Attempted:
		if d.Correct && d.Explanation != "" {
			t.Errorf("%s: an explanation after a right answer", where)
		}
	case *PracticeStarted:
		options := 0 // a choice board has one option per item, with a pick
		if d.Kind == "choice_board" {
			options = len(d.Items)
		}
		// A whole-class practice lists nobody: it is every student.
		whole := d.To == (Target{})
		if (len(d.Students) == 0) != whole || len(d.Items) == 0 || (options > 0) != (d.Pick > 0) || len(d.Options) != options || d.Pick > len(d.Items) {
			t.Errorf("%s: practice %+v", where, d)
		}
	}
}

// viewTypes is the snapshot type of each role.
var viewTypes = map[Role]reflect.Type{
	RoleTeacher:   reflect.TypeFor[TeacherView](),
	RoleCoach:     reflect.TypeFor[TeacherView](),
	RoleStudent:   reflect.TypeFor[StudentView](),
	RoleProjector: reflect.TypeFor[ProjectorView](),
}

type jsonField struct {
	name     string
	optional bool // omitempty: the server leaves it out when empty
}

// jsonFields lists the JSON fields of a struct type.
func jsonFields(typ reflect.Type) []jsonField {
	var out []jsonField
	for i := range typ.NumField() {
		tag, ok := typ.Field(i).Tag.Lookup("json")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		out = append(out, jsonField{name, strings.Contains(opts, "omitempty")})
	}
	return out
}

// The actions a rotation event can report are the ones the source names
// in RotationAction's comment, and PROTOCOL.md explains each.
func TestDocRotationActions(t *testing.T) {
	src, err := os.ReadFile("events.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Kind\s+string\s+` + "`" + `json:"kind"` + "`" + `\s*// (.*)$`).FindSubmatch(src)
	if m == nil {
		t.Fatal("events.go: no comment listing the kinds of RotationAction")
	}
	kinds := strings.Split(string(m[1]), ", ")
	rows := docTable(t, readDoc(t), "#### Rotation actions")
	if got := strings.Join(rows[0], "|"); got != "action|when|fields" {
		t.Fatalf("header %q", got)
	}
	var documented []string
	for _, r := range rows[1:] {
		documented = append(documented, code(r[0]))
		if r[1] == "" || r[2] == "" {
			t.Errorf("rotation action %s: when or fields missing", r[0])
		}
	}
	slices.Sort(kinds)
	slices.Sort(documented)
	if !slices.Equal(kinds, documented) {
		t.Errorf("PROTOCOL.md documents the rotation actions %q, the source %q", documented, kinds)
	}
}

// Every value of the enumerations a client sends or reads appears in
// PROTOCOL.md, as code.
func TestDocEnumerations(t *testing.T) {
	doc := readDoc(t)
	for _, typ := range []string{"StationKind", "GroupingMethod", "WorkspaceOpKind", "RotateAction", "LateRule", "RoomStatus", "Role",
		"ItemKind", "FlagRule", "FlagLevel", "FlagStatus", "FlagActionKind", "SmallGroupStatus", "SmallGroupActionKind"} {
		for _, v := range declaredValues(t, typ) {
			if !strings.Contains(doc, "`"+v+"`") {
				t.Errorf("PROTOCOL.md does not mention %s %q", typ, v)
			}
		}
	}
}
