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

// smallBuffers hands the WebSocket library a connection hijacked from the
// HTTP server with a read buffer of readBuffer bytes instead of the
// server's own (4 KiB, kept for the connection's life), and a write
// buffer of controlBuffer bytes on a frameConn: the library writes only
// the handshake's answer and control frames, the connection's writer the
// rest (frames.go). conn is the frameConn once Hijack has run.
type smallBuffers struct {
	http.ResponseWriter
	conn *frameConn
}

func (s *smallBuffers) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	// What the server has not sent yet goes before anything else.
	if err := brw.Writer.Flush(); err != nil {
		return nc, brw, err
	}
	s.conn = newFrameConn(nc)
	w := bufio.NewWriterSize(s.conn, controlBuffer)
	n := brw.Reader.Buffered()
	if n > readBuffer {
		// The device sent ahead: keep the server's buffer.
		return s.conn, bufio.NewReadWriter(brw.Reader, w), nil
	}
	// What the server read ahead, if anything, moves to the new buffer.
	ahead, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), nc), readBuffer)
	if n > 0 {
		if _, err := r.Peek(n); err != nil {
			return s.conn, brw, err
		}
	}
	return s.conn, bufio.NewReadWriter(r, w), nil
}
