package rooms

import (
	"context"
	"encoding/json"

	"github.com/classhub/classhub/protocol"
)

// who may send a command. Finer checks (a student of this class, a coach
// of this group) are the handler's, against the state.
type who uint8

const (
	byAnyone  who = iota // the handler checks
	byTeacher            // the class's teacher only
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
	CmdExport:              {byTeacher, always, false, (*room).exportCmd},
	CmdErase:               {byTeacher, always, false, (*room).eraseCmd},

	// The class.
	protocol.MsgAnnounce:  {byTeacher, live, true, (*room).announce},
	protocol.MsgRaiseHand: {byAnyone, live, true, (*room).raiseHand},
	protocol.MsgLowerHand: {byAnyone, live, true, (*room).lowerHand},
	protocol.MsgEndClass:  {byTeacher, live, true, (*room).endClass},

	// Stations, groups, rotation, class controls, workspaces.
	protocol.MsgPutStation:    {byTeacher, live, true, (*room).putStation},
	protocol.MsgRemoveStation: {byTeacher, live, true, (*room).removeStation},
	protocol.MsgProposeGroups: {byTeacher, live, true, (*room).proposeGroups},
	protocol.MsgApplyGroups:   {byTeacher, live, true, (*room).applyGroups},
	protocol.MsgMoveStudent:   {byTeacher, live, true, (*room).moveStudent},
	protocol.MsgAssignCoach:   {byTeacher, live, true, (*room).assignCoach},
	protocol.MsgStartRotation: {byTeacher, live, true, (*room).startRotation},
	protocol.MsgRotate:        {byTeacher, live, true, (*room).rotate},
	protocol.MsgPauseClass:    {byTeacher, live, true, (*room).pauseClass},
	protocol.MsgResumeClass:   {byTeacher, live, true, (*room).pauseClass},
	protocol.MsgPushActivity:  {byTeacher, live, true, (*room).pushActivity},
	protocol.MsgSetLevel:      {byTeacher, live, true, (*room).setLevel},
	protocol.MsgOfferChoices:  {byTeacher, live, true, (*room).offerChoices},
	protocol.MsgSetLateRule:   {byTeacher, live, true, (*room).setLateRule},
	protocol.MsgChoose:        {byAnyone, live, true, (*room).choose},
	protocol.MsgSetInterest:   {byAnyone, live, true, (*room).setInterest},
	protocol.MsgEditWorkspace: {byAnyone, live, true, (*room).editWorkspace},

	// Practice, mastery, flags.
	protocol.MsgAssignPractice: {byTeacher, live, true, (*room).assignPractice},
	protocol.MsgFlagAction:     {byTeacher, live, true, (*room).flagAction},
	protocol.MsgClosePractice:  {byTeacher, live, true, (*room).closePractice},
	protocol.MsgSetThresholds:  {byTeacher, live, true, (*room).setThresholds},
	protocol.MsgNextItem:       {byAnyone, live, true, (*room).nextItem},
	protocol.MsgAnswer:         {byAnyone, live, true, (*room).answer},
	protocol.MsgHint:           {byAnyone, live, true, (*room).hint},
	protocol.MsgPickItems:      {byAnyone, live, true, (*room).pickItems},
	protocol.MsgAcceptOffer:    {byAnyone, live, true, (*room).acceptOffer},

	// Small groups from the help queue.
	protocol.MsgSmallGroupAction: {byTeacher, live, true, (*room).smallGroupAction},
}

// isTeacher reports whether a is the class's teacher.
func (r *room) isTeacher(a protocol.Actor) bool {
	return a.Role == protocol.RoleTeacher && a.Teacher != "" && a.Teacher == r.st.Teacher
}

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
	if c.who == byTeacher && !r.isTeacher(cmd.Actor) {
		return nil, protocol.Errorf(protocol.CodeForbidden, "only the class's teacher may send %s", cmd.Type)
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

func (r *room) disconnectCmd(_ context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	r.disconnect(cmd.Conn)
	return okResult, nil
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
