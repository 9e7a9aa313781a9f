package chaos

import (
	"fmt"
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
	kindFlipHTTP   = "flip HTTP check"
	kindFlipTCP    = "flip TCP check"
	kindFlipTTL    = "feed/starve TTL"
	kindRegister   = "API register"
	kindDeregister = "API deregister"
)

var faultKinds = []string{kindKill, kindKillFresh, kindKillMove, kindStop, kindPartition, kindSplitBurst, kindLeave, kindKillBurst, kindTruncate}
var flipKinds = []string{kindFlipHTTP, kindFlipTCP, kindFlipTTL, kindRegister, kindDeregister}

// movable are the slots that may move to a new address: not the server
// nor the join targets (Web-1, Db-3), and not the watched agent.
var movable = []int{2, 4, 5}

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
				if (w.canSplit || !strings.HasPrefix(k, kindPartition)) && chosen(k) {
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
	if kind == kindKillMove {
		s = slots[movable[w.rng.IntN(len(movable))]]
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
	case kindPartition, kindSplitBurst:
		perm := w.rng.Perm(len(slots))
		cut := 1 + w.rng.IntN(len(slots)-1)
		var a, b []string
		var an, bn []string
		for i, p := range perm {
			if i < cut {
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
	}
	w.t.Logf("chaos: %s (%s, held %v)", kind, detail, hold.Round(100*time.Millisecond))
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
		k := w.rng.IntN(4)
		if kind == kindFlipTCP {
			k += 4
		}
		tg := w.targets[k]
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
	w.t.Logf("chaos: %s (%s)", kind, detail)
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
		d := w.observeAll(w.truth.expect(w.c.slots, gone), gone)
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
		diffs := w.observeAll(w.truth.expect(w.c.slots, nil), nil)
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
