package checks

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// tlsKey is the TLS settings a check can set.
type tlsKey struct {
	serverName string
	skipVerify bool
}

// config returns the client TLS configuration for these settings: the
// system's roots, tls_server_name (default: the dialled host) and
// tls_skip_verify.
func (k tlsKey) config() *tls.Config {
	return &tls.Config{
		ServerName:         k.serverName,
		InsecureSkipVerify: k.skipVerify, //nolint:gosec // the user's tls_skip_verify
		MinVersion:         tls.VersionTLS12,
	}
}

// tlsKeyOf returns a check's TLS settings.
func tlsKeyOf(serverName string, skipVerify bool) tlsKey {
	return tlsKey{serverName: serverName, skipVerify: skipVerify}
}

// transportCache holds one http.Transport per TLS setting, shared by all
// HTTP checks with that setting.
type transportCache struct {
	mu sync.Mutex
	m  map[tlsKey]*http.Transport
}

// get returns the transport for k, creating it on first use. Keep-alives
// are off (as in Consul): each run dials afresh, so a check tests that the
// server still accepts connections and no idle pools pile up.
func (c *transportCache) get(k tlsKey) *http.Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.m[k]; t != nil {
		return t
	}
	if c.m == nil {
		c.m = make(map[tlsKey]*http.Transport)
	}
	t := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       (&net.Dialer{KeepAlive: -1}).DialContext,
		DisableKeepAlives: true,
		TLSClientConfig:   k.config(),
		ForceAttemptHTTP2: true,
	}
	c.m[k] = t
	return t
}

// closeIdle closes whatever the transports hold.
func (c *transportCache) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.m {
		t.CloseIdleConnections()
	}
}
