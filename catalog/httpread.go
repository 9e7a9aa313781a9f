package catalog

// BaseIndex returns the least index of any result: the index the store
// started from (or the floor SetIndexFloor raised it to). It is the index
// of a result that depends on nothing the store holds, such as a read of
// the key/value store discod does not have.
func (s *Store) BaseIndex() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.base
}
