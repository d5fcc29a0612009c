package protocol

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Fixed IDs of class orchestration, the same as in PROTOCOL.md's examples.
const (
	grpA   GroupID    = "4d564d46-2d00-482b-a847-ee1850bca1ac"
	grpB   GroupID    = "ee2a10a4-3f82-42cd-a0e0-154b77c46ba5"
	stA    StationID  = "2f7285f8-dd3e-4e35-8042-b265aab4457a"
	stB    StationID  = "da3ba4fc-3113-48a5-93d1-7c2b905621c7"
	coachA CoachID    = "c7891fee-c888-491a-bae8-07a401270f15"
	coachB CoachID    = "3f2b8c1e-6d4a-4e7b-9a05-2c8d1e6f4b3a"
	taskA  TaskID     = "b1b3708b-88a2-4054-8ff7-073c48d4b57c"
	propA  ProposalID = "567d1b80-188d-4b30-863d-a63b643b7c3f"
)

func ptr[T any](v T) *T { return &v }

// idList is n distinct canonical UUIDs, quoted and comma-separated, for
// lists at and over their limits.
func idList(n int) (string, []string) {
	ids := make([]string, n)
	quoted := make([]string, n)
	for i := range n {
		ids[i] = "00000000-0000-4000-8000-" + strings.Repeat("0", 12-len(strconv.Itoa(i))) + strconv.Itoa(i)
		quoted[i] = `"` + ids[i] + `"`
	}
	return strings.Join(quoted, ","), ids
}

// orchestrationPayloadCases are the payload cases of the messages of class
// orchestration, and of announce's group and station targets. Each
// validation branch has at least one invalid case.
func orchestrationPayloadCases() []payloadCase {
	rep := strings.Repeat
	q := func(s any) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	ana, ben, cara := q(anaID), q(benID), q(caraID)
	ga, gb, sa, sb, co, tk, pr := q(grpA), q(grpB), q(stA), q(stB), q(coachA), q(taskA), q(propA)
	okc := func(typ MsgType, data string, want any) payloadCase { return payloadCase{typ, data, want, ""} }
	bad := func(typ MsgType, data string) payloadCase { return payloadCase{typ, data, nil, CodeInvalid} }

	ids20, stations20 := idList(20)
	ids21, _ := idList(21)
	ids40, groups40 := idList(40)
	ids41, _ := idList(41)
	ids100, students100 := idList(100)
	ids101, _ := idList(101)
	var set100 []StudentID
	for _, id := range students100 {
		set100 = append(set100, StudentID(id))
	}
	legs := func(n int) (string, []int64) {
		s := make([]string, n)
		v := make([]int64, n)
		for i := range n {
			s[i], v[i] = "600000", 600000
		}
		return "[" + strings.Join(s, ",") + "]", v
	}
	legs20, legs20v := legs(20)
	legs21, _ := legs(21)
	var st20 []StationID
	for _, id := range stations20 {
		st20 = append(st20, StationID(id))
	}
	var g40 []GroupID
	for _, id := range groups40 {
		g40 = append(g40, GroupID(id))
	}
	var many []string
	for range MaxConstraintSets + 1 {
		many = append(many, "["+ana+","+ben+"]")
	}
	groupsN := func(n int) (string, []ProposedGroup) {
		var s []string
		var v []ProposedGroup
		for i := range n {
			name := "G" + strconv.Itoa(i)
			s = append(s, `{"name":"`+name+`","members":[]}`)
			v = append(v, ProposedGroup{Name: name, Members: []StudentID{}})
		}
		return "[" + strings.Join(s, ",") + "]", v
	}
	groups40s, groups40v := groupsN(MaxGroups)
	groups41s, _ := groupsN(MaxGroups + 1)
	members501, _ := idList(501)
	opts := func(n int) (string, []string) {
		var s, v []string
		for i := range n {
			o := "option " + strconv.Itoa(i)
			s, v = append(s, q(o)), append(v, o)
		}
		return "[" + strings.Join(s, ",") + "]", v
	}
	opts12s, opts12v := opts(MaxOptions)
	opts13s, _ := opts(MaxOptions + 1)
	edits := func(n int) (string, []TextEdit) {
		var s []string
		var v []TextEdit
		for i := range n {
			s = append(s, `{"pos":`+strconv.Itoa(i)+`,"ins":"x"}`)
			v = append(v, TextEdit{Pos: i, Ins: "x"})
		}
		return "[" + strings.Join(s, ",") + "]", v
	}
	edits50s, edits50v := edits(50)
	edits51s, _ := edits(51)
	longURL := "https://example.org/" + rep("a", MaxURLBytes-len("https://example.org/"))

	return []payloadCase{
		// announce: the group and station targets.
		okc(MsgAnnounce, `{"text":"Otters, tidy up","group":`+ga+`}`, &Announce{Text: "Otters, tidy up", Group: grpA}),
		okc(MsgAnnounce, `{"text":"Laptops closed","station":`+sa+`}`, &Announce{Text: "Laptops closed", Station: stA}),
		bad(MsgAnnounce, `{"text":"hi","to":"","group":"","station":""}`),
		okc(MsgAnnounce, `{"text":"hi","to":null,"group":null,"station":null}`, &Announce{Text: "hi"}),
		bad(MsgAnnounce, `{"text":"hi","to":`+ana+`,"group":`+ga+`}`),
		bad(MsgAnnounce, `{"text":"hi","to":`+ana+`,"station":`+sa+`}`),
		bad(MsgAnnounce, `{"text":"hi","group":`+ga+`,"station":`+sa+`}`),
		bad(MsgAnnounce, `{"text":"hi","group":"g1"}`),
		bad(MsgAnnounce, `{"text":"hi","group":"`+strings.ToUpper(string(grpA))+`"}`),
		bad(MsgAnnounce, `{"text":"hi","station":"s1"}`),
		bad(MsgAnnounce, `{"text":"","group":`+ga+`}`),

		// put_station
		okc(MsgPutStation, `{"station":{"name":"Teacher table","kind":"teacher_led","capacity":6}}`,
			&PutStation{Station{Name: "Teacher table", Kind: StationTeacherLed, Capacity: 6}}),
		okc(MsgPutStation, `{"station":{"id":`+sa+`,"name":"Laptops","kind":"online","capacity":0,"activity":{"title":"Fractions practice","text":"Level 2.\nThen level 3.","url":"https://practice.example.org/fractions?level=2"}}}`,
			&PutStation{Station{ID: stA, Name: "Laptops", Kind: StationOnline, Activity: &Activity{Title: "Fractions practice", Text: "Level 2.\nThen level 3.", URL: "https://practice.example.org/fractions?level=2"}}}),
		okc(MsgPutStation, `{"station":{"name":"`+rep("é", MaxStationName)+`","kind":"custom","capacity":500}}`,
			&PutStation{Station{Name: rep("é", MaxStationName), Kind: StationCustom, Capacity: 500}}),
		okc(MsgPutStation, `{"station":{"name":"Build","kind":"collab","activity":{"title":"Bridge","url":"http://example.org"}}}`,
			&PutStation{Station{Name: "Build", Kind: StationCollab, Activity: &Activity{Title: "Bridge", URL: "http://example.org"}}}),
		okc(MsgPutStation, `{"station":{"name":"Quiet corner","kind":"independent","activity":null}}`,
			&PutStation{Station{Name: "Quiet corner", Kind: StationIndependent}}),
		okc(MsgPutStation, `{"station":{"name":"Reading","kind":"independent","activity":{"title":"Read","text":"`+rep("t", MaxActivityText)+`","url":"`+longURL+`"}}}`,
			&PutStation{Station{Name: "Reading", Kind: StationIndependent, Activity: &Activity{Title: "Read", Text: rep("t", MaxActivityText), URL: longURL}}}),
		bad(MsgPutStation, `{}`),
		bad(MsgPutStation, ``),
		bad(MsgPutStation, `{"station":{"id":"s1","name":"A","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"id":"`+strings.ToUpper(string(stA))+`","name":"A","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"name":"","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"name":"   ","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"name":"`+rep("n", MaxStationName+1)+`","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"name":"two\nlines","kind":"online"}}`),
		bad(MsgPutStation, `{"station":{"name":"A"}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"lab"}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"Online"}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","capacity":-1}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","capacity":501}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","capacity":1.5}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"`+rep("t", MaxTitleRunes+1)+`"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","text":"`+rep("t", MaxActivityText+1)+`"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","text":"bell\u0007"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"ftp://example.org/f"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"javascript:alert(1)"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"https://"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"example.org/page"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"`+longURL+`x"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"https://exa mple.org"}}}`),
		bad(MsgPutStation, `{"station":{"name":"A","kind":"online","room":"x"}}`),
		bad(MsgPutStation, `{"station":"Laptops"}`),

		// remove_station
		okc(MsgRemoveStation, `{"station":`+sa+`}`, &RemoveStation{Station: stA}),
		bad(MsgRemoveStation, `{}`),
		bad(MsgRemoveStation, `{"station":"s1"}`),
		bad(MsgRemoveStation, `{"station":7}`),
		bad(MsgRemoveStation, `{"station":`+sa+`,"force":true}`),

		// propose_groups
		okc(MsgProposeGroups, `{"method":"random","size":4}`, &ProposeGroups{GroupingRequest{Method: GroupRandom, Size: 4}}),
		okc(MsgProposeGroups, `{"method":"mixed","count":5,"min":3,"max":6,"seed":42,"apart":[[`+ana+`,`+ben+`]],"together":[[`+ana+`,`+cara+`]],"avoid_recent":true,"include_absent":true}`,
			&ProposeGroups{GroupingRequest{Method: GroupMixed, Count: 5, Min: 3, Max: 6, Seed: 42, Apart: [][]StudentID{{anaID, benID}},
				Together: [][]StudentID{{anaID, caraID}}, AvoidRecent: true, IncludeAbsent: true}}),
		okc(MsgProposeGroups, `{"method":"level","count":40}`, &ProposeGroups{GroupingRequest{Method: GroupLevel, Count: MaxGroups}}),
		okc(MsgProposeGroups, `{"method":"interest","size":100}`, &ProposeGroups{GroupingRequest{Method: GroupInterest, Size: 100}}),
		okc(MsgProposeGroups, `{"method":"choice","size":3,"seed":-7}`, &ProposeGroups{GroupingRequest{Method: GroupChoice, Size: 3, Seed: -7}}),
		okc(MsgProposeGroups, `{"method":"jigsaw","count":4,"min":5}`, &ProposeGroups{GroupingRequest{Method: GroupJigsaw, Count: 4, Min: 5}}),
		okc(MsgProposeGroups, `{"method":"random","size":2,"min":4,"max":4}`, &ProposeGroups{GroupingRequest{Method: GroupRandom, Size: 2, Min: 4, Max: 4}}),
		okc(MsgProposeGroups, `{"method":"random","size":3,"apart":[],"together":null}`, &ProposeGroups{GroupingRequest{Method: GroupRandom, Size: 3, Apart: [][]StudentID{}}}),
		okc(MsgProposeGroups, `{"method":"random","size":3,"apart":[[`+ids100+`]]}`,
			&ProposeGroups{GroupingRequest{Method: GroupRandom, Size: 3, Apart: [][]StudentID{set100}}}),
		bad(MsgProposeGroups, `{}`),
		bad(MsgProposeGroups, `{"size":4}`),
		bad(MsgProposeGroups, `{"method":"alphabetical","size":4}`),
		bad(MsgProposeGroups, `{"method":"Random","size":4}`),
		bad(MsgProposeGroups, `{"method":"random"}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"count":3}`),
		bad(MsgProposeGroups, `{"method":"random","size":-1,"count":3}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"count":-3}`),
		bad(MsgProposeGroups, `{"method":"random","size":101}`),
		bad(MsgProposeGroups, `{"method":"random","count":41}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"min":-1}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"max":-1}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"min":5,"max":4}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[[`+ana+`]]}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[[]]}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"together":[[`+ana+`,"bob"]]}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[[`+ana+`,"`+strings.ToUpper(string(benID))+`"]]}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[`+strings.Join(many, ",")+`]}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[[`+ids101+`]]}`),
		bad(MsgProposeGroups, `{"method":"random","size":"4"}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"names":true}`),
		bad(MsgProposeGroups, `{"method":"random","size":4,"apart":[`+ana+`]}`),

		// apply_groups
		okc(MsgApplyGroups, `{"proposal":`+pr+`}`, &ApplyGroups{Proposal: propA}),
		okc(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":[`+ana+`,`+ben+`]},{"name":"Herons","members":[`+cara+`]}]}`,
			&ApplyGroups{Proposal: propA, Groups: []ProposedGroup{{Name: "Otters", Members: []StudentID{anaID, benID}}, {Name: "Herons", Members: []StudentID{caraID}}}}),
		okc(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Empty for now","members":[]},{"name":"`+rep("ü", MaxGroupNameRunes)+`","members":null}]}`,
			&ApplyGroups{Proposal: propA, Groups: []ProposedGroup{{Name: "Empty for now", Members: []StudentID{}}, {Name: rep("ü", MaxGroupNameRunes)}}}),
		okc(MsgApplyGroups, `{"proposal":`+pr+`,"groups":`+groups40s+`}`, &ApplyGroups{Proposal: propA, Groups: groups40v}),
		okc(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":[`+ana+`],"reason":""}]}`,
			&ApplyGroups{Proposal: propA, Groups: []ProposedGroup{{Name: "Otters", Members: []StudentID{anaID}}}}),
		bad(MsgApplyGroups, `{}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[]}`),
		bad(MsgApplyGroups, `{"proposal":"p1"}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":`+groups41s+`}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"members":[`+ana+`]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":" ","members":[]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"`+rep("n", MaxGroupNameRunes+1)+`","members":[]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"tab\there","members":[]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":["bob"]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":[`+members501+`]}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":[],"reason":"mine"}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":[{"name":"Otters","members":[],"id":`+ga+`}]}`),
		bad(MsgApplyGroups, `{"proposal":`+pr+`,"groups":{"name":"Otters"}}`),

		// move_student
		okc(MsgMoveStudent, `{"student":`+ana+`,"group":`+ga+`}`, &MoveStudent{Student: anaID, Group: grpA}),
		okc(MsgMoveStudent, `{"student":`+ana+`,"station":`+sa+`}`, &MoveStudent{Student: anaID, Station: stA}),
		okc(MsgMoveStudent, `{"student":`+ana+`,"clear":true}`, &MoveStudent{Student: anaID, Clear: true}),
		okc(MsgMoveStudent, `{"student":`+ana+`,"group":`+ga+`,"station":"","clear":false}`, &MoveStudent{Student: anaID, Group: grpA}),
		bad(MsgMoveStudent, `{}`),
		bad(MsgMoveStudent, `{"group":`+ga+`}`),
		bad(MsgMoveStudent, `{"student":"bob","group":`+ga+`}`),
		bad(MsgMoveStudent, `{"student":`+ana+`}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"clear":false}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"group":`+ga+`,"station":`+sa+`}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"group":`+ga+`,"clear":true}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"station":`+sa+`,"clear":true}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"group":`+ga+`,"station":`+sa+`,"clear":true}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"group":"g1"}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"station":"s1"}`),
		bad(MsgMoveStudent, `{"student":`+ana+`,"clear":"yes"}`),

		// assign_coach
		okc(MsgAssignCoach, `{"group":`+ga+`,"coach":`+co+`,"assigned":true}`, &AssignCoach{Group: grpA, Coach: coachA, Assigned: true}),
		okc(MsgAssignCoach, `{"group":`+ga+`,"coach":`+co+`,"assigned":false}`, &AssignCoach{Group: grpA, Coach: coachA}),
		okc(MsgAssignCoach, `{"group":`+ga+`,"coach":`+co+`}`, &AssignCoach{Group: grpA, Coach: coachA}),
		bad(MsgAssignCoach, `{}`),
		bad(MsgAssignCoach, `{"group":`+ga+`,"assigned":true}`),
		bad(MsgAssignCoach, `{"coach":`+co+`,"assigned":true}`),
		bad(MsgAssignCoach, `{"group":"g1","coach":`+co+`,"assigned":true}`),
		bad(MsgAssignCoach, `{"group":`+ga+`,"coach":"diaz","assigned":true}`),
		bad(MsgAssignCoach, `{"group":`+ga+`,"coach":`+co+`,"assigned":"true"}`),

		// start_rotation
		okc(MsgStartRotation, `{"plan":{"stations":[`+sa+`,`+sb+`],"legs":[900000,900000],"warn_ms":0,"auto":false}}`,
			&StartRotation{Plan: RotationPlan{Stations: []StationID{stA, stB}, Legs: []int64{900000, 900000}}}),
		okc(MsgStartRotation, `{"plan":{"stations":[`+sa+`,`+sb+`],"legs":[600000],"warn_ms":-1,"auto":true},"groups":[`+ga+`,`+gb+`]}`,
			&StartRotation{Plan: RotationPlan{Stations: []StationID{stA, stB}, Legs: []int64{600000}, WarnMs: -1, Auto: true}, Groups: []GroupID{grpA, grpB}}),
		okc(MsgStartRotation, `{"plan":{"stations":[`+ids20+`],"legs":`+legs20+`,"warn_ms":120000},"groups":[`+ids40+`]}`,
			&StartRotation{Plan: RotationPlan{Stations: st20, Legs: legs20v, WarnMs: 120000}, Groups: g40}),
		okc(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[900000]},"groups":null}`,
			&StartRotation{Plan: RotationPlan{Stations: []StationID{stA}, Legs: []int64{900000}}}),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[900000]},"groups":[]}`),
		bad(MsgStartRotation, `{}`),
		bad(MsgStartRotation, `{"plan":{"legs":[900000]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[],"legs":[900000]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+ids21+`],"legs":[900000]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":["s1"],"legs":[900000]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":`+legs21+`}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[900000]},"groups":[`+ids41+`]}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[900000]},"groups":["g1"]}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":["15m"]}}`),
		bad(MsgStartRotation, `{"plan":{"stations":[`+sa+`],"legs":[900000],"loop":true}}`),
		bad(MsgStartRotation, `{"stations":[`+sa+`],"legs":[900000]}`),

		// rotate
		okc(MsgRotate, `{"action":"pause"}`, &Rotate{Action: RotatePause}),
		okc(MsgRotate, `{"action":"pause","group":`+ga+`,"ms":0}`, &Rotate{Action: RotatePause, Group: grpA}),
		okc(MsgRotate, `{"action":"resume","group":`+ga+`}`, &Rotate{Action: RotateResume, Group: grpA}),
		okc(MsgRotate, `{"action":"advance"}`, &Rotate{Action: RotateAdvance}),
		okc(MsgRotate, `{"action":"advance","group":`+gb+`}`, &Rotate{Action: RotateAdvance, Group: grpB}),
		okc(MsgRotate, `{"action":"end"}`, &Rotate{Action: RotateEnd}),
		okc(MsgRotate, `{"action":"extend","ms":1000}`, &Rotate{Action: RotateExtend, Ms: 1000}),
		okc(MsgRotate, `{"action":"extend","group":`+ga+`,"ms":7200000}`, &Rotate{Action: RotateExtend, Group: grpA, Ms: 7200000}),
		bad(MsgRotate, `{}`),
		bad(MsgRotate, `{"action":"stop"}`),
		bad(MsgRotate, `{"action":"Pause"}`),
		bad(MsgRotate, `{"action":"pause","ms":1000}`),
		bad(MsgRotate, `{"action":"end","ms":60000}`),
		bad(MsgRotate, `{"action":"extend"}`),
		bad(MsgRotate, `{"action":"extend","ms":999}`),
		bad(MsgRotate, `{"action":"extend","ms":7200001}`),
		bad(MsgRotate, `{"action":"extend","ms":-60000}`),
		bad(MsgRotate, `{"action":"extend","ms":60000.5}`),
		bad(MsgRotate, `{"action":"pause","group":"g1"}`),
		bad(MsgRotate, `{"action":"end","group":`+ga+`}`),
		bad(MsgRotate, `{"action":"advance","leg":2}`),

		// pause_class and resume_class
		okc(MsgPauseClass, `{}`, &PauseClass{}),
		okc(MsgPauseClass, ``, &PauseClass{}),
		okc(MsgPauseClass, `null`, &PauseClass{}),
		bad(MsgPauseClass, `{"paused":true}`),
		bad(MsgPauseClass, `[]`),
		okc(MsgResumeClass, `{}`, &ResumeClass{}),
		okc(MsgResumeClass, ``, &ResumeClass{}),
		bad(MsgResumeClass, `{"paused":false}`),
		bad(MsgResumeClass, `"now"`),

		// push_activity
		okc(MsgPushActivity, `{"activity":{"title":"Exit ticket"}}`, &PushActivity{Activity: Activity{Title: "Exit ticket"}}),
		okc(MsgPushActivity, `{"activity":{"title":"Exit ticket"},"to":{}}`, &PushActivity{Activity: Activity{Title: "Exit ticket"}}),
		okc(MsgPushActivity, `{"activity":{"title":"Equivalent fractions","text":"Watch, then try 2 problems.\n\tTake notes.","url":"https://videos.example.org/eq-fractions"},"to":{"student":`+ana+`}}`,
			&PushActivity{Activity: Activity{Title: "Equivalent fractions", Text: "Watch, then try 2 problems.\n\tTake notes.", URL: "https://videos.example.org/eq-fractions"}, To: Target{Student: anaID}}),
		okc(MsgPushActivity, `{"activity":{"title":"Challenge"},"to":{"group":`+ga+`}}`, &PushActivity{Activity: Activity{Title: "Challenge"}, To: Target{Group: grpA}}),
		okc(MsgPushActivity, `{"activity":{"title":"Log in"},"to":{"station":`+sb+`,"group":"","student":""}}`, &PushActivity{Activity: Activity{Title: "Log in"}, To: Target{Station: stB}}),
		bad(MsgPushActivity, `{}`),
		bad(MsgPushActivity, `{"activity":{"title":"  "}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T","url":"mailto:lee@school.example"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T","text":"esc\u001b"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"student":`+ana+`,"group":`+ga+`}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"group":`+ga+`,"station":`+sa+`}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"student":"bob"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"group":"g1"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"station":"s1"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":{"class":true}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T","skill":"fractions"}}`),
		bad(MsgPushActivity, `{"activity":{"title":"T"},"to":`+ana+`}`),

		// set_level
		okc(MsgSetLevel, `{"student":`+ana+`,"level":0.65}`, &SetLevel{Student: anaID, Level: 0.65}),
		okc(MsgSetLevel, `{"student":`+ana+`,"level":0}`, &SetLevel{Student: anaID}),
		okc(MsgSetLevel, `{"student":`+ana+`,"level":1}`, &SetLevel{Student: anaID, Level: 1}),
		okc(MsgSetLevel, `{"student":`+ana+`}`, &SetLevel{Student: anaID}),
		bad(MsgSetLevel, `{}`),
		bad(MsgSetLevel, `{"level":0.5}`),
		bad(MsgSetLevel, `{"student":"bob","level":0.5}`),
		bad(MsgSetLevel, `{"student":`+ana+`,"level":-0.01}`),
		bad(MsgSetLevel, `{"student":`+ana+`,"level":1.0001}`),
		bad(MsgSetLevel, `{"student":`+ana+`,"level":65}`),
		bad(MsgSetLevel, `{"student":`+ana+`,"level":"high"}`),
		bad(MsgSetLevel, `{"student":`+ana+`,"level":1e999}`),

		// offer_choices
		okc(MsgOfferChoices, `{"prompt":"Which passage will you read?","options":["Rock music","Volcanoes","Space"]}`,
			&OfferChoices{Prompt: "Which passage will you read?", Options: []string{"Rock music", "Volcanoes", "Space"}}),
		okc(MsgOfferChoices, `{"prompt":"","options":[]}`, &OfferChoices{Options: []string{}}),
		okc(MsgOfferChoices, `{}`, &OfferChoices{}),
		okc(MsgOfferChoices, `{"prompt":"`+rep("p", MaxTextRunes)+`","options":`+opts12s+`}`, &OfferChoices{Prompt: rep("p", MaxTextRunes), Options: opts12v}),
		okc(MsgOfferChoices, `{"prompt":"Pick","options":[" Rock music ","`+rep("o", MaxOptionRunes)+`"]}`,
			&OfferChoices{Prompt: "Pick", Options: []string{" Rock music ", rep("o", MaxOptionRunes)}}),
		bad(MsgOfferChoices, `{"prompt":"`+rep("p", MaxTextRunes+1)+`","options":["a"]}`),
		bad(MsgOfferChoices, `{"prompt":"two\nlines","options":["a"]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":`+opts13s+`}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":[""]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":["a","  "]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":["`+rep("o", MaxOptionRunes+1)+`"]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":["Rock","rock"]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":[" Rock","ROCK "]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":["bell\u0007"]}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":"Rock"}`),
		bad(MsgOfferChoices, `{"prompt":"Pick","options":[1]}`),

		// choose
		okc(MsgChoose, `{"option":"Rock music"}`, &Choose{Option: "Rock music"}),
		okc(MsgChoose, `{"option":" rock music "}`, &Choose{Option: " rock music "}),
		okc(MsgChoose, `{"option":"`+rep("ö", MaxOptionRunes)+`"}`, &Choose{Option: rep("ö", MaxOptionRunes)}),
		bad(MsgChoose, `{}`),
		bad(MsgChoose, `{"option":""}`),
		bad(MsgChoose, `{"option":"   "}`),
		bad(MsgChoose, `{"option":"`+rep("o", MaxOptionRunes+1)+`"}`),
		bad(MsgChoose, `{"option":"a\nb"}`),
		bad(MsgChoose, `{"option":2}`),
		bad(MsgChoose, `{"option":"Rock music","student":`+ana+`}`),

		// set_interest
		okc(MsgSetInterest, `{"interest":"volcanoes"}`, &SetInterest{Interest: "volcanoes"}),
		okc(MsgSetInterest, `{"interest":""}`, &SetInterest{}),
		okc(MsgSetInterest, `{}`, &SetInterest{}),
		okc(MsgSetInterest, `{"interest":"`+rep("i", MaxInterestRunes)+`"}`, &SetInterest{Interest: rep("i", MaxInterestRunes)}),
		bad(MsgSetInterest, `{"interest":"`+rep("i", MaxInterestRunes+1)+`"}`),
		bad(MsgSetInterest, `{"interest":"tab\there"}`),
		bad(MsgSetInterest, `{"interest":["rock"]}`),
		bad(MsgSetInterest, `{"interests":"rock"}`),

		// edit_workspace
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"add_task","title":"Draw the circuit"}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsAddTask, Title: ptr("Draw the circuit")}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_task","task":`+tk+`,"base":{"title":1,"assignee":0,"due":0,"done":0},"title":"Draw it neatly","assignee":`+ana+`,"due":1795450900000,"done":true}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsEditTask, Task: taskA, Base: &TaskVers{Title: 1}, Title: ptr("Draw it neatly"),
				Assignee: ptr(anaID), Due: ptr(int64(1795450900000)), Done: ptr(true)}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_task","task":`+tk+`,"base":{"title":1,"assignee":3,"due":2,"done":4},"assignee":"","due":0,"done":false}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsEditTask, Task: taskA, Base: &TaskVers{Title: 1, Assignee: 3, Due: 2, Done: 4},
				Assignee: ptr(StudentID("")), Due: ptr(int64(0)), Done: ptr(false)}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"remove_task","task":`+tk+`}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsRemoveTask, Task: taskA}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"set_role","student":`+ben+`,"role":"recorder"}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsSetRole, Student: benID, Role: "recorder"}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"set_role","student":`+ben+`,"role":""}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsSetRole, Student: benID}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_notes","notes_base":3,"edits":[{"pos":0,"ins":"Our plan: "},{"pos":25,"del":4}]}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsEditNotes, NotesBase: 3, Edits: []TextEdit{{Pos: 0, Ins: "Our plan: "}, {Pos: 25, Del: 4}}}}),
		okc(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_notes","notes_base":0,"edits":`+edits50s+`}}`,
			&EditWorkspace{Group: grpA, Op: WorkspaceOp{Kind: WsEditNotes, Edits: edits50v}}),
		okc(MsgEditWorkspace, `{"group":`+gb+`,"op":{"kind":"comment","text":"Good start. Which resistor did you pick?"}}`,
			&EditWorkspace{Group: grpB, Op: WorkspaceOp{Kind: WsComment, Text: "Good start. Which resistor did you pick?"}}),
		bad(MsgEditWorkspace, `{}`),
		bad(MsgEditWorkspace, `{"op":{"kind":"comment","text":"x"}}`),
		bad(MsgEditWorkspace, `{"group":"g1","op":{"kind":"comment","text":"x"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"title":"x"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"rename_task","title":"x"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"remove_task","task":"t1"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"set_role","student":"bob","role":"recorder"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_task","task":`+tk+`,"assignee":"bob"}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_notes","edits":`+edits51s+`}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_notes","edits":[{"pos":"0","ins":"x"}]}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_notes","notes_base":-1,"edits":[]}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"edit_task","task":`+tk+`,"base":{"title":1,"color":2}}}`),
		bad(MsgEditWorkspace, `{"group":`+ga+`,"op":{"kind":"comment","text":"x","pinned":true}}`),

		// set_late_rule
		okc(MsgSetLateRule, `{"rule":"smallest"}`, &SetLateRule{Rule: LateSmallest}),
		okc(MsgSetLateRule, `{"rule":"none"}`, &SetLateRule{Rule: LateNone}),
		bad(MsgSetLateRule, `{}`),
		bad(MsgSetLateRule, `{"rule":"largest"}`),
		bad(MsgSetLateRule, `{"rule":"Smallest"}`),
		bad(MsgSetLateRule, `{"rule":1}`),
	}
}

// The messages of the orchestration validators: each names the field and
// says what is wrong, in words a teacher's console can show.
func TestOrchestrationMessages(t *testing.T) {
	sid, g, s := string(anaID), string(grpA), string(stA)
	for _, c := range []struct {
		typ        MsgType
		data, want string
	}{
		{MsgAnnounce, `{"text":"a","to":"` + sid + `","group":"` + g + `"}`, "announce: name at most one of to, group and station"},
		{MsgAnnounce, `{"text":"a","group":"` + g + `","station":"` + s + `"}`, "announce: name at most one of"},
		{MsgAnnounce, `{"text":"a","group":"x"}`, "announce.group is not a group ID"},
		{MsgAnnounce, `{"text":"a","station":"x"}`, "announce.station is not a station ID"},
		{MsgPutStation, `{"station":{"id":"x","name":"A","kind":"online"}}`, "put_station.station.id is not a station ID"},
		{MsgPutStation, `{"station":{"kind":"online"}}`, "put_station.station.name must have at least 1 characters"},
		{MsgPutStation, `{"station":{"name":"A","kind":"lab"}}`, "put_station.station.kind must be teacher_led, online, collab, independent or custom"},
		{MsgPutStation, `{"station":{"name":"A","kind":"online","capacity":501}}`, "put_station.station.capacity must be 0 (no limit) to 500"},
		{MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":""}}}`, "put_station.station.activity.title must have at least 1 characters"},
		{MsgPutStation, `{"station":{"name":"A","kind":"online","activity":{"title":"T","url":"ftp://x"}}}`, "put_station.station.activity.url must be an http or https address"},
		{MsgRemoveStation, `{}`, "remove_station.station is not a station ID"},
		{MsgProposeGroups, `{"size":3}`, "propose_groups.method must be random, level, mixed, interest, choice or jigsaw"},
		{MsgProposeGroups, `{"method":"random"}`, "propose_groups: give either size or count"},
		{MsgProposeGroups, `{"method":"random","size":101}`, "propose_groups: size is 1 to 100 and count 1 to 40"},
		{MsgProposeGroups, `{"method":"random","size":3,"min":4,"max":3}`, "propose_groups: min is larger than max"},
		{MsgProposeGroups, `{"method":"random","size":3,"apart":[["` + sid + `"]]}`, "propose_groups: a constraint names 2 to 100 students"},
		{MsgProposeGroups, `{"method":"random","size":3,"apart":[["` + sid + `","x"]]}`, `propose_groups: "x" is not a student ID`},
		{MsgApplyGroups, `{}`, "apply_groups.proposal is not a proposal ID"},
		{MsgApplyGroups, `{"proposal":"` + string(propA) + `","groups":[{"name":"","members":[]}]}`, "apply_groups.groups.name must have at least 1 characters"},
		{MsgApplyGroups, `{"proposal":"` + string(propA) + `","groups":[{"name":"A","members":["x"]}]}`, `apply_groups: "x" is not a student ID`},
		{MsgApplyGroups, `{"proposal":"` + string(propA) + `","groups":[{"name":"A","members":[],"reason":"r"}]}`, "apply_groups: reason is the server's; leave it out"},
		{MsgMoveStudent, `{"student":"x"}`, "move_student.student is not a student ID"},
		{MsgMoveStudent, `{"student":"` + sid + `"}`, "move_student: give exactly one of group, station and clear"},
		{MsgMoveStudent, `{"student":"` + sid + `","group":"x"}`, "move_student.group is not a group ID"},
		{MsgMoveStudent, `{"student":"` + sid + `","station":"x"}`, "move_student.station is not a station ID"},
		{MsgAssignCoach, `{"group":"` + g + `"}`, "assign_coach: group and coach must be IDs"},
		{MsgStartRotation, `{}`, "start_rotation.plan.stations: 1 to 20 stations"},
		{MsgStartRotation, `{"plan":{"stations":["x"],"legs":[1]}}`, `start_rotation.plan.stations: "x" is not a station ID`},
		{MsgStartRotation, `{"plan":{"stations":["` + s + `"]}}`, "start_rotation.plan.legs: 1 to 20 legs"},
		{MsgStartRotation, `{"plan":{"stations":["` + s + `"],"legs":[1]},"groups":["x"]}`, `start_rotation.groups: "x" is not a group ID`},
		{MsgRotate, `{"action":"stop"}`, "rotate.action must be pause, resume, extend, advance or end"},
		{MsgRotate, `{"action":"pause","ms":5}`, "rotate.ms is for extend only"},
		{MsgRotate, `{"action":"extend","ms":5}`, "rotate.ms must be 1000 to 7200000 (two hours)"},
		{MsgRotate, `{"action":"pause","group":"x"}`, "rotate.group is not a group ID"},
		{MsgRotate, `{"action":"end","group":"` + g + `"}`, "rotate: end is for the whole rotation; advance a group instead"},
		{MsgPushActivity, `{"activity":{"title":"T"},"to":{"group":"` + g + `","station":"` + s + `"}}`, "push_activity.to: name at most one of student, group and station"},
		{MsgPushActivity, `{"activity":{"title":"T"},"to":{"student":"x"}}`, "push_activity.to.student is not a student ID"},
		{MsgPushActivity, `{"activity":{}}`, "push_activity.activity.title must have at least 1 characters"},
		{MsgSetLevel, `{"student":"x"}`, "set_level.student is not a student ID"},
		{MsgSetLevel, `{"student":"` + sid + `","level":2}`, "set_level.level must be 0 to 1"},
		{MsgOfferChoices, `{"options":["a","A"]}`, `offer_choices.options: "A" is there twice`},
		{MsgOfferChoices, `{"options":["a","b","c","d","e","f","g","h","i","j","k","l","m"]}`, "offer_choices.options: at most 12"},
		{MsgOfferChoices, `{"options":[""]}`, "offer_choices.options must have at least 1 characters"},
		{MsgChoose, `{}`, "choose.option must have at least 1 characters"},
		{MsgSetInterest, `{"interest":"a\u0000"}`, "set_interest.interest contains a control character"},
		{MsgEditWorkspace, `{"op":{"kind":"comment"}}`, "edit_workspace.group is not a group ID"},
		{MsgEditWorkspace, `{"group":"` + g + `","op":{"kind":"x"}}`, "edit_workspace.op.kind must be add_task, edit_task, remove_task, set_role, edit_notes or comment"},
		{MsgEditWorkspace, `{"group":"` + g + `","op":{"kind":"remove_task","task":"x"}}`, "edit_workspace.op.task is not a task ID"},
		{MsgEditWorkspace, `{"group":"` + g + `","op":{"kind":"set_role","student":"x"}}`, "edit_workspace.op.student is not a student ID"},
		{MsgEditWorkspace, `{"group":"` + g + `","op":{"kind":"edit_task","assignee":"x"}}`, "edit_workspace.op.assignee is not a student ID"},
		{MsgSetLateRule, `{"rule":"x"}`, "set_late_rule.rule must be smallest or none"},
	} {
		_, err := DecodePayload(c.typ, json.RawMessage(c.data))
		if err == nil || err.Code != CodeInvalid || !strings.Contains(err.Message, c.want) {
			t.Errorf("%s %s: got %v, want invalid with a message containing %q", c.typ, c.data, err, c.want)
		}
	}
}

// The enumerations of orchestration: what Valid accepts is exactly the
// source's constants, in the case the wire uses.
func TestOrchestrationEnumerations(t *testing.T) {
	check := func(typ string, valid func(string) bool) {
		t.Helper()
		values := declaredValues(t, typ)
		for _, v := range values {
			if !valid(v) {
				t.Errorf("%s %q: not valid", typ, v)
			}
			for _, other := range []string{strings.ToUpper(v), " " + v, v + "s", ""} {
				if valid(other) && !slices.Contains(values, other) {
					t.Errorf("%s %q: valid, but not a constant", typ, other)
				}
			}
		}
	}
	check("StationKind", func(s string) bool { return StationKind(s).Valid() })
	check("GroupingMethod", func(s string) bool { return GroupingMethod(s).Valid() })
	check("LateRule", func(s string) bool {
		_, err := DecodePayload(MsgSetLateRule, json.RawMessage(`{"rule":`+strconv.Quote(s)+`}`))
		return err == nil
	})
	check("RotateAction", func(s string) bool {
		data := `{"action":` + strconv.Quote(s) + `}`
		if s == string(RotateExtend) {
			data = `{"action":"extend","ms":60000}`
		}
		_, err := DecodePayload(MsgRotate, json.RawMessage(data))
		return err == nil
	})
	check("WorkspaceOpKind", func(s string) bool {
		_, err := DecodePayload(MsgEditWorkspace, json.RawMessage(`{"group":"`+string(grpA)+`","op":{"kind":`+strconv.Quote(s)+`}}`))
		return err == nil
	})
}

// Every typed ID of orchestration is a canonical UUID, like the others.
func TestOrchestrationIDValid(t *testing.T) {
	for s, want := range map[string]bool{
		string(grpA): true, string(stA): true, string(coachA): true, string(taskA): true, string(propA): true,
		"": false, "g1": false, strings.ToUpper(string(grpA)): false, "{" + string(stA) + "}": false,
		"urn:uuid:" + string(coachA): false, strings.ReplaceAll(string(taskA), "-", ""): false, string(propA) + " ": false,
	} {
		for name, got := range map[string]bool{
			"GroupID": GroupID(s).Valid(), "StationID": StationID(s).Valid(), "CoachID": CoachID(s).Valid(),
			"TaskID": TaskID(s).Valid(), "ProposalID": ProposalID(s).Valid(),
		} {
			if got != want {
				t.Errorf("%s(%q).Valid() = %v, want %v", name, s, got, want)
			}
		}
	}
}

// The wire names of orchestration: what the server sends in events and
// snapshots, field by field. Optional fields are left out when empty.
func TestOrchestrationWireFieldNames(t *testing.T) {
	id := func(s any) string { return `"` + reflect.ValueOf(s).String() + `"` }
	for _, c := range []struct {
		v    any
		want string
	}{
		{Station{ID: stA, Name: "Laptops", Kind: StationOnline}, `{"id":` + id(stA) + `,"name":"Laptops","kind":"online","capacity":0}`},
		{Activity{Title: "T"}, `{"title":"T"}`},
		{Activity{Title: "T", Text: "x", URL: "https://e.org"}, `{"title":"T","text":"x","url":"https://e.org"}`},
		{Group{ID: grpA, Name: "Otters", Members: []Member{{ID: anaID, Name: "Ana"}}},
			`{"id":` + id(grpA) + `,"name":"Otters","members":[{"id":` + id(anaID) + `,"name":"Ana"}]}`},
		{Group{ID: grpA, Name: "O", Members: []Member{}, Coaches: []CoachID{coachA}, Roles: []GroupRole{{Student: anaID, Role: "recorder"}}},
			`{"id":` + id(grpA) + `,"name":"O","members":[],"coaches":[` + id(coachA) + `],"roles":[{"student":` + id(anaID) + `,"role":"recorder"}]}`},
		{GroupSummary{ID: grpA, Name: "O", Size: 3}, `{"id":` + id(grpA) + `,"name":"O","size":3}`},
		{Proposal{ID: propA, Request: GroupingRequest{Method: GroupMixed, Size: 3}, Seed: 7, Groups: []ProposedGroup{{Name: "G", Members: []StudentID{anaID}, Reason: "r"}}, Basis: 4, Made: 9},
			`{"id":` + id(propA) + `,"request":{"method":"mixed","size":3},"seed":7,"groups":[{"name":"G","members":[` + id(anaID) + `],"reason":"r"}],"basis":4,"made":9}`},
		{GroupingRequest{Method: GroupJigsaw, Count: 2, Min: 1, Max: 5, Seed: 3, Apart: [][]StudentID{{anaID, benID}}, Together: [][]StudentID{{anaID, caraID}}, AvoidRecent: true, IncludeAbsent: true},
			`{"method":"jigsaw","count":2,"min":1,"max":5,"seed":3,"apart":[[` + id(anaID) + `,` + id(benID) + `]],"together":[[` + id(anaID) + `,` + id(caraID) + `]],"avoid_recent":true,"include_absent":true}`},
		{RotationPlan{Stations: []StationID{stA}, Legs: []int64{600000}}, `{"stations":[` + id(stA) + `],"legs":[600000],"warn_ms":0,"auto":false}`},
		{Track{Group: grpA}, `{"group":` + id(grpA) + `,"first":0,"leg":0}`},
		{Track{Group: grpA, First: 1, Leg: 2, Station: stB, Deadline: 5, Left: 6, Paused: true, Held: true, Warned: true, Due: true, Done: true},
			`{"group":` + id(grpA) + `,"first":1,"leg":2,"station":` + id(stB) + `,"deadline":5,"left":6,"paused":true,"held":true,"warned":true,"due":true,"done":true}`},
		{Rotation{Plan: RotationPlan{Stations: []StationID{}, Legs: []int64{}}, Tracks: []Track{}, Started: 4},
			`{"plan":{"stations":[],"legs":[],"warn_ms":0,"auto":false},"tracks":[],"started":4,"ended":false}`},
		{RotationAction{Kind: "warn", Group: grpA, Leg: 1, Station: stA, At: 8}, `{"kind":"warn","group":` + id(grpA) + `,"leg":1,"station":` + id(stA) + `,"at":8}`},
		{RotationAction{Kind: "start", At: 8}, `{"kind":"start","leg":0,"at":8}`},
		{Workspace{Group: grpA, Tasks: []Task{}, Comments: []Comment{}}, `{"group":` + id(grpA) + `,"rev":0,"tasks":[],"notes":"","notes_rev":0,"comments":[]}`},
		{Task{ID: taskA, Title: "T"}, `{"id":` + id(taskA) + `,"title":"T","done":false,"vers":{"title":0,"assignee":0,"due":0,"done":0}}`},
		{Task{ID: taskA, Title: "T", Assignee: anaID, Due: 3, Done: true, Vers: TaskVers{1, 2, 3, 4}},
			`{"id":` + id(taskA) + `,"title":"T","assignee":` + id(anaID) + `,"due":3,"done":true,"vers":{"title":1,"assignee":2,"due":3,"done":4}}`},
		{Comment{By: "Mr Diaz", Role: RoleCoach, Text: "x", Time: 5}, `{"by":"Mr Diaz","role":"coach","text":"x","time":5}`},
		{TextEdit{Pos: 3}, `{"pos":3}`},
		{TextEdit{Pos: 3, Del: 1, Ins: "é"}, `{"pos":3,"del":1,"ins":"é"}`},
		{WorkspaceOp{Kind: WsComment, Text: "x"}, `{"kind":"comment","text":"x"}`},
		{WorkspaceOp{Kind: WsEditTask, Task: taskA, Base: &TaskVers{}, Title: ptr(""), Assignee: ptr(StudentID("")), Due: ptr(int64(0)), Done: ptr(false)},
			`{"kind":"edit_task","task":` + id(taskA) + `,"base":{"title":0,"assignee":0,"due":0,"done":0},"title":"","assignee":"","due":0,"done":false}`},
		{WorkspaceOp{Kind: WsSetRole, Student: anaID, Role: "facilitator"}, `{"kind":"set_role","student":` + id(anaID) + `,"role":"facilitator"}`},
		{WorkspaceOp{Kind: WsEditNotes, NotesBase: 2, Edits: []TextEdit{{Pos: 0, Ins: "a"}}}, `{"kind":"edit_notes","notes_base":2,"edits":[{"pos":0,"ins":"a"}]}`},
		{WorkspaceChanged{Group: grpA, Op: WorkspaceOp{Kind: WsRemoveTask, Task: taskA}, By: Author{Role: RoleStudent, Name: "Ana", Student: anaID}, Rev: 4},
			`{"group":` + id(grpA) + `,"op":{"kind":"remove_task","task":` + id(taskA) + `},"by":{"role":"student","name":"Ana","student":` + id(anaID) + `},"rev":4}`},
		{Author{Role: RoleTeacher, Name: "Ms Lee"}, `{"role":"teacher","name":"Ms Lee"}`},
		{Target{}, `{}`},
		{Target{Station: stA}, `{"station":` + id(stA) + `}`},
		{ActivityPushed{Activity: Activity{Title: "T"}}, `{"activity":{"title":"T"},"to":{}}`},
		{Placement{Student: anaID}, `{"student":` + id(anaID) + `}`},
		{Placement{Student: anaID, Station: stA}, `{"student":` + id(anaID) + `,"station":` + id(stA) + `}`},
		{Choice{Student: anaID, Option: ptr("Rock")}, `{"student":` + id(anaID) + `,"option":"Rock"}`},
		{Choice{Student: anaID, Interest: ptr("")}, `{"student":` + id(anaID) + `,"interest":""}`},
		{Choices{Prompt: "P", Options: []string{}}, `{"prompt":"P","options":[]}`},
		{Level{Student: anaID, Level: 0.5}, `{"student":` + id(anaID) + `,"level":0.5}`},
		{ClassPaused{Paused: true}, `{"paused":true}`},
		{LateRuleSet{Rule: LateNone}, `{"rule":"none"}`},
		{Stations{Stations: []Station{}}, `{"stations":[]}`},
		{Groups{Groups: []GroupSummary{}}, `{"groups":[]}`},
		{GroupChanged{Group: Group{ID: grpA, Name: "O", Members: []Member{}}}, `{"group":{"id":` + id(grpA) + `,"name":"O","members":[]}}`},
		{RotationChanged{Actions: []RotationAction{}, Rotation: Rotation{Plan: RotationPlan{Stations: []StationID{}, Legs: []int64{}}, Tracks: []Track{}}},
			`{"actions":[],"rotation":{"plan":{"stations":[],"legs":[],"warn_ms":0,"auto":false},"tracks":[],"started":0,"ended":false}}`},
		{Announce{Text: "hi", Group: grpA}, `{"text":"hi","group":` + id(grpA) + `}`},
		{Announcement{Text: "hi", Station: stA}, `{"text":"hi","station":` + id(stA) + `}`},
		{Audience{Kind: AudMembers, Members: []StudentID{anaID}}, `{"kind":"members","members":[` + id(anaID) + `]}`},
		{RosterEntry{ID: anaID, Name: "Ana", Joined: 1, Group: grpA, Level: ptr(0.0), Interest: "rock", Choice: "Rock"},
			`{"id":` + id(anaID) + `,"name":"Ana","online":false,"hand":false,"joined":1,"group":` + id(grpA) + `,"level":0,"interest":"rock","choice":"Rock"}`},
		{Command{Room: roomA, Type: MsgEditWorkspace, Actor: Actor{Role: RoleCoach, Coach: coachA}, Name: "Mr Diaz"},
			`{"room":` + id(roomA) + `,"type":"edit_workspace","actor":{"role":"coach","coach":` + id(coachA) + `},"name":"Mr Diaz"}`},
		{SnapshotResult{Epoch: "e", View: json.RawMessage(`{}`), Groups: []GroupID{grpA}}, `{"epoch":"e","offset":0,"first_seq":0,"view":{},"groups":[` + id(grpA) + `]}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%T:\n got %s (%v)\nwant %s", c.v, b, err, c.want)
		}
	}
}

// TestOrchestrationAudiences: the constructors build the audience the
// room gives its events, and a station's audience is its students only.
func TestOrchestrationAudiences(t *testing.T) {
	members := []StudentID{anaID, caraID}
	coaches := []CoachID{coachA}
	for _, c := range []struct {
		got, want Audience
	}{
		{ToGroup(grpA, members, coaches), Audience{Kind: AudGroup, Group: grpA, Members: members, Coaches: coaches}},
		{ToGroup(grpA, nil, nil), Audience{Kind: AudGroup, Group: grpA}},
		{ToMembers(members), Audience{Kind: AudMembers, Members: members}},
		{ToMembers(nil), Audience{Kind: AudMembers}},
		{ToStaff(grpA, coaches), Audience{Kind: AudStaff, Group: grpA, Coaches: coaches}},
		{ToStaff(grpA, nil), Audience{Kind: AudStaff, Group: grpA}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("got %+v, want %+v", c.got, c.want)
		}
	}

	coachOfA := Viewer{Role: RoleCoach, Coach: coachA, Groups: []GroupID{grpA}}
	for _, c := range []struct {
		name string
		a    Audience
		v    Viewer
		want bool
	}{
		{"a student at the station", ToMembers(members), Viewer{Role: RoleStudent, Student: caraID}, true},
		{"a student elsewhere", ToMembers(members), Viewer{Role: RoleStudent, Student: benID}, false},
		{"nobody at the station, a student", ToMembers(nil), Viewer{Role: RoleStudent, Student: anaID}, false},
		{"nobody at the station, the teacher", ToMembers(nil), Viewer{Role: RoleTeacher}, true},
		{"the station's students, a coach", ToMembers(members), coachOfA, false},
		{"the station's students, a coach naming a listed student", ToMembers(members), Viewer{Role: RoleCoach, Coach: coachA, Student: anaID, Groups: []GroupID{grpA}}, false},
		{"the station's students, the projector", ToMembers(members), Viewer{Role: RoleProjector}, false},
		{"members with a group named, its coach", Audience{Kind: AudMembers, Group: grpA, Members: members, Coaches: coaches}, coachOfA, false},
		{"members with a blank member, a student without ID", Audience{Kind: AudMembers, Members: []StudentID{""}}, Viewer{Role: RoleStudent}, false},
		{"a group, its coach", ToGroup(grpA, members, coaches), coachOfA, true},
		{"a group without members, its coach", ToGroup(grpA, nil, coaches), coachOfA, true},
		{"a group, a member", ToGroup(grpA, members, coaches), Viewer{Role: RoleStudent, Student: anaID}, true},
		{"a group, a student who left it", ToGroup(grpA, []StudentID{caraID}, coaches), Viewer{Role: RoleStudent, Student: anaID}, false},
		{"staff of a group, its coach", ToStaff(grpA, coaches), coachOfA, true},
		{"staff of a group, another group's coach", ToStaff(grpB, []CoachID{coachB}), coachOfA, false},
		{"staff of a group, a member", ToStaff(grpA, coaches), Viewer{Role: RoleStudent, Student: anaID, Groups: []GroupID{grpA}}, false},
		{"staff of a group, the projector", ToStaff(grpA, coaches), Viewer{Role: RoleProjector}, false},
	} {
		if got := c.a.Allows(c.v); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
