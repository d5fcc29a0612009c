package rooms

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/classhub/classhub/protocol"
)

// allowance is the owner's count of the commands each person sends to
// one class: a token bucket per person, whichever node and connection
// the commands come through, so that a person on many connections or
// many nodes has one person's allowance. It is kept in memory beside the
// actor, never in the log: it is not an event of the class, a new owner
// starts with full buckets, and nothing of it is folded into the state.
type allowance struct {
	rate  rate.Limit
	burst int

	mu     sync.Mutex
	people map[string]*rate.Limiter
	swept  time.Time
}

func newAllowance(perSecond float64, burst int) *allowance {
	return &allowance{rate: rate.Limit(perSecond), burst: burst, people: map[string]*rate.Limiter{}}
}

// take counts one command of the person key at now. When the person has
// no allowance left, nothing is taken and the wait until they have is
// returned.
func (a *allowance) take(key string, now time.Time) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.swept) > time.Minute {
		// A bucket that is full again is as good as none.
		for k, l := range a.people {
			if l.TokensAt(now) >= float64(a.burst) {
				delete(a.people, k)
			}
		}
		a.swept = now
	}
	l := a.people[key]
	if l == nil {
		l = rate.NewLimiter(a.rate, a.burst)
		a.people[key] = l
	}
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// personOf names whoever sent cmd for the allowance; "" for the commands
// that nodes send on their own (a class opened, a student joining
// through the REST API, presence, snapshots for a hello), which are not
// a person's to spend and are limited where they start.
func personOf(cmd protocol.Command) string {
	switch cmd.Type {
	case protocol.CmdOpen, protocol.CmdJoin, protocol.CmdSnapshot, protocol.CmdConnect, protocol.CmdDisconnect, protocol.CmdHold:
		return ""
	}
	a := cmd.Actor
	return string(a.Role) + "/" + string(a.Teacher) + string(a.Student) + string(a.Coach)
}

// rateLimited is the refusal of a command over its sender's allowance:
// it did nothing, and the sender may retry it, with the same request ID,
// after wait.
func rateLimited(wait time.Duration) *protocol.Error {
	e := protocol.Errorf(protocol.CodeRateLimited, "too many commands from you in this class; wait a moment")
	e.RetryAfter = max(1, wait.Milliseconds()+1)
	return e
}

// quietLog lets one line through per interval and counts the others, so
// that a fault that hits every class at once (a full disk) is logged,
// with how often, without flooding the log.
type quietLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

const quietInterval = 10 * time.Second

// let reports whether a line may be logged at now, and how many were
// left out since the last one.
func (q *quietLog) let(now time.Time) (int, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.last.IsZero() && now.Sub(q.last) < quietInterval {
		q.suppressed++
		return 0, false
	}
	n := q.suppressed
	q.last, q.suppressed = now, 0
	return n, true
}
