package rooms

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// Known bugs of the R3 layout, each with a test that fails until it is
// fixed. They run when CLASSHUB_KNOWN_BUGS is set; the cluster tests that
// meet one of them by chance skip, saying which, unless it is set.
//
// Stale reads. A read of a class's log goes through an ephemeral consumer
// of one replica (fetchEvents), and JetStream places a consumer with fewer
// replicas than its stream on any of the stream's servers, not on its
// leader. An append is acknowledged once a majority holds it, so the third
// server may not hold it yet: a read served there comes back short, and a
// fetch sent before the consumer's subscription reached the reader's
// server finds no responders. Erasing a student reads the whole log this
// way and writes back what it read, so a short read drops the class's
// latest events for good. Buckets are read with direct gets, which any
// replica answers, so a key just written may not be found yet: a student
// joining a class just opened is told that no open class has the code.
//
// A passing outage fails a class for good. A step whose append fails and
// whose state cannot then be read again (the stream has no leader for a
// moment) marks the class failed on the node, as a corrupt log does, and
// the node answers "could not be loaded" for it until it restarts.

func skipKnownBug(t *testing.T, bug string) {
	t.Helper()
	if os.Getenv("CLASSHUB_KNOWN_BUGS") == "" {
		t.Skipf("known bug: %s; set CLASSHUB_KNOWN_BUGS=1 to run", bug)
	}
}

// knownBug ends a test that met a known bug: it fails when
// CLASSHUB_KNOWN_BUGS is set and is skipped, saying so, otherwise.
func knownBug(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CLASSHUB_KNOWN_BUGS") != "" {
		t.Fatalf("known bug: "+format, args...)
	}
	t.Skipf("known bug, set CLASSHUB_KNOWN_BUGS=1 to fail on it: "+format, args...)
}

const (
	staleReads    = "a read on an R3 cluster may miss what was just acknowledged"
	failedForGood = "a JetStream outage during a step fails the class on the node for good"
)

// TestClusterReadsWhatWasAppended reads each class's log right after its
// events were acknowledged.
func TestClusterReadsWhatWasAppended(t *testing.T) {
	skipKnownBug(t, staleReads)
	c := natstest.StartCluster(t, clusterSize)
	_, js := c.Connect(t, 0)
	ctx := context.Background()
	ls, err := openLogStore(ctx, js, 1, clusterSize)
	if err != nil {
		t.Fatal(err)
	}
	const classes, events = 100, 5
	for i := range classes {
		room := protocol.NewRoomID()
		l, err := ls.open(ctx, room, true)
		if err != nil {
			t.Fatal(err)
		}
		for range events {
			if _, err := l.append(ctx, &protocol.Event{Type: protocol.EvAnnouncement, Audience: protocol.ToAll}); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := ls.readLog(ctx, room, 1, events)
		if err != nil {
			t.Errorf("class %d: read right after the appends: %v", i, err)
			continue
		}
		if len(evs) != events {
			t.Errorf("class %d: read %d events right after %d were acknowledged", i, len(evs), events)
		}
	}
}

// TestClusterJoinsAClassJustOpened has a student join each class the
// moment it is opened, the teacher on one node and the student on
// another, connected to a server that does not lead the directory's
// bucket. Followers answer direct gets only once they have been caught up
// for a while (two seconds), so classes are opened for some seconds.
func TestClusterJoinsAClassJustOpened(t *testing.T) {
	skipKnownBug(t, staleReads)
	c := natstest.StartCluster(t, clusterSize)
	teachers := clusterManager(t, c, 0, "node-a")
	ctx := context.Background()
	st, err := teachers.cfg.JS.Stream(ctx, "KV_"+protocol.BucketRooms)
	if err != nil {
		t.Fatal(err)
	}
	follower := (c.Index(st.CachedInfo().Cluster.Leader) + 1) % clusterSize
	students := clusterManager(t, c, follower, "node-b")
	var failed, classes int
	for start := time.Now(); time.Since(start) < 8*time.Second; classes++ {
		info, err := teachers.CreateRoom(ctx, teacherA, fmt.Sprintf("Class %d", classes))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := students.Join(ctx, info.Code, "Olivia"); err != nil {
			failed++
			t.Logf("class %d: join right after it opened: %v", classes, err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d joins right after the class opened failed", failed, classes)
	}
}

// TestClusterEraseKeepsEveryOtherEvent erases a student right after the
// teacher's announcements: every announcement must survive it.
func TestClusterEraseKeepsEveryOtherEvent(t *testing.T) {
	skipKnownBug(t, staleReads)
	c := natstest.StartCluster(t, clusterSize)
	m := clusterManager(t, c, 0, "node-a")
	const classes, n = 30, 20
	for i := range classes {
		cls := clusterClass(t, m, "Olivia", "Noah")
		for k := range n {
			if _, err := cls.teach(protocol.MsgAnnounce, protocol.Announce{Text: fmt.Sprintf("announcement %d", k)}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := m.EraseStudent(context.Background(), teacherA, cls.id, cls.students[1])
		if err != nil {
			t.Fatalf("class %d: erase: %v", i, err)
		}
		if _, tv := snapshotOf(t, m, cls.id, teacher(teacherA)); len(tv.Announcements) != n {
			t.Errorf("class %d: erasing Noah (answered %s) left %d of the %d announcements", i, out, len(tv.Announcements), n)
		}
	}
}

// TestClusterClassComesBackAfterQuorumReturns takes the cluster's quorum
// away while a command is under way, then gives it back: the class must
// work again. A step whose append fails and whose state cannot be read
// again marks the class failed on the node (fault.go), as a corrupt log
// would, so a passing outage of JetStream stops the class on that node
// until the process restarts.
func TestClusterClassComesBackAfterQuorumReturns(t *testing.T) {
	skipKnownBug(t, failedForGood)
	c := natstest.StartCluster(t, clusterSize)
	// A lease that outlives the test, so that the step, not a renewal,
	// meets the outage.
	m := clusterManager(t, c, 0, "node-a", func(cfg *Config) { cfg.LeaseTTL = 3 * time.Minute })
	cls := clusterClass(t, m, "Olivia")
	if _, err := cls.teach(protocol.MsgAnnounce, protocol.Announce{Text: "before"}); err != nil {
		t.Fatal(err)
	}
	c.Stop(1)
	c.Stop(2)
	_, err := cls.teach(protocol.MsgAnnounce, protocol.Announce{Text: "without a quorum"})
	t.Logf("without a quorum: %v", err)
	// The quorum stays away until the step that met the outage is over:
	// its append and the read after it have each failed, and the actor
	// has stopped. (An actor that waits for the quorum instead is fine
	// too: then the bound passes.)
	deadline := time.Now().Add(15 * time.Second)
	for m.local(cls.id) != nil && time.Now().Before(deadline) {
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
	c.Start(1)
	c.Start(2)
	c.WaitReady()
	deadline = time.Now().Add(15 * time.Second)
	for {
		_, err := cls.teach(protocol.MsgAnnounce, protocol.Announce{Text: "after"})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the quorum is back and the class still answers: %v", err)
		}
		tm := time.NewTimer(50 * time.Millisecond)
		<-tm.C
	}
}
