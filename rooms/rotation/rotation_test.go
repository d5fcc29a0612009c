package rotation

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// Readable IDs: the package does not ask for UUIDs, the room does.
const (
	sA protocol.StationID = "reading"
	sB protocol.StationID = "math"
	sC protocol.StationID = "lab"
	sD protocol.StationID = "library"

	g1 protocol.GroupID = "g1"
	g2 protocol.GroupID = "g2"
	g3 protocol.GroupID = "g3"
	g4 protocol.GroupID = "g4"
	gX protocol.GroupID = "stranger"
)

const (
	T0     int64 = 1_700_000_000_000
	second int64 = 1_000
	minute int64 = 60 * second
	hour   int64 = 60 * minute
)

// mixedPlan is a teacher-driven plan: legs end as due, not advanced.
func mixedPlan() protocol.RotationPlan {
	return protocol.RotationPlan{
		Stations: []protocol.StationID{sA, sB, sC},
		Legs:     []int64{10 * minute, 20 * minute, 15 * minute},
		WarnMs:   1 * minute,
	}
}

// mixed is a rotation at about T0+20m with a track in each state: g1
// running its second leg, g2 paused in its first, g3 due at the end of its
// second, g4 done. Each call returns fresh slices.
func mixed() protocol.Rotation {
	return protocol.Rotation{
		Plan: mixedPlan(),
		Tracks: []protocol.Track{
			{Group: g1, First: 0, Leg: 1, Station: sB, Deadline: T0 + 30*minute},
			{Group: g2, First: 1, Leg: 0, Station: sB, Left: 4 * minute, Paused: true},
			{Group: g3, First: 2, Leg: 1, Station: sA, Due: true, Warned: true},
			{Group: g4, First: 0, Leg: 3, Done: true},
		},
		Started: T0,
	}
}

// heldMixed is mixed after the class was held at T0+20m.
func heldMixed() protocol.Rotation {
	return mod(mixed(), func(r *protocol.Rotation) {
		r.Tracks[0].Held, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 10*minute, 0
		r.Tracks[1].Held = true
		r.Tracks[2].Held = true
	})
}

// ended is mixed after End.
func ended() protocol.Rotation {
	return protocol.Rotation{
		Plan: mixedPlan(),
		Tracks: []protocol.Track{
			{Group: g1, First: 0, Leg: 3, Done: true},
			{Group: g2, First: 1, Leg: 3, Done: true},
			{Group: g3, First: 2, Leg: 3, Done: true},
			{Group: g4, First: 0, Leg: 3, Done: true},
		},
		Started: T0,
		Ended:   true,
	}
}

// allDone has every track done but is not marked ended: not something the
// package produces, but a stored value could be.
func allDone() protocol.Rotation {
	return mod(ended(), func(r *protocol.Rotation) { r.Ended = false })
}

// mod returns r changed by f.
func mod(r protocol.Rotation, f func(*protocol.Rotation)) protocol.Rotation {
	f(&r)
	return r
}

// deepCopy is the tests' own copy, independent of the package's clone.
func deepCopy(r protocol.Rotation) protocol.Rotation {
	c := r
	if r.Plan.Stations != nil {
		c.Plan.Stations = append([]protocol.StationID{}, r.Plan.Stations...)
	}
	if r.Plan.Legs != nil {
		c.Plan.Legs = append([]int64{}, r.Plan.Legs...)
	}
	if r.Tracks != nil {
		c.Tracks = append([]protocol.Track{}, r.Tracks...)
	}
	return c
}

// shares reports whether a and b share any backing array, so that a change
// of one would show in the other.
func shares(a, b protocol.Rotation) bool {
	same := func(x, y int, px, py func() uintptr) bool { return x > 0 && y > 0 && px() == py() }
	return same(len(a.Tracks), len(b.Tracks),
		func() uintptr { return reflect.ValueOf(a.Tracks).Pointer() },
		func() uintptr { return reflect.ValueOf(b.Tracks).Pointer() }) ||
		same(len(a.Plan.Stations), len(b.Plan.Stations),
			func() uintptr { return reflect.ValueOf(a.Plan.Stations).Pointer() },
			func() uintptr { return reflect.ValueOf(b.Plan.Stations).Pointer() }) ||
		same(len(a.Plan.Legs), len(b.Plan.Legs),
			func() uintptr { return reflect.ValueOf(a.Plan.Legs).Pointer() },
			func() uintptr { return reflect.ValueOf(b.Plan.Legs).Pointer() })
}

// codeOf is err's protocol code, or "" for nil; anything else fails t.
func codeOf(t *testing.T, err error) protocol.Code {
	t.Helper()
	if err == nil {
		return ""
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *protocol.Error", err, err)
	}
	if pe.Message == "" || strings.Contains(pe.Message, "\n") {
		t.Errorf("error message %q is not a one-line message for a teacher", pe.Message)
	}
	return pe.Code
}

// opCase is one call of an operation on a rotation.
type opCase struct {
	name string
	in   protocol.Rotation
	op   func(protocol.Rotation) (protocol.Rotation, []Action, error)
	want protocol.Rotation
	acts []Action
	code protocol.Code // "" for success
}

func runCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := deepCopy(c.in)
			got, acts, err := c.op(c.in)
			if code := codeOf(t, err); code != c.code {
				t.Fatalf("code = %q (%v), want %q", code, err, c.code)
			}
			if !reflect.DeepEqual(c.in, before) {
				t.Errorf("input changed:\n got %+v\nwant %+v", c.in, before)
			}
			if c.code != "" {
				if !reflect.DeepEqual(got, protocol.Rotation{}) || acts != nil {
					t.Errorf("on error got %+v, %v; want the zero rotation and no actions", got, acts)
				}
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("rotation:\n got %+v\nwant %+v", got, c.want)
			}
			if !slices.Equal(acts, c.acts) {
				t.Errorf("actions:\n got %+v\nwant %+v", acts, c.acts)
			}
			if shares(got, c.in) {
				t.Errorf("the result shares memory with the input")
			}
		})
	}
}

// Adapters from each operation to opCase.op.
func pauseOp(g protocol.GroupID, now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := Pause(r, g, now)
		return out, nil, err
	}
}

func resumeOp(g protocol.GroupID, now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := Resume(r, g, now)
		return out, nil, err
	}
}

func extendOp(g protocol.GroupID, ms, now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := Extend(r, g, ms, now)
		return out, nil, err
	}
}

func advanceOp(g protocol.GroupID, now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		return Advance(r, g, now)
	}
}

func endOp(now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := End(r, now)
		return out, nil, err
	}
}

func holdOp(now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := Hold(r, now)
		return out, nil, err
	}
}

func releaseOp(now int64) func(protocol.Rotation) (protocol.Rotation, []Action, error) {
	return func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, err := Release(r, now)
		return out, nil, err
	}
}

func TestStart(t *testing.T) {
	stations := func(n int) []protocol.StationID {
		s := make([]protocol.StationID, n)
		for i := range s {
			s[i] = protocol.StationID(strings.Repeat("s", i+1))
		}
		return s
	}
	groups := func(n int) []protocol.GroupID {
		g := make([]protocol.GroupID, n)
		for i := range g {
			g[i] = protocol.GroupID(strings.Repeat("g", i+1))
		}
		return g
	}
	legs := func(n int, ms int64) []int64 {
		l := make([]int64, n)
		for i := range l {
			l[i] = ms
		}
		return l
	}
	plan := func(f func(*protocol.RotationPlan)) protocol.RotationPlan {
		p := mixedPlan()
		f(&p)
		return p
	}
	four := []protocol.GroupID{g1, g2, g3, g4}
	cases := []struct {
		name   string
		plan   protocol.RotationPlan
		groups []protocol.GroupID
		now    int64
		want   protocol.Rotation
		code   protocol.Code
	}{
		{
			name:   "groups spread over the stations and wrap",
			plan:   mixedPlan(),
			groups: four,
			now:    T0,
			want: protocol.Rotation{
				Plan: mixedPlan(),
				Tracks: []protocol.Track{
					{Group: g1, First: 0, Station: sA, Deadline: T0 + 10*minute},
					{Group: g2, First: 1, Station: sB, Deadline: T0 + 10*minute},
					{Group: g3, First: 2, Station: sC, Deadline: T0 + 10*minute},
					{Group: g4, First: 0, Station: sA, Deadline: T0 + 10*minute},
				},
				Started: T0,
			},
		},
		{
			name:   "smallest plan, no warning",
			plan:   protocol.RotationPlan{Stations: []protocol.StationID{sD}, Legs: []int64{minLeg}, Auto: true},
			groups: []protocol.GroupID{g2},
			now:    1,
			want: protocol.Rotation{
				Plan:    protocol.RotationPlan{Stations: []protocol.StationID{sD}, Legs: []int64{minLeg}, Auto: true},
				Tracks:  []protocol.Track{{Group: g2, Station: sD, Deadline: 1 + minLeg}},
				Started: 1,
			},
		},
		{name: "largest plan", plan: protocol.RotationPlan{Stations: stations(20), Legs: legs(20, 4*hour), WarnMs: 4 * hour}, groups: groups(40), now: T0},
		{name: "warning as long as the shortest leg", plan: plan(func(p *protocol.RotationPlan) { p.WarnMs = 10 * minute }), groups: four, now: T0},
		{name: "warning of one second", plan: plan(func(p *protocol.RotationPlan) { p.WarnMs = second }), groups: four, now: T0},
		{name: "latest time", plan: mixedPlan(), groups: four, now: maxTime},

		{name: "time zero", plan: mixedPlan(), groups: four, now: 0, code: protocol.CodeInvalid},
		{name: "negative time", plan: mixedPlan(), groups: four, now: -5, code: protocol.CodeInvalid},
		{name: "time past year 9999", plan: mixedPlan(), groups: four, now: maxTime + 1, code: protocol.CodeInvalid},
		{name: "no stations", plan: plan(func(p *protocol.RotationPlan) { p.Stations = nil }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "21 stations", plan: plan(func(p *protocol.RotationPlan) { p.Stations = stations(21) }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "empty station", plan: plan(func(p *protocol.RotationPlan) { p.Stations = []protocol.StationID{sA, ""} }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "station twice", plan: plan(func(p *protocol.RotationPlan) { p.Stations = []protocol.StationID{sA, sB, sA} }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "no legs", plan: plan(func(p *protocol.RotationPlan) { p.Legs = []int64{} }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "21 legs", plan: plan(func(p *protocol.RotationPlan) { p.Legs = legs(21, 10*minute) }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "leg too short", plan: plan(func(p *protocol.RotationPlan) { p.Legs = []int64{10 * minute, minLeg - 1}; p.WarnMs = 0 }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "leg too long", plan: plan(func(p *protocol.RotationPlan) { p.Legs = []int64{maxLeg + 1} }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "negative leg", plan: plan(func(p *protocol.RotationPlan) { p.Legs = []int64{-10 * minute}; p.WarnMs = 0 }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "warning too short", plan: plan(func(p *protocol.RotationPlan) { p.WarnMs = minWarn - 1 }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "negative warning", plan: plan(func(p *protocol.RotationPlan) { p.WarnMs = -second }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "warning longer than the shortest leg", plan: plan(func(p *protocol.RotationPlan) { p.WarnMs = 10*minute + 1 }), groups: four, now: T0, code: protocol.CodeInvalid},
		{name: "no groups", plan: mixedPlan(), groups: nil, now: T0, code: protocol.CodeInvalid},
		{name: "41 groups", plan: mixedPlan(), groups: groups(41), now: T0, code: protocol.CodeInvalid},
		{name: "empty group", plan: mixedPlan(), groups: []protocol.GroupID{g1, ""}, now: T0, code: protocol.CodeInvalid},
		{name: "group twice", plan: mixedPlan(), groups: []protocol.GroupID{g1, g2, g1}, now: T0, code: protocol.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, groups := deepCopy(protocol.Rotation{Plan: c.plan}).Plan, slices.Clone(c.groups)
			got, err := Start(c.plan, c.groups, c.now)
			if code := codeOf(t, err); code != c.code {
				t.Fatalf("code = %q (%v), want %q", code, err, c.code)
			}
			if !reflect.DeepEqual(c.plan, plan) || !slices.Equal(c.groups, groups) {
				t.Errorf("Start changed its arguments")
			}
			if c.code != "" {
				if !reflect.DeepEqual(got, protocol.Rotation{}) {
					t.Errorf("on error got %+v, want the zero rotation", got)
				}
				return
			}
			if c.want.Tracks != nil && !reflect.DeepEqual(got, c.want) {
				t.Errorf("rotation:\n got %+v\nwant %+v", got, c.want)
			}
			if shares(got, protocol.Rotation{Plan: c.plan}) {
				t.Errorf("the rotation shares the plan's slices")
			}
			if len(got.Tracks) != len(c.groups) {
				t.Fatalf("%d tracks, want %d", len(got.Tracks), len(c.groups))
			}
			check(t, got, c.now)
		})
	}
}

func TestPause(t *testing.T) {
	now := T0 + 20*minute
	runCases(t, []opCase{
		{
			name: "running group keeps the time it has left",
			in:   mixed(), op: pauseOp(g1, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 10*minute, 0
			}),
		},
		{
			name: "running group past its deadline has nothing left",
			in:   mixed(), op: pauseOp(g1, T0+31*minute),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 0, 0
			}),
		},
		{
			name: "held group stays held and keeps its time",
			in:   heldMixed(), op: pauseOp(g1, now+5*minute),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Paused = true }),
		},
		{
			name: "every group: only the running one",
			in:   mixed(), op: pauseOp("", now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 10*minute, 0
			}),
		},
		{
			name: "every group: skips those it cannot pause, wherever they are",
			in:   mod(mixed(), withG5), op: pauseOp("", now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				withG5(r)
				r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 10*minute, 0
				r.Tracks[4].Paused, r.Tracks[4].Left, r.Tracks[4].Deadline = true, 5*minute, 0
			}),
		},
		{
			name: "every group while held",
			in:   heldMixed(), op: pauseOp("", now),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Paused = true }),
		},
		{name: "already paused", in: mixed(), op: pauseOp(g2, now), code: protocol.CodeWrongState},
		{name: "paused and held", in: heldMixed(), op: pauseOp(g2, now), code: protocol.CodeWrongState},
		{name: "due", in: mixed(), op: pauseOp(g3, now), code: protocol.CodeWrongState},
		{name: "done", in: mixed(), op: pauseOp(g4, now), code: protocol.CodeWrongState},
		{name: "every group, none running", in: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Due, r.Tracks[0].Deadline = true, 0 }), op: pauseOp("", now), code: protocol.CodeWrongState},
		{name: "unknown group", in: mixed(), op: pauseOp(gX, now), code: protocol.CodeNotFound},
		{name: "ended", in: ended(), op: pauseOp(g1, now), code: protocol.CodeWrongState},
		{name: "ended, every group", in: ended(), op: pauseOp("", now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: pauseOp(g1, 0), code: protocol.CodeInvalid},
	})
}

func TestResume(t *testing.T) {
	now := T0 + 20*minute
	runCases(t, []opCase{
		{
			name: "paused group runs for the time it had left",
			in:   mixed(), op: resumeOp(g2, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[1].Paused, r.Tracks[1].Left, r.Tracks[1].Deadline = false, 0, now+4*minute
			}),
		},
		{
			name: "paused group of a held class waits for Release",
			in:   heldMixed(), op: resumeOp(g2, now),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[1].Paused = false }),
		},
		{
			name: "every group",
			in:   mixed(), op: resumeOp("", now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[1].Paused, r.Tracks[1].Left, r.Tracks[1].Deadline = false, 0, now+4*minute
			}),
		},
		{
			name: "every group while held",
			in:   heldMixed(), op: resumeOp("", now),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[1].Paused = false }),
		},
		{name: "running", in: mixed(), op: resumeOp(g1, now), code: protocol.CodeWrongState},
		{name: "held only", in: heldMixed(), op: resumeOp(g1, now), code: protocol.CodeWrongState},
		{name: "due", in: mixed(), op: resumeOp(g3, now), code: protocol.CodeWrongState},
		{name: "done", in: mixed(), op: resumeOp(g4, now), code: protocol.CodeWrongState},
		{name: "every group, none paused", in: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Paused = false }), op: resumeOp("", now), code: protocol.CodeWrongState},
		{name: "unknown group", in: mixed(), op: resumeOp(gX, now), code: protocol.CodeNotFound},
		{name: "ended", in: ended(), op: resumeOp(g2, now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: resumeOp(g2, -1), code: protocol.CodeInvalid},
	})
}

func TestExtend(t *testing.T) {
	now := T0 + 20*minute
	warned := func(r *protocol.Rotation) { r.Tracks[0].Warned = true }
	runCases(t, []opCase{
		{
			name: "running: the deadline moves",
			in:   mixed(), op: extendOp(g1, 5*minute, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline += 5 * minute }),
		},
		{
			name: "running and warned: warned again when there is time for it",
			in:   mod(mixed(), warned), op: extendOp(g1, 5*minute, T0+29*minute+30*second),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline += 5 * minute }),
		},
		{
			name: "running and warned: not again when the end stays near",
			in:   mod(mixed(), warned), op: extendOp(g1, 29*second, T0+29*minute+30*second),
			want: mod(mixed(), func(r *protocol.Rotation) { warned(r); r.Tracks[0].Deadline += 29 * second }),
		},
		{
			name: "running and warned: exactly the warning time left keeps the warning",
			in:   mod(mixed(), warned), op: extendOp(g1, 30*second, T0+29*minute+30*second),
			want: mod(mixed(), func(r *protocol.Rotation) { warned(r); r.Tracks[0].Deadline += 30 * second }),
		},
		{
			name: "paused: more time left",
			in:   mixed(), op: extendOp(g2, 5*minute, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Left += 5 * minute }),
		},
		{
			name: "paused and warned: warned again",
			in:   mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Left, r.Tracks[1].Warned = 30*second, true }),
			op:   extendOp(g2, 5*minute, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Left = 5*minute + 30*second }),
		},
		{
			name: "paused and warned: short extension keeps the warning",
			in:   mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Left, r.Tracks[1].Warned = 10*second, true }),
			op:   extendOp(g2, 10*second, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Left, r.Tracks[1].Warned = 20*second, true }),
		},
		{
			name: "held: more time left",
			in:   heldMixed(), op: extendOp(g1, 5*minute, now),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Left += 5 * minute }),
		},
		{
			name: "due: runs again from now, with a fresh warning",
			in:   mixed(), op: extendOp(g3, 5*minute, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[2].Due, r.Tracks[2].Warned, r.Tracks[2].Deadline = false, false, now+5*minute
			}),
		},
		{
			name: "due and held: the time waits for Release",
			in:   heldMixed(), op: extendOp(g3, 5*minute, now),
			want: mod(heldMixed(), func(r *protocol.Rotation) {
				r.Tracks[2].Due, r.Tracks[2].Warned, r.Tracks[2].Left = false, false, 5*minute
			}),
		},
		{
			name: "shortest extension",
			in:   mixed(), op: extendOp(g1, minExtend, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline += minExtend }),
		},
		{
			name: "longest extension",
			in:   mixed(), op: extendOp(g1, maxExtend, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline += maxExtend }),
		},
		{
			name: "every group that is not done",
			in:   mixed(), op: extendOp("", 5*minute, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Deadline += 5 * minute
				r.Tracks[1].Left += 5 * minute
				r.Tracks[2].Due, r.Tracks[2].Warned, r.Tracks[2].Deadline = false, false, now+5*minute
			}),
		},
		{name: "too short", in: mixed(), op: extendOp(g1, minExtend-1, now), code: protocol.CodeInvalid},
		{name: "too long", in: mixed(), op: extendOp(g1, maxExtend+1, now), code: protocol.CodeInvalid},
		{name: "negative", in: mixed(), op: extendOp(g1, -5*minute, now), code: protocol.CodeInvalid},
		{name: "bad extension beats ended", in: ended(), op: extendOp(g1, 0, now), code: protocol.CodeInvalid},
		{name: "done", in: mixed(), op: extendOp(g4, 5*minute, now), code: protocol.CodeWrongState},
		{name: "every group, all done", in: allDone(), op: extendOp("", 5*minute, now), code: protocol.CodeWrongState},
		{name: "unknown group", in: mixed(), op: extendOp(gX, 5*minute, now), code: protocol.CodeNotFound},
		{name: "ended", in: ended(), op: extendOp(g1, 5*minute, now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: extendOp(g1, 5*minute, 0), code: protocol.CodeInvalid},
	})
}

func TestAdvance(t *testing.T) {
	now := T0 + 20*minute
	lastLeg := func(r *protocol.Rotation) {
		r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Warned = 2, sC, true
	}
	runCases(t, []opCase{
		{
			name: "running: the next leg runs from now",
			in:   mod(mixed(), warned0), op: advanceOp(g1, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Deadline = 2, sC, now+15*minute
			}),
			acts: []Action{{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: now}},
		},
		{
			name: "paused: moves and stays paused with the whole leg left",
			in:   mod(mixed(), func(r *protocol.Rotation) { r.Tracks[1].Warned = true }), op: advanceOp(g2, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[1].Leg, r.Tracks[1].Station, r.Tracks[1].Left = 1, sC, 20*minute
			}),
			acts: []Action{{Kind: KindAdvance, Group: g2, Leg: 1, Station: sC, At: now}},
		},
		{
			name: "due: the teacher moves the group on",
			in:   mixed(), op: advanceOp(g3, now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[2] = protocol.Track{Group: g3, First: 2, Leg: 2, Station: sB, Deadline: now + 15*minute}
			}),
			acts: []Action{{Kind: KindAdvance, Group: g3, Leg: 2, Station: sB, At: now}},
		},
		{
			name: "held: moves and waits for Release",
			in:   heldMixed(), op: advanceOp(g1, now),
			want: mod(heldMixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Left = 2, sC, 15*minute
			}),
			acts: []Action{{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: now}},
		},
		{
			name: "due and held",
			in:   heldMixed(), op: advanceOp(g3, now),
			want: mod(heldMixed(), func(r *protocol.Rotation) {
				r.Tracks[2] = protocol.Track{Group: g3, First: 2, Leg: 2, Station: sB, Left: 15 * minute, Held: true}
			}),
			acts: []Action{{Kind: KindAdvance, Group: g3, Leg: 2, Station: sB, At: now}},
		},
		{
			name: "after the last leg the group is done",
			in:   mod(mixed(), lastLeg), op: advanceOp(g1, now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0] = protocol.Track{Group: g1, Leg: 3, Done: true} }),
			acts: []Action{{Kind: KindDone, Group: g1, Leg: 3, At: now}},
		},
		{
			name: "the last group done ends the rotation",
			in: mod(allDone(), func(r *protocol.Rotation) {
				r.Tracks[1] = protocol.Track{Group: g2, First: 1, Leg: 2, Station: sA, Left: second, Paused: true, Held: true}
			}),
			op:   advanceOp(g2, now),
			want: ended(),
			acts: []Action{{Kind: KindDone, Group: g2, Leg: 3, At: now}, {Kind: KindFinish, Leg: 3, At: now}},
		},
		{
			name: "every group that is not done, in track order",
			in:   mixed(), op: advanceOp("", now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Deadline = 2, sC, now+15*minute
				r.Tracks[1].Leg, r.Tracks[1].Station, r.Tracks[1].Left = 1, sC, 20*minute
				r.Tracks[2] = protocol.Track{Group: g3, First: 2, Leg: 2, Station: sB, Deadline: now + 15*minute}
			}),
			acts: []Action{
				{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: now},
				{Kind: KindAdvance, Group: g2, Leg: 1, Station: sC, At: now},
				{Kind: KindAdvance, Group: g3, Leg: 2, Station: sB, At: now},
			},
		},
		{
			name: "every group past its last leg",
			in: mod(mixed(), func(r *protocol.Rotation) {
				lastLeg(r)
				r.Tracks[1] = protocol.Track{Group: g2, First: 1, Leg: 2, Station: sA, Left: second, Paused: true}
				r.Tracks[2].Leg, r.Tracks[2].Station = 2, sB
			}),
			op:   advanceOp("", now),
			want: ended(),
			acts: []Action{
				{Kind: KindDone, Group: g1, Leg: 3, At: now},
				{Kind: KindDone, Group: g2, Leg: 3, At: now},
				{Kind: KindDone, Group: g3, Leg: 3, At: now},
				{Kind: KindFinish, Leg: 3, At: now},
			},
		},
		{name: "done", in: mixed(), op: advanceOp(g4, now), code: protocol.CodeWrongState},
		{name: "every group, all done", in: allDone(), op: advanceOp("", now), code: protocol.CodeWrongState},
		{name: "unknown group", in: mixed(), op: advanceOp(gX, now), code: protocol.CodeNotFound},
		{name: "ended", in: ended(), op: advanceOp(g1, now), code: protocol.CodeWrongState},
		{name: "ended, every group", in: ended(), op: advanceOp("", now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: advanceOp(g1, 0), code: protocol.CodeInvalid},
	})
}

func warned0(r *protocol.Rotation) { r.Tracks[0].Warned = true }

// withG5 adds a fifth group, running its first leg, after the done one.
func withG5(r *protocol.Rotation) {
	r.Tracks = append(r.Tracks, protocol.Track{Group: "g5", First: 1, Station: sB, Deadline: T0 + 25*minute})
}

func TestEnd(t *testing.T) {
	now := T0 + 20*minute
	runCases(t, []opCase{
		{name: "every state", in: mixed(), op: endOp(now), want: ended()},
		{name: "held", in: heldMixed(), op: endOp(now), want: ended()},
		{name: "all done but not ended", in: allDone(), op: endOp(now), want: ended()},
		{name: "ended", in: ended(), op: endOp(now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: endOp(0), code: protocol.CodeInvalid},
	})
}

func TestHold(t *testing.T) {
	now := T0 + 20*minute
	noneRunning := func(r *protocol.Rotation) {
		r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 7*minute, 0
	}
	runCases(t, []opCase{
		{name: "every state", in: mixed(), op: holdOp(now), want: heldMixed()},
		{
			name: "a running leg past its deadline has nothing left",
			in:   mixed(), op: holdOp(T0 + 40*minute),
			want: mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Left = 0 }),
		},
		{
			name: "nothing running: the hold is still recorded",
			in:   mod(mixed(), noneRunning), op: holdOp(now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				noneRunning(r)
				r.Tracks[0].Held, r.Tracks[1].Held, r.Tracks[2].Held = true, true, true
			}),
		},
		{name: "already held", in: heldMixed(), op: holdOp(now), code: protocol.CodeWrongState},
		{name: "all done but not ended", in: allDone(), op: holdOp(now), code: protocol.CodeWrongState},
		{name: "ended", in: ended(), op: holdOp(now), code: protocol.CodeWrongState},
		{name: "bad time", in: mixed(), op: holdOp(0), code: protocol.CodeInvalid},
	})
}

func TestRelease(t *testing.T) {
	now := T0 + 50*minute
	runCases(t, []opCase{
		{
			name: "only legs that ran before run again; paused and due stay so",
			in:   heldMixed(), op: releaseOp(now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline = now + 10*minute }),
		},
		{
			name: "a group resumed while held runs",
			in:   mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[1].Paused = false }), op: releaseOp(now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Deadline = now + 10*minute
				r.Tracks[1].Paused, r.Tracks[1].Left, r.Tracks[1].Deadline = false, 0, now+4*minute
			}),
		},
		{
			name: "a leg held with nothing left ends at once",
			in:   mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Left = 0 }), op: releaseOp(now),
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Deadline = now }),
		},
		{
			name: "held with nothing running: nothing starts",
			in:   mod(heldMixed(), func(r *protocol.Rotation) { r.Tracks[0].Paused = true }), op: releaseOp(now),
			want: mod(mixed(), func(r *protocol.Rotation) {
				r.Tracks[0].Paused, r.Tracks[0].Left, r.Tracks[0].Deadline = true, 10*minute, 0
			}),
		},
		{name: "not held", in: mixed(), op: releaseOp(now), code: protocol.CodeWrongState},
		{name: "ended", in: ended(), op: releaseOp(now), code: protocol.CodeWrongState},
		{name: "bad time", in: heldMixed(), op: releaseOp(0), code: protocol.CodeInvalid},
	})
}

func TestNext(t *testing.T) {
	noWarn := func(r *protocol.Rotation) { r.Plan.WarnMs = 0 }
	cases := []struct {
		name string
		in   protocol.Rotation
		at   int64
		ok   bool
	}{
		{name: "the warning comes first", in: mixed(), at: T0 + 29*minute, ok: true},
		{name: "warned: the deadline", in: mod(mixed(), warned0), at: T0 + 30*minute, ok: true},
		{name: "no warnings: the deadline", in: mod(mixed(), noWarn), at: T0 + 30*minute, ok: true},
		{
			name: "the soonest of several",
			in: mod(mixed(), func(r *protocol.Rotation) {
				warned0(r)
				r.Tracks[1] = protocol.Track{Group: g2, First: 1, Station: sB, Deadline: T0 + 30*minute + 30*second}
			}),
			at: T0 + 29*minute + 30*second, ok: true,
		},
		{
			name: "a deadline long past",
			in:   mod(mixed(), func(r *protocol.Rotation) { warned0(r); r.Tracks[0].Deadline = T0 }),
			at:   T0, ok: true,
		},
		{name: "nothing running", in: heldMixed()},
		{name: "paused, due and done only", in: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Paused, r.Tracks[0].Deadline = true, 0 })},
		{name: "ended", in: ended()},
		{name: "no rotation", in: protocol.Rotation{}},
		{name: "all done but not ended: at once", in: allDone(), at: math.MinInt64, ok: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at, ok := Next(c.in)
			if at != c.at || ok != c.ok {
				t.Errorf("Next = %d, %v; want %d, %v", at, ok, c.at, c.ok)
			}
		})
	}
}

func TestDue(t *testing.T) {
	auto := func(r *protocol.Rotation) { r.Plan.Auto = true }
	cases := []struct {
		name string
		in   protocol.Rotation
		now  int64
		want protocol.Rotation
		acts []Action
	}{
		{name: "before the warning", in: mixed(), now: T0 + 29*minute - 1, want: mixed()},
		{
			name: "the warning, on time",
			in:   mixed(), now: T0 + 29*minute,
			want: mod(mixed(), warned0),
			acts: []Action{{Kind: KindWarn, Group: g1, Leg: 1, Station: sB, At: T0 + 29*minute}},
		},
		{
			name: "the warning, late",
			in:   mixed(), now: T0 + 30*minute - 1,
			want: mod(mixed(), warned0),
			acts: []Action{{Kind: KindWarn, Group: g1, Leg: 1, Station: sB, At: T0 + 29*minute}},
		},
		{name: "warned, before the deadline", in: mod(mixed(), warned0), now: T0 + 30*minute - 1, want: mod(mixed(), warned0)},
		{
			name: "deadline without Auto: due",
			in:   mod(mixed(), warned0), now: T0 + 30*minute,
			want: mod(mixed(), func(r *protocol.Rotation) { warned0(r); r.Tracks[0].Due, r.Tracks[0].Deadline = true, 0 }),
			acts: []Action{{Kind: KindDue, Group: g1, Leg: 1, Station: sB, At: T0 + 30*minute}},
		},
		{
			name: "deadline passed unwarned: no pointless warning",
			in:   mixed(), now: T0 + 2*hour,
			want: mod(mixed(), func(r *protocol.Rotation) { r.Tracks[0].Due, r.Tracks[0].Deadline = true, 0 }),
			acts: []Action{{Kind: KindDue, Group: g1, Leg: 1, Station: sB, At: T0 + 30*minute}},
		},
		{
			name: "deadline with Auto: the next leg counts from the deadline",
			in:   mod(mixed(), func(r *protocol.Rotation) { auto(r); warned0(r) }), now: T0 + 30*minute + 5*second,
			want: mod(mixed(), func(r *protocol.Rotation) {
				auto(r)
				r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Deadline = 2, sC, T0+45*minute
			}),
			acts: []Action{{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: T0 + 30*minute}},
		},
		{
			name: "Auto, late into the next leg's warning",
			in:   mod(mixed(), auto), now: T0 + 44*minute,
			want: mod(mixed(), func(r *protocol.Rotation) {
				auto(r)
				r.Tracks[0].Leg, r.Tracks[0].Station, r.Tracks[0].Deadline, r.Tracks[0].Warned = 2, sC, T0+45*minute, true
			}),
			acts: []Action{
				{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: T0 + 30*minute},
				{Kind: KindWarn, Group: g1, Leg: 2, Station: sC, At: T0 + 44*minute},
			},
		},
		{
			name: "Auto, past the last leg: done, and the rotation finishes when all are",
			in: mod(allDone(), func(r *protocol.Rotation) {
				auto(r)
				r.Tracks[0] = protocol.Track{Group: g1, First: 0, Leg: 1, Station: sB, Deadline: T0 + 30*minute}
				r.Tracks[2] = protocol.Track{Group: g3, First: 2, Leg: 2, Station: sB, Deadline: T0 + 31*minute, Warned: true}
			}),
			now:  T0 + 3*hour,
			want: mod(ended(), auto),
			acts: []Action{
				{Kind: KindAdvance, Group: g1, Leg: 2, Station: sC, At: T0 + 30*minute},
				{Kind: KindDone, Group: g1, Leg: 3, At: T0 + 45*minute},
				{Kind: KindDone, Group: g3, Leg: 3, At: T0 + 31*minute},
				{Kind: KindFinish, Leg: 3, At: T0 + 45*minute},
			},
		},
		{name: "held: nothing happens", in: heldMixed(), now: T0 + 3*hour, want: heldMixed()},
		{name: "ended: nothing happens", in: ended(), now: T0 + 3*hour, want: ended()},
		{name: "no rotation: nothing happens", in: protocol.Rotation{}, now: T0, want: protocol.Rotation{}},
		{
			name: "all done but not ended: finished now",
			in:   allDone(), now: T0 + hour,
			want: ended(),
			acts: []Action{{Kind: KindFinish, Leg: 3, At: T0 + hour}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := deepCopy(c.in)
			got, acts := Due(c.in, c.now)
			if !reflect.DeepEqual(c.in, before) {
				t.Errorf("input changed")
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("rotation:\n got %+v\nwant %+v", got, c.want)
			}
			if !slices.Equal(acts, c.acts) {
				t.Errorf("actions:\n got %+v\nwant %+v", acts, c.acts)
			}
			if shares(got, c.in) {
				t.Errorf("the result shares memory with the input")
			}
			if again, acts := Due(got, c.now); len(acts) != 0 || !reflect.DeepEqual(again, got) {
				t.Errorf("Due again at the same time: %+v", acts)
			}
		})
	}
}

func TestLeft(t *testing.T) {
	now := T0 + 20*minute
	cases := []struct {
		name string
		in   protocol.Track
		want int64
	}{
		{name: "running", in: protocol.Track{Deadline: now + 90*second}, want: 90 * second},
		{name: "running, at the deadline", in: protocol.Track{Deadline: now}, want: 0},
		{name: "running, past the deadline", in: protocol.Track{Deadline: now - second}, want: 0},
		{name: "paused", in: protocol.Track{Paused: true, Left: 4 * minute}, want: 4 * minute},
		{name: "held", in: protocol.Track{Held: true, Left: 3 * minute}, want: 3 * minute},
		{name: "paused and held", in: protocol.Track{Paused: true, Held: true, Left: 2 * minute}, want: 2 * minute},
		{name: "stopped with a negative Left from elsewhere", in: protocol.Track{Paused: true, Left: -5}, want: 0},
		{name: "due", in: protocol.Track{Due: true, Deadline: now + minute}, want: 0},
		{name: "done", in: protocol.Track{Done: true, Deadline: now + minute}, want: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Left(c.in, now); got != c.want {
				t.Errorf("Left = %d, want %d", got, c.want)
			}
		})
	}
}

// TestErrorsAreProtocolErrors pins the error type the room relies on to
// answer the teacher with a code.
func TestErrorsAreProtocolErrors(t *testing.T) {
	_, err := Pause(mixed(), g2, T0)
	pe, ok := err.(*protocol.Error)
	if !ok || pe.Code != protocol.CodeWrongState {
		t.Fatalf("err = %#v, want a *protocol.Error with code wrong_state", err)
	}
}
