package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/local"
	"github.com/discod/discod/membership"
)

// The fuzz tests use 127.0.0.176.

// fuzzRoutes are the endpoints FuzzHTTPRequest drives: every write
// endpoint and every agent and catalog read, with {} standing for a
// path segment the fuzzer picks. Left out: join (it dials what it is
// given) and monitor (it streams until the client goes).
var fuzzRoutes = []struct{ method, path string }{
	{"PUT", "/v1/agent/service/register"},
	{"PUT", "/v1/agent/service/deregister/{}"},
	{"PUT", "/v1/agent/service/maintenance/{}"},
	{"PUT", "/v1/agent/check/register"},
	{"PUT", "/v1/agent/check/deregister/{}"},
	{"PUT", "/v1/agent/check/pass/{}"},
	{"PUT", "/v1/agent/check/warn/{}"},
	{"PUT", "/v1/agent/check/fail/{}"},
	{"PUT", "/v1/agent/check/update/{}"},
	{"PUT", "/v1/agent/maintenance"},
	{"PUT", "/v1/agent/force-leave/{}"},
	{"PUT", "/v1/agent/leave"},
	{"PUT", "/v1/agent/reload"},
	{"PUT", "/v1/operator/keyring"},
	{"POST", "/v1/operator/keyring"},
	{"DELETE", "/v1/operator/keyring"},
	{"GET", "/v1/operator/keyring"},
	{"GET", "/v1/agent/services"},
	{"GET", "/v1/agent/service/{}"},
	{"GET", "/v1/agent/checks"},
	{"GET", "/v1/agent/health/service/name/{}"},
	{"GET", "/v1/agent/health/service/id/{}"},
	{"GET", "/v1/agent/members"},
	{"GET", "/v1/agent/self"},
	{"GET", "/v1/agent/health"},
	{"GET", "/v1/agent/ready"},
	{"GET", "/v1/agent/metrics"},
	{"GET", "/v1/catalog/nodes"},
	{"GET", "/v1/catalog/node/{}"},
	{"GET", "/v1/catalog/datacenters"},
	{"GET", "/v1/catalog/services"},
	{"GET", "/v1/catalog/service/{}"},
	{"GET", "/v1/health/service/{}"},
	{"GET", "/v1/health/checks/{}"},
	{"GET", "/v1/health/node/{}"},
	{"GET", "/v1/health/state/{}"},
	{"GET", "/v1/kv/{}"},
	{"GET", "/ui/"},
	{"GET", "/ui/members.json"},
	{"GET", "/ui/static/{}"},
	{"PUT", "/v1/catalog/register"},
	{"PUT", "/v1/catalog/deregister"},
}

// fuzzServer is the API of a lone agent with its own services and checks,
// on loopback without a token, so that every write is allowed.
func fuzzServer(tb testing.TB) http.Handler {
	tb.Helper()
	c := membership.DefaultConfig()
	c.NodeName, c.Profile = "fuzz-one", "local"
	c.BindAddr, c.BindPort = netip.MustParseAddr("127.0.0.176"), 0
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := membership.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = a.Shutdown() })
	st, err := local.New(local.Config{NodeName: c.NodeName, Store: a.Table(), DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.0.176"), Local: st}
	return s.Handler()
}

// fuzzStatusOK reports whether code is an acceptable answer to a fuzzed
// request: anything below 500, 501 (not available on this agent) and 503
// (a critical health answer, not ready), and 500 only for Consul's
// "No path to datacenter" to an unknown ?dc=.
func fuzzStatusOK(code int, body string) bool {
	switch {
	case code < 500, code == http.StatusNotImplemented, code == http.StatusServiceUnavailable:
		return true
	case code == http.StatusInternalServerError:
		return strings.HasPrefix(body, "No path to datacenter")
	}
	return false
}

// FuzzHTTPRequest sends arbitrary query strings, path segments and
// bodies to every route of fuzzRoutes: no panic, and no 5xx other than
// those fuzzStatusOK allows. A request may block (a blocking query) for
// at most its context's deadline.
func FuzzHTTPRequest(f *testing.F) {
	h := fuzzServer(f)
	for i, seed := range []struct{ query, seg, body string }{
		{"", "", `{"Name":"web","Port":80,"Check":{"TTL":"10s"}}`},
		{"replace-existing-checks", "", `{"Name":"web","ID":"web-1","Checks":[{"TTL":"1s","CheckID":"c1"}]}`},
		{"", "web-1", ``},
		{"enable=true&reason=x", "web-1", ``},
		{"", "", `{"Name":"c1","TTL":"30s"}`},
		{"", "service:web-1", ``},
		{"note=hello", "c1", ``},
		{"", "c1", `{"Status":"passing","Output":"ok"}`},
		{"enable=maybe", "", ``},
		{"prune", "nobody", ``},
		{"", "", `{"Key":"not base64"}`},
		{"index=1&wait=1s", "web", ``},
		{"index=abc&wait=-1", "web", ``},
		{"hash=x&wait=10m", "web-1", ``},
		{"filter=Service.Name%20%3D%3D%20%22web%22", "", ``},
		{"filter=(((", "", ``},
		{"dc=other", "", ``},
		{"near=_agent&tag=a&passing&cached&stale", "web", ``},
		{"format=prometheus", "", ``},
		{"%zz", "%00", `{`},
	} {
		f.Add(uint8(i), seed.query, seed.seg, []byte(seed.body))
	}
	// The catalog's write endpoints, by route.
	for _, seed := range []struct{ path, query, body string }{
		{"/v1/catalog/register", "", `{"Node":"rds-1","Address":"10.0.0.5","Service":{"Service":"pg","Port":5432},"Check":{"Name":"up","ServiceID":"pg","Status":"passing"}}`},
		{"/v1/catalog/register", "dc=dc1", `{"Node":"rds-1","Address":"db.example.com","SkipNodeUpdate":true,"Checks":[{"CheckID":"x","Definition":{"Interval":"10s","Timeout":5000000000}}]}`},
		{"/v1/catalog/register", "", `{"Node":"rds-1","Address":"10.0.0.5","Service":{"Service":"pg","Weights":{"Passing":-1}}}`},
		{"/v1/catalog/deregister", "", `{"Node":"rds-1","ServiceID":"pg","CheckID":"up"}`},
		{"/v1/catalog/deregister", "", `{"Datacenter":"dc1","Node":"rds-1"}`},
	} {
		i := slices.IndexFunc(fuzzRoutes, func(r struct{ method, path string }) bool { return r.path == seed.path })
		f.Add(uint8(i), seed.query, "", []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, route uint8, query, seg string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := strings.ReplaceAll(rt.path, "{}", url.PathEscape(seg))
		target := path
		if query != "" {
			target += "?" + query
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // not a request a client can send
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, rt.method, "/", bytes.NewReader(body))
		req.URL, req.RequestURI, req.RemoteAddr = u, target, "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !fuzzStatusOK(rec.Code, rec.Body.String()) {
			t.Fatalf("%s %s with body %q: %d %s", rt.method, target, body, rec.Code, rec.Body.String())
		}
	})
}
