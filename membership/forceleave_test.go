package membership

import (
	"errors"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

func TestForceLeaveSpreads(t *testing.T) {
	one := newAgent(t, testConfig(t, "one", "127.0.1.51"))
	two := newAgent(t, testConfig(t, "two", "127.0.1.52"))
	three := newAgent(t, testConfig(t, "three", "127.0.1.53"))
	for _, a := range []*Agent{two, three} {
		if _, err := a.Join([]string{joinAddr(one)}); err != nil {
			t.Fatal(err)
		}
	}
	testproc.WaitFor(t, 10*time.Second, "three alive on two", func() bool { return state(two, "three") == StateAlive })
	if err := one.ForceLeave("three", false); !errors.Is(err, ErrNotFailed) {
		t.Errorf("force-leave of a live member: %v; want ErrNotFailed", err)
	}
	if err := one.ForceLeave("nobody", false); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("force-leave of an unknown member: %v; want ErrUnknownMember", err)
	}
	_ = three.Shutdown()
	for _, a := range []*Agent{one, two} {
		testproc.WaitFor(t, 20*time.Second, "three failed", func() bool { return state(a, "three") == StateFailed })
	}
	if err := one.ForceLeave("Three", false); err != nil {
		t.Fatal(err)
	}
	if state(one, "three") != StateLeft {
		t.Errorf("on one: %v; want left at once", state(one, "three"))
	}
	testproc.WaitFor(t, 10*time.Second, "three left on two by gossip", func() bool { return state(two, "three") == StateLeft })

	if err := two.ForceLeave("three", true); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "three pruned on one by gossip", func() bool { return state(one, "three") == StateNone })
}
