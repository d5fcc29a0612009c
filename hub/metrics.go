package hub

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	conns     prometheus.Gauge
	framesIn  prometheus.Counter
	framesOut prometheus.Counter
	overflows prometheus.Counter
	resumes   *prometheus.CounterVec
	gapFills  prometheus.Counter
	lag       prometheus.Histogram
	refused   *prometheus.CounterVec
	evicted   *prometheus.CounterVec
	limited   prometheus.Counter
	maxConns  prometheus.Gauge
	panics    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_connections", Help: "Open device WebSocket connections on this node.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_connection_panics_total", Help: "Panics recovered in a device connection's read loop; each is logged with its stack, and the device closed with 1011.",
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
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "classhub_fanout_lag_seconds",
			Help: "Time from an event's making on its room's owner (its time, taken just before the append) to its being queued on every local device that may see it: the append, the NATS fan-out and this node's queueing.",
			// From a quiet node's few milliseconds to the seconds of a
			// saturated one.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classhub_connections_refused_total",
			Help: "Connections this node refused, by reason: full (it held its --max-conns), rate (new connections came faster than --conn-rate), broker (NATS was lost), all three with 503 before the upgrade.",
		}, []string{"reason"}),
		evicted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classhub_connections_evicted_total",
			Help: "Connections this node closed with 4006 as the oldest of a person holding more than --conns-per-person to a class, by where they were counted: node (all on this node) or class (across nodes, by the class's owner).",
		}, []string{"counted"}),
		limited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_commands_rate_limited_total",
			Help: "Device commands this node answered rate_limited: their person was over their allowance in the class on this node.",
		}),
		maxConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_connections_max",
			Help: "The most device connections this node holds (--max-conns); negative: no limit. Alert on classhub_connections approaching it.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.conns, m.framesIn, m.framesOut, m.overflows, m.resumes, m.gapFills, m.lag, m.refused, m.evicted, m.limited, m.maxConns, m.panics)
	}
	return m
}

// observeLag records how late an event of time at (Unix milliseconds, as
// events carry it) reached the queues. The time is the owner node's
// clock: skew between nodes shows in it, and a negative lag (a clock
// behind) counts as none.
func (m *metrics) observeLag(at int64) {
	m.lag.Observe(max(0, time.Since(time.UnixMilli(at)).Seconds()))
}
