package roster

import (
	"fmt"
	"strings"

	"github.com/classhub/classhub/protocol"
)

// Sentinel errors, each with what a client is told of it
// (protocol.ErrorOf). Errors a client can fix (a bad name, too many
// students) are *protocol.Error, made where they are found.
var (
	// ErrNoRoster means the teacher has no roster with that ID: it never
	// existed, was deleted, or is another teacher's.
	ErrNoRoster error = protocol.NewSentinel(protocol.CodeNotFound,
		"roster: no such roster", "no such roster")
	// ErrNoStudent means no roster of the teacher lists a student with
	// that ID, or no rostered student sits at that place of a room.
	ErrNoStudent error = protocol.NewSentinel(protocol.CodeNotFound,
		"roster: no such student", "no such student")
	// ErrBusy means a record kept changing under a read-modify-write, try
	// after try; the caller may retry.
	ErrBusy error = protocol.NewSentinel(protocol.CodeBusy,
		"roster: the record kept changing; retry", "the roster is being changed by someone else; retry")
)

// Problem is one thing wrong with an imported bundle, where it is.
type Problem struct {
	File    string // "users.csv"
	Line    int    // 1 is the header; 0 when the problem is the whole file
	Message string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// ImportError is a bundle refused whole: every problem found, in file and
// line order. Nothing of the bundle was stored.
type ImportError struct {
	Problems []Problem
	// More counts the problems left out of Problems to keep it short.
	More int
}

// ProtocolError tells the client every problem: the bundle is theirs to
// fix.
func (e *ImportError) ProtocolError() *protocol.Error {
	return &protocol.Error{Code: protocol.CodeInvalid, Message: e.Error()}
}

func (e *ImportError) Error() string {
	n := len(e.Problems) + e.More
	var sb strings.Builder
	if n == 1 {
		sb.WriteString("nothing was imported; the bundle has a problem")
	} else {
		fmt.Fprintf(&sb, "nothing was imported; the bundle has %d problems", n)
	}
	for _, p := range e.Problems {
		sb.WriteString("\n")
		sb.WriteString(p.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&sb, "\n… and %d more", e.More)
	}
	return sb.String()
}
