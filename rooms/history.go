package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/grouping"
)

// keptSessions is how many of a teacher's recent sessions the grouping
// engine looks back on to avoid repeating pairings.
const keptSessions = 3

// history keeps, per teacher, who was grouped with whom in recent
// sessions, so that a new grouping can avoid the same pairs. Students have
// no accounts and get new IDs in every session, so pairs are kept by
// display name (lower-cased): the best a code-and-name class allows.
type history struct {
	kv  jetstream.KeyValue
	log *slog.Logger
}

type sessionPairs struct {
	Room  protocol.RoomID `json:"room"`
	Pairs [][2]string     `json:"pairs"`
}

type teacherHistory struct {
	Sessions []sessionPairs `json:"sessions"`
}

func historyKey(t protocol.TeacherID) string { return "p." + string(t) }

func (h *history) load(ctx context.Context, t protocol.TeacherID) (teacherHistory, uint64) {
	var th teacherHistory
	e, err := h.kv.Get(ctx, historyKey(t))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			h.log.Warn("grouping history", "err", err)
		}
		return th, 0
	}
	_ = json.Unmarshal(e.Value(), &th)
	return th, e.Revision()
}

// recentPairs returns the pairs of the teacher's other recent sessions
// among the students of this one.
func (h *history) recentPairs(ctx context.Context, t protocol.TeacherID, room protocol.RoomID, students map[protocol.StudentID]*class.Student) []grouping.Pair {
	th, _ := h.load(ctx, t)
	byName := map[string][]protocol.StudentID{}
	for _, st := range students {
		k := strings.ToLower(strings.TrimSpace(st.Name))
		byName[k] = append(byName[k], st.ID)
	}
	var out []grouping.Pair
	for _, s := range th.Sessions {
		if s.Room == room {
			continue
		}
		for _, p := range s.Pairs {
			for _, a := range byName[p[0]] {
				for _, b := range byName[p[1]] {
					if a != b {
						out = append(out, grouping.Pair{a, b})
					}
				}
			}
		}
	}
	return out
}

// record stores the pairs of the room's groups as this session's entry.
// A failure is logged: the grouping itself has been applied.
func (h *history) record(ctx context.Context, t protocol.TeacherID, room protocol.RoomID, st *class.State) {
	var pairs [][2]string
	for _, g := range st.Groups {
		for i, a := range g.Members {
			for _, b := range g.Members[i+1:] {
				na, nb := strings.ToLower(st.Students[a].Name), strings.ToLower(st.Students[b].Name)
				if na > nb {
					na, nb = nb, na
				}
				pairs = append(pairs, [2]string{na, nb})
			}
		}
	}
	for range 3 { // optimistic concurrency: another room of the teacher may write too
		th, rev := h.load(ctx, t)
		th.Sessions = slices.DeleteFunc(th.Sessions, func(s sessionPairs) bool { return s.Room == room })
		th.Sessions = append(th.Sessions, sessionPairs{Room: room, Pairs: pairs})
		if n := len(th.Sessions); n > keptSessions+1 {
			th.Sessions = th.Sessions[n-keptSessions-1:]
		}
		b, _ := json.Marshal(th)
		var err error
		if rev == 0 {
			_, err = h.kv.Create(ctx, historyKey(t), b)
		} else {
			_, err = h.kv.Update(ctx, historyKey(t), b, rev)
		}
		if err == nil {
			return
		}
	}
	h.log.Warn("grouping history: not recorded", "room", room)
}
