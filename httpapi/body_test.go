package httpapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The body tests use 127.0.0.177 and 127.0.0.178.

// zeros is an endless reader of '0' bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// TestBodyOver100MBIs413: a 100 MB registration gets 413 with the limit
// named, and the agent reads no more of it than the limit allows.
func TestBodyOver100MBIs413(t *testing.T) {
	ts, _ := localTestServer(t, "127.0.0.177", "", nil)
	for _, path := range []string{"/v1/agent/service/register", "/v1/agent/check/register", "/v1/operator/keyring"} {
		t.Run(path, func(t *testing.T) {
			body := io.LimitReader(zeros{}, 100<<20)
			req, err := http.NewRequest(http.MethodPut, ts.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = 100 << 20
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatalf("PUT %s with 100 MB: %v", path, err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "the limit is") {
				t.Fatalf("PUT %s with 100 MB: %s %q; want 413 naming the limit", path, resp.Status, msg)
			}
		})
	}
}

// TestSlowBodyIsCutOff: a client that sends its headers and then trickles
// the body gets 408 once bodyReadTimeout has passed, and the connection
// is closed.
func TestSlowBodyIsCutOff(t *testing.T) {
	old := bodyReadTimeout
	bodyReadTimeout = 500 * time.Millisecond
	t.Cleanup(func() { bodyReadTimeout = old })
	ts, _ := localTestServer(t, "127.0.0.178", "", nil)
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "PUT /v1/agent/service/register HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	// Trickle a byte every 100 ms until the server answers or 20 s pass.
	answered := make(chan string, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- "error: " + err.Error()
			return
		}
		resp.Body.Close()
		answered <- resp.Status
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case status := <-answered:
			if !strings.HasPrefix(status, "408") {
				t.Fatalf("a trickled body: %s; want 408", status)
			}
			return
		case <-tick.C:
			_, _ = c.Write([]byte(" "))
		case <-deadline:
			t.Fatal("a trickled body held the connection for 20 s")
		}
	}
}
