package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// A node that starts while its cluster's servers are still joining is
// refused a replicated stream for want of peers: it tries again instead
// of exiting. Any other refusal is an answer and ends the start.
func TestOpenStoresWaitsForTheCluster(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: jsErrNoPeers, Description: "no suitable peers for placement, peer offline"}
	calls := 0
	_, err := openStores(context.Background(), log, func(context.Context) (stores, error) {
		if calls++; calls < 3 {
			return stores{}, noPeers
		}
		return stores{}, nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("after two refusals for want of peers: %d attempts, %v; want the third to open the stores", calls, err)
	}

	other := &jetstream.APIError{Code: 400, ErrorCode: 10052, Description: "stream configuration is invalid"}
	calls = 0
	_, err = openStores(context.Background(), log, func(context.Context) (stores, error) {
		calls++
		return stores{}, other
	})
	if !errors.Is(err, other) || calls != 1 {
		t.Fatalf("an invalid configuration: %d attempts, %v; want one, and its error", calls, err)
	}
}
