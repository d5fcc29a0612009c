package hub

import (
	"testing"

	"github.com/coder/websocket"

	"github.com/classhub/classhub/protocol"
)

// A student the teacher erased is told so, with the final close 4004, when
// their device comes back, rather than 4002, which asks them to join again.
// The other students come back as after any replaced log.
func TestErasedStudentIsClosedWithRemoved(t *testing.T) {
	e := newEnv(t)
	tl := e.teacher()
	info := e.room(tl.Token, "Year 5 maths")
	olivia := e.join(info.Code, "Olivia")
	noah := e.join(info.Code, "Noah")
	oc, _ := e.mustConnect("olivia", protocol.Hello{Token: olivia.Token})
	nc, _ := e.mustConnect("noah", protocol.Hello{Token: noah.Token})

	if _, perr := e.call("POST", "/api/v1/rooms/"+string(info.ID)+"/students/"+string(olivia.Student)+"/erase", tl.Token, nil, nil); perr != nil {
		t.Fatal(perr)
	}
	for _, c := range []*client{oc, nc} {
		if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseRoomMoved) {
			t.Fatalf("%s closed with %d, want %d", c.name, code, protocol.CloseRoomMoved)
		}
	}

	again, f := e.connect("olivia again", protocol.Hello{Token: olivia.Token, Resume: oc.resumeFrom()})
	if f.Type != protocol.FrameError || f.Error.Code != protocol.CodeUnauthorized || f.Error.Message != "your teacher removed you from this class" {
		t.Fatalf("her hello after erasing: %+v %v", f, f.Error)
	}
	if code := again.waitClosed(); code != websocket.StatusCode(protocol.CloseRemoved) || !protocol.CloseRemoved.Final() {
		t.Fatalf("her device closed with %d, want %d (final)", code, protocol.CloseRemoved)
	}

	_, w := e.mustConnect("noah again", protocol.Hello{Token: noah.Token, Resume: nc.resumeFrom()})
	if w.Resumed || w.Reason == nil || w.Reason.Code != protocol.CodeNotRecoverable {
		t.Fatalf("noah's welcome after erasing: %+v", w)
	}

	// A token that is simply not for the class is still 4002.
	other := e.room(tl.Token, "Year 6 maths")
	c, f := e.connect("noah elsewhere", protocol.Hello{Token: noah.Token, Room: other.ID})
	if f.Error == nil || f.Error.Code != protocol.CodeUnauthorized {
		t.Fatalf("noah in another class: %+v", f)
	}
	if code := c.waitClosed(); code != websocket.StatusCode(protocol.CloseUnauthorized) {
		t.Fatalf("noah in another class: closed with %d, want %d", code, protocol.CloseUnauthorized)
	}
}
