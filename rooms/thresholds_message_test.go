package rooms

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// Thresholds that do not fit are refused with a message for the teacher:
// each problem on its line, named by its field, with no word of the
// server's own making.
func TestThresholdsRefusedNameEachField(t *testing.T) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	m := newManager(t, nc, js, "node-a")
	c := newClass(t, m)
	_, err := c.teach(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"struggle_window":0,"prereq_depth":9}`)})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeInvalid {
		t.Fatalf("bad thresholds: %v, want invalid", err)
	}
	if !strings.Contains(pe.Message, "struggle_window") || !strings.Contains(pe.Message, "prereq_depth") {
		t.Errorf("the message does not name each field: %q", pe.Message)
	}
	if strings.Contains(pe.Message, "detect:") {
		t.Errorf("the message speaks of the server's packages: %q", pe.Message)
	}
}

// New thresholds apply to the flags at once: a flag the old thresholds
// raised and the new ones do not is cleared by the command itself, with
// no answer or timer after it. Before, it stayed until the student's
// next answer or the detectors' next timer, and a restart in between
// (which looks at every student again) changed the class by itself.
func TestThresholdsApplyToTheFlagsAtOnce(t *testing.T) {
	c, _ := clockedClass(t, "Olivia")
	c.assign("frac-equivalence", protocol.Target{})
	d := c.device(0)
	d.failUntil(func(fs []protocol.Flag) bool {
		return len(fs) == 1 && fs[0].Rule == protocol.RuleStruggle
	})
	flag := flagsOf(c.view(), d.id)[0]
	before := len(c.log())
	// A window longer than Olivia's history: the struggle rule holds no
	// more.
	c.must(protocol.MsgSetThresholds, protocol.SetThresholds{Thresholds: json.RawMessage(`{"struggle_window":20,"struggle_problems":0}`)}, nil)
	if fs := flagsOf(c.view(), d.id); len(fs) != 0 {
		t.Fatalf("flags after the thresholds changed: %+v, want %s's struggle flag cleared", fs, flag.ID)
	}
	var cleared bool
	for _, ev := range c.log()[before:] {
		var fe protocol.FlagChanged
		if ev.Type == protocol.EvFlag && json.Unmarshal(ev.Data, &fe) == nil && fe.Flag.ID == flag.ID && fe.Flag.Status == protocol.FlagCleared {
			cleared = true
		}
	}
	if !cleared {
		t.Fatalf("no event clears flag %s after the thresholds changed", flag.ID)
	}
}
