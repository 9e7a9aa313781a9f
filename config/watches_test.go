package config

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestWatches(t *testing.T) {
	tests := []struct {
		name, file string
		want       []Watch // nil with err set
		err        string
	}{
		{"json args", `{"watches": [{"type": "nodes", "args": ["/bin/h", "-x"]}]}`,
			[]Watch{{Type: "nodes", Args: []string{"/bin/h", "-x"}}}, ""},
		{"json service", `{"watches": [{"type": "service", "service": "web", "tag": "rails", "passingonly": true, "handler": "cat >> /tmp/x", "handler_type": "script"}]}`,
			[]Watch{{Type: "service", Service: "web", Tags: []string{"rails"}, PassingOnly: true, Handler: "cat >> /tmp/x"}}, ""},
		{"hcl blocks", "watches {\n  type = \"checks\"\n  state = \"critical\"\n  args = [\"/bin/h\"]\n}\nwatches {\n  type = \"services\"\n  args = [\"/bin/s\"]\n}\n",
			[]Watch{{Type: "checks", State: "critical", Args: []string{"/bin/h"}}, {Type: "services", Args: []string{"/bin/s"}}}, ""},
		{"no type", `{"watches": [{"args": ["/bin/h"]}]}`, nil, "needs a type"},
		{"no handler", `{"watches": [{"type": "nodes"}]}`, nil, "needs a handler"},
		{"both handlers", `{"watches": [{"type": "nodes", "args": ["a"], "handler": "b"}]}`, nil, "not both"},
		{"http handler", `{"watches": [{"type": "nodes", "handler_type": "http", "args": ["a"]}]}`, nil, `"http" is not supported`},
		{"kv watch key", `{"watches": [{"type": "key", "key": "x", "args": ["a"]}]}`, nil, "no key/value store"},
		{"unknown key", `{"watches": [{"type": "nodes", "args": ["a"], "colour": "red"}]}`, nil, `unknown key "colour"`},
		{"bad passingonly", `{"watches": [{"type": "service", "service": "w", "args": ["a"], "passingonly": "yes"}]}`, nil, `key "passingonly": want true or false`},
		{"not a list", `{"watches": "nodes"}`, nil, `key "watches"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "w.json"
			if tt.file[0] != '{' {
				name = "w.hcl"
			}
			dir := writeFiles(t, map[string]string{name: tt.file})
			args := []string{"-config-file", filepath.Join(dir, name)}
			if tt.err != "" {
				wantContains(t, loadErr(t, oneIP, args...).Error(), tt.err, name)
				return
			}
			r := mustLoad(t, oneIP, args...)
			got := watchesWithoutFrom(r.Watches)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("watches = %+v; want %+v", got, tt.want)
			}
			for _, w := range r.Watches {
				if w.From == "" {
					t.Errorf("watch %+v does not say where it was defined", w)
				}
			}
		})
	}
}
