package hub

import (
	"fmt"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/roster"
)

// Sentinel errors, each with what a client is told of it
// (protocol.ErrorOf).
var (
	// ErrInvalidToken means a token is malformed, badly signed, signed with
	// another algorithm, or claims something a token of ours never does.
	ErrInvalidToken error = protocol.NewSentinel(protocol.CodeUnauthorized,
		"hub: invalid token", "the token is not valid; sign in or join again")
	// ErrExpired means a token was good but its time is over.
	ErrExpired error = protocol.NewSentinel(protocol.CodeUnauthorized,
		"hub: token expired", "the token has expired; sign in or join again")

	// errNoCode answers a join code that no open class has: unknown,
	// mistyped or of a class that ended, alike, so that codes cannot be
	// probed.
	errNoCode = protocol.NewSentinel(protocol.CodeNotFound,
		"hub: no open class has that code", "no open class has that code")
	// errNoProfile answers a student who asks for their profile and has
	// none: they typed their name instead of picking it from a roster.
	errNoProfile = protocol.NewSentinel(protocol.CodeNotFound, "hub: no profile",
		"you have no profile here: profiles are kept for students who join by picking their name from their class's list")
	// errUploadTooBig answers an upload of rosters over
	// roster.MaxBundleBytes.
	errUploadTooBig = protocol.NewSentinel(protocol.CodeFrameTooLarge, "hub: roster upload over the limit",
		fmt.Sprintf("an upload of rosters is at most %d MiB", roster.MaxBundleBytes>>20))
	// errUploadUnreadable answers an upload that is not what it says it
	// is: a broken multipart form, a body cut short.
	errUploadUnreadable = protocol.NewSentinel(protocol.CodeInvalid, "hub: roster upload unreadable",
		"the upload could not be read")
	// errOffRoster answers a student whose name the teacher took off the
	// roster since they joined.
	errOffRoster = protocol.NewSentinel(protocol.CodeNotFound, "hub: student off the roster",
		"your name is no longer on your class's list")
)
