package checks

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/discod/discod/servicedef"
)

// serveHTTP serves h on ln until the test ends or the returned stop is
// called.
func serveHTTP(t *testing.T, ln net.Listener, h http.Handler) (stop func()) {
	t.Helper()
	srv := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	stop = func() {
		srv.Close()
		<-done
	}
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			stop()
		}
	})
	return stop
}

// quietLog discards a test server's complaints about the handshakes the
// tests make fail on purpose.
var quietLog = log.New(io.Discard, "", 0)

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	return ln
}

func TestHTTPFollowsServerDownAndUp(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "fine") })
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	stop := serveHTTP(t, ln, ok)

	r, rec := newTestRunner(t, Config{})
	url := "http://" + addr + "/health"
	r.Start(servicedef.Check{ID: "web", HTTP: url, Interval: fast})

	got := rec.waitFor(t, "web", "passing")
	if want := "HTTP GET " + url + ": 200 OK Output: fine"; got.output != want {
		t.Errorf("output %q, want %q", got.output, want)
	}
	stop()
	got = rec.waitFor(t, "web", "critical")
	if !strings.Contains(got.output, "connection refused") {
		t.Errorf("output %q does not say the connection was refused", got.output)
	}
	serveHTTP(t, listen(t, addr), ok)
	rec.waitFor(t, "web", "passing")
	// Three changes after dampening: critical→passing (the initial status
	// is critical), passing→critical, critical→passing; at least as many runs.
	if st := r.Stats(); st.StatusChanges < 3 || st.Runs < st.StatusChanges || st.RunTime <= 0 {
		t.Errorf("Stats() = %+v; want at least 3 status changes, as many runs, some run time", st)
	}
}

func TestHTTPStatuses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "slow down")
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	mux.HandleFunc("/created", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/created", http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPut || r.Header.Get("X-Probe") != "yes" || string(b) != "ping" || r.Host != "web.example" {
			http.Error(w, "bad request "+r.Method+" "+r.Host, http.StatusBadRequest)
			return
		}
		io.WriteString(w, "pong "+r.UserAgent())
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100_000))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		name   string
		def    servicedef.Check
		status string
		output string // a substring
	}{
		{"429 is warning", servicedef.Check{HTTP: srv.URL + "/busy"}, "warning", "HTTP GET " + srv.URL + "/busy: 429 Too Many Requests Output: slow down"},
		{"500 is critical", servicedef.Check{HTTP: srv.URL + "/broken"}, "critical", ": 500 Internal Server Error Output: oops"},
		{"201 is passing", servicedef.Check{HTTP: srv.URL + "/created"}, "passing", ": 201 Created"},
		{"redirects are followed", servicedef.Check{HTTP: srv.URL + "/moved"}, "passing", ": 201 Created"},
		{"disable_redirects", servicedef.Check{HTTP: srv.URL + "/moved", DisableRedirects: true}, "critical", ": 302 Found"},
		{"method, header, body and Host", servicedef.Check{
			HTTP: srv.URL + "/echo", Method: "PUT", Body: "ping",
			Header: map[string][]string{"X-Probe": {"yes"}, "Host": {"web.example"}},
		}, "passing", "Output: pong Consul Health Check"},
		{"404 is critical", servicedef.Check{HTTP: srv.URL + "/nothing"}, "critical", ": 404 Not Found"},
	}
	r, rec := newTestRunner(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def := tt.def
			def.ID, def.Interval = tt.name, fast
			r.Start(def)
			got := rec.waitFor(t, def.ID, tt.status)
			if !strings.Contains(got.output, tt.output) {
				t.Errorf("output %q does not contain %q", got.output, tt.output)
			}
		})
	}

	t.Run("output is capped", func(t *testing.T) {
		agentWide, recAgent := newTestRunner(t, Config{OutputMaxSize: 50})
		tests := []struct {
			runner *Runner
			rec    *recorder
			size   int
			want   int
		}{
			{r, rec, 0, servicedef.DefaultOutputMaxSize},
			{r, rec, 100, 100},
			{agentWide, recAgent, 0, 50},
			{agentWide, recAgent, 20, 20},
			{agentWide, recAgent, 100, 50}, // the agent's limit wins
		}
		for i, tt := range tests {
			id := fmt.Sprint("big", i)
			tt.runner.Start(servicedef.Check{ID: id, HTTP: srv.URL + "/big", Interval: fast, OutputMaxSize: tt.size})
			if got := tt.rec.waitFor(t, id, "passing"); len(got.output) != tt.want {
				t.Errorf("OutputMaxSize %d: output of %d bytes, want %d", tt.size, len(got.output), tt.want)
			}
		}
	})
}

func TestHTTPTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "secure") }))
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "verify", HTTP: srv.URL, Interval: fast})
	got := rec.waitFor(t, "verify", "critical")
	if !strings.Contains(got.output, "certificate") {
		t.Errorf("output %q does not blame the certificate", got.output)
	}
	r.Start(servicedef.Check{ID: "skip", HTTP: srv.URL, Interval: fast, TLSSkipVerify: true})
	rec.waitFor(t, "skip", "passing")
	if n := len(r.transports.m); n != 2 {
		t.Errorf("%d transports for two TLS settings", n)
	}
}
