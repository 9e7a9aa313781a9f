package test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// diskAgent is an agent whose data dir is a small tmpfs in a mount
// namespace of its own, which the test can make read-only or fill up
// (nsenter into the agent's namespace). It needs root and unshare(1);
// the test is skipped without them.
type diskAgent struct {
	t   *testing.T
	p   *testproc.Process
	dir string
}

func startDiskAgent(t *testing.T, args ...string) *diskAgent {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root for a mount namespace")
	}
	for _, tool := range []string{"unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, fmt.Sprintf("needs %s: %v", tool, err))
		}
	}
	if out, err := exec.Command("unshare", "-m", "--propagation", "private", "true").CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("cannot create a mount namespace here: %v %s", err, out))
	}
	d := &diskAgent{t: t, dir: t.TempDir()}
	script := `mount -t tmpfs -o size=256k tmpfs "$1" && shift && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", d.dir, discodBin, "agent", "-data-dir", d.dir}, args...)...)
	d.p = testproc.StartT(t, "disk", cmd)
	testproc.WaitFor(t, 15*time.Second, "the agent's HTTP API", func() bool {
		if !d.p.Running() {
			t.Fatalf("the agent exited at start: %v\n%s", d.p.Err(), d.p.Out.String())
		}
		c, err := net.DialTimeout("tcp", fuzzIP+":8500", 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return d
}

// ns runs a shell command in the agent's mount namespace.
func (d *diskAgent) ns(script string) string {
	d.t.Helper()
	out, err := exec.Command("nsenter", "-t", strconv.Itoa(d.p.Cmd.Process.Pid), "-m", "sh", "-c", script, "sh", d.dir).CombinedOutput()
	if err != nil {
		d.t.Logf("in the agent's namespace, %s: %v %s", script, err, out)
	}
	return string(out)
}

// register registers a service over the API and returns the status and
// the body.
func register(t *testing.T, name string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+fuzzIP+":8500/v1/agent/service/register",
		strings.NewReader(`{"Name":"`+name+`","Port":80}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDataDirReadOnlyAndFull: with the data dir read-only, then full, a
// registration is in effect (DNS answers it) and its error says it was
// not kept; the failure is logged, and once the disk has room again the
// file is written without a new change.
func TestDataDirReadOnlyAndFull(t *testing.T) {
	d := startDiskAgent(t, "-node=disk1", "-bind="+fuzzIP, "-client="+fuzzIP)
	defer d.p.Stop(syscall.SIGINT, 20*time.Second)
	answers := func(svc string) bool {
		c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
		m := new(dns.Msg)
		m.SetQuestion(svc+".service.consul.", dns.TypeA)
		r, _, err := c.Exchange(m, fuzzDNS)
		return err == nil && answerA(r) == fuzzIP
	}
	if code, body := register(t, "web"); code != http.StatusOK {
		t.Fatalf("register web: %d %s", code, body)
	}
	testproc.WaitFor(t, 10*time.Second, "web in DNS", func() bool { return answers("web") })

	for _, tt := range []struct{ name, svc, break_, mend string }{
		{"read-only", "db", `mount -o remount,ro "$1"`, `mount -o remount,rw "$1"`},
		{"full", "cache", `cat /dev/zero > "$1/fill"; df "$1"`, `rm -f "$1/fill"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d.ns(tt.break_)
			code, body := register(t, tt.svc)
			if code != http.StatusInternalServerError || !strings.Contains(body, "could not be kept") {
				t.Fatalf("register %s on a %s data dir: %d %q; want 500 saying it was not kept", tt.svc, tt.name, code, body)
			}
			testproc.WaitFor(t, 10*time.Second, tt.svc+" in DNS from memory", func() bool { return answers(tt.svc) && answers("web") })
			if !strings.Contains(d.p.Out.String(), "cannot save the services and checks") {
				t.Errorf("no error logged for the failed write:\n%s", d.p.Out.String())
			}
			d.ns(tt.mend)
			testproc.WaitFor(t, 20*time.Second, "services.json written again", func() bool {
				return strings.Contains(d.ns(`cat "$1/services.json"`), `"`+tt.svc+`"`)
			})
		})
	}
	if !d.p.Running() {
		t.Fatalf("the agent died:\n%s", d.p.Out.String())
	}
	if strings.Contains(d.p.Out.String(), "panic") {
		t.Errorf("panic in the log:\n%s", d.p.Out.String())
	}
}

// skipOrFail skips the test locally and fails it under CI=true, where
// .ci/run runs as root with util-linux installed.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
