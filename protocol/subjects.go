package protocol

import "strings"

// NATS subjects, streams and buckets. Room IDs are validated UUIDs, so they
// never contain the subject separators '.', '*' or '>'.
const (
	// SubjectPrefix starts every classhub subject.
	SubjectPrefix = "classhub"

	// BucketLeases holds room ownership leases: key room ID, value node ID.
	BucketLeases = "classhub_leases"
	// BucketSnapshots holds the latest snapshot of each room's state.
	BucketSnapshots = "classhub_snapshots"
	// BucketRooms holds room metadata and the join-code index.
	BucketRooms = "classhub_rooms"
	// BucketTeachers holds teacher accounts.
	BucketTeachers = "classhub_teachers"
	// BucketConfig holds deployment-wide settings, such as the token key.
	BucketConfig = "classhub_config"
	// BucketHistory holds each teacher's recent groupings, so that new
	// groupings can avoid repeating pairs.
	BucketHistory = "classhub_history"
	// BucketContent holds the content banks (YAML, as uploaded).
	BucketContent = "classhub_content"
)

// CommandSubject is where the owner of room listens for commands (NATS
// request/reply).
func CommandSubject(room RoomID) string {
	return SubjectPrefix + ".room." + string(room) + ".cmd"
}

// EventSubject carries a room's events to every node after they are
// stored. Only the room's owner publishes here, and only acknowledged events.
func EventSubject(room RoomID) string {
	return SubjectPrefix + ".room." + string(room) + ".ev"
}

// LogSubject is the subject a room's events are stored under in its stream.
func LogSubject(room RoomID) string {
	return SubjectPrefix + ".log." + string(room)
}

// StreamName is the JetStream stream holding one room's event log. The
// stream's sequence is the room's event offset.
func StreamName(room RoomID) string {
	return "ROOM_" + strings.ReplaceAll(string(room), "-", "")
}
