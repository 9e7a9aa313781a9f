package membership

import (
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// TestMaintenance: a node in maintenance stays alive and its reason
// reaches its peers; leaving maintenance clears it.
func TestMaintenance(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.75"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.76"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })
	if err := two.SetMaintenance(true, "disk swap"); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two in maintenance on one", func() bool {
		m, _ := one.Table().Lookup("two")
		return m.Maintenance == "disk swap" && m.State == StateAlive
	})
	if err := two.SetMaintenance(true, strings.Repeat("x", MaxMaintenanceReason+1)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("too long a reason: %v; want an error naming the limit", err)
	}
	if err := two.SetMaintenance(false, ""); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two out of maintenance on one", func() bool {
		m, _ := one.Table().Lookup("two")
		return m.Maintenance == "" && m.State == StateAlive
	})
	if err := one.SetMaintenance(true, ""); err != nil || one.Maintenance() != DefaultMaintenanceReason {
		t.Errorf("no reason: %v, %q; want Consul's default reason", err, one.Maintenance())
	}
}
