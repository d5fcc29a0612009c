package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Version is the protocol version carried in "v" of every frame.
const Version = 1

// Size limits of client frames. A frame over MaxFrameBytes is answered with
// CodeFrameTooLarge and otherwise ignored; one over HardFrameBytes closes the
// connection with CloseTooBig.
const (
	MaxFrameBytes  = 16 << 10
	HardFrameBytes = 1 << 20
	MaxRequestID   = 64
	MaxNameRunes   = 40
	MaxTextRunes   = 500
	MaxNoteRunes   = 200
	MaxTitleRunes  = 120
)

// MsgType names a client message.
type MsgType string

// Client message types.
const (
	MsgHello     MsgType = "hello"
	MsgPing      MsgType = "ping"
	MsgAnnounce  MsgType = "announce"
	MsgRaiseHand MsgType = "raise_hand"
	MsgLowerHand MsgType = "lower_hand"
	MsgEndClass  MsgType = "end_class"
)

// ClientFrame is what a device sends: {"v":1,"id":"r1","type":"ping","data":{}}.
type ClientFrame struct {
	V    int             `json:"v"`
	ID   string          `json:"id"`
	Type MsgType         `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Server frame types.
const (
	FrameWelcome = "welcome"
	FrameResult  = "result"
	FrameError   = "error"
	FrameEvent   = "event"
)

// ServerFrame is what a server sends. Which fields are set depends on Type;
// see PROTOCOL.md.
type ServerFrame struct {
	V     int             `json:"v"`
	Type  string          `json:"type"`
	ID    string          `json:"id,omitempty"`
	Epoch string          `json:"epoch,omitempty"`
	Seq   uint64          `json:"seq,omitempty"`
	Event EventType       `json:"event,omitempty"`
	Time  int64           `json:"time,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error *Error          `json:"error,omitempty"`
}

// Hello is the first frame of every connection.
type Hello struct {
	Token  string  `json:"token"`
	Room   RoomID  `json:"room,omitempty"` // required for teachers, coaches and projectors
	Resume *Resume `json:"resume,omitempty"`
}

// Resume asks for the events after Offset of the log incarnation Epoch.
type Resume struct {
	Epoch  string `json:"epoch"`
	Offset uint64 `json:"offset"`
}

// Ping asks for the server's clock; the result is a Pong.
type Ping struct{}

// Pong is the result of a ping.
type Pong struct {
	ServerTime int64 `json:"server_time"`
}

// Announce speaks to the whole class, or to one student (To), one group or
// the students at one station.
type Announce struct {
	Text    string    `json:"text"`
	To      StudentID `json:"to,omitempty"`
	Group   GroupID   `json:"group,omitempty"`
	Station StationID `json:"station,omitempty"`
}

// RaiseHand asks the teacher for help, privately.
type RaiseHand struct {
	Note string `json:"note,omitempty"`
}

// LowerHand lowers a hand: a student its own, a teacher anyone's.
type LowerHand struct {
	Student StudentID `json:"student,omitempty"`
}

// EndClass ends the class session and voids its join code.
type EndClass struct{}

// Welcome answers a hello. Either Resumed is true and the missed events
// follow, or Snapshot holds the state this viewer may see as of Offset.
type Welcome struct {
	Role       Role            `json:"role"`
	Room       RoomID          `json:"room"`
	Student    StudentID       `json:"student,omitempty"`
	Name       string          `json:"name,omitempty"`
	ServerTime int64           `json:"server_time"`
	Epoch      string          `json:"epoch"`
	Offset     uint64          `json:"offset"`
	Resumed    bool            `json:"resumed"`
	Reason     *Error          `json:"reason,omitempty"` // why a requested resume was not possible
	Snapshot   json.RawMessage `json:"snapshot,omitempty"`
}

// spec says who may send a message type and how to validate its data.
type spec struct {
	roles []Role
	new   func() validator
}

type validator interface{ validate() *Error }

var specs = map[MsgType]spec{
	MsgHello:     {nil, func() validator { return new(Hello) }},
	MsgPing:      {[]Role{RoleTeacher, RoleStudent, RoleCoach, RoleProjector}, func() validator { return new(Ping) }},
	MsgAnnounce:  {[]Role{RoleTeacher}, func() validator { return new(Announce) }},
	MsgRaiseHand: {[]Role{RoleStudent}, func() validator { return new(RaiseHand) }},
	MsgLowerHand: {[]Role{RoleStudent, RoleTeacher}, func() validator { return new(LowerHand) }},
	MsgEndClass:  {[]Role{RoleTeacher}, func() validator { return new(EndClass) }},

	MsgPutStation:    {teacher, func() validator { return new(PutStation) }},
	MsgRemoveStation: {teacher, func() validator { return new(RemoveStation) }},
	MsgProposeGroups: {teacher, func() validator { return new(ProposeGroups) }},
	MsgApplyGroups:   {teacher, func() validator { return new(ApplyGroups) }},
	MsgMoveStudent:   {teacher, func() validator { return new(MoveStudent) }},
	MsgAssignCoach:   {teacher, func() validator { return new(AssignCoach) }},
	MsgStartRotation: {teacher, func() validator { return new(StartRotation) }},
	MsgRotate:        {teacher, func() validator { return new(Rotate) }},
	MsgPauseClass:    {teacher, func() validator { return new(PauseClass) }},
	MsgResumeClass:   {teacher, func() validator { return new(ResumeClass) }},
	MsgPushActivity:  {teacher, func() validator { return new(PushActivity) }},
	MsgSetLevel:      {teacher, func() validator { return new(SetLevel) }},
	MsgOfferChoices:  {teacher, func() validator { return new(OfferChoices) }},
	MsgSetLateRule:   {teacher, func() validator { return new(SetLateRule) }},
	MsgChoose:        {[]Role{RoleStudent}, func() validator { return new(Choose) }},
	MsgSetInterest:   {[]Role{RoleStudent}, func() validator { return new(SetInterest) }},
	MsgEditWorkspace: {[]Role{RoleStudent, RoleTeacher, RoleCoach}, func() validator { return new(EditWorkspace) }},

	MsgAssignPractice: {teacher, func() validator { return new(AssignPractice) }},
	MsgFlagAction:     {teacher, func() validator { return new(FlagAction) }},
	MsgClosePractice:  {teacher, func() validator { return new(ClosePractice) }},
	MsgSetThresholds:  {teacher, func() validator { return new(SetThresholds) }},
	MsgNextItem:       {[]Role{RoleStudent}, func() validator { return new(NextItem) }},
	MsgAnswer:         {[]Role{RoleStudent}, func() validator { return new(Answer) }},
	MsgHint:           {[]Role{RoleStudent}, func() validator { return new(Hint) }},
	MsgPickItems:      {[]Role{RoleStudent}, func() validator { return new(PickItems) }},
	MsgAcceptOffer:    {[]Role{RoleStudent}, func() validator { return new(AcceptOffer) }},

	MsgSmallGroupAction: {teacher, func() validator { return new(SmallGroupAction) }},
}

var teacher = []Role{RoleTeacher}

// MsgTypes lists every client message type, for documentation and tests.
func MsgTypes() []MsgType {
	out := make([]MsgType, 0, len(specs))
	for t := range specs {
		out = append(out, t)
	}
	return out
}

// Allowed reports whether role may send messages of type t. Hello is
// allowed to everyone and only as the first frame.
func Allowed(t MsgType, role Role) bool {
	s, ok := specs[t]
	if !ok {
		return false
	}
	if t == MsgHello {
		return true
	}
	for _, r := range s.roles {
		if r == role {
			return true
		}
	}
	return false
}

// envelope is a client frame as it is read. "v" is kept as written: the
// version is the JSON number 1 written 1, and anything else there (2, 1.0,
// 1e0, "1", null) is another version, answered with CodeBadVersion rather
// than taken for version 1 or refused as a broken frame.
type envelope struct {
	V    json.RawMessage `json:"v"`
	ID   string          `json:"id"`
	Type MsgType         `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// versionLiteral is Version as a client must write it.
const versionLiteral = "1"

// DecodeClientFrame parses and checks the envelope of a client frame. The
// returned frame's ID is set whenever it could be read, even on error, so
// that the error can be correlated.
func DecodeClientFrame(b []byte) (ClientFrame, *Error) {
	var (
		f   ClientFrame
		env envelope
	)
	if len(b) > MaxFrameBytes {
		return f, Errorf(CodeFrameTooLarge, "frame is %d bytes; the limit is %d", len(b), MaxFrameBytes)
	}
	if !utf8.Valid(b) {
		return f, Errorf(CodeBadFrame, "frame is not valid UTF-8")
	}
	err := strictUnmarshal(b, &env)
	f.ID, f.Type, f.Data = env.ID, env.Type, env.Data
	if err != nil {
		// Salvage the ID for correlation, if the object is readable at all.
		var probe struct {
			ID string `json:"id"`
		}
		// Only the first value is read, so that an ID is found even when
		// trailing data follows the object.
		if json.NewDecoder(bytes.NewReader(b)).Decode(&probe) == nil && len(probe.ID) <= MaxRequestID {
			f.ID = probe.ID
		} else {
			f.ID = ""
		}
		return f, Errorf(CodeBadFrame, "frame is not a valid JSON envelope: %s", jsonReason(err))
	}
	if len(f.ID) > MaxRequestID {
		f.ID = ""
		return f, Errorf(CodeInvalid, "id is longer than %d bytes", MaxRequestID)
	}
	if string(env.V) != versionLiteral {
		return f, badVersion(env.V)
	}
	f.V = Version
	if f.ID == "" {
		return f, Errorf(CodeInvalid, "id is required")
	}
	if _, ok := specs[f.Type]; !ok {
		return f, Errorf(CodeUnknownType, "unknown message type %q", f.Type)
	}
	return f, nil
}

// DecodePayload parses and validates the data of a message of type t. The
// result is a pointer to the message's struct (for example *Announce).
func DecodePayload(t MsgType, data json.RawMessage) (any, *Error) {
	s, ok := specs[t]
	if !ok {
		return nil, Errorf(CodeUnknownType, "unknown message type %q", t)
	}
	v := s.new()
	if len(data) == 0 || string(data) == "null" {
		data = []byte("{}")
	}
	if err := strictUnmarshal(data, v); err != nil {
		return nil, Errorf(CodeInvalid, "data of %s: %s", t, jsonReason(err))
	}
	if e := refuseEmptyTargets(t, data); e != nil {
		return nil, e
	}
	if e := v.validate(); e != nil {
		return nil, e
	}
	return v, nil
}

// badVersion says what "v" held and what to send instead. A long value is
// not repeated: it would only bury the advice.
func badVersion(v json.RawMessage) *Error {
	switch {
	case len(v) == 0 || string(v) == "null":
		return Errorf(CodeBadVersion, `v is missing; send "v":%s`, versionLiteral)
	case len(v) > 16:
		return Errorf(CodeBadVersion, `this version is not supported; send "v":%s`, versionLiteral)
	}
	return Errorf(CodeBadVersion, `version %s is not supported; send "v":%s`, v, versionLiteral)
}

func strictUnmarshal(b []byte, v any) error {
	// Only JSON's own whitespace: bytes.TrimSpace would also drop
	// characters such as U+00A0 and accept a frame that is not JSON.
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return errors.New("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the object")
	}
	return nil
}

// jsonReason turns a decoding error into a sentence without Go type names.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return "field " + te.Field + " has the wrong type (" + te.Value + ")"
		}
		return "wrong type (" + te.Value + ")"
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + rest
	}
	return strings.TrimPrefix(msg, "json: ")
}

func (h *Hello) validate() *Error {
	if h.Token == "" {
		return Errorf(CodeInvalid, "hello.token is required")
	}
	if len(h.Token) > 4096 {
		return Errorf(CodeInvalid, "hello.token is too long")
	}
	if h.Room != "" && !h.Room.Valid() {
		return Errorf(CodeInvalid, "hello.room is not a room ID")
	}
	if h.Resume != nil && (h.Resume.Epoch == "" || len(h.Resume.Epoch) > 64) {
		return Errorf(CodeInvalid, "hello.resume.epoch is required and at most 64 bytes")
	}
	return nil
}

func (*Ping) validate() *Error     { return nil }
func (*EndClass) validate() *Error { return nil }

func (a *Announce) validate() *Error {
	if e := CheckText("announce.text", a.Text, 1, MaxTextRunes, true); e != nil {
		return e
	}
	if a.To != "" && (a.Group != "" || a.Station != "") {
		return Errorf(CodeInvalid, "announce: name at most one of to, group and station")
	}
	if a.To != "" && !a.To.Valid() {
		return Errorf(CodeInvalid, "announce.to is not a student ID")
	}
	return Target{Group: a.Group, Station: a.Station}.validate("announce")
}

func (r *RaiseHand) validate() *Error {
	return CheckText("raise_hand.note", r.Note, 0, MaxNoteRunes, false)
}

func (l *LowerHand) validate() *Error {
	if l.Student != "" && !l.Student.Valid() {
		return Errorf(CodeInvalid, "lower_hand.student is not a student ID")
	}
	return nil
}

// CheckText validates a human-written string: valid UTF-8, between min and
// max characters, no control characters (newlines only if multiline).
func CheckText(field, s string, min, max int, multiline bool) *Error {
	if !utf8.ValidString(s) {
		return Errorf(CodeInvalid, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min || (min > 0 && strings.TrimSpace(s) == "") {
		return Errorf(CodeInvalid, "%s must have at least %d characters", field, min)
	}
	if n > max {
		return Errorf(CodeInvalid, "%s must have at most %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return Errorf(CodeInvalid, "%s contains a control character", field)
		}
	}
	return nil
}
