package membership

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/hashicorp/memberlist"
)

// Spreading services and checks.
//
// Every agent owns its node's records (services and checks) and is their
// one writer: its local state writes them into the catalog store under
// its own node name, at a catalog.Version{Epoch: run start, Seq: change
// counter}, and hands each change to PublishDelta, in order. memberlist's
// broadcast queue cannot carry that traffic (user broadcasts are not
// relayed and cap out at a few per second cluster-wide), so the owner
// sends each delta straight to every alive member of the LAN pool: one UDP
// packet each when it fits maxRecordsPacket, TCP otherwise. Each agent
// then receives each change once, which is the physical lower bound.
//
// A receiver applies the delta to its store (catalog.Store.ApplyDelta).
// A stale one is ignored; a gap (a delta lost or reordered) makes it pull
// the owner's whole set, over TCP, from the owner itself: one pull per
// owner in flight. Records only ever come from their owner, and every
// store keeps only the newest version, so a stale peer can neither bring
// back a deregistered service nor an old run overwrite a newer one.
//
// Anti-entropy (records_sync.go): every owner sends a digest (its name
// and version) to every member every few seconds, and the receivers
// behind pull; every agent compares every owner's version with one random
// peer every 10 s (records_exchange.go); an owner pushes its whole set to
// every node that joins; memberlist's push/pull exchange carries every
// owner's version too.
//
// A left node's records are dropped by the store; a failed node keeps its
// records until it is reaped. The WAN pool carries no records.

// spreader is the records machinery of one LAN agent.
type spreader struct {
	a  *Agent
	on bool // false in the WAN pool

	deltas chan []byte  // encoded deltas for every member, in order
	bulk   chan bulkJob // whole sets and pull requests, one node each

	// digestEvery overrides the digest period (nanoseconds; 0: the
	// default, scaled with the member count).
	digestEvery atomic.Int64
	// exchangeEvery overrides the peer exchange period (nanoseconds; 0:
	// recordsExchangeEvery).
	exchangeEvery atomic.Int64
	kick          chan struct{} // a new digest or exchange period: restart the timers
	now           chan struct{} // send a digest now (AnnounceRecords)
	// dropSend is a test hook: when it returns true, the send of a message
	// of type typ to node to is skipped, as a lost packet.
	dropSend atomic.Pointer[func(to string, typ byte) bool]

	// mu guards pulls, plain and sets.
	mu    sync.Mutex
	pulls map[string]pullState // owner (lower case) → the pull in flight to it
	// plain holds the owners (lower case) that did not answer a pull
	// since a version: presumably of an earlier build, they get plain
	// pulls until they show otherwise (records_history.go).
	plain map[string]bool
	sets  map[string]bool // node (lower case) → our set is queued for it

	// histMu guards hist: our latest deltas, a chain, oldest first
	// (records_history.go).
	histMu sync.Mutex
	hist   []catalog.Delta

	// heldMu guards held: deltas that arrived before the one they follow,
	// by owner (lower case) and From. memberlist hands queued packets to
	// the delegate last in, first out, so a burst of deltas arrives
	// reversed; they are applied as soon as their predecessor is.
	heldMu sync.Mutex
	held   map[string]map[catalog.Version]catalog.Delta

	c recordsCounters

	// badMu guards badLast and badSkipped: malformed messages are logged
	// once per recordsBadLogEvery, with the number left out.
	badMu      sync.Mutex
	badLast    time.Time
	badSkipped int
}

// bulkJob is one TCP send to one node: our set (typ msgRecordsSet), a
// pull request to an owner (msgRecordsPull, or msgRecordsPullSince for
// the changes since our version), the answer to such a pull
// (msgRecordsDelta: our changes since the requester's version, or our
// set), or a peer exchange (msgRecordsExchange: msg is the answer to
// send, nil for our versions).
type bulkJob struct {
	typ   byte
	node  string
	msg   []byte
	since catalog.Version // msgRecordsDelta: the requester's version
}

const (
	// recordsDeltaQueue and recordsBulkQueue bound the send queues. When
	// one is full the message is dropped and counted; anti-entropy
	// repairs what was lost.
	recordsDeltaQueue = 4096
	recordsBulkQueue  = 1024
	// recordsPullTimeout is how long a pull to one owner stays in flight
	// before another may be sent.
	recordsPullTimeout = 5 * time.Second
	// recordsGapGrace is how long a receiver waits after a gap before it
	// pulls: a reordered delta usually arrives in the meantime.
	recordsGapGrace = 250 * time.Millisecond
	// recordsHeldDeltas bounds the deltas held per owner, and
	// recordsHeldOwners the owners with held deltas.
	recordsHeldDeltas = 64
	recordsHeldOwners = 4096
	// recordsBadLogEvery rate-limits the warning about malformed messages.
	recordsBadLogEvery = 10 * time.Second
)

func newSpreader(a *Agent) *spreader {
	return &spreader{
		a: a, on: !a.cfg.WAN,
		deltas: make(chan []byte, recordsDeltaQueue),
		bulk:   make(chan bulkJob, recordsBulkQueue),
		pulls:  map[string]pullState{},
		plain:  map[string]bool{},
		sets:   map[string]bool{},
		held:   map[string]map[catalog.Version]catalog.Delta{},
		kick:   make(chan struct{}, 1),
		now:    make(chan struct{}, 1),
	}
}

// setDigestEvery sets the digest period (0: the default) and restarts
// the current one.
func (s *spreader) setDigestEvery(d time.Duration) {
	s.digestEvery.Store(int64(d))
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// start runs the senders until the agent stops (Agent.stop, Agent.wg).
func (s *spreader) start() {
	if !s.on {
		return
	}
	s.a.wg.Add(2)
	go s.fanLoop()
	go s.bulkLoop()
}

// RecordsCounts are the records traffic of an agent since it started.
// Sends and receipts count messages per member; bytes count the messages
// as handed to memberlist (its framing, compression and encryption are
// not included).
type RecordsCounts struct {
	DeltasPublished uint64 // changes handed to PublishDelta
	DeltasSent      uint64 // delta messages sent, one per member
	DeltasReceived  uint64
	DeltasApplied   uint64
	DeltasStale     uint64 // already held: ignored
	DeltaGaps       uint64 // a change was missed: led to a pull
	SetsSent        uint64 // whole sets sent (join pushes and pull answers)
	SetsReceived    uint64
	SetsApplied     uint64
	PullsSent       uint64
	PullsServed     uint64
	// RepairsSent counts pulls answered with the missing changes (one
	// delta) instead of the whole set (records_history.go).
	RepairsSent     uint64
	DigestsSent     uint64
	DigestsReceived uint64
	// Exchanges count the peer digest exchanges (records_exchange.go),
	// answers included.
	ExchangesSent     uint64
	ExchangesReceived uint64
	BytesSent         uint64
	BytesReceived     uint64
	// Drops counts messages not sent because a queue was full (or too
	// large to encode); anti-entropy repairs them.
	Drops uint64
	// Malformed counts messages that could not be decoded; Ignored counts
	// records about this node or a node that left.
	Malformed, Ignored uint64
}

type recordsCounters struct {
	published, deltasSent, deltasRecv, deltasApplied, deltasStale, gaps atomic.Uint64
	setsSent, setsRecv, setsApplied, pullsSent, pullsServed             atomic.Uint64
	repairsSent                                                         atomic.Uint64
	digestsSent, digestsRecv, bytesSent, bytesRecv                      atomic.Uint64
	exchangesSent, exchangesRecv                                        atomic.Uint64
	drops, malformed, ignored                                           atomic.Uint64
}

// RecordsCounts returns the agent's records traffic since it started
// (zero in the WAN pool).
func (a *Agent) RecordsCounts() RecordsCounts {
	c := &a.rec.c
	return RecordsCounts{
		DeltasPublished: c.published.Load(), DeltasSent: c.deltasSent.Load(), DeltasReceived: c.deltasRecv.Load(),
		DeltasApplied: c.deltasApplied.Load(), DeltasStale: c.deltasStale.Load(), DeltaGaps: c.gaps.Load(),
		SetsSent: c.setsSent.Load(), SetsReceived: c.setsRecv.Load(), SetsApplied: c.setsApplied.Load(),
		PullsSent: c.pullsSent.Load(), PullsServed: c.pullsServed.Load(), RepairsSent: c.repairsSent.Load(),
		DigestsSent: c.digestsSent.Load(), DigestsReceived: c.digestsRecv.Load(),
		ExchangesSent: c.exchangesSent.Load(), ExchangesReceived: c.exchangesRecv.Load(),
		BytesSent: c.bytesSent.Load(), BytesReceived: c.bytesRecv.Load(),
		Drops: c.drops.Load(), Malformed: c.malformed.Load(), Ignored: c.ignored.Load(),
	}
}

// PublishDelta spreads one change of this node's records, which the
// caller has already applied to the agent's store (Table) under this
// node's name. Call it after each change, in order. It does not block:
// the delta is queued for the sender, and dropped (and counted) when the
// queue is full; anti-entropy then repairs. In the WAN pool it does
// nothing.
func (a *Agent) PublishDelta(d catalog.Delta) {
	s := a.rec
	if !s.on {
		return
	}
	s.c.published.Add(1)
	s.remember(d) // records_history.go
	msg, err := encodeRecordsMsg(msgRecordsDelta, recordsMsg{Owner: a.cfg.NodeName, Delta: d})
	if err != nil {
		s.c.drops.Add(1)
		a.log.Error("cannot spread a change of this node's records", "error", err)
		return
	}
	select {
	case s.deltas <- msg:
	default:
		s.c.drops.Add(1)
	}
}

// AnnounceRecords sends this node's records version to every member now,
// instead of at the next digest period: those that hold an older one
// pull the whole set. Call it after replacing the whole set outside
// PublishDelta (ReplaceRecords at start, with the services of an earlier
// run): a join pushes the set to the nodes that join, but peers that saw
// a quick restart only as an update would otherwise wait for the next
// digest. It does not block.
func (a *Agent) AnnounceRecords() {
	if !a.rec.on {
		return
	}
	select {
	case a.rec.now <- struct{}{}:
	default:
	}
}

// handleRecordsMsg handles a records message b (type byte included). It
// runs on memberlist's packet path (or a stream's goroutine) and does not
// block: sends are queued.
func (a *Agent) handleRecordsMsg(b []byte) {
	s := a.rec
	if !s.on || len(b) == 0 {
		return
	}
	s.c.bytesRecv.Add(uint64(len(b)))
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n != uint64(len(b)-1-k) {
		s.malformed(b[0], errRecordsTruncated)
		return
	}
	p := b[1+k:]
	switch b[0] {
	case msgRecordsDelta:
		s.c.deltasRecv.Add(1)
		m, err := decodeRecordsPayload(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		if !s.accept(m.Owner) {
			return
		}
		res := a.table.ApplyDelta(m.Owner, m.Delta)
		if res == catalog.DeltaGap {
			res = s.applyOverlap(m.Owner, m.Delta) // records_history.go
		}
		switch res {
		case catalog.DeltaApplied:
			s.c.deltasApplied.Add(1)
			s.drain(m.Owner)
			s.pullAnswered(m.Owner)
		case catalog.DeltaStale:
			s.c.deltasStale.Add(1)
		case catalog.DeltaGap:
			s.c.gaps.Add(1)
			s.hold(m.Owner, m.Delta)
			s.requestPull(m.Owner, m.Delta.To, recordsGapGrace)
		}
	case msgRecordsSet:
		s.c.setsRecv.Add(1)
		m, err := decodeRecordsPayload(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		if !s.accept(m.Owner) {
			return
		}
		prev := a.table.RecordsVersion(m.Owner)
		if a.table.ReplaceRecordSet(m.Owner, m.Delta.To, m.Delta.Services, m.Delta.Checks, m.Delta.Nodes) {
			s.c.setsApplied.Add(1)
			if prev.Epoch != m.Delta.To.Epoch {
				s.sinceCapable(m.Owner) // a new run: perhaps upgraded (records_history.go)
			}
		}
		s.pullDone(m.Owner)
		s.drain(m.Owner)
	case msgRecordsPull:
		owner, requester, err := decodeRecordsPull(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		if strings.EqualFold(owner, a.cfg.NodeName) && !strings.EqualFold(requester, a.cfg.NodeName) {
			s.c.pullsServed.Add(1)
			s.queueSet(requester)
		}
	case msgRecordsPullSince:
		owner, requester, v, err := decodeRecordsPullSince(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		if strings.EqualFold(owner, a.cfg.NodeName) && !strings.EqualFold(requester, a.cfg.NodeName) {
			s.c.pullsServed.Add(1)
			s.queueBulk(bulkJob{typ: msgRecordsDelta, node: requester, since: v})
		}
	case msgRecordsDigest:
		s.c.digestsRecv.Add(1)
		owner, v, err := decodeRecordsDigest(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		s.behind(owner, v)
	case msgRecordsExchange:
		s.c.exchangesRecv.Add(1)
		sender, flags, vs, err := decodeRecordsExchange(p)
		if err != nil {
			s.malformed(b[0], err)
			return
		}
		s.sinceCapable(sender)
		s.exchanged(sender, flags, vs)
	}
}

// hold keeps d, which does not follow what we hold of owner's records,
// until its predecessor arrives (or a set overtakes it).
func (s *spreader) hold(owner string, d catalog.Delta) {
	key := strings.ToLower(owner)
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	h := s.held[key]
	if h == nil {
		if len(s.held) >= recordsHeldOwners {
			return
		}
		h = map[catalog.Version]catalog.Delta{}
		s.held[key] = h
	}
	if len(h) < recordsHeldDeltas {
		h[d.From] = d
	}
}

// drain applies the held deltas of owner that now follow, in order, and
// forgets those already overtaken.
func (s *spreader) drain(owner string) {
	key := strings.ToLower(owner)
	for {
		v := s.a.table.RecordsVersion(owner)
		s.heldMu.Lock()
		h := s.held[key]
		next, ok := h[v]
		for from, d := range h {
			if from == v || !v.Less(d.To) {
				delete(h, from)
			}
		}
		if len(h) == 0 {
			delete(s.held, key)
		}
		s.heldMu.Unlock()
		if !ok || s.a.table.ApplyDelta(owner, next) != catalog.DeltaApplied {
			return
		}
		s.c.deltasApplied.Add(1)
	}
}

// accept reports whether records about owner may be stored: never our own
// (we are their one writer), never those of a node that left.
func (s *spreader) accept(owner string) bool {
	if strings.EqualFold(owner, s.a.cfg.NodeName) {
		s.c.ignored.Add(1)
		return false
	}
	if m, ok := s.a.table.LookupFold(owner); ok && m.State == StateLeft {
		s.c.ignored.Add(1)
		return false
	}
	return true
}

// behind pulls owner's set when its version v is newer than ours and
// still is after recordsGapGrace: a digest or a push/pull exchange can be
// handled before the delta it follows (memberlist hands queued packets
// over last in, first out), and that delta makes the pull moot.
func (s *spreader) behind(owner string, v catalog.Version) {
	if !s.accept(owner) {
		return
	}
	if s.a.table.RecordsVersion(owner).Less(v) {
		s.requestPull(owner, v, recordsGapGrace)
	}
}

// malformed counts a message that could not be decoded and logs it, at
// most once per recordsBadLogEvery.
func (s *spreader) malformed(typ byte, err error) {
	s.c.malformed.Add(1)
	s.badMu.Lock()
	now := time.Now()
	if now.Sub(s.badLast) < recordsBadLogEvery {
		s.badSkipped++
		s.badMu.Unlock()
		return
	}
	skipped := s.badSkipped
	s.badLast, s.badSkipped = now, 0
	s.badMu.Unlock()
	s.a.log.Warn("ignoring a malformed records message", "type", typ, "error", err, "left_out_since_last", skipped)
}

// send sends msg, of type typ, to n: over TCP when reliable, else as one
// UDP packet. It reports whether the message went out.
func (s *spreader) send(n *memberlist.Node, typ byte, msg []byte, reliable bool) bool {
	if h := s.dropSend.Load(); h != nil && (*h)(n.Name, typ) {
		return false
	}
	var err error
	if reliable {
		err = s.a.ml.SendReliable(n, msg)
	} else {
		err = s.a.ml.SendBestEffort(n, msg)
	}
	if err != nil {
		s.a.log.Debug("could not send a records message", "node", n.Name, "type", typ, "error", err)
		return false
	}
	s.c.bytesSent.Add(uint64(len(msg)))
	return true
}

// sendAll sends msg to every other alive member, one packet each when it
// fits maxRecordsPacket, and returns how many it reached.
func (s *spreader) sendAll(typ byte, msg []byte) uint64 {
	reliable := len(msg) > maxRecordsPacket
	var sent uint64
	for _, n := range s.a.peers() { // peers.go
		if s.send(n, typ, msg, reliable) {
			sent++
		}
	}
	return sent
}

// member returns the alive member called name (without regard to case),
// or nil.
func (s *spreader) member(name string) *memberlist.Node { return s.a.peer(name) }

// fanLoop sends the queued deltas and, every digest period, our digest,
// to every member.
func (s *spreader) fanLoop() {
	defer s.a.wg.Done()
	digest := time.NewTimer(s.digestInterval())
	defer digest.Stop()
	// tail sends the tail digests of a burst (tailDigests).
	tail := time.NewTimer(time.Hour)
	tail.Stop()
	defer tail.Stop()
	var tails tailDigests
	exchange := time.NewTimer(s.exchangeInterval()) // records_exchange.go
	defer exchange.Stop()
	for {
		select {
		case <-s.a.stop:
			return
		case msg := <-s.deltas:
			s.c.deltasSent.Add(s.sendAll(msgRecordsDelta, msg))
			tail.Reset(tails.delta())
		case <-tail.C:
			s.sendDigest()
			if next, ok := tails.sent(); ok {
				tail.Reset(next)
			}
		case <-exchange.C:
			s.queueExchange()
			exchange.Reset(s.exchangeInterval())
		case <-digest.C:
			s.sendDigest()
			digest.Reset(s.digestInterval())
		case <-s.kick:
			digest.Reset(s.digestInterval())
			exchange.Reset(s.exchangeInterval())
		case <-s.now:
			s.sendDigest()
			digest.Reset(s.digestInterval())
		}
	}
}

// bulkLoop sends whole sets and pull requests, over TCP, one at a time.
func (s *spreader) bulkLoop() {
	defer s.a.wg.Done()
	for {
		select {
		case <-s.a.stop:
			return
		case j := <-s.bulk:
			switch j.typ {
			case msgRecordsPull, msgRecordsPullSince:
				s.sendPull(j.node, j.typ == msgRecordsPullSince)
			case msgRecordsDelta:
				s.sendRepair(j.node, j.since)
			case msgRecordsSet:
				s.sendSet(j.node)
			case msgRecordsExchange:
				s.sendExchange(j)
			}
		}
	}
}
