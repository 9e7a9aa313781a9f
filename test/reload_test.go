package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// TestConfigReload: SIGHUP re-reads the config files; a setting that only
// a restart applies is reported as such, a broken file keeps the running
// configuration, and gossip is untouched either way.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "agent.json")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"node_name": "r1", "bind_addr": "127.0.0.18", "client_addr": "127.0.0.18"}`)
	a := startAgent(t, "r1", "127.0.0.18", "-config-file", f)

	write(`{"node_name": "r1", "bind_addr": "127.0.0.18", "client_addr": "127.0.0.18", "datacenter": "dc2", "log_level": "debug"}`)
	_ = a.cmd.Process.Signal(syscall.SIGHUP)
	testproc.WaitFor(t, 10*time.Second, "the restart notice", func() bool { return strings.Contains(a.out.String(), "need a restart") })
	if !strings.Contains(a.out.String(), "datacenter") {
		t.Errorf("the notice does not name the datacenter:\n%s", a.out.String())
	}

	write(`{"node_name": "r1", "bind_addr": `)
	_ = a.cmd.Process.Signal(syscall.SIGHUP)
	testproc.WaitFor(t, 10*time.Second, "the config error", func() bool { return strings.Contains(a.out.String(), "keeping the running configuration") })
	if !strings.Contains(a.out.String(), f) {
		t.Errorf("the config error does not name %s:\n%s", f, a.out.String())
	}
	if s := memberStatus(t, "127.0.0.18:8500", "r1"); s != "alive" {
		t.Errorf("r1 after reloads: %q", s)
	}
	if code := a.signal(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d", code)
	}
}
