package main

import (
	"context"
	"fmt"
	"io"
)

func runForceLeave(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("force-leave", "force-leave [options] NODE\n\n  Turns a failed member into left at once, on every agent, so it is no longer\n  retried and its name is free. With -prune it is removed from the member list.", stderr)
	client := clientFlags(fs)
	prune := fs.Bool("prune", false, "remove the member from the member list entirely")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "discod force-leave: exactly one node name is required")
		fs.Usage()
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod force-leave: %v\n", err)
		return 1
	}
	if err := c.ForceLeave(context.Background(), fs.Arg(0), *prune); err != nil {
		fmt.Fprintf(stderr, "Error force leaving: %v\n", err)
		return 1
	}
	return 0
}
