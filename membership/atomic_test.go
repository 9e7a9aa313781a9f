package membership

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestConcurrentWritersEveryPath: gossip events, leave intents, tombstones,
// force-leaves and reaping all write the same mixed-case names at once,
// each in the case it likes; under -race nothing races, and neither the
// table's index nor any node's ModifyIndex ever goes backwards. Uses
// 127.0.1.144.
func TestConcurrentWritersEveryPath(t *testing.T) {
	a := newAgent(t, testConfig(t, "One", "127.0.1.144"))
	names := []string{"Web-1", "Web-2", "DB-1"}
	const rounds = 1000

	// The rumours are built here: t.Fatal must not run on other goroutines.
	type subject struct {
		name       string
		run        string
		alive, old *memberlist.Node // this run alive; a late rumour of it
		reborn     *memberlist.Node // a new run of the node
		leaving    *memberlist.Node // this run with the leaving flag
		tombstones []byte
		lowerTomb  []byte
	}
	var subjects []subject
	for i, name := range names {
		m := Member{ID: NewNodeID(), Datacenter: "dc1", Role: RoleClient, Addr: netip.AddrFrom4([4]byte{127, 0, 1, byte(150 + i)}), Port: 8301}
		run := newRunID()
		lb, err := nodeMeta{ID: m.ID, Datacenter: m.Datacenter, Role: m.Role, Run: run, Gen: 1, Leaving: true}.encode()
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, subject{
			name:       name,
			run:        run,
			alive:      rumour(t, name, m, run, 1),
			old:        rumour(t, name, m, run, 0),
			reborn:     rumour(t, name, m, newRunID(), 0),
			leaving:    &memberlist.Node{Name: name, Addr: m.Addr.AsSlice(), Port: m.Port, Meta: lb},
			tombstones: encodeTombstones([]Member{{Name: name, Run: run, Gen: 1, State: StateLeft}}),
			lowerTomb:  encodeTombstones([]Member{{Name: strings.ToLower(name), Run: run, Gen: 1, State: StateLeft}}),
		})
	}

	ev := &events{a: a}
	writers := map[string]func(s subject, i int){
		"events": func(s subject, i int) {
			switch i % 5 {
			case 0:
				ev.NotifyJoin(s.alive)
			case 1:
				ev.NotifyUpdate(s.old)
			case 2:
				ev.NotifyLeave(s.alive)
			case 3:
				ev.NotifyUpdate(s.leaving)
			default:
				ev.NotifyJoin(s.reborn)
			}
		},
		"leave intent": func(s subject, i int) {
			a.handleMsg(encodeMsg(msgLeaving, strings.ToUpper(s.name), s.run))
		},
		"tombstones": func(s subject, i int) {
			if i%2 == 0 {
				a.mergeState(s.tombstones, false)
			} else {
				a.mergeState(s.lowerTomb, false)
			}
		},
		"force-leave": func(s subject, i int) {
			a.handleMsg(encodeMsg(msgForceLeave, strings.ToLower(s.name), fmt.Sprint(i%4/3)))
			_ = a.ForceLeave(s.name, false)
		},
		"reap": func(s subject, i int) {
			a.table.ReapNodes(time.Now(), time.Duration(i%3)*time.Millisecond, time.Duration(i%2)*time.Millisecond)
		},
	}

	stop := make(chan struct{})
	var (
		readers   sync.WaitGroup
		backwards atomic.Value // string: the first regression seen
	)
	readers.Add(1)
	go func() {
		defer readers.Done()
		last := a.table.Index()
		lastMod := map[string]uint64{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			idx := a.table.Index()
			if idx < last {
				backwards.CompareAndSwap(nil, fmt.Sprintf("index %d after %d", idx, last))
			}
			last = idx
			for _, name := range names {
				if m, ok := a.table.LookupFold(name); ok {
					if m.ModifyIndex < lastMod[name] || m.ModifyIndex > a.table.Index() || m.CreateIndex > m.ModifyIndex {
						backwards.CompareAndSwap(nil, fmt.Sprintf("%s: create %d, modify %d after %d", name, m.CreateIndex, m.ModifyIndex, lastMod[name]))
					}
					lastMod[name] = m.ModifyIndex
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for _, write := range writers {
		for _, s := range subjects {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					write(s, i)
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if msg, _ := backwards.Load().(string); msg != "" {
		t.Fatalf("went backwards: %s", msg)
	}

	// Every path still works on the names after the storm.
	for _, s := range subjects {
		a.table.RemoveNode(s.name)
		ev.NotifyJoin(s.alive)
		a.handleMsg(encodeMsg(msgLeaving, strings.ToUpper(s.name), s.run))
		if st := state(a, s.name); st != StateLeaving {
			t.Errorf("%s after its intent: %v; want leaving", s.name, st)
		}
		a.mergeState(s.lowerTomb, false)
		if m, _ := a.table.LookupFold(s.name); m.State != StateLeft || m.Name != s.name {
			t.Errorf("%s after a tombstone: %+v; want left under its own spelling", s.name, m)
		}
	}
}
