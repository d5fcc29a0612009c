// Package roster keeps teachers' class rosters and the learner profiles of
// the students on them, in a JetStream KV bucket.
//
// A roster is a teacher's list of the students of one class. Each student
// on it has an ID that stays the same from one session to the next (the
// learner's identity across sessions), a display name the class sees, and
// a join code: one word of a short fixed list of picturable words, which
// a young student picks next to their name instead of typing it. Rosters
// are typed in by the teacher or imported from OneRoster 1.1 CSV files.
//
// Every student on a roster has a profile: strengths, challenges,
// interests and goals, and the mastery of skills across sessions.
//
// Like accounts, it must not import hub or rooms: rooms reaches profiles
// through Mastery and RecordSession.
package roster
