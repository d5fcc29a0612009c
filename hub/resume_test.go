package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

var pumped atomic.Uint64

// pump sends announcements from a teacher's socket without waiting for
// each answer, as fast as the room takes them.
// Request IDs are unique, as a device's must be: the room answers a
// repeated ID with the remembered result and does nothing.
func pump(t *testing.T, tc *client, texts []string, to []protocol.StudentID) <-chan error {
	done := make(chan error, 1)
	base := pumped.Add(uint64(len(texts)))
	go func() {
		for i, text := range texts {
			b, _ := json.Marshal(protocol.Announce{Text: text, To: to[i]})
			f, _ := json.Marshal(protocol.ClientFrame{V: 1, ID: fmt.Sprintf("p%d", base+uint64(i)), Type: protocol.MsgAnnounce, Data: b})
			if err := tc.ws.Write(context.Background(), websocket.MessageText, f); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	return done
}

// A device cut at random moments while events flow resumes each time with
// (epoch, offset) and receives exactly the events it may see, in order,
// without duplicates — from the node's ring or, beyond it, from the log.
func TestResumeWithRandomCuts(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *rooms.Config) { c.RingSize = 8 })
	tl := e.teacher()
	info := e.room(tl.Token, "Resume")
	ana := e.join(info.Code, "Ana")
	ben := e.join(info.Code, "Ben")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})

	const n = 400
	texts := make([]string, n)
	to := make([]protocol.StudentID, n)
	var want []string
	for i := range texts {
		texts[i] = fmt.Sprintf("m%03d", i)
		switch i % 5 {
		case 1:
			to[i] = ben.Student // private to Ben: Ana must never see it
		case 3:
			to[i] = ana.Student
		}
		if to[i] != ben.Student {
			want = append(want, texts[i])
		}
	}
	texts[n-1], to[n-1], want[len(want)-1] = "done", "", "done"

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var got []string
	var lastSeq uint64
	var resume *protocol.Resume
	var sent <-chan error
	conns, resumed := 0, 0
	for finished := false; !finished; {
		c, w := e.mustConnect(fmt.Sprintf("ana#%d", conns), protocol.Hello{Token: ana.Token, Resume: resume})
		conns++
		if sent == nil {
			sent = pump(t, tc, texts, to) // after the first welcome: every announcement is an event to Ana
		}
		if resume != nil {
			if !w.Resumed {
				t.Fatalf("connection %d: not resumed from %+v: %v", conns, resume, w.Reason)
			}
			resumed++
		}
		cut := 1 + rng.IntN(25)
		c.waitFor("some events", func(frames []protocol.ServerFrame, _ error) bool {
			k := 0
			for _, f := range frames {
				if f.Type == protocol.FrameEvent {
					k++
					if strings.Contains(string(f.Data), `"done"`) {
						return true
					}
				}
			}
			return k >= cut
		})
		c.cut()
		for _, f := range c.events() {
			if f.Seq <= lastSeq {
				t.Fatalf("duplicate or out of order: seq %d after %d", f.Seq, lastSeq)
			}
			lastSeq = f.Seq
			if f.Event != protocol.EvAnnouncement {
				continue
			}
			var a protocol.Announcement
			_ = json.Unmarshal(f.Data, &a)
			if a.To != "" && a.To != ana.Student {
				t.Fatalf("Ana received Ben's private announcement %q", a.Text)
			}
			got = append(got, a.Text)
			finished = finished || a.Text == "done"
		}
		resume = c.resumeFrom()
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after %d connections Ana received %d announcements, want %d:\n got %v\nwant %v", conns, len(got), len(want), got, want)
	}
	if resumed < 5 {
		t.Fatalf("only %d resumes; the test did not cut often enough", resumed)
	}
	t.Logf("%d connections, %d resumes, %d announcements", conns, resumed, len(got))

	// A resume the log cannot serve gets a fresh snapshot and says why.
	_, w := e.mustConnect("ana stale", protocol.Hello{Token: ana.Token, Resume: &protocol.Resume{Epoch: "another-epoch", Offset: 3}})
	if w.Resumed || w.Reason == nil || w.Reason.Code != protocol.CodeNotRecoverable || len(w.Snapshot) == 0 {
		t.Fatalf("stale resume: %+v", w)
	}
	_, w = e.mustConnect("ana ahead", protocol.Hello{Token: ana.Token, Resume: &protocol.Resume{Epoch: resume.Epoch, Offset: resume.Offset + 1000}})
	if w.Resumed || w.Reason == nil || w.Reason.Code != protocol.CodeNotRecoverable {
		t.Fatalf("resume ahead of the log: %+v", w)
	}
	if got := testutil.ToFloat64(e.h.metrics.resumes.WithLabelValues("resumed")); got < float64(resumed) {
		t.Fatalf("resumed metric %v, want ≥ %d", got, resumed)
	}
}

// A device that stops reading is closed when its queue is full; the
// class is not held up, and the device resumes without loss.
func TestSlowDeviceIsClosedAndOthersAreNot(t *testing.T) {
	// Only the queue may close the slow device, however slow the machine:
	// the write timeout is long, and so is the ping interval, since a
	// device that never reads never answers a ping either, and an
	// unanswered ping closes it (after 25 s, then 25 s more, by default:
	// on a busy machine, before its queue was full).
	e := newEnv(t, func(c *Config, _ *rooms.Config) {
		c.QueueBytes, c.WriteTimeout, c.PingInterval = 256<<10, 10*time.Minute, 10*time.Minute
	})
	tl := e.teacher()
	info := e.room(tl.Token, "Busy class")
	slowS := e.join(info.Code, "Slow")
	fastS := e.join(info.Code, "Fast")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})
	fast, _ := e.mustConnect("fast", protocol.Hello{Token: fastS.Token})

	// The slow device has a tiny socket buffer and never reads.
	slow := e.unreadClient("slow")
	slow.send(protocol.MsgHello, protocol.Hello{Token: slowS.Token})
	tc.waitEvent(protocol.EvPresence, about(slowS.Student))

	// Announce in rounds, each one read in full by the fast device, until
	// the slow device's socket and queue are full and it is closed.
	overflowed := func() bool { return testutil.ToFloat64(e.h.metrics.overflows) >= 1 }
	var texts []string
	for round := 0; !overflowed(); round++ {
		if round == 40 {
			t.Fatalf("the slow device was not closed after %d announcements", len(texts))
		}
		chunk := make([]string, 100)
		for i := range chunk {
			chunk[i] = strings.Repeat("🙂", 490) + fmt.Sprintf("%05d", len(texts)+i)
		}
		texts = append(texts, chunk...)
		if err := <-pump(t, tc, chunk, make([]protocol.StudentID, len(chunk))); err != nil {
			t.Fatal(err)
		}
		// Each announcement is a stored command: on a busy machine a
		// round of them takes longer than one wait. Their answers, in
		// order, show the round is moving; each waits only for the next.
		first := pumped.Load() // pump's IDs are p<first> … on
		for id := first; id < first+uint64(len(chunk)); id++ {
			if f := tc.answer(fmt.Sprintf("p%d", id)); f.Type != protocol.FrameResult {
				t.Fatalf("announcement p%d: %s %+v", id, f.Type, f.Error)
			}
		}
		fast.waitEvent(protocol.EvAnnouncement, hasText(chunk[len(chunk)-1]))
	}
	tc.must(protocol.MsgAnnounce, protocol.Announce{Text: "done"})
	texts = append(texts, "done")
	n := len(texts)
	fast.waitEvent(protocol.EvAnnouncement, hasText("done"))
	if got := testutil.ToFloat64(e.h.metrics.overflows); got != 1 {
		t.Fatalf("%v connections overflowed, want only the slow one", got)
	}
	if tc.closedErr() != nil {
		t.Fatalf("the teacher was closed: %v", tc.closedErr())
	}
	if got := len(fast.events(protocol.EvAnnouncement)); got != n {
		t.Fatalf("the fast device received %d of %d announcements", got, n)
	}

	// The slow device reads what reached it, then the close.
	go slow.read()
	code := slow.waitClosed()
	if code != websocket.StatusCode(protocol.CloseSlowConsumer) && code != -1 {
		t.Fatalf("slow device closed with %d, want %d (or a dropped connection)", code, protocol.CloseSlowConsumer)
	}
	var resume protocol.Resume
	seen := map[string]bool{}
	for _, f := range slow.frames {
		switch f.Type {
		case protocol.FrameWelcome:
			var w protocol.Welcome
			_ = json.Unmarshal(f.Data, &w)
			resume = protocol.Resume{Epoch: w.Epoch, Offset: w.Offset}
		case protocol.FrameEvent:
			resume.Offset = f.Seq
			if f.Event == protocol.EvAnnouncement {
				var a protocol.Announcement
				_ = json.Unmarshal(f.Data, &a)
				seen[a.Text] = true
			}
		}
	}
	if resume.Epoch == "" {
		t.Fatalf("the slow device never got its welcome: %s", dump(slow.frames))
	}
	again, w := e.mustConnect("slow again", protocol.Hello{Token: slowS.Token, Resume: &resume})
	if !w.Resumed {
		t.Fatalf("slow device not resumed: %v", w.Reason)
	}
	again.waitEvent(protocol.EvAnnouncement, hasText("done"))
	for _, f := range again.events(protocol.EvAnnouncement) {
		var a protocol.Announcement
		_ = json.Unmarshal(f.Data, &a)
		if seen[a.Text] {
			t.Fatalf("announcement %q delivered twice", a.Text[len(a.Text)-5:])
		}
		seen[a.Text] = true
	}
	if len(seen) != n {
		t.Fatalf("the slow device received %d of %d announcements in all", len(seen), n)
	}
	t.Logf("the slow device read %d frames before its close (%d), then resumed", len(slow.frames), code)
}
