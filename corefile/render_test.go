package corefile

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		opts func(o *Options)
		want string
	}{
		{
			name: "defaults",
			opts: func(*Options) {},
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 {
    bind 127.0.0.1
    errors
    consulnode consul. in-addr.arpa. ip6.arpa.
}
`,
		},
		{
			name: "alt domain, ttls and endpoints",
			opts: func(o *Options) {
				o.ListenAddr = netip.MustParseAddr("0.0.0.0")
				o.DNSPort = 53
				o.Domains = []string{"consul", "Example.ORG."}
				o.TTL = 30
				o.NegativeTTL = 10
				o.HealthAddr = "127.0.0.1:8080"
				o.ReadyAddr = "127.0.0.1:8181"
				o.MetricsAddr = "127.0.0.1:9153"
			},
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:53 example.org.:53 in-addr.arpa.:53 ip6.arpa.:53 {
    bind 0.0.0.0
    ready 127.0.0.1:8181 {
        monitor continuously
    }
    health 127.0.0.1:8080
    prometheus 127.0.0.1:9153
    errors
    consulnode consul. example.org. in-addr.arpa. ip6.arpa. {
        ttl 30
        negative_ttl 10
    }
}
`,
		},
		{
			name: "service options",
			opts: func(o *Options) {
				o.ServiceTTL = map[string]int{"web*": 10, "db": 30, "*": 5}
				o.OnlyPassing = true
				o.UDPAnswerLimit = 3
				o.ARecordLimit = 10
				o.EnableTruncate = true
			},
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 {
    bind 127.0.0.1
    errors
    consulnode consul. in-addr.arpa. ip6.arpa. {
        service_ttl * 5
        service_ttl db 30
        service_ttl web* 10
        only_passing
        udp_answer_limit 3
        a_record_limit 10
        enable_truncate
    }
}
`,
		},
		{
			name: "recursors",
			opts: func(o *Options) {
				o.Recursors = []string{"10.0.0.2", "10.0.0.3:5353", "2001:db8::1", "[2001:db8::2]:53"}
			},
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 .:8600 {
    bind 127.0.0.1
    errors
    acl consul. {
        allow
    }
    acl . {
        allow net 127.0.0.0/8 ::1/128 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7
        block
    }
    consulnode consul. in-addr.arpa. ip6.arpa. {
        recursion_available
    }
    forward . 10.0.0.2:53 10.0.0.3:5353 [2001:db8::1]:53 [2001:db8::2]:53 {
        except consul.
        policy sequential
    }
}
`,
		},
		{
			name: "recursors with an allow list and an alt domain",
			opts: func(o *Options) {
				o.ListenAddr = netip.MustParseAddr("::1")
				o.Domains = []string{"consul.", "alt."}
				o.Recursors = []string{"192.0.2.53"}
				o.RecursorAllow = []netip.Prefix{netip.MustParsePrefix("192.0.2.7/24")}
			},
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 alt.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 .:8600 {
    bind ::1
    errors
    acl consul. alt. {
        allow
    }
    acl . {
        allow net 192.0.2.0/24
        block
    }
    consulnode consul. alt. in-addr.arpa. ip6.arpa. {
        recursion_available
    }
    forward . 192.0.2.53:53 {
        except consul. alt.
        policy sequential
    }
}
`,
		},
		{
			name: "no reverse",
			opts: func(o *Options) { o.NoReverse = true },
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 {
    bind 127.0.0.1
    errors
    consulnode consul. {
        no_reverse
    }
}
`,
		},
		{
			name: "failed answer",
			opts: func(o *Options) { o.FailedAnswer = true },
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:8600 in-addr.arpa.:8600 ip6.arpa.:8600 {
    bind 127.0.0.1
    errors
    consulnode consul. in-addr.arpa. ip6.arpa. {
        failed answer
    }
}
`,
		},
		{
			name: "zero values mean the defaults, port 0 a free port",
			opts: func(o *Options) { *o = Options{} },
			want: `# discod's default Corefile, rendered from the agent's settings.
consul.:0 in-addr.arpa.:0 ip6.arpa.:0 {
    bind 127.0.0.1
    errors
    consulnode consul. in-addr.arpa. ip6.arpa.
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.opts(&o)
			got, err := Render(o)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tt.want {
				t.Errorf("Render:\n%s\nwant:\n%s", got, tt.want)
			}
			// Every rendered Corefile is valid syntax using only the
			// directives discod ships.
			blocks, err := caddyfile.Parse("test", strings.NewReader(got), Directives())
			if err != nil {
				t.Fatalf("rendered Corefile does not parse: %v", err)
			}
			if len(blocks) != 1 {
				t.Errorf("rendered Corefile has %d server blocks; want 1", len(blocks))
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		opts func(o *Options)
		want string // substring of the error
	}{
		{"port", func(o *Options) { o.DNSPort = 70000 }, "dns port 70000"},
		{"negative ttl", func(o *Options) { o.TTL = -1 }, "dns ttl -1 is out of range"},
		{"large ttl", func(o *Options) { o.TTL = 3601 }, "dns ttl 3601 is out of range 0-3600"},
		{"negative negative ttl", func(o *Options) { o.NegativeTTL = -5 }, "negative ttl -5"},
		{"large service ttl", func(o *Options) { o.ServiceTTL = map[string]int{"web": 7200} }, `dns service ttl of "web": 7200 is out of range [0, 3600] seconds`},
		{"service ttl pattern", func(o *Options) { o.ServiceTTL = map[string]int{"w*b": 1} }, `dns service ttl: service name "w*b": '*' is only allowed at the end`},
		{"service ttl name", func(o *Options) { o.ServiceTTL = map[string]int{"web {": 1} }, `dns service ttl: service name "web {"`},
		{"udp answer limit", func(o *Options) { o.UDPAnswerLimit = -1 }, "dns udp answer limit -1 is out of range 0-65535"},
		{"a record limit", func(o *Options) { o.ARecordLimit = 70000 }, "dns a record limit 70000 is out of range 0-65535"},
		{"root domain", func(o *Options) { o.Domains = []string{"."} }, `dns domain "." is the root zone`},
		{"bad domain", func(o *Options) { o.Domains = []string{"con sul"} }, `dns domain "con sul"`},
		{"empty label", func(o *Options) { o.Domains = []string{"a..b"} }, `dns domain "a..b": empty label`},
		{"reverse domain", func(o *Options) { o.Domains = []string{"10.in-addr.arpa"} }, "is a reverse zone"},
		{"duplicate domain", func(o *Options) { o.Domains = []string{"consul", "CONSUL."} }, `"CONSUL." is given twice`},
		{"recursor hostname", func(o *Options) { o.Recursors = []string{"dns.example.org"} }, `recursor "dns.example.org" is not an IP address`},
		{"recursor port 0", func(o *Options) { o.Recursors = []string{"10.0.0.1:0"} }, `recursor "10.0.0.1:0"`},
		{"recursor unspecified", func(o *Options) { o.Recursors = []string{"0.0.0.0"} }, `recursor "0.0.0.0"`},
		{"recursor is us", func(o *Options) { o.Recursors = []string{"127.0.0.1:8600"} }, "discod's own DNS address"},
		{"too many recursors", func(o *Options) {
			for i := range 16 {
				o.Recursors = append(o.Recursors, netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}).String())
			}
		}, "16 recursors"},
		{"empty allow list", func(o *Options) {
			o.Recursors = []string{"10.0.0.1"}
			o.RecursorAllow = []netip.Prefix{}
		}, "no network is allowed"},
		{"invalid allow prefix", func(o *Options) {
			o.Recursors = []string{"10.0.0.1"}
			o.RecursorAllow = []netip.Prefix{{}}
		}, "entry 1 is not a valid network"},
		{"zoned listen address", func(o *Options) { o.ListenAddr = netip.MustParseAddr("fe80::1%eth0") }, "has an IPv6 zone"},
		{"health address", func(o *Options) { o.HealthAddr = "localhost" }, `health address "localhost" is not HOST:PORT`},
		{"metrics port", func(o *Options) { o.MetricsAddr = "127.0.0.1:http" }, `metrics address "127.0.0.1:http"`},
		{"shared endpoint", func(o *Options) {
			o.ReadyAddr = "127.0.0.1:8181"
			o.MetricsAddr = "127.0.0.1:8181"
		}, `metrics address "127.0.0.1:8181" is also the ready address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.opts(&o)
			got, err := Render(o)
			if err == nil {
				t.Fatalf("Render succeeded; want an error containing %q. Output:\n%s", tt.want, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render error = %q; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDirectives(t *testing.T) {
	want := []string{
		"reload", "bind", "ready", "health", "prometheus", "errors", "log", "rewrite",
		"acl", "cache", "hosts", "consulnode", "loop", "forward", "whoami",
	}
	if got := Directives(); !slices.Equal(got, want) {
		t.Errorf("Directives() = %v; want %v", got, want)
	}
	// A directive in the list without its plugin imported would fail at
	// start with "no action found for directive".
	registered := caddy.ListPlugins()["others"]
	for _, d := range want {
		if !slices.Contains(registered, "dns."+d) {
			t.Errorf("directive %s has no registered plugin (blank import missing?)", d)
		}
	}
	// Callers get a copy.
	Directives()[0] = "mangled"
	if Directives()[0] != "reload" {
		t.Error("Directives() exposes the package's list")
	}
}
