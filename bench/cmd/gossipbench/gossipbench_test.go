package main

import "testing"

func TestCounters(t *testing.T) {
	c := newCounters()
	c.note("memberlist: Suspect g3 has failed, no acks received")
	c.note("memberlist: Suspect g4 has failed, no acks received")
	c.note("memberlist: Marking g4 as failed, suspect timeout reached (2 peer confirmations)")
	c.note("memberlist: Stream connection from=127.0.10.1:1234")
	s, f := c.falseCounts(map[string]bool{"g4": true})
	if s != 1 || f != 0 {
		t.Errorf("false suspects, failures = %d, %d; want 1, 0 (g4 was killed)", s, f)
	}
}

func TestIsSent(t *testing.T) {
	tests := []struct {
		key  []string
		want bool
	}{
		{[]string{"memberlist", "udp", "sent"}, true},
		{[]string{"svc", "memberlist", "tcp", "sent"}, true},
		{[]string{"memberlist", "udp", "received"}, false},
		{[]string{"sent"}, false},
	}
	for _, tt := range tests {
		if got := isSent(tt.key); got != tt.want {
			t.Errorf("isSent(%v) = %v; want %v", tt.key, got, tt.want)
		}
	}
}

func TestSink(t *testing.T) {
	s := newByteSink()
	s.IncrCounter([]string{"memberlist", "udp", "sent"}, 100)
	s.IncrCounterWithLabels([]string{"memberlist", "tcp", "sent"}, 50, nil)
	s.IncrCounter([]string{"memberlist", "udp", "received"}, 1000)
	if got := s.total(); got != 150 {
		t.Errorf("total = %v; want 150", got)
	}
}

func TestNodeAddr(t *testing.T) {
	for _, i := range []int{1, 255, 256, 700} {
		a := nodeAddr(i).As4()
		if a[0] != 127 || a[1] != 0 || a[2] < 10 || a[2] > 12 {
			t.Errorf("nodeAddr(%d) = %v; want inside 127.0.10.0-127.0.12.255", i, nodeAddr(i))
		}
	}
}

func TestParseConfig(t *testing.T) {
	if _, err := parseConfig([]string{"-profiles", "bogus"}); err == nil {
		t.Error("unknown profile accepted")
	}
	if _, err := parseConfig([]string{"-sizes", "1000"}); err == nil {
		t.Error("1000 real members accepted; the limit is 500")
	}
	c, err := parseConfig([]string{"-short"})
	if err != nil || len(c.sizes) != 1 || c.sizes[0] != 8 || c.trials != 1 {
		t.Errorf("parseConfig(-short) = %+v, %v", c, err)
	}
}

func TestUDPInErrors(t *testing.T) {
	if v := udpInErrors(); v < 0 {
		t.Errorf("udpInErrors() = %d; want a counter (>= 0)", v)
	}
}
