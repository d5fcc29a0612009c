package rooms

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classhub/classhub/protocol"
)

// CodeAlphabet is the join-code alphabet: no 0/O, no 1/I/L, so that a code
// read aloud or from a projector cannot be mistaken.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLength is the length of a join code: 31^6 ≈ 887 million codes.
const CodeLength = 6

// RoomInfo is the directory entry of a room: what the REST API lists.
type RoomInfo struct {
	ID      protocol.RoomID     `json:"id"`
	Title   string              `json:"title"`
	Teacher protocol.TeacherID  `json:"teacher"`
	Code    string              `json:"code,omitempty"`
	Status  protocol.RoomStatus `json:"status"`
	Created int64               `json:"created"`
	// Ended is when the class ended (Unix ms); 0 while it runs, and for
	// classes ended by releases that did not record it.
	Ended int64 `json:"ended,omitempty"`
	// Roster is the class roster the session was opened with, if any:
	// its students join by picking their name.
	Roster string `json:"roster,omitempty"`
	// OwnerName is the name of the teacher who opened the class (classes
	// opened by releases before co-teaching have none).
	OwnerName string `json:"owner_name,omitempty"`
	// Role is what the teacher who asks is to the class, in their class
	// list and answers about one class: "owner", "co_teacher" or
	// "assistant". It is not stored.
	Role protocol.TeachRole `json:"role,omitempty"`
}

// directory keeps room metadata and the join-code index in a KV bucket:
// "r.<room>" → RoomInfo, "c.<code>" → room ID, "t.<teacher>.<room>" → ""
// (the teacher's rooms).
type directory struct {
	kv jetstream.KeyValue
}

func newCode() (string, error) {
	b := make([]byte, CodeLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(CodeAlphabet))))
		if err != nil {
			return "", err
		}
		b[i] = CodeAlphabet[n.Int64()]
	}
	return string(b), nil
}

// codeSeparators are what a person may type between a code's letters.
// A Replacer builds its tables on first use; one for every join was most
// of what a join allocated.
var codeSeparators = strings.NewReplacer(" ", "", "-", "", "\t", "")

// NormalizeCode upper-cases a typed code and drops spaces and dashes. It
// reports false if what is left cannot be a code.
func NormalizeCode(s string) (string, bool) {
	s = strings.ToUpper(codeSeparators.Replace(s))
	if len(s) != CodeLength {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune(CodeAlphabet, c) {
			return "", false
		}
	}
	return s, true
}

func (d *directory) create(ctx context.Context, info RoomInfo) (RoomInfo, error) {
	for range 10 {
		code, err := newCode()
		if err != nil {
			return info, fmt.Errorf("new join code: %w", err)
		}
		if _, err := d.kv.Create(ctx, "c."+code, []byte(info.ID)); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			return info, fmt.Errorf("reserve join code: %w", err)
		}
		info.Code = code
		break
	}
	if info.Code == "" {
		return info, errors.New("reserve join code: no free code after 10 tries")
	}
	if err := d.put(ctx, info); err != nil {
		_ = d.kv.Delete(ctx, "c."+info.Code)
		return info, err
	}
	if _, err := d.kv.Put(ctx, teacherKey(info), nil); err != nil {
		return info, fmt.Errorf("index room: %w", err)
	}
	return info, nil
}

func (d *directory) put(ctx context.Context, info RoomInfo) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if _, err := d.kv.Put(ctx, "r."+string(info.ID), b); err != nil {
		return fmt.Errorf("store room %s: %w", info.ID, err)
	}
	return nil
}

func (d *directory) get(ctx context.Context, id protocol.RoomID) (RoomInfo, error) {
	var info RoomInfo
	e, err := d.kv.Get(ctx, "r."+string(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return info, ErrNoRoom
	}
	if err != nil {
		return info, fmt.Errorf("load room %s: %w", id, err)
	}
	if err := json.Unmarshal(e.Value(), &info); err != nil {
		return info, fmt.Errorf("load room %s: %w", id, err)
	}
	return info, nil
}

func (d *directory) byCode(ctx context.Context, code string) (RoomInfo, error) {
	e, err := d.kv.Get(ctx, "c."+code)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return RoomInfo{}, ErrNoRoom
	}
	if err != nil {
		return RoomInfo{}, fmt.Errorf("look up code: %w", err)
	}
	return d.get(ctx, protocol.RoomID(e.Value()))
}

// end marks the room ended at the time at and voids its code.
func (d *directory) end(ctx context.Context, id protocol.RoomID, at int64) error {
	info, err := d.get(ctx, id)
	if err != nil {
		return err
	}
	if info.Code != "" {
		if err := d.kv.Delete(ctx, "c."+info.Code); err != nil {
			return fmt.Errorf("void code of room %s: %w", id, err)
		}
	}
	info.Status, info.Ended = protocol.StatusEnded, at
	return d.put(ctx, info)
}

// teacherKey indexes a room under its teacher, newest first when sorted
// the other way: "t.<teacher>.<created, 13 digits>.<room>". Listing a
// page reads the index keys (small) and only the page's rooms.
func teacherKey(info RoomInfo) string {
	return fmt.Sprintf("t.%s.%013d.%s", info.Teacher, max(info.Created, 0), info.ID)
}

// Page asks for part of a teacher's class list, newest first: at most
// Limit classes (default 50, at most 500) created before the cursor
// Before (from the previous page's Next; empty for the first page).
type Page struct {
	Before string
	Limit  int
}

// list returns a page of a teacher's rooms, newest first, and the cursor
// of the next page ("" when this is the last): the classes they opened
// and those shared with them, in one order.
func (d *directory) list(ctx context.Context, teacher protocol.TeacherID, page Page) ([]RoomInfo, string, error) {
	if page.Limit <= 0 {
		page.Limit = 50
	}
	page.Limit = min(page.Limit, 500)
	type entry struct {
		key    string // "<created>.<room>"
		shared bool
	}
	var keys []entry
	prefix := "t." + string(teacher) + "."
	lister, err := d.kv.ListKeysFiltered(ctx, prefix+">", "s."+string(teacher)+".>")
	if err != nil {
		return nil, "", fmt.Errorf("list rooms: %w", err)
	}
	for key := range lister.Keys() {
		if rest, ok := strings.CutPrefix(key, "s."+string(teacher)+"."); ok {
			keys = append(keys, entry{rest, true})
			continue
		}
		rest := strings.TrimPrefix(key, prefix)
		if !strings.Contains(rest, ".") {
			// The index of earlier releases: the room alone. Indexed
			// again with its time, once.
			info, err := d.get(ctx, protocol.RoomID(rest))
			if err != nil {
				continue
			}
			if _, err := d.kv.Put(ctx, teacherKey(info), nil); err == nil {
				_ = d.kv.Delete(ctx, key)
			}
			rest = strings.TrimPrefix(teacherKey(info), prefix)
		}
		keys = append(keys, entry{rest, false})
	}
	slices.SortFunc(keys, func(a, b entry) int { return strings.Compare(b.key, a.key) })
	if page.Before != "" {
		i, _ := slices.BinarySearchFunc(keys, page.Before, func(k entry, b string) int { return strings.Compare(b, k.key) })
		if i < len(keys) && keys[i].key == page.Before {
			i++
		}
		keys = keys[i:]
	}
	out := []RoomInfo{}
	next := ""
	for i, k := range keys {
		if len(out) == page.Limit {
			next = keys[i-1].key
			break
		}
		_, room, _ := strings.Cut(k.key, ".")
		info, err := d.get(ctx, protocol.RoomID(room))
		if err != nil {
			continue // an index entry whose room was removed
		}
		info.Role = protocol.TeachOwner
		if k.shared {
			e, err := d.kv.Get(ctx, "s."+string(teacher)+"."+k.key)
			if err != nil {
				continue // the share ended meanwhile
			}
			info.Role = protocol.TeachRole(e.Value())
		}
		out = append(out, info)
	}
	return out, next, nil
}

func nowMillis(now func() time.Time) int64 { return now().UnixMilli() }

// setCoach records whether coach still coaches a group of room, so that a
// coach can find the classes they follow: "k.<coach>.<room>" → "".
func (d *directory) setCoach(ctx context.Context, room protocol.RoomID, coach protocol.CoachID, all []protocol.CoachID) error {
	key := "k." + string(coach) + "." + string(room)
	if slices.Contains(all, coach) {
		_, err := d.kv.Put(ctx, key, nil)
		return err
	}
	err := d.kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

func (d *directory) coachRooms(ctx context.Context, coach protocol.CoachID) ([]RoomInfo, error) {
	prefix := "k." + string(coach) + "."
	lister, err := d.kv.ListKeysFiltered(ctx, prefix+"*")
	if err != nil {
		return nil, fmt.Errorf("list rooms of coach: %w", err)
	}
	out := []RoomInfo{}
	for key := range lister.Keys() {
		info, err := d.get(ctx, protocol.RoomID(strings.TrimPrefix(key, prefix)))
		if err != nil || info.Status != protocol.StatusOpen {
			continue
		}
		info.Code = "" // the join code is for students, from the teacher
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b RoomInfo) int { return int(b.Created - a.Created) })
	return out, nil
}
