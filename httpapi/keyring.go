package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/discod/discod/membership"
)

// KeyringResponse is one entry of the keyring endpoints' answer, in
// Consul's shape (api.KeyringResponse): one entry for the LAN pool, and
// on a server a first one for the WAN pool (WAN true). Messages maps a node name to
// its error, and Nodes (discod's own) lists every node's answer.
type KeyringResponse struct {
	WAN         bool
	Datacenter  string
	Segment     string
	Keys        map[string]int
	PrimaryKeys map[string]int
	NumNodes    int
	NumResp     int
	Messages    map[string]string
	Nodes       []membership.NodeKeyring
}

// keyringRequest is the body of POST, PUT and DELETE, as in Consul.
type keyringRequest struct {
	Key string
}

// keyringTimeout bounds how long a keyring operation waits for the other
// members' answers.
const keyringTimeout = 10 * time.Second

// keyring serves /v1/operator/keyring: GET lists, POST installs, PUT makes
// primary, DELETE removes. Every node's outcome is in the answer; the
// status is 200 when the operation could be attempted at all.
func (s *Server) keyring(w http.ResponseWriter, r *http.Request) {
	op := map[string]string{
		http.MethodGet: membership.KeyringList, http.MethodPost: membership.KeyringInstall,
		http.MethodPut: membership.KeyringUse, http.MethodDelete: membership.KeyringRemove,
	}[r.Method]
	var req keyringRequest
	if op != membership.KeyringList {
		body, err := readBody(w, r, 4096) // body.go
		if err != nil {
			bodyError(w, err)
			return
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Key == "" {
			httpError(w, http.StatusBadRequest, `body must be JSON {"Key": "<base64 gossip key>"}`)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), keyringTimeout)
	defer cancel()
	// A server applies the operation to the WAN pool too, as Consul does:
	// the WAN entry first, then the LAN one. The pools keep separate
	// keyrings, so a failure in one is reported, never hidden by the other.
	var out []KeyringResponse
	if wan := s.Agent.WAN(); wan != nil {
		res, err := wan.KeyringOp(ctx, op, req.Key)
		if err != nil {
			httpError(w, http.StatusBadRequest, "WAN pool: "+err.Error())
			return
		}
		out = append(out, keyringResponse(res, true, s.Agent.Config().Datacenter))
	}
	res, err := s.Agent.KeyringOp(ctx, op, req.Key)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	out = append(out, keyringResponse(res, false, s.Agent.Config().Datacenter))
	writeJSON(w, out)
}

// keyringResponse summarises one pool's answers in Consul's shape.
func keyringResponse(res membership.KeyringResult, wan bool, dc string) KeyringResponse {
	out := KeyringResponse{
		WAN: wan, Datacenter: dc, Keys: map[string]int{}, PrimaryKeys: map[string]int{},
		NumNodes: res.NumNodes, NumResp: len(res.Nodes), Messages: map[string]string{}, Nodes: res.Nodes,
	}
	for _, n := range res.Nodes {
		if n.Error != "" {
			out.Messages[n.Node] = n.Error
		}
		for _, k := range n.Keys {
			out.Keys[k]++
		}
		if n.Primary != "" {
			out.PrimaryKeys[n.Primary]++
		}
	}
	if missing := res.NumNodes - len(res.Nodes); missing > 0 {
		out.Messages["(no answer)"] = fmt.Sprintf("%d node(s) did not answer within %s", missing, keyringTimeout)
	}
	return out
}
