// Package spreadsim is an event-by-event model of how discod spreads
// service records (membership/records.go, records_sync.go), for cluster
// sizes too large to run on one machine.
//
// What it models:
//
//   - Owner-direct deltas: an owner's change goes to every other member
//     as one UDP packet each, sent one after another by the owner's one
//     sender (fanLoop) at SendCost per packet, to the members in a random
//     order; the sender's queue holds SendQueue changes (recordsDeltaQueue)
//     and a change that finds it full is dropped.
//   - The network: each packet takes HopDelay plus an exponential jitter
//     of mean HopJitter, and is lost with probability Loss.
//   - Each receiver's packet handler: memberlist's handoff queue,
//     QueueDepth deep (HandoffQueueDepth, 1024), served last in, first out
//     by one handler at RecvCost per packet; a packet that finds the queue
//     full is dropped.
//   - The receiver's rules: a delta that follows what it holds is
//     applied, then the held deltas that follow it; a stale one is
//     ignored; one that leaves a gap is held (at most 64 per owner) and a
//     pull of the owner's whole set is asked for after GapGrace (250 ms)
//     if still behind, one pull per owner in flight until the set arrives
//     or PullTimeout (5 s) passes.
//   - Pulls and sets over TCP (never lost): the request reaches the owner
//     after PullRTT; the owner's one bulk sender (bulkLoop, a queue of
//     1,024 jobs) sends sets one at a time, each costing SetCost plus
//     SetCostPerInstance per instance, and a set carries the owner's
//     version at the time it is sent.
//   - Digests: every owner sends its version to every member every
//     max(10 s, members ÷ 30 per second) ±10 % (digestInterval), and
//     TailDigest after a change (recordsTailDigest), through the same
//     sender and handler queues as deltas; a receiver behind pulls after
//     GapGrace if still behind (behind), as after a gap.
//   - The peer exchange (records_exchange.go): every ExchangeEvery ±10 %
//     each node sends every owner's version to one random node over TCP
//     (never lost; it fails when either side is cut off), arriving after
//     PullRTT; the receiver pulls from the owners it is behind on and
//     answers with the versions it holds newer, and the sender pulls from
//     those, both after GapGrace. Its CPU is not modelled (TCP messages
//     are handled off the handoff queue).
//   - Repairs since a version (records_history.go): a pull carries the
//     puller's version; when the owner's last HistoryDeltas changes reach
//     back to it, the answer is one delta of those changes (costing
//     SetCost plus SetCostPerInstance per change, DeltaBytes per change),
//     applied if the puller holds that version or a later one within it
//     (applyOverlap), else the whole set. HistoryDeltas 0 is the product before: always the set.
//   - memberlist's push/pull: every PushPullInterval, scaled as memberlist
//     scales it (×(⌈log2 n − 5⌉+1) above 32 members), each node exchanges
//     every owner's version with one random node; each side pulls (after
//     GapGrace) from the owners the other holds newer.
//   - Bytes received per node: deltas, digests, sets, pulls and exchanges,
//     at the sizes given (the records layer's bytes, as membership's
//     RecordsCounts count them).
//
// What it does not model: membership itself (members are all alive and
// known to each other throughout: a partition here is a window in which
// some nodes receive nothing, shorter than failure detection; a longer
// one ends in a rejoin, whose catch-up is the join push the real harness
// measures), SWIM's own probe and gossip traffic and its CPU, TCP
// congestion and connection set-up beyond PullRTT, the Go scheduler and
// garbage collector, and CPU shared between a node's sender and handler
// (each has its own budget). A change is one packet (it fits 1,200 bytes).
package spreadsim

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"time"
)

// Config is the model's parameters.
type Config struct {
	N                  int           // members
	HopDelay           time.Duration // one-way delay of a packet, fixed part
	HopJitter          time.Duration // mean of the exponential part
	SendCost           time.Duration // owner's time per packet sent
	RecvCost           time.Duration // receiver's time per packet handled
	QueueDepth         int           // receiver's handoff queue (LIFO)
	SendQueue          int           // owner's queue of changes
	BulkQueue          int           // owner's queue of sets to send
	Loss               float64       // probability a UDP packet is lost
	DigestEvery        time.Duration // digest period floor
	DigestRate         int           // digests per second a node receives at most
	GapGrace           time.Duration
	PullTimeout        time.Duration
	PullRTT            time.Duration
	SetCost            time.Duration
	SetCostPerInstance time.Duration
	PushPullInterval   time.Duration // unscaled; 0: none
	// TailDigest, when not 0: an owner sends its digest to every member
	// TailDigest after a change (once for the changes within that time),
	// so that a lost delta is pulled within TailDigest rather than at the
	// next change or digest. The product's is 500 ms (recordsTailDigest).
	TailDigest time.Duration
	// TailAgain, when not 0 (with TailDigest), sends the tail digest once
	// more TailAgain after the first, so that a member that lost both the
	// last delta and the first tail digest is still repaired within
	// TailDigest + TailAgain (recordsTailAgain).
	TailAgain time.Duration
	// ExchangeEvery, when not 0, is the period of the peer exchange (the
	// product's is 10 s, recordsExchangeEvery).
	ExchangeEvery time.Duration
	// HistoryDeltas is how many of its latest changes an owner can
	// answer a pull with instead of its set (recordsHistoryDeltas; 0:
	// always the set).
	HistoryDeltas int
	HeldPerOwner  int
	Instances     int // per owner
	// Sizes in bytes, for the byte counts.
	DeltaBytes, DigestBytes, PullBytes, SetBytes, SetBytesPerInstance int
	// ExchangeBytesPerOwner is one owner's entry in an exchange message
	// (name, epoch and seq: about 30 bytes).
	ExchangeBytesPerOwner int
}

// Defaults returns membership's constants (the tail digest and the peer
// exchange included) and memberlist's LAN settings, with a 1 ms hop and
// costs of a few microseconds; calibrate HopDelay, SendCost and RecvCost
// on real runs.
func Defaults(n int) Config {
	return Config{
		N: n, HopDelay: time.Millisecond, HopJitter: 200 * time.Microsecond,
		SendCost: 10 * time.Microsecond, RecvCost: 10 * time.Microsecond,
		QueueDepth: 1024, SendQueue: 4096, BulkQueue: 1024,
		DigestEvery: 10 * time.Second, DigestRate: 30,
		GapGrace: 250 * time.Millisecond, PullTimeout: 5 * time.Second,
		PullRTT: 2 * time.Millisecond, SetCost: 500 * time.Microsecond, SetCostPerInstance: 2 * time.Microsecond,
		PushPullInterval: 30 * time.Second, HeldPerOwner: 64, Instances: 200,
		TailDigest: 500 * time.Millisecond, TailAgain: 700 * time.Millisecond, ExchangeEvery: 10 * time.Second, HistoryDeltas: 256,
		DeltaBytes: 300, DigestBytes: 20, PullBytes: 20, SetBytes: 30, SetBytesPerInstance: 250,
		ExchangeBytesPerOwner: 30,
	}
}

// DigestPeriod is the mean digest period at n members (digestInterval).
func (c Config) DigestPeriod() time.Duration {
	return max(c.DigestEvery, time.Duration(c.N)*time.Second/time.Duration(max(c.DigestRate, 1)))
}

// PushPullPeriod is memberlist's scaled push/pull interval at n members.
func (c Config) PushPullPeriod() time.Duration {
	if c.N <= 32 || c.PushPullInterval <= 0 {
		return c.PushPullInterval
	}
	return time.Duration(math.Ceil(math.Log2(float64(c.N))-5)+1) * c.PushPullInterval
}

// Result is one run's figures.
type Result struct {
	// All is each change's time until every other member held it (or a
	// newer version); Missed counts changes not held by all at the end.
	All    []time.Duration
	Missed int
	// Converged is, for a partition, the time from the heal until every
	// member held every owner's newest version (-1: not within the run).
	Converged time.Duration
	// Drops are changes the owner's queue refused, packets handoff queues
	// refused, and UDP packets lost.
	SendDrops, QueueDrops, Lost int
	Gaps, Pulls, Sets           int
	Repairs                     int // pulls answered with the changes, not the set
	Exchanges                   int // exchange messages received, answers included
	PullDrops                   int // pull requests a full bulk queue refused
	// BytesPerNode is the mean records bytes a member received; MaxQueue
	// the deepest handoff queue seen; MaxSendBacklog the most changes
	// waiting in one owner's queue.
	BytesPerNode   float64
	MaxQueue       int
	MaxSendBacklog int
	Changes        int
}

// Scenario is what happens in one run.
type Scenario struct {
	// Changes: at Rate per second from T0 for Duration, each from the next
	// owner in a random rotation.
	Rate     float64
	Duration time.Duration
	// Partitioned is how many members receive nothing from PartStart for
	// PartFor (0: none).
	Partitioned        int
	PartStart, PartFor time.Duration
	// Horizon is the end of the run.
	Horizon time.Duration
	Seed    uint64
}

type evKind uint8

const (
	evChange         evKind = iota // owner publishes
	evArrive                       // a packet reaches a receiver's queue
	evHandled                      // a receiver's handler finished a packet
	evPullFire                     // a gap's grace ended
	evPullReq                      // a pull request reaches the owner
	evSetSent                      // owner's bulk sender finished a set
	evSetArrive                    // a set reaches the requester
	evDigest                       // an owner's digest timer
	evPushPull                     // a node's push/pull timer
	evTail                         // an owner's digest after a change (TailDigest)
	evExchange                     // a node's exchange timer
	evExchangeArrive               // an exchange reaches its peer
	evAnswerArrive                 // the answer reaches the exchange's sender
)

type pktKind uint8

const (
	pDelta pktKind = iota
	pDigest
)

type event struct {
	at    time.Duration
	kind  evKind
	node  int // the node the event happens at
	owner int
	pk    pktKind
	from  uint32 // delta: From seq; digest: the version
	to    uint32
	seq   uint64   // tie-break: insertion order
	vs    []uint32 // exchange: the sender's versions
}

type evHeap []event

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *evHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type packet struct {
	pk       pktKind
	owner    int
	from, to uint32
}

type node struct {
	cur      []uint32 // held version (seq) of each owner
	held     []map[uint32]uint32
	pullAt   []time.Duration // pull in flight since (−1: none)
	pullWant []uint32        // the version the pull in flight is for
	queue    []packet        // handoff queue, LIFO
	busy     bool
	sendFree time.Duration // when the sender is free
	backlog  []time.Duration
	bulkFree time.Duration
	bulkLen  int
	version  uint32 // own version
	tail     bool   // a tail digest is scheduled
	bytes    float64
}

type sim struct {
	c     Config
	sc    Scenario
	rng   *rand.Rand
	h     evHeap
	seq   uint64
	nodes []*node
	res   Result
	// changes: for each (owner, version), when it was published and how
	// many members hold it.
	born  map[[2]uint32]time.Duration
	holds map[[2]uint32]int
	order []int
	// behind counts (node, owner) pairs where node holds less than the
	// owner's version; done counts changes every member holds.
	behind, done int
}

// Run runs scenario sc on the model c.
func Run(c Config, sc Scenario) Result {
	s := &sim{c: c, sc: sc, rng: rand.New(rand.NewPCG(sc.Seed, 0x5eed)), born: map[[2]uint32]time.Duration{}, holds: map[[2]uint32]int{}}
	s.res.Converged = -1
	for range c.N {
		nd := &node{cur: make([]uint32, c.N), held: make([]map[uint32]uint32, c.N), pullAt: make([]time.Duration, c.N), pullWant: make([]uint32, c.N), version: 1}
		for j := range nd.pullAt {
			nd.pullAt[j] = -1
			nd.cur[j] = 1 // everyone starts in step, at version 1
		}
		s.nodes = append(s.nodes, nd)
	}
	s.order = s.rng.Perm(c.N)
	if sc.Rate > 0 {
		s.push(event{at: 0, kind: evChange})
	}
	dp := c.DigestPeriod()
	for i := range c.N {
		// Agents start at different times: digest timers are in every
		// phase.
		s.push(event{at: time.Duration(s.rng.Int64N(int64(dp))), kind: evDigest, node: i})
		if pp := c.PushPullPeriod(); pp > 0 {
			s.push(event{at: time.Duration(s.rng.Int64N(int64(pp))), kind: evPushPull, node: i})
		}
		if c.ExchangeEvery > 0 {
			s.push(event{at: time.Duration(s.rng.Int64N(int64(c.ExchangeEvery))), kind: evExchange, node: i})
		}
	}
	k := 0
	for s.h.Len() > 0 {
		e := heap.Pop(&s.h).(event)
		if e.at > sc.Horizon {
			break
		}
		switch e.kind {
		case evChange:
			owner := s.order[k%c.N]
			k++
			s.change(e.at, owner)
			if next := time.Duration(float64(k) / sc.Rate * float64(time.Second)); next < sc.Duration {
				s.push(event{at: next, kind: evChange})
			}
		case evArrive:
			s.arrive(e)
		case evHandled:
			s.handled(e)
		case evPullFire:
			s.pullFire(e)
		case evPullReq:
			s.pullReq(e)
		case evSetArrive:
			s.setArrive(e)
		case evSetSent:
			s.setSent(e)
		case evDigest:
			s.digest(e)
		case evPushPull:
			s.pushPull(e)
		case evExchange:
			s.exchange(e)
		case evExchangeArrive:
			s.exchangeArrive(e)
		case evAnswerArrive:
			s.answerArrive(e)
		case evTail:
			nd := s.nodes[e.node]
			if e.from == 0 {
				nd.tail = false
				if s.c.TailAgain > 0 {
					s.push(event{at: e.at + s.c.TailAgain, kind: evTail, node: e.node, from: 1})
				}
			}
			s.fanout(e.at, e.node, packet{pk: pDigest, owner: e.node, to: nd.version})
		}
		heal := sc.PartStart + sc.PartFor
		if sc.Partitioned > 0 && s.res.Converged < 0 && e.at >= heal && s.behind == 0 {
			s.res.Converged = e.at - heal
		}
		if e.at >= sc.Duration && s.done == len(s.born) && (sc.Partitioned == 0 || s.res.Converged >= 0) {
			break // every change is everywhere: the rest is digests
		}
	}
	for key := range s.born {
		if s.holds[key] < c.N-1 {
			s.res.Missed++
		}
	}
	var b float64
	for _, nd := range s.nodes {
		b += nd.bytes
	}
	s.res.BytesPerNode = b / float64(c.N)
	s.res.Changes = k
	return s.res
}

func (s *sim) push(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.h, e)
}

func (s *sim) jitter(d time.Duration) time.Duration {
	return d*9/10 + time.Duration(s.rng.Int64N(int64(d/5)+1))
}

func (s *sim) hop() time.Duration {
	return s.c.HopDelay + time.Duration(s.rng.ExpFloat64()*float64(s.c.HopJitter))
}

// cut reports whether a packet to node i at t is lost to the partition.
func (s *sim) cut(i int, t time.Duration) bool {
	return i < s.sc.Partitioned && t >= s.sc.PartStart && t < s.sc.PartStart+s.sc.PartFor
}

// fanout sends one packet to every other member from owner at t, through
// its sender; it reports false when the sender's queue is full.
func (s *sim) fanout(t time.Duration, owner int, p packet) bool {
	nd := s.nodes[owner]
	kept := nd.backlog[:0]
	for _, end := range nd.backlog {
		if end > t {
			kept = append(kept, end)
		}
	}
	nd.backlog = kept
	if len(nd.backlog) >= s.c.SendQueue {
		return false
	}
	start := max(t, nd.sendFree)
	perm := s.rng.Perm(s.c.N)
	i := 0
	for _, to := range perm {
		if to == owner {
			continue
		}
		i++
		dep := start + time.Duration(i)*s.c.SendCost
		if s.rng.Float64() < s.c.Loss {
			s.res.Lost++
			continue
		}
		at := dep + s.hop()
		if s.cut(to, at) {
			continue
		}
		s.push(event{at: at, kind: evArrive, node: to, owner: owner, pk: p.pk, from: p.from, to: p.to})
	}
	nd.sendFree = start + time.Duration(s.c.N-1)*s.c.SendCost
	nd.backlog = append(nd.backlog, nd.sendFree)
	s.res.MaxSendBacklog = max(s.res.MaxSendBacklog, len(nd.backlog))
	return true
}

func (s *sim) change(t time.Duration, owner int) {
	nd := s.nodes[owner]
	from := nd.version
	for i, o := range s.nodes {
		if i != owner && o.cur[owner] == from {
			s.behind++
		}
	}
	nd.version++
	key := [2]uint32{uint32(owner), nd.version}
	s.born[key] = t
	nd.cur[owner] = nd.version
	if !s.fanout(t, owner, packet{pk: pDelta, owner: owner, from: from, to: nd.version}) {
		s.res.SendDrops++
	}
	if s.c.TailDigest > 0 && !nd.tail {
		nd.tail = true
		s.push(event{at: t + s.c.TailDigest, kind: evTail, node: owner})
	}
}

func (s *sim) arrive(e event) {
	nd := s.nodes[e.node]
	p := packet{pk: e.pk, owner: e.owner, from: e.from, to: e.to}
	if p.pk == pDelta {
		nd.bytes += float64(s.c.DeltaBytes)
	} else {
		nd.bytes += float64(s.c.DigestBytes)
	}
	if !nd.busy {
		nd.busy = true
		s.push(event{at: e.at + s.c.RecvCost, kind: evHandled, node: e.node, owner: p.owner, pk: p.pk, from: p.from, to: p.to})
		return
	}
	if len(nd.queue) >= s.c.QueueDepth {
		s.res.QueueDrops++
		return
	}
	nd.queue = append(nd.queue, p)
	s.res.MaxQueue = max(s.res.MaxQueue, len(nd.queue))
}

// handled applies the packet the handler finished and starts the next,
// last in first out.
func (s *sim) handled(e event) {
	nd := s.nodes[e.node]
	switch e.pk {
	case pDelta:
		s.delta(e.at, e.node, e.owner, e.from, e.to)
	case pDigest:
		if nd.cur[e.owner] < e.to {
			s.requestPull(e.at, e.node, e.owner, e.to, s.c.GapGrace)
		}
	}
	if n := len(nd.queue); n > 0 {
		p := nd.queue[n-1]
		nd.queue = nd.queue[:n-1]
		s.push(event{at: e.at + s.c.RecvCost, kind: evHandled, node: e.node, owner: p.owner, pk: p.pk, from: p.from, to: p.to})
		return
	}
	nd.busy = false
}

// set records that node now holds owner's version v (from an earlier
// one), for the latency figures.
func (s *sim) set(t time.Duration, node, owner int, v uint32) {
	nd := s.nodes[node]
	if nd.cur[owner] < s.nodes[owner].version && v >= s.nodes[owner].version {
		s.behind--
	}
	for x := nd.cur[owner] + 1; x <= v; x++ {
		key := [2]uint32{uint32(owner), x}
		b, ok := s.born[key]
		if !ok {
			continue
		}
		s.holds[key]++
		if s.holds[key] == s.c.N-1 {
			s.res.All = append(s.res.All, t-b)
			s.done++
		}
	}
	nd.cur[owner] = v
}

func (s *sim) delta(t time.Duration, node, owner int, from, to uint32) {
	nd := s.nodes[node]
	cur := nd.cur[owner]
	switch {
	case cur >= to:
		return
	case cur != from:
		s.res.Gaps++
		h := nd.held[owner]
		if h == nil {
			h = map[uint32]uint32{}
			nd.held[owner] = h
		}
		if len(h) < s.c.HeldPerOwner {
			h[from] = to
		}
		s.requestPull(t, node, owner, to, s.c.GapGrace)
		return
	}
	s.set(t, node, owner, to)
	s.drain(t, node, owner)
	if nd.pullAt[owner] >= 0 && nd.cur[owner] >= nd.pullWant[owner] {
		nd.pullAt[owner] = -1 // what the pull was for arrived (pullAnswered)
	}
}

func (s *sim) drain(t time.Duration, node, owner int) {
	nd := s.nodes[node]
	h := nd.held[owner]
	for h != nil {
		to, ok := h[nd.cur[owner]]
		for f, tt := range h {
			if tt <= nd.cur[owner] || f == nd.cur[owner] {
				delete(h, f)
			}
		}
		if !ok {
			break
		}
		s.set(t, node, owner, to)
	}
	if len(h) == 0 {
		nd.held[owner] = nil
	}
}

func (s *sim) requestPull(t time.Duration, node, owner int, want uint32, grace time.Duration) {
	nd := s.nodes[node]
	if at := nd.pullAt[owner]; at >= 0 && t-at < s.c.PullTimeout {
		return
	}
	nd.pullAt[owner], nd.pullWant[owner] = t, want
	s.push(event{at: t + grace, kind: evPullFire, node: node, owner: owner, to: want})
}

func (s *sim) pullFire(e event) {
	nd := s.nodes[e.node]
	if nd.cur[e.owner] >= e.to {
		nd.pullAt[e.owner] = -1
		return
	}
	s.res.Pulls++
	at := e.at + s.c.PullRTT
	if s.cut(e.node, at) || s.cut(e.owner, at) {
		return // the connection fails; the pull times out
	}
	s.push(event{at: at, kind: evPullReq, node: e.owner, owner: e.node, from: nd.cur[e.owner]})
}

// repair reports whether an owner at version v answers a pull since
// version since with the changes rather than its set.
func (s *sim) repair(since, v uint32) bool {
	return s.c.HistoryDeltas > 0 && since < v && int(v-since) <= s.c.HistoryDeltas
}

// pullReq queues the owner's set for requester (e.owner).
func (s *sim) pullReq(e event) {
	o := s.nodes[e.node]
	if o.bulkLen >= s.c.BulkQueue {
		s.res.PullDrops++
		return
	}
	o.bytes += float64(s.c.PullBytes)
	o.bulkLen++
	start := max(e.at, o.bulkFree)
	rows := s.c.Instances
	if s.repair(e.from, o.version) {
		rows = int(o.version - e.from)
	}
	done := start + s.c.SetCost + time.Duration(rows)*s.c.SetCostPerInstance
	o.bulkFree = done
	s.push(event{at: done, kind: evSetSent, node: e.node, owner: e.owner, from: e.from})
}

// setSent sends the set the owner (e.node) finished to the requester
// (e.owner), at the owner's version now.
func (s *sim) setSent(e event) {
	o := s.nodes[e.node]
	o.bulkLen--
	if s.repair(e.from, o.version) {
		s.res.Repairs++
	} else {
		s.res.Sets++
	}
	s.push(event{at: e.at + s.hop(), kind: evSetArrive, node: e.owner, owner: e.node, from: e.from, to: o.version})
}

func (s *sim) setArrive(e event) {
	nd := s.nodes[e.node]
	v := e.to
	if s.repair(e.from, v) {
		nd.bytes += float64(s.c.SetBytes + int(v-e.from)*s.c.DeltaBytes)
		switch {
		case nd.cur[e.owner] >= v:
			nd.pullAt[e.owner] = -1 // stale: we hold it already
			return
		case nd.cur[e.owner] < e.from:
			return // cannot happen: versions only grow
		}
		// From our version or one within it (applyOverlap).
		nd.pullAt[e.owner] = -1
		s.set(e.at, e.node, e.owner, v)
		s.drain(e.at, e.node, e.owner)
		return
	}
	nd.bytes += float64(s.c.SetBytes + s.c.Instances*s.c.SetBytesPerInstance)
	nd.pullAt[e.owner] = -1
	if v > nd.cur[e.owner] {
		s.set(e.at, e.node, e.owner, v)
	}
	s.drain(e.at, e.node, e.owner)
}

func (s *sim) digest(e event) {
	nd := s.nodes[e.node]
	s.fanout(e.at, e.node, packet{pk: pDigest, owner: e.node, to: nd.version})
	s.push(event{at: e.at + s.jitter(s.c.DigestPeriod()), kind: evDigest, node: e.node})
}

func (s *sim) pushPull(e event) {
	a := s.nodes[e.node]
	j := s.rng.IntN(s.c.N - 1)
	if j >= e.node {
		j++
	}
	if !s.cut(e.node, e.at) && !s.cut(j, e.at) {
		b := s.nodes[j]
		for o := range s.c.N {
			if a.cur[o] < b.cur[o] && o != e.node {
				s.requestPull(e.at, e.node, o, b.cur[o], s.c.GapGrace)
			}
			if b.cur[o] < a.cur[o] && o != j {
				s.requestPull(e.at, j, o, a.cur[o], s.c.GapGrace)
			}
		}
	}
	s.push(event{at: e.at + s.jitter(s.c.PushPullPeriod()), kind: evPushPull, node: e.node})
}

// peer returns a random node other than i.
func (s *sim) peer(i int) int {
	j := s.rng.IntN(s.c.N - 1)
	if j >= i {
		j++
	}
	return j
}

// exchange sends node e.node's versions to a random peer.
func (s *sim) exchange(e event) {
	s.push(event{at: e.at + s.jitter(s.c.ExchangeEvery), kind: evExchange, node: e.node})
	j := s.peer(e.node)
	if s.cut(e.node, e.at) || s.cut(j, e.at) {
		return // the connection fails
	}
	s.push(event{at: e.at + s.c.PullRTT, kind: evExchangeArrive, node: j, owner: e.node, vs: append([]uint32(nil), s.nodes[e.node].cur...)})
}

// exchangeArrive: the peer (e.node) pulls from the owners the sender
// (e.owner) holds newer and answers with those it holds newer.
func (s *sim) exchangeArrive(e event) {
	if s.cut(e.node, e.at) {
		return
	}
	nd := s.nodes[e.node]
	nd.bytes += float64(s.c.N * s.c.ExchangeBytesPerOwner)
	s.res.Exchanges++
	newer := 0
	for o, v := range e.vs {
		switch {
		case o == e.node:
		case nd.cur[o] < v:
			s.requestPull(e.at, e.node, o, v, s.c.GapGrace)
		case nd.cur[o] > v && o != e.owner:
			newer++
		}
	}
	if newer > 0 {
		s.push(event{at: e.at + s.c.PullRTT, kind: evAnswerArrive, node: e.owner, owner: newer, vs: append([]uint32(nil), nd.cur...)})
	}
}

// answerArrive: the exchange's sender pulls from the owners the answer
// (e.owner entries) shows newer.
func (s *sim) answerArrive(e event) {
	if s.cut(e.node, e.at) {
		return
	}
	nd := s.nodes[e.node]
	nd.bytes += float64(e.owner * s.c.ExchangeBytesPerOwner)
	s.res.Exchanges++
	for o, v := range e.vs {
		if o != e.node && nd.cur[o] < v {
			s.requestPull(e.at, e.node, o, v, s.c.GapGrace)
		}
	}
}
