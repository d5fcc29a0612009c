package rooms

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/rooms/detect"
)

// The detectors run in the same step of the actor as the answer, hint or
// hand that changes what they see, and on a timer for what time alone
// changes (idle students, snoozes running out). Their findings become flag
// events for the teachers and the student's coach.

// bankGraph is a content bank as the detectors read it.
type bankGraph struct{ b *content.Bank }

func (g bankGraph) Prereqs(skill protocol.SkillID) []protocol.SkillID { return g.b.Prereqs(skill) }

func (g bankGraph) Name(skill protocol.SkillID) string {
	if s := g.b.Skill(skill); s != nil {
		return s.Name
	}
	return string(skill)
}

func (g bankGraph) Lesson(skill protocol.SkillID) *protocol.Help {
	l, ok := g.b.Lesson(skill)
	if !ok || len(l.Practice) == 0 {
		return nil
	}
	h := l.Help()
	return &h
}

func (g bankGraph) Mastered(skill protocol.SkillID) float64 { return params(g.b, skill).Mastered }

// thresholds are the class's detector thresholds: the school's, or the
// defaults, with the class's own changes.
func (r *room) thresholds() detect.Thresholds {
	th := detect.DefaultThresholds()
	if r.m.cfg.Thresholds != nil {
		th = *r.m.cfg.Thresholds
	}
	if len(r.st.Thresholds) > 0 {
		_ = json.Unmarshal(r.st.Thresholds, &th)
	}
	return th
}

// subject is what the detectors know of one student now.
func (r *room) subject(sid protocol.StudentID) detect.Student {
	s := r.presenceOf(sid)
	l := r.st.Learners[sid]
	if l == nil {
		return s
	}
	// The record is read, never written, by the detectors: no copy.
	last := s.LastAction
	s.Record = l.Record
	s.LastAction = last
	if l.Current != nil {
		s.Skill = l.Current.Skill
	} else if n := len(l.Attempts); n > 0 {
		s.Skill = l.Attempts[n-1].Skill
	}
	return s
}

// presenceOf is the part of a student's subject that time alone acts on
// (idle, a raised hand), without the histories: what the detector timer
// needs for every student after every answer.
func (r *room) presenceOf(sid protocol.StudentID) detect.Student {
	st := r.st.Students[sid]
	s := detect.Student{ID: sid}
	if st == nil {
		return s
	}
	s.Name, s.HandUp = st.Name, st.Hand
	if st.Hand {
		s.HandSince = st.HandSince
	}
	if r.st.Learners[sid] == nil {
		return s
	}
	s.ActivityOpen, _, s.LastAction = r.working(sid)
	return s
}

// nearlyIdle reports whether at least th.IdleClass students are near
// idle (half the idle time; detect.ClassIdle): the least for a
// class-level notice.
func (r *room) nearlyIdle(th detect.Thresholds, now int64) bool {
	if th.IdleClass < 2 || th.IdleWatchMs <= 0 {
		return false
	}
	n := 0
	for sid, l := range r.st.Learners {
		// A student who acted within the half-window is not near idle,
		// whatever else holds, and most of a busy class has.
		if l != nil && now-r.lastAtLeast(l) < th.IdleWatchMs/2 {
			continue
		}
		if open, hand, last := r.working(sid); open && !hand && last > 0 && now-last >= th.IdleWatchMs/2 {
			if n++; n >= th.IdleClass {
				return true
			}
		}
	}
	return false
}

// working is what presenceOf says of whether student sid is expected to
// be working, whether their hand is up, and when they last acted.
func (r *room) working(sid protocol.StudentID) (open, hand bool, last int64) {
	st := r.st.Students[sid]
	if st == nil {
		return false, false, 0
	}
	l := r.st.Learners[sid]
	if l == nil {
		return false, st.Hand, 0
	}
	// Only a student expected to be working can be idle: in front of an
	// item (one who finished their set is waiting for the teacher, not
	// off task), the class not paused, and not at a station where the
	// work is with others.
	open = st.Online && l.Set.Bank != "" && !l.Closed && (l.Current != nil || len(l.Queue) > 0) &&
		!r.st.Paused && r.alone(sid)
	return open, st.Hand, max(r.lastAtLeast(l), st.Joined)
}

// lastAtLeast is a moment the last action working finds for the student
// of learner l is never before, read without looking anything up: the
// shortcuts of the class's idle checks pass over the students it rules
// out.
func (r *room) lastAtLeast(l *class.Learner) int64 {
	return max(l.LastAction, l.Started, r.st.Settled)
}

// alone reports whether the student works on their own where they are:
// no station, or an online or independent one. At the teacher's table, a
// collaboration station or one the teacher made for something else, a
// quiet device is no sign of being off task.
func (r *room) alone(sid protocol.StudentID) bool {
	id := r.st.StationOf(sid)
	if id == "" {
		return true
	}
	st := r.st.Station(id)
	return st == nil || st.Kind == protocol.StationOnline || st.Kind == protocol.StationIndependent
}

// together decides the class-level idle notice at now (detect.ClassIdle):
// it records the changes of the notice and returns the students idle
// with many others, whom the notice speaks for.
func (r *room) together(ctx context.Context, th detect.Thresholds, now int64) (map[protocol.StudentID]bool, error) {
	ids, changes := r.classIdle(th, now)
	for sid := range ids {
		if !r.idleTogether[sid] {
			r.recheck = append(r.recheck, sid)
		}
	}
	for sid := range r.idleTogether {
		if !ids[sid] {
			r.recheck = append(r.recheck, sid)
		}
	}
	r.idleTogether = ids
	for _, c := range changes {
		if err := r.emitFlag(ctx, c.Kind, c.Flag); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// classIdle is the class-level idle notice at now: the students idle
// with many others, and the changes of the notice.
func (r *room) classIdle(th detect.Thresholds, now int64) (map[protocol.StudentID]bool, []detect.Change) {
	var notices []protocol.Flag
	var live *protocol.Flag
	for _, f := range r.st.Flags {
		if f.Student != detect.ClassNotice {
			continue
		}
		notices = append(notices, f)
		if !class.Closed(f) {
			live = &f
		}
	}
	if live == nil && !r.nearlyIdle(th, now) {
		// No notice, and too few students near idle for one (what
		// detect.ClassIdle would find at every answer of a busy class).
		return nil, nil
	}
	ids := make([]protocol.StudentID, 0, len(r.st.Learners))
	for sid := range r.st.Learners {
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	members := make([]detect.Student, 0, len(ids))
	for _, sid := range ids {
		members = append(members, r.presenceOf(sid))
	}
	ids, f := detect.ClassIdle(members, live, th, now)
	var fs []detect.Finding
	if f != nil {
		fs = append(fs, *f)
	}
	out := make(map[protocol.StudentID]bool, len(ids))
	for _, sid := range ids {
		out[sid] = true
	}
	return out, detect.Reconcile(notices, fs, now, func() protocol.FlagID { return protocol.FlagID(uuid.NewString()) })
}

// detect runs the detectors on one student and records the changes of
// their flags.
func (r *room) detect(ctx context.Context, sid protocol.StudentID) error {
	return r.detectAt(ctx, sid, r.now())
}

// detectAt is detect at the moment now.
func (r *room) detectAt(ctx context.Context, sid protocol.StudentID, now int64) error {
	together, err := r.together(ctx, r.thresholds(), now)
	if err != nil {
		return err
	}
	if err := r.detectWith(ctx, sid, now, together); err != nil {
		return err
	}
	r.armWatch()
	return nil
}

// detectWith is detectAt with the class-level idle notice decided
// (together) and the timer left to the caller.
func (r *room) detectWith(ctx context.Context, sid protocol.StudentID, now int64, together map[protocol.StudentID]bool) error {
	changes, rise, err := r.flagChanges(ctx, sid, now, together)
	if err != nil {
		return err
	}
	if rise > 0 {
		if r.riseAt == nil {
			r.riseAt = map[protocol.StudentID]int64{}
		}
		r.riseAt[sid] = rise
	} else {
		delete(r.riseAt, sid)
	}
	r.recheck = slices.DeleteFunc(r.recheck, func(s protocol.StudentID) bool { return s == sid })
	for _, c := range changes {
		f := c.Flag
		if f.Name == "" {
			f.Name = r.name(sid)
		}
		if err := r.emitFlag(ctx, c.Kind, f); err != nil {
			return err
		}
	}
	if len(changes) > 0 {
		if err := r.reconcileSmallGroups(ctx); err != nil {
			return err
		}
	}
	if r.looked == nil {
		r.looked = map[protocol.StudentID]int{}
	}
	r.looked[sid] = len(r.pending)
	return nil
}

// flagChanges is what the detectors, looking at student sid at now,
// would change of their flags, and when a flag of theirs rising to act
// now would rise by time alone (0: none); together is who is idle with
// many others (classIdle).
func (r *room) flagChanges(ctx context.Context, sid protocol.StudentID, now int64, together map[protocol.StudentID]bool) ([]detect.Change, int64, error) {
	var g detect.Graph
	l := r.st.Learners[sid]
	if l != nil && l.Set.Bank != "" {
		b, err := r.bank(ctx, l.Set.Bank)
		if err != nil {
			return nil, 0, err
		}
		g = bankGraph{b: b}
	} else {
		g = emptyGraph{}
	}
	th := r.thresholds()
	subject := r.subject(sid)
	subject.Together = together[sid]
	findings := detect.Evaluate(subject, g, th, now)
	var mine []protocol.Flag
	for _, f := range r.st.Flags {
		if f.Student == sid {
			mine = append(mine, f)
		}
	}
	b := detect.Budget{Slots: detect.Slots(r.st.Flags, sid, th.ActNowBudget, now), Persist: th.ActNowPersistMs}
	changes := detect.ReconcileWithin(mine, findings, now, func() protocol.FlagID { return protocol.FlagID(uuid.NewString()) }, b)
	// The rise is that of the student's flags once changed.
	for _, c := range changes {
		if i := slices.IndexFunc(mine, func(f protocol.Flag) bool { return f.ID == c.Flag.ID }); i >= 0 {
			mine[i] = c.Flag
		} else {
			mine = append(mine, c.Flag)
		}
	}
	var rise int64
	if at, ok := detect.RiseAt(mine, findings, b); ok {
		rise = at
	}
	return changes, rise, nil
}

// emptyGraph is the graph of a student with no practice: only the hand
// and idleness can be seen.
type emptyGraph struct{}

func (emptyGraph) Prereqs(protocol.SkillID) []protocol.SkillID { return nil }
func (emptyGraph) Name(s protocol.SkillID) string              { return string(s) }
func (emptyGraph) Lesson(protocol.SkillID) *protocol.Help      { return nil }
func (emptyGraph) Mastered(protocol.SkillID) float64           { return 0.95 }

// armWatch sets the one detector timer to the earliest moment time alone
// could change a flag: a student going idle, a snooze or a cool-down
// ending. The marks it looks for are those after the detectors last
// looked at everyone (watchedAt), not only those still to come: a mark
// passed since (by a millisecond, while the detectors were looking at
// another student) fires the timer at once instead of being lost.
func (r *room) armWatch() {
	if r.watchStop != nil {
		r.watchStop()
		r.watchStop = nil
	}
	at, ok := r.nextWatch()
	if !ok {
		return
	}
	gen := r.watchGen + 1
	r.watchGen = gen
	d := time.UnixMilli(at).Sub(r.m.cfg.Now())
	r.watchStop = r.m.cfg.AfterFunc(max(d, 0), func() {
		select {
		case r.watchFire <- gen:
		case <-r.done:
		}
	})
}

// nextWatch is the moment armWatch sets the timer for, if any.
func (r *room) nextWatch() (int64, bool) {
	if r.st.Status != protocol.StatusOpen {
		return 0, false
	}
	since := r.watchedAt
	th := r.thresholds()
	var at int64
	ok := false
	consider := func(t int64, has bool) {
		if has && (!ok || t < at) {
			at, ok = t, true
		}
	}
	// A student's next check is their last action plus one of the idle
	// times: one who acted after the earliest check found so far, less
	// the shorter time, cannot come before it, and is passed over without
	// building their presence.
	least := min(th.IdleWatchMs, th.IdleActNowMs)
	for sid, l := range r.st.Learners {
		if l == nil || (ok && r.lastAtLeast(l)+least >= at) {
			continue
		}
		consider(th.NextCheck(r.presenceOf(sid), since))
	}
	consider(detect.Wake(r.st.Flags, since))
	for _, t := range r.riseAt {
		consider(t, t > since)
	}
	return at, ok
}

// unseen are the events that change nothing the detectors look at.
var unseen = map[protocol.EventType]bool{
	protocol.EvReply: true, protocol.EvAnnouncement: true, protocol.EvOwnerChanged: true,
	protocol.EvProposal: true, protocol.EvChoices: true, protocol.EvChoice: true,
	protocol.EvWorkspace: true, protocol.EvLateRule: true, protocol.EvShare: true,
	protocol.EvTeacherPresence: true, protocol.EvActivity: true,
}

// personal are the events that change what the detectors see of the
// one student their data names ("student"), and of nobody else.
var personal = map[protocol.EventType]bool{
	protocol.EvStudentJoined: true, protocol.EvPresence: true, protocol.EvHand: true,
	protocol.EvItem: true, protocol.EvAttempt: true, protocol.EvHintShown: true,
	protocol.EvOffer: true, protocol.EvHelpSent: true, protocol.EvLevel: true,
}

// lookAfter looks again at the students a step may have changed for the
// detectors, unless the step did after that: the student who acted and
// those its personal events name; everyone after a step of a teacher, a
// coach or a timer that made any other event the detectors see (not one
// of those unseen); the students who joined or left the class-level idle
// notice meanwhile; and those whose flags wait for an act-now slot, when
// one was freed. The step's events are those staged from mark on.
func (r *room) lookAfter(ctx context.Context, sid protocol.StudentID, mark int) error {
	var who []protocol.StudentID
	all := false
	for i := max(mark, r.lookedAll); i < len(r.pending); i++ {
		ev := r.pending[i]
		if unseen[ev.Type] || (sid != "" && ev.Type == protocol.EvFlag) {
			continue
		}
		s := sid
		if personal[ev.Type] {
			if about := subjectOf(ev); about != "" {
				s = about
			}
		}
		if s == "" {
			all = true
			break
		}
		if at, ok := r.looked[s]; (!ok || at <= i) && !slices.Contains(who, s) {
			who = append(who, s)
		}
	}
	switch {
	case r.st.Status != protocol.StatusOpen:
	case all:
		if err := r.redetect(ctx); err != nil {
			return err
		}
	default:
		for _, s := range who {
			if r.st.Students[s] != nil {
				if err := r.detect(ctx, s); err != nil {
					return err
				}
			}
		}
	}
	for len(r.recheck) > 0 && r.st.Status == protocol.StatusOpen {
		sid := r.recheck[0]
		r.recheck = r.recheck[1:]
		if r.st.Students[sid] == nil {
			continue
		}
		if err := r.detect(ctx, sid); err != nil {
			return err
		}
	}
	r.recheck = r.recheck[:0]
	for r.slotFreed && r.st.Status == protocol.StatusOpen {
		r.slotFreed = false
		for _, sid := range r.waitingStudents(r.now()) {
			if err := r.detect(ctx, sid); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitingStudents are the students with a flag waiting for an act-now
// slot, in the order of the help queue: a slot goes to who needs it most.
func (r *room) waitingStudents(now int64) []protocol.StudentID {
	var waiting []protocol.Flag
	for _, f := range r.st.Flags {
		if f.Waiting && !class.Closed(f) && f.Student != detect.ClassNotice {
			waiting = append(waiting, f)
		}
	}
	var out []protocol.StudentID
	for _, f := range detect.Queue(waiting, now) {
		if !slices.Contains(out, f.Student) {
			out = append(out, f.Student)
		}
	}
	return out
}

// redetect re-runs the detectors of every student now, after a step that
// changed the class (lookAfter: a pause, students moved, new thresholds):
// the idle rule and the class-level notice see it at once, not at the
// next timer.
func (r *room) redetect(ctx context.Context) error { return r.watchDue(ctx, r.watchGen) }

// watchDue re-runs the detectors of every student whose flags time alone
// may have changed.
func (r *room) watchDue(ctx context.Context, gen uint64) error {
	if gen != r.watchGen {
		return nil
	}
	// Every student is looked at as of one moment, and the timer is set
	// from it: a mark reached while the others were being looked at is
	// after it, and fires the timer again.
	now := r.now()
	r.watchedAt = now
	ids := make([]protocol.StudentID, 0, len(r.st.Students))
	for sid := range r.st.Students {
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	// The students whose flags wait for an act-now slot go first, in the
	// order of the help queue, so that a slot goes to who needs it most.
	first := map[protocol.StudentID]int{}
	for i, sid := range r.waitingStudents(now) {
		first[sid] = i + 1
	}
	slices.SortStableFunc(ids, func(a, b protocol.StudentID) int {
		ra, rb := first[a], first[b]
		switch {
		case ra > 0 && rb > 0:
			return ra - rb
		case ra > 0:
			return -1
		case rb > 0:
			return 1
		}
		return 0
	})
	// The class-level notice depends on who is idle, not on anyone's
	// flags: decided once for all of them.
	together, err := r.together(ctx, r.thresholds(), now)
	if err != nil {
		return err
	}
	for _, sid := range ids {
		if r.st.Learners[sid] == nil && !slices.ContainsFunc(r.st.Flags, func(f protocol.Flag) bool { return f.Student == sid }) {
			continue
		}
		if err := r.detectWith(ctx, sid, now, together); err != nil {
			return err
		}
	}
	r.lookedAll = len(r.pending)
	r.armWatch()
	return nil
}

func (r *room) setThresholds(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.SetThresholds)
	th := detect.DefaultThresholds()
	if r.m.cfg.Thresholds != nil {
		th = *r.m.cfg.Thresholds
	}
	dec := json.NewDecoder(bytes.NewReader(in.Thresholds))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&th); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "set_thresholds: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := th.Validate(); err != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "set_thresholds: %s", strings.ReplaceAll(err.Error(), "detect: ", ""))
	}
	raw, _ := json.Marshal(th)
	if _, err := r.emit(ctx, protocol.EvThresholds, protocol.ToTeachers, protocol.ThresholdsSet{Thresholds: raw}); err != nil {
		return nil, err
	}
	return reply(th)
}
