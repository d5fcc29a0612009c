package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadThresholds(t *testing.T) {
	if th, err := loadThresholds(""); th != nil || err != nil {
		t.Fatalf("no file: %+v, %v; want the defaults (nil)", th, err)
	}
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "thresholds.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	th, err := loadThresholds(write(`{"idle_watch_ms": 180000, "idle_act_now_ms": 420000}`))
	if err != nil || th.IdleWatchMs != 180000 || th.IdleActNowMs != 420000 || th.StuckAttempts == 0 {
		t.Fatalf("a school's idle thresholds: %+v, %v (other fields keep the defaults)", th, err)
	}
	for name, body := range map[string]string{
		"a typo":        `{"idle_wach_ms": 180000}`,
		"an idle order": `{"idle_watch_ms": 600000, "idle_act_now_ms": 60000}`,
		"not JSON":      `idle: 3m`,
		"a wrong type":  `{"stuck_attempts": "ten"}`,
	} {
		if _, err := loadThresholds(write(body)); err == nil || !strings.Contains(err.Error(), "thresholds") {
			t.Errorf("%s: err = %v, want a refusal naming the file", name, err)
		}
	}
	if _, err := loadThresholds(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}
