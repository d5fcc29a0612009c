package class

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/rooms/mastery"
)

// log builds a log from (type, audience, data) entries, numbered from 1.
type log struct {
	evs []protocol.Event
}

func (l *log) add(typ protocol.EventType, aud protocol.Audience, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	l.evs = append(l.evs, protocol.Event{Seq: uint64(len(l.evs) + 1), Type: typ, Time: int64(1_800_000_000_000 + 1000*len(l.evs)), Audience: aud, Data: b})
}

func fold(t *testing.T, s *State, evs []protocol.Event) *State {
	t.Helper()
	for _, ev := range evs {
		if err := s.Apply(ev); err != nil {
			t.Fatalf("apply %d %s: %v", ev.Seq, ev.Type, err)
		}
	}
	return s
}

// throughJSON is what a snapshot does to a state.
func throughJSON(t *testing.T, s *State) *State {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

const (
	room   = protocol.RoomID("4b955ea0-e456-4b43-a44e-e3de91013e9e")
	olivia = protocol.StudentID("67e7036b-49c9-4c4d-b326-834a6a42fd97")
)

// A snapshot taken while a student had an item on screen and no answer
// yet: the learner's empty map of first-seen mastery was dropped by JSON,
// and the first answer after the restart wrote to a nil map, so the class
// could never be loaded again. The log below is that class.
func TestSnapshotMidItemThenAnswer(t *testing.T) {
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "Fractions", Teacher: "6f1c2d3e-0000-4000-8000-000000000001"})
	l.add(protocol.EvStudentJoined, protocol.ToStudent(olivia), protocol.StudentJoined{Student: olivia, Name: "Olivia"})
	l.add(protocol.EvPractice, protocol.ToAll, protocol.PracticeStarted{Set: protocol.SetRef{Bank: "fractions-5", Set: "equivalent"}, Kind: "practice", Items: []protocol.ItemID{"frac.eq.1", "frac.eq.2"}})
	l.add(protocol.EvItem, protocol.ToStudent(olivia), protocol.ItemGiven{Student: olivia, Item: protocol.ItemView{ID: "frac.eq.1", Skill: "fractions.equivalent", Kind: "numeric", Prompt: "1/2 = ?/4", Hints: 2}})
	cut := len(l.evs)
	l.add(protocol.EvAttempt, protocol.ToStudent(olivia), protocol.Attempted{Student: olivia, Item: "frac.eq.1", Skill: "fractions.equivalent", Response: "3", First: true, P: 0.2})
	l.add(protocol.EvHintShown, protocol.ToStudent(olivia), protocol.HintShown{Student: olivia, Item: "frac.eq.1", Skill: "fractions.equivalent", Index: 0, Text: "Double the top.", P: 0.2})

	whole := fold(t, New(room), l.evs)
	snap := throughJSON(t, fold(t, New(room), l.evs[:cut]))
	if snap.Learners[olivia].Start == nil {
		t.Fatal("a learner read from a snapshot has no map of first-seen mastery")
	}
	resumed := fold(t, snap, l.evs[cut:])
	same(t, whole, resumed)
}

func same(t *testing.T, want, got *State) {
	t.Helper()
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("states differ:\nall events:    %s\nsnapshot+rest: %s", a, b)
	}
}

// A snapshot may hold nulls where the fold expects entries: they are
// dropped when it is read, not dereferenced later.
func TestSnapshotNulls(t *testing.T) {
	var s State
	in := `{"room":"` + string(room) + `","seq":2,"students":{"` + string(olivia) + `":null},"groups":[null],"learners":{"x":null},"workspaces":{"g":null},"placements":null}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Students) != 0 || len(s.Groups) != 0 || len(s.Learners) != 0 || len(s.Workspaces) != 0 || s.Placements == nil {
		t.Fatalf("nulls kept: %+v", s)
	}
	var l log
	for range 2 {
		l.add(protocol.EvOwnerChanged, protocol.ToNone, protocol.OwnerChanged{Node: "n"})
	}
	l.add(protocol.EvGroup, protocol.ToAll, protocol.GroupChanged{Group: protocol.Group{ID: "g", Name: "Reds", Members: []protocol.Member{{ID: olivia}}}})
	l.add(protocol.EvAttempt, protocol.ToStudent(olivia), protocol.Attempted{Student: olivia, Item: "i", Skill: "k", First: true})
	fold(t, &s, l.evs[2:])
	for _, role := range []protocol.Role{protocol.RoleTeacher, protocol.RoleStudent, protocol.RoleCoach, protocol.RoleProjector} {
		_ = s.View(protocol.Viewer{Role: role, Student: olivia, Groups: []protocol.GroupID{"g"}})
	}
}

// An event the fold does not know, or one that does not decode, stops
// the fold with ErrCorrupt and leaves the state as it was: never skipped.
func TestCorruptEventsStopTheFold(t *testing.T) {
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "T"})
	s := fold(t, New(room), l.evs)
	before, _ := json.Marshal(s)
	for _, ev := range []protocol.Event{
		{Seq: 2, Type: "from_the_future", Data: json.RawMessage(`{}`)},
		{Seq: 2, Type: protocol.EvHand, Data: json.RawMessage(`[1,2]`)},
		{Seq: 2, Type: protocol.EvStudentJoined, Data: json.RawMessage(`{}`)},
		{Seq: 2, Type: protocol.EvReply, Data: json.RawMessage(`{}`)},
		{Seq: 3, Type: protocol.EvHand, Data: json.RawMessage(`{}`)},
	} {
		err := s.Apply(ev)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s %s: err %v, want ErrCorrupt", ev.Type, ev.Data, err)
		}
		if after, _ := json.Marshal(s); string(after) != string(before) {
			t.Errorf("%s %s changed the state", ev.Type, ev.Data)
		}
	}
}

// Every event type of the protocol has an entry in the fold's table.
func TestEveryEventTypeFolds(t *testing.T) {
	for _, typ := range protocol.EventTypes() {
		if !Known(typ) {
			t.Errorf("event type %q has no entry in the fold", typ)
		}
	}
}

// Replies are found by key and forgotten after RepliesKept.
func TestRepliesRemembered(t *testing.T) {
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "T"})
	l.add(protocol.EvReply, protocol.ToNone, protocol.ReplyRecorded{Key: "teacher/t/a1", Data: json.RawMessage(`{"seq":1}`)})
	s := fold(t, New(room), l.evs)
	if r, ok := s.Reply("teacher/t/a1"); !ok || string(r.Data) != `{"seq":1}` {
		t.Fatalf("reply a1: %+v %v", r, ok)
	}
	late := protocol.Event{Seq: 3, Type: protocol.EvReply, Time: l.evs[1].Time + RepliesKept.Milliseconds() + 1, Audience: protocol.ToNone, Data: json.RawMessage(`{"key":"teacher/t/a2"}`)}
	fold(t, s, []protocol.Event{late})
	if _, ok := s.Reply("teacher/t/a1"); ok {
		t.Fatal("a reply older than RepliesKept is still remembered")
	}
	if _, ok := s.Reply("teacher/t/a2"); !ok {
		t.Fatal("the newest reply is not remembered")
	}
}

// The fold records attempts and hints through the learner record, so that
// a room and an offline replay of the same actions hold the same record:
// a hint before any answer is the item's wrong first attempt and the
// answer after it a retry, not right.
func TestFoldRecordsAsTheReplay(t *testing.T) {
	p := mastery.Default
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "Fractions"})
	l.add(protocol.EvStudentJoined, protocol.ToStudent(olivia), protocol.StudentJoined{Student: olivia, Name: "Olivia"})
	l.add(protocol.EvPractice, protocol.ToAll, protocol.PracticeStarted{Set: protocol.SetRef{Bank: "b", Set: "s"}, Kind: "practice", Items: []protocol.ItemID{"i1", "i2"}})
	var want detect.Record
	give := func(id protocol.ItemID) {
		l.add(protocol.EvItem, protocol.ToStudent(olivia), protocol.ItemGiven{Student: olivia, Item: protocol.ItemView{ID: id, Skill: "k"}})
		want.NewStep(l.evs[len(l.evs)-1].Time)
	}
	hint := func(id protocol.ItemID, i int) {
		pL, first := want.Estimate("k", false, p)
		l.add(protocol.EvHintShown, protocol.ToStudent(olivia), protocol.HintShown{Student: olivia, Item: id, Skill: "k", Index: i, Text: "h", P: pL, First: first, Ms: 5000})
		want.Hint(detect.Attempt{Item: id, Skill: "k", Ms: 5000, At: l.evs[len(l.evs)-1].Time}, p)
	}
	answer := func(id protocol.ItemID, correct bool) {
		pL, first := want.Estimate("k", correct, p)
		at := int64(1_800_000_000_000 + 1000*len(l.evs))
		l.add(protocol.EvAttempt, protocol.ToStudent(olivia), protocol.Attempted{Student: olivia, Item: id, Skill: "k", Response: "r", Correct: correct, First: first, P: pL, Mastered: p.IsMastered(pL), Ms: 9000, At: at})
		want.Answer(detect.Attempt{Item: id, Skill: "k", Response: "r", Correct: correct, Ms: 9000, At: at}, p)
	}
	give("i1")
	hint("i1", 0)
	hint("i1", 1)
	answer("i1", true)
	give("i2")
	answer("i2", false)
	hint("i2", 0)
	answer("i2", true)
	s := fold(t, New(room), l.evs)
	got := s.Learners[olivia].Record
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fold recorded\n%+v\nthe replay\n%+v", got, want)
	}
	var marks []bool
	for _, a := range got.Attempts {
		marks = append(marks, a.Right())
	}
	if !slices.Equal(marks, []bool{false, false, false, false}) || got.FirstAttempts["k"] != 2 || !got.Attempts[0].Hint {
		t.Errorf("history %+v, opportunities %d", got.Attempts, got.FirstAttempts["k"])
	}
	same(t, s, throughJSON(t, s))
}

// A snapshot from before the learner record kept its attempts in the
// attempt events' own shape: it reads back with the same history.
func TestOlderLearnerSnapshot(t *testing.T) {
	in := `{"set":{"bank":"b","set":"s"},"kind":"practice","title":"","queue":[],"hints":1,"tried":true,"solved":[],"count":1,` +
		`"mastery":{"k":0.232},"first":{"k":1},"last_at":1800000001000,"actions":[{"kind":"attempt","ms":9000,"read_ms":0,"at":1800000001000}],` +
		`"attempts":[{"student":"s","item":"i1","skill":"k","response":"3","correct":false,"first":true,"hints":0,"ms":9000,"read_ms":0,"p":0.232,"mastered":false,"at":1800000001000}],"closed":false,"started":1}`
	var l Learner
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Attempts) != 1 || l.Attempts[0].Item != "i1" || !l.Attempts[0].First || l.FirstAttempts["k"] != 1 || l.LastAction != 1_800_000_001_000 || l.Hints != 1 || !l.Tried {
		t.Fatalf("read back %+v", l)
	}
}

// A class over MaxReplies forgets the replies of whoever sent the most,
// not its oldest: a device whose answer was lost, retrying once it is
// back, finds it however many commands the rest of the class sent
// meanwhile, and a sender with fewer than its share keeps them all; the
// busy sender keeps its latest. The same events fold to the same replies
// from a snapshot read back as from the start.
func TestRepliesOfAQuietDeviceOutlastABusyOne(t *testing.T) {
	var l log
	l.add(protocol.EvRoomOpened, protocol.ToAll, protocol.RoomOpened{Title: "T"})
	l.add(protocol.EvReply, protocol.ToNone, protocol.ReplyRecorded{Key: "student/olivia/o-1", Student: "olivia", Data: json.RawMessage(`{"correct":true}`)})
	const busy = 3 * MaxReplies
	noah := 0
	for i := range busy {
		l.add(protocol.EvReply, protocol.ToNone, protocol.ReplyRecorded{Key: fmt.Sprintf("teacher/rivera/t-%d", i), Data: json.RawMessage(fmt.Sprintf(`{"seq":%d}`, i))})
		if i%7 == 0 {
			noah++
			l.add(protocol.EvReply, protocol.ToNone, protocol.ReplyRecorded{Key: fmt.Sprintf("student/noah/n-%d", noah), Student: "noah", Data: json.RawMessage(`{}`)})
		}
	}
	for i := range l.evs {
		l.evs[i].Time = 1_800_000_000_000 + int64(i) // all within RepliesKept
	}
	s := fold(t, New(room), l.evs)
	if len(s.Replies) > MaxReplies {
		t.Fatalf("%d replies kept, at most %d", len(s.Replies), MaxReplies)
	}
	if r, ok := s.Reply("student/olivia/o-1"); !ok || string(r.Data) != `{"correct":true}` {
		t.Fatalf("Olivia's one reply was forgotten while the teacher sent %d commands: %+v %v", busy, r, ok)
	}
	kept := map[string]int{}
	for _, r := range s.Replies {
		kept[replySender(r.Key)]++
	}
	if kept["student/noah"] != noah {
		t.Errorf("Noah sent %d commands, fewer than his share, and keeps %d replies", noah, kept["student/noah"])
	}
	if _, ok := s.Reply(fmt.Sprintf("teacher/rivera/t-%d", busy-1)); !ok {
		t.Error("the teacher's latest reply was forgotten")
	}
	if _, ok := s.Reply("teacher/rivera/t-0"); ok {
		t.Error("the teacher's oldest reply is kept, over the bound")
	}
	// Cut anywhere, through a snapshot: the same replies.
	for _, cut := range []int{len(l.evs) / 3, len(l.evs) - 5} {
		back := throughJSON(t, fold(t, New(room), l.evs[:cut]))
		fold(t, back, l.evs[cut:])
		if !reflect.DeepEqual(back.Replies, s.Replies) {
			t.Fatalf("cut at %d: the replies folded through a snapshot differ", cut)
		}
	}
}

// TestReplyIndexIsTheList: the index of replies by key answers as a scan
// of the list would, whatever the order of times (a clock that goes back),
// keys recorded twice, expiry and trimming, and through a snapshot at any
// cut.
func TestReplyIndexIsTheList(t *testing.T) {
	const room = protocol.RoomID("4b955ea0-e456-4b43-a44e-e3de91013e9e")
	scan := func(rs []Reply, key string) (Reply, bool) {
		for i := len(rs) - 1; i >= 0; i-- {
			if rs[i].Key == key {
				return rs[i], true
			}
		}
		return Reply{}, false
	}
	for seed := range 20 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		var evs []protocol.Event
		now := int64(1_800_000_000_000)
		keys := 50 + r.IntN(2000)
		for i := range 3000 {
			switch r.IntN(20) {
			case 0:
				now -= r.Int64N(RepliesKept.Milliseconds()) // a clock goes back
			case 1:
				now += RepliesKept.Milliseconds() / 2
			default:
				now += r.Int64N(2000)
			}
			key := fmt.Sprintf("%s/%d/r-%d", []string{"teacher", "student"}[r.IntN(2)], r.IntN(40), r.IntN(keys))
			evs = append(evs, protocol.Event{Seq: uint64(i + 1), Type: protocol.EvReply, Time: now, Audience: protocol.ToNone,
				Data: json.RawMessage(fmt.Sprintf(`{"key":%q,"data":{"n":%d}}`, key, i))})
		}
		s := New(room)
		cut := r.IntN(len(evs))
		var back *State
		for i, ev := range evs {
			if i == cut {
				back = throughJSON(t, s)
			}
			if err := s.Apply(ev); err != nil {
				t.Fatal(err)
			}
			if back != nil {
				if err := back.Apply(ev); err != nil {
					t.Fatal(err)
				}
			}
			for range 3 {
				key := fmt.Sprintf("%s/%d/r-%d", []string{"teacher", "student"}[r.IntN(2)], r.IntN(40), r.IntN(keys))
				for _, st := range []*State{s, back} {
					if st == nil {
						continue
					}
					got, ok := st.Reply(key)
					want, wok := scan(st.Replies, key)
					if ok != wok || !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d, event %d: Reply(%q) = %+v %v, the list has %+v %v", seed, i, key, got, ok, want, wok)
					}
				}
			}
		}
		if !reflect.DeepEqual(back.Replies, s.Replies) {
			t.Fatalf("seed %d: cut at %d: the replies folded through a snapshot differ", seed, cut)
		}
	}
}
