package test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// TestMaintenance: `discod maint -enable` takes a node out of DNS answers
// (NXDOMAIN everywhere) while it stays alive in the cluster, shows its
// reason in `members -detailed`, survives a restart with the same data
// dir, and `-disable` brings the answers back. Bad flag combinations are
// refused.
func TestMaintenance(t *testing.T) {
	startAgent(t, "maint-a", "127.0.0.28", "-server", "-node=maint-a", "-bind=127.0.0.28", "-client=127.0.0.28")
	bArgs := []string{"-node=maint-b", "-bind=127.0.0.29", "-client=127.0.0.29", "-join=127.0.0.28", "-data-dir", t.TempDir()}
	b := startAgent(t, "maint-b", "127.0.0.29", bArgs...)
	const a, bHTTP = "127.0.0.28", "127.0.0.29:8500"
	rcode := func(server string) int {
		r, err := ask(server+":8600", "maint-b.node.consul.")
		if err != nil {
			return -1
		}
		return r.Rcode
	}
	testproc.WaitFor(t, 15*time.Second, "maint-b answered by maint-a", func() bool { return answersFor(a+":8600", "maint-b.node.consul.", "127.0.0.29") })

	for _, bad := range [][]string{{"-enable", "-disable"}, {"-reason", "x"}, {"-enable", "web"}} {
		if _, errOut, code := cli(t, append([]string{"maint", "-http-addr", bHTTP}, bad...)...); code != 1 || errOut == "" {
			t.Errorf("maint %v: exit %d %q; want 1 and a message", bad, code, errOut)
		}
	}

	out, errOut, code := cli(t, "maint", "-enable", "-reason", "disk swap", "-http-addr", bHTTP)
	if code != 0 || !strings.Contains(out, "entered maintenance") {
		t.Fatalf("maint -enable: exit %d\n%s%s", code, out, errOut)
	}
	inMaint := func(what string) {
		t.Helper()
		for _, server := range []string{a, "127.0.0.29"} {
			testproc.WaitFor(t, 15*time.Second, what+": maint-b NXDOMAIN on "+server, func() bool { return rcode(server) == dns.RcodeNameError })
		}
		if s := memberStatus(t, a+":8500", "maint-b"); s != "alive" {
			t.Errorf("%s: maint-b is %q in members; want alive (maintenance does not leave the cluster)", what, s)
		}
		out, _, _ := cli(t, "members", "-detailed", "-http-addr", a+":8500")
		if !strings.Contains(out, "maintenance=disk swap") {
			t.Errorf("%s: members -detailed does not show the reason:\n%s", what, out)
		}
		out, _, _ = cli(t, "maint", "-http-addr", bHTTP)
		if !strings.Contains(out, "Reason: disk swap") {
			t.Errorf("%s: maint without flags:\n%s", what, out)
		}
	}
	inMaint("after -enable")

	// Restarted with the same data dir, it is still in maintenance.
	if code := b.signal(syscall.SIGINT); code != 0 {
		t.Fatalf("maint-b exit %d", code)
	}
	startAgent(t, "maint-b (restarted)", "127.0.0.29", append(bArgs, "-rejoin")...)
	inMaint("after a restart")

	if out, errOut, code := cli(t, "maint", "-disable", "-http-addr", bHTTP); code != 0 || !strings.Contains(out, "left maintenance") {
		t.Fatalf("maint -disable: exit %d\n%s%s", code, out, errOut)
	}
	testproc.WaitFor(t, 15*time.Second, "maint-b answered again", func() bool { return answersFor(a+":8600", "maint-b.node.consul.", "127.0.0.29") })
}
