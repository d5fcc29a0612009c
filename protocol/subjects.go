package protocol

import (
	"strconv"
	"strings"
)

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
	// BucketLogs says where each class's log is: its shard and the epoch
	// of its current incarnation.
	BucketLogs = "classhub_logs"

	// MaxLogShards bounds the number of streams class logs are spread
	// over.
	MaxLogShards = 64
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

// LogStream is the name of one of the shared streams that hold class logs.
func LogStream(shard int) string { return "CLASSHUB_LOG_" + strconv.Itoa(shard) }

// LogShardSubjects are the subjects of one log stream.
func LogShardSubjects(shard int) string {
	return SubjectPrefix + ".log." + strconv.Itoa(shard) + ".>"
}

// LogSubject is the subject one incarnation (epoch) of a class's log is
// stored under, in the stream of its shard.
func LogSubject(shard int, room RoomID, epoch string) string {
	return SubjectPrefix + ".log." + strconv.Itoa(shard) + "." + string(room) + "." + epoch
}

// LegacyLogSubject and LegacyStreamName are where releases before the
// shared log streams kept a class's log: a stream per class, whose
// sequence was the class's offset. A node migrates them when it starts.
func LegacyLogSubject(room RoomID) string {
	return SubjectPrefix + ".log." + string(room)
}

// LegacyStreamName: see LegacyLogSubject.
func LegacyStreamName(room RoomID) string {
	return LegacyStreamPrefix + strings.ReplaceAll(string(room), "-", "")
}

// LegacyStreamPrefix starts the name of every stream of the old layout.
const LegacyStreamPrefix = "ROOM_"
