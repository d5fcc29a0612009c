package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/classhub/classhub/accounts"
)

// teacher runs the teacher admin commands. It talks to the server running
// on the data folder when there is one, or opens the data folder itself.
// Passwords are never taken from a flag, where shell history and process
// lists would keep them.
func teacher(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("teacher: say add or password")
	}
	sub, args := args[0], args[1:]
	var c config
	var email, name string
	fs := flag.NewFlagSet("classhub teacher "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsFlags(fs, &c)
	fs.StringVar(&email, "email", "", "the teacher's e-mail address, used to sign in")
	switch sub {
	case "add":
		fs.StringVar(&name, "name", "", "the teacher's name as students see it")
	case "password":
	default:
		return usageError(fmt.Sprintf("teacher: unknown command %q", sub))
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	c.ReplicasSet = isSet(fs, "replicas")
	if email == "" || (sub == "add" && name == "") {
		return fmt.Errorf("teacher %s: --email%s required", sub, map[bool]string{true: " and --name are", false: " is"}[sub == "add"])
	}
	c.NATSListen = "127.0.0.1:0"
	c.LogLevel = "warn"
	log, err := newLogger(&c, stderr)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}

	nn, err := connectNATS(ctx, &c, log, true)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		nn.close(ctx, log)
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := settleReplicas(ctx, &c, nn.js, log); err != nil {
		return err
	}
	acct, err := accounts.Open(ctx, nn.js, c.Replicas)
	if err != nil {
		return err
	}
	if sub == "password" {
		if err := acct.SetPassword(ctx, email, password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "The password of %s is changed.\n", email)
		return nil
	}
	t, err := acct.Add(ctx, email, name, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Teacher %s <%s> can now sign in at /teacher.\n", t.Name, t.Email)
	return nil
}

// readPassword asks twice on a terminal, or reads one line from stdin.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password (at least 10 characters): ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on stdin; pipe one line, or run in a terminal to be asked")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
