package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// flagClass is one class of the flags load: a teacher's console that
// records when each student's flags arrive, and the time each student
// last answered.
type flagClass struct {
	lc   *liveClass
	mu   sync.Mutex
	sent map[protocol.StudentID]time.Time // the latest answer of each student
	lat  []time.Duration
}

// flags opens o.classes classes of o.students struggling students who
// answer every item wrong, one every o.think, and times each
// answer that raises or escalates a flag until the flag is on the
// teacher's connection: the detectors run in the same step of the room as
// the answer.
func flags(ctx context.Context, o options, out io.Writer) error {
	var login struct{ Token string }
	if err := post(o.url+"/api/v1/login", "", map[string]string{"email": o.email, "password": o.password}, &login); err != nil {
		return err
	}
	var classes []*flagClass
	var devices [][]*student
	for i := range o.classes {
		fc, ds, err := openFlagClass(ctx, o, login.Token, i)
		if err != nil {
			return fmt.Errorf("class %d: %w (start the server with --join-burst %d)", i, err, o.classes*o.students)
		}
		classes = append(classes, fc)
		devices = append(devices, ds)
	}
	fmt.Fprintf(out, "%d classes of %d students practising, every answer wrong\n", o.classes, o.students)
	var wg sync.WaitGroup
	for i, ds := range devices {
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.struggle(ctx, classes[i], o.answers, o.think)
			}()
		}
	}
	wg.Wait()
	var all []time.Duration
	for _, fc := range classes {
		fc.mu.Lock()
		all = append(all, fc.lat...)
		fc.mu.Unlock()
	}
	if len(all) == 0 {
		return fmt.Errorf("no flag reached a teacher")
	}
	base, err := echoBaseline(ctx, len(all))
	if err != nil {
		return err
	}
	hp50, hp99 := pct(all, 50), pct(all, 99)
	bp50, bp99 := pct(base, 50), pct(base, 99)
	fmt.Fprintf(out, "answer → flag on the teacher's connection, %d flags\n", len(all))
	fmt.Fprintf(out, "  classhub        p50 %8v  p99 %8v\n", hp50, hp99)
	fmt.Fprintf(out, "  websocket echo  p50 %8v  p99 %8v\n", bp50, bp99)
	fmt.Fprintf(out, "  ratio           p50 %8.1fx p99 %8.1fx\n", float64(hp50)/float64(bp50), float64(hp99)/float64(bp99))
	return nil
}

type student struct {
	id   protocol.StudentID
	ws   *websocket.Conn
	next int
}

func (s *student) call(ctx context.Context, typ protocol.MsgType, data any) (protocol.ServerFrame, error) {
	s.next++
	id := "s" + strconv.Itoa(s.next)
	raw, _ := json.Marshal(data)
	f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	if err := s.ws.Write(ctx, websocket.MessageText, f); err != nil {
		return protocol.ServerFrame{}, err
	}
	for {
		_, b, err := s.ws.Read(ctx)
		if err != nil {
			return protocol.ServerFrame{}, err
		}
		var sf protocol.ServerFrame
		if json.Unmarshal(b, &sf) == nil && sf.ID == id {
			return sf, nil
		}
	}
}

// struggle answers n items wrong, one every think (the first after a
// random part of it, so that a class does not answer in step).
func (s *student) struggle(ctx context.Context, fc *flagClass, n int, think time.Duration) {
	var item *protocol.ItemView
	time.Sleep(rand.N(think))
	for range n {
		if item == nil {
			f, err := s.call(ctx, protocol.MsgNextItem, struct{}{})
			if err != nil || f.Type != protocol.FrameResult {
				return
			}
			var res struct{ Item *protocol.ItemView }
			_ = json.Unmarshal(f.Data, &res)
			if item = res.Item; item == nil {
				return
			}
		}
		time.Sleep(think) // working on the item
		fc.mu.Lock()
		fc.sent[s.id] = time.Now()
		fc.mu.Unlock()
		f, err := s.call(ctx, protocol.MsgAnswer, protocol.Answer{Item: item.ID, Response: "no idea"})
		if err != nil || f.Type != protocol.FrameResult {
			return
		}
		var res struct{ Next *protocol.ItemView }
		_ = json.Unmarshal(f.Data, &res)
		item = res.Next
	}
}

func openFlagClass(ctx context.Context, o options, token string, i int) (*flagClass, []*student, error) {
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	if err := post(o.url+"/api/v1/rooms", token, map[string]string{"title": fmt.Sprintf("Practice %d", i)}, &r); err != nil {
		return nil, nil, err
	}
	teacher, err := dial(ctx, wsURL(o.url), token, r.ID)
	if err != nil {
		return nil, nil, err
	}
	fc := &flagClass{lc: &liveClass{teacher: teacher}, sent: map[protocol.StudentID]time.Time{}}
	var ds []*student
	for k := range o.students {
		var j struct {
			Token   string
			Student protocol.StudentID
		}
		if err := post(o.url+"/api/v1/join", "", map[string]string{"code": r.Code, "name": fmt.Sprintf("Load %d", k)}, &j); err != nil {
			return nil, nil, err
		}
		ws, err := dial(ctx, wsURL(o.url), j.Token, "")
		if err != nil {
			return nil, nil, err
		}
		ds = append(ds, &student{id: j.Student, ws: ws})
	}
	if _, err := fc.lc.command(ctx, protocol.MsgAssignPractice, protocol.AssignPractice{Set: protocol.SetRef{Bank: protocol.BankID(o.bank), Set: o.set}}); err != nil {
		return nil, nil, err
	}
	// From here on the teacher's connection only listens.
	go func() {
		for {
			_, b, err := teacher.Read(ctx)
			if err != nil {
				return
			}
			if !bytes.Contains(b, []byte(`"event":"flag"`)) {
				continue
			}
			at := time.Now()
			var sf protocol.ServerFrame
			var d protocol.FlagChanged
			if json.Unmarshal(b, &sf) != nil || json.Unmarshal(sf.Data, &d) != nil {
				continue
			}
			if d.Change != "open" && d.Change != "escalate" {
				continue
			}
			fc.mu.Lock()
			if t, ok := fc.sent[d.Flag.Student]; ok {
				fc.lat = append(fc.lat, at.Sub(t))
			}
			fc.mu.Unlock()
		}
	}()
	return fc, ds, nil
}
