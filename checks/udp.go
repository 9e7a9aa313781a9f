package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// udpProbePayload is the datagram a udp check sends.
const udpProbePayload = "discod health check"

// udpProbe returns the probe of a udp check: a datagram is sent on a
// connected socket and any reply within the timeout is passing. No reply
// is critical (unlike Consul; see the package doc), and so is an ICMP port
// unreachable, which the connected socket reports as connection refused.
func udpProbe(def servicedef.Check) probe {
	addr := def.UDP
	var dialer net.Dialer
	return func(ctx context.Context) (string, string) {
		conn, err := dialer.DialContext(ctx, "udp", addr)
		if err != nil {
			return catalog.StatusCritical, err.Error()
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		unblock := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
		defer unblock()
		if _, err := conn.Write([]byte(udpProbePayload)); err != nil {
			return catalog.StatusCritical, err.Error()
		}
		var buf [512]byte
		if _, err := conn.Read(buf[:]); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return catalog.StatusCritical, fmt.Sprintf("UDP %s: no reply within %s", addr, def.Timeout)
			}
			return catalog.StatusCritical, err.Error()
		}
		return catalog.StatusPassing, "UDP connect " + addr + ": Success"
	}
}
