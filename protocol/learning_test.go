package protocol

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A fixed flag ID, the one of Noah's flag in PROTOCOL.md's examples.
const flagA FlagID = "9d87b2c4-546c-4cea-969b-b9c14fc49cd4"

// contentName is the rule of bank, skill, item and set names, written out
// again independently of validName.
var contentName = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// itemNames is n distinct item names, quoted and comma-separated, and the
// IDs, for lists at and over their limits.
func itemNames(n int) (string, []ItemID) {
	quoted := make([]string, n)
	ids := make([]ItemID, n)
	for i := range n {
		ids[i] = ItemID("frac.word." + strconv.Itoa(i))
		quoted[i] = strconv.Quote(string(ids[i]))
	}
	return strings.Join(quoted, ","), ids
}

// thresholdsOf is a JSON object of exactly n bytes (n >= 8).
func thresholdsOf(n int) string {
	return `{"x":"` + strings.Repeat("y", n-8) + `"}`
}

// learningPayloadCases are the payload cases of the messages of learning.
// Each validation branch has at least one invalid case.
func learningPayloadCases() []payloadCase {
	rep := strings.Repeat
	q := func(s any) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	ana, ga, sa, fl := q(anaID), q(grpA), q(stA), q(flagA)
	okc := func(typ MsgType, data string, want any) payloadCase { return payloadCase{typ, data, want, ""} }
	bad := func(typ MsgType, data string) payloadCase { return payloadCase{typ, data, nil, CodeInvalid} }
	set := `{"bank":"fractions-5","set":"frac-equivalence"}`
	ref := SetRef{Bank: "fractions-5", Set: "frac-equivalence"}
	name64 := rep("a", 64)
	items20s, items20v := itemNames(20)
	items21s, _ := itemNames(21)
	big := thresholdsOf(4096)

	return []payloadCase{
		// assign_practice
		okc(MsgAssignPractice, `{"set":`+set+`}`, &AssignPractice{Set: ref}),
		okc(MsgAssignPractice, `{"set":`+set+`,"to":{}}`, &AssignPractice{Set: ref}),
		okc(MsgAssignPractice, `{"set":`+set+`,"to":{"student":`+ana+`}}`, &AssignPractice{Set: ref, To: Target{Student: anaID}}),
		okc(MsgAssignPractice, `{"set":`+set+`,"to":{"group":`+ga+`,"student":"","station":""}}`, &AssignPractice{Set: ref, To: Target{Group: grpA}}),
		okc(MsgAssignPractice, `{"set":`+set+`,"to":{"station":`+sa+`}}`, &AssignPractice{Set: ref, To: Target{Station: stA}}),
		okc(MsgAssignPractice, `{"set":{"bank":"`+name64+`","set":"a_b.c-9"}}`, &AssignPractice{Set: SetRef{Bank: BankID(name64), Set: "a_b.c-9"}}),
		okc(MsgAssignPractice, `{"set":{"bank":"0","set":"."}}`, &AssignPractice{Set: SetRef{Bank: "0", Set: "."}}),
		bad(MsgAssignPractice, `{}`),
		bad(MsgAssignPractice, ``),
		bad(MsgAssignPractice, `{"set":{"set":"frac-equivalence"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"fractions-5"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"fractions-5","set":""}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"Fractions-5","set":"frac-equivalence"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"fractions 5","set":"frac-equivalence"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"fractions-5","set":"frac/equivalence"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"fractions-5","set":"fractions-é"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"`+name64+`a","set":"s"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"b","set":"`+name64+`a"}}`),
		bad(MsgAssignPractice, `{"set":{"bank":"b","set":"s","title":"T"}}`),
		bad(MsgAssignPractice, `{"set":"frac-equivalence"}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":{"student":"bob"}}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":{"group":"g1"}}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":{"station":"s1"}}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":{"student":`+ana+`,"group":`+ga+`}}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":{"group":`+ga+`,"station":`+sa+`}}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"to":`+ana+`}`),
		bad(MsgAssignPractice, `{"set":`+set+`,"due":1795460000000}`),

		// close_practice
		okc(MsgClosePractice, ``, &ClosePractice{}),
		okc(MsgClosePractice, `{}`, &ClosePractice{}),
		okc(MsgClosePractice, `{"to":{}}`, &ClosePractice{}),
		okc(MsgClosePractice, `{"to":{"group":`+ga+`}}`, &ClosePractice{To: Target{Group: grpA}}),
		okc(MsgClosePractice, `{"to":{"student":`+ana+`}}`, &ClosePractice{To: Target{Student: anaID}}),
		bad(MsgClosePractice, `{"to":{"student":"bob"}}`),
		bad(MsgClosePractice, `{"to":{"group":"g1"}}`),
		bad(MsgClosePractice, `{"to":{"station":"s1"}}`),
		bad(MsgClosePractice, `{"to":{"group":`+ga+`,"station":`+sa+`}}`),
		bad(MsgClosePractice, `{"set":`+set+`}`),
		bad(MsgClosePractice, `[]`),

		// next_item
		okc(MsgNextItem, ``, &NextItem{}),
		okc(MsgNextItem, `{}`, &NextItem{}),
		okc(MsgNextItem, `null`, &NextItem{}),
		bad(MsgNextItem, `{"item":"frac.eq.1"}`),
		bad(MsgNextItem, `[]`),
		bad(MsgNextItem, `"next"`),

		// answer
		okc(MsgAnswer, `{"item":"frac.unlike.1","response":"5/6"}`, &Answer{Item: "frac.unlike.1", Response: "5/6"}),
		okc(MsgAnswer, `{"item":"frac.cmp.4","response":"<"}`, &Answer{Item: "frac.cmp.4", Response: "<"}),
		okc(MsgAnswer, `{"item":"frac.eq.1","response":" 15 "}`, &Answer{Item: "frac.eq.1", Response: " 15 "}),
		okc(MsgAnswer, `{"item":"frac.eq.1","response":""}`, &Answer{Item: "frac.eq.1"}),
		okc(MsgAnswer, `{"item":"frac.eq.1"}`, &Answer{Item: "frac.eq.1"}),
		okc(MsgAnswer, `{"item":"frac.eq.1","response":"`+rep("½", MaxResponseRunes)+`"}`, &Answer{Item: "frac.eq.1", Response: rep("½", MaxResponseRunes)}),
		okc(MsgAnswer, `{"item":"`+name64+`","response":"2 1/2"}`, &Answer{Item: ItemID(name64), Response: "2 1/2"}),
		bad(MsgAnswer, `{}`),
		bad(MsgAnswer, `{"response":"5/6"}`),
		bad(MsgAnswer, `{"item":"","response":"5/6"}`),
		bad(MsgAnswer, `{"item":"Frac.eq.1","response":"15"}`),
		bad(MsgAnswer, `{"item":"frac eq 1","response":"15"}`),
		bad(MsgAnswer, `{"item":"`+name64+`a","response":"15"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":"`+rep("1", MaxResponseRunes+1)+`"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":"1\n5"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":"1\t5"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":"15\u0000"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":15}`),
		bad(MsgAnswer, `{"item":7,"response":"15"}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":"15","ms":40000}`),
		bad(MsgAnswer, `{"item":"frac.eq.1","response":["15"]}`),

		// hint
		okc(MsgHint, `{"item":"frac.eq.4"}`, &Hint{Item: "frac.eq.4"}),
		okc(MsgHint, `{"item":"`+name64+`"}`, &Hint{Item: ItemID(name64)}),
		bad(MsgHint, `{}`),
		bad(MsgHint, ``),
		bad(MsgHint, `{"item":""}`),
		bad(MsgHint, `{"item":"FRAC.EQ.4"}`),
		bad(MsgHint, `{"item":"frac.eq.4 "}`),
		bad(MsgHint, `{"item":"frac.eq.4","index":2}`),
		bad(MsgHint, `{"item":4}`),

		// pick_items
		okc(MsgPickItems, `{"items":["frac.word.music","frac.word.space"]}`, &PickItems{Items: []ItemID{"frac.word.music", "frac.word.space"}}),
		okc(MsgPickItems, `{"items":["frac.word.music"]}`, &PickItems{Items: []ItemID{"frac.word.music"}}),
		okc(MsgPickItems, `{"items":[`+items20s+`]}`, &PickItems{Items: items20v}),
		// A repeat is the room's to refuse: it knows the options.
		okc(MsgPickItems, `{"items":["frac.word.music","frac.word.music"]}`, &PickItems{Items: []ItemID{"frac.word.music", "frac.word.music"}}),
		bad(MsgPickItems, `{}`),
		bad(MsgPickItems, `{"items":[]}`),
		bad(MsgPickItems, `{"items":null}`),
		bad(MsgPickItems, `{"items":[`+items21s+`]}`),
		bad(MsgPickItems, `{"items":["frac.word.music",""]}`),
		bad(MsgPickItems, `{"items":["Sports: free throws"]}`),
		bad(MsgPickItems, `{"items":"frac.word.music"}`),
		bad(MsgPickItems, `{"items":[1,2]}`),
		bad(MsgPickItems, `{"items":["frac.word.music"],"set":"frac-stories"}`),

		// accept_offer
		okc(MsgAcceptOffer, ``, &AcceptOffer{}),
		okc(MsgAcceptOffer, `{}`, &AcceptOffer{}),
		okc(MsgAcceptOffer, `null`, &AcceptOffer{}),
		bad(MsgAcceptOffer, `{"set":"frac-challenge"}`),
		bad(MsgAcceptOffer, `"yes"`),

		// small_group_action
		okc(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"accept"}`, &SmallGroupAction{SmallGroup: SmallGroupID(flagA), Action: SmallGroupAccept}),
		okc(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"dismiss"}`, &SmallGroupAction{SmallGroup: SmallGroupID(flagA), Action: SmallGroupDismiss}),
		okc(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"accept","students":["`+string(anaID)+`"]}`, &SmallGroupAction{SmallGroup: SmallGroupID(flagA), Action: SmallGroupAccept, Students: []StudentID{anaID}}),
		bad(MsgSmallGroupAction, `{}`),
		bad(MsgSmallGroupAction, `{"small_group":"g1","action":"accept"}`),
		bad(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"maybe"}`),
		bad(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"accept","students":[]}`),
		bad(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"dismiss","students":["`+string(anaID)+`"]}`),
		bad(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"accept","students":["`+string(anaID)+`","`+string(anaID)+`"]}`),
		bad(MsgSmallGroupAction, `{"small_group":`+fl+`,"action":"accept","students":["ana"]}`),

		// flag_action
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"ack"}`, &FlagAction{Flag: flagA, Action: FlagAck}),
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"resolve","minutes":0}`, &FlagAction{Flag: flagA, Action: FlagResolve}),
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"send_help"}`, &FlagAction{Flag: flagA, Action: FlagSendHelp}),
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"pull"}`, &FlagAction{Flag: flagA, Action: FlagPull}),
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":1}`, &FlagAction{Flag: flagA, Action: FlagSnooze, Minutes: 1}),
		okc(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":60}`, &FlagAction{Flag: flagA, Action: FlagSnooze, Minutes: MaxSnoozeMinutes}),
		bad(MsgFlagAction, `{}`),
		bad(MsgFlagAction, `{"action":"ack"}`),
		bad(MsgFlagAction, `{"flag":"f1","action":"ack"}`),
		bad(MsgFlagAction, `{"flag":"`+strings.ToUpper(string(flagA))+`","action":"ack"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"dismiss"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"Ack"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"clear"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"ack","minutes":5}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"resolve","minutes":1}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"send_help","minutes":10}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"pull","minutes":-1}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":0}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":61}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":-5}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":1.5}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"snooze","minutes":"5"}`),
		bad(MsgFlagAction, `{"flag":`+fl+`,"action":"ack","note":"on it"}`),

		// set_thresholds
		okc(MsgSetThresholds, `{"thresholds":{}}`, &SetThresholds{Thresholds: json.RawMessage(`{}`)}),
		okc(MsgSetThresholds, `{"thresholds":{"idle_watch_ms":180000,"idle_act_now_ms":420000}}`,
			&SetThresholds{Thresholds: json.RawMessage(`{"idle_watch_ms":180000,"idle_act_now_ms":420000}`)}),
		okc(MsgSetThresholds, `{"thresholds": { "well_window": 8 } }`, &SetThresholds{Thresholds: json.RawMessage(`{ "well_window": 8 }`)}),
		// Unknown fields and values out of range are the room's to refuse:
		// it knows the detectors.
		okc(MsgSetThresholds, `{"thresholds":{"idle":1}}`, &SetThresholds{Thresholds: json.RawMessage(`{"idle":1}`)}),
		okc(MsgSetThresholds, `{"thresholds":`+big+`}`, &SetThresholds{Thresholds: json.RawMessage(big)}),
		bad(MsgSetThresholds, `{}`),
		bad(MsgSetThresholds, ``),
		bad(MsgSetThresholds, `{"thresholds":null}`),
		bad(MsgSetThresholds, `{"thresholds":[]}`),
		bad(MsgSetThresholds, `{"thresholds":"strict"}`),
		bad(MsgSetThresholds, `{"thresholds":5}`),
		bad(MsgSetThresholds, `{"thresholds":`+thresholdsOf(4097)+`}`),
		bad(MsgSetThresholds, `{"thresholds":{"idle_watch_ms":}}`),
		bad(MsgSetThresholds, `{"thresholds":{},"class":true}`),
	}
}

// The messages of the learning validators: each names the field and says
// what is wrong, in words a console can show.
func TestLearningMessages(t *testing.T) {
	sid, g, s, f := string(anaID), string(grpA), string(stA), string(flagA)
	for _, c := range []struct {
		typ        MsgType
		data, want string
	}{
		{MsgAssignPractice, `{}`, "assign_practice.set needs a bank and a set name"},
		{MsgAssignPractice, `{"set":{"bank":"B","set":"s"}}`, "assign_practice.set needs a bank and a set name"},
		{MsgAssignPractice, `{"set":{"bank":"b","set":"s"},"to":{"student":"x"}}`, "assign_practice.to.student is not a student ID"},
		{MsgAssignPractice, `{"set":{"bank":"b","set":"s"},"to":{"student":"` + sid + `","group":"` + g + `"}}`, "assign_practice.to: name at most one of student, group and station"},
		{MsgClosePractice, `{"to":{"station":"x"}}`, "close_practice.to.station is not a station ID"},
		{MsgClosePractice, `{"to":{"group":"` + g + `","station":"` + s + `"}}`, "close_practice.to: name at most one of"},
		{MsgAnswer, `{"response":"1"}`, "answer.item is not an item name"},
		{MsgAnswer, `{"item":"i","response":"` + strings.Repeat("1", 201) + `"}`, "answer.response must have at most 200 characters"},
		{MsgAnswer, `{"item":"i","response":"a\nb"}`, "answer.response contains a control character"},
		{MsgAnswer, `{"item":"i","response":"1","ms":5}`, `unknown field "ms"`},
		{MsgHint, `{}`, "hint.item is not an item name"},
		{MsgPickItems, `{"items":[]}`, "pick_items.items: pick 1 to 20 items"},
		{MsgPickItems, `{"items":["Music"]}`, `pick_items.items: "Music" is not an item name`},
		{MsgFlagAction, `{"action":"ack"}`, "flag_action.flag is not a flag ID"},
		{MsgFlagAction, `{"flag":"` + f + `","action":"ack","minutes":5}`, "flag_action.minutes is for snooze only"},
		{MsgFlagAction, `{"flag":"` + f + `","action":"snooze","minutes":0}`, "flag_action.minutes must be 1 to 60"},
		{MsgFlagAction, `{"flag":"` + f + `","action":"dismiss"}`, "flag_action.action must be ack, resolve, snooze, send_help or pull"},
		{MsgSetThresholds, `{"thresholds":[]}`, "set_thresholds.thresholds must be an object"},
		{MsgSetThresholds, `{}`, "set_thresholds.thresholds must be an object"},
	} {
		_, err := DecodePayload(c.typ, json.RawMessage(c.data))
		if err == nil || err.Code != CodeInvalid || !strings.Contains(err.Message, c.want) {
			t.Errorf("%s %s: got %v, want invalid with a message containing %q", c.typ, c.data, err, c.want)
		}
	}
}

// Content names are what banks write: lower-case ASCII letters, digits,
// '.', '-' and '_', 1 to 64 bytes. Flags are named by UUIDs.
func TestContentNameValid(t *testing.T) {
	cases := map[string]bool{
		"fractions-5": true, "frac.unlike.1": true, "angles_vertical": true, "0": true, ".": true,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"": false, "Fractions": false, "frac eq": false, "frac/eq": false, "frac:eq": false, "é": false,
		"frac.eq.1\n": false, " frac": false, "frac\u00a0eq": false, "ｆrac": false, "frac*": false, "frac>": false,
		string(flagA): true, // hex and hyphens: a UUID is a content name too
	}
	for s, want := range cases {
		if got := contentName.MatchString(s); got != want {
			t.Fatalf("the test's rule says %q is %v, the table %v", s, got, want)
		}
		for name, got := range map[string]bool{
			"SkillID": SkillID(s).Valid(), "ItemID": ItemID(s).Valid(), "BankID": BankID(s).Valid(),
		} {
			if got != want {
				t.Errorf("%s(%q).Valid() = %v, want %v", name, s, got, want)
			}
		}
	}
	for s, want := range map[string]bool{
		string(flagA): true, "": false, "f1": false, strings.ToUpper(string(flagA)): false,
		"{" + string(flagA) + "}": false, strings.ReplaceAll(string(flagA), "-", ""): false,
	} {
		if got := FlagID(s).Valid(); got != want {
			t.Errorf("FlagID(%q).Valid() = %v, want %v", s, got, want)
		}
	}
}

// The actions of flag_action are exactly the source's constants.
func TestLearningEnumerations(t *testing.T) {
	values := declaredValues(t, "FlagActionKind")
	valid := func(s string) bool {
		data := `{"flag":"` + string(flagA) + `","action":` + strconv.Quote(s) + `}`
		if s == string(FlagSnooze) {
			data = `{"flag":"` + string(flagA) + `","action":"snooze","minutes":10}`
		}
		_, err := DecodePayload(MsgFlagAction, json.RawMessage(data))
		return err == nil
	}
	for _, v := range values {
		if !valid(v) {
			t.Errorf("flag action %q: refused", v)
		}
		for _, other := range []string{strings.ToUpper(v), " " + v, v + "s", ""} {
			if valid(other) && !slices.Contains(values, other) {
				t.Errorf("flag action %q: accepted, but not a constant", other)
			}
		}
	}
	for _, typ := range []string{"ItemKind", "FlagRule", "FlagLevel", "FlagStatus"} {
		for _, v := range declaredValues(t, typ) {
			if !regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`).MatchString(v) {
				t.Errorf("%s %q is not snake_case", typ, v)
			}
		}
	}
}

// learningPromises: what an accepted payload of learning holds, written
// out from PROTOCOL.md rather than from the validators.
func learningPromises(typ MsgType, v any, okID func(string) bool) bool {
	isName := func(s string) bool { return contentName.MatchString(s) }
	target := func(t Target) bool {
		n := 0
		for _, id := range []string{string(t.Student), string(t.Group), string(t.Station)} {
			if id != "" {
				n++
			}
			if !okID(id) {
				return false
			}
		}
		return n <= 1
	}
	switch p := v.(type) {
	case *AssignPractice:
		return typ == MsgAssignPractice && isName(string(p.Set.Bank)) && isName(p.Set.Set) && target(p.To)
	case *ClosePractice:
		return typ == MsgClosePractice && target(p.To)
	case *NextItem:
		return typ == MsgNextItem
	case *AcceptOffer:
		return typ == MsgAcceptOffer
	case *Answer:
		return typ == MsgAnswer && isName(string(p.Item)) && okText(p.Response, 0, MaxResponseRunes, false)
	case *Hint:
		return typ == MsgHint && isName(string(p.Item))
	case *PickItems:
		if typ != MsgPickItems || len(p.Items) < 1 || len(p.Items) > 20 {
			return false
		}
		for _, id := range p.Items {
			if !isName(string(id)) {
				return false
			}
		}
		return true
	case *SmallGroupAction:
		if typ != MsgSmallGroupAction || p.SmallGroup == "" || !okID(string(p.SmallGroup)) {
			return false
		}
		if p.Action != SmallGroupAccept && (p.Action != SmallGroupDismiss || p.Students != nil) {
			return false
		}
		if p.Students != nil && (len(p.Students) < 1 || len(p.Students) > MaxSmallGroup) {
			return false
		}
		seen := map[StudentID]bool{}
		for _, id := range p.Students {
			if id == "" || !okID(string(id)) || seen[id] {
				return false
			}
			seen[id] = true
		}
		return true
	case *FlagAction:
		if typ != MsgFlagAction || p.Flag == "" || !okID(string(p.Flag)) {
			return false
		}
		switch p.Action {
		case FlagSnooze:
			return p.Minutes >= 1 && p.Minutes <= 60
		case FlagAck, FlagResolve, FlagSendHelp, FlagPull:
			return p.Minutes == 0
		}
		return false
	case *SetThresholds:
		var obj map[string]json.RawMessage
		return typ == MsgSetThresholds && len(p.Thresholds) <= 4096 && json.Unmarshal(p.Thresholds, &obj) == nil && obj != nil
	}
	return false
}

// The wire names of learning: what the server sends in results, events
// and snapshots, field by field. Optional fields are left out when empty.
func TestLearningWireFieldNames(t *testing.T) {
	id := func(s any) string { return `"` + reflect.ValueOf(s).String() + `"` }
	ref := SetRef{Bank: "fractions-5", Set: "frac-equivalence"}
	refJSON := `{"bank":"fractions-5","set":"frac-equivalence"}`
	item := ItemView{ID: "frac.eq.1", Skill: "fractions.equivalent", Kind: ItemNumeric, Prompt: "3/4 = ?/20", Hints: 3}
	itemJSON := `{"id":"frac.eq.1","skill":"fractions.equivalent","kind":"numeric","prompt":"3/4 = ?/20","hints":3}`
	for _, c := range []struct {
		v    any
		want string
	}{
		{item, itemJSON},
		{ItemView{ID: "i", Skill: "s", Kind: ItemChoice, Prompt: "P", Choices: []string{"a", "b"}, Unit: "cm", Hints: 1, Reason: "a similar problem"},
			`{"id":"i","skill":"s","kind":"choice","prompt":"P","choices":["a","b"],"unit":"cm","hints":1,"reason":"a similar problem"}`},
		{ItemView{ID: "i", Skill: "s", Kind: ItemText, Choices: []string{}}, `{"id":"i","skill":"s","kind":"text","prompt":"","hints":0}`},
		{SkillMastery{Skill: "s", P: 0.25}, `{"skill":"s","p":0.25,"mastered":false}`},
		{SkillMastery{Skill: "s", Name: "Adding", P: 1, Mastered: true}, `{"skill":"s","name":"Adding","p":1,"mastered":true}`},
		{AttemptSummary{Item: "i", Skill: "s"}, `{"item":"i","skill":"s","response":"","correct":false,"ms":0,"at":0}`},
		{AttemptSummary{Item: "i", Skill: "s", Response: "3", Correct: true, Hints: 2, Ms: 5, At: 6},
			`{"item":"i","skill":"s","response":"3","correct":true,"hints":2,"ms":5,"at":6}`},
		{Evidence{Summary: "Idle.", Since: 4}, `{"summary":"Idle.","since":4}`},
		{Evidence{Summary: "S", Attempts: []AttemptSummary{}, LowSkills: []SkillMastery{}}, `{"summary":"S","since":0}`},
		{Evidence{Summary: "S", Attempts: []AttemptSummary{{Item: "i", Skill: "s"}}, LowSkills: []SkillMastery{{Skill: "s"}}, Since: 1},
			`{"summary":"S","attempts":[{"item":"i","skill":"s","response":"","correct":false,"ms":0,"at":0}],"low_skills":[{"skill":"s","p":0,"mastered":false}],"since":1}`},
		{Help{}, `{}`},
		{Help{Skill: "s", Title: "T", Items: []ItemID{"a"}, Advice: "A"}, `{"skill":"s","title":"T","items":["a"],"advice":"A"}`},
		{Flag{ID: flagA, Student: anaID, Name: "Ana", Rule: RuleIdle, Level: LevelWatch, Status: FlagOpen, Opened: 1, Updated: 1, Need: 0.35, Evidence: Evidence{Summary: "Idle.", Since: 1}},
			`{"id":` + id(flagA) + `,"student":` + id(anaID) + `,"name":"Ana","rule":"idle","level":"watch","status":"open","opened":1,"updated":1,"need":0.35,"evidence":{"summary":"Idle.","since":1}}`},
		{Flag{ID: flagA, Student: anaID, Name: "Ana", Rule: RulePrereqGap, Level: LevelActNow, Status: FlagSnoozed, Skill: "s", Opened: 1, Updated: 2, Acked: 2, Snooze: 3, Need: 1, Help: &Help{}},
			`{"id":` + id(flagA) + `,"student":` + id(anaID) + `,"name":"Ana","rule":"prereq_gap","level":"act_now","status":"snoozed","skill":"s","opened":1,"updated":2,"acked":2,"snooze":3,"need":1,"evidence":{"summary":"","since":0},"help":{}}`},
		{ref, refJSON},
		{PracticeStarted{Set: ref, Title: "T", Kind: "practice", Items: []ItemID{}},
			`{"set":` + refJSON + `,"title":"T","kind":"practice","to":{},"items":[]}`},
		{PracticeStarted{Set: ref, Title: "T", Kind: "choice_board", To: Target{Student: anaID}, Students: []StudentID{anaID}, Items: []ItemID{"a"}, Pick: 1, Options: []BoardOption{{Item: "a", Label: "A"}}},
			`{"set":` + refJSON + `,"title":"T","kind":"choice_board","to":{"student":` + id(anaID) + `},"students":[` + id(anaID) + `],"items":["a"],"pick":1,"options":[{"item":"a","label":"A"}]}`},
		{BoardOption{Item: "a"}, `{"item":"a","label":""}`},
		{ItemGiven{Student: anaID, Item: item}, `{"student":` + id(anaID) + `,"item":` + itemJSON + `}`},
		{Attempted{Student: anaID, Item: "i", Skill: "s"},
			`{"student":` + id(anaID) + `,"item":"i","skill":"s","response":"","correct":false,"first":false,"hints":0,"ms":0,"read_ms":0,"p":0,"mastered":false,"at":0}`},
		{Attempted{Student: anaID, Item: "i", Skill: "s", Response: "3", First: true, Hints: 1, Ms: 2, ReadMs: 3, P: 0.5, Explanation: "E", At: 4},
			`{"student":` + id(anaID) + `,"item":"i","skill":"s","response":"3","correct":false,"first":true,"hints":1,"ms":2,"read_ms":3,"p":0.5,"mastered":false,"explanation":"E","at":4}`},
		{HintShown{Student: anaID, Item: "i", Skill: "s", Text: "T", Last: true, Ms: 1, ReadMs: 2, P: 0.2, First: true},
			`{"student":` + id(anaID) + `,"item":"i","skill":"s","index":0,"text":"T","last":true,"ms":1,"read_ms":2,"p":0.2,"first":true}`},
		{Offer{Student: anaID, Set: ref, Title: "T"}, `{"student":` + id(anaID) + `,"set":` + refJSON + `,"title":"T"}`},
		{FlagChanged{Change: "ack", Flag: Flag{ID: flagA, Student: anaID}},
			`{"change":"ack","flag":{"id":` + id(flagA) + `,"student":` + id(anaID) + `,"name":"","rule":"","level":"","status":"","opened":0,"updated":0,"need":0,"evidence":{"summary":"","since":0}}}`},
		{HelpSent{Student: anaID, Help: Help{Skill: "s", Items: []ItemID{"a"}}}, `{"student":` + id(anaID) + `,"help":{"skill":"s","items":["a"]}}`},
		{HelpSent{Student: anaID, Help: Help{}, Text: "L", Flag: flagA}, `{"student":` + id(anaID) + `,"help":{},"text":"L","flag":` + id(flagA) + `}`},
		{ThresholdsSet{Thresholds: json.RawMessage(`{"idle_watch_ms":180000}`)}, `{"thresholds":{"idle_watch_ms":180000}}`},
		{PracticeClosed{To: Target{Group: grpA}, Students: []StudentID{anaID}}, `{"to":{"group":` + id(grpA) + `},"students":[` + id(anaID) + `]}`},
		{LearnerSummary{Student: anaID, Set: ref, Title: "T", Kind: "practice", Mastery: []SkillMastery{}},
			`{"student":` + id(anaID) + `,"set":` + refJSON + `,"title":"T","kind":"practice","answers":0,"correct":0,"mastery":[]}`},
		{LearnerSummary{Student: anaID, Set: ref, Item: &item, Answers: 2, Correct: 1, Mastery: []SkillMastery{}, Offered: true},
			`{"student":` + id(anaID) + `,"set":` + refJSON + `,"title":"","kind":"","item":` + itemJSON + `,"answers":2,"correct":1,"mastery":[],"offered":true}`},
		{StudentPractice{Set: ref, Title: "T", Kind: "practice", Mastery: []SkillMastery{}},
			`{"set":` + refJSON + `,"title":"T","kind":"practice","mastery":[]}`},
		{StudentPractice{Set: ref, Kind: "choice_board", Item: &item, Hints: []string{"h"}, Options: []BoardOption{{Item: "a", Label: "A"}}, Pick: 1,
			Offer: &Offer{Student: anaID, Set: ref, Title: "O"}, Mastery: []SkillMastery{}, Closed: true},
			`{"set":` + refJSON + `,"title":"","kind":"choice_board","item":` + itemJSON + `,"hints":["h"],"options":[{"item":"a","label":"A"}],"pick":1,"offer":{"student":` + id(anaID) + `,"set":` + refJSON + `,"title":"O"},"mastery":[],"closed":true}`},
		{StudentJoined{Student: anaID, Name: "Ana"}, `{"student":` + id(anaID) + `,"name":"Ana"}`},
		{StudentJoined{Student: anaID, Name: "Ana", Roster: "r1"}, `{"student":` + id(anaID) + `,"name":"Ana","roster":"r1"}`},
		{AssignPractice{Set: ref}, `{"set":` + refJSON + `,"to":{}}`},
		{ClosePractice{}, `{"to":{}}`},
		{Answer{Item: "i"}, `{"item":"i","response":""}`},
		{Hint{Item: "i"}, `{"item":"i"}`},
		{PickItems{Items: []ItemID{"a", "b"}}, `{"items":["a","b"]}`},
		{FlagAction{Flag: flagA, Action: FlagAck}, `{"flag":` + id(flagA) + `,"action":"ack"}`},
		{FlagAction{Flag: flagA, Action: FlagSnooze, Minutes: 10}, `{"flag":` + id(flagA) + `,"action":"snooze","minutes":10}`},
		{SetThresholds{Thresholds: json.RawMessage(`{}`)}, `{"thresholds":{}}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%T:\n got %s (%v)\nwant %s", c.v, b, err, c.want)
		}
	}
}

// Flags are for the staff: the teachers and the coaches of the student's
// group, never a student (not even the one flagged) and never the
// projector. The events of one student's practice are for that student
// and the teachers.
func TestLearningAudiences(t *testing.T) {
	coachOfA := Viewer{Role: RoleCoach, Coach: coachA, Groups: []GroupID{grpA}}
	coachOfB := Viewer{Role: RoleCoach, Coach: coachB, Groups: []GroupID{grpB}}
	flagOfA := ToStaff(grpA, []CoachID{coachA})
	ana := Viewer{Role: RoleStudent, Student: anaID, Groups: []GroupID{grpA}}
	cara := Viewer{Role: RoleStudent, Student: caraID}
	for _, c := range []struct {
		name string
		a    Audience
		v    Viewer
		want bool
	}{
		{"flag of a grouped student, a teacher", flagOfA, Viewer{Role: RoleTeacher}, true},
		{"flag of a grouped student, the group's coach", flagOfA, coachOfA, true},
		{"flag of a grouped student, another coach", flagOfA, coachOfB, false},
		{"flag of a grouped student, the student", flagOfA, ana, false},
		{"flag of a grouped student, a group member", flagOfA, cara, false},
		{"flag of a grouped student, the projector", flagOfA, Viewer{Role: RoleProjector}, false},
		{"flag of a student in no group, a teacher", ToTeachers, Viewer{Role: RoleTeacher}, true},
		{"flag of a student in no group, a coach", ToTeachers, coachOfA, false},
		{"flag of a student in no group, the student", ToTeachers, ana, false},
		{"an item, the student", ToStudent(anaID), ana, true},
		{"an item, another student", ToStudent(anaID), cara, false},
		{"an item, the student's coach", ToStudent(anaID), coachOfA, false},
		{"an item, the projector", ToStudent(anaID), Viewer{Role: RoleProjector}, false},
	} {
		if got := c.a.Allows(c.v); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	for _, e := range []EventType{EvFlag, EvThresholds, EvItem, EvAttempt, EvHintShown, EvOffer, EvHelpSent} {
		k := eventTypes[e]
		for _, v := range []Viewer{{Role: RoleProjector}, {Role: RoleStudent, Student: benID}} {
			if (Audience{Kind: k, Student: anaID, Group: grpA}).Allows(v) {
				t.Errorf("event %s (%s) reaches %+v", e, k, v)
			}
		}
	}
}

// flagChanges are the changes a flag event reports: those of the
// detectors' policy (open, update, escalate, clear), then the teachers'
// actions, which the event names as the action.
func flagChanges(t *testing.T) []string {
	return append([]string{"open", "update", "escalate", "clear"}, declaredValues(t, "FlagActionKind")...)
}

// changeStatus is the status a flag has after a change; "" when it
// depends (an update wakes a snoozed flag, and leaves others as they were).
var changeStatus = map[string]FlagStatus{
	"open": FlagOpen, "update": "", "escalate": FlagOpen, "clear": FlagCleared,
	"ack": FlagAcked, "resolve": FlagResolved, "snooze": FlagSnoozed, "send_help": FlagAcked, "pull": FlagAcked,
}

// PROTOCOL.md's table of flag changes is the list above, each with its
// status after.
func TestDocFlagChanges(t *testing.T) {
	rows := docTable(t, readDoc(t), "#### Flag changes")
	if got := strings.Join(rows[0], "|"); got != "change|when|status after" {
		t.Fatalf("header %q", got)
	}
	var documented []string
	for _, r := range rows[1:] {
		c := code(r[0])
		documented = append(documented, c)
		want, ok := changeStatus[c]
		switch {
		case !ok:
			t.Errorf("flag change %q has no status in the test's table", c)
		case r[1] == "" || r[2] == "":
			t.Errorf("flag change %s: when or status missing", c)
		case want != "" && !strings.HasPrefix(r[2], "`"+string(want)+"`"):
			t.Errorf("flag change %s: PROTOCOL.md says the status after is %q, want `%s`", c, r[2], want)
		}
	}
	want := flagChanges(t)
	slices.Sort(want)
	slices.Sort(documented)
	if !slices.Equal(want, documented) {
		t.Errorf("PROTOCOL.md documents the flag changes %q, the code has %q", documented, want)
	}
}

// PROTOCOL.md's table of flag rules names every rule once, with a level
// that exists.
func TestDocFlagRules(t *testing.T) {
	rows := docTable(t, readDoc(t), "#### Flag rules")
	if got := strings.Join(rows[0], "|"); got != "rule|level|raised when|clears when" {
		t.Fatalf("header %q", got)
	}
	levels := declaredValues(t, "FlagLevel")
	var documented []string
	for _, r := range rows[1:] {
		documented = append(documented, code(r[0]))
		for _, l := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(r[1], -1) {
			if !slices.Contains(levels, l[1]) {
				t.Errorf("flag rule %s: level %q is not a level", r[0], l[1])
			}
		}
		if r[1] == "" || r[2] == "" || r[3] == "" {
			t.Errorf("flag rule %s: a cell is empty", r[0])
		}
	}
	slices.Sort(documented)
	if want := declaredValues(t, "FlagRule"); !slices.Equal(want, documented) {
		t.Errorf("PROTOCOL.md documents the flag rules %q, the code has %q", documented, want)
	}
}

// learningAudiences are the audiences the room gives the events of one
// student's practice, for Ana in group g1: PROTOCOL.md's table of who sees
// them is checked cell by cell against Allows.
var learningAudiences = map[EventType]Audience{
	EvItem:       ToStudent(anaID),
	EvAttempt:    ToStudent(anaID),
	EvHintShown:  ToStudent(anaID),
	EvOffer:      ToStudent(anaID),
	EvHelpSent:   ToStudent(anaID),
	EvFlag:       ToStaff(g1, []CoachID{coachA}),
	EvThresholds: ToTeachers,
}

func TestDocLearningPrivacy(t *testing.T) {
	for e, a := range learningAudiences {
		if a.Kind != eventTypes[e] {
			t.Errorf("event %s: the table's audience %s, eventTypes %s", e, a.Kind, eventTypes[e])
		}
	}
	rows := docTable(t, readDoc(t), "#### Who sees what of learning")
	header := []string{"event", "teacher", "the student", "another student", "a member of the student's group", "coach of the student's group", "coach of another group", "projector"}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %q, want %q", rows[0], header)
	}
	documented := map[EventType]bool{}
	for _, r := range rows[1:] {
		e := EventType(code(r[0]))
		a, ok := learningAudiences[e]
		if !ok {
			t.Errorf("PROTOCOL.md: %q is not an event of one student's learning", r[0])
			continue
		}
		documented[e] = true
		for i, vn := range viewerNames {
			want := "no"
			if a.Allows(viewers[vn]) {
				want = "yes"
			}
			if r[i+1] != want {
				t.Errorf("event %s, viewer %s: PROTOCOL.md says %q, Allows says %q", e, header[i+1], r[i+1], want)
			}
		}
	}
	for e := range learningAudiences {
		if !documented[e] {
			t.Errorf("PROTOCOL.md has no row for %s in its table of who sees what of learning", e)
		}
	}
}
