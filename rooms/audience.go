package rooms

import (
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
)

// The audiences of events for a group and for its staff, resolved from the
// state when the event is made: who is in the group and who coaches it at
// that moment. Devices are filtered by these lists alone (Audience.Allows),
// live and on resume alike, so a coach or a student who was moved while
// offline gets, on resuming, exactly what they would have got connected.

// groupAudience is the audience of an event for group g as it is now: its
// members, its coaches and the teachers.
func (r *room) groupAudience(g *class.Group) protocol.Audience {
	return protocol.ToGroup(g.ID, slices.Clone(g.Members), slices.Clone(g.Coaches))
}

// groupChangeAudience is the audience of the group event that makes the
// group what next is: its members and coaches before and after, and the
// teachers. A coach given the group learns it from this event, and so does
// a coach or a student taken out of it, for whom it is the group's last.
func (r *room) groupChangeAudience(next *class.Group) protocol.Audience {
	members, coaches := slices.Clone(next.Members), slices.Clone(next.Coaches)
	if old := r.st.Group(next.ID); old != nil {
		for _, m := range old.Members {
			if !slices.Contains(members, m) {
				members = append(members, m)
			}
		}
		for _, c := range old.Coaches {
			if !slices.Contains(coaches, c) {
				coaches = append(coaches, c)
			}
		}
	}
	return protocol.ToGroup(next.ID, members, coaches)
}

// staffAudience is the audience of an event for the teachers and the
// coaches group id has now: never its students.
func (r *room) staffAudience(id protocol.GroupID) protocol.Audience {
	var coaches []protocol.CoachID
	if g := r.st.Group(id); g != nil {
		coaches = slices.Clone(g.Coaches)
	}
	return protocol.ToStaff(id, coaches)
}
