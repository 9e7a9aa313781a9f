package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/internal/rawvalue"
)

// source is one -config-file or -config-dir argument, in command-line
// order.
type source struct {
	path string
	dir  bool
}

// flagValue is the flag.Value of one setting: Set checks the argument and
// records it in a store.
type flagValue struct {
	s  *setting
	st *store
}

// String returns "": defaults are spelled out in each flag's usage text.
func (f *flagValue) String() string { return "" }

// IsBoolFlag lets boolean settings be given as -server and -server=false.
func (f *flagValue) IsBoolFlag() bool { return f.s != nil && f.s.kind == kindBool }

// Set parses, checks and records one flag argument.
func (f *flagValue) Set(arg string) error {
	v, err := parseFlagArg(f.s.kind, arg)
	if err != nil {
		return err
	}
	if f.s.check != nil {
		if v, err = f.s.check(v); err != nil {
			return err
		}
	}
	f.st.put(f.s, v, "flag -"+f.s.flag)
	return nil
}

// parseFlagArg converts a flag argument to the base type of kind k.
func parseFlagArg(k kind, arg string) (any, error) {
	switch k {
	case kindBool:
		b, err := strconv.ParseBool(arg)
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil {
			return nil, errors.New("want a whole number")
		}
		return n, nil
	case kindDuration:
		d, err := time.ParseDuration(strings.TrimSpace(arg))
		if err != nil {
			return nil, errors.New("want a duration such as 30s or 1m30s")
		}
		return d, nil
	case kindMap:
		return parseMetaFlag(arg), nil
	default:
		return arg, nil
	}
}

// sourceFlag is the flag.Value of -config-file and -config-dir.
type sourceFlag struct {
	dir  bool
	srcs *[]source
}

func (f *sourceFlag) String() string { return "" }

func (f *sourceFlag) Set(path string) error {
	if strings.TrimSpace(path) == "" {
		return errors.New("path is empty")
	}
	*f.srcs = append(*f.srcs, source{path: path, dir: f.dir})
	return nil
}

// flagArgs names each flag's argument for -help; bool flags have none.
var flagArgs = map[string]string{"config-file": "path", "config-dir": "path"}

func init() {
	for _, s := range settings {
		if s.flag != "" && s.kind != kindBool {
			flagArgs[s.flag] = s.arg
		}
	}
}

// newFlagSet defines the agent flags on a private flag set: setting values
// go to st, -config-file and -config-dir arguments to srcs. The set prints
// nothing; Load reports errors and usage itself.
func newFlagSet(st *store, srcs *[]source) *flag.FlagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, s := range settings {
		if s.flag != "" {
			fs.Var(&flagValue{s: s, st: st}, s.flag, s.usage)
		}
	}
	fs.Var(&sourceFlag{srcs: srcs}, "config-file",
		"Read this .json or .hcl file; repeatable, applied in command-line order")
	fs.Var(&sourceFlag{dir: true, srcs: srcs}, "config-dir",
		"Read the .json and .hcl files in this directory in lexical order; repeatable")
	return fs
}

// Flags returns a fresh agent flag set with every flag defined, for help
// text and documentation. Values parsed with it are discarded; use Load to
// build a Runtime.
func Flags() *flag.FlagSet {
	var srcs []source
	return newFlagSet(newStore(), &srcs)
}

// usageHeader opens the -help text.
const usageHeader = `Usage: discod agent [options]

  Runs a discod agent: gossip membership plus the DNS interface. Settings
  come from defaults, then -config-file and -config-dir files (JSON or HCL,
  Consul's keys), then flags; later sources win and repeatable flags add to
  the lists the files give.

Options:

`

// PrintUsage writes the agent's -help text to w.
func PrintUsage(w io.Writer) {
	printUsage(w, Flags())
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageHeader)
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(w, "  -%s", f.Name)
		if arg := flagArgs[f.Name]; arg != "" {
			fmt.Fprintf(w, " %s", arg)
		}
		fmt.Fprintf(w, "\n    \t%s\n", f.Usage)
	})
}

// flagError rewrites the flag package's "not defined" error: it says when
// the flag is a Consul flag discod lacks, or suggests a close one.
func flagError(err error, fs *flag.FlagSet) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	if hint, isConsul := consulFlags[name]; isConsul {
		if hint != "" {
			return fmt.Errorf("flag -%s is a Consul flag discod does not implement (%s)", name, hint)
		}
		return fmt.Errorf("flag -%s is a Consul flag discod does not implement", name)
	}
	best, bestDist := "", 0
	fs.VisitAll(func(f *flag.Flag) {
		if d := rawvalue.EditDistance(name, f.Name); best == "" || d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if best != "" && bestDist <= rawvalue.MaxTypoDistance(name) {
		return fmt.Errorf("%w (did you mean -%s?)", err, best)
	}
	return fmt.Errorf("%w (discod agent -help lists the flags)", err)
}

// positionalError explains a leftover argument, including the common
// "-server false" mistake.
func positionalError(args []string, fs *flag.FlagSet) error {
	arg := fs.Arg(0)
	if i := len(args) - fs.NArg(); i > 0 && (arg == "true" || arg == "false") {
		prev := strings.TrimLeft(args[i-1], "-")
		if f := fs.Lookup(prev); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				return fmt.Errorf("unexpected argument %q: write -%s=%s, boolean flags take their value after '='", arg, prev, arg)
			}
		}
	}
	return fmt.Errorf("unexpected argument %q: discod agent takes only flags", arg)
}
