package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStoppedRunLeavesNothingBehind: classload stopped by SIGTERM while
// it measures (a service manager, or `timeout`) stops the server it
// started and removes that server's data folder, as it does on Ctrl-C.
func TestStoppedRunLeavesNothingBehind(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "classload")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build classload: %v\n%s", err, out)
	}
	tmp := t.TempDir() // the run's own folders, and the server it builds
	cmd := exec.Command(bin, "fanout", "--classes", "1", "--students", "2", "--warmup", "10m")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		// Whatever the outcome, nothing of the test outlives it.
		_ = cmd.Process.Kill()
		for pid := range processesUnder(t, tmp) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	// The server is up once a process runs from the run's folder.
	deadline := time.Now().Add(5 * time.Minute)
	for len(processesUnder(t, tmp)) == 0 {
		select {
		case err := <-done:
			t.Fatalf("the run ended before its server started: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no server started within 5 minutes")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stopped run reported success")
		}
		if !strings.Contains(stderr.String(), "terminated") {
			t.Errorf("the run did not say it was stopped by a signal: %s", stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("the run did not end within 2 minutes of SIGTERM")
	}
	if left := processesUnder(t, tmp); len(left) > 0 {
		t.Errorf("still running after the run ended: %v", left)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// processesUnder gives the command lines, by process ID, of the
// processes started from a file under dir.
func processesUnder(t *testing.T, dir string) map[int]string {
	t.Helper()
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	found := map[int]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the process ended
		}
		args := strings.Split(string(b), "\x00")
		if strings.HasPrefix(args[0], dir+string(filepath.Separator)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			found[pid] = strings.Join(args, " ")
		}
	}
	return found
}
