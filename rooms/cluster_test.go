package rooms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/content"
	"github.com/classhub/classhub/rooms/natstest"
)

// These tests run the layout of a district: three NATS servers in one
// JetStream cluster, every stream and bucket with three replicas.

const clusterSize = 3

// clusterManager starts a node whose NATS connection goes to server first
// of c and fails over to the others.
func clusterManager(t *testing.T, c *natstest.Cluster, first int, node string, mod ...func(*Config)) *Manager {
	t.Helper()
	nc, js := c.Connect(t, first)
	return newManager(t, nc, js, node, append([]func(*Config){func(cfg *Config) {
		cfg.Replicas = clusterSize
		// What the node logs while servers come and go is part of the
		// test's story.
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil)).With("node", node)
	}}, mod...)...)
}

// joinJustOpened joins a class that was just opened: the look-up reads the
// directory through its leader, so it finds the class at once
// (TestClusterJoinsAClassJustOpened).
func joinJustOpened(_ *testing.T, m *Manager, code, name string) (protocol.JoinResult, error) {
	_, res, err := m.Join(context.Background(), code, name)
	return res, err
}

// clusterClass opens a class and has its students join and connect.
func clusterClass(t *testing.T, m *Manager, names ...string) *testClass {
	t.Helper()
	ctx := context.Background()
	info, err := m.CreateRoom(ctx, teacherA, "Geometry 7B")
	if err != nil {
		t.Fatal(err)
	}
	c := &testClass{t: t, m: m, id: info.ID}
	for i, n := range names {
		res, err := joinJustOpened(t, m, info.Code, n)
		if err != nil {
			t.Fatal(err)
		}
		c.students = append(c.students, res.Student)
		if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdConnect, Actor: student(res.Student), Conn: fmt.Sprintf("s%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestClusterStreamCountStaysFixed opens and ends many classes on an R3
// cluster and checks that they leave no stream, bucket or consumer of
// their own: one class and sixty cost the cluster the same Raft groups.
func TestClusterStreamCountStaysFixed(t *testing.T) {
	c := natstest.StartCluster(t, clusterSize)
	m := clusterManager(t, c, 0, "node-a")
	js := m.cfg.JS
	ctx := context.Background()

	var want []string
	for i := range 4 { // the default number of shards
		want = append(want, protocol.LogStream(i))
	}
	for _, b := range []string{protocol.BucketLeases, protocol.BucketSnapshots, protocol.BucketRooms, protocol.BucketHistory,
		protocol.BucketContent, protocol.BucketConfig, protocol.BucketLogs} {
		want = append(want, "KV_"+b)
	}
	slices.Sort(want)

	runClass := func(i int) error {
		info, err := m.CreateRoom(ctx, teacherA, fmt.Sprintf("Class %d", i))
		if err != nil {
			return fmt.Errorf("open class %d: %w", i, err)
		}
		var students []protocol.StudentID
		for _, name := range []string{"Olivia", "Noah", "Mason"} {
			res, err := joinJustOpened(t, m, info.Code, name)
			if err != nil {
				return fmt.Errorf("class %d: join %s: %w", i, name, err)
			}
			students = append(students, res.Student)
			if _, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdConnect, Actor: student(res.Student), Conn: "dev-" + name}); err != nil {
				return fmt.Errorf("class %d: connect %s: %w", i, name, err)
			}
		}
		for _, cmd := range []protocol.Command{
			{Type: protocol.MsgAnnounce, Actor: teacher(teacherA), Data: json.RawMessage(`{"text":"Open your books"}`), ReqID: "r1"},
			{Type: protocol.MsgRaiseHand, Actor: student(students[0]), Data: json.RawMessage(`{"note":"page?"}`), ReqID: "r2"},
			{Type: protocol.MsgLowerHand, Actor: teacher(teacherA), Data: json.RawMessage(fmt.Sprintf(`{"student":%q}`, students[0])), ReqID: "r3"},
			{Type: protocol.MsgEndClass, Actor: teacher(teacherA), ReqID: "r4"},
		} {
			cmd.Room = info.ID
			if _, err := m.Do(ctx, cmd); err != nil {
				return fmt.Errorf("class %d: %s: %w", i, cmd.Type, err)
			}
		}
		raw, err := m.Do(ctx, protocol.Command{Room: info.ID, Type: protocol.CmdSnapshot, Actor: teacher(teacherA)})
		if err != nil {
			return fmt.Errorf("class %d: snapshot: %w", i, err)
		}
		var snap protocol.SnapshotResult
		if err := json.Unmarshal(raw, &snap); err != nil {
			return err
		}
		evs, err := readAll(m, info.ID, snap.Offset)
		if err != nil {
			return fmt.Errorf("class %d: %w", i, err)
		}
		// The class's end and its reply, in one batch; an owner_changed
		// may follow, should the class have moved since.
		for k := 1; k < len(evs); k++ {
			if evs[k-1].Type == protocol.EvClassEnded && evs[k].Type == protocol.EvReply {
				return nil
			}
		}
		return fmt.Errorf("class %d: the class's end is not in its log of %d events", i, len(evs))
	}

	if err := runClass(0); err != nil {
		t.Fatal(err)
	}
	after1 := clusterStreams(t, c, js)
	if !slices.Equal(after1, want) {
		t.Fatalf("streams after one class = %v, want %v", after1, want)
	}

	const classes = 60
	start := time.Now()
	errs := make(chan error, classes)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 6 { // a few teachers at once
		wg.Go(func() {
			for i := range next {
				errs <- runClass(i)
			}
		})
	}
	for i := 1; i < classes; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d more classes opened, joined, taught and ended in %s", classes-1, time.Since(start).Round(time.Millisecond))
	after60 := clusterStreams(t, c, js)
	if !slices.Equal(after60, after1) {
		t.Fatalf("streams after %d classes = %v, after one %v", classes, after60, after1)
	}
}

// clusterStreams lists the streams and checks that each has its three
// replicas and no consumer, as JetStream and every server see it.
func clusterStreams(t *testing.T, c *natstest.Cluster, js jetstream.JetStream) []string {
	t.Helper()
	ctx := context.Background()
	// A read's consumer is deleted before the read returns; on a cluster
	// the deletion reaches every server's count, and the count of the
	// stream's leader, a moment later, each in its own time.
	pollFor(t, "no consumer left on any server or stream", func() bool {
		for i := range c.Size() {
			if s := c.Server(i); s != nil {
				if jsz, err := s.Jsz(&server.JSzOptions{}); err != nil || jsz.Consumers != 0 {
					return false
				}
			}
		}
		lister := js.ListStreams(ctx)
		left := 0
		for info := range lister.Info() { // drained whole: the lister's goroutine ends only then
			left += info.State.Consumers
		}
		return lister.Err() == nil && left == 0
	})
	var names []string
	lister := js.ListStreams(ctx)
	for info := range lister.Info() {
		names = append(names, info.Config.Name)
		if info.Config.Replicas != clusterSize {
			t.Errorf("stream %s has %d replicas, want %d", info.Config.Name, info.Config.Replicas, clusterSize)
		}
		if info.State.Consumers != 0 {
			t.Errorf("stream %s has %d consumers while nothing reads", info.Config.Name, info.State.Consumers)
		}
	}
	if err := lister.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	for i := range c.Size() {
		s := c.Server(i)
		if s == nil {
			continue
		}
		jsz, err := s.Jsz(&server.JSzOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if jsz.Streams != len(names) || jsz.Consumers != 0 {
			t.Errorf("server %s holds %d streams and %d consumers, want %d and 0", c.Name(i), jsz.Streams, jsz.Consumers, len(names))
		}
	}
	return names
}

// classLoad is a class at work: the teacher announcing and students
// practising and raising hands, each device sending its commands one
// after another through one node, and retrying a command that failed
// with the same request ID until it is answered, as devices do.
type classLoad struct {
	t    *testing.T
	m    *Manager
	room protocol.RoomID
	bank *content.Bank
	quit chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	acks   []clusterAck
	failed []error
}

// clusterAck is one command the class answered.
type clusterAck struct {
	device       string
	cmd          protocol.Command
	data         json.RawMessage
	begun, at    time.Time // the first try; the answer
	tries        int
	lastRetryErr error
}

// commandBound is how long a device keeps retrying one command before the
// test calls the class broken.
const commandBound = 30 * time.Second

func startLoad(t *testing.T, m *Manager, c *testClass) *classLoad {
	t.Helper()
	bank, err := m.Bank(context.Background(), "fractions-5")
	if err != nil {
		t.Fatal(err)
	}
	c.assign("frac-operations", protocol.Target{})
	l := &classLoad{t: t, m: m, room: c.id, bank: bank, quit: make(chan struct{})}
	l.wg.Go(func() {
		for i := 1; l.running(); i++ {
			data, _ := json.Marshal(protocol.Announce{Text: fmt.Sprintf("announcement %d", i)})
			if _, ok := l.send("teacher", protocol.Command{Type: protocol.MsgAnnounce, Actor: teacher(teacherA), Data: data, ReqID: fmt.Sprintf("t-%d", i)}); !ok {
				return
			}
		}
	})
	for s, sid := range c.students {
		l.wg.Go(func() { l.practise(fmt.Sprintf("student %d", s), sid) })
	}
	t.Cleanup(l.stop)
	return l
}

// practise answers the set's items right, one after another, then raises
// a hand again and again with a new note.
func (l *classLoad) practise(device string, sid protocol.StudentID) {
	n := 0
	req := func(typ protocol.MsgType, v any) (json.RawMessage, bool) {
		n++
		data, _ := json.Marshal(v)
		return l.send(device, protocol.Command{Type: typ, Actor: student(sid), Data: data, ReqID: fmt.Sprintf("%s-%d", sid, n)})
	}
	for l.running() {
		raw, ok := req(protocol.MsgNextItem, struct{}{})
		if !ok {
			return
		}
		var next struct{ Item *protocol.ItemView }
		if err := json.Unmarshal(raw, &next); err != nil {
			l.fail(fmt.Errorf("%s: next_item answered %s: %w", device, raw, err))
			return
		}
		if next.Item == nil {
			break // the set is done
		}
		if _, ok := req(protocol.MsgAnswer, protocol.Answer{Item: next.Item.ID, Response: l.bank.Item(next.Item.ID).Answer()}); !ok {
			return
		}
	}
	for i := 1; l.running(); i++ {
		if _, ok := req(protocol.MsgRaiseHand, protocol.RaiseHand{Note: fmt.Sprintf("question %d", i)}); !ok {
			return
		}
	}
}

func (l *classLoad) running() bool {
	select {
	case <-l.quit:
		return false
	default:
		return true
	}
}

func (l *classLoad) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, err)
}

// send runs cmd until it is answered. A refusal fails the test: every
// command sent is valid, so a refusal on a retry means the command ran
// twice. A command sent is retried to its answer even once the load is
// stopping, so that every command sent is answered.
func (l *classLoad) send(device string, cmd protocol.Command) (json.RawMessage, bool) {
	cmd.Room = l.room
	a := clusterAck{device: device, cmd: cmd, begun: time.Now()}
	for {
		a.tries++
		ctx, cancel := context.WithTimeout(context.Background(), 2*commandBound)
		data, err := l.m.Do(ctx, cmd)
		cancel()
		if err == nil {
			a.data, a.at = data, time.Now()
			l.mu.Lock()
			l.acks = append(l.acks, a)
			l.mu.Unlock()
			// A device's pace: a class does not send a command every
			// millisecond, and the servers share the machine's cores.
			t := time.NewTimer(2 * time.Millisecond)
			<-t.C
			return data, true
		}
		if strings.Contains(err.Error(), "the class could not be loaded") {
			// The node keeps that answer until it restarts: no use
			// trying again (failedForGood).
			l.fail(fmt.Errorf("%s: %s %s: %w", device, cmd.Type, cmd.ReqID, err))
			return nil, false
		}
		switch protocol.ErrorOf(err).Code {
		case protocol.CodeUnavailable, protocol.CodeInternal, protocol.CodeBusy:
		default:
			l.fail(fmt.Errorf("%s: %s %s refused on try %d (the try before: %v): %w", device, cmd.Type, cmd.ReqID, a.tries, a.lastRetryErr, err))
			return nil, false
		}
		a.lastRetryErr = err
		if time.Since(a.begun) > commandBound {
			l.fail(fmt.Errorf("%s: %s %s not answered in %s (%d tries): %w", device, cmd.Type, cmd.ReqID, commandBound, a.tries, err))
			return nil, false
		}
		// A device's pause before it tries again.
		t := time.NewTimer(20 * time.Millisecond)
		<-t.C
	}
}

func (l *classLoad) stop() {
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	l.wg.Wait()
}

// waitAnswered waits until every device has had n commands answered that
// it sent after since.
func (l *classLoad) waitAnswered(n int, since time.Time) {
	l.t.Helper()
	deadline := time.Now().Add(commandBound + 10*time.Second)
	for {
		l.mu.Lock()
		per := map[string]int{}
		for _, a := range l.acks {
			if a.begun.After(since) {
				per[a.device]++
			}
		}
		failed := slices.Clone(l.failed)
		l.mu.Unlock()
		if len(failed) > 0 {
			err := errors.Join(failed...)
			if strings.Contains(err.Error(), "the class could not be loaded") {
				l.t.Errorf("the class failed for good after a passing outage: %v", err)
			}
			l.t.Fatalf("the class stopped working: %v", err)
		}
		ok := len(per) == 3
		for _, k := range per {
			ok = ok && k >= n
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("devices had %v commands answered since %s, want %d each", per, since.Format(time.TimeOnly), n)
		}
		t := time.NewTimer(10 * time.Millisecond)
		<-t.C
	}
}

// report logs how the class fared around a server stopping at kill: the
// wait for the first answer after it, and the longest any command took.
func (l *classLoad) report(what string, kill time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := map[string]time.Duration{}
	var longest time.Duration
	var longestCmd string
	retried := 0
	for _, a := range l.acks {
		if a.at.Before(kill) {
			continue
		}
		if _, ok := first[a.device]; !ok {
			first[a.device] = a.at.Sub(kill)
		}
		if d := a.at.Sub(a.begun); d > longest {
			longest, longestCmd = d, fmt.Sprintf("%s %s, %d tries, last error %v", a.device, a.cmd.Type, a.tries, a.lastRetryErr)
		}
		if a.tries > 1 {
			retried++
		}
	}
	l.t.Logf("%s: first answer after it, per device: %v; longest command %s (%s); %d commands retried", what, first, longest.Round(time.Millisecond), longestCmd, retried)
}

// verify reads the class's whole log and checks that it is dense and
// holds every answered command exactly once, with the answer its device
// got. It returns the log.
func (l *classLoad) verify() []protocol.Event {
	l.t.Helper()
	t := l.t
	raw, ok := l.send("teacher", protocol.Command{Type: protocol.CmdSnapshot, Actor: teacher(teacherA)})
	if !ok {
		t.Fatalf("snapshot: %v", errors.Join(l.failed...))
	}
	var snap protocol.SnapshotResult
	if err := json.Unmarshal(raw, &snap); err != nil {
		t.Fatal(err)
	}
	evs := readWhole(t, l.m, l.room, snap.Offset)
	if uint64(len(evs)) != snap.Offset {
		t.Fatalf("the log holds %d events, the class's state is at offset %d", len(evs), snap.Offset)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d of the log has offset %d: offsets not dense", i, ev.Seq)
		}
	}

	replies := map[string][]protocol.ReplyRecorded{}
	texts := map[string][]uint64{}
	notes := map[string]int{}
	attempts := map[string]int{}
	for _, ev := range evs {
		switch ev.Type {
		case protocol.EvReply:
			var r protocol.ReplyRecorded
			mustDecode(t, ev, &r)
			replies[r.Key] = append(replies[r.Key], r)
		case protocol.EvAnnouncement:
			var a protocol.Announcement
			mustDecode(t, ev, &a)
			texts[a.Text] = append(texts[a.Text], ev.Seq)
		case protocol.EvHand:
			var h protocol.Hand
			mustDecode(t, ev, &h)
			if h.Raised {
				notes[string(h.Student)+"/"+h.Note]++
			}
		case protocol.EvAttempt:
			var a protocol.Attempted
			mustDecode(t, ev, &a)
			attempts[string(a.Student)+"/"+string(a.Item)]++
		}
	}
	for key, rs := range replies {
		if len(rs) > 1 {
			t.Errorf("the reply to %s is in the log %d times: the command ran more than once", key, len(rs))
		}
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	counted := map[protocol.MsgType]int{}
	for _, a := range l.acks {
		cmd := a.cmd
		switch cmd.Type {
		case protocol.MsgAnnounce:
			var in protocol.Announce
			var out struct{ Seq uint64 }
			_ = json.Unmarshal(cmd.Data, &in)
			_ = json.Unmarshal(a.data, &out)
			if got := texts[in.Text]; len(got) != 1 || got[0] != out.Seq {
				t.Errorf("%q, answered with offset %d, is in the log at %v", in.Text, out.Seq, got)
			}
		case protocol.MsgRaiseHand:
			var in protocol.RaiseHand
			_ = json.Unmarshal(cmd.Data, &in)
			if n := notes[string(cmd.Actor.Student)+"/"+in.Note]; n != 1 {
				t.Errorf("%s raised a hand with %q: %d times in the log, want 1", a.device, in.Note, n)
			}
		case protocol.MsgAnswer:
			var in protocol.Answer
			_ = json.Unmarshal(cmd.Data, &in)
			if n := attempts[string(cmd.Actor.Student)+"/"+string(in.Item)]; n != 1 {
				t.Errorf("%s answered %s: %d attempts in the log, want 1", a.device, in.Item, n)
			}
		default:
			continue
		}
		counted[cmd.Type]++
		// Each of these changed the class, so its answer is in the log,
		// once, and it is the answer the device got.
		rs := replies[replyKey(cmd)]
		if len(rs) != 1 {
			t.Errorf("%s %s %s: %d replies in the log, want 1", a.device, cmd.Type, cmd.ReqID, len(rs))
			continue
		}
		var got, want bytes.Buffer
		_ = json.Compact(&got, rs[0].Data)
		_ = json.Compact(&want, a.data)
		if rs[0].Error != nil || got.String() != want.String() {
			t.Errorf("%s %s %s: the device got %s, the log's reply is %s (error %v)", a.device, cmd.Type, cmd.ReqID, a.data, rs[0].Data, rs[0].Error)
		}
	}
	t.Logf("log of %d events holds every answered command once: %v", len(evs), counted)
	return evs
}

func mustDecode(t *testing.T, ev protocol.Event, v any) {
	t.Helper()
	if err := json.Unmarshal(ev.Data, v); err != nil {
		t.Fatalf("event %d (%s): %v", ev.Seq, ev.Type, err)
	}
}

// readWhole reads offsets 1..last of a class's log.
func readWhole(t *testing.T, m *Manager, room protocol.RoomID, last uint64) []protocol.Event {
	t.Helper()
	evs, err := readAll(m, room, last)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// readAll reads offsets 1..last of a class's log, reading again while the
// cluster elects a leader, and while the read comes back short or fails:
// a read goes through a consumer that JetStream places on any replica of
// the stream, which may not hold yet what the leader acknowledged
// (TestClusterReadsWhatWasAppended). What is checked here is that the log
// has every event; that reads see them at once is that test's business.
func readAll(m *Manager, room protocol.RoomID, last uint64) ([]protocol.Event, error) {
	deadline := time.Now().Add(commandBound)
	for {
		evs, err := m.ReadLog(context.Background(), room, 1, last)
		if err == nil && uint64(len(evs)) == last {
			return evs, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("read the log of %s up to %d: %d events, error %v", room, last, len(evs), err)
		}
		tm := time.NewTimer(50 * time.Millisecond)
		<-tm.C
	}
}

// shardLeader is the server leading the stream of the class's log shard.
func shardLeader(t *testing.T, c *natstest.Cluster, m *Manager, room protocol.RoomID) (string, int) {
	t.Helper()
	p, _, err := m.logs.pointer(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	stream := protocol.LogStream(p.Shard)
	var leader string
	pollFor(t, "a leader of "+stream, func() bool {
		info, err := m.cfg.JS.Stream(context.Background(), stream)
		if err != nil || info.CachedInfo().Cluster == nil {
			return false
		}
		leader = info.CachedInfo().Cluster.Leader
		return leader != ""
	})
	return stream, c.Index(leader)
}

// pollFor is poll with the patience a cluster electing leaders needs.
func pollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(commandBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
}

// waitCaughtUp waits until server i is a current replica of every stream
// again, with nothing left to catch up.
func waitCaughtUp(t *testing.T, c *natstest.Cluster, js jetstream.JetStream, i int) {
	t.Helper()
	ctx := context.Background()
	name := c.Name(i)
	pollFor(t, name+" caught up", func() bool {
		s := c.Server(i)
		lister := js.ListStreams(ctx)
		var infos []*jetstream.StreamInfo
		for info := range lister.Info() { // drained whole: the lister's goroutine ends only then
			infos = append(infos, info)
		}
		if lister.Err() != nil || len(infos) == 0 {
			return false
		}
		for _, info := range infos {
			cl := info.Cluster
			if cl == nil || cl.Leader == "" || len(cl.Replicas) != clusterSize-1 {
				return false
			}
			for _, r := range cl.Replicas {
				if !r.Current || r.Offline || r.Lag != 0 {
					return false
				}
			}
			if !s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, info.Config.Name) {
				return false
			}
		}
		return true
	})
}

// TestClusterClassSurvivesAServerStopping runs a class on an R3 cluster,
// stops (or crashes) one NATS server while its devices keep sending
// commands, and starts it again: commands go on being answered, and every
// answered command is in the log once, at dense offsets. The server that
// started again catches up: it holds the same copy of every stream as
// the others.
func TestClusterClassSurvivesAServerStopping(t *testing.T) {
	follower := func(conn, leader int) int {
		for i := range clusterSize {
			if i != conn && i != leader {
				return i
			}
		}
		return -1
	}
	leader := func(conn, leader int) int { return leader }
	for _, tc := range []struct {
		name string
		// victim picks the server to stop, given the one the node is
		// connected to and the leader of the class's shard.
		victim func(conn, leader int) int
		// crash: cut the server off before it stops, so that it hands
		// nothing over (Cluster.Crash).
		crash bool
	}{
		{"a follower of the class's shard stops", follower, false},
		{"the leader of the class's shard stops", leader, false},
		{"the leader of the class's shard crashes", leader, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := natstest.StartCluster(t, clusterSize)
			m := clusterManager(t, c, 0, "node-a")
			cls := clusterClass(t, m, "Olivia", "Noah")
			stream, leader := shardLeader(t, c, m, cls.id)
			conn := 0
			if leader == conn {
				// Connected elsewhere than the server stopped, so that
				// this is about JetStream, not the client's failover
				// (TestClusterOwnersServerStops has that).
				m = clusterManager(t, c, 1, "node-b")
				r := cls.m.local(cls.id)
				r.stop()
				<-r.done
				cls.m, conn = m, 1
			}
			victim := tc.victim(conn, leader)
			how := "stopping"
			if tc.crash {
				how = "crashing"
			}
			t.Logf("node connected to %s; %s leads %s; %s %s", c.Name(conn), c.Name(leader), stream, how, c.Name(victim))

			load := startLoad(t, m, cls)
			load.waitAnswered(5, time.Time{})

			kill := time.Now()
			if tc.crash {
				c.Crash(victim)
			} else {
				c.Stop(victim)
			}
			load.waitAnswered(10, kill)
			load.report("after "+how+" "+c.Name(victim), kill)
			t.Logf("ten commands per device answered %s after %s %s", time.Since(kill).Round(time.Millisecond), how, c.Name(victim))
			if _, now := shardLeader(t, c, m, cls.id); now == victim {
				t.Fatalf("%s still leads %s after it stopped", c.Name(victim), stream)
			}

			restart := time.Now()
			c.Start(victim)
			c.WaitReady()
			waitCaughtUp(t, c, m.cfg.JS, victim)
			t.Logf("%s caught up %s after it started again", c.Name(victim), time.Since(restart).Round(time.Millisecond))
			load.waitAnswered(5, time.Now())
			load.stop()
			load.verify()
			// The server stopped and started again holds the same copy of
			// every stream as the others.
			c.WaitInSync()
		})
	}
}

// TestClusterOwnersServerStops runs a class owned by one node while the
// devices are on another, and stops (or crashes) the NATS server the
// owner is connected to: the owner's connection fails over to another
// server, and the class goes on for the devices, whichever node owns it
// then.
func TestClusterOwnersServerStops(t *testing.T) {
	for _, crash := range []bool{false, true} {
		how := map[bool]string{false: "stops", true: "crashes"}[crash]
		t.Run(how, func(t *testing.T) {
			c := natstest.StartCluster(t, clusterSize)
			owner := clusterManager(t, c, 0, "node-a")
			devices := clusterManager(t, c, 1, "node-b")
			cls := clusterClass(t, owner, "Olivia", "Noah")
			if owner.local(cls.id) == nil {
				t.Fatal("the class is not on the node that opened it")
			}
			cls.m = devices
			load := startLoad(t, devices, cls)
			load.waitAnswered(5, time.Time{})
			if devices.local(cls.id) != nil || owner.local(cls.id) == nil {
				t.Fatal("the class moved before the server stopped")
			}

			reconnected := make(chan time.Time, 1)
			owner.cfg.NC.SetReconnectHandler(func(*nats.Conn) {
				select {
				case reconnected <- time.Now():
				default:
				}
			})
			kill := time.Now()
			if crash {
				c.Crash(0)
			} else {
				c.Stop(0)
			}
			load.waitAnswered(10, kill)
			load.report("after the owner's server "+how, kill)
			pollFor(t, "the owner's connection on another server", func() bool {
				return owner.cfg.NC.IsConnected() && owner.cfg.NC.ConnectedUrl() != c.URL(0)
			})
			where := "node-a (the owner before)"
			if devices.local(cls.id) != nil {
				where = "node-b (the devices' node)"
			}
			t.Logf("the owner reconnected to %s %s after its server %s; the class is now on %s",
				owner.cfg.NC.ConnectedUrl(), (<-reconnected).Sub(kill).Round(time.Millisecond), how, where)

			restart := time.Now()
			c.Start(0)
			c.WaitReady()
			waitCaughtUp(t, c, devices.cfg.JS, 0)
			t.Logf("%s caught up %s after it started again", c.Name(0), time.Since(restart).Round(time.Millisecond))
			load.waitAnswered(5, time.Now())
			load.stop()
			load.verify()
			c.WaitInSync()
		})
	}
}
