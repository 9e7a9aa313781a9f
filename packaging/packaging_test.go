// Package packaging holds the files an operator installs (a systemd unit, a
// sample config); its test keeps them usable.
package packaging

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/discod/discod/config"
)

func TestSampleConfigLoads(t *testing.T) {
	rt, err := config.Load([]string{"-node=sample", "-config-file", "discod.hcl"}, io.Discard)
	if err != nil {
		t.Fatalf("the sample config does not load: %v", err)
	}
	if !rt.Server || rt.BootstrapExpect != 3 || len(rt.RetryJoin) != 2 || rt.NodeMeta["rack"] != "r1" {
		t.Errorf("sample config read as %+v", rt)
	}
	if len(rt.Warnings) != 0 {
		t.Errorf("the sample config has warnings: %v", rt.Warnings)
	}
}

// TestUnitFile checks the unit's shape: systemd is not PID 1 here, so
// `systemd-analyze verify` cannot run in the suite.
func TestUnitFile(t *testing.T) {
	b, err := os.ReadFile("discod.service")
	if err != nil {
		t.Fatal(err)
	}
	section := ""
	keys := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("line %d is not key=value inside a section: %q", i+1, line)
			}
			keys[section+k] = v
		}
	}
	for k, want := range map[string]string{
		"[Service]Type":            "exec",
		"[Service]ExecReload":      "/bin/kill -HUP $MAINPID",
		"[Service]KillSignal":      "SIGTERM",
		"[Install]WantedBy":        "multi-user.target",
		"[Service]NoNewPrivileges": "yes",
	} {
		if keys[k] != want {
			t.Errorf("%s = %q; want %q", k, keys[k], want)
		}
	}
	if !strings.HasPrefix(keys["[Service]ExecStart"], "/usr/local/bin/discod agent ") {
		t.Errorf("ExecStart = %q", keys["[Service]ExecStart"])
	}
}
