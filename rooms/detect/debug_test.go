package detect

import (
	"testing"
)

func TestDebugMiss(t *testing.T) {
	cfg := DefaultSimConfig()
	th := DefaultThresholds()
	for seed := uint64(1); seed <= 50; seed++ {
		tr := Simulate(cfg, seed)
		rep := Replay(tr, th)
		for _, s := range rep.Students {
			if s.Role.Struggler() && (s.Flagged == 0 || s.ActNow == 0) {
				t.Logf("seed %d %s %s onset %.1f flagged %d act %d alerts %d %v", seed, s.Name, s.Role, float64(s.Onset-cfg.Start)/60000, s.Flagged, s.ActNow, s.Alerts, s.Rules)
			}
		}
	}
}
