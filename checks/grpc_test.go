package checks

import (
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/discod/discod/servicedef"
)

func TestGRPC(t *testing.T) {
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	hs := health.NewServer()
	hs.SetServingStatus("billing", healthpb.HealthCheckResponse_SERVING)
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Stop()
			<-done
		}
	}
	t.Cleanup(stop)

	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "billing", GRPC: addr + "/billing", Interval: fast})
	r.Start(servicedef.Check{ID: "server", GRPC: addr, Interval: fast})
	r.Start(servicedef.Check{ID: "unknown", GRPC: addr + "/nothing", Interval: fast})
	if got := rec.waitFor(t, "billing", "passing"); got.output != "gRPC check "+addr+"/billing: success" {
		t.Errorf("output %q", got.output)
	}
	rec.waitFor(t, "server", "passing") // the server's overall health, "" is SERVING
	if got := rec.waitFor(t, "unknown", "critical"); !strings.Contains(got.output, "NotFound") {
		t.Errorf("unknown service: output %q", got.output)
	}

	hs.SetServingStatus("billing", healthpb.HealthCheckResponse_NOT_SERVING)
	if got := rec.waitFor(t, "billing", "critical"); !strings.Contains(got.output, "NOT_SERVING") {
		t.Errorf("output %q", got.output)
	}
	hs.SetServingStatus("billing", healthpb.HealthCheckResponse_SERVING)
	rec.waitFor(t, "billing", "passing")

	stop()
	if got := rec.waitFor(t, "server", "critical"); !strings.Contains(got.output, "Unavailable") {
		t.Errorf("server down: output %q", got.output)
	}
}
