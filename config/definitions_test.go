package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSeedServiceLoads(t *testing.T) {
	dir := writeFiles(t, map[string]string{"web.json": `{"service": {"name": "web", "tags": ["rails"], "port": 80}}`})
	r := mustLoad(t, oneIP, "-config-dir", dir)
	if len(r.Services) != 1 {
		t.Fatalf("services %+v", r.Services)
	}
	s := r.Services[0]
	file := filepath.Join(dir, "web.json")
	if s.ID != "web" || s.Name != "web" || !slices.Equal(s.Tags, []string{"rails"}) || s.Port != 80 ||
		!s.FromFile || s.Source != "config file "+file {
		t.Errorf("service %+v", s)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %q", r.Warnings)
	}
}

func TestDefinitionsLoad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		check func(t *testing.T, r *Runtime)
	}{
		{"services list and HCL blocks", map[string]string{
			"a.json": `{"services": [{"name": "a"}, {"name": "b", "id": "b1"}]}`,
			"b.hcl":  "service {\n name = \"c\"\n}\nservice {\n name = \"d\"\n}\n",
		}, nil, func(t *testing.T, r *Runtime) {
			var ids []string
			for _, s := range r.Services {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, []string{"a", "b1", "c", "d"}) {
				t.Errorf("ids %q", ids)
			}
		}},
		{"node checks", map[string]string{
			"c.json": `{"check": {"name": "mem", "ttl": "30s"}, "checks": [{"id": "disk", "name": "Disk", "ttl": "1m"}]}`,
		}, nil, func(t *testing.T, r *Runtime) {
			if len(r.Checks) != 2 || r.Checks[0].ID != "mem" || r.Checks[1].ID != "disk" || !r.Checks[0].FromFile {
				t.Errorf("checks %+v", r.Checks)
			}
		}},
		{"script check with enable_local_script_checks", map[string]string{
			"c.json": `{"enable_local_script_checks": true, "check": {"name": "ping", "args": ["true"], "interval": "30s"}}`,
		}, nil, func(t *testing.T, r *Runtime) {
			if !r.EnableLocalScriptChecks || len(r.Checks) != 1 {
				t.Errorf("%+v", r.Checks)
			}
		}},
		{"script check with the flag", map[string]string{
			"c.json": `{"service": {"name": "web", "check": {"args": ["curl", "localhost"], "interval": "10s"}}}`,
		}, []string{"-enable-local-script-checks"}, func(t *testing.T, r *Runtime) {
			if len(r.Services) != 1 || r.Services[0].Checks[0].Type() != "script" {
				t.Errorf("%+v", r.Services)
			}
		}},
		{"enable_script_checks on loopback", map[string]string{
			"c.json": `{"enable_script_checks": true, "check": {"name": "ping", "args": ["true"], "interval": "30s"}}`,
		}, nil, func(t *testing.T, r *Runtime) {
			if !r.EnableScriptChecks {
				t.Error("not enabled")
			}
		}},
		{"enable_script_checks open API with token", map[string]string{
			"c.json": `{"enable_script_checks": true, "client_addr": "0.0.0.0", "http_token": "t"}`,
		}, nil, func(t *testing.T, r *Runtime) {}},
		{"DNS warnings", map[string]string{
			"w.json": `{"service": {"name": "web_app", "tags": ["v1.2"]}}`,
		}, nil, func(t *testing.T, r *Runtime) {
			all := strings.Join(r.Warnings, "\n")
			wantContains(t, all, `w.json: service "web_app": key "name": service name "web_app" will not be discoverable via DNS`,
				`key "tags": service tag "v1.2" will not be discoverable`)
		}},
		{"service_ttl lookups", map[string]string{
			"d.hcl": "dns_config {\n service_ttl {\n \"*\" = \"5s\"\n \"web*\" = \"10s\"\n \"web-api*\" = \"20s\"\n Web = \"30s\"\n }\n}\n",
		}, nil, func(t *testing.T, r *Runtime) {
			for name, want := range map[string]time.Duration{"web": 30 * time.Second, "WEB": 30 * time.Second, "webby": 10 * time.Second,
				"web-api-v2": 20 * time.Second, "db": 5 * time.Second} {
				if got, ok := r.DNS.ServiceTTLFor(name); !ok || got != want {
					t.Errorf("ServiceTTLFor(%q) = %s, %t; want %s", name, got, ok, want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			tt.check(t, mustLoad(t, oneIP, append(tt.args, "-config-dir", dir)...))
		})
	}
	var none DNSConfig
	if _, ok := none.ServiceTTLFor("web"); ok {
		t.Error("ServiceTTLFor without service_ttl: ok")
	}
	d := DNSConfig{ServiceTTL: map[string]time.Duration{"db": time.Second}}
	if _, ok := d.ServiceTTLFor("web"); ok {
		t.Error("ServiceTTLFor without a match: ok")
	}
}

func TestDefinitionErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string // substrings; "DIR" stands for the directory
	}{
		{"same service ID in two files", map[string]string{
			"a.json": `{"service": {"name": "web"}}`,
			"b.hcl":  "service {\n name = \"web\"\n}\n",
		}, nil, []string{`config file DIR/b.hcl: service "web": service ID "web" is already defined in config file DIR/a.json`}},
		{"same service ID in one file", map[string]string{
			"a.json": `{"services": [{"name": "web"}, {"name": "web2", "id": "web"}]}`,
		}, nil, []string{`service "web2": service ID "web" is already defined in config file DIR/a.json`}},
		{"same check ID", map[string]string{
			"a.json": `{"check": {"name": "c", "ttl": "1s"}}`,
			"b.json": `{"checks": [{"name": "c", "ttl": "1s"}]}`,
		}, nil, []string{`config file DIR/b.json: check "c": check ID "c" is already defined in config file DIR/a.json`}},
		{"script check from a file, disabled", map[string]string{
			"ping.json": `{"check": {"name": "ping", "args": ["ping", "-c1", "example.com"], "interval": "30s"}}`,
		}, nil, []string{`config file DIR/ping.json: check "ping": script checks are disabled: set enable_local_script_checks`}},
		{"service script check from a file, disabled", map[string]string{
			"web.json": `{"service": {"name": "web", "check": {"args": ["curl", "localhost"], "interval": "10s"}}}`,
		}, nil, []string{`config file DIR/web.json: check "Service 'web' check": script checks are disabled`}},
		{"enable_script_checks on an open API", map[string]string{
			"a.json": `{"enable_script_checks": true, "client_addr": "0.0.0.0"}`,
		}, nil, []string{`config file DIR/a.json: key "enable_script_checks": enable_script_checks lets anyone who can reach the HTTP API run commands on this machine (remote code execution)`,
			`listens on 0.0.0.0 (config file DIR/a.json: key "client_addr")`, "set http_token"}},
		{"enable_script_checks flag on an open API", nil, []string{"-enable-script-checks", "-client", "10.9.8.7"},
			[]string{`flag -enable-script-checks: enable_script_checks lets anyone`}},
		{"bad service", map[string]string{
			"web.json": `{"service": {"name": "web", "meta": {"consul-x": "1"}, "port": 70000}}`,
		}, nil, []string{`config file DIR/web.json: service "web": key "meta": service metadata key "consul-x" uses the reserved prefix "consul-"`,
			`config file DIR/web.json: service "web": key "port": port 70000 is out of range`}},
		{"unknown service key", map[string]string{
			"web.json": `{"service": {"name": "web", "prot": 80}}`,
		}, nil, []string{`config file DIR/web.json: service "web": key "prot": unknown key (did you mean "port"?)`}},
		{"mesh", map[string]string{
			"web.json": `{"service": {"name": "web", "connect": {"sidecar_service": {}}}}`,
		}, nil, []string{`key "connect": discod has no service mesh`}},
		{"service not an object", map[string]string{
			"web.json": `{"service": "web"}`,
		}, nil, []string{`config file DIR/web.json: key "service": want an object, got string "web"`}},
		{"typo of service", map[string]string{
			"web.json": `{"servce": {"name": "web"}}`,
		}, nil, []string{`key "servce": unknown key (did you mean "service"?)`}},
		{"bad check", map[string]string{
			"c.hcl": "check {\n name = \"c\"\n http = \"http://x/\"\n}\n",
		}, nil, []string{`config file DIR/c.hcl: check "c": key "interval": a http check needs an interval`}},
		{"service_ttl bad duration", map[string]string{
			"d.json": `{"dns_config": {"service_ttl": {"web": "soon"}}}`,
		}, nil, []string{`key "dns_config.service_ttl": service_ttl for "web": "soon" is not a duration`}},
		{"service_ttl fraction", map[string]string{
			"d.json": `{"dns_config": {"service_ttl": {"web": "1500ms"}}}`,
		}, nil, []string{`service_ttl for "web": TTL 1.5s is not a whole number of seconds`}},
		{"service_ttl inner star", map[string]string{
			"d.json": `{"dns_config": {"service_ttl": {"w*b": "5s"}}}`,
		}, nil, []string{`service_ttl key "w*b": * may only end a prefix`}},
		{"negative limits", map[string]string{
			"d.json": `{"dns_config": {"udp_answer_limit": -1, "a_record_limit": -2}, "check_output_max_size": 0, "check_update_interval": "-1s"}`,
		}, nil, []string{`key "dns_config.udp_answer_limit": -1 is negative`, `key "dns_config.a_record_limit": -2 is negative`,
			`key "check_output_max_size": 0 is not positive`, `key "check_update_interval": duration -1s is negative`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			dir := ""
			if tt.files != nil {
				dir = writeFiles(t, tt.files)
				args = append(args, "-config-dir", dir)
			}
			err := loadErr(t, oneIP, args...)
			for _, w := range tt.want {
				wantContains(t, err.Error(), strings.ReplaceAll(w, "DIR", dir))
			}
		})
	}
}

func TestReloadRereadsDefinitions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"web.json": `{"service": {"name": "web", "port": 80}}`})
	r := mustLoad(t, oneIP, "-config-dir", dir)
	if err := writeFile(filepath.Join(dir, "web.json"), `{"services": [{"name": "web", "port": 81}, {"name": "api"}]}`); err != nil {
		t.Fatal(err)
	}
	r2, err := r.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Services) != 2 || r2.Services[0].Port != 81 || r2.Services[1].ID != "api" {
		t.Errorf("after reload: %+v", r2.Services)
	}
	if len(r.Services) != 1 || r.Services[0].Port != 80 {
		t.Errorf("reload changed the old Runtime: %+v", r.Services)
	}
	if got := RestartNeeded(r, r2); len(got) != 0 {
		t.Errorf("RestartNeeded = %q; services apply on reload", got)
	}
}
