package frontend

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// maxQRText bounds what the QR route encodes: a join link is well under
// it, and a QR code of more than this is too dense to scan from the back
// of a classroom anyway.
const maxQRText = 512

// errQRText is a text the QR route does not draw.
var errQRText = errors.New("the QR code is drawn for a link (http or https) of at most 512 bytes")

// qrSVG draws a link as a QR code in SVG: one path of the dark modules
// inside a quiet zone of four, so that it is sharp at any size on a
// projector and small on the wire. Error correction M survives a
// projector's glare and keystone without making the code denser than a
// phone at the back of the room can read.
func qrSVG(text string) ([]byte, error) {
	if len(text) == 0 || len(text) > maxQRText {
		return nil, errQRText
	}
	if u, err := url.Parse(text); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errQRText
	}
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	const quiet = 4
	n := code.Bounds().Dx()
	size := n + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, size, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	for y := range n {
		for x := 0; x < n; x++ {
			if !dark(code.At(x, y).RGBA()) {
				continue
			}
			// A run of dark modules on a row is one rectangle.
			run := 1
			for x+run < n && dark(code.At(x+run, y).RGBA()) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

func dark(r, g, b, _ uint32) bool { return r+g+b < 3*0x8000 }

// serveQR answers GET /qr.svg?text=LINK with the link as a QR code. The
// projector asks for the join link of its class: drawing it here keeps
// the apps free of a QR library in JavaScript and of anything loaded
// from elsewhere.
func serveQR(w http.ResponseWriter, r *http.Request) {
	svg, err := qrSVG(r.URL.Query().Get("text"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	// The same link always gives the same picture.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(svg)
}
