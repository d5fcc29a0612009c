package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// Many students idle at the same moment are seldom many students off
// task each: the class is waiting on something (instructions, a device
// problem, a noise in the corridor). A teacher needs one notice then, not
// an alert per student.

// ClassNotice is the student ID of a class-level flag: it concerns the
// class, not one student.
const ClassNotice protocol.StudentID = ""

// ClassIdle says which students of a class at now are idle together, and
// the class-level notice for them, if any. notice is the class's live
// notice (open, acked or snoozed), or nil.
//
// Students idle for half the idle rule's watch time or more are together
// when they are th.IdleClass or more: a class that goes quiet at once
// crosses the watch mark within seconds, and the first across it is not
// flagged alone for it. The notice holds when th.IdleClass of them are
// idle past the watch mark. While a notice is live, a student who was
// idle when it opened and has not acted since stays with it, however
// many others have gone back to work, and the notice lingers for them:
// otherwise the last few of a class that went quiet together would each
// get an alert of their own as the others resume. The room marks the
// students together before evaluating them (Student.Together) and
// reconciles the notice with the finding.
func ClassIdle(class []Student, notice *protocol.Flag, th Thresholds, now int64) ([]protocol.StudentID, *Finding) {
	if th.IdleClass < 2 || th.IdleWatchMs <= 0 {
		return nil, nil
	}
	half := th
	half.IdleWatchMs = th.IdleWatchMs / 2
	var near, idle, covered []protocol.StudentID
	names := map[protocol.StudentID]string{}
	since := now
	for _, s := range class {
		if !idleNow(s, half, now) {
			continue
		}
		near = append(near, s.ID)
		if !idleNow(s, th, now) {
			continue
		}
		idle = append(idle, s.ID)
		if notice != nil && live(*notice) && s.LastAction <= notice.Opened {
			covered = append(covered, s.ID)
		}
		names[s.ID] = s.Name
		since = min(since, s.LastAction)
	}
	switch {
	case len(idle) >= th.IdleClass:
		f := ClassIdleFinding(idle, names, since)
		return near, &f
	case len(covered) > 0:
		f := ClassIdleFinding(covered, names, since)
		f.Lingering = true
		if len(near) >= th.IdleClass {
			return near, &f
		}
		return covered, &f
	case len(near) >= th.IdleClass:
		return near, nil
	}
	return nil, nil
}

// ClassIdleFinding is the class-level notice for the students ClassIdle
// returned, named by names (a student without a name is left out of the
// sentence, not of the count). since is when the earliest of them last
// acted. It is "watch": the class is waiting, no one student is in
// trouble.
func ClassIdleFinding(idle []protocol.StudentID, names map[protocol.StudentID]string, since int64) Finding {
	var who []string
	for _, id := range idle {
		if n := names[id]; n != "" {
			who = append(who, n)
		}
	}
	slices.Sort(who)
	list := ""
	if len(who) > 0 {
		const most = 6
		if len(who) > most {
			who = append(who[:most], fmt.Sprintf("%d more", len(who)-most))
		}
		list = " (" + strings.Join(who, ", ") + ")"
	}
	return Finding{
		Student: ClassNotice, Name: "Whole class", Rule: protocol.RuleIdle, Level: protocol.LevelWatch,
		Evidence: protocol.Evidence{
			Summary: fmt.Sprintf("%d students idle at once%s: the class may be waiting on something.", len(idle), list),
			Since:   since,
		},
		Help: &protocol.Help{Advice: "Look up: check whether the instructions are clear and the devices work, then restart the class."},
		Need: 0.45,
	}
}
