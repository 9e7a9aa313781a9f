package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// The multi-datacenter test runs on 127.0.0.50–127.0.0.59 with the default
// ports: dc1 is a server on .40 and a client on .41, dc2 a server on .42
// and a client on .43.

// dcAgent is one agent of the two datacenters.
type dcAgent struct {
	node, dc, ip string
	server       bool
}

func (a dcAgent) http() string { return a.ip + ":8500" }
func (a dcAgent) dns() string  { return a.ip + ":8600" }

var dcAgents = []dcAgent{
	{"dc1-server", "dc1", "127.0.0.50", true},
	{"dc1-client", "dc1", "127.0.0.51", false},
	{"dc2-server", "dc2", "127.0.0.52", true},
	{"dc2-client", "dc2", "127.0.0.53", false},
}

// dcArgs returns the agent flags of a: the servers join each other's WAN
// pool (dc2's server joins dc1's), the clients their datacenter's server.
func dcArgs(a dcAgent, dataDir, key string) []string {
	args := []string{"-node=" + a.node, "-datacenter=" + a.dc, "-bind=" + a.ip, "-client=" + a.ip, "-data-dir", dataDir, "-encrypt", key}
	switch {
	case a.server && a.dc == "dc2":
		args = append(args, "-server", "-join-wan=127.0.0.50")
	case a.server:
		args = append(args, "-server")
	case a.dc == "dc1":
		args = append(args, "-join=127.0.0.50")
	default:
		args = append(args, "-join=127.0.0.52")
	}
	return args
}

// ask queries server for name A over UDP with a timeout long enough for a
// forwarded question; an error (a timeout) is returned, not fatal, so
// callers can poll.
func ask(server, name string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := &dns.Client{Net: "udp", Timeout: 6 * time.Second}
	r, _, err := c.Exchange(m, server)
	return r, err
}

// answersFor reports whether server answers name A with want (NOERROR).
func answersFor(server, name, want string) bool {
	r, err := ask(server, name)
	return err == nil && r.Rcode == dns.RcodeSuccess && answerA(r) == want
}

// catalogNodes returns node → address from GET /v1/catalog/nodes?dc=dc on
// the agent at httpAddr, and the HTTP status.
func catalogNodes(t *testing.T, httpAddr, dc string) (map[string]string, int, string) {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/v1/catalog/nodes?dc=" + dc)
	if err != nil {
		t.Fatalf("catalog on %s: %v", httpAddr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, string(b)
	}
	var nodes []struct{ Node, Address, Datacenter string }
	if err := json.Unmarshal(b, &nodes); err != nil {
		t.Fatalf("catalog on %s: %v: %s", httpAddr, err, b)
	}
	out := map[string]string{}
	for _, n := range nodes {
		if n.Datacenter != dc {
			t.Errorf("catalog ?dc=%s on %s lists %s of datacenter %s", dc, httpAddr, n.Node, n.Datacenter)
		}
		out[n.Node] = n.Address
	}
	return out, resp.StatusCode, string(b)
}

// wanStatus returns the Status column of node in `discod members -wan`.
func wanStatus(t *testing.T, httpAddr, node string) string {
	t.Helper()
	out, _, code := cli(t, "members", "-wan", "-http-addr", httpAddr)
	if code != 0 {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == node {
			return f[2]
		}
	}
	return ""
}

// TestMultiDC: two datacenters of a server and a client each, with gossip
// encryption. The servers form the WAN pool; a key rotation on one server
// covers the WAN pool and its LAN pool; every agent answers for every node of both
// datacenters by DNS and through ?dc=; an unknown datacenter is NXDOMAIN;
// killing dc2's server makes dc2's names SERVFAIL from dc1 once the
// failure is detected, and restarting it brings the answers back without
// anyone typing a command.
func TestMultiDC(t *testing.T) {
	// Failures in the WAN pool are detected in tens of seconds with the WAN
	// profile; the local profile takes seconds.
	t.Setenv("DISCOD_WAN_PROFILE", "local")
	k1, k2 := keygen(t), keygen(t)
	procs := map[string]*agent{}
	args := map[string][]string{}
	for _, a := range dcAgents {
		args[a.node] = dcArgs(a, t.TempDir(), k1)
		procs[a.node] = startAgent(t, a.node, a.ip, args[a.node]...)
	}

	// The WAN pool holds both servers, named <node>.<dc>, and no client.
	for _, srv := range []dcAgent{dcAgents[0], dcAgents[2]} {
		testproc.WaitFor(t, 30*time.Second, "both servers in the WAN pool on "+srv.node, func() bool {
			return wanStatus(t, srv.http(), "dc1-server.dc1") == "alive" && wanStatus(t, srv.http(), "dc2-server.dc2") == "alive"
		})
		out, _, _ := cli(t, "members", "-wan", "-http-addr", srv.http())
		if strings.Contains(out, "client") || !strings.Contains(out, "127.0.0.50:8302") || !strings.Contains(out, "127.0.0.52:8302") {
			t.Errorf("members -wan on %s:\n%s\nwant the two servers on port 8302 and no client", srv.node, out)
		}
	}
	if _, errOut, code := cli(t, "members", "-wan", "-http-addr", dcAgents[1].http()); code == 0 || !strings.Contains(errOut, "WAN pool") {
		t.Errorf("members -wan on a client: exit %d %q; want a refusal", code, errOut)
	}
	if _, errOut, code := cli(t, "join", "-wan", "-http-addr", dcAgents[0].http(), "127.0.0.52"); code != 0 {
		t.Errorf("join -wan on dc1-server: exit %d %q", code, errOut)
	}
	if _, errOut, code := cli(t, "join", "-wan", "-http-addr", dcAgents[3].http(), "127.0.0.50"); code == 0 || !strings.Contains(errOut, "WAN") {
		t.Errorf("join -wan on a client: exit %d %q; want a refusal", code, errOut)
	}

	// Every agent answers for every node of both datacenters, by DNS and
	// through ?dc=.
	for _, asker := range dcAgents {
		for _, node := range dcAgents {
			name := node.node + ".node." + node.dc + ".consul."
			testproc.WaitFor(t, 30*time.Second, fmt.Sprintf("%s to answer %s", asker.node, name), func() bool {
				return answersFor(asker.dns(), name, node.ip)
			})
		}
		for _, dc := range []string{"dc1", "dc2"} {
			testproc.WaitFor(t, 30*time.Second, fmt.Sprintf("%s to list dc %s", asker.node, dc), func() bool {
				nodes, code, _ := catalogNodes(t, asker.http(), dc)
				return code == 200 && len(nodes) == 2 && nodes[dc+"-server"] == map[string]string{"dc1": "127.0.0.50", "dc2": "127.0.0.52"}[dc] &&
					nodes[dc+"-client"] == map[string]string{"dc1": "127.0.0.51", "dc2": "127.0.0.53"}[dc]
			})
		}
		// The datacenter list: own first, then the others alphabetically.
		resp, err := http.Get("http://" + asker.http() + "/v1/catalog/datacenters")
		if err != nil {
			t.Fatal(err)
		}
		var dcs []string
		_ = json.NewDecoder(resp.Body).Decode(&dcs)
		resp.Body.Close()
		want := []string{"dc1", "dc2"}
		if asker.dc == "dc2" {
			want = []string{"dc2", "dc1"}
		}
		if !slices.Equal(dcs, want) {
			t.Errorf("datacenters on %s = %v; want %v", asker.node, dcs, want)
		}
		// An unknown datacenter is NXDOMAIN with the SOA.
		r, err := ask(asker.dns(), "dc1-server.node.dc9.consul.")
		if err != nil || r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("unknown datacenter on %s: %v, %v; want NXDOMAIN with the SOA", asker.node, r, err)
		}
		// A node that does not exist in the other datacenter: its NXDOMAIN.
		other := map[string]string{"dc1": "dc2", "dc2": "dc1"}[asker.dc]
		if r, err := ask(asker.dns(), "nobody.node."+other+".consul."); err != nil || r.Rcode != dns.RcodeNameError {
			t.Errorf("unknown node in %s asked of %s: %v, %v; want NXDOMAIN", other, asker.node, r, err)
		}
	}

	// Key rotation on a server covers the WAN pool (both servers) and its
	// own LAN pool (its server and client), reported per pool.
	for _, step := range [][]string{{"-install", k2}, {"-use", k2}, {"-remove", k1}} {
		out, errOut, code := cli(t, append([]string{"keyring", "-http-addr", dcAgents[0].http()}, step...)...)
		if code != 0 || !strings.Contains(out, "WAN: 2 of 2 nodes answered") || !strings.Contains(out, "dc1 (LAN): 2 of 2 nodes answered") {
			t.Fatalf("keyring %v on dc1-server: exit %d\n%s%s", step, code, out, errOut)
		}
	}
	out, _, _ := cli(t, "keyring", "-list", "-http-addr", dcAgents[2].http())
	if wan, lan, _ := strings.Cut(out, "(LAN)"); !strings.Contains(wan, k2+" [2/2] primary on 2") || strings.Contains(wan, k1) ||
		!strings.Contains(lan, k1+" [2/2] primary on 2") {
		t.Errorf("keyring -list on dc2-server after rotating the WAN pool from dc1:\n%s\nwant the WAN pool on the new key only and dc2's LAN pool untouched", out)
	}

	// dc2's server dies. Once dc1 has noticed, dc2's names are SERVFAIL
	// from dc1 (known but unreachable), never NXDOMAIN, and the log says
	// which datacenter.
	_ = procs["dc2-server"].cmd.Process.Signal(syscall.SIGKILL)
	procs["dc2-server"].waitExit()
	testproc.WaitFor(t, 60*time.Second, "dc2-server.dc2 failed in dc1's WAN pool", func() bool {
		return wanStatus(t, dcAgents[0].http(), "dc2-server.dc2") == "failed"
	})
	for _, asker := range dcAgents[:2] {
		for _, name := range []string{"dc2-client.node.dc2.consul.", "x.node.dc2.consul."} {
			r, err := ask(asker.dns(), name)
			if err != nil || r.Rcode != dns.RcodeServerFailure {
				t.Errorf("%s asked of %s with dc2's server down: %v, %v; want SERVFAIL", name, asker.node, r, err)
			}
		}
		if !answersFor(asker.dns(), "dc1-client.node.dc1.consul.", "127.0.0.51") {
			t.Errorf("%s stopped answering for its own datacenter", asker.node)
		}
		if _, code, body := catalogNodes(t, asker.http(), "dc2"); code != 500 || !strings.Contains(body, "No path to datacenter") {
			t.Errorf("?dc=dc2 on %s with dc2's server down: %d %s; want 500 No path to datacenter", asker.node, code, body)
		}
	}
	if out := procs["dc1-server"].out.String(); !strings.Contains(out, "datacenter dc2 cannot be reached") {
		t.Errorf("dc1-server's log does not name dc2 as unreachable:\n%s", out)
	}

	// Restarted with the same flags and data dir, dc2's server rejoins both
	// pools and the answers come back: its saved WAN keyring holds the
	// rotated key, which its stale -encrypt no longer opens.
	// This time it finds the WAN pool with -retry-join-wan.
	restart := []string{}
	for _, a := range args["dc2-server"] {
		restart = append(restart, strings.Replace(a, "-join-wan=", "-retry-join-wan=", 1))
	}
	startAgent(t, "dc2-server (restarted)", "127.0.0.52", restart...)
	for _, asker := range dcAgents[:2] {
		for _, node := range dcAgents[2:] {
			name := node.node + ".node.dc2.consul."
			testproc.WaitFor(t, 60*time.Second, fmt.Sprintf("%s to answer %s again", asker.node, name), func() bool {
				return answersFor(asker.dns(), name, node.ip)
			})
		}
	}
}
