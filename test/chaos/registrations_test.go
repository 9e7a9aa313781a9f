package chaos

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
)

// batchNames are the names API registrations use; "batch-web" instances
// have an HTTP check, the others none.
var batchNames = []string{"batch-a", "batch-b", "batch-c", "batch-web"}

// maxAPI bounds the API instances alive at once: past it bursts
// deregister instead.
const maxAPI = 30

// newInst makes the next API instance for s.
func (w *world) newInst(s *slot) (*inst, *api.AgentServiceRegistration) {
	w.seq++
	name := batchNames[w.rng.IntN(len(batchNames))]
	in := &inst{s: s, id: fmt.Sprintf("b%d", w.seq), name: name, port: 20000 + w.seq, tags: []string{"burst"}, api: true}
	reg := &api.AgentServiceRegistration{ID: in.id, Name: name, Port: in.port, Tags: in.tags}
	if name == "batch-web" {
		tg := w.targets[w.rng.IntN(4)]
		in.checks = []probe{{target: tg}}
		reg.Checks = api.AgentServiceChecks{tg.apiCheck(in.id + "-http")}
	}
	return in, reg
}

// register registers in on its agent: acknowledged, it joins the truth;
// failed, its outcome is unknown until resolvePending asks the agent.
func (w *world) register(in *inst, reg *api.AgentServiceRegistration) error {
	err := w.client(in.s.IP()).Agent().ServiceRegister(reg)
	if err != nil {
		w.pending = append(w.pending, in)
		return err
	}
	w.truth.add(in)
	return nil
}

// burst registers n instances on random agents (deregistering instead
// while there are maxAPI), and deregisters one in three times; it returns
// how many it registered.
func (w *world) burst(n int) int {
	done := 0
	for range n {
		if len(w.truth.apiInsts(nil)) >= maxAPI || w.rng.IntN(3) == 0 {
			w.deregisterSome(1)
			continue
		}
		s := w.c.slots[w.rng.IntN(len(w.c.slots))]
		in, reg := w.newInst(s)
		if err := w.register(in, reg); err != nil {
			w.t.Logf("chaos: registration of %s on %s failed: %v", in.id, s.name, err)
			continue
		}
		done++
	}
	return done
}

// deregisterSome deregisters up to n random API instances; it returns how
// many were acknowledged.
func (w *world) deregisterSome(n int) int {
	done := 0
	for range n {
		all := w.truth.apiInsts(nil)
		if len(all) == 0 {
			return done
		}
		in := all[w.rng.IntN(len(all))]
		if err := w.client(in.s.IP()).Agent().ServiceDeregister(in.id); err != nil {
			w.t.Logf("chaos: deregistration of %s on %s failed: %v", in.id, in.s.name, err)
			w.truth.remove(in.key(), false)
			w.pending = append(w.pending, in)
			continue
		}
		w.truth.remove(in.key(), true)
		done++
	}
	return done
}

// killMidBurst registers instances on s one after the other and kills the
// agent with kill -9 while it does; the registration in flight is
// resolved after the restart. It returns a description.
func (w *world) killMidBurst(s *slot) string {
	var ins []*inst
	var regs []*api.AgentServiceRegistration
	for range 150 {
		in, reg := w.newInst(s)
		ins, regs = append(ins, in), append(regs, reg)
	}
	after := w.between(50*time.Millisecond, 800*time.Millisecond)
	type result struct {
		acked   []*inst
		unknown []*inst
	}
	done := make(chan result, 1)
	c := w.client(s.IP())
	go func() {
		var r result
		for i, in := range ins {
			if err := c.Agent().ServiceRegister(regs[i]); err != nil {
				r.unknown = append(r.unknown, in)
				break
			}
			r.acked = append(r.acked, in)
		}
		done <- r
	}()
	w.hold(after)
	w.c.kill(s)
	r := <-done
	for _, in := range r.acked {
		w.truth.add(in)
	}
	w.pending = append(w.pending, r.unknown...)
	return fmt.Sprintf(", killed after %v: %d acknowledged, %d in flight", after.Round(time.Millisecond), len(r.acked), len(r.unknown))
}

// loseAPI drops the API instances of s from the truth (a fresh data dir
// forgets them; they are not deregistered, only gone).
func (w *world) loseAPI(s *slot) {
	for _, in := range w.truth.apiInsts(s) {
		w.truth.remove(in.key(), false)
	}
	var keep []*inst
	for _, in := range w.pending {
		if in.s != s {
			keep = append(keep, in)
		}
	}
	w.pending = keep
}

// resolvePending asks each owner whether a registration or deregistration
// whose answer was lost took effect, and puts the answer in the truth.
// One the owner cannot answer yet stays pending.
func (w *world) resolvePending() {
	var keep []*inst
	for _, in := range w.pending {
		svc, _, err := w.client(in.s.IP()).Agent().Service(in.id, nil)
		switch {
		case err == nil && svc != nil:
			w.truth.add(in)
			w.t.Logf("chaos: %s on %s, not acknowledged, is registered", in.id, in.s.name)
		case err != nil && strings.Contains(err.Error(), "404"):
			w.truth.remove(in.key(), true)
		default:
			keep = append(keep, in)
		}
	}
	w.pending = keep
}

// truncated kills the agent of s, cuts its services.json in half and
// starts it: the start must fail with an error naming the file. The
// operator's repair, as the error says, is to remove the file, which
// loses the API registrations; the caller then starts the agent.
func (w *world) truncated(s *slot) string {
	w.c.kill(s)
	path := s.dataPath("services.json")
	b, err := os.ReadFile(path)
	if err != nil {
		w.errorf("%s: %v", kindTruncate, err)
		return ""
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o600); err != nil {
		w.errorf("%s: %v", kindTruncate, err)
		return ""
	}
	detail := fmt.Sprintf(", %d of %d bytes kept", len(b)/2, len(b))
	err = w.c.start(s)
	switch {
	case err == nil:
		w.errorf("%s: %s started with a damaged services.json; want an error naming the file", kindTruncate, s.name)
		w.c.kill(s)
	case !strings.Contains(err.Error(), "services.json"):
		w.errorf("%s: %s refused to start without naming services.json: %v", kindTruncate, s.name, err)
	default:
		detail += ", start refused naming the file"
	}
	if err := os.Remove(path); err != nil {
		w.errorf("%s: %v", kindTruncate, err)
	}
	w.loseAPI(s)
	return detail
}
