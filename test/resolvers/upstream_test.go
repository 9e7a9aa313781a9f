package resolvers

import (
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// upstreamAddr is where the shared fake upstream listens; resolvers use
// it as their default forwarder and discod as its recursor.
const (
	upstreamIP   = "127.0.0.40"
	upstreamAddr = upstreamIP + ":53"
)

// The one name outside discod's zone that the fake upstream knows. The
// address is a public one (it is only data: nothing connects to it)
// because dnsmasq's stop-dns-rebind, which the dnsmasq test turns on,
// drops answers in the documentation ranges such as 192.0.2.0/24.
const (
	outsideName = "example.org."
	outsideIP   = "93.184.216.34"
)

// upstream is a fake recursive resolver standing in for the Internet. It
// knows one name, example.org A 93.184.216.34, in an unsigned org. zone, and
// serves a root zone signed with a key made at start, so validating
// resolvers given rootAnchor as their trust anchor behave as they do on
// the Internet:
//
//   - the root is secure, org. is provably unsigned (an NSEC without DS),
//     so example.org validates as insecure and resolves;
//   - any other top-level name, consul. included, provably does not
//     exist (NXDOMAIN with NSEC), which is what breaks a private TLD in a
//     validating resolver that is not told to leave it alone.
//
// It records every question it is asked, so tests can check that no name
// under consul. leaks to it.
type upstream struct {
	key  *dns.DNSKEY
	priv crypto.Signer

	// The signed root data, built once.
	soa, ns, dnskey, nsecRoot, nsecOrg []dns.RR // each an RRset with its RRSIG last

	mu      sync.Mutex
	seen    []dns.Question
	servers []*dns.Server
}

// newUpstream makes a root key and signs the root zone's records.
func newUpstream() (*upstream, error) {
	u := &upstream{}
	u.key = &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: ".", Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags:     257,
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	pk, err := u.key.Generate(256)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	priv, ok := pk.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("root key is %T, not ECDSA", pk)
	}
	u.priv = priv

	sets := []struct {
		dst *[]dns.RR
		rrs []string
	}{
		{&u.soa, []string{". 300 IN SOA a.root.invalid. hostmaster.root.invalid. 1 1800 900 604800 300"}},
		{&u.ns, []string{". 3600 IN NS a.root.invalid."}},
		{&u.dnskey, nil},
		{&u.nsecRoot, []string{". 300 IN NSEC org. NS SOA RRSIG NSEC DNSKEY"}},
		{&u.nsecOrg, []string{"org. 300 IN NSEC . NS RRSIG NSEC"}},
	}
	for _, s := range sets {
		rrs := []dns.RR{u.key}
		if s.rrs != nil {
			rrs = rrs[:0]
			for _, text := range s.rrs {
				rr, err := dns.NewRR(text)
				if err != nil {
					return nil, fmt.Errorf("root record %q: %w", text, err)
				}
				rrs = append(rrs, rr)
			}
		}
		sig, err := u.sign(rrs)
		if err != nil {
			return nil, err
		}
		*s.dst = append(rrs, sig)
	}
	return u, nil
}

// sign returns the RRSIG over rrset, valid from an hour ago for a day.
func (u *upstream) sign(rrset []dns.RR) (*dns.RRSIG, error) {
	now := time.Now()
	sig := &dns.RRSIG{
		Hdr:        dns.RR_Header{Name: rrset[0].Header().Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: rrset[0].Header().Ttl},
		Algorithm:  u.key.Algorithm,
		KeyTag:     u.key.KeyTag(),
		SignerName: ".",
		Inception:  uint32(now.Add(-time.Hour).Unix()),
		Expiration: uint32(now.Add(24 * time.Hour).Unix()),
	}
	if err := sig.Sign(u.priv, rrset); err != nil {
		return nil, fmt.Errorf("sign %s %s: %w", rrset[0].Header().Name, dns.TypeToString[rrset[0].Header().Rrtype], err)
	}
	return sig, nil
}

// rootAnchor is the root trust anchor in presentation form without the
// owner and class: "257 3 13 <base64>".
func (u *upstream) rootAnchor() string {
	return fmt.Sprintf("%d %d %d %s", u.key.Flags, u.key.Protocol, u.key.Algorithm, u.key.PublicKey)
}

// listen serves on addr over UDP and TCP.
func (u *upstream) listen(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return fmt.Errorf("fake upstream: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return fmt.Errorf("fake upstream: %w", err)
	}
	return u.serve(pc, l)
}

// serve answers on already opened sockets (the iptables test opens them
// inside a network namespace) and returns once both are serving.
func (u *upstream) serve(pc net.PacketConn, l net.Listener) error {
	started := make(chan struct{}, 2)
	udp := &dns.Server{PacketConn: pc, Handler: u, NotifyStartedFunc: func() { started <- struct{}{} }}
	tcp := &dns.Server{Listener: l, Handler: u, NotifyStartedFunc: func() { started <- struct{}{} }}
	errc := make(chan error, 2)
	go func() { errc <- udp.ActivateAndServe() }()
	go func() { errc <- tcp.ActivateAndServe() }()
	u.mu.Lock()
	u.servers = append(u.servers, udp, tcp)
	u.mu.Unlock()
	for i := 0; i < 2; i++ {
		select {
		case <-started:
		case err := <-errc:
			return fmt.Errorf("fake upstream: %w", err)
		case <-time.After(5 * time.Second):
			return errors.New("fake upstream did not start within 5s")
		}
	}
	return nil
}

// close stops every server.
func (u *upstream) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range u.servers {
		_ = s.Shutdown()
	}
	u.servers = nil
}

// mark returns a position in the record of questions, for asked.
func (u *upstream) mark() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// asked returns the questions received since mark m.
func (u *upstream) asked(m int) []dns.Question {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]dns.Question(nil), u.seen[m:]...)
}

// ServeDNS answers like a recursive resolver in front of the signed root.
func (u *upstream) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	u.mu.Lock()
	u.seen = append(u.seen, q)
	u.mu.Unlock()

	do := false
	if opt := req.IsEdns0(); opt != nil {
		do = opt.Do()
		m.SetEdns0(1232, do)
	}
	u.answer(m, strings.ToLower(q.Name), q.Qtype)
	if !do {
		m.Answer, m.Ns = stripDNSSEC(m.Answer), stripDNSSEC(m.Ns)
	}
	// Packing writes into the records (their rdlength): give this reply
	// its own copies, as the UDP and TCP servers answer concurrently.
	for _, sec := range []*[]dns.RR{&m.Answer, &m.Ns} {
		cp := make([]dns.RR, len(*sec))
		for i, rr := range *sec {
			cp[i] = dns.Copy(rr)
		}
		*sec = cp
	}
	_ = w.WriteMsg(m)
}

// answer fills in m for name (lower case) and qtype.
func (u *upstream) answer(m *dns.Msg, name string, qtype uint16) {
	orgSOA, _ := dns.NewRR("org. 300 IN SOA a0.org.invalid. hostmaster.org.invalid. 1 1800 900 604800 300")
	switch {
	case name == ".":
		switch qtype {
		case dns.TypeSOA:
			m.Answer = u.soa
		case dns.TypeNS:
			m.Answer = u.ns
		case dns.TypeDNSKEY:
			m.Answer = u.dnskey
		default: // NODATA, proven by the root's NSEC
			m.Ns = concat(u.soa, u.nsecRoot)
		}
	case name == "org." && qtype == dns.TypeDS:
		// No DS for org.: the delegation is provably insecure.
		m.Ns = concat(u.soa, u.nsecOrg)
	case name == "org." || dns.IsSubDomain("org.", name):
		// Inside the unsigned org. zone.
		switch {
		case name == outsideName && qtype == dns.TypeA:
			a, _ := dns.NewRR(outsideName + " 300 IN A " + outsideIP)
			m.Answer = []dns.RR{a}
		case name == outsideName || name == "org.":
			m.Ns = []dns.RR{orgSOA}
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{orgSOA}
		}
	default:
		// A top-level name the root does not have, consul. included:
		// NXDOMAIN, the name and the wildcard proven absent.
		m.Rcode = dns.RcodeNameError
		m.Ns = concat(u.soa, u.nsecRoot, u.nsecOrg)
	}
}

// concat joins RR slices into a new one.
func concat(sets ...[]dns.RR) []dns.RR {
	var out []dns.RR
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}

// stripDNSSEC drops RRSIG and NSEC records, for clients that did not set
// the DO bit.
func stripDNSSEC(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		switch rr.Header().Rrtype {
		case dns.TypeRRSIG, dns.TypeNSEC:
		default:
			out = append(out, rr)
		}
	}
	return out
}

// leaked returns the questions for names under consul. among qs: a
// recipe must never send those upstream. consul. itself (the DS query a
// validator makes for the zone's parent side) is not a leak of a node
// name and is allowed.
func leaked(qs []dns.Question) []string {
	var out []string
	for _, q := range qs {
		n := strings.ToLower(q.Name)
		if n != "consul." && dns.IsSubDomain("consul.", n) {
			out = append(out, n+" "+dns.TypeToString[q.Qtype])
		}
	}
	return out
}
