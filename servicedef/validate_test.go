package servicedef

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   Service
		want Service
	}{
		{"ID from name", Service{Name: "web"}, Service{ID: "web", Name: "web"}},
		{"ID kept", Service{ID: "web1", Name: "web"}, Service{ID: "web1", Name: "web"}},
		{"one check", Service{Name: "redis", Source: "s", FromFile: true, Checks: []Check{{TTL: time.Minute}}},
			Service{ID: "redis", Name: "redis", Source: "s", FromFile: true, Checks: []Check{{
				ID: "service:redis", Name: "Service 'redis' check", ServiceID: "redis", TTL: time.Minute,
				Status: catalog.StatusCritical, Source: "s", FromFile: true}}}},
		{"several checks", Service{ID: "r1", Name: "redis", Checks: []Check{
			{TCP: "x:1", Interval: time.Second}, {ID: "mine", Name: "Mine", Args: []string{"true"}, Interval: time.Second, Status: "passing"}, {HTTP: "http://x/", Interval: time.Second, Timeout: time.Second}}},
			Service{ID: "r1", Name: "redis", Checks: []Check{
				{ID: "service:r1:1", Name: "Service 'redis' check", ServiceID: "r1", TCP: "x:1", Interval: time.Second, Timeout: 10 * time.Second, Status: "critical"},
				{ID: "mine", Name: "Mine", ServiceID: "r1", Args: []string{"true"}, Interval: time.Second, Timeout: 30 * time.Second, Status: "passing"},
				{ID: "service:r1:3", Name: "Service 'redis' check", ServiceID: "r1", HTTP: "http://x/", Interval: time.Second, Timeout: time.Second, Status: "critical"},
			}}},
		{"service ID overrides the check's", Service{Name: "web", Checks: []Check{{ServiceID: "other", TTL: time.Second, FailuresBeforeCritical: 3}}},
			Service{ID: "web", Name: "web", Checks: []Check{{ID: "service:web", Name: "Service 'web' check", ServiceID: "web", TTL: time.Second,
				Status: "critical", FailuresBeforeCritical: 3, FailuresBeforeWarning: 3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			got.Normalize()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCheckNormalize(t *testing.T) {
	c := Check{Name: "ping", Args: []string{"ping"}, Interval: time.Second}
	c.Normalize()
	if c.ID != "ping" || c.Status != "critical" || c.Timeout != 30*time.Second {
		t.Errorf("got %+v", c)
	}
	for typ, want := range map[string]time.Duration{TypeHTTP: 10 * time.Second, TypeTCP: 10 * time.Second, TypeUDP: 10 * time.Second,
		TypeGRPC: 10 * time.Second, TypeH2Ping: 10 * time.Second, TypeScript: 30 * time.Second, TypeTTL: 0, TypeAlias: 0} {
		if got := DefaultTimeout(typ); got != want {
			t.Errorf("DefaultTimeout(%s) = %s, want %s", typ, got, want)
		}
	}
}

func TestOutputLimitAndInterval(t *testing.T) {
	tests := []struct {
		own, agent, want int
	}{{0, 0, 4096}, {0, 100, 100}, {50, 100, 50}, {500, 100, 100}, {500, 0, 500}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.own, tt.agent), func(t *testing.T) {
			c := Check{OutputMaxSize: tt.own}
			if got := c.OutputLimit(tt.agent); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	if got := (&Check{Interval: 100 * time.Millisecond}).RunInterval(); got != time.Second {
		t.Errorf("RunInterval = %s, want 1s", got)
	}
}

// valid is a service that passes Validate; tests change one thing.
func valid() Service {
	s := Service{Name: "web", Tags: []string{"rails"}, Port: 80, Source: "config file /x/web.json",
		Checks: []Check{{HTTP: "http://localhost/health", Interval: 10 * time.Second}}}
	s.Normalize()
	return s
}

func manyMeta(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestValidateService(t *testing.T) {
	const where = `config file /x/web.json: service "web": `
	tests := []struct {
		name   string
		change func(s *Service)
		errs   []string // substrings of the error; none: valid
		warns  []string // substrings of the warnings
	}{
		{"valid", func(*Service) {}, nil, nil},
		{"no name", func(s *Service) { s.Name = "" }, []string{`config file /x/web.json: service with id "web": key "name": a service needs a name`}, nil},
		{"port high", func(s *Service) { s.Port = 65536 }, []string{where + `key "port": port 65536 is out of range 0–65535`}, nil},
		{"port negative", func(s *Service) { s.Port = -1 }, []string{`key "port": port -1`}, nil},
		{"port 0", func(s *Service) { s.Port = 0 }, nil, nil},
		{"meta ok", func(s *Service) { s.Meta = manyMeta(64) }, nil, nil},
		{"meta 65 pairs", func(s *Service) { s.Meta = manyMeta(65) }, []string{where + `key "meta": service metadata has 65 pairs, more than 64`}, nil},
		{"meta reserved", func(s *Service) { s.Meta = map[string]string{"consul-x": "y"} }, []string{where + `key "meta": service metadata key "consul-x" uses the reserved prefix "consul-"`}, nil},
		{"meta reserved any case", func(s *Service) { s.Meta = map[string]string{"Consul-X": "y"} }, []string{`reserved prefix`}, nil},
		{"meta discod- allowed", func(s *Service) { s.Meta = map[string]string{"discod-x": "y"} }, nil, nil},
		{"meta key 128", func(s *Service) { s.Meta = map[string]string{strings.Repeat("k", 128): "y"} }, nil, nil},
		{"meta key 129", func(s *Service) { s.Meta = map[string]string{strings.Repeat("k", 129): "y"} }, []string{`longer than 128 characters`}, nil},
		{"meta key character", func(s *Service) { s.Meta = map[string]string{"a.b": "y"} }, []string{`service metadata key "a.b" has character '.'`}, nil},
		{"meta key empty", func(s *Service) { s.Meta = map[string]string{"": "y"} }, []string{`service metadata key is empty`}, nil},
		{"meta value 512", func(s *Service) { s.Meta = map[string]string{"k": strings.Repeat("v", 512)} }, nil, nil},
		{"meta value 513", func(s *Service) { s.Meta = map[string]string{"k": strings.Repeat("v", 513)} }, []string{`service metadata value for "k" is longer than 512`}, nil},
		{"weights ok", func(s *Service) { s.Weights = &catalog.Weights{Passing: 10, Warning: 0} }, nil, nil},
		{"weights passing 0", func(s *Service) { s.Weights = &catalog.Weights{Passing: 0, Warning: 1} }, []string{where + `key "weights": passing weight 0 is out of range 1–65535`}, nil},
		{"weights warning negative", func(s *Service) { s.Weights = &catalog.Weights{Passing: 1, Warning: -1} }, []string{`warning weight -1 is out of range 0–65535`}, nil},
		{"weights too big", func(s *Service) { s.Weights = &catalog.Weights{Passing: 70000, Warning: 1} }, []string{`passing weight 70000`}, nil},
		{"tagged address port", func(s *Service) {
			s.TaggedAddresses = map[string]catalog.ServiceAddress{"wan": {Address: "1.2.3.4", Port: 70000}}
		},
			[]string{where + `key "tagged_addresses": key "wan": key "port": port 70000`}, nil},
		{"tagged address empty", func(s *Service) { s.TaggedAddresses = map[string]catalog.ServiceAddress{"lan": {}} }, []string{`key "lan": key "address": empty`}, nil},
		{"name not DNS", func(s *Service) { s.Name = "web_app" }, nil, []string{`key "name": service name "web_app" will not be discoverable via DNS`}},
		{"tag not DNS", func(s *Service) { s.Tags = []string{"ok", "v1.2"} }, nil, []string{where + `key "tags": service tag "v1.2" will not be discoverable via DNS`}},
		{"long name", func(s *Service) { s.Name = strings.Repeat("a", 64) }, nil, []string{`will not be discoverable`}},
		{"token", func(s *Service) { s.Token = "x" }, nil, []string{`key "token": ignored: discod has no ACLs`}},
		{"check error names service and check", func(s *Service) { s.Checks[0].Interval = 0 },
			[]string{where + `check "Service 'web' check": key "interval": a http check needs an interval such as "10s"`}, nil},
		{"duplicate check IDs", func(s *Service) { s.Checks = append(s.Checks, s.Checks[0]) }, []string{where + `checks 1 and 2 have the same ID "service:web"`}, nil},
		{"several problems", func(s *Service) { s.Port = -5; s.Meta = manyMeta(65) }, []string{`key "port"`, `key "meta"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(&s)
			warns, err := s.Validate()
			checkOutcome(t, warns, err, tt.errs, tt.warns)
		})
	}
}

func checkOutcome(t *testing.T, warns []string, err error, wantErrs, wantWarns []string) {
	t.Helper()
	switch {
	case len(wantErrs) == 0 && err != nil:
		t.Errorf("unexpected error: %v", err)
	case len(wantErrs) > 0 && err == nil:
		t.Errorf("no error, want %q", wantErrs)
	}
	for _, w := range wantErrs {
		if err != nil && !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	all := strings.Join(warns, "\n")
	for _, w := range wantWarns {
		if !strings.Contains(all, w) {
			t.Errorf("warnings %q do not contain %q", warns, w)
		}
	}
	if len(wantWarns) == 0 && len(warns) > 0 {
		t.Errorf("unexpected warnings %q", warns)
	}
}

func TestValidateCheck(t *testing.T) {
	tests := []struct {
		name  string
		c     Check
		errs  []string
		warns []string
	}{
		{"http", Check{Name: "c", HTTP: "https://localhost:8443/h", Interval: time.Second, Method: "POST"}, nil, nil},
		{"tcp", Check{Name: "c", TCP: "localhost:22", Interval: time.Second}, nil, nil},
		{"udp", Check{Name: "c", UDP: "[::1]:53", Interval: time.Second}, nil, nil},
		{"grpc", Check{Name: "c", GRPC: "localhost:9090/my.Service", Interval: time.Second}, nil, nil},
		{"h2ping", Check{Name: "c", H2PING: "localhost:443", Interval: time.Second}, nil, nil},
		{"ttl", Check{Name: "c", TTL: time.Second}, nil, nil},
		{"args", Check{Name: "c", Args: []string{"true"}, Interval: time.Second}, nil, nil},
		{"alias", Check{Name: "c", AliasService: "web"}, nil, nil},
		{"alias node and service", Check{Name: "c", AliasService: "web", AliasNode: "n1"}, nil, nil},
		{"no name", Check{TTL: time.Second}, []string{`src: check: key "name": a check needs a name`}, nil},
		{"no type", Check{Name: "c"}, []string{`src: check "c": no check type: give one of http, tcp, udp, grpc, h2ping, ttl, args or alias_service/alias_node`}, nil},
		{"two types", Check{Name: "c", HTTP: "http://x/", TCP: "x:1", Interval: time.Second}, []string{`a check has exactly one type, but this one has http and tcp`}, nil},
		{"args and script", Check{Name: "c", Args: []string{"a"}, Script: "a", Interval: time.Second}, []string{`has args and script`}, nil},
		{"ttl and interval-less http", Check{Name: "c", HTTP: "http://x/", TTL: time.Second}, []string{`http and ttl`}, nil},
		{"negative ttl", Check{Name: "c", TTL: -time.Second}, []string{`key "ttl": -1s is negative`}, nil},
		{"http without interval", Check{Name: "c", HTTP: "http://x/"}, []string{`key "interval": a http check needs an interval`}, nil},
		{"tcp without interval", Check{Name: "c", TCP: "x:1"}, []string{`a tcp check needs an interval`}, nil},
		{"udp without interval", Check{Name: "c", UDP: "x:1"}, []string{`a udp check needs an interval`}, nil},
		{"grpc without interval", Check{Name: "c", GRPC: "x:1"}, []string{`a grpc check needs an interval`}, nil},
		{"h2ping without interval", Check{Name: "c", H2PING: "x:1"}, []string{`a h2ping check needs an interval`}, nil},
		{"script without interval", Check{Name: "c", Args: []string{"true"}}, []string{`a script check needs an interval`}, nil},
		{"short interval", Check{Name: "c", TCP: "x:1", Interval: 100 * time.Millisecond}, nil, []string{`key "interval": 100ms is below the minimum of 1s`}},
		{"negative interval", Check{Name: "c", TCP: "x:1", Interval: -time.Second}, []string{`key "interval": -1s is negative`}, nil},
		{"negative timeout", Check{Name: "c", TCP: "x:1", Interval: time.Second, Timeout: -1}, []string{`key "timeout"`}, nil},
		{"status", Check{Name: "c", TTL: time.Second, Status: "ok"}, []string{`key "status": "ok" is not passing, warning or critical`}, nil},
		{"status passing", Check{Name: "c", TTL: time.Second, Status: "passing"}, nil, nil},
		{"status warning", Check{Name: "c", TTL: time.Second, Status: "warning"}, nil, nil},
		{"deregister 59s", Check{Name: "c", TTL: time.Second, DeregisterCriticalServiceAfter: 59 * time.Second},
			[]string{`key "deregister_critical_service_after": 59s is below the minimum of 1m0s`}, nil},
		{"deregister 1m", Check{Name: "c", TTL: time.Second, DeregisterCriticalServiceAfter: time.Minute}, nil, nil},
		{"output size", Check{Name: "c", TTL: time.Second, OutputMaxSize: -1}, []string{`key "output_max_size": -1 is negative`}, nil},
		{"success before passing", Check{Name: "c", TTL: time.Second, SuccessBeforePassing: -1}, []string{`key "success_before_passing"`}, nil},
		{"failures before critical", Check{Name: "c", TTL: time.Second, FailuresBeforeCritical: -1}, []string{`key "failures_before_critical"`}, nil},
		{"failures before warning", Check{Name: "c", TTL: time.Second, FailuresBeforeWarning: -1}, []string{`key "failures_before_warning"`}, nil},
		{"http not a URL", Check{Name: "c", HTTP: "localhost:8080", Interval: time.Second}, []string{`key "http": "localhost:8080" is not an http:// or https:// URL`}, nil},
		{"http ftp", Check{Name: "c", HTTP: "ftp://x/", Interval: time.Second}, []string{`not an http:// or https:// URL`}, nil},
		{"http method", Check{Name: "c", HTTP: "http://x/", Interval: time.Second, Method: "get it"}, []string{`key "method"`}, nil},
		{"tcp no port", Check{Name: "c", TCP: "localhost", Interval: time.Second}, []string{`key "tcp": "localhost" is not host:port`}, nil},
		{"tcp bad port", Check{Name: "c", TCP: "localhost:http", Interval: time.Second}, []string{`port "http" is not a number`}, nil},
		{"udp bad", Check{Name: "c", UDP: "x", Interval: time.Second}, []string{`key "udp"`}, nil},
		{"grpc bad", Check{Name: "c", GRPC: "x/svc", Interval: time.Second}, []string{`key "grpc": "x" is not host:port (the form is host:port or host:port/service)`}, nil},
		{"h2ping bad", Check{Name: "c", H2PING: "x", Interval: time.Second}, []string{`key "h2ping"`}, nil},
		{"empty command", Check{Name: "c", Args: []string{""}, Interval: time.Second}, []string{`key "args": the command (the first item) is empty`}, nil},
		{"legacy script", Check{Name: "c", Script: "exit 0", Interval: time.Second}, nil, []string{`key "script": deprecated: it runs as /bin/sh -c`}},
		{"token", Check{Name: "c", TTL: time.Second, Token: "t"}, nil, []string{`key "token": ignored`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.Source = "src"
			c.Normalize()
			warns, err := c.Validate()
			checkOutcome(t, warns, err, tt.errs, tt.warns)
		})
	}
}

func TestScriptsAllowed(t *testing.T) {
	script := Check{Name: "s", Args: []string{"true"}, Interval: time.Second}
	fromFile := script
	fromFile.FromFile, fromFile.Source = true, "config file /x/c.json"
	tests := []struct {
		name          string
		c             Check
		enable, local bool
		err           string
	}{
		{"not a script", Check{Name: "t", TTL: time.Second}, false, false, ""},
		{"API, disabled", script, false, false, "set enable_script_checks"},
		{"API, local only", script, false, true, "set enable_script_checks"},
		{"API, enabled", script, true, false, ""},
		{"file, disabled", fromFile, false, false, `config file /x/c.json: check "s": script checks are disabled: set enable_local_script_checks`},
		{"file, local", fromFile, false, true, ""},
		{"file, enabled", fromFile, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.ScriptsAllowed(tt.enable, tt.local)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
	s := Service{Name: "web", FromFile: true, Checks: []Check{script}}
	s.Normalize()
	if err := s.ScriptsAllowed(false, false); err == nil {
		t.Error("service with a script check from a file: no error")
	}
}
