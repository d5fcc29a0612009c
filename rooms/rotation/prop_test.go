package rotation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// check fails t unless r is a rotation the package could have made: the
// track states of the package comment, a class hold that is all or
// nothing, and Ended exactly when every track is done.
func check(t *testing.T, r protocol.Rotation, now int64) {
	t.Helper()
	n := len(r.Plan.Legs)
	all, held, free := true, 0, 0
	for i, tr := range r.Tracks {
		if tr.Left < 0 || Left(tr, now) < 0 {
			t.Errorf("track %d: negative time left: %+v", i, tr)
		}
		if r.Plan.WarnMs == 0 && tr.Warned {
			t.Errorf("track %d: warned without warnings: %+v", i, tr)
		}
		if tr.Done {
			if tr != (protocol.Track{Group: tr.Group, First: tr.First, Leg: n, Done: true}) {
				t.Errorf("track %d: done but not cleared: %+v", i, tr)
			}
			continue
		}
		all = false
		if tr.Held {
			held++
		} else {
			free++
		}
		if tr.Leg < 0 || tr.Leg >= n {
			t.Errorf("track %d: leg %d out of 0..%d: %+v", i, tr.Leg, n-1, tr)
			continue
		}
		if want := r.Plan.Stations[(tr.First+tr.Leg)%len(r.Plan.Stations)]; tr.Station != want {
			t.Errorf("track %d: station %q, want %q: %+v", i, tr.Station, want, tr)
		}
		if running(tr) {
			if tr.Deadline <= 0 || tr.Left != 0 {
				t.Errorf("track %d: running without a deadline: %+v", i, tr)
			}
		} else if tr.Deadline != 0 {
			t.Errorf("track %d: a deadline while not running: %+v", i, tr)
		}
		if tr.Due && (tr.Paused || tr.Left != 0) {
			t.Errorf("track %d: due and paused or with time left: %+v", i, tr)
		}
	}
	if held > 0 && free > 0 {
		t.Errorf("%d tracks held and %d not: the class hold is all or nothing", held, free)
	}
	if r.Ended != (all && len(r.Tracks) > 0) {
		t.Errorf("Ended = %v with every track done = %v", r.Ended, all)
	}
}

// checkNext checks the promise the room's single timer rests on: before
// Next nothing happens, at Next something does, and with nothing pending
// nothing ever happens.
func checkNext(t *testing.T, r protocol.Rotation, now int64) {
	t.Helper()
	at, ok := Next(r)
	if !ok {
		for _, when := range []int64{now, now + 10*hour, maxTime} {
			if got, acts := Due(r, when); len(acts) != 0 || !reflect.DeepEqual(got, r) {
				t.Fatalf("Next says nothing is pending, but Due at %d gave %+v", when, acts)
			}
		}
		return
	}
	if at != math.MinInt64 {
		if got, acts := Due(r, at-1); len(acts) != 0 || !reflect.DeepEqual(got, r) {
			t.Fatalf("Due just before Next (%d) gave %+v", at, acts)
		}
	}
	if _, acts := Due(r, at); len(acts) == 0 {
		t.Fatalf("Due at Next (%d) did nothing for %+v", at, r)
	}
}

// driver plays operations on a rotation and checks every result.
type driver struct {
	t      *testing.T
	plan   protocol.RotationPlan
	groups []protocol.GroupID
	r      protocol.Rotation
	now    int64 // the time of the latest call; times never go back
	seen   map[Action]bool
}

// call applies one operation at d.now and checks the result against the
// rotation it was given.
func (d *driver) call(name string, f func(protocol.Rotation) (protocol.Rotation, []Action, error)) {
	t := d.t
	t.Helper()
	in := d.r
	before := deepCopy(in)
	out, acts, err := f(in)
	if !reflect.DeepEqual(in, before) {
		t.Fatalf("%s changed its input:\n got %+v\nwant %+v", name, in, before)
	}
	if err != nil {
		switch code := codeOf(t, err); code {
		case protocol.CodeInvalid, protocol.CodeNotFound, protocol.CodeWrongState:
		default:
			t.Fatalf("%s: unexpected code %q", name, code)
		}
		if !reflect.DeepEqual(out, protocol.Rotation{}) || acts != nil {
			t.Fatalf("%s failed but returned %+v, %+v", name, out, acts)
		}
		return
	}
	if shares(out, in) {
		t.Fatalf("%s: the result shares memory with its input", name)
	}
	if !reflect.DeepEqual(out.Plan, d.plan) || out.Started != in.Started || len(out.Tracks) != len(in.Tracks) {
		t.Fatalf("%s changed the plan, the start or the tracks: %+v", name, out)
	}
	check(t, out, d.now)
	moves := map[protocol.GroupID]int{}
	for _, a := range acts {
		if d.seen[a] {
			t.Fatalf("%s: %+v happened twice", name, a)
		}
		d.seen[a] = true
		if a.At > d.now {
			t.Fatalf("%s at %d: %+v is in the future", name, d.now, a)
		}
		if a.Kind == KindAdvance || a.Kind == KindDone {
			moves[a.Group]++
		}
	}
	for i := range out.Tracks {
		g, was, is := in.Tracks[i].Group, in.Tracks[i].Leg, out.Tracks[i].Leg
		if out.Tracks[i].Group != g {
			t.Fatalf("%s: track %d changed group", name, i)
		}
		if is < was {
			t.Fatalf("%s: track %d went back from leg %d to %d", name, i, was, is)
		}
		if name != "End" && is-was != moves[g] {
			t.Fatalf("%s: track %d moved %d legs with %d actions", name, i, is-was, moves[g])
		}
	}
	if name == "Due" {
		if again, acts := Due(out, d.now); len(acts) != 0 || !reflect.DeepEqual(again, out) {
			t.Fatalf("Due again at %d gave %+v", d.now, acts)
		}
	}
	checkNext(t, out, d.now)
	d.r = out
}

// group applies an operation on one group, or on every group when g is
// "". The latter must come to the same as the operation on each group in
// turn, skipping the groups it refuses, and fail when it refuses them all.
func (d *driver) group(name string, g protocol.GroupID, f func(protocol.Rotation, protocol.GroupID) (protocol.Rotation, []Action, error)) {
	t := d.t
	t.Helper()
	if g != "" {
		d.call(name, func(r protocol.Rotation) (protocol.Rotation, []Action, error) { return f(r, g) })
		return
	}
	want, wantActs, some := d.r, []Action(nil), false
	for _, tr := range d.r.Tracks {
		if out, acts, err := f(want, tr.Group); err == nil {
			want, wantActs, some = out, append(wantActs, acts...), true
		}
	}
	var gotActs []Action
	d.call(name, func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, acts, err := f(r, "")
		if (err == nil) != some {
			t.Fatalf("%s on every group: error %v, but one group at a time some = %v", name, err, some)
		}
		gotActs = acts
		return out, acts, err
	})
	if some && (!reflect.DeepEqual(d.r, want) || !slices.Equal(gotActs, wantActs)) {
		t.Fatalf("%s on every group:\n got %+v %+v\nwant %+v %+v", name, d.r, gotActs, want, wantActs)
	}
}

func (d *driver) due(at int64) {
	d.now = max(d.now, at)
	d.call("Due", func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
		out, acts := Due(r, d.now)
		return out, acts, nil
	})
}

func (d *driver) start() {
	r, err := Start(d.plan, d.groups, d.now)
	if err != nil {
		d.t.Fatalf("Start(%+v): %v", d.plan, err)
	}
	check(d.t, r, d.now)
	checkNext(d.t, r, d.now)
	d.r, d.seen = r, map[Action]bool{}
}

// Time steps and extensions the bytes choose from: the edges of the limits
// and the usual lengths of a class.
var (
	steps   = []int64{0, 1, 999, second, 7 * second, minute, 5 * minute, 20 * minute, 2 * hour, 9 * hour}
	extends = []int64{0, minExtend - 1, minExtend, 30 * second, 5 * minute, maxExtend, maxExtend + 1, -minute}
)

// runOps starts a rotation described by the first bytes of data and plays
// the operations the rest describes, three bytes each.
func runOps(t *testing.T, data []byte) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	d := &driver{t: t, now: T0}
	nst, nlegs, ngroups, flags := 1+int(next()%5), 1+int(next()%6), 1+int(next()%6), next()
	for i := range nst {
		d.plan.Stations = append(d.plan.Stations, protocol.StationID(fmt.Sprint("s", i)))
	}
	for range nlegs {
		d.plan.Legs = append(d.plan.Legs, minLeg*(1+int64(next()%60)))
	}
	d.plan.Auto = flags&1 != 0
	switch (flags >> 1) % 4 {
	case 1:
		d.plan.WarnMs = minWarn
	case 2:
		d.plan.WarnMs = minLeg
	case 3:
		d.plan.WarnMs = slices.Min(d.plan.Legs)
	}
	for i := range ngroups {
		d.groups = append(d.groups, protocol.GroupID(fmt.Sprint("g", i)))
	}
	d.start()

	for n := 0; len(data) > 0 && n < 1000; n++ {
		op, b, c := next()%11, next(), next()
		g := gX
		if i := int(b) % (ngroups + 2); i < ngroups {
			g = d.groups[i]
		} else if i == ngroups {
			g = ""
		}
		ms := extends[int(b/8)%len(extends)]
		d.now += steps[int(c)%len(steps)]
		now := d.now
		pause := func(r protocol.Rotation, g protocol.GroupID) (protocol.Rotation, []Action, error) {
			out, err := Pause(r, g, now)
			return out, nil, err
		}
		resume := func(r protocol.Rotation, g protocol.GroupID) (protocol.Rotation, []Action, error) {
			out, err := Resume(r, g, now)
			return out, nil, err
		}
		extend := func(r protocol.Rotation, g protocol.GroupID) (protocol.Rotation, []Action, error) {
			out, err := Extend(r, g, ms, now)
			return out, nil, err
		}
		advance := func(r protocol.Rotation, g protocol.GroupID) (protocol.Rotation, []Action, error) {
			return Advance(r, g, now)
		}
		switch op {
		case 0:
			d.group("Pause", g, pause)
		case 1:
			d.group("Resume", g, resume)
		case 2:
			d.group("Extend", g, extend)
		case 3:
			d.group("Advance", g, advance)
		case 4:
			d.call("Hold", func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
				out, err := Hold(r, now)
				return out, nil, err
			})
		case 5:
			d.call("Release", func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
				out, err := Release(r, now)
				return out, nil, err
			})
		case 6:
			// A late call: whatever came due since is found now.
			d.due(now)
		case 7:
			// The room's timer, on time: fire at Next until it is past now.
			for range 200 {
				at, ok := Next(d.r)
				if !ok || at > now {
					break
				}
				d.due(at)
			}
		case 8:
			switch {
			case d.r.Ended:
				d.start()
			case b%4 == 0:
				d.call("End", func(r protocol.Rotation) (protocol.Rotation, []Action, error) {
					out, err := End(r, now)
					return out, nil, err
				})
			default:
				d.due(now)
			}
		case 9:
			// Straight to the next thing the timer would do.
			if at, ok := Next(d.r); ok {
				d.due(at)
			}
		case 10:
			// A clock gone wrong is refused whatever the operation.
			for _, bad := range []int64{0, -now, maxTime + 1} {
				if _, err := Pause(d.r, g, bad); codeOf(t, err) != protocol.CodeInvalid {
					t.Fatalf("Pause at %d: %v, want invalid", bad, err)
				}
				if _, _, err := Advance(d.r, g, bad); codeOf(t, err) != protocol.CodeInvalid {
					t.Fatalf("Advance at %d: %v, want invalid", bad, err)
				}
			}
		}
	}
}

// TestProperties plays long random sequences of operations at random
// increasing times. The seeds are fixed so that a failure can be replayed.
func TestProperties(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
			data := make([]byte, 3000)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			runOps(t, data)
		})
	}
}

// FuzzOps plays the operations the fuzzer's bytes describe (see runOps)
// and checks the same invariants as TestProperties.
func FuzzOps(f *testing.F) {
	f.Add([]byte{})
	// Four stations and legs, four groups, Auto with warnings; then the
	// timer only.
	f.Add([]byte{3, 3, 3, 7, 10, 20, 30, 40, 7, 0, 6, 7, 0, 6, 7, 0, 8, 7, 0, 8})
	// Teacher-driven: hold, pause one group, release, extend, advance all.
	f.Add([]byte{2, 2, 2, 4, 5, 5, 5, 4, 0, 3, 0, 0, 1, 5, 0, 5, 9, 0, 2, 40, 3, 3, 3, 4, 8, 0, 7})
	// A long outage then an end and a fresh start.
	f.Add([]byte{1, 5, 1, 3, 1, 1, 1, 1, 1, 1, 6, 0, 9, 8, 0, 1, 8, 0, 1, 7, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4000 {
			data = data[:4000]
		}
		runOps(t, data)
	})
}
