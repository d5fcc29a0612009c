package auth

import "errors"

// Sentinel errors. The hub maps them to protocol codes in one place.
var (
	// ErrInvalidToken means a token is malformed, badly signed, signed with
	// another algorithm, or claims something a token of ours never does.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrExpired means a token was good but its time is over.
	ErrExpired = errors.New("auth: token expired")
	// ErrBadPassword means the e-mail or the password is wrong; which of
	// the two is never said.
	ErrBadPassword = errors.New("auth: wrong e-mail or password")
	// ErrExists means an account with that e-mail exists, teacher or
	// coach: one e-mail is one account.
	ErrExists = errors.New("auth: an account with that e-mail exists")
	// ErrNoTeacher means no teacher has that ID, or no account has that
	// e-mail.
	ErrNoTeacher = errors.New("auth: no such teacher")
	// ErrNoInvite means no pending invitation has that code: it never
	// existed, was accepted already, or was replaced by a newer one.
	ErrNoInvite = errors.New("auth: no such invitation")
	// ErrInviteExpired means the invitation was not accepted in time.
	ErrInviteExpired = errors.New("auth: the invitation has expired")
)
