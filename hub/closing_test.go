package hub

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
)

// A node that is shutting down refuses a new WebSocket as it refuses one
// when full: 503 before the upgrade, a JSON error unavailable and a
// Retry-After, as PROTOCOL.md says of every refusal of a connection.
func TestClosingRefusesWithRetryAfter(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	status, secs, perr := e.refusedDial()
	if status != http.StatusServiceUnavailable || perr.Code != protocol.CodeUnavailable || perr.Message == "" || secs < 1 {
		t.Fatalf("a connection to a node shutting down: %d, Retry-After %d, %+v", status, secs, perr)
	}
}
