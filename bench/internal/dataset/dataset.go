// Package dataset is the data every server of discod's DNS benchmark kit
// serves, in one place: the member names and addresses, and the service
// data set. benchserver loads it into each server; dnsbench writes
// unbound's local-data and the query files from it.
package dataset

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/membership"
)

// MemberName is the name of member i: node<i>.
func MemberName(i int) string { return "node" + strconv.Itoa(i) }

// MemberAddr is the address of member i, 198.18.0.0+i (RFC 2544's
// benchmarking range: the answers are data, nothing is ever sent there).
func MemberAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
}

// The service data set of N instances (benchserver -instances N):
//
//   - web: 3 instances, on node0, node1 and node2, port 80;
//   - big: 40 instances, on node0 … node39, port 8080, when N ≥ 43 —
//     more than a 512-byte UDP answer holds, so its UDP answer is
//     truncated and the client retries over TCP;
//   - filler: the rest of the N instances, of 100 services svc0 … svc99,
//     spread over every member (instance k on node k mod members), so the
//     datacenter holds N instances in all.
//
// Instances have no address of their own: they answer with their node's
// address, and an SRV target is the node's name, <node>.node.dc1.consul.
const (
	webInstances = 3
	bigInstances = 40
	fillerNames  = 100
)

// Services is the service data set: Instances in all, on Members members.
type Services struct {
	Instances int
	Members   int
}

// HasBig reports whether the set holds the 40-instance service.
func (s Services) HasBig() bool { return s.Instances >= webInstances+bigInstances }

// Check returns an error if the set does not fit the members.
func (s Services) Check() error {
	if s.Instances == 0 {
		return nil
	}
	if s.Instances < webInstances {
		return fmt.Errorf("%d instances: at least %d (the web service) or 0", s.Instances, webInstances)
	}
	if s.HasBig() && s.Members < bigInstances {
		return fmt.Errorf("%d instances need at least %d members (big has an instance on each of %d nodes), not %d", s.Instances, bigInstances, bigInstances, s.Members)
	}
	return nil
}

// Nodes returns the member indexes the named service's instances are on,
// for web and big (the services the kit asks for).
func (s Services) Nodes(name string) []int {
	var n int
	switch {
	case name == "web":
		n = webInstances
	case name == "big" && s.HasBig():
		n = bigInstances
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// PerNode returns every member's service instances.
func (s Services) PerNode() map[int][]catalog.Service {
	out := map[int][]catalog.Service{}
	if s.Instances == 0 {
		return out
	}
	for _, name := range []string{"web", "big"} {
		port := 80
		if name == "big" {
			port = 8080
		}
		for _, i := range s.Nodes(name) {
			out[i] = append(out[i], catalog.Service{ID: name, Name: name, Port: port})
		}
	}
	filler := s.Instances - webInstances
	if s.HasBig() {
		filler -= bigInstances
	}
	for k := range filler {
		name := "svc" + strconv.Itoa(k%fillerNames)
		i := k % s.Members
		out[i] = append(out[i], catalog.Service{ID: name + "-" + strconv.Itoa(k), Name: name, Port: 1000 + k%1000})
	}
	return out
}

// Register writes the set into the agent's catalog store, one
// ReplaceRecords per node: the call a node's full state from gossip makes.
func (s Services) Register(tbl *membership.Table) {
	for i, svcs := range s.PerNode() {
		tbl.ReplaceRecords(MemberName(i), catalog.Version{Epoch: 1, Seq: 1}, svcs, nil)
	}
}

// HostsLines returns hosts-file lines giving the web and big service
// names their instances' addresses, as `hosts` answers them.
func (s Services) HostsLines() string {
	var b strings.Builder
	for _, name := range []string{"web", "big"} {
		for _, i := range s.Nodes(name) {
			fmt.Fprintf(&b, "%s %s.service.consul\n", MemberAddr(i), name)
		}
	}
	return b.String()
}

// SRVTarget is the SRV target consulnode answers for an instance on member i.
func SRVTarget(i int) string { return MemberName(i) + ".node.dc1.consul." }

// Addrs returns the addresses of the named service's instances.
func (s Services) Addrs(name string) []netip.Addr {
	var out []netip.Addr
	for _, i := range s.Nodes(name) {
		out = append(out, MemberAddr(i))
	}
	return out
}
