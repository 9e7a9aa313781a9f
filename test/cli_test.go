package test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// TestCLIWithoutAgent: every client command names the address it tried and
// exits 1 when no agent runs there.
func TestCLIWithoutAgent(t *testing.T) {
	for _, args := range [][]string{
		{"members", "-http-addr", "127.0.0.19:8500"},
		{"join", "-http-addr", "127.0.0.19:8500", "127.0.0.18"},
		{"leave", "-http-addr", "127.0.0.19:8500"},
	} {
		t.Run(args[0], func(t *testing.T) {
			_, errOut, code := cli(t, args...)
			if code != 1 || !strings.Contains(errOut, "127.0.0.19:8500") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("discod %v = exit %d, stderr %q; want exit 1 and one line naming the address", args, code, errOut)
			}
		})
	}
	t.Run("env", func(t *testing.T) {
		t.Setenv("DISCOD_HTTP_ADDR", "127.0.0.19:8599")
		_, errOut, code := cli(t, "members")
		if code != 1 || !strings.Contains(errOut, "127.0.0.19:8599") {
			t.Errorf("members with DISCOD_HTTP_ADDR = exit %d, %q", code, errOut)
		}
	})
}

// TestAgentBadInput: bad flags and config files fail the start with a clear
// message naming the culprit and exit 1, never a panic.
func TestAgentBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"ports": {"dns": "eight"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.json")
	if err := os.WriteFile(unknown, []byte(`{"bind_adr": "127.0.0.12"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"-bogus"}, []string{"bogus"}},
		{"bad node name", []string{"-node=agent_one", "-bind=127.0.0.12"}, []string{"agent_one", "DNS label"}},
		{"bad datacenter", []string{"-node=a", "-datacenter=dc.1", "-bind=127.0.0.12"}, []string{"dc.1"}},
		{"bad port value", []string{"-node=a", "-bind=127.0.0.12", "-config-file", bad}, []string{"bad.json", "dns"}},
		{"unknown key", []string{"-node=a", "-bind=127.0.0.12", "-config-file", unknown}, []string{"unknown.json", "bind_adr"}},
		{"bootstrap-expect without server", []string{"-node=a", "-bind=127.0.0.12", "-bootstrap-expect=1"}, []string{"server"}},
		{"extra argument", []string{"-node=a", "-bind=127.0.0.12", "stray"}, []string{"stray"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cli(t, append([]string{"agent"}, tt.args...)...)
			all := out + errOut
			if code != 1 {
				t.Errorf("exit %d; want 1\n%s", code, all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("output does not name %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
				t.Errorf("output looks like a crash:\n%s", all)
			}
		})
	}
}

// TestBootstrapExpectReadiness: a server expecting two servers is not ready
// (HTTP and CoreDNS ready) until a second server joins, and SIGTERM leaves
// gracefully.
func TestBootstrapExpectReadiness(t *testing.T) {
	one := startAgent(t, "s1", "127.0.0.12", "-server", "-bootstrap-expect=2", "-node=s1", "-bind=127.0.0.12", "-client=127.0.0.12")
	ready := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	testproc.WaitFor(t, 10*time.Second, "CoreDNS ready endpoint up", func() bool { return ready("http://127.0.0.12:8181/ready") != 0 })
	if c := ready("http://127.0.0.12:8500/v1/agent/ready"); c != 503 {
		t.Errorf("HTTP ready with 1 of 2 servers = %d; want 503", c)
	}
	if c := ready("http://127.0.0.12:8181/ready"); c != 503 {
		t.Errorf("CoreDNS ready with 1 of 2 servers = %d; want 503", c)
	}
	// DNS answers regardless of readiness.
	if r := query(t, "udp", "127.0.0.12:8600", "s1.node.consul.", dns.TypeA); answerA(r) != "127.0.0.12" {
		t.Errorf("s1 before ready: %v", r)
	}
	two := startAgent(t, "s2", "127.0.0.13", "-server", "-node=s2", "-bind=127.0.0.13", "-client=127.0.0.13", "-join=127.0.0.12")
	testproc.WaitFor(t, 10*time.Second, "ready with 2 servers", func() bool {
		return ready("http://127.0.0.12:8500/v1/agent/ready") == 200 && ready("http://127.0.0.12:8181/ready") == 200
	})
	if c := two.signal(syscall.SIGTERM); c != 0 {
		t.Errorf("s2 exit after SIGTERM = %d; want 0", c)
	}
	testproc.WaitFor(t, 10*time.Second, "s2 left on s1", func() bool { return memberStatus(t, "127.0.0.12:8500", "s2") == "left" })
	testproc.WaitFor(t, 10*time.Second, "not ready again", func() bool { return ready("http://127.0.0.12:8181/ready") == 503 })
	if c := one.signal(syscall.SIGINT); c != 0 {
		t.Errorf("s1 exit after SIGINT = %d; want 0", c)
	}
}

// TestMembersOptions: -status filters by a regexp, -detailed shows tags,
// -format=json prints the API's member objects.
func TestMembersOptions(t *testing.T) {
	a := startAgent(t, "m1", "127.0.0.17", "-server", "-node=m1", "-bind=127.0.0.17", "-client=127.0.0.17", "-node-meta=rack:r1")
	const h = "127.0.0.17:8500"
	out, _, code := cli(t, "members", "-http-addr", h, "-status=^(alive|left)$")
	if code != 0 || !strings.Contains(out, "m1 ") {
		t.Errorf("-status=alive: %d %q", code, out)
	}
	out, _, _ = cli(t, "members", "-http-addr", h, "-status=failed")
	if strings.Contains(out, "m1") {
		t.Errorf("-status=failed listed an alive member: %q", out)
	}
	out, _, _ = cli(t, "members", "-http-addr", h, "-detailed")
	if !strings.Contains(out, "role=consul") || !strings.Contains(out, "dc=dc1") {
		t.Errorf("-detailed lacks tags: %q", out)
	}
	out, _, _ = cli(t, "members", "-http-addr", h, "-format=json")
	var ms []struct {
		Name   string
		Addr   string
		Status int
	}
	if err := json.Unmarshal([]byte(out), &ms); err != nil || len(ms) != 1 || ms[0].Name != "m1" || ms[0].Status != 1 {
		t.Errorf("-format=json = %q (%v)", out, err)
	}
	if _, errOut, code := cli(t, "members", "-http-addr", h, "-status=("); code != 1 || !strings.Contains(errOut, "-status") {
		t.Errorf("bad regexp: exit %d %q", code, errOut)
	}
	if _, errOut, code := cli(t, "members", "-http-addr", h, "-format=xml"); code != 1 || !strings.Contains(errOut, "xml") {
		t.Errorf("bad format: exit %d %q", code, errOut)
	}
	a.signal(syscall.SIGINT)
}
