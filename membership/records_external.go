package membership

import (
	"errors"
	"fmt"

	"github.com/discod/discod/catalog"
)

// The external nodes of a records message (format version 2, see
// records_wire.go): a count, each node whole, then a count and the names
// of the nodes deleted. An external node's list of services and of checks
// share the message's limits.

func encodeExternal(w *wireWriter, d *catalog.Delta) {
	w.count("external nodes", len(d.Nodes), maxRecordsServices)
	for i := range d.Nodes {
		n := &d.Nodes[i]
		w.str("external node name", n.Name)
		w.str("external node ID", n.ID)
		w.str("external node address", n.Address)
		w.strMap("external node tagged addresses", n.TaggedAddresses)
		w.strMap("external node meta", n.Meta)
		encodeRows(w, "external node ", n.Services, n.Checks)
	}
	w.count("deleted external nodes", len(d.DeleteNodes), maxRecordsServices)
	for _, name := range d.DeleteNodes {
		w.str("deleted external node", name)
	}
}

func decodeExternal(r *wireReader, d *catalog.Delta) error {
	if n := r.count("external nodes", maxRecordsServices); n > 0 {
		d.Nodes = make([]catalog.ExternalNode, n)
		for i := range d.Nodes {
			decodeExternalNode(r, &d.Nodes[i])
			if r.err != nil {
				return fmt.Errorf("external node %d: %w", i, r.err)
			}
		}
	}
	if n := r.count("deleted external nodes", maxRecordsServices); n > 0 {
		d.DeleteNodes = make([]string, n)
		for i := range d.DeleteNodes {
			d.DeleteNodes[i] = r.str("deleted external node")
		}
	}
	return r.err
}

func decodeExternalNode(r *wireReader, n *catalog.ExternalNode) {
	n.Name = r.str("name")
	n.ID = r.str("ID")
	n.Address = r.str("address")
	n.TaggedAddresses = r.strMap("tagged addresses")
	n.Meta = r.strMap("meta")
	if k := r.count("services", maxRecordsServices); k > 0 {
		n.Services = make([]catalog.Service, k)
		for i := range n.Services {
			decodeService(r, &n.Services[i])
		}
	}
	if k := r.count("checks", maxRecordsChecks); k > 0 {
		n.Checks = make([]catalog.Check, k)
		for i := range n.Checks {
			decodeCheck(r, &n.Checks[i])
		}
	}
	if r.err == nil && n.Name == "" {
		r.fail("name", errors.New("empty"))
	}
}
