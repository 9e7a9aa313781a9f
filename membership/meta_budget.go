package membership

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/hashicorp/memberlist"
)

// NodeMetaBudget is how many bytes of the gossiped node metadata the
// operator's node_meta pairs may take: memberlist gossips at most
// memberlist.MetaMaxSize (512) bytes of metadata per node, and discod's
// own fields, at their largest (a 63-character datacenter, IPv6 DNS, HTTP
// and WAN addresses, a 32-byte build string), take the rest. A pair costs
// NodeMetaPairSize. The maintenance reason and the list of other
// datacenters come on top only while they are set; what does not fit then
// is refused, or cut, at that moment.
var NodeMetaBudget = memberlist.MetaMaxSize - len(mustEncode(worstOwnMeta()))

// NodeMetaPairSize returns what one node_meta pair costs of
// NodeMetaBudget once encoded: the key and the value with their lengths,
// and a tag byte.
func NodeMetaPairSize(key, value string) int {
	return len(appendString(appendString([]byte{tagMeta}, key), value))
}

// CheckNodeMeta returns an error when meta cannot be gossiped: when its
// pairs together take more than NodeMetaBudget bytes. The configuration
// checks node_meta with it, so that an agent never starts with metadata
// that does not fit.
func CheckNodeMeta(meta map[string]string) error {
	n := 0
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		n += NodeMetaPairSize(k, meta[k])
	}
	if n > NodeMetaBudget {
		return fmt.Errorf("node metadata takes %d bytes encoded, over the %d bytes that fit: memberlist gossips at most %d bytes of metadata per node and discod's own fields need the rest; use fewer or shorter pairs (each pair costs its key and value plus 3 to 5 bytes)",
			n, NodeMetaBudget, memberlist.MetaMaxSize)
	}
	return nil
}

// worstOwnMeta is discod's own metadata at its largest, without
// maintenance and the datacenter list (see NodeMetaBudget).
func worstOwnMeta() nodeMeta {
	v6 := netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	return nodeMeta{
		ID:         "00000000-0000-0000-0000-000000000000",
		Datacenter: strings.Repeat("d", 63),
		Role:       RoleServer,
		Build:      strings.Repeat("b", 32),
		Leaving:    true,
		DNSAddr:    netip.AddrPortFrom(v6, 65535),
		HTTPAddr:   netip.AddrPortFrom(v6, 65535),
		WANAddr:    v6,
		Run:        strings.Repeat("r", 16),
		Gen:        ^uint64(0),
	}
}

func mustEncode(m nodeMeta) []byte {
	b, err := m.encode()
	if err != nil {
		panic(err)
	}
	return b
}
