package consulnode

import (
	"net"
	"strings"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/dnsrules"
	"github.com/miekg/dns"
)

// Truncation, done right: a UDP reply fits the client's buffer (512 bytes
// without EDNS, else its EDNS size up to maxUDPSize), a TCP reply fits
// 64 KiB; records are cut one instance at a time, its additional records
// with it, and TC is set whenever instances were left out for lack of
// room, so the client retries over TCP (or, past 64 KiB, knows the answer
// is partial: the HTTP API has them all). Consul's udp_answer_limit and
// a_record_limit cut further when set; only enable_truncate makes those
// cuts set TC, as in Consul.

// MaxAnswerLimit is the largest udp_answer_limit and a_record_limit
// (dnsrules.MaxAnswerLimit, the one home of the rule).
const MaxAnswerLimit = dnsrules.MaxAnswerLimit

const (
	// maxUDPSize caps the EDNS buffer size a client asks for.
	maxUDPSize = 4096
	// optLen is the size of the OPT record the server adds to a reply to
	// an EDNS question.
	optLen = 11
	// minGroupLen is the least wire size of one instance's records (a
	// compressed A record): no more instances than size/minGroupLen can
	// fit, so no more are built.
	minGroupLen = 16
)

// groupEnd is where one instance's records end in the answer and
// additional sections.
type groupEnd struct{ ans, ext int }

// limits are the bounds of one reply.
type limits struct {
	size  int  // wire size the reply must fit in, without the OPT record
	build int  // most instances worth building
	byCap bool // build is a Consul limit (udp_answer_limit, a_record_limit) rather than the size
	capTC bool // cutting at that limit sets TC (enable_truncate with udp_answer_limit)
}

// cutTC reports whether leaving out instances beyond build sets TC.
func (l limits) cutTC() bool { return !l.byCap || l.capTC }

// limits returns the bounds of a reply to state; addr is set for A, AAAA
// and ANY answers, which a_record_limit caps (SRV is not capped by it, as
// in Consul).
func (cn *ConsulNode) limits(state *request.Request, addr bool) limits {
	// The client's size as request.Size gives it, with one call of Proto
	// (which asks the writer for the remote address) rather than two.
	udp := state.Proto() == "udp"
	opt := state.Req.IsEdns0()
	edns := opt != nil
	size := dns.MaxMsgSize
	if udp {
		size = dns.MinMsgSize
		if edns {
			size = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDPSize)
		}
	}
	if edns {
		size -= optLen
	}
	l := limits{size: size, build: size/minGroupLen + 1}
	if addr && cn.aRecordLimit > 0 && cn.aRecordLimit < l.build {
		l.build, l.byCap = cn.aRecordLimit, true
	}
	if udp && !edns && cn.udpAnswerLimit > 0 && cn.udpAnswerLimit < l.build {
		l.build, l.byCap, l.capTC = cn.udpAnswerLimit, true, cn.enableTruncate
	}
	return l
}

// headerLen is the wire size of a DNS message header.
const headerLen = 12

// budget is the room left in a reply while its instances are built: the
// reply's size less a lower bound of what it already holds (floorLen). A
// builder stops at the first instance whose records cannot fit, however
// much compression saves, instead of building instances that fit would
// only cut again; fit then cuts what compression does not make room for.
type budget int

// newBudget returns the room for instances in m, a reply with its
// question and no records yet, packed into size bytes.
func newBudget(m *dns.Msg, size int) budget {
	b := size - headerLen
	for _, q := range m.Question {
		b -= nameFloor(q.Name) + 4 // type and class
	}
	return budget(b)
}

// take reports whether n more bytes can still fit, and if so counts them.
func (b *budget) take(n int) bool {
	if n > int(*b) {
		return false
	}
	*b -= budget(n)
	return true
}

// floorOf returns the sum of floorLen over rrs.
func floorOf(rrs []dns.RR) int {
	n := 0
	for _, rr := range rrs {
		n += floorLen(rr)
	}
	return n
}

// floorLen returns a lower bound of rr's wire size in any reply,
// compressed or not: its owner takes at least a 2-byte pointer, its
// header 10 bytes, and its data at least what compression cannot shrink.
// An SRV target counts whole: RFC 2782 forbids compressing it, and
// miekg/dns writes it whole (a later record may point into it).
func floorLen(rr dns.RR) int {
	n := 2 + 10
	switch rr := rr.(type) {
	case *dns.A:
		n += net.IPv4len
	case *dns.AAAA:
		n += net.IPv6len
	case *dns.SRV:
		n += 6 + nameFloor(rr.Target)
	case *dns.TXT:
		for _, t := range rr.Txt {
			n++ // the length byte
			if strings.IndexByte(t, '\\') < 0 {
				n += len(t)
			}
		}
	default:
		n += 1 // at least a root name or one byte of data
	}
	return n
}

// nameFloor returns a lower bound of the wire size of name written
// whole: its exact size, unless escapes make it shorter than its text.
func nameFloor(name string) int {
	if name == "" || name == "." {
		return 1
	}
	if strings.IndexByte(name, '\\') >= 0 {
		return 2
	}
	if name[len(name)-1] == '.' {
		return len(name) + 1
	}
	return len(name) + 2
}

// fit cuts m's answer and additional sections, whole instances at a time
// (ends, in order), so that m packs into size bytes, and sets TC when it
// cut or when tc says instances were already left out. It measures
// uncompressed first, which costs no allocation, and compresses, and
// measures compressed (which allocates a compression map each time), only
// when that does not fit: from the most instances that fit uncompressed
// up, trying all of them first, since the builder's budget usually left
// no more than fit compressed.
func fit(m *dns.Msg, ends []groupEnd, size int, tc bool) {
	if m.Len() <= size {
		m.Truncated = m.Truncated || tc
		return
	}
	ans, ext := m.Answer, m.Extra
	keep := func(k int) {
		if k == 0 {
			m.Answer, m.Extra = ans[:0], ext[:0]
			return
		}
		m.Answer, m.Extra = ans[:ends[k-1].ans], ext[:ends[k-1].ext]
	}
	fits := func(k int) bool {
		keep(k)
		return m.Len() <= size
	}
	// Compression only shrinks a reply: the most that fit uncompressed
	// fit compressed too. k = 0 always fits.
	lo := largest(0, len(ends)-1, fits)
	m.Compress = true
	if fits(len(ends)) {
		lo = len(ends)
	} else {
		lo = largest(lo, len(ends)-1, fits)
	}
	keep(lo)
	m.Truncated = m.Truncated || tc || lo < len(ends)
}

// largest returns the largest k in [lo, hi] for which fits(k) holds,
// given that it holds for lo and that it holds for every k below any k it
// holds for.
func largest(lo, hi int, fits func(int) bool) int {
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
