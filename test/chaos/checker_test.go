package chaos

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"
)

// caps says which read paths the agents under test serve; one they do
// not (a 404, or DNS that answers no service) is reported and not
// checked.
type caps struct {
	dnsServices     bool
	catalogServices bool
	catalogService  bool
	healthService   bool
	blocking        bool // X-Consul-Index on the watched endpoints
}

func (c caps) missing() []string {
	var out []string
	for _, m := range []struct {
		ok   bool
		what string
	}{{c.dnsServices, "DNS service lookups"}, {c.catalogServices, "/v1/catalog/services"},
		{c.catalogService, "/v1/catalog/service/<s>"}, {c.healthService, "/v1/health/service/<s>"},
		{c.blocking, "blocking queries (watchers)"}} {
		if !m.ok {
			out = append(out, m.what)
		}
	}
	return out
}

// probeCaps finds out which read paths the agent at ip serves; the
// cluster is up and the file services have spread.
func (w *world) probeCaps(ip string) caps {
	var c caps
	get := func(path string) *http.Response {
		r, err := w.httpc.Get("http://" + ip + ":8500" + path)
		if err != nil {
			return nil
		}
		r.Body.Close()
		return r
	}
	ok := func(path string) bool { r := get(path); return r != nil && r.StatusCode == 200 }
	c.catalogServices = ok("/v1/catalog/services")
	c.catalogService = ok("/v1/catalog/service/metrics")
	c.healthService = ok("/v1/health/service/metrics")
	if c.catalogServices && c.healthService {
		r1 := get("/v1/catalog/services")
		r2 := get("/v1/health/service/" + watchedService)
		r3 := get("/v1/catalog/nodes")
		c.blocking = true
		for _, r := range []*http.Response{r1, r2, r3} {
			if r == nil || r.Header.Get("X-Consul-Index") == "" || r.Header.Get("X-Consul-Index") == "0" {
				c.blocking = false
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := w.dnsQuery(ip, "metrics.service.consul.", dns.TypeA); err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			c.dnsServices = true
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	return c
}

// dnsQuery asks the agent at ip over UDP.
func (w *world) dnsQuery(ip, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(4096, false)
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, UDPSize: 4096}
	r, _, err := c.Exchange(m, ip+":8600")
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, ip+":8600")
	}
	return r, err
}

// client is a Consul API client of the agent at ip (not for blocking
// queries: its requests time out).
func (w *world) client(ip string) *api.Client {
	c, err := api.NewClient(&api.Config{Address: ip + ":8500", HttpClient: w.httpc})
	if err != nil {
		panic(err) // only with a bad address scheme, which this test never makes
	}
	return c
}

// diff is one answer that is not the truth.
type diff struct {
	key       string // where: agent and question
	got, want string
}

// observe asks one agent every question and returns the answers that
// differ from e.
func (w *world) observe(s *slot, e *expect) []diff {
	ip := s.IP()
	var out []diff
	check := func(key, got, want string) {
		w.questions.Add(1)
		if got != want {
			out = append(out, diff{key: s.name + " " + key, got: got, want: want})
		}
	}
	for node, addr := range e.nodeA {
		r, err := w.dnsQuery(ip, node+".node.consul.", dns.TypeA)
		check("DNS A "+node+".node", dnsAnswer(r, err), addr)
	}
	if w.caps.dnsServices {
		for _, name := range slices.Sorted(maps.Keys(e.a)) {
			r, err := w.dnsQuery(ip, name+".service.consul.", dns.TypeA)
			check("DNS A "+name+".service", dnsAnswer(r, err), e.a[name])
			if want, ok := e.srv[name]; ok {
				r, err := w.dnsQuery(ip, name+".service.consul.", dns.TypeSRV)
				check("DNS SRV "+name+".service", dnsAnswer(r, err), want)
			}
		}
	}
	c := w.client(ip)
	if w.caps.catalogServices {
		got, _, err := c.Catalog().Services(nil)
		check("/v1/catalog/services", servicesString(got, err), servicesWant(e.services))
	}
	for _, name := range slices.Sorted(maps.Keys(e.catalog)) {
		if w.caps.catalogService {
			got, _, err := c.Catalog().Service(name, "", nil)
			check("/v1/catalog/service/"+name, catalogString(got, err, e.dead), e.catalog[name])
		}
		if w.caps.healthService {
			got, _, err := c.Health().Service(name, "", true, nil)
			check("/v1/health/service/"+name+"?passing", healthString(got, err), e.health[name])
		}
	}
	return out
}

// dnsAnswer renders a reply as the truth is written: sorted A addresses,
// sorted "port target" SRV records, or the RCODE when there is no answer.
func dnsAnswer(r *dns.Msg, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	if r.Rcode != dns.RcodeSuccess {
		return dns.RcodeToString[r.Rcode]
	}
	var out []string
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.SRV:
			out = append(out, fmt.Sprintf("%d %s", rr.Port, strings.ToLower(rr.Target)))
		}
	}
	if len(out) == 0 {
		return "NODATA"
	}
	return joinSorted(dedup(out))
}

func dedup(ss []string) []string {
	sort.Strings(ss)
	return slices.Compact(ss)
}

// servicesWant renders the truth of /v1/catalog/services.
func servicesWant(m map[string]string) string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, name+"["+m[name]+"]")
	}
	return strings.Join(out, " ")
}

func servicesString(m map[string][]string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	want := map[string]string{}
	for name, tags := range m {
		if name == "consul" {
			continue
		}
		want[name] = joinSorted(dedup(slices.Clone(tags)))
	}
	return servicesWant(want)
}

// catalogString renders /v1/catalog/service/<s>; an instance that was
// deregistered is marked RESURRECTED.
func catalogString(cs []*api.CatalogService, err error, dead map[string]bool) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, c := range cs {
		s := fmt.Sprintf("%s/%s/%d", c.Node, c.ServiceID, c.ServicePort)
		if dead[c.Node+"/"+c.ServiceID] {
			s += "(RESURRECTED)"
		}
		out = append(out, s)
	}
	return joinSorted(out)
}

func healthString(es []*api.ServiceEntry, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, e := range es {
		if e.Node == nil || e.Service == nil {
			out = append(out, "(entry without node or service)")
			continue
		}
		out = append(out, e.Node.Node+"/"+e.Service.ID)
	}
	return joinSorted(out)
}

// crossAskers are the dc1 slots that are also asked about dc2: the
// server and a client (which forwards through the server).
var crossAskers = []int{0, 1}

// observeCross asks the dc1 agent s about dc2 — its nodes by DNS, every
// service name's A and SRV records in dc2, and the catalog of dc2 through
// ?dc=dc2 — and returns the answers that differ from dc2's truth e.
func (w *world) observeCross(s *slot, e *expect) []diff {
	ip := s.IP()
	var out []diff
	check := func(key, got, want string) {
		w.questions.Add(1)
		if got != want {
			out = append(out, diff{key: s.name + " →dc2 " + key, got: got, want: want})
		}
	}
	for _, node := range slices.Sorted(maps.Keys(e.nodeA)) {
		r, err := w.dnsQuery(ip, node+".node.dc2.consul.", dns.TypeA)
		check("DNS A "+node+".node.dc2", dnsAnswer(r, err), e.nodeA[node])
	}
	if w.caps.dnsServices {
		for _, name := range slices.Sorted(maps.Keys(e.a)) {
			r, err := w.dnsQuery(ip, name+".service.dc2.consul.", dns.TypeA)
			check("DNS A "+name+".service.dc2", dnsAnswer(r, err), e.a[name])
			if want, ok := e.srv[name]; ok {
				r, err := w.dnsQuery(ip, name+".service.dc2.consul.", dns.TypeSRV)
				check("DNS SRV "+name+".service.dc2", dnsAnswer(r, err), want)
			}
		}
	}
	if w.caps.catalogService {
		c := w.client(ip)
		for _, name := range slices.Sorted(maps.Keys(e.catalog)) {
			got, _, err := c.Catalog().Service(name, "", &api.QueryOptions{Datacenter: "dc2"})
			check("/v1/catalog/service/"+name+"?dc=dc2", catalogString(got, err, e.dead), e.catalog[name])
		}
	}
	return out
}

// expects is the truth of every datacenter.
func (w *world) expects(gone map[*slot]bool) map[string]*expect {
	out := map[string]*expect{}
	for _, dc := range []string{"dc1", "dc2"} {
		if slots := w.c.dcSlots(dc); len(slots) > 0 {
			out[dc] = w.truth.expect(dc, slots, gone)
		}
	}
	return out
}

// observeAll asks every agent at once (the dc1 cross askers about dc2
// too) and adds the watchers' last deliveries.
func (w *world) observeAll(gone map[*slot]bool) []diff {
	es := w.expects(gone)
	// A server that has left takes the path between the datacenters with
	// it until it is back: dc2 is asked about once it is.
	cross := es["dc2"] != nil
	for s := range gone {
		cross = cross && !s.server
	}
	var mu sync.Mutex
	var all []diff
	var wg sync.WaitGroup
	for _, s := range w.c.slots {
		if gone[s] {
			continue
		}
		wg.Go(func() {
			d := w.observe(s, es[s.dc])
			if cross && slices.Contains(crossAskers, s.i) {
				d = append(d, w.observeCross(s, es["dc2"])...)
			}
			mu.Lock()
			all = append(all, d...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if w.watch != nil && !gone[w.c.slots[1]] {
		all = append(all, w.watch.diffs(es["dc1"])...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	return all
}
