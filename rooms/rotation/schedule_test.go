package rotation

import (
	"reflect"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// The schedule of these tests: four stations, four groups, legs of 10, 15,
// 10 and 20 minutes, a warning 2 minutes before each end, Auto. The legs
// end at T0+10m, 25m, 35m and 55m; the warnings come at 8m, 23m, 33m and
// 53m.
func autoPlan() protocol.RotationPlan {
	return protocol.RotationPlan{
		Stations: []protocol.StationID{sA, sB, sC, sD},
		Legs:     []int64{10 * minute, 15 * minute, 10 * minute, 20 * minute},
		WarnMs:   2 * minute,
		Auto:     true,
	}
}

func startAuto(t *testing.T) protocol.Rotation {
	t.Helper()
	r, err := Start(autoPlan(), []protocol.GroupID{g1, g2, g3, g4}, T0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func warnA(g protocol.GroupID, leg int, s protocol.StationID, at int64) Action {
	return Action{Kind: KindWarn, Group: g, Leg: leg, Station: s, At: T0 + at}
}

func advA(g protocol.GroupID, leg int, s protocol.StationID, at int64) Action {
	return Action{Kind: KindAdvance, Group: g, Leg: leg, Station: s, At: T0 + at}
}

func doneA(g protocol.GroupID, at int64) Action {
	return Action{Kind: KindDone, Group: g, Leg: 4, At: T0 + at}
}

func dueA(g protocol.GroupID, leg int, s protocol.StationID, at int64) Action {
	return Action{Kind: KindDue, Group: g, Leg: leg, Station: s, At: T0 + at}
}

// TestSchedule walks the whole rotation the way the room does: one timer
// for Next, Due when it fires, nothing else.
func TestSchedule(t *testing.T) {
	m := minute
	want := []struct {
		at   int64 // from T0
		acts []Action
	}{
		{8 * m, []Action{warnA(g1, 0, sA, 8*m), warnA(g2, 0, sB, 8*m), warnA(g3, 0, sC, 8*m), warnA(g4, 0, sD, 8*m)}},
		{10 * m, []Action{advA(g1, 1, sB, 10*m), advA(g2, 1, sC, 10*m), advA(g3, 1, sD, 10*m), advA(g4, 1, sA, 10*m)}},
		{23 * m, []Action{warnA(g1, 1, sB, 23*m), warnA(g2, 1, sC, 23*m), warnA(g3, 1, sD, 23*m), warnA(g4, 1, sA, 23*m)}},
		{25 * m, []Action{advA(g1, 2, sC, 25*m), advA(g2, 2, sD, 25*m), advA(g3, 2, sA, 25*m), advA(g4, 2, sB, 25*m)}},
		{33 * m, []Action{warnA(g1, 2, sC, 33*m), warnA(g2, 2, sD, 33*m), warnA(g3, 2, sA, 33*m), warnA(g4, 2, sB, 33*m)}},
		{35 * m, []Action{advA(g1, 3, sD, 35*m), advA(g2, 3, sA, 35*m), advA(g3, 3, sB, 35*m), advA(g4, 3, sC, 35*m)}},
		{53 * m, []Action{warnA(g1, 3, sD, 53*m), warnA(g2, 3, sA, 53*m), warnA(g3, 3, sB, 53*m), warnA(g4, 3, sC, 53*m)}},
		{55 * m, []Action{doneA(g1, 55*m), doneA(g2, 55*m), doneA(g3, 55*m), doneA(g4, 55*m), {Kind: KindFinish, Leg: 4, At: T0 + 55*m}}},
	}
	r := startAuto(t)
	for i, step := range want {
		at, ok := Next(r)
		if !ok || at != T0+step.at {
			t.Fatalf("step %d: Next = T0%+d, %v; want T0%+d, true", i, at-T0, ok, step.at)
		}
		// Nothing happens a moment before.
		if early, acts := Due(r, at-1); len(acts) != 0 || !reflect.DeepEqual(early, r) {
			t.Fatalf("step %d: Due a millisecond early gave %+v", i, acts)
		}
		var acts []Action
		r, acts = Due(r, at)
		if !slices.Equal(acts, step.acts) {
			t.Fatalf("step %d at T0%+d:\n got %+v\nwant %+v", i, step.at, acts, step.acts)
		}
		check(t, r, at)
	}
	if at, ok := Next(r); ok {
		t.Errorf("after the end Next = %d, true; want false", at)
	}
	if !r.Ended {
		t.Errorf("the rotation did not end")
	}
}

// TestRestart takes the rotation as stored right after the first warnings
// and brings it up to date much later, as a node does after a restart or
// a takeover: every leg that ended meanwhile advances once, at its own
// deadline, and only a warning whose leg still runs is given.
func TestRestart(t *testing.T) {
	m := minute
	stored := func(t *testing.T, plan protocol.RotationPlan, f func(*testing.T, protocol.Rotation) protocol.Rotation) protocol.Rotation {
		t.Helper()
		r, err := Start(plan, []protocol.GroupID{g1, g2, g3, g4}, T0)
		if err != nil {
			t.Fatal(err)
		}
		if f != nil {
			r = f(t, r)
		}
		r, acts := Due(r, T0+8*m)
		if len(acts) == 0 {
			t.Fatal("no warning at T0+8m")
		}
		return r
	}
	manual := autoPlan()
	manual.Auto = false
	pauseG2 := func(t *testing.T, r protocol.Rotation) protocol.Rotation {
		r, err := Pause(r, g2, T0+5*m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cases := []struct {
		name   string
		plan   protocol.RotationPlan
		before func(*testing.T, protocol.Rotation) protocol.Rotation
		now    int64 // from T0
		acts   []Action
		next   int64 // from T0; -1: nothing pending
	}{
		{
			name: "three legs later, before the fourth warning",
			plan: autoPlan(), now: 40 * m,
			acts: []Action{
				advA(g1, 1, sB, 10*m), advA(g1, 2, sC, 25*m), advA(g1, 3, sD, 35*m),
				advA(g2, 1, sC, 10*m), advA(g2, 2, sD, 25*m), advA(g2, 3, sA, 35*m),
				advA(g3, 1, sD, 10*m), advA(g3, 2, sA, 25*m), advA(g3, 3, sB, 35*m),
				advA(g4, 1, sA, 10*m), advA(g4, 2, sB, 25*m), advA(g4, 3, sC, 35*m),
			},
			next: 53 * m,
		},
		{
			name: "inside the last leg's warning",
			plan: autoPlan(), now: 54 * m,
			acts: []Action{
				advA(g1, 1, sB, 10*m), advA(g1, 2, sC, 25*m), advA(g1, 3, sD, 35*m), warnA(g1, 3, sD, 53*m),
				advA(g2, 1, sC, 10*m), advA(g2, 2, sD, 25*m), advA(g2, 3, sA, 35*m), warnA(g2, 3, sA, 53*m),
				advA(g3, 1, sD, 10*m), advA(g3, 2, sA, 25*m), advA(g3, 3, sB, 35*m), warnA(g3, 3, sB, 53*m),
				advA(g4, 1, sA, 10*m), advA(g4, 2, sB, 25*m), advA(g4, 3, sC, 35*m), warnA(g4, 3, sC, 53*m),
			},
			next: 55 * m,
		},
		{
			name: "long after the end",
			plan: autoPlan(), now: 5 * hour,
			acts: []Action{
				advA(g1, 1, sB, 10*m), advA(g1, 2, sC, 25*m), advA(g1, 3, sD, 35*m), doneA(g1, 55*m),
				advA(g2, 1, sC, 10*m), advA(g2, 2, sD, 25*m), advA(g2, 3, sA, 35*m), doneA(g2, 55*m),
				advA(g3, 1, sD, 10*m), advA(g3, 2, sA, 25*m), advA(g3, 3, sB, 35*m), doneA(g3, 55*m),
				advA(g4, 1, sA, 10*m), advA(g4, 2, sB, 25*m), advA(g4, 3, sC, 35*m), doneA(g4, 55*m),
				{Kind: KindFinish, Leg: 4, At: T0 + 55*m},
			},
			next: -1,
		},
		{
			name: "a paused group stays where it was",
			plan: autoPlan(), before: pauseG2, now: 40 * m,
			acts: []Action{
				advA(g1, 1, sB, 10*m), advA(g1, 2, sC, 25*m), advA(g1, 3, sD, 35*m),
				advA(g3, 1, sD, 10*m), advA(g3, 2, sA, 25*m), advA(g3, 3, sB, 35*m),
				advA(g4, 1, sA, 10*m), advA(g4, 2, sB, 25*m), advA(g4, 3, sC, 35*m),
			},
			next: 53 * m,
		},
		{
			name: "without Auto the groups wait at their first deadline",
			plan: manual, now: 40 * m,
			acts: []Action{dueA(g1, 0, sA, 10*m), dueA(g2, 0, sB, 10*m), dueA(g3, 0, sC, 10*m), dueA(g4, 0, sD, 10*m)},
			next: -1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := stored(t, c.plan, c.before)
			saved := deepCopy(r)
			got, acts := Due(r, T0+c.now)
			if !reflect.DeepEqual(r, saved) {
				t.Errorf("the stored rotation changed")
			}
			if !slices.Equal(acts, c.acts) {
				t.Errorf("actions:\n got %+v\nwant %+v", acts, c.acts)
			}
			check(t, got, T0+c.now)
			at, ok := Next(got)
			if c.next < 0 {
				if ok {
					t.Errorf("Next = T0%+d, true; want nothing pending", at-T0)
				}
			} else if !ok || at != T0+c.next {
				t.Errorf("Next = T0%+d, %v; want T0%+d", at-T0, ok, c.next)
			}
			// The result is stored and the node dies again before arming a
			// timer: the next call finds nothing more to do.
			if again, acts := Due(got, T0+c.now); len(acts) != 0 || !reflect.DeepEqual(again, got) {
				t.Errorf("Due again gave %+v", acts)
			}
		})
	}
}

// TestHoldAcrossDeadlines checks that time stands while the class is held:
// a hold over what would have been several deadlines moves none of them,
// and after Release the schedule resumes shifted by the hold.
func TestHoldAcrossDeadlines(t *testing.T) {
	m := minute
	r := startAuto(t)
	r, err := Hold(r, T0+6*m)
	if err != nil {
		t.Fatal(err)
	}
	if got, acts := Due(r, T0+hour); len(acts) != 0 || !reflect.DeepEqual(got, r) {
		t.Fatalf("Due while held gave %+v", acts)
	}
	r, err = Release(r, T0+hour)
	if err != nil {
		t.Fatal(err)
	}
	// 4 minutes were left of the first leg: warning at +2m, end at +4m.
	at, ok := Next(r)
	if want := T0 + hour + 2*m; !ok || at != want {
		t.Fatalf("Next = T0%+d, %v; want T0%+d", at-T0, ok, want-T0)
	}
	r, acts := Due(r, T0+hour+4*m)
	want := []Action{
		advA(g1, 1, sB, hour+4*m), advA(g2, 1, sC, hour+4*m), advA(g3, 1, sD, hour+4*m), advA(g4, 1, sA, hour+4*m),
	}
	if !slices.Equal(acts, want) {
		t.Errorf("actions:\n got %+v\nwant %+v", acts, want)
	}
	check(t, r, T0+hour+4*m)
}
