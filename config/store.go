package config

import "github.com/discod/discod/servicedef"

// entry is one configured value and where it came from.
type entry struct {
	val any
	// from names the source for error messages: `config file /x/a.json:
	// key "bind_addr"` or "flag -bind".
	from string
}

// store holds the values of one source (a file, the flags) or of several
// merged. Values are already checked and in their stored form.
type store struct {
	scalar map[string]entry   // by setting id; a later source replaces
	list   map[string][]entry // by setting id; sources append
	// services and checks are the definitions of the files, decoded,
	// normalized and validated one by one; sources append.
	services []servicedef.Service
	checks   []servicedef.Check
}

func newStore() *store {
	return &store{scalar: map[string]entry{}, list: map[string][]entry{}}
}

// put records v for setting s.
func (st *store) put(s *setting, v any, from string) {
	e := entry{val: v, from: from}
	if s.kind == kindList || s.kind == kindMap {
		st.list[s.id()] = append(st.list[s.id()], e)
		return
	}
	st.scalar[s.id()] = e
}

// merge applies a later source on top of st.
func (st *store) merge(later *store) {
	for id, e := range later.scalar {
		st.scalar[id] = e
	}
	for id, es := range later.list {
		st.list[id] = append(st.list[id], es...)
	}
	st.services = append(st.services, later.services...)
	st.checks = append(st.checks, later.checks...)
}

// get copies the value of setting id into *p when some source set it.
func get[T any](st *store, id string, p *T) (entry, bool) {
	e, ok := st.scalar[id]
	if ok {
		*p = e.val.(T)
	}
	return e, ok
}

// values returns the list setting id's elements in order, exact duplicates
// dropped (the first kept), or nil when none was given.
func values[T comparable](st *store, id string) []T {
	var out []T
	seen := map[T]bool{}
	for _, e := range st.list[id] {
		v := e.val.(T)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
