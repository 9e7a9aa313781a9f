package consulnode

import (
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
)

// endpointCache keeps the healthy instances of each (service, tag) asked
// for, tagged with the store's index of that service when they were read
// (catalog.Store.ServiceIndex), so that a lookup of a service of 10,000
// instances costs the records it answers rather than a copy of every
// instance. Entries are never modified: a change to the service raises
// its index, and the next lookup reads the instances again. Only names
// with healthy instances are kept, so unknown names cannot grow it.
type endpointCache struct {
	mu   sync.RWMutex // guards m and held
	m    map[cacheKey]*cacheEntry
	held int // endpoints in m's entries, replaced ones included
}

// maxCacheEntries and maxCachedEndpoints bound the cache; past either,
// it starts afresh (the entries of deregistered services go with it).
const (
	maxCacheEntries    = 4096
	maxCachedEndpoints = 1 << 18
)

type cacheKey struct{ name, tag string }

type cacheEntry struct {
	store *membership.Table // entries of another store (a new backend) do not count
	idx   uint64
	eps   []catalog.Endpoint // shared: read only
}

// endpoints returns the healthy instances of service name with tag ("" for
// any), both lower case, in the store's order. The slice is shared and
// must not be modified. A cache hit does not allocate.
func (cn *ConsulNode) endpoints(tbl *membership.Table, name, tag string) []catalog.Endpoint {
	idx := tbl.ServiceIndex(name)
	c := &cn.epCache
	c.mu.RLock()
	e := c.m[cacheKey{name, tag}]
	c.mu.RUnlock()
	if e != nil && e.idx == idx && e.store == tbl {
		return e.eps
	}
	eps := tbl.AppendEndpoints(nil, name, tag, cn.onlyPassing)
	if len(eps) == 0 {
		return nil
	}
	e = &cacheEntry{store: tbl, idx: idx, eps: eps}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCacheEntries || c.held+len(eps) > maxCachedEndpoints {
		c.m, c.held = map[cacheKey]*cacheEntry{}, 0
	}
	c.held += len(eps)
	// The names are slices of the query name: keep copies, not the query.
	c.m[cacheKey{strings.Clone(name), strings.Clone(tag)}] = e
	c.mu.Unlock()
	return eps
}

// order yields the indexes 0…n-1 in a random order, lazily: a lookup
// shuffles only the instances it looks at, without touching the shared
// slice. Small sets use a dense permutation, large ones a sparse one.
type order struct {
	n, i  int
	dense []int       // position → index, when n ≤ maxDenseOrder
	swaps map[int]int // position → index for the positions moved, otherwise
}

// maxDenseOrder is the largest set shuffled with a dense permutation.
const maxDenseOrder = 256

// reset starts a new order over n indexes, reusing o's memory.
func (o *order) reset(n int) {
	o.n, o.i = n, 0
	if n <= maxDenseOrder {
		o.dense = o.dense[:0]
		for i := range n {
			o.dense = append(o.dense, i)
		}
		return
	}
	if o.swaps == nil {
		o.swaps = map[int]int{}
	}
	clear(o.swaps)
}

// next returns the next index, or false when all n were returned.
func (o *order) next() (int, bool) {
	if o.i == o.n {
		return 0, false
	}
	i := o.i
	j := i + rand.IntN(o.n-i)
	o.i++
	if o.n <= maxDenseOrder {
		o.dense[i], o.dense[j] = o.dense[j], o.dense[i]
		return o.dense[i], true
	}
	vi, vj := o.at(i), o.at(j)
	o.swaps[j] = vi // position i is never read again
	delete(o.swaps, i)
	return vj, true
}

func (o *order) at(p int) int {
	if v, ok := o.swaps[p]; ok {
		return v
	}
	return p
}
