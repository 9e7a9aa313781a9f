package main

import (
	"net/http"
	"time"
)

// The HTTP API's connection timeouts. A client must send its request
// headers within httpHeaderTimeout (a client that trickles them is cut
// off) and a kept-alive connection with no request in flight is closed
// after httpIdleTimeout. There is no ReadTimeout nor WriteTimeout: both
// count from the start of a request, and a blocking query legitimately
// lasts up to 10 minutes plus wait/16 (httpapi/blocking.go); net/http
// also cancels a request whose connection's read deadline passes while
// the handler runs. Bodies get their own deadline where they are read
// (httpapi's body limit and read deadline).
const (
	httpHeaderTimeout = 10 * time.Second
	httpIdleTimeout   = 90 * time.Second
	// httpMaxHeaderBytes bounds the request line and headers: Consul's
	// clients send a few hundred bytes, a token included.
	httpMaxHeaderBytes = 64 << 10
)

// httpTimeouts are the connection timeouts of newHTTPServer; tests
// shorten them.
type httpTimeouts struct{ header, idle time.Duration }

var defaultHTTPTimeouts = httpTimeouts{header: httpHeaderTimeout, idle: httpIdleTimeout}

// newHTTPServer returns the HTTP API server for h.
func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.header,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    httpMaxHeaderBytes,
	}
}
