package test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// TestHealthChecksChapter follows the guide's "Health Checks" chapter on
// two agents (127.0.0.62 and 127.0.0.63): a node script check that passes
// (enable_local_script_checks), web with a check that fails (curl against
// a closed local port); /v1/health/state/critical lists web's check and
// web.service.consul is NXDOMAIN on both agents. Then an HTTP check
// follows a real HTTP server going down and up, as seen from the other
// agent's DNS, and a 429 answer is a warning: answered by DNS, left out by
// ?passing.
func TestHealthChecksChapter(t *testing.T) {
	requireTool(t, "curl")
	const ip1, ip2 = "127.0.0.62", "127.0.0.63"
	const http1 = ip1 + ":8500"
	dnsAddrs := []string{ip1 + ":8600", ip2 + ":8600"}

	// A closed port: listen, note the port, close.
	l, err := net.Listen("tcp", ip1+":0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	// A real HTTP server the api service's check follows; its answer is
	// switched by the test.
	var code atomic.Int32
	code.Store(http.StatusOK)
	hl, err := net.Listen("tcp", ip1+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
		fmt.Fprintln(w, "status", code.Load())
	}))
	srv.Listener = hl
	srv.Start()
	defer srv.Close()

	conf1 := t.TempDir()
	files := map[string]string{
		"agent.json": `{"enable_local_script_checks": true}`,
		"ping.json":  `{"check": {"name": "ping", "args": ["sh", "-c", "exit 0"], "interval": "1s"}}`,
		"web.json":   fmt.Sprintf(`{"service": {"name": "web", "tags": ["rails"], "port": 80, "check": {"args": ["curl", "-s", "http://%s"], "interval": "1s"}}}`, closed),
		"api.json":   fmt.Sprintf(`{"service": {"name": "api", "port": 9000, "check": {"http": "%s/health", "interval": "1s", "timeout": "1s"}}}`, srv.URL),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(conf1, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startAgent(t, "agent-one", ip1, "-server", "-bootstrap-expect", "1", "-node=agent-one",
		"-bind="+ip1, "-client="+ip1, "-config-dir", conf1)
	startAgent(t, "agent-two", ip2, "-node=agent-two", "-bind="+ip2, "-client="+ip2, "-join", ip1)
	testproc.WaitFor(t, 15*time.Second, "two alive members", func() bool {
		return memberStatus(t, http1, "agent-one") == "alive" && memberStatus(t, http1, "agent-two") == "alive"
	})

	// web's check is critical, the node check passes.
	testproc.WaitFor(t, 15*time.Second, "web's check critical in /v1/health/state/critical", func() bool {
		var checks []struct{ CheckID, ServiceName, Status string }
		getJSON(t, "http://"+http1+"/v1/health/state/critical", &checks)
		for _, c := range checks {
			if c.ServiceName == "web" && c.CheckID == "service:web" {
				return true
			}
		}
		return false
	})
	testproc.WaitFor(t, 15*time.Second, "the node check ping passing", func() bool {
		var passing []struct{ CheckID, Name, Status string }
		getJSON(t, "http://"+http1+"/v1/health/state/passing", &passing)
		return strings.Contains(fmt.Sprint(passing), "ping")
	})
	for _, server := range dnsAddrs {
		testproc.WaitFor(t, 10*time.Second, "web.service.consul NXDOMAIN on "+server, func() bool {
			return query(t, "udp", server, "web.service.consul.", dns.TypeA).Rcode == dns.RcodeNameError
		})
	}

	// The HTTP check follows its server, as agent-two's DNS sees it.
	apiAnswered := func(want bool) func() bool {
		return func() bool {
			r := query(t, "udp", dnsAddrs[1], "api.service.consul.", dns.TypeA)
			return (r.Rcode == dns.RcodeSuccess && answerA(r) == ip1) == want
		}
	}
	testproc.WaitFor(t, 15*time.Second, "api answered on agent-two while its server says 200", apiAnswered(true))
	code.Store(http.StatusInternalServerError)
	testproc.WaitFor(t, 15*time.Second, "api NXDOMAIN on agent-two once its server says 500", apiAnswered(false))
	code.Store(http.StatusOK)
	testproc.WaitFor(t, 15*time.Second, "api answered again on agent-two", apiAnswered(true))

	// 429 is a warning: DNS answers, ?passing leaves it out.
	code.Store(http.StatusTooManyRequests)
	testproc.WaitFor(t, 15*time.Second, "api in warning", func() bool {
		var entries []struct {
			Checks []struct{ CheckID, Status string }
		}
		getJSON(t, "http://"+http1+"/v1/health/service/api", &entries)
		return len(entries) == 1 && strings.Contains(fmt.Sprint(entries[0].Checks), "warning")
	})
	if r := query(t, "udp", dnsAddrs[1], "api.service.consul.", dns.TypeA); answerA(r) != ip1 {
		t.Errorf("api in warning: DNS %s %q; want it answered", dns.RcodeToString[r.Rcode], answerA(r))
	}
	var entries []struct{}
	getJSON(t, "http://"+http1+"/v1/health/service/api?passing", &entries)
	if len(entries) != 0 {
		t.Errorf("?passing lists api in warning: %d entries", len(entries))
	}
}

// requireTool skips the test when tool is not installed, and fails it
// under CI=true, where .ci/run installs every tool the suite uses.
func requireTool(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		skipOrFail(t, tool+" is not installed (.ci/run installs it)")
	}
}
