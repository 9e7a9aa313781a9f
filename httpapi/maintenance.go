package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// maintenance serves PUT /v1/agent/maintenance?enable=true|false&reason=...,
// Consul's node maintenance endpoint: the node stays in the cluster and
// leaves DNS answers while enabled. The reason is kept when the agent
// restarts with the same data dir (Server.Maintenance).
func (s *Server) maintenance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("enable") {
		httpError(w, http.StatusBadRequest, "missing enable parameter: PUT /v1/agent/maintenance?enable=true|false[&reason=...]")
		return
	}
	enable, err := strconv.ParseBool(q.Get("enable"))
	if err != nil {
		httpError(w, http.StatusBadRequest, "enable parameter "+strconv.Quote(q.Get("enable"))+" is not true or false")
		return
	}
	set := s.Maintenance
	if set == nil {
		set = s.Agent.SetMaintenance
	}
	if err := set(enable, q.Get("reason")); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Maintenance puts the agent's node in maintenance with reason (enable
// true) or takes it out.
func (c *Client) Maintenance(ctx context.Context, enable bool, reason string) error {
	q := url.Values{"enable": {strconv.FormatBool(enable)}}
	if enable && reason != "" {
		q.Set("reason", reason)
	}
	return c.do(ctx, http.MethodPut, "/v1/agent/maintenance?"+q.Encode(), nil)
}

// ServiceMaintenance puts the local service id into maintenance mode or
// takes it out (PUT /v1/agent/service/maintenance/<id>).
func (c *Client) ServiceMaintenance(ctx context.Context, id string, enable bool, reason string) error {
	q := url.Values{"enable": {strconv.FormatBool(enable)}}
	if enable && reason != "" {
		q.Set("reason", reason)
	}
	return c.do(ctx, http.MethodPut, "/v1/agent/service/maintenance/"+url.PathEscape(id)+"?"+q.Encode(), nil)
}

// MaintenanceCheck is the part of a GET /v1/agent/checks entry that
// `discod maint` lists.
type MaintenanceCheck struct {
	CheckID, ServiceID, Notes string
}

// AgentChecks returns the local agent's checks (GET /v1/agent/checks), by
// check ID.
func (c *Client) AgentChecks(ctx context.Context) (map[string]MaintenanceCheck, error) {
	var out map[string]MaintenanceCheck
	err := c.do(ctx, http.MethodGet, "/v1/agent/checks", &out)
	return out, err
}
