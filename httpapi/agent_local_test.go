package httpapi

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"

	"github.com/discod/discod/local"
	"github.com/discod/discod/membership"
)

// The agent service and check tests use 127.0.0.160–127.0.0.175.

// localTestServer serves the API of an agent on addr (127.0.0.16x) with its
// own services and checks, without a token unless token is set.
func localTestServer(t *testing.T, addr, token string, mod func(*local.Config)) (*httptest.Server, *Server) {
	t.Helper()
	c := membership.DefaultConfig()
	c.NodeName = "local-one"
	c.BindAddr = netip.MustParseAddr(addr)
	c.BindPort = 0
	c.Profile = "local"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := membership.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	lc := local.Config{NodeName: c.NodeName, Store: a.Table(), DataDir: t.TempDir()}
	if mod != nil {
		mod(&lc)
	}
	st, err := local.New(lc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr(addr), Token: token, Local: st}
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.Handler()}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, s
}

func consulClient(t *testing.T, ts *httptest.Server) *consul.Client {
	t.Helper()
	cfg := consul.DefaultConfig()
	cfg.Address = strings.TrimPrefix(ts.URL, "http://")
	c, err := consul.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAgentServicesWithConsulAPI(t *testing.T) {
	ts, _ := localTestServer(t, "127.0.0.160", "", nil)
	agent := consulClient(t, ts).Agent()
	reg := &consul.AgentServiceRegistration{
		ID: "web-1", Name: "web", Tags: []string{"rails"}, Port: 80, Address: "127.0.0.161",
		Meta:            map[string]string{"version": "1"},
		Weights:         &consul.AgentWeights{Passing: 10, Warning: 1},
		TaggedAddresses: map[string]consul.ServiceAddress{"wan": {Address: "198.51.100.1", Port: 8080}},
		Check:           &consul.AgentServiceCheck{TTL: "30s", Notes: "heartbeat"},
	}
	if err := agent.ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	svcs, err := agent.Services()
	if err != nil {
		t.Fatal(err)
	}
	got := svcs["web-1"]
	if got == nil || got.Service != "web" || got.Port != 80 || got.Address != "127.0.0.161" || got.Weights.Passing != 10 ||
		got.Meta["version"] != "1" || got.TaggedAddresses["wan"].Port != 8080 || len(got.Tags) != 1 || got.Datacenter != "dc1" {
		t.Fatalf("Services()[web-1] = %+v", got)
	}
	one, meta, err := agent.Service("web-1", nil)
	if err != nil || one.ContentHash == "" || meta.LastContentHash != one.ContentHash {
		t.Fatalf("Service = %+v, %+v, %v; want a ContentHash echoed in X-Consul-ContentHash", one, meta, err)
	}

	// Hash blocking: a change of the service ends the wait.
	type result struct {
		svc *consul.AgentService
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, _, err := agent.Service("web-1", &consul.QueryOptions{WaitHash: one.ContentHash, WaitTime: 20 * time.Second})
		done <- result{s, err}
	}()
	reg.Port = 8080
	// Keep re-registering until the waiter has seen a change: the first
	// change may land before the request is blocked, which answers at once too.
	var res result
	deadline := time.After(10 * time.Second)
	for waiting := true; waiting; {
		if err := agent.ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
		select {
		case res = <-done:
			waiting = false
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("the hash-blocked read did not return after a change")
		}
	}
	if res.err != nil || res.svc.Port != 8080 || res.svc.ContentHash == one.ContentHash {
		t.Errorf("blocked Service = %+v, %v; want port 8080 and a new hash", res.svc, res.err)
	}

	checks, err := agent.Checks()
	if err != nil {
		t.Fatal(err)
	}
	if c := checks["service:web-1"]; c == nil || c.ServiceName != "web" || c.Type != "ttl" || c.Status != "critical" || c.Notes != "heartbeat" {
		t.Errorf("service check = %+v", c)
	}
	if err := agent.ServiceDeregister("web-1"); err != nil {
		t.Fatal(err)
	}
	if svcs, _ := agent.Services(); len(svcs) != 0 {
		t.Errorf("services after deregister = %v", svcs)
	}
	if checks, _ := agent.Checks(); len(checks) != 0 {
		t.Errorf("checks after deregister = %v; the service's checks go with it", checks)
	}
	if _, _, err := agent.Service("web-1", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Service of a deregistered ID = %v; want a 404", err)
	}
	if err := agent.ServiceDeregister("never-was"); err != nil {
		t.Errorf("deregistering an unknown ID = %v; want no error, as Consul", err)
	}
}

func TestAgentChecksWithConsulAPI(t *testing.T) {
	ts, _ := localTestServer(t, "127.0.0.162", "", nil)
	agent := consulClient(t, ts).Agent()
	if err := agent.ServiceRegister(&consul.AgentServiceRegistration{Name: "api", Port: 9000}); err != nil {
		t.Fatal(err)
	}
	if err := agent.CheckRegister(&consul.AgentCheckRegistration{
		ID: "api-ttl", Name: "API heartbeat", ServiceID: "api",
		AgentServiceCheck: consul.AgentServiceCheck{TTL: "1m", DeregisterCriticalServiceAfter: "90m"},
	}); err != nil {
		t.Fatal(err)
	}
	health := func() (string, consul.HealthChecks) {
		t.Helper()
		status, infos, err := agent.AgentHealthServiceByName("api")
		if err != nil || len(infos) != 1 {
			t.Fatalf("AgentHealthServiceByName = %s %v %v", status, infos, err)
		}
		return status, infos[0].Checks
	}
	steps := []struct {
		name       string
		do         func() error
		status     string
		output     string
		aggregated string
	}{
		{"initially critical", func() error { return nil }, "critical", "", "critical"},
		{"pass", func() error { return agent.PassTTL("api-ttl", "all good") }, "passing", "all good", "passing"},
		{"warn via update", func() error { return agent.UpdateTTL("api-ttl", "slow", "warn") }, "warning", "slow", "warning"},
		{"fail", func() error { return agent.FailTTL("api-ttl", "down") }, "critical", "down", "critical"},
		{"pass again", func() error { return agent.UpdateTTL("api-ttl", "back", "passing") }, "passing", "back", "passing"},
		{"service maintenance", func() error { return agent.EnableServiceMaintenance("api", "upgrade") }, "passing", "back", "maintenance"},
		{"maintenance off", func() error { return agent.DisableServiceMaintenance("api") }, "passing", "back", "passing"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			checks, err := agent.Checks()
			if err != nil {
				t.Fatal(err)
			}
			c := checks["api-ttl"]
			if c == nil || c.Status != st.status || c.Output != st.output || c.ServiceName != "api" || c.Definition.DeregisterCriticalServiceAfter.Duration() != 90*time.Minute {
				t.Fatalf("check = %+v; want %s %q", c, st.status, st.output)
			}
			status, hc := health()
			if got := hc.AggregatedStatus(); got != st.aggregated {
				t.Errorf("AggregatedStatus = %s; want %s", got, st.aggregated)
			}
			want := st.aggregated
			if want == "maintenance" {
				want = "critical" // 503
				m := checks["_service_maintenance:api"]
				if m == nil || m.Name != "Service Maintenance Mode" || m.Notes != "upgrade" || m.Status != "critical" {
					t.Errorf("maintenance check = %+v", m)
				}
			}
			if status != want {
				t.Errorf("AgentHealthServiceByName status = %s; want %s", status, want)
			}
		})
	}
	if err := agent.EnableNodeMaintenance("rack swap"); err != nil {
		t.Fatal(err)
	}
	checks, _ := agent.Checks()
	if m := checks["_node_maintenance"]; m == nil || m.Notes != "rack swap" || m.Status != "critical" {
		t.Errorf("node maintenance check = %+v", m)
	}
	if _, hc := health(); hc.AggregatedStatus() != "maintenance" {
		t.Errorf("node maintenance does not count against the service: %s", hc.AggregatedStatus())
	}
	if err := agent.DisableNodeMaintenance(); err != nil {
		t.Fatal(err)
	}
	if status, infos, err := agent.AgentHealthServiceByName("nope"); status != "critical" || infos != nil || err != nil {
		t.Errorf("unknown service = %s %v %v; want consul/api's answer to a 404", status, infos, err)
	}
	if err := agent.CheckDeregister("api-ttl"); err != nil {
		t.Fatal(err)
	}
	if err := agent.PassTTL("api-ttl", ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("PassTTL of a removed check = %v; want a 404", err)
	}
}

func TestAgentLocalRefusals(t *testing.T) {
	ts, _ := localTestServer(t, "127.0.0.163", "", nil)
	big := `{"Name": "big", "Meta": {"x": "` + strings.Repeat("a", 1<<20) + `"}}`
	tests := []struct {
		name, method, path, body string
		code                     int
		contains                 string
	}{
		{"mesh kind", "PUT", "/v1/agent/service/register", `{"Name": "p", "Kind": "connect-proxy"}`, 400, "kind"},
		{"proxy", "PUT", "/v1/agent/service/register", `{"Name": "p", "Proxy": {}}`, 400, "Proxy"},
		{"connect", "PUT", "/v1/agent/service/register", `{"name": "p", "connect": {"native": true}}`, 400, "connect"},
		{"unknown key", "PUT", "/v1/agent/service/register", `{"Name": "p", "Prot": 80}`, 400, "Prot"},
		{"bad port", "PUT", "/v1/agent/service/register", `{"Name": "p", "Port": "eighty"}`, 400, "Port"},
		{"snake case", "PUT", "/v1/agent/service/register", `{"name": "snake", "enable_tag_override": true, "check": {"ttl": "10s"}}`, 200, ""},
		{"snake case listed", "GET", "/v1/agent/services", "", 200, `"EnableTagOverride": true`},
		{"not json", "PUT", "/v1/agent/service/register", `{"Name": `, 400, "not a JSON object"},
		{"no body", "PUT", "/v1/agent/service/register", ``, 400, "missing request body"},
		{"too large", "PUT", "/v1/agent/service/register", big, 413, "limit"},
		{"no name", "PUT", "/v1/agent/service/register", `{"Port": 1}`, 400, "name"},
		{"script over the API", "PUT", "/v1/agent/check/register", `{"Name": "sh", "Args": ["true"], "Interval": "10s"}`, 400, "enable_script_checks"},
		{"script not registered", "GET", "/v1/agent/checks", "", 200, "service:snake"},
		{"check of unknown service", "PUT", "/v1/agent/check/register", `{"Name": "c", "TTL": "10s", "ServiceID": "ghost"}`, 400, "ghost"},
		{"docker", "PUT", "/v1/agent/check/register", `{"Name": "d", "DockerContainerID": "x", "Interval": "10s"}`, 400, "docker"},
		{"update bad status", "PUT", "/v1/agent/check/update/service:snake", `{"Status": "great"}`, 400, "great"},
		{"update unknown field", "PUT", "/v1/agent/check/update/service:snake", `{"Status": "passing", "Outptu": "x"}`, 400, "Outptu"},
		{"update", "PUT", "/v1/agent/check/update/service:snake", `{"Status": "warning", "Output": "meh"}`, 200, ""},
		{"health text", "GET", "/v1/agent/health/service/id/snake?format=text", "", 429, "warning"},
		{"health by id json", "GET", "/v1/agent/health/service/id/snake", "", 429, `"AggregatedStatus": "warning"`},
		{"health bad format", "GET", "/v1/agent/health/service/id/snake?format=xml", "", 400, "xml"},
		{"health unknown id", "GET", "/v1/agent/health/service/id/ghost", "", 404, "ghost"},
		{"ttl unknown check", "PUT", "/v1/agent/check/pass/ghost", "", 404, "ghost"},
		{"maintenance unknown service", "PUT", "/v1/agent/service/maintenance/ghost?enable=true", "", 404, "ghost"},
		{"maintenance without enable", "PUT", "/v1/agent/service/maintenance/snake", "", 400, "missing enable"},
		{"maintenance on", "PUT", "/v1/agent/service/maintenance/snake?enable=true", "", 200, ""},
		{"maintenance default reason", "GET", "/v1/agent/checks", "", 200, "no reason was provided. This is a default message."},
		{"deregister unknown check", "PUT", "/v1/agent/check/deregister/ghost", "", 404, "ghost"},
		{"register needs PUT", "GET", "/v1/agent/check/register", "", 405, ""},
		{"definition durations", "GET", "/v1/agent/checks", "", 200, `"Interval": "0s"`},
		{"filter refused", "GET", "/v1/agent/services?filter=Service==web", "", 400, "filter"},
		{"bad wait", "GET", "/v1/agent/service/snake?hash=nomatch&wait=bad", "", 400, "wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.contains) {
				t.Errorf("%s %s = %d %.300q; want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.code, tt.contains)
			}
		})
	}
}

func TestAgentLocalWritesNeedTheToken(t *testing.T) {
	ts, _ := localTestServer(t, "127.0.0.164", "s3cret", nil)
	cfg := consul.DefaultConfig()
	cfg.Address = strings.TrimPrefix(ts.URL, "http://")
	anon, _ := consul.NewClient(cfg)
	err := anon.Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "web"})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("register without the token = %v; want 403", err)
	}
	cfg.Token = "s3cret"
	authed, _ := consul.NewClient(cfg)
	if err := authed.Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "web"}); err != nil {
		t.Errorf("register with the token = %v", err)
	}
	if svcs, err := anon.Agent().Services(); err != nil || svcs["web"] == nil {
		t.Errorf("reads need no token: %v %v", svcs, err)
	}
}

func TestAgentServiceHashWaitRunsOut(t *testing.T) {
	ts, s := localTestServer(t, "127.0.0.165", "", nil)
	agent := consulClient(t, ts).Agent()
	if err := agent.ServiceRegister(&consul.AgentServiceRegistration{Name: "web", Port: 80}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Local.ServiceHash("web")
	svc, meta, err := agent.Service("web", &consul.QueryOptions{WaitHash: h, WaitTime: 100 * time.Millisecond})
	if err != nil || svc.ContentHash != h || meta.LastContentHash != h {
		t.Errorf("Service after the wait = %+v, %+v, %v; want the same hash %s", svc, meta, err, h)
	}
}
