package frontend

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

// qrModules reads the dark modules back from the SVG's path, as a grid
// without the quiet zone.
func qrModules(t *testing.T, svg []byte) [][]bool {
	t.Helper()
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("the SVG does not parse: %v\n%s", err, svg)
	}
	var size int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &size, &size); err != nil {
		t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
	}
	n := size - 8
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	for _, cmd := range strings.Split(strings.TrimSuffix(doc.Path.D, "z"), "z") {
		var x, y, run, back int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &run, &back); err != nil || run != back {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		for i := range run {
			if x+i-4 < 0 || y-4 < 0 || x+i-4 >= n || y-4 >= n {
				t.Fatalf("a dark module at %d,%d is in the quiet zone", x+i, y)
			}
			grid[y-4][x+i-4] = true
		}
	}
	return grid
}

func TestQRCodeOfALink(t *testing.T) {
	link := "http://school.example:8080/?code=K7M3QX"
	svg, err := qrSVG(link)
	if err != nil {
		t.Fatal(err)
	}
	grid := qrModules(t, svg)
	n := len(grid)
	if n < 21 || (n-21)%4 != 0 {
		t.Fatalf("the code is %d modules wide; a QR code is 21, 25, 29, …", n)
	}
	// The three finder patterns: a dark 7×7 ring around a dark 3×3 centre.
	for _, c := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for y := range 7 {
			for x := range 7 {
				ring := x == 0 || y == 0 || x == 6 || y == 6
				centre := x >= 2 && x <= 4 && y >= 2 && y <= 4
				if got, want := grid[c[1]+y][c[0]+x], ring || centre; got != want {
					t.Fatalf("finder pattern at %v: module %d,%d is dark=%v, want %v", c, x, y, got, want)
				}
			}
		}
	}
	// Every module as the encoder made it.
	code, err := qr.Encode(link, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	for y := range n {
		for x := range n {
			if got, want := grid[y][x], dark(code.At(x, y).RGBA()); got != want {
				t.Fatalf("module %d,%d is dark=%v, want %v", x, y, got, want)
			}
		}
	}
}

func TestQRRoute(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(text string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL + "/qr.svg?text=" + url.QueryEscape(text))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := get("https://school.example/?code=K7M3QX")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("GET /qr.svg: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	qrModules(t, body)
	for _, bad := range []string{"", "javascript:alert(1)", "K7M3QX", "http://", "https://school.example/" + strings.Repeat("a", maxQRText)} {
		if res, _ := get(bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /qr.svg?text=%.40q: %d, want 400", bad, res.StatusCode)
		}
	}
}
