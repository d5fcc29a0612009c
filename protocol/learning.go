package protocol

// The wire types of learning: items served to students, their answers,
// mastery, and the flags that tell a teacher a student needs a human.

// SkillID names a skill (a knowledge component) within a content bank:
// lower-case letters, digits, '.', '-' and '_', 1 to 64 bytes.
type SkillID string

// ItemID names an item within a content bank, like SkillID.
type ItemID string

// BankID names a content bank, like SkillID.
type BankID string

// FlagID names one flag of a room: a UUID.
type FlagID string

// Valid reports whether id is a canonical UUID.
func (id FlagID) Valid() bool { return validUUID(string(id)) }

// Valid reports whether id is a well-formed content name.
func (id SkillID) Valid() bool { return validName(string(id)) }

// Valid reports whether id is a well-formed content name.
func (id ItemID) Valid() bool { return validName(string(id)) }

// Valid reports whether id is a well-formed content name.
func (id BankID) Valid() bool { return validName(string(id)) }

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// ItemKind is how an item is answered.
type ItemKind string

// Item kinds.
const (
	ItemChoice  ItemKind = "choice"  // pick one of Choices
	ItemNumeric ItemKind = "numeric" // a number, graded with a tolerance
	ItemText    ItemKind = "text"    // a short text, graded against accepted answers
)

// ItemView is an item as a student sees it: never its answer.
type ItemView struct {
	ID      ItemID   `json:"id"`
	Skill   SkillID  `json:"skill"`
	Kind    ItemKind `json:"kind"`
	Prompt  string   `json:"prompt"`
	Choices []string `json:"choices,omitempty"`
	Unit    string   `json:"unit,omitempty"`   // numeric: the unit the answer is in
	Hints   int      `json:"hints"`            // how many hints there are
	Reason  string   `json:"reason,omitempty"` // why this item now: "a similar problem", "checking that it stuck"
}

// SkillMastery is one skill's estimated mastery, 0 to 1.
type SkillMastery struct {
	Skill    SkillID `json:"skill"`
	Name     string  `json:"name,omitempty"`
	P        float64 `json:"p"`
	Mastered bool    `json:"mastered"`
}

// FlagRule names a detector.
type FlagRule string

// Detector rules; docs/DETECTORS.md gives each rule, its thresholds and
// its source.
const (
	RuleIdle      FlagRule = "idle"       // no action for a while with an activity open
	RuleStruggle  FlagRule = "struggle"   // few correct among the recent attempts
	RuleStuck     FlagRule = "stuck"      // many first attempts on a skill without mastery (wheel-spinning)
	RulePrereqGap FlagRule = "prereq_gap" // low mastery on a prerequisite of the skill practised
	RuleGaming    FlagRule = "gaming"     // hint abuse or rapid guessing
	RuleHelp      FlagRule = "help"       // the student asked for help
	RuleDoingWell FlagRule = "doing_well" // ready for enrichment: a suggestion, not an alarm
)

// FlagLevel says how urgent a flag is.
type FlagLevel string

// Flag levels.
const (
	LevelInfo   FlagLevel = "info"    // worth knowing (doing well)
	LevelWatch  FlagLevel = "watch"   // keep an eye on it
	LevelActNow FlagLevel = "act_now" // a human is needed now
)

// FlagStatus is where a flag is in its life.
type FlagStatus string

// Flag statuses.
const (
	FlagOpen     FlagStatus = "open"
	FlagAcked    FlagStatus = "acked"    // a teacher has seen it
	FlagSnoozed  FlagStatus = "snoozed"  // hidden until Snooze
	FlagResolved FlagStatus = "resolved" // closed by a teacher
	FlagCleared  FlagStatus = "cleared"  // closed by itself: the condition went away
)

// AttemptSummary is one recent attempt, as evidence of a flag.
type AttemptSummary struct {
	Item     ItemID  `json:"item"`
	Skill    SkillID `json:"skill"`
	Response string  `json:"response"`
	Correct  bool    `json:"correct"`
	Hint     bool    `json:"hint,omitempty"` // a hint asked for before any answer: a wrong first attempt
	Hints    int     `json:"hints,omitempty"`
	Ms       int64   `json:"ms"` // time taken
	At       int64   `json:"at"`
}

// Evidence is why a flag was raised.
type Evidence struct {
	Summary   string           `json:"summary"` // one sentence for the teacher
	Attempts  []AttemptSummary `json:"attempts,omitempty"`
	LowSkills []SkillMastery   `json:"low_skills,omitempty"` // lowest mastery first
	Since     int64            `json:"since"`                // when the condition began
}

// Help is what the teacher can send in one action.
type Help struct {
	Skill  SkillID  `json:"skill,omitempty"`
	Title  string   `json:"title,omitempty"` // the supplemental lesson
	Items  []ItemID `json:"items,omitempty"` // its practice problems
	Advice string   `json:"advice,omitempty"`
}

// Flag tells the teachers (and the student's group's coach) that a student
// needs attention. One flag per student and rule is open at a time; it is
// updated and escalated rather than repeated. Never sent to students or
// the projector.
type Flag struct {
	ID      FlagID     `json:"id"`
	Student StudentID  `json:"student"`
	Name    string     `json:"name"`
	Rule    FlagRule   `json:"rule"`
	Level   FlagLevel  `json:"level"`
	Status  FlagStatus `json:"status"`
	Skill   SkillID    `json:"skill,omitempty"`
	Opened  int64      `json:"opened"`
	Updated int64      `json:"updated"`
	Acked   int64      `json:"acked,omitempty"`  // when a teacher first responded
	Snooze  int64      `json:"snooze,omitempty"` // snoozed until
	Need    float64    `json:"need"`             // rank in the help queue: higher first
	// Waiting says the flag's condition calls for act now but the class's
	// act-now budget is spent: it waits at watch, first among the watch
	// flags, and rises to act now when a teacher frees a slot.
	Waiting bool `json:"waiting,omitempty"`
	// Rising is when the flag's condition began to call for act now,
	// while it waits at watch for the condition to last (the thresholds'
	// act_now_persist_ms); 0 otherwise.
	Rising   int64    `json:"rising,omitempty"`
	Evidence Evidence `json:"evidence"`
	Help     *Help    `json:"help,omitempty"`
}

// Reviewed is one problem of a check handed in, as the student sees it
// then: their answer, whether it was right, and the worked solution.
type Reviewed struct {
	Item        ItemID `json:"item"`
	Prompt      string `json:"prompt"`
	Response    string `json:"response"` // as graded; "" for a problem left unanswered
	Correct     bool   `json:"correct"`
	Explanation string `json:"explanation,omitempty"`
}
