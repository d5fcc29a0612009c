// Package rotation is the pure logic of station rotation: groups move
// through the stations of a plan in order, each leg with its own length.
//
// The whole state lives in a protocol.Rotation value, so that the room
// actor can store it in an event and a snapshot and pick it up again on
// another node. The package has no clock and no timers: the actor passes
// the time in, stores the rotation each function returns, arms one timer
// for Next and calls Due when it fires, or as soon as it takes a room over,
// however late that is. Because every change is stored, a warning already
// given is never given again, and a deadline that passed while no node ran
// the room is found by the next call to Due.
//
// The teacher's commands do not bring the rotation up to date themselves:
// they act on the rotation as stored. A leg whose deadline passed a moment
// before a command, with Due not yet called, is simply handled by the next
// Due; if the command stopped it, it is stopped with no time left and ends
// as soon as it runs again.
//
// # Track states
//
// A track is in exactly one of these states:
//
//   - running: its leg's clock runs; Deadline is when the leg ends and
//     Left is 0. Only running tracks have a Deadline.
//   - stopped (Paused, Held or both): the clock stands; Left keeps the
//     milliseconds the leg has left and Deadline is 0.
//   - due (without Auto): time is up and the track waits for the teacher to
//     Advance or Extend it; Deadline and Left are 0. A due track may also
//     be Held, but never Paused.
//   - done: the track went past its last leg, or the rotation was ended;
//     Leg is len(Plan.Legs), Station is empty and every other field but
//     Group and First is zero.
//
// # The class hold
//
// Whether the whole class is paused is recorded in the tracks alone:
// the class is held exactly when some track has Held set. Hold sets Held
// on every track that is not done, whatever else it is doing, so that the
// hold is recorded even when no track is running, and Release clears it on
// every track. A track's own Paused and Due are left alone by both, so
// Release starts only the tracks that were running before: a track paused
// on its own stays paused, and a due track stays due.
//
// # Times
//
// Times are the server's Unix milliseconds and must be positive: a
// Deadline of 0 means "no deadline" (it is left out of the JSON), so a
// running leg could not be told from a stopped one at time 0.
package rotation

import (
	"math"
	"slices"

	"github.com/classhub/classhub/protocol"
)

// Limits of a plan and of the teacher's commands. They keep a rotation to
// the size of a class period and keep every sum of times far from
// overflowing an int64.
const (
	maxStations = 20
	maxLegs     = 20
	maxGroups   = 40
	minLeg      = 10_000              // 10 s
	maxLeg      = 4 * 60 * 60 * 1_000 // 4 h
	minWarn     = 1_000               // 1 s
	minExtend   = 1_000               // 1 s
	maxExtend   = 2 * 60 * 60 * 1_000 // 2 h
	maxTime     = 253_402_300_799_999 // 9999-12-31T23:59:59.999Z
)

// ActionKind names what happened to a track at a point of its schedule.
type ActionKind string

// Action kinds. The actor turns each into something the devices show.
const (
	KindWarn    ActionKind = "warn"    // the leg ends in Plan.WarnMs
	KindAdvance ActionKind = "advance" // the group moves on to its next station
	KindDue     ActionKind = "due"     // time is up; the teacher decides (no Auto)
	KindDone    ActionKind = "done"    // the group finished its last leg
	KindFinish  ActionKind = "finish"  // every group is done: the rotation ended
)

// Action is one thing that happened to a rotation, for the actor to
// announce. At is the time of the schedule the action belongs to (the leg's
// deadline, or its warning time), which is earlier than the time of the
// call when Due runs late; an action caused by the teacher is at the time
// of the command.
type Action struct {
	Kind    ActionKind
	Group   protocol.GroupID   // empty for finish
	Leg     int                // the leg concerned; for advance the new leg; len(Plan.Legs) for done and finish
	Station protocol.StationID // the station of that leg; empty for done and finish
	At      int64
}

// Start starts a rotation of groups through plan at now. Group i begins at
// station i mod len(plan.Stations), so that groups spread over the
// stations, and every group's first leg ends at now + plan.Legs[0].
//
// The plan needs 1 to 20 distinct, non-empty stations and 1 to 20 legs of
// 10 s to 4 h each; WarnMs is 0 (no warning) or from 1 s up to the
// shortest leg. There must be 1 to 40 distinct, non-empty groups. The
// rotation keeps its own copy of plan and groups.
func Start(plan protocol.RotationPlan, groups []protocol.GroupID, now int64) (protocol.Rotation, error) {
	if err := checkTime(now); err != nil {
		return protocol.Rotation{}, err
	}
	if err := checkPlan(plan); err != nil {
		return protocol.Rotation{}, err
	}
	if err := checkGroups(groups); err != nil {
		return protocol.Rotation{}, err
	}
	r := protocol.Rotation{
		Plan:    clonePlan(plan),
		Tracks:  make([]protocol.Track, len(groups)),
		Started: now,
	}
	for i, g := range groups {
		first := i % len(plan.Stations)
		r.Tracks[i] = protocol.Track{
			Group:    g,
			First:    first,
			Station:  plan.Stations[first],
			Deadline: now + plan.Legs[0],
		}
	}
	return r, nil
}

// Pause stops the clock of one group's leg at now, keeping the time it has
// left; group "" pauses every group that is not already paused, due or
// done. A group paused with the whole class (Held) may be paused too: it
// then stays paused when the class is released. A due group cannot be
// paused, since its clock has already run out.
func Pause(r protocol.Rotation, group protocol.GroupID, now int64) (protocol.Rotation, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	if group == "" {
		n := 0
		for i := range out.Tracks {
			t := &out.Tracks[i]
			if t.Done || t.Due || t.Paused {
				continue
			}
			pause(t, now)
			n++
		}
		if n == 0 {
			return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "every group is already paused, out of time or finished")
		}
		return out, nil
	}
	t, err := track(&out, group)
	if err != nil {
		return protocol.Rotation{}, err
	}
	switch {
	case t.Done:
		return protocol.Rotation{}, errFinished()
	case t.Paused:
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "this group is already paused")
	case t.Due:
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "this group's time is up: move it on or give it more time")
	}
	pause(t, now)
	return out, nil
}

// Resume lifts a group's own pause at now; group "" resumes every paused
// group. The leg runs again for the time it had left, unless the whole
// class is held, in which case it runs again on Release.
func Resume(r protocol.Rotation, group protocol.GroupID, now int64) (protocol.Rotation, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	if group == "" {
		n := 0
		for i := range out.Tracks {
			if t := &out.Tracks[i]; t.Paused && !t.Done {
				resume(t, now)
				n++
			}
		}
		if n == 0 {
			return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "no group is paused")
		}
		return out, nil
	}
	t, err := track(&out, group)
	if err != nil {
		return protocol.Rotation{}, err
	}
	switch {
	case t.Done:
		return protocol.Rotation{}, errFinished()
	case !t.Paused && t.Held:
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "this group is waiting for the whole class to resume")
	case !t.Paused:
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "this group is not paused")
	}
	resume(t, now)
	return out, nil
}

// Extend gives one group ms more for its current leg (1 s to 2 h); group ""
// gives it to every group that is not done. A running leg's deadline moves
// later; a paused or held leg gets more time left; a due group gets a fresh
// ms from now (or from Release, if the class is held). The warning is
// given again when the leg now has more than WarnMs left, so that a group
// that was warned and then got ten more minutes is warned again before the
// new end. A due group's extra time is a stretch of its own with its own
// warning, which comes at once when ms is no longer than WarnMs.
func Extend(r protocol.Rotation, group protocol.GroupID, ms int64, now int64) (protocol.Rotation, error) {
	if ms < minExtend || ms > maxExtend {
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeInvalid, "extra time must be between 1 second and 2 hours")
	}
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	warn := out.Plan.WarnMs
	if group == "" {
		n := 0
		for i := range out.Tracks {
			if t := &out.Tracks[i]; !t.Done {
				extend(t, ms, warn, now)
				n++
			}
		}
		if n == 0 {
			return protocol.Rotation{}, errAllFinished()
		}
		return out, nil
	}
	t, err := track(&out, group)
	if err != nil {
		return protocol.Rotation{}, err
	}
	if t.Done {
		return protocol.Rotation{}, errFinished()
	}
	extend(t, ms, warn, now)
	return out, nil
}

// Advance ends a group's current leg at now and moves it to its next
// station, with the full length of the next leg from now; group "" moves
// every group that is not done. A paused or held group moves too but stays
// stopped, with the whole next leg left. After its last leg a group is
// done, and when every group is done the rotation ends. The actions say
// what happened, all at now.
func Advance(r protocol.Rotation, group protocol.GroupID, now int64) (protocol.Rotation, []Action, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, nil, err
	}
	var acts []Action
	if group == "" {
		for i := range out.Tracks {
			if t := &out.Tracks[i]; !t.Done {
				acts = append(acts, advance(&out, t, now))
			}
		}
		if len(acts) == 0 {
			return protocol.Rotation{}, nil, errAllFinished()
		}
	} else {
		t, err := track(&out, group)
		if err != nil {
			return protocol.Rotation{}, nil, err
		}
		if t.Done {
			return protocol.Rotation{}, nil, errFinished()
		}
		acts = append(acts, advance(&out, t, now))
	}
	if a, ok := finish(&out, now); ok {
		acts = append(acts, a)
	}
	return out, acts, nil
}

// End ends the rotation at once, whatever it is doing: every group is done
// wherever it was, and no finish action follows, since the teacher asked
// for it. It fails on a rotation that has already ended.
func End(r protocol.Rotation, now int64) (protocol.Rotation, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	for i := range out.Tracks {
		done(&out.Tracks[i], len(out.Plan.Legs))
	}
	out.Ended = true
	return out, nil
}

// Hold pauses the whole class at now: every running leg stops with the
// time it has left, and every track that is not done is marked Held, even
// when nothing is running, so that Release knows the class was held. It
// fails when the class is already held.
func Hold(r protocol.Rotation, now int64) (protocol.Rotation, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	if held(out) {
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "the class is already paused")
	}
	n := 0
	for i := range out.Tracks {
		t := &out.Tracks[i]
		if t.Done {
			continue
		}
		if running(*t) {
			stop(t, now)
		}
		t.Held = true
		n++
	}
	if n == 0 {
		return protocol.Rotation{}, errAllFinished()
	}
	return out, nil
}

// Release resumes the whole class at now: every held leg that is neither
// paused on its own nor due runs again for the time it had left. It fails
// when the class is not held.
func Release(r protocol.Rotation, now int64) (protocol.Rotation, error) {
	out, err := begin(r, now)
	if err != nil {
		return protocol.Rotation{}, err
	}
	if !held(out) {
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "the class is not paused")
	}
	for i := range out.Tracks {
		t := &out.Tracks[i]
		if !t.Held {
			continue
		}
		t.Held = false
		if running(*t) {
			run(t, now)
		}
	}
	return out, nil
}

// Next is the earliest time at which Due has something to do: the
// soonest warning not yet given or deadline among the running legs. Due
// called before that time changes nothing, so the actor needs one timer
// only, armed again after every change. ok is false when nothing is
// pending: the rotation ended, or every group is paused, held or due.
func Next(r protocol.Rotation) (at int64, ok bool) {
	if r.Ended || len(r.Tracks) == 0 {
		return 0, false
	}
	all := true
	for _, t := range r.Tracks {
		if !t.Done {
			all = false
		}
		if !running(t) {
			continue
		}
		when := t.Deadline
		if w := r.Plan.WarnMs; w > 0 && !t.Warned {
			when -= w
		}
		if !ok || when < at {
			at, ok = when, true
		}
	}
	if all {
		// Every group done but the rotation not marked ended cannot come
		// from this package; should it be stored anyway, Due ends it at
		// any time, so it is due at once.
		return math.MinInt64, true
	}
	return at, ok
}

// Due brings the rotation up to date at now: it gives the warnings whose
// time has come and ends the legs whose deadline has passed, for every
// running group in track order. With Auto a group moves on at its
// deadline, and the next leg is counted from that deadline rather than from
// now, so that a late call (after a restart or a takeover) keeps the
// schedule; every leg that ended meanwhile gives its own advance, and a
// warning is given only if its leg is still running at now. Without Auto a
// group whose time is up becomes due and waits for the teacher. When every
// group is done the rotation ends with a finish action.
//
// Due is idempotent: called again at the same time it finds nothing to do.
func Due(r protocol.Rotation, now int64) (protocol.Rotation, []Action) {
	out := clone(r)
	if out.Ended {
		return out, nil
	}
	var acts []Action
	last, ended := int64(0), false
	legs := out.Plan.Legs
	for i := range out.Tracks {
		t := &out.Tracks[i]
		for running(*t) {
			if now >= t.Deadline {
				end := t.Deadline
				if !out.Plan.Auto {
					acts = append(acts, Action{Kind: KindDue, Group: t.Group, Leg: t.Leg, Station: t.Station, At: end})
					t.Due, t.Deadline, t.Left = true, 0, 0
					break
				}
				t.Leg++
				if t.Leg >= len(legs) {
					done(t, len(legs))
					acts = append(acts, Action{Kind: KindDone, Group: t.Group, Leg: t.Leg, At: end})
					if !ended || end > last {
						last, ended = end, true
					}
					break
				}
				t.Station = stationAt(out.Plan, t.First, t.Leg)
				t.Deadline = end + legs[t.Leg]
				t.Warned = false
				acts = append(acts, Action{Kind: KindAdvance, Group: t.Group, Leg: t.Leg, Station: t.Station, At: end})
				continue
			}
			if w := out.Plan.WarnMs; w > 0 && !t.Warned && now >= t.Deadline-w {
				t.Warned = true
				acts = append(acts, Action{Kind: KindWarn, Group: t.Group, Leg: t.Leg, Station: t.Station, At: t.Deadline - w})
			}
			break
		}
	}
	if !ended {
		last = now
	}
	if a, ok := finish(&out, last); ok {
		acts = append(acts, a)
	}
	return out, acts
}

// Left is how many milliseconds the track's current leg has left at now:
// the time kept while it is paused or held, the time to its deadline while
// it runs, and 0 once it is due or done.
func Left(t protocol.Track, now int64) int64 {
	switch {
	case t.Done || t.Due:
		return 0
	case t.Paused || t.Held:
		return max(t.Left, 0)
	}
	return max(t.Deadline-now, 0)
}

// running reports whether the track's clock runs.
func running(t protocol.Track) bool {
	return !t.Done && !t.Due && !t.Paused && !t.Held
}

// held reports whether the whole class is held (see the package comment).
func held(r protocol.Rotation) bool {
	return slices.ContainsFunc(r.Tracks, func(t protocol.Track) bool { return t.Held })
}

// stop turns a running leg's deadline into the time it has left. A
// deadline already past (Due not yet called) leaves 0, so that the leg
// ends as soon as it runs again.
func stop(t *protocol.Track, now int64) {
	t.Left = max(t.Deadline-now, 0)
	t.Deadline = 0
}

// run starts a stopped leg's clock again for the time it had left.
func run(t *protocol.Track, now int64) {
	t.Deadline = now + t.Left
	t.Left = 0
}

func pause(t *protocol.Track, now int64) {
	if running(*t) {
		stop(t, now)
	}
	t.Paused = true
}

func resume(t *protocol.Track, now int64) {
	t.Paused = false
	if running(*t) {
		run(t, now)
	}
}

func extend(t *protocol.Track, ms, warn, now int64) {
	switch {
	case t.Due:
		// The original deadline and its warning are spent; the extra time
		// is a fresh stretch with a warning of its own.
		t.Due, t.Warned = false, false
		if t.Held {
			t.Left = ms
		} else {
			t.Deadline = now + ms
		}
	case t.Paused || t.Held:
		t.Left += ms
		if t.Left > warn {
			t.Warned = false
		}
	default:
		t.Deadline += ms
		if t.Deadline-now > warn {
			t.Warned = false
		}
	}
}

// advance moves t to its next leg at now and says so.
func advance(r *protocol.Rotation, t *protocol.Track, now int64) Action {
	t.Leg++
	if t.Leg >= len(r.Plan.Legs) {
		done(t, len(r.Plan.Legs))
		return Action{Kind: KindDone, Group: t.Group, Leg: t.Leg, At: now}
	}
	t.Station = stationAt(r.Plan, t.First, t.Leg)
	t.Warned, t.Due = false, false
	if t.Paused || t.Held {
		t.Left, t.Deadline = r.Plan.Legs[t.Leg], 0
	} else {
		t.Deadline, t.Left = now+r.Plan.Legs[t.Leg], 0
	}
	return Action{Kind: KindAdvance, Group: t.Group, Leg: t.Leg, Station: t.Station, At: now}
}

// done marks t done, clearing everything but who it is.
func done(t *protocol.Track, legs int) {
	*t = protocol.Track{Group: t.Group, First: t.First, Leg: legs, Done: true}
}

// finish ends r when every track is done, with a finish action at at.
func finish(r *protocol.Rotation, at int64) (Action, bool) {
	if r.Ended || len(r.Tracks) == 0 {
		return Action{}, false
	}
	for _, t := range r.Tracks {
		if !t.Done {
			return Action{}, false
		}
	}
	r.Ended = true
	return Action{Kind: KindFinish, Leg: len(r.Plan.Legs), At: at}, true
}

// stationAt is the station of leg leg for a track that began at first.
func stationAt(p protocol.RotationPlan, first, leg int) protocol.StationID {
	n := len(p.Stations)
	if n == 0 {
		return ""
	}
	return p.Stations[((first+leg)%n+n)%n]
}

// begin is the common start of every change: a copy to work on, refused
// when the time is impossible or the rotation has ended.
func begin(r protocol.Rotation, now int64) (protocol.Rotation, error) {
	if err := checkTime(now); err != nil {
		return protocol.Rotation{}, err
	}
	if r.Ended {
		return protocol.Rotation{}, protocol.Errorf(protocol.CodeWrongState, "the rotation has ended")
	}
	return clone(r), nil
}

// track finds group's track in r.
func track(r *protocol.Rotation, group protocol.GroupID) (*protocol.Track, error) {
	for i := range r.Tracks {
		if r.Tracks[i].Group == group {
			return &r.Tracks[i], nil
		}
	}
	return nil, protocol.Errorf(protocol.CodeNotFound, "this group is not part of the rotation")
}

func errFinished() error {
	return protocol.Errorf(protocol.CodeWrongState, "this group has already finished the rotation")
}

func errAllFinished() error {
	return protocol.Errorf(protocol.CodeWrongState, "every group has already finished the rotation")
}

func checkTime(now int64) error {
	if now <= 0 || now > maxTime {
		return protocol.Errorf(protocol.CodeInvalid, "the server's clock gave an impossible time (%d)", now)
	}
	return nil
}

func checkPlan(p protocol.RotationPlan) error {
	if len(p.Stations) < 1 || len(p.Stations) > maxStations {
		return protocol.Errorf(protocol.CodeInvalid, "a rotation needs 1 to %d stations", maxStations)
	}
	for i, s := range p.Stations {
		if s == "" {
			return protocol.Errorf(protocol.CodeInvalid, "station %d of the rotation has no ID", i+1)
		}
		if slices.Contains(p.Stations[:i], s) {
			return protocol.Errorf(protocol.CodeInvalid, "station %d is already in the rotation", i+1)
		}
	}
	if len(p.Legs) < 1 || len(p.Legs) > maxLegs {
		return protocol.Errorf(protocol.CodeInvalid, "a rotation needs 1 to %d legs", maxLegs)
	}
	for i, l := range p.Legs {
		if l < minLeg || l > maxLeg {
			return protocol.Errorf(protocol.CodeInvalid, "leg %d must last from 10 seconds to 4 hours", i+1)
		}
	}
	if p.WarnMs != 0 && (p.WarnMs < minWarn || p.WarnMs > slices.Min(p.Legs)) {
		return protocol.Errorf(protocol.CodeInvalid, "the warning must come from 1 second to the length of the shortest leg before the end, or not at all")
	}
	return nil
}

func checkGroups(groups []protocol.GroupID) error {
	if len(groups) < 1 || len(groups) > maxGroups {
		return protocol.Errorf(protocol.CodeInvalid, "a rotation needs 1 to %d groups", maxGroups)
	}
	for i, g := range groups {
		// The empty ID would be taken for "every group" by the commands.
		if g == "" {
			return protocol.Errorf(protocol.CodeInvalid, "group %d of the rotation has no ID", i+1)
		}
		if slices.Contains(groups[:i], g) {
			return protocol.Errorf(protocol.CodeInvalid, "group %d is already in the rotation", i+1)
		}
	}
	return nil
}

// clone copies r deeply enough that changing the copy never changes r.
// It keeps nil slices nil, so that an unchanged copy compares equal.
func clone(r protocol.Rotation) protocol.Rotation {
	r.Plan = clonePlan(r.Plan)
	r.Tracks = slices.Clone(r.Tracks)
	return r
}

func clonePlan(p protocol.RotationPlan) protocol.RotationPlan {
	p.Stations = slices.Clone(p.Stations)
	p.Legs = slices.Clone(p.Legs)
	return p
}
