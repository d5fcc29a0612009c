// Package jsstore opens the JetStream buckets and streams a deployment
// keeps, creating them on its first start.
//
// Two things about a JetStream cluster shape it. A request can go
// unanswered: one that reaches the cluster while the stream it names is
// being created is dropped, and two changes of one stream at once (one
// node's, another's) can both wait half a minute. So every request here
// is tried with a short time, and again; each is safe to repeat (a read,
// the same creation, the same change). And a change of a stream is a
// proposal to the meta leader and then to the stream's replicas: a node
// that starts on stores that already exist, as every node but the very
// first does, reads their configuration and changes nothing unless this
// release wants something else (more replicas, another limit).
package jsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Each try of a request has firstTry, then twice the time of the one
// before, up to lastTry; tries go on until the caller's context ends.
const (
	firstTry = 2 * time.Second
	lastTry  = 10 * time.Second
)

// JetStream's answer while a cluster has no meta leader yet.
const errUnavailable = 10008

// try runs op until it is answered: again after a try that ran out of
// time, found no responders, or was told the cluster is not ready, or
// that failed with one of also.
func try[T any](ctx context.Context, op func(context.Context) (T, error), also ...error) (T, error) {
	limit := firstTry
	for {
		tctx, cancel := context.WithTimeout(ctx, limit)
		v, err := op(tctx)
		cancel()
		var apiErr *jetstream.APIError
		again := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) ||
			(errors.As(err, &apiErr) && apiErr.ErrorCode == errUnavailable) ||
			slices.ContainsFunc(also, func(e error) bool { return errors.Is(err, e) })
		if !again || ctx.Err() != nil {
			if err != nil && ctx.Err() != nil {
				err = fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			return v, err
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			// Answered at once: give the cluster a moment.
			t := time.NewTimer(200 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		limit = min(2*limit, lastTry)
	}
}

// KeyValue opens the bucket cfg names, creating it if it is missing. When
// leaderReads is set the bucket's reads go through its stream's leader
// (direct gets off): a replica that is behind would not yet hold a key
// just written. The handle returned is opened after the bucket has its
// final configuration.
func KeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, leaderReads bool) (jetstream.KeyValue, error) {
	name := "KV_" + cfg.Bucket
	info := func(c context.Context) (jetstream.Stream, error) { return js.Stream(c, name) }
	st, err := try(ctx, info)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		// Nodes starting together on a new deployment all get here: the
		// same creation from several of them is answered alike. A bucket
		// read through its leader is created so, never changed just
		// after, which would race the other nodes' creations.
		if leaderReads {
			st, err = try(ctx, func(c context.Context) (jetstream.Stream, error) { return js.CreateStream(c, kvStream(cfg)) })
		} else {
			_, err = try(ctx, func(c context.Context) (jetstream.KeyValue, error) { return js.CreateKeyValue(c, cfg) })
		}
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, fmt.Errorf("create: %w", err)
		}
		if err != nil || !leaderReads {
			// Made by someone else with other settings, or through the
			// client's own layout: read what there is. A server may
			// not know of a stream for a moment after it was made.
			if st, err = try(ctx, info, jetstream.ErrStreamNotFound); err != nil {
				return nil, fmt.Errorf("read the new bucket: %w", err)
			}
		}
	case err != nil:
		return nil, fmt.Errorf("read: %w", err)
	}
	if sc := st.CachedInfo().Config; !kvAsWanted(sc, cfg) || (leaderReads && sc.AllowDirect) {
		want := kvLimits(sc, cfg)
		if leaderReads {
			want.AllowDirect = false
		}
		if _, err := try(ctx, func(c context.Context) (jetstream.Stream, error) { return js.UpdateStream(c, want) }); err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
	}
	kv, err := try(ctx, func(c context.Context) (jetstream.KeyValue, error) { return js.KeyValue(c, cfg.Bucket) }, jetstream.ErrBucketNotFound)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return kv, nil
}

// kvStream is the stream of a bucket read through its leader: the
// layout of a key-value bucket (as the NATS client makes it for cfg),
// with direct gets off.
func kvStream(cfg jetstream.KeyValueConfig) jetstream.StreamConfig {
	dup := 2 * time.Minute
	if cfg.TTL > 0 && cfg.TTL < dup {
		dup = cfg.TTL
	}
	sc := kvLimits(jetstream.StreamConfig{
		Name:         "KV_" + cfg.Bucket,
		Description:  cfg.Description,
		Subjects:     []string{"$KV." + cfg.Bucket + ".>"},
		Placement:    cfg.Placement,
		AllowRollup:  true,
		DenyDelete:   true,
		Duplicates:   dup,
		MaxMsgs:      -1,
		MaxConsumers: -1,
		Discard:      jetstream.DiscardNew,
		Metadata:     cfg.Metadata,
	}, cfg)
	return sc
}

// kvLimits is sc with the limits cfg sets.
func kvLimits(sc jetstream.StreamConfig, cfg jetstream.KeyValueConfig) jetstream.StreamConfig {
	sc.MaxMsgsPerSubject = int64(max(cfg.History, 1))
	sc.MaxAge = cfg.TTL
	sc.MaxBytes, sc.MaxMsgSize = cfg.MaxBytes, cfg.MaxValueSize
	if sc.MaxBytes == 0 {
		sc.MaxBytes = -1
	}
	if sc.MaxMsgSize == 0 {
		sc.MaxMsgSize = -1
	}
	sc.Storage = cfg.Storage
	sc.Replicas = max(cfg.Replicas, 1)
	return sc
}

// kvAsWanted reports whether a bucket's stream already has the limits
// cfg sets (how it is read is apart).
func kvAsWanted(have jetstream.StreamConfig, cfg jetstream.KeyValueConfig) bool {
	want := kvLimits(have, cfg)
	return have.MaxMsgsPerSubject == want.MaxMsgsPerSubject &&
		have.MaxAge == want.MaxAge &&
		have.MaxBytes == want.MaxBytes &&
		have.MaxMsgSize == want.MaxMsgSize &&
		have.Storage == want.Storage &&
		have.Replicas == want.Replicas
}

// Stream opens the stream cfg names, creating it if it is missing and
// updating it only when its configuration differs from cfg in what cfg
// sets.
func Stream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	info := func(c context.Context) (jetstream.Stream, error) { return js.Stream(c, cfg.Name) }
	update := func(c context.Context) (jetstream.Stream, error) { return js.UpdateStream(c, cfg) }
	st, err := try(ctx, info)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		st, err = try(ctx, func(c context.Context) (jetstream.Stream, error) { return js.CreateStream(c, cfg) })
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Created meanwhile with other settings (an older release).
			st, err = try(ctx, update)
		}
	case err != nil:
	case !streamAsWanted(st.CachedInfo().Config, cfg):
		st, err = try(ctx, update)
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	return st, nil
}

// streamAsWanted reports whether a stream has the settings cfg gives; a
// setting cfg leaves at its zero value is the server's to choose.
func streamAsWanted(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) &&
		have.Storage == want.Storage &&
		have.Retention == want.Retention &&
		have.Discard == want.Discard &&
		have.Replicas == max(want.Replicas, 1) &&
		have.AllowDirect == want.AllowDirect &&
		have.AllowAtomicPublish == want.AllowAtomicPublish &&
		have.DenyDelete == want.DenyDelete &&
		have.DenyPurge == want.DenyPurge &&
		have.AllowRollup == want.AllowRollup &&
		(want.MaxAge == 0 || have.MaxAge == want.MaxAge) &&
		(want.MaxMsgsPerSubject == 0 || have.MaxMsgsPerSubject == want.MaxMsgsPerSubject) &&
		(want.MaxBytes == 0 || have.MaxBytes == want.MaxBytes) &&
		(want.MaxMsgs == 0 || have.MaxMsgs == want.MaxMsgs) &&
		(want.Duplicates == 0 || have.Duplicates == want.Duplicates)
}

// CreateOnce stores value at key unless a value is there already, and
// returns the value the bucket keeps: this one, or the one another node
// stored first. On a cluster just formed, a read may still reach a
// server that has not applied the other node's write ("key exists", then
// "not found" even through the leader): the key is there, so it is read
// again, a few times over about 5 s, until it is seen.
func CreateOnce(ctx context.Context, kv jetstream.KeyValue, key string, value []byte) ([]byte, error) {
	if _, err := kv.Create(ctx, key, value); err == nil {
		return value, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("store %s: %w", key, err)
	}
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		e, err := kv.Get(ctx, key)
		if err == nil {
			return e.Value(), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) || try == 10 {
			return nil, fmt.Errorf("read %s another node stored: %w", key, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("read %s another node stored: %w", key, ctx.Err())
		}
		wait = min(2*wait, time.Second)
	}
}
