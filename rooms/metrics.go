package rooms

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	rooms     prometheus.Gauge
	commands  *prometheus.HistogramVec
	publish   prometheus.Histogram
	takeovers prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		rooms: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_rooms",
			Help: "Rooms whose actor runs on this node (this node holds their lease).",
		}),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "classhub_command_seconds",
			Help:    "Time from a command entering a room's inbox to its result, by command type.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"type"}),
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "classhub_jetstream_publish_seconds",
			Help:    "Time to append one event to a room's JetStream log, until acknowledged.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_room_starts_total",
			Help: "Room actors started on this node (new rooms, restarts and takeovers).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.rooms, m.commands, m.publish, m.takeovers)
	}
	return m
}
