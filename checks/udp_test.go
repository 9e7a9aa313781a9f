package checks

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/discod/discod/servicedef"
)

// udpServer serves on a loopback UDP socket until the test ends, echoing
// datagrams when echo is set.
func udpServer(t *testing.T, echo bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if echo {
				pc.WriteTo(buf[:n], from)
			}
		}
	})
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return pc.LocalAddr().String()
}

func TestUDP(t *testing.T) {
	echo := udpServer(t, true)
	silent := udpServer(t, false)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()

	r, rec := newTestRunner(t, Config{})
	tests := []struct {
		name, addr, status, output string
	}{
		{"echo", echo, "passing", "UDP connect " + echo + ": Success"},
		{"closed port", closed, "critical", "refused"},
		{"no reply", silent, "critical", "no reply within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.Start(servicedef.Check{ID: tt.name, UDP: tt.addr, Interval: fast, Timeout: 200 * time.Millisecond})
			if got := rec.waitFor(t, tt.name, tt.status); !strings.Contains(got.output, tt.output) {
				t.Errorf("output %q does not contain %q", got.output, tt.output)
			}
		})
	}
}
