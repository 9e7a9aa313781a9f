package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/discod/discod/httpapi"
)

func runJoin(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("join", "join [options] ADDRESS...\n\n  Tells the local agent to join the cluster through each ADDRESS (host or host:port;\n  the default port is the gossip port, 8301).", stderr)
	client := clientFlags(fs)
	wan := fs.Bool("wan", false, "join the WAN pool through servers of other datacenters (default port 8302); servers only")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "discod join: at least one address to join is required")
		fs.Usage()
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod join: %v\n", err)
		return 1
	}
	joined := 0
	for _, addr := range fs.Args() {
		join := c.Join
		if *wan {
			join = c.JoinWAN
		}
		if err := join(context.Background(), addr); err != nil {
			if errors.Is(err, httpapi.ErrUnreachable) {
				fmt.Fprintf(stderr, "discod join: %v\n", err)
				return 1
			}
			fmt.Fprintf(stderr, "Error joining address '%s': %v\n", addr, err)
			continue
		}
		joined++
	}
	if joined == 0 {
		fmt.Fprintln(stderr, "Failed to join any nodes.")
		return 1
	}
	fmt.Fprintf(stdout, "Successfully joined cluster by contacting %d nodes.\n", joined)
	return 0
}
