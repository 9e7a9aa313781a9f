package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/discod/discod/membership"
)

// besideLeaveGroup is how many of the cluster's agents leave together
// when it stops.
const besideLeaveGroup = 8

// The beside mode (-serve-beside ADDR) is the gossip scenario of
// dnsbench's beside phase: a services-mode cluster that a real `discod
// agent` outside this process joins, so that DNS can be measured on that
// agent while the cluster's catalog is at rest and during a rolling
// deploy. Protocol on standard input and output, one line each:
//
//	(start)        → "ready N INSTANCES" once the cluster holds its
//	                 catalog everywhere and the external agent is a member
//	deploy RATE    → "ok": changes start at RATE per second, rotating over
//	                 the owners and their instances, as the services mode's
//	                 rolling deploy does
//	stop           → "deployed CHANGES SECONDS": the deploy stops
//	quit           → "bye": every agent leaves and the process exits
//
// An error is one line "error: …" and ends the mode.

// besideAddr is the address of agent i of the beside mode: 127.0.11.128
// upwards, the range the beside phase owns (ports are the kernel's).
func besideAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, 11, byte(128 + (i-1)%120)})
}

// serveBeside runs the beside mode with c.sizes[0] agents and c.catalog
// instances, joined to the agent at c.serveBeside.
func serveBeside(c config, in io.Reader, out io.Writer) (err error) {
	n := c.sizes[0]
	w := bufio.NewWriter(out)
	say := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\n", args...)
		_ = w.Flush()
	}
	defer func() {
		if err != nil {
			say("error: %v", err)
		}
	}()
	cnt := newCounters()
	var agents []*svcAgent
	// The cluster stops gracefully, besideLeaveGroup agents at a time, so
	// that every leave is gossiped by agents still running and reaches the
	// external agent (leaving all at once, many leave messages die with
	// their senders, and the external agent must find the failures
	// itself; one at a time, 128 agents take minutes).
	defer func() {
		for start := 0; start < len(agents); start += besideLeaveGroup {
			var wg sync.WaitGroup
			for _, s := range agents[start:min(start+besideLeaveGroup, len(agents))] {
				wg.Go(func() {
					_ = s.a.Leave()
					s.shutdown()
				})
			}
			wg.Wait()
		}
	}()
	perAgent := max(1, c.catalog/n)
	// Each agent registers its instances before it joins: the join's
	// push/pull carries them, which fills the catalog in seconds instead
	// of at a fill rate.
	for i := 1; i <= n; i++ {
		s, err := newSvcAgentAt(i, besideAddr(i), cnt)
		if err != nil {
			return err
		}
		agents = append(agents, s)
		for k := range perAgent {
			def := instance(i-1, k, 1, "web")
			if err := s.st.AddService(def, true); err != nil {
				return fmt.Errorf("register %s on %s: %w", def.ID, s.name, err)
			}
			s.ids = append(s.ids, def.ID)
		}
		if i > 1 {
			if _, err := s.a.Join([]string{agents[(i*7919)%(i-1)].joinAddr()}); err != nil {
				return fmt.Errorf("join %s: %w", s.name, err)
			}
		}
	}
	if err := waitMembers(agents, 120*time.Second); err != nil {
		return fmt.Errorf("converge: %w", err)
	}
	if err := waitCatalogs(agents, 180*time.Second); err != nil {
		return err
	}
	if _, err := agents[0].a.Join([]string{c.serveBeside}); err != nil {
		return fmt.Errorf("join the external agent %s: %w", c.serveBeside, err)
	}
	if err := poll(60*time.Second, 50*time.Millisecond, func() bool {
		return agents[0].a.Table().Count(membership.StateAlive, "", "") >= n+1
	}); err != nil {
		return fmt.Errorf("the external agent %s is not alive in the cluster: %w", c.serveBeside, err)
	}
	say("ready %d %d", n, n*perAgent)

	var dep *deployer
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "deploy" && len(f) == 2 && dep == nil:
			rate, err := strconv.ParseFloat(f[1], 64)
			if err != nil || rate <= 0 {
				return fmt.Errorf("deploy: rate %q is not a positive number", f[1])
			}
			dep = startDeploy(agents, perAgent, rate)
			say("ok")
		case f[0] == "stop" && dep != nil:
			changes, took, err := dep.stop()
			dep = nil
			if err != nil {
				return err
			}
			say("deployed %d %.3f", changes, took.Seconds())
		case f[0] == "quit":
			if dep != nil {
				_, _, _ = dep.stop()
			}
			say("bye")
			return nil
		default:
			return fmt.Errorf("unexpected command %q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read commands: %w", err)
	}
	return errors.New("standard input closed without quit")
}

// waitCatalogs waits until every agent's store holds every owner's
// current records.
func waitCatalogs(agents []*svcAgent, timeout time.Duration) error {
	err := poll(timeout, 100*time.Millisecond, func() bool {
		for _, o := range agents {
			v := o.version()
			for _, s := range agents {
				if s.a.Table().RecordsVersion(o.name).Less(v) {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("fill: not every agent holds every owner's records: %w", err)
	}
	return nil
}

// deployer is a rolling deploy in progress.
type deployer struct {
	quit    chan struct{}
	done    chan struct{}
	changes int
	took    time.Duration
	err     error
}

// startDeploy changes instances at rate per second, rotating over the
// owners and their instances (runBurst's order), until stop.
func startDeploy(agents []*svcAgent, perAgent int, rate float64) *deployer {
	d := &deployer{quit: make(chan struct{}), done: make(chan struct{})}
	n := len(agents)
	go func() {
		defer close(d.done)
		t0 := time.Now()
		for k := 0; ; k++ {
			pace(t0, k, rate)
			select {
			case <-d.quit:
				d.changes, d.took = k, time.Since(t0)
				return
			default:
			}
			oi := k % n
			j := (k / n) % perAgent
			if err := agents[oi].st.AddService(instance(oi, j, 3+k, "web"), true); err != nil {
				d.changes, d.took = k, time.Since(t0)
				d.err = fmt.Errorf("deploy on %s: %w", agents[oi].name, err)
				return
			}
		}
	}()
	return d
}

// stop ends the deploy and returns the changes made and over how long.
func (d *deployer) stop() (int, time.Duration, error) {
	close(d.quit)
	<-d.done
	return d.changes, d.took, d.err
}
