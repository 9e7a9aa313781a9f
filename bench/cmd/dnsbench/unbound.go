package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/discod/discod/bench/internal/dataset"
)

// unbound is the kit's non-Go anchor: unbound (Debian package unbound)
// with one thread, answering the same names from local-data in a static
// consul. zone. It is started and stopped like a benchserver but has no
// control protocol (server.external).

// unboundPath returns unbound's path, or an error saying how to get it.
func unboundPath() (string, error) {
	for _, p := range []string{"unbound", "/usr/sbin/unbound"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("unbound is not installed (Debian: apt-get install unbound)")
}

// unboundConfig returns unbound.conf serving spec's data set on its
// address, from dir.
func unboundConfig(spec serverSpec, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `server:
    interface: %s@%d
    port: %d
    num-threads: 1
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%s"
    pidfile: "%s"
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "consul." static
`, spec.Addr, spec.Port, spec.Port, dir, filepath.Join(dir, "unbound.pid"))
	for i := range spec.Members {
		fmt.Fprintf(&b, "    local-data: \"%s.node.consul. 5 IN A %s\"\n", dataset.MemberName(i), dataset.MemberAddr(i))
	}
	svcs := dataset.Services{Instances: spec.Instances, Members: spec.Members}
	targets := map[int]bool{}
	for _, name := range []string{"web", "big"} {
		for _, i := range svcs.Nodes(name) {
			fmt.Fprintf(&b, "    local-data: \"%s.service.consul. 5 IN A %s\"\n", name, dataset.MemberAddr(i))
			fmt.Fprintf(&b, "    local-data: \"%s.service.consul. 5 IN SRV 1 1 80 %s\"\n", name, dataset.SRVTarget(i))
			targets[i] = true
		}
	}
	for i := range targets {
		fmt.Fprintf(&b, "    local-data: \"%s 5 IN A %s\"\n", dataset.SRVTarget(i), dataset.MemberAddr(i))
	}
	b.WriteString("remote-control:\n    control-enable: no\n")
	return b.String()
}

// startUnbound starts unbound for spec and waits until it answers node0.
func startUnbound(ctx context.Context, spec serverSpec) (*server, error) {
	path, err := unboundPath()
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", spec.Name, err)
	}
	dir, err := os.MkdirTemp("", "dnsbench-unbound-")
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", spec.Name, err)
	}
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(unboundConfig(spec, dir)), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("server %s: %w", spec.Name, err)
	}
	cmd := exec.Command(path, "-d", "-c", conf)
	s := &server{spec: spec, cmd: cmd, stderr: &tailBuffer{max: 4096}, external: true, dir: dir}
	cmd.Stdout, cmd.Stderr = s.stderr, s.stderr
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start server %s: %w", spec.Name, err)
	}
	if err := waitAnswer(ctx, spec, dataset.MemberName(0)+".node.consul.", 30*time.Second); err != nil {
		_ = s.stop()
		return nil, fmt.Errorf("server %s: %w: %s", spec.Name, err, s.stderr.String())
	}
	return s, nil
}
