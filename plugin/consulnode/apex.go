package consulnode

import (
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// SOA timers, as Consul's: they matter only to secondaries, which this
// zone never has (it refuses transfers), but resolvers display them.
const (
	soaRefresh = 3600
	soaRetry   = 600
	soaExpire  = 86400
)

// apexNames are the fixed names of one forward zone.
type apexNames struct {
	ns   string // ns.<zone>: the name server name and glue owner
	mbox string // hostmaster.<zone>
}

func newApexNames(zone string) apexNames {
	if zone == "." {
		return apexNames{ns: "ns.", mbox: "hostmaster."}
	}
	return apexNames{ns: "ns." + zone, mbox: "hostmaster." + zone}
}

// soa returns zone's SOA record, owned by the apex. Its TTL and minimum are
// negative_ttl, so a negative answer is cached for exactly that long
// (RFC 2308 takes the smaller of the two).
func (cn *ConsulNode) soa(be *backend, zone string) *dns.SOA {
	return cn.soaOwned(be, zone, zone)
}

func (cn *ConsulNode) soaOwned(be *backend, zone, owner string) *dns.SOA {
	n := cn.apexNames[zone]
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: cn.negTTL},
		Ns:      n.ns,
		Mbox:    n.mbox,
		Serial:  be.src.Table().Serial(),
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  cn.negTTL,
	}
}

// apexReply answers at the zone apex: SOA, NS (with the answering agent's
// address as glue for ns.<zone>), both for ANY, NODATA for the rest.
// Records in the answer echo the query name's case.
func (cn *ConsulNode) apexReply(state *request.Request, be *backend, zone string) *dns.Msg {
	owner := state.QName()
	m := cn.reply(state)
	qtype := state.QType()
	if qtype == dns.TypeSOA || qtype == dns.TypeANY {
		m.Answer = append(m.Answer, cn.soaOwned(be, zone, owner))
	}
	if qtype == dns.TypeNS || qtype == dns.TypeANY {
		ns := cn.apexNames[zone].ns
		m.Answer = append(m.Answer, &dns.NS{
			Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: cn.ttl},
			Ns:  ns,
		})
		if rr := addrRR(ns, dns.TypeANY, be.src.Local().Addr, cn.ttl); rr != nil {
			m.Extra = append(m.Extra, rr)
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{cn.soa(be, zone)}
	}
	return m
}

// nsHostReply answers ns.<zone>: the answering agent's advertised address
// for A, AAAA (whichever family it is) and ANY, NODATA otherwise.
func (cn *ConsulNode) nsHostReply(state *request.Request, be *backend, zone string) *dns.Msg {
	if rr := addrRR(state.QName(), state.QType(), be.src.Local().Addr, cn.ttl); rr != nil {
		return cn.answerOrNoData(state, be, zone, []dns.RR{rr})
	}
	return cn.answerOrNoData(state, be, zone, nil)
}
