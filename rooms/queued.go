package rooms

import "context"

type queuedKey struct{}

// WhenQueued returns a context that makes Do call f once the command has
// its place in its class's order: it is in the inbox of the class's actor
// on this node, behind every command queued before it. A command that goes
// to another node, or is answered without reaching an actor, never calls
// f; the caller then has its place once Do returns. The hub uses it to
// let a connection's next command go to the class while this one runs,
// and still in the order they were sent.
func WhenQueued(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, queuedKey{}, f)
}

// queuedHook is the f of WhenQueued, or nil.
func queuedHook(ctx context.Context) func() {
	f, _ := ctx.Value(queuedKey{}).(func())
	return f
}
