package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// diskGuard watches the room left on the disk of the embedded store. A
// NATS server that meets the end of its disk fails the stream it was
// writing (a class log, the leases) until it restarts, even once the
// space is freed; so the node stops writing first: below --min-free-disk
// every change to a class is refused with storage_full ("this was not
// saved") and /readyz fails, and both end by themselves once there is
// room again.
type diskGuard struct {
	dir     string
	reserve uint64 // bytes kept free
	rooms   interface{ SetStoreLow(error) }
	log     *slog.Logger
	free    prometheus.Gauge
	// statfs is the free bytes of the disk holding dir.
	statfs func(dir string) (uint64, error)
	// store, when set, is the embedded server: a stream it failed on a
	// write error (the disk's end reached all the same, by another
	// program's writes) is recovered once there is room again.
	store interface {
		storeWriteFailed() bool
		storeWriteFailures() <-chan struct{}
		restartJetStream() error
	}

	low    bool
	failed bool // statfs failed: said once
	// retryAt: a restart of JetStream failed; the next try is not before.
	retryAt time.Time
}

// diskCheckEvery is how often the guard looks: the reserve is many
// seconds of a busy node's writes.
const diskCheckEvery = time.Second

// defaultReserve is the reserve when none is set: --min-free-disk's
// default, but no more than a twentieth of a small disk.
func defaultReserve(dir string, mib int) uint64 {
	reserve := uint64(mib) << 20
	if _, size, err := diskSpace(dir); err == nil {
		reserve = min(reserve, size/20)
	}
	return reserve
}

func newDiskGuard(dir string, reserve uint64, rooms interface{ SetStoreLow(error) }, log *slog.Logger, reg prometheus.Registerer) *diskGuard {
	g := &diskGuard{
		dir: dir, reserve: reserve, rooms: rooms, log: log,
		statfs: func(dir string) (uint64, error) {
			free, _, err := diskSpace(dir)
			return free, err
		},
		free: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classhub_store_disk_free_bytes",
			Help: "Bytes free on the disk of the embedded store (--data); under --min-free-disk, changes to classes are refused.",
		}),
	}
	if reg != nil {
		reg.MustRegister(g.free)
	}
	return g
}

// run checks every diskCheckEvery until ctx ends, and at once when NATS
// fails a stream on a write error: writes stop then, rather than at the
// next look.
func (g *diskGuard) run(ctx context.Context) {
	t := time.NewTicker(diskCheckEvery)
	defer t.Stop()
	var failures <-chan struct{}
	if g.store != nil {
		failures = g.store.storeWriteFailures()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-failures:
		}
		g.check()
	}
}

// check reads the free space once and refuses or allows writes. Writes
// start again only with an eighth of the reserve more than the reserve
// free, so that a disk at the mark does not turn them on and off.
func (g *diskGuard) check() {
	free, err := g.statfs(g.dir)
	if err != nil {
		if !g.failed {
			g.failed = true
			g.log.Warn("cannot read the free space of the store's disk; it is not watched", "dir", g.dir, "err", err)
		}
		return
	}
	g.failed = false
	g.free.Set(float64(free))
	switch {
	case free < g.reserve || (g.low && free < g.reserve+g.reserve/8):
		g.rooms.SetStoreLow(fmt.Errorf("the disk of the store (%s) has %s free: changes to classes wait for %s free (--min-free-disk)",
			g.dir, mib(free), mib(g.reserve+g.reserve/8)))
		if !g.low {
			g.low = true
			g.log.Error("the store's disk is nearly full: changes to classes are refused until there is room", "dir", g.dir, "free_mib", free>>20, "min_free", mib(g.reserve))
		}
	case g.low:
		g.low = false
		g.rooms.SetStoreLow(nil)
		g.log.Info("the store's disk has room again: classes take changes", "dir", g.dir, "free_mib", free>>20)
	}
	if !g.low && g.store != nil && g.store.storeWriteFailed() && !time.Now().Before(g.retryAt) {
		// NATS fails a stream that met the end of the disk until its
		// JetStream starts again; with room again, it does.
		g.log.Warn("NATS failed a stream when the disk was full; starting the embedded JetStream again now that there is room", "dir", g.dir, "free_mib", free>>20)
		if err := g.store.restartJetStream(); err != nil {
			g.retryAt = time.Now().Add(30 * time.Second)
			g.log.Error("the embedded JetStream did not start again; tried again in 30 s, or restart classhub", "err", err)
			return
		}
		g.log.Info("the embedded JetStream started again: its streams take writes")
	}
}

func mib(b uint64) string {
	if b < 10<<20 {
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d MiB", b>>20)
}
