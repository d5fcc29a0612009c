package hub

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	conns     prometheus.Gauge
	framesIn  prometheus.Counter
	framesOut prometheus.Counter
	overflows prometheus.Counter
	resumes   *prometheus.CounterVec
	gapFills  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_connections", Help: "Open device WebSocket connections on this node.",
		}),
		framesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_frames_in_total", Help: "Frames received from devices.",
		}),
		framesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_frames_out_total", Help: "Frames written to devices.",
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_queue_overflows_total", Help: "Connections closed because their write queue was full (close code 4000).",
		}),
		resumes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classhub_resumes_total", Help: "Devices that asked to resume, by outcome (resumed or snapshot).",
		}, []string{"outcome"}),
		gapFills: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_gap_fills_total", Help: "Fan-out gaps this node filled by reading the room's log.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.conns, m.framesIn, m.framesOut, m.overflows, m.resumes, m.gapFills)
	}
	return m
}
