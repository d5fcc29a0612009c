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

// writeBuffer is the size of a device connection's write buffer. A frame
// is written whole with one system call when it fits, and with two when
// it does not; nearly every frame of a class fits (in simulated classes
// of 30, every frame to a student and all but 7 of 5,092 to the teachers,
// snapshots aside).
const writeBuffer = 2048

// smallBuffers hands the WebSocket library a connection hijacked from the
// HTTP server with a read buffer of readBuffer bytes and a write buffer of
// writeBuffer bytes instead of the server's own (4 KiB each, kept for the
// connection's life).
type smallBuffers struct{ http.ResponseWriter }

func (s smallBuffers) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	w := brw.Writer
	if w.Buffered() == 0 {
		w = bufio.NewWriterSize(nc, writeBuffer)
	}
	n := brw.Reader.Buffered()
	if n > readBuffer {
		// The device sent ahead: keep the server's buffer.
		return nc, bufio.NewReadWriter(brw.Reader, w), nil
	}
	// What the server read ahead, if anything, moves to the new buffer.
	ahead, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc), readBuffer)
	if n > 0 {
		if _, err := r.Peek(n); err != nil {
			return nc, brw, err
		}
	}
	return nc, bufio.NewReadWriter(r, w), nil
}
