package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/discod/discod/config"
	"github.com/discod/discod/servicedef"
)

// subcommand is one subcommand of a command with subcommands (services,
// catalog).
type subcommand struct {
	name, synopsis string
	run            func(args []string, stdout, stderr io.Writer) int
}

// runSubcommand runs the subcommand args[0] of command name, or prints
// the command's usage: to stderr, exit 0 for -h and 1 otherwise.
func runSubcommand(name, about string, subs []subcommand, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		for _, s := range subs {
			if s.name == args[0] {
				return s.run(args[1:], stdout, stderr)
			}
		}
	}
	help := len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0])
	if len(args) > 0 && !help {
		fmt.Fprintf(stderr, "discod %s: unknown subcommand %q\n\n", name, args[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: discod %s <subcommand> [options]\n\n  %s\n\nSubcommands:\n", name, about)
	for _, s := range subs {
		fmt.Fprintf(&b, "    %-12s %s\n", s.name, s.synopsis)
	}
	fmt.Fprintf(&b, "\nRun `discod %s <subcommand> -h` for a subcommand's options.\n", name)
	fmt.Fprint(stderr, b.String())
	if help {
		return 0
	}
	return 1
}

func runServices(args []string, stdout, stderr io.Writer) int {
	return runSubcommand("services", "Registers services with the local agent and deregisters them.", []subcommand{
		{"register", "Registers services with the local agent", runServicesRegister},
		{"deregister", "Deregisters services from the local agent", runServicesDeregister},
	}, args, stdout, stderr)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runServicesRegister(args []string, stdout, stderr io.Writer) int {
	const me = "discod services register"
	fs := newFlagSet("services register", "services register [options] [FILE...]\n\n"+
		"  Registers services with the local agent, from FILEs in config file format\n"+
		"  (a service or services key, JSON or HCL) or from the flags, as Consul's\n"+
		"  `services register`. The agent persists them in its data dir; script checks\n"+
		"  need enable_script_checks on the agent.", stderr)
	client := clientFlags(fs)
	id := fs.String("id", "", "service `ID` (default: the name)")
	name := fs.String("name", "", "service `name`; required unless FILEs are given")
	address := fs.String("address", "", "service `address`, an IP or host name (default: the node's address)")
	port := fs.Int("port", 0, "service `port`")
	var tags, meta listFlag
	fs.Var(&tags, "tag", "service `tag`; repeatable")
	fs.Var(&meta, "meta", "service metadata `key=value`; repeatable")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var svcs []servicedef.Service
	switch {
	case fs.NArg() == 0 && *name == "":
		fmt.Fprintf(stderr, "%s: give FILEs or -name (with -port and the other flags)\n", me)
		return 1
	case fs.NArg() > 0 && *name != "":
		fmt.Fprintf(stderr, "%s: give FILEs or flags, not both\n", me)
		return 1
	case fs.NArg() > 0:
		for _, f := range fs.Args() {
			got, warns, err := config.ServiceFile(f)
			for _, w := range warns {
				fmt.Fprintf(stderr, "%s: warning: %s\n", me, w)
			}
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", me, err)
				return 1
			}
			svcs = append(svcs, got...)
		}
	default:
		s := servicedef.Service{ID: *id, Name: *name, Address: *address, Port: *port, Tags: tags}
		for _, kv := range meta {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fmt.Fprintf(stderr, "%s: -meta %q: want key=value\n", me, kv)
				return 1
			}
			if s.Meta == nil {
				s.Meta = map[string]string{}
			}
			s.Meta[k] = v
		}
		s.Normalize()
		warns, err := s.Validate()
		for _, w := range warns {
			fmt.Fprintf(stderr, "%s: warning: %s\n", me, w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", me, err)
			return 1
		}
		svcs = append(svcs, s)
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	for i := range svcs {
		s := &svcs[i]
		if err := c.ServiceRegister(context.Background(), s); err != nil {
			fmt.Fprintf(stderr, "%s: registering service %q: %v\n", me, s.Name, err)
			return 1
		}
		fmt.Fprintf(stdout, "Registered service: %s\n", s.Name)
	}
	return 0
}

func runServicesDeregister(args []string, stdout, stderr io.Writer) int {
	const me = "discod services deregister"
	fs := newFlagSet("services deregister", "services deregister [options] -id=ID | FILE...\n\n"+
		"  Deregisters services, with their checks, from the local agent: the one\n"+
		"  -id names, or those the FILEs define (by ID, default the name), as\n"+
		"  Consul's `services deregister`. Services defined in the agent's config\n"+
		"  files belong to the files: remove them there and reload.", stderr)
	client := clientFlags(fs)
	id := fs.String("id", "", "`ID` of the service to deregister")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var ids []string
	switch {
	case fs.NArg() == 0 && *id == "":
		fmt.Fprintf(stderr, "%s: give -id or FILEs\n", me)
		return 1
	case fs.NArg() > 0 && *id != "":
		fmt.Fprintf(stderr, "%s: give -id or FILEs, not both\n", me)
		return 1
	case fs.NArg() > 0:
		for _, f := range fs.Args() {
			svcs, _, err := config.ServiceFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", me, err)
				return 1
			}
			for _, s := range svcs {
				ids = append(ids, s.ID)
			}
		}
	default:
		ids = []string{*id}
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	for _, id := range ids {
		if err := c.ServiceDeregister(context.Background(), id); err != nil {
			fmt.Fprintf(stderr, "%s: deregistering service %q: %v\n", me, id, err)
			return 1
		}
		fmt.Fprintf(stdout, "Deregistered service: %s\n", id)
	}
	return 0
}
