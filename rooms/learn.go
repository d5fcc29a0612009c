package rooms

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/rooms/mastery"
)

// The learning commands: practice assigned by the teacher, items served
// and graded by the server, mastery, and the flags the detectors raise in
// the same step of the actor as the answer that triggers them.

func (r *room) bank(ctx context.Context, id protocol.BankID) (*content.Bank, error) {
	return r.m.banks.get(ctx, id)
}

// params are the BKT parameters of a skill.
func params(b *content.Bank, skill protocol.SkillID) mastery.Params {
	p := mastery.Default
	if s := b.Skill(skill); s != nil {
		p = mastery.Params{L0: s.BKT.L0, T: s.BKT.T, G: s.BKT.G, S: s.BKT.S, Mastered: s.BKT.Mastered}
	}
	return p
}

func (r *room) assignPractice(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.AssignPractice)
	b, err := r.bank(ctx, in.Set.Bank)
	if err != nil {
		return nil, err
	}
	set := b.Set(content.SetID(in.Set.Set))
	if set == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "bank %s has no set %q", b.ID, in.Set.Set)
	}
	aud, err := r.audience(in.To)
	if err != nil {
		return nil, err
	}
	var students []protocol.StudentID
	for sid := range r.st.Students {
		if aud.Kind == protocol.AudAll || aud.Student == sid || slices.Contains(aud.Members, sid) {
			students = append(students, sid)
		}
	}
	slices.Sort(students)
	if len(students) == 0 {
		return nil, protocol.Errorf(protocol.CodeWrongState, "nobody to give it to yet")
	}
	ev := r.practiceEvent(b, set, in.To, students)
	ev.Check = in.Check && set.Kind != content.SetChoiceBoard
	if in.To == (protocol.Target{}) {
		ev.Students = nil // the fold takes every student of the class
	}
	if _, err := r.emit(ctx, protocol.EvPractice, aud, ev); err != nil {
		return nil, err
	}
	r.armWatch() // a student who never starts is idle too
	return reply(map[string]int{"students": len(students)})
}

func (r *room) practiceEvent(b *content.Bank, set *content.Set, to protocol.Target, students []protocol.StudentID) protocol.PracticeStarted {
	ev := protocol.PracticeStarted{
		Set: protocol.SetRef{Bank: b.ID, Set: string(set.ID)}, Title: set.Title, Kind: string(set.Kind),
		To: to, Students: students, Items: slices.Clone(set.Items),
	}
	if set.Kind == content.SetChoiceBoard {
		ev.Pick = set.Pick
		for i, id := range set.Items {
			label := ""
			if i < len(set.Labels) {
				label = set.Labels[i]
			}
			if label == "" {
				if it := b.Item(id); it != nil {
					label = it.Prompt
				}
			}
			ev.Options = append(ev.Options, protocol.BoardOption{Item: id, Label: label})
		}
	}
	return ev
}

// learnerOf is the acting student's practice, or why they have none.
func (r *room) learnerOf(a protocol.Actor) (*class.Student, *class.Learner, error) {
	st, err := r.student(a)
	if err != nil {
		return nil, nil, err
	}
	l := r.st.Learners[st.ID]
	if l == nil || l.Set.Bank == "" {
		return st, nil, protocol.Errorf(protocol.CodeWrongState, "no activity has been given to you yet")
	}
	if l.Closed {
		return st, nil, protocol.Errorf(protocol.CodeClosed, "this activity is over")
	}
	return st, l, nil
}

// nextItem gives the student their next item: a missed skill due for a
// check comes first, then the set in order. The same item is given again
// while it is unsolved, so that a retry after a reconnect changes nothing.
func (r *room) nextItem(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	st, l, err := r.learnerOf(cmd.Actor)
	if err != nil {
		return nil, err
	}
	if l.Current != nil {
		return reply(map[string]any{"item": l.Current})
	}
	if len(l.Options) > 0 {
		return nil, protocol.Errorf(protocol.CodeWrongState, "pick %d of the options first", l.Pick)
	}
	b, err := r.bank(ctx, l.Set.Bank)
	if err != nil {
		return nil, err
	}
	item, reason := r.pickNext(b, l)
	if item == nil {
		return r.finished(ctx, st, l, b)
	}
	view := content.View(item)
	view.Reason = reason
	if _, err := r.emit(ctx, protocol.EvItem, protocol.ToStudent(st.ID), protocol.ItemGiven{Student: st.ID, Item: view}); err != nil {
		return nil, err
	}
	return reply(map[string]any{"item": view})
}

// pickNext picks the next item of a student without a current one.
func (r *room) pickNext(b *content.Bank, l *class.Learner) (*content.Item, string) {
	for _, id := range l.Help {
		if it := b.Item(id); it != nil && !slices.Contains(l.Solved, id) {
			return it, "sent by your teacher"
		}
	}
	for _, rc := range l.Recheck {
		if rc.After > l.Count {
			continue
		}
		for _, it := range b.ItemsOf(rc.Skill) {
			if !slices.Contains(l.Solved, it.ID) && !r.attempted(l, it.ID) {
				return it, "checking that it stuck"
			}
		}
	}
	for _, id := range l.Queue {
		if it := b.Item(id); it != nil && !slices.Contains(l.Solved, id) {
			return it, ""
		}
	}
	return nil, ""
}

func (r *room) attempted(l *class.Learner, id protocol.ItemID) bool {
	return slices.ContainsFunc(l.Attempts, func(a detect.Attempt) bool { return a.Item == id })
}

// finished answers a student at the end of their set, offering enrichment
// to a student who mastered its skills (Amelia need not wait for anyone).
func (r *room) finished(ctx context.Context, st *class.Student, l *class.Learner, b *content.Bank) (json.RawMessage, error) {
	done := map[string]any{"done": true}
	if l.Check {
		// Handed in: now the student sees how it went.
		done["review"] = r.review(b, l)
	}
	if l.Offered == nil && l.Kind != string(content.SetEnrichment) && r.masteredSet(b, l) {
		if e := b.EnrichmentFor(content.SetID(l.Set.Set)); e != nil {
			offer := protocol.Offer{Student: st.ID, Set: protocol.SetRef{Bank: b.ID, Set: string(e.ID)}, Title: e.Title}
			if _, err := r.emit(ctx, protocol.EvOffer, protocol.ToStudent(st.ID), offer); err != nil {
				return nil, err
			}
			done["offer"] = offer
			return reply(done)
		}
	}
	return reply(done)
}

// review is a check handed in, problem by problem in the set's order:
// the student's last answer to each, right or not, and its explanation.
func (r *room) review(b *content.Bank, l *class.Learner) []protocol.Reviewed {
	set := b.Set(content.SetID(l.Set.Set))
	if set == nil {
		return []protocol.Reviewed{}
	}
	out := make([]protocol.Reviewed, 0, len(set.Items))
	for _, id := range set.Items {
		it := b.Item(id)
		if it == nil {
			continue
		}
		rv := protocol.Reviewed{Item: id, Prompt: it.Prompt, Explanation: it.Explanation}
		for _, a := range l.Attempts {
			if a.Item == id && a.At >= l.Started {
				rv.Response, rv.Correct = a.Response, a.Correct
			}
		}
		out = append(out, rv)
	}
	return out
}

func (r *room) masteredSet(b *content.Bank, l *class.Learner) bool {
	set := b.Set(content.SetID(l.Set.Set))
	if set == nil || len(set.Skills) == 0 {
		return false
	}
	for _, sk := range set.Skills {
		if !params(b, sk).IsMastered(l.P(sk, 0)) {
			return false
		}
	}
	return true
}

func (r *room) answer(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.Answer)
	st, l, err := r.learnerOf(cmd.Actor)
	if err != nil {
		return nil, err
	}
	if l.Current == nil || l.Current.ID != in.Item {
		if slices.Contains(l.Solved, in.Item) {
			return nil, protocol.Errorf(protocol.CodeDuplicate, "item %s was already answered", in.Item)
		}
		return nil, protocol.Errorf(protocol.CodeNotGiven, "item %s is not the one in front of you", in.Item)
	}
	b, err := r.bank(ctx, l.Set.Bank)
	if err != nil {
		return nil, err
	}
	item := b.Item(in.Item)
	if item == nil {
		return nil, protocol.Errorf(protocol.CodeNotGiven, "item %s is no longer in the bank", in.Item)
	}
	correct, norm, gerr := content.Grade(item, in.Response)
	if gerr != nil {
		return nil, protocol.Errorf(protocol.CodeInvalid, "%s", gerr.Error())
	}
	now := r.now()
	// The learner record says whether this is the item's first action and
	// what it does to the estimate; the fold records it the same way.
	p, first := l.Estimate(item.Skill, correct, params(b, item.Skill))
	att := protocol.Attempted{
		Student: st.ID, Item: item.ID, Skill: item.Skill, Response: norm, Correct: correct, First: first,
		Hints: l.Hints, Ms: max(now-l.ItemAt, 0), ReadMs: content.ReadMs(item), P: p,
		Mastered: params(b, item.Skill).IsMastered(p), At: now,
	}
	var similar *content.Item
	switch {
	case !correct && l.Check:
		// A check asks each problem once and explains nothing until it
		// is handed in.
		att.MovedOn = true
	case !correct:
		att.Explanation = item.Explanation
		similar = r.variant(b, l, item)
		// Every hint was shown, the last gave the answer away, and it is
		// still wrong: holding the student on this item would hold them
		// for good. They see the explanation and go on.
		att.MovedOn = similar == nil && l.Hints >= len(item.Hints)
	}
	if _, err := r.emit(ctx, protocol.EvAttempt, protocol.ToStudent(st.ID), att); err != nil {
		return nil, err
	}
	res := map[string]any{"correct": correct, "p": p, "mastered": att.Mastered}
	if att.MovedOn {
		res["moved_on"] = true
	}
	if !correct && !l.Check {
		res["explanation"] = item.Explanation
		// Noah sees the explanation and a similar problem at once.
		if similar != nil {
			view := content.View(similar)
			view.Reason = "a similar problem"
			if _, err := r.emit(ctx, protocol.EvItem, protocol.ToStudent(st.ID), protocol.ItemGiven{Student: st.ID, Item: view}); err != nil {
				return nil, err
			}
			res["next"] = view
		}
	}
	// Amelia need not finish the set to be offered more: the answer that
	// masters the set's last skill brings the offer.
	if correct && att.Mastered && !l.Check && l.Offered == nil && l.Kind != string(content.SetEnrichment) && r.masteredSet(b, l) {
		if e := b.EnrichmentFor(content.SetID(l.Set.Set)); e != nil {
			offer := protocol.Offer{Student: st.ID, Set: protocol.SetRef{Bank: b.ID, Set: string(e.ID)}, Title: e.Title}
			if _, err := r.emit(ctx, protocol.EvOffer, protocol.ToStudent(st.ID), offer); err != nil {
				return nil, err
			}
			res["offer"] = offer
		}
	}
	if err := r.detect(ctx, st.ID); err != nil {
		return nil, err
	}
	return reply(res)
}

// variant is another problem of the same skill the student has not seen.
func (r *room) variant(b *content.Bank, l *class.Learner, item *content.Item) *content.Item {
	for _, it := range b.Variants(item.ID) {
		if !slices.Contains(l.Solved, it.ID) && !r.attempted(l, it.ID) && (l.Current == nil || l.Current.ID != it.ID) {
			return it
		}
	}
	return nil
}

func (r *room) hint(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.Hint)
	st, l, err := r.learnerOf(cmd.Actor)
	if err != nil {
		return nil, err
	}
	if l.Current == nil || l.Current.ID != in.Item {
		return nil, protocol.Errorf(protocol.CodeNotGiven, "item %s is not the one in front of you", in.Item)
	}
	b, err := r.bank(ctx, l.Set.Bank)
	if err != nil {
		return nil, err
	}
	item := b.Item(in.Item)
	if item == nil {
		return nil, protocol.Errorf(protocol.CodeNotGiven, "item %s is no longer in the bank", in.Item)
	}
	if l.Check {
		return nil, protocol.Errorf(protocol.CodeWrongState, "a check has no hints: answer as you can; you see how it went when you hand it in")
	}
	if l.Hints >= len(item.Hints) {
		return nil, protocol.Errorf(protocol.CodeWrongState, "there are no more hints for this item")
	}
	now := r.now()
	// A hint before the first attempt is a wrong first attempt.
	p, first := l.Estimate(item.Skill, false, params(b, item.Skill))
	readMs := content.ReadMs(item)
	if l.Hints > 0 {
		readMs = content.HintReadMs(item, l.Hints-1)
	}
	hs := protocol.HintShown{
		Student: st.ID, Item: item.ID, Skill: item.Skill, Index: l.Hints, Text: item.Hints[l.Hints],
		Last: l.Hints == len(item.Hints)-1, Ms: max(now-l.LastAction, 0), ReadMs: readMs, P: p,
		Mastered: params(b, item.Skill).IsMastered(p), First: first,
	}
	if _, err := r.emit(ctx, protocol.EvHintShown, protocol.ToStudent(st.ID), hs); err != nil {
		return nil, err
	}
	if err := r.detect(ctx, st.ID); err != nil {
		return nil, err
	}
	return reply(map[string]any{"index": hs.Index, "text": hs.Text, "last": hs.Last})
}

func (r *room) pickItems(ctx context.Context, cmd protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.PickItems)
	st, l, err := r.learnerOf(cmd.Actor)
	if err != nil {
		return nil, err
	}
	if len(l.Options) == 0 {
		return nil, protocol.Errorf(protocol.CodeWrongState, "there is nothing to pick from")
	}
	if len(in.Items) != l.Pick {
		return nil, protocol.Errorf(protocol.CodeInvalid, "pick exactly %d", l.Pick)
	}
	seen := map[protocol.ItemID]bool{}
	for _, id := range in.Items {
		if !slices.ContainsFunc(l.Options, func(o protocol.BoardOption) bool { return o.Item == id }) || seen[id] {
			return nil, protocol.Errorf(protocol.CodeInvalid, "%s is not one of the options, or is picked twice", id)
		}
		seen[id] = true
	}
	b, err := r.bank(ctx, l.Set.Bank)
	if err != nil {
		return nil, err
	}
	set := b.Set(content.SetID(l.Set.Set))
	if set == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "the set is no longer in the bank")
	}
	ev := protocol.PracticeStarted{
		Set: l.Set, Title: l.Title, Kind: string(content.SetPlaylist), To: protocol.Target{Student: st.ID},
		Students: []protocol.StudentID{st.ID}, Items: slices.Clone(in.Items),
	}
	if _, err := r.emit(ctx, protocol.EvPractice, protocol.ToStudent(st.ID), ev); err != nil {
		return nil, err
	}
	return okResult, nil
}

func (r *room) acceptOffer(ctx context.Context, cmd protocol.Command, _ any) (json.RawMessage, error) {
	st, err := r.student(cmd.Actor)
	if err != nil {
		return nil, err
	}
	l := r.st.Learners[st.ID]
	if l == nil || l.Offered == nil {
		return nil, protocol.Errorf(protocol.CodeWrongState, "nothing has been offered to you")
	}
	if l.Closed {
		return nil, protocol.Errorf(protocol.CodeClosed, "this activity is over")
	}
	b, err := r.bank(ctx, l.Offered.Set.Bank)
	if err != nil {
		return nil, err
	}
	set := b.Set(content.SetID(l.Offered.Set.Set))
	if set == nil {
		return nil, protocol.Errorf(protocol.CodeNotFound, "the enrichment is no longer in the bank")
	}
	ev := r.practiceEvent(b, set, protocol.Target{Student: st.ID}, []protocol.StudentID{st.ID})
	if _, err := r.emit(ctx, protocol.EvPractice, protocol.ToStudent(st.ID), ev); err != nil {
		return nil, err
	}
	return okResult, nil
}

func (r *room) closePractice(ctx context.Context, _ protocol.Command, v any) (json.RawMessage, error) {
	in := v.(*protocol.ClosePractice)
	aud, err := r.audience(in.To)
	if err != nil {
		return nil, err
	}
	var students []protocol.StudentID
	for sid, l := range r.st.Learners {
		if !l.Closed && l.Set.Bank != "" && (aud.Kind == protocol.AudAll || aud.Student == sid || slices.Contains(aud.Members, sid)) {
			students = append(students, sid)
		}
	}
	if len(students) == 0 {
		return okResult, nil
	}
	slices.Sort(students)
	closed := protocol.PracticeClosed{To: in.To, Students: students}
	if in.To == (protocol.Target{}) {
		closed.Students = nil // every student of the class, as the fold reads it
	}
	if _, err := r.emit(ctx, protocol.EvClosed, aud, closed); err != nil {
		return nil, err
	}
	r.armWatch()
	return reply(map[string]int{"students": len(students)})
}

// PracticeProfiles is learner profiles that also keep the practice
// opportunities of rostered students per skill across sessions, which the
// wheel-spinning rule counts. A Profiles that is one too is used for it.
type PracticeProfiles interface {
	Practice(ctx context.Context, roster string) (map[protocol.SkillID]int, error)
	RecordPractice(ctx context.Context, roster string, counts map[protocol.SkillID]int) error
}

// priorPractice is a rostered student's practice opportunities from
// earlier sessions, or nil; a failure is logged and counts as none.
func (r *room) priorPractice(ctx context.Context, roster string) map[protocol.SkillID]int {
	pp, ok := r.m.cfg.Profiles.(PracticeProfiles)
	if !ok || roster == "" {
		return nil
	}
	n, err := pp.Practice(ctx, roster)
	if err != nil {
		r.m.log.Warn("learner profile", "room", r.id, "err", err)
		return nil
	}
	return n
}

// recordProfiles writes what this session learnt of each rostered student
// to their learner profile. A failure is logged: the class has ended
// either way.
func (r *room) recordProfiles(ctx context.Context) {
	if r.m.cfg.Profiles == nil {
		return
	}
	pp, practice := r.m.cfg.Profiles.(PracticeProfiles)
	for sid, st := range r.st.Students {
		l := r.st.Learners[sid]
		if st.Roster == "" || l == nil {
			continue
		}
		if len(l.Mastery) > 0 {
			if err := r.m.cfg.Profiles.RecordSession(ctx, st.Roster, r.id, r.now(), l.Mastery); err != nil {
				r.m.log.Warn("learner profile", "room", r.id, "student", sid, "err", err)
			}
		}
		if practice && len(l.FirstAttempts) > 0 {
			if err := pp.RecordPractice(ctx, st.Roster, l.FirstAttempts); err != nil {
				r.m.log.Warn("learner profile", "room", r.id, "student", sid, "err", err)
			}
		}
	}
}
