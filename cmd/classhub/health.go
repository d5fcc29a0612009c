package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// health asks the node on this machine whether it is up (/healthz), or
// ready (/readyz with --ready), and exits 0 if so, 1 if not: a container
// image without a shell or curl runs it as its HEALTHCHECK. It reads
// --addr and --tls-cert (or their environment variables) as serve does,
// so it finds the node the same settings started.
func health(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	var ready bool
	var timeout time.Duration
	fs := flag.NewFlagSet("classhub health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":8080", "the node's HTTP listen address, as given to serve")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "set when the node serves HTTPS (the certificate itself is not checked: this is the node on this machine)")
	fs.BoolVar(&ready, "ready", false, "ask /readyz (can serve classes) rather than /healthz (the process is up)")
	fs.DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	tr := &http.Transport{}
	if c.TLSCert != "" {
		// The certificate names the school's host, not this loopback
		// address; what is asked here is only whether the process answers.
		scheme, tr.TLSClientConfig = "https", &tls.Config{InsecureSkipVerify: true}
	}
	defer tr.CloseIdleConnections()
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	url := scheme + "://" + net.JoinHostPort(host, port) + path
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", url, err)
		return exitStatus(1)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "%s: %s %s\n", url, res.Status, body)
		return exitStatus(1)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, body)
	return nil
}
