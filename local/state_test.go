package local

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/internal/testproc"
	"github.com/discod/discod/servicedef"
)

// fakeRunner records what it was asked to run.
type fakeRunner struct {
	mu      sync.Mutex
	started []string
	stopped []string
}

func (r *fakeRunner) Start(def servicedef.Check) {
	r.mu.Lock()
	r.started = append(r.started, def.ID)
	r.mu.Unlock()
}

func (r *fakeRunner) Stop(id string) {
	r.mu.Lock()
	r.stopped = append(r.stopped, id)
	r.mu.Unlock()
}

func (r *fakeRunner) Started() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.started...)
}

// recorder collects the published deltas.
type recorder struct {
	mu     sync.Mutex
	deltas []catalog.Delta
}

func (r *recorder) publish(d catalog.Delta) {
	r.mu.Lock()
	r.deltas = append(r.deltas, d)
	r.mu.Unlock()
}

func (r *recorder) all() []catalog.Delta {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]catalog.Delta(nil), r.deltas...)
}

func newState(t *testing.T, mod func(*Config)) (*State, *catalog.Store, *recorder) {
	t.Helper()
	rec := &recorder{}
	store := catalog.NewStore()
	cfg := Config{NodeName: "node-a", Store: store, Publish: rec.publish}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, store, rec
}

func web(checks ...servicedef.Check) servicedef.Service {
	return servicedef.Service{Name: "web", Tags: []string{"rails"}, Port: 80, Checks: checks}
}

func ttlCheck(ttl time.Duration) servicedef.Check { return servicedef.Check{TTL: ttl} }

func storeCheck(t *testing.T, store *catalog.Store, id string) (catalog.Check, bool) {
	t.Helper()
	_, _, checks := store.Records("node-a")
	for _, c := range checks {
		if c.CheckID == id {
			return c, true
		}
	}
	return catalog.Check{}, false
}

func TestDeltasInOrderRebuildTheRecords(t *testing.T) {
	s, store, rec := newState(t, nil)
	steps := []struct {
		name string
		do   func() error
	}{
		{"register", func() error { return s.AddService(web(ttlCheck(time.Hour)), false) }},
		{"pass", func() error { return s.UpdateTTL("service:web", "pass", "ok") }},
		{"node check", func() error { return s.AddCheck(servicedef.Check{Name: "disk", TTL: time.Hour}) }},
		{"maintenance", func() error { return s.SetServiceMaintenance("web", true, "") }},
		{"second service", func() error { return s.AddService(servicedef.Service{Name: "db", Port: 5432}, false) }},
		{"deregister", func() error { _, err := s.RemoveService("web"); return err }},
		{"remove check", func() error { _, err := s.RemoveCheck("disk"); return err }},
	}
	replica := catalog.NewStore()
	applied := 0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			ds := rec.all()
			for ; applied < len(ds); applied++ {
				if got := replica.ApplyDelta("node-a", ds[applied]); got != catalog.DeltaApplied {
					t.Fatalf("delta %d (%v → %v) = %v; want applied", applied, ds[applied].From, ds[applied].To, got)
				}
			}
			v1, svcs1, checks1 := store.Records("node-a")
			v2, svcs2, checks2 := replica.Records("node-a")
			if v1 != v2 || v1 != (catalog.Version{Epoch: s.Epoch(), Seq: uint64(len(ds))}) {
				t.Errorf("versions: store %v, replica %v, %d deltas", v1, v2, len(ds))
			}
			if !sameRows(svcs1, svcs2) || !sameCheckRows(checks1, checks2) {
				t.Errorf("replica differs:\n store %+v %+v\n replica %+v %+v", svcs1, checks1, svcs2, checks2)
			}
		})
	}
	if ds := rec.all(); ds[0].From != (catalog.Version{}) {
		t.Errorf("first delta From = %v; want the zero version", ds[0].From)
	}
	_, svcs, checks := store.Records("node-a")
	if len(svcs) != 1 || svcs[0].ID != "db" || len(checks) != 0 {
		t.Errorf("final records = %+v %+v; want db alone", svcs, checks)
	}
}

func sameRows(a, b []catalog.Service) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.CreateIndex, x.ModifyIndex, y.CreateIndex, y.ModifyIndex = 0, 0, 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func sameCheckRows(a, b []catalog.Check) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.CreateIndex, x.ModifyIndex, y.CreateIndex, y.ModifyIndex = 0, 0, 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func TestPersistenceRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *Config) { c.DataDir = dir }
	s, _, _ := newState(t, cfg)
	if err := s.AddService(web(ttlCheck(time.Hour)), false); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTTL("service:web", "warn", "slow"); err != nil {
		t.Fatal(err)
	}
	goneBy := time.Now().Add(50 * time.Millisecond)
	if err := s.AddCheck(servicedef.Check{Name: "gone-soon", TTL: 50 * time.Millisecond, Status: catalog.StatusPassing}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetServiceMaintenance("web", true, "upgrade"); err != nil {
		t.Fatal(err)
	}
	file := servicedef.Service{Name: "files", Port: 81, Source: "config file x.json"}
	if err := s.SyncFiles([]servicedef.Service{file}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetServiceMaintenance("files", true, ""); err != nil {
		t.Fatal(err)
	}
	// A check registered over the API on a service of the files.
	if err := s.AddCheck(servicedef.Check{Name: "files-ttl", TTL: time.Hour, ServiceID: "files"}); err != nil {
		t.Fatal(err)
	}
	epoch := s.Epoch()
	s.Close()
	// Let gone-soon's TTL run out while the agent is down.
	testproc.WaitFor(t, 10*time.Second, "gone-soon's TTL to pass", func() bool { return time.Now().After(goneBy.Add(10 * time.Millisecond)) })

	s2, store, _ := newState(t, cfg)
	if s2.Epoch() <= epoch {
		t.Errorf("epoch %d is not after the earlier run's %d", s2.Epoch(), epoch)
	}
	if _, ok := s2.Service("web"); !ok {
		t.Fatal("API service web not restored")
	}
	if _, ok := s2.Service("files"); ok {
		t.Error("the file service came back from the data dir; it belongs to the files")
	}
	c, _ := s2.Check("service:web")
	if c.Status != catalog.StatusWarning || c.Output != "slow" {
		t.Errorf("TTL check restored as %s %q; want warning \"slow\"", c.Status, c.Output)
	}
	if c, _ := s2.Check("gone-soon"); c.Status != catalog.StatusPassing {
		t.Errorf("expired TTL status restored as %s; want the definition's initial status (passing)", c.Status)
	}
	if got := s2.ServiceMaintenance("web"); got != "upgrade" {
		t.Errorf("maintenance of web = %q; want upgrade", got)
	}
	if err := s2.SyncFiles([]servicedef.Service{file}, nil); err != nil {
		t.Fatal(err)
	}
	if c, ok := s2.Check("files-ttl"); !ok || c.ServiceID != "files" {
		t.Errorf("API check of the file service after the first sync = %+v, %v", c, ok)
	}
	if got := s2.ServiceMaintenance("files"); got != catalog.DefaultServiceMaintReason {
		t.Errorf("maintenance of the file service = %q; want the default reason", got)
	}
	if _, ok := storeCheck(t, store, catalog.ServiceMaintPrefix+"files"); !ok {
		t.Error("maintenance check of the file service not in the store")
	}
	// A file service removed while the agent was down loses its maintenance.
	if err := s2.SyncFiles(nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Service("files"); ok {
		t.Error("file service still there after the files dropped it")
	}
}

func TestDamagedFile(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"not json", "{nope", "damaged"},
		{"newer format", `{"Version": 9}`, "format version 9"},
		{"bad definition", `{"Version": 1, "Services": [{"Port": 1}]}`, "needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{NodeName: "n", Store: catalog.NewStore(), DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "remove") {
				t.Errorf("New = %v; want an error naming %s, saying %q and what to do", err, path, tt.want)
			}
		})
	}
}

func TestScriptChecks(t *testing.T) {
	script := servicedef.Check{Name: "sh", Args: []string{"true"}, Interval: time.Second}
	tests := []struct {
		name          string
		script, local bool
		fromFile      bool
		want          string // "" allowed, else a word of the error
	}{
		{"api, nothing enabled", false, false, false, "enable_script_checks"},
		{"api, local only", false, true, false, "enable_script_checks"},
		{"api, enabled", true, false, false, ""},
		{"file, nothing enabled", false, false, true, "enable_local_script_checks"},
		{"file, local", false, true, true, ""},
		{"file, enabled", true, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeRunner{}
			s, _, _ := newState(t, func(c *Config) {
				c.EnableScriptChecks, c.EnableLocalScriptChecks, c.Runner = tt.script, tt.local, r
			})
			var err error
			if tt.fromFile {
				err = s.SyncFiles(nil, []servicedef.Check{script})
			} else {
				err = s.AddCheck(script)
			}
			if tt.want == "" {
				if err != nil || len(r.Started()) != 1 {
					t.Errorf("err %v, started %v; want the check running", err, r.Started())
				}
				return
			}
			if !errors.Is(err, ErrScriptChecksDisabled) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want ErrScriptChecksDisabled naming %s", err, tt.want)
			}
			if len(r.Started()) != 0 {
				t.Errorf("started %v; want nothing run", r.Started())
			}
			if _, ok := s.Check("sh"); ok {
				t.Error("refused check registered")
			}
		})
	}
}

func TestOutputOnlyChangesAreHeld(t *testing.T) {
	const interval = 300 * time.Millisecond
	s, store, rec := newState(t, func(c *Config) { c.CheckUpdateInterval, c.Runner = interval, &fakeRunner{} })
	if err := s.AddCheck(servicedef.Check{Name: "http", HTTP: "http://127.0.0.160:1/", Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	s.SetCheckResult("http", catalog.StatusPassing, "run 1")
	if c, _ := storeCheck(t, store, "http"); c.Status != catalog.StatusPassing || c.Output != "run 1" {
		t.Fatalf("status change not written at once: %+v", c)
	}
	n := len(rec.all())
	s.SetCheckResult("http", catalog.StatusPassing, "run 2")
	s.SetCheckResult("http", catalog.StatusPassing, "run 3")
	if c, _ := storeCheck(t, store, "http"); c.Output != "run 1" {
		t.Errorf("output-only change written at once: %q", c.Output)
	}
	if len(rec.all()) != n {
		t.Errorf("output-only change published at once")
	}
	if c, _ := s.Check("http"); c.Output != "run 3" {
		t.Errorf("local view output = %q; want the latest, run 3", c.Output)
	}
	testproc.WaitFor(t, 10*time.Second, "the held output to be written", func() bool {
		c, _ := storeCheck(t, store, "http")
		return c.Output == "run 3"
	})
	if got := len(rec.all()); got != n+1 {
		t.Errorf("%d deltas for the held outputs; want 1", got-n)
	}
	s.SetCheckResult("http", catalog.StatusPassing, "run 4")
	s.SetCheckResult("http", catalog.StatusCritical, "run 5")
	if c, _ := storeCheck(t, store, "http"); c.Status != catalog.StatusCritical || c.Output != "run 5" {
		t.Errorf("status change not written at once with the latest output: %+v", c)
	}
	s.SetCheckResult("http", catalog.StatusPassing, strings.Repeat("x", 5000))
	if c, _ := s.Check("http"); !strings.HasSuffix(c.Output, "(captured 4096 of 5000 bytes)") {
		t.Errorf("output not capped: ...%q", c.Output[len(c.Output)-40:])
	}
}

func TestServiceMaintenance(t *testing.T) {
	s, store, _ := newState(t, nil)
	if err := s.SetServiceMaintenance("web", true, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("maintenance of an unknown service = %v; want ErrNotFound", err)
	}
	if err := s.AddService(web(), false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetServiceMaintenance("web", true, "deploy"); err != nil {
		t.Fatal(err)
	}
	c, ok := storeCheck(t, store, "_service_maintenance:web")
	if !ok || c.Name != "Service Maintenance Mode" || c.Status != catalog.StatusCritical || c.Notes != "deploy" || c.ServiceID != "web" {
		t.Errorf("maintenance check = %+v, %v", c, ok)
	}
	if st, ok := s.ServiceStatus("web"); st != catalog.StatusMaintenance || !ok {
		t.Errorf("ServiceStatus = %s, %v; want maintenance", st, ok)
	}
	if err := s.SetServiceMaintenance("web", false, ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.ServiceStatus("web"); st != catalog.StatusPassing {
		t.Errorf("ServiceStatus without checks = %s; want passing", st)
	}
	if _, ok := storeCheck(t, store, "_service_maintenance:web"); ok {
		t.Error("maintenance check still there after disable")
	}
}

func TestTTLExpires(t *testing.T) {
	s, store, _ := newState(t, nil)
	if err := s.AddCheck(servicedef.Check{Name: "beat", TTL: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTTL("beat", "pass", "alive"); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "the TTL to run out", func() bool {
		c, _ := storeCheck(t, store, "beat")
		return c.Status == catalog.StatusCritical
	})
	if c, _ := storeCheck(t, store, "beat"); !strings.HasPrefix(c.Output, "TTL expired") || !strings.HasSuffix(c.Output, "alive") {
		t.Errorf("expired output = %q", c.Output)
	}
	tests := []struct {
		id, status string
		want       error
	}{
		{"nope", "pass", ErrNotFound},
		{"beat", "sideways", ErrInvalid},
	}
	for _, tt := range tests {
		if err := s.UpdateTTL(tt.id, tt.status, ""); !errors.Is(err, tt.want) {
			t.Errorf("UpdateTTL(%s, %s) = %v; want %v", tt.id, tt.status, err, tt.want)
		}
	}
	if err := s.AddCheck(servicedef.Check{Name: "tcp", TCP: "127.0.0.160:1", Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTTL("tcp", "pass", ""); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not a TTL check") {
		t.Errorf("UpdateTTL of a tcp check = %v", err)
	}
}

func TestDeregisterCriticalServiceAfter(t *testing.T) {
	// The reaper's clock runs two minutes ahead, past the 1-minute
	// minimum of deregister_critical_service_after.
	ahead := func() time.Time { return time.Now().Add(2 * time.Minute) }
	s, store, _ := newState(t, func(c *Config) { c.ReapInterval, c.now = 20*time.Millisecond, ahead })
	chk := servicedef.Check{TTL: time.Hour, DeregisterCriticalServiceAfter: time.Minute}
	if err := s.AddService(web(chk), false); err != nil {
		t.Fatal(err)
	}
	slow := servicedef.Check{TTL: time.Hour, DeregisterCriticalServiceAfter: time.Hour}
	if err := s.AddService(servicedef.Service{Name: "db", Checks: []servicedef.Check{slow}}, false); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "web to be reaped", func() bool { _, ok := s.Service("web"); return !ok })
	if _, ok := s.Service("db"); !ok {
		t.Error("db, critical for less than its deregister_critical_service_after, was reaped")
	}
	if _, svcs, _ := store.Records("node-a"); len(svcs) != 1 {
		t.Errorf("store services = %+v; want db alone", svcs)
	}
}

func TestLimitsAndValidation(t *testing.T) {
	s, _, _ := newState(t, func(c *Config) { c.MaxServices, c.MaxChecks = 2, 2 })
	for _, n := range []string{"a", "b"} {
		if err := s.AddService(servicedef.Service{Name: n}, false); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		err  error
		kind error
		word string
	}{
		{"third service", s.AddService(servicedef.Service{Name: "c"}, false), ErrLimit, "limit"},
		{"service re-registered", s.AddService(servicedef.Service{Name: "a", Port: 2}, false), nil, ""},
		{"too many checks", s.AddService(servicedef.Service{Name: "a", Checks: []servicedef.Check{{TTL: time.Hour}, {TTL: time.Hour}, {TTL: time.Hour}}}, false), ErrLimit, "limit"},
		{"no name", s.AddService(servicedef.Service{Port: 1}, false), ErrInvalid, "needs a name"},
		{"check of unknown service", s.AddCheck(servicedef.Check{Name: "x", TTL: time.Hour, ServiceID: "zz"}), ErrInvalid, "zz"},
		{"check without type", s.AddCheck(servicedef.Check{Name: "x"}), ErrInvalid, "no check type"},
		{"reserved id", s.AddCheck(servicedef.Check{Name: "serfHealth", TTL: time.Hour}), ErrInvalid, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.kind == nil {
				if tt.err != nil {
					t.Errorf("err = %v", tt.err)
				}
				return
			}
			if !errors.Is(tt.err, tt.kind) || !strings.Contains(tt.err.Error(), tt.word) {
				t.Errorf("err = %v; want %v mentioning %q", tt.err, tt.kind, tt.word)
			}
		})
	}
}

func TestReplaceExistingChecks(t *testing.T) {
	s, _, _ := newState(t, nil)
	two := web(servicedef.Check{ID: "a", TTL: time.Hour}, servicedef.Check{ID: "b", TTL: time.Hour})
	if err := s.AddService(two, false); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTTL("a", "pass", "fine"); err != nil {
		t.Fatal(err)
	}
	one := web(servicedef.Check{ID: "a", TTL: time.Hour})
	if err := s.AddService(one, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Check("b"); !ok {
		t.Error("check b dropped without replace-existing-checks")
	}
	if err := s.AddService(one, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Check("b"); ok {
		t.Error("check b kept with replace-existing-checks")
	}
	if c, _ := s.Check("a"); c.Status != catalog.StatusPassing {
		t.Errorf("re-registered check a lost its status: %s", c.Status)
	}
	h1, _ := s.ServiceHash("web")
	if err := s.AddService(servicedef.Service{Name: "web", Port: 8080}, false); err != nil {
		t.Fatal(err)
	}
	if h2, _ := s.ServiceHash("web"); h1 == h2 || h1 == "" {
		t.Errorf("content hash %q did not change to %q with the port", h1, h2)
	}
}

func TestSyncFiles(t *testing.T) {
	r := &fakeRunner{}
	s, _, _ := newState(t, func(c *Config) { c.Runner = r })
	if err := s.AddService(servicedef.Service{Name: "api-svc"}, false); err != nil {
		t.Fatal(err)
	}
	httpCheck := servicedef.Check{HTTP: "http://127.0.0.165:1/", Interval: 10 * time.Second}
	files := []servicedef.Service{web(httpCheck), {Name: "cache", Port: 6379}}
	node := []servicedef.Check{{Name: "disk", TTL: time.Hour}}
	if err := s.SyncFiles(files, node); err != nil {
		t.Fatal(err)
	}
	s.SetCheckResult("service:web", catalog.StatusPassing, "200 OK")
	// A reload with the same files changes nothing and keeps the status.
	if err := s.SyncFiles(files, node); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Check("service:web"); c.Status != catalog.StatusPassing {
		t.Errorf("status after an identical reload = %s; want passing", c.Status)
	}
	if got := r.Started(); len(got) != 1 {
		t.Errorf("runner started %v; want service:web once", got)
	}
	// A reload that changes web, drops cache and the node check.
	files = []servicedef.Service{web(httpCheck)}
	files[0].Port = 8080
	if err := s.SyncFiles(files, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want bool
	}{{"web", true}, {"cache", false}, {"api-svc", true}}
	for _, tt := range tests {
		if _, ok := s.Service(tt.id); ok != tt.want {
			t.Errorf("service %s present = %v; want %v", tt.id, ok, tt.want)
		}
	}
	if svc, _ := s.Service("web"); svc.Port != 8080 {
		t.Errorf("web port = %d; want 8080 after the reload", svc.Port)
	}
	if _, ok := s.Check("disk"); ok {
		t.Error("node check disk still there after the files dropped it")
	}
	// A refused definition changes nothing.
	bad := []servicedef.Service{{Name: "x", Checks: []servicedef.Check{{Args: []string{"true"}, Interval: time.Second}}}}
	if err := s.SyncFiles(bad, nil); !errors.Is(err, ErrScriptChecksDisabled) {
		t.Errorf("SyncFiles with a script check = %v; want ErrScriptChecksDisabled", err)
	}
	if _, ok := s.Service("web"); !ok {
		t.Error("a refused reload removed web")
	}
}

func TestConcurrentChangesPublishAChain(t *testing.T) {
	s, store, rec := newState(t, nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + i))
			for j := range 20 {
				if err := s.AddService(servicedef.Service{Name: name, Port: j + 1, Checks: []servicedef.Check{{TTL: time.Hour}}}, false); err != nil {
					t.Error(err)
					return
				}
				if err := s.UpdateTTL("service:"+name, []string{"pass", "warn", "fail"}[j%3], ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ds := rec.all()
	replica := catalog.NewStore()
	for i, d := range ds {
		if i > 0 && d.From != ds[i-1].To {
			t.Fatalf("delta %d goes from %v but the one before ends at %v", i, d.From, ds[i-1].To)
		}
		if got := replica.ApplyDelta("node-a", d); got != catalog.DeltaApplied {
			t.Fatalf("delta %d = %v", i, got)
		}
	}
	v1, svcs1, checks1 := store.Records("node-a")
	v2, svcs2, checks2 := replica.Records("node-a")
	if v1 != v2 || !sameRows(svcs1, svcs2) || !sameCheckRows(checks1, checks2) {
		t.Errorf("replica at %v differs from the store at %v", v2, v1)
	}
}

func TestCloseStopsRuns(t *testing.T) {
	r := &fakeRunner{}
	store := catalog.NewStore()
	s, err := New(Config{NodeName: "node-a", Store: store, Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddCheck(servicedef.Check{Name: "tcp", TCP: "127.0.0.165:1", Interval: time.Second}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if len(stopped) != 1 || stopped[0] != "tcp" {
		t.Errorf("stopped %v; want tcp", stopped)
	}
	if err := s.AddService(web(), false); !errors.Is(err, ErrClosed) {
		t.Errorf("AddService after Close = %v; want ErrClosed", err)
	}
}
