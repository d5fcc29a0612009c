package grouping

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/classhub/classhub/protocol"
)

// bytesReader hands out the bytes of a fuzz input, then zeros.
type bytesReader struct{ b []byte }

func (r *bytesReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	x := r.b[0]
	r.b = r.b[1:]
	return int(x)
}

// decodeCase turns a few bytes into a roster, a request and recent pairs,
// and says whether the request is malformed.
func decodeCase(data []byte) (st []Student, req protocol.GroupingRequest, recent []Pair, malformed bool) {
	r := &bytesReader{data}
	n := r.next() % 25
	names := []string{"Ana", "Ben", "Ana", "Cara", "", "Dev; Jr"}
	interests := []string{"", "rock", "Rock ", "chess", "space"}
	for i := range n {
		lv, iv, flags := r.next(), r.next(), r.next()
		level := float64(lv-30) / 225
		switch lv {
		case 254:
			level = math.NaN()
		case 255:
			level = 1.5
		}
		st = append(st, Student{
			ID:       id(i),
			Name:     names[flags%len(names)],
			Level:    level,
			Interest: interests[iv%len(interests)],
			Choice:   interests[(iv/8)%len(interests)],
			Present:  flags>>5 != 0,
		})
	}
	if n > 0 && r.next() == 7 {
		st = append(st, Student{ID: st[0].ID, Name: "again", Present: true})
		malformed = true
	}

	all := append(slices.Clone(methods), "teams")
	req.Method = all[r.next()%len(all)]
	malformed = malformed || !req.Method.Valid()
	switch x, k := r.next(), r.next()%7; x % 4 {
	case 0, 1:
		req.Size = k
		malformed = malformed || k == 0
	case 2:
		req.Count = k
		malformed = malformed || k == 0
	default:
		req.Size, req.Count = 1+k, 1+r.next()%3
		malformed = true
	}
	req.Min = r.next()%7 - 1
	req.Max = r.next()%9 - 1
	malformed = malformed || req.Min < 0 || req.Max < 0 || req.Min > 0 && req.Max > 0 && req.Min > req.Max
	req.Seed = int64(r.next()<<8|r.next()) - 1000
	flags := r.next()
	req.AvoidRecent = flags&1 != 0
	req.IncludeAbsent = flags&2 != 0

	pick := func() protocol.StudentID {
		k := r.next() % (n + 1)
		if k == n {
			if n > 0 && r.next()%4 != 0 {
				return id(0)
			}
			malformed = true
			return "not-in-class"
		}
		return id(k)
	}
	for range r.next() % 6 {
		head := r.next()
		l := make([]protocol.StudentID, 1+(head>>1)%4)
		for i := range l {
			l[i] = pick()
		}
		if head&1 == 0 {
			req.Together = append(req.Together, l)
		} else {
			req.Apart = append(req.Apart, l)
		}
	}
	for range r.next() % 8 {
		if n == 0 {
			break
		}
		recent = append(recent, Pair{id(r.next() % n), id(r.next() % (n + 1))})
	}
	return st, req, recent, malformed
}

// FuzzPropose: any roster and request give a proposal that keeps every
// promise, or an invalid error exactly when the request is malformed, or
// an infeasible error with reasons; never a panic.
func FuzzPropose(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{6, 100, 1, 200, 150, 2, 201, 30, 3, 202, 10, 4, 203, 250, 1, 204, 0, 2, 205, 0, 2, 0, 2, 0, 0, 0, 3, 1, 3, 0, 1, 3, 1, 2})
	f.Add([]byte{12, 40, 1, 32, 60, 2, 33, 80, 3, 34, 100, 4, 35, 120, 1, 36, 140, 2, 37, 160, 3, 38,
		180, 4, 39, 200, 1, 40, 220, 2, 41, 254, 3, 42, 255, 4, 43, 0, 5, 2, 3, 0, 4, 1, 1, 2, 2, 6, 0, 1, 2, 5, 7, 8, 2, 9})
	f.Add([]byte{20, 1, 1, 255, 2, 2, 255, 3, 3, 255, 4, 4, 255, 5, 5, 255, 6, 6, 255, 7, 7, 255, 8, 8, 255, 9, 9, 255,
		10, 10, 255, 11, 11, 255, 12, 12, 255, 13, 13, 255, 14, 14, 255, 15, 15, 255, 16, 16, 255, 17, 17, 255,
		18, 18, 255, 19, 19, 255, 20, 20, 255, 0, 5, 2, 4, 0, 3, 9, 9, 3, 5, 7, 0, 1, 2, 3, 5, 4, 5, 6, 7, 1, 8, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		st, req, recent, malformed := decodeCase(data)
		res, err := Propose(st, req, recent)
		if err != nil {
			switch c := code(err); {
			case c == protocol.CodeInvalid && malformed:
			case c == protocol.CodeInfeasible && !malformed:
				for _, r := range Reasons(err) {
					if r == "" || strings.Contains(r, ";") {
						t.Fatalf("reason %q of %v", r, err)
					}
				}
			default:
				t.Fatalf("%+v on %d students (malformed %v): %v", req, len(st), malformed, err)
			}
			return
		}
		if malformed {
			t.Fatalf("%+v on %d students: accepted a malformed request", req, len(st))
		}
		if bad := violations(st, req, recent, res); len(bad) > 0 {
			t.Fatalf("%+v on %d students:\n%s", req, len(st), strings.Join(bad, "\n"))
		}
		rev := slices.Clone(st)
		slices.Reverse(rev)
		if again, err := Propose(rev, req, recent); err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("the roster's order changed the proposal")
		}
	})
}
