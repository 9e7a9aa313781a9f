package consulnode

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// Service answers. Instances come from the catalog store only
// (catalog.Store.AppendEndpoints: healthy instances of one name, so a
// lookup costs the instances of that name, never the datacenter), through
// a cache that follows the store's index of the name (endpoints.go). The
// instances are shuffled per query; each one becomes a group of records
// (its answer and the additional records it needs), and a reply that does
// not fit the client is cut whole groups at a time (truncate.go).

// scratch is the working memory of one service lookup. It is pooled, so
// that a lookup allocates only its reply.
type scratch struct {
	eps     []catalog.Endpoint      // the instances (shared with the cache: read only)
	order   order                   // the random order they are looked at in
	seen    map[netip.Addr]struct{} // addresses answered (A)
	seenSRV map[srvKey]struct{}     // SRV (target, port) pairs answered, additional records added
	ids     map[string]int          // DNS-SD: instances per lower-case service ID
	ends    []groupEnd              // where each instance's records end
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{seen: map[netip.Addr]struct{}{}, seenSRV: map[srvKey]struct{}{}, ids: map[string]int{}}
}}

// getScratch returns a scratch holding eps, in a fresh random order.
func getScratch(eps []catalog.Endpoint) *scratch {
	sc := scratchPool.Get().(*scratch)
	sc.eps = eps
	sc.order.reset(len(eps))
	return sc
}

// release empties sc (dropping its references into the store) and pools it.
func (sc *scratch) release() {
	sc.eps = nil
	clear(sc.seen)
	clear(sc.seenSRV)
	clear(sc.ids)
	sc.ends = sc.ends[:0]
	scratchPool.Put(sc)
}

// endGroup ends the instance whose records were appended to m since the
// previous one: it returns true, having noted where they end, when they
// can still fit room; else it takes them out of m again and returns
// false, and the builder stops (the instance and those after it are left
// out).
func (sc *scratch) endGroup(m *dns.Msg, room *budget) bool {
	var prev groupEnd
	if len(sc.ends) > 0 {
		prev = sc.ends[len(sc.ends)-1]
	}
	if !room.take(floorOf(m.Answer[prev.ans:]) + floorOf(m.Extra[prev.ext:])) {
		m.Answer, m.Extra = m.Answer[:prev.ans], m.Extra[:prev.ext]
		return false
	}
	sc.ends = append(sc.ends, groupEnd{ans: len(m.Answer), ext: len(m.Extra)})
	return true
}

// srvKey identifies an SRV answer: Consul de-duplicates by address and port.
type srvKey struct {
	addr netip.Addr
	host string
	port int
}

// target is where the asker reaches one instance.
type target struct {
	addr netip.Addr // the IP to answer; invalid for a host name
	host string     // a host name (FQDN) outside our zones, "" for an IP
	port int
	own  bool // addr is the service's own address (SRV target <hex>.addr.<dc>.<zone>)
}

// targetOf returns where ep is reached: its service address when it has
// one, else its node's address; for a question from another datacenter
// (wan) its `wan` tagged address, or its node's WAN address, when there is
// one. A host name inside one of our forward zones is not followed (it
// could loop): the node's address is answered instead, as Consul does.
func (cn *ConsulNode) targetOf(ep *catalog.Endpoint, wan bool) target {
	addr, port := ep.Address, ep.Port
	if wan {
		if ta, ok := ep.TaggedAddresses["wan"]; ok && ta.Address != "" {
			addr = ta.Address
			if ta.Port != 0 {
				port = ta.Port
			}
		}
	}
	if addr != "" {
		if ip, err := netip.ParseAddr(addr); err == nil {
			return target{addr: ip.Unmap(), port: port, own: true}
		}
		host := dns.Fqdn(addr)
		if !cn.inForwardZone(host) {
			return target{host: host, port: port}
		}
	}
	na := ep.NodeAddr
	if wan && ep.NodeWANAddr.IsValid() {
		na = ep.NodeWANAddr
	}
	return target{addr: na, port: port}
}

// inForwardZone reports whether name (an FQDN in any case) is in one of
// the plugin's forward zones.
func (cn *ConsulNode) inForwardZone(name string) bool {
	for _, z := range cn.fwdZones {
		if len(name) < len(z) || !strings.EqualFold(name[len(name)-len(z):], z) {
			continue
		}
		if len(name) == len(z) || z == "." || name[len(name)-len(z)-1] == '.' {
			return true
		}
	}
	return false
}

// targetName returns the SRV target of t, an instance of ep: the host
// name, <hex>.addr.<dc>.<zone> for a service with its own IP, else
// <node>.node.<dc>.<zone>. One allocation.
func targetName(ep *catalog.Endpoint, t target, dc, zone string) string {
	if ep.Datacenter != "" {
		dc = ep.Datacenter
	}
	if zone == "." {
		zone = ""
	}
	switch {
	case t.host != "":
		return t.host
	case t.own:
		var buf [32]byte
		return string(appendHex(buf[:0], t.addr)) + ".addr." + dc + "." + zone
	}
	return strings.ToLower(ep.Node) + ".node." + dc + "." + zone
}

// appendHex appends addr as Consul's .addr label: 8 hex digits for IPv4,
// 32 for IPv6.
func appendHex(b []byte, addr netip.Addr) []byte {
	const digits = "0123456789abcdef"
	if addr.Is4() {
		a := addr.As4()
		for _, c := range a {
			b = append(b, digits[c>>4], digits[c&15])
		}
		return b
	}
	a := addr.As16()
	for _, c := range a {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}

// clamp16 returns v within [0, 65535].
func clamp16(v int) uint16 { return uint16(min(max(v, 0), 65535)) }

// serviceReply answers [<tag>.]<svc>.service and its RFC 2782 forms in
// the local datacenter: A/AAAA/ANY with the addresses, SRV with the
// instances, PTR on the DNS-SD service type _<svc>._tcp.<zone>, NODATA
// for other types; NXDOMAIN when no instance is healthy.
func (cn *ConsulNode) serviceReply(state *request.Request, be *backend, zone string, q query) *dns.Msg {
	eps := cn.endpoints(be.src.Table(), q.svc, q.tag)
	if len(eps) == 0 {
		return cn.negative(state, be, zone, dns.RcodeNameError)
	}
	sc := getScratch(eps)
	defer sc.release()
	ttl := cn.serviceTTL.lookup(q.svc)
	switch state.QType() {
	case dns.TypeA, dns.TypeAAAA, dns.TypeANY:
		return cn.addrAnswer(state, be, zone, sc, ttl)
	case dns.TypeSRV:
		return cn.srvAnswer(state, be, zone, sc, ttl)
	case dns.TypePTR:
		if q.browse {
			return cn.sdInstancesReply(state, be, zone, sc, ttl) // dnssd.go
		}
	}
	return cn.negative(state, be, zone, dns.RcodeSuccess)
}

// wantsAddr reports whether an address answer to qtype includes addr.
func wantsAddr(qtype uint16, addr netip.Addr) bool {
	return qtype == dns.TypeANY || addr.Is4() && qtype == dns.TypeA || addr.Is6() && qtype == dns.TypeAAAA
}

// addrAnswer answers A, AAAA or ANY with the instances' addresses,
// de-duplicated. When no instance has an IP address but some have a host
// name, the answer is one CNAME to one of them (never two CNAMEs at one
// owner); instances with IP addresses are preferred, as in Consul.
func (cn *ConsulNode) addrAnswer(state *request.Request, be *backend, zone string, sc *scratch, ttl uint32) *dns.Msg {
	owner, qtype := state.QName(), state.QType()
	wan := hopOf(state.Req) == membership.HopWAN
	lim := cn.limits(state, true)
	m := cn.reply(state)
	room := newBudget(m, lim.size)
	m.Answer = make([]dns.RR, 0, min(len(sc.eps), lim.build))
	host, anyIP, more := "", false, false
	for i, ok := sc.order.next(); ok; i, ok = sc.order.next() {
		t := cn.targetOf(&sc.eps[i], wan)
		if !t.addr.IsValid() {
			if host == "" {
				host = t.host
			}
			continue
		}
		anyIP = true
		if !wantsAddr(qtype, t.addr) {
			continue
		}
		if _, dup := sc.seen[t.addr]; dup {
			continue
		}
		if len(m.Answer) == lim.build {
			more = true
			break
		}
		sc.seen[t.addr] = struct{}{}
		m.Answer = append(m.Answer, addrRR(owner, qtype, t.addr, ttl))
		if !sc.endGroup(m, &room) {
			more = true
			break
		}
	}
	if len(m.Answer) == 0 && !more {
		if anyIP || host == "" {
			return cn.negative(state, be, zone, dns.RcodeSuccess)
		}
		m.Answer = append(m.Answer, &dns.CNAME{
			Hdr:    dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl},
			Target: host,
		})
		return m
	}
	fit(m, sc.ends, lim.size, more && lim.cutTC())
	return m
}

// srvAnswer answers SRV: priority 1, the instance's weight and port, and
// its target, whose address goes in the additional section.
func (cn *ConsulNode) srvAnswer(state *request.Request, be *backend, zone string, sc *scratch, ttl uint32) *dns.Msg {
	owner := state.QName()
	wan := hopOf(state.Req) == membership.HopWAN
	lim := cn.limits(state, false)
	m := cn.reply(state)
	room := newBudget(m, lim.size)
	n := min(len(sc.eps), lim.build)
	m.Answer = make([]dns.RR, 0, n)
	m.Extra = make([]dns.RR, 0, n)
	more := false
	for i, ok := sc.order.next(); ok; i, ok = sc.order.next() {
		ep := &sc.eps[i]
		t := cn.targetOf(ep, wan)
		key := srvKey{addr: t.addr, host: t.host, port: t.port}
		if !t.own && t.host == "" {
			key.host = ep.Node // instances on different nodes sharing an address stay apart
		}
		if _, dup := sc.seenSRV[key]; dup {
			continue
		}
		if len(m.Answer) == lim.build {
			more = true
			break
		}
		sc.seenSRV[key] = struct{}{}
		name := targetName(ep, t, be.dc, zone)
		m.Answer = append(m.Answer, &dns.SRV{
			Hdr:      dns.RR_Header{Name: owner, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
			Priority: 1, Weight: clamp16(ep.Weight), Port: clamp16(t.port), Target: name,
		})
		m.Extra = cn.appendTargetAddr(m.Extra, sc, name, t, ttl)
		if !sc.endGroup(m, &room) {
			more = true
			break
		}
	}
	fit(m, sc.ends, lim.size, more && lim.cutTC())
	return m
}

// appendTargetAddr appends the A or AAAA record of an SRV target to
// extra, once per target name.
func (cn *ConsulNode) appendTargetAddr(extra []dns.RR, sc *scratch, name string, t target, ttl uint32) []dns.RR {
	if !t.addr.IsValid() {
		return extra
	}
	key := srvKey{addr: t.addr, host: name, port: -1}
	if _, dup := sc.seenSRV[key]; dup {
		return extra
	}
	sc.seenSRV[key] = struct{}{}
	return append(extra, addrRR(name, dns.TypeANY, t.addr, ttl))
}
