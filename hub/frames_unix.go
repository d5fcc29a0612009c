//go:build unix

package hub

import (
	"net"
	"syscall"
)

// rawOf is the descriptor of a plain socket, for writes that do not wait;
// nil for any other connection (TLS, or a wrapper that hides its socket).
func rawOf(nc net.Conn) syscall.RawConn {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// nowWriter writes without waiting on one socket. Its function is made
// once, so that a write allocates nothing; its fields are guarded by the
// frameConn's lock.
type nowWriter struct {
	rc   syscall.RawConn
	b    []byte
	n    int
	err  error
	call func(fd uintptr) bool
}

func newNowWriter(rc syscall.RawConn) *nowWriter {
	if rc == nil {
		return nil
	}
	w := &nowWriter{rc: rc}
	w.call = func(fd uintptr) bool {
		for {
			w.n, w.err = syscall.Write(int(fd), w.b)
			if w.err != syscall.EINTR {
				return true // done, whatever the socket took: never wait
			}
		}
	}
	return w
}

// write writes as much of b as the socket takes at once (the runtime
// keeps its sockets non-blocking) and returns how much that was: 0 when
// its buffer is full, never waiting for it to drain.
func (w *nowWriter) write(b []byte) (int, error) {
	w.b = b
	err := w.rc.Write(w.call)
	n, werr := w.n, w.err
	w.b, w.err = nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}
