package chaos

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/consul/api/watch"
	"github.com/hashicorp/go-hclog"
)

// watchers are Consul api/watch plans (as consul-template and Consul's
// own watches run them) on nodes, services and one service's health,
// against the watched slot's agent, running for the whole schedule.
type watchers struct {
	mu    sync.Mutex
	last  map[string]string // plan name → last delivery, rendered as the truth is
	count map[string]int    // deliveries per plan
	plans []*watch.Plan
	wg    sync.WaitGroup
}

// patientTransport retries a request whose connection is refused (the
// agent is restarting) for up to 30 s, and spaces the requests of one plan
// at least 50 ms apart, so that a plan's own back-off (5 s, 20 s, 45 s,
// … after consecutive errors) does not decide how fast a watcher follows
// a restarted agent, and an endpoint that does not block cannot spin.
type patientTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	next time.Time
}

func (p *patientTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	wait := time.Until(p.next)
	p.next = time.Now().Add(wait + 50*time.Millisecond)
	p.mu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := p.base.RoundTrip(r)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) || r.Body != nil && r.Body != http.NoBody {
			return resp, err
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
}

// startWatchers runs the three plans against the agent at ip.
func startWatchers(ip string) (*watchers, error) {
	ws := &watchers{last: map[string]string{}, count: map[string]int{}}
	specs := []struct {
		name   string
		params map[string]any
	}{
		{"nodes", map[string]any{"type": "nodes"}},
		{"services", map[string]any{"type": "services"}},
		{"service " + watchedService, map[string]any{"type": "service", "service": watchedService, "passingonly": true}},
	}
	logger := hclog.New(&hclog.LoggerOptions{Output: io.Discard})
	for _, sp := range specs {
		plan, err := watch.Parse(sp.params)
		if err != nil {
			ws.stop()
			return nil, err
		}
		name := sp.name
		plan.HybridHandler = func(_ watch.BlockingParamVal, result any) {
			var s string
			switch r := result.(type) {
			case []*api.Node:
				var out []string
				for _, n := range r {
					out = append(out, n.Node+" "+n.Address)
				}
				s = joinSorted(out)
			case map[string][]string:
				s = servicesString(r, nil)
			case []*api.ServiceEntry:
				s = healthString(r, nil)
			}
			ws.mu.Lock()
			ws.last[name] = s
			ws.count[name]++
			ws.mu.Unlock()
		}
		tr := &patientTransport{base: &http.Transport{
			DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		}}
		client, err := api.NewClient(&api.Config{Address: ip + ":8500", HttpClient: &http.Client{Transport: tr}})
		if err != nil {
			ws.stop()
			return nil, err
		}
		ws.plans = append(ws.plans, plan)
		ws.wg.Go(func() { _ = plan.RunWithClientAndHclog(client, logger) })
	}
	return ws, nil
}

// stop stops every plan and waits for them.
func (ws *watchers) stop() {
	for _, p := range ws.plans {
		p.Stop()
	}
	ws.wg.Wait()
}

// diffs compares the last deliveries with the truth.
func (ws *watchers) diffs(e *expect) []diff {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var out []diff
	for name, want := range map[string]string{
		"nodes": e.nodes, "services": servicesWant(e.services), "service " + watchedService: e.health[watchedService],
	} {
		if got, ok := ws.last[name]; !ok || got != want {
			if !ok {
				got = "(nothing delivered)"
			}
			out = append(out, diff{key: "watcher " + name, got: got, want: want})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// deliveries returns how many results each plan delivered.
func (ws *watchers) deliveries() map[string]int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := map[string]int{}
	for k, v := range ws.count {
		out[k] = v
	}
	return out
}
