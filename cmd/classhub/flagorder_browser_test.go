package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
)

// The console orders the help queue itself, from the flags it holds, as
// the flags change under it. Its order is the server's (detect.Queue):
// for random sets of flags of every level, status, wait and rise, the
// page's FlagBook puts them in the same order, so that the teacher sees
// the student the server would send them to first at the top.
func TestBrowserQueueOrderIsTheServers(t *testing.T) {
	s := startServer(t, t.TempDir())
	b := browser(t)
	page := newTab(t, b, "console")
	page.do("the console's page", chromedp.Navigate(s.url+"/teacher"))

	rng := rand.New(rand.NewPCG(11, 3))
	const now = int64(1_800_000_000_000)
	levels := []protocol.FlagLevel{protocol.LevelActNow, protocol.LevelWatch, protocol.LevelInfo}
	statuses := []protocol.FlagStatus{protocol.FlagOpen, protocol.FlagAcked, protocol.FlagSnoozed, protocol.FlagResolved, protocol.FlagCleared}
	type set struct {
		Flags []protocol.Flag `json:"flags"`
		Want  []string        `json:"want"`
	}
	var sets []set
	for range 300 {
		var fs []protocol.Flag
		for i := range 1 + rng.IntN(12) {
			f := protocol.Flag{
				ID:      protocol.FlagID(fmt.Sprintf("f%02d", rng.IntN(40))),
				Student: protocol.StudentID(fmt.Sprintf("s%d", i)),
				Rule:    protocol.RuleStruggle,
				Level:   levels[rng.IntN(len(levels))],
				Status:  statuses[rng.IntN(len(statuses))],
				// Few distinct values, so that ties are common and every
				// key of the order is used.
				Need:   float64(rng.IntN(4)) / 4,
				Opened: now - int64(rng.IntN(4))*5*60*1000,
			}
			if f.Status == protocol.FlagSnoozed {
				f.Snooze = now + int64(rng.IntN(3)-1)*60*1000
			}
			switch rng.IntN(3) {
			case 0:
				f.Waiting = true
			case 1:
				f.Rising = now - 60*1000
			}
			if slices.ContainsFunc(fs, func(g protocol.Flag) bool { return g.ID == f.ID }) {
				continue // one flag per ID, as a class holds them
			}
			fs = append(fs, f)
		}
		var want []string
		for _, f := range detect.Queue(fs, now) {
			want = append(want, string(f.ID))
		}
		sets = append(sets, set{Flags: fs, Want: want})
	}
	js, err := json.Marshal(sets)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(page.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](fmt.Sprintf(`import("/flags.js").then((m) => %s.map((s) => {
		const book = new m.FlagBook();
		book.load(s.flags);
		return book.queue(%d).map((f) => f.id);
	}))`, js, now), chromedp.EvalAwaitPromise))
	if err != nil {
		page.fail("order the flags in the page: %v", err)
	}
	var got [][]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("the page's orders: %v (%.200s)", err, raw)
	}
	if len(got) != len(sets) {
		t.Fatalf("the page ordered %d sets of %d", len(got), len(sets))
	}
	for i, s := range sets {
		if !slices.Equal(got[i], s.Want) && !(len(got[i]) == 0 && len(s.Want) == 0) {
			fj, _ := json.MarshalIndent(s.Flags, "", " ")
			t.Fatalf("set %d: the console orders %v, the server %v; the flags:\n%s", i, got[i], s.Want, fj)
		}
	}
}
