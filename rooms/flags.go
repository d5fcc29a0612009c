package rooms

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// flagAudience is who sees a student's flags: the teachers and the coaches
// of the student's group; never a student, never the projector.
func (r *room) flagAudience(sid protocol.StudentID) protocol.Audience {
	return r.presenceAudience(sid)
}

func (r *room) flag(id protocol.FlagID) *protocol.Flag {
	for i := range r.st.Flags {
		if r.st.Flags[i].ID == id {
			return &r.st.Flags[i]
		}
	}
	return nil
}

func closed(f protocol.Flag) bool {
	return f.Status == protocol.FlagResolved || f.Status == protocol.FlagCleared
}

func (r *room) emitFlag(ctx context.Context, change string, f protocol.Flag) error {
	if was := r.flag(f.ID); was != nil && holdsSlot(*was) && !holdsSlot(f) {
		r.slotFreed = true
	}
	_, err := r.emit(ctx, protocol.EvFlag, r.flagAudience(f.Student), protocol.FlagChanged{Change: change, Flag: f})
	return err
}

// holdsSlot reports whether f spends one of the class's act-now slots
// (detect.Slots).
func holdsSlot(f protocol.Flag) bool {
	return f.Level == protocol.LevelActNow && (f.Status == protocol.FlagOpen || f.Status == protocol.FlagAcked) && f.Student != detect.ClassNotice
}

func (r *room) flagAction(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.FlagAction)
	cur := r.flag(in.Flag)
	if cur == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "no flag %s in this class", in.Flag)
	}
	if closed(*cur) {
		return nil, protocol.Errorf(protocol.CodeWrongState, "this flag is already closed")
	}
	f := *cur
	now := r.now()
	if f.Acked == 0 {
		f.Acked = now // how long until a teacher responded, for the report
	}
	f.Updated = now
	switch in.Action {
	case protocol.FlagAck:
		f.Status = protocol.FlagAcked
	case protocol.FlagResolve:
		f.Status = protocol.FlagResolved
	case protocol.FlagSnooze:
		f.Status, f.Snooze = protocol.FlagSnoozed, now+int64(in.Minutes)*int64(time.Minute/time.Millisecond)
	case protocol.FlagSendHelp:
		if f.Help == nil || len(f.Help.Items) == 0 {
			return nil, protocol.Errorf(protocol.CodeWrongState, "this flag has no supplemental work to send")
		}
		help := protocol.HelpSent{Student: f.Student, Help: *f.Help, Flag: f.ID}
		help.Help.Advice = "" // the advice is for the teacher, not the student
		if l := r.st.Learners[f.Student]; l != nil && l.Set.Bank != "" {
			if b, err := r.bank(ctx, l.Set.Bank); err == nil {
				if lesson, ok := b.Lesson(f.Help.Skill); ok {
					help.Text = lesson.Text
				}
			}
		}
		if _, err := r.emit(ctx, protocol.EvHelpSent, protocol.ToStudent(f.Student), help); err != nil {
			return nil, err
		}
		f.Status = protocol.FlagAcked
	case protocol.FlagPull:
		i := slices.IndexFunc(r.st.Stations, func(s protocol.Station) bool { return s.Kind == protocol.StationTeacherLed })
		if i < 0 {
			return nil, protocol.Errorf(protocol.CodeWrongState, "there is no teacher-led station to bring the student to")
		}
		station := r.st.Stations[i].ID
		if st := r.st.Students[f.Student]; st == nil || !st.Online {
			return nil, protocol.Errorf(protocol.CodeAbsent, "%s is not in class right now", f.Name)
		}
		if s := r.st.Stations[i]; s.Capacity > 0 && r.st.StationOf(f.Student) != station {
			if n := len(r.st.AtStation(station)); n >= s.Capacity {
				return nil, protocol.Errorf(protocol.CodeFull, "%s is full (%d of %d)", s.Name, n, s.Capacity)
			}
		}
		if r.st.StationOf(f.Student) != station {
			if _, err := r.emit(ctx, protocol.EvPlacement, protocol.ToStudent(f.Student), protocol.Placement{Student: f.Student, Station: station}); err != nil {
				return nil, err
			}
		}
		f.Status = protocol.FlagAcked
	}
	if err := r.emitFlag(ctx, string(in.Action), f); err != nil {
		return nil, err
	}
	if closed(f) {
		// A small group proposed for this student may be stale now.
		if err := r.reconcileSmallGroups(ctx); err != nil {
			return nil, err
		}
	}
	return okResult, nil
}
