package checks

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// grpcProbe returns the probe of a grpc check: the grpc.health.v1 Check
// call for the service after the target's "/" (the server's overall health
// when there is none), over TLS with grpc_use_tls. SERVING is passing,
// anything else or no answer critical. Each run uses a fresh connection.
func grpcProbe(def servicedef.Check) (probe, error) {
	server, service, _ := strings.Cut(def.GRPC, "/")
	if server == "" {
		return nil, fmt.Errorf("check %q: grpc target %q has no host:port", def.ID, def.GRPC)
	}
	creds := insecure.NewCredentials()
	if def.GRPCUseTLS {
		creds = credentials.NewTLS(tlsKeyOf(def.TLSServerName, def.TLSSkipVerify).config())
	}
	target := "passthrough:///" + server
	req := &healthpb.HealthCheckRequest{Service: service}
	return func(ctx context.Context) (string, string) {
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
		if err != nil {
			return catalog.StatusCritical, fmt.Sprintf("gRPC %s: %v", def.GRPC, err)
		}
		defer conn.Close()
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, req)
		if err != nil {
			return catalog.StatusCritical, fmt.Sprintf("gRPC %s: %v", def.GRPC, err)
		}
		if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
			return catalog.StatusCritical, fmt.Sprintf("gRPC %s serving status: %s", def.GRPC, st)
		}
		return catalog.StatusPassing, fmt.Sprintf("gRPC check %s: success", def.GRPC)
	}, nil
}
