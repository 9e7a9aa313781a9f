package checks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/discod/discod/servicedef"
)

func TestH2Ping(t *testing.T) {
	// Cleartext HTTP/2 with prior knowledge (h2c).
	ln := listen(t, "127.0.0.1:0")
	h2c := ln.Addr().String()
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: http.NotFoundHandler(), Protocols: &protocols}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })

	// HTTP/1 only.
	h1 := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(h1.Close)

	// HTTP/2 over TLS.
	h2tls := httptest.NewUnstartedServer(http.NotFoundHandler())
	h2tls.EnableHTTP2 = true
	h2tls.StartTLS()
	t.Cleanup(h2tls.Close)

	tests := []struct {
		name   string
		def    servicedef.Check
		status string
		output string
	}{
		{"h2c", servicedef.Check{H2PING: h2c}, "passing", "HTTP2 ping was successful"},
		{"http/1 only", servicedef.Check{H2PING: h1.Listener.Addr().String()}, "critical", "HTTP2 ping failed"},
		{"tls", servicedef.Check{H2PING: h2tls.Listener.Addr().String(), H2PingUseTLS: true, TLSSkipVerify: true}, "passing", "HTTP2 ping was successful"},
		{"tls to an h2c server", servicedef.Check{H2PING: h2c, H2PingUseTLS: true, TLSSkipVerify: true}, "critical", "Failed to dial to " + h2c},
	}
	r, rec := newTestRunner(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := tt.def
			def.ID, def.Interval = tt.name, fast
			r.Start(def)
			if got := rec.waitFor(t, def.ID, tt.status); !strings.Contains(got.output, tt.output) {
				t.Errorf("output %q does not contain %q", got.output, tt.output)
			}
		})
	}
}
