package dnsrules_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
	"github.com/discod/discod/dnsrules"
	_ "github.com/discod/discod/plugin/consulnode" // registers the directive
)

// TestConfigRendererPluginAgree feeds the same TTLs and zone names to the
// configuration, the Corefile renderer and the plugin, and checks that all
// three accept or all three refuse each one: they ask this package.
func TestConfigRendererPluginAgree(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int    // seconds, for node_ttl / Options.TTL / ttl
		serviceTTL int    // seconds, for service_ttl "web"; -1 for none
		domain     string // for -domain / Options.Domains / the plugin's zone
		ok         bool
	}{
		{"defaults", 5, -1, "consul", true},
		{"ttl at the limit", dnsrules.MaxTTL, -1, "consul", true},
		{"ttl zero", 0, -1, "consul", true},
		{"ttl 7200s", 7200, -1, "consul", false},
		{"ttl one over", dnsrules.MaxTTL + 1, -1, "consul", false},
		{"service ttl at the limit", 5, dnsrules.MaxTTL, "consul", true},
		{"service ttl 7200s", 5, 7200, "consul", false},
		{"underscore label", 5, -1, "my_zone.example", true},
		{"hyphen at the edge", 5, -1, "-edge.example", true},
		{"digits", 5, -1, "10x.example", true},
		{"bad character", 5, -1, "bad!zone", false},
		{"label of 64", 5, -1, strings.Repeat("a", 64) + ".example", false},
		{"label of 63", 5, -1, strings.Repeat("a", 63) + ".example", true},
		{"name over 253", 5, -1, strings.Repeat(strings.Repeat("a", 63)+".", 4) + "example", false},
	}
	setup, err := caddy.DirectiveAction("dns", "consulnode")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The configuration.
			dns := fmt.Sprintf(`"node_ttl": "%ds"`, tt.ttl)
			if tt.serviceTTL >= 0 {
				dns += fmt.Sprintf(`, "service_ttl": {"web": "%ds"}`, tt.serviceTTL)
			}
			file := filepath.Join(t.TempDir(), "agent.json")
			if err := os.WriteFile(file, []byte(`{"dns_config": {`+dns+`}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			_, cerr := config.Load([]string{"-dev", "-node", "n1", "-domain", tt.domain, "-config-file", file}, io.Discard)

			// The renderer.
			o := corefile.DefaultOptions()
			o.DNSPort, o.TTL, o.Domains = 0, tt.ttl, []string{tt.domain}
			if tt.serviceTTL >= 0 {
				o.ServiceTTL = map[string]int{"web": tt.serviceTTL}
			}
			_, rerr := corefile.Render(o)

			// The plugin.
			block := fmt.Sprintf("consulnode %s {\n bind 127.0.2.1\n node n1\n ttl %d\n", tt.domain, tt.ttl)
			if tt.serviceTTL >= 0 {
				block += fmt.Sprintf(" service_ttl web %d\n", tt.serviceTTL)
			}
			perr := setup(caddy.NewTestController("dns", block+"}"))

			for _, r := range []struct {
				who string
				err error
			}{{"config", cerr}, {"renderer", rerr}, {"plugin", perr}} {
				if (r.err == nil) != tt.ok {
					t.Errorf("%s: err = %v; want ok = %v", r.who, r.err, tt.ok)
				}
			}
		})
	}
}
