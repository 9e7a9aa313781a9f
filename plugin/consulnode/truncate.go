package consulnode

import (
	"github.com/coredns/coredns/request"
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

// MaxAnswerLimit is the largest udp_answer_limit and a_record_limit.
const MaxAnswerLimit = 65535

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

// fit cuts m's answer and additional sections, whole instances at a time
// (ends, in order), so that m packs into size bytes, and sets TC when it
// cut or when tc says instances were already left out. It only
// compresses, and only measures compressed (which allocates), when the
// reply does not fit uncompressed.
func fit(m *dns.Msg, ends []groupEnd, size int, tc bool) {
	if m.Len() <= size {
		m.Truncated = m.Truncated || tc
		return
	}
	m.Compress = true
	ans, ext := m.Answer, m.Extra
	keep := func(k int) {
		if k == 0 {
			m.Answer, m.Extra = ans[:0], ext[:0]
			return
		}
		m.Answer, m.Extra = ans[:ends[k-1].ans], ext[:ends[k-1].ext]
	}
	// The largest k whose reply fits; k = 0 always does.
	lo, hi := 0, len(ends)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		keep(mid)
		if m.Len() <= size {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	keep(lo)
	m.Truncated = m.Truncated || tc || lo < len(ends)
}
