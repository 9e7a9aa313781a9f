package servicedef

import (
	"maps"
	"slices"

	"github.com/discod/discod/catalog"
)

// ToCatalog returns the catalog row of the service. Defaults (ID from
// Name, weights 1/1) are applied here too, so a definition that skipped
// Normalize still converts sensibly.
func (s *Service) ToCatalog() catalog.Service {
	out := catalog.Service{
		ID: s.ID, Name: s.Name, Tags: slices.Clone(s.Tags), Address: s.Address, Port: s.Port,
		Meta: maps.Clone(s.Meta), TaggedAddresses: maps.Clone(s.TaggedAddresses),
		EnableTagOverride: s.EnableTagOverride, Weights: catalog.DefaultWeights,
	}
	if out.ID == "" {
		out.ID = s.Name
	}
	if s.Weights != nil {
		out.Weights = *s.Weights
	}
	return out
}

// ToCatalog returns the catalog row of the check with status as its
// current status ("" for the definition's initial one, itself critical by
// default) and output as its output.
func (c *Check) ToCatalog(status, output string) catalog.Check {
	if status == "" {
		status = c.Status
	}
	if status == "" {
		status = catalog.StatusCritical
	}
	return catalog.Check{
		CheckID: c.ID, Name: c.Name, Status: status, Notes: c.Notes, Output: output,
		ServiceID: c.ServiceID, Type: c.Type(),
		Definition: catalog.CheckDefinition{
			HTTP: c.HTTP, TCP: c.TCP, UDP: c.UDP, GRPC: c.GRPC, H2PING: c.H2PING,
			Method: c.Method, Header: maps.Clone(c.Header), Body: c.Body,
			TLSServerName: c.TLSServerName, TLSSkipVerify: c.TLSSkipVerify,
			Interval: c.Interval, Timeout: c.Timeout,
			DeregisterCriticalServiceAfter: c.DeregisterCriticalServiceAfter,
		},
	}
}
