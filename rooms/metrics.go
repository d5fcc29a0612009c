package rooms

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	rooms     prometheus.Gauge
	commands  *prometheus.HistogramVec
	publish   prometheus.Histogram
	takeovers prometheus.Counter
	panics    prometheus.Counter
	failed    prometheus.Gauge
	corrupt   prometheus.Counter
	appendErr prometheus.Counter
	batch     prometheus.Histogram
	limited   prometheus.Counter
	// listenPanics counts panics of a subscriber to a room's events
	// (Listen), recovered where the events were handed over.
	listenPanics prometheus.Counter
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
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_room_panics_total",
			Help: "Panics recovered at the edge of a room's actor; each is logged with the room and what it was doing.",
		}),
		listenPanics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_fanout_panics_total",
			Help: "Panics recovered while a room's events were handed to this node's devices; each is logged with the room.",
		}),
		failed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_rooms_failed",
			Help: "Rooms that could not be loaded or failed twice on this node and stay stopped until the node restarts; their devices get unavailable.",
		}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_room_corrupt_logs_total",
			Help: "Room logs found holding an event that does not fold (corrupt, or written by a newer version).",
		}),
		appendErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_log_append_failures_total",
			Help: "Appends to a class log that JetStream did not take (not a fence): a full disk, a lost server, a stream without a leader. The step is undone and the device told.",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "classhub_log_append_events",
			Help:    "Events per append to a class log: a step's events and its reply, or those of several waiting commands taken together.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		limited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classhub_room_commands_rate_limited_total",
			Help: "Commands refused rate_limited by the class's owner on this node: their sender was over their allowance in the class, counted across every node and connection.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.rooms, m.commands, m.publish, m.takeovers, m.panics, m.failed, m.corrupt, m.appendErr, m.batch, m.limited, m.listenPanics)
	}
	return m
}
