package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/httpapi"
	"github.com/discod/discod/servicedef"
	"github.com/miekg/dns"
)

// The beside phase's addresses: everything it starts is on 127.0.11.0/24.
// The agent uses its normal ports there (DNS 8600, HTTP 8500, serf 8301,
// health 8080, ready 8181).
var (
	besideAgentAddr  = netip.AddrFrom4([4]byte{127, 0, 11, 1})
	besideTargetAddr = netip.AddrFrom4([4]byte{127, 0, 11, 2})  // the HTTP checks' target
	besideHoldFrom   = netip.AddrFrom4([4]byte{127, 0, 11, 10}) // the holder's first source address
)

// besideHoldSources is how many source addresses the holder uses
// (127.0.11.10–59): every wake-up costs a new connection (the agent
// closes a woken read's), 10,000 a second at full size.
const besideHoldSources = 50

const (
	besideNode    = "beside" // the agent's node name
	besideService = "beside" // a service the agent owns in every round
	besideHTTP    = 8500
	besideSerf    = 8301
	besideDNS     = 8600
)

// besideAgent is the `discod agent` process the beside phase measures:
// its default Corefile, as users run it.
type besideAgent struct {
	srv  *server // external: measured with measure, stopped with SIGTERM
	api  *httpapi.Client
	base string
	http *http.Client
}

// startBesideAgent starts discod agent on besideAgentAddr and waits until
// it answers its own node and service names.
func startBesideAgent(ctx context.Context, bin string) (*besideAgent, error) {
	a := besideAgentAddr.String()
	cmd := exec.Command(filepath.Join(bin, "discod"), "agent", "-node", besideNode, "-bind", a, "-client", a, "-log-level", "warn")
	s := &server{spec: serverSpec{Name: "agent", Addr: besideAgentAddr, Port: besideDNS}, cmd: cmd, external: true, stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start discod agent: %w", err)
	}
	hostport := net.JoinHostPort(a, strconv.Itoa(besideHTTP))
	api, err := httpapi.NewClient(hostport)
	if err != nil {
		s.kill()
		return nil, err
	}
	ag := &besideAgent{srv: s, api: api, base: "http://" + hostport, http: &http.Client{Timeout: 30 * time.Second}}
	fail := func(err error) (*besideAgent, error) {
		s.kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%w: %s", err, s.stderr.String())
	}
	if err := waitAnswer(ctx, s.spec, besideNode+".node.consul.", 30*time.Second); err != nil {
		return fail(err)
	}
	if err := api.ServiceRegister(ctx, &servicedef.Service{ID: besideService, Name: besideService, Port: 80}); err != nil {
		return fail(fmt.Errorf("register %s on the agent: %w", besideService, err))
	}
	if err := waitAnswer(ctx, s.spec, besideService+".service.consul.", 30*time.Second); err != nil {
		return fail(err)
	}
	return ag, nil
}

// waitAnswer asks spec's server for name's A record every 10 ms until it
// answers NOERROR with an answer, or timeout passes.
func waitAnswer(ctx context.Context, spec serverSpec, name string, timeout time.Duration) error {
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	client := &dns.Client{Net: "udp", Timeout: 100 * time.Millisecond}
	addr := net.JoinHostPort(spec.Addr.String(), strconv.Itoa(spec.Port))
	deadline := time.Now().Add(timeout)
	for {
		r, _, err := client.ExchangeContext(ctx, q, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s did not answer %s A within %s (last error %v)", addr, name, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metrics reads the agent's Prometheus metrics over its HTTP API
// (/v1/agent/metrics?format=prometheus, which leaves the Corefile as it is).
func (a *besideAgent) metrics(ctx context.Context) (promMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/v1/agent/metrics?format=prometheus", nil)
	if err != nil {
		return nil, fmt.Errorf("agent metrics: %w", err)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("agent metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("agent metrics: %s", resp.Status)
	}
	return parseProm(resp.Body)
}

// promMetrics is a Prometheus text exposition: value by series, the
// series as printed ("name" or "name{labels}").
type promMetrics map[string]float64

// parseProm reads the Prometheus text format; comment lines are skipped.
func parseProm(r io.Reader) (promMetrics, error) {
	m := promMetrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("parse metrics: line %q has no value", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("parse metrics: line %q: %w", line, err)
		}
		m[strings.TrimSpace(line[:i])] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return m, nil
}

// sum adds up the series of metric name whose labels contain every one
// of labels (each written as in the exposition, e.g. `event="applied"`).
func (m promMetrics) sum(name string, labels ...string) float64 {
	t := 0.0
	for series, v := range m {
		n, lab, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(lab, l)
		}
		if ok {
			t += v
		}
	}
	return t
}

// waitMetric polls the agent's metrics every 100 ms until cond holds for
// them or timeout passes, and returns the last ones read.
func (a *besideAgent) waitMetric(ctx context.Context, timeout time.Duration, what string, cond func(promMetrics) bool) (promMetrics, error) {
	deadline := time.Now().Add(timeout)
	for {
		m, err := a.metrics(ctx)
		if err == nil && cond(m) {
			return m, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return m, fmt.Errorf("agent: %s: not after %s (last error %v)", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
