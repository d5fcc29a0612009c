package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/classhub/classhub/accounts"
)

// The demo teacher's account. A fresh password each run: the demo may run
// on a machine others reach, and its data folder may be one kept.
const (
	demoEmail = "demo@school.example"
	demoName  = "Demo Teacher"
)

// demo runs a node, as serve does and with the same flags, with a class
// of simulated students already in it: a newcomer signs in and watches
// stations rotate, groups change and the help queue fill. Without --data
// it keeps nothing: its data folder is a new one, removed at the end.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("classhub demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	dataGiven := false
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	if _, ok := os.LookupEnv("CLASSHUB_DATA"); ok {
		dataGiven = true
	}
	if !dataGiven && c.NATS == "" {
		dir, err := os.MkdirTemp("", "classhub-demo-")
		if err != nil {
			return fmt.Errorf("demo data folder: %w", err)
		}
		defer os.RemoveAll(dir)
		c.Data = dir
		args = append(slices.Clone(args), "--data", dir)
	}

	password, err := demoPassword()
	if err != nil {
		return err
	}
	if err := demoAccount(ctx, c, password); err != nil {
		return err
	}

	ready := make(chan string, 1)
	served := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { served <- serve(sctx, args, stdout, stderr, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-served:
		return err
	}
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		stop()
		<-served
		return fmt.Errorf("demo: %w", err)
	}
	url := "http://" + displayAddr(tcp)

	// The class runs until the server stops; its students' connections
	// end with it.
	cls := &demoClass{url: url, email: demoEmail, password: password, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	setup := make(chan error, 1)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		cls.run(sctx, setup)
	}()
	select {
	case err := <-setup:
		if err != nil {
			stop()
			<-ran
			<-served
			return fmt.Errorf("demo class: %w", err)
		}
	case err := <-served:
		stop()
		<-ran
		return err
	}
	fmt.Fprintf(stdout, `
A demo class is running: %q, %d students.
  Sign in at  %s/teacher
    e-mail    %s
    password  %s
  Within a minute: three groups rotate through three stations every %s,
  the groups change after each rotation, and the help queue fills:
  Olivia is missing an earlier skill, Amelia is doing well, Kai clicks
  through every hint, Noah goes quiet and Mason raises his hand.
  Try "Send help" on Olivia, or "Open the projector".
Stop with Ctrl+C.%s
`, demoTitle, len(demoRoster), url, demoEmail, password, demoLeg, map[bool]string{true: "", false: " The demo's data is removed."}[dataGiven || c.NATS != ""])

	err = <-served
	stop()
	<-ran
	return err
}

// demoPassword is four groups of four letters and digits, easy to type
// from the terminal into the sign-in page.
func demoPassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("demo password: %w", err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String(), nil
}

// demoAccount makes the demo teacher, or gives them the new password,
// before the server starts: as "teacher add" does on a data folder no
// server runs on.
func demoAccount(ctx context.Context, c config, password string) error {
	c.NATSListen = "127.0.0.1:0"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nn, err := connectNATS(ctx, &c, log, true)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		nn.close(cctx, log)
	}()
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	acct, err := accounts.Open(actx, nn.js, c.Replicas)
	if err != nil {
		return err
	}
	if _, err := acct.Add(actx, demoEmail, demoName, password); err != nil {
		if err := acct.SetPassword(actx, demoEmail, password); err != nil {
			return fmt.Errorf("demo teacher: %w", err)
		}
	}
	return nil
}

// postJSON is a REST call of the demo's own clients.
func postJSON(ctx context.Context, url, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", req.URL.Path, res.StatusCode, bytes.TrimSpace(rb))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(rb, out)
}
