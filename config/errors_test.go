package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileErrors checks that every class of file problem is reported with
// the file name, the key and the problem.
func TestFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // file name, its extension picks the format
		content string
		want    []string // substrings of the error, besides the file path
	}{
		{"invalid JSON", "a.json", "{\n  \"server\": true,\n  \"node_name\" \"x\"\n}", []string{"invalid JSON at line 3, column 15"}},
		{"truncated JSON", "a.json", `{"server": true`, []string{"invalid JSON: unexpected end of file"}},
		{"empty JSON", "a.json", "", []string{"the file is empty"}},
		{"JSON not an object", "a.json", `["server"]`, []string{"top level must be a JSON object, not a list"}},
		{"trailing JSON", "a.json", `{} {}`, []string{"data after the top-level object"}},
		{"invalid HCL", "a.hcl", "server = true\nnode_name = \"x\n", []string{"invalid HCL: At 2:15: literal not terminated"}},
		{"unclosed HCL block", "a.hcl", "ports {\n dns = 53\n", []string{"invalid HCL: At 3:", "expected closing RBRACE"}},
		{"bool as string", "a.json", `{"server": "yes"}`, []string{`key "server": want true or false, got string "yes"`}},
		{"bool as string HCL", "a.hcl", `server = "yes"`, []string{`key "server": want true or false, got string "yes"`}},
		{"port out of range", "a.json", `{"ports": {"dns": 70000}}`, []string{`key "ports.dns": port 70000 is out of range 0–65535`}},
		{"port disabled", "a.hcl", "ports {\n http = -1\n}", []string{`key "ports.http": port -1`, "not supported by discod"}},
		{"port as string", "a.json", `{"ports": {"http": "8500"}}`, []string{`key "ports.http": want a whole number, got string "8500"`}},
		{"port fraction", "a.json", `{"ports": {"http": 85.5}}`, []string{`key "ports.http": want a whole number, got number 85.5`}},
		{"ports not an object", "a.json", `{"ports": 53}`, []string{`key "ports": want an object, got number 53`}},
		{"bad duration", "a.json", `{"retry_interval": "soon"}`, []string{`key "retry_interval": "soon" is not a duration`}},
		{"duration as number", "a.json", `{"retry_interval": 30}`, []string{`key "retry_interval": want a duration string such as "30s", got number 30`}},
		{"negative duration", "a.json", `{"reconnect_timeout": "-1h"}`, []string{`key "reconnect_timeout": duration -1h0m0s must be positive`}},
		{"fractional ttl", "a.json", `{"dns_config": {"node_ttl": "1500ms"}}`, []string{`key "dns_config.node_ttl": TTL 1.5s is not a whole number of seconds`}},
		{"soa min_ttl string", "a.hcl", "dns_config {\n soa {\n min_ttl = \"5s\"\n }\n}", []string{`key "dns_config.soa.min_ttl": want a whole number of seconds, got string "5s"`}},
		{"negative count", "a.json", `{"retry_max": -2}`, []string{`key "retry_max": -2 is negative`}},
		{"negative gossip tuning", "a.json", `{"gossip_lan": {"suspicion_mult": -1}}`, []string{`key "gossip_lan.suspicion_mult": -1 is negative`}},
		{"unknown gossip tuning key", "a.json", `{"gossip_wan": {"probe_intervall": "1s"}}`, []string{`gossip_wan.probe_intervall`}},
		{"bad address", "a.json", `{"bind_addr": "10.0.0.300"}`, []string{`key "bind_addr": "10.0.0.300" is not an IP address`}},
		{"address with port", "a.json", `{"client_addr": "127.0.0.1:8500"}`, []string{`key "client_addr": "127.0.0.1:8500" has a port`}},
		{"address list", "a.json", `{"client_addr": "127.0.0.1 ::1"}`, []string{`key "client_addr"`, "discod takes a single IP address"}},
		{"sockaddr template", "a.hcl", `bind_addr = "{{ GetPrivateIP }}"`, []string{`key "bind_addr"`, "go-sockaddr template"}},
		{"wildcard advertise", "a.json", `{"advertise_addr": "0.0.0.0"}`, []string{`key "advertise_addr": 0.0.0.0 is a wildcard`}},
		{"unknown key", "a.json", `{"node_nmae": "x"}`, []string{`key "node_nmae": unknown key (did you mean "node_name"?)`}},
		{"unknown nested key", "a.hcl", "ports {\n dsn = 53\n}", []string{`key "ports.dsn": unknown key (did you mean "ports.dns"?)`}},
		{"key in wrong block", "a.json", `{"node_ttl": "5s"}`, []string{`key "node_ttl": unknown key (did you mean "dns_config.node_ttl"?)`}},
		{"flag name as key", "a.json", `{"bind": "10.0.0.1"}`, []string{`key "bind": unknown key (did you mean "bind_addr"?)`}},
		{"dotted key", "a.json", `{"ports.dns": 53}`, []string{`key "ports.dns": unknown key: dotted names are not read`}},
		{"unknown key no suggestion", "a.json", `{"frobnicate": 1}`, []string{`key "frobnicate": unknown key`}},
		{"list of numbers", "a.json", `{"retry_join": ["a", 5]}`, []string{`key "retry_join": want a list of strings, but item 2 is number 5`}},
		{"cloud auto-join", "a.json", `{"retry_join": ["provider=aws tag_key=x"]}`, []string{`key "retry_join"`, "cloud auto-join"}},
		{"meta value not string", "a.json", `{"node_meta": {"n": 1}}`, []string{`key "node_meta.n": want a string, got number 1`}},
		{"meta reserved", "a.hcl", "node_meta {\n consul-x = \"y\"\n}", []string{`key "node_meta"`, `reserved prefix "consul-"`}},
		{"meta bad key", "a.json", `{"node_meta": {"a b": "y"}}`, []string{`key "node_meta"`, `has character ' '`}},
		{"node name invalid", "a.json", `{"node_name": "web_1"}`, []string{`key "node_name": node name "web_1" is not a valid DNS label`, "-node"}},
		{"datacenter invalid", "a.json", `{"datacenter": "dc.1"}`, []string{`key "datacenter": datacenter "dc.1" is not a valid DNS label`}},
		{"domain invalid", "a.json", `{"domain": "a..b"}`, []string{`key "domain": domain "a..b." has an empty label`}},
		{"domain root", "a.json", `{"domain": "."}`, []string{`key "domain": domain may not be the DNS root`}},
		{"log level", "a.json", `{"log_level": "loud"}`, []string{`key "log_level": log level "loud" is not one of trace, debug, info, warn, error`}},
		{"recursor host name", "a.json", `{"recursors": ["dns.google"]}`, []string{`key "recursors": recursor "dns.google" is not an IP address`, "does not resolve host names"}},
		{"recursor allow", "a.json", `{"recursor_allow": ["10/8"]}`, []string{`key "recursor_allow": "10/8" is not a CIDR prefix`}},
		{"encrypt length", "a.json", `{"encrypt": "c2hvcnQ="}`, []string{`key "encrypt": encryption key decodes to 5 bytes; it must be 16, 24 or 32`}},
		{"encrypt base64", "a.json", `{"encrypt": "not base64!"}`, []string{`key "encrypt": encryption key is not valid base64`}},
		{"metrics addr", "a.json", `{"metrics_addr": "localhost"}`, []string{`key "metrics_addr": metrics address "localhost" is not host:port`}},
		{"corefile missing", "a.json", `{"corefile": "/nonexistent/Corefile"}`, []string{`key "corefile": corefile /nonexistent/Corefile: no such file or directory`}},
		{"null value", "a.json", `{"data_dir": null}`, []string{`key "data_dir": want a string, got null`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tt.file: tt.content})
			path := filepath.Join(dir, tt.file)
			err := loadErr(t, oneIP, "-config-file", path)
			wantContains(t, err.Error(), append([]string{"config file " + path + ": "}, tt.want...)...)
		})
	}
}

func TestAllFileErrorsReported(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.json": `{"server": "yes", "ports": {"dns": 99999}}`,
		"b.hcl":  `nodename = "x"`,
	})
	err := loadErr(t, oneIP, "-config-dir", dir)
	wantContains(t, err.Error(), `a.json: key "server"`, `a.json: key "ports.dns"`, `b.hcl: key "nodename": unknown key (did you mean "node_name"?)`)
}

func TestSourceErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "server: true", "d/x.json": "{}"})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad extension", []string{"-config-file", filepath.Join(dir, "a.yaml")}, `config file ` + filepath.Join(dir, "a.yaml") + `: unknown extension ".yaml": name it .json or .hcl`},
		{"missing file", []string{"-config-file", filepath.Join(dir, "none.json")}, `config file ` + filepath.Join(dir, "none.json") + `: no such file or directory`},
		{"file is a dir", []string{"-config-file", filepath.Join(dir, "d")}, "is a directory: use -config-dir"},
		{"missing dir", []string{"-config-dir", filepath.Join(dir, "nodir")}, `config dir ` + filepath.Join(dir, "nodir") + `: no such file or directory`},
		{"dir is a file", []string{"-config-dir", filepath.Join(dir, "a.yaml")}, `config dir ` + filepath.Join(dir, "a.yaml")},
		{"empty path", []string{"-config-file="}, `invalid value "" for flag -config-file: path is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantContains(t, loadErr(t, oneIP, tt.args...).Error(), tt.want)
		})
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"consul flag", []string{"-ui"}, []string{"flag -ui is a Consul flag discod does not implement"}},
		{"consul flag with hint", []string{"-bootstrap"}, []string{"flag -bootstrap is a Consul flag discod does not implement (use -bootstrap-expect)"}},
		{"typo", []string{"-nod", "x"}, []string{"flag provided but not defined: -nod (did you mean -node?)"}},
		{"unknown", []string{"-frobnicate"}, []string{"flag provided but not defined: -frobnicate", "-help"}},
		{"positional", []string{"-node", "x", "extra"}, []string{`unexpected argument "extra": discod agent takes only flags`}},
		{"bool with space", []string{"-server", "false"}, []string{`unexpected argument "false": write -server=false`}},
		{"bad int", []string{"-dns-port", "abc"}, []string{`invalid value "abc" for flag -dns-port: want a whole number`}},
		{"port range", []string{"-http-port", "65536"}, []string{`invalid value "65536" for flag -http-port: port 65536 is out of range`}},
		{"bad bool", []string{"-server=yes"}, []string{`invalid boolean value "yes" for -server: want true or false`}},
		{"bad duration", []string{"-retry-interval", "5"}, []string{`invalid value "5" for flag -retry-interval: want a duration`}},
		{"zero interval", []string{"-retry-interval", "0s"}, []string{`flag -retry-interval: duration 0s must be positive`}},
		{"bad bind", []string{"-bind", "host.example"}, []string{`invalid value "host.example" for flag -bind: "host.example" is not an IP address`}},
		{"bad node", []string{"-node", "a.b"}, []string{`for flag -node: node name "a.b" is not a valid DNS label`, "set a valid name with -node"}},
		{"meta empty key", []string{"-node-meta", ":v"}, []string{`flag -node-meta: node metadata key is empty`}},
		{"meta reserved", []string{"-node-meta", "discod-x:v"}, []string{`flag -node-meta: node metadata key "discod-x" uses the reserved prefix "discod-"`}},
		{"recursor name", []string{"-recursor", "one.one.one.one"}, []string{`flag -recursor: recursor "one.one.one.one" is not an IP address`}},
		{"recursor allow", []string{"-recursor-allow", "everything"}, []string{`flag -recursor-allow: "everything" is not a CIDR prefix`}},
		{"encrypt", []string{"-encrypt", "AAAA"}, []string{"flag -encrypt: encryption key decodes to 3 bytes"}},
		{"log level", []string{"-log-level", "verbose"}, []string{`flag -log-level: log level "verbose" is not one of`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantContains(t, loadErr(t, oneIP, tt.args...).Error(), tt.want...)
		})
	}
}

// TestCrossErrors checks the checks that need the merged settings; the
// message names the source of the offending value.
func TestCrossErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"be.json":  `{"bootstrap_expect": 3}`,
		"dom.json": `{"domain": "consul"}`,
	})
	tests := []struct {
		name string
		env  *env
		args []string
		want []string
	}{
		{"bootstrap expect without server (flag)", oneIP, []string{"-bootstrap-expect", "3"},
			[]string{"flag -bootstrap-expect: bootstrap_expect 3 needs server mode: add -server"}},
		{"bootstrap expect without server (file)", oneIP, []string{"-config-file", filepath.Join(dir, "be.json")},
			[]string{`config file ` + filepath.Join(dir, "be.json") + `: key "bootstrap_expect": bootstrap_expect 3 needs server mode`}},
		{"equal domains", oneIP, []string{"-config-file", filepath.Join(dir, "dom.json"), "-alt-domain", "Consul."},
			[]string{`flag -alt-domain: alt_domain "consul." is the same as domain (config file ` + filepath.Join(dir, "dom.json") + `: key "domain")`}},
		{"nested domains", oneIP, []string{"-alt-domain", "dc1.consul"},
			[]string{`flag -alt-domain: alt_domain "dc1.consul." and domain "consul." (default) nest`}},
		{"port clash on client", oneIP, []string{"-http-port", "8600"},
			[]string{"flag -http-port: port 8600 is already taken by ports.dns (default) on the same address"}},
		{"port clash gossip", oneIP, []string{"-serf-wan-port", "8301"},
			[]string{"flag -serf-wan-port: port 8301 is already taken by ports.serf_lan (default)"}},
		{"port clash across when addresses overlap", oneIP, []string{"-client", "0.0.0.0", "-dns-port", "8301"},
			[]string{"port 8301 is already taken by ports.dns (flag -dns-port)"}},
		{"recursor loop", oneIP, []string{"-recursor", "127.0.0.1:8600"},
			[]string{"flag -recursor: recursor 127.0.0.1:8600 is this agent's own DNS listener"}},
		{"recursor loop wildcard", oneIP, []string{"-client", "0.0.0.0", "-dns-port", "53", "-recursor", "10.9.8.7"},
			[]string{"recursor 10.9.8.7:53 is this agent's own DNS listener"}},
		{"too much meta", oneIP, manyMeta(65), []string{"flag -node-meta: node metadata has more than 64 keys"}},
		{"no private IP", testEnv("h", "203.0.113.1", "127.0.0.1", "fd00::1"), nil,
			[]string{"no private IPv4 address found: set -bind to the address other agents should use"}},
		{"several private IPs", testEnv("h", "10.0.0.2", "192.168.1.9", "10.0.0.2"), nil,
			[]string{"several private IPv4 addresses found (10.0.0.2, 192.168.1.9): set -bind"}},
		{"bad host name", testEnv("my_host.example.com", "10.0.0.1"), nil,
			[]string{`default node name from host name "my_host.example.com": node name "my_host" is not a valid DNS label`, "set -node"}},
		{"empty host name", testEnv("", "10.0.0.1"), nil, []string{"node name is empty", "set -node"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantContains(t, loadErr(t, tt.env, tt.args...).Error(), tt.want...)
		})
	}
	// 64 pairs, one given twice, pass the count, but 64 pairs cannot be
	// gossiped (membership.NodeMetaBudget): the message says that, not
	// that there are too many keys.
	wantContains(t, loadErr(t, oneIP, append(manyMeta(64), "-node-meta", "k0:again")...).Error(),
		"flag -node-meta: key", "memberlist gossips at most 512 bytes")
	// As many as fit, one given twice, is fine.
	r := mustLoad(t, oneIP, append(manyMeta(24), "-node-meta", "k0:again")...)
	if len(r.NodeMeta) != 24 || r.NodeMeta["k0"] != "again" {
		t.Errorf("24 meta pairs: got %d, k0=%q", len(r.NodeMeta), r.NodeMeta["k0"])
	}
}

// manyMeta returns -node-meta flags for n distinct keys.
func manyMeta(n int) []string {
	var args []string
	for i := range n {
		args = append(args, "-node-meta", fmt.Sprintf("k%d:v", i))
	}
	return args
}

func TestMetaTooManyInFiles(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"node_meta": {`)
	for i := range 65 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%02d": "v"`, i)
	}
	b.WriteString("}}")
	dir := writeFiles(t, map[string]string{"m.json": b.String()})
	err := loadErr(t, oneIP, "-config-dir", dir)
	wantContains(t, err.Error(), `m.json: key "node_meta": node metadata has more than 64 keys`)
}
