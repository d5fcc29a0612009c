package protocol

import "testing"

// A target named with nothing but empty strings is refused, never taken
// for the whole class; left out or null, it is the whole class.
func TestEmptyTargetRefused(t *testing.T) {
	const olivia = "67e7036b-49c9-4c4d-b326-834a6a42fd97"
	for _, c := range []struct {
		typ  MsgType
		data string
		ok   bool
	}{
		{MsgAnnounce, `{"text":"hi"}`, true},
		{MsgAnnounce, `{"text":"hi","to":null}`, true},
		{MsgAnnounce, `{"text":"hi","to":"` + olivia + `"}`, true},
		{MsgAnnounce, `{"text":"hi","to":""}`, false},
		{MsgAnnounce, `{"text":"hi","group":""}`, false},
		{MsgAnnounce, `{"text":"hi","station":""}`, false},
		{MsgAnnounce, `{"text":"hi", "to" : ""}`, false},
		// Quotes inside a text are not an empty field, and do not hide one.
		{MsgAnnounce, `{"text":"say \"\""}`, true},
		{MsgAnnounce, `{"text":"say \"hi\""}`, true},
		{MsgAnnounce, `{"text":"say \"\"","to":""}`, false},
		{MsgPushActivity, `{"activity":{"title":"Read"},"to":{}}`, true},
		{MsgPushActivity, `{"activity":{"title":"Read"}}`, true},
		{MsgPushActivity, `{"activity":{"title":"Read"},"to":{"student":""}}`, false},
		{MsgPushActivity, `{"activity":{"title":"Read"},"to":{"group":""}}`, false},
		{MsgAssignPractice, `{"set":{"bank":"b","set":"s"},"to":{"station":""}}`, false},
		{MsgAssignPractice, `{"set":{"bank":"b","set":"s"},"to":{"student":"` + olivia + `"}}`, true},
		{MsgClosePractice, `{"to":{"student":""}}`, false},
		{MsgClosePractice, `{}`, true},
		// Beside a field that names the target, an empty one changes
		// nothing.
		{MsgPushActivity, `{"activity":{"title":"Read"},"to":{"student":"` + olivia + `","group":""}}`, true},
		{MsgAnnounce, `{"text":"hi","to":"` + olivia + `","group":""}`, true},
	} {
		_, e := DecodePayload(c.typ, []byte(c.data))
		if c.ok && e != nil {
			t.Errorf("%s %s: refused: %v", c.typ, c.data, e)
		}
		if !c.ok && (e == nil || e.Code != CodeInvalid) {
			t.Errorf("%s %s: %v, want invalid", c.typ, c.data, e)
		}
	}
}
