//go:build !unix

package hub

import (
	"errors"
	"net"
	"syscall"
)

// rawOf is nil where writes that do not wait are not made: every frame
// goes through the connection's writer.
func rawOf(net.Conn) syscall.RawConn { return nil }

type nowWriter struct{}

func newNowWriter(syscall.RawConn) *nowWriter { return nil }

func (*nowWriter) write([]byte) (int, error) { return 0, errors.ErrUnsupported }
