package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/discod/discod/membership"
)

// TestSharedRules checks the settings whose rule lives in package dnsrules
// or membership (the TTL and answer limits, zone labels, recursors, the
// gossip budget of node_meta): config refuses what the renderer or the
// agent would refuse later, with a message saying why.
func TestSharedRules(t *testing.T) {
	long := strings.Repeat("v", 100)
	tests := []struct {
		name string
		file string // agent.json, or "" for none
		args []string
		want []string // substrings of the error; nil: loads
	}{
		{"node_ttl 7200s", `{"dns_config": {"node_ttl": "7200s"}}`, nil,
			[]string{`key "dns_config.node_ttl": TTL 2h0m0s is longer than discod's maximum of 3600 seconds`}},
		{"node_ttl 3600s", `{"dns_config": {"node_ttl": "3600s"}}`, nil, nil},
		{"soa min_ttl 3601", `{"dns_config": {"soa": {"min_ttl": 3601}}}`, nil,
			[]string{`key "dns_config.soa.min_ttl": TTL 1h0m1s is longer than discod's maximum`}},
		{"service_ttl 2h", `{"dns_config": {"service_ttl": {"web": "2h"}}}`, nil,
			[]string{`service_ttl for "web": TTL 2h0m0s is longer`}},
		{"service_ttl bad name", `{"dns_config": {"service_ttl": {"web api": "5s"}}}`, nil,
			[]string{`service_ttl key "web api": service name "web api": ' ' is not a letter`}},
		{"udp_answer_limit too large", `{"dns_config": {"udp_answer_limit": 70000}}`, nil,
			[]string{`key "dns_config.udp_answer_limit": 70000 is more than 65535 records`}},
		{"underscore domain", "", []string{"-domain", "my_zone"}, nil},
		{"bad domain", "", []string{"-domain", "con!sul"}, []string{`flag -domain: domain "con!sul.": label "con!sul": character '!' is not allowed`}},
		{"wildcard recursor", "", []string{"-recursor", "0.0.0.0"}, []string{`flag -recursor: recursor "0.0.0.0" is a wildcard address`}},
		{"node_meta over the gossip budget", "", []string{"-node-meta", "a:" + long, "-node-meta", "b:" + long},
			[]string{`flag -node-meta: key "b": node metadata takes`, "memberlist gossips at most 512 bytes"}},
		{"node_meta within the budget", "", []string{"-node-meta", "a:" + long}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				dir := writeFiles(t, map[string]string{"agent.json": tt.file})
				args = append(args, "-config-file", filepath.Join(dir, "agent.json"))
			}
			if tt.want == nil {
				mustLoad(t, oneIP, args...)
				return
			}
			wantContains(t, loadErr(t, oneIP, args...).Error(), tt.want...)
		})
	}
}

// TestReferenceNodeMetaBudget keeps REFERENCE.md's number for the
// node_meta budget equal to membership.NodeMetaBudget.
func TestReferenceNodeMetaBudget(t *testing.T) {
	data, err := os.ReadFile("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("**%d bytes**", membership.NodeMetaBudget); !strings.Contains(string(data), want) {
		t.Errorf("REFERENCE.md does not give the node_meta budget as %s", want)
	}
}
