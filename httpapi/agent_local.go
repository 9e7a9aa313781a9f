package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/local"
)

// This file holds what the agent service and check endpoints
// (agent_services.go, agent_checks.go) share: body decoding with its size
// limit, the mapping of local's errors to status codes, and the JSON
// shapes of Consul's api.AgentService and api.AgentCheck.

// maxAgentBody is the largest body a register or update request may carry.
const maxAgentBody = 1 << 20

// withLocal answers 501 when the agent has no service state, and 400 to
// ?filter=, which these endpoints do not evaluate (an unfiltered answer
// would look like a filtered one).
func (s *Server) withLocal(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Local == nil {
			httpError(w, http.StatusNotImplemented, "services and checks are not available on this agent")
			return
		}
		if r.URL.Query().Has("filter") {
			httpError(w, http.StatusBadRequest, "the filter parameter is not supported by discod's agent endpoints: filter the answer on the client side")
			return
		}
		h(w, r)
	}
}

// decodeObjectBody reads a JSON object body of at most maxAgentBody bytes,
// with numbers kept as json.Number. It writes the error answer (413 for a
// body too large, 408 for one sent too slowly, 400 otherwise) and returns
// false on failure.
func decodeObjectBody(w http.ResponseWriter, r *http.Request, what string) (map[string]any, bool) {
	b, err := readBody(w, r, maxAgentBody) // body.go
	switch {
	case err != nil:
		bodyError(w, err)
		return nil, false
	case len(bytes.TrimSpace(b)) == 0:
		httpError(w, http.StatusBadRequest, "missing request body: a JSON object with the "+what)
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		httpError(w, http.StatusBadRequest, "request body is not a JSON object with the "+what+": "+jsonErrorText(err))
		return nil, false
	}
	if dec.More() {
		httpError(w, http.StatusBadRequest, "request body has data after the JSON object")
		return nil, false
	}
	if raw == nil {
		httpError(w, http.StatusBadRequest, "request body is null: a JSON object with the "+what+" is needed")
		return nil, false
	}
	return raw, true
}

// jsonErrorText words a decoding error with its position.
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v (at byte %d)", err, syn.Offset)
	}
	return err.Error()
}

// localError answers an error of the local package: 404 for something
// unknown, 400 for a refusal, 500 for anything else (persistence).
func localError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, local.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, local.ErrInvalid), errors.Is(err, local.ErrLimit), errors.Is(err, local.ErrScriptChecksDisabled):
		code = http.StatusBadRequest
	}
	httpError(w, code, err.Error())
}

// queryBool reads an optional boolean parameter: absent is def, present
// without a value is true.
func queryBool(r *http.Request, name string, def bool) (bool, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return def, nil
	}
	v := q.Get(name)
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s parameter %q is not true or false", name, v)
	}
	return b, nil
}

// agentCheckOf converts a check row for the agent endpoints, in the
// HealthCheck shape of the health endpoints (health.go); tags are those of
// its service.
func agentCheckOf(c catalog.Check, node string, tags []string) HealthCheck {
	if c.Node == "" {
		c.Node = node
	}
	return healthCheckOf(&c, tags)
}

// nodeMaintChecks returns the _node_maintenance check while the node is in
// maintenance, none otherwise.
func (s *Server) nodeMaintChecks() []catalog.Check {
	n := s.Agent.Local()
	var out []catalog.Check
	for _, c := range catalog.NodeChecks(&n) {
		if c.CheckID == catalog.NodeMaintCheckID {
			c.CreateIndex, c.ModifyIndex = 0, 0
			out = append(out, c)
		}
	}
	return out
}
