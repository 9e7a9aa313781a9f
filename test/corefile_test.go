package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

func ttlOf(r *dns.Msg) uint32 {
	if len(r.Answer) == 0 {
		return 0
	}
	return r.Answer[0].Header().Ttl
}

// TestUserCorefileAndReload: -corefile runs the user's Corefile with the
// daemon's agent; SIGHUP applies an edited one without touching gossip; a
// broken one is reported with file and line and the old one keeps running.
func TestUserCorefileAndReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Corefile")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("consul.:8600 {\n    bind 127.0.0.15\n    consulnode {\n        ttl 30\n    }\n}\n")
	a := startAgent(t, "c1", "127.0.0.15", "-node=c1", "-bind=127.0.0.15", "-client=127.0.0.15", "-corefile", path)
	other := startAgent(t, "c2", "127.0.0.16", "-node=c2", "-bind=127.0.0.16", "-client=127.0.0.16", "-join=127.0.0.15")
	testproc.WaitFor(t, 10*time.Second, "c2 answered by c1", func() bool {
		return answerA(query(t, "udp", "127.0.0.15:8600", "c2.node.consul.", dns.TypeA)) == "127.0.0.16"
	})
	if got := ttlOf(query(t, "udp", "127.0.0.15:8600", "c1.node.consul.", dns.TypeA)); got != 30 {
		t.Errorf("TTL from the user's Corefile = %d; want 30", got)
	}

	write("consul.:8600 {\n    bind 127.0.0.15\n    consulnode {\n        ttl 60\n    }\n}\n")
	_ = a.cmd.Process.Signal(syscall.SIGHUP)
	testproc.WaitFor(t, 10*time.Second, "TTL 60 after SIGHUP", func() bool {
		return ttlOf(query(t, "udp", "127.0.0.15:8600", "c1.node.consul.", dns.TypeA)) == 60
	})

	write("consul.:8600 {\n    bind 127.0.0.15\n    consulnode {\n        ttl many\n    }\n}\n")
	_ = a.cmd.Process.Signal(syscall.SIGHUP)
	testproc.WaitFor(t, 10*time.Second, "the reload error in the log", func() bool {
		return strings.Contains(a.out.String(), "Corefile not applied")
	})
	if !strings.Contains(a.out.String(), path+":4") {
		t.Errorf("the reload error does not name %s:4:\n%s", path, a.out.String())
	}
	if got := ttlOf(query(t, "udp", "127.0.0.15:8600", "c1.node.consul.", dns.TypeA)); got != 60 {
		t.Errorf("after a bad reload TTL = %d; want the old Corefile's 60", got)
	}
	// Gossip was never interrupted: c2 is still alive on c1, and c1 never
	// left or failed on c2.
	if s := memberStatus(t, "127.0.0.15:8500", "c2"); s != "alive" {
		t.Errorf("c2 on c1 after reloads: %s", s)
	}
	if s := memberStatus(t, "127.0.0.16:8500", "c1"); s != "alive" {
		t.Errorf("c1 on c2 after reloads: %s", s)
	}
	other.signal(syscall.SIGINT)
	a.signal(syscall.SIGINT)
}

// TestCorefileGossipOptionRefused: in discod the daemon owns gossip, so a
// Corefile that sets a gossip option fails the start, naming the flag.
func TestCorefileGossipOptionRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(path, []byte("consul.:8600 {\n    bind 127.0.0.15\n    consulnode {\n        bind 127.0.0.15\n    }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, "agent", "-node=c1", "-bind=127.0.0.15", "-client=127.0.0.15", "-corefile", path)
	if code != 1 || !strings.Contains(out+errOut, "-bind") || !strings.Contains(out+errOut, path) {
		t.Errorf("exit %d; want 1 and a message naming -bind and the file\n%s%s", code, out, errOut)
	}
}

// TestCorefileCommand: `discod corefile` prints what the flags would run.
func TestCorefileCommand(t *testing.T) {
	out, errOut, code := cli(t, "corefile", "-node=x", "-bind=127.0.0.15", "-client=127.0.0.15", "-alt-domain=discod.test", "-recursor=127.0.0.53")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"bind 127.0.0.15", "consulnode", "discod.test.", "forward . 127.0.0.53:53", "recursion_available"} {
		if !strings.Contains(out, want) {
			t.Errorf("generated Corefile lacks %q:\n%s", want, out)
		}
	}
}
