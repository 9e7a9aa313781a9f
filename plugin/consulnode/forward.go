package consulnode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coredns/coredns/request"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// Forwarding questions about other datacenters (see membership's
// federation.go for the path and why it cannot loop). A forwarded question
// carries the hop it took in an EDNS0 option of the local range; the
// answering side reads it to refuse a second WAN hop and to answer with
// WAN addresses. Only names of another datacenter get here: the local
// datacenter's names never leave the agent.

// hopOptionCode is the EDNS0 option (local/experimental range, RFC 6891)
// that marks a forwarded question; its one byte of data is the
// membership.Hop.
const hopOptionCode uint16 = 65101

// Timeouts of one forwarding attempt, and how many servers are tried. A
// client's LAN hop waits long enough for the server it asks to try two
// servers of the other datacenter over the WAN, so a client sees the
// server's verdict rather than its own timeout. Worst case for a client:
// 2 × 1.75 s, under the 5 s most stub resolvers wait.
const (
	wanAttemptTimeout = 750 * time.Millisecond
	lanAttemptTimeout = 2*wanAttemptTimeout + 250*time.Millisecond
	forwardAttempts   = 2
	forwardUDPSize    = 1232
)

// unreachableLogEvery rate-limits the warning about a datacenter that
// cannot be reached: at most one line per datacenter in this period.
const unreachableLogEvery = 10 * time.Second

// exchangeFunc sends m to the DNS server at addr (ip:port) and returns its
// reply; ctx bounds the whole exchange. Tests replace it.
type exchangeFunc func(ctx context.Context, m *dns.Msg, addr string) (*dns.Msg, error)

// netExchange asks over UDP and, when the reply is truncated, again over
// TCP.
func netExchange(ctx context.Context, m *dns.Msg, addr string) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", UDPSize: forwardUDPSize}
	r, _, err := c.ExchangeContext(ctx, m, addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, addr)
	}
	return r, err
}

// hopOf returns the hop a question arrived with: HopClient unless it
// carries the hop option. It does not allocate.
func hopOf(r *dns.Msg) membership.Hop {
	opt := r.IsEdns0()
	if opt == nil {
		return membership.HopClient
	}
	for _, o := range opt.Option {
		if l, ok := o.(*dns.EDNS0_LOCAL); ok && l.Code == hopOptionCode && len(l.Data) == 1 {
			switch h := membership.Hop(l.Data[0]); h {
			case membership.HopLAN, membership.HopWAN:
				return h
			}
		}
	}
	return membership.HopClient
}

// forwardQuery returns the question of state as it is forwarded along
// hop: the name exactly as asked (so answers echo the client's case), no
// recursion, EDNS0 with the hop option.
func forwardQuery(state *request.Request, hop membership.Hop) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(state.QName(), state.QType())
	m.RecursionDesired = false
	m.SetEdns0(forwardUDPSize, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: hopOptionCode, Data: []byte{byte(hop)}})
	return m
}

// forward asks route's servers, one after the other (at most
// forwardAttempts), and returns the first usable reply: NOERROR or
// NXDOMAIN for the question asked. The error names every server tried.
func (cn *ConsulNode) forward(ctx context.Context, state *request.Request, route membership.Route) (*dns.Msg, error) {
	exchange := cn.exchange
	if exchange == nil {
		exchange = netExchange
	}
	timeout := lanAttemptTimeout
	if route.Hop == membership.HopWAN {
		timeout = wanAttemptTimeout
	}
	q := forwardQuery(state, route.Hop)
	var errs []error
	for i, srv := range route.Servers {
		if i == forwardAttempts {
			break
		}
		q.Id = dns.Id()
		actx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := exchange(actx, q, srv.DNSAddr.String())
		cancel()
		if err == nil {
			err = checkReply(q, resp)
		}
		if err == nil {
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("server %s at %s: %w", srv.Name, srv.DNSAddr, err))
	}
	return nil, errors.Join(errs...)
}

// checkReply accepts a reply to q that answers it: the same question and
// a NOERROR or NXDOMAIN rcode. Anything else (SERVFAIL from a server that
// could not go further, REFUSED from an agent that does not serve the
// zone) is a failure, and the next server is tried.
func checkReply(q, r *dns.Msg) error {
	if r == nil {
		return errors.New("no reply")
	}
	if len(r.Question) != 1 || !strings.EqualFold(r.Question[0].Name, q.Question[0].Name) || r.Question[0].Qtype != q.Question[0].Qtype {
		return errors.New("the reply is for another question")
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return fmt.Errorf("answered %s", dns.RcodeToString[r.Rcode])
	}
	return nil
}

// servfail returns SERVFAIL for a question about datacenter dc, which is
// known but cannot be reached now, and logs why (at most once per
// unreachableLogEvery for each datacenter).
func (cn *ConsulNode) servfail(state *request.Request, dc string, err error) *dns.Msg {
	if cn.unreachable.allow(dc, time.Now()) {
		log.Warningf("datacenter %s cannot be reached: answering SERVFAIL for %s (%s): %v",
			dc, state.QName(), dns.TypeToString[state.QType()], err)
	}
	m := new(dns.Msg)
	m.SetRcode(state.Req, dns.RcodeServerFailure)
	m.RecursionAvailable = cn.ra
	return m
}

// unreachableLog remembers when each datacenter was last reported
// unreachable. Only known datacenters get here, so the map stays small.
type unreachableLog struct {
	mu   sync.Mutex // guards last
	last map[string]time.Time
}

// allow reports whether a warning about dc may be logged now.
func (u *unreachableLog) allow(dc string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.last[dc]; ok && now.Sub(t) < unreachableLogEvery {
		return false
	}
	if u.last == nil {
		u.last = map[string]time.Time{}
	}
	u.last[dc] = now
	return true
}
