package rooms

import (
	"context"
	"encoding/json"

	"github.com/classhub/classhub/protocol"
)

// who may send a command. Finer checks (a student of this class, a coach
// of this group) are the handler's, against the state. A class's teachers
// are its owner and the teachers it is shared with, each in a role
// (protocol.TeachRole); the levels below are in increasing trust.
type who uint8

const (
	byAnyone    who = iota // the handler checks
	byStaff                // any teacher of the class: owner, co-teacher or teaching assistant
	byCoTeacher            // the owner or a co-teacher: how the class is set up, ending it
	byOwner                // the owner alone: sharing, and what touches a student's record
)

// phase is when a command may run.
type phase uint8

const (
	always phase = iota // whatever the class's status (snapshots, presence, admin)
	live                // only while the class is open
)

// command is one entry of the command table.
type command struct {
	who   who
	phase phase
	// wire commands come from devices: their payload is decoded and
	// validated by protocol.DecodePayload before run sees it. The others
	// are sent by nodes and decode their own data.
	wire bool
	run  func(r *room, ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error)
}

// commands is every command a room's actor runs: one table, so that who
// may send what, and when, is read in one place.
var commands = map[protocol.MsgType]command{
	// Sent by nodes.
	protocol.CmdOpen:       {byAnyone, always, false, (*room).open},
	protocol.CmdJoin:       {byAnyone, live, false, (*room).join},
	protocol.CmdSnapshot:   {byAnyone, always, false, (*room).snapshotCmd},
	protocol.CmdConnect:    {byAnyone, always, false, (*room).connectCmd},
	protocol.CmdDisconnect: {byAnyone, always, false, (*room).disconnectCmd},
	CmdExport:              {byOwner, always, false, (*room).exportCmd},
	CmdErase:               {byOwner, always, false, (*room).eraseCmd},
	// Shared whatever the class's state: an ended class is shared for
	// its report.
	protocol.CmdShare:   {byOwner, always, false, (*room).share},
	protocol.CmdUnshare: {byAnyone, always, false, (*room).unshare}, // the owner, or the teacher leaving

	// The class.
	protocol.MsgAnnounce:  {byStaff, live, true, (*room).announce},
	protocol.MsgRaiseHand: {byAnyone, live, true, (*room).raiseHand},
	protocol.MsgLowerHand: {byAnyone, live, true, (*room).lowerHand},
	protocol.MsgEndClass:  {byCoTeacher, live, true, (*room).endClass},

	// Stations, groups, rotation, class controls, workspaces.
	protocol.MsgPutStation:    {byCoTeacher, live, true, (*room).putStation},
	protocol.MsgRemoveStation: {byCoTeacher, live, true, (*room).removeStation},
	protocol.MsgProposeGroups: {byCoTeacher, live, true, (*room).proposeGroups},
	protocol.MsgApplyGroups:   {byCoTeacher, live, true, (*room).applyGroups},
	protocol.MsgMoveStudent:   {byStaff, live, true, (*room).moveStudent},
	protocol.MsgAssignCoach:   {byCoTeacher, live, true, (*room).assignCoach},
	protocol.MsgStartRotation: {byCoTeacher, live, true, (*room).startRotation},
	protocol.MsgRotate:        {byStaff, live, true, (*room).rotate},
	protocol.MsgPauseClass:    {byStaff, live, true, (*room).pauseClass},
	protocol.MsgResumeClass:   {byStaff, live, true, (*room).pauseClass},
	protocol.MsgPushActivity:  {byStaff, live, true, (*room).pushActivity},
	protocol.MsgSetLevel:      {byStaff, live, true, (*room).setLevel},
	protocol.MsgOfferChoices:  {byStaff, live, true, (*room).offerChoices},
	protocol.MsgSetLateRule:   {byCoTeacher, live, true, (*room).setLateRule},
	protocol.MsgChoose:        {byAnyone, live, true, (*room).choose},
	protocol.MsgSetInterest:   {byAnyone, live, true, (*room).setInterest},
	protocol.MsgEditWorkspace: {byAnyone, live, true, (*room).editWorkspace},

	// Practice, mastery, flags.
	protocol.MsgAssignPractice: {byStaff, live, true, (*room).assignPractice},
	protocol.MsgFlagAction:     {byStaff, live, true, (*room).flagAction},
	protocol.MsgClosePractice:  {byStaff, live, true, (*room).closePractice},
	protocol.MsgSetThresholds:  {byCoTeacher, live, true, (*room).setThresholds},
	protocol.MsgNextItem:       {byAnyone, live, true, (*room).nextItem},
	protocol.MsgAnswer:         {byAnyone, live, true, (*room).answer},
	protocol.MsgHint:           {byAnyone, live, true, (*room).hint},
	protocol.MsgPickItems:      {byAnyone, live, true, (*room).pickItems},
	protocol.MsgAcceptOffer:    {byAnyone, live, true, (*room).acceptOffer},

	// Small groups from the help queue.
	protocol.MsgSmallGroupAction: {byStaff, live, true, (*room).smallGroupAction},
}

// teachRole is what a is to the class: its owner, a co-teacher, a
// teaching assistant, or "" for anyone else.
func (r *room) teachRole(a protocol.Actor) protocol.TeachRole {
	if a.Role != protocol.RoleTeacher {
		return ""
	}
	return r.st.TeachRole(a.Teacher)
}

// allows checks a against the level of trust w; the error says what the
// actor lacks.
func (r *room) allows(w who, a protocol.Actor, typ protocol.MsgType) error {
	if w == byAnyone {
		return nil
	}
	role := r.teachRole(a)
	switch {
	case role == "":
		return protocol.Errorf(protocol.CodeForbidden, "only the class's teachers may send %s", typ)
	case w == byOwner && role != protocol.TeachOwner:
		return protocol.Errorf(protocol.CodeForbidden, "only the teacher who owns the class may send %s", typ)
	case w == byCoTeacher && role == protocol.TeachAssistant:
		return protocol.Errorf(protocol.CodeForbidden, "a teaching assistant may not send %s; the class's owner and co-teachers may", typ)
	}
	return nil
}

// isTeacher reports whether a is one of the class's teachers, in any role.
func (r *room) isTeacher(a protocol.Actor) bool { return r.teachRole(a) != "" }

// dispatch checks cmd against the table and the class's status, then runs
// it. A refused command changes nothing.
func (r *room) dispatch(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	if r.m.trap != nil {
		r.m.trap(cmd)
	}
	c, ok := commands[cmd.Type]
	if !ok {
		return nil, protocol.Errorf(protocol.CodeUnknownType, "unknown command %q", cmd.Type)
	}
	if c.phase == live {
		if r.st.Status == "" {
			return nil, protocol.Errorf(protocol.CodeNotFound, "no such room")
		}
		if r.st.Status == protocol.StatusEnded {
			return nil, protocol.Errorf(protocol.CodeRoomEnded, "the class has ended")
		}
	}
	if err := r.allows(c.who, cmd.Actor, cmd.Type); err != nil {
		return nil, err
	}
	// What a teacher's command makes says which teacher it was.
	if r.isTeacher(cmd.Actor) {
		r.by = &protocol.ActedBy{Teacher: cmd.Actor.Teacher, Name: cmd.Name}
		defer func() { r.by = nil }()
	}
	var v any
	if c.wire {
		var perr *protocol.Error
		if v, perr = protocol.DecodePayload(cmd.Type, cmd.Data); perr != nil {
			return nil, perr
		}
	}
	return c.run(r, ctx, cmd, v)
}

// Commands of the class itself.

func (r *room) open(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	var d protocol.OpenRoom
	if err := json.Unmarshal(cmd.Data, &d); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "open: %v", err)
	}
	if r.st.Status != "" {
		return nil, protocol.Errorf(protocol.CodeConflict, "the room is already open")
	}
	_, err := r.emit(ctx, protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened(d))
	return okResult, err
}

func (r *room) snapshotCmd(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	return r.snapshot(ctx, cmd.Actor)
}

func (r *room) connectCmd(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	return okResult, r.connect(ctx, cmd.Conn, cmd.Actor)
}

func (r *room) disconnectCmd(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	r.disconnect(cmd.Conn)
	return okResult, r.teacherLeft(ctx, cmd.Conn)
}

func studentTarget(cmd protocol.Command) (protocol.StudentID, error) {
	var d StudentTarget
	if err := json.Unmarshal(cmd.Data, &d); err != nil || !d.Student.Valid() {
		return "", protocol.Errorf(protocol.CodeInvalid, "a student ID is required")
	}
	return d.Student, nil
}

func (r *room) exportCmd(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	sid, err := studentTarget(cmd)
	if err != nil {
		return nil, err
	}
	return r.export(ctx, sid)
}

func (r *room) eraseCmd(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	sid, err := studentTarget(cmd)
	if err != nil {
		return nil, err
	}
	return r.erase(ctx, sid)
}
