package detect

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/mastery"
)

// Role is the part a simulated student plays.
type Role string

// Roles of the simulated class. Every role but RoleFine and RoleAchiever
// is a struggler: a student a teacher should be told about.
const (
	RoleFine      Role = "fine"          // learns as the model expects
	RoleAchiever  Role = "achiever"      // knows it all already (like Amelia)
	RolePrereqGap Role = "prereq_gap"    // a prerequisite unlearned, so cannot learn the skill (like Olivia)
	RoleSpinner   Role = "wheel_spinner" // never learns the skill, however long they practise
	RoleGamer     Role = "gamer"         // from some point, rapid guesses and hint clicking
	RoleIdle      Role = "idle"          // stops for a long while, then goes on
	RoleHand      Role = "hand"          // raises a hand for a few minutes
)

// Struggler reports whether r is a role a teacher should be told about.
func (r Role) Struggler() bool { return r != RoleFine && r != RoleAchiever }

// SimConfig describes a simulated class.
type SimConfig struct {
	Students   int   `json:"students"`    // in all
	Minutes    int   `json:"minutes"`     // length of the session
	Start      int64 `json:"start"`       // Unix ms the activity opens
	PrereqGaps int   `json:"prereq_gaps"` // students like Olivia
	Spinners   int   `json:"spinners"`
	Gamers     int   `json:"gamers"`
	Idlers     int   `json:"idlers"`
	Hands      int   `json:"hands"`
	Achievers  int   `json:"achievers"` // students like Amelia
	// Fine students know each skill of the lesson at the start with a
	// probability drawn from KnownAtStart and, not knowing it, learn it at
	// each problem with a probability drawn from LearnRate.
	KnownAtStart [2]float64 `json:"known_at_start"`
	LearnRate    [2]float64 `json:"learn_rate"`
}

// DefaultSimConfig is the class of docs/DETECTORS.md: 30 students for 45
// minutes, seven of them in trouble of one kind or another.
func DefaultSimConfig() SimConfig {
	return SimConfig{
		Students: 30, Minutes: 45, Start: 1_760_000_000_000,
		PrereqGaps: 2, Spinners: 1, Gamers: 1, Idlers: 1, Hands: 1, Achievers: 1,
		KnownAtStart: [2]float64{0.5, 0.8}, LearnRate: [2]float64{0.3, 0.5},
	}
}

// SimSkill is one skill of the simulated content bank, with the model
// parameters the tutor uses for it, which are also those the simulated
// students learn by.
type SimSkill struct {
	ID      protocol.SkillID   `json:"id"`
	Name    string             `json:"name"`
	Prereqs []protocol.SkillID `json:"prereqs,omitempty"`
	Params  mastery.Params     `json:"params"`
	Lesson  bool               `json:"lesson"` // practised in this session, in order; the others were learned before
}

// SimStudent is one simulated student.
type SimStudent struct {
	ID   protocol.StudentID `json:"id"`
	Name string             `json:"name"`
	Role Role               `json:"role"`
	// Onset is when a struggler's trouble began (the first attempt, the
	// first rushed action, the last action before going idle, the raised
	// hand); 0 for the others or if it never showed.
	Onset int64 `json:"onset,omitempty"`
	// Mastery is the estimates the room holds at the start, from earlier
	// sessions.
	Mastery map[protocol.SkillID]float64 `json:"mastery"`
}

// Event kinds of a trace, besides KindAttempt and KindHint.
const (
	KindHandUp   = "hand_up"
	KindHandDown = "hand_down"
)

// Event is one thing a simulated student did. For an attempt, the fields
// are those of an Attempt; for a hint, Item, Skill, Ms and ReadMs are
// those of its Action and First says it was the first action on its step.
type Event struct {
	At       int64            `json:"at"`
	Student  int              `json:"student"` // index in Trace.Students
	Kind     string           `json:"kind"`
	Item     protocol.ItemID  `json:"item,omitempty"`
	Skill    protocol.SkillID `json:"skill,omitempty"`
	Response string           `json:"response,omitempty"`
	Correct  bool             `json:"correct,omitempty"`
	First    bool             `json:"first,omitempty"`
	Hints    int              `json:"hints,omitempty"`
	Ms       int64            `json:"ms,omitempty"`
	ReadMs   int64            `json:"read_ms,omitempty"`
	// Known says whether the student really knew the skill when
	// answering: the simulator's ground truth, which no room has, kept
	// for the analysis of alerts.
	Known bool `json:"known,omitempty"`
}

// Trace is a simulated session: what a load tool needs to replay it
// against a room, and what Replay needs to run the detectors over it.
type Trace struct {
	Seed     uint64       `json:"seed"`
	Config   SimConfig    `json:"config"`
	End      int64        `json:"end"`
	Skills   []SimSkill   `json:"skills"`
	Students []SimStudent `json:"students"`
	Events   []Event      `json:"events"` // by time, then student
}

// Graph returns the trace's content bank as a Graph, each skill with a
// supplemental lesson of three problems.
func (tr Trace) Graph() StaticGraph {
	g := make(StaticGraph, len(tr.Skills))
	for _, sk := range tr.Skills {
		items := make([]protocol.ItemID, 3)
		for i := range items {
			items[i] = protocol.ItemID(fmt.Sprintf("%s.review-%d", sk.ID, i+1))
		}
		g[sk.ID] = Skill{
			Name: sk.Name, Prereqs: sk.Prereqs, Mastered: sk.Params.Mastered,
			Lesson: &protocol.Help{Skill: sk.ID, Title: "Review: " + sk.Name, Items: items},
		}
	}
	return g
}

func (tr Trace) params(id protocol.SkillID) mastery.Params {
	for _, sk := range tr.Skills {
		if sk.ID == id {
			return sk.Params
		}
	}
	return mastery.Default
}

// simNames are the names of the simulated students but the first
// prerequisite-gap student, Olivia, and the first achiever, Amelia.
var simNames = []string{
	"Noah", "Liam", "Emma", "Ava", "Mia", "Lucas", "Ethan", "Zoe", "Isla", "Leo",
	"Maya", "Omar", "Priya", "Sam", "Chloe", "Ben", "Nina", "Jonah", "Aisha", "Theo",
	"Ruby", "Kai", "Lena", "Max", "Hana", "Eli", "Sofia", "Yusuf",
}

// Simulate generates a session of a class as cfg describes, the same for
// the same cfg and seed.
//
// The content is a chain of five skills: two learned in earlier sessions
// (every student but the prerequisite-gap ones holds high estimates for
// them) and three practised now, each the prerequisite of the next. Each
// skill's model parameters are drawn per seed in the ranges usually
// fitted (L0 0.3–0.6, T 0.15–0.3, G 0.15–0.25, S 0.05–0.12) and the tutor
// uses them. Students are served problems of the first skill of the
// lesson they have not mastered (P(L) ≥ 0.95), and of the last one once
// all are.
//
// A problem takes 20 to 60 s to a first answer; a wrong answer is tried
// again (8 to 20 s) with a chance of 0.8, up to three tries, sometimes
// after a hint. A student who knows the skill answers right unless they
// slip (S); one who does not guesses right with G on a first try and 1 in
// 3 on a retry, and may learn the skill at each problem. The roles:
//
//   - fine: knows each skill of the lesson at the start, or learns it, as
//     cfg.KnownAtStart and cfg.LearnRate say;
//   - achiever: knows every skill, slips 1 time in 20, answers in 20–35 s;
//   - prereq_gap: never learned the skill before the lesson (its estimate
//     is 0.1–0.35), so cannot learn any skill of the lesson;
//   - wheel_spinner: background sound, but never learns the lesson's
//     skills;
//   - gamer: works as a fine student until a moment in minutes 5–15, then
//     guesses in 1.5–5 s, retries in 1–2.5 s and clicks hints in 0.5–2 s;
//   - idle: as a fine student, but stops for 8–12 minutes once, at a
//     moment in minutes 8–25;
//   - hand: as a fine student, but raises a hand at a moment in minutes
//     5–30 and keeps it up for 2–5 minutes, doing nothing meanwhile.
func Simulate(cfg SimConfig, seed uint64) Trace {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	tr := Trace{Seed: seed, Config: cfg, End: cfg.Start + int64(cfg.Minutes)*60_000}
	draw := func() mastery.Params {
		return mastery.Params{
			L0: uniform(r, 0.3, 0.6), T: uniform(r, 0.15, 0.3),
			G: uniform(r, 0.15, 0.25), S: uniform(r, 0.05, 0.12), Mastered: 0.95,
		}
	}
	tr.Skills = []SimSkill{
		{ID: "num.multiply", Name: "Multiplying whole numbers", Params: draw()},
		{ID: "frac.equivalent", Name: "Equivalent fractions", Prereqs: []protocol.SkillID{"num.multiply"}, Params: draw()},
		{ID: "frac.add", Name: "Adding fractions", Prereqs: []protocol.SkillID{"frac.equivalent"}, Params: draw(), Lesson: true},
		{ID: "frac.mixed", Name: "Adding mixed numbers", Prereqs: []protocol.SkillID{"frac.add"}, Params: draw(), Lesson: true},
		{ID: "frac.word", Name: "Fraction word problems", Prereqs: []protocol.SkillID{"frac.mixed"}, Params: draw(), Lesson: true},
	}
	roles := make([]Role, 0, cfg.Students)
	for _, n := range []struct {
		role Role
		n    int
	}{{RolePrereqGap, cfg.PrereqGaps}, {RoleAchiever, cfg.Achievers}, {RoleSpinner, cfg.Spinners},
		{RoleGamer, cfg.Gamers}, {RoleIdle, cfg.Idlers}, {RoleHand, cfg.Hands}} {
		for range n.n {
			roles = append(roles, n.role)
		}
	}
	for len(roles) < cfg.Students {
		roles = append(roles, RoleFine)
	}
	roles = roles[:max(cfg.Students, 0)]
	next, olivia, amelia := 0, false, false
	for i, role := range roles {
		var name string
		switch {
		case role == RolePrereqGap && !olivia:
			name, olivia = "Olivia", true
		case role == RoleAchiever && !amelia:
			name, amelia = "Amelia", true
		default:
			name = simNames[next%len(simNames)]
			if next >= len(simNames) {
				name = fmt.Sprintf("%s %d", name, next/len(simNames)+1)
			}
			next++
		}
		sim := &simStudent{
			tr: &tr, idx: i, role: role,
			r:     rand.New(rand.NewPCG(seed, uint64(i)+1)),
			known: map[protocol.SkillID]bool{},
			learn: map[protocol.SkillID]float64{},
			est:   map[protocol.SkillID]float64{},
		}
		st := SimStudent{ID: protocol.StudentID(fmt.Sprintf("s%02d", i+1)), Name: name, Role: role}
		st.Onset = sim.run()
		st.Mastery = sim.start
		tr.Students = append(tr.Students, st)
	}
	// A problem begun just before the end may run past it: the session
	// is over by then.
	tr.Events = slices.DeleteFunc(tr.Events, func(e Event) bool { return e.At > tr.End })
	slices.SortStableFunc(tr.Events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Student, b.Student))
	})
	return tr
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// ms draws a duration in milliseconds between lo and hi seconds.
func ms(r *rand.Rand, lo, hi float64) int64 { return int64(uniform(r, lo, hi) * 1000) }

// simStudent generates one student's events.
type simStudent struct {
	tr    *Trace
	idx   int
	role  Role
	r     *rand.Rand
	learn map[protocol.SkillID]float64 // the student's chance to learn each skill at a problem
	known map[protocol.SkillID]bool    // what the student really knows
	est   map[protocol.SkillID]float64 // the tutor's estimates
	start map[protocol.SkillID]float64 // the estimates at the start
	seen  map[protocol.SkillID]int     // problems served per skill
	t     int64
	last  int64 // when the student last did anything
	onset int64
	mark  bool // the next event is the onset, if none is set yet
}

func (s *simStudent) emit(e Event) {
	e.Student = s.idx
	if e.At == 0 {
		e.At = s.t
	}
	if s.mark && s.onset == 0 {
		s.onset = e.At
	}
	s.last = e.At
	s.tr.Events = append(s.tr.Events, e)
}

// run generates the session and returns the onset of the trouble.
func (s *simStudent) run() int64 {
	r, tr := s.r, s.tr
	s.seen = map[protocol.SkillID]int{}
	var lesson []protocol.SkillID
	for _, sk := range tr.Skills {
		if !sk.Lesson {
			// Learned before: known, with a high estimate from the
			// sessions it was practised in.
			s.known[sk.ID] = true
			s.est[sk.ID] = uniform(r, 0.85, 0.99)
			continue
		}
		lesson = append(lesson, sk.ID)
		cfg := tr.Config
		s.known[sk.ID] = s.role == RoleAchiever || r.Float64() < uniform(r, cfg.KnownAtStart[0], cfg.KnownAtStart[1])
		s.learn[sk.ID] = uniform(r, cfg.LearnRate[0], cfg.LearnRate[1])
	}
	if s.role == RolePrereqGap {
		// The skill just before the lesson was never learned, and the
		// estimates show it.
		s.known["frac.equivalent"] = false
		s.est["frac.equivalent"] = uniform(r, 0.1, 0.35)
	}
	s.start = make(map[protocol.SkillID]float64, len(s.est))
	for k, v := range s.est {
		s.start[k] = v
	}
	var idleAt, handAt, gameAt int64 = -1, -1, -1
	switch s.role {
	case RoleIdle:
		idleAt = tr.Config.Start + ms(r, 8*60, 25*60)
	case RoleHand:
		handAt = tr.Config.Start + ms(r, 5*60, 30*60)
	case RoleGamer:
		gameAt = tr.Config.Start + ms(r, 5*60, 15*60)
	}
	s.t = tr.Config.Start + ms(r, 5, 60)
	for s.t < tr.End {
		switch {
		case idleAt >= 0 && s.t >= idleAt:
			s.onset, idleAt = s.last, -1
			s.t += ms(r, 8*60, 12*60)
			continue
		case handAt >= 0 && s.t >= handAt:
			s.onset, handAt = s.t, -1
			s.emit(Event{Kind: KindHandUp})
			s.t += ms(r, 2*60, 5*60)
			s.emit(Event{Kind: KindHandDown})
			s.t += ms(r, 2, 10)
			continue
		}
		skill := lesson[len(lesson)-1]
		for _, sk := range lesson {
			if !tr.params(sk).IsMastered(s.estimate(sk)) {
				skill = sk
				break
			}
		}
		s.item(skill, gameAt >= 0 && s.t >= gameAt)
		s.t += ms(r, 2, 6)
	}
	// Onsets that come from the first attempt or rushed action are set in
	// item; a trouble that never showed has none.
	return s.onset
}

func (s *simStudent) estimate(sk protocol.SkillID) float64 {
	if p, ok := s.est[sk]; ok {
		return p
	}
	return s.tr.params(sk).L0
}

// canLearn reports whether the student can learn sk at all.
func (s *simStudent) canLearn(sk protocol.SkillID) bool {
	switch s.role {
	case RoleSpinner:
		return false
	case RolePrereqGap:
		return s.known["frac.equivalent"]
	}
	return true
}

// item generates the events of one problem: perhaps a hint first, then
// up to three attempts, with hints between them.
func (s *simStudent) item(sk protocol.SkillID, gaming bool) {
	r, p := s.r, s.tr.params(sk)
	s.seen[sk]++
	n := s.seen[sk]
	id := protocol.ItemID(fmt.Sprintf("%s-%02d", sk, (n-1)%40+1))
	// A deliberate read of a problem takes 6 to 12 s, of feedback or a
	// hint 3 s.
	readItem := int64(6000 + 1000*((n*5)%7))
	const readShort = 3000
	answer := "ABCD"[n%4 : n%4+1]
	knows := func() bool { return s.known[sk] && s.canLearn(sk) }
	struggler := s.role == RolePrereqGap || s.role == RoleSpinner
	s.mark = struggler || gaming
	hints, first, read := 0, true, readItem
	hint := func(fast bool) {
		d := ms(r, 5, 15)
		if fast {
			d = ms(r, 0.5, 2)
		}
		s.t += d
		s.emit(Event{Kind: KindHint, Item: id, Skill: sk, First: first, Ms: d, ReadMs: read})
		if first {
			s.est[sk] = p.Update(s.estimate(sk), false)
		}
		hints++
		first, read = false, readShort
	}
	pHint := 0.0
	switch {
	case gaming:
		pHint = 0.5
	case struggler:
		pHint = 0.25
	case !knows():
		pHint = 0.1
	}
	if r.Float64() < pHint {
		hint(gaming)
	}
	for try := 1; try <= 3; try++ {
		var d int64
		switch {
		case gaming && try == 1:
			d = ms(r, 1.5, 5)
		case gaming:
			d = ms(r, 1, 2.5)
		case try == 1 && s.role == RoleAchiever:
			d = ms(r, 20, 35)
		case try == 1:
			d = ms(r, 20, 60)
		default:
			d = ms(r, 8, 20)
		}
		if try == 1 && hints > 0 {
			d = max(d/2, readShort)
		}
		s.t += d
		var right bool
		known := knows()
		switch {
		case gaming:
			right = r.Float64() < p.G
		case known && s.role == RoleAchiever:
			right = r.Float64() < 0.95
		case known:
			right = r.Float64() < 1-p.S
		case try == 1:
			right = r.Float64() < p.G
		default:
			right = r.Float64() < 0.33
		}
		resp := answer
		if !right {
			resp = "ABCD"[(n+try)%4 : (n+try)%4+1]
			if resp == answer {
				resp = "ABCD"[(n+try+1)%4 : (n+try+1)%4+1]
			}
		}
		s.emit(Event{Kind: KindAttempt, Item: id, Skill: sk, Response: resp, Correct: right,
			First: first, Hints: hints, Ms: d, ReadMs: read, Known: known})
		if try == 1 {
			if hints == 0 {
				s.est[sk] = p.Update(s.estimate(sk), right)
			}
			// The opportunity to learn, as the model has it.
			if !s.known[sk] && s.canLearn(sk) && r.Float64() < s.learn[sk] {
				s.known[sk] = true
			}
		}
		first, read = false, readShort
		if right || s.t >= s.tr.End {
			return
		}
		retry := 0.8
		if gaming {
			retry = 1
		}
		if r.Float64() >= retry {
			return
		}
		if r.Float64() < pHint*2 {
			hint(gaming)
		}
	}
}
