// Package swim is an event-driven simulator of SWIM gossip as
// hashicorp/memberlist v0.7.0 implements it, with no sockets: it predicts
// how long a join, a failure and a graceful leave take to reach every
// member of a cluster of any size, from the same settings memberlist uses
// (gossip interval, fanout, retransmit multiplier, probe interval and
// timeout, suspicion multipliers, push/pull interval).
//
// The model follows memberlist's code paths (state.go, suspicion.go,
// util.go, queue.go) for the messages that concern one subject node at a
// time:
//
//   - Dissemination: a node that learns something new queues it; every
//     GossipInterval (each node has its own phase) it sends one packet to
//     each of GossipNodes random live peers, and each packet carries the
//     queued messages, each at most RetransmitMult·ceil(log10(N+1)) times
//     in all. Receivers that learn something new queue it in turn.
//   - Piggybacking: memberlist also appends queued broadcasts to its probe
//     pings and acks, so every node with something queued sends it with
//     its probe each ProbeInterval too, and the probed node answers with
//     its own queue.
//   - Push/pull: every PushPullInterval (scaled by memberlist's
//     pushPullScale above 32 nodes) a node exchanges full state with one
//     random peer.
//   - Failure detection: the cluster probes round-robin over shuffled
//     member lists, so a given node is probed by about one prober per
//     ProbeInterval, at a random phase. A probe of a dead node fails at the
//     end of its probe interval; the prober then suspects the node. A
//     suspicion starts at SuspicionMaxTimeoutMult·min and shrinks towards
//     min = SuspicionMult·max(1, log10(N))·ProbeInterval as independent
//     confirmations (k = SuspicionMult−2 expected) arrive, as in
//     suspicion.go; whoever's timer fires first declares the node dead.
//   - Graceful leave, as discod's membership.Agent does it: the leaver
//     gossips a metadata update (the leaving flag), waits until that
//     broadcast has been fully transmitted, then broadcasts its own dead
//     message (a leave), waits again, and stops.
//
// Per-hop delay is the one free parameter: the time from a send to the
// receiver having processed the message, which on a loaded machine with
// many agents per core is dominated by scheduling, not the network. It is
// calibrated against real runs (bench/cmd/gossipbench).
package swim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Config holds memberlist's timing settings and the model's own
// parameters.
type Config struct {
	GossipInterval          time.Duration
	GossipNodes             int
	RetransmitMult          int
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	PushPullInterval        time.Duration

	// HopDelay is the mean time from sending a message to the receiver
	// having applied it; each hop draws an exponential delay with this
	// mean on top of MinHopDelay.
	HopDelay    time.Duration
	MinHopDelay time.Duration
	// Loss is the probability a packet is lost (0 on loopback).
	Loss float64
	// LeaveIntent models discod's membership.Agent.Leave, which first
	// gossips its leaving flag and waits for that broadcast to finish
	// before memberlist's own leave message; false is plain memberlist.
	LeaveIntent bool
}

// LAN returns memberlist's DefaultLANConfig timings with a loopback-like
// hop delay.
func LAN() Config {
	return Config{
		GossipInterval: 200 * time.Millisecond, GossipNodes: 3, RetransmitMult: 4,
		ProbeInterval: time.Second, ProbeTimeout: 500 * time.Millisecond,
		SuspicionMult: 4, SuspicionMaxTimeoutMult: 6, PushPullInterval: 30 * time.Second,
		HopDelay: time.Millisecond, MinHopDelay: 100 * time.Microsecond,
		LeaveIntent: true,
	}
}

// Result is what one simulated event took until every member saw it,
// and until half of them had.
type Result struct {
	All, Half time.Duration
	// Reached is how many of the members that should see the event did
	// within the horizon.
	Reached, Of int
}

// Sim is one simulated cluster of n members (plus, for Join, the newcomer).
type Sim struct {
	cfg Config
	n   int
	rng *rand.Rand
}

// New returns a simulator of an n-member cluster; seed makes it repeatable.
func New(cfg Config, n int, seed uint64) *Sim {
	return &Sim{cfg: cfg, n: n, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

// retransmitLimit is memberlist's util.go retransmitLimit.
func retransmitLimit(mult, n int) int {
	return mult * int(math.Ceil(math.Log10(float64(n+1))))
}

// suspicionMin is memberlist's util.go suspicionTimeout.
func suspicionMin(mult, n int, interval time.Duration) time.Duration {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return time.Duration(mult) * time.Duration(scale*1000) * interval / 1000
}

// pushPullScale is memberlist's util.go pushPullScale.
func pushPullScale(interval time.Duration, n int) time.Duration {
	if n <= 32 {
		return interval
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(32)) + 1
	return time.Duration(mult) * interval
}

// remaining is memberlist's suspicion.go remainingSuspicionTime, as a
// total timeout from the start of the suspicion.
func remaining(n, k int, min, max time.Duration) time.Duration {
	if k < 1 {
		return min
	}
	frac := math.Log(float64(n)+1) / math.Log(float64(k)+1)
	raw := max.Seconds() - frac*(max.Seconds()-min.Seconds())
	t := time.Duration(math.Floor(1000*raw)) * time.Millisecond
	if t < min {
		t = min
	}
	return t
}

// knowledge is what a node believes about the subject.
type knowledge uint8

const (
	kUnknown knowledge = iota
	kAlive
	kLeaving // alive, with the leaving flag in its metadata
	kSuspect
	kDead // failed or left
)

// msg is a gossip message about the subject.
type msg uint8

const (
	mAlive msg = iota
	mLeaving
	mSuspect
	mDead
)

type event struct {
	at   time.Duration
	kind uint8
	node int32
	arg  int32 // msg or sender
	seq  uint64
}

const (
	evGossip = iota
	evDeliver
	evProbeFail
	evSuspicionTimer
	evPushPull
	evLeaveStep
	evProbeSend
)

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// run is the state of one simulated event.
type run struct {
	s        *Sim
	q        queue
	seq      uint64
	now      time.Duration
	n        int // members that take part (gossip, probe), subject included
	subject  int
	alive    []bool // node runs (the subject stops when killed or gone)
	know     []knowledge
	seenAt   []time.Duration // when the node reached the target state; -1 not yet
	target   knowledge
	bcast    [][4]int // per node, transmits left per message kind; 0 none
	ticking  []bool   // a gossip tick is scheduled
	probing  []bool   // a probe (with piggybacked broadcasts) is scheduled
	phase    []time.Duration
	pphase   []time.Duration
	limit    int
	susStart []time.Duration
	susConf  []int
	susFrom  []map[int32]bool
	susGen   []int // invalidates stale timers
	leaveSeq int   // graceful leave: 0 leaving flag, 1 dead message, 2 done
	leaving  bool  // the subject is leaving gracefully
}

func (s *Sim) newRun(n, subject int, target knowledge) *run {
	r := &run{s: s, n: n, subject: subject, target: target,
		alive: make([]bool, n), know: make([]knowledge, n), seenAt: make([]time.Duration, n),
		bcast: make([][4]int, n), ticking: make([]bool, n), probing: make([]bool, n),
		phase: make([]time.Duration, n), pphase: make([]time.Duration, n),
		susStart: make([]time.Duration, n), susConf: make([]int, n), susFrom: make([]map[int32]bool, n), susGen: make([]int, n),
		limit: retransmitLimit(s.cfg.RetransmitMult, n)}
	for i := range n {
		r.alive[i] = true
		r.seenAt[i] = -1
		r.phase[i] = time.Duration(s.rng.Int64N(int64(s.cfg.GossipInterval)))
		r.pphase[i] = time.Duration(s.rng.Int64N(int64(s.cfg.ProbeInterval)))
	}
	return r
}

func (r *run) push(e event) {
	r.seq++
	e.seq = r.seq
	heap.Push(&r.q, e)
}

// hop draws one message delay.
func (r *run) hop() time.Duration {
	c := r.s.cfg
	return c.MinHopDelay + time.Duration(r.s.rng.ExpFloat64()*float64(c.HopDelay))
}

// enqueue queues m at node i for gossip and makes sure it ticks.
func (r *run) enqueue(i int, m msg) {
	// A newer message about the subject invalidates older ones, as
	// memberlist's queue does for messages about the same node.
	for k := range r.bcast[i] {
		if msg(k) < m {
			r.bcast[i][k] = 0
		}
	}
	r.bcast[i][m] = r.limit
	if !r.ticking[i] && r.alive[i] {
		r.ticking[i] = true
		r.push(event{at: nextTick(r.now, r.phase[i], r.s.cfg.GossipInterval), kind: evGossip, node: int32(i)})
	}
	if !r.probing[i] && r.alive[i] {
		r.probing[i] = true
		r.push(event{at: nextTick(r.now, r.pphase[i], r.s.cfg.ProbeInterval), kind: evProbeSend, node: int32(i)})
	}
}

// nextTick is the first time after now on a ticker of period iv started
// at phase.
func nextTick(now, phase, iv time.Duration) time.Duration {
	if now < phase {
		return phase
	}
	return phase + ((now-phase)/iv+1)*iv
}

// sendQueued sends node i's queued messages to j in one packet, counting
// one transmission each, and reports whether anything was sent.
func (r *run) sendQueued(i, j int) bool {
	sent := false
	for k := range r.bcast[i] {
		if r.bcast[i][k] > 0 {
			r.bcast[i][k]--
			sent = true
			if r.s.rng.Float64() >= r.s.cfg.Loss {
				r.push(event{at: r.now + r.hop(), kind: evDeliver, node: int32(j), arg: int32(k)<<24 | int32(i)})
			}
		}
	}
	return sent
}

// queued reports whether node i has messages left to send.
func (r *run) queued(i int) bool {
	for k := range r.bcast[i] {
		if r.bcast[i][k] > 0 {
			return true
		}
	}
	return false
}

// afterSend moves a graceful leave on once the leaver's broadcast is done.
func (r *run) afterSend(i int, sent bool) {
	if sent && !r.queued(i) && i == r.subject && r.leaving && r.leaveSeq < 2 && r.alive[i] {
		r.push(event{at: r.now, kind: evLeaveStep, node: int32(i)})
	}
}

// randomPeer picks a random running-or-recently-dead member other than i.
func (r *run) randomPeer(i int) int {
	for {
		j := r.s.rng.IntN(r.n)
		if j != i {
			return j
		}
	}
}

// learn applies m at node i (sent by from) and reports whether it was news.
func (r *run) learn(i int, m msg, from int32) bool {
	if !r.alive[i] {
		return false
	}
	old := r.know[i]
	var nk knowledge
	switch m {
	case mAlive:
		nk = kAlive
	case mLeaving:
		nk = kLeaving
	case mSuspect:
		nk = kSuspect
	case mDead:
		nk = kDead
	}
	if nk <= old && !(m == mSuspect && old == kSuspect) {
		return false
	}
	if m == mSuspect {
		if old == kDead {
			return false
		}
		if old == kSuspect {
			// A confirmation from another suspecter shortens the timer.
			if r.susFrom[i][from] {
				return false
			}
			r.susFrom[i][from] = true
			r.susConf[i]++
			r.armSuspicion(i)
			return true
		}
		r.know[i] = kSuspect
		r.susStart[i] = r.now
		r.susConf[i] = 0
		r.susFrom[i] = map[int32]bool{from: true}
		r.armSuspicion(i)
		return true
	}
	r.know[i] = nk
	if nk == r.target && r.seenAt[i] < 0 {
		r.seenAt[i] = r.now
	}
	return true
}

// armSuspicion (re)schedules node i's suspicion timer.
func (r *run) armSuspicion(i int) {
	c := r.s.cfg
	minT := suspicionMin(c.SuspicionMult, r.n, c.ProbeInterval)
	maxT := time.Duration(c.SuspicionMaxTimeoutMult) * minT
	k := c.SuspicionMult - 2
	if r.n-2 < k {
		k = 0
	}
	total := maxT
	if k < 1 {
		total = minT
	}
	if r.susConf[i] > 0 || k < 1 {
		total = remaining(r.susConf[i], k, minT, maxT)
	}
	r.susGen[i]++
	r.push(event{at: r.susStart[i] + total, kind: evSuspicionTimer, node: int32(i), arg: int32(r.susGen[i])})
}

// loop processes events until horizon or until every member that should
// has seen the target state.
func (r *run) loop(horizon time.Duration, observers []int) Result {
	isObs := make([]bool, r.n)
	remainingObs := 0
	for _, o := range observers {
		isObs[o] = true
		if r.seenAt[o] < 0 {
			remainingObs++
		}
	}
	for r.q.Len() > 0 && remainingObs > 0 {
		e := heap.Pop(&r.q).(event)
		if e.at > horizon {
			break
		}
		r.now = e.at
		i := int(e.node)
		before := r.seenAt[i]
		switch e.kind {
		case evGossip:
			r.ticking[i] = false
			if !r.alive[i] {
				break
			}
			sent := false
			for f := 0; f < r.s.cfg.GossipNodes; f++ {
				sent = r.sendQueued(i, r.randomPeer(i)) || sent
			}
			if r.queued(i) {
				r.ticking[i] = true
				r.push(event{at: r.now + r.s.cfg.GossipInterval, kind: evGossip, node: int32(i)})
			}
			r.afterSend(i, sent)
		case evProbeSend:
			// A probe ping carries i's queue to j; j's ack carries j's
			// queue back.
			r.probing[i] = false
			if !r.alive[i] {
				break
			}
			j := r.randomPeer(i)
			sent := r.sendQueued(i, j)
			if r.alive[j] {
				r.afterSend(j, r.sendQueued(j, i))
			}
			if r.queued(i) {
				r.probing[i] = true
				r.push(event{at: r.now + r.s.cfg.ProbeInterval, kind: evProbeSend, node: int32(i)})
			}
			r.afterSend(i, sent)
		case evDeliver:
			m, from := msg(e.arg>>24), e.arg&0xffffff
			if r.learn(i, m, from) {
				r.enqueue(i, m)
			}
		case evProbeFail:
			// Node i's probe of the subject got no ack: suspect it.
			if !r.alive[i] || r.know[i] == kDead || r.know[i] == kUnknown {
				break
			}
			if r.learn(i, mSuspect, int32(i)) {
				r.enqueue(i, mSuspect)
			}
		case evSuspicionTimer:
			if int(e.arg) != r.susGen[i] || r.know[i] != kSuspect || !r.alive[i] {
				break
			}
			if r.learn(i, mDead, int32(i)) {
				r.enqueue(i, mDead)
			}
		case evPushPull:
			if !r.alive[i] {
				break
			}
			j := r.randomPeer(i)
			if r.alive[j] && j != r.subject {
				// Full state exchange: each side takes the other's newer
				// belief (suspicions are not merged as confirmations).
				a, b := r.know[i], r.know[j]
				if b > a && b != kSuspect {
					r.learnState(i, b)
				} else if a > b && a != kSuspect {
					r.learnState(j, a)
				}
			}
			r.push(event{at: r.now + pushPullScale(r.s.cfg.PushPullInterval, r.n), kind: evPushPull, node: int32(i)})
		case evLeaveStep:
			r.leaveSeq++
			if r.leaveSeq == 1 {
				r.enqueue(i, mDead)
			} else {
				r.alive[i] = false // the leaver shuts down
			}
		}
		if before < 0 && r.seenAt[i] >= 0 && isObs[i] {
			remainingObs--
		}
	}
	return r.result(observers)
}

// learnState applies a belief taken from push/pull.
func (r *run) learnState(i int, k knowledge) {
	m := map[knowledge]msg{kAlive: mAlive, kLeaving: mLeaving, kDead: mDead}[k]
	if r.learn(i, m, -1) {
		r.enqueue(i, m)
	}
}

func (r *run) result(observers []int) Result {
	times := make([]time.Duration, 0, len(observers))
	for _, o := range observers {
		if r.seenAt[o] >= 0 {
			times = append(times, r.seenAt[o])
		}
	}
	res := Result{Reached: len(times), Of: len(observers)}
	if len(times) == 0 {
		return res
	}
	slices.Sort(times)
	res.All = times[len(times)-1]
	res.Half = times[(len(observers)-1)/2%len(times)]
	return res
}

// others returns every node index but subject.
func others(n, subject int) []int {
	out := make([]int, 0, n-1)
	for i := range n {
		if i != subject {
			out = append(out, i)
		}
	}
	return out
}

// schedulePushPull gives every member its push/pull timer at a random phase.
func (r *run) schedulePushPull() {
	iv := pushPullScale(r.s.cfg.PushPullInterval, r.n)
	for i := range r.n {
		r.push(event{at: time.Duration(r.s.rng.Int64N(int64(iv))), kind: evPushPull, node: int32(i)})
	}
}

// Join simulates a newcomer joining through one seed: how long until all
// n existing members see it alive. The newcomer's push/pull with the seed
// tells the seed at once; both then gossip the newcomer's alive message.
func (s *Sim) Join(horizon time.Duration) Result {
	n := s.n + 1
	newcomer := n - 1
	r := s.newRun(n, newcomer, kAlive)
	r.know[newcomer] = kAlive
	seed := s.rng.IntN(s.n)
	r.schedulePushPull()
	r.enqueue(newcomer, mAlive)
	r.push(event{at: r.hop() + r.hop(), kind: evDeliver, node: int32(seed), arg: int32(mAlive)<<24 | int32(newcomer)})
	return r.loop(horizon, others(n, newcomer))
}

// Fail simulates killing one member at time 0: how long until all others
// see it failed.
func (s *Sim) Fail(horizon time.Duration) Result {
	r := s.newRun(s.n, 0, kDead)
	for i := range s.n {
		r.know[i] = kAlive
	}
	r.alive[0] = false
	r.schedulePushPull()
	c := s.cfg
	// Probes of the dead node: each member reaches it once per pass over
	// its shuffled list of n-1 peers, at a random point of the pass and at
	// its own phase. A probe that starts at t fails at t+ProbeInterval
	// (direct ping, then indirect pings until the end of the interval).
	cycle := time.Duration(s.n-1) * c.ProbeInterval
	for i := 1; i < s.n; i++ {
		t := time.Duration(s.rng.Int64N(int64(cycle)))
		for ; t < horizon; t += cycle {
			r.push(event{at: t + c.ProbeInterval, kind: evProbeFail, node: int32(i)})
		}
	}
	return r.loop(horizon, others(s.n, 0))
}

// Leave simulates a graceful leave starting at time 0: how long until
// all others see the member gone (left).
func (s *Sim) Leave(horizon time.Duration) Result {
	r := s.newRun(s.n, 0, kDead)
	for i := range s.n {
		r.know[i] = kAlive
	}
	r.schedulePushPull()
	r.leaving = true
	if s.cfg.LeaveIntent {
		r.enqueue(0, mLeaving)
	} else {
		r.leaveSeq = 1
		r.enqueue(0, mDead)
	}
	return r.loop(horizon, others(s.n, 0))
}
