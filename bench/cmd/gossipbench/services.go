package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/discod/discod/bench/internal/procstat"
	"github.com/discod/discod/bench/internal/stats"
	"github.com/discod/discod/catalog"
	"github.com/discod/discod/local"
	"github.com/discod/discod/membership"
	"github.com/discod/discod/servicedef"
)

// The services mode (-services): N real membership.Agents in this
// process, each with a local.State writing its services into the agent's
// catalog store and handing every change to Agent.PublishDelta — the
// product's own write path (cmd/discod/localstate.go) — and the time
// every other agent's store takes to hold each change.

// svcAgent is one agent of the services mode.
type svcAgent struct {
	a    *membership.Agent
	st   *local.State
	name string
	ids  []string // the instances it registered for the catalog, by ID
}

func newSvcAgent(i int, cnt *counters) (*svcAgent, error) {
	return newSvcAgentAt(i, nodeAddr(i), cnt)
}

// newSvcAgentAt is newSvcAgent bound to addr (the port is the kernel's
// choice).
func newSvcAgentAt(i int, addr netip.Addr, cnt *counters) (*svcAgent, error) {
	mc := membership.DefaultConfig()
	mc.NodeName = nodeName(i)
	mc.BindAddr = addr
	mc.BindPort = 0
	mc.Profile = "lan"
	mc.LeaveTimeout = 10 * time.Second
	mc.Logger = slog.New(slogCounter{cnt})
	a, err := membership.New(mc)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", mc.NodeName, err)
	}
	st, err := local.New(local.Config{
		NodeName: mc.NodeName, Store: a.Table(), Publish: a.PublishDelta,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		_ = a.Shutdown()
		return nil, fmt.Errorf("local state of %s: %w", mc.NodeName, err)
	}
	a.AnnounceRecords()
	return &svcAgent{a: a, st: st, name: mc.NodeName}, nil
}

func (s *svcAgent) joinAddr() string {
	l := s.a.Local()
	return netip.AddrPortFrom(l.Addr, l.Port).String()
}

func (s *svcAgent) shutdown() {
	s.st.Close()
	_ = s.a.Shutdown()
}

// version is the agent's own records version.
func (s *svcAgent) version() catalog.Version { return s.a.Table().RecordsVersion(s.name) }

// instance is the definition of instance k of owner i: a service with
// one HTTP check, as a typical registration (the check is registered,
// not run: local.State has no Runner here, so it stays in its initial
// state and changes nothing by itself). deploy is the version in its
// metadata and tags, which a change bumps.
func instance(owner, k, deploy int, prefix string) servicedef.Service {
	id := prefix + "-" + strconv.Itoa(k)
	addr := netip.AddrFrom4([4]byte{198, 18, byte(owner % 256), byte(k % 250)}).String()
	v := "v" + strconv.Itoa(deploy)
	return servicedef.Service{
		ID: id, Name: prefix + strconv.Itoa(k%20), Tags: []string{"rails", v}, Address: addr, Port: 8080 + k%100,
		Meta: map[string]string{"version": v, "team": "payments"},
		Checks: []servicedef.Check{{
			Name: "HTTP health", HTTP: "http://" + addr + ":8080/health", Interval: 10 * time.Second, Timeout: time.Second,
		}},
	}
}

// svcResult is what one services-mode cluster measured.
type svcResult struct {
	N         int
	Instances int // in the catalog, over all owners
	Converge  time.Duration
	FillRate  float64       // registrations per second while filling
	FillAll   time.Duration // from the first registration to every store holding every instance
	// HeapPerInstance is the live heap the catalog added, per instance
	// per agent: (heap after the fill − heap before) ÷ (agents × instances).
	HeapPerInstance float64
	// At rest: records bytes received per agent per second, digests per
	// agent per second, and memberlist's bytes sent per agent per second.
	RestBytes, RestDigests, RestGossip float64
	Kinds                              []kindResult // registration, change, deregistration
	Burst                              burstResult
	Repair                             repairResult
	Newcomer                           time.Duration // a fresh agent holding every owner's records
	NewcomerSets                       uint64
	// NewcomerSpread is the time between the first and the last owner's
	// set the newcomer applied: the owners push in parallel, so it is
	// about N−1 sets' worth of work on the newcomer's side.
	NewcomerSpread time.Duration
	// RestCPU is the process's CPU time per second at rest.
	RestCPU time.Duration
	// Calibration of the model, from the single-change trials: median
	// delay of the first observer, and median (last − first) ÷ (N − 2).
	FirstHop, PerPeer time.Duration
	// ObsP50, ObsP99 are every observer's delays over all single-change
	// trials.
	ObsP50, ObsP99 time.Duration
	// Commit is how long the owner's local.State took per change (write
	// to its store, queue the delta), p50 and p99 over the trials.
	Commit50, Commit99 time.Duration
	// Pull is the repair of a gap: an agent that missed an owner's
	// earlier changes receives the next delta, waits the gap grace
	// (250 ms) and pulls the owner's whole set over TCP; the time from
	// the change until it holds it, per trial.
	Pull      []float64
	UDPDrops  int64
	QueueFull int64 // memberlist "handler queue full" warnings
}

// kindResult is the single-change trials of one kind.
type kindResult struct {
	Kind      string
	All       []float64 // seconds until every other agent held it, per trial
	Observers []float64 // every observer's delay of every trial, seconds
	Missed    int       // trials not seen by all within the timeout
	MsgBytes  float64   // the encoded delta message, median
	// RecvPerChange is the records bytes every agent received during the
	// trials (deltas, digests, pulls), per receiving agent per change.
	RecvPerChange float64
}

// burstResult is the rolling deploy.
type burstResult struct {
	Rate, Achieved float64 // changes per second asked for and published
	Changes        int
	All            []float64 // seconds to all, per change
	Missed         int
	Drain          time.Duration // from the last publish to all holding all
	Drops, Gaps    uint64
	Pulls, Sets    uint64
	RecvPerChange  float64       // records bytes per receiving agent per change
	MsgBytes       float64       // mean delta message
	CPUPerPacket   time.Duration // process CPU above rest per delta packet sent
	QueueFull      int64
}

// repairResult is the simulated loss: one agent missed the last change
// of every other owner, and nothing else changes.
type repairResult struct {
	Owners   int
	All      time.Duration // until it held every owner's current version
	Median   time.Duration
	Pulls    uint64
	TimedOut int
}

// sumCounts adds up the records counters of agents.
func sumCounts(agents []*svcAgent) membership.RecordsCounts {
	var t membership.RecordsCounts
	for _, s := range agents {
		c := s.a.RecordsCounts()
		t.DeltasPublished += c.DeltasPublished
		t.DeltasSent += c.DeltasSent
		t.DeltasReceived += c.DeltasReceived
		t.DeltasApplied += c.DeltasApplied
		t.DeltaGaps += c.DeltaGaps
		t.SetsSent += c.SetsSent
		t.SetsReceived += c.SetsReceived
		t.PullsSent += c.PullsSent
		t.DigestsSent += c.DigestsSent
		t.DigestsReceived += c.DigestsReceived
		t.BytesSent += c.BytesSent
		t.BytesReceived += c.BytesReceived
		t.Drops += c.Drops
	}
	return t
}

// runServices starts n agents with local states and runs the phases.
func runServices(n int, c config, sink *byteSink) (res svcResult, err error) {
	res = svcResult{N: n}
	cnt := newCounters()
	runtime.GC()
	drops0 := udpInErrors()
	var agents []*svcAgent
	defer func() {
		res.UDPDrops = udpInErrors() - drops0
		res.QueueFull = cnt.queueFull.Load()
		for _, s := range agents {
			s.shutdown()
		}
	}()
	start := time.Now()
	for i := 1; i <= n; i++ {
		s, err := newSvcAgent(i, cnt)
		if err != nil {
			return res, err
		}
		if len(agents) > 0 {
			if _, err := s.a.Join([]string{agents[(i*7919)%len(agents)].joinAddr()}); err != nil {
				s.shutdown()
				return res, fmt.Errorf("join %s: %w", s.name, err)
			}
		}
		agents = append(agents, s)
	}
	stores := make([]*catalog.Store, n)
	names := make([]string, n)
	for i, s := range agents {
		stores[i], names[i] = s.a.Table(), s.name
	}
	if err := waitMembers(agents, 120*time.Second); err != nil {
		return res, err
	}
	res.Converge = time.Since(start)
	progress(n, "converged in %.1fs; filling the catalog", res.Converge.Seconds())
	tr := newTracker(stores, names)
	defer tr.close()

	// Fill the catalog.
	runtime.GC()
	runtime.GC()
	heap0 := heapLive()
	perAgent := max(1, c.catalog/n)
	res.Instances = perAgent * n
	res.FillRate = c.fillRate
	if res.FillRate <= 0 {
		res.FillRate = min(1000, 30000/float64(n-1))
	}
	t0 := time.Now()
	for k := range res.Instances {
		pace(t0, k, res.FillRate)
		s := agents[k%n]
		def := instance(k%n, k/n, 1, "web")
		if err := s.st.AddService(def, true); err != nil {
			return res, fmt.Errorf("register %s on %s: %w", def.ID, s.name, err)
		}
		s.ids = append(s.ids, def.ID)
	}
	var fill []*change
	for i, s := range agents {
		fill = append(fill, tr.expect(i, s.version(), t0))
	}
	if err := waitChanges(fill, 180*time.Second); err != nil {
		return res, fmt.Errorf("fill: %w", err)
	}
	res.FillAll = time.Since(t0)
	runtime.GC()
	runtime.GC()
	res.HeapPerInstance = (float64(heapLive()) - float64(heap0)) / float64(n) / float64(res.Instances)

	progress(n, "%d instances everywhere after %.1fs; at rest for %s", res.Instances, res.FillAll.Seconds(), c.rest)
	// At rest.
	c0, g0, r0 := sumCounts(agents), sink.total(), time.Now()
	u0, s0, _ := procstat.CPUTime(os.Getpid())
	time.Sleep(c.rest)
	el := time.Since(r0).Seconds()
	u1, s1, _ := procstat.CPUTime(os.Getpid())
	res.RestCPU = time.Duration(float64((u1-u0)+(s1-s0)) / el)
	c1 := sumCounts(agents)
	res.RestBytes = float64(c1.BytesReceived-c0.BytesReceived) / el / float64(n)
	res.RestDigests = float64(c1.DigestsReceived-c0.DigestsReceived) / el / float64(n)
	res.RestGossip = (sink.total() - g0) / el / float64(n)

	progress(n, "single changes")
	// Single changes: register, change, deregister, one owner at a time.
	var first, spread, obs, commits []float64
	for _, kind := range []string{"register", "change", "deregister"} {
		kr := kindResult{Kind: kind}
		var msgs []float64
		var recv uint64
		for t := range c.svcTrials {
			oi := t % n
			s := agents[oi]
			b0 := sumCounts(agents)
			o0 := s.a.RecordsCounts()
			t0 := time.Now()
			var err error
			switch kind {
			case "register":
				err = s.st.AddService(instance(oi, t, 1, "trial"), true)
			case "change":
				err = s.st.AddService(instance(oi, t, 2, "trial"), true)
			case "deregister":
				_, err = s.st.RemoveService("trial-" + strconv.Itoa(t))
			}
			if err != nil {
				return res, fmt.Errorf("%s on %s: %w", kind, s.name, err)
			}
			commits = append(commits, time.Since(t0).Seconds())
			ch := tr.expect(oi, s.version(), t0)
			if waitChanges([]*change{ch}, 10*time.Second) != nil {
				kr.Missed++
				tr.forget()
				continue
			}
			o1 := s.a.RecordsCounts()
			if o1.DigestsSent == o0.DigestsSent && o1.SetsSent == o0.SetsSent && o1.DeltasSent > o0.DeltasSent {
				msgs = append(msgs, float64(o1.BytesSent-o0.BytesSent)/float64(o1.DeltasSent-o0.DeltasSent))
			}
			recv += sumCounts(agents).BytesReceived - b0.BytesReceived
			kr.All = append(kr.All, ch.all().Seconds())
			d := ch.observerDelays(oi)
			kr.Observers = append(kr.Observers, d...)
			obs = append(obs, d...)
			if len(d) >= 2 {
				first = append(first, d[0])
				if n > 2 {
					spread = append(spread, (d[len(d)-1]-d[0])/float64(n-2))
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		kr.MsgBytes = median(msgs)
		if ok := c.svcTrials - kr.Missed; ok > 0 {
			kr.RecvPerChange = float64(recv) / float64(ok) / float64(n-1)
		}
		res.Kinds = append(res.Kinds, kr)
	}
	res.FirstHop = time.Duration(median(first) * float64(time.Second))
	res.PerPeer = time.Duration(median(spread) * float64(time.Second))
	if len(commits) > 0 {
		slices.Sort(commits)
		res.Commit50 = time.Duration(stats.Percentile(commits, 50) * float64(time.Second))
		res.Commit99 = time.Duration(stats.Percentile(commits, 99) * float64(time.Second))
	}
	if res.Pull, err = runPulls(agents, tr, c.pullTrials); err != nil {
		return res, err
	}
	if len(obs) > 0 {
		slices.Sort(obs)
		res.ObsP50 = time.Duration(stats.Percentile(obs, 50) * float64(time.Second))
		res.ObsP99 = time.Duration(stats.Percentile(obs, 99) * float64(time.Second))
	}

	progress(n, "rolling deploy")
	// Rolling deploy.
	if res.Burst, err = runBurst(agents, tr, cnt, perAgent, res.RestCPU, c); err != nil {
		return res, err
	}
	progress(n, "repair by anti-entropy")
	// Let the deploy's pulls and sets finish (a pull stays in flight up
	// to 5 s), so that none of them repairs what the next phase breaks.
	time.Sleep(6 * time.Second)
	// Loss repaired by anti-entropy.
	if res.Repair, err = runRepair(agents, tr); err != nil {
		return res, err
	}
	// A newcomer catches up.
	nc, err := newSvcAgent(n+1, cnt)
	if err != nil {
		return res, err
	}
	t0 = time.Now()
	if _, err := nc.a.Join([]string{agents[n/2].joinAddr()}); err != nil {
		nc.shutdown()
		return res, fmt.Errorf("join the newcomer: %w", err)
	}
	agents = append(agents, nc) // stopped with the others
	want := map[string]catalog.Version{}
	for _, s := range agents[:n] {
		want[s.name] = s.version()
	}
	var firstSet, lastSet time.Time
	if err := poll(120*time.Second, 2*time.Millisecond, func() bool {
		for name, v := range want {
			if !nc.a.Table().RecordsVersion(name).Less(v) {
				delete(want, name)
				if firstSet.IsZero() {
					firstSet = time.Now()
				}
				lastSet = time.Now()
			}
		}
		return len(want) == 0
	}); err != nil {
		return res, fmt.Errorf("newcomer catch-up: %w", err)
	}
	res.Newcomer = time.Since(t0)
	res.NewcomerSpread = lastSet.Sub(firstSet)
	res.NewcomerSets = nc.a.RecordsCounts().SetsApplied
	return res, nil
}

// runBurst publishes changes at c.burstRate for c.burstFor, rotating over
// the owners and their instances, and times each to all agents.
func runBurst(agents []*svcAgent, tr *tracker, cnt *counters, perAgent int, restCPU time.Duration, c config) (burstResult, error) {
	n := len(agents)
	br := burstResult{Rate: c.burstRate}
	total := int(c.burstRate * c.burstFor.Seconds())
	c0 := sumCounts(agents)
	q0 := cnt.queueFull.Load()
	u0, s0, _ := procstat.CPUTime(os.Getpid())
	var changes []*change
	t0 := time.Now()
	for k := range total {
		pace(t0, k, c.burstRate)
		oi := k % n
		s := agents[oi]
		j := (k / n) % perAgent
		tc := time.Now()
		if err := s.st.AddService(instance(oi, j, 3+k, "web"), true); err != nil {
			return br, fmt.Errorf("deploy on %s: %w", s.name, err)
		}
		changes = append(changes, tr.expect(oi, s.version(), tc))
	}
	last := time.Now()
	br.Achieved = float64(total) / last.Sub(t0).Seconds()
	br.Changes = total
	err := waitChanges(changes, 60*time.Second)
	br.Drain = time.Since(last)
	u1, s1, _ := procstat.CPUTime(os.Getpid())
	c1 := sumCounts(agents)
	for _, ch := range changes {
		if d := ch.all(); d >= 0 {
			br.All = append(br.All, d.Seconds())
		} else {
			br.Missed++
		}
	}
	if err != nil {
		tr.forget()
	}
	br.Drops, br.Gaps = c1.Drops-c0.Drops, c1.DeltaGaps-c0.DeltaGaps
	br.Pulls, br.Sets = c1.PullsSent-c0.PullsSent, c1.SetsSent-c0.SetsSent
	if d := c1.DeltasSent - c0.DeltasSent; d > 0 {
		// Less the CPU the process spends at rest (SWIM, digests, GC).
		busy := (u1 - u0) + (s1 - s0) - time.Duration(float64(restCPU)*time.Since(t0).Seconds())
		br.CPUPerPacket = max(busy, 0) / time.Duration(d)
	}
	br.RecvPerChange = float64(c1.BytesReceived-c0.BytesReceived) / float64(total) / float64(n-1)
	br.QueueFull = cnt.queueFull.Load() - q0
	return br, nil
}

// progress reports a phase on standard error.
func progress(n int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "services: %d agents: %s: %s\n", n, time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// runPulls times the repair of a gap: an observer forgets an owner's
// records (as if it had missed all its changes), then the owner changes
// one instance; the observer holds a delta that does not follow, waits
// the gap grace and pulls the whole set.
func runPulls(agents []*svcAgent, tr *tracker, trials int) ([]float64, error) {
	n := len(agents)
	var out []float64
	for t := range trials {
		oi, xi := (2*t+1)%n, (2*t+2)%n
		if oi == xi {
			continue
		}
		obs, x := agents[oi], agents[xi]
		obs.a.Table().DropRecords(x.name)
		t0 := time.Now()
		if err := x.st.AddService(instance(xi, 0, 2_000_000+t, "web"), true); err != nil {
			return out, fmt.Errorf("change on %s: %w", x.name, err)
		}
		ch := tr.expect(xi, x.version(), t0)
		if err := waitChanges([]*change{ch}, 30*time.Second); err != nil {
			tr.forget()
			return out, fmt.Errorf("pull by %s from %s: %w", obs.name, x.name, err)
		}
		out = append(out, ch.seen[oi].Sub(t0).Seconds())
	}
	return out, nil
}

// runRepair makes agent 1 miss one change of every other owner: each
// owner changes an instance, and once every store holds the change,
// agent 1's store is put back to the records it held before (DropRecords,
// then ReplaceRecords at the old version), as if those deltas had been
// lost. Nothing else changes, so only anti-entropy (digests, push/pull)
// can repair it.
func runRepair(agents []*svcAgent, tr *tracker) (repairResult, error) {
	obs := agents[1]
	st := obs.a.Table()
	type old struct {
		v      catalog.Version
		svcs   []catalog.Service
		checks []catalog.Check
	}
	olds := map[string]old{}
	var chs []*change
	for i, s := range agents {
		if s == obs {
			continue
		}
		v, svcs, checks := st.Records(s.name)
		olds[s.name] = old{v, svcs, checks}
		t0 := time.Now()
		if err := s.st.AddService(instance(i, 0, 1_000_000, "web"), true); err != nil {
			return repairResult{}, fmt.Errorf("change on %s: %w", s.name, err)
		}
		chs = append(chs, tr.expect(i, s.version(), t0))
	}
	if err := waitChanges(chs, 60*time.Second); err != nil {
		return repairResult{}, fmt.Errorf("repair setup: %w", err)
	}
	p0 := obs.a.RecordsCounts().PullsSent
	want := map[string]catalog.Version{}
	for name, o := range olds {
		want[name] = st.RecordsVersion(name)
		st.DropRecords(name)
		st.ReplaceRecords(name, o.v, o.svcs, o.checks)
	}
	t0 := time.Now()
	var got []float64
	done := map[string]bool{}
	err := poll(90*time.Second, 20*time.Millisecond, func() bool {
		for name, v := range want {
			if !done[name] && !st.RecordsVersion(name).Less(v) {
				done[name] = true
				got = append(got, time.Since(t0).Seconds())
			}
		}
		return len(done) == len(want)
	})
	rr := repairResult{Owners: len(want), Pulls: obs.a.RecordsCounts().PullsSent - p0, TimedOut: len(want) - len(done)}
	if err == nil {
		rr.All = time.Since(t0)
	}
	rr.Median = time.Duration(median(got) * float64(time.Second))
	return rr, nil
}

// pace sleeps until the k-th event of a schedule at rate per second that
// began at t0 is due (not at all when behind).
func pace(t0 time.Time, k int, rate float64) {
	due := t0.Add(time.Duration(float64(k) / rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

// waitChanges waits until every change was seen by every observer.
func waitChanges(chs []*change, timeout time.Duration) error {
	deadline := time.After(timeout)
	for i, ch := range chs {
		select {
		case <-ch.done:
		case <-deadline:
			return fmt.Errorf("%d of %d changes not held by every agent after %s", len(chs)-i, len(chs), timeout)
		}
	}
	return nil
}

// waitMembers waits until every agent sees every other alive.
func waitMembers(agents []*svcAgent, timeout time.Duration) error {
	return poll(timeout, 200*time.Millisecond, func() bool {
		for _, o := range agents {
			if o.a.Table().Count(membership.StateAlive, "", "") < len(agents) {
				return false
			}
		}
		return true
	})
}

// poll checks cond every every until it holds or timeout passes.
func poll(timeout, every time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("condition not met after " + timeout.String())
		}
		time.Sleep(every)
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stats.Median(xs)
}
