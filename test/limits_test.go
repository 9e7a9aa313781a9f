package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

// TestServicesPerAgentLimit runs an agent at the per-agent limit of
// 1,000 services (docs/services.md, "Limits") in a real two-agent
// cluster: 999 from a file in its -config-dir and one over the HTTP API.
// The other agent holds all 1,000 in its catalog and answers them in DNS;
// a 1,001st registration is refused with a 400 naming the limit, and
// refused again after a restart of the owner, which keeps all 1,000.
// Agents run on 127.0.0.40–127.0.0.41.
func TestServicesPerAgentLimit(t *testing.T) {
	const ip1, ip2 = "127.0.0.40", "127.0.0.41"
	const http1, http2 = ip1 + ":8500", ip2 + ":8500"
	const limit = 1000

	dir := t.TempDir()
	var file struct {
		Services []map[string]any `json:"services"`
	}
	for i := range limit - 1 {
		file.Services = append(file.Services, map[string]any{
			"name": fmt.Sprintf("svc-%d", i), "port": 10000 + i, "tags": []string{"t" + fmt.Sprint(i%7)},
		})
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "services.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	oneArgs := []string{"-server", "-bootstrap-expect", "1", "-data-dir", dataDir, "-config-dir", dir,
		"-node=lim-one", "-bind=" + ip1, "-client=" + ip1}
	one := startAgent(t, "lim-one", ip1, oneArgs...)
	startAgent(t, "lim-two", ip2, "-data-dir", t.TempDir(), "-node=lim-two", "-bind="+ip2, "-client="+ip2, "-join", ip1)
	c1, c2 := apiClient(t, http1), apiClient(t, http2)

	last := &api.AgentServiceRegistration{Name: "svc-last", Port: 9999}
	if err := c1.Agent().ServiceRegister(last); err != nil {
		t.Fatalf("the 1,000th service: %v", err)
	}
	count := func(c *api.Client) int {
		svcs, _, err := c.Catalog().Services(nil)
		if err != nil {
			return -1
		}
		return len(svcs)
	}
	// Both agents list the 1,000 services (and no others: lim-two has none).
	for name, c := range map[string]*api.Client{"lim-one": c1, "lim-two": c2} {
		testproc.WaitFor(t, 30*time.Second, fmt.Sprintf("%d services in the catalog of %s", limit, name), func() bool {
			return count(c) == limit
		})
	}

	// DNS on lim-two, for services spread over the set: A and SRV with
	// the right port.
	for _, i := range []int{0, 1, 499, 998} {
		name := fmt.Sprintf("svc-%d.service.consul.", i)
		if a := answerA(query(t, "udp", ip2+":8600", name, dns.TypeA)); a != ip1 {
			t.Errorf("%s A on lim-two = %q; want %s", name, a, ip1)
		}
		r := query(t, "udp", ip2+":8600", fmt.Sprintf("t%d.%s", i%7, name), dns.TypeSRV)
		if len(r.Answer) != 1 || r.Answer[0].(*dns.SRV).Port != uint16(10000+i) {
			t.Errorf("t%d.%s SRV on lim-two: %v; want one SRV on port %d", i%7, name, r.Answer, 10000+i)
		}
	}
	if a := answerA(query(t, "udp", ip2+":8600", "svc-last.service.consul.", dns.TypeA)); a != ip1 {
		t.Errorf("svc-last.service.consul A on lim-two = %q; want %s", a, ip1)
	}

	over := func(when string) {
		t.Helper()
		err := c1.Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "svc-over", Port: 9998})
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: the 1,001st service: %v; want a 400 naming the limit", when, err)
		}
	}
	over("running")

	// The owner restarts with the same data dir and files: all 1,000
	// again (the HTTP one persisted), everywhere, and still at the limit.
	if code := one.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("lim-one exited %d on SIGTERM", code)
	}
	startAgent(t, "lim-one", ip1, append(oneArgs, "-retry-join", ip2)...)
	for name, c := range map[string]*api.Client{"lim-one": c1, "lim-two": c2} {
		testproc.WaitFor(t, 30*time.Second, fmt.Sprintf("%d services in the catalog of %s after the restart", limit, name), func() bool {
			return count(c) == limit
		})
	}
	over("after a restart")
}
