package hub

import "errors"

// Sentinel errors.
var (
	// ErrInvalidToken means a token is malformed, badly signed, signed with
	// another algorithm, or claims something a token of ours never does.
	ErrInvalidToken = errors.New("hub: invalid token")
	// ErrExpired means a token was good but its time is over.
	ErrExpired = errors.New("hub: token expired")
)
