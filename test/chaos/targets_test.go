package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/consul/api"
)

// target is an HTTP or TCP server in the test process that a check
// probes; the schedule starts and stops it to flip the check.
type target struct {
	k    int
	kind string // "http" or "tcp"
	addr string // ip:port
	mu   sync.Mutex
	up   bool
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when the TCP accept loop ends
}

func newTarget(k int, kind string) *target {
	return &target{k: k, kind: kind, addr: fmt.Sprintf("127.0.0.%d:9000", 121+k)}
}

// checkDef is the Consul check definition that probes t.
func (t *target) checkDef(id string) map[string]any {
	d := map[string]any{"id": id, "name": id, "interval": "1s", "timeout": "1s"}
	if t.kind == "http" {
		d["http"] = "http://" + t.addr + "/health"
	} else {
		d["tcp"] = t.addr
	}
	return d
}

// apiCheck is checkDef for an API registration.
func (t *target) apiCheck(id string) *api.AgentServiceCheck {
	c := &api.AgentServiceCheck{CheckID: id, Name: id, Interval: "1s", Timeout: "1s"}
	if t.kind == "http" {
		c.HTTP = "http://" + t.addr + "/health"
	} else {
		c.TCP = t.addr
	}
	return c
}

// isUp reports whether the server runs.
func (t *target) isUp() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.up
}

// set starts or stops the server.
func (t *target) set(up bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if up == t.up {
		return nil
	}
	if !up {
		t.up = false
		if t.srv != nil {
			err := t.srv.Close()
			t.srv = nil
			return err
		}
		err := t.ln.Close()
		<-t.done
		return err
	}
	ln, err := net.Listen("tcp", t.addr)
	if err != nil {
		return fmt.Errorf("target %s: %w", t.addr, err)
	}
	t.up, t.ln = true, ln
	if t.kind == "http" {
		t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("ok\n"))
		}), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = t.srv.Serve(ln) }()
		return nil
	}
	t.done = make(chan struct{})
	go func() {
		defer close(t.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return nil
}

// ttlFeed is one TTL check the test feeds (passes) every second while fed
// is set; starved, it goes critical when its TTL runs out.
type ttlFeed struct {
	s       *slot
	checkID string
	fed     atomic.Bool
}

// feeder passes every fed TTL check once a second until ctx ends. Errors
// (an agent that is down) are ignored: the truth only says what the
// feeder means.
func (w *world) feeder(ctx context.Context, feeds []*ttlFeed) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for _, f := range feeds {
			if f.fed.Load() {
				_ = w.client(f.s.IP()).Agent().UpdateTTL(f.checkID, "fed by the chaos test", api.HealthPassing)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
