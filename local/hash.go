package local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/discod/discod/catalog"
)

// ServiceHash returns the content hash of service id, Consul's
// ContentHash for GET /v1/agent/service/<id> and its ?hash= blocking: it
// changes whenever the service's row does (its checks are not part of
// it, as in Consul). The value is opaque.
func (s *State) ServiceHash(id string) (string, bool) {
	svc, ok := s.Service(id)
	if !ok {
		return "", false
	}
	return ContentHash(svc), true
}

// ContentHash is the content hash of a service row, its indexes left out.
func ContentHash(svc catalog.Service) string {
	svc.CreateIndex, svc.ModifyIndex = 0, 0
	b, _ := json.Marshal(svc) // map keys are sorted: the encoding is stable
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
