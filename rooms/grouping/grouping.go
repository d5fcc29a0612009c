// Package grouping is the grouping engine: it proposes groups of students
// for a teacher to preview, edit and apply.
//
// A proposal follows one method (random, by level, mixed ability, by
// interest, by choice, or jigsaw) and respects the teacher's hard
// constraints: who must be together, who must be apart, and the smallest
// and largest group allowed. The method builds the grouping it would make
// with no constraints; a local search then moves and swaps students until
// every hard constraint holds, giving up as little of the method's aim as
// it can and, when asked, avoiding pairs who worked together recently.
//
// The engine is pure: no I/O, no clock and no shared random source. The
// same students (in any order), request and seed give the same proposal,
// so a proposal can be made again from what the room recorded.
package grouping

import (
	"errors"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// Student is one student as the engine sees them.
type Student struct {
	ID       protocol.StudentID
	Name     string
	Level    float64 // estimated mastery 0..1; negative means unknown
	Interest string  // the student's stated interest; "" none
	Choice   string  // the option the student chose; "" none
	Present  bool
}

// Pair is two students who were in one group in a recent session.
type Pair [2]protocol.StudentID

// Result is a proposal.
type Result struct {
	Groups  []protocol.ProposedGroup // home groups: every placed student in exactly one
	Experts []protocol.ProposedGroup // jigsaw only: expert groups, every placed student in exactly one
	Notes   []string                 // soft goals not met and constraint adjustments, for the teacher
}

// Propose groups the students as req asks.
//
// Only present students are placed unless req.IncludeAbsent is set; an
// absent student named in a constraint is left out of it, with a note.
// Exactly one of req.Size and req.Count must be set. With Count there are
// exactly that many groups; with Size there are as many groups as it takes
// to give each about Size students. Group sizes differ by at most one
// unless a constraint forces otherwise, and always lie within req.Min and
// req.Max (0: no bound).
//
// req.Seed is used as given: a caller that lets the server choose a seed
// chooses it before calling, and records it so the proposal can be made
// again. Levels above 1 count as 1; NaN counts as unknown. Interests and
// choices are compared ignoring case and extra spaces.
//
// A malformed request, a duplicate student or a constraint naming a
// student who is not in students gives a *protocol.Error with code
// protocol.CodeInvalid. Constraints that cannot all be met give a
// *protocol.Error with code protocol.CodeInfeasible whose message lists
// every reason found; Reasons returns them one by one. A hard constraint
// is never dropped to make a proposal possible.
func Propose(students []Student, req protocol.GroupingRequest, recent []Pair) (Result, error) {
	p, err := prepare(students, req, recent)
	if err != nil {
		return Result{}, err
	}
	if p.n == 0 {
		return Result{Groups: []protocol.ProposedGroup{}, Notes: append(p.notes, "There are no students to group.")}, nil
	}
	home := p.methodPlacement()
	final, reasons := p.arrange(home)
	if len(reasons) > 0 {
		return Result{}, infeasible(reasons)
	}
	return p.result(home, final), nil
}

// Reasons lists why a proposal was infeasible, one reason per constraint
// or bound that could not be met. It returns nil for nil and for any other
// kind of error.
func Reasons(err error) []string {
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeInfeasible {
		return nil
	}
	return strings.Split(pe.Message, reasonSep)
}

// reasonSep joins the reasons of an infeasible proposal. Names never
// contain it (see plan.who), so Reasons can split the message again.
const reasonSep = "; "

func infeasible(reasons []string) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeInfeasible, Message: strings.Join(reasons, reasonSep)}
}

func invalid(problems []string) *protocol.Error {
	return &protocol.Error{Code: protocol.CodeInvalid, Message: strings.Join(problems, reasonSep)}
}
