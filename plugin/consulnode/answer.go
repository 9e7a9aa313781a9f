package consulnode

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// reply returns an empty authoritative reply to state's question.
func (cn *ConsulNode) reply(state *request.Request) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	m.RecursionAvailable = cn.ra
	return m
}

// write sends m and counts it: the one place every reply the plugin
// builds is written. It returns success whatever the outcome:
// the reply has been written (or the client is gone), so the server must
// not write another.
func (cn *ConsulNode) write(ctx context.Context, state *request.Request, m *dns.Msg) (int, error) {
	if err := state.W.WriteMsg(m); err != nil {
		log.Debugf("write reply for %s: %v", state.QName(), err)
	}
	switch {
	case m.Rcode == dns.RcodeServerFailure:
		cn.count(ctx, resultServFail)
	case m.Rcode == dns.RcodeNameError:
		cn.count(ctx, resultNXDomain)
	case len(m.Answer) == 0:
		cn.count(ctx, resultNoData)
	default:
		cn.count(ctx, resultAnswer)
	}
	return dns.RcodeSuccess, nil
}

// negative returns NXDOMAIN (rcode dns.RcodeNameError) or NODATA
// (dns.RcodeSuccess, no answer) with zone's SOA in the authority section,
// as RFC 2308 asks, so resolvers cache the negative answer for negative_ttl.
func (cn *ConsulNode) negative(state *request.Request, be *backend, zone string, rcode int) *dns.Msg {
	m := cn.reply(state)
	m.Rcode = rcode
	m.Ns = []dns.RR{cn.soa(be, zone)}
	return m
}

// answerOrNoData returns answer, or NODATA when it is empty: the name
// exists (the caller checked) but has no record of the asked type.
func (cn *ConsulNode) answerOrNoData(state *request.Request, be *backend, zone string, answer []dns.RR) *dns.Msg {
	if len(answer) == 0 {
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	}
	m := cn.reply(state)
	m.Answer = answer
	return m
}

// memberReply answers for an existing member: its address for A, AAAA and
// ANY, its node metadata for TXT, NODATA for every other type.
func (cn *ConsulNode) memberReply(state *request.Request, be *backend, zone string, m *membership.Member) *dns.Msg {
	owner := state.QName()
	qtype := state.QType()
	if qtype == dns.TypeTXT {
		return cn.answerOrNoData(state, be, zone, metaTXT(owner, m.Meta, cn.ttl))
	}
	if rr := addrRR(owner, qtype, m.Addr, cn.ttl); rr != nil {
		return cn.answerOrNoData(state, be, zone, []dns.RR{rr})
	}
	return cn.answerOrNoData(state, be, zone, nil)
}

// addrReply answers <hex>.addr.<zone>: the decoded address for A or AAAA
// (whichever family it is) and ANY, NODATA otherwise.
func (cn *ConsulNode) addrReply(state *request.Request, be *backend, zone string, addr netip.Addr) *dns.Msg {
	if rr := addrRR(state.QName(), state.QType(), addr, cn.ttl); rr != nil {
		return cn.answerOrNoData(state, be, zone, []dns.RR{rr})
	}
	return cn.answerOrNoData(state, be, zone, nil)
}

// addrRR returns the A or AAAA record for addr if qtype asks for it (A for
// an IPv4 address, AAAA for IPv6, either for ANY), else nil.
func addrRR(owner string, qtype uint16, addr netip.Addr, ttl uint32) dns.RR {
	switch {
	case !addr.IsValid():
		return nil
	case addr.Is4() && (qtype == dns.TypeA || qtype == dns.TypeANY):
		return &dns.A{
			Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
			A:   addr.AsSlice(),
		}
	case addr.Is6() && (qtype == dns.TypeAAAA || qtype == dns.TypeANY):
		return &dns.AAAA{
			Hdr:  dns.RR_Header{Name: owner, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl},
			AAAA: addr.AsSlice(),
		}
	}
	return nil
}

// metaTXT returns one TXT record per metadata pair, sorted by key, each
// holding the single string key=value in RFC 1464 form (a '=' or '`' in the
// key is escaped with '`'). A pair longer than 255 bytes is split into
// several strings of the same record, which clients concatenate. No
// metadata gives no records (NODATA).
func metaTXT(owner string, meta map[string]string, ttl uint32) []dns.RR {
	if len(meta) == 0 {
		return nil
	}
	rrs := make([]dns.RR, 0, len(meta))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		var b strings.Builder
		for i := 0; i < len(k); i++ {
			if k[i] == '=' || k[i] == '`' {
				b.WriteByte('`')
			}
			b.WriteByte(k[i])
		}
		b.WriteByte('=')
		b.WriteString(meta[k])
		rrs = append(rrs, &dns.TXT{
			Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl},
			Txt: txtStrings(b.String()),
		})
	}
	return rrs
}

// txtStrings splits s into character-strings of at most 255 bytes, in the
// escaped form miekg/dns packs (a backslash escapes the next byte).
func txtStrings(s string) []string {
	var out []string
	for len(s) > 0 || out == nil {
		n := min(len(s), 255)
		chunk := s[:n]
		s = s[n:]
		out = append(out, strings.ReplaceAll(chunk, `\`, `\\`))
	}
	return out
}
