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
	// ErrExists means a teacher with that e-mail exists.
	ErrExists = errors.New("auth: a teacher with that e-mail exists")
	// ErrNoTeacher means no teacher has that ID or e-mail.
	ErrNoTeacher = errors.New("auth: no such teacher")
)
