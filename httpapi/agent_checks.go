package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// agentCheckRoutes registers the agent's check endpoints, Consul's.
func (s *Server) agentCheckRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/agent/checks", s.withLocal(s.agentChecks))
	mux.HandleFunc("PUT /v1/agent/check/register", s.write(s.withLocal(s.checkRegister)))
	mux.HandleFunc("PUT /v1/agent/check/deregister/{id...}", s.write(s.withLocal(s.checkDeregister)))
	for _, verb := range []string{"pass", "warn", "fail"} {
		mux.HandleFunc("PUT /v1/agent/check/"+verb+"/{id...}", s.write(s.withLocal(s.checkTTL(verb))))
	}
	mux.HandleFunc("PUT /v1/agent/check/update/{id...}", s.write(s.withLocal(s.checkUpdate)))
}

// agentChecks serves GET /v1/agent/checks: an object keyed by check ID,
// the node's maintenance check included while it is in maintenance.
func (s *Server) agentChecks(w http.ResponseWriter, r *http.Request) {
	node := s.Agent.Config().NodeName
	tags := map[string][]string{}
	for _, svc := range s.Local.Services() {
		tags[svc.ID] = svc.Tags
	}
	out := map[string]HealthCheck{}
	for _, c := range append(s.nodeMaintChecks(), s.Local.Checks()...) {
		out[c.CheckID] = agentCheckOf(c, node, tags[c.ServiceID])
	}
	writeJSON(w, out)
}

// checkRegister serves PUT /v1/agent/check/register.
func (s *Server) checkRegister(w http.ResponseWriter, r *http.Request) {
	raw, ok := decodeObjectBody(w, r, "check definition")
	if !ok {
		return
	}
	def, err := servicedef.DecodeCheck(raw, sourceHTTP)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.Local.AddCheck(def); err != nil {
		localError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// checkDeregister serves PUT /v1/agent/check/deregister/<id>.
func (s *Server) checkDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	found, err := s.Local.RemoveCheck(id)
	if err != nil {
		localError(w, err)
		return
	}
	if !found {
		httpError(w, http.StatusNotFound, "unknown check ID "+strconv.Quote(id))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// checkTTL serves PUT /v1/agent/check/pass|warn|fail/<id>?note=.
func (s *Server) checkTTL(verb string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.Local.UpdateTTL(r.PathValue("id"), verb, r.URL.Query().Get("note")); err != nil {
			localError(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// checkUpdate serves PUT /v1/agent/check/update/<id> with the body
// {"Status": "passing|warning|critical", "Output": "..."}.
func (s *Server) checkUpdate(w http.ResponseWriter, r *http.Request) {
	raw, ok := decodeObjectBody(w, r, "Status and Output")
	if !ok {
		return
	}
	b, _ := json.Marshal(raw)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var body struct{ Status, Output string }
	if err := dec.Decode(&body); err != nil {
		httpError(w, http.StatusBadRequest, "request body: "+err.Error()+" (the body is {\"Status\": \"passing|warning|critical\", \"Output\": \"...\"})")
		return
	}
	switch body.Status {
	case catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical:
	default:
		httpError(w, http.StatusBadRequest, "Status "+strconv.Quote(body.Status)+" is not passing, warning or critical")
		return
	}
	if err := s.Local.UpdateTTL(r.PathValue("id"), body.Status, body.Output); err != nil {
		localError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
