package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestWriteToken checks who may use the write endpoints, for every
// combination of listener and configured token, and that reads stay open.
func TestWriteToken(t *testing.T) {
	a := testAgent(t)
	lo4, lo6 := netip.MustParseAddr("127.0.4.1"), netip.MustParseAddr("::1")
	mapped := netip.MustParseAddr("::ffff:127.0.4.1")
	any4, lan := netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("192.0.2.10")
	tests := []struct {
		name    string
		listen  netip.Addr
		token   string            // Server.Token
		headers map[string]string // request headers
		code    int
		reason  string // in the 403 body
	}{
		{"loopback, no token configured", lo4, "", nil, 200, ""},
		{"IPv6 loopback, no token configured", lo6, "", nil, 200, ""},
		{"mapped loopback, no token configured", mapped, "", nil, 200, ""},
		{"loopback ignores a token sent when none is configured", lo4, "", map[string]string{TokenHeader: "x"}, 200, ""},
		{"loopback, token configured, none sent", lo4, "s3cret", nil, 403, "needs the agent's token"},
		{"loopback, token configured, wrong one", lo4, "s3cret", map[string]string{TokenHeader: "s3cre"}, 403, "does not match"},
		{"loopback, token configured, X-Consul-Token", lo4, "s3cret", map[string]string{TokenHeader: "s3cret"}, 200, ""},
		{"loopback, token configured, Bearer", lo4, "s3cret", map[string]string{"Authorization": "Bearer s3cret"}, 200, ""},
		{"bearer scheme in any case", lo4, "s3cret", map[string]string{"Authorization": "bearer s3cret"}, 200, ""},
		{"basic auth is not a token", lo4, "s3cret", map[string]string{"Authorization": "Basic czNjcmV0"}, 403, "needs the agent's token"},
		{"X-Consul-Token wins over Bearer", lo4, "s3cret", map[string]string{TokenHeader: "bad", "Authorization": "Bearer s3cret"}, 403, "does not match"},
		{"all addresses, no token configured", any4, "", nil, 403, "listens on 0.0.0.0, not loopback, and no http_token is set"},
		{"all addresses, no token configured, token sent", any4, "", map[string]string{TokenHeader: "x"}, 403, "no http_token is set"},
		{"LAN address, token configured, none sent", lan, "s3cret", nil, 403, "needs the agent's token"},
		{"LAN address, token configured, wrong one", lan, "s3cret", map[string]string{"Authorization": "Bearer nope"}, 403, "does not match"},
		{"LAN address, token configured, right one", lan, "s3cret", map[string]string{TokenHeader: "s3cret"}, 200, ""},
		{"unset listen address fails closed", netip.Addr{}, "", nil, 403, "listens on an unknown address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			left := 0
			s := &Server{Agent: a, ListenAddr: tt.listen, Token: tt.token, Leave: func() error { left++; return nil }}
			h := s.Handler()

			req := httptest.NewRequest("PUT", "/v1/agent/leave", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tt.code || !strings.Contains(body, tt.reason) {
				t.Fatalf("PUT /v1/agent/leave = %d %q; want %d containing %q", rec.Code, body, tt.code, tt.reason)
			}
			if wantLeft := map[bool]int{true: 1, false: 0}[tt.code == 200]; left != wantLeft {
				t.Errorf("Leave called %d times; want %d", left, wantLeft)
			}
			if tt.code == 403 {
				if strings.Count(strings.TrimSpace(body), "\n") != 0 || !strings.HasPrefix(body, "Permission denied: PUT /v1/agent/leave") {
					t.Errorf("403 body %q; want one line starting with Permission denied and naming the endpoint", body)
				}
				if tt.token != "" && strings.Contains(body, tt.token) {
					t.Errorf("403 body %q reveals the configured token", body)
				}
				// Join is guarded the same way, before any gossip happens.
				req := httptest.NewRequest("PUT", "/v1/agent/join/127.0.4.99:1", nil)
				for k, v := range tt.headers {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 403 {
					t.Errorf("PUT /v1/agent/join = %d %q; want 403", rec.Code, rec.Body.String())
				}
			}

			// Reads never need a token.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/agent/members", nil))
			if rec.Code != 200 {
				t.Errorf("GET /v1/agent/members = %d; want 200 without a token", rec.Code)
			}
		})
	}
}

// TestClientToken checks the CLI client presents its token.
func TestClientToken(t *testing.T) {
	a := testAgent(t)
	s := &Server{Agent: a, ListenAddr: netip.MustParseAddr("127.0.4.1"), Token: "s3cret", Leave: func() error { return nil }}
	ts := serve(t, s.Handler())
	c, err := NewClient(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Leave(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("Leave without a token = %v; want a 403 error", err)
	}
	c.SetToken("s3cret")
	if err := c.Leave(context.Background()); err != nil {
		t.Fatalf("Leave with the token = %v", err)
	}
	if _, err := c.Members(context.Background()); err != nil {
		t.Fatalf("Members with a token = %v", err)
	}
}

func TestRequestToken(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"none", nil, ""},
		{"consul header", map[string]string{TokenHeader: " t1 "}, "t1"},
		{"bearer", map[string]string{"Authorization": "Bearer  t2"}, "t2"},
		{"bearer without token", map[string]string{"Authorization": "Bearer"}, ""},
		{"other scheme", map[string]string{"Authorization": "Token t3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := requestToken(r); got != tt.want {
				t.Errorf("requestToken = %q; want %q", got, tt.want)
			}
		})
	}
}
