package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
	"github.com/classhub/classhub/rooms/natstest"
)

// A command retried with its request ID after the node restarted (a clean
// stop, which saves a snapshot, or a crash, which does not) or after the
// class moved to another node gets its first answer, and is in the log
// once.
func TestRepliesSurviveRestartsAndTakeovers(t *testing.T) {
	for _, how := range []string{"clean stop", "crash", "takeover"} {
		t.Run(how, func(t *testing.T) {
			s := natstest.Start(t)
			nc, js := s.Connect(t)
			m := newManager(t, nc, js, "node-a")
			c := newClass(t, m, "Olivia")
			announce := protocol.Command{Room: c.id, Type: protocol.MsgAnnounce, ReqID: "k3f9-17", Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"Pens down"}`)}
			hand := protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "k3f9-17", Actor: student(c.students[0]), Data: json.RawMessage(`{"note":"3b"}`)}
			first, err := m.Do(context.Background(), announce)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Do(context.Background(), hand); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "clean stop":
				if err := m.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				m = newManager(t, nc, js, "node-a")
			case "crash":
				// A killed process saves no snapshot: the class comes
				// back from its log alone.
				if err := m.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				if err := m.snaps.Purge(context.Background(), string(c.id)); err != nil {
					t.Fatal(err)
				}
				m = newManager(t, nc, js, "node-a")
			case "takeover":
				r := m.local(c.id)
				r.stop()
				<-r.done
				m = newManager(t, nc, js, "node-b")
			}
			again, err := m.Do(context.Background(), announce)
			if err != nil || string(again) != string(first) {
				t.Fatalf("retried after a %s: %s %v, first answer %s", how, again, err, first)
			}
			if _, err := m.Do(context.Background(), hand); err != nil {
				t.Fatal(err)
			}
			var snap protocol.SnapshotResult
			raw, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.CmdSnapshot, Actor: teacher(teacherA)})
			if err != nil || json.Unmarshal(raw, &snap) != nil {
				t.Fatal(err)
			}
			evs, err := m.ReadLog(context.Background(), c.id, 1, snap.Offset)
			if err != nil {
				t.Fatal(err)
			}
			n := map[protocol.EventType]int{}
			for _, ev := range evs {
				n[ev.Type]++
			}
			if n[protocol.EvAnnouncement] != 1 || n[protocol.EvHand] != 1 {
				t.Fatalf("after a %s and retries the log holds %d announcements and %d hands, want 1 each", how, n[protocol.EvAnnouncement], n[protocol.EvHand])
			}
			// A new request ID is a new command.
			announce.ReqID = "k3f9-18"
			if next, err := m.Do(context.Background(), announce); err != nil || string(next) == string(first) {
				t.Fatalf("a new request ID: %s %v", next, err)
			}
		})
	}
}

// A command that stages its events and then meets a fault of the server
// (not a refusal: a store that did not answer) keeps nothing: neither its
// events nor a reply. Were its events kept without the reply, the retry
// with the same request ID would find the command done and no answer to
// give: a raised hand would be answered by the "already so" path with no
// reply in the log, an answer refused as duplicate. Here a raised hand's
// detectors need the content bank, whose bucket is gone for the moment;
// the command is alone in its step, and then one of a group of commands
// appended together, whose others are kept and answered as usual. Once
// the bucket is back, the retry runs the command once, and the log holds
// its hand and its reply once each.
func TestAFaultHalfWayKeepsNothingOfTheCommand(t *testing.T) {
	for _, grouped := range []bool{false, true} {
		t.Run(map[bool]string{false: "alone", true: "in a group"}[grouped], func(t *testing.T) {
			s := natstest.Start(t)
			nc, js := s.Connect(t)
			ctx := context.Background()
			m := newManager(t, nc, js, "node-a")
			c := newClass(t, m, "Olivia")
			c.assign("frac-operations", protocol.Target{})
			r := m.local(c.id)
			if r == nil {
				t.Fatal("the class is not on its node")
			}

			// The bank's copy in memory is due to be compared with its
			// bucket, and the bucket is gone: the detectors that run
			// after the hand is staged cannot read it.
			m.banks.mu.Lock()
			for id, p := range m.banks.parsed {
				p.checked = time.Time{}
				m.banks.parsed[id] = p
			}
			m.banks.mu.Unlock()
			if err := js.DeleteKeyValue(ctx, protocol.BucketContent); err != nil {
				t.Fatal(err)
			}

			hand := protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, ReqID: "h-1", Actor: student(c.students[0]), Data: json.RawMessage(`{"note":"3b"}`)}
			announce := protocol.Command{Room: c.id, Type: protocol.MsgAnnounce, ReqID: "a-1", Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"Pens down"}`)}
			var handErr, announceErr error
			var announced json.RawMessage
			if !grouped {
				_, handErr = m.Do(ctx, hand)
			} else {
				// The actor is held on a command of its own while the hand
				// and an announcement wait in its inbox, so that both are
				// taken together and appended in one step.
				release := make(chan struct{})
				held := make(chan struct{})
				m.mu.Lock()
				m.trap = func(cmd protocol.Command) {
					if cmd.Type == protocol.MsgAnnounce && strings.Contains(string(cmd.Data), "hold") {
						close(held)
						<-release
					}
				}
				m.mu.Unlock()
				var wg sync.WaitGroup
				wg.Go(func() {
					if _, err := m.Do(ctx, protocol.Command{Room: c.id, Type: protocol.MsgAnnounce, Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"hold"}`)}); err != nil {
						t.Errorf("the announcement that holds the actor: %v", err)
					}
				})
				<-held
				wg.Go(func() { _, handErr = m.Do(ctx, hand) })
				poll(t, "the hand in the inbox", func() bool { return len(r.inbox) == 1 })
				wg.Go(func() { announced, announceErr = m.Do(ctx, announce) })
				poll(t, "the hand and the announcement in the inbox", func() bool { return len(r.inbox) == 2 })
				close(release)
				wg.Wait()
			}
			if handErr == nil {
				t.Fatal("the hand was answered while its detectors could not read the bank")
			}
			if code := protocol.ErrorOf(handErr).Code; code != protocol.CodeUnavailable && code != protocol.CodeInternal {
				t.Fatalf("the hand was refused with %v: a device would not retry it", handErr)
			}
			if grouped && announceErr != nil {
				t.Fatalf("the announcement appended with the failed hand: %v", announceErr)
			}
			count := func() (hands, handReplies, announcements int, annReply []protocol.ReplyRecorded) {
				t.Helper()
				snap, _ := snapshotOf(t, m, c.id, teacher(teacherA))
				evs, err := m.ReadLog(ctx, c.id, 1, snap.Offset)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					switch ev.Type {
					case protocol.EvHand:
						hands++
					case protocol.EvAnnouncement:
						announcements++
					case protocol.EvReply:
						var rec protocol.ReplyRecorded
						mustDecode(t, ev, &rec)
						switch rec.Key {
						case replyKey(hand):
							handReplies++
						case replyKey(announce):
							annReply = append(annReply, rec)
						}
					}
				}
				return
			}
			if hands, replies, _, _ := count(); hands != 0 || replies != 0 {
				t.Fatalf("after the hand failed the log holds %d hands and %d replies to it, want none", hands, replies)
			}
			if grouped {
				_, _, n, rs := count()
				if n != 2 || len(rs) != 1 || string(rs[0].Data) != string(announced) {
					t.Fatalf("the announcement answered %s: %d announcements, its replies %v", announced, n, rs)
				}
			}

			// The bucket is back; the device retries with the same ID.
			if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: protocol.BucketContent, History: 1, Storage: jetstream.FileStorage}); err != nil {
				t.Fatal(err)
			}
			if err := m.banks.seed(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Do(ctx, hand); err != nil {
				t.Fatalf("the retry: %v", err)
			}
			if _, err := m.Do(ctx, hand); err != nil {
				t.Fatalf("the second retry: %v", err)
			}
			if hands, replies, _, _ := count(); hands != 1 || replies != 1 {
				t.Fatalf("after the retries the log holds %d hands and %d replies to it, want 1 each", hands, replies)
			}
		})
	}
}

// A device whose answer was lost retries it once it is back, however many
// commands the rest of the class sent meanwhile: more than the class
// keeps replies for (class.MaxReplies) do not make its retry run the
// command twice (an answer refused as duplicate), because the replies
// forgotten first are those of whoever sent the most.
func TestARetryOutlastsABusyClass(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	ctx := context.Background()
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m, "Olivia")
	c.assign("frac-operations", protocol.Target{})
	d := c.device(0)
	if more, _ := d.next(); !more {
		t.Fatal("no item to answer")
	}
	raw, _ := json.Marshal(protocol.Answer{Item: d.item.ID, Response: d.bank.Item(d.item.ID).Answer()})
	answer := protocol.Command{Room: c.id, Type: protocol.MsgAnswer, ReqID: "o-7", Actor: student(d.id), Data: raw}
	first, err := m.Do(ctx, answer)
	if err != nil {
		t.Fatal(err)
	}

	// Olivia's device did not get that answer; while it reconnects, the
	// teacher's console sends more commands than the class keeps replies
	// for, a few at a time, as a console and a class of devices do.
	const others = class.MaxReplies + class.MaxReplies/4
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				data, _ := json.Marshal(protocol.Announce{Text: fmt.Sprintf("announcement %d", i)})
				if _, err := m.Do(ctx, protocol.Command{Room: c.id, Type: protocol.MsgAnnounce, ReqID: fmt.Sprintf("t-%d", i), Actor: teacher(teacherA), Data: data}); err != nil {
					t.Errorf("announcement %d: %v", i, err)
				}
			}
		})
	}
	for i := range others {
		next <- i
	}
	close(next)
	wg.Wait()

	again, err := m.Do(ctx, answer)
	if err != nil {
		t.Fatalf("the retry after %d commands of others: %v", others, err)
	}
	if string(again) != string(first) {
		t.Fatalf("the retry was answered %s, the first try %s", again, first)
	}
}
