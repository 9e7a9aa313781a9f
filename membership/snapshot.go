package membership

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"

	"github.com/discod/discod/internal/datadir"
)

// snapshotVersion is the format version of the snapshot file. A reader
// accepts this version and older ones it knows how to convert.
const snapshotVersion = 1

// snapshot is what the agent keeps in Config.SnapshotPath so that a
// restarted node can rejoin the peers it last knew without -join. Unlike
// serf's, it keeps failed peers too: after a whole-cluster outage every
// node is "failed" to the others, and those addresses are exactly the ones
// to try.
//
// It also keeps the catalog index (Index) as of the write, so that the
// index never goes backwards across a restart with a data dir: New raises
// the new store's index past it before gossip begins. Without a data dir,
// and for changes after the last write (a crash), the store's seed from the
// clock keeps it growing (catalog.NewStore). The field was added within
// version 1: a build that does not know it ignores it, and a file without
// it reads as 0 (no floor).
type snapshot struct {
	Version int            `json:"version"`
	Left    bool           `json:"left"` // the node left gracefully: do not rejoin unless asked (-rejoin)
	Peers   []snapshotPeer `json:"peers"`
	Index   uint64         `json:"index,omitempty"`
}

type snapshotPeer struct {
	Name string `json:"name"`
	Addr string `json:"addr"` // ip:port
}

// readSnapshot reads path. A missing file is an empty snapshot.
func readSnapshot(path string) (snapshot, error) {
	var s snapshot
	b, ok, err := datadir.Read(path)
	if err != nil || !ok {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return snapshot{}, fmt.Errorf("not a snapshot: %w", err)
	}
	if s.Version < 1 || s.Version > snapshotVersion {
		return snapshot{}, fmt.Errorf("snapshot version %d not understood (this build reads 1 to %d)", s.Version, snapshotVersion)
	}
	for _, p := range s.Peers {
		if _, err := netip.ParseAddrPort(p.Addr); err != nil {
			return snapshot{}, fmt.Errorf("peer %q: %w", p.Name, err)
		}
	}
	return s, nil
}

// loadSnapshot reads the snapshot at start and raises the table's index
// past the one it recorded. It must run before gossip begins, so that no
// write gets an index the previous run already gave out. An unreadable
// snapshot is moved aside and logged, never fatal: a crash or a disk error
// must not stop the next start.
func (a *Agent) loadSnapshot() {
	path := a.cfg.SnapshotPath
	if path == "" {
		return
	}
	s, err := readSnapshot(path)
	if err != nil {
		aside, _ := datadir.MoveAside(path)
		a.log.Warn("ignoring unreadable snapshot; starting without previous peers", "file", path, "moved_to", aside, "error", err)
		return
	}
	a.previous = s
	if s.Index > 0 && s.Index < math.MaxUint64 {
		a.table.SetIndexFloor(s.Index + 1)
	}
}

// PreviousPeers returns the peer addresses the snapshot held at start and
// whether the node had left gracefully before it stopped.
func (a *Agent) PreviousPeers() (addrs []string, left bool) {
	for _, p := range a.previous.Peers {
		addrs = append(addrs, p.Addr)
	}
	return addrs, a.previous.Left
}

// writeSnapshot records the peers that are alive or failed now (not left
// ones, and not ourselves) and the table's index.
func (a *Agent) writeSnapshot(left bool) error {
	if a.cfg.SnapshotPath == "" {
		return nil
	}
	a.snapMu.Lock()
	defer a.snapMu.Unlock()
	return a.writeSnapshotLocked(left)
}

func (a *Agent) writeSnapshotLocked(left bool) error {
	s := snapshot{Version: snapshotVersion, Left: left, Peers: []snapshotPeer{}, Index: a.table.Index()}
	for _, m := range a.table.Members() {
		if m.Name == a.cfg.NodeName || !m.Addr.IsValid() {
			continue
		}
		if m.State == StateAlive || m.State == StateFailed {
			s.Peers = append(s.Peers, snapshotPeer{Name: m.Name, Addr: netip.AddrPortFrom(m.Addr, m.Port).String()})
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := datadir.Write(a.cfg.SnapshotPath, b); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// snapshotIfChanged writes the snapshot when the table changed since the
// last write; a failure is logged once until a write succeeds again. Once
// the agent has left, Leave wrote the snapshot; only the last write, at
// stop (final), follows it, still marked left, to record the final index.
func (a *Agent) snapshotIfChanged(final bool) {
	if a.cfg.SnapshotPath == "" {
		return
	}
	a.snapMu.Lock()
	defer a.snapMu.Unlock()
	g := a.table.Index()
	left := a.Left()
	if g == a.snapGen || left && !final {
		return
	}
	if err := a.writeSnapshotLocked(left); err != nil {
		if !a.snapFailing {
			a.log.Error("cannot save the peer snapshot; a restart will need -join", "error", err)
		}
		a.snapFailing = true
		return
	}
	a.snapFailing = false
	a.snapGen = g
}
