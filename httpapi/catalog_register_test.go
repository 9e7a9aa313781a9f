package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/discod/discod/local"
	"github.com/hashicorp/consul/api"
)

// TestCatalogRegisterWithConsulClient registers an external node with
// HashiCorp's client and reads it back through the catalog and health
// endpoints, then deregisters its check, its service and the node.
func TestCatalogRegisterWithConsulClient(t *testing.T) {
	ts := httptest.NewServer(fuzzServer(t))
	defer ts.Close()
	c, err := api.NewClient(&api.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	reg := &api.CatalogRegistration{
		Node: "rds-1", Address: "10.0.0.5", NodeMeta: map[string]string{"external-node": "true"},
		Service: &api.AgentService{ID: "pg", Service: "postgres", Tags: []string{"primary"}, Port: 5432},
		Check: &api.AgentCheck{CheckID: "pg-up", Name: "postgres up", Status: api.HealthPassing, ServiceID: "pg",
			Definition: api.HealthCheckDefinition{TCP: "10.0.0.5:5432", IntervalDuration: 10e9}},
		Checks: api.HealthChecks{{CheckID: "node-up", Name: "node up", Status: api.HealthWarning}},
	}
	if _, err := c.Catalog().Register(reg, nil); err != nil {
		t.Fatal(err)
	}
	nodes, _, err := c.Catalog().Nodes(nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range nodes {
		if n.Node == "rds-1" {
			found = n.Address == "10.0.0.5" && n.Meta["external-node"] == "true" && n.Datacenter == "dc1"
		}
	}
	if !found {
		t.Fatalf("catalog nodes: %+v", nodes)
	}
	svcs, _, err := c.Catalog().Service("postgres", "primary", nil)
	if err != nil || len(svcs) != 1 || svcs[0].Node != "rds-1" || svcs[0].Address != "10.0.0.5" || svcs[0].ServicePort != 5432 {
		t.Fatalf("catalog service: %+v %v", svcs, err)
	}
	hc, _, err := c.Health().Node("rds-1", nil)
	if err != nil || len(hc) != 2 {
		t.Fatalf("health node: %+v %v", hc, err)
	}
	for _, ch := range hc {
		if ch.CheckID == "serfHealth" || ch.Node != "rds-1" {
			t.Fatalf("health node: %+v", ch)
		}
	}
	if hs, _, err := c.Health().Service("postgres", "", false, nil); err != nil || len(hs) != 1 || hs[0].Checks.AggregatedStatus() != api.HealthWarning {
		t.Fatalf("health service: %+v %v", hs, err)
	}

	for _, step := range []struct {
		dereg  api.CatalogDeregistration
		checks int
	}{
		{api.CatalogDeregistration{Node: "rds-1", CheckID: "node-up"}, 1},
		{api.CatalogDeregistration{Node: "rds-1", ServiceID: "pg"}, 0},
	} {
		if _, err := c.Catalog().Deregister(&step.dereg, nil); err != nil {
			t.Fatal(err)
		}
		if hc, _, _ := c.Health().Node("rds-1", nil); len(hc) != step.checks {
			t.Fatalf("after %+v: checks %+v", step.dereg, hc)
		}
	}
	if n, _, _ := c.Catalog().Node("rds-1", nil); n == nil || len(n.Services) != 0 {
		t.Fatalf("node after its service went: %+v", n)
	}
	if _, err := c.Catalog().Deregister(&api.CatalogDeregistration{Node: "rds-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := c.Catalog().Node("rds-1", nil); n != nil {
		t.Fatalf("node after its deregistration: %+v", n)
	}
}

// TestCatalogRegisterRefusals: bad bodies are 400s naming the field or
// Consul's message.
func TestCatalogRegisterRefusals(t *testing.T) {
	h := fuzzServer(t)
	for _, tt := range []struct {
		path, body, want string
	}{
		{"/v1/catalog/register", ``, "missing request body"},
		{"/v1/catalog/register", `null`, "missing request body"},
		{"/v1/catalog/register", `[]`, "not a JSON object"},
		{"/v1/catalog/register", `{}`, "Must provide node"},
		{"/v1/catalog/register", `{"Node":"x"}`, "Must provide address"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Service":{"Port":1}}`, "Must provide service name"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Service":{"Service":"s","Port":"80"}}`, "Service.Port"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Service":{"Service":"s","Port":70000}}`, "Service.Port 70000"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Service":{"Service":"s","Kind":"connect-proxy"}}`, "Service.Kind"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Service":{"Service":"s","Connect":{"Native":true}}}`, "Service.Connect"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Check":{"Name":"c","Definition":{"Interval":"often"}}}`, "Check.Definition.Interval"},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1","Checks":[{"Name":"c","Status":"fine"}]}`, `status "fine"`},
		{"/v1/catalog/register", `{"Node":"fuzz-one","Address":"10.0.0.1"}`, "this agent's own node"},
		{"/v1/catalog/register", `{"Datacenter":"dc2","Node":"x","Address":"10.0.0.1"}`, `Datacenter "dc2"`},
		{"/v1/catalog/register", `{"Node":"x","Address":"10.0.0.1"} {}`, "data after"},
		{"/v1/catalog/deregister", `{}`, "Must provide node"},
		{"/v1/catalog/deregister", `{"Node":1}`, "Node"},
	} {
		t.Run(tt.path+" "+tt.body, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPut, tt.path, strings.NewReader(tt.body))
			req.RemoteAddr = "127.0.0.1:40000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != http.StatusBadRequest || !strings.Contains(string(body), tt.want) {
				t.Fatalf("%d %s; want 400 with %q", rec.Code, body, tt.want)
			}
		})
	}
}

// TestCatalogWritesNeedTheToken: the catalog writes follow the write-token
// rule of every other write.
func TestCatalogWritesNeedTheToken(t *testing.T) {
	a := conformanceAgent(t, "tok-one", "127.0.0.176")
	st, err := local.New(local.Config{NodeName: "tok-one", Store: a.Table()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &Server{Agent: a, Version: "test", Domain: "consul.", ListenAddr: netip.MustParseAddr("127.0.0.176"), Token: "s3cret", Local: st}
	h := s.Handler()
	for _, tt := range []struct {
		path, body, token string
		code              int
	}{
		{"/v1/catalog/register", `{"Node":"rds-1","Address":"10.0.0.5"}`, "", http.StatusForbidden},
		{"/v1/catalog/register", `{"Node":"rds-1","Address":"10.0.0.5"}`, "wrong", http.StatusForbidden},
		{"/v1/catalog/register", `{"Node":"rds-1","Address":"10.0.0.5"}`, "s3cret", http.StatusOK},
		{"/v1/catalog/deregister", `{"Node":"rds-1"}`, "", http.StatusForbidden},
		{"/v1/catalog/deregister", `{"Node":"rds-1"}`, "s3cret", http.StatusOK},
	} {
		before := len(st.ExternalNodes())
		req := httptest.NewRequest(http.MethodPut, tt.path, strings.NewReader(tt.body))
		req.RemoteAddr = "127.0.0.1:40000"
		if tt.token != "" {
			req.Header.Set(TokenHeader, tt.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Fatalf("%s with token %q: %d %s; want %d", tt.path, tt.token, rec.Code, rec.Body.String(), tt.code)
		}
		if tt.code == http.StatusForbidden && len(st.ExternalNodes()) != before {
			t.Fatalf("%s refused with 403 but changed the external nodes", tt.path)
		}
	}
}
