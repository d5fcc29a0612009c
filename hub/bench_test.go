package hub

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// BenchmarkFanout measures the fan-out path of one node: one room event,
// as it arrives from NATS, encoded once and queued to the 30 devices of a
// class (a teacher and 29 students; a private event reaches two of them).
func BenchmarkFanout(b *testing.B) {
	for _, c := range []struct {
		name string
		aud  protocol.Audience
	}{
		{"all", protocol.ToAll},
		{"one_student", protocol.ToStudent("s-7")},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := &Hub{cfg: Config{QueueBytes: 1 << 40, RingSize: 1024}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: newMetrics(nil)}
			hr := &hubRoom{id: "r", h: h, conns: map[*conn]struct{}{}, epoch: "e"}
			conns := make([]*conn, 30)
			for i := range conns {
				v := protocol.Viewer{Role: protocol.RoleStudent, Student: protocol.StudentID(fmt.Sprintf("s-%d", i))}
				if i == 0 {
					v = protocol.Viewer{Role: protocol.RoleTeacher}
				}
				conns[i] = &conn{h: h, viewer: v, live: true, wake: make(chan struct{}, 1), taken: make(chan struct{}, 1), stop: make(chan struct{})}
				hr.conns[conns[i]] = struct{}{}
			}
			data, _ := json.Marshal(protocol.Announcement{Text: "Pens down, eyes on the board: we start question 3 together."})
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				hr.mu.Lock()
				hr.push(protocol.Event{Seq: uint64(i + 1), Type: protocol.EvAnnouncement, Time: 1795397438337, Audience: c.aud, Data: data})
				hr.mu.Unlock()
				if i%256 == 255 { // what the write loops do: take the queues
					for _, cn := range conns {
						cn.mu.Lock()
						cn.queue, cn.queued = cn.queue[:0], 0
						cn.mu.Unlock()
					}
				}
			}
		})
	}
}
