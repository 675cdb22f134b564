// Command itspm is the IT Service Process Management bot: the Slack server,
// the same bot in a terminal, catalog import/export and the job runner.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes of SPEC section 2.
const (
	exitOK    = 0
	exitData  = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Environ()))
}

// stdio is the process's standard streams, replaceable in tests.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// usageError is a command-line mistake (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `itspm: IT Service Process Management in Slack

Usage:
  itspm serve                         run the Slack bot, health, metrics and scheduled jobs
  itspm chat [--demo] [--as PERSON]   talk to the bot in the terminal
  itspm import PATH... [--dry-run]    load catalog YAML files or directories
      [--strict] [--default-portfolio NAME]
      [--backstage-url URL [--backstage-token T]]   (Backstage: docs/backstage.md)
  itspm export [PATH]                 write the catalog as YAML (stdout by default)
  itspm jobs list                     scheduled jobs with their last and next run
  itspm jobs run NAME [--at RFC3339]  run one occurrence of a job now
  itspm version                       version, commit and Go version

Configuration comes from the environment and .env (see README).
`

func run(ctx context.Context, args []string, io stdio, env []string) int {
	if len(args) == 0 {
		fmt.Fprint(io.err, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = runServe(ctx, rest, io, env)
	case "chat":
		err = runChat(ctx, rest, io, env)
	case "import":
		err = runImport(ctx, rest, io, env)
	case "export":
		err = runExport(ctx, rest, io, env)
	case "jobs":
		err = runJobs(ctx, rest, io, env)
	case "version", "--version", "-v":
		fmt.Fprintf(io.out, "itspm %s (commit %s, %s %s/%s)\n", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	case "help", "--help", "-h":
		fmt.Fprint(io.out, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(io.err, "itspm: %s\n\n%s", ue.msg, usage)
		return exitUsage
	default:
		msg := strings.TrimRight(err.Error(), "\n")
		fmt.Fprintf(io.err, "itspm: %s\n", msg)
		return exitData
	}
}

// splitFlags separates flags (which may follow positional arguments, as in
// `itspm import a.yaml --dry-run`) from positional arguments. valued lists
// flags that take a value.
func splitFlags(args []string, valued map[string]bool, boolean map[string]bool) (flags map[string]string, pos []string, err error) {
	flags = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case boolean[name]:
			if hasVal && val != "true" && val != "false" {
				return nil, nil, usageError{fmt.Sprintf("--%s takes no value", name)}
			}
			if !hasVal {
				val = "true"
			}
			flags[name] = val
		case valued[name]:
			if !hasVal {
				if i+1 >= len(args) {
					return nil, nil, usageError{fmt.Sprintf("--%s needs a value", name)}
				}
				i++
				val = args[i]
			}
			flags[name] = val
		default:
			return nil, nil, usageError{fmt.Sprintf("unknown flag %s", a)}
		}
	}
	return flags, pos, nil
}
