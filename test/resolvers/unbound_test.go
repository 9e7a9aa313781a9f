package resolvers

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/miekg/dns"
)

const unboundIP = "127.0.0.33"

// TestUnbound runs both unbound recipes (stub-zone and forward-zone)
// against the shared agent, with validation on against the fake signed
// root, and shows that each line of the recipe is needed.
func TestUnbound(t *testing.T) {
	requireRoot(t)
	bin := requireTool(t, "unbound", "unbound")
	check := requireTool(t, "unbound-checkconf", "unbound")
	up := fakeUpstream(t)
	webAgent(t)

	port := 5353
	for _, variant := range []string{"unbound-stub.conf", "unbound-forward.conf"} {
		conf := recipeFor(t, variant, webIP)
		t.Run(variant, func(t *testing.T) {
			server := startUnbound(t, bin, check, up, port, conf)
			port++
			// A signed NXDOMAIN from the root for another made-up TLD
			// first: with aggressive-nsec its NSEC also covers consul.,
			// and domain-insecure must keep unbound from using it there.
			if r, err := exchange("udp", server, "no-such-tld.", dns.TypeA); err != nil || r.Rcode != dns.RcodeNameError {
				t.Fatalf("no-such-tld. A: %v %s; want NXDOMAIN from the root", err, summary(r))
			}
			checkThrough(t, direct(server), up, webIP)
		})
		for _, trap := range []struct{ line, why string }{
			{"do-not-query-localhost", "without do-not-query-localhost: no"},
			{"domain-insecure", "without domain-insecure, validating against a signed root"},
		} {
			t.Run(variant+" "+trap.why, func(t *testing.T) {
				server := startUnbound(t, bin, check, up, port, withoutLine(t, conf, trap.line))
				port++
				expectFailure(t, server, webIP, trap.why)
			})
		}
	}
}

// startUnbound runs unbound on unboundIP:port with the harness settings
// and then recipe, after unbound-checkconf accepts the result, and waits
// until it serves. It returns its address.
func startUnbound(t *testing.T, bin, check string, up *upstream, port int, recipe string) string {
	t.Helper()
	dir := t.TempDir()
	harness := fmt.Sprintf(`# test harness: where to listen, run in the foreground as the
# current user, validate against the fake signed root, forward the
# rest to the fake upstream.
server:
    interface: %s
    port: %d
    do-daemonize: no
    username: ""
    chroot: ""
    directory: %q
    pidfile: %q
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    log-servfail: yes
    num-threads: 1
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    trust-anchor: ". DNSKEY %s"
    aggressive-nsec: yes
    use-caps-for-id: yes

remote-control:
    control-enable: no

forward-zone:
    name: "."
    forward-addr: %s@53

# recipe from docs/resolvers.md
`, unboundIP, port, dir, filepath.Join(dir, "unbound.pid"), up.rootAnchor(), upstreamIP)
	conf := writeFile(t, dir, "unbound.conf", harness+recipe)
	if out, err := exec.Command(check, conf).CombinedOutput(); err != nil {
		t.Fatalf("unbound-checkconf rejects the configuration: %v\n%s\n--- configuration ---\n%s", err, out, harness+recipe)
	}
	p := startProc(t, "unbound", bin, "-d", "-c", conf)
	server := unboundIP + ":" + strconv.Itoa(port)
	waitServing(t, server, p)
	return server
}
