package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
)

const (
	demoTitle  = "Demo: Year 5 fractions"
	demoBankID = "fractions-5"
	demoLeg    = 20 * time.Second
)

// The sets the demo's students work through, one after the other.
var demoSets = []string{"frac-equivalence", "frac-operations", "frac-path"}

// demoRole is how a simulated student behaves: the people of the design
// stories, and a class of ordinary students around them.
type demoRole int

const (
	roleOrdinary  demoRole = iota // learns as they go, now and then asks for a hint
	rolePrereqGap                 // like Olivia: an earlier skill slipped; wrong first time on everything
	roleAchiever                  // like Amelia: right every time, takes the challenge
	roleIdle                      // answers twice, then does nothing for three minutes
	roleHints                     // clicks through every hint to the answer, fast
	roleHand                      // ordinary, and raises a hand with a question for a while
)

var demoRoster = []struct {
	name string
	role demoRole
}{
	{"Olivia", rolePrereqGap}, {"Amelia", roleAchiever}, {"Noah", roleIdle}, {"Kai", roleHints}, {"Mason", roleHand},
	{"Ava", roleOrdinary}, {"Ben", roleOrdinary}, {"Chloe", roleOrdinary}, {"Diego", roleOrdinary}, {"Emma", roleOrdinary},
	{"Finn", roleOrdinary}, {"Grace", roleOrdinary}, {"Hugo", roleOrdinary}, {"Isla", roleOrdinary}, {"Jack", roleOrdinary},
	{"Leah", roleOrdinary}, {"Liam", roleOrdinary}, {"Maya", roleOrdinary}, {"Omar", roleOrdinary}, {"Priya", roleOrdinary},
	{"Ruby", roleOrdinary}, {"Sam", roleOrdinary}, {"Theo", roleOrdinary}, {"Zara", roleOrdinary},
}

// demoClass is the simulated class: a teacher's connection that runs the
// rotation and regroups, and a connection per student, all over real
// WebSockets to the demo's own server.
type demoClass struct {
	url, email, password string
	log                  *slog.Logger

	bank     *content.Bank
	token    string
	room     protocol.RoomID
	code     string
	teacher  *demoConn
	stations []protocol.StationID
	students []*demoStudent
	finished chan protocol.StudentID // students at the end of their set
	over     chan struct{}           // the rotation ended
}

// run opens the class and keeps it going until ctx ends. setup gets
// the outcome of opening it.
func (d *demoClass) run(ctx context.Context, setup chan<- error) {
	err := d.open(ctx)
	setup <- err
	if err != nil {
		d.close()
		return
	}
	var wg sync.WaitGroup
	for _, s := range d.students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx)
		}()
	}
	d.steer(ctx)
	wg.Wait()
	d.close()
}

func (d *demoClass) close() {
	if d.teacher != nil {
		d.teacher.close()
	}
	for _, s := range d.students {
		if s.conn != nil {
			s.conn.close()
		}
	}
}

func (d *demoClass) open(ctx context.Context) error {
	for _, b := range content.Demo() {
		if b.ID == demoBankID {
			d.bank = b
		}
	}
	if d.bank == nil {
		return fmt.Errorf("no demo bank %s", demoBankID)
	}
	d.finished = make(chan protocol.StudentID, len(demoRoster))
	d.over = make(chan struct{}, 1)
	var login struct{ Token string }
	if err := postJSON(ctx, d.url+"/api/v1/login", "", map[string]string{"email": d.email, "password": d.password}, &login); err != nil {
		return err
	}
	d.token = login.Token
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	if err := postJSON(ctx, d.url+"/api/v1/rooms", d.token, map[string]string{"title": demoTitle}, &r); err != nil {
		return err
	}
	d.room, d.code = r.ID, r.Code
	t, _, err := dialDemo(ctx, d.url, d.token, d.room, d.event)
	if err != nil {
		return err
	}
	d.teacher = t
	// Idle flags come after 30 s and act now after 90, not 2 and 5
	// minutes: a demo is watched for a few minutes.
	if _, err := t.call(ctx, protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"idle_watch_ms":30000,"idle_act_now_ms":90000}`)}); err != nil {
		return err
	}
	for _, st := range []protocol.Station{
		{Name: "Small group with me", Kind: protocol.StationTeacherLed},
		{Name: "Laptops", Kind: protocol.StationOnline, Activity: &protocol.Activity{Title: "Fractions practice", Text: "Work through the set on your device."}},
		{Name: "Puzzle table", Kind: protocol.StationCollab, Activity: &protocol.Activity{Title: "Fraction dominoes", Text: "Match each fraction with an equivalent one."}},
	} {
		raw, err := t.call(ctx, protocol.MsgPutStation, protocol.PutStation{Station: st})
		if err != nil {
			return err
		}
		var res struct{ Station protocol.StationID }
		if err := json.Unmarshal(raw, &res); err != nil {
			return fmt.Errorf("put_station: %w", err)
		}
		d.stations = append(d.stations, res.Station)
	}
	for i, p := range demoRoster {
		var j struct {
			Token   string
			Student protocol.StudentID
		}
		if err := postJSON(ctx, d.url+"/api/v1/join", "", map[string]string{"code": d.code, "name": p.name}, &j); err != nil {
			return err
		}
		s := &demoStudent{cls: d, name: p.name, role: p.role, id: j.Student, assigned: make(chan struct{}, 1),
			rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
		// Most of a class gets some wrong: a few do well, a few struggle
		// now and then, and all slowly get better.
		s.skill = 0.5 + 0.2*s.rng.Float64()
		c, _, err := dialDemo(ctx, d.url, j.Token, "", s.event)
		if err != nil {
			return err
		}
		s.conn = c
		d.students = append(d.students, s)
	}
	_, err = t.call(ctx, protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: demoBankID, Set: demoSets[0]}})
	return err
}

// event follows the teacher's events: only the end of a rotation matters
// to the demo.
func (d *demoClass) event(f protocol.ServerFrame) {
	if f.Event != protocol.EvRotation {
		return
	}
	var ev struct{ Rotation *protocol.Rotation }
	if json.Unmarshal(f.Data, &ev) == nil && ev.Rotation != nil && ev.Rotation.Ended {
		select {
		case d.over <- struct{}{}:
		default:
		}
	}
}

// Names for the groups, three a round.
var demoGroupNames = [][]string{{"Otters", "Herons", "Foxes"}, {"Comets", "Rockets", "Planets"}, {"Maples", "Cedars", "Willows"}}

// steer is the demo's teacher: groups, a rotation through the three
// stations, new groups when it ends, and the next set for each student
// who finishes one. The newcomer at the console may do anything
// meanwhile; what the demo tries and cannot do, it tries next round.
func (d *demoClass) steer(ctx context.Context) {
	next := map[protocol.StudentID]int{}
	// wait waits for the rotation's end (or for d), giving students who
	// finished their set the next one meanwhile.
	wait := func(dur time.Duration, untilOver bool) bool {
		timer := time.NewTimer(dur)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return false
			case <-timer.C:
				return true
			case <-d.over:
				if untilOver {
					return true
				}
			case sid := <-d.finished:
				_, err := d.teacher.call(ctx, protocol.MsgAssignPractice, protocol.AssignPractice{
					Set: protocol.SetRef{Bank: demoBankID, Set: demoSets[(next[sid]+1)%len(demoSets)]}, To: protocol.Target{Student: sid},
				})
				var perr *protocol.Error
				switch {
				case err == nil:
					next[sid] = (next[sid] + 1) % len(demoSets)
				case errors.As(err, &perr) && perr.Code == protocol.CodeRateLimited:
					// Many finish at once, and a teacher's commands are
					// limited too: this one again in a moment.
					time.AfterFunc(time.Second+time.Duration(rand.N(2000))*time.Millisecond, func() {
						select {
						case d.finished <- sid:
						default:
						}
					})
				case ctx.Err() == nil:
					d.log.Warn("demo: the next set", "err", err)
				}
			}
		}
	}
	for round := 0; ctx.Err() == nil; round++ {
		if err := d.regroup(ctx, round); err != nil && ctx.Err() == nil {
			d.log.Warn("demo: regrouping", "err", err)
		}
		legs := make([]int64, len(d.stations))
		for i := range legs {
			legs[i] = demoLeg.Milliseconds()
		}
		plan := protocol.RotationPlan{Stations: d.stations, Legs: legs, WarnMs: 5000, Auto: true}
		if _, err := d.teacher.call(ctx, protocol.MsgStartRotation, protocol.StartRotation{Plan: plan}); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("demo: starting the rotation", "err", err)
			}
		}
		// Drop an end seen before this rotation started.
		select {
		case <-d.over:
		default:
		}
		// The rotation takes a minute; a newcomer's own changes may make
		// it longer, so wait for its end, or at most five minutes.
		if !wait(5*time.Minute, true) || !wait(4*time.Second, false) {
			return
		}
	}
}

// regroup proposes groups of the class, avoiding pairs that worked
// together before, names them and applies them.
func (d *demoClass) regroup(ctx context.Context, round int) error {
	raw, err := d.teacher.call(ctx, protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{
		Method: protocol.GroupRandom, Count: 3, AvoidRecent: round > 0,
	}})
	if err != nil {
		return err
	}
	var p protocol.Proposal
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("proposal: %w", err)
	}
	names := demoGroupNames[round%len(demoGroupNames)]
	for i := range p.Groups {
		p.Groups[i].Reason = "" // the server's, said again when it applies them
		if i < len(names) {
			p.Groups[i].Name = names[i]
		}
	}
	_, err = d.teacher.call(ctx, protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID, Groups: p.Groups})
	return err
}

// demoStudent is one simulated student on their own connection.
type demoStudent struct {
	cls      *demoClass
	name     string
	role     demoRole
	id       protocol.StudentID
	conn     *demoConn
	rng      *rand.Rand
	skill    float64 // the chance of a right answer, growing with practice
	paused   atomic.Bool
	helped   atomic.Bool
	assigned chan struct{} // a set (or help) came
	answers  int
	hand     int // 0 before the hand went up, 1 up, 2 down again
	began    time.Time
}

func (s *demoStudent) event(f protocol.ServerFrame) {
	switch f.Event {
	case protocol.EvClassPaused:
		var p protocol.ClassPaused
		if json.Unmarshal(f.Data, &p) == nil {
			s.paused.Store(p.Paused)
		}
	case protocol.EvHelpSent:
		var h protocol.HelpSent
		if json.Unmarshal(f.Data, &h) == nil && h.Student == s.id {
			s.helped.Store(true)
			s.signal()
		}
	case protocol.EvPractice:
		s.signal()
	}
}

func (s *demoStudent) signal() {
	select {
	case s.assigned <- struct{}{}:
	default:
	}
}

// sleep waits d, less while the class is paused; false once ctx ends.
func (s *demoStudent) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.conn.done:
		return false
	case <-t.C:
	}
	for s.paused.Load() {
		t.Reset(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			return false
		case <-s.conn.done:
			return false
		case <-t.C:
		}
	}
	return true
}

// waitSet waits for a set (or help) to come, or d.
func (s *demoStudent) waitSet(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.conn.done:
		return false
	case <-s.assigned:
	case <-t.C:
	}
	return true
}

func (s *demoStudent) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

func (s *demoStudent) run(ctx context.Context) {
	s.began = time.Now()
	// Not all at once: a class does not start in step.
	if !s.sleep(ctx, s.jitter(500*time.Millisecond, 4*time.Second)) {
		return
	}
	var item *protocol.ItemView
	tries := map[protocol.ItemID]int{}
	for ctx.Err() == nil {
		s.handUp(ctx)
		if item == nil {
			raw, err := s.conn.call(ctx, protocol.MsgNextItem, protocol.NextItem{})
			if err != nil {
				if !s.waitSet(ctx, 5*time.Second) {
					return
				}
				continue
			}
			var res struct {
				Item  *protocol.ItemView
				Done  bool
				Offer *protocol.Offer
			}
			_ = json.Unmarshal(raw, &res)
			if res.Done || res.Item == nil {
				if res.Offer != nil && (s.role == roleAchiever || s.rng.Float64() < 0.5) {
					if s.sleep(ctx, s.jitter(2*time.Second, 4*time.Second)) {
						_, _ = s.conn.call(ctx, protocol.MsgAcceptOffer, protocol.AcceptOffer{})
					}
					continue
				}
				select {
				case s.cls.finished <- s.id:
				default:
				}
				if !s.waitSet(ctx, 30*time.Second) {
					return
				}
				continue
			}
			item = res.Item
		}
		it := s.cls.bank.Item(item.ID)
		if it == nil {
			// A bank changed under the demo: nothing it can answer.
			if !s.waitSet(ctx, 30*time.Second) {
				return
			}
			item = nil
			continue
		}
		var ok bool
		item, ok = s.work(ctx, it, item, tries)
		if !ok {
			return
		}
		if s.role == roleIdle && s.answers == 2 {
			// Noah stops: the teacher is told after 30 s, at "act now"
			// after 90; he comes back after three minutes.
			if !s.sleep(ctx, 3*time.Minute) {
				return
			}
		}
	}
}

// handUp has Mason raise his hand with a question about 20 s in, and
// lower it a minute and a quarter later if no one did.
func (s *demoStudent) handUp(ctx context.Context) {
	if s.role != roleHand {
		return
	}
	since := time.Since(s.began)
	switch {
	case s.hand == 0 && since > 20*time.Second:
		s.hand = 1
		_, _ = s.conn.call(ctx, protocol.MsgRaiseHand, protocol.RaiseHand{Note: "Can you check number 4 with me?"})
	case s.hand == 1 && since > 95*time.Second:
		s.hand = 2
		_, _ = s.conn.call(ctx, protocol.MsgLowerHand, protocol.LowerHand{})
	}
}

// work does one item as the student's role does: it returns the item in
// front of the student afterwards (nil to ask for the next).
func (s *demoStudent) work(ctx context.Context, it *content.Item, view *protocol.ItemView, tries map[protocol.ItemID]int) (*protocol.ItemView, bool) {
	read := time.Duration(content.ReadMs(it)) * time.Millisecond
	right := false
	switch s.role {
	case roleHints:
		// Through every hint without reading one, then the answer the
		// last hint gave away.
		for range view.Hints {
			if !s.sleep(ctx, s.jitter(400*time.Millisecond, 900*time.Millisecond)) {
				return nil, false
			}
			if _, err := s.conn.call(ctx, protocol.MsgHint, protocol.Hint{Item: it.ID}); err != nil {
				break
			}
		}
		if !s.sleep(ctx, s.jitter(300*time.Millisecond, 700*time.Millisecond)) {
			return nil, false
		}
		right = true
	case roleAchiever:
		if !s.sleep(ctx, read+s.jitter(time.Second, 3*time.Second)) {
			return nil, false
		}
		right = true
	case rolePrereqGap:
		if !s.sleep(ctx, read+s.jitter(1500*time.Millisecond, 3*time.Second)) {
			return nil, false
		}
		// Wrong the first time; the explanation shows her how, so the
		// same problem again goes right. Help from the teacher helps.
		right = tries[it.ID] > 0 || (s.helped.Load() && s.rng.Float64() < 0.8)
	default:
		if !s.sleep(ctx, read+s.jitter(2*time.Second, 7*time.Second)) {
			return nil, false
		}
		chance := s.skill
		if s.rng.Float64() < 0.1 {
			if _, err := s.conn.call(ctx, protocol.MsgHint, protocol.Hint{Item: it.ID}); err == nil {
				if !s.sleep(ctx, time.Duration(content.HintReadMs(it, 0))*time.Millisecond+s.jitter(time.Second, 3*time.Second)) {
					return nil, false
				}
				chance = min(1, chance+0.2)
			}
		}
		right = s.rng.Float64() < chance
		s.skill = min(0.8, s.skill+0.005)
	}
	tries[it.ID]++
	raw, err := s.conn.call(ctx, protocol.MsgAnswer, protocol.Answer{Item: it.ID, Response: demoResponse(it, right)})
	if err != nil {
		// Not the item in front of them any more (a new set, help sent)
		// or practice closed: ask again.
		return nil, s.waitSet(ctx, time.Second)
	}
	s.answers++
	var res struct {
		Correct bool
		Next    *protocol.ItemView
	}
	_ = json.Unmarshal(raw, &res)
	switch {
	case res.Correct:
		return nil, true
	case res.Next != nil:
		return res.Next, true
	default:
		return view, true // the same problem, to try again
	}
}

// demoResponse is a right or a wrong answer to it, as a student types it.
func demoResponse(it *content.Item, right bool) string {
	switch it.Kind {
	case protocol.ItemChoice:
		i := it.Correct
		if !right {
			i = (i + 1) % len(it.Choices)
		}
		return strconv.Itoa(i)
	case protocol.ItemNumeric:
		if right {
			return it.ValueText
		}
		return strconv.FormatFloat(it.Value+7+3*it.Tolerance, 'f', -1, 64)
	default:
		if right {
			return it.Accept[0]
		}
		return "I'm not sure"
	}
}

// demoConn is one device's WebSocket to the demo's server: commands with
// their results, and events to a callback that must not block.
type demoConn struct {
	ws      *websocket.Conn
	onEvent func(protocol.ServerFrame)
	done    chan struct{}

	mu    sync.Mutex
	n     int
	calls map[string]chan protocol.ServerFrame
}

func dialDemo(ctx context.Context, url, token string, room protocol.RoomID, onEvent func(protocol.ServerFrame)) (*demoConn, protocol.Welcome, error) {
	var w protocol.Welcome
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(url, "http")+"/ws", nil)
	if err != nil {
		return nil, w, fmt.Errorf("connect: %w", err)
	}
	ws.SetReadLimit(4 << 20) // a teacher's snapshot of a busy class
	c := &demoConn{ws: ws, onEvent: onEvent, done: make(chan struct{}), calls: map[string]chan protocol.ServerFrame{}}
	hello, _ := json.Marshal(protocol.Hello{Token: token, Room: room})
	b, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: "hello", Type: protocol.MsgHello, Data: hello})
	if err := ws.Write(dctx, websocket.MessageText, b); err != nil {
		_ = ws.CloseNow()
		return nil, w, fmt.Errorf("hello: %w", err)
	}
	_, b, err = ws.Read(dctx)
	if err != nil {
		_ = ws.CloseNow()
		return nil, w, fmt.Errorf("welcome: %w", err)
	}
	var f protocol.ServerFrame
	if err := json.Unmarshal(b, &f); err != nil || f.Type != protocol.FrameWelcome {
		_ = ws.CloseNow()
		return nil, w, fmt.Errorf("hello answered with %s", b)
	}
	_ = json.Unmarshal(f.Data, &w)
	go c.read(context.WithoutCancel(ctx))
	return c, w, nil
}

func (c *demoConn) read(ctx context.Context) {
	defer close(c.done)
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var f protocol.ServerFrame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		switch f.Type {
		case protocol.FrameEvent:
			c.onEvent(f)
		case protocol.FrameResult, protocol.FrameError:
			c.mu.Lock()
			ch := c.calls[f.ID]
			delete(c.calls, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		}
	}
}

// call sends a command and waits for its answer.
func (c *demoConn) call(ctx context.Context, typ protocol.MsgType, data any) (json.RawMessage, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	ch := make(chan protocol.ServerFrame, 1)
	c.mu.Lock()
	c.n++
	id := "d" + strconv.Itoa(c.n)
	c.calls[id] = ch
	c.mu.Unlock()
	b, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	select {
	case f := <-ch:
		if f.Type == protocol.FrameError && f.Error != nil {
			return nil, fmt.Errorf("%s: %w", typ, f.Error)
		}
		return f.Data, nil
	case <-c.done:
		return nil, fmt.Errorf("%s: the connection closed", typ)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *demoConn) close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
}
