package test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// cluster starts n agents on 127.0.0.20+i, each with its own data dir, the
// first one a server, all joined to the first. It returns the agents and
// their argument lists (for restarts).
func cluster(t *testing.T, n int, extra ...string) ([]*agent, [][]string) {
	t.Helper()
	var agents []*agent
	var args [][]string
	for i := range n {
		ip := fmt.Sprintf("127.0.0.%d", 20+i)
		a := []string{"-node=" + nodeName(i), "-bind=" + ip, "-client=" + ip, "-data-dir", t.TempDir()}
		if i == 0 {
			a = append(a, "-server")
		} else {
			a = append(a, "-join=127.0.0.20")
		}
		a = append(a, extra...)
		agents = append(agents, startAgent(t, nodeName(i), ip, a...))
		args = append(args, a)
	}
	for i := range n {
		testproc.WaitFor(t, 15*time.Second, fmt.Sprintf("%d alive members on %s", n, nodeName(i)), func() bool {
			for j := range n {
				if memberStatus(t, httpAddr(i), nodeName(j)) != "alive" {
					return false
				}
			}
			return true
		})
	}
	return agents, args
}

func nodeName(i int) string { return fmt.Sprintf("node-%d", i) }
func httpAddr(i int) string { return fmt.Sprintf("127.0.0.%d:8500", 20+i) }
func dnsAddr(i int) string  { return fmt.Sprintf("127.0.0.%d:8600", 20+i) }

func rcode(t *testing.T, server, name string) int {
	t.Helper()
	return query(t, "udp", server, name, dns.TypeA).Rcode
}

// TestKillRestartRejoins: kill -9 of one of three agents makes the others
// mark it failed and its name NXDOMAIN; restarted with the same data dir
// and no -join, it finds its cluster again from its snapshot.
func TestKillRestartRejoins(t *testing.T) {
	agents, args := cluster(t, 3)
	// The snapshot is written about once a second; give it a moment to
	// contain the peers before the crash.
	testproc.WaitFor(t, 10*time.Second, "node-2's snapshot to hold its peers", func() bool {
		b, _ := os.ReadFile(args[2][4] + "/peers.json")
		return strings.Contains(string(b), "127.0.0.20:8301")
	})
	_ = agents[2].cmd.Process.Signal(syscall.SIGKILL)
	agents[2].waitExit()
	for i := range 2 {
		testproc.WaitFor(t, 30*time.Second, "node-2 failed on "+nodeName(i), func() bool { return memberStatus(t, httpAddr(i), "node-2") == "failed" })
		if rc := rcode(t, dnsAddr(i), "node-2.node.consul."); rc != dns.RcodeNameError {
			t.Errorf("node-2 on %s after kill: %s; want NXDOMAIN", nodeName(i), dns.RcodeToString[rc])
		}
	}
	restart := []string{}
	for _, a := range args[2] {
		if !strings.HasPrefix(a, "-join") {
			restart = append(restart, a)
		}
	}
	startAgent(t, "node-2 (restarted)", "127.0.0.22", restart...)
	for i := range 2 {
		testproc.WaitFor(t, 20*time.Second, "node-2 alive again on "+nodeName(i), func() bool { return memberStatus(t, httpAddr(i), "node-2") == "alive" })
	}
	if r := query(t, "udp", dnsAddr(0), "node-2.node.consul.", dns.TypeA); answerA(r) != "127.0.0.22" {
		t.Errorf("node-2 after restart: %v", r)
	}
}

// TestStopContRecovers: a process frozen (SIGSTOP) for longer than the
// failure timeout is marked failed, and comes back alive by itself after
// SIGCONT.
func TestStopContRecovers(t *testing.T) {
	agents, _ := cluster(t, 3)
	_ = agents[1].cmd.Process.Signal(syscall.SIGSTOP)
	t.Cleanup(func() { _ = agents[1].cmd.Process.Signal(syscall.SIGCONT) })
	testproc.WaitFor(t, 30*time.Second, "node-1 failed on node-0", func() bool { return memberStatus(t, httpAddr(0), "node-1") == "failed" })
	if rc := rcode(t, dnsAddr(0), "node-1.node.consul."); rc != dns.RcodeNameError {
		t.Errorf("frozen node-1: %s; want NXDOMAIN", dns.RcodeToString[rc])
	}
	_ = agents[1].cmd.Process.Signal(syscall.SIGCONT)
	for _, i := range []int{0, 2} {
		testproc.WaitFor(t, 30*time.Second, "node-1 alive again on "+nodeName(i), func() bool { return memberStatus(t, httpAddr(i), "node-1") == "alive" })
	}
}

// TestRetryJoin: -retry-join keeps trying until the target exists, and
// -retry-max makes the start fail clearly when it never does.
func TestRetryJoin(t *testing.T) {
	t.Run("gives up", func(t *testing.T) {
		a := startAgent(t, "lonely", "127.0.0.28", "-node=lonely", "-bind=127.0.0.28", "-client=127.0.0.28",
			"-retry-join=127.0.0.29", "-retry-interval=200ms", "-retry-max=2")
		if code := a.waitExit(); code != 1 {
			t.Errorf("exit code %d; want 1", code)
		}
		out := a.out.String()
		for _, want := range []string{"retry-join attempt failed", "127.0.0.29", "-retry-max"} {
			if !strings.Contains(out, want) {
				t.Errorf("log does not contain %q:\n%s", want, out)
			}
		}
	})
	t.Run("succeeds once the target starts", func(t *testing.T) {
		a := startAgent(t, "early", "127.0.0.28", "-node=early", "-bind=127.0.0.28", "-client=127.0.0.28",
			"-retry-join=127.0.0.29", "-retry-interval=200ms")
		startAgent(t, "late", "127.0.0.29", "-node=late", "-bind=127.0.0.29", "-client=127.0.0.29", "-server")
		testproc.WaitFor(t, 15*time.Second, "early sees late", func() bool { return memberStatus(t, "127.0.0.28:8500", "late") == "alive" })
		a.signal(syscall.SIGINT)
	})
}

// iptables runs iptables with args, failing the test on error.
func iptables(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %v: %v: %s", args, err, out)
	}
}

// TestPartitionHeals splits four agents 2+2 with iptables rules on their
// loopback addresses: each side marks the other failed; after the rules
// go, all four are alive everywhere again with no operator action (the
// agents retry failed members every 30 s).
func TestPartitionHeals(t *testing.T) {
	if _, err := exec.LookPath("iptables"); err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("iptables as root is needed for the partition test (apt-get install iptables): %v", err)
		}
		t.Skip("needs iptables and root; install the iptables package")
	}
	agents, _ := cluster(t, 4)
	_ = agents
	const chain = "DISCOD-PARTITION"
	_ = exec.Command("iptables", "-D", "INPUT", "-j", chain).Run()
	_ = exec.Command("iptables", "-F", chain).Run()
	_ = exec.Command("iptables", "-X", chain).Run()
	iptables(t, "-N", chain)
	cleanup := func() {
		_ = exec.Command("iptables", "-D", "INPUT", "-j", chain).Run()
		_ = exec.Command("iptables", "-F", chain).Run()
		_ = exec.Command("iptables", "-X", chain).Run()
	}
	t.Cleanup(cleanup)
	for _, a := range []string{"127.0.0.20", "127.0.0.21"} {
		for _, b := range []string{"127.0.0.22", "127.0.0.23"} {
			iptables(t, "-A", chain, "-s", a, "-d", b, "-j", "DROP")
			iptables(t, "-A", chain, "-s", b, "-d", a, "-j", "DROP")
		}
	}
	iptables(t, "-I", "INPUT", "-j", chain)

	for _, c := range []struct{ observer, other int }{{0, 2}, {1, 3}, {2, 0}, {3, 1}} {
		testproc.WaitFor(t, 40*time.Second, fmt.Sprintf("%s failed on %s", nodeName(c.other), nodeName(c.observer)), func() bool {
			return memberStatus(t, httpAddr(c.observer), nodeName(c.other)) == "failed"
		})
	}
	cleanup()
	for i := range 4 {
		testproc.WaitFor(t, 90*time.Second, "all alive on "+nodeName(i), func() bool {
			for j := range 4 {
				if memberStatus(t, httpAddr(i), nodeName(j)) != "alive" {
					return false
				}
			}
			return true
		})
	}
}

// TestForceLeave: a failed member forced out is left on every agent at
// once; -prune removes it; a live member cannot be forced out.
func TestForceLeave(t *testing.T) {
	agents, _ := cluster(t, 3)
	if _, errOut, code := cli(t, "force-leave", "-http-addr", httpAddr(0), "node-1"); code != 1 || !strings.Contains(errOut, "failed members") {
		t.Errorf("force-leave of a live member: exit %d %q", code, errOut)
	}
	_ = agents[2].cmd.Process.Signal(syscall.SIGKILL)
	agents[2].waitExit()
	testproc.WaitFor(t, 30*time.Second, "node-2 failed on node-0", func() bool { return memberStatus(t, httpAddr(0), "node-2") == "failed" })
	if _, errOut, code := cli(t, "force-leave", "-http-addr", httpAddr(0), "node-2"); code != 0 {
		t.Fatalf("force-leave: exit %d %q", code, errOut)
	}
	for i := range 2 {
		testproc.WaitFor(t, 10*time.Second, "node-2 left on "+nodeName(i), func() bool { return memberStatus(t, httpAddr(i), "node-2") == "left" })
	}
	if _, errOut, code := cli(t, "force-leave", "-prune", "-http-addr", httpAddr(1), "node-2"); code != 0 {
		t.Fatalf("force-leave -prune: exit %d %q", code, errOut)
	}
	for i := range 2 {
		testproc.WaitFor(t, 10*time.Second, "node-2 gone from "+nodeName(i), func() bool { return memberStatus(t, httpAddr(i), "node-2") == "" })
	}
}
