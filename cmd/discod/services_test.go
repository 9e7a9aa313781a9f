package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeAgent is an httptest server answering the catalog and agent service
// endpoints the CLI calls, recording the requests.
type fakeAgent struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string         // "METHOD path"
	bodies   []map[string]any // register bodies
	answers  map[string]string
	status   int // for writes; 0 is 200
}

func newFakeAgent(t *testing.T, answers map[string]string) *fakeAgent {
	t.Helper()
	f := &fakeAgent{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, r.Method+" "+r.URL.EscapedPath())
		if r.Method == http.MethodPut {
			if r.URL.Path == "/v1/agent/service/register" {
				var b map[string]any
				if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				f.bodies = append(f.bodies, b)
			}
			if f.status != 0 {
				http.Error(w, "Invalid service: bad things", f.status)
			}
			return
		}
		a, ok := f.answers[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, a)
	}))
	t.Cleanup(f.Close)
	return f
}

// runCLI runs discod with args against agent and returns the exit code,
// stdout and stderr.
func runCLI(agent *fakeAgent, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	full := append([]string{args[0], args[1], "-http-addr", agent.URL}, args[2:]...)
	code := run(full, &out, &errb)
	return code, out.String(), errb.String()
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServicesRegister(t *testing.T) {
	jsonFile := writeTemp(t, "web.json", `{"service": {"name": "web", "tags": ["rails"], "port": 80,
		"check": {"http": "http://localhost/health", "interval": "10s"}}}`)
	hclFile := writeTemp(t, "two.hcl", "services {\n name = \"a\"\n port = 1\n}\nservices {\n name = \"b\"\n id = \"b1\"\n}\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
		bodies []map[string]any
	}{
		{"flags", []string{"-name=web", "-port=80", "-id=web1", "-tag=a", "-tag=b", "-address=127.0.6.1", "-meta", "v=1"}, 0,
			"Registered service: web\n", "", []map[string]any{{"ID": "web1", "Name": "web", "Port": 80.0, "Tags": []any{"a", "b"},
				"Address": "127.0.6.1", "Meta": map[string]any{"v": "1"}}}},
		{"JSON file", []string{jsonFile}, 0, "Registered service: web\n", "", []map[string]any{{"ID": "web", "Name": "web", "Port": 80.0,
			"Tags": []any{"rails"}, "Checks": []any{map[string]any{"CheckID": "service:web", "Name": "Service 'web' check",
				"HTTP": "http://localhost/health", "Interval": "10s", "Timeout": "10s", "Status": "critical"}}}}},
		{"HCL file with two", []string{hclFile}, 0, "Registered service: a\nRegistered service: b\n", "",
			[]map[string]any{{"ID": "a", "Name": "a", "Port": 1.0}, {"ID": "b1", "Name": "b"}}},
		{"DNS warning", []string{"-name=web_app"}, 0, "Registered service: web_app\n", `warning: service "web_app": key "name"`,
			[]map[string]any{{"ID": "web_app", "Name": "web_app"}}},
		{"nothing", nil, 1, "", "give FILEs or -name", nil},
		{"both", []string{"-name=x", jsonFile}, 1, "", "give FILEs or flags, not both", nil},
		{"bad meta", []string{"-name=x", "-meta=v"}, 1, "", `-meta "v": want key=value`, nil},
		{"invalid", []string{"-name=x", "-port=70000"}, 1, "", `service "x": key "port": port 70000 is out of range`, nil},
		{"reserved meta", []string{"-name=x", "-meta=consul-a=b"}, 1, "", `reserved prefix "consul-"`, nil},
		{"missing file", []string{"/nonexistent/x.json"}, 1, "", "config file /nonexistent/x.json: no such file", nil},
		{"bad file", []string{writeTemp(t, "bad.json", `{"service": {"name": "web", "prot": 80}}`)}, 1, "",
			`service "web": key "prot": unknown key (did you mean "port"?)`, nil},
		{"not a service file", []string{writeTemp(t, "agent.json", `{"node_name": "x"}`)}, 1, "",
			`key "node_name": a service file holds only service or services`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newFakeAgent(t, nil)
			code, stdout, stderr := runCLI(agent, append([]string{"services", "register"}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want %d, %q, stderr containing %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			if !reflect.DeepEqual(agent.bodies, tt.bodies) {
				t.Errorf("bodies\n got %v\nwant %v", agent.bodies, tt.bodies)
			}
		})
	}
	t.Run("agent refuses", func(t *testing.T) {
		agent := newFakeAgent(t, nil)
		agent.status = http.StatusBadRequest
		code, _, stderr := runCLI(agent, "services", "register", "-name=web")
		if code != 1 || !strings.Contains(stderr, `registering service "web": Invalid service: bad things (HTTP 400)`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestServicesDeregister(t *testing.T) {
	file := writeTemp(t, "web.json", `{"services": [{"name": "web"}, {"name": "api", "id": "api/1"}]}`)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		requests []string
	}{
		{"by id", []string{"-id=web1"}, 0, "Deregistered service: web1\n", "", []string{"PUT /v1/agent/service/deregister/web1"}},
		{"from a file", []string{file}, 0, "Deregistered service: web\nDeregistered service: api/1\n", "",
			[]string{"PUT /v1/agent/service/deregister/web", "PUT /v1/agent/service/deregister/api%2F1"}},
		{"nothing", nil, 1, "", "give -id or FILEs", nil},
		{"both", []string{"-id=x", file}, 1, "", "not both", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newFakeAgent(t, nil)
			code, stdout, stderr := runCLI(agent, append([]string{"services", "deregister"}, tt.args...)...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want %d, %q, stderr containing %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
			if !reflect.DeepEqual(agent.requests, tt.requests) {
				t.Errorf("requests %q, want %q", agent.requests, tt.requests)
			}
		})
	}
}

func TestCatalogCommands(t *testing.T) {
	answers := map[string]string{
		"/v1/catalog/services": `{"web": ["rails", "a"], "db": [], "redis": ["primary"]}`,
		"/v1/catalog/node/n1": `{"Node": {"Node": "n1"}, "Services": {"web1": {"ID": "web1", "Service": "web", "Tags": ["b"]},
			"web2": {"ID": "web2", "Service": "web", "Tags": ["a", "b"]}, "db": {"ID": "db", "Service": "db", "Tags": null}}}`,
		"/v1/catalog/node/none": `null`,
		"/v1/catalog/nodes": `[{"ID": "0e1bc5a7-0c5e-4c1d-8d4d-1b2c3d4e5f60", "Node": "agent-one", "Address": "127.0.60.110", "Datacenter": "dc1",
			"TaggedAddresses": {"lan": "127.0.60.110", "wan": "127.0.60.110"}, "Meta": {"rack": "r1"}},
			{"ID": "", "Node": "agent-two", "Address": "127.0.60.111", "Datacenter": "dc1"}]`,
		"/v1/catalog/service/web": `[{"ID": "0e1bc5a7-0c5e-4c1d-8d4d-1b2c3d4e5f60", "Node": "agent-one", "Address": "127.0.60.110", "Datacenter": "dc1",
			"TaggedAddresses": {"lan": "127.0.60.110"}, "NodeMeta": {"rack": "r1"}, "ServiceID": "web", "ServiceName": "web"}]`,
		"/v1/catalog/service/nothing": `[]`,
	}
	tests := []struct {
		name     string
		args     []string
		stdout   string
		stderr   string
		requests []string
	}{
		{"services", []string{"catalog", "services"}, "db\nredis\nweb\n", "", []string{"GET /v1/catalog/services"}},
		{"services -tags", []string{"catalog", "services", "-tags"},
			"db\nredis      primary\nweb        a,rails\n", "", nil},
		{"services -node", []string{"catalog", "services", "-node=n1", "-tags"}, "db\nweb      a,b\n", "", []string{"GET /v1/catalog/node/n1"}},
		{"services of an unknown node", []string{"catalog", "services", "-node=none"}, "",
			"No services match the given query - try expanding your search.\n", nil},
		{"nodes", []string{"catalog", "nodes"},
			"Node       ID        Address       DC\nagent-one  0e1bc5a7  127.0.60.110  dc1\nagent-two            127.0.60.111  dc1\n", "",
			[]string{"GET /v1/catalog/nodes"}},
		{"nodes -detailed", []string{"catalog", "nodes", "-detailed"},
			"Node       ID                                    Address       DC   TaggedAddresses                     Meta\n" +
				"agent-one  0e1bc5a7-0c5e-4c1d-8d4d-1b2c3d4e5f60  127.0.60.110  dc1  lan=127.0.60.110, wan=127.0.60.110  rack=r1\n" +
				"agent-two                                        127.0.60.111  dc1\n", "", nil},
		{"nodes -service", []string{"catalog", "nodes", "-service=web"},
			"Node       ID        Address       DC\nagent-one  0e1bc5a7  127.0.60.110  dc1\n", "", []string{"GET /v1/catalog/service/web"}},
		{"nodes of no service", []string{"catalog", "nodes", "-service=nothing"}, "",
			"No nodes match the given query - try expanding your search.\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newFakeAgent(t, answers)
			code, stdout, stderr := runCLI(agent, tt.args...)
			if code != 0 || stdout != tt.stdout || stderr != tt.stderr {
				t.Errorf("got exit %d, stdout\n%q\nstderr %q; want 0,\n%q\n%q", code, stdout, stderr, tt.stdout, tt.stderr)
			}
			if tt.requests != nil && !reflect.DeepEqual(agent.requests, tt.requests) {
				t.Errorf("requests %q, want %q", agent.requests, tt.requests)
			}
		})
	}
	t.Run("agent error", func(t *testing.T) {
		agent := newFakeAgent(t, nil)
		code, _, stderr := runCLI(agent, "catalog", "services")
		if code != 1 || !strings.Contains(stderr, "discod catalog services: 404 page not found (HTTP 404)") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestSubcommandUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"services", "-h"}, 0, "Usage: discod services <subcommand> [options]"},
		{[]string{"catalog"}, 1, "    nodes        Lists the nodes of the catalog"},
		{[]string{"catalog", "frob"}, 1, `discod catalog: unknown subcommand "frob"`},
		{[]string{"services", "register", "-h"}, 0, "Usage: discod services register [options] [FILE...]"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, &out, &errb)
			if code != tt.code || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), tt.code, tt.want)
			}
		})
	}
}
