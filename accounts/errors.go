package accounts

import "github.com/classhub/classhub/protocol"

// Sentinel errors, each with what a client is told of it
// (protocol.ErrorOf).
var (
	// ErrBadPassword means the e-mail or the password is wrong; which of
	// the two is never said.
	ErrBadPassword error = protocol.NewSentinel(protocol.CodeUnauthorized,
		"accounts: wrong e-mail or password", "wrong e-mail or password")
	// ErrExists means an account with that e-mail exists, teacher or
	// coach: one e-mail is one account.
	ErrExists error = protocol.NewSentinel(protocol.CodeConflict,
		"accounts: an account with that e-mail exists", "an account with that e-mail exists")
	// ErrNoTeacher means no teacher has that ID, or no account has that
	// e-mail. A client meets it with the token of a teacher whose account
	// is gone: it must sign in again.
	ErrNoTeacher error = protocol.NewSentinel(protocol.CodeUnauthorized,
		"accounts: no such teacher", "sign in first")
	// ErrNoInvite means no pending invitation has that code: it never
	// existed, was accepted already, or was replaced by a newer one.
	ErrNoInvite error = protocol.NewSentinel(protocol.CodeNotFound,
		"accounts: no such invitation", "no such invitation: it was used already, replaced by a newer one, or mistyped")
	// ErrInviteExpired means the invitation was not accepted in time.
	ErrInviteExpired error = protocol.NewSentinel(protocol.CodeNotFound,
		"accounts: the invitation has expired", "the invitation has expired; ask the teacher to invite you again")
	// ErrNoSuchTeacher means no teacher has an account with that e-mail:
	// a class is shared only with a teacher who has signed up.
	ErrNoSuchTeacher error = protocol.NewSentinel(protocol.CodeNotFound,
		"accounts: no teacher has that e-mail", "no teacher has an account with that e-mail; ask them to sign up first")
	// ErrNotATeacher means the e-mail is a coach's: coaches follow groups
	// and are not given whole classes.
	ErrNotATeacher error = protocol.NewSentinel(protocol.CodeInvalid,
		"accounts: the e-mail is a coach's", "that e-mail is a coach's account; share a class with teachers, and assign coaches to groups")
)
