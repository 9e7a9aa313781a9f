// Package consulnode is a CoreDNS plugin that answers Consul-style node
// and service names (<node>.node[.<dc>].consul, [<tag>.]<svc>.service
// [.<dc>].consul, their RFC 2782 forms and DNS-SD browsing) from
// discod's catalog store, whose node rows are the gossip member table.
//
// Inside its forward zones the plugin is authoritative and answers every
// name itself: A/AAAA for alive members, NODATA (NOERROR, empty answer, SOA
// in the authority section) for names that exist without the asked type,
// NXDOMAIN with the SOA for names that do not exist. It never passes a
// forward-zone name on. In reverse zones it answers PTR for member
// addresses and passes everything else to the next plugin.
//
// The member table comes from a membership.Agent found the same way in
// both builds, by OnStartup in the agent registry: the discod daemon's
// (registered under membership.DefaultAgent) when the plugin runs inside
// discod, or one the plugin creates and registers itself from its gossip
// options in a stock CoreDNS build. Setup only parses; OnStartup acquires
// the agent and OnShutdown releases it. No query about the local datacenter ever does network I/O; a node
// name in another datacenter is forwarded to a server (datacenter.go).
package consulnode

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/request"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

const pluginName = "consulnode"

var log = clog.NewWithPlugin(pluginName)

// ConsulNode is the plugin handler. Build it with the Corefile directive;
// the zero value answers nothing.
type ConsulNode struct {
	// Next is the next plugin in the chain, for reverse names this plugin
	// cannot answer and for names outside its zones.
	Next plugin.Handler
	// Zones are all the plugin's zones, forward and reverse, normalised.
	Zones []string
	// Fall is the fallthrough setting. Forward zones never fall through;
	// see the README for what it means for reverse names.
	Fall fall.F

	fwdZones  []string             // forward zones, in Corefile order; the first names PTR targets
	reverse   map[string]bool      // zone → is a reverse zone
	apexNames map[string]apexNames // forward zone → ns./hostmaster. names, built once

	ttl          uint32 // TTL of positive answers
	negTTL       uint32 // SOA minimum and SOA TTL in negative answers
	failedAnswer bool   // answer for failed members (Consul's behaviour)
	noReverse    bool   // never answer PTR
	ra           bool   // set RA on our answers

	serviceTTL     serviceTTLs // TTLs of service answers by service name
	onlyPassing    bool        // leave instances with a warning out of service answers
	udpAnswerLimit int         // most instances in a UDP answer without EDNS; 0: as many as fit
	aRecordLimit   int         // most A/AAAA records in a service answer, UDP and TCP; 0: no limit
	enableTruncate bool        // cutting at udp_answer_limit sets TC (cutting for size always does)
	epCache        endpointCache

	gossip gossipSetup // where the member table comes from

	be atomic.Pointer[backend] // set by OnStartup (or tests)

	// lifeMu guards acquired and refresh, which OnStartup sets and
	// OnShutdown undoes.
	lifeMu   sync.Mutex
	acquired *membership.Agent // the agent we must Release, stock CoreDNS only
	refresh  *refresher

	counters counterCache // per-server lookup counters, so a query does not allocate

	exchange    exchangeFunc   // forwards questions about other datacenters; nil: netExchange
	unreachable unreachableLog // rate-limits "datacenter cannot be reached" warnings
}

// backend is what the plugin answers from. It is fixed at OnStartup.
type backend struct {
	src memberSource
	dc  string // the local agent's datacenter, lower case
}

// memberSource is the part of *membership.Agent the plugin reads. Tests
// implement it over a bare membership.Table.
type memberSource interface {
	// Table returns the member table.
	Table() *membership.Table
	// Local returns the answering agent's own entry; its address is the
	// NS glue and the answer for ns.<zone>.
	Local() membership.Member
	// Ready reports whether the agent runs and its table can be trusted.
	Ready() bool
}

// setBackend makes src, in datacenter dc, the source of answers.
func (cn *ConsulNode) setBackend(src memberSource, dc string) {
	cn.be.Store(&backend{src: src, dc: dc})
}

// Name implements plugin.Handler.
func (cn *ConsulNode) Name() string { return pluginName }

// ServeDNS implements plugin.Handler. It answers names in the forward zones
// itself, answers PTR for member addresses in reverse zones, and passes
// everything else to the next plugin.
func (cn *ConsulNode) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) == 0 {
		return dns.RcodeFormatError, nil // the server drops these before us; the server writes FORMERR
	}
	if moreThanOneOPT(r) {
		// RFC 6891 §6.1.1: a query with more than one OPT record MUST be
		// answered FORMERR. CoreDNS's server reads the first and passes
		// the query on, so the plugin refuses it, for every name.
		cn.count(ctx, resultRefused)
		return dns.RcodeFormatError, nil
	}
	state := request.Request{W: w, Req: r}
	qname := state.Name()
	zone := matchZone(cn.Zones, qname)
	if zone == "" {
		return cn.pass(ctx, w, r)
	}
	if cn.reverse[zone] {
		if m := cn.reverseReply(&state, qname); m != nil {
			return cn.write(ctx, &state, m)
		}
		return cn.pass(ctx, w, r)
	}
	if state.QClass() != dns.ClassINET {
		// CH, HS, NONE, ANY: not ours to answer. The server writes REFUSED.
		cn.count(ctx, resultRefused)
		return dns.RcodeRefused, nil
	}
	if r.Opcode != dns.OpcodeQuery {
		// NOTIFY (which the server lets through) and other opcodes have
		// nothing to act on in a zone synthesised from gossip. The server
		// writes NOTIMP.
		cn.count(ctx, resultRefused)
		return dns.RcodeNotImplemented, nil
	}
	switch state.QType() {
	case dns.TypeAXFR, dns.TypeIXFR:
		// The zone is synthesised from gossip and never transferred.
		cn.count(ctx, resultRefused)
		return dns.RcodeRefused, nil
	}
	be := cn.be.Load()
	if be == nil {
		// OnStartup has not run (or failed): no table to answer from.
		return dns.RcodeServerFailure, errNoTable
	}
	q := parseForward(qname, zone)
	if (q.kind == kindNode || q.kind == kindService) && q.dc != "" && q.dc != be.dc {
		return cn.write(ctx, &state, cn.remoteReply(ctx, &state, be, zone, q.dc)) // datacenter.go
	}
	return cn.write(ctx, &state, cn.answer(&state, be, q, zone))
}

// answer decides the reply to q, a name in forward zone zone of the local
// datacenter, and returns it: every kind of answer is built here and
// written, once, by ServeDNS. Returning the reply rather than writing it
// keeps the lookup's locals (a membership.Member is about 300 bytes, the
// service lookups' records more) off the stack at the write: every query
// runs on a new goroutine, and a stack deeper than the runtime's starting
// size at the write costs a stack growth, a copy of the whole stack, per
// query.
func (cn *ConsulNode) answer(state *request.Request, be *backend, q query, zone string) *dns.Msg {
	switch q.kind {
	case kindApex:
		return cn.apexReply(state, be, zone)
	case kindNS:
		return cn.nsHostReply(state, be, zone)
	case kindEmpty:
		if !cn.datacenterKnown(be, q.dc) {
			return cn.negative(state, be, zone, dns.RcodeNameError)
		}
		return cn.negative(state, be, zone, dns.RcodeSuccess)
	case kindNode:
		var m membership.Member
		if !cn.lookupMember(be, q.node, q.dc, &m) || !cn.answersNode(&m) {
			return cn.negative(state, be, zone, dns.RcodeNameError)
		}
		forRequester(state.Req, &m)
		return cn.memberReply(state, be, zone, &m)
	case kindAddr:
		if !cn.datacenterKnown(be, q.dc) {
			return cn.negative(state, be, zone, dns.RcodeNameError)
		}
		addr, ok := decodeHexAddr(q.hex)
		if !ok {
			return cn.negative(state, be, zone, dns.RcodeNameError)
		}
		return cn.addrReply(state, be, zone, addr)
	case kindService:
		return cn.serviceReply(state, be, zone, q) // service.go
	case kindSDServices:
		return cn.sdServicesReply(state, be, zone) // dnssd.go
	case kindSDBrowse:
		return cn.sdBrowseReply(state, be, zone)
	case kindSDInstance:
		return cn.sdInstanceReply(state, be, zone, q)
	}
	return cn.negative(state, be, zone, dns.RcodeNameError)
}

// pass hands the query to the next plugin. Without one it returns REFUSED
// unwritten, so the server answers REFUSED rather than SERVFAIL.
func (cn *ConsulNode) pass(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if cn.Next == nil {
		cn.count(ctx, resultRefused)
		return dns.RcodeRefused, nil
	}
	cn.count(ctx, resultPassed)
	return plugin.NextOrFailure(cn.Name(), cn.Next, ctx, w, r)
}

// moreThanOneOPT reports whether r carries more than one OPT record.
func moreThanOneOPT(r *dns.Msg) bool {
	n := 0
	for _, rr := range r.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n > 1
}
