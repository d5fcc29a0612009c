package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// maskedFrame is a client's text frame (clients mask theirs).
func maskedFrame(payload []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(0x81)
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(0x80 | byte(n))
	case n < 1<<16:
		b.WriteByte(0x80 | 126)
		_ = binary.Write(&b, binary.BigEndian, uint16(n))
	default:
		b.WriteByte(0x80 | 127)
		_ = binary.Write(&b, binary.BigEndian, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	b.Write(key[:])
	for i, c := range payload {
		b.WriteByte(c ^ key[i%4])
	}
	return b.Bytes()
}

// TestUpgradeKeepsWhatTheDeviceSentAhead: frames a device sends in the
// same write as its upgrade request, before the server's answer, reach
// the connection whole and in order, whether they fit the small read
// buffer or not, and frames larger than the buffer are read whole; the
// echoes, framed by the connection's own writer, come back whole at every
// length a header sizes differently and whether a batch copies them or not.
func TestUpgradeKeepsWhatTheDeviceSentAhead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb := &smallBuffers{ResponseWriter: w}
		ws, err := websocket.Accept(sb, r, nil)
		if err != nil {
			return
		}
		sb.conn.startFraming()
		var since atomic.Int64
		goOn := func() bool { return true }
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		ctx := context.Background()
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				return
			}
			if _, err := sb.conn.sendFrames([][]byte{b}, goOn, &since); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	for _, sizes := range [][]int{{10}, {10, 20, 30}, {readBuffer - 200, 150}, {3 * readBuffer}, {readBuffer + 50, 5}, {100 << 10, 7}, {125, 126, 0xffff, 0x10000}, {largeFrame - 1, largeFrame, batchBytes + 1}} {
		nc, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		var ahead bytes.Buffer
		ahead.WriteString("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
		var want [][]byte
		for i, n := range sizes {
			p := bytes.Repeat([]byte{'a' + byte(i)}, n)
			want = append(want, p)
			ahead.Write(maskedFrame(p))
		}
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := nc.Write(ahead.Bytes()); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(nc)
		status, err := br.ReadString('\n')
		if err != nil || !strings.Contains(status, " 101 ") {
			t.Fatalf("sizes %v: upgrade answered %q %v", sizes, status, err)
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\r\n" {
				break
			}
		}
		for i, p := range want {
			var hdr [2]byte
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				t.Fatalf("sizes %v: echo %d: %v", sizes, i, err)
			}
			if hdr[0] != 0x81 || hdr[1]&0x80 != 0 {
				t.Fatalf("sizes %v: echo %d: header % x, want a final text frame, unmasked", sizes, i, hdr)
			}
			n := uint64(hdr[1] & 0x7f)
			switch n {
			case 126:
				var l uint16
				_ = binary.Read(br, binary.BigEndian, &l)
				n = uint64(l)
			case 127:
				_ = binary.Read(br, binary.BigEndian, &n)
			}
			got := make([]byte, n)
			if _, err := io.ReadFull(br, got); err != nil {
				t.Fatalf("sizes %v: echo %d: %v", sizes, i, err)
			}
			if !bytes.Equal(got, p) {
				t.Fatalf("sizes %v: echo %d is %d bytes of %q, sent %d of %q", sizes, i, len(got), got[:min(len(got), 1)], len(p), p[:1])
			}
		}
		nc.Close()
	}
}
