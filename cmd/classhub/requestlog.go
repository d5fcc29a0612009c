package main

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// requestLog logs one line per HTTP request once it is answered: method,
// route, status, duration and bytes written. The route is the pattern
// the request matched (/api/v1/join/:code), never the path or the query,
// so that join codes, IDs and anything secret a client put in a URL stay
// out of the log; tokens travel in headers, which are not logged either.
// A WebSocket's line comes when it is opened (101, the upgrade's
// duration): the connection is served on after its handler returns, and
// its frames are not HTTP requests. The probes' and scrapers' routes log at
// debug, not to drown the rest.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				// Answer it here, so that the status is known; echo's own
				// handler then has nothing left to do.
				c.Error(err)
			}
			route, lvl := c.Path(), slog.LevelInfo
			switch route {
			case "/healthz", "/readyz", "/metrics":
				lvl = slog.LevelDebug
			}
			res := c.Response()
			log.LogAttrs(c.Request().Context(), lvl, "http",
				slog.String("method", c.Request().Method),
				slog.String("route", route),
				slog.Int("status", res.Status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", res.Size),
			)
			return nil
		}
	}
}

// serverErrors takes what net/http logs of its own (a TLS handshake that
// failed, a handler that panicked) into the structured log: handshakes
// that fail are what port scanners and TCP health checks do, so at debug;
// the rest at warn.
type serverErrors struct{ log *slog.Logger }

func (s serverErrors) Write(p []byte) (int, error) {
	msg := string(bytes.TrimSpace(p))
	lvl := slog.LevelWarn
	if bytes.Contains(p, []byte("TLS handshake error")) {
		lvl = slog.LevelDebug
	}
	s.log.Log(context.Background(), lvl, msg, "component", "http")
	return len(p), nil
}
