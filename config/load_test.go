package config

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/dnsrules"
	"github.com/discod/discod/membership"
	"github.com/discod/discod/servicedef"
)

func TestDefaults(t *testing.T) {
	r := mustLoad(t, oneIP)
	want := &Runtime{
		NodeName:         "testhost",
		Datacenter:       "dc1",
		BindAddr:         netip.MustParseAddr("10.9.8.7"),
		AdvertiseAddr:    netip.MustParseAddr("10.9.8.7"),
		AdvertiseWANAddr: netip.MustParseAddr("10.9.8.7"),
		ClientAddr:       netip.MustParseAddr("127.0.0.1"),
		HealthAddr:       "127.0.0.1:8080",
		ReadyAddr:        "127.0.0.1:8181",
		RetryInterval:    30 * time.Second,
		Ports:            Ports{DNS: 8600, HTTP: 8500, SerfLAN: 8301, SerfWAN: 8302},
		Domain:           "consul.",
		LogLevel:         "info",
		RecursorAllow:    dnsrules.DefaultRecursorAllow(),
		DNS:              DNSConfig{NodeTTL: 5 * time.Second, NegativeTTL: 5 * time.Second},
		LeaveOnTerminate: true,
		ReconnectTimeout: 72 * time.Hour,

		CheckOutputMaxSize:  4096,
		CheckUpdateInterval: 5 * time.Minute,
		env:                 oneIP,
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", r, want)
	}
}

func TestFlagForms(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*Runtime) bool
	}{
		{"equals", []string{"-node=agent-one"}, func(r *Runtime) bool { return r.NodeName == "agent-one" }},
		{"separate", []string{"-node", "agent-one"}, func(r *Runtime) bool { return r.NodeName == "agent-one" }},
		{"double dash", []string{"--node", "agent-one"}, func(r *Runtime) bool { return r.NodeName == "agent-one" }},
		{"bool bare", []string{"-server"}, func(r *Runtime) bool { return r.Server }},
		{"bool false", []string{"-dev", "-server=false"}, func(r *Runtime) bool { return !r.Server && r.Dev }},
		{"repeatable", []string{"-retry-join", "a", "-retry-join=b", "-retry-join", "a"},
			func(r *Runtime) bool { return slices.Equal(r.RetryJoin, []string{"a", "b"}) }},
		{"int and duration", []string{"-retry-max", "7", "-retry-interval=1m30s"},
			func(r *Runtime) bool { return r.RetryMax == 7 && r.RetryInterval == 90*time.Second }},
		{"ports", []string{"-dns-port", "53", "-http-port=0", "-serf-lan-port", "7301", "-serf-wan-port", "7302"},
			func(r *Runtime) bool { return r.Ports == Ports{DNS: 53, HTTP: 0, SerfLAN: 7301, SerfWAN: 7302} }},
		{"node meta", []string{"-node-meta", "rack:r1:a", "-node-meta=zone"},
			func(r *Runtime) bool {
				return reflect.DeepEqual(r.NodeMeta, map[string]string{"rack": "r1:a", "zone": ""})
			}},
		{"datacenter lower", []string{"-datacenter", "EU1"}, func(r *Runtime) bool { return r.Datacenter == "eu1" }},
		{"log level case", []string{"-log-level", "WARNING"}, func(r *Runtime) bool { return r.LogLevel == "warn" }},
		{"domain fqdn", []string{"-domain", "Example.COM", "-alt-domain", "alt."},
			func(r *Runtime) bool { return r.Domain == "example.com." && r.AltDomain == "alt." }},
		{"recursors normalised", []string{"-recursor", "9.9.9.9", "-recursor", "[2001:db8::53]:5353", "-recursor", "2001:db8::54"},
			func(r *Runtime) bool {
				return slices.Equal(r.Recursors, []string{"9.9.9.9:53", "[2001:db8::53]:5353", "[2001:db8::54]:53"})
			}},
		{"recursor allow replaces default", []string{"-recursor-allow", "100.64.1.2/10", "-recursor-allow", "::1"},
			func(r *Runtime) bool {
				return slices.Equal(r.RecursorAllow, []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("::1/128")})
			}},
		{"advertise default follows bind", []string{"-bind", "192.168.5.5"},
			func(r *Runtime) bool {
				return r.AdvertiseAddr == netip.MustParseAddr("192.168.5.5") && r.AdvertiseWANAddr == r.AdvertiseAddr
			}},
		{"ipv4-mapped unmapped", []string{"-bind", "::ffff:10.0.0.9"},
			func(r *Runtime) bool { return r.BindAddr == netip.MustParseAddr("10.0.0.9") }},
		{"rejoin encrypt token metrics", []string{"-rejoin", "-encrypt", "pUqJrVyVRj5jsiYEkM/tFQ==", "-http-token", "t", "-metrics-addr", ":9153"},
			func(r *Runtime) bool {
				return r.Rejoin && len(r.EncryptKey()) == 16 && r.HTTPToken == "t" && r.MetricsAddr == ":9153"
			}},
		{"bootstrap expect with server", []string{"-server", "-bootstrap-expect", "3"},
			func(r *Runtime) bool { return r.Server && r.BootstrapExpect == 3 }},
		{"wan joins", []string{"-join-wan", "x", "-retry-join-wan", "y", "-join", "z", "-advertise-wan", "203.0.113.9"},
			func(r *Runtime) bool {
				return slices.Equal(r.StartJoinWAN, []string{"x"}) && slices.Equal(r.RetryJoinWAN, []string{"y"}) &&
					slices.Equal(r.StartJoin, []string{"z"}) && r.AdvertiseWANAddr == netip.MustParseAddr("203.0.113.9")
			}},
		{"data dir and log json", []string{"-data-dir", "/tmp/d", "-log-json"},
			func(r *Runtime) bool { return r.DataDir == "/tmp/d" && r.LogJSON }},
		{"client", []string{"-client", "0.0.0.0"},
			func(r *Runtime) bool { return r.ClientAddr == netip.MustParseAddr("0.0.0.0") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustLoad(t, oneIP, tt.args...)
			if !tt.check(r) {
				t.Errorf("%q gave %+v", tt.args, r)
			}
		})
	}
}

func TestFlagsOverrideFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.json": `{
		"node_name": "from-file", "log_level": "debug", "server": true,
		"retry_join": ["10.0.0.1", "10.0.0.2"], "node_meta": {"rack": "r1", "zone": "z1"},
		"recursor_allow": ["10.0.0.0/8"], "ports": {"dns": 53},
		"gossip_lan": {"probe_interval": "500ms", "suspicion_mult": 3}, "gossip_wan": {"gossip_nodes": 6}
	}`})
	r := mustLoad(t, oneIP, "-config-file", filepath.Join(dir, "a.json"),
		"-node", "from-flag", "-server=false", "-retry-join", "10.0.0.3", "-retry-join", "10.0.0.1",
		"-node-meta", "rack:r2", "-recursor-allow", "192.168.0.0/16")
	tests := []struct {
		name      string
		got, want any
	}{
		{"scalar flag wins", r.NodeName, "from-flag"},
		{"bool flag wins", r.Server, false},
		{"file kept when no flag", r.LogLevel, "debug"},
		{"nested file kept", r.Ports.DNS, 53},
		{"gossip_lan tuning", r.GossipLAN, membership.Tuning{ProbeInterval: 500 * time.Millisecond, SuspicionMult: 3}},
		{"gossip_wan tuning", r.GossipWAN, membership.Tuning{GossipNodes: 6}},
		{"lists append, duplicates dropped", r.RetryJoin, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{"maps merge by key", r.NodeMeta, map[string]string{"rack": "r2", "zone": "z1"}},
		{"prefix lists append", r.RecursorAllow, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestJSONAndHCLEqual(t *testing.T) {
	fromJSON := mustLoad(t, oneIP, "-config-file", "testdata/full.json")
	fromHCL := mustLoad(t, oneIP, "-config-file", "testdata/full.hcl")
	for _, r := range []*Runtime{fromJSON, fromHCL} {
		if len(r.Warnings) != 0 {
			t.Errorf("%v: unexpected warnings %q", r.ConfigFiles, r.Warnings)
		}
		r.ConfigFiles, r.args = nil, nil
		clearSources(r)
	}
	if !reflect.DeepEqual(fromJSON, fromHCL) {
		t.Fatalf("JSON and HCL differ:\nJSON %+v\n HCL %+v", fromJSON, fromHCL)
	}
	want := &Runtime{
		NodeName:         "web-1",
		Datacenter:       "eu-west",
		BindAddr:         netip.MustParseAddr("10.1.2.3"),
		AdvertiseAddr:    netip.MustParseAddr("192.0.2.10"),
		AdvertiseWANAddr: netip.MustParseAddr("198.51.100.10"),
		ClientAddr:       netip.MustParseAddr("0.0.0.0"),
		DataDir:          "/var/lib/discod",
		Server:           true,
		BootstrapExpect:  3,
		StartJoin:        []string{"10.1.2.4"},
		RetryJoin:        []string{"10.1.2.5", "node-6.example.com:8301"},
		RetryInterval:    15 * time.Second,
		RetryMax:         5,
		StartJoinWAN:     []string{"203.0.113.1"},
		RetryJoinWAN:     []string{"[2001:db8::1]:8302"},
		Ports:            Ports{DNS: 53, HTTP: 8501, SerfLAN: 9301, SerfWAN: 9302},
		Domain:           "discod.internal.",
		AltDomain:        "example.org.",
		LogLevel:         "debug",
		LogJSON:          true,
		Recursors:        []string{"1.1.1.1:53", "[2606:4700:4700::1111]:5353"},
		RecursorAllow:    []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")},
		NodeMeta:         map[string]string{"rack": "r12", "role": "web"},
		DNS: DNSConfig{NodeTTL: 30 * time.Second, NegativeTTL: 10 * time.Second, FailedAnswer: true, NoReverse: true,
			ServiceTTL:  map[string]time.Duration{"*": 5 * time.Second, "web*": 10 * time.Second, "db": 30 * time.Second},
			OnlyPassing: true, UDPAnswerLimit: 3, ARecordLimit: 2, EnableTruncate: true},
		EnableScriptChecks:      true,
		EnableLocalScriptChecks: true,
		CheckOutputMaxSize:      8192,
		CheckUpdateInterval:     time.Minute,
		Services: []servicedef.Service{
			{ID: "web", Name: "web", Tags: []string{"rails"}, Port: 80, Meta: map[string]string{"v": "1"},
				Weights: &catalog.Weights{Passing: 10, Warning: 1}, FromFile: true,
				Checks: []servicedef.Check{{ID: "service:web", Name: "Service 'web' check", ServiceID: "web",
					Args: []string{"curl", "localhost"}, Interval: 10 * time.Second, Timeout: 30 * time.Second,
					Status: "critical", FromFile: true}}},
			{ID: "db1", Name: "db", Port: 5432, FromFile: true, Checks: []servicedef.Check{
				{ID: "service:db1:1", Name: "Service 'db' check", ServiceID: "db1", TCP: "localhost:5432",
					Interval: 5 * time.Second, Timeout: 10 * time.Second, Status: "critical", FromFile: true},
				{ID: "service:db1:2", Name: "ttl", ServiceID: "db1", TTL: 30 * time.Second, Status: "critical", FromFile: true},
			}},
		},
		Checks: []servicedef.Check{{ID: "ping", Name: "ping", Args: []string{"ping", "-c1", "example.com"},
			Interval: 30 * time.Second, Timeout: 30 * time.Second, Status: "critical", FromFile: true}},
		MetricsAddr:          "127.0.0.1:9153",
		HealthAddr:           "0.0.0.0:8080",
		ReadyAddr:            "0.0.0.0:8181",
		LeaveOnTerminate:     false,
		SkipLeaveOnInterrupt: true,
		Rejoin:               true,
		ReconnectTimeout:     8 * time.Hour,
		Encrypt:              "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=",
		HTTPToken:            "s3cret",
		env:                  oneIP,
	}
	if !reflect.DeepEqual(fromJSON, want) {
		t.Errorf("full config:\n got %+v\nwant %+v", fromJSON, want)
	}
}

func TestConfigDir(t *testing.T) {
	t.Run("lexical order and extension filter", func(t *testing.T) {
		r := mustLoad(t, oneIP, "-config-dir", "testdata/dir")
		wantFiles := []string{"testdata/dir/10-base.json", "testdata/dir/15-middle.json", "testdata/dir/20-override.hcl"}
		if !slices.Equal(r.ConfigFiles, wantFiles) {
			t.Errorf("files read %q, want %q", r.ConfigFiles, wantFiles)
		}
		if r.NodeName != "from-override" || r.Datacenter != "dc-base" || r.LogLevel != "warn" {
			t.Errorf("merge order wrong: node %q dc %q level %q", r.NodeName, r.Datacenter, r.LogLevel)
		}
		if !slices.Equal(r.RetryJoin, []string{"10.0.0.1", "10.0.0.2"}) {
			t.Errorf("retry_join %q, want both files' entries in order", r.RetryJoin)
		}
	})
	t.Run("directories and other files skipped", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"a.json":          `{"node_name": "a"}`,
			"sub.json/b.json": `{"node_name": "b"}`,
			"c.yaml":          `node_name: c`,
			"d.hcl.disabled":  `node_name = "d"`,
		})
		r := mustLoad(t, oneIP, "-config-dir", dir)
		if r.NodeName != "a" || len(r.ConfigFiles) != 1 {
			t.Errorf("node %q from %q, want a from a.json only", r.NodeName, r.ConfigFiles)
		}
	})
	t.Run("files and dirs in command-line order", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"first.json":   `{"node_name": "first"}`,
			"d/mid.json":   `{"node_name": "mid"}`,
			"last.hcl":     `node_name = "last"`,
			"d/other.json": `{"datacenter": "x"}`,
		})
		r := mustLoad(t, oneIP, "-config-file", filepath.Join(dir, "first.json"),
			"-config-dir", filepath.Join(dir, "d"), "-config-file", filepath.Join(dir, "last.hcl"))
		if r.NodeName != "last" || r.Datacenter != "x" || len(r.ConfigFiles) != 4 {
			t.Errorf("node %q dc %q from %q", r.NodeName, r.Datacenter, r.ConfigFiles)
		}
		r = mustLoad(t, oneIP, "-config-dir", filepath.Join(dir, "d"), "-config-file", filepath.Join(dir, "first.json"))
		if r.NodeName != "first" {
			t.Errorf("node %q, want the later -config-file to win", r.NodeName)
		}
	})
	t.Run("empty HCL file is fine", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"empty.hcl": "# nothing\n"})
		mustLoad(t, oneIP, "-config-dir", dir)
	})
}

func TestConsulKeysWarn(t *testing.T) {
	r := mustLoad(t, oneIP, "-config-file", "testdata/consul.json")
	want := []string{
		`config file testdata/consul.json: key "acl" is a Consul setting discod does not implement yet; ignored`,
		`config file testdata/consul.json: key "addresses" is a Consul setting discod does not implement yet; ignored (discod's DNS and HTTP listen on client_addr)`,
		`config file testdata/consul.json: key "dns_config.allow_stale" is a Consul setting discod does not implement yet; ignored (discod answers from local state, which is always "stale")`,
		`config file testdata/consul.json: key "dns_config.soa.expire" is a Consul setting discod does not implement yet; ignored`,
		`config file testdata/consul.json: key "ports.grpc" is a Consul setting discod does not implement yet; ignored`,
		`config file testdata/consul.json: key "telemetry" is a Consul setting discod does not implement yet; ignored (use metrics_addr for Prometheus metrics)`,
		`config file testdata/consul.json: key "ui" is a Consul setting discod does not implement yet; ignored`,
	}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings:\n got %q\nwant %q", r.Warnings, want)
	}
	if len(r.Services) != 1 || r.Services[0].ID != "web" || r.Services[0].Port != 80 {
		t.Errorf("services of a Consul file: %+v", r.Services)
	}
	if r.NodeName != "consul-client-1" || r.DNS.NodeTTL != 10*time.Second || r.DNS.NegativeTTL != 3*time.Second {
		t.Errorf("implemented keys next to ignored ones lost: %+v", r)
	}
}

func TestDev(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	noIP := testEnv("devbox")
	t.Run("defaults", func(t *testing.T) {
		r := mustLoad(t, noIP, "-dev")
		if !r.Dev || !r.Server || r.BootstrapExpect != 0 || r.DataDir != "" || r.LogLevel != "info" ||
			r.BindAddr != lo || r.AdvertiseAddr != lo || r.ClientAddr != lo || r.NodeName != "devbox" ||
			r.Ports.DNS != 8600 || !r.LeaveOnTerminate {
			t.Errorf("dev defaults wrong: %+v", r)
		}
	})
	t.Run("explicit values win", func(t *testing.T) {
		r := mustLoad(t, noIP, "-dev", "-bind", "127.0.0.2", "-data-dir", "/d", "-log-level", "debug", "-server=false")
		if r.BindAddr != netip.MustParseAddr("127.0.0.2") || r.AdvertiseAddr != r.BindAddr ||
			r.DataDir != "/d" || r.LogLevel != "debug" || r.Server {
			t.Errorf("dev overrides lost: %+v", r)
		}
	})
	t.Run("wildcard bind advertises loopback", func(t *testing.T) {
		r := mustLoad(t, noIP, "-dev", "-bind", "0.0.0.0")
		if r.AdvertiseAddr != lo {
			t.Errorf("advertise %s, want 127.0.0.1", r.AdvertiseAddr)
		}
	})
}

func TestWildcardBind(t *testing.T) {
	r := mustLoad(t, oneIP, "-bind", "0.0.0.0")
	if !r.BindAddr.IsUnspecified() || r.AdvertiseAddr != netip.MustParseAddr("10.9.8.7") {
		t.Errorf("bind %s advertise %s, want 0.0.0.0 and the private IP", r.BindAddr, r.AdvertiseAddr)
	}
	r = mustLoad(t, oneIP, "-bind", "::", "-advertise", "192.0.2.1")
	if r.AdvertiseAddr != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("advertise %s, want the given one", r.AdvertiseAddr)
	}
	err := loadErr(t, testEnv("h", "10.0.0.1", "10.0.0.2"), "-bind", "0.0.0.0")
	wantContains(t, err.Error(), "bind address 0.0.0.0 (flag -bind) is a wildcard",
		"several private IPv4 addresses found (10.0.0.1, 10.0.0.2)", "set -advertise")
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := load([]string{"-node", "x", arg}, &buf, oneIP)
			if !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("error %v, want flag.ErrHelp", err)
			}
			wantContains(t, buf.String(), "Usage: discod agent [options]", "-retry-join addr",
				"-config-dir path", "-server\n", "(default 8600)")
		})
	}
	var buf bytes.Buffer
	PrintUsage(&buf)
	if !bytes.Contains(buf.Bytes(), []byte("-node name")) {
		t.Errorf("PrintUsage output lacks -node: %s", buf.String())
	}
	if Flags().Lookup("recursor-allow") == nil {
		t.Error("Flags lacks -recursor-allow")
	}
}

func TestReload(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.hcl": `log_level = "info"` + "\n" + `bind_addr = "10.0.0.1"`})
	old := mustLoad(t, oneIP, "-config-dir", dir, "-node", "n1")
	if err := writeFile(filepath.Join(dir, "a.hcl"), `log_level = "debug"`+"\n"+`bind_addr = "10.0.0.2"`); err != nil {
		t.Fatal(err)
	}
	cur, err := old.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if cur.LogLevel != "debug" || cur.BindAddr != netip.MustParseAddr("10.0.0.2") || cur.NodeName != "n1" {
		t.Errorf("reload did not pick up the file or lost the flags: %+v", cur)
	}
	if old.LogLevel != "info" {
		t.Errorf("reload changed the old runtime: %q", old.LogLevel)
	}
	got := RestartNeeded(old, cur)
	want := []string{"bind address (bind_addr)", "advertise address (advertise_addr)", "WAN advertise address (advertise_addr_wan)"}
	if !slices.Equal(got, want) {
		t.Errorf("RestartNeeded = %q, want %q (and not log_level)", got, want)
	}

	if err := writeFile(filepath.Join(dir, "a.hcl"), `log_level = "loud"`); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Reload(); err == nil {
		t.Error("reload of a broken file succeeded")
	}
	if _, err := (&Runtime{}).Reload(); err == nil {
		t.Error("reload of a hand-made Runtime succeeded")
	}
}

func TestRestartNeeded(t *testing.T) {
	base := mustLoad(t, oneIP)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"same", nil, nil},
		{"log level only", []string{"-log-level", "error"}, nil},
		{"dns settings reload", []string{"-recursor", "1.1.1.1", "-domain", "d"}, nil},
		{"node and ports", []string{"-node", "other", "-dns-port", "53"}, []string{"node name (node_name)", "DNS port (ports.dns)"}},
		{"server and encrypt", []string{"-server", "-encrypt", "pUqJrVyVRj5jsiYEkM/tFQ=="}, []string{"server mode (server)", "gossip encryption key (encrypt)"}},
		{"meta", []string{"-node-meta", "a:b"}, []string{"node metadata (node_meta)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RestartNeeded(base, mustLoad(t, oneIP, tt.args...))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if RestartNeeded(nil, base) != nil {
		t.Error("nil runtime should need nothing")
	}
}

// clearSources blanks the Source of r's definitions, which names the file.
func clearSources(r *Runtime) {
	for i := range r.Services {
		r.Services[i].Source = ""
		for j := range r.Services[i].Checks {
			r.Services[i].Checks[j].Source = ""
		}
	}
	for i := range r.Checks {
		r.Checks[i].Source = ""
	}
}
