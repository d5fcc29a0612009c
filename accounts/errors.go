package accounts

import "errors"

// Sentinel errors. The hub maps them to protocol codes in one place.
var (
	// ErrBadPassword means the e-mail or the password is wrong; which of
	// the two is never said.
	ErrBadPassword = errors.New("accounts: wrong e-mail or password")
	// ErrExists means an account with that e-mail exists, teacher or
	// coach: one e-mail is one account.
	ErrExists = errors.New("accounts: an account with that e-mail exists")
	// ErrNoTeacher means no teacher has that ID, or no account has that
	// e-mail.
	ErrNoTeacher = errors.New("accounts: no such teacher")
	// ErrNoInvite means no pending invitation has that code: it never
	// existed, was accepted already, or was replaced by a newer one.
	ErrNoInvite = errors.New("accounts: no such invitation")
	// ErrInviteExpired means the invitation was not accepted in time.
	ErrInviteExpired = errors.New("accounts: the invitation has expired")
)
