package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
)

func TestParseQueryOptions(t *testing.T) {
	tests := []struct {
		name, query string
		err         string // "" for none
		wantIndex   uint64
		minWait     time.Duration
		maxWait     time.Duration
	}{
		{"none", "", "", 0, DefaultWait, DefaultWait + DefaultWait/16},
		{"index and wait", "index=42&wait=10s", "", 42, 10 * time.Second, 10*time.Second + 10*time.Second/16},
		{"milliseconds as consul/api sends", "wait=120000ms", "", 0, 2 * time.Minute, 2*time.Minute + 2*time.Minute/16},
		{"wait capped", "wait=1h", "", 0, MaxWait, MaxWait + MaxWait/16},
		{"wait 0 is the default", "wait=0s", "", 0, DefaultWait, DefaultWait + DefaultWait/16},
		{"bad wait", "wait=soon", "Invalid wait time", 0, 0, 0},
		{"negative wait", "wait=-1s", "Invalid wait time", 0, 0, 0},
		{"bad index", "index=abc", "Invalid index", 0, 0, 0},
		{"negative index", "index=-1", "Invalid index", 0, 0, 0},
		{"stale alone", "stale", "", 0, DefaultWait, 2 * DefaultWait},
		{"consistent alone", "consistent=", "", 0, DefaultWait, 2 * DefaultWait},
		{"stale and consistent", "stale&consistent", "conflicting", 0, 0, 0},
		{"cached and near ignored", "cached&near=_agent", "", 0, DefaultWait, 2 * DefaultWait},
		{"filter parses", "filter=" + escape(`Meta.rack == "r1"`), "", 0, DefaultWait, 2 * DefaultWait},
		{"filter does not parse", "filter=" + escape(`Meta.rack ==`), "Failed to create boolean expression evaluator", 0, 0, 0},
		{"filter names no field", "filter=" + escape(`Nope == 1`), `filter "Nope == 1"`, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/catalog/nodes?"+tt.query, nil)
			o, err := parseQueryOptions(r, &Node{})
			if tt.err != "" {
				var qe *queryError
				if err == nil || !errors.As(err, &qe) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want a queryError containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.index != tt.wantIndex || o.wait < tt.minWait || o.wait > tt.maxWait {
				t.Errorf("index %d wait %v; want %d and wait in [%v, %v]", o.index, o.wait, tt.wantIndex, tt.minWait, tt.maxWait)
			}
		})
	}
}

func escape(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22", "=", "%3D")
	return r.Replace(s)
}

// returned runs fn in a goroutine and returns a channel closed when it
// returns, for asserting that a blocking call is (still) blocked.
func returned(fn func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() { defer close(ch); fn() }()
	return ch
}

// stillBlocked polls ch a few times over a short bounded period and
// reports whether it stayed open.
func stillBlocked(ch <-chan struct{}) bool {
	for range 20 {
		select {
		case <-ch:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still blocked after 10 s", what)
	}
}

func TestBlockerRun(t *testing.T) {
	node := func(name, addr string) catalog.Node {
		return catalog.Node{Name: name, Addr: netip.MustParseAddr(addr), Datacenter: "dc1", State: catalog.StateAlive}
	}
	// nodeQuery is a blocking read of one node's services.
	nodeQuery := func(s *catalog.Store, name string) attempt {
		return func(ws *catalog.WatchSet) (any, uint64, error) {
			_, svcs, _, idx := s.NodeServices(name, ws)
			return svcs, idx, nil
		}
	}
	tests := []struct {
		name string
		// minIndex computes the index to block on from the store.
		minIndex func(s *catalog.Store, cur uint64) uint64
		// change runs while the query is blocked (nil: none); wake says
		// whether the query must then return.
		change func(s *catalog.Store)
		wake   bool
		// blocks says whether the query blocks at all.
		blocks bool
	}{
		{"index 0 answers at once", func(*catalog.Store, uint64) uint64 { return 0 }, nil, false, false},
		{"index below the result's answers at once", func(_ *catalog.Store, cur uint64) uint64 { return cur - 1 }, nil, false, false},
		{"index above the store's answers at once", func(s *catalog.Store, _ uint64) uint64 { return s.Index() + 1000 }, nil, false, false},
		{"another node's change does not wake", func(_ *catalog.Store, cur uint64) uint64 { return cur },
			func(s *catalog.Store) { s.Upsert(node("other", "127.0.0.179")) }, false, true},
		{"own change wakes", func(_ *catalog.Store, cur uint64) uint64 { return cur },
			func(s *catalog.Store) { s.SetState("web", catalog.StateFailed) }, true, true},
		{"own records wake", func(_ *catalog.Store, cur uint64) uint64 { return cur },
			func(s *catalog.Store) {
				s.ReplaceRecords("web", catalog.Version{Epoch: 1, Seq: 1}, []catalog.Service{{ID: "api", Name: "api", Port: 80}}, nil)
			}, true, true},
		{"removal wakes", func(_ *catalog.Store, cur uint64) uint64 { return cur },
			func(s *catalog.Store) { s.RemoveNode("web") }, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := catalog.NewStore()
			s.Upsert(node("web", "127.0.0.178"))
			stats := &blockStats{}
			b := &blocker{store: s, stats: stats}
			_, _, _, cur := s.NodeServices("web", nil)
			min := tt.minIndex(s, cur)
			var got uint64
			ctx, cancel := context.WithCancel(context.Background())
			ch := returned(func() { _, got, _ = b.run(ctx, min, time.Minute, nodeQuery(s, "web")) })
			t.Cleanup(func() { cancel(); <-ch })
			if !tt.blocks {
				waitClosed(t, ch, "non-blocking query")
				if got != cur {
					t.Errorf("index %d; want the result's %d", got, cur)
				}
				return
			}
			if !stillBlocked(ch) {
				t.Fatal("query returned without a change")
			}
			if n := stats.blocked.Load(); n != 1 {
				t.Errorf("blocked gauge %d; want 1", n)
			}
			tt.change(s)
			if !tt.wake {
				if !stillBlocked(ch) {
					t.Fatal("query woken by a change to another result")
				}
				return // the cleanup ends it through its context
			}
			waitClosed(t, ch, "query after its own change")
			if got <= min {
				t.Errorf("index %d after the change; want > %d", got, min)
			}
			if stats.blocked.Load() != 0 || stats.wakeups.Load() < 1 {
				t.Errorf("blocked %d wakeups %d; want 0 and ≥1", stats.blocked.Load(), stats.wakeups.Load())
			}
		})
	}
}

func TestBlockerEnds(t *testing.T) {
	s := catalog.NewStore()
	query := func(ws *catalog.WatchSet) (any, uint64, error) { return nil, s.NodesIndex(ws), nil }
	t.Run("timer", func(t *testing.T) {
		b := &blocker{store: s, stats: &blockStats{}}
		var got uint64
		ch := returned(func() { _, got, _ = b.run(context.Background(), s.Index(), 20*time.Millisecond, query) })
		waitClosed(t, ch, "query past its wait")
		if got != s.NodesIndex(nil) {
			t.Errorf("index %d; want the unchanged result's %d", got, s.NodesIndex(nil))
		}
	})
	t.Run("done", func(t *testing.T) {
		done := make(chan struct{})
		b := &blocker{store: s, stats: &blockStats{}, done: done}
		ch := returned(func() { _, _, _ = b.run(context.Background(), s.Index(), time.Hour, query) })
		if !stillBlocked(ch) {
			t.Fatal("returned before done closed")
		}
		close(done)
		waitClosed(t, ch, "query after done closed")
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		b := &blocker{store: s, stats: &blockStats{}}
		ch := returned(func() { _, _, _ = b.run(ctx, s.Index(), time.Hour, query) })
		if !stillBlocked(ch) {
			t.Fatal("returned before the context ended")
		}
		cancel()
		waitClosed(t, ch, "query after its context ended")
	})
	t.Run("error", func(t *testing.T) {
		b := &blocker{store: s, stats: &blockStats{}}
		boom := errors.New("boom")
		_, _, err := b.run(context.Background(), s.Index(), time.Hour, func(*catalog.WatchSet) (any, uint64, error) { return nil, 0, boom })
		if !errors.Is(err, boom) {
			t.Errorf("err = %v; want boom", err)
		}
	})
	if n := s.Watchers(); n != 0 {
		t.Errorf("%d watch sets left registered", n)
	}
}

// TestBlockedReadEndsOnDone checks that a blocked read, parked or held in
// its handler, answers at once with its current result when Server.Done
// closes (the agent leaves or shuts down).
func TestBlockedReadEndsOnDone(t *testing.T) {
	tests := []struct {
		name   string
		noPark bool
		path   string
		index  func(*catalog.Store) uint64
		code   int
	}{
		{"parked", false, "/v1/catalog/nodes", func(s *catalog.Store) uint64 { return s.NodesIndex(nil) }, 200},
		{"in handler", true, "/v1/catalog/nodes", func(s *catalog.Store) uint64 { return s.NodesIndex(nil) }, 200},
		{"kv parked", false, "/v1/kv/fabio/config", (*catalog.Store).BaseIndex, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := conformanceAgent(t, "agent-one", "127.0.0.186")
			done := make(chan struct{})
			s := &Server{Agent: a, Done: done, noPark: tt.noPark}
			ts := serveOn(t, "127.0.0.186", s.Handler())
			idx := tt.index(a.Table())
			var code int
			var header http.Header
			ch := returned(func() {
				resp, err := http.Get(ts.URL + tt.path + "?index=" + strconv.FormatUint(idx, 10) + "&wait=60s")
				if err != nil {
					t.Errorf("blocking read: %v", err)
					return
				}
				resp.Body.Close()
				code, header = resp.StatusCode, resp.Header
			})
			if !stillBlocked(ch) {
				t.Fatal("the read returned while nothing changed")
			}
			if n := s.blockStats.blocked.Load(); n != 1 {
				t.Errorf("blocked gauge %d; want 1", n)
			}
			close(done)
			waitClosed(t, ch, "blocked read after Done closed")
			if code != tt.code || header.Get("X-Consul-Index") != strconv.FormatUint(idx, 10) {
				t.Errorf("answer %d, index %q; want %d at %d", code, header.Get("X-Consul-Index"), tt.code, idx)
			}
		})
	}
}

func TestBlockingWait(t *testing.T) {
	tests := []struct {
		query string
		want  time.Duration
	}{
		{"", 0},
		{"index=0&wait=10s", 0},
		{"index=5", DefaultWait + DefaultWait/16},
		{"index=5&wait=60s", 60*time.Second + 60*time.Second/16},
		{"index=5&wait=2h", MaxWait + MaxWait/16},
		{"index=5&wait=bad", 0},
		{"index=x&wait=10s", 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/catalog/nodes?"+tt.query, nil)
			if got := blockingWait(r); got != tt.want {
				t.Errorf("blockingWait = %v; want %v", got, tt.want)
			}
		})
	}
}

// serveOn runs h on addr (port chosen by the kernel) until the test ends.
func serveOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// TestParkedClientGone checks that a parked read whose client closes its
// connection is ended by the sweep, long before its wait.
func TestParkedClientGone(t *testing.T) {
	a := conformanceAgent(t, "agent-one", "127.0.0.187")
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	s := &Server{Agent: a, Done: done}
	s.parkedConns.interval = 20 * time.Millisecond
	ts := serveOn(t, "127.0.0.187", s.Handler())
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	idx := strconv.FormatUint(a.Table().NodesIndex(nil), 10)
	if _, err := conn.Write([]byte("GET /v1/catalog/nodes?index=" + idx + "&wait=10m HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the read to park", func() bool { return s.blockStats.blocked.Load() == 1 })
	conn.Close()
	waitFor(t, "the sweep to end the read", func() bool { return s.blockStats.blocked.Load() == 0 })
	if s.blockStats.wakeups.Load() != 0 {
		t.Errorf("wakeups %d; want 0 (the client left, nothing changed)", s.blockStats.wakeups.Load())
	}
}

// TestBlockingBound: past MaxBlocking, a read that would block gets 429
// with the index headers at once; reads that answer at once still work.
func TestBlockingBound(t *testing.T) {
	a := conformanceAgent(t, "agent-one", "127.0.0.188")
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	s := &Server{Agent: a, Done: done, MaxBlocking: 1}
	ts := serveOn(t, "127.0.0.188", s.Handler())
	idx := strconv.FormatUint(a.Table().NodesIndex(nil), 10)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /v1/catalog/nodes?index=" + idx + "&wait=10m HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first read to block", func() bool { return s.blockStats.blocked.Load() == 1 })
	resp, err := http.Get(ts.URL + "/v1/catalog/nodes?index=" + idx + "&wait=10m")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Consul-Index") == "" || !strings.Contains(string(body), "too many blocking queries") {
		t.Errorf("second blocking read: %d %q, index %q; want 429 naming the limit, with the index", resp.StatusCode, body, resp.Header.Get("X-Consul-Index"))
	}
	resp, err = http.Get(ts.URL + "/v1/catalog/nodes")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a non-blocking read past the bound: %v %v", err, resp)
	}
	resp.Body.Close()
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
