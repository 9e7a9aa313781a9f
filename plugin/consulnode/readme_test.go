package consulnode

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/discod/discod/membership"
)

// allDirectives is CoreDNS's full directive list plus ours, taken before
// any test narrows dnsserver.Directives.
var allDirectives = append(slices.Clone(dnsserver.Directives), pluginName)

// readmeBlocks returns the contents of the README's fenced blocks of the
// given language ("corefile", "txt").
func readmeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []string
		cur    strings.Builder
		in     bool
	)
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		switch {
		case !in && line == "~~~ "+lang:
			in = true
			cur.Reset()
		case in && line == "~~~":
			in = false
			blocks = append(blocks, cur.String())
		case in:
			cur.WriteString(line + "\n")
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestReadme checks the man-page sections and that every `~~~ corefile`
// example parses, as a stock CoreDNS would (no discod agent).
func TestReadme(t *testing.T) {
	if membership.Registered(membership.DefaultAgent) != nil {
		t.Fatal("an agent is registered; the README examples are for stock CoreDNS")
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"# consulnode", "## Name", "## Description", "## Syntax", "## Examples",
		"## Metrics", "## Ready", "## Compilation", "## See Also"} {
		if !slices.Contains(strings.Split(string(b), "\n"), section) {
			t.Errorf("README.md has no %q section", section)
		}
	}
	if !strings.Contains(string(b), "consulnode:github.com/discod/discod/plugin/consulnode") {
		t.Error("README.md does not give the plugin.cfg line")
	}

	corefiles := readmeBlocks(t, "corefile")
	if len(corefiles) == 0 {
		t.Fatal("README.md has no ~~~ corefile example")
	}
	for i, corefile := range corefiles {
		blocks, err := caddyfile.Parse("README.md", strings.NewReader(corefile), allDirectives)
		if err != nil {
			t.Errorf("example %d does not parse as a Corefile: %v\n%s", i+1, err, corefile)
			continue
		}
		n := 0
		for _, sb := range blocks {
			tokens, ok := sb.Tokens[pluginName]
			if !ok {
				continue
			}
			n++
			c := caddy.NewTestController("dns", "")
			c.Dispenser = caddyfile.NewDispenserTokens("README.md", tokens)
			c.ServerBlockKeys = sb.Keys
			cn, err := parse(c)
			if err != nil {
				t.Errorf("example %d: %v\n%s", i+1, err, corefile)
			} else if !cn.gossip.stock {
				// OnStartup would fail: no agent is registered.
				t.Errorf("example %d: %s\n%s", i+1, errNoAgent, corefile)
			}
		}
		if n == 0 {
			t.Errorf("example %d has no consulnode block:\n%s", i+1, corefile)
		}
	}
}

// TestReadmeSyntax checks that the syntax block documents every option.
func TestReadmeSyntax(t *testing.T) {
	var syntax string
	for _, b := range readmeBlocks(t, "txt") {
		if strings.HasPrefix(b, "consulnode [ZONES...] {") {
			syntax = b
		}
	}
	if syntax == "" {
		t.Fatal("README.md has no syntax block starting with `consulnode [ZONES...] {`")
	}
	opts := []string{"ttl", "negative_ttl", "failed", "no_reverse", "recursion_available", "fallthrough",
		"service_ttl", "only_passing", "udp_answer_limit", "a_record_limit", "enable_truncate"}
	for opt := range discodSettings {
		opts = append(opts, opt)
	}
	for _, opt := range opts {
		if !strings.Contains(syntax, "\n    "+opt+" ") && !strings.Contains(syntax, "\n    "+opt+"\n") {
			t.Errorf("syntax block does not document %q", opt)
		}
	}
}
