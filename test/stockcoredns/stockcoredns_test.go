package stockcoredns

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
	"github.com/miekg/dns"
)

// Addresses and ports of the two processes (see doc.go).
const (
	discodIP      = "127.0.0.60"
	discodHTTP    = discodIP + ":8500"
	discodDNS     = discodIP + ":8600"
	corednsIP     = "127.0.0.61"
	corednsDNS    = corednsIP + ":8653"
	corednsReady  = corednsIP + ":8181"
	corednsGossip = corednsIP + ":8301" // bind without a port: the default 8301
)

// gossipKey encrypts the cluster's gossip: discod gets it as -encrypt,
// the stock CoreDNS as `encrypt`.
const gossipKey = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="

// corefile is the stock CoreDNS's configuration: the consulnode block
// runs the plugin's own gossip agent, with the cluster's key and its state
// in dataDir, and joins the discod agent.
func corefile(dataDir string) string {
	return `consul.:8653 {
    bind ` + corednsIP + `
    ready ` + corednsReady + `
    errors
    log
    consulnode {
        node coredns-1
        bind ` + corednsIP + `
        join ` + discodIP + `
        encrypt ` + gossipKey + `
        data_dir ` + dataDir + `
        probe_interval 500ms
    }
}
`
}

// enableVar is the variable that turns the test on.
const enableVar = "DISCOD_STOCK_COREDNS"

// TestStockCoreDNSJoinsDiscod builds a stock CoreDNS with consulnode and
// runs it as a member of a discod agent's encrypted cluster.
func TestStockCoreDNSJoinsDiscod(t *testing.T) {
	// Heavy, so off in a local `go test ./...`; always on under CI=true,
	// where .ci/run first runs it alone to fill the build cache.
	if os.Getenv(enableVar) != "1" && os.Getenv("CI") != "true" {
		t.Skipf("builds a stock CoreDNS %s with consulnode (about 200 modules, minutes on a cold build cache); "+
			"run it with `make stock-coredns` or `%s=1 go test -count=1 -timeout 30m -v ./test/stockcoredns/`",
			corednsVersion, enableVar)
	}
	release, err := testproc.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	dir := t.TempDir()
	bins := buildBinaries(t, dir)

	t.Run("plugin compiled in", func(t *testing.T) {
		out, err := output(bins.coredns, "-plugins")
		if err != nil {
			t.Fatalf("coredns -plugins: %v\n%s", err, out)
		}
		if !listsPlugin(out, "consulnode") {
			t.Fatalf("coredns -plugins does not list consulnode:\n%s", out)
		}
	})
	if t.Failed() {
		return
	}

	disc := startProcess(t, "discod agent disc", dir, bins.discod, "agent",
		"-node=disc", "-bind="+discodIP, "-client="+discodIP, "-server", "-encrypt="+gossipKey)
	waitFor(t, 20*time.Second, "discod HTTP API on "+discodHTTP, func() (bool, string) {
		disc.mustRun()
		return tcpUp(discodHTTP)
	})

	conf := filepath.Join(dir, "Corefile")
	coreData := filepath.Join(dir, "coredns-data")
	if err := os.WriteFile(conf, []byte(corefile(coreData)), 0o644); err != nil {
		t.Fatal(err)
	}
	core := startProcess(t, "stock coredns", dir, bins.coredns, "-conf", conf)
	waitFor(t, 20*time.Second, "CoreDNS ready on "+corednsReady, func() (bool, string) {
		core.mustRun()
		return httpOK("http://" + corednsReady + "/ready")
	})

	// Both directions of DNS: CoreDNS answers for the discod node from its
	// own gossip agent's member table, and discod answers for the CoreDNS
	// node, which joined the cluster as a member.
	waitFor(t, 20*time.Second, "CoreDNS to answer disc.node.consul A "+discodIP, func() (bool, string) {
		core.mustRun()
		return answersA(corednsDNS, "disc.node.consul", discodIP)()
	})
	waitFor(t, 20*time.Second, "discod to answer coredns-1.node.consul A "+corednsIP, func() (bool, string) {
		disc.mustRun()
		return answersA(discodDNS, "coredns-1.node.consul", corednsIP)()
	})
	waitFor(t, 20*time.Second, "discod members to list coredns-1 alive", func() (bool, string) {
		disc.mustRun()
		return memberIs(bins.discod, discodHTTP, "coredns-1", corednsGossip, "alive")()
	})
	// The plugin's agent keeps the keyring it was seeded with in its data
	// dir, so that rotations survive a restart.
	if _, err := os.Stat(filepath.Join(coreData, "keyring")); err != nil {
		t.Errorf("the stock CoreDNS's data dir has no keyring: %v", err)
	}

	// A service registered with discod reaches the stock CoreDNS's catalog
	// through gossip, and CoreDNS answers it.
	if out, err := output(bins.discod, "services", "register", "-http-addr", discodHTTP, "-name", "web", "-port", "80"); err != nil {
		t.Fatalf("discod services register: %v\n%s", err, out)
	}
	waitFor(t, 20*time.Second, "CoreDNS to answer web.service.consul A "+discodIP, func() (bool, string) {
		core.mustRun()
		return answersA(corednsDNS, "web.service.consul", discodIP)()
	})

	// SIGTERM runs CoreDNS's shutdown callbacks: the plugin releases the
	// last reference to its agent, which leaves the cluster gracefully. A
	// callback error would make CoreDNS exit 4.
	if code := core.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("CoreDNS exited %d after SIGTERM, want 0 (a shutdown callback failed?)", code)
	}
	waitFor(t, 20*time.Second, "discod members to show coredns-1 left", func() (bool, string) {
		disc.mustRun()
		return memberIs(bins.discod, discodHTTP, "coredns-1", corednsGossip, "left")()
	})
	rcode, addrs, err := lookupA(discodDNS, "coredns-1.node.consul")
	if err != nil {
		t.Fatal(err)
	}
	if rcode != dns.RcodeNameError {
		t.Errorf("discod answers coredns-1.node.consul A after it left with %s %q, want NXDOMAIN", dns.RcodeToString[rcode], addrs)
	}
}

// output runs bin ARGS... and returns its combined output.
func output(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// listsPlugin reports whether `coredns -plugins` output lists name. Older
// CoreDNS releases print server-type-qualified names (dns.NAME).
func listsPlugin(out, name string) bool {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l == name || l == "dns."+name {
			return true
		}
	}
	return false
}

// httpOK reports whether GET url answers 200.
func httpOK(url string) (bool, string) {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, fmt.Sprintf("HTTP %d", resp.StatusCode)
}
