// Package hub is the network edge of one classhub node: it accepts device
// WebSockets, authenticates them, keeps a read loop and a write loop per
// connection with a write queue bounded in bytes, subscribes the node to
// the rooms its devices are in, fans each room event out to the devices
// allowed to see it (encoded once), resumes devices from (epoch, offset),
// and serves the REST API. It issues and verifies the tokens that admit
// devices and consoles; the accounts they are issued for live in package
// accounts, rosters and profiles in package roster.
//
// hub sends every command to rooms.Manager, which routes it to the room's
// owner; hub never changes room state itself.
package hub
