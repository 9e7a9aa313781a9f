package test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// TestGossipEncryption: agents with -encrypt form a cluster; an agent with
// a wrong key, or none, is refused and told why; the key is rotated across
// the live cluster without losing a member; a restarted node keeps the
// rotated keyring from its data dir and says that -encrypt is stale.
func TestGossipEncryption(t *testing.T) {
	k1 := keygen(t)
	k2 := keygen(t)
	agents, args := cluster(t, 3, "-encrypt", k1)

	for _, tc := range []struct{ name, key string }{{"wrong key", k2}, {"no key", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			a := []string{"agent", "-node=intruder", "-bind=127.0.0.27", "-client=127.0.0.27", "-join=127.0.0.20"}
			if tc.key != "" {
				a = append(a, "-encrypt", tc.key)
			}
			out, errOut, code := cli(t, a...)
			if code != 1 || !strings.Contains(out+errOut, "encryption key mismatch?") {
				t.Errorf("exit %d; want 1 and a message that says encryption key mismatch?\n%s%s", code, out, errOut)
			}
		})
	}
	if s := memberStatus(t, httpAddr(0), "intruder"); s != "" {
		t.Errorf("the intruder is listed as %q", s)
	}

	for _, step := range [][]string{{"-install", k2}, {"-use", k2}, {"-remove", k1}} {
		out, errOut, code := cli(t, append([]string{"keyring", "-http-addr", httpAddr(1)}, step...)...)
		if code != 0 || !strings.Contains(out, "3 of 3 nodes answered") {
			t.Fatalf("keyring %v: exit %d\n%s%s", step, code, out, errOut)
		}
	}
	out, _, code := cli(t, "keyring", "-list", "-http-addr", httpAddr(2))
	if code != 0 || !strings.Contains(out, k2+" [3/3] primary on 3") || strings.Contains(out, k1) {
		t.Errorf("keyring -list after rotation:\n%s", out)
	}
	for i := range 3 {
		for j := range 3 {
			if s := memberStatus(t, httpAddr(i), nodeName(j)); s != "alive" {
				t.Errorf("%s on %s after rotation: %s", nodeName(j), nodeName(i), s)
			}
		}
	}

	// Restart node-2 with the old -encrypt: the saved keyring wins, with a
	// warning, and it rejoins from its snapshot.
	agents[2].signal(syscall.SIGKILL)
	restart := []string{}
	for _, a := range args[2] {
		if !strings.HasPrefix(a, "-join") {
			restart = append(restart, a)
		}
	}
	again := startAgent(t, "node-2 (restarted)", "127.0.0.22", restart...)
	testproc.WaitFor(t, 20*time.Second, "node-2 alive again on node-0", func() bool { return memberStatus(t, httpAddr(0), "node-2") == "alive" })
	if !strings.Contains(again.out.String(), "does not contain the -encrypt key") {
		t.Errorf("no warning about the stale -encrypt key:\n%s", again.out.String())
	}
}

func keygen(t *testing.T) string {
	t.Helper()
	out, errOut, code := cli(t, "keygen")
	if code != 0 {
		t.Fatalf("keygen: exit %d %s", code, errOut)
	}
	return strings.TrimSpace(out)
}
