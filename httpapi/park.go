package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/discod/discod/catalog"
)

// Parking a blocking read. Held in its handler, a blocked request costs
// what net/http keeps for a connection in use: the connection's goroutine
// with a grown stack, a second goroutine that watches for the client going
// away, and about 10 KiB of read and write buffers — some 26 KiB in all.
// A parked request instead takes the connection over (http.Hijacker),
// lets net/http drop all of that, and waits in one small goroutine of its
// own on its watch set, its timer and Server.Done; when it wakes it
// computes the answer, writes it with "Connection: close" and closes the
// connection. The costs: the client opens a new connection for its next
// read (clients of blocking queries do so anyway after the wait), and a
// client that goes away while parked is noticed only when the request
// wakes or its wait ends. A connection that cannot be taken over (HTTP/2,
// a test recorder) and HEAD requests wait in their handler as before.

// parkWriteTimeout bounds writing a parked request's answer.
const parkWriteTimeout = 10 * time.Second

// park takes r's connection over and answers it from a goroutine of its
// own once query's index passes o.index (blocker.run). It reports false,
// having done nothing, when the connection cannot be taken over. body is
// where query leaves the result.
func (s *Server) park(w http.ResponseWriter, r *http.Request, b *blocker, o queryOptions, query func(*catalog.WatchSet) (uint64, error), body *any) bool {
	hj, ok := w.(http.Hijacker)
	if !ok || s.noPark || r.Method != http.MethodGet || r.ProtoMajor != 1 {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	go func() {
		defer conn.Close()
		// The request's context ends as the handler returns: the wait is
		// bounded by its timer and Server.Done instead.
		idx, err := b.run(context.Background(), o.index, o.wait, query)
		var out bufferedResponse
		s.answer(&out, idx, err, *body)
		_ = conn.SetWriteDeadline(time.Now().Add(parkWriteTimeout))
		_ = out.writeTo(conn)
	}()
	return true
}

// bufferedResponse is an http.ResponseWriter that keeps the answer, for a
// parked request to write on its connection.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

// Header implements http.ResponseWriter.
func (b *bufferedResponse) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

// WriteHeader implements http.ResponseWriter.
func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

// Write implements http.ResponseWriter.
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// writeTo writes the answer as an HTTP/1.1 response that closes the
// connection.
func (b *bufferedResponse) writeTo(c net.Conn) error {
	b.WriteHeader(http.StatusOK)
	h := b.Header()
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(b.body.Len()))
	resp := &http.Response{
		StatusCode: b.code, ProtoMajor: 1, ProtoMinor: 1, Header: h,
		ContentLength: int64(b.body.Len()), Body: io.NopCloser(&b.body), Close: true,
	}
	bw := bufio.NewWriterSize(c, min(b.body.Len()+1024, 64<<10))
	if err := resp.Write(bw); err != nil {
		return err
	}
	return bw.Flush()
}
