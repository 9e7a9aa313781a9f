package consulnode

import (
	"context"
	"errors"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// Several datacenters. Names of the local datacenter are answered from the
// local table and never leave the agent. A node name in another
// datacenter is forwarded, as a DNS question, to a server (see
// forward.go): a client asks a server of its own datacenter, a server
// asks a server of that datacenter over the WAN, which answers from its own
// table. Which datacenters exist, and which servers to ask, comes from
// membership.Federation: it reads memory only.

// federated is implemented by sources that know about other datacenters
// (*membership.Agent). Other sources get a Federation built from their
// table: they know the datacenters their servers gossip.
type federated interface {
	Federation() membership.Federation
}

// federation returns what be's agent knows about datacenters.
func (cn *ConsulNode) federation(be *backend) membership.Federation {
	if f, ok := be.src.(federated); ok {
		return f.Federation()
	}
	return membership.Federation{Datacenter: be.dc, Self: be.src.Local().Name, LAN: be.src.Table()}
}

// lookupMember finds node in the local datacenter (dc is "" or the local
// one; other datacenters are served by remoteReply) and writes it into *m.
// node and dc are lower case. The local table only holds the local
// datacenter's pool, so a member that reports another datacenter is not
// found here. It fills the caller's Member rather than returning one, so
// that the query path holds one ~300-byte copy on its stack, not several
// (see nodeReply).
func (cn *ConsulNode) lookupMember(be *backend, node, dc string, m *membership.Member) bool {
	if dc != "" && dc != be.dc {
		return false
	}
	// LookupInto copies the member straight into *m: Lookup's returned
	// copy would be a second member-sized temporary on this frame, deep in
	// the query goroutine's stack.
	ok := be.src.Table().LookupInto(node, m)
	if !ok {
		// A node without an agent that one registered (PUT
		// /v1/catalog/register), when its address is an IP.
		ok = be.src.Table().LookupExternalInto(node, m)
	}
	return ok && (m.Datacenter == "" || m.Datacenter == be.dc)
}

// answersNode reports whether a member gets an answer, by name and by
// address (PTR): when it is answerable (catalog.Node.Answerable: alive and
// not in maintenance, the rule service answers follow too) or, with
// `failed answer`, failed and not in maintenance. Leaving and left members
// never are. A node in maintenance is taken out of answers as if it were
// not there: NXDOMAIN, not NODATA, so that resolvers and clients treat it
// like a node that is gone (and negative-cache it only for the SOA
// minimum).
func (cn *ConsulNode) answersNode(m *membership.Member) bool {
	return m.Answerable() || cn.failedAnswer && m.State == membership.StateFailed && m.Maintenance == ""
}

// forRequester makes m what the asker should see: its WAN address in
// place of its LAN address when it has one and the question came from
// another datacenter (Consul's translate_wan_addrs, always on). It reads
// the question's EDNS0 options only for members that have a WAN address,
// and never allocates.
func forRequester(r *dns.Msg, m *membership.Member) {
	if m.WANAddr.IsValid() && hopOf(r) == membership.HopWAN {
		m.Addr = m.WANAddr
	}
}

// datacenterKnown reports whether dc ("" for the local one) is a
// datacenter this plugin answers for, so that <dc>.<zone> and
// node.<dc>.<zone> are empty non-terminals rather than NXDOMAIN.
func (cn *ConsulNode) datacenterKnown(be *backend, dc string) bool {
	return dc == "" || dc == be.dc || cn.remoteDatacenterKnown(be, dc)
}

// remoteDatacenterKnown reports whether dc, not the local datacenter, is
// known: from the WAN pool on a server, from the lists the servers of its
// datacenter send on a client (whole lists: nothing is left out).
func (cn *ConsulNode) remoteDatacenterKnown(be *backend, dc string) bool {
	return cn.federation(be).Known(dc) != membership.Unknown
}

// remoteReply answers a node or service name in datacenter dc, not the
// local one, by forwarding the question. An unknown datacenter is
// NXDOMAIN with the SOA; a known one that cannot be reached now (no alive
// server, or no server answered) is SERVFAIL, never NXDOMAIN, so
// resolvers do not cache the node as gone. The answer carries the remote
// answer's TTLs and its additional records (the SRV targets' addresses);
// the remote server answered with WAN addresses, since the question came
// over the WAN.
func (cn *ConsulNode) remoteReply(ctx context.Context, state *request.Request, be *backend, zone, dc string) *dns.Msg {
	route, err := cn.federation(be).Route(dc, hopOf(state.Req), hasDNS)
	if errors.Is(err, membership.ErrUnknownDatacenter) {
		return cn.negative(state, be, zone, dns.RcodeNameError)
	}
	if err != nil {
		return cn.servfail(state, dc, err)
	}
	resp, err := cn.forward(ctx, state, route)
	if err != nil {
		return cn.servfail(state, dc, err)
	}
	m := cn.reply(state)
	m.Rcode = resp.Rcode
	m.Answer = resp.Answer
	m.Ns = resp.Ns
	for _, rr := range resp.Extra {
		if rr.Header().Rrtype != dns.TypeOPT { // the server adds our own OPT
			m.Extra = append(m.Extra, rr)
		}
	}
	return m
}

// hasDNS reports whether m gossips a DNS address to forward to.
func hasDNS(m membership.Member) bool { return m.DNSAddr.IsValid() }
