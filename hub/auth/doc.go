// Package auth owns who may connect: the signed tokens of teachers and
// students, the deployment's signing key, and teacher accounts with their
// password hashes, all kept in JetStream KV.
//
// It must not import hub or rooms: it is used by the network edge and by
// the admin commands alike.
package auth
