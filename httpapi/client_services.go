package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/discod/discod/servicedef"
)

// ServiceRegister registers s with the agent: PUT
// /v1/agent/service/register with Consul's CamelCase body.
func (c *Client) ServiceRegister(ctx context.Context, s *servicedef.Service) error {
	body, err := json.Marshal(registrationBody(s))
	if err != nil {
		return err
	}
	return c.doBody(ctx, http.MethodPut, "/v1/agent/service/register", bytes.NewReader(body), nil)
}

// ServiceDeregister removes the agent's service id and its checks: PUT
// /v1/agent/service/deregister/<id>.
func (c *Client) ServiceDeregister(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPut, "/v1/agent/service/deregister/"+url.PathEscape(id), nil)
}

// CatalogServices returns GET /v1/catalog/services: each service name of
// the datacenter with the union of its instances' tags.
func (c *Client) CatalogServices(ctx context.Context) (map[string][]string, error) {
	var out map[string][]string
	return out, c.do(ctx, http.MethodGet, "/v1/catalog/services", &out)
}

// CatalogNodes returns GET /v1/catalog/nodes.
func (c *Client) CatalogNodes(ctx context.Context) ([]Node, error) {
	var out []Node
	return out, c.do(ctx, http.MethodGet, "/v1/catalog/nodes", &out)
}

// CatalogServiceNodes returns the nodes with an instance of service name,
// from GET /v1/catalog/service/<name>, in the agent's order, as `consul
// catalog nodes -service` shows them: the node fields of each entry, with
// its node metadata as Meta.
func (c *Client) CatalogServiceNodes(ctx context.Context, name string) ([]Node, error) {
	var entries []struct {
		ID, Node, Address, Datacenter string
		TaggedAddresses, NodeMeta     map[string]string
		CreateIndex, ModifyIndex      uint64
	}
	if err := c.do(ctx, http.MethodGet, "/v1/catalog/service/"+url.PathEscape(name), &entries); err != nil {
		return nil, err
	}
	out := make([]Node, 0, len(entries))
	for _, e := range entries {
		out = append(out, Node{ID: e.ID, Node: e.Node, Address: e.Address, Datacenter: e.Datacenter,
			TaggedAddresses: e.TaggedAddresses, Meta: e.NodeMeta, CreateIndex: e.CreateIndex, ModifyIndex: e.ModifyIndex})
	}
	return out, nil
}

// CatalogNodeServices returns the services of node from GET
// /v1/catalog/node/<node>, as CatalogServices does for the datacenter:
// each name with the union of its instances' tags. An unknown node has
// none.
func (c *Client) CatalogNodeServices(ctx context.Context, node string) (map[string][]string, error) {
	var answer *struct {
		Services map[string]struct {
			Service string
			Tags    []string
		}
	}
	if err := c.do(ctx, http.MethodGet, "/v1/catalog/node/"+url.PathEscape(node), &answer); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	if answer == nil {
		return out, nil
	}
	for _, s := range answer.Services {
		tags := out[s.Service]
		for _, t := range s.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		if tags == nil {
			tags = []string{}
		}
		out[s.Service] = tags
	}
	return out, nil
}

// registrationBody is s as Consul's api.AgentServiceRegistration JSON,
// which the agent decodes with servicedef.DecodeService.
func registrationBody(s *servicedef.Service) map[string]any {
	b := map[string]any{"Name": s.Name}
	setIf(b, "ID", s.ID, s.ID != "")
	setIf(b, "Tags", s.Tags, len(s.Tags) > 0)
	setIf(b, "Address", s.Address, s.Address != "")
	setIf(b, "Port", s.Port, s.Port != 0)
	setIf(b, "Meta", s.Meta, len(s.Meta) > 0)
	setIf(b, "EnableTagOverride", true, s.EnableTagOverride)
	if len(s.TaggedAddresses) > 0 {
		ta := map[string]any{}
		for tag, a := range s.TaggedAddresses {
			ta[tag] = map[string]any{"Address": a.Address, "Port": a.Port}
		}
		b["TaggedAddresses"] = ta
	}
	if w := s.Weights; w != nil {
		b["Weights"] = map[string]int{"Passing": w.Passing, "Warning": w.Warning}
	}
	if len(s.Checks) > 0 {
		checks := make([]map[string]any, 0, len(s.Checks))
		for i := range s.Checks {
			checks = append(checks, checkBody(&s.Checks[i]))
		}
		b["Checks"] = checks
	}
	return b
}

// checkBody is c as Consul's api.AgentServiceCheck JSON.
func checkBody(c *servicedef.Check) map[string]any {
	b := map[string]any{}
	str := func(k, v string) { setIf(b, k, v, v != "") }
	dur := func(k string, d time.Duration) { setIf(b, k, d.String(), d != 0) }
	num := func(k string, n int) { setIf(b, k, n, n != 0) }
	flag := func(k string, v bool) { setIf(b, k, true, v) }
	str("CheckID", c.ID)
	str("Name", c.Name)
	str("Notes", c.Notes)
	str("Status", c.Status)
	str("HTTP", c.HTTP)
	str("TCP", c.TCP)
	str("UDP", c.UDP)
	str("GRPC", c.GRPC)
	str("H2PING", c.H2PING)
	dur("TTL", c.TTL)
	setIf(b, "ScriptArgs", c.Args, len(c.Args) > 0)
	str("Script", c.Script)
	str("AliasNode", c.AliasNode)
	str("AliasService", c.AliasService)
	str("Method", c.Method)
	setIf(b, "Header", c.Header, len(c.Header) > 0)
	str("Body", c.Body)
	str("TLSServerName", c.TLSServerName)
	flag("TLSSkipVerify", c.TLSSkipVerify)
	flag("DisableRedirects", c.DisableRedirects)
	flag("TCPUseTLS", c.TCPUseTLS)
	flag("GRPCUseTLS", c.GRPCUseTLS)
	if c.H2PING != "" {
		b["H2PingUseTLS"] = c.H2PingUseTLS
	}
	dur("Interval", c.Interval)
	dur("Timeout", c.Timeout)
	num("SuccessBeforePassing", c.SuccessBeforePassing)
	num("FailuresBeforeWarning", c.FailuresBeforeWarning)
	num("FailuresBeforeCritical", c.FailuresBeforeCritical)
	dur("DeregisterCriticalServiceAfter", c.DeregisterCriticalServiceAfter)
	num("OutputMaxSize", c.OutputMaxSize)
	return b
}

func setIf(m map[string]any, k string, v any, ok bool) {
	if ok {
		m[k] = v
	}
}
