package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
)

func runReload(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("reload", "reload [options]\n\n  Makes the local agent re-read its config files and Corefile, as SIGHUP does.", stderr)
	client := clientFlags(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	c, err := client()
	if err == nil {
		err = c.Reload(context.Background())
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error reloading: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Configuration reload triggered")
	return 0
}

func runMonitor(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("monitor", "monitor [options]\n\n  Streams the local agent's log lines until interrupted.", stderr)
	client := clientFlags(fs)
	level := fs.String("log-level", "info", "lowest `level` to show: trace, debug, info, warn or error")
	asJSON := fs.Bool("log-json", false, "show the lines as JSON")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod monitor: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.Monitor(ctx, *level, *asJSON, stdout); err != nil {
		fmt.Fprintf(stderr, "discod monitor: %v\n", err)
		return 1
	}
	return 0
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("info", "info [options]\n\n  Prints what the local agent knows about itself and its cluster.", stderr)
	client := clientFlags(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod info: %v\n", err)
		return 1
	}
	self, err := c.Self(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "discod info: %v\n", err)
		return 1
	}
	for _, section := range slices.Sorted(maps.Keys(self.Stats)) {
		fmt.Fprintf(stdout, "%s:\n", section)
		kv := self.Stats[section]
		for _, k := range slices.Sorted(maps.Keys(kv)) {
			fmt.Fprintf(stdout, "\t%s = %s\n", k, kv[k])
		}
	}
	return 0
}

// runValidate checks config files (and the Corefile they or -corefile
// name) the way `discod agent` would at start, without starting anything.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "validate [options] FILE_OR_DIRECTORY...\n\n  Checks config files and directories, and the Corefile they name (or -corefile),\n  without starting an agent. Exits 0 when they are valid.", stderr)
	corefilePath := fs.String("corefile", "", "also check this Corefile")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 && *corefilePath == "" {
		fmt.Fprintln(stderr, "discod validate: give at least one config file or directory, or -corefile")
		return 1
	}
	var agentArgs []string
	for _, p := range fs.Args() {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(stderr, "Config validation failed: %v\n", err)
			return 1
		}
		if st.IsDir() {
			agentArgs = append(agentArgs, "-config-dir", p)
		} else {
			agentArgs = append(agentArgs, "-config-file", p)
		}
	}
	if *corefilePath != "" {
		agentArgs = append(agentArgs, "-corefile", *corefilePath)
	}
	rt, err := config.Load(agentArgs, io.Discard)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "Config validation failed: %v\n", err)
		return 1
	}
	for _, w := range rt.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if rt.Corefile != "" {
		b, err := corefile.Load(rt.Corefile)
		if err == nil {
			err = corefile.Validate(rt.Corefile, b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "Corefile validation failed: %v\n", err)
			return 1
		}
	} else if _, err := corefile.Render(corefileOptions(rt)); err != nil {
		fmt.Fprintf(stderr, "Config validation failed: the default Corefile cannot be generated: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprintln(stdout, "Configuration is valid!")
	}
	return 0
}
