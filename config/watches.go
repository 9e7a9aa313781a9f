package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/discod/discod/internal/rawvalue"
)

// The watches block, Consul's keys: a list of watches that the agent runs
// while it is up, each following a view of the catalog with blocking
// queries and running a handler with every changed result on its
// standard input (as `discod watch`). The watch types and their rules are
// checked where they are served (httpapi.WatchSpec) when the agent starts.

// Watch is one entry of the watches block.
type Watch struct {
	// Type is nodes, services, service or checks.
	Type string
	// Service, Tags, PassingOnly and State narrow the watch, as the flags
	// of `discod watch`.
	Service     string
	Tags        []string
	PassingOnly bool
	State       string
	// Args is the handler command and its arguments, run directly;
	// Handler is the older form, a command line run with sh -c. One of
	// the two is given.
	Args    []string
	Handler string
	// From names where the watch was defined, for messages.
	From string
}

// watchesSetting stores the watches of each file in a store's lists, in
// the order of the files. It is not in the settings table: it has no flag
// and no scalar form.
var watchesSetting = &setting{key: "watches", kind: kindList}

// watchKeys are the keys a watch may have, Consul's; the ones discod does
// not serve get a reason.
var watchKeys = map[string]string{
	"type": "", "service": "", "tag": "", "passingonly": "", "state": "",
	"args": "", "handler": "", "handler_type": "",
	"datacenter":          "watches follow this agent's datacenter only",
	"token":               "discod has no ACL tokens for reads",
	"key":                 "discod has no key/value store",
	"prefix":              "discod has no key/value store",
	"http_handler_config": "only script handlers (args or handler) are run",
}

// watches decodes the watches block of one file.
func (w *walker) watches(path string, raw any) {
	objs, err := rawvalue.Objects(raw)
	if err != nil {
		w.fail(path, err)
		return
	}
	for i, o := range objs {
		at := fmt.Sprintf("%s[%d]", path, i)
		wt, err := decodeWatch(o)
		if err != nil {
			w.fail(at, err)
			continue
		}
		wt.From = w.where(at)
		w.st.put(watchesSetting, wt, wt.From)
	}
}

// decodeWatch reads one watch object.
func decodeWatch(o map[string]any) (Watch, error) {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var wt Watch
	for _, k := range keys {
		reason, known := watchKeys[k]
		switch {
		case !known:
			return wt, fmt.Errorf("unknown key %q in a watch", k)
		case reason != "":
			return wt, fmt.Errorf("key %q is not supported: %s", k, reason)
		}
		var err error
		switch raw := o[k]; k {
		case "type":
			wt.Type, err = watchString(k, raw)
		case "service":
			wt.Service, err = watchString(k, raw)
		case "state":
			wt.State, err = watchString(k, raw)
		case "handler":
			wt.Handler, err = watchString(k, raw)
		case "tag":
			wt.Tags, err = rawvalue.Strings(raw)
		case "args":
			wt.Args, err = rawvalue.Strings(raw)
		case "passingonly":
			b, ok := raw.(bool)
			if !ok {
				err = fmt.Errorf("want true or false, got %s", rawvalue.Describe(raw))
			}
			wt.PassingOnly = b
		case "handler_type":
			var ht string
			if ht, err = watchString(k, raw); err == nil && ht != "script" {
				err = fmt.Errorf("handler_type %q is not supported: only \"script\" (args or handler)", ht)
			}
		}
		if err != nil {
			return wt, fmt.Errorf("key %q: %w", k, err)
		}
	}
	switch {
	case wt.Type == "":
		return wt, fmt.Errorf("a watch needs a type (nodes, services, service or checks)")
	case len(wt.Args) == 0 && strings.TrimSpace(wt.Handler) == "":
		return wt, fmt.Errorf("a watch needs a handler: args (a command and its arguments) or handler (a command line)")
	case len(wt.Args) > 0 && wt.Handler != "":
		return wt, fmt.Errorf("a watch takes args or handler, not both")
	}
	return wt, nil
}

func watchString(key string, raw any) (string, error) {
	s, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", rawvalue.Describe(raw))
	}
	return s, nil
}

// watchValues returns every watch of every source, in order.
func watchValues(st *store) []Watch {
	var out []Watch
	for _, e := range st.list[watchesSetting.id()] {
		out = append(out, e.val.(Watch))
	}
	return out
}
