package hub

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classhub/classhub/protocol"
)

// The fan-out lag is measured from the event's own time, as the room's
// owner stamped it, to its queueing here: an event made two seconds ago
// shows as about two seconds late, one made now as a few milliseconds at
// most, and an event no device may see is not counted.
func TestFanoutLag(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := &Hub{cfg: Config{QueueBytes: 1 << 20, RingSize: 16}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: newMetrics(reg)}
	hr := &hubRoom{id: "r", h: h, conns: map[*conn]struct{}{}, epoch: "e"}
	c := testConn(h, protocol.Viewer{Role: protocol.RoleTeacher})
	hr.conns[c] = struct{}{}
	data, _ := json.Marshal(protocol.Announcement{Text: "eyes on the board"})

	var out []offered // none: the connection has no socket
	hr.mu.Lock()
	hr.push(protocol.Event{Seq: 1, Type: protocol.EvAnnouncement, Time: time.Now().Add(-2 * time.Second).UnixMilli(), Audience: protocol.ToAll, Data: data}, &out)
	hr.push(protocol.Event{Seq: 2, Type: protocol.EvAnnouncement, Time: time.Now().UnixMilli(), Audience: protocol.ToAll, Data: data}, &out)
	hr.push(protocol.Event{Seq: 3, Type: protocol.EvReply, Time: time.Now().Add(-time.Hour).UnixMilli(), Audience: protocol.ToNone, Data: data}, &out)
	// A clock behind the owner's: no negative lag.
	hr.push(protocol.Event{Seq: 4, Type: protocol.EvAnnouncement, Time: time.Now().Add(time.Minute).UnixMilli(), Audience: protocol.ToAll, Data: data}, &out)
	hr.mu.Unlock()

	if got := len(c.w.queue); got != 3 {
		t.Fatalf("the device has %d frames queued, want 3", got)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, mf := range mfs {
		if mf.GetName() != "classhub_fanout_lag_seconds" {
			continue
		}
		found = true
		hg := mf.GetMetric()[0].GetHistogram()
		if got := hg.GetSampleCount(); got != 3 {
			t.Errorf("%d events counted, want 3 (the event no device may see is not one)", got)
		}
		if sum := hg.GetSampleSum(); sum < 2 || sum > 2.5 {
			t.Errorf("the lags sum to %.3fs, want about 2s (2s, about 0, and 0 for a clock behind)", sum)
		}
		for _, b := range hg.GetBucket() {
			if b.GetUpperBound() == 1 && b.GetCumulativeCount() != 2 {
				t.Errorf("%d events within 1s, want 2", b.GetCumulativeCount())
			}
		}
	}
	if !found {
		t.Fatal("no classhub_fanout_lag_seconds in the registry")
	}
}
