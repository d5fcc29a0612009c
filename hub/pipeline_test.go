package hub

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// A device may send commands without waiting for the answers: they are
// carried out in the order sent and answered in that order, each with its
// id, and the answers that need no class (a pong, a refusal, a frame that
// cannot be read) keep their place among them.
func TestCommandsPipelinedInOrder(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Pipeline")
	tc, _ := e.mustConnect("teacher", protocol.Hello{Token: tl.Token, Room: info.ID})

	var ids, texts []string
	want := map[string]string{}
	for i := range 24 {
		text := fmt.Sprintf("pipelined %d", i)
		id := tc.send(protocol.MsgAnnounce, protocol.Announce{Text: text})
		ids, texts = append(ids, id), append(texts, text)
		want[id] = protocol.FrameResult
		switch i {
		case 5:
			id := tc.send(protocol.MsgPing, struct{}{})
			ids, want[id] = append(ids, id), protocol.FrameResult
		case 9:
			id := tc.send(protocol.MsgRaiseHand, protocol.RaiseHand{})
			ids, want[id] = append(ids, id), protocol.FrameError
		case 13:
			id := tc.send(protocol.MsgAnnounce, map[string]int{"text": 7})
			ids, want[id] = append(ids, id), protocol.FrameError
		case 17:
			// A binary frame: answered without an id, in its place.
			ctx := t.Context()
			if err := tc.ws.Write(ctx, websocket.MessageBinary, []byte{1, 2}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, "")
		}
	}
	isAnswer := func(f protocol.ServerFrame) bool {
		return f.Type == protocol.FrameResult || f.Type == protocol.FrameError
	}
	tc.waitFor("every answer", func(frames []protocol.ServerFrame, _ error) bool {
		n := 0
		for _, f := range frames {
			if isAnswer(f) {
				n++
			}
		}
		return n >= len(ids)
	})
	var got []protocol.ServerFrame
	tc.mu.Lock()
	for _, f := range tc.frames {
		if isAnswer(f) {
			got = append(got, f)
		}
	}
	tc.mu.Unlock()
	if len(got) != len(ids) {
		t.Fatalf("%d answers, want %d:\n%s", len(got), len(ids), dump(got))
	}
	var seqs []uint64
	for i, f := range got {
		if f.ID != ids[i] {
			t.Fatalf("answer %d is for %q, want %q: the answers are not in the order of the commands:\n%s", i, f.ID, ids[i], dump(got))
		}
		if ids[i] == "" {
			if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeBadFrame {
				t.Fatalf("the binary frame's answer: %s %v", f.Type, f.Error)
			}
			continue
		}
		if f.Type != want[f.ID] {
			t.Fatalf("answer to %s: %s %v, want %s", f.ID, f.Type, f.Error, want[f.ID])
		}
		var r struct {
			Seq uint64 `json:"seq"`
		}
		if f.Type == protocol.FrameResult && json.Unmarshal(f.Data, &r) == nil && r.Seq != 0 {
			seqs = append(seqs, r.Seq)
		}
	}
	if len(seqs) != len(texts) {
		t.Fatalf("%d announcements with a seq, want %d", len(seqs), len(texts))
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("announcement %d stored at %d after %d: not carried out in the order sent", i, seqs[i], seqs[i-1])
		}
	}
	// The events reach the device in the same order.
	for _, text := range texts {
		tc.waitEvent(protocol.EvAnnouncement, hasText(text))
	}
	var seen []string
	for _, f := range tc.events(protocol.EvAnnouncement) {
		var a protocol.Announcement
		_ = json.Unmarshal(f.Data, &a)
		seen = append(seen, a.Text)
	}
	if fmt.Sprint(seen) != fmt.Sprint(texts) {
		t.Fatalf("announcements arrived as %q, want %q", seen, texts)
	}
}
