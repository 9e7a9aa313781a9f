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
