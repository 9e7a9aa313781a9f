package checks

import (
	"fmt"

	"github.com/discod/discod/servicedef"
)

// probeFor returns the probe of an active check, or an error naming the
// check when its type cannot be probed.
func (r *Runner) probeFor(def servicedef.Check) (probe, error) {
	switch typ := def.Type(); typ {
	case servicedef.TypeHTTP:
		return r.httpProbe(def), nil
	case servicedef.TypeTCP:
		return tcpProbe(def), nil
	case servicedef.TypeUDP:
		return udpProbe(def), nil
	case servicedef.TypeGRPC:
		return grpcProbe(def)
	case servicedef.TypeH2Ping:
		return h2pingProbe(def), nil
	case servicedef.TypeScript:
		return r.scriptProbe(def), nil
	case "":
		return nil, fmt.Errorf("check %q has no type (http, tcp, udp, grpc, h2ping, ttl, args, alias_service/alias_node)", def.ID)
	default:
		return nil, fmt.Errorf("check %q: type %s is not run by the check runner", def.ID, typ)
	}
}
