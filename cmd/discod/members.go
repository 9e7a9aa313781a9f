package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/httpapi"
)

func runMembers(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("members", "members [options]\n\n  Lists the members the local agent knows of, sorted by name.", stderr)
	client := clientFlags(fs)
	status := fs.String("status", "", "show only members whose status matches this `regexp` (alive, leaving, left, failed)")
	detailed := fs.Bool("detailed", false, "show every tag of each member")
	format := fs.String("format", "text", "output `format`: text or json")
	wan := fs.Bool("wan", false, "list the WAN pool (the servers of every datacenter, named NODE.DC) instead of this datacenter's members; servers only")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "discod members: unexpected argument %q\n", fs.Arg(0))
		return 1
	}
	statusRE, err := regexp.Compile(*status)
	if err != nil {
		fmt.Fprintf(stderr, "discod members: bad -status regexp %q: %v\n", *status, err)
		return 1
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "discod members: -format must be text or json, not %q\n", *format)
		return 1
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "discod members: %v\n", err)
		return 1
	}
	list := c.Members
	if *wan {
		list = c.MembersWAN
	}
	all, err := list(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "discod members: %v\n", err)
		return 1
	}
	var ms []httpapi.AgentMember
	for _, m := range all {
		if statusRE.MatchString(statusText(m)) {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b httpapi.AgentMember) int { return strings.Compare(a.Name, b.Name) })
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if ms == nil {
			ms = []httpapi.AgentMember{}
		}
		_ = enc.Encode(ms)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	if *detailed {
		fmt.Fprintln(tw, "Node\tAddress\tStatus\tTags")
		for _, m := range ms {
			var tags []string
			for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
				tags = append(tags, k+"="+m.Tags[k])
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, addrPort(m), statusText(m), strings.Join(tags, ","))
		}
	} else {
		fmt.Fprintln(tw, "Node\tAddress\tStatus\tType\tBuild\tProtocol\tDC")
		for _, m := range ms {
			typ := "client"
			if m.Tags[httpapi.TagRole] == httpapi.RoleTagServer {
				typ = "server"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, addrPort(m), statusText(m), typ,
				m.Tags[httpapi.TagBuild], m.ProtocolCur, m.Tags[httpapi.TagDC])
		}
	}
	_ = tw.Flush()
	return 0
}

func addrPort(m httpapi.AgentMember) string {
	if strings.Contains(m.Addr, ":") {
		return "[" + m.Addr + "]:" + strconv.Itoa(int(m.Port))
	}
	return m.Addr + ":" + strconv.Itoa(int(m.Port))
}

// statusText maps serf's status numbers to words, as `consul members`
// does: catalog.State's names, whose values follow serf's.
func statusText(m httpapi.AgentMember) string {
	if m.Status < 0 || m.Status > 255 {
		return catalog.StateNone.String()
	}
	return catalog.State(m.Status).String()
}
