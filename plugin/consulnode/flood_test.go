package consulnode

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

// TestMembershipFloodDoesNotStallDNS: while a flood of membership changes
// (joins, failures, leaves, reaps) hits the table from several goroutines,
// every query is still answered correctly. The race detector checks the
// locking; the test checks that answers never go missing or wrong.
func TestMembershipFloodDoesNotStallDNS(t *testing.T) {
	cn, tbl := newTestPlugin(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states := []membership.State{membership.StateAlive, membership.StateFailed, membership.StateLeft}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := "churn" + strconv.Itoa(w) + "-" + strconv.Itoa(i%500)
				if i%7 == 0 {
					tbl.Remove(name)
					continue
				}
				tbl.Upsert(membership.Member{Name: name, Datacenter: "dc1", Addr: netip.AddrFrom4([4]byte{10, byte(w), byte(i >> 8), byte(i)}), State: states[i%3]})
			}
		}()
	}
	ctx := context.Background()
	for i := range 5000 {
		r := new(dns.Msg)
		r.SetQuestion("web.node.consul.", dns.TypeA)
		w := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := cn.ServeDNS(ctx, w, r); err != nil || w.Msg == nil || len(w.Msg.Answer) != 1 {
			close(stop)
			wg.Wait()
			t.Fatalf("query %d during the flood: err %v, reply %v", i, err, w.Msg)
		}
	}
	close(stop)
	wg.Wait()
}
