package httpapi

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

func TestWatchSpecPath(t *testing.T) {
	tests := []struct {
		name string
		spec WatchSpec
		want string // a path, or "error: <part of the message>"
	}{
		{"nodes", WatchSpec{Type: "nodes"}, "/v1/catalog/nodes"},
		{"services", WatchSpec{Type: "services"}, "/v1/catalog/services"},
		{"service", WatchSpec{Type: "service", Service: "web", Tags: []string{"a", "b"}, PassingOnly: true}, "/v1/health/service/web?passing=1&tag=a&tag=b"},
		{"checks any", WatchSpec{Type: "checks"}, "/v1/health/state/any"},
		{"checks state", WatchSpec{Type: "checks", State: "critical"}, "/v1/health/state/critical"},
		{"checks of a service", WatchSpec{Type: "checks", Service: "web"}, "/v1/health/checks/web"},
		{"filter", WatchSpec{Type: "nodes", Filter: `Node == "a"`}, "/v1/catalog/nodes?filter=Node+%3D%3D+%22a%22"},
		{"no type", WatchSpec{}, "error: needs a type"},
		{"unknown type", WatchSpec{Type: "key"}, `error: "key" is not served`},
		{"service without name", WatchSpec{Type: "service"}, "error: -service"},
		{"bad state", WatchSpec{Type: "checks", State: "sad"}, `error: "sad"`},
		{"service and state", WatchSpec{Type: "checks", Service: "web", State: "passing"}, "error: not both"},
		{"tag on nodes", WatchSpec{Type: "nodes", Tags: []string{"a"}}, "error: service watch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.Path()
			if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Path() = %q, %v; want an error containing %q", got, err, want)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Path() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestClientWatch(t *testing.T) {
	_, a, ts, _ := conformanceServer(t)
	c, err := NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fired := make(chan []Node, 8)
	done := make(chan error, 1)
	go func() {
		done <- c.Watch(ctx, WatchSpec{Type: "nodes"}, time.Minute, func(_ uint64, body []byte) error {
			var nodes []Node
			if err := json.Unmarshal(body, &nodes); err != nil {
				return err
			}
			fired <- nodes
			return nil
		}, nil)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	next := func(want int) {
		t.Helper()
		select {
		case nodes := <-fired:
			if len(nodes) != want {
				t.Errorf("watch saw %d nodes; want %d", len(nodes), want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("watch did not fire for %d nodes", want)
		}
	}
	next(4)
	// A change to another result (a service) must not fire the handler;
	// the node below must, once.
	a.Table().ReplaceRecords("web-2", catalog.Version{Epoch: 9}, nil, nil)
	a.Table().Upsert(catalog.Node{Name: "web-9", Addr: netip.MustParseAddr("127.0.0.184"), Datacenter: "dc1", State: catalog.StateAlive})
	next(5)
	select {
	case nodes := <-fired:
		t.Errorf("handler fired again with %d nodes and no change", len(nodes))
	case <-time.After(50 * time.Millisecond):
	}
}
