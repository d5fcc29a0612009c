package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// Upgrading a data folder. Releases before the shared log streams kept
// each class's log in a stream of its own, whose sequence was the class's
// offset. A node moves every such log into its shard when it starts (and
// the first open of a class moves it, should a node of an older release
// have written one since): every event keeps its offset and the log keeps
// its epoch, so devices resume across the upgrade as across a restart.
// The old stream is deleted only once its last event is in the new log;
// a crash at any point leaves the old log whole, and the next run goes on
// from where the copy stopped.

// migrateBatch is how many events one atomic append of a migration holds.
const migrateBatch = 256

// migrateAll moves every class log of the old layout, and says how many.
func (ls *logStore) migrateAll(ctx context.Context, log *slog.Logger) (int, error) {
	var rooms []protocol.RoomID
	names := ls.js.StreamNames(ctx)
	for name := range names.Name() {
		if !strings.HasPrefix(name, protocol.LegacyStreamPrefix) {
			continue
		}
		st, err := ls.js.Stream(ctx, name)
		if err != nil {
			return 0, fmt.Errorf("migrate %s: %w", name, err)
		}
		room := protocol.RoomID(st.CachedInfo().Config.Metadata["room"])
		if !room.Valid() || protocol.LegacyStreamName(room) != name {
			log.Warn("a stream of the old layout names no class; left as it is", "stream", name)
			continue
		}
		rooms = append(rooms, room)
	}
	if err := names.Err(); err != nil {
		return 0, fmt.Errorf("list streams: %w", err)
	}
	for i, room := range rooms {
		if err := ls.migrateRoom(ctx, room); err != nil {
			return i, err
		}
		if (i+1)%500 == 0 {
			log.Info("moving class logs to the shared layout", "done", i+1, "of", len(rooms))
		}
	}
	return len(rooms), nil
}

// migrateRoom moves one class's log of the old layout, if there is one.
func (ls *logStore) migrateRoom(ctx context.Context, room protocol.RoomID) error {
	name := protocol.LegacyStreamName(room)
	old, err := ls.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate the log of room %s: %w", room, err)
	}
	// Sealed first: a node of an older release that still runs the class
	// can append nothing more, so every event it was told is stored is
	// in what is copied (it gets an error and its device retries, on a
	// node that has the class's new log).
	info := old.CachedInfo()
	if !info.Config.Sealed {
		cfg := info.Config
		cfg.Sealed = true
		if old, err = ls.js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("migrate the log of room %s: seal the old stream: %w", room, err)
		}
		if info, err = old.Info(ctx); err != nil {
			return fmt.Errorf("migrate the log of room %s: %w", room, err)
		}
	}
	p, rev, err := ls.pointer(ctx, room)
	switch {
	case errors.Is(err, ErrNoRoom):
		epoch := info.Config.Metadata["epoch"]
		if epoch == "" {
			// A log without an epoch: devices cannot resume across the
			// move and are told so (not_recoverable), never a silent gap.
			epoch = uuid.NewString()
		}
		p = logPointer{Epoch: epoch, Shard: ls.shardOf(room), Migrating: true}
		if rev, err = ls.setPointer(ctx, room, p, 0); err != nil {
			return fmt.Errorf("migrate the log of room %s: %w", room, err)
		}
	case err != nil:
		return fmt.Errorf("migrate the log of room %s: %w", room, err)
	}
	if p.Migrating {
		l := ls.at(room, p.Shard, p.Epoch)
		if err := l.refresh(ctx); err != nil {
			return fmt.Errorf("migrate the log of room %s: %w", room, err)
		}
		for {
			start := max(l.last+1, info.State.FirstSeq)
			evs, err := fetchEvents(ctx, ls.js, name, "", start, start, migrateBatch, info.State.LastSeq)
			if err != nil {
				return fmt.Errorf("migrate the log of room %s: read: %w", room, err)
			}
			if len(evs) == 0 {
				break
			}
			if l.fence == 0 {
				l.last = evs[0].Seq - 1 // the old log's start was removed (retention)
			}
			if _, err := l.appendAll(ctx, evs); err != nil {
				return fmt.Errorf("migrate the log of room %s: write: %w", room, err)
			}
		}
		if l.last < info.State.LastSeq && info.State.Msgs == 0 {
			// Every event was removed (the old layout's retention), but
			// the class's offsets had reached LastSeq and its snapshot may
			// be there: one event at the next offset keeps them going, so
			// the snapshot fits and no offset of this epoch is used twice.
			l.last = info.State.LastSeq
			ev := protocol.Event{Seq: l.last + 1, Type: protocol.EvOwnerChanged, Time: time.Now().UnixMilli(), Audience: protocol.ToNone, Data: json.RawMessage(`{"node":"migration"}`)}
			if _, err := l.appendAll(ctx, []protocol.Event{ev}); err != nil {
				return fmt.Errorf("migrate the log of room %s: write: %w", room, err)
			}
		}
		if l.last < info.State.LastSeq {
			return fmt.Errorf("migrate the log of room %s: copied up to %d of %d", room, l.last, info.State.LastSeq)
		}
		p.Migrating = false
		if _, err := ls.setPointer(ctx, room, p, rev); err != nil {
			return fmt.Errorf("migrate the log of room %s: %w", room, err)
		}
	}
	if err := ls.js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("migrate the log of room %s: delete the old stream: %w", room, err)
	}
	return nil
}
