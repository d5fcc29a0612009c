package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms/detect"
	"github.com/classhub/classhub/rooms/detect/tutorlog"
	"github.com/classhub/classhub/rooms/mastery"
)

const replayUsage = `usage: classhub replay [flags] FILE...
Replays a tutor's log through what a classhub room runs (the learner record,
mastery, the detectors and the flag policy) and measures the flags against
what the students did next, beside the raw published rules on the same
attempts. The files are the parts of one log, all in one format:
DataShop transaction and student-step exports and the KDD Cup 2010 step
format are known by their header; ASSISTments skill-builder sequences need --format assist and
--pace. docs/DETECTORS.md says what each figure means.

Flags:
`

// replayCmd runs "classhub replay".
func replayCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classhub replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "the log's format: datashop, step (DataShop student-step), kdd or assist (default: from the header)")
	sample := fs.String("sample", "", "the DataShop sample to read, from an export of several (which writes an action in two samples twice)")
	dates := fs.String("dates", "", `the order of dates written with slashes, as a spreadsheet writes them: mdy (1/13/2020) or dmy (13/1/2020); such dates are refused without it`)
	kc := fs.String("kc", "", `the knowledge-component model to read, as named in its column ("Default" for "KC (Default)"); needed when the log has several`)
	gap := fs.Duration("gap", time.Duration(detect.DefaultGap)*time.Millisecond, "a pause in a student's actions this long ends a class period")
	pace := fs.Duration("pace", 0, "for a log without times (assist): the time one answer takes")
	thresholds := fs.String("thresholds", "", "a JSON file with detector thresholds, as for serve (docs/DETECTORS.md); fields left out keep the defaults")
	bkt := fs.String("bkt", "", "the knowledge model's parameters L0,T,G,S,mastered for every skill (default: mastery's defaults)")
	attend := fs.Duration("attend", 0, "a model teacher resolves each act-now flag this long after it reached act now, freeing its slot of the act-now budget (default: nobody resolves a flag)")
	lines := fs.String("lines", "", `write one JSON line per first attempt, with the flags open before it, to this file ("-": standard output)`)
	summary := fs.String("summary", "", "write the summary as JSON to this file")
	fs.Usage = func() {
		fmt.Fprint(stderr, replayUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("replay: name the log's files (classhub replay FILE...)")
	}
	th := detect.DefaultThresholds()
	if t, err := loadThresholds(*thresholds); err != nil {
		return fmt.Errorf("replay: %w", err)
	} else if t != nil {
		th = *t
	}
	params := mastery.Default
	if *bkt != "" {
		var err error
		if params, err = parseBKT(*bkt); err != nil {
			return fmt.Errorf("replay: --bkt: %w", err)
		}
	}
	if *gap <= 0 {
		return errors.New("replay: --gap must be above 0")
	}
	var acts []detect.LogAction
	var report strings.Builder
	noSkill := 0
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		f := *format
		if f == "" {
			if f, err = tutorlog.Detect(name, data); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
		}
		log, err := tutorlog.Read(f, name, data, tutorlog.Options{Model: *kc, Pace: pace.Milliseconds(), Start: 1_700_000_000_000, Dates: *dates, Sample: *sample})
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&report, "- `%s`: %s, sha256 %s", name, log.Format, hex.EncodeToString(sum[:]))
		if log.Model != "" {
			fmt.Fprintf(&report, ", knowledge components of the model %q", log.Model)
		}
		fmt.Fprintf(&report, ", %d actions\n", len(log.Actions))
		noSkill += log.NoSkill
		for _, why := range slices.Sorted(maps.Keys(log.Left)) {
			fmt.Fprintf(&report, "  - %d rows left out: %s\n", log.Left[why], why)
		}
		if log.Coarse > 0 {
			fmt.Fprintf(&report, "  - %d rows timed to the minute only: the actions of one minute keep their order in the file\n", log.Coarse)
		}
		for _, a := range log.Actions {
			acts = append(acts, detect.LogAction{
				Student: protocol.StudentID(a.Student), At: a.At, Hint: a.Hint, Correct: a.Correct,
				Item: protocol.ItemID(a.Problem), Step: a.Step, Skill: protocol.SkillID(a.Skill),
				Again: a.Attempt > 1, Line: a.Line,
			})
		}
	}
	var out *bufio.Writer
	md := stdout
	switch *lines {
	case "":
	case "-":
		out, md = bufio.NewWriter(stdout), stderr
	default:
		f, err := os.Create(*lines)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		defer f.Close()
		out = bufio.NewWriter(f)
	}
	var line func(detect.FirstAttempt) error
	if out != nil {
		enc := json.NewEncoder(out)
		line = func(fa detect.FirstAttempt) error {
			fa.Step = tutorlog.StepName(fa.Step)
			return enc.Encode(fa)
		}
	}
	if *attend < 0 {
		return errors.New("replay: --attend must be 0 or more")
	}
	sum, err := detect.Audit(acts, detect.AuditConfig{Thresholds: th, Params: params, Gap: gap.Milliseconds(), Attend: attend.Milliseconds()}, line)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if out != nil {
		if err := out.Flush(); err != nil {
			return fmt.Errorf("replay: lines: %w", err)
		}
	}
	if *summary != "" {
		b, err := json.MarshalIndent(jsonSafe(sum), "", "  ")
		if err != nil {
			return fmt.Errorf("replay: summary: %w", err)
		}
		if err := os.WriteFile(*summary, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	fmt.Fprintf(md, "classhub replay %s\n\n%s", strings.Join(args, " "), report.String())
	if noSkill > 0 {
		fmt.Fprintf(md, "- %d rows left out: their step has no knowledge component in the model read\n", noSkill)
	}
	fmt.Fprint(md, "\n"+replayTable(sum, *gap))
	fmt.Fprintf(md, "Act-now budget %d a class (act_now_budget): %d flags waited for a slot, %d of them rose to act now later; %d act-now flags resolved by the model teacher (--attend %s).\n",
		th.ActNowBudget, sum.Held, sum.Risen, sum.Resolved, *attend)
	return nil
}

// parseBKT reads L0,T,G,S,mastered.
func parseBKT(s string) (mastery.Params, error) {
	var p mastery.Params
	if n, err := fmt.Sscanf(s, "%g,%g,%g,%g,%g", &p.L0, &p.T, &p.G, &p.S, &p.Mastered); err != nil || n != 5 {
		return p, fmt.Errorf("%q: want five numbers L0,T,G,S,mastered, such as 0.25,0.2,0.2,0.1,0.95", s)
	}
	return p, p.Validate()
}

// jsonSafe replaces the NaNs of a summary (a figure with nothing to
// measure) by -1, which JSON can carry.
func jsonSafe(s detect.AuditSummary) detect.AuditSummary {
	for _, f := range []*detect.Figures{&s.Flags, &s.ActNow, &s.Raw} {
		for _, v := range []*float64{&f.Lift, &f.AlertRate, &f.Early} {
			if math.IsNaN(*v) {
				*v = -1
			}
		}
	}
	if math.IsNaN(s.UpdateRate) {
		s.UpdateRate = -1
	}
	return s
}

// replayTable writes the summary as the Markdown of docs/DETECTORS.md.
func replayTable(s detect.AuditSummary, gap time.Duration) string {
	var b strings.Builder
	pct := func(n, of int) string {
		if of == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f %% (%d of %d)", 100*float64(n)/float64(of), n, of)
	}
	num := func(v float64, format string) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf(format, v)
	}
	fmt.Fprintf(&b, "%d students, %d class periods (a pause of %s ends one), %d classes, %.0f student-minutes; %d actions, %d first attempts, %s wrong.\n\n",
		s.Students, s.Periods, gap, s.Classes, s.StudentMinutes, s.Actions, s.FirstAttempts, pct(s.Wrong, s.FirstAttempts))
	b.WriteString("| | lift of \"next first attempt on this skill is wrong\" when flagged (first attempts flagged) | alerts per 30 students per 45 min | wheel-spinning pairs flagged before their 10th opportunity | pairs that mastered within 10, flagged before they did |\n")
	b.WriteString("|---|---:|---:|---:|---:|\n")
	for _, r := range []struct {
		name string
		f    detect.Figures
	}{{"raw published rules", s.Raw}, {"classhub, any flag (watch or act now)", s.Flags}, {"classhub, act now", s.ActNow}} {
		fmt.Fprintf(&b, "| %s | %s (%d) | %s | %s | %s |\n", r.name, num(r.f.Lift, "%.2f"), r.f.Flagged, num(r.f.AlertRate, "%.1f"),
			pct(r.f.Warned, s.WheelPairs), pct(r.f.MasteredWarned, s.MasteredPairs))
	}
	b.WriteString("\n| rule | flags opened | act-now alerts | raw alerts |\n|---|---:|---:|---:|\n")
	rules := []protocol.FlagRule{protocol.RuleHelp, protocol.RulePrereqGap, protocol.RuleStuck, protocol.RuleStruggle, protocol.RuleGaming, protocol.RuleIdle, protocol.RuleDoingWell}
	for r := range s.Rules {
		if !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	for _, r := range rules {
		var rc detect.RuleCount
		if c := s.Rules[r]; c != nil {
			rc = *c
		}
		raw := "–"
		if r == protocol.RuleStruggle || r == protocol.RuleStuck {
			raw = fmt.Sprint(s.RawRules[r])
		}
		if rc == (detect.RuleCount{}) && raw == "–" {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", r, rc.Opened, rc.ActNow, raw)
	}
	fmt.Fprintf(&b, "\nFlag changes a console gets: %d opened, %d updates (%d of them doing-well suggestions), %d escalations, %d clears; updates per 30 students per 45 min: %s. Class-level notices (many students idle at once): %d.\n",
		s.Opened, s.Updates, s.WellUpdates, s.Escalations, s.Clears, num(s.UpdateRate, "%.0f"), s.ClassNotices)
	return b.String()
}
