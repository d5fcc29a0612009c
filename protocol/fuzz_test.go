package protocol

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func knownCode(c Code) bool {
	for _, k := range allCodes {
		if k == c {
			return true
		}
	}
	return false
}

// FuzzDecodeClientFrame: any bytes give a frame or a documented error,
// never a panic; what decodes re-encodes to the same frame.
func FuzzDecodeClientFrame(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"id":"r1","type":"ping","data":{}}`,
		`{"v":1,"id":"h","type":"hello","data":{"token":"t","resume":{"epoch":"e","offset":3}}}`,
		`{"v":1,"id":"a","type":"announce","data":{"text":"hi"}}`,
		`{"v":2}`, `[]`, `{"id":"x"`, "", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeClientFrame(b)
		if len(fr.ID) > MaxRequestID {
			t.Fatalf("id of %d bytes", len(fr.ID))
		}
		if err != nil {
			if !knownCode(err.Code) || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if !utf8.Valid(b) || fr.V != Version || fr.ID == "" {
			t.Fatalf("accepted %q as %+v", b, fr)
		}
		re, _ := json.Marshal(fr)
		again, err := DecodeClientFrame(re)
		if err != nil || again.ID != fr.ID || again.Type != fr.Type {
			t.Fatalf("re-encoded %s: %+v %v", re, again, err)
		}
		_, _ = DecodePayload(fr.Type, fr.Data)
	})
}

// FuzzDecodePayload: the data of every message type.
func FuzzDecodePayload(f *testing.F) {
	types := MsgTypes()
	for i, s := range []string{`{}`, `{"text":"hi","to":"x"}`, `{"note":"n"}`, `{"token":"t"}`, `null`, `{"student":1}`} {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := types[int(which)%len(types)]
		v, err := DecodePayload(typ, data)
		if err != nil {
			if !knownCode(err.Code) || err.Message == "" {
				t.Fatalf("error %+v", err)
			}
			return
		}
		if v == nil {
			t.Fatal("no value and no error")
		}
		// What was accepted is valid when encoded and decoded again.
		re, _ := json.Marshal(v)
		if _, err := DecodePayload(typ, re); err != nil {
			t.Fatalf("%s: accepted %q, refused its re-encoding %s: %v", typ, data, re, err)
		}
	})
}

// FuzzCheckText: accepted text is valid UTF-8 within its limits.
func FuzzCheckText(f *testing.F) {
	f.Add("Olivia", 1, 40, false)
	f.Add("two\nlines", 1, 500, true)
	f.Fuzz(func(t *testing.T, s string, lo, hi int, multi bool) {
		if err := CheckText("f", s, lo, hi, multi); err == nil {
			n := utf8.RuneCountInString(s)
			if !utf8.ValidString(s) || n < lo || n > hi {
				t.Fatalf("accepted %q (%d runes) for [%d,%d]", s, n, lo, hi)
			}
		}
	})
}

// FuzzEvent: events and commands from other nodes decode without panics
// and their audience decides without panics.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"seq":1,"type":"hand","time":1,"aud":{"kind":"student","student":"s"},"data":{}}`))
	f.Add([]byte(`{"room":"r","type":"announce","actor":{"role":"teacher"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if json.Unmarshal(b, &ev) == nil {
			for _, v := range []Viewer{{Role: RoleTeacher}, {Role: RoleStudent, Student: "s"}, {Role: RoleCoach, Groups: []GroupID{"g"}}, {Role: RoleProjector}} {
				_ = ev.Audience.Allows(v)
			}
		}
		var c Command
		if json.Unmarshal(b, &c) == nil {
			_ = c.Actor.Viewer()
		}
	})
}
