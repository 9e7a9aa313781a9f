package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// The HTTP server tests use 127.0.0.97.

// serveTest serves h with newHTTPServer and short timeouts on loopback.
func serveTest(t *testing.T, h http.Handler, to httpTimeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.97:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, to)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// closedWithin reports whether the server closes c (a read gives EOF or
// a reset) within d, writing trickle, when not nil, every 100 ms.
func closedWithin(c net.Conn, d time.Duration, trickle []byte) bool {
	end := time.Now().Add(d)
	buf := make([]byte, 4096)
	for time.Now().Before(end) {
		if trickle != nil {
			if _, err := c.Write(trickle); err != nil {
				return true
			}
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(buf)
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			return true // io.EOF or a reset: the server closed it
		}
	}
	return false
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

// TestHTTPSlowHeadersCutOff: a client that trickles its request headers
// a few bytes at a time is disconnected after the header timeout.
func TestHTTPSlowHeadersCutOff(t *testing.T) {
	addr := serveTest(t, okHandler, httpTimeouts{header: 300 * time.Millisecond, idle: time.Minute})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /v1/agent/self HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(c, 20*time.Second, []byte("X: y\r\n")) {
		t.Fatal("a client trickling headers kept its connection for 20 s")
	}
}

// TestHTTPIdleConnectionClosed: a kept-alive connection with no request
// is closed after the idle timeout.
func TestHTTPIdleConnectionClosed(t *testing.T) {
	addr := serveTest(t, okHandler, httpTimeouts{header: time.Minute, idle: 300 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !closedWithin(c, 20*time.Second, nil) {
		t.Fatal("an idle kept-alive connection stayed open for 20 s")
	}
}

// TestHTTPLongRequestNotCut: a request whose handler takes longer than
// both timeouts (a blocking query) is answered in full: neither timeout
// counts while a handler runs.
func TestHTTPLongRequestNotCut(t *testing.T) {
	const to = 200 * time.Millisecond
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * to): // a blocking query's wait
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	addr := serveTest(t, slow, httpTimeouts{header: to, idle: to})
	resp, err := http.Get("http://" + addr + "/v1/catalog/nodes?index=1&wait=1s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "ok" {
		t.Fatalf("long request: %q, %v; want ok", b, err)
	}
}
