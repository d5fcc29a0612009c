package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// liveClass is one class of the rotate load: the teacher's connection and
// a channel that receives one signal per student device per rotation event.
type liveClass struct {
	teacher  *websocket.Conn
	arrivals chan struct{}
	n        int
	mu       sync.Mutex // one command at a time on the teacher's connection
	seq      int
}

// command sends one teacher command and waits for its answer.
func (lc *liveClass) command(ctx context.Context, typ protocol.MsgType, data any) (json.RawMessage, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lc.seq++
	id := "t" + strconv.Itoa(lc.seq)
	raw, _ := json.Marshal(data)
	f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: id, Type: typ, Data: raw})
	if err := lc.teacher.Write(ctx, websocket.MessageText, f); err != nil {
		return nil, err
	}
	for {
		_, b, err := lc.teacher.Read(ctx)
		if err != nil {
			return nil, err
		}
		var sf protocol.ServerFrame
		if json.Unmarshal(b, &sf) != nil || sf.ID != id {
			continue
		}
		if sf.Type == protocol.FrameError {
			return nil, fmt.Errorf("%s: %w", typ, sf.Error)
		}
		return sf.Data, nil
	}
}

// rotate opens o.classes classes of o.students devices each, forms them
// into groups with a rotation over two stations, then times the teacher's
// rotation commands (pause and resume in turn) until the last device of
// the class has the rotation event. The baseline is a bare WebSocket
// broadcast to the same number of devices in this process.
func rotate(ctx context.Context, o options, out io.Writer) error {
	var login struct{ Token string }
	if err := post(o.url+"/api/v1/login", "", map[string]string{"email": o.email, "password": o.password}, &login); err != nil {
		return err
	}
	classes := make([]*liveClass, o.classes)
	for i := range classes {
		lc, err := openClass(ctx, o, login.Token, i)
		if err != nil {
			return fmt.Errorf("class %d: %w (start the server with --join-burst %d)", i, err, o.classes*o.students)
		}
		classes[i] = lc
	}
	fmt.Fprintf(out, "%d classes of %d devices live, each with a rotation running\n", o.classes, o.students)

	lat := make([]time.Duration, 0, o.samples)
	pace := time.NewTicker(60 * time.Millisecond)
	defer pace.Stop()
	for i := range o.samples {
		<-pace.C
		lc := classes[i%len(classes)]
		action := protocol.RotatePause
		if (i/len(classes))%2 == 1 {
			action = protocol.RotateResume
		}
		t0 := time.Now()
		if _, err := lc.command(ctx, protocol.MsgRotate, protocol.Rotate{Action: action}); err != nil {
			return err
		}
		if err := waitAll(ctx, lc.arrivals, lc.n); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}

	base, err := broadcastBaseline(ctx, o.students, o.samples)
	if err != nil {
		return err
	}
	hp50, hp99 := pct(lat, 50), pct(lat, 99)
	bp50, bp99 := pct(base, 50), pct(base, 99)
	fmt.Fprintf(out, "teacher's rotation command → the last of the class's %d devices, %d samples\n", o.students, o.samples)
	fmt.Fprintf(out, "  classhub             p50 %8v  p99 %8v\n", hp50, hp99)
	fmt.Fprintf(out, "  websocket broadcast  p50 %8v  p99 %8v\n", bp50, bp99)
	fmt.Fprintf(out, "  ratio                p50 %8.1fx p99 %8.1fx\n", float64(hp50)/float64(bp50), float64(hp99)/float64(bp99))
	return nil
}

func waitAll(ctx context.Context, ch <-chan struct{}, n int) error {
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for range n {
		select {
		case <-ch:
		case <-timeout.C:
			return fmt.Errorf("a device did not get the event within 10 s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func openClass(ctx context.Context, o options, token string, i int) (*liveClass, error) {
	var r struct {
		ID   protocol.RoomID
		Code string
	}
	if err := post(o.url+"/api/v1/rooms", token, map[string]string{"title": fmt.Sprintf("Rotation %d", i)}, &r); err != nil {
		return nil, err
	}
	teacher, err := dial(ctx, wsURL(o.url), token, r.ID)
	if err != nil {
		return nil, err
	}
	lc := &liveClass{teacher: teacher, arrivals: make(chan struct{}, 4*o.students), n: o.students}
	for s := range o.students {
		tok, err := join(o, r.Code, s)
		if err != nil {
			return nil, err
		}
		ws, err := dial(ctx, wsURL(o.url), tok, "")
		if err != nil {
			return nil, err
		}
		go func() {
			for {
				_, b, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if bytes.Contains(b, []byte(`"event":"rotation"`)) {
					select {
					case lc.arrivals <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	var stations []protocol.StationID
	for _, name := range []string{"With me", "Practice"} {
		raw, err := lc.command(ctx, protocol.MsgPutStation, protocol.PutStation{Station: protocol.Station{Name: name, Kind: protocol.StationOnline}})
		if err != nil {
			return nil, err
		}
		var res struct{ Station protocol.StationID }
		_ = json.Unmarshal(raw, &res)
		stations = append(stations, res.Station)
	}
	raw, err := lc.command(ctx, protocol.MsgProposeGroups, protocol.ProposeGroups{GroupingRequest: protocol.GroupingRequest{Method: protocol.GroupRandom, Count: 4}})
	if err != nil {
		return nil, err
	}
	var p protocol.Proposal
	_ = json.Unmarshal(raw, &p)
	if _, err := lc.command(ctx, protocol.MsgApplyGroups, protocol.ApplyGroups{Proposal: p.ID}); err != nil {
		return nil, err
	}
	plan := protocol.RotationPlan{Stations: stations, Legs: []int64{3_600_000, 3_600_000}, WarnMs: -1}
	if _, err := lc.command(ctx, protocol.MsgStartRotation, protocol.StartRotation{Plan: plan}); err != nil {
		return nil, err
	}
	// The start itself reached every device: drain those signals.
	if err := waitAll(ctx, lc.arrivals, lc.n); err != nil {
		return nil, err
	}
	// The teacher's events between commands are read by the next command.
	return lc, nil
}

// broadcastBaseline times a message from one WebSocket client through a
// bare server to n others in this process: the least any server can do
// for the same fan-out on this machine.
func broadcastBaseline(ctx context.Context, n, samples int) ([]time.Duration, error) {
	var mu sync.Mutex
	var subs []*websocket.Conn
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		if r.URL.Query().Get("sub") != "" {
			mu.Lock()
			subs = append(subs, c)
			mu.Unlock()
			<-r.Context().Done()
			return
		}
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			mu.Lock()
			list := subs
			mu.Unlock()
			for _, s := range list {
				_ = s.Write(r.Context(), typ, b)
			}
		}
	}))
	defer srv.Close()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	arrivals := make(chan struct{}, 4*n)
	for range n {
		c, _, err := websocket.Dial(ctx, base+"?sub=1", nil)
		if err != nil {
			return nil, err
		}
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				arrivals <- struct{}{}
			}
		}()
	}
	for {
		mu.Lock()
		k := len(subs)
		mu.Unlock()
		if k == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	sender, _, err := websocket.Dial(ctx, base, nil)
	if err != nil {
		return nil, err
	}
	msg := []byte(`{"v":1,"type":"event","event":"rotation","data":{}}`)
	out := make([]time.Duration, 0, samples)
	for range samples {
		t0 := time.Now()
		if err := sender.Write(ctx, websocket.MessageText, msg); err != nil {
			return nil, err
		}
		if err := waitAll(ctx, arrivals, n); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}
