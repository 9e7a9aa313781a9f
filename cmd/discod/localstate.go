package main

import (
	"fmt"
	"sync/atomic"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/checks"
	"github.com/discod/discod/config"
	"github.com/discod/discod/local"
)

// This agent's own services and checks: local.State owns them, a
// checks.Runner runs the checks, and every change is written to the
// agent's catalog and handed to gossip to spread (membership's records
// transport).

// startLocal creates the local state and the check runner and loads the
// definitions of the config files. It runs once the gossip agent exists.
func (d *daemon) startLocal(rt *config.Runtime) error {
	store := d.agent.Table()
	var st atomic.Pointer[local.State] // the runner may report before New returns
	d.checks = checks.New(checks.Config{
		Result: func(id, status, output string) {
			if s := st.Load(); s != nil {
				s.SetCheckResult(id, status, output)
			}
		},
		Logger:        d.log.With("component", "checks"),
		OutputMaxSize: rt.CheckOutputMaxSize,
		AliasStatus: func(serviceID, node string) (string, bool) {
			if serviceID != "" && (node == "" || node == rt.NodeName) {
				if s := st.Load(); s != nil {
					return s.ServiceStatus(serviceID)
				}
				return "", false
			}
			cs, _ := store.NodeChecks(node, nil)
			if len(cs) == 0 {
				return "", false
			}
			return catalog.AggregatedStatus(cs), true
		},
		AliasChanged: func() <-chan struct{} {
			ws := catalog.NewWatchSet()
			store.Watch(ws, catalog.KeyChecks, catalog.KeyNodes)
			ch := make(chan struct{})
			go func() {
				select {
				case <-ws.C():
				case <-d.ctx.Done():
				}
				ws.Close()
				close(ch)
			}()
			return ch
		},
	})
	s, err := local.New(local.Config{
		NodeName: rt.NodeName, Store: store, DataDir: rt.DataDir, Publish: d.publish(),
		Logger:             d.log.With("component", "local"),
		EnableScriptChecks: rt.EnableScriptChecks, EnableLocalScriptChecks: rt.EnableLocalScriptChecks,
		CheckUpdateInterval: rt.CheckUpdateInterval, CheckOutputMaxSize: rt.CheckOutputMaxSize,
		Runner: d.checks,
	})
	if err != nil {
		d.checks.Close()
		d.checks = nil
		return err
	}
	st.Store(s)
	d.local = s
	if err := s.SyncFiles(rt.Services, rt.Checks); err != nil {
		return fmt.Errorf("services and checks of the config files: %w", err)
	}
	// What was restored from the data dir was written before any peer was
	// told: say so now, so peers pull it without waiting for a digest.
	d.agent.AnnounceRecords()
	return nil
}

// stopLocal stops the checks and closes the local state.
func (d *daemon) stopLocal() {
	if d.checks != nil {
		d.checks.Close()
	}
	if d.local != nil {
		d.local.Close()
	}
}
