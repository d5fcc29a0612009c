package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certRecheck is how often a handshake looks whether the certificate's
// files changed: often enough that a renewed certificate is served within
// seconds, rarely enough that a reconnecting school costs no disk reads.
const certRecheck = 10 * time.Second

// certFiles serves the certificate of --tls-cert and --tls-key, read
// again when either file changes, so that a renewal (certbot, a
// Kubernetes secret) takes effect without a restart. A pair that does not
// load (the key written but not yet the certificate) keeps the previous
// one in use until the next look.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	mod     time.Time // the later modification time of the two files, as loaded
	checked time.Time
}

func loadCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	if certPath == "" || keyPath == "" {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	cf := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	mod, err := cf.modTime()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	cf.cert, cf.mod, cf.checked = &cert, mod, time.Now()
	return cf, nil
}

func (cf *certFiles) modTime() (time.Time, error) {
	var latest time.Time
	for _, p := range []string{cf.certPath, cf.keyPath} {
		fi, err := os.Stat(p)
		if err != nil {
			return time.Time{}, fmt.Errorf("TLS certificate: %w", err)
		}
		if fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest, nil
}

// get is tls.Config.GetCertificate.
func (cf *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if time.Since(cf.checked) < certRecheck {
		return cf.cert, nil
	}
	cf.checked = time.Now()
	mod, err := cf.modTime()
	if err != nil || mod.Equal(cf.mod) {
		return cf.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(cf.certPath, cf.keyPath)
	if err != nil {
		cf.log.Warn("the TLS certificate changed on disk but does not load; serving the previous one", "err", err)
		return cf.cert, nil
	}
	cf.cert, cf.mod = &cert, mod
	cf.log.Info("TLS certificate read again", "file", cf.certPath)
	return cf.cert, nil
}
