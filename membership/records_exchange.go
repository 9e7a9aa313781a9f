package membership

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
)

// The peer digest exchange.
//
// An owner's digest reaches every member only every digest period (33 s
// at 1,000 members), and memberlist's push/pull, which carries every
// owner's version, runs every 180 s at that size: a member that lost an
// owner's last delta and its digest would wait a further period. So every
// recordsExchangeEvery each agent also sends the version of every owner
// it holds to one random alive peer, over TCP (about 30 bytes an owner:
// ~30 KB at 1,000). The peer pulls from each owner it is behind on (the
// one path of digests and push/pull: behind, the grace, a pull from the
// owner), and answers with the versions it holds newer than the sender's,
// or that the sender lacks, so that the sender does the same. Each agent
// thus compares its versions with another's at least once a period, and
// learns of a missed change from any peer, not only from the owner.

const (
	// recordsExchangeEvery is the period of the peer digest exchange,
	// jittered by ±10 %.
	recordsExchangeEvery = 10 * time.Second
	// recordsExchangeMax bounds the owners in one exchange message (about
	// 120 KB); above, each exchange carries a random window of them.
	recordsExchangeMax = 4096

	// exchangeAnswer marks an answer, which is not answered in turn;
	// exchangePartial a message that does not list every owner its sender
	// holds, so an owner it leaves out is not one the sender lacks.
	exchangeAnswer  byte = 1
	exchangePartial byte = 2
)

func encodeRecordsExchange(sender string, flags byte, vs map[string]catalog.Version) []byte {
	p := appendString(nil, sender)
	p = append(p, flags)
	return frameRecordsMsg(msgRecordsExchange, append(p, encodeDigests(vs)...))
}

func decodeRecordsExchange(b []byte) (sender string, flags byte, vs map[string]catalog.Version, err error) {
	r := &wireReader{b: b}
	sender = r.str("sender")
	flags = r.byte1("flags")
	if r.err != nil {
		return "", 0, nil, fmt.Errorf("records exchange: %w", r.err)
	}
	if sender == "" {
		return "", 0, nil, errors.New("records exchange: no sender")
	}
	vs = map[string]catalog.Version{}
	if err := decodeDigests(r.b, func(owner string, v catalog.Version) { vs[strings.ToLower(owner)] = v }); err != nil {
		return "", 0, nil, fmt.Errorf("records exchange from %s: %w", sender, err)
	}
	return sender, flags, vs, nil
}

// setExchangeEvery sets the exchange period (0: the default) and restarts
// the current one (and the digest period's).
func (s *spreader) setExchangeEvery(d time.Duration) {
	s.exchangeEvery.Store(int64(d))
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// exchangeInterval returns the next exchange period, jittered by ±10 %.
func (s *spreader) exchangeInterval() time.Duration {
	d := time.Duration(s.exchangeEvery.Load())
	if d <= 0 {
		d = recordsExchangeEvery
	}
	return d*9/10 + rand.N(d/5+1)
}

// queueExchange queues an exchange with one random alive peer.
func (s *spreader) queueExchange() {
	peers := s.a.peers()
	if len(peers) == 0 {
		return
	}
	s.queueBulk(bulkJob{typ: msgRecordsExchange, node: peers[rand.N(len(peers))].Name})
}

// queueBulk queues j for the bulk sender, or drops and counts it when
// the queue is full.
func (s *spreader) queueBulk(j bulkJob) {
	select {
	case s.bulk <- j:
	default:
		s.c.drops.Add(1)
	}
}

// sendExchange sends node the exchange j: the answer it carries, or the
// versions we hold now.
func (s *spreader) sendExchange(j bulkJob) {
	n := s.member(j.node)
	if n == nil {
		return
	}
	msg := j.msg
	if msg == nil {
		vs, flags := exchangeWindow(s.a.table.Versions())
		msg = encodeRecordsExchange(s.a.cfg.NodeName, flags, vs)
	}
	if s.send(n, msgRecordsExchange, msg, true) {
		s.c.exchangesSent.Add(1)
	}
}

// exchangeWindow returns vs, or a random window of recordsExchangeMax of
// its owners (in name order, wrapping) flagged exchangePartial.
func exchangeWindow(vs map[string]catalog.Version) (map[string]catalog.Version, byte) {
	if len(vs) <= recordsExchangeMax {
		return vs, 0
	}
	owners := slices.Sorted(func(yield func(string) bool) {
		for k := range vs {
			if !yield(k) {
				return
			}
		}
	})
	start := rand.N(len(owners))
	out := make(map[string]catalog.Version, recordsExchangeMax)
	for i := range recordsExchangeMax {
		k := owners[(start+i)%len(owners)]
		out[k] = vs[k]
	}
	return out, exchangePartial
}

// exchanged handles a peer's exchange: we pull from the owners the peer
// holds newer (behind), and answer with what we hold newer or the peer
// lacks, unless the message is an answer. It does not block.
func (s *spreader) exchanged(sender string, flags byte, vs map[string]catalog.Version) {
	mine := s.a.table.Versions()
	for owner, v := range vs {
		if mine[owner].Less(v) {
			s.behind(owner, v)
		}
	}
	if flags&exchangeAnswer != 0 || strings.EqualFold(sender, s.a.cfg.NodeName) {
		return
	}
	if newer := exchangeAnswerOf(sender, flags, vs, mine); len(newer) > 0 {
		s.queueBulk(bulkJob{typ: msgRecordsExchange, node: sender,
			msg: encodeRecordsExchange(s.a.cfg.NodeName, exchangeAnswer, newer)})
	}
}

// exchangeAnswerOf returns the versions of mine newer than sender's vs,
// or that a complete vs lacks, sender's own left out, at most
// recordsExchangeMax of them.
func exchangeAnswerOf(sender string, flags byte, vs, mine map[string]catalog.Version) map[string]catalog.Version {
	out := map[string]catalog.Version{}
	for owner, mv := range mine {
		if len(out) >= recordsExchangeMax {
			break
		}
		v, ok := vs[owner]
		switch {
		case strings.EqualFold(owner, sender):
		case ok && v.Less(mv), !ok && flags&exchangePartial == 0:
			out[owner] = mv
		}
	}
	return out
}
