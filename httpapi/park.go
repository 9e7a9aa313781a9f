package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/discod/discod/catalog"
)

// Parking a blocking read. Held in its handler, a blocked request costs
// what net/http keeps for a connection in use: the connection's goroutine
// with a grown stack, a second goroutine that watches for the client going
// away, and about 10 KiB of read and write buffers — some 27 KiB in all.
// A parked request instead takes the connection over (http.Hijacker),
// lets net/http drop all of that, and waits in one small goroutine of its
// own on its watch set, its timer and Server.Done; when it wakes it
// computes the answer (or takes the one another parked request computed
// for the same read, answerCache), writes it with "Connection: close" and
// closes the connection. The costs: the client opens a new connection for
// its next read, and a client that goes away while parked is noticed by a
// sweep every parkSweepInterval rather than at once (parkedConns). A
// connection that cannot be taken over (HTTP/2, a test recorder) and HEAD
// requests wait in their handler as before.

// parkWriteTimeout bounds writing a parked request's answer.
const parkWriteTimeout = 10 * time.Second

// park takes r's connection over and answers it from a goroutine of its
// own once query's index passes o.index (blocker.run). It reports false,
// having done nothing, when the connection cannot be taken over.
//
// Parked requests for the same read, woken by the same change, share one
// encoded answer (answerCache): the first computes it, the others write
// it, so a change seen by 10,000 watchers of a large result is encoded
// once, not 10,000 times.
func (s *Server) park(w http.ResponseWriter, r *http.Request, b *blocker, o queryOptions, query attempt) bool {
	hj, ok := w.(http.Hijacker)
	if !ok || s.noPark || r.Method != http.MethodGet || r.ProtoMajor != 1 {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	key := r.URL.Path + "?" + withoutBlocking(r.URL.Query()) + "|" + r.Header.Get(ForwardedHeader)
	// The request's context ends as the handler returns: the wait is
	// bounded by its timer, Server.Done and the sweep for clients that went
	// away (parkedConns) instead.
	ctx, cancel := context.WithCancel(context.Background())
	pc := &parkedConn{cancel: cancel}
	if sc, ok := conn.(syscall.Conn); ok {
		pc.raw, _ = sc.SyscallConn()
	}
	go func() {
		defer conn.Close()
		defer cancel()
		if pc.raw != nil {
			s.parkedConns.add(pc, s.Done)
			defer s.parkedConns.remove(pc)
		}
		// A woken request first looks for an answer another request
		// computed for the same read past its index (the probe after a
		// wake-up is the attempt with no watch set).
		shared := func(ws *catalog.WatchSet) (any, uint64, error) {
			if ws == nil {
				if a := s.answers.get(key); a != nil && a.index > o.index {
					return a, a.index, nil
				}
			}
			return query(ws)
		}
		body, idx, err := b.run(ctx, o.index, o.wait, shared)
		if ctx.Err() != nil {
			return // the client went away
		}
		var raw []byte
		if a, ok := body.(*sharedAnswer); ok && err == nil {
			raw = a.raw
		} else {
			var out bufferedResponse
			s.answer(&out, idx, err, body)
			raw = out.bytes()
			if err == nil {
				s.answers.put(key, &sharedAnswer{index: idx, raw: raw})
			}
		}
		_ = conn.SetWriteDeadline(time.Now().Add(parkWriteTimeout))
		_, _ = conn.Write(raw)
	}()
	return true
}

// parkSweepInterval is how often parked connections are checked for
// clients that went away.
const parkSweepInterval = 5 * time.Second

// parkedConns is the set of parked requests whose connection can be
// checked. While it is not empty, one goroutine per Server looks at each
// connection every parkSweepInterval, without reading from it
// (peerGone), and ends the requests whose client has closed it: a parked
// request's connection is not read by net/http any more, so nothing else
// would notice before the request wakes or its wait ends, and a client
// that opens and drops blocking reads could otherwise pile them up.
type parkedConns struct {
	mu      sync.Mutex
	m       map[*parkedConn]struct{}
	running bool
	// interval overrides parkSweepInterval when not 0 (tests).
	interval time.Duration
}

// parkedConn is one parked request: its connection and what ends it.
type parkedConn struct {
	raw    syscall.RawConn
	cancel context.CancelFunc
}

func (p *parkedConns) add(pc *parkedConn, done <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[*parkedConn]struct{}{}
	}
	p.m[pc] = struct{}{}
	if !p.running {
		p.running = true
		every := parkSweepInterval
		if p.interval != 0 {
			every = p.interval
		}
		go p.sweep(done, every)
	}
}

func (p *parkedConns) remove(pc *parkedConn) {
	p.mu.Lock()
	delete(p.m, pc)
	p.mu.Unlock()
}

// sweep ends the parked requests whose client went away, every
// interval, until the set is empty or done closes.
func (p *parkedConns) sweep(done <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
		case <-t.C:
		}
		p.mu.Lock()
		if len(p.m) == 0 || isClosed(done) {
			p.running = false
			p.mu.Unlock()
			return
		}
		list := make([]*parkedConn, 0, len(p.m))
		for pc := range p.m {
			list = append(list, pc)
		}
		p.mu.Unlock()
		for _, pc := range list {
			if peerGone(pc.raw) {
				pc.cancel()
			}
		}
	}
}

// isClosed reports whether done (which may be nil) is closed.
func isClosed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// withoutBlocking returns q encoded without index and wait: the part of a
// read's query that decides its result.
func withoutBlocking(q url.Values) string {
	q.Del("index")
	q.Del("wait")
	return q.Encode()
}

// sharedAnswer is one encoded answer of a parked read: the whole HTTP
// response, at the result's index.
type sharedAnswer struct {
	index uint64
	raw   []byte
}

// answerCache keeps, for each read (path and query but index and wait),
// the newest encoded answer of a parked request. A woken request may
// write it when its index is past the request's own: it is a real answer
// to that read at that index, as blocking queries promise (a change after
// it is seen by the client's next read at once). It is bounded in bytes
// and emptied whole when full.
type answerCache struct {
	mu    sync.Mutex
	m     map[string]*sharedAnswer
	bytes int
}

// maxAnswerCache bounds the bytes answerCache holds.
const maxAnswerCache = 32 << 20

func (c *answerCache) get(key string) *sharedAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

// put keeps a as the answer of key unless a newer one is kept.
func (c *answerCache) put(key string, a *sharedAnswer) {
	if len(a.raw) > maxAnswerCache/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil {
		if old.index >= a.index {
			return
		}
		c.bytes -= len(old.raw)
	}
	if c.m == nil || c.bytes+len(a.raw) > maxAnswerCache {
		c.m, c.bytes = map[string]*sharedAnswer{}, 0
	}
	c.m[key] = a
	c.bytes += len(a.raw)
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

// bytes returns the answer as an HTTP/1.1 response that closes the
// connection.
func (b *bufferedResponse) bytes() []byte {
	b.WriteHeader(http.StatusOK)
	h := b.Header()
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(b.body.Len()))
	resp := &http.Response{
		StatusCode: b.code, ProtoMajor: 1, ProtoMinor: 1, Header: h,
		ContentLength: int64(b.body.Len()), Body: io.NopCloser(&b.body), Close: true,
	}
	var out bytes.Buffer
	out.Grow(b.body.Len() + 512)
	_ = resp.Write(&out) // a bytes.Buffer does not fail
	return out.Bytes()
}
