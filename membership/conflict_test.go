package membership

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

func joinAddr(a *Agent) string {
	l := a.Local()
	return netip.AddrPortFrom(l.Addr, l.Port).String()
}

func TestNameConflictRefusesNewcomer(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.11"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.12"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })

	dup := newAgent(t, testConfig(t, "two", "127.0.1.13"))
	_, err := dup.Join([]string{joinAddr(one)})
	if !errors.Is(err, ErrNameConflict) || !strings.Contains(err.Error(), "127.0.1.12") || !strings.Contains(err.Error(), "127.0.1.13") {
		t.Fatalf("join of a duplicate name: err = %v; want ErrNameConflict naming both addresses", err)
	}
	if m, _ := one.Table().Lookup("two"); m.Addr != netip.MustParseAddr("127.0.1.12") || m.State != StateAlive {
		t.Errorf("incumbent after conflict = %+v; want 127.0.1.12 alive", m)
	}
	testproc.WaitFor(t, 10*time.Second, "the conflict counted on one", func() bool { return one.EventCounts().Conflicts > 0 })
}

func TestCaseOnlyConflictKeepsFirst(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.21"))
	two := newAgent(t, testConfig(t, "web", "127.0.1.22"))
	if _, err := two.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "web alive on one", func() bool { return state(one, "web") == StateAlive })
	upper := newAgent(t, testConfig(t, "WEB", "127.0.1.23"))
	_, _ = upper.Join([]string{joinAddr(one)})
	testproc.WaitFor(t, 10*time.Second, "WEB seen by memberlist on one", func() bool { return one.ml.NumMembers() == 3 })
	if m, _ := one.Table().Lookup("web"); m.Name != "web" || m.Addr != netip.MustParseAddr("127.0.1.22") {
		t.Errorf("web = %+v; want the first holder (127.0.1.22)", m)
	}
}

func TestNameReuseAfterFailure(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.31"))
	old := newAgent(t, testConfig(t, "two", "127.0.1.32"))
	if _, err := old.Join([]string{joinAddr(one)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive on one", func() bool { return state(one, "two") == StateAlive })
	_ = old.Shutdown() // a crash: no leave
	testproc.WaitFor(t, 20*time.Second, "two failed on one", func() bool { return state(one, "two") == StateFailed })

	repl := newAgent(t, testConfig(t, "two", "127.0.1.33"))
	if _, err := repl.Join([]string{joinAddr(one)}); err != nil {
		t.Fatalf("join of the replacement: %v", err)
	}
	testproc.WaitFor(t, 10*time.Second, "two alive at the new address", func() bool {
		m, _ := one.Table().Lookup("two")
		return m.State == StateAlive && m.Addr == netip.MustParseAddr("127.0.1.33")
	})
	if _, ok := one.Table().LookupAddr(netip.MustParseAddr("127.0.1.32")); ok {
		t.Error("the old address still maps to a member")
	}
}
