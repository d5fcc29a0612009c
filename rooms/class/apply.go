package class

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/rooms/workspace"
)

// ErrCorrupt is wrapped by every error of Apply: an event that does not
// fit the state is a corrupt log (or one written by a newer version), not
// bad input, and the class must stop rather than skip it.
var ErrCorrupt = fmt.Errorf("corrupt event")

// applier folds one event of one type into the state.
type applier func(s *State, ev protocol.Event) error

// appliers is the fold: one entry per event type. An event type that is
// not here is refused, never skipped, so that no node silently builds a
// state that differs from its peers'.
var appliers = map[protocol.EventType]applier{
	protocol.EvRoomOpened:    on(applyRoomOpened),
	protocol.EvStudentJoined: on(applyStudentJoined),
	protocol.EvPresence:      on(applyPresence),
	protocol.EvAnnouncement:  on(applyAnnouncement),
	protocol.EvHand:          on(applyHand),
	protocol.EvClassEnded:    applyClassEnded,
	protocol.EvOwnerChanged:  on(applyOwnerChanged),
	protocol.EvReply:         on(applyReply),

	protocol.EvStations:    on(applyStations),
	protocol.EvGroup:       on(applyGroup),
	protocol.EvGroups:      on(applyGroups),
	protocol.EvProposal:    on(applyProposal),
	protocol.EvPlacement:   on(applyPlacement),
	protocol.EvRotation:    on(applyRotation),
	protocol.EvClassPaused: on(applyClassPaused),
	protocol.EvActivity:    on(applyActivity),
	protocol.EvLevel:       on(applyLevel),
	protocol.EvChoices:     on(applyChoices),
	protocol.EvChoice:      on(applyChoice),
	protocol.EvWorkspace:   on(applyWorkspace),
	protocol.EvLateRule:    on(applyLateRule),

	protocol.EvPractice:   on(applyPractice),
	protocol.EvItem:       on(applyItem),
	protocol.EvAttempt:    on(applyAttempt),
	protocol.EvHintShown:  on(applyHintShown),
	protocol.EvClosed:     on(applyClosed),
	protocol.EvOffer:      on(applyOffer),
	protocol.EvHelpSent:   on(applyHelpSent),
	protocol.EvFlag:       on(applyFlag),
	protocol.EvThresholds: on(applyThresholds),

	protocol.EvShare:           on(applyShare),
	protocol.EvTeacherPresence: on(applyTeacherPresence),
	protocol.EvSmallGroup:      on(applySmallGroup),
	// An erasure is a record for the report; the class it left is the
	// rewritten log's.
	protocol.EvErased: on(func(*State, protocol.Event, *protocol.Erased) error { return nil }),
}

// Known reports whether the fold knows events of type t.
func Known(t protocol.EventType) bool { _, ok := appliers[t]; return ok }

// on decodes an event's data into its payload type before folding it.
func on[T any](f func(s *State, ev protocol.Event, d *T) error) applier {
	return func(s *State, ev protocol.Event) error {
		var d T
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		return f(s, ev, &d)
	}
}

// Apply folds one event into the state. Events come from the log, so an
// event that does not fit is a corrupt log: the error wraps ErrCorrupt,
// names the event, and the state is left as it was.
func (s *State) Apply(ev protocol.Event) error {
	if ev.Seq != s.Seq+1 {
		return fmt.Errorf("apply event %d to state at %d: out of order: %w", ev.Seq, s.Seq, ErrCorrupt)
	}
	f, ok := appliers[ev.Type]
	if !ok {
		return fmt.Errorf("apply event %d: unknown type %q: %w", ev.Seq, ev.Type, ErrCorrupt)
	}
	if err := f(s, ev); err != nil {
		return fmt.Errorf("apply event %d (%s): %w: %w", ev.Seq, ev.Type, ErrCorrupt, err)
	}
	s.Seq = ev.Seq
	s.Clock = max(s.Clock, ev.Time)
	return nil
}

func applyRoomOpened(s *State, ev protocol.Event, d *protocol.RoomOpened) error {
	s.Title, s.Teacher, s.TeacherName, s.Status, s.Opened = d.Title, d.Teacher, d.Name, protocol.StatusOpen, ev.Time
	return nil
}

func applyTeacherPresence(s *State, _ protocol.Event, d *protocol.TeacherPresence) error {
	if d.Teacher == "" {
		return fmt.Errorf("no teacher")
	}
	if d.Online {
		s.TeachersOnline[d.Teacher] = true
	} else {
		delete(s.TeachersOnline, d.Teacher)
	}
	return nil
}

// applyShare gives a teacher a role in the class, changes it, or, when
// revoked, takes it away. The owner is never a share.
func applyShare(s *State, ev protocol.Event, d *protocol.Share) error {
	if d.Teacher == "" || d.Teacher == s.Teacher {
		return fmt.Errorf("share of teacher %q", d.Teacher)
	}
	if d.Revoked {
		delete(s.Shares, d.Teacher)
		delete(s.TeachersOnline, d.Teacher)
		s.Unshared[d.Teacher] = ev.Time
		return nil
	}
	delete(s.Unshared, d.Teacher)
	if !d.Role.Shareable() {
		return fmt.Errorf("share with role %q", d.Role)
	}
	sh := s.Shares[d.Teacher]
	if sh == nil {
		sh = &Share{Teacher: d.Teacher, Since: ev.Time}
		s.Shares[d.Teacher] = sh
	}
	sh.Name, sh.Email, sh.Role = d.Name, d.Email, d.Role
	return nil
}

func applyStudentJoined(s *State, ev protocol.Event, d *protocol.StudentJoined) error {
	if d.Student == "" {
		return fmt.Errorf("no student")
	}
	s.Students[d.Student] = &Student{ID: d.Student, Name: d.Name, Joined: ev.Time, Roster: d.Roster}
	if len(d.Mastery) > 0 || len(d.Practice) > 0 {
		l := s.learner(d.Student)
		for sk, p := range d.Mastery {
			l.Mastery[sk] = p
		}
		// Opportunities count on from earlier sessions: a student who
		// wheel-spins over several lessons is seen.
		for sk, n := range d.Practice {
			l.FirstAttempts[sk] = n
		}
	}
	s.Roster++
	return nil
}

func applyPresence(s *State, _ protocol.Event, d *protocol.Presence) error {
	if st := s.Students[d.Student]; st != nil {
		st.Online = d.Online
		s.Roster++
	}
	return nil
}

func applyAnnouncement(s *State, ev protocol.Event, d *protocol.Announcement) error {
	s.Announcements = pushBounded(s.Announcements, Announcement{Seq: ev.Seq, Time: ev.Time, Data: *d, Audience: ev.Audience}, maxAnnouncements)
	return nil
}

func applyHand(s *State, ev protocol.Event, d *protocol.Hand) error {
	if st := s.Students[d.Student]; st != nil {
		if d.Raised && !st.Hand {
			st.HandSince = ev.Time
		}
		st.Hand, st.Note = d.Raised, d.Note
	}
	return nil
}

func applyClassEnded(s *State, _ protocol.Event) error {
	s.Status = protocol.StatusEnded
	return nil
}

func applyOwnerChanged(s *State, _ protocol.Event, d *protocol.OwnerChanged) error {
	s.Owner = d.Node
	return nil
}

// Replies are remembered for RepliesKept, and at most MaxReplies of
// them: long enough for any device to retry after a restart, a takeover
// or a lost connection.
const (
	RepliesKept = 15 * time.Minute
	MaxReplies  = 1000
)

func applyReply(s *State, ev protocol.Event, d *protocol.ReplyRecorded) error {
	if d.Key == "" {
		return fmt.Errorf("reply without a key")
	}
	at := s.replyIndex()
	cut := ev.Time - RepliesKept.Milliseconds()
	// What is forgotten: replies older than RepliesKept, and an earlier
	// reply under the same key. Most often that is none, or the oldest
	// few (the replies are in the order recorded, and so by time unless a
	// clock went back), which only moves the base of the index.
	old := 0
	for old < len(s.Replies) && s.Replies[old].Time < cut {
		old++
	}
	rest := old < len(s.Replies) && slices.ContainsFunc(s.Replies[old:], func(r Reply) bool { return r.Time < cut })
	_, same := at[d.Key]
	for _, r := range s.Replies[:old] {
		delete(at, r.Key)
	}
	s.Replies = s.Replies[old:]
	s.replyBase += old
	if rest || same {
		s.Replies = slices.DeleteFunc(s.Replies, func(r Reply) bool { return r.Time < cut || r.Key == d.Key })
		s.replyAt = nil
	}
	s.Replies = append(s.Replies, Reply{Key: d.Key, Time: ev.Time, Student: d.Student, Data: d.Data, Error: d.Error})
	if s.replyAt != nil {
		s.replyAt[d.Key] = s.replyBase + len(s.Replies) - 1
	}
	if len(s.Replies) > MaxReplies {
		s.Replies = trimReplies(s.Replies, MaxReplies-MaxReplies/10)
		s.replyAt = nil
	}
	return nil
}

// replyIndex is the index of the replies by key, built if need be.
func (s *State) replyIndex() map[string]int {
	if s.replyAt == nil {
		s.replyAt = make(map[string]int, len(s.Replies))
		s.replyBase = 0
		for i, r := range s.Replies {
			s.replyAt[r.Key] = i
		}
	}
	return s.replyAt
}

// trimReplies keeps keep of rs (oldest first), forgetting the replies of
// whoever holds the most, oldest first, one at a time: not the class's
// oldest. A device whose answer was lost retries it only once it is back
// (a reconnect, a server lost), and meanwhile the rest of the class goes
// on: a console announcing, a room of students practising make a
// thousand replies within seconds, and forgetting the oldest would forget
// the one answer that device has yet to get, and run its command twice.
// This way each sender keeps its latest replies, at least its share of
// MaxReplies. A class trims a tenth at a time, so that the fold does this
// once per hundred replies, not at every one. Ties go to the sender that
// sorts first, so every node trims alike.
func trimReplies(rs []Reply, keep int) []Reply {
	count := map[string]int{}
	for _, r := range rs {
		count[replySender(r.Key)]++
	}
	senders := slices.Sorted(maps.Keys(count))
	drop := map[string]int{}
	for range len(rs) - keep {
		most := senders[0]
		for _, who := range senders[1:] {
			if count[who] > count[most] {
				most = who
			}
		}
		count[most]--
		drop[most]++
	}
	return slices.DeleteFunc(rs, func(r Reply) bool {
		who := replySender(r.Key)
		if drop[who] == 0 {
			return false
		}
		drop[who]--
		return true
	})
}

// replySender is who sent the command a reply answers: its key is the
// sender's role and ID, then the request ID, each after a slash (as
// package rooms makes it); a key of another form is a sender of its own.
func replySender(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '/'); j >= 0 {
			return key[:i+1+j]
		}
	}
	return key
}

// Reply is the remembered answer to one command, by its key.
func (s *State) Reply(key string) (Reply, bool) {
	i, ok := s.replyIndex()[key]
	if !ok {
		return Reply{}, false
	}
	return s.Replies[i-s.replyBase], true
}

func pushBounded[T any](list []T, v T, n int) []T {
	list = append(list, v)
	if len(list) > n {
		list = slices.Delete(list, 0, len(list)-n)
	}
	return list
}

// Orchestration.

func applyStations(s *State, ev protocol.Event, d *protocol.Stations) error {
	s.Settled = ev.Time
	s.Stations = d.Stations
	for sid, st := range s.Placements {
		if s.Station(st) == nil {
			delete(s.Placements, sid)
		}
	}
	return nil
}

func applyGroup(s *State, ev protocol.Event, d *protocol.GroupChanged) error {
	s.Settled = ev.Time
	g := s.Group(d.Group.ID)
	if g == nil {
		g = &Group{ID: d.Group.ID}
		s.Groups = append(s.Groups, g)
	}
	g.Name, g.Coaches = d.Group.Name, d.Group.Coaches
	members := make([]protocol.StudentID, 0, len(d.Group.Members))
	for _, m := range d.Group.Members {
		members = append(members, m.ID)
	}
	if !slices.Equal(members, g.Members) {
		// Only a change of who is where makes a proposal stale, not a
		// coach or a name.
		s.Roster++
	}
	g.Members = members
	for _, st := range s.Students {
		in := slices.Contains(g.Members, st.ID)
		switch {
		case in:
			st.Group = g.ID
		case st.Group == g.ID:
			st.Group = ""
		}
	}
	if s.Workspaces[g.ID] == nil {
		ws := workspace.New(g.ID)
		s.Workspaces[g.ID] = &ws
	}
	return nil
}

func applyGroups(s *State, ev protocol.Event, d *protocol.Groups) error {
	s.Settled = ev.Time
	keep := make([]*Group, 0, len(d.Groups))
	for _, gs := range d.Groups {
		if g := s.Group(gs.ID); g != nil {
			keep = append(keep, g)
		}
	}
	for _, g := range s.Groups {
		if !slices.Contains(keep, g) {
			delete(s.Workspaces, g.ID)
			for _, st := range s.Students {
				if st.Group == g.ID {
					st.Group = ""
				}
			}
		}
	}
	s.Groups = keep
	s.Proposal = nil
	if s.Regroup != nil && d.Proposal == s.Regroup.ID {
		s.Regroup = nil
	}
	s.Roster++
	return nil
}

func applyProposal(s *State, ev protocol.Event, d *protocol.Proposal) error {
	if d.Scheduled {
		s.Regroup = d
		if s.Proposal != nil && s.Proposal.ID == d.ID {
			s.Proposal = nil
		}
		return nil
	}
	s.Proposal = d
	return nil
}

func applyPlacement(s *State, ev protocol.Event, d *protocol.Placement) error {
	s.Settled = ev.Time
	if d.Station == "" {
		delete(s.Placements, d.Student)
	} else {
		s.Placements[d.Student] = d.Station
	}
	return nil
}

func applyRotation(s *State, ev protocol.Event, d *protocol.RotationChanged) error {
	s.Settled = ev.Time
	rot := d.Rotation
	s.Rotation = &rot
	// A placement lasts until the student's group moves on.
	for _, a := range d.Actions {
		moved := (a.Kind == "advance" || a.Kind == "done") && a.Group != ""
		if !moved && a.Kind != "end" {
			continue
		}
		for sid := range s.Placements {
			if st := s.Students[sid]; st != nil && (a.Kind == "end" || st.Group == a.Group) {
				delete(s.Placements, sid)
			}
		}
	}
	return nil
}

func applyClassPaused(s *State, ev protocol.Event, d *protocol.ClassPaused) error {
	s.Settled = ev.Time
	s.Paused = d.Paused
	return nil
}

func applyActivity(s *State, ev protocol.Event, d *protocol.ActivityPushed) error {
	s.Activities = append(s.Activities, Activity{Seq: ev.Seq, Pushed: *d, Audience: ev.Audience})
	if n := len(s.Activities); n > maxActivities {
		s.Activities = slices.Delete(s.Activities, 0, n-maxActivities)
	}
	return nil
}

func applyLevel(s *State, ev protocol.Event, d *protocol.Level) error {
	if st := s.Students[d.Student]; st != nil {
		lv := d.Level
		st.Level = &lv
	}
	return nil
}

func applyChoices(s *State, ev protocol.Event, d *protocol.Choices) error {
	s.Choices = nil
	if len(d.Options) > 0 {
		s.Choices = d
	}
	for _, st := range s.Students {
		st.Choice = ""
	}
	return nil
}

func applyChoice(s *State, ev protocol.Event, d *protocol.Choice) error {
	if st := s.Students[d.Student]; st != nil {
		if d.Option != nil {
			st.Choice = *d.Option
		}
		if d.Interest != nil {
			st.Interest = *d.Interest
		}
	}
	return nil
}

func applyWorkspace(s *State, ev protocol.Event, d *protocol.WorkspaceChanged) error {
	ws := s.Workspaces[d.Group]
	if ws == nil {
		return fmt.Errorf("no workspace of group %s", d.Group)
	}
	next, err := workspace.Redo(*ws, d.Op, workspace.Author{Name: d.By.Name, Role: d.By.Role, Student: d.By.Student}, ev.Time)
	if err != nil {
		return err
	}
	s.Workspaces[d.Group] = &next
	return nil
}

func applyLateRule(s *State, ev protocol.Event, d *protocol.LateRuleSet) error {
	s.LateRule = d.Rule
	return nil
}

func applyPractice(s *State, ev protocol.Event, d *protocol.PracticeStarted) error {
	for _, sid := range s.Targets(d.To, d.Students) {
		l := s.learner(sid)
		l.Set, l.Kind, l.Title, l.Closed, l.Check = d.Set, d.Kind, d.Title, false, d.Check
		l.Queue, l.Options, l.Pick = slices.Clone(d.Items), nil, 0
		l.Current, l.Offered, l.Started = nil, nil, ev.Time
		l.NewStep(0)
		if d.Kind == "choice_board" {
			l.Queue, l.Options, l.Pick = nil, slices.Clone(d.Options), d.Pick
		}
	}
	return nil
}

func applyItem(s *State, ev protocol.Event, d *protocol.ItemGiven) error {
	l := s.learner(d.Student)
	item := d.Item
	l.Current, l.ItemAt, l.Shown = &item, ev.Time, nil
	l.NewStep(ev.Time)
	if i := slices.Index(l.Queue, item.ID); i >= 0 {
		l.Queue = slices.Delete(l.Queue, i, i+1)
	}
	if i := slices.Index(l.Help, item.ID); i >= 0 {
		l.Help = slices.Delete(l.Help, i, i+1)
	}
	l.Recheck = slices.DeleteFunc(l.Recheck, func(r Recheck) bool { return r.Skill == item.Skill && r.After <= l.Count })
	return nil
}

func applyAttempt(s *State, ev protocol.Event, d *protocol.Attempted) error {
	l := s.learner(d.Student)
	if _, ok := l.Start[d.Skill]; !ok {
		l.Start[d.Skill] = l.P(d.Skill, -1)
	}
	first := !l.Tried
	l.RecordAttempt(detect.Attempt{
		Item: d.Item, Skill: d.Skill, Response: d.Response, Correct: d.Correct,
		Ms: d.Ms, ReadMs: d.ReadMs, At: d.At, Mastered: d.Mastered,
	}, d.P)
	l.LastAction = max(l.LastAction, ev.Time)
	l.Count++
	if d.Correct {
		l.Solved = append(l.Solved, d.Item)
		l.Current = nil
	} else if first && !l.Check {
		// Noah's rule: a missed skill comes back later to check it stuck.
		// Not in a check: it asks each problem once.
		l.Recheck = append(l.Recheck, Recheck{Skill: d.Skill, After: l.Count + 3})
	}
	if d.MovedOn {
		// Set aside, unsolved: it was given when it left the queue.
		l.Current = nil
	}
	return nil
}

func applyHintShown(s *State, ev protocol.Event, d *protocol.HintShown) error {
	l := s.learner(d.Student)
	if _, ok := l.Start[d.Skill]; !ok {
		l.Start[d.Skill] = l.P(d.Skill, -1)
	}
	l.RecordHint(detect.Attempt{
		Item: d.Item, Skill: d.Skill, Ms: d.Ms, ReadMs: d.ReadMs, At: ev.Time, Mastered: d.Mastered,
	}, d.P)
	l.Shown = append(l.Shown, d.Text)
	return nil
}

func applyClosed(s *State, ev protocol.Event, d *protocol.PracticeClosed) error {
	for _, sid := range s.Targets(d.To, d.Students) {
		if l := s.Learners[sid]; l != nil {
			l.Closed, l.Current = true, nil
		}
	}
	return nil
}

func applyOffer(s *State, ev protocol.Event, d *protocol.Offer) error {
	s.learner(d.Student).Offered = d
	return nil
}

func applyHelpSent(s *State, ev protocol.Event, d *protocol.HelpSent) error {
	l := s.learner(d.Student)
	// The supplemental problems come first, at once; then the item
	// the student was on, and the set goes on.
	l.Help = slices.Clone(d.Help.Items)
	if l.Current != nil {
		l.Queue = append([]protocol.ItemID{l.Current.ID}, l.Queue...)
		l.Current = nil
	}
	l.Closed = false
	return nil
}

func applyFlag(s *State, ev protocol.Event, d *protocol.FlagChanged) error {
	i := slices.IndexFunc(s.Flags, func(f protocol.Flag) bool { return f.ID == d.Flag.ID })
	if i < 0 {
		s.Flags = append(s.Flags, d.Flag)
		if n := len(s.Flags); n > keptFlags {
			s.Flags = slices.Delete(s.Flags, 0, n-keptFlags)
		}
	} else {
		s.Flags[i] = d.Flag
	}
	return nil
}

func applyThresholds(s *State, ev protocol.Event, d *protocol.ThresholdsSet) error {
	s.Thresholds = d.Thresholds
	return nil
}

// keptSmallGroups bounds the small-group proposals a room keeps: those
// still open and the latest decided, which the room reads so as not to
// propose again what the teacher just dismissed.
const keptSmallGroups = 40

func applySmallGroup(s *State, ev protocol.Event, d *protocol.SmallGroupChanged) error {
	g := d.SmallGroup
	if g.ID == "" {
		return fmt.Errorf("small group without an ID")
	}
	if i := slices.IndexFunc(s.SmallGroups, func(o protocol.SmallGroup) bool { return o.ID == g.ID }); i >= 0 {
		s.SmallGroups = slices.Delete(s.SmallGroups, i, i+1)
	}
	s.SmallGroups = pushBounded(s.SmallGroups, g, keptSmallGroups)
	return nil
}

// SmallGroup is the small-group proposal id, or nil.
func (s *State) SmallGroup(id protocol.SmallGroupID) *protocol.SmallGroup {
	for i := range s.SmallGroups {
		if s.SmallGroups[i].ID == id {
			return &s.SmallGroups[i]
		}
	}
	return nil
}

// OpenSmallGroup reports whether a small-group proposal still waits: for
// the teacher, or for a rotation's next leg.
func OpenSmallGroup(g protocol.SmallGroup) bool {
	return g.Status == protocol.SmallGroupProposed || g.Status == protocol.SmallGroupScheduled
}
