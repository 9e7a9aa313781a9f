package test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOperations: info, reload, monitor and validate against a real agent.
func TestOperations(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfg, []byte("node_name = \"ops\"\nbind_addr = \"127.0.0.23\"\nclient_addr = \"127.0.0.23\"\nserver = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, "ops", "127.0.0.23", "-config-file", cfg)
	const h = "127.0.0.23:8500"

	out, errOut, code := cli(t, "info", "-http-addr", h)
	for _, want := range []string{"agent:", "\tname = ops", "\tserver = true", "serf_lan:", "\talive = 1", "\tencrypted = false"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("info lacks %q (exit %d %s):\n%s", want, code, errOut, out)
		}
	}

	// monitor streams lines as they are logged: start it, trigger a reload,
	// and see the reload's lines arrive.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mon := exec.CommandContext(ctx, discodBin, "monitor", "-http-addr", h, "-log-level", "debug")
	stdout, _ := mon.StdoutPipe()
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	// The subscription exists once the stream's headers are out; retry the
	// reload until its lines show up, bounded.
	seen := false
	for deadline := time.Now().Add(10 * time.Second); !seen && time.Now().Before(deadline); {
		if out, errOut, code := cli(t, "reload", "-http-addr", h); code != 0 || !strings.Contains(out, "reload triggered") {
			t.Fatalf("reload: exit %d %q %q", code, out, errOut)
		}
		timeout := time.After(time.Second)
	wait:
		for {
			select {
			case l := <-lines:
				if strings.Contains(l, "reload complete") {
					seen = true
					break wait
				}
			case <-timeout:
				break wait
			}
		}
	}
	if !seen {
		t.Error("monitor never showed the reload")
	}
	_ = mon.Process.Signal(syscall.SIGINT)
	_ = mon.Wait()

	// validate: the running config is valid; a broken one is not.
	if out, errOut, code := cli(t, "validate", cfg); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("validate good: exit %d %q %q", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"node_name": "ops", "bind_addr": "127.0.0.23", "ports": {"dns": 70000}}`), 0o600)
	if _, errOut, code := cli(t, "validate", bad); code != 1 || !strings.Contains(errOut, "bad.json") || !strings.Contains(errOut, "ports.dns") {
		t.Errorf("validate bad: exit %d %q", code, errOut)
	}
	cf := filepath.Join(dir, "Corefile")
	_ = os.WriteFile(cf, []byte("consul.:8600 {\n    consulnode\n    kubernetes\n}\n"), 0o600)
	if _, errOut, code := cli(t, "validate", "-corefile", cf, cfg); code != 1 || !strings.Contains(errOut, "kubernetes") {
		t.Errorf("validate bad Corefile: exit %d %q", code, errOut)
	}
	a.signal(syscall.SIGINT)
}
