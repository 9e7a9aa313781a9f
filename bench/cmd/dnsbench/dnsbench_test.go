package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	in := "init internal/bytealg @0.007 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
		"init github.com/a/b @1.2 ms, 0.80 ms clock, 1024 bytes, 12 allocs\n" +
		"init github.com/c/d @2.0 ms, 0.20 ms clock, 10 bytes, 1 allocs\n" +
		"something else\n"
	total, top := parseInitTrace([]byte(in))
	if total < 0.999 || total > 1.001 {
		t.Errorf("total = %v ms; want 1.0", total)
	}
	if len(top) == 0 || !strings.HasPrefix(top[0], "github.com/a/b") {
		t.Errorf("top = %v; want github.com/a/b first", top)
	}
}

func TestRoundRatios(t *testing.T) {
	samples := []sample{
		{Server: "a", Kind: "max", Round: 1, QPS: 90},
		{Server: "b", Kind: "max", Round: 1, QPS: 100},
		{Server: "a", Kind: "max", Round: 2, QPS: 110},
		{Server: "b", Kind: "max", Round: 2, QPS: 100},
		{Server: "a", Kind: "max", Round: 3, QPS: 50}, // no b in round 3: not compared
	}
	r := roundRatios(samples, "max", "a", "b", 0, mQPS)
	if len(r.PerRound) != 2 || r.Median != 1.0 || r.Min != 0.9 || r.Max != 1.1 {
		t.Errorf("ratios = %+v; want per-round 0.9 and 1.1, median 1.0", r)
	}
}

func TestWriteQueries(t *testing.T) {
	dir := t.TempDir()
	path, err := writeQueries(dir, 50)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(lines) != 50 || len(seen) != 50 || !seen["node0.node.consul A"] || !seen["node49.node.consul A"] {
		t.Errorf("query file has %d lines, %d distinct; want every name once", len(lines), len(seen))
	}
	if filepath.Dir(path) != dir {
		t.Errorf("query file written to %s; want in %s", path, dir)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(config) bool
	}{
		{"defaults", nil, false, func(c config) bool { return c.rounds == 5 && c.duration == 10*time.Second && len(c.sweep) == 3 }},
		{"short", []string{"-short"}, false, func(c config) bool { return c.rounds == 1 && c.duration == time.Second && len(c.sweep) == 2 }},
		{"short keeps explicit", []string{"-short", "-rounds", "3"}, false, func(c config) bool { return c.rounds == 3 }},
		{"too long", []string{"-duration", "30s"}, true, nil},
		{"bad phase", []string{"-phases", "compare,bogus"}, true, nil},
		{"bad sweep", []string{"-sweep", "100,x"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig(%v) error = %v; want error %v", tt.args, err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("parseConfig(%v) = %+v", tt.args, c)
			}
		})
	}
}

func TestCandidateEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		err  string
	}{
		{name: "none", args: nil},
		{name: "two knobs", args: []string{"-candidate", "/tmp/x", "-candidate-env", "A=1, B=2"}, env: []string{"A=1", "B=2"}},
		{name: "not a pair", args: []string{"-candidate", "/tmp/x", "-candidate-env", "A"}, err: `"A" is not KEY=VALUE`},
		{name: "no candidate", args: []string{"-candidate-env", "A=1"}, err: "needs -candidate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseConfig(%q) error = %v; want one containing %q", tc.args, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(c.candEnv, " ") != strings.Join(tc.env, " ") {
				t.Errorf("candidate env = %q; want %q", c.candEnv, tc.env)
			}
		})
	}
}

func TestShippedCandidate(t *testing.T) {
	c, err := parseConfig([]string{"-candidate", "/tmp/cand", "-candidate-env", "K=V"})
	if err != nil {
		t.Fatal(err)
	}
	specs := shippedSpecs(c, map[string]string{candidateAgent: "/tmp/c.Corefile"})
	var found bool
	for _, s := range specs {
		if s.Name == candidateAgent {
			found = s.Bin == "/tmp/cand" && len(s.Env) == 1 && s.Env[0] == "K=V"
		}
	}
	if !found {
		t.Errorf("shipped specs have no %s with the candidate's binary and environment: %+v", candidateAgent, specs)
	}
	for _, j := range shippedJobs(c) {
		if j.kind == "node-max" && !slices.Contains(j.servers, candidateAgent) {
			t.Errorf("node-max runs %v; want the candidate among them", j.servers)
		}
	}
}
