package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAddr is where the CLI looks for its agent unless -http-addr or
// DISCOD_HTTP_ADDR says otherwise.
const DefaultAddr = "127.0.0.1:8500"

// ErrUnreachable is wrapped by every client error that means no agent
// answered at the address (as opposed to an agent answering with an error).
var ErrUnreachable = errors.New("cannot reach the discod agent")

// Client talks to one agent's HTTP API.
type Client struct {
	base  string // scheme://host:port
	http  *http.Client
	token string // sent as X-Consul-Token when not ""
}

// NewClient returns a client for addr, given as host:port or as a URL.
func NewClient(addr string) (*Client, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad agent address %q: want host:port or http://host:port", addr)
	}
	return &Client{base: u.Scheme + "://" + u.Host, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// SetToken makes the client present token (the agent's http_token) in the
// X-Consul-Token header of every request; "" sends none.
func (c *Client) SetToken(token string) { c.token = token }

// Addr returns the agent's base URL.
func (c *Client) Addr() string { return c.base }

// do performs one request and decodes a JSON answer into out (if non-nil).
// Errors are one line: an unreachable agent names the address tried; an
// error response carries the agent's own reason.
func (c *Client) do(ctx context.Context, method, path string, out any) error {
	return c.doBody(ctx, method, path, nil, out)
}

func (c *Client) doBody(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return fmt.Errorf("%w at %s: %v (is `discod agent` running? set -http-addr or DISCOD_HTTP_ADDR)", ErrUnreachable, c.base, op.Err)
		}
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer from %s: %w", c.base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s (HTTP %d)", strings.TrimSpace(string(answer)), resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("agent at %s sent unreadable JSON for %s: %w", c.base, path, err)
	}
	return nil
}

// Members returns GET /v1/agent/members.
func (c *Client) Members(ctx context.Context) ([]AgentMember, error) {
	var out []AgentMember
	return out, c.do(ctx, http.MethodGet, "/v1/agent/members", &out)
}

// Self returns GET /v1/agent/self.
func (c *Client) Self(ctx context.Context) (*Self, error) {
	var out Self
	return &out, c.do(ctx, http.MethodGet, "/v1/agent/self", &out)
}

// Join asks the agent to join the cluster through addr.
func (c *Client) Join(ctx context.Context, addr string) error {
	return c.do(ctx, http.MethodPut, "/v1/agent/join/"+url.PathEscape(addr), nil)
}

// Leave asks the agent to leave gracefully and shut down.
func (c *Client) Leave(ctx context.Context) error {
	return c.do(ctx, http.MethodPut, "/v1/agent/leave", nil)
}

// Keyring runs a keyring operation: method GET (list), POST (install),
// PUT (use) or DELETE (remove); key is empty for a list.
func (c *Client) Keyring(ctx context.Context, method, key string) ([]KeyringResponse, error) {
	var body io.Reader
	if key != "" {
		b, _ := json.Marshal(keyringRequest{Key: key})
		body = bytes.NewReader(b)
	}
	var out []KeyringResponse
	return out, c.doBody(ctx, method, "/v1/operator/keyring", body, &out)
}

// ForceLeave asks the agent to force a failed member out (prune: remove it).
func (c *Client) ForceLeave(ctx context.Context, node string, prune bool) error {
	path := "/v1/agent/force-leave/" + url.PathEscape(node)
	if prune {
		path += "?prune"
	}
	return c.do(ctx, http.MethodPut, path, nil)
}
