package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// TokenHeader is the request header that carries the API token, as Consul's.
// An "Authorization: Bearer <token>" header is accepted as well.
const TokenHeader = "X-Consul-Token"

// tokenRequired reports whether write endpoints need a token: always when
// one is configured, and also when the listener is not loopback (an agent
// reachable from other hosts must not take join or leave orders from
// anyone who can reach its port). An unset ListenAddr counts as not
// loopback, so a Server wired without it fails closed.
func (s *Server) tokenRequired() bool {
	return s.Token != "" || !s.ListenAddr.Unmap().IsLoopback()
}

// requestToken returns the token a request presents: X-Consul-Token first,
// then an Authorization header with the Bearer scheme; "" for none. Query
// parameters (Consul's deprecated ?token=) are not read: they end up in
// access logs and browser histories.
func requestToken(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(TokenHeader)); t != "" {
		return t
	}
	scheme, t, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(t)
	}
	return ""
}

// tokenMatches compares two tokens in constant time. Both are hashed first
// so that the comparison does not reveal the configured token's length.
func tokenMatches(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// authorizeWrite returns "" when r may use a write endpoint, or the
// one-line reason it may not.
func (s *Server) authorizeWrite(r *http.Request) string {
	if !s.tokenRequired() {
		return ""
	}
	endpoint := r.Method + " " + r.URL.Path
	if s.Token == "" {
		listen := "an unknown address"
		if s.ListenAddr.IsValid() {
			listen = s.ListenAddr.String()
		}
		return fmt.Sprintf("Permission denied: %s: the HTTP API listens on %s, not loopback, and no http_token is set; "+
			"write endpoints stay disabled until the agent runs with -http-token", endpoint, listen)
	}
	got := requestToken(r)
	if got == "" {
		return fmt.Sprintf("Permission denied: %s needs the agent's token (header %s or Authorization: Bearer)", endpoint, TokenHeader)
	}
	if !tokenMatches(got, s.Token) {
		return fmt.Sprintf("Permission denied: %s: the token presented does not match the agent's http_token", endpoint)
	}
	return ""
}

// write wraps a handler that changes the agent's state (join, leave, and
// any later force-leave, keyring or monitor endpoint) with the token check.
func (s *Server) write(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if reason := s.authorizeWrite(r); reason != "" {
			httpError(w, http.StatusForbidden, reason)
			return
		}
		h(w, r)
	}
}
