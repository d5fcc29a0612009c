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
