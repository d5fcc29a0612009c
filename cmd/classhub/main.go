// Command classhub is the classhub server and its admin tasks.
//
//	classhub [serve] [flags]            run a node (the default)
//	classhub demo [flags]               run a node with a simulated class to watch
//	classhub teacher add --email ...    create a teacher account
//	classhub teacher password --email   set a teacher's password
//	classhub content check FILE...      check content banks
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// run is the whole program, so that tests can run it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
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
Run "classhub serve -h" for the flags. Every flag can come from the environment: --addr is CLASSHUB_ADDR.
`
