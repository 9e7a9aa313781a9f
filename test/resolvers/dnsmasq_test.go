package resolvers

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const dnsmasqIP = "127.0.0.32"

// TestDnsmasq runs the dnsmasq recipe against the shared agent.
func TestDnsmasq(t *testing.T) {
	requireRoot(t)
	bin := requireTool(t, "dnsmasq", "dnsmasq-base")
	up := fakeUpstream(t)
	webAgent(t)
	conf := recipeFor(t, "dnsmasq.conf", webIP)

	t.Run("recipe", func(t *testing.T) {
		server, p := startDnsmasq(t, bin, 5353, conf)
		checkThrough(t, direct(server), up, webIP)

		// dnsmasq answers the second ask from its cache, positive and
		// negative, although discod sets no RA (see docs/resolvers.md:
		// older releases did not cache without RA).
		for i := 0; i < 2; i++ {
			for _, name := range []string{webName, unknownName} {
				if _, err := exchange("udp", server, name, dns.TypeA); err != nil {
					t.Fatal(err)
				}
			}
		}
		if v := dnsmasqVersion(t, bin); v < 290 {
			t.Logf("dnsmasq %d.%d: not checking whether it caches answers without RA", v/100, v%100)
			return
		}
		for _, want := range []string{
			"cached " + strings.TrimSuffix(webName, ".") + " is " + webIP,
			"cached " + strings.TrimSuffix(unknownName, ".") + " is NXDOMAIN",
		} {
			waitFor(t, 5*time.Second, "dnsmasq logging "+want, p, func() bool {
				return strings.Contains(p.Out.String(), want)
			})
		}
	})

	// The trap: with stop-dns-rebind on, dnsmasq drops answers carrying
	// private or loopback addresses unless the domain is exempted.
	t.Run("without rebind-domain-ok", func(t *testing.T) {
		server, _ := startDnsmasq(t, bin, 5354, withoutLine(t, conf, "rebind-domain-ok"))
		expectFailure(t, server, webIP, "without rebind-domain-ok under stop-dns-rebind")
	})
}

// startDnsmasq runs dnsmasq on dnsmasqIP:port with the harness lines and
// then recipe, and waits until it serves. It returns its address.
func startDnsmasq(t *testing.T, bin string, port int, recipe string) (string, *proc) {
	t.Helper()
	dir := t.TempDir()
	harness := fmt.Sprintf(`# test harness: where to listen, no host files, the default upstream
port=%d
listen-address=%s
bind-interfaces
no-resolv
no-hosts
server=%s
pid-file=%s
stop-dns-rebind
log-queries
log-facility=-
# recipe from docs/resolvers.md
`, port, dnsmasqIP, upstreamIP, filepath.Join(dir, "dnsmasq.pid"))
	conf := writeFile(t, dir, "dnsmasq.conf", harness+recipe)
	p := startProc(t, "dnsmasq", bin, "--conf-file="+conf, "--keep-in-foreground")
	server := dnsmasqIP + ":" + strconv.Itoa(port)
	waitServing(t, server, p)
	return server, p
}

// waitServing waits until a DNS server at server accepts TCP connections.
func waitServing(t *testing.T, server string, p *proc) {
	t.Helper()
	waitFor(t, 15*time.Second, p.Name+" listening on "+server, p, func() bool {
		c := &dns.Client{Net: "tcp", Timeout: 500 * time.Millisecond}
		conn, err := c.Dial(server)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
}

// dnsmasqVersion returns dnsmasq's version as major*100+minor (2.90 →
// 290), or 0 if it cannot tell.
func dnsmasqVersion(t *testing.T, bin string) int {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`version (\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		return 0
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major*100 + minor
}
