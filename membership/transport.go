package membership

import (
	"fmt"
	"log"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// boundTransport is memberlist's NetTransport with one change: outgoing TCP
// connections (push/pull, the TCP fallback of probes, reliable messages)
// leave from the gossip bind address instead of whatever source address
// the kernel picks. On a multi-homed host (and on loopback, where the
// kernel would pick 127.0.0.1) that keeps all of a node's gossip on one
// address, so firewall rules and peers see the address the node
// advertises. UDP already leaves from the bound socket.
type boundTransport struct {
	*memberlist.NetTransport
	dialer net.Dialer
}

// newTransport binds the gossip sockets. Port 0 picks a free port, with
// retries as memberlist itself does (binding UDP and TCP on one free port
// is racy). It returns the transport and the bound port.
func newTransport(bind netip.Addr, port int, logger *log.Logger) (*boundTransport, int, error) {
	nc := &memberlist.NetTransportConfig{BindAddrs: []string{bind.String()}, BindPort: port, Logger: logger}
	tries := 1
	if port == 0 {
		tries = 10
	}
	var nt *memberlist.NetTransport
	var err error
	for range tries {
		nt, err = memberlist.NewNetTransport(nc)
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("bind gossip sockets: %w", err)
	}
	t := &boundTransport{NetTransport: nt}
	if !bind.IsUnspecified() {
		t.dialer.LocalAddr = &net.TCPAddr{IP: bind.AsSlice()}
	}
	return t, nt.GetAutoBindPort(), nil
}

// DialTimeout implements memberlist.Transport.
func (t *boundTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	d := t.dialer
	d.Timeout = timeout
	return d.Dial("tcp", addr)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport.
func (t *boundTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}
