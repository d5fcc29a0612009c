// Package auth owns who may connect: the signed tokens of teachers,
// coaches and students, the deployment's signing key, and the accounts of
// teachers and of the coaches they invite, with their password hashes,
// all kept in JetStream KV.
//
// It must not import hub or rooms: it is used by the network edge and by
// the admin commands alike.
package auth
