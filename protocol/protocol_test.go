package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fixed IDs, so that failures are reproducible and examples readable.
const (
	roomA    RoomID    = "4b955ea0-e456-4b43-a44e-e3de91013e9e"
	anaID    StudentID = "67e7036b-49c9-4c4d-b326-834a6a42fd97"
	benID    StudentID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	caraID   StudentID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	teacherA TeacherID = "56dc0416-b107-4617-be61-55d33c2d6c59"
)

// frameCase is one input of DecodeClientFrame. Shared with the fuzz seeds.
type frameCase struct {
	name string
	in   string
	want ClientFrame // on error only want.ID is compared
	code Code        // "" for success
}

func frameCases() []frameCase {
	long := strings.Repeat("i", MaxRequestID+1)
	max := strings.Repeat("i", MaxRequestID)
	frame := func(id, typ, data string) string {
		s := `{"v":1,"id":"` + id + `","type":"` + typ + `"`
		if data != "" {
			s += `,"data":` + data
		}
		return s + "}"
	}
	ok := func(name, id string, typ MsgType, data string) frameCase {
		return frameCase{name, frame(id, string(typ), data), ClientFrame{V: 1, ID: id, Type: typ, Data: json.RawMessage(data)}, ""}
	}
	bad := func(name, in, id string, code Code) frameCase {
		return frameCase{name, in, ClientFrame{ID: id}, code}
	}
	exact := frame("x", "ping", `{}`)
	exact += strings.Repeat(" ", MaxFrameBytes-len(exact))
	return []frameCase{
		// Every message type.
		ok("hello", "h1", MsgHello, `{"token":"t","room":"`+string(roomA)+`","resume":{"epoch":"e","offset":41}}`),
		ok("ping", "p1", MsgPing, `{}`),
		ok("announce", "a1", MsgAnnounce, `{"text":"Pens down"}`),
		ok("raise_hand", "r1", MsgRaiseHand, `{"note":"stuck on 3b"}`),
		ok("lower_hand", "l1", MsgLowerHand, `{"student":"`+string(anaID)+`"}`),
		ok("end_class", "e1", MsgEndClass, `{}`),
		ok("put_station", "o1", MsgPutStation, `{"station":{"name":"Laptops","kind":"online","capacity":8}}`),
		ok("remove_station", "o2", MsgRemoveStation, `{"station":"`+string(stA)+`"}`),
		ok("propose_groups", "o3", MsgProposeGroups, `{"method":"mixed","size":3,"apart":[["`+string(anaID)+`","`+string(benID)+`"]]}`),
		ok("apply_groups", "o4", MsgApplyGroups, `{"proposal":"`+string(propA)+`","groups":[{"name":"Otters","members":["`+string(anaID)+`"]}]}`),
		ok("move_student", "o5", MsgMoveStudent, `{"student":"`+string(anaID)+`","station":"`+string(stA)+`"}`),
		ok("assign_coach", "o6", MsgAssignCoach, `{"group":"`+string(grpA)+`","coach":"`+string(coachA)+`","assigned":true}`),
		ok("start_rotation", "o7", MsgStartRotation, `{"plan":{"stations":["`+string(stA)+`","`+string(stB)+`"],"legs":[900000,900000],"warn_ms":0,"auto":true}}`),
		ok("rotate", "o8", MsgRotate, `{"action":"extend","group":"`+string(grpA)+`","ms":120000}`),
		ok("pause_class", "o9", MsgPauseClass, `{}`),
		ok("resume_class", "o10", MsgResumeClass, ``),
		ok("push_activity", "o11", MsgPushActivity, `{"activity":{"title":"Exit ticket","url":"https://quiz.example.org/t/1"},"to":{"station":"`+string(stB)+`"}}`),
		ok("set_level", "o12", MsgSetLevel, `{"student":"`+string(anaID)+`","level":0.4}`),
		ok("offer_choices", "o13", MsgOfferChoices, `{"prompt":"Which passage?","options":["Rock music","Volcanoes"]}`),
		ok("choose", "o14", MsgChoose, `{"option":"rock music"}`),
		ok("set_interest", "o15", MsgSetInterest, `{"interest":"volcanoes"}`),
		ok("edit_workspace", "o16", MsgEditWorkspace, `{"group":"`+string(grpA)+`","op":{"kind":"edit_notes","notes_base":2,"edits":[{"pos":4,"del":1,"ins":"é🙂"}]}}`),
		ok("set_late_rule", "o17", MsgSetLateRule, `{"rule":"none"}`),
		ok("assign_practice", "q1", MsgAssignPractice, `{"set":{"bank":"fractions-5","set":"frac-equivalence"},"to":{"group":"`+string(grpA)+`"}}`),
		ok("close_practice", "q2", MsgClosePractice, `{}`),
		ok("flag_action", "q3", MsgFlagAction, `{"flag":"`+string(flagA)+`","action":"snooze","minutes":10}`),
		ok("set_thresholds", "q4", MsgSetThresholds, `{"thresholds":{"idle_watch_ms":180000}}`),
		ok("next_item", "q5", MsgNextItem, ``),
		ok("answer", "q6", MsgAnswer, `{"item":"frac.unlike.1","response":"5/6"}`),
		ok("hint", "q7", MsgHint, `{"item":"frac.unlike.1"}`),
		ok("pick_items", "q8", MsgPickItems, `{"items":["frac.word.music","frac.word.space"]}`),
		ok("accept_offer", "q9", MsgAcceptOffer, `{}`),
		// Variations the envelope accepts.
		ok("no data", "n1", MsgPing, ``),
		ok("null data", "n2", MsgPing, `null`),
		ok("data not an object (the payload check refuses it)", "n3", MsgPing, `[]`),
		ok("id of one byte", "1", MsgPing, `{}`),
		ok("id of MaxRequestID bytes", max, MsgPing, `{}`),
		ok("unicode id", "é-🙂", MsgPing, `{}`),
		{"fields in another order", `{"data":{},"type":"ping","id":"o1","v":1}`, ClientFrame{V: 1, ID: "o1", Type: MsgPing, Data: json.RawMessage(`{}`)}, ""},
		{"JSON whitespace around", " \t\r\n" + frame("w1", "ping", `{}`) + " \t\r\n", ClientFrame{V: 1, ID: "w1", Type: MsgPing, Data: json.RawMessage(`{}`)}, ""},
		{"exactly MaxFrameBytes", exact, ClientFrame{V: 1, ID: "x", Type: MsgPing, Data: json.RawMessage(`{}`)}, ""},
		{"escaped id", `{"v":1,"id":"a\"b\u00e9","type":"ping"}`, ClientFrame{V: 1, ID: `a"bé`, Type: MsgPing}, ""},

		// Not a JSON object.
		bad("empty", ``, "", CodeBadFrame),
		bad("whitespace only", "  \n", "", CodeBadFrame),
		bad("not JSON", `hello`, "", CodeBadFrame),
		bad("null", `null`, "", CodeBadFrame),
		bad("array", `[{"v":1,"id":"r1","type":"ping"}]`, "", CodeBadFrame),
		bad("string", `"ping"`, "", CodeBadFrame),
		bad("number", `1`, "", CodeBadFrame),
		bad("true", `true`, "", CodeBadFrame),
		bad("truncated", `{"v":1,"id":"r1","type":"ping"`, "", CodeBadFrame),
		bad("single quotes", `{'v':1,'id':'r1','type':'ping'}`, "", CodeBadFrame),
		bad("trailing comma", `{"v":1,"id":"r1","type":"ping",}`, "", CodeBadFrame),
		bad("non-JSON space before", "\u00a0"+frame("r1", "ping", `{}`), "", CodeBadFrame),
		bad("vertical tab before", "\v"+frame("r1", "ping", `{}`), "", CodeBadFrame),
		// Readable, but not one valid envelope: the ID is salvaged.
		bad("trailing object", frame("t1", "ping", `{}`)+`{}`, "t1", CodeBadFrame),
		bad("trailing garbage", frame("t2", "ping", `{}`)+` x`, "t2", CodeBadFrame),
		bad("trailing bracket", frame("t3", "ping", `{}`)+`]`, "t3", CodeBadFrame),
		bad("non-JSON space after", frame("t4", "ping", `{}`)+"\u0085", "t4", CodeBadFrame),
		bad("unknown field", `{"v":1,"id":"u1","type":"ping","x":1}`, "u1", CodeBadFrame),
		bad("unknown field before the id", `{"x":1,"v":1,"id":"u2","type":"ping"}`, "u2", CodeBadFrame),
		bad("type of wrong type", `{"v":1,"id":"w3","type":7}`, "w3", CodeBadFrame),
		bad("id of wrong type", `{"v":1,"id":7,"type":"ping"}`, "", CodeBadFrame),
		bad("id an object", `{"v":1,"id":{},"type":"ping"}`, "", CodeBadFrame),
		bad("long id and unknown field", `{"v":1,"id":"`+long+`","type":"ping","x":1}`, "", CodeBadFrame),
		// Invalid UTF-8: nothing is read.
		bad("invalid UTF-8 in a string", "{\"v\":1,\"id\":\"r5\",\"type\":\"\xff\"}", "", CodeBadFrame),
		bad("invalid UTF-8 in the id", "{\"v\":1,\"id\":\"r\xc3\",\"type\":\"ping\"}", "", CodeBadFrame),
		bad("invalid UTF-8 outside strings", "{\"v\":1,\"id\":\"r6\",\"type\":\"ping\"}\xfe", "", CodeBadFrame),
		bad("UTF-16 surrogate bytes", "{\"v\":1,\"id\":\"\xed\xa0\x80\",\"type\":\"ping\"}", "", CodeBadFrame),

		// The ID.
		bad("no id", `{"v":1,"type":"ping"}`, "", CodeInvalid),
		bad("empty id", `{"v":1,"id":"","type":"ping"}`, "", CodeInvalid),
		bad("null id", `{"v":1,"id":null,"type":"ping"}`, "", CodeInvalid),
		bad("long id", frame(long, "ping", ""), "", CodeInvalid),
		bad("long id in bytes, short in characters", frame(strings.Repeat("é", MaxRequestID/2+1), "ping", ""), "", CodeInvalid),
		bad("long id and wrong version", `{"v":2,"id":"`+long+`","type":"ping"}`, "", CodeInvalid),

		// The version.
		bad("version 2", `{"v":2,"id":"v2","type":"ping"}`, "v2", CodeBadVersion),
		bad("version 0", `{"v":0,"id":"v0","type":"ping"}`, "v0", CodeBadVersion),
		bad("negative version", `{"v":-1,"id":"vn","type":"ping"}`, "vn", CodeBadVersion),
		bad("no version", `{"id":"v7","type":"ping"}`, "v7", CodeBadVersion),
		bad("wrong version and no id", `{"v":2,"type":"ping"}`, "", CodeBadVersion),
		// Version 1 is the number 1 written 1: anything else in v is another
		// version, not a broken frame.
		bad("version 1 written 1.0", `{"v":1.0,"id":"f1","type":"ping"}`, "f1", CodeBadVersion),
		bad("version 1 written 1e0", `{"v":1e0,"id":"f2","type":"ping"}`, "f2", CodeBadVersion),
		bad("version 1 written 1E0", `{"v":1E0,"id":"f3","type":"ping"}`, "f3", CodeBadVersion),
		bad("version 1 written 10e-1", `{"v":10e-1,"id":"f4","type":"ping"}`, "f4", CodeBadVersion),
		bad("version 1 written 1.00", `{"v":1.00,"id":"f5","type":"ping"}`, "f5", CodeBadVersion),
		bad("version 1.5", `{"v":1.5,"id":"f6","type":"ping"}`, "f6", CodeBadVersion),
		bad("version as a string", `{"v":"1","id":"f7","type":"ping"}`, "f7", CodeBadVersion),
		bad("version null", `{"v":null,"id":"f8","type":"ping"}`, "f8", CodeBadVersion),
		bad("version true", `{"v":true,"id":"f9","type":"ping"}`, "f9", CodeBadVersion),
		bad("version an array", `{"v":[1],"id":"f10","type":"ping"}`, "f10", CodeBadVersion),
		bad("version an object", `{"v":{"major":1},"id":"f11","type":"ping"}`, "f11", CodeBadVersion),
		bad("version -0", `{"v":-0,"id":"f12","type":"ping"}`, "f12", CodeBadVersion),
		bad("version too big for any integer", `{"v":1e400,"id":"f13","type":"ping"}`, "f13", CodeBadVersion),
		bad("version 1 then 2", `{"v":1,"v":2,"id":"f14","type":"ping"}`, "f14", CodeBadVersion),
		bad("version a long string", `{"v":"`+strings.Repeat("1", 100)+`","id":"f15","type":"ping"}`, "f15", CodeBadVersion),
		bad("version with a leading zero is not JSON", `{"v":01,"id":"f16","type":"ping"}`, "", CodeBadFrame),
		bad("version 1.0 and a long id", `{"v":1.0,"id":"`+long+`","type":"ping"}`, "", CodeInvalid),
		{"version 1 with spaces around it", `{"v" : 1 ,"id":"f17","type":"ping"}`, ClientFrame{V: 1, ID: "f17", Type: MsgPing}, ""},

		// The type.
		bad("unknown type", `{"v":1,"id":"k1","type":"fly"}`, "k1", CodeUnknownType),
		bad("no type", `{"v":1,"id":"k2"}`, "k2", CodeUnknownType),
		bad("type in capitals", `{"v":1,"id":"k3","type":"PING"}`, "k3", CodeUnknownType),
		bad("internal command join", `{"v":1,"id":"k4","type":"join"}`, "k4", CodeUnknownType),
		bad("internal command snapshot", `{"v":1,"id":"k5","type":"snapshot"}`, "k5", CodeUnknownType),
		bad("internal command connect", `{"v":1,"id":"k6","type":"connect"}`, "k6", CodeUnknownType),
		bad("internal command open", `{"v":1,"id":"k7","type":"open"}`, "k7", CodeUnknownType),
		bad("server frame type", `{"v":1,"id":"k8","type":"welcome"}`, "k8", CodeUnknownType),
		bad("event type", `{"v":1,"id":"k9","type":"hand"}`, "k9", CodeUnknownType),
		bad("orchestration event type", `{"v":1,"id":"k10","type":"rotation"}`, "k10", CodeUnknownType),
		bad("message type in other words", `{"v":1,"id":"k11","type":"pause"}`, "k11", CodeUnknownType),
		bad("learning event type", `{"v":1,"id":"k12","type":"flag"}`, "k12", CodeUnknownType),
		bad("flag action as a type", `{"v":1,"id":"k13","type":"ack"}`, "k13", CodeUnknownType),

		// Size: the frame is not read at all.
		bad("one byte over MaxFrameBytes", exact+" ", "", CodeFrameTooLarge),
		bad("big data", frame("b1", "announce", `{"text":"`+strings.Repeat("x", MaxFrameBytes)+`"}`), "", CodeFrameTooLarge),
		bad("at the hard limit", `{"v":1,"id":"b2","type":"ping","data":"`+strings.Repeat("x", HardFrameBytes)+`"}`, "", CodeFrameTooLarge),
		bad("too large and not JSON", strings.Repeat("\xff", MaxFrameBytes+1), "", CodeFrameTooLarge),
	}
}

func TestDecodeClientFrame(t *testing.T) {
	for _, c := range frameCases() {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeClientFrame([]byte(c.in))
			var gotCode Code
			if err != nil {
				gotCode = err.Code
				checkError(t, err)
			}
			if gotCode != c.code {
				t.Fatalf("code: got %q (%v), want %q", gotCode, err, c.code)
			}
			if got.ID != c.want.ID {
				t.Errorf("id: got %q, want %q", got.ID, c.want.ID)
			}
			if c.code != "" {
				return
			}
			if got.V != c.want.V || got.Type != c.want.Type || !bytes.Equal(got.Data, c.want.Data) {
				t.Errorf("got %+v (data %s), want %+v (data %s)", got, got.Data, c.want, c.want.Data)
			}
		})
	}
}

// The answer to a wrong version says what was sent and what to send, so
// that a developer sees at once why "v":1.0 is not version 1.
func TestBadVersionMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"id":"m1","type":"ping"}`, `v is missing; send "v":1`},
		{`{"v":null,"id":"m2","type":"ping"}`, `v is missing; send "v":1`},
		{`{"v":2,"id":"m3","type":"ping"}`, `version 2 is not supported; send "v":1`},
		{`{"v":1.0,"id":"m4","type":"ping"}`, `version 1.0 is not supported; send "v":1`},
		{`{"v":"1","id":"m5","type":"ping"}`, `version "1" is not supported; send "v":1`},
		{`{"v":"` + strings.Repeat("9", 40) + `","id":"m6","type":"ping"}`, `this version is not supported; send "v":1`},
	} {
		_, err := DecodeClientFrame([]byte(c.in))
		if err == nil || err.Code != CodeBadVersion || err.Message != c.want {
			t.Errorf("%s: got %v, want bad_version: %s", c.in, err, c.want)
		}
	}
}

// checkError: an error a client receives has a known code and a message
// for people, without Go's vocabulary.
func checkError(t *testing.T, e *Error) {
	t.Helper()
	if _, ok := httpStatus[e.Code]; !ok {
		t.Errorf("unknown code %q", e.Code)
	}
	if e.Message == "" || !utf8.ValidString(e.Message) {
		t.Errorf("message %q", e.Message)
	}
	for _, jargon := range []string{"json:", "protocol.", "Go struct", "Go value", "unmarshal"} {
		if strings.Contains(e.Message, jargon) {
			t.Errorf("message %q speaks Go (%q)", e.Message, jargon)
		}
	}
	if got, want := e.Error(), string(e.Code)+": "+e.Message; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeClientFrameMessages(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"v":1,"id":"a","type":"ping","x":1}`, `unknown field "x"`},
		{`{"v":1,"id":"a","type":7}`, `field type has the wrong type (number)`},
		{`{"v":1,"id":"a","type":"ping"}{}`, `unexpected data after the object`},
		{`[]`, `expected a JSON object`},
		{`{"v":2,"id":"a","type":"ping"}`, `version 2 is not supported; send "v":1`},
		{`{"v":1,"id":"a","type":"fly"}`, `unknown message type "fly"`},
		{`{"v":1,"type":"ping"}`, `id is required`},
		{`{"v":1,"id":"` + strings.Repeat("i", 65) + `","type":"ping"}`, `id is longer than 64 bytes`},
	} {
		_, err := DecodeClientFrame([]byte(c.in))
		if err == nil || !strings.Contains(err.Message, c.want) {
			t.Errorf("%s: got %v, want a message containing %q", c.in, err, c.want)
		}
	}
}

// payloadCase is one input of DecodePayload. Shared with the fuzz seeds.
type payloadCase struct {
	typ  MsgType
	data string
	want any  // on success
	code Code // "" for success
}

func payloadCases() []payloadCase {
	sid, rid := string(anaID), string(roomA)
	rep := strings.Repeat
	okc := func(typ MsgType, data string, want any) payloadCase { return payloadCase{typ, data, want, ""} }
	bad := func(typ MsgType, data string) payloadCase { return payloadCase{typ, data, nil, CodeInvalid} }
	cases := []payloadCase{
		// hello
		okc(MsgHello, `{"token":"abc"}`, &Hello{Token: "abc"}),
		okc(MsgHello, `{"token":"abc","room":"`+rid+`"}`, &Hello{Token: "abc", Room: roomA}),
		okc(MsgHello, `{"token":"abc","resume":{"epoch":"e1","offset":41}}`, &Hello{Token: "abc", Resume: &Resume{Epoch: "e1", Offset: 41}}),
		okc(MsgHello, `{"token":"abc","resume":{"epoch":"e1","offset":0}}`, &Hello{Token: "abc", Resume: &Resume{Epoch: "e1"}}),
		okc(MsgHello, `{"token":"abc","resume":{"epoch":"e1"}}`, &Hello{Token: "abc", Resume: &Resume{Epoch: "e1"}}),
		okc(MsgHello, `{"token":"abc","resume":{"epoch":"`+rep("e", 64)+`","offset":18446744073709551615}}`, &Hello{Token: "abc", Resume: &Resume{Epoch: rep("e", 64), Offset: 1<<64 - 1}}),
		okc(MsgHello, `{"token":"abc","resume":null,"room":""}`, &Hello{Token: "abc"}),
		okc(MsgHello, `{"token":"`+rep("t", 4096)+`"}`, &Hello{Token: rep("t", 4096)}),
		bad(MsgHello, ``),
		bad(MsgHello, `{}`),
		bad(MsgHello, `{"token":""}`),
		bad(MsgHello, `{"token":"`+rep("t", 4097)+`"}`),
		bad(MsgHello, `{"token":7}`),
		bad(MsgHello, `{"token":"abc","room":"nope"}`),
		bad(MsgHello, `{"token":"abc","room":"`+strings.ToUpper(rid)+`"}`),
		bad(MsgHello, `{"token":"abc","room":"{`+rid+`}"}`),
		bad(MsgHello, `{"token":"abc","room":"urn:uuid:`+rid+`"}`),
		bad(MsgHello, `{"token":"abc","room":7}`),
		bad(MsgHello, `{"token":"abc","resume":{}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"","offset":1}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"`+rep("e", 65)+`","offset":1}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":-1}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":1.5}}`),
		// An integer is written as one: 41.0 and 4.1e1 are refused, as
		// "v":1.0 is, rather than read as 41.
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":41.0}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":4.1e1}}`),
		bad(MsgRotate, `{"action":"extend","ms":1000.0}`),
		bad(MsgRotate, `{"action":"extend","ms":1e3}`),
		bad(MsgFlagAction, `{"flag":"`+string(flagA)+`","action":"snooze","minutes":5.0}`),
		bad(MsgPutStation, `{"station":{"name":"Laptops","kind":"online","capacity":8.0}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":"1"}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":18446744073709551616}}`),
		bad(MsgHello, `{"token":"abc","resume":{"epoch":"e","offset":1,"x":1}}`),
		bad(MsgHello, `{"token":"abc","resume":[]}`),
		bad(MsgHello, `{"token":"abc","name":"x"}`),
		bad(MsgHello, `{"token":"abc"}{}`),
		bad(MsgHello, `[]`),

		// ping
		okc(MsgPing, ``, &Ping{}),
		okc(MsgPing, `null`, &Ping{}),
		okc(MsgPing, `{}`, &Ping{}),
		okc(MsgPing, ` { } `, &Ping{}),
		bad(MsgPing, `{"x":1}`),
		bad(MsgPing, `[]`),
		bad(MsgPing, `"x"`),
		bad(MsgPing, `0`),
		bad(MsgPing, `{`),

		// announce
		okc(MsgAnnounce, `{"text":"Pens down"}`, &Announce{Text: "Pens down"}),
		okc(MsgAnnounce, `{"text":"line one\nline two\tindented"}`, &Announce{Text: "line one\nline two\tindented"}),
		okc(MsgAnnounce, `{"text":"x"}`, &Announce{Text: "x"}),
		okc(MsgAnnounce, `{"text":"`+rep("é", MaxTextRunes)+`"}`, &Announce{Text: rep("é", MaxTextRunes)}),
		okc(MsgAnnounce, `{"text":"🙂 ok"}`, &Announce{Text: "🙂 ok"}),
		okc(MsgAnnounce, `{"text":"hi","to":"`+sid+`"}`, &Announce{Text: "hi", To: anaID}),
		bad(MsgAnnounce, `{"text":"hi","to":""}`), // an empty ID is no way to mean everyone
		okc(MsgAnnounce, `{"text":"hi","to":null}`, &Announce{Text: "hi"}),
		bad(MsgAnnounce, `{}`),
		bad(MsgAnnounce, ``),
		bad(MsgAnnounce, `{"text":""}`),
		bad(MsgAnnounce, `{"text":"   "}`),
		bad(MsgAnnounce, `{"text":"\n\t"}`),
		bad(MsgAnnounce, `{"text":"`+rep("é", MaxTextRunes+1)+`"}`),
		bad(MsgAnnounce, `{"text":"bell\u0007"}`),
		bad(MsgAnnounce, `{"text":"nul\u0000"}`),
		bad(MsgAnnounce, `{"text":"escape\u001b[2J"}`),
		bad(MsgAnnounce, `{"text":"carriage\r\nreturn"}`),
		bad(MsgAnnounce, `{"text":"delete\u007f"}`),
		bad(MsgAnnounce, `{"text":"next line\u0085"}`),
		bad(MsgAnnounce, `{"text":5}`),
		bad(MsgAnnounce, `{"text":null}`),
		bad(MsgAnnounce, `{"text":["a"]}`),
		bad(MsgAnnounce, `{"text":"hi","to":"bob"}`),
		bad(MsgAnnounce, `{"text":"hi","to":"`+strings.ToUpper(sid)+`"}`),
		bad(MsgAnnounce, `{"text":"hi","to":"{`+sid+`}"}`),
		bad(MsgAnnounce, `{"text":"hi","to":"`+strings.ReplaceAll(sid, "-", "")+`"}`),
		bad(MsgAnnounce, `{"text":"hi","to":5}`),
		bad(MsgAnnounce, `{"text":"hi","from":"me"}`),

		// raise_hand
		okc(MsgRaiseHand, `{}`, &RaiseHand{}),
		okc(MsgRaiseHand, ``, &RaiseHand{}),
		okc(MsgRaiseHand, `{"note":""}`, &RaiseHand{}),
		okc(MsgRaiseHand, `{"note":"stuck on 3b"}`, &RaiseHand{Note: "stuck on 3b"}),
		okc(MsgRaiseHand, `{"note":"   "}`, &RaiseHand{Note: "   "}),
		okc(MsgRaiseHand, `{"note":"`+rep("ü", MaxNoteRunes)+`"}`, &RaiseHand{Note: rep("ü", MaxNoteRunes)}),
		bad(MsgRaiseHand, `{"note":"`+rep("n", MaxNoteRunes+1)+`"}`),
		bad(MsgRaiseHand, `{"note":"two\nlines"}`),
		bad(MsgRaiseHand, `{"note":"tab\there"}`),
		bad(MsgRaiseHand, `{"note":"bell\u0007"}`),
		bad(MsgRaiseHand, `{"note":3}`),
		bad(MsgRaiseHand, `{"note":"n","student":"`+sid+`"}`),
		bad(MsgRaiseHand, `[]`),

		// lower_hand
		okc(MsgLowerHand, `{}`, &LowerHand{}),
		okc(MsgLowerHand, `null`, &LowerHand{}),
		okc(MsgLowerHand, `{"student":"`+sid+`"}`, &LowerHand{Student: anaID}),
		bad(MsgLowerHand, `{"student":"bob"}`),
		bad(MsgLowerHand, `{"student":"`+strings.ToUpper(sid)+`"}`),
		bad(MsgLowerHand, `{"student":"urn:uuid:`+sid+`"}`),
		bad(MsgLowerHand, `{"student":"`+sid+`."}`),
		bad(MsgLowerHand, `{"student":1}`),
		bad(MsgLowerHand, `{"student":"`+sid+`","note":"x"}`),

		// end_class
		okc(MsgEndClass, `{}`, &EndClass{}),
		okc(MsgEndClass, ``, &EndClass{}),
		okc(MsgEndClass, `null`, &EndClass{}),
		bad(MsgEndClass, `[]`),
		bad(MsgEndClass, `{"room":"`+rid+`"}`),
		bad(MsgEndClass, `true`),

		// Not client message types.
		{"fly", `{}`, nil, CodeUnknownType},
		{"", `{}`, nil, CodeUnknownType},
		{CmdJoin, `{"name":"Noah"}`, nil, CodeUnknownType},
		{CmdOpen, `{}`, nil, CodeUnknownType},
		{CmdSnapshot, `{}`, nil, CodeUnknownType},
		{CmdConnect, `{}`, nil, CodeUnknownType},
		{CmdDisconnect, `{}`, nil, CodeUnknownType},
		{MsgType(EvWorkspace), `{}`, nil, CodeUnknownType},
		{"rotation", `{"action":"pause"}`, nil, CodeUnknownType},
	}
	cases = append(cases, orchestrationPayloadCases()...)
	return append(cases, learningPayloadCases()...)
}

func TestDecodePayload(t *testing.T) {
	tested := map[MsgType][2]bool{} // a valid case, an invalid case
	for _, c := range payloadCases() {
		name := fmt.Sprintf("%s %.60s", c.typ, c.data)
		got, err := DecodePayload(c.typ, json.RawMessage(c.data))
		var gotCode Code
		if err != nil {
			gotCode = err.Code
			checkError(t, err)
			if got != nil {
				t.Errorf("%s: a value %#v with the error", name, got)
			}
		}
		if gotCode != c.code {
			t.Errorf("%s: got %q (%v), want %q", name, gotCode, err, c.code)
			continue
		}
		if c.code == "" && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", name, got, c.want)
		}
		seen := tested[c.typ]
		seen[min(len(c.code), 1)] = true
		tested[c.typ] = seen
	}
	for _, typ := range sortedMsgTypes() {
		if tested[typ] != [2]bool{true, true} {
			t.Errorf("%s: the table needs valid and invalid data (has %v)", typ, tested[typ])
		}
	}
}

func TestDecodePayloadMessages(t *testing.T) {
	for _, c := range []struct {
		typ        MsgType
		data, want string
	}{
		{MsgAnnounce, `{"text":5}`, "field text has the wrong type"},
		{MsgAnnounce, `{"text":"hi","x":1}`, `unknown field "x"`},
		{MsgAnnounce, `{"text":""}`, "announce.text must have at least 1 characters"},
		{MsgAnnounce, `{"text":"a\u0007"}`, "announce.text contains a control character"},
		{MsgAnnounce, `{"text":"a","to":"b"}`, "announce.to is not a student ID"},
		{MsgRaiseHand, `{"note":"` + strings.Repeat("n", 201) + `"}`, "raise_hand.note must have at most 200 characters"},
		{MsgLowerHand, `{"student":"b"}`, "lower_hand.student is not a student ID"},
		{MsgHello, `{}`, "hello.token is required"},
		{MsgHello, `{"token":"t","room":"r"}`, "hello.room is not a room ID"},
		{MsgHello, `{"token":"t","resume":{"epoch":""}}`, "hello.resume.epoch"},
		{MsgHello, `{"token":"t","resume":{"epoch":"e","offset":-1}}`, "field resume.offset has the wrong type"},
		{"fly", `{}`, `unknown message type "fly"`},
	} {
		_, err := DecodePayload(c.typ, json.RawMessage(c.data))
		if err == nil || !strings.Contains(err.Message, c.want) {
			t.Errorf("%s %s: got %v, want a message containing %q", c.typ, c.data, err, c.want)
		}
	}
}

// A payload that decodes re-encodes to JSON that decodes to the same value:
// the node forwards the re-encoded form to the room's owner. An empty list
// in a field marked omitempty is left out by the encoder, so the owner
// reads it as a missing list; sameForOwner counts the two as the same.
func TestDecodePayloadRoundTrip(t *testing.T) {
	for _, c := range payloadCases() {
		if c.code != "" {
			continue
		}
		v, _ := DecodePayload(c.typ, json.RawMessage(c.data))
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		again, perr := DecodePayload(c.typ, b)
		if perr != nil || !sameForOwner(again, v) {
			t.Errorf("%s %s: re-encoded as %s, decoded as %#v (%v)", c.typ, c.data, b, again, perr)
		}
	}
}

type textCase struct {
	s         string
	min, max  int
	multiline bool
	ok        bool
}

func textCases() []textCase {
	rep := strings.Repeat
	return []textCase{
		{"Olivia", 1, 40, false, true},
		{"", 0, 40, false, true},
		{"", 1, 40, false, false},
		{" ", 0, 40, false, true},
		{" ", 1, 40, false, false},
		{"\u3000", 1, 40, false, false}, // ideographic space is blank too
		{" x ", 1, 40, false, true},
		{rep("a", 40), 1, 40, false, true},
		{rep("a", 41), 1, 40, false, false},
		{rep("é", 40), 1, 40, false, true}, // 80 bytes, 40 characters
		{rep("🙂", 40), 1, 40, false, true}, // 160 bytes, 40 characters
		{rep("🙂", 41), 1, 40, false, false},
		{"ab", 3, 40, false, false},
		{"abc", 3, 3, false, true},
		{"a\nb", 1, 40, false, false},
		{"a\nb", 1, 40, true, true},
		{"a\tb", 1, 40, false, false},
		{"a\tb", 1, 40, true, true},
		{"a\r\nb", 1, 40, true, false},
		{"a\x00b", 1, 40, true, false},
		{"a\x07b", 1, 40, true, false},
		{"a\x1bb", 1, 40, true, false},
		{"a\x7fb", 1, 40, true, false},
		{"a\u0085b", 1, 40, true, false},
		{"a\u009fb", 1, 40, true, false},
		{"\n", 1, 40, true, false}, // blank
		{"a\xffb", 0, 40, false, false},
		{"\xc3", 0, 40, false, false},
		{"a\u200bb", 1, 40, false, true}, // format characters are not control characters
		{"Zoë, Łukasz, 李", 1, 40, false, true},
	}
}

func TestCheckText(t *testing.T) {
	for _, c := range textCases() {
		err := CheckText("the.field", c.s, c.min, c.max, c.multiline)
		if (err == nil) != c.ok {
			t.Errorf("CheckText(%q, %d, %d, %v) = %v, want ok %v", c.s, c.min, c.max, c.multiline, err, c.ok)
			continue
		}
		if err != nil {
			checkError(t, err)
			if err.Code != CodeInvalid || !strings.HasPrefix(err.Message, "the.field ") {
				t.Errorf("CheckText(%q): %v, want invalid naming the field", c.s, err)
			}
		}
	}
}

// allowedMatrix is who may send what: teacher, student, coach, projector.
var allowedMatrix = map[MsgType][4]bool{
	MsgHello:     {true, true, true, true},
	MsgPing:      {true, true, true, true},
	MsgAnnounce:  {true, false, false, false},
	MsgRaiseHand: {false, true, false, false},
	MsgLowerHand: {true, true, false, false},
	MsgEndClass:  {true, false, false, false},

	MsgPutStation:    {true, false, false, false},
	MsgRemoveStation: {true, false, false, false},
	MsgProposeGroups: {true, false, false, false},
	MsgApplyGroups:   {true, false, false, false},
	MsgMoveStudent:   {true, false, false, false},
	MsgAssignCoach:   {true, false, false, false},
	MsgStartRotation: {true, false, false, false},
	MsgRotate:        {true, false, false, false},
	MsgPauseClass:    {true, false, false, false},
	MsgResumeClass:   {true, false, false, false},
	MsgPushActivity:  {true, false, false, false},
	MsgSetLevel:      {true, false, false, false},
	MsgOfferChoices:  {true, false, false, false},
	MsgSetLateRule:   {true, false, false, false},
	MsgChoose:        {false, true, false, false},
	MsgSetInterest:   {false, true, false, false},
	MsgEditWorkspace: {true, true, true, false},

	MsgAssignPractice: {true, false, false, false},
	MsgClosePractice:  {true, false, false, false},
	MsgFlagAction:     {true, false, false, false},
	MsgSetThresholds:  {true, false, false, false},
	MsgNextItem:       {false, true, false, false},
	MsgAnswer:         {false, true, false, false},
	MsgHint:           {false, true, false, false},
	MsgPickItems:      {false, true, false, false},
	MsgAcceptOffer:    {false, true, false, false},

	MsgSmallGroupAction: {true, false, false, false},
}

var roles = [4]Role{RoleTeacher, RoleStudent, RoleCoach, RoleProjector}

func TestAllowed(t *testing.T) {
	for _, typ := range sortedMsgTypes() {
		want, ok := allowedMatrix[typ]
		if !ok {
			t.Errorf("%s: not in the table", typ)
			continue
		}
		for i, r := range roles {
			if got := Allowed(typ, r); got != want[i] {
				t.Errorf("Allowed(%s, %s) = %v, want %v", typ, r, got, want[i])
			}
		}
		// A role that does not exist may say hello (and is refused by its
		// token), and nothing else.
		for _, r := range []Role{"", "admin", "Teacher", "teachers"} {
			if got := Allowed(typ, r); got != (typ == MsgHello) {
				t.Errorf("Allowed(%s, %q) = %v", typ, r, got)
			}
		}
	}
	for _, typ := range []MsgType{CmdOpen, CmdJoin, CmdConnect, CmdDisconnect, CmdSnapshot, "", "fly", "PING"} {
		for _, r := range roles {
			if Allowed(typ, r) {
				t.Errorf("Allowed(%q, %s): only client message types may be allowed", typ, r)
			}
		}
	}
}

func TestRoleValid(t *testing.T) {
	for r, want := range map[Role]bool{
		RoleTeacher: true, RoleStudent: true, RoleCoach: true, RoleProjector: true,
		"": false, "admin": false, "Teacher": false, "student ": false,
	} {
		if got := r.Valid(); got != want {
			t.Errorf("Role(%q).Valid() = %v, want %v", r, got, want)
		}
	}
}

// The viewers of the audience matrix. Ana is the student an event is
// addressed to, Cara is in group g1, Ben is in no group.
var (
	g1, g2      GroupID = "g1", "g2"
	viewerNames         = []string{"teacher", "the student addressed", "another student", "a member of the group", "coach of the group", "coach of another group", "projector"}
	viewers             = map[string]Viewer{
		"teacher":                {Role: RoleTeacher},
		"the student addressed":  {Role: RoleStudent, Student: anaID},
		"another student":        {Role: RoleStudent, Student: benID},
		"a member of the group":  {Role: RoleStudent, Student: caraID},
		"coach of the group":     {Role: RoleCoach, Coach: coachA, Groups: []GroupID{g2, g1}},
		"coach of another group": {Role: RoleCoach, Coach: coachB, Groups: []GroupID{g2}},
		"projector":              {Role: RoleProjector},
	}
	audienceKinds = []AudienceKind{AudAll, AudTeachers, AudStudent, AudGroup, AudStaff, AudMembers, AudNone}
	// audiences are the representative audience of each kind: addressed
	// to Ana, or to group g1 (whose member is Cara and whose coach is the
	// "coach of the group", coachA). The students listed
	// in a members audience (those at a station) are the ones addressed:
	// Ana here.
	audiences = map[AudienceKind]Audience{
		AudAll:      ToAll,
		AudTeachers: ToTeachers,
		AudStudent:  ToStudent(anaID),
		AudGroup:    ToGroup(g1, []StudentID{caraID}, []CoachID{coachA}),
		AudStaff:    ToStaff(g1, []CoachID{coachA}),
		AudMembers:  ToMembers([]StudentID{anaID}),
		AudNone:     ToNone,
	}
)

// audienceMatrix is the whole privacy contract: for each kind, who sees
// it, in the order of viewerNames. PROTOCOL.md shows the same table.
var audienceMatrix = map[AudienceKind][7]bool{
	//            teacher addressed another member coach  other  projector
	AudAll:      {true, true, true, true, true, true, true},
	AudTeachers: {true, false, false, false, false, false, false},
	AudStudent:  {true, true, false, false, false, false, false},
	AudGroup:    {true, false, false, true, true, false, false},
	AudStaff:    {true, false, false, false, true, false, false},
	AudMembers:  {true, true, false, false, false, false, false},
	AudNone:     {false, false, false, false, false, false, false},
}

func TestAudienceAllows(t *testing.T) {
	for _, k := range audienceKinds {
		want, ok := audienceMatrix[k]
		if !ok {
			t.Fatalf("%s: not in the matrix", k)
		}
		a := audiences[k]
		for i, vn := range viewerNames {
			if got := a.Allows(viewers[vn]); got != want[i] {
				t.Errorf("audience %s, viewer %s: got %v, want %v", k, vn, got, want[i])
			}
		}
	}
}

// The corners of Allows: missing or odd fields never widen an audience.
func TestAudienceAllowsEdges(t *testing.T) {
	nobody := Viewer{Role: RoleStudent}  // a student viewer without an ID
	coachless := Viewer{Role: RoleCoach} // a coach viewer without an ID
	blankGroup := Viewer{Role: RoleCoach, Groups: []GroupID{""}}
	stranger := Viewer{Role: "admin"}                                        // not a role
	zero := Viewer{}                                                         // no role at all
	both := Viewer{Role: RoleStudent, Student: anaID, Groups: []GroupID{g1}} // a student is never a coach
	studentNamingCoach := Viewer{Role: RoleStudent, Student: anaID, Coach: coachA}
	for _, c := range []struct {
		name string
		a    Audience
		v    Viewer
		want bool
	}{
		{"student without ID, audience of a student without ID", Audience{Kind: AudStudent}, nobody, false},
		{"student without ID, group with a blank member", Audience{Kind: AudGroup, Group: g1, Members: []StudentID{""}}, nobody, false},
		{"student without ID, everyone", ToAll, nobody, true},
		{"coach without ID, group", audiences[AudGroup], coachless, false},
		{"coach without ID, staff", audiences[AudStaff], coachless, false},
		{"coach without ID, group listing a blank coach", Audience{Kind: AudGroup, Group: g1, Coaches: []CoachID{""}}, coachless, false},
		{"coach without ID, staff listing a blank coach", Audience{Kind: AudStaff, Group: g1, Coaches: []CoachID{""}}, coachless, false},
		{"student naming a coach, staff of that coach", audiences[AudStaff], studentNamingCoach, false},
		{"student naming a coach, group of that coach", ToGroup(g1, nil, []CoachID{coachA}), studentNamingCoach, false},
		{"coach of a blank group, staff without group", Audience{Kind: AudStaff}, blankGroup, false},
		{"coach of a blank group, group without group", Audience{Kind: AudGroup}, blankGroup, false},
		{"coach, one student", ToStudent(anaID), Viewer{Role: RoleCoach, Groups: []GroupID{g1}}, false},
		{"coach, teachers", ToTeachers, Viewer{Role: RoleCoach, Groups: []GroupID{g1}}, false},
		{"student with groups, staff of their group", audiences[AudStaff], both, false},
		{"group member not in Members", Audience{Kind: AudGroup, Group: g1}, both, false},
		{"member listed, other group named", Audience{Kind: AudGroup, Group: g2, Members: []StudentID{anaID}}, both, true},
		{"student, unknown kind", Audience{Kind: "class", Student: anaID}, viewers["the student addressed"], false},
		{"coach, unknown kind", Audience{Kind: "class", Group: g1}, viewers["coach of the group"], false},
		{"projector, unknown kind", Audience{Kind: "class"}, viewers["projector"], false},
		{"student, no kind", Audience{Student: anaID}, viewers["the student addressed"], false},
		{"projector, one student", ToStudent(anaID), viewers["projector"], false},
		{"projector, group", audiences[AudGroup], viewers["projector"], false},
		// Teachers see everything of their room but the servers' own bookkeeping.
		{"teacher, unknown kind", Audience{Kind: "class"}, viewers["teacher"], true},
		{"teacher, none with a student", Audience{Kind: AudNone, Student: anaID}, viewers["teacher"], false},
		{"student, none addressed to them", Audience{Kind: AudNone, Student: anaID}, viewers["the student addressed"], false},
		{"not a role, everyone", ToAll, stranger, false},
		{"no role, everyone", ToAll, zero, false},
		{"not a role, a student", ToStudent(""), stranger, false},
	} {
		if got := c.a.Allows(c.v); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// A coach sees a group's events while they coach it, as of the moment each
// event happened: the audience's coaches decide, never the groups the
// coach has now. This is what makes a resume, from any offset, give a
// coach what they would have got connected throughout.
func TestAudienceCoachesAtTheTime(t *testing.T) {
	kim := Viewer{Role: RoleCoach, Coach: coachA, Groups: []GroupID{g2}} // coached g1, moved to g2 since
	lee := Viewer{Role: RoleCoach, Coach: coachB, Groups: []GroupID{g1}} // coaches g1 now, did not then
	then := []CoachID{coachA}
	for _, c := range []struct {
		name string
		a    Audience
		v    Viewer
		want bool
	}{
		{"group event from when Kim coached it, Kim", ToGroup(g1, []StudentID{caraID}, then), kim, true},
		{"group event from when Kim coached it, Lee who coaches it now", ToGroup(g1, []StudentID{caraID}, then), lee, false},
		{"staff event from when Kim coached it, Kim", ToStaff(g1, then), kim, true},
		{"staff event from when Kim coached it, Lee who coaches it now", ToStaff(g1, then), lee, false},
		{"the event handing the group over, Kim", ToGroup(g1, nil, []CoachID{coachB, coachA}), kim, true},
		{"the event handing the group over, Lee", ToGroup(g1, nil, []CoachID{coachB, coachA}), lee, true},
		{"group with no coach then, its coach now", ToGroup(g1, []StudentID{caraID}, nil), lee, false},
		{"staff with no coach then, its coach now", ToStaff(g1, nil), lee, false},
		// Coaches count only where coaches belong.
		{"teachers, a coach listed", Audience{Kind: AudTeachers, Group: g1, Coaches: then}, kim, false},
		{"one student, a coach listed", Audience{Kind: AudStudent, Student: anaID, Coaches: then}, kim, false},
		{"a station's students, a coach listed", Audience{Kind: AudMembers, Members: []StudentID{anaID}, Coaches: then}, kim, false},
		{"none, a coach listed", Audience{Kind: AudNone, Group: g1, Coaches: then}, kim, false},
		{"staff, the projector", ToStaff(g1, then), Viewer{Role: RoleProjector, Coach: coachA}, false},
		{"group, the teacher", ToGroup(g1, nil, nil), Viewer{Role: RoleTeacher}, true},
	} {
		if got := c.a.Allows(c.v); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// Events written before audiences listed coaches decode with none: no
// coach gets them, whatever they coach now; students and teachers get
// them as before.
func TestAudienceWithoutCoachesFromOlderLogs(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		v    Viewer
		want bool
	}{
		{"old group event, its coach now", `{"kind":"group","group":"g1","members":["` + string(caraID) + `"]}`, viewers["coach of the group"], false},
		{"old group event, its member", `{"kind":"group","group":"g1","members":["` + string(caraID) + `"]}`, viewers["a member of the group"], true},
		{"old group event, the teacher", `{"kind":"group","group":"g1"}`, viewers["teacher"], true},
		{"old staff event, its coach now", `{"kind":"staff","group":"g1"}`, viewers["coach of the group"], false},
		{"new group event, its coach then", `{"kind":"group","group":"g1","coaches":["` + string(coachA) + `"]}`, viewers["coach of the group"], true},
		{"new staff event, its coach then", `{"kind":"staff","group":"g1","coaches":["` + string(coachA) + `"]}`, viewers["coach of the group"], true},
		{"new staff event, another coach", `{"kind":"staff","group":"g1","coaches":["` + string(coachA) + `"]}`, viewers["coach of another group"], false},
	} {
		var a Audience
		if err := json.Unmarshal([]byte(c.in), &a); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := a.Allows(c.v); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// And the field is left out when empty, so events of students' and
	// teachers' audiences are as they were.
	for _, c := range []struct {
		a    Audience
		want string
	}{
		{ToGroup(g1, []StudentID{caraID}, []CoachID{coachA}), `{"kind":"group","group":"g1","members":["` + string(caraID) + `"],"coaches":["` + string(coachA) + `"]}`},
		{ToStaff(g1, nil), `{"kind":"staff","group":"g1"}`},
		{ToStudent(anaID), `{"kind":"student","student":"` + string(anaID) + `"}`},
	} {
		if b, err := json.Marshal(c.a); err != nil || string(b) != c.want {
			t.Errorf("marshal %+v: got %s (%v), want %s", c.a, b, err, c.want)
		}
	}
}

func TestAudienceConstructors(t *testing.T) {
	for _, c := range []struct {
		got, want Audience
	}{
		{ToAll, Audience{Kind: AudAll}},
		{ToTeachers, Audience{Kind: AudTeachers}},
		{ToNone, Audience{Kind: AudNone}},
		{ToStudent(anaID), Audience{Kind: AudStudent, Student: anaID}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("got %+v, want %+v", c.got, c.want)
		}
	}
}

func TestActorViewer(t *testing.T) {
	a := Actor{Role: RoleCoach, Teacher: teacherA, Student: anaID, Coach: coachA, Groups: []GroupID{g1}}
	want := Viewer{Role: RoleCoach, Teacher: teacherA, Student: anaID, Coach: coachA, Groups: []GroupID{g1}}
	if got := a.Viewer(); !reflect.DeepEqual(got, want) {
		t.Errorf("Viewer() = %+v, want %+v", got, want)
	}
}

// httpStatus is the REST status of every code. PROTOCOL.md shows the same.
var httpStatus = map[Code]int{
	CodeBadFrame:       400,
	CodeFrameTooLarge:  413,
	CodeBadVersion:     400,
	CodeUnknownType:    400,
	CodeInvalid:        400,
	CodeNotReady:       503,
	CodeUnauthorized:   401,
	CodeForbidden:      403,
	CodeNotFound:       404,
	CodeConflict:       409,
	CodeRoomEnded:      410,
	CodeRateLimited:    429,
	CodeTooManyConns:   429,
	CodeStorageFull:    503,
	CodeBusy:           503,
	CodeUnavailable:    503,
	CodeInternal:       500,
	CodeDuplicate:      409,
	CodeNotRecoverable: 410,
	CodeWrongState:     409,
	CodeStale:          409,
	CodeFull:           409,
	CodeAbsent:         409,
	CodeInfeasible:     422,
	CodeNotGiven:       409,
	CodeClosed:         409,
	CodeBadContent:     422,
}

func TestCodeHTTPStatus(t *testing.T) {
	for c, want := range httpStatus {
		got := c.HTTPStatus()
		if got != want {
			t.Errorf("%s: HTTP %d, want %d", c, got, want)
		}
		if got < 400 || got > 599 || (got == 500) != (c == CodeInternal) {
			t.Errorf("%s: HTTP %d; only internal may be 500, every code is 4xx or 5xx", c, got)
		}
		if !regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`).MatchString(string(c)) {
			t.Errorf("code %q is not snake_case", c)
		}
	}
	// A code this version does not know is a server fault.
	for _, c := range []Code{"", "teapot", "BAD_FRAME"} {
		if got := c.HTTPStatus(); got != 500 {
			t.Errorf("%q: HTTP %d, want 500", c, got)
		}
	}
}

func TestErrorf(t *testing.T) {
	e := Errorf(CodeNotFound, "no student %s in %q", anaID, "Year 5")
	want := &Error{Code: CodeNotFound, Message: `no student ` + string(anaID) + ` in "Year 5"`}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got %+v, want %+v", e, want)
	}
	if got := e.Error(); got != "not_found: "+want.Message {
		t.Errorf("Error() = %q", got)
	}
	b, _ := json.Marshal(e)
	if got := string(b); got != `{"code":"not_found","message":"no student `+string(anaID)+` in \"Year 5\""}` {
		t.Errorf("JSON %s", got)
	}
}

func TestErrorOf(t *testing.T) {
	refusal := Errorf(CodeFull, "the station is full")
	sentinel := NewSentinel(CodeNotFound, "store: no such thing", "no such thing")
	cases := []struct {
		name string
		err  error
		want *Error
	}{
		{"nil", nil, nil},
		{"refusal", refusal, refusal},
		{"wrapped refusal", fmt.Errorf("room r: %w", refusal), refusal},
		{"sentinel", sentinel, &Error{Code: CodeNotFound, Message: "no such thing"}},
		{"wrapped sentinel", fmt.Errorf("get t: %w", sentinel), &Error{Code: CodeNotFound, Message: "no such thing"}},
		{"own type", fmt.Errorf("import: %w", codedErr{}), &Error{Code: CodeInvalid, Message: "line 3 is wrong"}},
		{"deadline", fmt.Errorf("append: %w", context.DeadlineExceeded), &Error{Code: CodeUnavailable, Message: "no answer in time; retry"}},
		{"canceled", context.Canceled, &Error{Code: CodeUnavailable, Message: "no answer in time; retry"}},
		{"unknown", fmt.Errorf("read kv: %w", errors.New("disk on fire at /var/lib")), &Error{Code: CodeInternal, Message: "internal error"}},
		// The first error of the chain that carries a code wins.
		{"sentinel around refusal", fmt.Errorf("%w: %w", sentinel, refusal), &Error{Code: CodeNotFound, Message: "no such thing"}},
	}
	for _, c := range cases {
		got := ErrorOf(c.err)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("%s: ErrorOf(%v) = %+v, want %+v", c.name, c.err, got, c.want)
		}
	}
	if got := ErrorOf(refusal); got != refusal {
		t.Errorf("ErrorOf(*Error) is not the error itself")
	}
	// What one caller does with the answer does not change the next one's.
	ErrorOf(sentinel).Message = "changed"
	if got := ErrorOf(sentinel).Message; got != "no such thing" {
		t.Errorf("a sentinel's message was changed through ErrorOf: %q", got)
	}
	if got := sentinel.Error(); got != "store: no such thing" {
		t.Errorf("sentinel.Error() = %q, want the operator's text", got)
	}
	var pe *Error
	if errors.As(fmt.Errorf("x: %w", sentinel), &pe) {
		t.Errorf("a sentinel is an *Error; refusals and conditions must stay apart")
	}
	if !errors.Is(fmt.Errorf("x: %w", sentinel), sentinel) || errors.Is(sentinel, NewSentinel(CodeNotFound, "store: no such thing", "no such thing")) {
		t.Errorf("a sentinel is not compared by identity")
	}
}

type codedErr struct{}

func (codedErr) Error() string         { return "import: line 3" }
func (codedErr) ProtocolError() *Error { return Errorf(CodeInvalid, "line 3 is wrong") }

func TestCodeOfStatus(t *testing.T) {
	for status, want := range map[int]Code{
		400: CodeInvalid, 401: CodeUnauthorized, 403: CodeForbidden, 404: CodeNotFound,
		405: CodeInvalid, 409: CodeConflict, 413: CodeFrameTooLarge, 429: CodeRateLimited,
		418: CodeInvalid, 500: CodeInternal, 502: CodeInternal, 503: CodeUnavailable, 200: CodeInternal,
	} {
		if got := CodeOfStatus(status); got != want {
			t.Errorf("CodeOfStatus(%d) = %s, want %s", status, got, want)
		}
		// A code read from a status answers with that status again,
		// except where no code has it.
		if got := CodeOfStatus(status).HTTPStatus(); got != status && status != 405 && status != 418 && status != 502 && status != 200 {
			t.Errorf("CodeOfStatus(%d) answers %d", status, got)
		}
	}
}

// finalClose says which close codes forbid an automatic reconnect.
var finalClose = map[CloseCode]bool{
	CloseNormal:       false,
	CloseGoingAway:    true,
	ClosePolicy:       true,
	CloseTooBig:       false,
	CloseInternal:     false,
	CloseRestart:      false,
	CloseSlowConsumer: false,
	CloseHelloTimeout: false,
	CloseUnauthorized: true,
	CloseRoomEnded:    true,
	CloseRemoved:      true,
	CloseRoomMoved:    false,
	CloseTooManyConns: false,
	CloseUnshared:     true,
}

func TestCloseCodeFinal(t *testing.T) {
	for c, want := range finalClose {
		if got := c.Final(); got != want {
			t.Errorf("close %d: Final() = %v, want %v", c, got, want)
		}
		// RFC 6455: 1000-2999 are the protocol's, 4000-4999 private use;
		// 1005, 1006 and 1015 must never be sent.
		if (c < 1000 || c > 1015 || c == 1005 || c == 1006) && (c < 4000 || c > 4999) {
			t.Errorf("close %d is not a code a server may send", c)
		}
	}
	for _, c := range []CloseCode{0, 1006, 4999, 1002} {
		if c.Final() {
			t.Errorf("close %d: an unknown code must let the client reconnect", c)
		}
	}
}

func TestIDValid(t *testing.T) {
	id := string(roomA)
	cases := map[string]bool{
		id:                                     true,
		"00000000-0000-0000-0000-000000000000": true,
		"ffffffff-ffff-ffff-ffff-ffffffffffff": true,
		"":                                     false,
		strings.ToUpper(id):                    false,
		id[:35] + "E":                          false,
		"4B955EA0-e456-4b43-a44e-e3de91013e9e": false,
		"{" + id + "}":                         false,
		"urn:uuid:" + id:                       false,
		strings.ReplaceAll(id, "-", ""):        false,
		id[:35]:                                false,
		id + "0":                               false,
		id[:35] + "g":                          false,
		" " + id[1:]:                           false,
		id[:35] + "\n":                         false,
		id[:8] + "." + id[9:]:                  false,
		id[:8] + "*" + id[9:]:                  false,
		id[:35] + ">":                          false,
		"4b955ea0e-456-4b43-a44e-e3de91013e9e": false, // hyphens in the wrong places
		"4b955ea0-e456-4b43-a44e-e3de91013e9é": false,
		"roomA":                                false,
	}
	for s, want := range cases {
		if got := RoomID(s).Valid(); got != want {
			t.Errorf("RoomID(%q).Valid() = %v, want %v", s, got, want)
		}
		if got := StudentID(s).Valid(); got != want {
			t.Errorf("StudentID(%q).Valid() = %v, want %v", s, got, want)
		}
		if got := TeacherID(s).Valid(); got != want {
			t.Errorf("TeacherID(%q).Valid() = %v, want %v", s, got, want)
		}
	}
}

func TestNewIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		for _, id := range []string{string(NewRoomID()), string(NewStudentID()), string(NewTeacherID())} {
			if !validUUID(id) {
				t.Fatalf("new ID %q is not valid", id)
			}
			if seen[id] {
				t.Fatalf("new ID %q twice", id)
			}
			seen[id] = true
		}
	}
}

// Subjects are built from validated IDs, so they always have exactly the
// tokens the code expects and never a wildcard.
func TestSubjects(t *testing.T) {
	want := map[string]string{
		"cmd": "classhub.room.4b955ea0-e456-4b43-a44e-e3de91013e9e.cmd",
		"ev":  "classhub.room.4b955ea0-e456-4b43-a44e-e3de91013e9e.ev",
		"log": "classhub.log.3.4b955ea0-e456-4b43-a44e-e3de91013e9e.1f0c5d1e-7c4b-4e8a-9a57-2f1a0b7e4c11",
	}
	if got := CommandSubject(roomA); got != want["cmd"] {
		t.Errorf("CommandSubject = %q", got)
	}
	if got := EventSubject(roomA); got != want["ev"] {
		t.Errorf("EventSubject = %q", got)
	}
	if got := LogSubject(3, roomA, "1f0c5d1e-7c4b-4e8a-9a57-2f1a0b7e4c11"); got != want["log"] {
		t.Errorf("LogSubject = %q", got)
	}
	if got := LogStream(3); got != "CLASSHUB_LOG_3" || !validJetStreamName(got) {
		t.Errorf("LogStream = %q", got)
	}
	if got := LogShardSubjects(3); got != "classhub.log.3.>" {
		t.Errorf("LogShardSubjects = %q", got)
	}
	if got := LegacyStreamName(roomA); got != "ROOM_4b955ea0e4564b43a44ee3de91013e9e" {
		t.Errorf("LegacyStreamName = %q", got)
	}

	streams := map[string]RoomID{}
	ids := []RoomID{roomA, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}
	for range 200 {
		ids = append(ids, NewRoomID())
	}
	for _, r := range ids {
		if !r.Valid() {
			t.Fatalf("%q is not valid", r)
		}
		for _, c := range []struct {
			subj   string
			tokens []string
		}{
			{CommandSubject(r), []string{SubjectPrefix, "room", string(r), "cmd"}},
			{EventSubject(r), []string{SubjectPrefix, "room", string(r), "ev"}},
			{LogSubject(7, r, string(roomA)), []string{SubjectPrefix, "log", "7", string(r), string(roomA)}},
			{LegacyLogSubject(r), []string{SubjectPrefix, "log", string(r)}},
		} {
			if got := strings.Split(c.subj, "."); !reflect.DeepEqual(got, c.tokens) {
				t.Errorf("subject %q has tokens %q, want %q", c.subj, got, c.tokens)
			}
			if !validSubject(c.subj) {
				t.Errorf("subject %q is not a literal NATS subject", c.subj)
			}
		}
		s := LegacyStreamName(r)
		if !validJetStreamName(s) {
			t.Errorf("stream name %q is not a valid JetStream name", s)
		}
		if other, ok := streams[s]; ok && other != r {
			t.Errorf("rooms %s and %s share the stream %s", r, other, s)
		}
		streams[s] = r
	}
	// The room's subjects do not overlap: the log never catches commands
	// or live events, and no subject of one room is another's.
	if strings.HasPrefix(CommandSubject(roomA), SubjectPrefix+".log.") || strings.HasPrefix(EventSubject(roomA), SubjectPrefix+".log.") {
		t.Error("command or event subject inside the log's subject space")
	}
	for _, b := range []string{BucketLeases, BucketSnapshots, BucketRooms, BucketTeachers, BucketConfig, BucketHistory, BucketContent} {
		if !regexp.MustCompile(`^[a-zA-Z0-9_-]+$`).MatchString(b) {
			t.Errorf("bucket %q is not a valid KV bucket name", b)
		}
	}
}

// validSubject: tokens separated by '.', none empty, no wildcard, no
// whitespace or control character.
func validSubject(s string) bool {
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, "*> \t\r\n\x00") {
			return false
		}
	}
	return true
}

// validJetStreamName: the server refuses names with whitespace, '.', '*',
// '>', path separators or non-printable characters; keep to a safe set.
func validJetStreamName(s string) bool {
	return len(s) <= 255 && regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(s)
}

// The wire names of the frames: a renamed field breaks every client.
func TestWireFieldNames(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{ClientFrame{V: 1, ID: "r1", Type: MsgPing, Data: json.RawMessage(`{}`)}, `{"v":1,"id":"r1","type":"ping","data":{}}`},
		{ClientFrame{V: 1, ID: "r1", Type: MsgPing}, `{"v":1,"id":"r1","type":"ping"}`},
		{ServerFrame{V: 1, Type: FrameEvent, Epoch: "e", Seq: 7, Event: EvHand, Time: 9, Data: json.RawMessage(`{}`)},
			`{"v":1,"type":"event","epoch":"e","seq":7,"event":"hand","time":9,"data":{}}`},
		{ServerFrame{V: 1, Type: FrameResult, ID: "r1", Data: json.RawMessage(`{"seq":12}`)}, `{"v":1,"type":"result","id":"r1","data":{"seq":12}}`},
		{ServerFrame{V: 1, Type: FrameError, ID: "r1", Error: Errorf(CodeForbidden, "no")}, `{"v":1,"type":"error","id":"r1","error":{"code":"forbidden","message":"no"}}`},
		{ServerFrame{V: 1, Type: FrameError, Error: Errorf(CodeBadFrame, "no")}, `{"v":1,"type":"error","error":{"code":"bad_frame","message":"no"}}`},
		{Welcome{Role: RoleStudent, Room: roomA, Student: anaID, Name: "Ana", ServerTime: 5, Epoch: "e", Offset: 3, Resumed: true},
			`{"role":"student","room":"` + string(roomA) + `","student":"` + string(anaID) + `","name":"Ana","server_time":5,"epoch":"e","offset":3,"resumed":true}`},
		{Welcome{Role: RoleTeacher, Room: roomA, Epoch: "e", Reason: Errorf(CodeNotRecoverable, "gone"), Snapshot: json.RawMessage(`{}`)},
			`{"role":"teacher","room":"` + string(roomA) + `","server_time":0,"epoch":"e","offset":0,"resumed":false,"reason":{"code":"not_recoverable","message":"gone"},"snapshot":{}}`},
		{Pong{ServerTime: 5}, `{"server_time":5}`},
		{Hello{Token: "t", Room: roomA, Resume: &Resume{Epoch: "e", Offset: 4}}, `{"token":"t","room":"` + string(roomA) + `","resume":{"epoch":"e","offset":4}}`},
		{Event{Seq: 1, Type: EvHand, Time: 2, Audience: Audience{Kind: AudGroup, Group: g1, Members: []StudentID{anaID}}},
			`{"seq":1,"type":"hand","time":2,"aud":{"kind":"group","group":"g1","members":["` + string(anaID) + `"]}}`},
		{RosterEntry{ID: anaID, Name: "Ana", Joined: 1}, `{"id":"` + string(anaID) + `","name":"Ana","online":false,"hand":false,"joined":1}`},
		{ProjectorView{Room: roomA, Title: "t", Status: StatusOpen, Online: 2, Announcements: []Announcement{{Text: "hi"}},
			Stations: []Station{}, Groups: []GroupSummary{}, Activities: []ActivityPushed{}},
			`{"room":"` + string(roomA) + `","title":"t","status":"open","online":2,"announcements":[{"text":"hi"}],"stations":[],"groups":[],"paused":false,"activities":[]}`},
		{StudentView{Room: roomA, Title: "t", Status: StatusOpen, Me: RosterEntry{ID: anaID, Name: "Ana", Joined: 1}, Announcements: []Announcement{},
			Stations: []Station{}, Groups: []GroupSummary{}, Activities: []ActivityPushed{}},
			`{"room":"` + string(roomA) + `","title":"t","status":"open","me":{"id":"` + string(anaID) + `","name":"Ana","online":false,"hand":false,"joined":1},"announcements":[],"stations":[],"groups":[],"paused":false,"activities":[]}`},
		{TeacherView{Room: roomA, Title: "t", Status: StatusOpen, Opened: 1, Students: []RosterEntry{}, Announcements: []Announcement{},
			Stations: []Station{}, Groups: []Group{}, Placements: []Placement{}, Activities: []ActivityPushed{}, Workspaces: []Workspace{}, LateRule: LateSmallest,
			Flags: []Flag{}, Learning: []LearnerSummary{}},
			`{"room":"` + string(roomA) + `","title":"t","status":"open","opened":1,"students":[],"announcements":[],"stations":[],"groups":[],"paused":false,"placements":[],"activities":[],"workspaces":[],"late_rule":"smallest","flags":[],"learning":[]}`},
	} {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%T:\n got %s (%v)\nwant %s", c.v, b, err, c.want)
		}
	}
}

// sameForOwner is reflect.DeepEqual, except that an empty slice and a nil
// one are the same: what the owner of a room gets from a payload that a
// node decoded and encoded again.
func sameForOwner(a, b any) bool {
	return sameValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func sameValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == reflect.TypeFor[json.RawMessage]() {
		// Raw JSON is re-encoded compact, with HTML characters escaped:
		// the owner gets the same value, not the same bytes.
		return sameRawJSON(a.Bytes(), b.Bytes())
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// sameRawJSON: a and b are the same JSON value, numbers compared as
// written, or the same bytes when either is not JSON.
func sameRawJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}
