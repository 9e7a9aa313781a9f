package checks

import (
	"sync"
	"testing"

	"github.com/discod/discod/servicedef"
)

// aliasTargets is a mutable AliasStatus with an AliasChanged broadcast.
type aliasTargets struct {
	mu      sync.Mutex
	status  map[string]string
	changed chan struct{}
}

func newAliasTargets() *aliasTargets {
	return &aliasTargets{status: map[string]string{}, changed: make(chan struct{})}
}

func (a *aliasTargets) set(key, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if status == "" {
		delete(a.status, key)
	} else {
		a.status[key] = status
	}
	close(a.changed)
	a.changed = make(chan struct{})
}

func (a *aliasTargets) lookup(serviceID, node string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.status[serviceID+"@"+node]
	return s, ok
}

func (a *aliasTargets) watch() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func TestAlias(t *testing.T) {
	for _, withChanged := range []bool{true, false} {
		name := "polling"
		if withChanged {
			name = "AliasChanged"
		}
		t.Run(name, func(t *testing.T) {
			targets := newAliasTargets()
			cfg := Config{AliasStatus: targets.lookup}
			if withChanged {
				cfg.AliasChanged = targets.watch
			}
			r, rec := newTestRunner(t, cfg)
			targets.set("web@", "passing")
			r.Start(servicedef.Check{ID: "svc", AliasService: "web"})
			r.Start(servicedef.Check{ID: "node", AliasNode: "n2"})
			if got := rec.waitFor(t, "svc", "passing"); got.output != "All checks passing." {
				t.Errorf("output %q", got.output)
			}
			if got := rec.waitFor(t, "node", "critical"); got.output != "Node n2 could not be found" {
				t.Errorf("output %q", got.output)
			}
			steps := []struct{ key, set, status, output string }{
				{"web@", "warning", "warning", "Aggregated status: warning"},
				{"web@", "maintenance", "critical", "Aggregated status: maintenance"},
				{"web@", "critical", "critical", "Aggregated status: critical"},
				{"web@", "", "critical", "Service web could not be found on node (local)"},
				{"web@", "passing", "passing", "All checks passing."},
			}
			for _, s := range steps {
				targets.set(s.key, s.set)
				got := rec.waitUntil(t, "svc", s.output, func(r report) bool { return r.output == s.output })
				if got.status != s.status {
					t.Errorf("target %s: status %s, want %s", s.set, got.status, s.status)
				}
			}
			targets.set("@n2", "passing")
			rec.waitFor(t, "node", "passing")
		})
	}
}

func TestAliasWithoutResolver(t *testing.T) {
	r, rec := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "a", AliasService: "web"})
	if got := rec.waitFor(t, "a", "critical"); got.output != "alias target unknown" {
		t.Errorf("output %q", got.output)
	}
}
