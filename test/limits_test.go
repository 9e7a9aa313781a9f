package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

// TestServicesAtTheLimits runs the limits docs/services.md promises in a
// real cluster: ten agents, each at the per-agent limit of 1,000
// services, 10,000 instances in the datacenter. Every agent holds
// svc-0 … svc-999 (port 10000+i): lim-0 has 999 from a file in its
// -config-dir and registers the last over the HTTP API, the others have
// all 1,000 in their files. Every agent's catalog then holds 1,000 names
// of 10 instances; the HTTP API and DNS answer all ten instances of a
// name on every agent; a 1,001st registration is refused with a 400
// naming the limit, and again after a restart of lim-0, which keeps all
// 1,000 (the one over the API from its data dir). Agents run on
// 127.0.0.40–127.0.0.49.
func TestServicesAtTheLimits(t *testing.T) {
	const agents, limit = 10, 1000
	ips := make([]string, agents)
	for i := range ips {
		ips[i] = fmt.Sprintf("127.0.0.%d", 40+i)
	}
	args := make([][]string, agents)
	for k, ip := range ips {
		dir := t.TempDir()
		n := limit
		if k == 0 {
			n = limit - 1 // the last comes over the API
		}
		writeServices(t, filepath.Join(dir, "services.json"), n)
		args[k] = []string{"-data-dir", t.TempDir(), "-config-dir", dir,
			fmt.Sprintf("-node=lim-%d", k), "-bind=" + ip, "-client=" + ip}
		if k == 0 {
			args[k] = append([]string{"-server", "-bootstrap-expect", "1"}, args[k]...)
		} else {
			args[k] = append(args[k], "-join", ips[0])
		}
	}
	procs := make([]*agent, agents)
	for k, ip := range ips {
		procs[k] = startAgent(t, fmt.Sprintf("lim-%d", k), ip, args[k]...)
	}
	c0 := apiClient(t, ips[0]+":8500")
	if err := c0.Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "svc-999", Port: 10999}); err != nil {
		t.Fatalf("the 1,000th service on lim-0: %v", err)
	}

	// everywhere waits until every agent's catalog holds 1,000 names of
	// ten instances (10,000 in all), then checks the HTTP API and DNS of
	// every agent for names spread over the set.
	everywhere := func(when string) {
		t.Helper()
		for k, ip := range ips {
			testproc.WaitFor(t, 60*time.Second, fmt.Sprintf("%s: 10,000 instances in the catalog of lim-%d", when, k), func() bool {
				return instances(ip+":8500") == agents*limit
			})
		}
		for k, ip := range ips {
			c := apiClient(t, ip+":8500")
			for _, i := range []int{0, 499, 999} {
				name := fmt.Sprintf("svc-%d", i)
				hs, _, err := c.Health().Service(name, "", true, nil)
				if err != nil || len(hs) != agents {
					t.Errorf("%s: lim-%d Health().Service(%s, passing): %d instances, %v; want %d", when, k, name, len(hs), err, agents)
				}
				r := query(t, "udp", ip+":8600", name+".service.consul.", dns.TypeA)
				if got := strings.Split(answerA(r), ","); !sameSet(got, ips) {
					t.Errorf("%s: %s.service.consul A on lim-%d = %v; want the ten agents' addresses", when, name, k, got)
				}
				r = query(t, "tcp", ip+":8600", name+".service.consul.", dns.TypeSRV)
				if len(r.Answer) != agents || r.Truncated {
					t.Errorf("%s: %s.service.consul SRV over TCP on lim-%d: %d answers, TC %v; want %d", when, name, k, len(r.Answer), r.Truncated, agents)
				}
				for _, rr := range r.Answer {
					if srv, ok := rr.(*dns.SRV); !ok || srv.Port != uint16(10000+i) {
						t.Errorf("%s: %s SRV on lim-%d: %v; want port %d", when, name, k, rr, 10000+i)
					}
				}
			}
		}
	}
	everywhere("running")

	over := func(when string) {
		t.Helper()
		err := c0.Agent().ServiceRegister(&api.AgentServiceRegistration{Name: "svc-over", Port: 9998})
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: the 1,001st service on lim-0: %v; want a 400 naming the limit", when, err)
		}
	}
	over("running")

	// lim-0 restarts with the same data dir and files: all 1,000 again
	// (the API one persisted), everywhere, and still at the limit.
	if code := procs[0].signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("lim-0 exited %d on SIGTERM", code)
	}
	startAgent(t, "lim-0", ips[0], append(args[0], "-retry-join", ips[1])...)
	everywhere("after lim-0's restart")
	over("after a restart")
}

// writeServices writes a services file of svc-0 … svc-(n-1), port
// 10000+i, tagged t<i mod 7>.
func writeServices(t *testing.T, path string, n int) {
	t.Helper()
	var file struct {
		Services []map[string]any `json:"services"`
	}
	for i := range n {
		file.Services = append(file.Services, map[string]any{
			"name": fmt.Sprintf("svc-%d", i), "port": 10000 + i, "tags": []string{fmt.Sprintf("t%d", i%7)},
		})
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// instances returns the service instances in the catalog of the agent at
// addr, all health states, as its discod_catalog_instances gauge counts
// them, or -1 when the agent does not answer.
func instances(addr string) int {
	resp, err := http.Get("http://" + addr + "/v1/agent/metrics?format=prometheus")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return -1
	}
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "discod_catalog_instances{") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err != nil {
			return -1
		}
		n += int(v)
	}
	return n
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}
