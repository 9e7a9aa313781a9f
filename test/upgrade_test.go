package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/discod/discod/internal/testproc"
)

// previousRelease is the commit of the release before services: agents
// of that release and of this one must work in one cluster, so that a
// datacenter can be upgraded one agent at a time.
const previousRelease = "2f2b99b"

// buildPrevious builds the previous release's discod from this checkout's
// history. A checkout without that history skips the test locally and
// fails it under CI=true.
func buildPrevious(t *testing.T) string {
	t.Helper()
	need := func(err error, what string, out []byte) {
		t.Helper()
		if err == nil {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		t.Skipf("%s: %v (needs the repository's history)\n%s", what, err, out)
	}
	src := t.TempDir()
	tar := filepath.Join(t.TempDir(), "prev.tar")
	out, err := exec.Command("git", "-C", "..", "archive", "-o", tar, previousRelease).CombinedOutput()
	need(err, "git archive "+previousRelease, out)
	out, err = exec.Command("tar", "-xf", tar, "-C", src).CombinedOutput()
	need(err, "unpack "+previousRelease, out)
	bin := filepath.Join(t.TempDir(), "discod-prev")
	build := exec.Command("go", "build", "-o", bin, "./cmd/discod")
	build.Dir = src
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err = build.CombinedOutput()
	need(err, "build the previous release", out)
	return bin
}

// TestRollingUpgrade runs a server of the previous release with two
// agents of this one (127.0.0.54–56): they answer each other's nodes, the
// new agents answer a service and an external node one of them owns
// (the old agent is not disturbed by the records carrying it), leaves are seen as left
// and a kill -9 as failed in both directions, and the old agent ignores
// the new gossip messages without complaint.
func TestRollingUpgrade(t *testing.T) {
	prev := buildPrevious(t)
	const ipOld, ipNew1, ipNew2 = "127.0.0.54", "127.0.0.55", "127.0.0.56"
	conf := t.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "web.json"), []byte(`{"service": {"name": "web", "port": 80}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	old := startAgentBin(t, prev, "old-server", ipOld, "-server", "-bootstrap-expect", "1", "-node=old-server",
		"-bind="+ipOld, "-client="+ipOld)
	new1 := startAgent(t, "new-one", ipNew1, "-node=new-one", "-bind="+ipNew1, "-client="+ipNew1,
		"-config-dir", conf, "-join", ipOld)
	new2 := startAgent(t, "new-two", ipNew2, "-node=new-two", "-bind="+ipNew2, "-client="+ipNew2, "-join", ipOld)
	agents := []*agent{old, new1, new2}
	names := []string{"old-server", "new-one", "new-two"}
	for _, a := range agents {
		testproc.WaitFor(t, 15*time.Second, "three alive members on "+a.name, func() bool {
			for _, n := range names {
				if memberStatus(t, a.ip+":8500", n) != "alive" {
					return false
				}
			}
			return true
		})
	}

	// Every agent answers every node.
	for _, a := range agents {
		for i, n := range names {
			r := query(t, "udp", a.ip+":8600", n+".node.consul.", dns.TypeA)
			if want := agents[i].ip; answerA(r) != want {
				t.Errorf("%s asked for %s: %s %q; want %s", a.name, n, dns.RcodeToString[r.Rcode], answerA(r), want)
			}
		}
	}
	// The new agents answer the service new-one owns.
	for _, a := range []*agent{new1, new2} {
		testproc.WaitFor(t, 10*time.Second, "web.service.consul on "+a.name, func() bool {
			return answerA(query(t, "udp", a.ip+":8600", "web.service.consul.", dns.TypeA)) == ipNew1
		})
	}

	// An external node (PUT /v1/catalog/register) registered on new-one
	// reaches new-two; the old agent ignores the records that carry it
	// and keeps answering every agent's node.
	put(t, "http://"+ipNew1+":8500/v1/catalog/register", `{"Node":"ext-db","Address":"10.0.0.7","Service":{"Service":"db","Port":5432}}`)
	testproc.WaitFor(t, 10*time.Second, "db.service.consul on new-two", func() bool {
		return answerA(query(t, "udp", ipNew2+":8600", "db.service.consul.", dns.TypeA)) == "10.0.0.7"
	})
	for i, n := range names {
		if r := query(t, "udp", ipOld+":8600", n+".node.consul.", dns.TypeA); answerA(r) != agents[i].ip {
			t.Errorf("old-server asked for %s after the external registration: %s %q", n, dns.RcodeToString[r.Rcode], answerA(r))
		}
	}

	// A new agent leaves: left on the old one. The old one leaves: left on
	// the new one.
	if code := new2.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("new-two exit %d", code)
	}
	testproc.WaitFor(t, 15*time.Second, "new-two left on old-server", func() bool { return memberStatus(t, ipOld+":8500", "new-two") == "left" })
	// kill -9 of a new agent: failed on the old one.
	new1.p.Kill()
	testproc.WaitFor(t, 40*time.Second, "new-one failed on old-server", func() bool { return memberStatus(t, ipOld+":8500", "new-one") == "failed" })

	startAgent(t, "new-two", ipNew2, "-node=new-two", "-bind="+ipNew2, "-client="+ipNew2, "-join", ipOld)
	testproc.WaitFor(t, 15*time.Second, "new-two back on old-server", func() bool { return memberStatus(t, ipOld+":8500", "new-two") == "alive" })
	if code := old.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("old-server exit %d", code)
	}
	testproc.WaitFor(t, 15*time.Second, "old-server left on new-two", func() bool { return memberStatus(t, ipNew2+":8500", "old-server") == "left" })

	for _, a := range agents {
		for _, bad := range []string{"panic", "fatal error", "malformed", "DATA RACE"} {
			if strings.Contains(a.out.String(), bad) {
				t.Errorf("%s logged %q:\n%s", a.name, bad, a.out.String())
			}
		}
	}
}
