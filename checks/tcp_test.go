package checks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/discod/discod/servicedef"
)

// acceptAll accepts and closes connections on ln until it is closed; the
// returned wait waits for its goroutine.
func acceptAll(ln net.Listener) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	return wg.Wait
}

func TestTCP(t *testing.T) {
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	wait := acceptAll(ln)
	t.Cleanup(func() { ln.Close(); wait() })

	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "db", TCP: addr, Interval: fast})
	if got := rec.waitFor(t, "db", "passing"); got.output != "TCP connect "+addr+": Success" {
		t.Errorf("output %q", got.output)
	}
	ln.Close()
	wait()
	if got := rec.waitFor(t, "db", "critical"); !strings.Contains(got.output, "refused") {
		t.Errorf("output %q does not say refused", got.output)
	}
	ln2 := listen(t, addr)
	wait2 := acceptAll(ln2)
	t.Cleanup(func() { ln2.Close(); wait2() })
	rec.waitFor(t, "db", "passing")
}

func TestTCPUseTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "tls", TCP: addr, TCPUseTLS: true, TLSSkipVerify: true, Interval: fast})
	if got := rec.waitFor(t, "tls", "passing"); got.output != "TCP+TLS connect "+addr+": Success" {
		t.Errorf("output %q", got.output)
	}
	r.Start(servicedef.Check{ID: "verify", TCP: addr, TCPUseTLS: true, Interval: fast})
	rec.waitFor(t, "verify", "critical")
}

func TestTCPHostNameTriesBothFamilies(t *testing.T) {
	// localhost may resolve to ::1 first; the listener is on 127.0.0.1
	// only, so a pass means the dialer went on to the IPv4 address.
	port := openAddr(t)[len("127.0.0.1:"):]
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "name", TCP: "localhost:" + port, Interval: fast})
	rec.waitFor(t, "name", "passing")
}
