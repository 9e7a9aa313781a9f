package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/consul/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// target is what a check probes, inside the test process: an HTTP, TCP,
// UDP or cleartext HTTP/2 (h2ping) server that the schedule starts and
// stops, a gRPC health server
// whose status it sets to SERVING or NOT_SERVING, or a file whose
// existence a script check tests. Flipping it flips the check.
type target struct {
	k    int
	kind string // "http", "tcp", "grpc", "udp", "h2ping" or "script"
	addr string // ip:port; for "script", the file's path
	mu   sync.Mutex
	up   bool
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when the TCP accept or UDP echo loop ends
	pc   net.PacketConn
	gsrv *grpc.Server
	hs   *health.Server
}

func newTarget(k int, kind string) *target {
	return &target{k: k, kind: kind, addr: fmt.Sprintf("127.0.0.%d:9000", 121+k)}
}

// newExtraTarget makes a target of one of the kinds that came later
// (gRPC, UDP, h2ping, script), numbered from 0 on 127.0.0.129–139; a script
// target's file lives in dir.
func newExtraTarget(k int, kind, dir string) *target {
	t := &target{k: k, kind: kind, addr: fmt.Sprintf("127.0.0.%d:9000", 129+k)}
	if kind == "script" {
		t.addr = filepath.Join(dir, fmt.Sprintf("script-%d.ok", k))
	}
	return t
}

// checkDef is the Consul check definition that probes t.
func (t *target) checkDef(id string) map[string]any {
	d := map[string]any{"id": id, "name": id, "interval": "1s", "timeout": "1s"}
	switch t.kind {
	case "http":
		d["http"] = "http://" + t.addr + "/health"
	case "tcp":
		d["tcp"] = t.addr
	case "grpc":
		d["grpc"] = t.addr
	case "udp":
		d["udp"] = t.addr
	case "h2ping":
		d["h2ping"] = t.addr
		d["h2ping_use_tls"] = false
	case "script":
		// Exit 1 would be "warning", which DNS still answers (as
		// Consul's does); 2 is critical.
		d["args"] = []string{"sh", "-c", `test -e "$0" || exit 2`, t.addr}
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
	switch t.kind {
	case "grpc":
		return t.setGRPC(up)
	case "udp":
		return t.setUDP(up)
	case "script":
		return t.setScript(up)
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
	if t.kind == "http" || t.kind == "h2ping" {
		t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("ok\n"))
		}), ReadHeaderTimeout: 5 * time.Second}
		if t.kind == "h2ping" {
			// HTTP/2 with prior knowledge, as h2ping_use_tls = false
			// dials it: the server answers the check's PING frames.
			t.srv.Protocols = new(http.Protocols)
			t.srv.Protocols.SetUnencryptedHTTP2(true)
		}
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

// setGRPC starts the gRPC health server the first time and sets the
// server's overall status ("") to SERVING or NOT_SERVING; t.mu is held.
func (t *target) setGRPC(up bool) error {
	if t.gsrv == nil {
		ln, err := net.Listen("tcp", t.addr)
		if err != nil {
			return fmt.Errorf("target %s: %w", t.addr, err)
		}
		t.hs = health.NewServer()
		t.gsrv = grpc.NewServer()
		healthpb.RegisterHealthServer(t.gsrv, t.hs)
		t.done = make(chan struct{})
		go func() { defer close(t.done); _ = t.gsrv.Serve(ln) }()
	}
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if up {
		st = healthpb.HealthCheckResponse_SERVING
	}
	t.hs.SetServingStatus("", st)
	t.up = up
	return nil
}

// setUDP starts or stops a UDP server that echoes every datagram (a udp
// check passes on any reply); t.mu is held.
func (t *target) setUDP(up bool) error {
	if !up {
		t.up = false
		err := t.pc.Close()
		<-t.done
		return err
	}
	pc, err := net.ListenPacket("udp", t.addr)
	if err != nil {
		return fmt.Errorf("target %s: %w", t.addr, err)
	}
	t.up, t.pc, t.done = true, pc, make(chan struct{})
	go func() {
		defer close(t.done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:n], from)
		}
	}()
	return nil
}

// setScript creates or removes the file the script check tests; t.mu is
// held.
func (t *target) setScript(up bool) error {
	t.up = up
	if up {
		return os.WriteFile(t.addr, []byte("ok\n"), 0o644)
	}
	return os.Remove(t.addr)
}

// close stops whatever t runs, at the end of the test.
func (t *target) close() {
	_ = t.set(false)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gsrv != nil {
		t.gsrv.Stop()
		<-t.done
		t.gsrv = nil
	}
}

// ttlFeed is one TTL check the test feeds (passes) every second while fed
// is set; starved, it goes critical when its TTL runs out.
type ttlFeed struct {
	s       *slot
	checkID string
	fed     atomic.Bool
}

// feeder passes every fed TTL check once a second until ctx ends, each
// check from its own goroutine, so that an agent slow to answer (frozen,
// cut off) does not delay the others' feeding past their TTL. A request
// gets 2 s. Errors (an agent that is down) are ignored: the truth only
// says what the feeder means.
func (w *world) feeder(ctx context.Context, feeds []*ttlFeed) {
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			lastOK, failed := time.Now(), 0
			for {
				if f.fed.Load() {
					rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					err := w.client(f.s.IP()).Agent().UpdateTTLOpts(f.checkID, "fed by the chaos test", api.HealthPassing, (&api.QueryOptions{}).WithContext(rctx))
					cancel()
					switch {
					case err != nil:
						failed++
					case time.Since(lastOK) > 4*time.Second && ctx.Err() == nil:
						// Not a failure (the agent may have been down), but
						// what explains a TTL check going critical.
						w.t.Logf("chaos: %s TTL %s on %s fed again after %v (%d requests failed)", stamp(), f.checkID, f.s.name, time.Since(lastOK).Round(100*time.Millisecond), failed)
						fallthrough
					default:
						lastOK, failed = time.Now(), 0
					}
				} else {
					lastOK, failed = time.Now(), 0
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	wg.Wait()
}
