package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/catalog"
	"github.com/discod/discod/local"
)

// External nodes: Consul's PUT /v1/catalog/register and
// /v1/catalog/deregister register and remove a node without an agent (a
// managed database) with its services and checks. This agent owns what
// it receives (local/external.go): it keeps it in its data dir and
// spreads it with its own services.

func (s *Server) catalogWriteRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /v1/catalog/register", s.write(s.withLocal(s.catalogRegister)))
	mux.HandleFunc("PUT /v1/catalog/deregister", s.write(s.withLocal(s.catalogDeregister)))
}

// registerBody is Consul's structs.RegisterRequest as api.Catalog sends it.
// Fields discod does not use (Namespace, Partition, Locality…) are ignored.
type registerBody struct {
	Datacenter      string
	ID              string
	Node            string
	Address         string
	TaggedAddresses map[string]string
	NodeMeta        map[string]string
	Service         *registerService
	Check           *registerCheck
	Checks          []registerCheck
	SkipNodeUpdate  bool
}

type registerService struct {
	ID, Service       string
	Tags              []string
	Address           string
	Port              int
	Meta              map[string]string
	TaggedAddresses   map[string]catalog.ServiceAddress
	Weights           *catalog.Weights
	EnableTagOverride bool
	// Service-mesh fields are refused: discod has no mesh.
	Kind    string
	Proxy   json.RawMessage
	Connect json.RawMessage
}

type registerCheck struct {
	Node, CheckID, Name, Status, Notes, Output, ServiceID, Type string
	Definition                                                  registerCheckDef
}

type registerCheckDef struct {
	HTTP, TCP, UDP, GRPC, H2PING, Method, Body, TLSServerName string
	Header                                                    map[string][]string
	TLSSkipVerify                                             bool
	Interval, Timeout, DeregisterCriticalServiceAfter         json.RawMessage
}

// deregisterBody is Consul's structs.DeregisterRequest.
type deregisterBody struct {
	Datacenter, Node, ServiceID, CheckID string
}

// decodeCatalogBody reads a JSON object body into v, writing the 400
// (naming the field for a value of the wrong type) when it cannot.
func decodeCatalogBody(w http.ResponseWriter, r *http.Request, what string, v any) bool {
	b, err := readBody(w, r, maxAgentBody) // body.go
	switch {
	case err != nil:
		bodyError(w, err)
		return false
	case len(bytes.TrimSpace(b)) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")):
		httpError(w, http.StatusBadRequest, "missing request body: a JSON object with the "+what)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	err = dec.Decode(v)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		httpError(w, http.StatusBadRequest, fmt.Sprintf("request body: %s: a JSON %s cannot be a %s", te.Field, te.Value, te.Type))
		return false
	case err != nil:
		httpError(w, http.StatusBadRequest, "request body is not a JSON object with the "+what+": "+jsonErrorText(err))
		return false
	case dec.More():
		httpError(w, http.StatusBadRequest, "request body has data after the JSON object")
		return false
	}
	return true
}

// checkDatacenter refuses a registration for another datacenter: discod
// does not forward writes.
func (s *Server) checkDatacenter(w http.ResponseWriter, r *http.Request, body string) bool {
	local := s.Agent.Config().Datacenter
	for _, dc := range []string{body, r.URL.Query().Get("dc")} {
		if dc != "" && !strings.EqualFold(dc, local) {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("Datacenter %q: discod registers external nodes in its own datacenter (%q) only; send the request to an agent of %q", dc, local, dc))
			return false
		}
	}
	return true
}

// catalogRegister serves PUT /v1/catalog/register; it answers true.
func (s *Server) catalogRegister(w http.ResponseWriter, r *http.Request) {
	var b registerBody
	if !decodeCatalogBody(w, r, "catalog registration", &b) || !s.checkDatacenter(w, r, b.Datacenter) {
		return
	}
	reg, err := b.registration()
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.Local.RegisterExternal(reg); err != nil {
		localError(w, err)
		return
	}
	writeJSON(w, true)
}

// catalogDeregister serves PUT /v1/catalog/deregister; it answers true.
func (s *Server) catalogDeregister(w http.ResponseWriter, r *http.Request) {
	var b deregisterBody
	if !decodeCatalogBody(w, r, "catalog deregistration", &b) || !s.checkDatacenter(w, r, b.Datacenter) {
		return
	}
	if _, err := s.Local.DeregisterExternal(b.Node, b.ServiceID, b.CheckID); err != nil {
		localError(w, err)
		return
	}
	writeJSON(w, true)
}

// registration turns the body into local's registration, refusing the
// service-mesh fields and malformed durations by name.
func (b *registerBody) registration() (local.ExternalRegistration, error) {
	reg := local.ExternalRegistration{Node: b.Node, ID: b.ID, Address: b.Address,
		TaggedAddresses: b.TaggedAddresses, NodeMeta: b.NodeMeta, SkipNodeUpdate: b.SkipNodeUpdate}
	if sv := b.Service; sv != nil {
		switch {
		case sv.Kind != "":
			return reg, fmt.Errorf("Service.Kind %q: discod has no service mesh; only plain services can be registered", sv.Kind)
		case isSet(sv.Proxy):
			return reg, errors.New("Service.Proxy: discod has no service mesh; only plain services can be registered")
		case isSet(sv.Connect):
			return reg, errors.New("Service.Connect: discod has no service mesh; only plain services can be registered")
		case sv.Port < 0 || sv.Port > 65535:
			return reg, fmt.Errorf("Service.Port %d: not between 0 and 65535", sv.Port)
		}
		svc := catalog.Service{ID: sv.ID, Name: sv.Service, Tags: sv.Tags, Address: sv.Address, Port: sv.Port,
			Meta: sv.Meta, TaggedAddresses: sv.TaggedAddresses, EnableTagOverride: sv.EnableTagOverride}
		if sv.Weights != nil {
			if sv.Weights.Passing < 0 || sv.Weights.Warning < 0 {
				return reg, fmt.Errorf("Service.Weights %+v: weights cannot be negative", *sv.Weights)
			}
			svc.Weights = *sv.Weights
		}
		reg.Service = &svc
	}
	checks := b.Checks
	if b.Check != nil {
		checks = append([]registerCheck{*b.Check}, checks...)
	}
	for i, c := range checks {
		field := fmt.Sprintf("Checks[%d]", i)
		if b.Check != nil {
			field = "Check"
			if i > 0 {
				field = fmt.Sprintf("Checks[%d]", i-1)
			}
		}
		row := catalog.Check{Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes,
			Output: c.Output, ServiceID: c.ServiceID, Type: c.Type}
		d := c.Definition
		row.Definition = catalog.CheckDefinition{HTTP: d.HTTP, TCP: d.TCP, UDP: d.UDP, GRPC: d.GRPC, H2PING: d.H2PING,
			Method: d.Method, Body: d.Body, TLSServerName: d.TLSServerName, Header: d.Header, TLSSkipVerify: d.TLSSkipVerify}
		for _, p := range []struct {
			name string
			raw  json.RawMessage
			dst  *time.Duration
		}{
			{"Interval", d.Interval, &row.Definition.Interval},
			{"Timeout", d.Timeout, &row.Definition.Timeout},
			{"DeregisterCriticalServiceAfter", d.DeregisterCriticalServiceAfter, &row.Definition.DeregisterCriticalServiceAfter},
		} {
			v, err := parseDuration(p.raw)
			if err != nil {
				return reg, fmt.Errorf("%s.Definition.%s: %w", field, p.name, err)
			}
			*p.dst = v
		}
		reg.Checks = append(reg.Checks, row)
	}
	return reg, nil
}

// isSet reports whether a raw JSON value is present and not null.
func isSet(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// parseDuration reads a duration as Consul's ReadableDuration: a string
// ("10s") or a number of nanoseconds; absent or null is 0.
func parseDuration(raw json.RawMessage) (time.Duration, error) {
	if !isSet(raw) {
		return 0, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if str == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(str)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as \"10s\"", str)
		}
		return d, nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (a string such as \"10s\" or nanoseconds)", raw)
	}
	return time.Duration(n), nil
}
