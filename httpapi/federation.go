package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/discod/discod/membership"
)

// Several datacenters in the HTTP API. `?dc=` on a catalog endpoint names
// another datacenter: the request is forwarded, as is, along the path DNS
// questions take (membership's federation.go): a client's to a server of
// its own datacenter, a server's to a server of that datacenter over the
// WAN, which answers from its own table. The hop travels in the
// ForwardedHeader header, so a forwarded request is never forwarded in a
// loop, and the last server answers with WAN addresses (translate_wan_addrs,
// always on). `?wan=1` on members and join reaches the WAN pool of a
// server (pool); its members are named <node>.<dc> and it joins through
// port 8302 by default.

// ForwardedHeader marks a request one agent forwarded to another, with the
// hop it took: "lan" (to a server of the same datacenter) or "wan" (to a
// server of the datacenter asked about).
const ForwardedHeader = "X-Discod-Forwarded"

// Timeouts of one forwarded request that does not block. A client's LAN
// hop waits long enough for its server to try two servers of the other
// datacenter. A blocking read (?index=&wait=) gets its wait and the
// largest jitter on top (blockingWait), on each hop.
const (
	wanForwardTimeout = 2 * time.Second
	lanForwardTimeout = 2*wanForwardTimeout + time.Second
	forwardAttempts   = 2
)

// relayedHeaders are the response headers copied back from the agent that
// answered a forwarded request.
var relayedHeaders = []string{"Content-Type", "X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact"}

// forwardClient sends forwarded requests; every request carries its own
// deadline.
var forwardClient = &http.Client{}

// fromWAN reports whether r was forwarded from another datacenter.
func fromWAN(r *http.Request) bool {
	return membership.ParseHop(r.Header.Get(ForwardedHeader)) == membership.HopWAN
}

// forwardDC answers r, a catalog read for datacenter dc (not ours), with
// the answer of a server on the route there. An unknown datacenter, one
// that cannot be reached, and a request that may not be forwarded again
// all get Consul's 500 "No path to datacenter", with the reason.
func (s *Server) forwardDC(w http.ResponseWriter, r *http.Request, dc string) {
	hop := membership.ParseHop(r.Header.Get(ForwardedHeader))
	fed := s.Agent.Federation()
	route, err := fed.Route(dc, hop, func(m membership.Member) bool { return m.HTTPAddr.IsValid() })
	if err != nil {
		reason := err.Error()
		var re *membership.RouteError
		if errors.As(err, &re) {
			reason = re.Reason
			if errors.Is(err, membership.ErrUnknownDatacenter) {
				reason = "unknown datacenter; known: " + strings.Join(fed.Datacenters(), ", ")
			}
		}
		setQueryMeta(w, s.Agent.Table().Index())
		httpError(w, http.StatusInternalServerError, fmt.Sprintf("No path to datacenter %q: %s", dc, reason))
		return
	}
	timeout := lanForwardTimeout
	if route.Hop == membership.HopWAN {
		timeout = wanForwardTimeout
	}
	timeout += blockingWait(r)
	// A forwarded read ends with the agent too (Server.Done), not only
	// with its client or its timeout.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.doneContext(), cancel)()
	var errs []string
	for i, srv := range route.Servers {
		if i == forwardAttempts {
			break
		}
		status, header, body, err := forwardOnce(ctx, r, srv.HTTPAddr, route.Hop, timeout)
		if err == nil && status == http.StatusOK {
			for _, h := range relayedHeaders {
				if v := header.Get(h); v != "" {
					w.Header().Set(h, v)
				}
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		if err == nil {
			err = fmt.Errorf("HTTP %d: %s", status, strings.TrimSpace(string(body)))
		}
		errs = append(errs, fmt.Sprintf("server %s at %s: %v", srv.Name, srv.HTTPAddr, err))
	}
	setQueryMeta(w, s.Agent.Table().Index())
	httpError(w, http.StatusInternalServerError, fmt.Sprintf("No path to datacenter %q: %s", dc, strings.Join(errs, "; ")))
}

// forwardOnce sends r's method and path (with its query) to the agent at
// addr, marked with hop, and returns the answer; ctx bounds it.
func forwardOnce(ctx context.Context, r *http.Request, addr netip.AddrPort, hop membership.Hop, timeout time.Duration) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, "http://"+addr.String()+r.URL.RequestURI(), nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set(ForwardedHeader, hop.String())
	resp, err := forwardClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// wanRequested reports whether r asks for the WAN pool (?wan=1).
func wanRequested(r *http.Request) bool {
	v := r.URL.Query().Get("wan")
	return v != "" && v != "0" && v != "false"
}

// pool returns the agent whose pool r is about: the WAN pool's agent for
// ?wan=1, the LAN agent otherwise. For ?wan=1 on an agent that is not in
// the WAN pool it writes 400 and returns nil.
func (s *Server) pool(w http.ResponseWriter, r *http.Request) *membership.Agent {
	if !wanRequested(r) {
		return s.Agent
	}
	wan := s.Agent.WAN()
	if wan == nil {
		httpError(w, http.StatusBadRequest, "this agent is not in the WAN pool: only servers (-server) join it")
	}
	return wan
}

// doneContext returns a context that ends when Server.Done closes (never
// when Done is nil), for work that must stop with the agent.
func (s *Server) doneContext() context.Context {
	s.doneOnce.Do(func() {
		if s.Done == nil {
			s.doneCtx = context.Background()
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.doneCtx = ctx
		go func() { <-s.Done; cancel() }()
	})
	return s.doneCtx
}
