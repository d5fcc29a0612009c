// Package accounts keeps the accounts of teachers and of the coaches they
// invite, with their password hashes, and the coaches' invitations, in
// JetStream KV. Students have no accounts.
//
// It is a store, not the network edge: the tokens that a sign-in earns
// are the hub's to issue and verify. It must not import hub or rooms: it
// is used by the network edge and by the admin commands alike.
package accounts
