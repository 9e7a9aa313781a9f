package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/discod/discod/httpapi"
)

func runCatalog(args []string, stdout, stderr io.Writer) int {
	return runSubcommand("catalog", "Lists the services and nodes of the datacenter's catalog.", []subcommand{
		{"services", "Lists the services of the catalog", runCatalogServices},
		{"nodes", "Lists the nodes of the catalog", runCatalogNodes},
	}, args, stdout, stderr)
}

func runCatalogServices(args []string, stdout, stderr io.Writer) int {
	const me = "discod catalog services"
	fs := newFlagSet("catalog services", "catalog services [options]\n\n"+
		"  Lists the services of the datacenter, sorted by name, as Consul's\n"+
		"  `catalog services`. discod lists no \"consul\" service of its own.", stderr)
	client := clientFlags(fs)
	tags := fs.Bool("tags", false, "show each service's tags (the union of its instances')")
	node := fs.String("node", "", "list only the services of the node with this `name`")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", me, fs.Arg(0))
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	var services map[string][]string
	if *node != "" {
		services, err = c.CatalogNodeServices(context.Background(), *node)
	} else {
		services, err = c.CatalogServices(context.Background())
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	if len(services) == 0 {
		fmt.Fprintln(stderr, "No services match the given query - try expanding your search.")
		return 0
	}
	names := slices.Sorted(maps.Keys(services))
	if !*tags {
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
		return 0
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 2, 6, ' ', 0) // Consul's layout
	for _, n := range names {
		t := slices.Sorted(slices.Values(services[n]))
		fmt.Fprintf(tw, "%s\t%s\n", n, strings.Join(t, ","))
	}
	_ = tw.Flush()
	writeTrimmed(stdout, b.String())
	return 0
}

func runCatalogNodes(args []string, stdout, stderr io.Writer) int {
	const me = "discod catalog nodes"
	fs := newFlagSet("catalog nodes", "catalog nodes [options]\n\n"+
		"  Lists the nodes of the datacenter, or those with an instance of -service,\n"+
		"  as Consul's `catalog nodes`.", stderr)
	client := clientFlags(fs)
	service := fs.String("service", "", "list only the nodes with an instance of the service with this `name`")
	detailed := fs.Bool("detailed", false, "show the full node ID, the tagged addresses and the node metadata")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", me, fs.Arg(0))
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	var nodes []httpapi.Node
	if *service != "" {
		nodes, err = c.CatalogServiceNodes(context.Background(), *service)
	} else {
		nodes, err = c.CatalogNodes(context.Background())
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return 1
	}
	if len(nodes) == 0 {
		fmt.Fprintln(stderr, "No nodes match the given query - try expanding your search.")
		return 0
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if *detailed {
		fmt.Fprintln(tw, "Node\tID\tAddress\tDC\tTaggedAddresses\tMeta")
		for _, n := range nodes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.Node, n.ID, n.Address, n.Datacenter,
				keyValues(n.TaggedAddresses), keyValues(n.Meta))
		}
	} else {
		fmt.Fprintln(tw, "Node\tID\tAddress\tDC")
		for _, n := range nodes {
			id := n.ID
			if i := strings.IndexByte(id, '-'); i > 0 {
				id = id[:i] // Consul shows the first group of the UUID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.Node, id, n.Address, n.Datacenter)
		}
	}
	_ = tw.Flush()
	writeTrimmed(stdout, b.String())
	return 0
}

// writeTrimmed writes a table's lines without the padding that empty last
// cells leave at their ends.
func writeTrimmed(w io.Writer, table string) {
	for line := range strings.Lines(table) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// keyValues formats a map as Consul's CLI does: k=v pairs sorted by key,
// joined by ", ".
func keyValues(m map[string]string) string {
	pairs := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, k+"="+m[k])
	}
	return strings.Join(pairs, ", ")
}
