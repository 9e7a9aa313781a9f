package httpapi

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/discod/discod/catalog"
)

// The status page's Services section: every service of the catalog with
// its instances, each instance's aggregated health and its checks. It is
// read from the same catalog store as the member list, in the same
// snapshot (uiSnapshot), so a node seen failed shows its instances
// critical through its serfHealth check in the same refresh.

// UIService is one service of the status page, as /ui/members.json sends
// it in UIMembers.Services.
type UIService struct {
	Name string
	// Tags is the union of the instances' tags, sorted.
	Tags      []string
	Instances []UIInstance
}

// UIInstance is one instance of a service.
type UIInstance struct {
	Node string
	// ID is the service ID, unique on its node (Consul's default is the
	// service name).
	ID string
	// Address is address:port of the service: the service's own address,
	// or the node's when it has none; without ":port" when the port is 0.
	Address string
	Tags    []string
	// Status is the aggregated health (catalog.AggregatedStatus): passing,
	// warning, critical or maintenance ("unknown" for a check status the
	// page does not know).
	Status string
	// Checks are every check that counts against the instance: the node's
	// synthetic ones (serfHealth, _node_maintenance), the node's own, then
	// the instance's.
	Checks []UICheck
}

// UICheck is one check of an instance.
type UICheck struct {
	CheckID string
	Name    string
	Status  string
	// Output is the check's output, or its notes when it has no output (the
	// maintenance checks carry their reason as notes).
	Output string
	// Short is Output cut for display (the first line, at most
	// uiOutputRunes characters, with "…"); it is omitted when Output is
	// short enough to be shown whole.
	Short string `json:",omitempty"`
}

// uiHealths are the instance health statuses the page knows, in the order
// it shows them.
var uiHealths = []string{catalog.StatusPassing, catalog.StatusWarning, catalog.StatusCritical, catalog.StatusMaintenance}

// uiOutputRunes is how much of a check's output the page shows inline;
// the whole output is in the cell's tooltip and its expandable details.
const uiOutputRunes = 80

// uiServicesOf reads every service of tb with its instances, sorted by
// name without regard to case.
func uiServicesOf(tb *catalog.Store) []UIService {
	names, _ := tb.ServiceNames(nil)
	keys := slices.SortedFunc(maps.Keys(names), func(a, b string) int {
		return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	out := make([]UIService, 0, len(keys))
	for _, name := range keys {
		ins, _ := tb.ServiceInstances(name, nil)
		if len(ins) == 0 {
			continue // deregistered between the two reads
		}
		svc := UIService{Name: name, Tags: uiStrings(names[name]), Instances: make([]UIInstance, 0, len(ins))}
		for i := range ins {
			svc.Instances = append(svc.Instances, uiInstanceOf(&ins[i]))
		}
		out = append(out, svc)
	}
	return out
}

func uiInstanceOf(in *catalog.Instance) UIInstance {
	host := in.Service.Address
	if host == "" && in.Node.Addr.IsValid() {
		host = in.Node.Addr.String()
	}
	addr := host
	if in.Service.Port != 0 {
		addr = net.JoinHostPort(host, strconv.Itoa(in.Service.Port))
	}
	status := in.Status()
	if status == "" {
		status = "unknown"
	}
	out := UIInstance{Node: in.Node.Name, ID: in.Service.ID, Address: addr, Tags: uiStrings(in.Service.Tags),
		Status: status, Checks: make([]UICheck, 0, len(in.Checks))}
	for _, c := range in.Checks {
		text := c.Output
		if text == "" {
			text = c.Notes
		}
		out.Checks = append(out.Checks, UICheck{CheckID: c.CheckID, Name: c.Name, Status: c.Status, Output: text, Short: shortOutput(text)})
	}
	return out
}

// uiStrings copies s, as [] rather than null in JSON.
func uiStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// shortOutput is the display form of a check output that is too long to
// show inline: its first non-blank line, cut at uiOutputRunes characters,
// with "…". It returns "" when out is short enough to show whole.
func shortOutput(out string) string {
	first, _, multi := strings.Cut(strings.TrimSpace(out), "\n")
	first = strings.TrimSpace(first)
	if !multi && utf8.RuneCountInString(first) <= uiOutputRunes {
		return ""
	}
	if r := []rune(first); len(r) >= uiOutputRunes {
		first = string(r[:uiOutputRunes-1])
	}
	return strings.TrimRight(first, " \t") + "…"
}

// matches applies the page's service filters: the service name as a
// substring without regard to case, the instance health exactly.
func (s UIService) matches(name string) bool {
	return name == "" || strings.Contains(strings.ToLower(s.Name), strings.ToLower(name))
}

func (in UIInstance) matches(health string) bool { return health == "" || in.Status == health }

// uiServiceFilter is the services part of the page: the services and
// instances the filters keep, and the counts over all of them.
type uiServiceFilter struct {
	Shown            []UIService // services with their matching instances
	Counts           []uiCount   // instances by health, over all services
	Instances, Match int         // instances in all, and after the filters
}

func filterServices(all []UIService, name, health string) uiServiceFilter {
	var f uiServiceFilter
	counts := map[string]int{}
	for _, s := range all {
		kept := s
		kept.Instances = nil
		for _, in := range s.Instances {
			counts[in.Status]++
			f.Instances++
			if s.matches(name) && in.matches(health) {
				kept.Instances = append(kept.Instances, in)
			}
		}
		if len(kept.Instances) > 0 {
			f.Shown = append(f.Shown, kept)
			f.Match += len(kept.Instances)
		}
	}
	for _, h := range uiHealths {
		f.Counts = append(f.Counts, uiCount{Status: h, N: counts[h]})
	}
	return f
}

// checkHealth validates the health filter; "" and "all" mean no filter.
func checkHealth(h string) (string, error) {
	if h == "" || h == "all" {
		return "", nil
	}
	if !slices.Contains(uiHealths, h) {
		return "", fmt.Errorf("unknown health %q: want one of %s", h, strings.Join(uiHealths, ", "))
	}
	return h, nil
}
