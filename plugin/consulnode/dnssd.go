package consulnode

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// DNS-SD browsing (RFC 6763) over the same instances as service answers:
//
//	b._dns-sd._udp.<zone> PTR          <zone> (also db. and lb.)
//	_services._dns-sd._udp.<zone> PTR  _<svc>._tcp.<zone> per service with a healthy instance
//	_<svc>._tcp.<zone> PTR             <instance>._<svc>._tcp.<zone> per healthy instance,
//	                                   its SRV, TXT and address in the additional section
//	<instance>._<svc>._tcp.<zone>      SRV and TXT of that instance
//
// The instance label is the service ID, escaped as names are printed
// (RFC 6763 §4.3 allows any UTF-8). IDs are unique per node only, and
// the default ID is the service name, so when several instances share an
// ID each one's label is <ID>:<node>. The SRV query on _<svc>._tcp.<zone>
// keeps Consul's meaning (every instance, RFC 2782).

const (
	// maxSDTXT is the size the whole TXT record is kept under (RFC 6763
	// §6.2 advises fitting it in a 1,300-byte packet's worth).
	maxSDTXT = 1300
	// maxLabelLen is the longest DNS label, in wire bytes.
	maxLabelLen = 63
)

// sdBrowseReply answers b|db|lb._dns-sd._udp.<zone>: PTR to the zone.
func (cn *ConsulNode) sdBrowseReply(state *request.Request, be *backend, zone string) *dns.Msg {
	if qt := state.QType(); qt != dns.TypePTR && qt != dns.TypeANY {
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	}
	return cn.answerOrNoData(state, be, zone, []dns.RR{&dns.PTR{
		Hdr: dns.RR_Header{Name: state.QName(), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: cn.ttl},
		Ptr: zone,
	}})
}

// sdServicesReply answers _services._dns-sd._udp.<zone>: one PTR per
// service that has a healthy instance and whose name is a DNS label.
func (cn *ConsulNode) sdServicesReply(state *request.Request, be *backend, zone string) *dns.Msg {
	if qt := state.QType(); qt != dns.TypePTR && qt != dns.TypeANY {
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	}
	suffix := "._tcp." + zone
	if zone == "." {
		suffix = "._tcp."
	}
	m := cn.reply(state)
	var ends []groupEnd
	for _, name := range be.src.Table().AnsweredServices(cn.onlyPassing) {
		if !isDNSLabel(name) {
			continue
		}
		m.Answer = append(m.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: state.QName(), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: cn.ttl},
			Ptr: "_" + name + suffix,
		})
		ends = append(ends, groupEnd{ans: len(m.Answer)})
	}
	if len(m.Answer) == 0 {
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	}
	fit(m, ends, cn.limits(state, false).size, false)
	return m
}

// sdInstancesReply answers PTR on _<svc>._tcp.<zone> with the instances
// in sc.eps (not empty): one PTR each, and each one's SRV, TXT and
// address in the additional section, cut together.
func (cn *ConsulNode) sdInstancesReply(state *request.Request, be *backend, zone string, sc *scratch, ttl uint32) *dns.Msg {
	owner := state.QName()
	wan := hopOf(state.Req) == membership.HopWAN
	countIDs(sc)
	m := cn.reply(state)
	size := cn.limits(state, false).size
	room, more := newBudget(m, size), false
	for i, ok := sc.order.next(); ok; i, ok = sc.order.next() {
		ep := &sc.eps[i]
		label, ok := instanceLabel(sc, ep)
		if !ok {
			continue
		}
		inst := label + "." + owner
		m.Answer = append(m.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl},
			Ptr: inst,
		})
		srv, txt, addr := cn.instanceRRs(sc, be, zone, inst, ep, wan, ttl, true, true)
		m.Extra = appendRRs(m.Extra, srv, txt, addr)
		if !sc.endGroup(m, &room) {
			more = true
			break
		}
	}
	if len(m.Answer) == 0 && !more {
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	}
	fit(m, sc.ends, size, more)
	return m
}

// sdInstanceReply answers <instance>._<svc>._tcp.<zone>: SRV (with the
// target's address in the additional section), TXT, both for ANY, NODATA
// for other types; NXDOMAIN for an instance that is not healthy or not
// there.
func (cn *ConsulNode) sdInstanceReply(state *request.Request, be *backend, zone string, q query) *dns.Msg {
	sc := getScratch(cn.endpoints(be.src.Table(), q.svc, ""))
	defer sc.release()
	countIDs(sc)
	for i := range sc.eps {
		ep := &sc.eps[i]
		label, ok := instanceLabel(sc, ep)
		if !ok || !strings.EqualFold(label, q.inst) {
			continue
		}
		qt := state.QType()
		srv, txt := qt == dns.TypeSRV || qt == dns.TypeANY, qt == dns.TypeTXT || qt == dns.TypeANY
		if !srv && !txt {
			return cn.negative(state, be, zone, dns.RcodeSuccess)
		}
		m := cn.reply(state)
		wan := hopOf(state.Req) == membership.HopWAN
		srvRR, txtRR, addr := cn.instanceRRs(sc, be, zone, state.QName(), ep, wan, cn.serviceTTL.lookup(q.svc), srv, txt)
		m.Answer = appendRRs(nil, srvRR, txtRR)
		m.Extra = appendRRs(nil, addr)
		return m
	}
	return cn.negative(state, be, zone, dns.RcodeNameError)
}

// instanceRRs returns the records of DNS-SD instance inst (ep): its SRV
// and the target's address when srv, its TXT when txt; nil for those not
// asked or not there.
func (cn *ConsulNode) instanceRRs(sc *scratch, be *backend, zone, inst string, ep *catalog.Endpoint, wan bool, ttl uint32, srv, txt bool) (srvRR, txtRR, addr dns.RR) {
	if srv {
		t := cn.targetOf(ep, wan)
		name := targetName(ep, t, be.dc, zone)
		srvRR = &dns.SRV{
			Hdr:      dns.RR_Header{Name: inst, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
			Priority: 1, Weight: clamp16(ep.Weight), Port: clamp16(t.port), Target: name,
		}
		if x := cn.appendTargetAddr(nil, sc, name, t, ttl); len(x) == 1 {
			addr = x[0]
		}
	}
	if txt {
		txtRR = sdTXT(inst, ep.Meta, ttl)
	}
	return srvRR, txtRR, addr
}

// appendRRs appends the non-nil records of rrs to dst.
func appendRRs(dst []dns.RR, rrs ...dns.RR) []dns.RR {
	for _, rr := range rrs {
		if rr != nil {
			dst = append(dst, rr)
		}
	}
	return dst
}

// countIDs counts sc.eps by lower-case service ID into sc.ids.
func countIDs(sc *scratch) {
	for i := range sc.eps {
		sc.ids[strings.ToLower(sc.eps[i].ServiceID)]++
	}
}

// instanceLabel returns ep's DNS-SD instance label, escaped: its service
// ID, or <ID>:<node> when other instances share the ID (countIDs). An
// instance whose label would be longer than a DNS label is not browsable.
func instanceLabel(sc *scratch, ep *catalog.Endpoint) (string, bool) {
	raw := ep.ServiceID
	if sc.ids[strings.ToLower(raw)] > 1 {
		raw += ":" + ep.Node
	}
	if raw == "" || len(raw) > maxLabelLen {
		return "", false
	}
	return escapeLabel(raw), true
}

// escapeLabel returns s as one label in presentation form, escaped as
// miekg/dns prints received names (so it compares with a query name): a
// backslash before the special characters, \DDD for bytes that are not
// printable ASCII.
func escapeLabel(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if labelSpecial(s[i]) || s[i] < ' ' || s[i] > '~' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case labelSpecial(c):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			b.WriteByte('\\')
			d := strconv.Itoa(int(c))
			b.WriteString(strings.Repeat("0", 3-len(d)) + d)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// labelSpecial lists the characters miekg/dns escapes with a backslash in
// a name.
func labelSpecial(c byte) bool {
	switch c {
	case '.', ' ', '\'', '@', ';', '(', ')', '"', '\\':
		return true
	}
	return false
}

// sdTXT returns the DNS-SD TXT record of an instance: one key=value
// string per metadata pair, sorted by key; a pair longer than 255 bytes,
// or that would take the record to maxSDTXT bytes, is left out. No
// metadata gives the single empty string RFC 6763 §6.1 asks for.
func sdTXT(owner string, meta map[string]string, ttl uint32) dns.RR {
	var txt []string
	total := 0
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		s := k + "=" + meta[k]
		if len(s) > 255 || total+1+len(s) >= maxSDTXT {
			continue
		}
		total += 1 + len(s)
		txt = append(txt, strings.ReplaceAll(s, `\`, `\\`))
	}
	if len(txt) == 0 {
		txt = []string{""}
	}
	return &dns.TXT{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: txt}
}

// isDNSLabel reports whether s is a valid DNS label of letters, digits and
// hyphens: names that are not are registered but not answered by DNS.
func isDNSLabel(s string) bool {
	if s == "" || len(s) > maxLabelLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
