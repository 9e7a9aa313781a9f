package local

import (
	"fmt"
	"testing"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/servicedef"
)

// instance is the i-th service of the at-scale tests: tags, meta, its own
// address and one HTTP check (registered, not run), as gossipbench's.
func instance(i, rev int) servicedef.Service {
	return servicedef.Service{
		ID: fmt.Sprintf("web-%04d", i), Name: "web", Port: 8000 + i%1000,
		Address: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1),
		Tags:    []string{"v1", fmt.Sprintf("rev-%d", rev)},
		Meta:    map[string]string{"rev": fmt.Sprint(rev)},
		Checks: []servicedef.Check{{
			ID: fmt.Sprintf("web-%04d:http", i), Name: "http",
			HTTP: fmt.Sprintf("http://10.1.%d.%d:8080/health", i/250, i%250+1), Interval: 10 * time.Second,
		}},
	}
}

// fullState returns a State (no data dir) holding n instances.
func fullState(tb testing.TB, n int, publish func(catalog.Delta)) (*State, *catalog.Store) {
	tb.Helper()
	store := catalog.NewStore()
	s, err := New(Config{NodeName: "node-a", Store: store, Publish: publish})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	for i := range n {
		if err := s.AddService(instance(i, 0), false); err != nil {
			tb.Fatal(err)
		}
	}
	return s, store
}

// BenchmarkChangeAt1000 is one registration that changes an instance of
// an agent holding DefaultMaxServices instances (its own store written,
// the delta published).
func BenchmarkChangeAt1000(b *testing.B) {
	s, _ := fullState(b, DefaultMaxServices, func(catalog.Delta) {})
	b.ResetTimer()
	for i := range b.N {
		if err := s.AddService(instance(i%DefaultMaxServices, i+1), false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChangeAt1000Persisted is the same with a data dir: every
// change registered over the API also rewrites the persistence file,
// which holds every API-registered service (O(instances), fsync
// included).
func BenchmarkChangeAt1000Persisted(b *testing.B) {
	store := catalog.NewStore()
	s, err := New(Config{NodeName: "node-a", Store: store, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	for i := range DefaultMaxServices {
		if err := s.AddService(instance(i, 0), false); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.AddService(instance(i%DefaultMaxServices, i+1), false); err != nil {
			b.Fatal(err)
		}
	}
}
