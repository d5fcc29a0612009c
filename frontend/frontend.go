// Package frontend holds the web apps — the student device page, the
// teacher console, the coach page and the projector — as static files
// embedded into the binary. It has no server logic: the apps speak the
// REST API and the WebSocket protocol like any other client. The one
// thing it draws is a QR code of a link, for the projector.
package frontend

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// FS returns the web apps' files.
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("frontend: " + err.Error()) // the embed directive guarantees the folder
	}
	return sub
}

// Handler serves the apps: the student page at /, the teacher console at
// /teacher, the coach page at /coach, the wall screen at /projector,
// the class report at /report, the rosters at /rosters, a learner's profile at
// /profile, and QR codes of links at /qr.svg?text=LINK. Files are revalidated on every load so that a new server
// version reaches devices that stayed open over a restart.
func Handler() http.Handler {
	fsys := FS()
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		switch strings.TrimSuffix(r.URL.Path, "/") {
		case "", "/index.html":
			http.ServeFileFS(w, r, fsys, "index.html")
			return
		case "/teacher", "/teacher.html":
			http.ServeFileFS(w, r, fsys, "teacher.html")
			return
		case "/coach", "/coach.html":
			http.ServeFileFS(w, r, fsys, "coach.html")
			return
		case "/projector", "/projector.html":
			http.ServeFileFS(w, r, fsys, "projector.html")
			return
		case "/report", "/rosters", "/profile":
			// The teacher's pages after class: a report, the rosters, a
			// learner's profile.
			http.ServeFileFS(w, r, fsys, strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/")+".html")
			return
		case "/qr.svg":
			serveQR(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
