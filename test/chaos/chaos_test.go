package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// convergenceBound is how long after a heal every answer must equal the
// truth: generous enough for failure detection and a 30 s retry of failed
// members under -race on two busy cores.
const convergenceBound = 60 * time.Second

// world is one run of the schedule: the cluster, the check targets, the
// truth, the watchers and the statistics.
type world struct {
	t         *testing.T
	rng       *rand.Rand
	seed      int64
	long      bool
	c         *cluster
	truth     *truth
	targets   []*target            // HTTP 0–3 and TCP 4–7, then extra
	extra     map[string][]*target // gRPC, UDP, script and dc2's HTTP targets by kind
	feeds     []*ttlFeed
	caps      caps
	watch     *watchers
	httpc     *http.Client
	canSplit  bool
	noSplit   string // why partitions do not run
	canDisk   bool
	noDisk    string // why the data-dir faults do not run
	st        *stats
	seq       int // registrations made, for IDs and ports
	pending   []*inst
	questions atomic.Int64 // answers compared
}

// TestChaos runs the fault schedule: a short one (about 100 s) by
// default, ten minutes with DISCOD_CHAOS set; -duration and -seed change
// it. The seed is printed; the same seed makes the same decisions (which
// faults, in which order, on which agents, for how long), while the
// cluster's own timing differs from run to run.
func TestChaos(t *testing.T) {
	long := os.Getenv("DISCOD_CHAOS") != ""
	dur := *flagDuration
	if dur == 0 {
		dur = 100 * time.Second
		if long {
			dur = 10 * time.Minute
		}
	}
	if dl, ok := t.Deadline(); ok {
		// Leave room for the start, the last convergence and the stop.
		if left := time.Until(dl) - 4*time.Minute; left < dur {
			dur = max(left, 20*time.Second)
			t.Logf("chaos: schedule shortened to %v to fit the test timeout", dur)
		}
	}
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano()%1_000_000 + 1
	}
	repro := fmt.Sprintf("go test -count=1 -timeout 20m -v -run TestChaos ./test/chaos/ -args -duration %v -seed %d", dur, seed)
	if long {
		repro = "DISCOD_CHAOS=1 " + repro // the long run's holds
	}
	if *flagFaults != "" {
		repro += fmt.Sprintf(" -faults %q", *flagFaults)
	}
	if !*flagRace {
		repro += " -race-agents=false"
	}
	if *flagDCs != 2 {
		repro += fmt.Sprintf(" -dcs %d", *flagDCs)
	}
	t.Logf("chaos: seed %d, schedule %v; reproduce with: %s", seed, dur, repro)
	w := &world{t: t, seed: seed, long: long, rng: rand.New(rand.NewPCG(uint64(seed), 0x15)), truth: newTruth(), st: newStats(),
		httpc: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext, MaxIdleConnsPerHost: 4,
		}}}
	w.canSplit, w.noSplit = partitionsAvailable()
	if !w.canSplit {
		if os.Getenv("CI") == "true" {
			t.Fatalf("partitions cannot run: %s", w.noSplit)
		}
		t.Logf("chaos: partitions left out: %s", w.noSplit)
	}
	healPartition()
	t.Cleanup(healPartition)
	w.setup()
	w.schedule(dur)
	w.finish()
}

// setup starts the targets, writes every slot's services, starts the
// agents and the watchers, and waits for the first convergence.
func (w *world) setup() {
	t := w.t
	for k := range 8 {
		kind := "http"
		if k >= 4 {
			kind = "tcp"
		}
		tg := newTarget(k, kind)
		if err := tg.set(true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tg.set(false) })
		w.targets = append(w.targets, tg)
	}
	w.extra = map[string][]*target{}
	scripts := t.TempDir()
	for k, kind := range []string{"grpc", "grpc", "udp", "udp", "script", "script", "http", "h2ping", "h2ping"} {
		tg := newExtraTarget(k, kind, scripts)
		if err := tg.set(true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tg.close)
		w.extra[kind] = append(w.extra[kind], tg)
	}
	if *flagDCs != 1 && *flagDCs != 2 {
		t.Fatalf("-dcs %d: want 1 or 2", *flagDCs)
	}
	w.c = newCluster(w, *flagDCs)
	w.setupDisks()
	t.Cleanup(w.c.stopAll)
	for _, s := range w.c.slots {
		var defs []map[string]any
		file := func(id, name string, port int, tags []string, probes []probe, checks ...map[string]any) {
			d := map[string]any{"id": id, "name": name, "port": port, "tags": tags}
			if len(checks) > 0 {
				d["checks"] = checks
			}
			defs = append(defs, d)
			w.truth.add(&inst{s: s, id: id, name: name, port: port, tags: tags, checks: probes})
		}
		file("metrics", "metrics", 9100, []string{"m"}, nil)
		httpT := map[int]int{1: 0, 2: 1, 5: 2}
		if k, ok := httpT[s.i]; ok {
			tg := w.targets[k]
			file("web", "web", 8080, []string{"v1"}, []probe{{target: tg}}, tg.checkDef("web-http"))
		}
		tcpT := map[int]int{3: 4, 4: 5}
		if k, ok := tcpT[s.i]; ok {
			tg := w.targets[k]
			tag := map[int]string{3: "primary", 4: "replica"}[s.i]
			file("db", "db", 5432, []string{tag}, []probe{{target: tg}}, tg.checkDef("db-tcp"))
		}
		if s.i == 0 || s.i == 2 {
			f := &ttlFeed{s: s, checkID: "api-ttl"}
			f.fed.Store(true)
			w.feeds = append(w.feeds, f)
			file("api", "api", 8000, []string{"rest"}, []probe{{ttl: f}},
				map[string]any{"id": "api-ttl", "name": "api ttl", "ttl": "5s"})
		}
		if s.i == 4 {
			h, c := w.targets[3], w.targets[6]
			file("cache", "cache", 6379, []string{"kv"}, []probe{{target: h}, {target: c}}, h.checkDef("cache-http"), c.checkDef("cache-tcp"))
		}
		// The later check kinds, one of each per datacenter (target k = 1
		// is dc2's).
		for _, x := range []struct {
			slot       int
			name, kind string
			k          int
		}{{3, "rpc", "grpc", 0}, {6, "rpc", "grpc", 1}, {5, "syslog", "udp", 0}, {8, "syslog", "udp", 1},
			{1, "job", "script", 0}, {7, "job", "script", 1}, {0, "push", "h2ping", 0}, {6, "push", "h2ping", 1}} {
			if x.slot == s.i {
				tg := w.extra[x.kind][x.k]
				file(x.name, x.name, 7000+x.k, []string{x.kind}, []probe{{target: tg}}, tg.checkDef(x.name+"-"+x.kind))
			}
		}
		if s.i == 1 {
			// An alias check: "web-alias" is healthy exactly when Web-1's
			// own web instance is, so HTTP flips of its target flip it.
			tg := w.targets[0]
			file("web-alias", "web-alias", 8081, []string{"alias"}, []probe{{target: tg}},
				map[string]any{"id": "web-alias-check", "name": "web alias", "alias_service": "web"})
		}
		if s.i == 7 {
			tg := w.extra["http"][0]
			file("web", "web", 8080, []string{"v2"}, []probe{{target: tg}}, tg.checkDef("web-http"))
		}
		if err := w.c.writeConfig(s, defs); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.feeder(ctx, w.feeds) }()
	t.Cleanup(func() { cancel(); <-done })
	for _, s := range w.c.slots {
		if err := w.c.start(s); err != nil {
			t.Fatal(err)
		}
	}
	watched := w.c.slots[1]
	w.caps = w.probeCaps(watched.IP())
	if m := w.caps.missing(); len(m) > 0 {
		t.Logf("chaos: NOT CHECKED, the agents do not serve them: %s", strings.Join(m, "; "))
	}
	if w.caps.blocking {
		ws, err := startWatchers(watched.IP())
		if err != nil {
			t.Fatal(err)
		}
		w.watch = ws
		t.Cleanup(ws.stop)
	}
	if !w.converge("start", time.Now(), nil) {
		t.Fatalf("the cluster never converged at the start")
	}
}

// finish stops the agents and checks their logs, then prints the table.
func (w *world) finish() {
	if w.watch != nil {
		w.watch.stop()
	}
	w.c.stopAll()
	for _, c := range w.c.takeCrashes() {
		w.t.Errorf("crash: %s", c)
	}
	for _, p := range w.c.logProblems() {
		w.t.Errorf("%s", p)
	}
	if w.t.Failed() || w.long || w.st.wrongAfter() {
		dir, err := w.c.saveLogs(w.seed)
		if err != nil {
			w.t.Errorf("saving the agents' logs: %v", err)
		}
		w.t.Logf("chaos: the agents' logs are in %s", dir)
	}
	w.t.Log(w.summary())
}

// hold waits d, the length of a fault or of a quiet spell; the schedule's
// timing is random by design, so this is the one place it sleeps.
func (w *world) hold(d time.Duration) { time.Sleep(d) }

// between returns a random duration in [lo, hi).
func (w *world) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)))
}

// errorf fails the test with the seed in the message.
func (w *world) errorf(format string, args ...any) {
	w.t.Helper()
	w.t.Errorf("[seed %d] %s", w.seed, fmt.Sprintf(format, args...))
}
