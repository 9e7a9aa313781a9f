package httpapi

import (
	"context"
	"net/http"
	"net/url"
)

// MembersWAN returns GET /v1/agent/members?wan=1: the WAN pool, which only
// a server is in.
func (c *Client) MembersWAN(ctx context.Context) ([]AgentMember, error) {
	var out []AgentMember
	return out, c.do(ctx, http.MethodGet, "/v1/agent/members?wan=1", &out)
}

// JoinWAN asks a server to join the WAN pool through addr (a server of
// another datacenter; default port 8302).
func (c *Client) JoinWAN(ctx context.Context, addr string) error {
	return c.do(ctx, http.MethodPut, "/v1/agent/join/"+url.PathEscape(addr)+"?wan=1", nil)
}

// Datacenters returns GET /v1/catalog/datacenters: the agent's own
// datacenter first, then the others in alphabetical order.
func (c *Client) Datacenters(ctx context.Context) ([]string, error) {
	var out []string
	return out, c.do(ctx, http.MethodGet, "/v1/catalog/datacenters", &out)
}
