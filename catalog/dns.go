package catalog

import "slices"

// AnsweredServices returns, sorted, the lower-case names of the services
// that have at least one instance DNS answers (AppendEndpoints with
// onlyPassing), for DNS-SD service type enumeration. It costs a walk over
// every instance of the datacenter: it is for rare browsing queries, not
// for the lookup path.
func (s *Store) AnsweredServices(onlyPassing bool) []string {
	s.mu.RLock()
	names := make([]string, 0, len(s.byService))
	for name := range s.byService {
		names = append(names, name)
	}
	s.mu.RUnlock()
	slices.Sort(names)
	var buf []Endpoint
	out := names[:0]
	for _, name := range names {
		buf = s.AppendEndpoints(buf[:0], name, "", onlyPassing)
		if len(buf) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// ServiceIndex returns the index of service name's (lower case) results:
// it rises whenever what AppendEndpoints returns for name may have changed
// (an instance, one of its checks or its node changed; the KeyService
// key). Read it before AppendEndpoints to tag a cached result. It does not
// allocate.
func (s *Store) ServiceIndex(name string) uint64 {
	const prefix = "service/"
	var buf [128]byte
	k := append(append(buf[:0], prefix...), name...)
	s.mu.RLock()
	idx := s.keyIdx[Key(k)]
	s.mu.RUnlock()
	return idx
}
