package resolvers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// underCI reports whether a missing tool must fail the test instead of
// skipping it.
func underCI() bool { return os.Getenv("CI") == "true" }

// missing skips t (or, under CI=true, fails it) because something the
// test needs is not there.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if underCI() {
		t.Fatal(msg + " (CI=true: failing instead of skipping)")
	}
	t.Skip(msg)
}

// requireRoot stops the test unless it runs as root, which namespaces,
// port 53 and iptables need.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root: it binds port 53, creates namespaces or runs iptables")
	}
}

// requireTool returns the path of the program name, looking in PATH and
// the sbin directories, or stops the test naming the Debian package pkg.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	missing(t, "%s not found: install the Debian package %s (apt-get install %s)", name, pkg, pkg)
	return ""
}

// proc is one child process: a resolver or a discod agent.
type proc struct{ *testproc.Process }

// spawn starts argv as a child process whose output is collected, with
// attr (which may be nil) for its user and capabilities. The child gets
// SIGKILL if the test binary dies first.
func spawn(name string, argv []string, attr *syscall.SysProcAttr) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = attr
	p, err := testproc.Start(name, cmd)
	if err != nil {
		return nil, err
	}
	return &proc{p}, nil
}

// startProc is spawn for one test: the process is stopped when the test
// ends and its output is logged if the test failed.
func startProc(t *testing.T, name string, argv ...string) *proc {
	t.Helper()
	p, err := spawn(name, argv, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", p.Name, p.Out.String())
		}
	})
	return p
}

// stop sends SIGTERM, waits up to 10 s, then kills. Stopping a process
// that has exited is a no-op.
func (p *proc) stop() { p.Stop(syscall.SIGTERM, 10*time.Second) }

// waitFor polls cond every 50 ms for at most d; it fails the test with
// what, and the process output of p if p is given and has exited.
func waitFor(t *testing.T, d time.Duration, what string, p *proc, cond func() bool) {
	t.Helper()
	if err := poll(d, what, p, cond); err != nil {
		t.Fatal(err)
	}
}

// poll is waitFor without a test.
func poll(d time.Duration, what string, p *proc, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if p != nil && !p.Running() {
			return fmt.Errorf("%s exited (%v) while waiting for %s:\n%s", p.Name, p.Err(), what, p.Out.String())
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %v waiting for %s", d, what)
			if p != nil {
				msg += fmt.Sprintf("\n--- output of %s ---\n%s", p.Name, p.Out.String())
			}
			return errors.New(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// exchange asks server (ip:port) for name/qtype over netw ("udp" or
// "tcp") with EDNS0 and the RD bit, as a stub resolver would.
func exchange(netw, server, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: netw, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		return nil, fmt.Errorf("query %s %s over %s to %s: %w", name, dns.TypeToString[qtype], netw, server, err)
	}
	return r, nil
}

// answerA returns the A records' addresses of r, joined by commas.
func answerA(r *dns.Msg) string {
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return strings.Join(out, ",")
}

// hasSOA reports whether r's authority section holds the SOA of zone.
func hasSOA(r *dns.Msg, zone string) bool {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, zone) {
			return true
		}
	}
	return false
}

// summary is a one-line description of a reply for failure messages.
func summary(r *dns.Msg) string {
	if r == nil {
		return "<no reply>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s aa=%v ra=%v", dns.RcodeToString[r.Rcode], r.Authoritative, r.RecursionAvailable)
	for _, rr := range r.Answer {
		b.WriteString(" | an: " + rr.String())
	}
	for _, rr := range r.Ns {
		b.WriteString(" | ns: " + rr.String())
	}
	return b.String()
}

// inNetns runs f on an OS thread that has joined the network namespace
// at nsPath (e.g. /run/netns/NAME), so sockets f opens live there. The
// thread goes back to its own namespace afterwards; if it cannot, it is
// left locked and Go discards it when the goroutine ends. f must open
// its sockets itself, not in goroutines it starts.
func inNetns(nsPath string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer orig.Close()
		target, err := os.Open(nsPath)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open network namespace %s: %w", nsPath, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("join network namespace %s: %w", nsPath, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("return from network namespace %s: %w", nsPath, err))
			return // still locked: the thread is discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
