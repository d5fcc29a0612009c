package hub

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// readBuffer is the size of a device connection's read buffer. Devices
// send small frames (a command is a few hundred bytes), and a frame
// larger than the buffer is read straight from the socket, so a small
// buffer costs no more reads; a node holds one for each device of every
// class, for the whole lesson.
const readBuffer = 1024

// smallReads hands the WebSocket library a connection hijacked from the
// HTTP server with a read buffer of readBuffer bytes instead of the
// server's own (4 KiB, kept for the connection's life).
type smallReads struct{ http.ResponseWriter }

func (s smallReads) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s smallReads) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	n := brw.Reader.Buffered()
	if n > readBuffer {
		return nc, brw, nil // the device sent ahead: keep the server's buffer
	}
	// What the server read ahead, if anything, moves to the new buffer.
	ahead, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc), readBuffer)
	if n > 0 {
		if _, err := r.Peek(n); err != nil {
			return nc, brw, err
		}
	}
	return nc, bufio.NewReadWriter(r, brw.Writer), nil
}
