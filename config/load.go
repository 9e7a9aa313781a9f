package config

import (
	"errors"
	"flag"
	"io"
	"slices"
)

// Load parses the agent's arguments (everything after "agent"), reads the
// -config-file and -config-dir files, merges them (see the package
// documentation), applies defaults and validates the result.
//
// Errors name the file and key, or the flag, and the problem. -h or -help
// prints usage to usage and returns flag.ErrHelp. Ignored Consul keys do not
// fail the load: they are listed in Runtime.Warnings.
func Load(args []string, usage io.Writer) (*Runtime, error) {
	return load(args, usage, hostEnv)
}

// Reload re-reads the same files with the same flags, as on SIGHUP, and
// returns the new Runtime; r is unchanged. Compare the two with
// RestartNeeded.
func (r *Runtime) Reload() (*Runtime, error) {
	if r.env == nil {
		return nil, errors.New("reload: this configuration was not made by config.Load")
	}
	return load(r.args, io.Discard, r.env)
}

// load is Load with the host environment as a parameter.
func load(args []string, usage io.Writer, e *env) (*Runtime, error) {
	flags := newStore()
	var srcs []source
	fs := newFlagSet(flags, &srcs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(usage, fs)
			return nil, flag.ErrHelp
		}
		return nil, flagError(err, fs)
	}
	if fs.NArg() > 0 {
		return nil, positionalError(args, fs)
	}

	files, err := expandSources(srcs)
	if err != nil {
		return nil, err
	}
	merged := newStore()
	var warnings []string
	var errs []error
	for _, f := range files {
		st, warns, err := decodeFile(f)
		warnings = append(warnings, warns...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		merged.merge(st)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	merged.merge(flags)

	r, err := build(merged, e)
	if err != nil {
		return nil, err
	}
	r.ConfigFiles = files
	r.Warnings = warnings
	r.args = slices.Clone(args)
	r.env = e
	return r, nil
}
