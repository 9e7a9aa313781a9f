package test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestRegisterService walks through the guide's "Register a service"
// chapter on the two-agent cluster of the walk-through (here on 127.0.0.60
// and 127.0.0.61): the seed's web.json in agent-one's -config-dir, DNS for
// web.service.consul, rails.web.service.consul SRV and
// _web._tcp.service.consul SRV from both agents, the catalog over HTTP, a
// second instance registered over HTTP on agent-two, a restart that keeps
// it, and kill -9 that takes it out of DNS once the failure is detected.
func TestRegisterService(t *testing.T) {
	const ip1, ip2 = "127.0.0.60", "127.0.0.61"
	const http1, http2 = ip1 + ":8500", ip2 + ":8500"
	dnsAddrs := []string{ip1 + ":8600", ip2 + ":8600"}
	conf1 := t.TempDir()
	if err := os.WriteFile(filepath.Join(conf1, "web.json"), []byte(`{"service": {"name": "web", "tags": ["rails"], "port": 80}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	startAgent(t, "agent-one", ip1, "-server", "-bootstrap-expect", "1", "-data-dir", t.TempDir(),
		"-node=agent-one", "-bind="+ip1, "-client="+ip1, "-config-dir", conf1)
	twoArgs := []string{"-data-dir", t.TempDir(), "-node=agent-two", "-bind=" + ip2, "-client=" + ip2,
		"-config-dir", t.TempDir(), "-join", ip1}
	two := startAgent(t, "agent-two", ip2, twoArgs...)
	for _, h := range []string{http1, http2} {
		waitFor(t, 15*time.Second, "two alive members on "+h, func() bool {
			return memberStatus(t, h, "agent-one") == "alive" && memberStatus(t, h, "agent-two") == "alive"
		})
	}

	// DNS from both agents, A and SRV, the seed's instance only.
	for _, server := range dnsAddrs {
		waitFor(t, 10*time.Second, "web.service.consul on "+server, func() bool {
			r := query(t, "udp", server, "web.service.consul.", dns.TypeA)
			return r.Rcode == dns.RcodeSuccess && answerA(r) == ip1
		})
		for _, name := range []string{"rails.web.service.consul.", "_web._tcp.service.consul.", "_web._rails.service.consul."} {
			r := query(t, "udp", server, name, dns.TypeSRV)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("%s SRV on %s: %s with %d answers\n%v", name, server, dns.RcodeToString[r.Rcode], len(r.Answer), r)
			}
			srv := r.Answer[0].(*dns.SRV)
			if srv.Port != 80 || srv.Target != "agent-one.node.dc1.consul." {
				t.Errorf("%s SRV on %s = %v; want port 80, target agent-one.node.dc1.consul.", name, server, srv)
			}
			if answerA(&dns.Msg{Answer: r.Extra}) != ip1 {
				t.Errorf("%s SRV on %s: additional %v; want A %s", name, server, r.Extra, ip1)
			}
		}
		if r := query(t, "udp", server, "nope.web.service.consul.", dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Errorf("unknown tag on %s: %s, authority %v; want NXDOMAIN with the SOA", server, dns.RcodeToString[r.Rcode], r.Ns)
		}
	}

	// The catalog over HTTP.
	var entries []struct {
		Node, ServiceName string
		ServiceTags       []string
		ServicePort       int
	}
	getJSON(t, "http://"+http2+"/v1/catalog/service/web", &entries)
	if len(entries) != 1 || entries[0].Node != "agent-one" || entries[0].ServicePort != 80 || !slices.Equal(entries[0].ServiceTags, []string{"rails"}) {
		t.Fatalf("/v1/catalog/service/web on agent-two = %+v", entries)
	}

	// A second instance, registered over HTTP on agent-two, reaches agent-one.
	put(t, "http://"+http2+"/v1/agent/service/register", `{"Name": "web", "ID": "web-two", "Port": 8080}`)
	bothAnswered := func(server string) func() bool {
		return func() bool {
			r := query(t, "udp", server, "web.service.consul.", dns.TypeA)
			got := strings.Split(answerA(r), ",")
			slices.Sort(got)
			return slices.Equal(got, []string{ip1, ip2})
		}
	}
	waitFor(t, 10*time.Second, "both instances on agent-one", bothAnswered(dnsAddrs[0]))

	// A restart keeps it: it was registered over the API, so agent-two's
	// data dir holds it.
	if code := two.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("agent-two exit %d on SIGTERM\n%s", code, two.out.String())
	}
	waitFor(t, 10*time.Second, "agent-two's instance gone from agent-one after its leave", func() bool {
		return answerA(query(t, "udp", dnsAddrs[0], "web.service.consul.", dns.TypeA)) == ip1
	})
	two = startAgent(t, "agent-two", ip2, twoArgs...)
	waitFor(t, 15*time.Second, "agent-two's instance back on agent-one after its restart", bothAnswered(dnsAddrs[0]))

	// kill -9: out of DNS once the failure is detected, still in the
	// catalog as critical until reaped.
	two.p.Kill()
	waitFor(t, 40*time.Second, "agent-two failed on agent-one", func() bool { return memberStatus(t, http1, "agent-two") == "failed" })
	waitFor(t, 5*time.Second, "agent-two's instance out of DNS", func() bool {
		return answerA(query(t, "udp", dnsAddrs[0], "web.service.consul.", dns.TypeA)) == ip1
	})
	var health []struct {
		Node    struct{ Node string }
		Service struct{ ID string }
		Checks  []struct{ CheckID, Status string }
	}
	getJSON(t, "http://"+http1+"/v1/health/service/web", &health)
	critical := false
	for _, e := range health {
		for _, c := range e.Checks {
			if e.Node.Node == "agent-two" && c.CheckID == "serfHealth" && c.Status == "critical" {
				critical = true
			}
		}
	}
	if len(health) != 2 || !critical {
		t.Errorf("/v1/health/service/web after kill -9 = %+v; want both instances, agent-two's serfHealth critical", health)
	}
	getJSON(t, "http://"+http1+"/v1/health/service/web?passing", &health)
	if len(health) != 1 || health[0].Node.Node != "agent-one" {
		t.Errorf("?passing after kill -9 = %+v; want agent-one's instance only", health)
	}
}

// getJSON GETs url and decodes its JSON body into v, failing the test on
// anything but 200.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// put PUTs body to url, failing the test on anything but 200.
func put(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %s: %s", url, resp.Status, b)
	}
}
