package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/discod/discod/checks"
	"github.com/discod/discod/internal/logstream"
	"github.com/discod/discod/local"
	"github.com/discod/discod/membership"
)

// Server serves the HTTP API for one agent.
type Server struct {
	// Agent is the local gossip agent; required.
	Agent *membership.Agent
	// Version is the discod version reported by /v1/agent/self.
	Version string
	// Domain is the DNS domain, reported by /v1/agent/self.
	Domain string
	// Leave makes the agent leave the cluster gracefully and then shut the
	// process down; it returns once the leave has been broadcast. Required
	// for PUT /v1/agent/leave.
	Leave func() error

	// ListenAddr is the address the HTTP listener is bound to (the agent's
	// client_addr). When it is not loopback — 0.0.0.0, a LAN address, or
	// left unset — write endpoints require Token, and with no Token they
	// are refused altogether. Read endpoints never require a token.
	ListenAddr netip.Addr
	// Token is the API token (http_token); "" for none. When set, write
	// endpoints require it whatever ListenAddr is, presented in the
	// X-Consul-Token header or as "Authorization: Bearer <token>".
	Token string

	// Reload re-reads the agent's config files and Corefile, as SIGHUP
	// does (PUT /v1/agent/reload); nil answers 501.
	Reload func() error
	// Logs lets clients follow the agent's log (GET /v1/agent/monitor);
	// nil answers 501.
	Logs *logstream.Hub
	// Maintenance sets or clears the node's maintenance mode for
	// PUT /v1/agent/maintenance and keeps it across restarts; nil calls
	// Agent.SetMaintenance, which does not persist it.
	Maintenance func(enable bool, reason string) error
	// Local is the agent's own services and checks, for the
	// /v1/agent/service* and /v1/agent/check* endpoints; nil answers 501.
	Local *local.State
	// MaxBlocking bounds the blocking queries held at once; a read that
	// would block past it gets 429. 0 is DefaultMaxBlocking.
	MaxBlocking int
	// CheckStats reports what the agent's check runner did, for the
	// metrics; nil reports nothing.
	CheckStats func() checks.Stats
	// Done, when closed, makes every blocked read (?index=&wait=) answer at
	// once with its current result: the daemon closes it when it leaves or
	// shuts down, before it stops the HTTP server. nil never closes.
	Done <-chan struct{}

	blockStats  blockStats  // blocking reads, for the metrics (blocking.go)
	noPark      bool        // hold blocked reads in their handler (park.go), for comparison
	answers     answerCache // encoded answers shared by parked reads (park.go)
	parkedConns parkedConns // parked reads, swept for clients that went away (park.go)
	doneOnce    sync.Once
	doneCtx     context.Context // ends when Done closes (federation.go)
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/members", s.members)
	mux.HandleFunc("GET /v1/agent/self", s.self)
	mux.HandleFunc("GET /v1/agent/health", s.health)
	mux.HandleFunc("GET /v1/agent/ready", s.ready)
	mux.HandleFunc("GET /v1/agent/metrics", s.metricsHandler())
	// Write endpoints go through s.write, the token check (auth.go).
	mux.HandleFunc("PUT /v1/agent/join/{addr...}", s.write(s.join))
	mux.HandleFunc("PUT /v1/agent/leave", s.write(s.leave))
	mux.HandleFunc("PUT /v1/agent/force-leave/{node}", s.write(s.forceLeave))
	mux.HandleFunc("PUT /v1/agent/reload", s.write(s.reload))
	mux.HandleFunc("PUT /v1/agent/maintenance", s.write(s.maintenance))
	// Log lines can carry addresses and names: following them needs the
	// write token too.
	mux.HandleFunc("GET /v1/agent/monitor", s.write(s.monitor))
	// Keys are secrets: listing them needs the write token too.
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		mux.HandleFunc(m+" /v1/operator/keyring", s.write(s.keyring))
	}
	// Indexed reads: blocking queries, ?dc=, ?filter= (catalog.go, health.go).
	mux.HandleFunc("GET /v1/catalog/nodes", s.catalogNodes)
	mux.HandleFunc("GET /v1/catalog/node/{name}", s.catalogNode)
	mux.HandleFunc("GET /v1/catalog/services", s.catalogServices)
	mux.HandleFunc("GET /v1/catalog/service/{name}", s.catalogService)
	mux.HandleFunc("GET /v1/health/service/{name}", s.healthService)
	mux.HandleFunc("GET /v1/health/node/{name}", s.healthNode)
	mux.HandleFunc("GET /v1/health/checks/{name}", s.healthChecks)
	mux.HandleFunc("GET /v1/health/state/{state}", s.healthState)
	mux.HandleFunc("GET /v1/kv/{key...}", s.kv)
	mux.HandleFunc("GET /v1/catalog/datacenters", s.datacenters)
	s.catalogWriteRoutes(mux) // catalog_register.go
	s.uiRoutes(mux)
	s.agentServiceRoutes(mux) // agent_services.go, agent_checks.go
	// Unknown paths get the mux's "404 page not found" and a known path with
	// the wrong method "405 method not allowed" with an Allow header.
	return mux
}

// httpError writes a one-line plain-text reason, as Consul does.
func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, strings.ReplaceAll(msg, "\n", " "))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// checkDC answers true when the request is for this agent's datacenter
// (no ?dc=, or ours). For another datacenter it forwards the request
// (federation.go), which writes the answer, and answers false.
func (s *Server) checkDC(w http.ResponseWriter, r *http.Request) bool {
	dc := strings.ToLower(r.URL.Query().Get("dc"))
	if dc == "" || dc == s.Agent.Config().Datacenter {
		return true
	}
	s.forwardDC(w, r, dc)
	return false
}

// AgentMemberOf converts a table entry into Consul's member shape.
func AgentMemberOf(m membership.Member) AgentMember {
	role := RoleTagClient
	if m.IsServer() {
		role = RoleTagServer
	}
	out := AgentMember{
		Name: m.Name,
		Addr: m.Addr.String(),
		Port: m.Port,
		Tags: map[string]string{
			TagRole:  role,
			TagDC:    m.Datacenter,
			TagBuild: m.Build,
			TagID:    m.ID,
			TagVsn:   strconv.Itoa(int(m.ProtocolCur)),
		},
		Status:      int(m.State),
		ProtocolMin: m.ProtocolMin, ProtocolMax: m.ProtocolMax, ProtocolCur: m.ProtocolCur,
		DelegateMin: m.DelegateMin, DelegateMax: m.DelegateMax, DelegateCur: m.DelegateCur,
	}
	if m.Maintenance != "" {
		out.Tags[TagMaintenance] = m.Maintenance
	}
	return out
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	a := s.pool(w, r) // federation.go: ?wan=1
	if a == nil {
		return
	}
	f, err := newFilter(r.URL.Query().Get("filter"), &AgentMember{})
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	ms := a.Table().Members()
	out := make([]AgentMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, AgentMemberOf(m))
	}
	out, err = filterList(f, out)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, out)
}

func (s *Server) self(w http.ResponseWriter, r *http.Request) {
	c := s.Agent.Config()
	local := s.Agent.Local()
	writeJSON(w, Self{
		Config: SelfConfig{
			Datacenter: c.Datacenter, PrimaryDatacenter: c.Datacenter,
			NodeName: c.NodeName, NodeID: c.NodeID, Server: c.Role == membership.RoleServer,
			Version: s.Version, Domain: s.Domain, BootstrapExpect: c.BootstrapExpect,
		},
		Member: AgentMemberOf(local),
		Meta:   nonNil(c.Meta),
		Stats:  s.stats(),
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.Agent.Ready() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ready")
		return
	}
	c := s.Agent.Config()
	httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("not ready: %d of %d expected servers of datacenter %s alive",
		s.Agent.AliveServers(), c.BootstrapExpect, c.Datacenter))
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	a := s.pool(w, r) // federation.go: ?wan=1
	if a == nil {
		return
	}
	addr := r.PathValue("addr")
	if addr == "" {
		httpError(w, http.StatusBadRequest, "missing address: PUT /v1/agent/join/<host[:port]>[?wan=1]")
		return
	}
	if _, err := a.Join([]string{addr}); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request) {
	if s.Leave == nil {
		httpError(w, http.StatusNotImplemented, "leave is not available on this agent")
		return
	}
	if err := s.Leave(); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}

// datacenters lists every known datacenter: this agent's first, then the
// others in alphabetical order (Consul sorts them by round-trip time;
// discod keeps no network coordinates).
func (s *Server) datacenters(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.Agent.Datacenters())
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
