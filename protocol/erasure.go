package protocol

import (
	"crypto/sha256"
	"encoding/hex"
)

// EvErased records that a teacher erased a student from the class: the
// last event of the rewritten log, written with it (all or nothing), by
// the teacher's request (its `by` says who, its time when). It keeps nothing of the
// student, not even their ID: only a digest of it (ErasureDigest), from
// which whoever holds the ID (the request to erase, an export) can tell
// which student it was, and no one else can.
const EvErased EventType = "erased"

// Erased is the data of EvErased.
type Erased struct {
	// Digest is ErasureDigest of the class and the student.
	Digest string `json:"digest"`
	// Removed is how many events the rewrite dropped.
	Removed int `json:"removed"`
}

// ErasureDigest is the lower-case hexadecimal SHA-256 of
// "classhub-erasure:<room>:<student>". A student ID is a random UUID, so
// the digest cannot be turned back into it.
func ErasureDigest(room RoomID, student StudentID) string {
	sum := sha256.Sum256([]byte("classhub-erasure:" + string(room) + ":" + string(student)))
	return hex.EncodeToString(sum[:])
}
