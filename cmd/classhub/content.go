package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/classhub/classhub/rooms/content"
)

// exitStatus is an error that asks main to exit with its status and say
// nothing more: the command has already printed what was wrong.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// contentCmd runs the content commands. "check" reads each bank file and
// prints either a one-line summary or every problem as file:line:col, so
// that a teacher's editor can jump to each; it exits 1 if any file has a
// problem, like a compiler.
func contentCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("content: say check")
	}
	if args[0] != "check" {
		return usageError(fmt.Sprintf("content: unknown command %q", args[0]))
	}
	fs := flag.NewFlagSet("classhub content check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: classhub content check FILE...\nChecks content banks (docs/CONTENT.md) and lists every problem with its line.\n")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("content check: name the bank files to check (classhub content check FILE...)")
	}
	failed := false
	for _, name := range fs.Args() {
		if !checkBank(name, stdout) {
			failed = true
		}
	}
	if failed {
		return exitStatus(1)
	}
	return nil
}

// checkBank checks one file and reports on it; ok is false when the file
// cannot be read or has problems.
func checkBank(name string, stdout io.Writer) (ok bool) {
	data, err := readBank(name)
	if err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", name, err)
		return false
	}
	b, err := content.Parse(name, data)
	var perr *content.Errors
	switch {
	case errors.As(err, &perr):
		for _, p := range perr.Problems {
			fmt.Fprintln(stdout, p)
		}
		return false
	case err != nil:
		fmt.Fprintf(stdout, "%s: %v\n", name, err)
		return false
	}
	fmt.Fprintf(stdout, "%s: ok (%d skills, %d items, %d sets)\n", name, len(b.Skills), len(b.Items), len(b.Sets))
	return true
}

// readBank reads a bank file, refusing one too big to be a bank before
// reading it all.
func readBank(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, content.MaxBankBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > content.MaxBankBytes {
		return nil, fmt.Errorf("the file is bigger than %d MB, the most a bank can be: split it into smaller units", content.MaxBankBytes>>20)
	}
	return data, nil
}
