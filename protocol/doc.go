// Package protocol is the wire contract between classhub devices and servers,
// and between classhub nodes: the frame envelope, message types and their
// validation, typed IDs, audiences, NATS subject names, and the tables of
// error codes and WebSocket close codes.
//
// It is pure: no I/O, no goroutines, no imports of other classhub packages.
// Everything a client author needs is documented in PROTOCOL.md beside this
// file; when the two disagree, that is a bug in one of them.
package protocol
