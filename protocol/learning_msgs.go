package protocol

import "encoding/json"

// Client messages of learning.
const (
	MsgAssignPractice MsgType = "assign_practice" // start a set of a content bank for a target's students
	MsgNextItem       MsgType = "next_item"       // the student asks for their next item
	MsgAnswer         MsgType = "answer"          // the student answers the item they were given
	MsgHint           MsgType = "hint"            // the student asks for the next hint
	MsgPickItems      MsgType = "pick_items"      // the student picks their options of a choice board
	MsgAcceptOffer    MsgType = "accept_offer"    // the student takes the enrichment offered
	MsgFlagAction     MsgType = "flag_action"     // a teacher acts on a flag
	MsgSetThresholds  MsgType = "set_thresholds"  // change the detectors' thresholds for this class
	MsgClosePractice  MsgType = "close_practice"  // end the practice of a target's students
)

// Limits of learning messages.
const (
	MaxResponseRunes = 200
	MaxSnoozeMinutes = 60
)

// SetRef names a set of a content bank.
type SetRef struct {
	Bank BankID `json:"bank"`
	Set  string `json:"set"`
}

// AssignPractice starts a set for the students of a target (the whole
// class when To is empty).
type AssignPractice struct {
	Set SetRef `json:"set"`
	To  Target `json:"to"`
	// Check runs the set as a check: no hints, no explanations and one
	// answer per problem until the student hands it in by answering the
	// last; then they see each answer with its explanation.
	Check bool `json:"check,omitempty"`
}

// ClosePractice ends the practice of a target's students (the whole class
// when To is empty): nothing more is served or graded until the next set.
type ClosePractice struct {
	To Target `json:"to"`
}

func (c *ClosePractice) validate() *Error { return c.To.validate("close_practice.to") }

// NextItem has no data.
type NextItem struct{}

// Answer answers the item the student was given. The time the student
// took is measured by the server, from when the item was given.
type Answer struct {
	Item     ItemID `json:"item"`
	Response string `json:"response"`
}

// Hint asks for the next hint of the current item.
type Hint struct {
	Item ItemID `json:"item"`
}

// PickItems picks the options of a choice board, by their item IDs.
type PickItems struct {
	Items []ItemID `json:"items"`
}

// AcceptOffer has no data: the student takes the offered enrichment.
type AcceptOffer struct{}

// FlagActionKind is what a teacher does with a flag.
type FlagActionKind string

// Flag actions.
const (
	FlagAck      FlagActionKind = "ack"       // seen; I'm on it
	FlagResolve  FlagActionKind = "resolve"   // done
	FlagSnooze   FlagActionKind = "snooze"    // hide for Minutes
	FlagSendHelp FlagActionKind = "send_help" // send the flag's supplemental lesson and problems to the student
	FlagPull     FlagActionKind = "pull"      // bring the student to the teacher-led station
)

// FlagAction acts on a flag.
type FlagAction struct {
	Flag    FlagID         `json:"flag"`
	Action  FlagActionKind `json:"action"`
	Minutes int            `json:"minutes,omitempty"` // snooze only
}

// SetThresholds replaces the detectors' thresholds of the class. Its
// fields are those of the detector rules (docs/DETECTORS.md); fields left
// out keep the defaults.
type SetThresholds struct {
	Thresholds json.RawMessage `json:"thresholds"`
}

func (a *AssignPractice) validate() *Error {
	if !a.Set.Bank.Valid() || !validName(a.Set.Set) {
		return Errorf(CodeInvalid, "assign_practice.set needs a bank and a set name")
	}
	return a.To.validate("assign_practice.to")
}

func (*NextItem) validate() *Error    { return nil }
func (*AcceptOffer) validate() *Error { return nil }

func (a *Answer) validate() *Error {
	if !a.Item.Valid() {
		return Errorf(CodeInvalid, "answer.item is not an item name")
	}
	return CheckText("answer.response", a.Response, 0, MaxResponseRunes, false)
}

func (h *Hint) validate() *Error {
	if !h.Item.Valid() {
		return Errorf(CodeInvalid, "hint.item is not an item name")
	}
	return nil
}

func (p *PickItems) validate() *Error {
	if len(p.Items) == 0 || len(p.Items) > 20 {
		return Errorf(CodeInvalid, "pick_items.items: pick 1 to 20 items")
	}
	for _, id := range p.Items {
		if !id.Valid() {
			return Errorf(CodeInvalid, "pick_items.items: %q is not an item name", id)
		}
	}
	return nil
}

func (f *FlagAction) validate() *Error {
	if !f.Flag.Valid() {
		return Errorf(CodeInvalid, "flag_action.flag is not a flag ID")
	}
	switch f.Action {
	case FlagAck, FlagResolve, FlagSendHelp, FlagPull:
		if f.Minutes != 0 {
			return Errorf(CodeInvalid, "flag_action.minutes is for snooze only")
		}
	case FlagSnooze:
		if f.Minutes < 1 || f.Minutes > MaxSnoozeMinutes {
			return Errorf(CodeInvalid, "flag_action.minutes must be 1 to %d", MaxSnoozeMinutes)
		}
	default:
		return Errorf(CodeInvalid, "flag_action.action must be ack, resolve, snooze, send_help or pull")
	}
	return nil
}

func (s *SetThresholds) validate() *Error {
	if len(s.Thresholds) == 0 || s.Thresholds[0] != '{' || len(s.Thresholds) > 4096 {
		return Errorf(CodeInvalid, "set_thresholds.thresholds must be an object")
	}
	return nil
}
