package resolvers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestIptablesRedirect runs the iptables recipe in a network namespace
// the test creates, so the host's rules and its 127.0.0.1 are untouched:
// inside it, discod listens on 127.0.0.1:8600 as an unprivileged user,
// the recipe redirects local queries for 127.0.0.1:53 to it, and a fake
// upstream listens on 127.0.0.1:53 itself as discod's recursor. Queries
// from the test (root) are redirected to discod; discod's own queries to
// its recursor are not, thanks to the recipe's owner match (without it
// discod would send them to itself, in a loop).
func TestIptablesRedirect(t *testing.T) {
	requireRoot(t)
	ipBin := requireTool(t, "ip", "iproute2")
	requireTool(t, "iptables", "iptables")
	nsenter := requireTool(t, "nsenter", "util-linux")
	unshare := requireTool(t, "unshare", "util-linux")
	requireTool(t, "mount", "mount")
	getent := requireTool(t, "getent", "libc-bin")
	requireTool(t, "sh", "dash")

	name := fmt.Sprintf("discod-resolvers-%d", os.Getpid())
	nsPath := "/run/netns/" + name
	run := func(argv ...string) {
		t.Helper()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	run(ipBin, "netns", "add", name)
	t.Cleanup(func() {
		// Runs after the agent's cleanup (cleanups run last first), so
		// nothing is left inside the namespace.
		if out, err := exec.Command(ipBin, "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	run(ipBin, "netns", "exec", name, ipBin, "link", "set", "lo", "up")
	// A non-loopback IPv4 address, as any real host has: getaddrinfo with
	// AI_ADDRCONFIG (getent ahosts uses it) returns no IPv4 address at all
	// on a host that has only loopback ones.
	run(ipBin, "netns", "exec", name, ipBin, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	run(ipBin, "netns", "exec", name, ipBin, "addr", "add", "198.51.100.1/24", "dev", "v0")
	run(ipBin, "netns", "exec", name, ipBin, "link", "set", "v0", "up")
	run(ipBin, "netns", "exec", name, ipBin, "link", "set", "v1", "up")

	// The recipe, with the user discod runs as here.
	script := recipe(t, "iptables.sh")
	if !strings.Contains(script, "--uid-owner discod") {
		t.Fatalf("the iptables recipe no longer excludes the user discod:\n%s", script)
	}
	script = strings.ReplaceAll(script, "--uid-owner discod", "--uid-owner "+strconv.Itoa(nobody))
	run(ipBin, "netns", "exec", name, "sh", "-ec", script)

	// The fake upstream, on the namespace's 127.0.0.1:53.
	up, err := newUpstream()
	if err != nil {
		t.Fatal(err)
	}
	var pc net.PacketConn
	var l net.Listener
	if err := inNetns(nsPath, func() error {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:53"); err != nil {
			return err
		}
		if l, err = net.Listen("tcp", "127.0.0.1:53"); err != nil {
			pc.Close()
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("fake upstream in %s: %v", name, err)
	}
	if err := up.serve(pc, l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.close)

	// discod as the recipe says: 127.0.0.1:8600, a recursor, its own user.
	p, err := spawn("discod "+webNode+" in "+name, []string{nsenter, "--net=" + nsPath,
		"--setuid=" + strconv.Itoa(nobody), "--setgid=" + strconv.Itoa(nobody), "--",
		discodBin, "agent", "-node=" + webNode, "-bind=127.0.0.1", "-client=127.0.0.1",
		"-dns-port=8600", "-recursor=127.0.0.1:53"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.Name, p.Out.String())
		}
	})

	// Queries to 127.0.0.1:53 inside the namespace.
	ask := func(netw, qname string, qtype uint16) (*dns.Msg, error) {
		var r *dns.Msg
		err := inNetns(nsPath, func() error {
			var err error
			r, err = exchange(netw, "127.0.0.1:53", qname, qtype)
			return err
		})
		return r, err
	}
	waitFor(t, 20*time.Second, "discod answering through the redirect", p, func() bool {
		r, err := ask("udp", webName, dns.TypeA)
		return err == nil && answerA(r) == "127.0.0.1"
	})
	checkThrough(t, ask, up, "127.0.0.1")

	// getaddrinfo with the doc's resolv.conf, unchanged: nameserver 127.0.0.1.
	t.Run("getent", func(t *testing.T) {
		out, code := inMountNS(t, []string{nsenter, "--net=" + nsPath}, unshare, recipe(t, "resolv.conf"),
			getent, "ahostsv4", strings.TrimSuffix(webName, "."))
		if code != 0 || !strings.HasPrefix(out, "127.0.0.1 ") {
			t.Errorf("getent ahostsv4 %s: exit %d\n%s", webName, code, out)
		}
	})
}
