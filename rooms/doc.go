// Package rooms is the classroom: one actor per live room on its owner
// node, the room's event log in JetStream, ownership leases, snapshots, and
// the directory of rooms and join codes.
//
// A room's state is the fold of its events. Only the actor of the node that
// holds the room's lease changes it: commands arrive through a bounded
// inbox, are checked against the state, and become events that are appended
// to the room's stream with the expected last sequence, so that an owner
// that lost its lease cannot append. Acknowledged events are then fanned
// out: to the other nodes on protocol.EventSubject, and to this node's
// subscribers (Manager.Listen) directly.
//
// rooms never imports hub: it knows nothing of WebSockets or devices.
package rooms
