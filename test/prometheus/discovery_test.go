// Package prometheus runs Prometheus's own Consul service discovery
// (github.com/prometheus/prometheus/discovery/consul) against a real
// discod agent. It is a module of its own so that Prometheus's
// dependencies stay out of discod's go.mod; .ci/run runs it.
package prometheus

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/consul"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// The agent's address: this test module's own loopback address.
const ip = "127.0.0.70"

func TestConsulDiscoveryFindsServices(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "discod")
	build := exec.Command("go", "build", "-o", bin, "./cmd/discod")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build discod: %v\n%s", err, out)
	}
	conf := t.TempDir()
	web := `{"service": {"name": "web", "tags": ["rails"], "port": 80, "meta": {"version": "1.2"}}}`
	if err := os.WriteFile(filepath.Join(conf, "web.json"), []byte(web), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	agent := exec.Command(bin, "agent", "-dev", "-node", "prom-node", "-bind", ip, "-client", ip, "-config-dir", conf)
	agent.Stdout, agent.Stderr = &out, &out
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Kill()
		_ = agent.Wait()
		if t.Failed() {
			t.Logf("agent output:\n%s", out.String())
		}
	})
	waitFor(t, 20*time.Second, "the agent's HTTP API", func() bool {
		c, err := net.DialTimeout("tcp", ip+":8500", 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	cfg := consul.DefaultSDConfig
	cfg.Server = ip + ":8500"
	reg := prometheus.NewRegistry()
	refresh := discovery.NewRefreshMetrics(reg)
	metrics := cfg.NewDiscovererMetrics(reg, refresh)
	if err := metrics.Register(); err != nil {
		t.Fatal(err)
	}
	d, err := consul.NewDiscovery(&cfg, promslog.NewNopLogger(), metrics)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan []*targetgroup.Group, 16)
	done := make(chan struct{})
	go func() { d.Run(ctx, ch); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	// The seed's instance, with Consul's labels.
	tg := waitGroup(t, ch, "web", 1)
	target := tg.Targets[0]
	want := map[model.LabelName]string{
		"__address__":                            ip + ":80",
		"__meta_consul_service":                  "web",
		"__meta_consul_node":                     "prom-node",
		"__meta_consul_tags":                     ",rails,",
		"__meta_consul_health":                   "passing",
		"__meta_consul_service_port":             "80",
		"__meta_consul_service_id":               "web",
		"__meta_consul_dc":                       "dc1",
		"__meta_consul_address":                  ip,
		"__meta_consul_service_metadata_version": "1.2",
	}
	for k, v := range want {
		got := string(target[k])
		if got == "" {
			got = string(tg.Labels[k])
		}
		if got != v {
			t.Errorf("label %s = %q; want %q (target %v, group labels %v)", k, got, v, target, tg.Labels)
		}
	}

	// A second instance registered over the API is followed.
	req, _ := http.NewRequest(http.MethodPut, "http://"+ip+":8500/v1/agent/service/register",
		strings.NewReader(`{"Name": "web", "ID": "web-2", "Port": 8080}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("register: %v %v", err, resp)
	}
	resp.Body.Close()
	waitGroup(t, ch, "web", 2)
}

// waitGroup reads target groups from ch until the group of service has n
// targets, for at most 60 s (Prometheus's first catalog read and its
// blocking watches answer at once against a blocking server).
func waitGroup(t *testing.T, ch <-chan []*targetgroup.Group, service string, n int) *targetgroup.Group {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case groups := <-ch:
			for _, g := range groups {
				if g != nil && g.Source == service && len(g.Targets) == n {
					return g
				}
			}
		case <-deadline:
			t.Fatalf("no target group for %s with %d targets within 60s", service, n)
		}
	}
}

// waitFor polls cond every 50 ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
