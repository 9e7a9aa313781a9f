package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/bench/internal/runtimestats"
)

// TestModes starts every kind of server the kit measures, in this
// process, on loopback addresses the kit itself does not use, and runs
// the orchestrator's protocol against it once: ready (which includes the
// server's own check of the answer for node0), mark, stats, quit. It
// catches a change elsewhere in the tree (corefile, consulnode,
// membership) that breaks a benchmark server, without dnsperf.
func TestModes(t *testing.T) {
	corefile := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(corefile, []byte("consul.:8653 {\n    bind 127.0.9.254\n    errors\n    consulnode consul.\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode, chain, addr string
		extra             []string
	}{
		{"consulnode", "bare", "127.0.9.250", nil},
		{"consulnode", "default", "127.0.9.251", nil},
		{"hosts", "bare", "127.0.9.252", nil},
		{"miekg", "bare", "127.0.9.253", nil},
		{"consulnode", "file", "127.0.9.254", []string{"-corefile", corefile, "-instances", "100", "-members", "40"}},
		{"hosts", "bare", "127.0.9.252", []string{"-instances", "43", "-members", "40"}},
		{"miekg", "bare", "127.0.9.253", []string{"-instances", "43", "-members", "40"}},
	}
	for _, tt := range tests {
		name := tt.mode + "/" + tt.chain
		if tt.extra != nil {
			name += "+services"
		}
		t.Run(name, func(t *testing.T) {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			t.Cleanup(func() { _ = inW.Close() }) // end of input stops the server if the test stops early
			errc := make(chan error, 1)
			go func() {
				args := append([]string{"-mode", tt.mode, "-chain", tt.chain, "-addr", tt.addr, "-port", "8653", "-members", "20"}, tt.extra...)
				err := run(args, inR, outW)
				_ = outW.CloseWithError(fmt.Errorf("server returned: %v", err))
				errc <- err
			}()
			lines := make(chan string, 16)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(outR)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			next := func() string {
				t.Helper()
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("server stopped: %v", <-errc)
					}
					return l
				case <-time.After(60 * time.Second): // a hang, not a timing assertion
					t.Fatal("no line from the server within 60 s")
				}
				return ""
			}
			if l := next(); l != "ready" {
				t.Fatalf("first line %q; want ready", l)
			}
			for _, cmd := range []string{"mark", "stats", "bogus", "quit"} {
				if _, err := fmt.Fprintln(inW, cmd); err != nil {
					t.Fatalf("send %s: %v", cmd, err)
				}
				if cmd == "quit" {
					break
				}
				l := next()
				switch cmd {
				case "mark":
					if l != "ok" {
						t.Errorf("mark: %q; want ok", l)
					}
				case "stats":
					var s runtimestats.Summary
					if err := json.Unmarshal([]byte(l), &s); err != nil {
						t.Errorf("stats: %q: %v", l, err)
					}
				case "bogus":
					if !strings.HasPrefix(l, "error:") {
						t.Errorf("unknown command: %q; want an error line", l)
					}
				}
			}
			if err := <-errc; err != nil {
				t.Errorf("server: %v", err)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-addr", "192.0.2.1"}); err == nil {
		t.Error("a non-loopback address was accepted")
	}
	if _, err := parseFlags([]string{"-members", "0"}); err == nil {
		t.Error("-members 0 was accepted")
	}
	o, err := parseFlags([]string{"-mode", "hosts", "-members", "10"})
	if err != nil || o.mode != "hosts" || o.members != 10 {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
}

func TestMemberAddr(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 255, 256, 65535, 65536, 100000} {
		a := memberAddr(i)
		b := a.As4()
		if b[0] != 198 || (b[1] != 18 && b[1] != 19) {
			t.Errorf("memberAddr(%d) = %v; want inside 198.18.0.0/15", i, a)
		}
		if seen[a.String()] {
			t.Errorf("memberAddr(%d) = %v twice", i, a)
		}
		seen[a.String()] = true
	}
}
