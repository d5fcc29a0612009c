package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/classhub/classhub/jsstore"
	"github.com/classhub/classhub/protocol"
)

// HeaderEpoch carries the log incarnation on fanned-out events.
const HeaderEpoch = "Classhub-Epoch"

// jsErrWrongLastSequence is JetStream's error code for a publish whose
// expected last sequence did not match: the fence.
const jsErrWrongLastSequence = 10071

// The layout of class logs. Every class's events live in one of a fixed
// number of shared streams (the shards, chosen by class ID), under a
// subject of their own: classhub.log.<shard>.<room>.<epoch>. So the number
// of streams, and of Raft groups on a cluster, never grows with the number
// of classes. A class's offset is dense and its own (the event's Seq); the
// stream sequence of its last event is the fence (JetStream's expected
// last sequence per subject), so a deposed owner cannot append.
//
// Which incarnation of a class's log is current (its epoch) is kept in the
// classhub_logs bucket. A log rewritten by erasing a student is written
// under a new epoch beside the old one, and the pointer moves only once it
// is complete (see erase.go).

// logPointer is a class's entry in the classhub_logs bucket.
type logPointer struct {
	Epoch string `json:"epoch"`
	Shard int    `json:"shard"`
	// Pending is a log being written (an erasure, a migration) that is not
	// the class's log yet: found at open, it is an interrupted rewrite and
	// is removed.
	Pending string `json:"pending,omitempty"`
	// Retired is a log that is no longer the class's but was not yet
	// removed: found at open, it is removed.
	Retired string `json:"retired,omitempty"`
	// Migrating: the log is being moved from the layout of earlier
	// releases (migrate.go); it is complete only once this is cleared.
	Migrating bool `json:"migrating,omitempty"`
}

// logStore is the node's access to the class logs.
type logStore struct {
	js       jetstream.JetStream
	kv       jetstream.KeyValue // classhub_logs: room → logPointer
	shards   []jetstream.Stream
	replicas int
	// maxMsg, when set, bounds a log message's payload below what the
	// server allows (see maxMessage).
	maxMsg int
	// tryTimeout, when set, is one try's time instead of appendTryDefault.
	tryTimeout time.Duration
	// fault, set by tests, runs before each try of an append: an error
	// is the try's (its request lost before it was stored); lostAfter
	// has the try stored and its answer lost.
	fault func(ctx context.Context) (lostAfter bool, err error)
}

// logShardsKey is where the number of shards of a deployment is kept in
// the config bucket: chosen when the first node starts, never changed.
const logShardsKey = "log_shards"

func openLogStore(ctx context.Context, js jetstream.JetStream, shards, replicas int) (*logStore, error) {
	cfgKV, err := openBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: protocol.BucketConfig, History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("config bucket: %w", err)
	}
	// The first node's number is kept; the others read it.
	kept, err := jsstore.CreateOnce(ctx, cfgKV, logShardsKey, []byte(strconv.Itoa(shards)))
	if err != nil {
		return nil, fmt.Errorf("the number of log shards: %w", err)
	}
	if shards, err = strconv.Atoi(string(kept)); err != nil || shards < 1 || shards > protocol.MaxLogShards {
		return nil, fmt.Errorf("the number of log shards in %s is %q: not 1 to %d", protocol.BucketConfig, kept, protocol.MaxLogShards)
	}
	// The bucket and the shards side by side, as the rooms' other stores.
	ls := &logStore{js: js, replicas: replicas, shards: make([]jetstream.Stream, shards)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		if ls.kv, err = openBucket(gctx, js, jetstream.KeyValueConfig{
			Bucket: protocol.BucketLogs, History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
		}); err != nil {
			return fmt.Errorf("log bucket: %w", err)
		}
		return nil
	})
	for i := range shards {
		g.Go(func() error { return ls.openShard(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ls, nil
}

// openShard opens (or creates) log stream i.
func (ls *logStore) openShard(ctx context.Context, i int) error {
	st, err := jsstore.Stream(ctx, ls.js, jetstream.StreamConfig{
		Name:      protocol.LogStream(i),
		Subjects:  []string{protocol.LogShardSubjects(i)},
		Storage:   jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy,
		Discard:   jetstream.DiscardOld,
		Replicas:  ls.replicas,
		// Reads of a log's end and of an offset's place go to the
		// stream's leader: a replica that is behind would tell an
		// owner a wrong fence, or a reader a short log.
		AllowDirect: false,
		// The events of one step are appended as one atomic batch:
		// all of them or none.
		AllowAtomicPublish: true,
		// A class's log is removed subject by subject (retention,
		// erasure); nothing else removes events.
		DenyDelete: true,
	})
	if err != nil {
		return fmt.Errorf("log stream %d: %w", i, err)
	}
	ls.shards[i] = st
	return nil
}

// shardOf is the shard a new class's log goes to.
func (ls *logStore) shardOf(room protocol.RoomID) int {
	h := fnv.New32a()
	h.Write([]byte(room))
	return int(h.Sum32() % uint32(len(ls.shards)))
}

// pointer reads a class's log pointer and its revision; ErrNoRoom if the
// class has no log.
func (ls *logStore) pointer(ctx context.Context, room protocol.RoomID) (logPointer, uint64, error) {
	e, err := ls.kv.Get(ctx, string(room))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return logPointer{}, 0, ErrNoRoom
	}
	if err != nil {
		return logPointer{}, 0, fmt.Errorf("log of room %s: %w", room, err)
	}
	var p logPointer
	if err := json.Unmarshal(e.Value(), &p); err != nil || p.Epoch == "" || p.Shard < 0 || p.Shard >= len(ls.shards) {
		return logPointer{}, 0, fmt.Errorf("log of room %s: unreadable pointer %q", room, e.Value())
	}
	return p, e.Revision(), nil
}

// setPointer writes p if the pointer is still at rev (0: absent).
func (ls *logStore) setPointer(ctx context.Context, room protocol.RoomID, p logPointer, rev uint64) (uint64, error) {
	b, _ := json.Marshal(p)
	if rev == 0 {
		return ls.kv.Create(ctx, string(room), b)
	}
	return ls.kv.Update(ctx, string(room), b, rev)
}

// purge removes every event of one incarnation of a class's log.
func (ls *logStore) purge(ctx context.Context, room protocol.RoomID, shard int, epoch string) error {
	if err := ls.shards[shard].Purge(ctx, jetstream.WithPurgeSubject(protocol.LogSubject(shard, room, epoch))); err != nil {
		return fmt.Errorf("remove log %s of room %s: %w", epoch, room, err)
	}
	return nil
}

// tidy finishes what an interrupted rewrite left: a pending log that never
// became the class's is removed, and so is a retired one.
func (ls *logStore) tidy(ctx context.Context, room protocol.RoomID) (logPointer, error) {
	for {
		p, rev, err := ls.pointer(ctx, room)
		if err != nil || (p.Pending == "" && p.Retired == "") {
			return p, err
		}
		for _, epoch := range []string{p.Pending, p.Retired} {
			if epoch != "" {
				if err := ls.purge(ctx, room, p.Shard, epoch); err != nil {
					return p, err
				}
			}
		}
		p.Pending, p.Retired = "", ""
		if _, err := ls.setPointer(ctx, room, p, rev); err == nil || !errors.Is(err, jetstream.ErrKeyExists) && !isWrongRevision(err) {
			return p, err
		}
	}
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// roomLog is one incarnation of one class's log, as its owner appends to it.
type roomLog struct {
	ls     *logStore
	stream jetstream.Stream
	room   protocol.RoomID
	shard  int
	epoch  string
	subj   string
	last   uint64 // the class's offset of its last event
	fence  uint64 // the stream sequence of that event: 0 before the first
	first  uint64 // the oldest offset kept, when the log was opened
}

// openLog opens the class's current log, creating it when create is set.
// The epoch names this incarnation of the log: a log written again gets a
// new epoch, so that no device resumes across it.
func (ls *logStore) open(ctx context.Context, room protocol.RoomID, create bool) (*roomLog, error) {
	if err := ls.migrateRoom(ctx, room); err != nil {
		return nil, err
	}
	p, err := ls.tidy(ctx, room)
	if errors.Is(err, ErrNoRoom) && create {
		p = logPointer{Epoch: uuid.NewString(), Shard: ls.shardOf(room)}
		if _, err = ls.setPointer(ctx, room, p, 0); errors.Is(err, jetstream.ErrKeyExists) {
			p, err = ls.tidy(ctx, room) // another node created it meanwhile
		}
	}
	if err != nil {
		return nil, err
	}
	l := ls.at(room, p.Shard, p.Epoch)
	if err := l.refresh(ctx); err != nil {
		return nil, err
	}
	if l.first, err = l.firstSeq(ctx); err != nil {
		return nil, fmt.Errorf("start of the log of room %s: %w", room, err)
	}
	return l, nil
}

// current is the class's current log, to read: unlike open, it changes
// nothing (an erasure under way on the class's owner is left alone).
func (ls *logStore) current(ctx context.Context, room protocol.RoomID) (*roomLog, error) {
	p, _, err := ls.pointer(ctx, room)
	if err != nil {
		return nil, err
	}
	l := ls.at(room, p.Shard, p.Epoch)
	if err := l.refresh(ctx); err != nil {
		return nil, err
	}
	if l.first, err = l.firstSeq(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// at is a log by its place, without reading anything.
func (ls *logStore) at(room protocol.RoomID, shard int, epoch string) *roomLog {
	return &roomLog{ls: ls, stream: ls.shards[shard], room: room, shard: shard, epoch: epoch, subj: protocol.LogSubject(shard, room, epoch)}
}

// refresh reads where the log ends, after a fence told us it moved.
func (l *roomLog) refresh(ctx context.Context) error {
	msg, err := l.stream.GetLastMsgForSubject(ctx, l.subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		l.last, l.fence = 0, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("end of the log of room %s: %w", l.room, err)
	}
	evs, err := decodeEvents(msg.Header, msg.Data)
	if err != nil {
		return fmt.Errorf("end of the log of room %s: corrupt event at %d: %w", l.room, msg.Sequence, err)
	}
	l.last, l.fence = evs[len(evs)-1].Seq, msg.Sequence
	return nil
}

// refreshWithin is refresh tried again for up to d, each try bounded by
// the append's try: after a step the log did not take because its stream
// had no leader (a NATS server lost), the end of the log can be read only
// once the others have elected one, and a single request would wait out
// its whole timeout even when the election ends sooner. The class then
// goes on as soon as its stream answers, instead of stopping.
func (l *roomLog) refreshWithin(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		tctx, cancel := context.WithTimeout(ctx, l.ls.appendTry())
		err := l.refresh(tctx)
		cancel()
		if err == nil || ctx.Err() != nil || !time.Now().Before(deadline) {
			return err
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// firstSeq is the oldest offset still kept: 1, or later when the start of
// the log was removed.
func (l *roomLog) firstSeq(ctx context.Context) (uint64, error) {
	msg, err := l.stream.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(l.subj))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return l.last + 1, nil
	}
	if err != nil {
		return 0, err
	}
	evs, err := decodeEvents(msg.Header, msg.Data)
	if err != nil {
		return 0, fmt.Errorf("start of the log of room %s: corrupt event: %w", l.room, err)
	}
	return evs[0].Seq, nil
}

// append stores ev as the next event, fenced on the end of the log this
// owner knows. On success ev.Seq is set and the encoded event is returned.
func (l *roomLog) append(ctx context.Context, ev *protocol.Event) ([]byte, error) {
	if ev.Seq != 0 && ev.Seq != l.last+1 {
		return nil, fmt.Errorf("append to room %s: event staged at %d, log at %d: %w", l.room, ev.Seq, l.last, ErrFenced)
	}
	ev.Seq = l.last + 1
	encs, err := l.appendAll(ctx, []protocol.Event{*ev})
	if err != nil {
		return nil, err
	}
	return encs[0], nil
}

// appendAll stores evs, whose offsets follow the last this owner knows,
// fenced on the end of the log: either every event of a step is in the log
// or none is, so a regrouping is never half visible and a command's reply
// is stored with its events. They go as one message (packEvents), or, when
// they do not fit in one, as one atomic batch of messages. It returns the
// encoded events.
func (l *roomLog) appendAll(ctx context.Context, evs []protocol.Event) ([][]byte, error) {
	encs := make([][]byte, len(evs))
	for i := range evs {
		if evs[i].Seq != l.last+uint64(i)+1 {
			return nil, fmt.Errorf("append to room %s: event %d staged at %d, log at %d: %w", l.room, i, evs[i].Seq, l.last, ErrFenced)
		}
		b, err := json.Marshal(&evs[i])
		if err != nil {
			return nil, fmt.Errorf("encode event: %w", err)
		}
		encs[i] = b
	}
	msgs, err := packEvents(encs, l.ls.maxMessage())
	if err != nil {
		return nil, fmt.Errorf("append to room %s at %d: %w", l.room, evs[0].Seq, err)
	}
	// The step's name, in its messages' headers: a try whose answer was
	// lost may have stored them, and the next try, fenced by them, knows
	// them by it.
	step := uuid.NewString()
	last := evs[len(evs)-1].Seq
	// On a cluster the stream's leader refuses an append fenced on a
	// subject whose previous append it is still applying (JetStream's
	// "wrong last sequence" constant error, not the fence's): that one is
	// tried again, shortly, a few times.
	//
	// An append that found no responders reached no stream: the log's
	// stream has no leader for the moment (a NATS server was lost and the
	// others are electing one), and nothing was stored. It is tried again
	// until ctx ends, as the election takes a few seconds.
	//
	// A try that got no answer within appendTry (its server lost, or the
	// stream's leader, with the request in flight) is tried again at once
	// while ctx lasts, rather than waiting out the whole of ctx: a lost
	// leader is then noticed after the election, not after the command's
	// timeout. The first try may have been stored all the same; the fence
	// refuses the second, and the log's last message, if it is this
	// step's, says that it was.
	wait, busy, unsure := 2*time.Millisecond, 0, false
	for attempt := 1; ; attempt++ {
		tctx, cancel := context.WithTimeout(ctx, l.ls.appendTry())
		err := l.appendOnce(tctx, msgs, step, evs[0].Seq, last)
		lost := err != nil && ctx.Err() == nil && (tctx.Err() != nil || errors.Is(err, nats.ErrTimeout))
		cancel()
		switch {
		case err == nil:
			return encs, nil
		case errors.Is(err, ErrFenced) && unsure:
			if ok, lerr := l.landed(ctx, step, last); lerr != nil {
				return nil, errors.Join(err, lerr)
			} else if ok {
				return encs, nil
			}
			return nil, err
		case lost:
			unsure = true
			wait = 0
		case errors.Is(err, errInProcess) && attempt < 8:
		case noStream(err):
			busy++
			wait = min(time.Duration(busy)*50*time.Millisecond, 500*time.Millisecond)
		default:
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = max(2*wait, 2*time.Millisecond)
	}
}

// appendTryDefault bounds one try of an append (see appendAll): long
// enough for an append on a busy node, a fraction of a command's time.
const appendTryDefault = 1500 * time.Millisecond

func (ls *logStore) appendTry() time.Duration {
	if ls.tryTimeout > 0 {
		return ls.tryTimeout
	}
	return appendTryDefault
}

// landed reports whether the log's last message is step's, whose last
// event is at offset last: a try whose answer was lost stored it. The
// log's end is then that message.
func (l *roomLog) landed(ctx context.Context, step string, last uint64) (bool, error) {
	msg, err := l.stream.GetLastMsgForSubject(ctx, l.subj)
	if err != nil {
		return false, fmt.Errorf("end of the log of room %s: %w", l.room, err)
	}
	if msg.Header.Get(HeaderStep) != step {
		return false, nil
	}
	evs, err := decodeEvents(msg.Header, msg.Data)
	if err != nil || evs[len(evs)-1].Seq != last {
		return false, fmt.Errorf("end of the log of room %s: this step's message at %d does not end at %d (%v)", l.room, msg.Sequence, last, err)
	}
	l.last, l.fence = last, msg.Sequence
	return true, nil
}

// noStream reports whether a write reached no stream: nothing was stored.
// The JetStream client says so in its own words once its own retries are
// spent.
func noStream(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// jsErrSubjectInProcess is JetStream's error for an append fenced on a
// subject with an append still being applied.
const jsErrSubjectInProcess = 10164

var errInProcess = errors.New("an earlier append to this log is still being applied")

// storeFull reports whether a JetStream error code says there is no room
// to store: insufficient resources (10023), the server's storage
// (10047) or memory (10028) used up, the account's limits reached
// (10002).
func storeFull(code int) bool {
	switch code {
	case 10023, 10047, 10028, 10002:
		return true
	}
	return false
}

// whenFull marks err with ErrStoreFull when JetStream refused a write for
// want of room, so that the device is told so; any other err is
// returned as it is.
func whenFull(err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && storeFull(int(apiErr.ErrorCode)) {
		return fmt.Errorf("%w: %w", ErrStoreFull, err)
	}
	return err
}

// appendOnce is one try of appendAll: the step's messages, fenced on the
// end of the log this owner knows; first and last are the offsets of the
// step's first and last events. The fault hook, set by tests, stands for
// a try that was lost before or after it was stored.
func (l *roomLog) appendOnce(ctx context.Context, packed []logMessage, step string, first, last uint64) error {
	var lostAfter bool
	if l.ls.fault != nil {
		var err error
		if lostAfter, err = l.ls.fault(ctx); err != nil {
			return err
		}
	}
	msgs := make([]*nats.Msg, len(packed))
	for i, p := range packed {
		msgs[i] = nats.NewMsg(l.subj)
		msgs[i].Data = p.data
		if p.n > 1 {
			msgs[i].Header.Set(HeaderEvents, strconv.Itoa(p.n))
		}
		msgs[i].Header.Set(HeaderStep, step)
	}
	fence := strconv.FormatUint(l.fence, 10)
	var stored uint64
	if len(msgs) == 1 {
		// The common case: the whole step is one message, which
		// JetStream stores whole or not at all.
		msg := msgs[0]
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, fence)
		ack, err := l.ls.js.PublishMsg(ctx, msg)
		if err != nil {
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrWrongLastSequence {
				return fmt.Errorf("append to room %s at %d: %w", l.room, first, ErrFenced)
			}
			if errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrSubjectInProcess {
				return fmt.Errorf("append to room %s: %w: %w", l.room, errInProcess, err)
			}
			if errors.As(err, &apiErr) && storeFull(int(apiErr.ErrorCode)) {
				return fmt.Errorf("append to room %s: %w: %w", l.room, ErrStoreFull, err)
			}
			return fmt.Errorf("append to room %s: %w", l.room, err)
		}
		stored = ack.Sequence
	} else {
		// A step larger than one message: its messages go as one atomic
		// batch, all of them or none.
		batch := uuid.NewString()
		nc := l.ls.js.Conn()
		for i, msg := range msgs[:len(msgs)-1] {
			msg.Header.Set("Nats-Batch-Id", batch)
			msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
			if i == 0 {
				msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, fence)
			}
			if err := nc.PublishMsg(msg); err != nil {
				return fmt.Errorf("append to room %s: %w", l.room, err)
			}
		}
		msg := msgs[len(msgs)-1]
		msg.Header.Set("Nats-Batch-Id", batch)
		msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(len(msgs)))
		msg.Header.Set("Nats-Batch-Commit", "1")
		resp, err := nc.RequestMsgWithContext(ctx, msg)
		if err != nil {
			return fmt.Errorf("append to room %s: %w", l.room, err)
		}
		var ack struct {
			Seq   uint64 `json:"seq"`
			Count int    `json:"count"`
			Error *struct {
				Code        int    `json:"err_code"`
				Description string `json:"description"`
			} `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &ack); err != nil {
			return fmt.Errorf("append to room %s: bad acknowledgement: %w", l.room, err)
		}
		if ack.Error != nil {
			if ack.Error.Code == jsErrWrongLastSequence {
				return fmt.Errorf("append to room %s at %d: %w", l.room, first, ErrFenced)
			}
			if ack.Error.Code == jsErrSubjectInProcess {
				return fmt.Errorf("append to room %s: %w: %s", l.room, errInProcess, ack.Error.Description)
			}
			if storeFull(ack.Error.Code) {
				return fmt.Errorf("append to room %s: %w: %s (%d)", l.room, ErrStoreFull, ack.Error.Description, ack.Error.Code)
			}
			return fmt.Errorf("append to room %s: %s (%d)", l.room, ack.Error.Description, ack.Error.Code)
		}
		if ack.Count != len(msgs) {
			return fmt.Errorf("append to room %s: stored %d messages of %d", l.room, ack.Count, len(msgs))
		}
		stored = ack.Seq
	}
	if lostAfter {
		return fmt.Errorf("append to room %s: %w", l.room, nats.ErrTimeout)
	}
	l.last, l.fence = last, stored
	return nil
}

// What a log message holds. A message without the HeaderEvents header is
// one event, its JSON (every message of earlier releases, and a step of
// one event now). A message with it holds that many events of one step,
// in order and at consecutive offsets, as a JSON array of them. A step's
// events go in one message when they fit: JetStream keeps a message whole
// or not at all, so the step is atomic without an atomic batch, which
// nats-server stages in a store of its own for every batch.
const HeaderEvents = "Classhub-Events"

// HeaderStep names the append a log message was stored by (appendAll).
const HeaderStep = "Classhub-Step"

// messageSlack is what a log message's headers may take of the server's
// maximum payload: the fence, the event count and an atomic batch's
// headers, with room to spare.
const messageSlack = 1024

// maxMessage is the most a log message's payload may hold: the server's
// maximum payload (headers count towards it) less messageSlack.
func (ls *logStore) maxMessage() int {
	if ls.maxMsg > 0 {
		return ls.maxMsg
	}
	return int(ls.js.Conn().MaxPayload()) - messageSlack
}

// logMessage is one message of a step: its payload and how many events
// it holds.
type logMessage struct {
	data []byte
	n    int
}

// packEvents puts the encoded events of a step into as few messages as
// hold them, in order, each at most limit bytes. An event larger than a
// message can hold on its own is refused with ErrTooLarge: nothing of the
// step is stored.
func packEvents(encs [][]byte, limit int) ([]logMessage, error) {
	var msgs []logMessage
	for i := 0; i < len(encs); {
		if len(encs[i]) > limit {
			return nil, fmt.Errorf("%w: an event of %d bytes, the most a message holds is %d", ErrTooLarge, len(encs[i]), limit)
		}
		// As many events as fit from i on: the array's brackets and a
		// comma between each two.
		j, size := i+1, len(encs[i])+2
		for j < len(encs) && size+1+len(encs[j]) <= limit {
			size += 1 + len(encs[j])
			j++
		}
		if j == i+1 {
			msgs = append(msgs, logMessage{data: encs[i], n: 1})
		} else {
			b := make([]byte, 0, size)
			b = append(b, '[')
			for k, e := range encs[i:j] {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, e...)
			}
			msgs = append(msgs, logMessage{data: append(b, ']'), n: j - i})
		}
		i = j
	}
	return msgs, nil
}

// decodeEvents reads the events of one log message: one event, or as many
// as its HeaderEvents says, which must be that many at consecutive
// offsets.
func decodeEvents(hdr nats.Header, data []byte) ([]protocol.Event, error) {
	n := hdr.Get(HeaderEvents)
	if n == "" {
		var ev protocol.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, err
		}
		return []protocol.Event{ev}, nil
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 {
		return nil, fmt.Errorf("a message of %q events", n)
	}
	evs := make([]protocol.Event, 0, count)
	if err := json.Unmarshal(data, &evs); err != nil {
		return nil, err
	}
	if len(evs) != count {
		return nil, fmt.Errorf("a message of %d events holds %d", count, len(evs))
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq != evs[0].Seq+uint64(i) {
			return nil, fmt.Errorf("a message's event %d has offset %d after %d", i, evs[i].Seq, evs[0].Seq)
		}
	}
	return evs, nil
}

// readBatch is how many events one request to JetStream fetches.
const readBatch = 256

// seek is the stream sequence from which a read of offsets from on may
// start: the smallest stream sequence whose next message on the subject
// holds an offset of at least from (that message may hold earlier ones
// too, which the read skips). Offsets grow with stream sequences within a
// subject, so a binary search over stream sequences finds it in about
// log2(stream length) direct reads; most reads start at 1 (a whole log) or
// are served by a node's ring of recent events without reading at all.
func (l *roomLog) seek(ctx context.Context, from uint64) (uint64, error) {
	if from <= 1 {
		return 1, nil
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("read log of room %s: %w", l.room, err)
	}
	lo, hi := uint64(1), info.State.LastSeq+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		msg, err := l.stream.GetMsg(ctx, mid, jetstream.WithGetMsgSubject(l.subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			hi = mid // no event of this log from mid on
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read log of room %s: %w", l.room, err)
		}
		evs, err := decodeEvents(msg.Header, msg.Data)
		if err != nil {
			return 0, fmt.Errorf("read log of room %s: corrupt event at %d: %w", l.room, msg.Sequence, err)
		}
		if evs[len(evs)-1].Seq >= from {
			hi = mid
		} else {
			lo = msg.Sequence + 1
		}
	}
	return lo, nil
}

// read returns the events with offsets in [from, to], in order; fewer when
// the log ends before to.
func (l *roomLog) read(ctx context.Context, from, to uint64) ([]protocol.Event, error) {
	if from == 0 {
		from = 1
	}
	if to < from {
		return nil, nil
	}
	start, err := l.seek(ctx, from)
	if err != nil {
		return nil, err
	}
	evs, err := fetchEvents(ctx, l.ls.js, protocol.LogStream(l.shard), l.subj, start, from, to-from+1, to)
	if err != nil {
		return nil, fmt.Errorf("read log of room %s: %w", l.room, err)
	}
	return evs, nil
}

// fetchEvents reads up to max events of a stream (those on subject, when
// one is given) from stream sequence start on, leaving out those before
// offset from (the start of a message that holds several) and stopping at
// the first event whose offset is past to.
//
// It reads through an ephemeral consumer of its own and leaves nothing
// behind, on the server or here: every fetch is drained whole, so that the
// client's fetch goroutine has ended before it returns, and the consumer
// is deleted on every return path (its inactivity threshold removes it
// should the deletion itself fail). Each request to JetStream is bounded,
// by ctx or by JetStream's own timeout, and a fetch asks only for what is
// there, so a read never waits for events to come.
func fetchEvents(ctx context.Context, js jetstream.JetStream, stream, subject string, start, from, max, to uint64) (_ []protocol.Event, err error) {
	cons, err := js.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		FilterSubject:     subject,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, ErrNoRoom
		}
		return nil, err
	}
	info := cons.CachedInfo()
	defer func() {
		// Deleted even when ctx is done: a read that gave up must still
		// not leave its consumer to the inactivity threshold.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := js.DeleteConsumer(dctx, stream, info.Name); derr != nil && !errors.Is(derr, jetstream.ErrConsumerNotFound) && err == nil {
			err = fmt.Errorf("delete consumer: %w", derr)
		}
	}()
	// The consumer counts the messages the stream holds from start on
	// when it is made; events appended since are after to or read next
	// time. A message holds one event or more, so no more messages are
	// asked for than events are still wanted.
	msgs := info.NumPending
	out := make([]protocol.Event, 0, min(max, msgs))
	for uint64(len(out)) < max && msgs > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch, err := cons.FetchNoWait(int(min(max-uint64(len(out)), msgs, readBatch)))
		if err != nil {
			return nil, err
		}
		n, past := 0, false
		var bad error
		for msg := range batch.Messages() { // drained whole, whatever is found
			n++
			if bad != nil || past {
				continue
			}
			evs, err := decodeEvents(msg.Headers(), msg.Data())
			if err != nil {
				bad = fmt.Errorf("corrupt event: %w", err)
				continue
			}
			for _, ev := range evs {
				switch {
				case ev.Seq < from:
				case ev.Seq > to || uint64(len(out)) == max:
					past = true
				default:
					out = append(out, ev)
				}
			}
		}
		msgs -= min(msgs, uint64(n))
		switch {
		case bad != nil:
			return nil, bad
		case batch.Error() != nil && !errors.Is(batch.Error(), jetstream.ErrNoMessages) && !errors.Is(batch.Error(), nats.ErrTimeout):
			return nil, batch.Error()
		case past, n == 0:
			return out, nil // the log ends before to
		}
	}
	return out, nil
}

// readLog reads a class's current log, for devices, nodes and reports:
// the events with offsets in [from, to], fewer only when the log ends
// before to.
func (ls *logStore) readLog(ctx context.Context, room protocol.RoomID, from, to uint64) ([]protocol.Event, error) {
	p, _, err := ls.pointer(ctx, room)
	if err != nil {
		return nil, err
	}
	l := ls.at(room, p.Shard, p.Epoch)
	evs, err := l.read(ctx, from, to)
	if err == nil && complete(evs, max(from, 1), to) {
		return evs, nil
	}
	// Short, or failed: the log's start and end, read from its leader,
	// say which of the events are there to be read again.
	if rerr := l.refresh(ctx); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	first, ferr := l.firstSeq(ctx)
	if ferr != nil {
		return nil, errors.Join(err, ferr)
	}
	lo, hi := max(from, first, 1), min(to, l.last)
	if lo > hi {
		return nil, nil
	}
	if err == nil && complete(evs, lo, hi) {
		return evs, nil
	}
	return l.readUpTo(ctx, lo, hi)
}

// complete reports whether evs are exactly the offsets from..to.
func complete(evs []protocol.Event, from, to uint64) bool {
	if to < from {
		return len(evs) == 0
	}
	return uint64(len(evs)) == to-from+1 && evs[0].Seq == from && evs[len(evs)-1].Seq == to
}

// readUpTo reads offsets from..to of a log that holds them. A read may
// come back short on a cluster (its consumer placed on a replica that is
// behind) or fail while the consumer is not yet reachable: it is tried
// again, a few times with a growing wait, and is never returned short.
func (l *roomLog) readUpTo(ctx context.Context, from, to uint64) ([]protocol.Event, error) {
	from = max(from, 1)
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		evs, err := l.read(ctx, from, to)
		if err == nil && complete(evs, from, to) {
			return evs, nil
		}
		if err == nil {
			err = fmt.Errorf("read log of room %s: %d events of %d..%d", l.room, len(evs), from, to)
		}
		if attempt == 7 {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}
