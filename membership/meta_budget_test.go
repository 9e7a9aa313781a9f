package membership

import (
	"strings"
	"testing"
)

func TestCheckNodeMeta(t *testing.T) {
	// fill returns one pair taking n bytes of the budget, or one less
	// where the value's length crosses a varint boundary.
	fill := func(n int) map[string]string {
		v := strings.Repeat("v", n)
		for NodeMetaPairSize("k", v) > n {
			v = v[1:]
		}
		return map[string]string{"k": v}
	}
	tests := []struct {
		name string
		meta map[string]string
		ok   bool
	}{
		{"none", nil, true},
		{"small", map[string]string{"rack": "r1", "zone": "eu-west-1a", "env": "production"}, true},
		{"exactly the budget", fill(NodeMetaBudget), true},
		{"over", fill(NodeMetaBudget + 2), false},
		{"one 512-byte value", map[string]string{"k": strings.Repeat("v", 512)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckNodeMeta(tt.meta)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckNodeMeta = %v; want ok = %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "memberlist gossips at most 512 bytes") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

// TestNodeMetaBudgetFits checks the promise of NodeMetaBudget: pairs that
// pass CheckNodeMeta encode within memberlist's limit next to discod's own
// fields at their largest.
func TestNodeMetaBudgetFits(t *testing.T) {
	if NodeMetaBudget < 64 {
		t.Fatalf("NodeMetaBudget = %d: too small to be useful", NodeMetaBudget)
	}
	m := worstOwnMeta()
	m.Meta = map[string]string{"a": strings.Repeat("x", 40), "b": ""}
	c := strings.Repeat("y", NodeMetaBudget)
	for CheckNodeMeta(map[string]string{"a": m.Meta["a"], "b": "", "c": c}) != nil {
		c = c[1:]
	}
	m.Meta["c"] = c
	if err := CheckNodeMeta(m.Meta); err != nil {
		t.Fatal(err)
	}
	if _, err := m.encode(); err != nil {
		t.Fatalf("pairs within the budget do not encode: %v", err)
	}
}
