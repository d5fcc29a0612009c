package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// version and revision say which release and commit this is. Release
// builds set them at link time (the container build does, as its build
// context has no .git to read):
//
//	go build -ldflags "-X main.version=v1.4.0 -X main.revision=$(git rev-parse HEAD)" ./cmd/classhub
//
// Left empty, they come from the build information: the module's version
// (a tag for "go install ...@v1.4.0", "(devel)" for a build from a
// checkout) and the commit Go stamped, when it could.
var version, revision string

// build says what this binary is.
type build struct {
	Version  string // the release, or "(devel)"
	Revision string // the commit it was built from, with "-dirty" if the tree had changes; "" if unknown
	Go       string // the Go toolchain
}

func buildInfo() build {
	b := build{Version: version, Revision: revision, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "(unknown)"
		}
		return b
	}
	if b.Version == "" {
		b.Version = bi.Main.Version
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Revision != "" {
		return b
	}
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && b.Revision != "" {
		b.Revision += "-dirty"
	}
	return b
}

func (b build) String() string {
	s := "classhub " + b.Version
	if b.Revision != "" {
		s += " (" + b.Revision + ")"
	}
	return s + " " + b.Go
}

func printVersion(w io.Writer) {
	fmt.Fprintln(w, buildInfo())
}

// buildInfoGauge is the classhub_build_info metric: always 1, with what
// the binary is in its labels, so that a dashboard shows which release
// each node runs during a rolling upgrade.
func buildInfoGauge(b build) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "classhub_build_info",
		Help: "Always 1; the labels say which release, commit and Go toolchain this node runs.",
	}, []string{"version", "revision", "go"})
	g.WithLabelValues(b.Version, b.Revision, b.Go).Set(1)
	return g
}
