package rooms

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/class"
)

// Report is what happened in one class session, for the teacher after
// class. It is built by folding the whole log again, so it says what the
// log says and nothing else.
type Report struct {
	Room     protocol.RoomID `json:"room"`
	Title    string          `json:"title"`
	Opened   int64           `json:"opened"`
	Ended    int64           `json:"ended,omitempty"`
	Students []StudentReport `json:"students"`
	// Teachers are the class's teachers: the owner, then the teachers it
	// was shared with, in the order they were.
	Teachers []TeacherReport `json:"teachers"`
	// Actions are what the teachers did that shaped the lesson, each with
	// who did it, in order.
	Actions []ActionReport `json:"actions"`
}

// StudentReport is one student's session.
type StudentReport struct {
	ID     protocol.StudentID `json:"id"`
	Name   string             `json:"name"`
	Joined int64              `json:"joined"`
	// Roster is the student's ID on the class's roster, when they joined
	// by picking their name: it names their learner profile.
	Roster     string           `json:"roster,omitempty"`
	Skills     []SkillReport    `json:"skills"`
	Activities []ActivityReport `json:"activities"`
	Flags      []FlagReport     `json:"flags"`
	Stations   []StationTime    `json:"stations"`
	// ActedBy are the teachers who acted on the student (their flags,
	// level, station, hand, help or work sent to them), in the order of
	// their first such action.
	ActedBy []protocol.ActedBy `json:"acted_by"`
}

// SkillReport is a skill's mastery before and after the session. Before is
// nil when the session brought the first evidence on it.
type SkillReport struct {
	Skill    protocol.SkillID `json:"skill"`
	Before   *float64         `json:"before"`
	After    float64          `json:"after"`
	Attempts int              `json:"attempts"`
	Correct  int              `json:"correct"`
}

// ActivityReport is one set a student was given.
type ActivityReport struct {
	Set      protocol.SetRef `json:"set"`
	Title    string          `json:"title"`
	Kind     string          `json:"kind"`
	Items    int             `json:"items"`
	Solved   int             `json:"solved"`
	Complete bool            `json:"complete"`
}

// FlagReport is one flag raised on the student and how the teachers
// responded.
type FlagReport struct {
	Rule    protocol.FlagRule   `json:"rule"`
	Level   protocol.FlagLevel  `json:"level"`
	Status  protocol.FlagStatus `json:"status"`
	Opened  int64               `json:"opened"`
	Respond *int64              `json:"respond_ms,omitempty"` // from opened to a teacher's first action (0: in the same millisecond); nil: none
	Summary string              `json:"summary"`
	// By is the teacher who acted on the flag last (acknowledged,
	// resolved, snoozed, sent help, pulled to the table); absent if none did.
	By *protocol.ActedBy `json:"by,omitempty"`
}

// StationTime is how long a student spent at a station.
type StationTime struct {
	Station protocol.StationID `json:"station"`
	Name    string             `json:"name"`
	Ms      int64              `json:"ms"`
}

type reportFolder struct {
	st       *class.State
	at       map[protocol.StudentID]protocol.StationID
	since    map[protocol.StudentID]int64
	time     map[protocol.StudentID]map[protocol.StationID]int64
	acts     map[protocol.StudentID][]*ActivityReport
	tally    map[protocol.StudentID]map[protocol.SkillID]*SkillReport
	ended    int64
	lastTime int64
	teachers *teacherFolder
}

func (f *reportFolder) fold(ev protocol.Event) error {
	// Who a practice starts for is who it targets as the class stands
	// before it: two practices started in the same millisecond are two
	// activities of their own students, not of everyone's.
	var started []protocol.StudentID
	if ev.Type == protocol.EvPractice {
		var d protocol.PracticeStarted
		if err := json.Unmarshal(ev.Data, &d); err == nil {
			started = f.st.Targets(d.To, d.Students)
		}
	}
	if err := f.st.Apply(ev); err != nil {
		return err
	}
	if err := f.teachers.fold(f.st, ev); err != nil {
		return err
	}
	f.lastTime = ev.Time
	switch ev.Type {
	case protocol.EvClassEnded:
		f.ended = ev.Time
	case protocol.EvPractice:
		for _, sid := range started {
			if ln := f.st.Learners[sid]; ln != nil && ln.Set.Bank != "" {
				f.acts[sid] = append(f.acts[sid], &ActivityReport{Set: ln.Set, Title: ln.Title, Kind: ln.Kind, Items: len(ln.Queue) + len(ln.Options)})
			}
		}
	case protocol.EvAttempt:
		l := f.st.Learners
		if l == nil {
			break
		}
		var d protocol.Attempted
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		if f.tally[d.Student] == nil {
			f.tally[d.Student] = map[protocol.SkillID]*SkillReport{}
		}
		sr := f.tally[d.Student][d.Skill]
		if sr == nil {
			sr = &SkillReport{Skill: d.Skill}
			if ln := l[d.Student]; ln != nil {
				if p, ok := ln.Start[d.Skill]; ok && p >= 0 {
					before := p
					sr.Before = &before
				}
			}
			f.tally[d.Student][d.Skill] = sr
		}
		sr.Attempts++
		if d.Correct {
			sr.Correct++
			if acts := f.acts[d.Student]; len(acts) > 0 {
				acts[len(acts)-1].Solved++
			}
		}
	}
	// Time at stations: close the interval of every student whose
	// station changed with this event.
	for sid, s := range f.st.Students {
		now := f.st.StationOf(sid)
		if !s.Online {
			now = ""
		}
		if prev, ok := f.at[sid]; !ok || prev != now {
			if ok && prev != "" {
				f.add(sid, prev, ev.Time-f.since[sid])
			}
			f.at[sid], f.since[sid] = now, ev.Time
		}
	}
	return nil
}

func (f *reportFolder) add(sid protocol.StudentID, station protocol.StationID, ms int64) {
	if f.time[sid] == nil {
		f.time[sid] = map[protocol.StationID]int64{}
	}
	f.time[sid][station] += ms
}

// Report folds the room's whole log into the session's report.
func (m *Manager) Report(ctx context.Context, room protocol.RoomID) (Report, error) {
	info, err := m.dir.get(ctx, room)
	if err != nil {
		return Report{}, err
	}
	f := &reportFolder{
		st: class.New(room), at: map[protocol.StudentID]protocol.StationID{}, since: map[protocol.StudentID]int64{},
		time: map[protocol.StudentID]map[protocol.StationID]int64{}, acts: map[protocol.StudentID][]*ActivityReport{},
		tally:    map[protocol.StudentID]map[protocol.SkillID]*SkillReport{},
		teachers: newTeacherFolder(),
	}
	lg, err := m.logs.current(ctx, room)
	if err != nil {
		return Report{}, err
	}
	for from := max(lg.first, 1); from <= lg.last; from += 1000 {
		evs, err := lg.readUpTo(ctx, from, min(from+999, lg.last))
		if err != nil {
			return Report{}, err
		}
		for _, ev := range evs {
			if err := f.fold(ev); err != nil {
				return Report{}, fmt.Errorf("report of room %s: %w", room, err)
			}
		}
	}
	end := f.lastTime
	if f.ended > 0 {
		end = f.ended
	}
	for sid, st := range f.at {
		if st != "" {
			f.add(sid, st, end-f.since[sid])
		}
	}
	rep := Report{Room: room, Title: info.Title, Opened: f.st.Opened, Ended: f.ended, Students: []StudentReport{},
		Teachers: []TeacherReport{}, Actions: f.teachers.actions}
	for _, id := range f.teachers.order {
		rep.Teachers = append(rep.Teachers, *f.teachers.teachers[id])
	}
	if rep.Actions == nil {
		rep.Actions = []ActionReport{}
	}
	for sid, s := range f.st.Students {
		sr := StudentReport{ID: sid, Name: s.Name, Joined: s.Joined, Roster: s.Roster, Skills: []SkillReport{}, Activities: []ActivityReport{}, Flags: []FlagReport{}, Stations: []StationTime{}, ActedBy: []protocol.ActedBy{}}
		for _, a := range rep.Actions {
			if a.Student == sid && !slices.ContainsFunc(sr.ActedBy, func(b protocol.ActedBy) bool { return b.Teacher == a.Teacher }) {
				sr.ActedBy = append(sr.ActedBy, protocol.ActedBy{Teacher: a.Teacher, Name: a.Name})
			}
		}
		for _, k := range f.tally[sid] {
			k.After = f.st.Learners[sid].Mastery[k.Skill]
			sr.Skills = append(sr.Skills, *k)
		}
		slices.SortFunc(sr.Skills, func(a, b SkillReport) int { return strings.Compare(string(a.Skill), string(b.Skill)) })
		for _, a := range f.acts[sid] {
			a.Complete = a.Items > 0 && a.Solved >= a.Items
			sr.Activities = append(sr.Activities, *a)
		}
		for _, fl := range f.st.Flags {
			if fl.Student != sid {
				continue
			}
			fr := FlagReport{Rule: fl.Rule, Level: fl.Level, Status: fl.Status, Opened: fl.Opened, Summary: fl.Evidence.Summary}
			if fl.Acked > 0 {
				ms := max(fl.Acked-fl.Opened, 0)
				fr.Respond = &ms
			}
			fr.By = f.teachers.flagBy[fl.ID]
			sr.Flags = append(sr.Flags, fr)
		}
		for station, ms := range f.time[sid] {
			name := ""
			if s := f.st.Station(station); s != nil {
				name = s.Name
			}
			sr.Stations = append(sr.Stations, StationTime{Station: station, Name: name, Ms: ms})
		}
		slices.SortFunc(sr.Stations, func(a, b StationTime) int { return strings.Compare(a.Name, b.Name) })
		rep.Students = append(rep.Students, sr)
	}
	slices.SortFunc(rep.Students, func(a, b StudentReport) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(string(a.ID), string(b.ID)))
	})
	return rep, nil
}

// CSV writes the report as one row per student and skill, with the
// student's flags, response times and station times on each row.
func (rep Report) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"student_id", "name", "skill", "mastery_before", "mastery_after", "attempts", "correct",
		"activities_completed", "flags", "act_now_flags", "median_response_s", "stations", "acted_by"})
	for _, s := range rep.Students {
		completed := 0
		for _, a := range s.Activities {
			if a.Complete {
				completed++
			}
		}
		actNow := 0
		var responds []int64
		for _, f := range s.Flags {
			if f.Level == protocol.LevelActNow {
				actNow++
			}
			if f.Respond != nil {
				responds = append(responds, *f.Respond)
			}
		}
		median := ""
		if len(responds) > 0 {
			slices.Sort(responds)
			median = strconv.FormatFloat(float64(responds[len(responds)/2])/1000, 'f', 1, 64)
		}
		var acted []string
		for _, b := range s.ActedBy {
			acted = append(acted, b.Name)
		}
		var stations []string
		for _, st := range s.Stations {
			stations = append(stations, fmt.Sprintf("%s: %.1f min", st.Name, float64(st.Ms)/60000))
		}
		rows := s.Skills
		if len(rows) == 0 {
			rows = []SkillReport{{}}
		}
		for _, k := range rows {
			before := ""
			if k.Before != nil {
				before = strconv.FormatFloat(*k.Before, 'f', 3, 64)
			}
			after := ""
			if k.Skill != "" {
				after = strconv.FormatFloat(k.After, 'f', 3, 64)
			}
			_ = w.Write([]string{string(s.ID), s.Name, string(k.Skill), before, after, strconv.Itoa(k.Attempts), strconv.Itoa(k.Correct),
				strconv.Itoa(completed), strconv.Itoa(len(s.Flags)), strconv.Itoa(actNow), median, strings.Join(stations, "; "), strings.Join(acted, "; ")})
		}
	}
	w.Flush()
	return buf.Bytes()
}
