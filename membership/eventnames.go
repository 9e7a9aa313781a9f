package membership

// NamedCount is one event count with the name metrics give it.
type NamedCount struct {
	Name string // join, leave, failure, reap or conflict
	N    uint64
}

// Named returns the counts under the names every membership metric uses
// for them (the event label of coredns_consulnode_member_events_total), in
// a fixed order.
func (e EventCounts) Named() []NamedCount {
	return []NamedCount{
		{"join", e.Joins}, {"leave", e.Leaves}, {"failure", e.Failures}, {"reap", e.Reaps}, {"conflict", e.Conflicts},
	}
}
