package consulnode

import (
	"net/netip"
	"strings"

	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// defaultForwardZone names PTR targets when the plugin has only reverse
// zones.
const defaultForwardZone = "consul."

// reverseReply answers PTR for the address of a member that gets answers
// (see answersNode: not one in maintenance), with
// <node>.node.<dc>.<first forward zone>. It returns nil for everything
// else in a reverse zone, which goes to the next plugin: consulnode knows
// a few addresses, not the whole reverse zone, so it never claims
// NXDOMAIN or NODATA there and never sends an SOA for it.
func (cn *ConsulNode) reverseReply(state *request.Request, qname string) *dns.Msg {
	be := cn.be.Load()
	if cn.noReverse || be == nil || state.Req.Opcode != dns.OpcodeQuery ||
		state.QClass() != dns.ClassINET || state.QType() != dns.TypePTR {
		return nil
	}
	addr, ok := parseReverse(qname)
	if !ok {
		return nil
	}
	mem, ok := be.src.Table().LookupAddr(addr)
	if !ok || !cn.answersNode(&mem) || (mem.Datacenter != "" && mem.Datacenter != be.dc) {
		return nil
	}
	m := cn.reply(state)
	m.Answer = []dns.RR{&dns.PTR{
		Hdr: dns.RR_Header{Name: state.QName(), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: cn.ttl},
		Ptr: cn.ptrTarget(be, mem.Name, mem.Datacenter),
	}}
	return m
}

// ptrTarget returns <node>.node.<dc>.<first forward zone> in lower case.
func (cn *ConsulNode) ptrTarget(be *backend, node, dc string) string {
	if dc == "" {
		dc = be.dc
	}
	zone := defaultForwardZone
	if len(cn.fwdZones) > 0 {
		zone = cn.fwdZones[0]
	}
	name := strings.ToLower(node) + ".node." + dc + "."
	if zone != "." {
		name += zone
	}
	return name
}

// parseReverse returns the address named by a lower-case reverse name: four
// decimal labels under in-addr.arpa. or 32 nibble labels under ip6.arpa.
// Anything else (a partial name, a bad label) is not an address.
func parseReverse(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa."); ok {
		var b [4]byte
		for i := range b {
			label := rest
			if i < 3 {
				dot := strings.IndexByte(rest, '.')
				if dot < 0 {
					return netip.Addr{}, false
				}
				label, rest = rest[:dot], rest[dot+1:]
			}
			v, ok := decimalOctet(label)
			if !ok {
				return netip.Addr{}, false
			}
			b[3-i] = v
		}
		return netip.AddrFrom4(b), true
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa."); ok {
		// 32 labels of one nibble each: "x." × 31 plus "x".
		if len(rest) != 63 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i := 0; i < 32; i++ {
			if i < 31 && rest[2*i+1] != '.' {
				return netip.Addr{}, false
			}
			v, ok := hexNibble(rest[2*i])
			if !ok {
				return netip.Addr{}, false
			}
			// Label i is nibble 31-i, counting from the most significant.
			n := 31 - i
			if n%2 == 0 {
				b[n/2] |= v << 4
			} else {
				b[n/2] |= v
			}
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}

// decimalOctet parses 1–3 decimal digits with a value of at most 255.
func decimalOctet(s string) (byte, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	if v > 255 {
		return 0, false
	}
	return byte(v), true
}
