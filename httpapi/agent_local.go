package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

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
// body too large, 400 otherwise) and returns false on failure.
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

// agentServiceJSON is Consul's api.AgentService, the fields discod has.
type agentServiceJSON struct {
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string
	Port              int
	Address           string
	TaggedAddresses   map[string]catalog.ServiceAddress `json:",omitempty"`
	Weights           catalog.Weights
	EnableTagOverride bool
	ContentHash       string `json:",omitempty"`
	Datacenter        string
}

func (s *Server) agentServiceOf(svc catalog.Service) agentServiceJSON {
	tags := svc.Tags
	if tags == nil {
		tags = []string{}
	}
	return agentServiceJSON{
		ID: svc.ID, Service: svc.Name, Tags: tags, Meta: nonNil(svc.Meta), Port: svc.Port, Address: svc.Address,
		TaggedAddresses: svc.TaggedAddresses, Weights: svc.Weights, EnableTagOverride: svc.EnableTagOverride,
		Datacenter: s.Agent.Config().Datacenter,
	}
}

// agentCheckJSON is Consul's api.AgentCheck (and, with ServiceTags, its
// api.HealthCheck without the indexes).
type agentCheckJSON struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
	ExposedPort int
	Definition  checkDefinitionJSON
}

// checkDefinitionJSON is Consul's api.HealthCheckDefinition. Durations are
// always Go duration strings ("0s" for none): consul/api fails to decode
// an empty string there.
type checkDefinitionJSON struct {
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	UDP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	H2PING                         string              `json:",omitempty"`
	Interval                       string
	Timeout                        string
	DeregisterCriticalServiceAfter string
}

// agentCheckOf converts a check row; tags are those of its service.
func agentCheckOf(c catalog.Check, node string, tags []string) agentCheckJSON {
	if tags == nil {
		tags = []string{}
	}
	if c.Node == "" {
		c.Node = node
	}
	d := c.Definition
	return agentCheckJSON{
		Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes, Output: c.Output,
		ServiceID: c.ServiceID, ServiceName: c.ServiceName, ServiceTags: tags, Type: c.Type,
		Definition: checkDefinitionJSON{
			HTTP: d.HTTP, Header: d.Header, Method: d.Method, Body: d.Body, TLSServerName: d.TLSServerName,
			TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP, UDP: d.UDP, GRPC: d.GRPC, H2PING: d.H2PING,
			Interval: d.Interval.String(), Timeout: d.Timeout.String(),
			DeregisterCriticalServiceAfter: d.DeregisterCriticalServiceAfter.String(),
		},
	}
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

// agentWait reads ?wait= of a blocking agent read: Consul's default 5
// minutes, at most 10.
func agentWait(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 5 * time.Minute, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, nerr := strconv.Atoi(v); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("wait parameter %q is not a duration such as 30s or 5m", v)
	}
	return min(d, 10*time.Minute), nil
}
