package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
)

// targetFields are, for the messages sent to a target, the fields that
// name one: all left out (or null) they mean the whole class. An empty
// string there, with no other field naming the target, is not a way of
// leaving them out but a client that lost the ID it meant to send: taken
// for the whole class, what was meant for one student would reach
// everyone. It is refused instead. (An empty string beside a field that
// names the target changes nothing, and is accepted.)
var targetFields = map[MsgType][][]string{
	MsgAnnounce:       {{"to"}, {"group"}, {"station"}},
	MsgPushActivity:   {{"to", "student"}, {"to", "group"}, {"to", "station"}},
	MsgAssignPractice: {{"to", "student"}, {"to", "group"}, {"to", "station"}},
	MsgClosePractice:  {{"to", "student"}, {"to", "group"}, {"to", "station"}},
}

var emptyString = []byte(`""`)

// refuseEmptyTargets answers invalid when data names its target with
// nothing but empty strings. data has been read as the message's struct
// already, so it is a JSON object.
func refuseEmptyTargets(t MsgType, data json.RawMessage) *Error {
	paths := targetFields[t]
	// An empty string is the two bytes "" in the text; without them no
	// field is empty, and data need not be read again.
	if len(paths) == 0 || !bytes.Contains(data, emptyString) {
		return nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	empty := ""
	for _, p := range paths {
		raw, ok := top[p[0]]
		if ok && len(p) == 2 {
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) != nil {
				continue
			}
			raw, ok = inner[p[1]]
		}
		switch {
		case !ok || string(raw) == "null":
		case string(raw) == `""`:
			if empty == "" {
				empty = string(t) + "." + strings.Join(p, ".")
			}
		default:
			return nil // the target is named
		}
	}
	if empty != "" {
		return Errorf(CodeInvalid, "%s is empty: name the target, or leave it out for the whole class", empty)
	}
	return nil
}
