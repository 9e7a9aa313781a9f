package resolvers

import (
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The shared agent every resolver recipe forwards to: discod with its
// defaults (no recursors, so no RA) on its own loopback address.
const (
	webNode = "web-1"
	webIP   = "127.0.0.30"
	webDNS  = webIP + ":8600"
)

// Names the checks ask about.
const (
	webName     = webNode + ".node.consul."
	unknownName = "no-such-node.node.consul."
)

// shared holds what several tests use, started on first use and stopped
// by TestMain.
var shared struct {
	mu    sync.Mutex
	agent *proc
	up    *upstream
}

// webAgent returns the DNS address of the shared discod agent, starting
// it on first use.
func webAgent(t *testing.T) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.agent != nil && shared.agent.Running() {
		return webDNS
	}
	p, err := spawnAgent(webNode, webIP, 8600, nil)
	if err != nil {
		t.Fatal(err)
	}
	shared.agent = p
	return webDNS
}

// fakeUpstream returns the shared fake upstream on 127.0.0.40:53,
// starting it on first use.
func fakeUpstream(t *testing.T) *upstream {
	t.Helper()
	requireRoot(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.up != nil {
		return shared.up
	}
	u, err := newUpstream()
	if err != nil {
		t.Fatal(err)
	}
	if err := u.listen(upstreamAddr); err != nil {
		t.Fatal(err)
	}
	shared.up = u
	return u
}

// stopShared stops what webAgent and fakeUpstream started.
func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.agent != nil {
		shared.agent.stop()
	}
	if shared.up != nil {
		shared.up.close()
	}
}

// spawnAgent starts `discod agent` as node on ip (gossip, HTTP and DNS
// all on ip, DNS on dnsPort) with extra flags, as attr says (nil: as the
// test's user), and waits until its DNS answers for the node itself.
func spawnAgent(node, ip string, dnsPort int, attr *syscall.SysProcAttr, extra ...string) (*proc, error) {
	argv := append([]string{discodBin, "agent", "-node=" + node, "-bind=" + ip, "-client=" + ip,
		"-dns-port=" + strconv.Itoa(dnsPort)}, extra...)
	p, err := spawn("discod "+node, argv, attr)
	if err != nil {
		return nil, err
	}
	server := net.JoinHostPort(ip, strconv.Itoa(dnsPort))
	if err := poll(20*time.Second, node+" answering DNS on "+server, p, func() bool {
		r, err := exchange("udp", server, node+".node.consul.", dns.TypeA)
		return err == nil && answerA(r) == ip
	}); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startAgent is spawnAgent for one test: the agent stops when the test
// ends and its output is logged if the test failed.
func startAgent(t *testing.T, node, ip string, dnsPort int, attr *syscall.SysProcAttr, extra ...string) *proc {
	t.Helper()
	p, err := spawnAgent(node, ip, dnsPort, attr, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.Name, p.Out.String())
		}
	})
	return p
}
