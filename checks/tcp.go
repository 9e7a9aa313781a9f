package checks

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// tcpProbe returns the probe of a tcp check: a connection, with
// tcp_use_tls a completed TLS handshake, is passing. The dialer tries a
// host name's IPv4 and IPv6 addresses (RFC 6555); the first success wins.
func tcpProbe(def servicedef.Check) probe {
	addr := def.TCP
	var dialer net.Dialer
	if !def.TCPUseTLS {
		return func(ctx context.Context) (string, string) {
			conn, err := dialer.DialContext(ctx, "tcp", addr)
			if err != nil {
				return catalog.StatusCritical, err.Error()
			}
			conn.Close()
			return catalog.StatusPassing, "TCP connect " + addr + ": Success"
		}
	}
	td := &tls.Dialer{NetDialer: &dialer, Config: tlsKeyOf(def.TLSServerName, def.TLSSkipVerify).config()}
	return func(ctx context.Context) (string, string) {
		conn, err := td.DialContext(ctx, "tcp", addr)
		if err != nil {
			return catalog.StatusCritical, err.Error()
		}
		conn.Close()
		return catalog.StatusPassing, "TCP+TLS connect " + addr + ": Success"
	}
}
