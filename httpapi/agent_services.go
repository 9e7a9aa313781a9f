package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/local"
	"github.com/discod/discod/servicedef"
)

// sourceHTTP names definitions registered over the API in messages.
const sourceHTTP = "HTTP API"

// agentServiceRoutes registers the agent's service endpoints, Consul's,
// and its check endpoints (agent_checks.go).
func (s *Server) agentServiceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /v1/agent/service/register", s.write(s.withLocal(s.serviceRegister)))
	mux.HandleFunc("PUT /v1/agent/service/deregister/{id...}", s.write(s.withLocal(s.serviceDeregister)))
	mux.HandleFunc("PUT /v1/agent/service/maintenance/{id...}", s.write(s.withLocal(s.serviceMaintenance)))
	mux.HandleFunc("GET /v1/agent/services", s.withLocal(s.agentServices))
	mux.HandleFunc("GET /v1/agent/service/{id...}", s.withLocal(s.agentService))
	mux.HandleFunc("GET /v1/agent/health/service/name/{name...}", s.withLocal(s.agentHealthByName))
	mux.HandleFunc("GET /v1/agent/health/service/id/{id...}", s.withLocal(s.agentHealthByID))
	s.agentCheckRoutes(mux)
}

// serviceRegister serves PUT /v1/agent/service/register[?replace-existing-checks].
func (s *Server) serviceRegister(w http.ResponseWriter, r *http.Request) {
	replace, err := queryBool(r, "replace-existing-checks", false)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	raw, ok := decodeObjectBody(w, r, "service definition")
	if !ok {
		return
	}
	def, err := servicedef.DecodeService(raw, sourceHTTP)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.Local.AddService(def, replace); err != nil {
		localError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serviceDeregister serves PUT /v1/agent/service/deregister/<id>; an
// unknown ID is no error, as in Consul.
func (s *Server) serviceDeregister(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Local.RemoveService(r.PathValue("id")); err != nil {
		localError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serviceMaintenance serves PUT /v1/agent/service/maintenance/<id>?enable=&reason=.
func (s *Server) serviceMaintenance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("enable") {
		httpError(w, http.StatusBadRequest, "missing enable parameter: PUT /v1/agent/service/maintenance/<id>?enable=true|false[&reason=...]")
		return
	}
	enable, err := queryBool(r, "enable", false)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.Local.SetServiceMaintenance(r.PathValue("id"), enable, q.Get("reason")); err != nil {
		localError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// agentServices serves GET /v1/agent/services: an object keyed by ID.
func (s *Server) agentServices(w http.ResponseWriter, r *http.Request) {
	out := map[string]*AgentService{}
	for _, svc := range s.Local.Services() {
		out[svc.ID] = s.localServiceOf(svc)
	}
	writeJSON(w, out)
}

// agentService serves GET /v1/agent/service/<id> with its ContentHash, and
// blocks while ?hash= is the current hash (Consul's hash-based blocking).
func (s *Server) agentService(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	wait, err := parseWait(r.URL.Query().Get("wait")) // blocking.go: Consul's default, cap and jitter
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	for {
		changed := s.Local.Changed()
		svc, ok := s.Local.Service(id)
		if !ok {
			httpError(w, http.StatusNotFound, fmt.Sprintf("unknown service ID %q", id))
			return
		}
		out := s.localServiceOf(svc)
		out.ContentHash = local.ContentHash(svc)
		if h := r.URL.Query().Get("hash"); h != "" && h == out.ContentHash {
			select {
			case <-changed:
				continue
			case <-s.Done: // the agent stops: answer now
			case <-ctx.Done():
				if r.Context().Err() != nil {
					return // the client went away
				}
			}
		}
		w.Header().Set("X-Consul-ContentHash", out.ContentHash)
		w.Header().Set("X-Consul-KnownLeader", "true")
		w.Header().Set("X-Consul-LastContact", "0")
		writeJSON(w, out)
		return
	}
}

// agentServiceChecksJSON is Consul's api.AgentServiceChecksInfo.
type agentServiceChecksJSON struct {
	AggregatedStatus string
	Service          *AgentService
	Checks           []HealthCheck
}

// agentHealthOf returns the health of service svc: its checks, the node's
// (its maintenance included) and its aggregated status.
func (s *Server) agentHealthOf(svc catalog.Service) agentServiceChecksJSON {
	node := s.Agent.Config().NodeName
	checks := append(s.nodeMaintChecks(), s.Local.ServiceChecks(svc.ID)...)
	out := agentServiceChecksJSON{
		AggregatedStatus: catalog.AggregatedStatus(checks), Service: s.localServiceOf(svc),
		Checks: make([]HealthCheck, 0, len(checks)),
	}
	for _, c := range checks {
		tags := svc.Tags
		if c.ServiceID == "" {
			tags = nil
		}
		out.Checks = append(out.Checks, agentCheckOf(c, node, tags))
	}
	return out
}

// healthRank orders aggregated statuses from best to worst.
func healthRank(status string) int {
	switch status {
	case catalog.StatusPassing:
		return 0
	case catalog.StatusWarning:
		return 1
	}
	return 2 // critical, maintenance, or unknown
}

// healthCode is Consul's status code for an aggregated status.
func healthCode(status string) int {
	switch healthRank(status) {
	case 0:
		return http.StatusOK
	case 1:
		return http.StatusTooManyRequests
	}
	return http.StatusServiceUnavailable
}

// writeHealth answers an agent health request: the body as JSON, or the
// status alone with ?format=text.
func writeHealth(w http.ResponseWriter, r *http.Request, status string, body any) {
	code := healthCode(status)
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		fmt.Fprint(w, status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	writeJSON(w, body)
}

func healthFormat(w http.ResponseWriter, r *http.Request) bool {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json", "text":
		return true
	default:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("format parameter %q is not json or text", f))
		return false
	}
}

// agentHealthByName serves GET /v1/agent/health/service/name/<name>: 200
// when every instance of the name on this agent passes, 429 when the worst
// is warning, 503 when critical or in maintenance, 404 for none.
func (s *Server) agentHealthByName(w http.ResponseWriter, r *http.Request) {
	if !healthFormat(w, r) {
		return
	}
	name := r.PathValue("name")
	var out []agentServiceChecksJSON
	worst := catalog.StatusPassing
	for _, svc := range s.Local.Services() {
		if svc.Name != name {
			continue
		}
		h := s.agentHealthOf(svc)
		if healthRank(h.AggregatedStatus) > healthRank(worst) {
			worst = h.AggregatedStatus
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		httpError(w, http.StatusNotFound, fmt.Sprintf("ServiceName %s Not Found", name))
		return
	}
	writeHealth(w, r, worst, out)
}

// agentHealthByID serves GET /v1/agent/health/service/id/<id>.
func (s *Server) agentHealthByID(w http.ResponseWriter, r *http.Request) {
	if !healthFormat(w, r) {
		return
	}
	id := r.PathValue("id")
	svc, ok := s.Local.Service(id)
	if !ok {
		httpError(w, http.StatusNotFound, fmt.Sprintf("ServiceId %s not found", id))
		return
	}
	h := s.agentHealthOf(svc)
	writeHealth(w, r, h.AggregatedStatus, h)
}

// localServiceOf converts one of this agent's services into Consul's
// AgentService shape (catalog.go).
func (s *Server) localServiceOf(svc catalog.Service) *AgentService {
	return agentServiceOf(&svc, s.Agent.Config().Datacenter)
}
