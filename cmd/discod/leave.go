package main

import (
	"context"
	"fmt"
	"io"
)

func runLeave(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("leave", "leave [options]\n\n  Makes the local agent leave the cluster gracefully and shut down.", stderr)
	client := clientFlags(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "discod leave: unexpected argument %q\n", fs.Arg(0))
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod leave: %v\n", err)
		return 1
	}
	if err := c.Leave(context.Background()); err != nil {
		fmt.Fprintf(stderr, "Error leaving: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Graceful leave complete")
	return 0
}
