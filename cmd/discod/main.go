// Command discod is the discod agent and its command-line interface.
//
// `discod agent` runs the daemon: gossip (membership), the embedded CoreDNS
// with the consulnode plugin (corefile), and the HTTP API (httpapi). Every
// other command is a client of a running agent's HTTP API, as in Consul.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// command is one `discod` subcommand. run returns the process exit code.
type command struct {
	name     string
	synopsis string
	run      func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"agent", "Runs a discod agent", runAgent},
		{"catalog", "Lists the services and nodes of the catalog", runCatalog},
		{"corefile", "Prints the Corefile the agent flags and config would generate", runCorefile},
		{"force-leave", "Forces a failed member out of the cluster", runForceLeave},
		{"info", "Prints what the local agent knows about itself and its cluster", runInfo},
		{"join", "Tells a running agent to join the cluster", runJoin},
		{"keygen", "Generates a new gossip encryption key", runKeygen},
		{"keyring", "Manages the gossip encryption keyring of the cluster", runKeyring},
		{"leave", "Gracefully leaves the cluster and shuts down", runLeave},
		{"maint", "Places the node in or out of maintenance mode", runMaint},
		{"members", "Lists the members of the cluster", runMembers},
		{"monitor", "Streams the local agent's log lines", runMonitor},
		{"reload", "Makes the local agent re-read its config files and Corefile", runReload},
		{"services", "Registers and deregisters services of the local agent", runServices},
		{"validate", "Checks config files and a Corefile without starting", runValidate},
		{"version", "Prints the discod version", runVersion},
		{"watch", "Follows nodes, services or checks and runs a handler on changes", runWatch},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		usage(stderr)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	if args[0] == "-version" || args[0] == "--version" || args[0] == "-v" {
		return runVersion(nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "discod: unknown command %q\n\n", args[0])
	usage(stderr)
	return 1
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: discod <command> [options]\n\nAvailable commands are:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "    %-12s %s\n", c.name, c.synopsis)
	}
	b.WriteString("\nRun `discod <command> -h` for a command's options.\n")
	fmt.Fprint(w, b.String())
}
