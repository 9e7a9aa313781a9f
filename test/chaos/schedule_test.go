package chaos

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The kinds of events. Faults break something and heal it; flips change
// the truth (a check's status, a registration) with the cluster whole.
const (
	kindKill       = "kill-9 restart"
	kindKillFresh  = "kill-9 fresh data dir"
	kindKillMove   = "kill-9 new address"
	kindStop       = "SIGSTOP/SIGCONT"
	kindPartition  = "partition"
	kindSplitBurst = "partition + reg burst"
	kindLeave      = "leave and rejoin"
	kindLeft       = "(left: forgotten by all)"
	kindKillBurst  = "kill-9 mid reg burst"
	kindTruncate   = "truncated services.json"
	kindDiskRO     = "data dir read-only"
	kindDiskFull   = "data dir full"
	kindDiskMem    = "(data dir broken: answered from memory)"
	kindSplitDC    = "partition dc1 | dc2"
	kindFlipHTTP   = "flip HTTP check"
	kindFlipTCP    = "flip TCP check"
	kindFlipTTL    = "feed/starve TTL"
	kindFlipGRPC   = "flip gRPC check"
	kindFlipUDP    = "flip UDP check"
	kindFlipScript = "flip script check"
	kindFlipH2Ping = "flip h2ping check"
	kindRegister   = "API register"
	kindDeregister = "API deregister"
)

var faultKinds = []string{kindKill, kindKillFresh, kindKillMove, kindStop, kindPartition, kindSplitBurst, kindSplitDC,
	kindLeave, kindKillBurst, kindTruncate, kindDiskRO, kindDiskFull}
var flipKinds = []string{kindFlipHTTP, kindFlipTCP, kindFlipTTL, kindFlipGRPC, kindFlipUDP, kindFlipScript, kindFlipH2Ping, kindRegister, kindDeregister}

// movable are the slots that may move to a new address: not the servers
// nor the join targets (Web-1, Db-3, dc2-Web-7), and not the watched
// agent.
var movable = []int{2, 4, 5, 8}

// possible reports whether fault kind k can run in this world.
func (w *world) possible(k string) bool {
	switch {
	case strings.HasPrefix(k, kindPartition) && !w.canSplit:
		return false
	case k == kindSplitDC && len(w.c.slots) <= dc1Slots:
		return false
	case (k == kindDiskRO || k == kindDiskFull) && !w.canDisk:
		return false
	}
	return chosen(k)
}

// schedule runs events until dur has passed: faults drawn from a bag (each
// kind once before any twice) alternating with flips.
func (w *world) schedule(dur time.Duration) {
	end := time.Now().Add(dur)
	var bag []string
	for n := 0; time.Now().Before(end); n++ {
		if w.t.Failed() && w.st.failures() >= 3 {
			w.t.Log("chaos: stopping the schedule after 3 failures")
			return
		}
		if n%2 == 1 {
			w.flip(flipKinds[w.rng.IntN(len(flipKinds))])
			continue
		}
		if len(bag) == 0 {
			for _, k := range faultKinds {
				if w.possible(k) {
					bag = append(bag, k)
				}
			}
			if len(bag) == 0 {
				w.t.Fatalf("-faults %q leaves no fault kind", *flagFaults)
			}
			w.rng.Shuffle(len(bag), func(i, j int) { bag[i], bag[j] = bag[j], bag[i] })
		}
		k := bag[0]
		bag = bag[1:]
		w.fault(k)
	}
}

// holdTime is how long a fault lasts.
func (w *world) holdTime() time.Duration {
	if w.long {
		return w.between(4*time.Second, 20*time.Second)
	}
	return w.between(3*time.Second, 9*time.Second)
}

// fault runs one fault: inject, hold, heal, then the convergence check
// and a quiet spell.
func (w *world) fault(kind string) {
	slots := w.c.slots
	s := slots[w.rng.IntN(len(slots))]
	switch kind {
	case kindKillMove:
		var can []int
		for _, i := range movable {
			if i < len(slots) {
				can = append(can, i)
			}
		}
		s = slots[can[w.rng.IntN(len(can))]]
	case kindDiskRO, kindDiskFull:
		var can []*slot
		for _, x := range slots {
			if x.disk != nil {
				can = append(can, x)
			}
		}
		s = can[w.rng.IntN(len(can))]
	}
	hold := w.holdTime()
	detail := s.name
	var healed time.Time
	switch kind {
	case kindKill, kindKillFresh, kindKillMove:
		w.c.kill(s)
		w.hold(hold)
		switch kind {
		case kindKillFresh:
			w.c.freshDataDir(s)
			w.loseAPI(s)
		case kindKillMove:
			old := s.IP()
			w.c.moveAddr(s)
			detail += " " + old + "→" + s.IP()
		}
		healed = w.restart(s)
	case kindStop:
		w.c.signal(s, syscall.SIGSTOP)
		w.hold(hold)
		w.c.signal(s, syscall.SIGCONT)
		healed = time.Now()
	case kindLeave:
		left := time.Now()
		if err := w.c.leave(s); err != nil {
			w.errorf("%s: %v", kind, err)
		}
		// The others must forget the node and its services while it is away.
		w.converge(kindLeft, left, map[*slot]bool{s: true})
		w.hold(max(0, hold-time.Since(left)))
		healed = w.restart(s)
	case kindPartition, kindSplitBurst, kindSplitDC:
		perm := w.rng.Perm(len(slots))
		cut := 1 + w.rng.IntN(len(slots)-1)
		var a, b []string
		var an, bn []string
		for i, p := range perm {
			side := i < cut
			if kind == kindSplitDC {
				side = slots[p].dc == "dc1"
			}
			if side {
				a, an = append(a, slots[p].IP()), append(an, slots[p].name)
			} else {
				b, bn = append(b, slots[p].IP()), append(bn, slots[p].name)
			}
		}
		detail = strings.Join(an, ",") + " | " + strings.Join(bn, ",")
		if err := partition(a, b); err != nil {
			w.errorf("%s: %v", kind, err)
		}
		if kind == kindSplitBurst {
			w.hold(hold / 2)
			w.burst(3 + w.rng.IntN(4))
			w.hold(hold / 2)
		} else {
			w.hold(hold)
		}
		healPartition()
		healed = time.Now()
	case kindTruncate:
		detail += w.truncated(s)
		hold = 0
		healed = w.restart(s)
	case kindKillBurst:
		detail += w.killMidBurst(s)
		w.hold(hold)
		healed = w.restart(s)
	case kindDiskRO, kindDiskFull:
		how := map[string]string{kindDiskRO: diskReadOnly, kindDiskFull: diskFull}[kind]
		var d string
		d, healed = w.diskFault(s, how, hold)
		detail += d
	}
	w.t.Logf("chaos: %s %s (%s, held %v)", stamp(), kind, detail, hold.Round(100*time.Millisecond))
	w.converge(kind, healed, nil)
	w.settle()
}

// restart starts the slot's agent again and returns when its API is up.
func (w *world) restart(s *slot) time.Time {
	if err := w.c.start(s); err != nil {
		w.errorf("restart: %v", err)
		w.st.fail()
	}
	return time.Now()
}

// flip changes the truth with the cluster whole.
func (w *world) flip(kind string) {
	at := time.Now()
	var detail string
	switch kind {
	case kindFlipHTTP, kindFlipTCP:
		ts := w.targets[4:8]
		if kind == kindFlipHTTP {
			ts = w.targets[:4]
			if len(w.c.slots) > dc1Slots {
				ts = append(slices.Clone(ts), w.extra["http"]...) // dc2's web
			}
		}
		tg := ts[w.rng.IntN(len(ts))]
		up := !tg.isUp()
		if err := tg.set(up); err != nil {
			w.errorf("%s: %v", kind, err)
		}
		detail = fmt.Sprintf("%s %s up=%v", tg.kind, tg.addr, up)
	case kindFlipGRPC, kindFlipUDP, kindFlipScript, kindFlipH2Ping:
		ts := w.extra[map[string]string{kindFlipGRPC: "grpc", kindFlipUDP: "udp", kindFlipScript: "script", kindFlipH2Ping: "h2ping"}[kind]]
		if len(w.c.slots) <= dc1Slots {
			ts = ts[:1] // the second one is dc2's
		}
		tg := ts[w.rng.IntN(len(ts))]
		up := !tg.isUp()
		if err := tg.set(up); err != nil {
			w.errorf("%s: %v", kind, err)
		}
		detail = fmt.Sprintf("%s %s up=%v", tg.kind, tg.addr, up)
	case kindFlipTTL:
		f := w.feeds[w.rng.IntN(len(w.feeds))]
		f.fed.Store(!f.fed.Load())
		detail = fmt.Sprintf("%s on %s fed=%v", f.checkID, f.s.name, f.fed.Load())
	case kindRegister:
		detail = fmt.Sprintf("%d registered", w.burst(1+w.rng.IntN(4)))
	case kindDeregister:
		detail = fmt.Sprintf("%d deregistered", w.deregisterSome(1+w.rng.IntN(2)))
	}
	w.t.Logf("chaos: %s %s (%s)", stamp(), kind, detail)
	w.converge(kind, at, nil)
	w.settle()
}

// converge polls every agent and the watchers until every answer equals
// the truth, or fails the test when one still differs convergenceBound
// after since. It reports whether it converged.
//
// gone are slots that have left: the others must forget them.
func (w *world) converge(kind string, since time.Time, gone map[*slot]bool) bool {
	w.resolvePending()
	for {
		w.reviveCrashed()
		d := w.observeAll(gone)
		w.st.track(d, false, 0)
		if len(d) == 0 {
			w.st.converged(kind, time.Since(since))
			return true
		}
		if time.Since(since) > convergenceBound {
			var b strings.Builder
			for i, x := range d {
				if i == 20 {
					fmt.Fprintf(&b, "  … and %d more\n", len(d)-20)
					break
				}
				fmt.Fprintf(&b, "  %s:\n    got  %s\n    want %s\n", x.key, x.got, x.want)
			}
			w.errorf("%s: %d answers still differ from the truth %v after the heal:\n%s", kind, len(d), convergenceBound, b.String())
			w.st.diverged(kind)
			w.st.track(nil, false, 0) // close the open divergences: they are reported
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settle samples for a quiet spell after a convergence: any answer that
// differs now is a wrong answer (a flap, a stale repair) and its time is
// counted.
func (w *world) settle() {
	d := w.between(2*time.Second, 5*time.Second)
	end := time.Now().Add(d)
	prev := time.Now()
	for time.Now().Before(end) {
		w.reviveCrashed()
		diffs := w.observeAll(nil)
		now := time.Now()
		w.st.track(diffs, true, now.Sub(prev))
		prev = now
		time.Sleep(200 * time.Millisecond)
	}
}

// reviveCrashed reports agents that exited without the schedule asking and
// starts them again, so the run goes on.
func (w *world) reviveCrashed() {
	for _, c := range w.c.takeCrashes() {
		w.errorf("crash: %s", c)
		w.st.crash()
	}
	for _, s := range w.c.slots {
		if !s.proc.p.Running() && !s.proc.ended.Load() {
			w.restart(s)
		}
	}
}

// chosen reports whether -faults lets fault kind k run.
func chosen(k string) bool {
	if *flagFaults == "" {
		return true
	}
	for _, word := range strings.Split(*flagFaults, ",") {
		if word = strings.TrimSpace(word); word != "" && strings.Contains(k, word) {
			return true
		}
	}
	return false
}

// stamp is the time of day (UTC) in the test's log lines, to find the
// same moment in the agents' logs.
func stamp() string { return time.Now().UTC().Format("15:04:05.0") }
