package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/discod/discod/httpapi"
)

// clientFlags adds the flags every client command shares to fs and returns
// a function that builds the API client after parsing.
func clientFlags(fs *flag.FlagSet) func() (*httpapi.Client, error) {
	def := os.Getenv("DISCOD_HTTP_ADDR")
	if def == "" {
		def = httpapi.DefaultAddr
	}
	addr := fs.String("http-addr", def, "address of the agent's HTTP API (`host:port`); env DISCOD_HTTP_ADDR")
	token := fs.String("token", os.Getenv("DISCOD_HTTP_TOKEN"), "token for write requests (sent as X-Consul-Token); env DISCOD_HTTP_TOKEN")
	return func() (*httpapi.Client, error) {
		c, err := httpapi.NewClient(*addr)
		if err == nil && *token != "" {
			c.SetToken(*token)
		}
		return c, err
	}
}

// newFlagSet returns a flag set that reports errors to stderr and does not
// exit, with a usage line.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: discod %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps the outcome to an exit code: -1 to go on,
// 0 for -h, 1 for a bad flag (the flag package already said why).
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 1
	}
	return -1
}
