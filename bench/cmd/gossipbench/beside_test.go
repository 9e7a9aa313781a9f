package main

import (
	"bufio"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/membership"
)

// TestServeBeside drives the beside mode's protocol with a small cluster
// joined to an external agent in this process.
func TestServeBeside(t *testing.T) {
	mc := membership.DefaultConfig()
	mc.NodeName = "external"
	mc.BindAddr = netip.MustParseAddr("127.0.11.127")
	mc.BindPort = 0
	ext, err := membership.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ext.Shutdown() }()
	l := ext.Local()
	c := config{sizes: []int{3}, catalog: 6, serveBeside: netip.AddrPortFrom(l.Addr, l.Port).String()}

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveBeside(c, inR, outW)
		_ = outW.Close()
	}()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(prefix string) string {
		t.Helper()
		select {
		case l := <-lines:
			if !strings.HasPrefix(l, prefix) {
				t.Fatalf("got %q; want %q", l, prefix)
			}
			return l
		case <-time.After(60 * time.Second):
			t.Fatalf("no %q within 60 s", prefix)
		}
		return ""
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(inW, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	if l := expect("ready"); l != "ready 3 6" {
		t.Errorf("ready line %q; want \"ready 3 6\"", l)
	}
	if err := poll(30*time.Second, 10*time.Millisecond, func() bool {
		return ext.Table().Count(membership.StateAlive, "", "") == 4
	}); err != nil {
		t.Errorf("the external agent sees %d alive, not 4: %v", ext.Table().Count(membership.StateAlive, "", ""), err)
	}
	send("deploy 50")
	expect("ok")
	send("stop")
	expect("deployed")
	send("quit")
	expect("bye")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = inW.Close()
}
