package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/discod/discod/catalog"
)

// Blocking queries, as Consul defines them (docs/http.md). A read that
// Consul gives an index (/v1/catalog/*, /v1/health/*, /v1/kv/*) goes
// through Server.read: ?index=N&wait=D holds it until the result's index
// passes N or D has passed. Each attempt registers a fresh WatchSet on the
// keys its result depends on, so a blocked request is woken only by a
// change that may alter its own answer, and waits on nothing else: no
// goroutine besides the handler's own, no polling.

// The wait limits, as Consul's.
const (
	// DefaultWait is the wait of a blocking query without ?wait=.
	DefaultWait = 5 * time.Minute
	// MaxWait caps ?wait=.
	MaxWait = 10 * time.Minute
	// waitJitterFraction: a random extra of up to wait/16 is added, so that
	// many clients started together do not come back together.
	waitJitterFraction = 16
)

// queryOptions are the query parameters every indexed read accepts.
type queryOptions struct {
	// index is ?index=; 0 answers at once.
	index uint64
	// wait is how long a blocking read may be held, jitter included.
	wait time.Duration
	// filter is ?filter=, nil when absent.
	filter *filter
}

// queryError is a bad query parameter: 400 with Reason.
type queryError struct{ Reason string }

func (e *queryError) Error() string { return e.Reason }

// parseQueryOptions reads ?index=, ?wait=, ?stale/?consistent (accepted,
// not both), ?cached and ?near (accepted and ignored) and ?filter=
// (compiled for datums shaped like sample; nil sample: no filter allowed).
func parseQueryOptions(r *http.Request, sample any) (queryOptions, error) {
	q := r.URL.Query()
	var o queryOptions
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, &queryError{fmt.Sprintf("Invalid index: %q is not a non-negative integer", v)}
		}
		o.index = n
	}
	wait, err := parseWait(q.Get("wait"))
	if err != nil {
		return o, err
	}
	o.wait = wait
	if q.Has("stale") && q.Has("consistent") {
		return o, &queryError{"Cannot specify ?stale with ?consistent, conflicting semantics."}
	}
	if q.Has("filter") {
		if sample == nil {
			return o, &queryError{"this endpoint does not support ?filter="}
		}
		f, err := newFilter(q.Get("filter"), sample)
		if err != nil {
			return o, &queryError{err.Error()}
		}
		o.filter = f
	}
	return o, nil
}

// parseWait parses ?wait= (capWait) and adds the random jitter of up to
// wait/16.
func parseWait(v string) (time.Duration, error) {
	wait, err := capWait(v)
	if err != nil {
		return 0, err
	}
	return wait + rand.N(wait/waitJitterFraction+1), nil
}

// capWait parses ?wait= as Consul does (a Go duration: 10s, 5m, 120000ms),
// defaults it to DefaultWait and caps it at MaxWait. It is the one home of
// those rules: forwarding (federation.go) sizes its timeout with it.
func capWait(v string) (time.Duration, error) {
	if v == "" {
		return DefaultWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &queryError{fmt.Sprintf("Invalid wait time: %q is not a duration such as 10s, 5m or 120000ms", v)}
	}
	if d == 0 {
		return DefaultWait, nil
	}
	return min(d, MaxWait), nil
}

// blockingWait returns how long an agent may hold r: 0 when r does not
// block (no ?index= or index=0, or a bad one), else its wait plus the
// largest jitter.
func blockingWait(r *http.Request) time.Duration {
	q := r.URL.Query()
	if n, err := strconv.ParseUint(q.Get("index"), 10, 64); err != nil || n == 0 {
		return 0
	}
	wait, err := capWait(q.Get("wait"))
	if err != nil {
		return 0
	}
	return wait + wait/waitJitterFraction
}

// blockStats counts blocking reads for the metrics.
type blockStats struct {
	blocked atomic.Int64  // requests waiting now
	wakeups atomic.Uint64 // times a waiting request was woken by a change
}

// blocker runs blocking queries against one store.
type blocker struct {
	store *catalog.Store
	// done, when closed, makes every blocked query return at once with its
	// current result (the agent is shutting down or leaving).
	done  <-chan struct{}
	stats *blockStats
}

// attempt computes a read once: its result, the result's index and an
// error, registering ws (which may be nil: then nothing) on the keys the
// result depends on.
type attempt func(ws *catalog.WatchSet) (any, uint64, error)

// run calls query with a fresh WatchSet until the index it returns is
// above minIndex, and returns that result. It returns at once when
// minIndex is 0 or above the store's current index (the client kept an
// index across a restart of the agent), and with the current result when
// wait has passed, ctx has ended or done is closed. An error from query
// ends it. A waiting request keeps no result (it may be large): the one
// it returns is computed after the wait.
func (b *blocker) run(ctx context.Context, minIndex uint64, wait time.Duration, query attempt) (any, uint64, error) {
	var timeout <-chan time.Time
	for {
		ws := catalog.NewWatchSet()
		body, idx, err := query(ws)
		if err != nil || !b.mustWait(minIndex, idx) {
			ws.Close()
			return body, idx, err
		}
		body = nil
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		b.stats.blocked.Add(1)
		var woken bool
		select {
		case <-ws.C():
			woken = true
		case <-timeout:
		case <-ctx.Done():
		case <-b.done:
		}
		b.stats.blocked.Add(-1)
		ws.Close()
		if woken {
			b.stats.wakeups.Add(1)
			// A change wakes every reader of its result at once, and each
			// then computes (or takes) its answer and writes it. Yielding
			// first moves the woken readers behind work already queued —
			// DNS queries, each on a goroutine of its own — so that
			// thousands of wake-ups delay a DNS answer by the readers'
			// turns at the scheduler, not by all of their writes.
			runtime.Gosched()
		}
		// Most wake-ups pass the index: check without registering a watch
		// set (a store-wide lock) and register one only to wait again.
		// Nothing is missed: the attempt that registers reads the store
		// again.
		body, idx, err = query(nil)
		if !woken || err != nil || !b.mustWait(minIndex, idx) {
			return body, idx, err
		}
	}
}

// mustWait reports whether a result at idx has to wait for a query
// blocking on minIndex: minIndex is set, the result has not passed it, and
// it is not above the store's index (a client that kept an index across a
// restart of the agent is answered at once).
func (b *blocker) mustWait(minIndex, idx uint64) bool {
	return minIndex != 0 && idx <= minIndex && minIndex <= b.store.Index()
}

// readFunc computes one attempt of a read: the body to answer with and
// the result's index, registering ws on the keys the result depends on.
type readFunc func(o *queryOptions, ws *catalog.WatchSet) (any, uint64, error)

// notFound is a body that answers 404 with an empty body (the KV store).
type notFound struct{}

// read serves one indexed read: it parses the query options (400 on a bad
// one), runs fn as a blocking query, and writes the last result with the
// query headers. sample is the filterable element of the result (nil when
// the endpoint takes no ?filter=). A read that has to wait is parked
// (park.go) when the connection allows it, so that it holds no more than
// its connection and one small goroutine while it waits.
func (s *Server) read(w http.ResponseWriter, r *http.Request, sample any, fn readFunc) {
	o, err := parseQueryOptions(r, sample)
	if err != nil {
		s.readError(w, err)
		return
	}
	if !s.checkDC(w, r) {
		return
	}
	query := func(ws *catalog.WatchSet) (any, uint64, error) { return fn(&o, ws) }
	b := s.blocker()
	if o.index != 0 {
		body, idx, err := query(nil)
		if err != nil || !b.mustWait(o.index, idx) {
			s.answer(w, idx, err, body)
			return
		}
		if n := s.blockStats.blocked.Load(); n >= int64(s.maxBlocking()) {
			// A bound well above what one agent is meant to hold, so that a
			// client bug cannot exhaust the agent's memory or sockets.
			setQueryMeta(w, idx)
			httpError(w, http.StatusTooManyRequests, fmt.Sprintf(
				"too many blocking queries: this agent holds %d, its limit; retry later, or without index=", n))
			return
		}
		if s.park(w, r, b, o, query) {
			return
		}
	}
	body, idx, err := b.run(r.Context(), o.index, o.wait, query)
	s.answer(w, idx, err, body)
}

// answer writes the outcome of a read: its error, or body with the query
// headers at idx (404 for notFound).
func (s *Server) answer(w http.ResponseWriter, idx uint64, err error, body any) {
	if err != nil {
		s.readError(w, err)
		return
	}
	setQueryMeta(w, idx)
	if _, ok := body.(notFound); ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, body)
}

// readError answers a failed read: 400 for a bad parameter or filter, 500
// otherwise, with the query headers at the store's current index.
func (s *Server) readError(w http.ResponseWriter, err error) {
	setQueryMeta(w, s.Agent.Table().Index())
	var qe *queryError
	if errors.As(err, &qe) {
		httpError(w, http.StatusBadRequest, qe.Reason)
		return
	}
	httpError(w, http.StatusInternalServerError, err.Error())
}

// DefaultMaxBlocking is how many blocking queries one agent holds at most
// (Server.MaxBlocking): about 200 MiB of memory and as many sockets.
const DefaultMaxBlocking = 32768

// maxBlocking returns the bound on blocked requests in force.
func (s *Server) maxBlocking() int {
	if s.MaxBlocking > 0 {
		return s.MaxBlocking
	}
	return DefaultMaxBlocking
}

// blocker returns the server's blocking-query runner.
func (s *Server) blocker() *blocker {
	return &blocker{store: s.Agent.Table(), done: s.Done, stats: &s.blockStats}
}

// setQueryMeta sets the headers of every indexed read, errors and 404s
// included. X-Consul-Index is the result's index (never 0: the store's
// index starts from the clock). discod has no leader: every agent answers
// from its own catalog, so KnownLeader is always true and LastContact 0
// (consul/api ignores these headers; python-consul needs X-Consul-Index,
// and Prometheus and consul-template discard an index of 0).
func setQueryMeta(w http.ResponseWriter, index uint64) {
	h := w.Header()
	h.Set("X-Consul-Index", strconv.FormatUint(max(index, 1), 10))
	h.Set("X-Consul-KnownLeader", "true")
	h.Set("X-Consul-LastContact", "0")
}
