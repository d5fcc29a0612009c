// Command classhub is the classhub server and its admin tasks.
//
//	classhub [serve] [flags]            run a node (the default)
//	classhub demo [flags]               run a node with a simulated class to watch
//	classhub teacher add --email ...    create a teacher account
//	classhub teacher password --email   set a teacher's password
//	classhub content check FILE...      check content banks
//	classhub replay [flags] FILE...     replay a tutor's log through the detectors
//	classhub version                    print the release, commit and Go version
//	classhub health [--ready]           exit 0 if the node on this machine is up (ready)
//
// Every flag can also be set with an environment variable: --addr is
// CLASSHUB_ADDR, --nats-creds is CLASSHUB_NATS_CREDS, and so on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first SIGINT or SIGTERM stops gracefully; a second one, while
	// that is under way (devices that do not read, a NATS that does not
	// answer its drain), exits at once: an operator who presses Ctrl-C
	// twice, or a supervisor that signals again, means it.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		first := time.Now()
		for s := range sigs {
			// One signal sent to the process and to its group at once
			// (GNU timeout does so) arrives twice: that is one request.
			if time.Since(first) < signalEcho {
				continue
			}
			fmt.Fprintf(os.Stderr, "classhub: %v again while stopping; exiting now\n", s)
			os.Exit(exitForced)
		}
	}()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		var st exitStatus
		if errors.As(err, &st) {
			os.Exit(int(st))
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "classhub:", err)
		}
		os.Exit(2)
	}
}

// exitForced is the exit status after a second signal cut a graceful
// stop short: not 0, since rooms may not have saved their snapshots nor
// given their leases back (nothing acknowledged is lost: the logs have
// it, and another node takes the rooms over when the leases expire).
const exitForced = 3

// signalEcho is how soon after the first a signal is taken as the same
// one delivered twice rather than a second request.
const signalEcho = 500 * time.Millisecond

// run is the whole program, so that tests can run it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		printVersion(stdout)
		return nil
	}
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr, nil)
	case "demo":
		return demo(ctx, args, stdout, stderr)
	case "teacher":
		return teacher(ctx, args, stdin, stdout, stderr)
	case "content":
		return contentCmd(args, stdout, stderr)
	case "replay":
		return replayCmd(args, stdout, stderr)
	case "version":
		printVersion(stdout)
		return nil
	case "health":
		return health(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}

// usageError is a command line that names no command this program has:
// what is wrong, then the usage, as main prints it.
func usageError(what string) error {
	return errors.New(what + "\n" + strings.TrimSuffix(usage, "\n"))
}

const usage = `usage:
  classhub [serve] [flags]                          run a node (the default)
  classhub demo [flags]                             run a node with a simulated class of 24 students, and print a teacher's sign-in to watch it
  classhub teacher add --email E --name N [flags]   create a teacher account; the password is read from the terminal or stdin
  classhub teacher password --email E [flags]       set a teacher's password
  classhub content check FILE...                    check content banks; prints every problem with its line
  classhub replay [flags] FILE...                   replay a tutor's log (DataShop, KDD Cup 2010, ASSISTments) through the detectors and measure the flags
  classhub version                                  print the release, commit and Go version (also --version)
  classhub health [--ready] [--addr A]              exit 0 if the node on this machine is up (or ready), 1 if not: a container's health check
Run "classhub serve -h" for the flags. Every flag can come from the environment: --addr is CLASSHUB_ADDR.
`
