package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// Co-teaching. The owner shares a class with another teacher as a
// co-teacher or a teaching assistant (protocol.TeachRole); the share is an
// event of the class's log (EvShare, for the teachers), so that it survives
// restarts and is in the report, and the directory indexes it under the
// teacher so that the class is in their list:
//
//	"s.<teacher>.<created, 13 digits>.<room>" → the role
//
// The key sorts with the teacher's own rooms ("t.…"), so one listing
// merges both, newest first. The index follows the log: it is written
// once the log has the share, and removed once it has the revocation.

// share gives a teacher a role in the class, or another role.
func (r *room) share(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	var d protocol.ShareClass
	if err := json.Unmarshal(cmd.Data, &d); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "share: %v", err)
	}
	if r.st.Status == "" {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such room")
	}
	switch {
	case !d.Teacher.Valid():
		return nil, protocol.Errorf(protocol.CodeInvalid, "a teacher's ID is required")
	case d.Teacher == r.st.Teacher:
		return nil, protocol.Errorf(protocol.CodeInvalid, "this is your own class: share it with another teacher")
	case !d.Role.Shareable():
		return nil, protocol.Errorf(protocol.CodeInvalid, "role must be %q or %q", protocol.TeachCoTeacher, protocol.TeachAssistant)
	}
	if e := protocol.CheckText("name", d.Name, 1, protocol.MaxNameRunes*2, false); e != nil {
		return nil, e
	}
	if old := r.st.Shares[d.Teacher]; old != nil && old.Role == d.Role && old.Name == d.Name && old.Email == d.Email {
		return reply(r.st.ClassTeachers())
	}
	sh := protocol.Share{Teacher: d.Teacher, Name: d.Name, Email: d.Email, Role: d.Role}
	if _, err := r.emit(ctx, protocol.EvShare, protocol.ToTeachers, sh); err != nil {
		return nil, err
	}
	r.afterFlush(func(ctx context.Context) { r.indexShare(ctx, d.Teacher, d.Role) })
	if err := r.teachersHere(ctx); err != nil {
		return nil, err
	}
	return reply(r.st.ClassTeachers())
}

// unshare ends a share: the owner ends anyone's, a teacher their own (to
// leave a class shared with them).
func (r *room) unshare(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	var d protocol.UnshareClass
	if err := json.Unmarshal(cmd.Data, &d); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "unshare: %v", err)
	}
	role := r.teachRole(cmd.Actor)
	switch {
	case r.st.Status == "":
		return nil, protocol.Errorf(protocol.CodeNotFound, "no such room")
	case role == "":
		return nil, protocol.Errorf(protocol.CodeForbidden, "only the class's teachers may send %s", cmd.Type)
	case role != protocol.TeachOwner && d.Teacher != cmd.Actor.Teacher:
		return nil, protocol.Errorf(protocol.CodeForbidden, "only the teacher who owns the class may stop sharing it with someone else")
	}
	sh := r.st.Shares[d.Teacher]
	if sh == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "this class is not shared with that teacher")
	}
	if _, err := r.emit(ctx, protocol.EvShare, protocol.ToTeachers, protocol.Share{Teacher: sh.Teacher, Name: sh.Name, Revoked: true}); err != nil {
		return nil, err
	}
	r.afterFlush(func(ctx context.Context) { r.indexShare(ctx, d.Teacher, "") })
	return reply(r.st.ClassTeachers())
}

// Teachers' presence: while a class is shared, each of its teachers'
// consoles coming and going is a teacher_presence event, so that the
// teachers see one another on their consoles. A class taught alone makes
// none. Connections are counted by the actor, as for students; the state
// says who is online.

// teachersHere marks online every teacher of the class with a console
// on it who is not yet, once the class is shared.
func (r *room) teachersHere(ctx context.Context) error {
	if len(r.st.Shares) == 0 || r.st.Status != protocol.StatusOpen {
		return nil
	}
	seen := map[protocol.TeacherID]bool{}
	for _, t := range r.tconns {
		if seen[t] || r.st.TeachersOnline[t] || r.st.TeachRole(t) == "" {
			continue
		}
		seen[t] = true
		if _, err := r.emit(ctx, protocol.EvTeacherPresence, protocol.ToTeachers, protocol.TeacherPresence{Teacher: t, Online: true}); err != nil {
			return err
		}
	}
	return nil
}

// teacherLeft marks a teacher offline when their last console on the
// class went.
func (r *room) teacherLeft(ctx context.Context, conn string) error {
	t, ok := r.tconns[conn]
	if !ok {
		return nil
	}
	delete(r.tconns, conn)
	for _, other := range r.tconns {
		if other == t {
			return nil
		}
	}
	if !r.st.TeachersOnline[t] || r.st.Status != protocol.StatusOpen {
		return nil
	}
	_, err := r.emit(ctx, protocol.EvTeacherPresence, protocol.ToTeachers, protocol.TeacherPresence{Teacher: t, Online: false})
	return err
}

// teachersAway marks every teacher offline when a node takes the class:
// it starts with no connections, and the nodes that hold consoles report
// them again when they see owner_changed.
func (r *room) teachersAway(ctx context.Context) error {
	ids := slices.Sorted(maps.Keys(r.st.TeachersOnline))
	for _, t := range ids {
		if _, err := r.emit(ctx, protocol.EvTeacherPresence, protocol.ToTeachers, protocol.TeacherPresence{Teacher: t, Online: false}); err != nil {
			return err
		}
	}
	return nil
}

// indexShare puts the share in the directory, or takes it out.
func (r *room) indexShare(ctx context.Context, teacher protocol.TeacherID, role protocol.TeachRole) {
	dctx, cancel := context.WithTimeout(ctx, r.m.cfg.RequestTimeout)
	defer cancel()
	if err := r.m.dir.setShare(dctx, r.id, teacher, role); err != nil {
		r.m.log.Error("index share", "room", r.id, "teacher", teacher, "err", err)
	}
}

// indexShares writes the directory's index of every share the class has,
// after the class was loaded: a node that stopped between appending a
// share and indexing it leaves the index behind the log, and this catches
// it up.
func (r *room) indexShares(ctx context.Context) {
	for t, sh := range r.st.Shares {
		r.indexShare(ctx, t, sh.Role)
	}
}

func shareKey(teacher protocol.TeacherID, info RoomInfo) string {
	return fmt.Sprintf("s.%s.%013d.%s", teacher, max(info.Created, 0), info.ID)
}

// setShare indexes room under teacher with role; role "" removes it.
func (d *directory) setShare(ctx context.Context, room protocol.RoomID, teacher protocol.TeacherID, role protocol.TeachRole) error {
	info, err := d.get(ctx, room)
	if err != nil {
		return err
	}
	key := shareKey(teacher, info)
	if role == "" {
		if err := d.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return err
		}
		return nil
	}
	if e, err := d.kv.Get(ctx, key); err == nil && string(e.Value()) == string(role) {
		return nil
	}
	_, err = d.kv.Put(ctx, key, []byte(role))
	return err
}

// shareRole is teacher's role in the class info, as the directory has it:
// owner, the role of a share, or "" for none.
func (d *directory) shareRole(ctx context.Context, info RoomInfo, teacher protocol.TeacherID) (protocol.TeachRole, error) {
	if teacher == "" {
		return "", nil
	}
	if info.Teacher == teacher {
		return protocol.TeachOwner, nil
	}
	e, err := d.kv.Get(ctx, shareKey(teacher, info))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read share of room %s: %w", info.ID, err)
	}
	return protocol.TeachRole(e.Value()), nil
}

// TeachRole is what teacher is to the class info: its owner, a co-teacher,
// a teaching assistant, or "" when it is not theirs. The REST API asks it;
// commands are checked by the room itself, against its state.
func (m *Manager) TeachRole(ctx context.Context, info RoomInfo, teacher protocol.TeacherID) (protocol.TeachRole, error) {
	return m.dir.shareRole(ctx, info, teacher)
}

// Share shares a class with a teacher in a role; by is the teacher who
// asks (only the owner may), name their name. The answer is the class's
// teachers now.
func (m *Manager) Share(ctx context.Context, by protocol.TeacherID, name string, room protocol.RoomID, d protocol.ShareClass) (json.RawMessage, error) {
	data, _ := json.Marshal(d)
	return m.Do(ctx, protocol.Command{Room: room, Type: protocol.CmdShare, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: by}, Name: name, Data: data})
}

// Unshare ends the share of teacher; by is the owner, or teacher itself.
func (m *Manager) Unshare(ctx context.Context, by protocol.TeacherID, name string, room protocol.RoomID, teacher protocol.TeacherID) (json.RawMessage, error) {
	data, _ := json.Marshal(protocol.UnshareClass{Teacher: teacher})
	return m.Do(ctx, protocol.Command{Room: room, Type: protocol.CmdUnshare, Actor: protocol.Actor{Role: protocol.RoleTeacher, Teacher: by}, Name: name, Data: data})
}
