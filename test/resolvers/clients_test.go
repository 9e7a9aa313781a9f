package resolvers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// The agents of the port-53 tests: web-5 as the host's only resolver
// (recursor set, so RA), web-6 without recursors (no RA).
const (
	port53IP   = "127.0.0.35"
	port53Node = "web-5"
	noRAIP     = "127.0.0.36"
	noRANode   = "web-6"
	noCapIP    = "127.0.0.37"
)

// nobody is the unprivileged user the port-53 agent runs as.
const nobody = 65534

// TestGoResolver resolves through Go's own resolver (PreferGo, dialing
// the shared agent, which sets AA but not RA): a node, an unknown node
// and a node without IPv6 address.
func TestGoResolver(t *testing.T) {
	server := webAgent(t)
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("A", func(t *testing.T) {
		addrs, err := r.LookupHost(ctx, strings.TrimSuffix(webName, "."))
		if err != nil || !slices.Equal(addrs, []string{webIP}) {
			t.Errorf("LookupHost(%s) = %v, %v; want [%s]", webName, addrs, err, webIP)
		}
	})
	t.Run("NXDOMAIN", func(t *testing.T) {
		addrs, err := r.LookupHost(ctx, strings.TrimSuffix(unknownName, "."))
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound {
			t.Errorf("LookupHost(%s) = %v, %v; want a not-found DNSError", unknownName, addrs, err)
		}
	})
	t.Run("NODATA", func(t *testing.T) {
		ips, err := r.LookupIP(ctx, "ip6", strings.TrimSuffix(webName, "."))
		var de *net.DNSError
		if !errors.As(err, &de) || !de.IsNotFound {
			t.Errorf("LookupIP(ip6, %s) = %v, %v; want a not-found DNSError", webName, ips, err)
		}
	})
}

// TestPort53 runs discod as the host's only resolver as the doc's unit
// file says (an unprivileged user with CAP_NET_BIND_SERVICE, port 53, a
// recursor) and resolves through glibc's getaddrinfo (getent) with the
// doc's resolv.conf bind-mounted over /etc/resolv.conf in a mount
// namespace of its own.
func TestPort53(t *testing.T) {
	requireRoot(t)
	unshare := requireTool(t, "unshare", "util-linux")
	requireTool(t, "mount", "mount")
	getent := requireTool(t, "getent", "libc-bin")
	requireTool(t, "sh", "dash")
	up := fakeUpstream(t)

	argv, attr := port53Command(t, port53Node, port53IP)
	p, err := spawn("discod "+port53Node, argv, attr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.Name, p.Out.String())
		}
	})
	waitFor(t, 20*time.Second, port53Node+" answering on "+port53IP+":53", p, func() bool {
		r, err := exchange("udp", port53IP+":53", port53Node+".node.consul.", dns.TypeA)
		return err == nil && answerA(r) == port53IP
	})
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil || !regexp.MustCompile(`(?m)^Uid:\s+`+strconv.Itoa(nobody)+`\s`).Match(status) {
		t.Fatalf("the port-53 agent does not run as uid %d: %v\n%s", nobody, err, status)
	}

	resolv := recipeFor(t, "resolv.conf", port53IP)
	mark := up.mark()
	for _, c := range []struct {
		db, name string
		code     int
		want     string
	}{
		{"ahostsv4", port53Node + ".node.consul", 0, port53IP},
		{"ahosts", port53Node + ".node.consul", 0, port53IP}, // A and AAAA: NODATA must not spoil the A
		{"ahostsv4", "no-such-node.node.consul", 2, ""},
		{"ahostsv4", strings.TrimSuffix(outsideName, "."), 0, outsideIP}, // through discod's recursor
	} {
		t.Run(c.db+" "+c.name, func(t *testing.T) {
			out, code := inMountNS(t, nil, unshare, resolv, getent, c.db, c.name)
			if code != c.code {
				t.Fatalf("getent %s %s: exit %d, want %d\n%s", c.db, c.name, code, c.code, out)
			}
			if c.want != "" && !strings.HasPrefix(out, c.want+" ") {
				t.Errorf("getent %s %s:\n%s\nwant the first address %s", c.db, c.name, out, c.want)
			}
		})
	}
	if l := leaked(up.asked(mark)); len(l) > 0 {
		t.Errorf("names under consul. reached the upstream: %v", l)
	}

	// The same agent without the capability cannot bind port 53.
	t.Run("without CAP_NET_BIND_SERVICE", func(t *testing.T) {
		argv, attr := port53Command(t, "web-7", noCapIP)
		attr.AmbientCaps = nil
		p, err := spawn("discod web-7", argv, attr)
		if err != nil {
			t.Fatal(err)
		}
		defer p.stop()
		select {
		case <-p.Done():
		case <-time.After(20 * time.Second):
			t.Fatalf("discod as nobody without CAP_NET_BIND_SERVICE still runs:\n%s", p.Out.String())
		}
		if !strings.Contains(p.Out.String(), "permission denied") {
			t.Errorf("discod exited (%v) without saying why:\n%s", p.Err(), p.Out.String())
		}
	})
}

// TestNslookupRA shows what RA means to nslookup: with resolv.conf
// listing discod first and a public resolver second, nslookup skips a
// discod without RA ("recursion not available") and reports the other
// server's NXDOMAIN, while a discod with a recursor (RA) is used.
func TestNslookupRA(t *testing.T) {
	requireRoot(t)
	unshare := requireTool(t, "unshare", "util-linux")
	requireTool(t, "mount", "mount")
	nslookup := requireTool(t, "nslookup", "bind9-dnsutils")
	requireTool(t, "sh", "dash")
	fakeUpstream(t)

	startAgent(t, noRANode, noRAIP, 53, nil)
	startAgent(t, port53Node, port53IP, 53, nil, "-recursor="+upstreamIP)

	t.Run("no RA", func(t *testing.T) {
		out, _ := inMountNS(t, nil, unshare, "nameserver "+noRAIP+"\nnameserver "+upstreamIP+"\n",
			nslookup, noRANode+".node.consul")
		if !strings.Contains(out, "recursion not available from "+noRAIP) || !strings.Contains(out, "NXDOMAIN") {
			t.Errorf("nslookup did not skip the server without RA:\n%s", out)
		}
		t.Logf("nslookup with a discod without RA first:\n%s", out)
	})
	t.Run("RA", func(t *testing.T) {
		out, code := inMountNS(t, nil, unshare, "nameserver "+port53IP+"\nnameserver "+upstreamIP+"\n",
			nslookup, port53Node+".node.consul")
		if code != 0 || strings.Contains(out, "recursion not available") || !strings.Contains(out, "Address: "+port53IP) {
			t.Errorf("nslookup with an RA discod first: exit %d\n%s", code, out)
		}
	})
}

// port53Command returns the command line and process attributes of the
// doc's unit file for node on ip: its ExecStart flags with the address
// 127.0.0.1 replaced by ip, the config directory dropped and the
// recursors replaced by the fake upstream, run as nobody with the unit's
// ambient capability.
func port53Command(t *testing.T, node, ip string) ([]string, *syscall.SysProcAttr) {
	t.Helper()
	unit := recipeFor(t, "discod-port53.service", ip)
	if !strings.Contains(unit, "\nUser=discod\n") || !strings.Contains(unit, "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n") {
		t.Fatalf("the unit file recipe no longer runs as user discod with CAP_NET_BIND_SERVICE:\n%s", unit)
	}
	var cmdline []string
	for _, l := range strings.Split(unit, "\n") {
		if rest, ok := strings.CutPrefix(l, "ExecStart="); ok {
			cmdline = strings.Fields(rest)
		}
	}
	if len(cmdline) < 2 || cmdline[1] != "agent" {
		t.Fatalf("no `ExecStart=... agent` line in the unit file recipe:\n%s", unit)
	}
	argv := []string{discodBin, "agent", "-node=" + node, "-bind=" + ip, "-recursor=" + upstreamIP}
	for _, a := range cmdline[2:] {
		if strings.HasPrefix(a, "-config-dir=") || strings.HasPrefix(a, "-recursor=") {
			continue
		}
		argv = append(argv, a)
	}
	if !slices.Contains(argv, "-dns-port=53") || !slices.Contains(argv, "-client="+ip) {
		t.Fatalf("the unit file recipe no longer serves DNS on 127.0.0.1:53: %v", cmdline)
	}
	return argv, &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: nobody, Gid: nobody},
		AmbientCaps: []uintptr{unix.CAP_NET_BIND_SERVICE},
	}
}

// inMountNS runs argv in a new mount namespace in which resolv (the text
// of a resolv.conf) is bind-mounted over /etc/resolv.conf and a
// "hosts: files dns" nsswitch.conf over /etc/nsswitch.conf, and returns
// its combined output and exit code. prefix, if any, is the command that
// runs unshare (nsenter into a network namespace). The host's files are
// untouched: the namespace, and its mounts, end with the command.
func inMountNS(t *testing.T, prefix []string, unshare, resolv string, argv ...string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	rc := writeFile(t, dir, "resolv.conf", resolv)
	ns := writeFile(t, dir, "nsswitch.conf", "hosts: files dns\n")
	// unshare -m makes the new namespace's mounts private, so nothing
	// propagates back to the host.
	script := `mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf && shift 2 && exec "$@"`
	args := append(append(append([]string(nil), prefix...), unshare, "-m", "--propagation", "private", "--",
		"sh", "-c", script, "sh", rc, ns), argv...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("unshare %v: %v\n%s", args, err, out)
		}
		code = ee.ExitCode()
	}
	return string(out), code
}
