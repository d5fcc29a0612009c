package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// HeaderEpoch carries the log incarnation on fanned-out events.
const HeaderEpoch = "Classhub-Epoch"

// jsErrWrongLastSequence is JetStream's error code for a publish whose
// expected last sequence did not match: the fence.
const jsErrWrongLastSequence = 10071

// roomLog is one room's stream. The stream sequence is the room's offset.
type roomLog struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	room   protocol.RoomID
	epoch  string
	last   uint64
}

// openLog opens the room's stream, creating it when create is set. The
// epoch names this incarnation of the log: a log deleted and created again
// gets a new epoch, so that no device resumes across it.
func openLog(ctx context.Context, js jetstream.JetStream, room protocol.RoomID, create bool, maxAge time.Duration, replicas int) (*roomLog, error) {
	name := protocol.StreamName(room)
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if !create {
			return nil, ErrNoRoom
		}
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        name,
			Subjects:    []string{protocol.LogSubject(room)},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      maxAge,
			Replicas:    replicas,
			AllowDirect: true,
			// The events of one command are appended as one atomic
			// batch: all of them or none.
			AllowAtomicPublish: true,
			Metadata:           map[string]string{"epoch": uuid.NewString(), "room": string(room)},
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open log of room %s: %w", room, err)
	}
	info := st.CachedInfo()
	if !info.Config.AllowAtomicPublish {
		// A log created before batches were atomic.
		cfg := info.Config
		cfg.AllowAtomicPublish = true
		if st, err = js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("open log of room %s: allow atomic appends: %w", room, err)
		}
		info = st.CachedInfo()
	}
	l := &roomLog{js: js, stream: st, room: room, epoch: info.Config.Metadata["epoch"], last: info.State.LastSeq}
	if l.epoch == "" {
		return nil, fmt.Errorf("open log of room %s: stream has no epoch", room)
	}
	return l, nil
}

// refresh re-reads the last sequence, after a fence told us it moved.
func (l *roomLog) refresh(ctx context.Context) error {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("refresh log of room %s: %w", l.room, err)
	}
	l.last = info.State.LastSeq
	return nil
}

// firstSeq is the oldest offset still kept (retention may have removed
// older ones).
func (l *roomLog) firstSeq(ctx context.Context) (uint64, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.FirstSeq, nil
}

// append stores ev as the next event, fenced on the last sequence this
// owner knows. On success ev.Seq is set and the encoded event is returned.
func (l *roomLog) append(ctx context.Context, ev *protocol.Event) ([]byte, error) {
	if ev.Seq != 0 && ev.Seq != l.last+1 {
		return nil, fmt.Errorf("append to room %s: event staged at %d, log at %d: %w", l.room, ev.Seq, l.last, ErrFenced)
	}
	ev.Seq = l.last + 1
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	ack, err := l.js.Publish(ctx, protocol.LogSubject(l.room), data, jetstream.WithExpectLastSequence(l.last))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jsErrWrongLastSequence {
			return nil, fmt.Errorf("append to room %s at %d: %w", l.room, ev.Seq, ErrFenced)
		}
		return nil, fmt.Errorf("append to room %s: %w", l.room, err)
	}
	if ack.Sequence != ev.Seq {
		// Cannot happen with the fence in place; refuse to go on if it does.
		return nil, fmt.Errorf("append to room %s: stored at %d, expected %d: %w", l.room, ack.Sequence, ev.Seq, ErrFenced)
	}
	l.last = ack.Sequence
	return data, nil
}

// appendAll stores evs, whose offsets follow the last this owner knows,
// as one atomic batch fenced on that last sequence: either every event of
// a command is in the log or none is, so a regrouping is never half
// visible and a command's reply is stored with its events. It returns the
// encoded events.
func (l *roomLog) appendAll(ctx context.Context, evs []protocol.Event) ([][]byte, error) {
	if len(evs) == 1 {
		enc, err := l.append(ctx, &evs[0])
		return [][]byte{enc}, err
	}
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
	batch := uuid.NewString()
	subj := protocol.LogSubject(l.room)
	nc := l.js.Conn()
	for i, b := range encs {
		msg := nats.NewMsg(subj)
		msg.Data = b
		msg.Header.Set("Nats-Batch-Id", batch)
		msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i == 0 {
			msg.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(l.last, 10))
		}
		if i < len(encs)-1 {
			if err := nc.PublishMsg(msg); err != nil {
				return nil, fmt.Errorf("append to room %s: %w", l.room, err)
			}
			continue
		}
		msg.Header.Set("Nats-Batch-Commit", "1")
		resp, err := nc.RequestMsgWithContext(ctx, msg)
		if err != nil {
			return nil, fmt.Errorf("append to room %s: %w", l.room, err)
		}
		var ack struct {
			Seq   uint64 `json:"seq"`
			Error *struct {
				Code        int    `json:"err_code"`
				Description string `json:"description"`
			} `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &ack); err != nil {
			return nil, fmt.Errorf("append to room %s: bad acknowledgement: %w", l.room, err)
		}
		if ack.Error != nil {
			if ack.Error.Code == jsErrWrongLastSequence {
				return nil, fmt.Errorf("append to room %s at %d: %w", l.room, evs[0].Seq, ErrFenced)
			}
			return nil, fmt.Errorf("append to room %s: %s (%d)", l.room, ack.Error.Description, ack.Error.Code)
		}
		if want := evs[len(evs)-1].Seq; ack.Seq != want {
			return nil, fmt.Errorf("append to room %s: stored up to %d, expected %d: %w", l.room, ack.Seq, want, ErrFenced)
		}
		l.last = ack.Seq
	}
	return encs, nil
}

// readBatch is how many events one request to JetStream fetches.
const readBatch = 256

// readLog returns the events with offsets in [from, to], in order; fewer
// when the log ends before to.
//
// It reads through an ephemeral consumer of its own and leaves nothing
// behind, on the server or here: every fetch is drained whole, so that
// the client's fetch goroutine has ended before readLog returns, and the
// consumer is deleted on every return path (its inactivity threshold
// removes it should the deletion itself fail). Each request to JetStream
// is bounded, by ctx or by JetStream's own timeout, and a fetch asks only
// for what is there, so a read never waits for events to come.
func readLog(ctx context.Context, js jetstream.JetStream, room protocol.RoomID, from, to uint64) (_ []protocol.Event, err error) {
	if from == 0 {
		from = 1
	}
	if to < from {
		return nil, nil
	}
	stream := protocol.StreamName(room)
	cons, err := js.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
		Replicas:          1,
	})
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, ErrNoRoom
		}
		return nil, fmt.Errorf("read log of room %s: %w", room, err)
	}
	info := cons.CachedInfo()
	defer func() {
		// Deleted even when ctx is done: a read that gave up must still
		// not leave its consumer to the inactivity threshold.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := js.DeleteConsumer(dctx, stream, info.Name); derr != nil && !errors.Is(derr, jetstream.ErrConsumerNotFound) && err == nil {
			err = fmt.Errorf("read log of room %s: delete consumer: %w", room, derr)
		}
	}()
	// The consumer counts what the log holds from `from` on when it is
	// made; events appended since are after to or read next time.
	want := min(to-from+1, info.NumPending)
	out := make([]protocol.Event, 0, want)
	for uint64(len(out)) < want {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read log of room %s: %w", room, err)
		}
		batch, err := cons.FetchNoWait(int(min(want-uint64(len(out)), readBatch)))
		if err != nil {
			return nil, fmt.Errorf("read log of room %s: %w", room, err)
		}
		n, past := 0, false
		var bad error
		for msg := range batch.Messages() { // drained whole, whatever is found
			n++
			if bad != nil || past {
				continue
			}
			var ev protocol.Event
			if err := json.Unmarshal(msg.Data(), &ev); err != nil {
				bad = fmt.Errorf("read log of room %s: corrupt event: %w", room, err)
				continue
			}
			if ev.Seq > to {
				past = true // events were removed from the middle of the log
				continue
			}
			out = append(out, ev)
		}
		switch {
		case bad != nil:
			return nil, bad
		case batch.Error() != nil && !errors.Is(batch.Error(), jetstream.ErrNoMessages) && !errors.Is(batch.Error(), nats.ErrTimeout):
			return nil, fmt.Errorf("read log of room %s: %w", room, batch.Error())
		case past, n == 0:
			return out, nil // the log ends before to
		}
	}
	return out, nil
}
