package resolvers

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const namedIP = "127.0.0.34"

// TestNamed runs the BIND recipe against the shared agent, with
// validation on against the fake signed root, and shows that
// validate-except is needed.
func TestNamed(t *testing.T) {
	requireRoot(t)
	bin := requireTool(t, "named", "bind9")
	check := requireTool(t, "named-checkconf", "bind9")
	ipBin := requireTool(t, "ip", "iproute2")
	up := fakeUpstream(t)
	webAgent(t)
	loopbackAlias(t, ipBin, namedIP)
	options := recipe(t, "named-options.conf") // no address in it
	zone := recipeFor(t, "named-zone.conf", webIP)

	t.Run("recipe", func(t *testing.T) {
		server := startNamed(t, bin, check, up, 5353, options, zone)
		checkThrough(t, direct(server), up, webIP)
	})
	t.Run("without validate-except", func(t *testing.T) {
		server := startNamed(t, bin, check, up, 5354, withoutLine(t, options, "validate-except"), zone)
		expectFailure(t, server, webIP, "without validate-except, validating against a signed root")
	})
}

// startNamed runs named on namedIP:port with the harness settings, the
// recipe's options lines inside the options block and the recipe's zone
// after it, once named-checkconf accepts the result, and waits until it
// serves. It returns its address.
func startNamed(t *testing.T, bin, check string, up *upstream, port int, options, zone string) string {
	t.Helper()
	dir := t.TempDir()
	conf := fmt.Sprintf(`// test harness: where to listen, files in a temporary directory, no
// control channel, validate against the fake signed root, forward the
// rest to the fake upstream.
options {
    directory %[1]q;
    pid-file %[2]q;
    session-keyfile %[3]q;
    listen-on port %[4]d { %[5]s; };
    listen-on-v6 { none; };
    allow-query { 127.0.0.0/8; };
    allow-recursion { 127.0.0.0/8; };
    forwarders { %[6]s; };
    forward only;
    dnssec-validation yes;
    // recipe from docs/resolvers.md
%[7]s};

trust-anchors {
    . static-key %[8]s;
};

controls { };

// recipe from docs/resolvers.md
%[9]s`, dir, filepath.Join(dir, "named.pid"), filepath.Join(dir, "session.key"), port, namedIP,
		upstreamIP, options, quoteAnchor(up.rootAnchor()), zone)
	path := writeFile(t, dir, "named.conf", conf)
	if out, err := exec.Command(check, path).CombinedOutput(); err != nil {
		t.Fatalf("named-checkconf rejects the configuration: %v\n%s\n--- configuration ---\n%s", err, out, conf)
	}
	// -g: foreground, log to stderr; -4: IPv4 only; -n 1: one worker.
	p := startProc(t, "named", bin, "-g", "-4", "-n", "1", "-c", path)
	server := namedIP + ":" + strconv.Itoa(port)
	waitServing(t, server, p)
	return server
}

// loopbackAlias makes ip an address of the loopback interface for the
// test's duration. named only listens on addresses its interfaces carry,
// and 127.0.0.34 is routed to lo but not assigned to it.
func loopbackAlias(t *testing.T, ipBin, ip string) {
	t.Helper()
	out, err := exec.Command(ipBin, "-4", "-o", "addr", "show", "dev", "lo").Output()
	if err != nil {
		t.Fatalf("ip addr show dev lo: %v", err)
	}
	if strings.Contains(string(out), " "+ip+"/") {
		return // already there: not ours to remove
	}
	if out, err := exec.Command(ipBin, "addr", "add", ip+"/32", "dev", "lo").CombinedOutput(); err != nil {
		t.Fatalf("ip addr add %s/32 dev lo: %v\n%s", ip, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(ipBin, "addr", "del", ip+"/32", "dev", "lo").CombinedOutput(); err != nil {
			t.Errorf("ip addr del %s/32 dev lo: %v\n%s", ip, err, out)
		}
	})
}

// quoteAnchor turns "257 3 13 KEY" into named's `257 3 13 "KEY"`.
func quoteAnchor(a string) string {
	var flags, proto, alg int
	var key string
	if _, err := fmt.Sscanf(a, "%d %d %d %s", &flags, &proto, &alg, &key); err != nil {
		return a
	}
	return fmt.Sprintf("%d %d %d %q", flags, proto, alg, key)
}
