package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/discod/discod/httpapi"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runWatch is `discod watch`, as `consul watch`: without a handler it
// prints the current result as JSON and exits; with one it runs the
// handler with each changed result on its standard input until
// interrupted, following the agent with blocking queries.
func runWatch(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("watch", "watch -type=nodes|services|service|checks [options] [handler command...]\n\n"+
		"  Follows a view of the catalog with blocking queries. Without a handler it prints the\n"+
		"  current result as JSON and exits; with one it runs the handler, with the result as\n"+
		"  JSON on its standard input and the index in CONSUL_INDEX, every time the result changes.", stderr)
	client := clientFlags(fs)
	var spec httpapi.WatchSpec
	var tags stringsFlag
	fs.StringVar(&spec.Type, "type", "", "what to watch: nodes, services, service or checks")
	fs.StringVar(&spec.Service, "service", "", "the service of a service watch, or of a checks watch")
	fs.Var(&tags, "tag", "a `tag` every instance of a service watch must have (repeatable)")
	fs.BoolVar(&spec.PassingOnly, "passingonly", false, "a service watch lists only the instances whose checks all pass")
	fs.StringVar(&spec.State, "state", "", "the check state of a checks watch: any (default), passing, warning or critical")
	fs.StringVar(&spec.Filter, "filter", "", "a filter expression (as ?filter= of the HTTP API)")
	shell := fs.Bool("shell", true, "run the handler through sh -c (false: run its words as a command and arguments)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	spec.Tags = tags
	if _, err := spec.Path(); err != nil {
		fmt.Fprintf(stderr, "discod watch: %v\n", err)
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod watch: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path, _ := spec.Path()
	if fs.NArg() == 0 {
		body, _, err := c.Blocking(ctx, path, 0, 0)
		if err != nil {
			fmt.Fprintf(stderr, "discod watch: %v\n", err)
			return 1
		}
		return printJSON(stdout, stderr, body)
	}
	handler := fs.Args()
	err = c.Watch(ctx, spec, 0, func(index uint64, body []byte) error {
		return runHandler(ctx, handler, *shell, index, body, stdout, stderr)
	}, func(err error) { fmt.Fprintf(stderr, "discod watch: %v (retrying)\n", err) })
	if err != nil {
		fmt.Fprintf(stderr, "discod watch: %v\n", err)
		return 1
	}
	return 0
}

// printJSON writes a JSON answer indented, as consul watch prints it.
func printJSON(stdout, stderr io.Writer, body []byte) int {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(body), "", "    "); err != nil {
		fmt.Fprintf(stderr, "discod watch: the agent sent unreadable JSON: %v\n", err)
		return 1
	}
	out.WriteByte('\n')
	_, _ = stdout.Write(out.Bytes())
	return 0
}

// runHandler runs the handler once with body on its standard input. A
// handler that fails is reported and the watch goes on, as Consul's; one
// that cannot be started ends the watch.
func runHandler(ctx context.Context, handler []string, shell bool, index uint64, body []byte, stdout, stderr io.Writer) error {
	var cmd *exec.Cmd
	if shell {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", strings.Join(handler, " "))
	} else {
		cmd = exec.CommandContext(ctx, handler[0], handler[1:]...)
	}
	cmd.Stdin = bytes.NewReader(body)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "CONSUL_INDEX="+strconv.FormatUint(index, 10))
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil, ctx.Err() != nil:
		return nil
	case errors.As(err, &exit):
		fmt.Fprintf(stderr, "discod watch: handler %q exited with %d\n", strings.Join(handler, " "), exit.ExitCode())
		return nil
	default:
		return fmt.Errorf("handler %q: %w", strings.Join(handler, " "), err)
	}
}

var _ flag.Value = (*stringsFlag)(nil)
