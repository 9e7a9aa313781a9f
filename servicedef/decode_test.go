package servicedef

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/hashicorp/hcl"
)

// fromJSON decodes a JSON object as config files and HTTP bodies are.
func fromJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// fromHCL decodes an HCL body and returns the single block named key.
func fromHCL(t *testing.T, s, key string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := hcl.Decode(&m, s); err != nil {
		t.Fatalf("bad test HCL %s: %v", s, err)
	}
	objs, ok := m[key].([]map[string]any)
	if !ok || len(objs) != 1 {
		t.Fatalf("HCL %s: want one %s block, got %#v", s, key, m[key])
	}
	return objs[0]
}

func TestDecodeService(t *testing.T) {
	web := Service{Name: "web", Tags: []string{"rails"}, Port: 80, Source: "src"}
	full := Service{
		ID: "web1", Name: "web", Tags: []string{"a", "b"}, Address: "10.0.0.1", Port: 8080,
		Meta:              map[string]string{"version": "1"},
		TaggedAddresses:   map[string]catalog.ServiceAddress{"wan": {Address: "1.2.3.4", Port: 80}},
		EnableTagOverride: true,
		Weights:           &catalog.Weights{Passing: 10, Warning: 1},
		Source:            "src",
	}
	tests := []struct {
		name string
		raw  map[string]any
		want Service
	}{
		{"seed JSON", fromJSON(t, `{"name": "web", "tags": ["rails"], "port": 80}`), web},
		{"seed HCL", fromHCL(t, `service { name = "web"
tags = ["rails"]
port = 80 }`, "service"), web},
		{"snake_case JSON", fromJSON(t, `{"id": "web1", "name": "web", "tags": ["a", "b"], "address": "10.0.0.1", "port": 8080,
			"meta": {"version": "1"}, "tagged_addresses": {"wan": {"address": "1.2.3.4", "port": 80}},
			"enable_tag_override": true, "weights": {"passing": 10}}`), full},
		{"CamelCase JSON", fromJSON(t, `{"ID": "web1", "Name": "web", "Tags": ["a", "b"], "Address": "10.0.0.1", "Port": 8080,
			"Meta": {"version": "1"}, "TaggedAddresses": {"wan": {"Address": "1.2.3.4", "Port": 80}},
			"EnableTagOverride": true, "Weights": {"Passing": 10, "Warning": 1},
			"Check": null, "Checks": null, "Kind": ""}`), full},
		{"HCL blocks", fromHCL(t, `service {
  id = "web1"
  name = "web"
  tags = ["a", "b"]
  address = "10.0.0.1"
  port = 8080
  meta { version = "1" }
  tagged_addresses { wan { address = "1.2.3.4", port = 80 } }
  enable_tag_override = true
  weights { passing = 10 }
}`, "service"), full},
		{"single tag as string", fromJSON(t, `{"name": "web", "tags": "rails", "port": 80}`), web},
		{"kind typical", fromJSON(t, `{"name": "web", "tags": ["rails"], "port": 80, "kind": "typical"}`), web},
		{"enterprise defaults", fromJSON(t, `{"name": "web", "tags": ["rails"], "port": 80, "namespace": "default", "Partition": ""}`), web},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeService(tt.raw, "src")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeServiceChecks(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]any
		want []Check
	}{
		{"one check", fromJSON(t, `{"name": "web", "check": {"args": ["curl", "localhost"], "interval": "10s"}}`),
			[]Check{{Args: []string{"curl", "localhost"}, Interval: 10 * time.Second, Source: "src"}}},
		{"check then checks", fromJSON(t, `{"name": "web", "checks": [{"tcp": "localhost:80", "interval": "5s"}, {"ttl": "30s"}],
			"Check": {"HTTP": "http://localhost/", "Interval": "10s", "Header": {"X": "y", "Z": ["1", "2"]}, "TLSSkipVerify": true}}`),
			[]Check{
				{HTTP: "http://localhost/", Interval: 10 * time.Second, Header: map[string][]string{"X": {"y"}, "Z": {"1", "2"}}, TLSSkipVerify: true, Source: "src"},
				{TCP: "localhost:80", Interval: 5 * time.Second, Source: "src"},
				{TTL: 30 * time.Second, Source: "src"},
			}},
		{"HCL check blocks", fromHCL(t, `service {
  name = "web"
  check { id = "a"
    http = "http://localhost/"
    interval = "10s"
    header { X = ["y"] } }
  check { id = "b"
    h2ping = "localhost:443"
    interval = "10s" }
}`, "service"), []Check{
			{ID: "a", HTTP: "http://localhost/", Interval: 10 * time.Second, Header: map[string][]string{"X": {"y"}}, Source: "src"},
			{ID: "b", H2PING: "localhost:443", H2PingUseTLS: true, Interval: 10 * time.Second, Source: "src"},
		}},
		{"consul/api field names", fromJSON(t, `{"Name": "web", "Check": {"CheckID": "c", "ScriptArgs": ["true"], "Interval": "10s",
			"DeregisterCriticalServiceAfter": "90s", "SuccessBeforePassing": 2, "FailuresBeforeWarning": 1, "FailuresBeforeCritical": 3,
			"H2PingUseTLS": false, "GRPCUseTLS": true, "TCPUseTLS": true}}`),
			[]Check{{ID: "c", Args: []string{"true"}, Interval: 10 * time.Second, DeregisterCriticalServiceAfter: 90 * time.Second,
				SuccessBeforePassing: 2, FailuresBeforeWarning: 1, FailuresBeforeCritical: 3, GRPCUseTLS: true, TCPUseTLS: true, Source: "src"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeService(tt.raw, "src")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Checks, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got.Checks, tt.want)
			}
		})
	}
}

func TestDecodeCheck(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]any
		want Check
	}{
		{"node script check", fromJSON(t, `{"name": "ping", "args": ["ping", "-c1", "google.com"], "interval": "30s"}`),
			Check{Name: "ping", Args: []string{"ping", "-c1", "google.com"}, Interval: 30 * time.Second, Source: "src"}},
		{"ID and CheckID agree", fromJSON(t, `{"ID": "x", "CheckID": "x", "Name": "n", "TTL": "10s", "ServiceID": "web", "Status": "passing", "Notes": "hi"}`),
			Check{ID: "x", Name: "n", TTL: 10 * time.Second, ServiceID: "web", Status: "passing", Notes: "hi", Source: "src"}},
		{"snake_case options", fromJSON(t, `{"name": "h", "http": "https://x/", "method": "POST", "body": "{}", "tls_server_name": "x",
			"tls_skip_verify": true, "disable_redirects": true, "interval": "1m", "timeout": "2s", "output_max_size": 100,
			"deregister_critical_service_after": "5m", "alias_node": "n1", "alias_service": "s1"}`),
			Check{Name: "h", HTTP: "https://x/", Method: "POST", Body: "{}", TLSServerName: "x", TLSSkipVerify: true, DisableRedirects: true,
				Interval: time.Minute, Timeout: 2 * time.Second, OutputMaxSize: 100, DeregisterCriticalServiceAfter: 5 * time.Minute,
				AliasNode: "n1", AliasService: "s1", Source: "src"}},
		{"HCL numbers", fromHCL(t, `check { name = "t"
ttl = "10s"
success_before_passing = 2 }`, "check"), Check{Name: "t", TTL: 10 * time.Second, SuccessBeforePassing: 2, Source: "src"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCheck(tt.raw, "src")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const src = "config file /x/web.json"
	tests := []struct {
		name  string
		check bool // DecodeCheck instead of DecodeService
		json  string
		want  []string
	}{
		{"unknown key", false, `{"name": "web", "prot": 80}`, []string{`config file /x/web.json: service "web": key "prot": unknown key (did you mean "port"?)`}},
		{"unknown key, no hint", false, `{"name": "web", "zzzzzzzz": 1}`, []string{`key "zzzzzzzz": unknown key`}},
		{"wrong type", false, `{"name": "web", "port": "80"}`, []string{`service "web": key "port": want a whole number, got string "80"`}},
		{"fraction", false, `{"name": "web", "port": 80.5}`, []string{`key "port": want a whole number, got number 80.5`}},
		{"mesh kind", false, `{"name": "web", "kind": "connect-proxy"}`, []string{`key "kind": kind "connect-proxy": discod has no service mesh`}},
		{"proxy", false, `{"name": "web", "Proxy": {}}`, []string{`key "Proxy": discod has no service mesh`}},
		{"connect", false, `{"name": "web", "connect": {"sidecar_service": {}}}`, []string{`key "connect": discod has no service mesh`}},
		{"namespace", false, `{"name": "web", "namespace": "team"}`, []string{`key "namespace": "team": namespaces and admin partitions are Consul Enterprise`}},
		{"socket", false, `{"name": "web", "socket_path": "/x"}`, []string{`key "socket_path": socket_path`}},
		{"twice", false, `{"name": "web", "Name": "web"}`, []string{`key "name": the same key as "Name", given twice`}},
		{"meta value", false, `{"name": "web", "meta": {"a": 1}}`, []string{`key "meta": key "a": want a string, got number 1`}},
		{"weights key", false, `{"name": "web", "weights": {"pasing": 2}}`, []string{`key "weights": key "pasing": unknown key (did you mean "passing"?)`}},
		{"tagged address key", false, `{"name": "web", "tagged_addresses": {"wan": {"addr": "x"}}}`, []string{`key "tagged_addresses": key "wan": key "addr": unknown key`}},
		{"by id", false, `{"id": "w1", "port": true}`, []string{`service with id "w1": key "port": want a whole number, got boolean true`}},
		{"check in service", false, `{"name": "web", "check": {"interval": 10}}`, []string{`service "web": check: key "interval": want a duration string such as "30s", got number 10`}},
		{"second check", false, `{"name": "web", "checks": [{"ttl": "1s"}, {"ttl": "soon"}]}`, []string{`service "web": check 2: key "ttl": "soon" is not a duration`}},
		{"checks not a list", false, `{"name": "web", "checks": "x"}`, []string{`key "checks": want an object, got string "x"`}},
		{"docker", true, `{"name": "d", "docker_container_id": "abc", "shell": "/bin/sh"}`, []string{
			`check "d": key "docker_container_id": docker checks (docker_container_id, shell) are not provided by discod`,
			`check "d": key "shell": docker checks`}},
		{"os_service", true, `{"name": "o", "OSService": "nginx"}`, []string{`key "OSService": os_service checks are not provided by discod`}},
		{"check typo", true, `{"name": "c", "intervall": "10s"}`, []string{`check "c": key "intervall": unknown key (did you mean "interval"?)`}},
		{"header value", true, `{"name": "c", "header": {"X": 1}}`, []string{`key "header": key "X": want a list of strings, got number 1`}},
		{"ID and CheckID differ", true, `{"ID": "a", "CheckID": "b", "Name": "c"}`, []string{`given twice`}},
		{"several at once", false, `{"name": "web", "port": "x", "tags": 1}`, []string{`key "port"`, `key "tags": want a list of strings, got number 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.check {
				_, err = DecodeCheck(fromJSON(t, tt.json), src)
			} else {
				_, err = DecodeService(fromJSON(t, tt.json), src)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), src+": ") {
				t.Errorf("error %q does not start with the source", err)
			}
		})
	}
}
