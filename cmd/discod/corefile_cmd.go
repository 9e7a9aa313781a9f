package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
)

// runCorefile prints the Corefile that `discod agent` with the same flags
// and config files would generate, as a starting point for -corefile.
func runCorefile(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stderr, "Usage: discod corefile [agent options]\n\n  Prints the Corefile that `discod agent` with the same options and config files\n  would generate, as a starting point for -corefile. The options are the agent's:\n\n")
			config.PrintUsage(stderr)
			return 0
		}
	}
	rt, err := config.Load(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "discod corefile: %v\n", err)
		return 1
	}
	s, err := corefile.Render(corefileOptions(rt))
	if err != nil {
		fmt.Fprintf(stderr, "discod corefile: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, s)
	return 0
}
