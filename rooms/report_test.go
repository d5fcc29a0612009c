package rooms

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/natstest"
)

// busyClass is a class with groups, a rotation, practice and a flag.
func busyClass(t *testing.T) (*testClass, *fakeClock) {
	s := natstest.Start(t)
	nc, js := s.Connect(t)
	clk := newFakeClock()
	m := newManager(t, nc, js, "node-a", clk.use)
	c := newClass(t, m, "Olivia", "Noah", "Mason", "Amelia")
	c.clk = clk
	stations, _ := c.formGroups(0)
	c.must(protocol.MsgStartRotation, protocol.StartRotation{Plan: protocol.RotationPlan{Stations: stations, Legs: []int64{600_000, 600_000}, Auto: true}}, nil)
	c.assign("frac-equivalence", protocol.Target{})
	for i := range c.students {
		d := c.device(i)
		for range 4 {
			if d.item == nil {
				d.next()
			}
			d.answer(i != 0) // Olivia misses everything
		}
	}
	return c, clk
}

func TestReportFoldsTheSession(t *testing.T) {
	c, clk := busyClass(t)
	clk.Advance(11 * time.Minute)
	poll(t, "the first leg's end", func() bool { return count(rotationActions(c.log()), "advance") == 2 })
	rep, err := c.m.Report(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Students) != 4 {
		t.Fatalf("report has %d students", len(rep.Students))
	}
	for _, s := range rep.Students {
		if len(s.Skills) == 0 || len(s.Activities) != 1 || len(s.Stations) == 0 {
			t.Fatalf("%s: %+v", s.Name, s)
		}
		var total int64
		for _, st := range s.Stations {
			total += st.Ms
		}
		if total < 10*60_000 {
			t.Errorf("%s spent %d ms at stations, want at least the first leg", s.Name, total)
		}
		if s.Name == "Amelia" && (s.Skills[0].After <= 0.25 || s.Skills[0].Before != nil) {
			t.Errorf("Amelia's skill = %+v", s.Skills[0])
		}
	}
	csv := string(rep.CSV())
	if !strings.HasPrefix(csv, "student_id,name,skill,mastery_before,mastery_after") || !strings.Contains(csv, "Olivia") {
		t.Fatalf("csv:\n%s", csv)
	}
}

// Two practices started in the same millisecond, each for one student,
// are one activity each in the report: the report follows whom each
// practice was for, not the time it started. Before, both students had
// both.
func TestReportActivitiesStartedTogether(t *testing.T) {
	c, _ := clockedClass(t, "Ben", "Ada") // still: every event of the class in one millisecond
	c.assign("frac-equivalence", protocol.Target{Student: c.students[0]})
	c.assign("frac-operations", protocol.Target{Student: c.students[1]})
	rep, err := c.m.Report(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Ben": "frac-equivalence", "Ada": "frac-operations"}
	for _, st := range rep.Students {
		if len(st.Activities) != 1 || st.Activities[0].Set.Set != want[st.Name] {
			t.Errorf("%s's activities: %+v, want the one practice %s", st.Name, st.Activities, want[st.Name])
		}
	}
}

// Who acted on a student is in the report and in its CSV: the teachers
// whose commands were about them, each once, in the order they first did.
func TestReportSaysWhoActedOnEachStudent(t *testing.T) {
	c, _ := busyClass(t)
	olivia, noah := c.students[0], c.students[1]
	if _, err := doAs(t, c.m, c.id, protocol.MsgSetLevel, teacherA, "Ms Lee", protocol.SetLevel{Student: olivia, Level: 0.3}); err != nil {
		t.Fatal(err)
	}
	if _, err := doAs(t, c.m, c.id, protocol.MsgAnnounce, teacherA, "Ms Lee", protocol.Announce{Text: "Look again at the second one.", To: olivia}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.m.Report(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Students {
		switch s.ID {
		case olivia:
			if len(s.ActedBy) != 1 || s.ActedBy[0].Teacher != teacherA || s.ActedBy[0].Name != "Ms Lee" {
				t.Errorf("Olivia was acted on by %+v, want Ms Lee once", s.ActedBy)
			}
		case noah:
			if len(s.ActedBy) != 0 {
				t.Errorf("no teacher acted on Noah, the report says %+v", s.ActedBy)
			}
		}
	}
	r := csv.NewReader(bytes.NewReader(rep.CSV()))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "acted_by")
	if col < 0 {
		t.Fatalf("the CSV has no acted_by column: %q", rows[0])
	}
	for _, row := range rows[1:] {
		want := ""
		if protocol.StudentID(row[0]) == olivia {
			want = "Ms Lee"
		}
		if row[col] != want {
			t.Errorf("%s's acted_by is %q, want %q", row[1], row[col], want)
		}
	}
}

func TestEraseStudent(t *testing.T) {
	c, _ := busyClass(t)
	olivia := c.students[0]
	raw, err := c.m.ExportStudent(context.Background(), teacherA, c.id, olivia)
	if err != nil {
		t.Fatal(err)
	}
	var ex Export
	if err := json.Unmarshal(raw, &ex); err != nil || ex.Student == nil || ex.Student.Name != "Olivia" || len(ex.Events) < 5 {
		t.Fatalf("export = %s, %v", raw, err)
	}
	before, _ := snapshotOf(t, c.m, c.id, teacher(teacherA))
	if _, err := c.m.EraseStudentAs(context.Background(), protocol.ActedBy{Teacher: teacherA, Name: "Ms Lee"}, c.id, olivia); err != nil {
		t.Fatal(err)
	}
	after, tv := snapshotOf(t, c.m, c.id, teacher(teacherA))
	if after.Epoch == before.Epoch {
		t.Fatal("the log kept its epoch: devices would resume across the rewrite")
	}
	for _, ev := range c.log() {
		if concerns(ev, olivia) || strings.Contains(string(ev.Data), "Olivia") {
			t.Fatalf("the log still mentions her: %s %s", ev.Type, ev.Data)
		}
	}
	if len(tv.Students) != 3 || len(tv.Groups) != 2 || tv.Rotation == nil {
		t.Fatalf("after erasing, the class is %+v", tv)
	}
	for _, g := range tv.Groups {
		for _, m := range g.Members {
			if m.ID == olivia {
				t.Fatal("she is still in a group")
			}
		}
	}
	if _, err := do(t, c.m, c.id, protocol.CmdSnapshot, student(olivia), nil); codeOf(err) != protocol.CodeForbidden {
		t.Fatalf("her token still opens the class: %v", err)
	}
	// The rewritten log replays to the same state on another node.
	want := string(after.View)
	kv, _ := c.m.cfg.JS.KeyValue(context.Background(), protocol.BucketSnapshots)
	_ = c.m.Close(context.Background())
	_ = kv.Delete(context.Background(), string(c.id))
	c.m = newManager(t, c.m.cfg.NC, c.m.cfg.JS, "node-b", c.clk.use)
	res, _ := snapshotOf(t, c.m, c.id, teacher(teacherA))
	var a, b protocol.TeacherView
	_ = json.Unmarshal([]byte(want), &a)
	_ = json.Unmarshal(res.View, &b)
	if len(a.Students) != len(b.Students) || len(a.Groups) != len(b.Groups) || len(a.Learning) != len(b.Learning) {
		t.Fatalf("replayed after erasing:\nwant %s\ngot  %s", want, res.View)
	}

	// The erasure is on record, on the node that loaded the class again
	// and after a second erasure: who, when, and of Olivia only the
	// digest of her ID.
	noah := c.students[1]
	if _, err := c.m.EraseStudentAs(context.Background(), protocol.ActedBy{Teacher: teacherA, Name: "Ms Lee"}, c.id, noah); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, ev := range c.log() {
		if concerns(ev, olivia) || concerns(ev, noah) {
			t.Fatalf("the log still names an erased student: %s %s", ev.Type, ev.Data)
		}
		if ev.Type != protocol.EvErased {
			continue
		}
		var d protocol.Erased
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if ev.By == nil || ev.By.Teacher != teacherA || ev.By.Name != "Ms Lee" || ev.Time <= 0 || d.Removed <= 0 {
			t.Errorf("the erasure's record: by %+v, time %d, %+v", ev.By, ev.Time, d)
		}
		digests = append(digests, d.Digest)
	}
	if want := []string{protocol.ErasureDigest(c.id, olivia), protocol.ErasureDigest(c.id, noah)}; !slices.Equal(digests, want) {
		t.Fatalf("the erasures on record: %q, want %q", digests, want)
	}
	rep, err := c.m.Report(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range rep.Actions {
		if a.Event == protocol.EvErased {
			n++
			if a.Teacher != teacherA || a.Name != "Ms Lee" || !strings.HasPrefix(a.What, "erased a student from the class") || a.Student != "" {
				t.Errorf("the report's erasure: %+v", a)
			}
		}
	}
	if n != 2 {
		t.Fatalf("the report has %d erasures, want 2: %+v", n, rep.Actions)
	}
}

// A flag a teacher acted on in the millisecond it opened has its response
// time, 0; one nobody acted on has none. Before, both had none.
func TestReportRespondInTheSameMillisecond(t *testing.T) {
	c, _ := clockedClass(t, "Ada", "Ben") // a clock that stands still
	m := c.m
	for _, sid := range c.students {
		raw, _ := json.Marshal(protocol.RaiseHand{Note: "please"})
		if _, err := m.Do(context.Background(), protocol.Command{Room: c.id, Type: protocol.MsgRaiseHand, Actor: student(sid), Data: raw}); err != nil {
			t.Fatal(err)
		}
	}
	ada := flagsOf(c.view(), c.students[0])
	if len(ada) != 1 {
		t.Fatalf("Ada's flags: %+v", ada)
	}
	c.must(protocol.MsgFlagAction, protocol.FlagAction{Flag: ada[0].ID, Action: protocol.FlagResolve}, nil)
	rep, err := m.Report(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Students {
		if len(st.Flags) != 1 {
			t.Fatalf("%s's flags in the report: %+v", st.Name, st.Flags)
		}
		switch r := st.Flags[0].Respond; {
		case st.Name == "Ada" && (r == nil || *r != 0):
			t.Errorf("Ada's flag, resolved in the millisecond it opened: respond %v, want 0", r)
		case st.Name == "Ben" && r != nil:
			t.Errorf("Ben's flag, never acted on: respond %d, want none", *r)
		}
	}
}
