package membership

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// The datacenter list tests use 127.0.1.220–127.0.1.223.

// dcListWait bounds the wait for a datacenter list to arrive: a
// push/pull period of the local profile and then some.
const dcListWait = 40 * time.Second

// manyDatacenters returns n datacenter names long enough that far fewer
// than n fit the 512-byte node metadata.
func manyDatacenters(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("dc-%03d-%s", i, strings.Repeat("x", 20)))
	}
	return out
}

// TestDatacenterListWhole: a server's datacenter list reaches a client
// whole, however long (by message), and a client that joins later gets it
// in the join's push/pull exchange; a metadata update of the server does
// not undo it, a shorter list replaces it, and the metadata still holds
// the cut copy the previous release reads.
func TestDatacenterListWhole(t *testing.T) {
	sc := testConfig(t, "s1", "127.0.1.220")
	sc.Role = RoleServer
	s := newAgent(t, sc)
	c := newAgent(t, testConfig(t, "c1", "127.0.1.221"))
	if _, err := c.Join([]string{joinAddr(s)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "s1 alive on c1", func() bool { return state(c, "s1") == StateAlive })

	many := manyDatacenters(100)
	want := append([]string{"dc1"}, many...)
	s.setDatacenters(many)
	// The list goes by a reliable message; if that send fails (a loaded
	// machine: the local profile's TCP timeout is 1 s), the next push/pull
	// (15 s in that profile) carries it, so the bound covers that.
	testproc.WaitFor(t, dcListWait, "c1 to learn all 100 datacenters", func() bool { return slices.Equal(c.Datacenters(), want) })
	if m, _ := decodeMeta(*s.dlg.meta.Load()); !m.DatacentersPartial || len(m.Datacenters) == 0 || len(m.Datacenters) >= len(many) {
		t.Errorf("metadata for the previous release holds %d datacenters, partial %v; want a cut copy", len(m.Datacenters), m.DatacentersPartial)
	}

	late := newAgent(t, testConfig(t, "c2", "127.0.1.222"))
	if _, err := late.Join([]string{joinAddr(c)}); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, dcListWait, "c2 to learn all 100 datacenters from c1's push/pull", func() bool { return slices.Equal(late.Datacenters(), want) })

	if err := s.SetMaintenance(true, "test"); err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, 10*time.Second, "s1 in maintenance on c1", func() bool { m, _ := c.Table().Lookup("s1"); return m.Maintenance == "test" })
	if got := c.Datacenters(); !slices.Equal(got, want) {
		t.Errorf("after a metadata update of s1: %d datacenters; want %d", len(got), len(want))
	}

	// A member the server does not know yet gets a change only at its next
	// push/pull: wait until s1 knows c2.
	testproc.WaitFor(t, 10*time.Second, "c2 alive on s1", func() bool { return state(s, "c2") == StateAlive })
	s.setDatacenters(many[:2])
	testproc.WaitFor(t, 10*time.Second, "c1 and c2 to follow the shorter list", func() bool {
		return slices.Equal(c.Datacenters(), want[:3]) && slices.Equal(late.Datacenters(), want[:3])
	})
}

// TestApplyDatacentersOrder: a list replaces the one held only for the
// run the table holds and with a higher version.
func TestApplyDatacentersOrder(t *testing.T) {
	a := newAgent(t, testConfig(t, "one", "127.0.1.223"))
	a.Table().Upsert(Member{Name: "S1", Datacenter: "dc1", Role: RoleServer, State: StateAlive, Run: "r1"})
	steps := []struct {
		name string
		l    dcList
		want []string
	}{
		{"first list", dcList{"s1", "r1", 2, []string{"dc3", "DC2", "bad_dc"}}, []string{"dc2", "dc3"}},
		{"older version", dcList{"s1", "r1", 1, []string{"dc9"}}, []string{"dc2", "dc3"}},
		{"other run", dcList{"s1", "r0", 5, []string{"dc9"}}, []string{"dc2", "dc3"}},
		{"version 0 (metadata only)", dcList{"s1", "r1", 0, nil}, []string{"dc2", "dc3"}},
		{"newer version", dcList{"S1", "r1", 3, []string{"dc4"}}, []string{"dc4"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a.applyDatacenters(st.l, "test")
			if m, _ := a.Table().Lookup("s1"); !reflect.DeepEqual(m.Datacenters, st.want) {
				t.Errorf("held %v; want %v", m.Datacenters, st.want)
			}
		})
	}
}

func TestDatacenterSectionRoundTrip(t *testing.T) {
	tb := NewTable()
	tb.Upsert(Member{Name: "s1", Run: "r1", Role: RoleServer, State: StateAlive, Datacenters: []string{"dc2", "dc3"}, DatacentersVersion: 4})
	tb.Upsert(Member{Name: "s2", Run: "r2", Role: RoleServer, State: StateAlive, Datacenters: []string{"dc2"}}) // from metadata: not sent
	var got []dcList
	if err := decodeDatacenterSection(encodeDatacenterSection(tb), func(l dcList) { got = append(got, l) }); err != nil {
		t.Fatal(err)
	}
	if want := []dcList{{"s1", "r1", 4, []string{"dc2", "dc3"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %+v; want %+v", got, want)
	}
	for _, bad := range [][]byte{{1}, {1, 2, 's'}, {200}} {
		if err := decodeDatacenterSection(bad, func(dcList) {}); err == nil {
			t.Errorf("decode(%x) = nil error; want one", bad)
		}
	}
}
