package membership

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/discod/discod/internal/datadir"
	"github.com/hashicorp/memberlist"
)

// Gossip encryption. memberlist encrypts every packet with the keyring's
// primary key (AES-GCM) and accepts any installed key, which is what makes
// rotation possible: install a new key everywhere, make it primary
// everywhere, then remove the old one everywhere. The agent fans each step
// out to every live member over memberlist's reliable user messages and
// collects one answer per node.

// Keyring operations, as Consul names them.
const (
	KeyringList    = "list"
	KeyringInstall = "install"
	KeyringUse     = "use"
	KeyringRemove  = "remove"
)

const (
	msgKeyringReq  byte = 2 // id, op, key, origin name
	msgKeyringResp byte = 3 // id, node name, error, keys (comma-separated), primary
)

// NodeKeyring is one node's answer to a keyring operation.
type NodeKeyring struct {
	Node    string
	Error   string   // "" when the node applied the operation
	Keys    []string // base64, after the operation
	Primary string
}

// KeyringResult collects every live member's answer.
type KeyringResult struct {
	Op       string
	NumNodes int           // live members asked, this one included
	Nodes    []NodeKeyring // sorted by node; missing ones timed out
}

// Failed returns the nodes that did not answer or answered with an error.
func (r KeyringResult) Failed() []string {
	var out []string
	answered := map[string]bool{}
	for _, n := range r.Nodes {
		answered[n.Node] = true
		if n.Error != "" {
			out = append(out, n.Node+": "+n.Error)
		}
	}
	if missing := r.NumNodes - len(answered); missing > 0 {
		out = append(out, fmt.Sprintf("%d node(s) did not answer in time", missing))
	}
	return out
}

// GenerateKey returns a new random 32-byte gossip key in base64, the form
// -encrypt takes.
func GenerateKey() string {
	var k [32]byte
	_, _ = rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}

// DecodeKey parses a base64 gossip key and checks its length.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("gossip key is not valid base64: %w", err)
	}
	if err := memberlist.ValidateKey(k); err != nil {
		return nil, fmt.Errorf("gossip key is %d bytes; it must be 16, 24 or 32 bytes (try `discod keygen`)", len(k))
	}
	return k, nil
}

// ReadKeyringFile reads a keyring persisted by the agent: a JSON list of
// base64 keys, primary first. A missing file is (nil, nil).
func ReadKeyringFile(path string) ([][]byte, error) {
	b, ok, err := datadir.Read(path)
	if err != nil || !ok {
		return nil, err
	}
	var enc []string
	if err := json.Unmarshal(b, &enc); err != nil {
		return nil, fmt.Errorf("keyring file %s: not a JSON list of keys: %w", path, err)
	}
	if len(enc) == 0 {
		return nil, fmt.Errorf("keyring file %s holds no key", path)
	}
	var keys [][]byte
	for i, s := range enc {
		k, err := DecodeKey(s)
		if err != nil {
			return nil, fmt.Errorf("keyring file %s, key %d: %w", path, i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// WriteKeyringFile saves keys (primary first) where ReadKeyringFile reads
// them, atomically.
func WriteKeyringFile(path string, keys [][]byte) error {
	enc := make([]string, 0, len(keys))
	for _, k := range keys {
		enc = append(enc, b64(k))
	}
	b, _ := json.MarshalIndent(enc, "", "  ")
	return datadir.Write(path, b)
}

func writeKeyringFile(path string, kr *memberlist.Keyring) error {
	primary := kr.GetPrimaryKey()
	keys := [][]byte{primary}
	for _, k := range kr.GetKeys() {
		if !bytes.Equal(k, primary) {
			keys = append(keys, k)
		}
	}
	return WriteKeyringFile(path, keys)
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// keyringState is the agent's side of keyring fan-outs.
type keyringState struct {
	mu      sync.Mutex // guards pending and next
	pending map[string]chan NodeKeyring
	next    uint64
}

// Encrypted reports whether gossip is encrypted.
func (a *Agent) Encrypted() bool { return a.keyring != nil }

// KeyringOp applies op (list, install, use, remove) with key (base64; empty
// for list) on this node and every live member, and returns each node's
// answer. It waits at most until ctx is done for the others.
func (a *Agent) KeyringOp(ctx context.Context, op, key string) (KeyringResult, error) {
	res := KeyringResult{Op: op}
	if a.keyring == nil {
		return res, errors.New("gossip encryption is not enabled on this agent (start it with -encrypt)")
	}
	switch op {
	case KeyringList:
	case KeyringInstall, KeyringUse, KeyringRemove:
		if _, err := DecodeKey(key); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("unknown keyring operation %q", op)
	}
	a.kr.mu.Lock()
	a.kr.next++
	id := fmt.Sprintf("%s-%d-%d", a.cfg.NodeName, time.Now().UnixNano(), a.kr.next)
	ch := make(chan NodeKeyring, 64)
	if a.kr.pending == nil {
		a.kr.pending = map[string]chan NodeKeyring{}
	}
	a.kr.pending[id] = ch
	a.kr.mu.Unlock()
	defer func() {
		a.kr.mu.Lock()
		delete(a.kr.pending, id)
		a.kr.mu.Unlock()
	}()

	res.Nodes = append(res.Nodes, a.applyKeyringOp(op, key))
	res.NumNodes = 1
	req := encodeMsg(msgKeyringReq, id, op, key, a.cfg.NodeName)
	for _, node := range a.peers() { // peers.go
		res.NumNodes++
		if err := a.ml.SendReliable(node, req); err != nil {
			res.Nodes = append(res.Nodes, NodeKeyring{Node: node.Name, Error: "unreachable: " + err.Error()})
		}
	}
	for len(res.Nodes) < res.NumNodes {
		select {
		case n := <-ch:
			res.Nodes = append(res.Nodes, n)
		case <-ctx.Done():
			return sorted(res), nil
		}
	}
	return sorted(res), nil
}

func sorted(r KeyringResult) KeyringResult {
	slices.SortFunc(r.Nodes, func(a, b NodeKeyring) int { return strings.Compare(a.Node, b.Node) })
	return r
}

// applyKeyringOp applies one operation to our own keyring, persists it and
// describes the outcome.
func (a *Agent) applyKeyringOp(op, key string) NodeKeyring {
	out := NodeKeyring{Node: a.cfg.NodeName}
	if a.keyring == nil {
		out.Error = "gossip encryption is not enabled on this node"
		return out
	}
	var err error
	if op != KeyringList {
		var k []byte
		if k, err = DecodeKey(key); err == nil {
			switch op {
			case KeyringInstall:
				err = a.keyring.AddKey(k)
			case KeyringUse:
				err = a.keyring.UseKey(k)
			case KeyringRemove:
				err = a.keyring.RemoveKey(k)
			}
		}
		if err == nil && a.cfg.KeyringPath != "" {
			if werr := writeKeyringFile(a.cfg.KeyringPath, a.keyring); werr != nil {
				err = fmt.Errorf("applied, but not saved to %s: %w", a.cfg.KeyringPath, werr)
			}
		}
		if err == nil {
			a.log.Info("gossip keyring changed", "op", op)
		}
	}
	if err != nil {
		out.Error = err.Error()
	}
	for _, k := range a.keyring.GetKeys() {
		out.Keys = append(out.Keys, b64(k))
	}
	out.Primary = b64(a.keyring.GetPrimaryKey())
	return out
}

// handleKeyringReq runs on a goroutine of its own (never on memberlist's
// packet path, since it sends a reply).
func (a *Agent) handleKeyringReq(id, op, key, origin string) {
	res := a.applyKeyringOp(op, key)
	node := a.peer(origin)
	if node == nil {
		return
	}
	resp := encodeMsg(msgKeyringResp, id, res.Node, res.Error, strings.Join(res.Keys, ","), res.Primary)
	if err := a.ml.SendReliable(node, resp); err != nil {
		a.log.Warn("cannot answer a keyring request", "origin", origin, "error", err)
	}
}

func (a *Agent) handleKeyringResp(f []string) {
	a.kr.mu.Lock()
	ch := a.kr.pending[f[0]]
	a.kr.mu.Unlock()
	if ch == nil {
		return
	}
	n := NodeKeyring{Node: f[1], Error: f[2], Primary: f[4]}
	if f[3] != "" {
		n.Keys = strings.Split(f[3], ",")
	}
	select {
	case ch <- n:
	default:
	}
}
