package membership

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Several datacenters. Each datacenter is its own LAN pool; the servers of
// all of them also form the WAN pool (wan.go). An agent answers for its
// own datacenter from its LAN table and never leaves the process to do
// so. A question about another datacenter is forwarded, over DNS or HTTP,
// along at most two hops:
//
//	client ──HopLAN──► a server of its own datacenter ──HopWAN──► a server of the other datacenter
//
// A server starts at the second hop. The server at the end of the path
// answers from its own LAN table. Loops are impossible by construction:
// a question is forwarded over the LAN only by an agent without a WAN
// pool and only if it did not itself arrive over the LAN, and over the WAN
// only if it did not arrive over the WAN; a question that arrived over the
// WAN is never forwarded at all. The hop travels with the question (an
// EDNS0 option in DNS, a header in HTTP).
//
// Which datacenters exist: a server knows those of its WAN table. A
// client learns them from the servers of its datacenter, which send their
// whole list, however long, to the members of their LAN pool
// (datacenters.go; Member.Datacenters). A datacenter stays known while
// one of the servers that list it is alive, leaving or failed; it is
// forgotten when all of them have left or been reaped.

// Hop says how far a question has travelled, so that a forwarded question
// is never forwarded in a loop.
type Hop uint8

// The hops.
const (
	// HopClient is a question from a client: not forwarded yet.
	HopClient Hop = iota
	// HopLAN is a question an agent forwarded to a server of its own
	// datacenter.
	HopLAN
	// HopWAN is a question a server forwarded to a server of the
	// datacenter it is about. It is answered there and never forwarded
	// again; answers to it use WAN addresses.
	HopWAN
)

// String returns "client", "lan" or "wan".
func (h Hop) String() string {
	switch h {
	case HopLAN:
		return "lan"
	case HopWAN:
		return "wan"
	default:
		return "client"
	}
}

// ParseHop is the inverse of String; anything else is HopClient.
func ParseHop(s string) Hop {
	switch s {
	case "lan":
		return HopLAN
	case "wan":
		return HopWAN
	default:
		return HopClient
	}
}

// ErrUnknownDatacenter is wrapped by Route's error for a datacenter no
// server knows: a DNS name in it does not exist.
var ErrUnknownDatacenter = errors.New("unknown datacenter")

// ErrNoPath is wrapped by Route's error for a known datacenter that cannot
// be reached now: no alive server to ask, or the question may not be
// forwarded again. It is a temporary failure (SERVFAIL), not NXDOMAIN.
var ErrNoPath = errors.New("no path to datacenter")

// Knowledge is what an agent knows about a datacenter name.
type Knowledge uint8

// The answers of Federation.Known.
const (
	// Unknown: no server of ours knows the datacenter.
	Unknown Knowledge = iota
	// Known: a datacenter of the federation.
	Known
)

// Federation is what one agent knows about datacenters: its own
// datacenter and its member tables. Its methods read the tables afresh
// each time and never touch the network.
type Federation struct {
	// Datacenter is the agent's own datacenter, lower case.
	Datacenter string
	// Self is the agent's LAN node name; it is never its own forwarding
	// target.
	Self string
	// LAN is the agent's member table.
	LAN *Table
	// WAN is the WAN pool's member table of a server; nil for agents that
	// are not in the WAN pool (clients).
	WAN *Table
}

// RouteError is the error of Federation.Route: it wraps
// ErrUnknownDatacenter or ErrNoPath and says which datacenter and why.
type RouteError struct {
	Err        error  // ErrUnknownDatacenter or ErrNoPath
	Datacenter string // the datacenter asked about
	Reason     string // why there is no route, for people; may be ""
}

// Error returns e.g. `no path to datacenter "dc2": none of its servers is
// alive in the WAN pool`.
func (e *RouteError) Error() string {
	s := fmt.Sprintf("%v %q", e.Err, e.Datacenter)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns ErrUnknownDatacenter or ErrNoPath.
func (e *RouteError) Unwrap() error { return e.Err }

// Route is where a question about another datacenter goes next.
type Route struct {
	// Hop is what the forwarded question must carry: HopLAN when it goes
	// to a server of the agent's own datacenter, HopWAN when it goes to a
	// server of the datacenter it is about.
	Hop Hop
	// Servers are the alive servers to ask, in random order; try the first
	// and, if it fails, the next.
	Servers []Member
}

// Federation returns what this agent knows about datacenters.
func (a *Agent) Federation() Federation {
	return Federation{Datacenter: a.cfg.Datacenter, Self: a.cfg.NodeName, LAN: a.table, WAN: a.WANTable()}
}

// Datacenters returns every known datacenter: the agent's own first, then
// the others in alphabetical order. (Consul sorts the others by round-trip
// time; discod keeps no network coordinates.)
func (a *Agent) Datacenters() []string { return a.Federation().Datacenters() }

// Datacenters returns the agent's own datacenter first, then the other
// known ones in alphabetical order.
func (f Federation) Datacenters() []string {
	return append([]string{f.Datacenter}, f.remoteDatacenters()...)
}

// remoteDatacenters returns the known datacenters other than our own,
// sorted.
func (f Federation) remoteDatacenters() []string {
	seen := map[string]bool{}
	if f.WAN != nil {
		f.WAN.Each(func(m *Member) {
			if knowsDC(m) {
				seen[m.Datacenter] = true
			}
		})
	} else if f.LAN != nil {
		f.LAN.Each(func(m *Member) {
			if f.isOwnServer(m) && knowsDC(m) {
				for _, dc := range m.Datacenters {
					seen[dc] = true
				}
			}
		})
	}
	delete(seen, f.Datacenter)
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for dc := range seen {
		out = append(out, dc)
	}
	slices.Sort(out)
	return out
}

// knowsDC reports whether m still vouches for a datacenter: it has not
// left. A failed server keeps its datacenter known, so that a datacenter
// whose servers are all down is unreachable (SERVFAIL), not unknown.
func knowsDC(m *Member) bool {
	return m.State == StateAlive || m.State == StateLeaving || m.State == StateFailed
}

// isOwnServer reports whether m is a server of our datacenter.
func (f Federation) isOwnServer(m *Member) bool {
	return m.Role == RoleServer && m.Datacenter == f.Datacenter
}

// Known says whether dc (lower case) is a known datacenter. Our own
// always is.
func (f Federation) Known(dc string) Knowledge {
	if dc == f.Datacenter {
		return Known
	}
	k := Unknown
	if f.WAN != nil {
		f.WAN.Each(func(m *Member) {
			if m.Datacenter == dc && knowsDC(m) {
				k = Known
			}
		})
		return k
	}
	if f.LAN == nil {
		return Unknown
	}
	f.LAN.Each(func(m *Member) {
		if f.isOwnServer(m) && knowsDC(m) && slices.Contains(m.Datacenters, dc) {
			k = Known
		}
	})
	return k
}

// Route returns where a question about datacenter dc (lower case, not our
// own), which arrived with hop, goes next, among the servers for which
// usable is true (those offering a DNS address, say). The error wraps
// ErrUnknownDatacenter when dc is unknown (answer NXDOMAIN) and ErrNoPath
// when it is known but cannot be reached now (answer SERVFAIL); it is a
// *RouteError naming the datacenter and the reason.
func (f Federation) Route(dc string, hop Hop, usable func(Member) bool) (Route, error) {
	if dc == f.Datacenter {
		return Route{}, &RouteError{ErrNoPath, dc, "it is this agent's own datacenter, answered locally"}
	}
	known := f.Known(dc)
	if known == Unknown {
		return Route{}, &RouteError{ErrUnknownDatacenter, dc, ""}
	}
	switch {
	case hop == HopWAN:
		return Route{}, &RouteError{ErrNoPath, dc, "the question came from another datacenter and is not forwarded again"}
	case f.WAN != nil:
		r := Route{Hop: HopWAN, Servers: alive(f.WAN, func(m *Member) bool { return m.Datacenter == dc && m.Role == RoleServer }, usable)}
		if len(r.Servers) == 0 {
			return Route{}, &RouteError{ErrNoPath, dc, "none of its servers is alive in the WAN pool"}
		}
		return r, nil
	case hop == HopLAN:
		return Route{}, &RouteError{ErrNoPath, dc, "this server is not in the WAN pool and the question was already forwarded once"}
	}
	self := strings.ToLower(f.Self)
	r := Route{Hop: HopLAN, Servers: alive(f.LAN, func(m *Member) bool {
		return f.isOwnServer(m) && strings.ToLower(m.Name) != self
	}, usable)}
	if len(r.Servers) == 0 {
		return Route{}, &RouteError{ErrNoPath, dc, fmt.Sprintf("no alive server of datacenter %q to ask", f.Datacenter)}
	}
	return r, nil
}

// alive returns, in random order, the alive members of t that match and
// are usable.
func alive(t *Table, match func(*Member) bool, usable func(Member) bool) []Member {
	var out []Member
	if t == nil {
		return nil
	}
	t.Each(func(m *Member) {
		if m.State == StateAlive && match(m) && (usable == nil || usable(*m)) {
			out = append(out, *m)
		}
	})
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
