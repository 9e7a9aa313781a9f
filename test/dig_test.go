package test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// digOut is what the tests read from dig's own output.
type digOut struct {
	raw    string
	status string   // NOERROR, NXDOMAIN, ...
	flags  []string // qr aa rd ...
	opt    bool     // an OPT pseudosection was printed
	answer []string // records, whitespace-normalised
	auth   []string
	extra  []string
}

func (d digOut) hasFlag(f string) bool {
	for _, x := range d.flags {
		if x == f {
			return true
		}
	}
	return false
}

var (
	statusRE = regexp.MustCompile(`status: ([A-Z]+)`)
	flagsRE  = regexp.MustCompile(`;; flags: ([a-z ]+);`)
)

// dig runs dig with args and parses its default output.
func dig(t *testing.T, args ...string) digOut {
	t.Helper()
	if _, err := exec.LookPath("dig"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dig is missing: apt-get install bind9-dnsutils")
		}
		t.Skip("dig is missing: install the Debian package bind9-dnsutils")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, "dig", append([]string{"+tries=1", "+time=3"}, args...)...).CombinedOutput()
	if err != nil && !strings.Contains(string(b), "status:") {
		t.Fatalf("dig %v: %v\n%s", args, err, b)
	}
	d := digOut{raw: string(b)}
	if m := statusRE.FindStringSubmatch(d.raw); m != nil {
		d.status = m[1]
	}
	if m := flagsRE.FindStringSubmatch(d.raw); m != nil {
		d.flags = strings.Fields(m[1])
	}
	section := ""
	for _, line := range strings.Split(d.raw, "\n") {
		switch {
		case strings.HasPrefix(line, ";; OPT PSEUDOSECTION"):
			d.opt = true
		case strings.HasPrefix(line, ";; ANSWER SECTION"):
			section = "answer"
		case strings.HasPrefix(line, ";; AUTHORITY SECTION"):
			section = "auth"
		case strings.HasPrefix(line, ";; ADDITIONAL SECTION"):
			section = "extra"
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, ";"):
			if strings.TrimSpace(line) == "" {
				section = ""
			}
		default:
			rr := strings.Join(strings.Fields(line), " ")
			switch section {
			case "answer":
				d.answer = append(d.answer, rr)
			case "auth":
				d.auth = append(d.auth, rr)
			case "extra":
				d.extra = append(d.extra, rr)
			}
		}
	}
	return d
}

// TestDigDNSRules checks the DNS interface the way an operator sees it:
// flags, sections and TTLs from dig's own output, over UDP, TCP and with
// EDNS buffer sizes.
func TestDigDNSRules(t *testing.T) {
	a := startAgent(t, "d1", "127.0.0.14", "-node=d1", "-bind=127.0.0.14", "-client=127.0.0.14",
		"-node-meta", "rack:r1", "-node-meta", "env:prod", "-alt-domain", "discod.test")
	defer a.signal(syscall.SIGINT)
	at := []string{"@127.0.0.14", "-p", "8600"}
	soa := regexp.MustCompile(`^consul\. 5 IN SOA ns\.consul\. hostmaster\.consul\. \d+ 3600 600 86400 5$`)

	tests := []struct {
		name   string
		args   []string
		status string
		aa     bool
		answer []string // exact records; nil = no answer section
		auth   *regexp.Regexp
		check  func(t *testing.T, d digOut)
	}{
		{name: "A over UDP", args: []string{"d1.node.consul", "A"}, status: "NOERROR", aa: true,
			answer: []string{"d1.node.consul. 5 IN A 127.0.0.14"}},
		{name: "A over TCP", args: []string{"+tcp", "d1.node.dc1.consul", "A"}, status: "NOERROR", aa: true,
			answer: []string{"d1.node.dc1.consul. 5 IN A 127.0.0.14"}},
		{name: "case echoed", args: []string{"D1.Node.CONSUL", "A"}, status: "NOERROR", aa: true,
			answer: []string{"D1.Node.CONSUL. 5 IN A 127.0.0.14"}},
		{name: "alt domain", args: []string{"d1.node.discod.test", "A"}, status: "NOERROR", aa: true,
			answer: []string{"d1.node.discod.test. 5 IN A 127.0.0.14"}},
		{name: "NODATA for AAAA", args: []string{"d1.node.consul", "AAAA"}, status: "NOERROR", aa: true, auth: soa},
		{name: "NODATA for MX", args: []string{"d1.node.consul", "MX"}, status: "NOERROR", aa: true, auth: soa},
		{name: "NODATA for DS, never forwarded", args: []string{"d1.node.consul", "DS"}, status: "NOERROR", aa: true, auth: soa},
		{name: "NXDOMAIN unknown node", args: []string{"nope.node.consul", "A"}, status: "NXDOMAIN", aa: true, auth: soa},
		{name: "NXDOMAIN unknown datacenter", args: []string{"d1.node.dc9.consul", "A"}, status: "NXDOMAIN", aa: true, auth: soa},
		{name: "empty non-terminal is NODATA", args: []string{"node.consul", "A"}, status: "NOERROR", aa: true, auth: soa},
		{name: "TXT from node metadata", args: []string{"d1.node.consul", "TXT"}, status: "NOERROR", aa: true,
			answer: []string{`d1.node.consul. 5 IN TXT "env=prod"`, `d1.node.consul. 5 IN TXT "rack=r1"`}},
		{name: "apex SOA", args: []string{"consul", "SOA"}, status: "NOERROR", aa: true,
			check: func(t *testing.T, d digOut) {
				if len(d.answer) != 1 || !soa.MatchString(d.answer[0]) {
					t.Errorf("answer %q; want the zone SOA", d.answer)
				}
			}},
		{name: "apex NS with glue", args: []string{"consul", "NS"}, status: "NOERROR", aa: true,
			answer: []string{"consul. 5 IN NS ns.consul."},
			check: func(t *testing.T, d digOut) {
				if len(d.extra) != 1 || d.extra[0] != "ns.consul. 5 IN A 127.0.0.14" {
					t.Errorf("additional %q; want the agent's address as glue", d.extra)
				}
			}},
		{name: "addr lookup", args: []string{"7f00000e.addr.consul", "A"}, status: "NOERROR", aa: true,
			answer: []string{"7f00000e.addr.consul. 5 IN A 127.0.0.14"}},
		{name: "PTR of a member", args: []string{"-x", "127.0.0.14"}, status: "NOERROR", aa: true,
			answer: []string{"14.0.0.127.in-addr.arpa. 5 IN PTR d1.node.dc1.consul."}},
		{name: "unknown PTR without recursors is REFUSED", args: []string{"-x", "127.0.0.99"}, status: "REFUSED"},
		{name: "out of zone without recursors is REFUSED", args: []string{"example.org", "A"}, status: "REFUSED"},
		{name: "class CH is REFUSED", args: []string{"-c", "CH", "d1.node.consul", "A"}, status: "REFUSED"},
		{name: "zone transfer is refused", args: []string{"consul", "AXFR"},
			check: func(t *testing.T, d digOut) {
				// dig prints no header for a refused transfer, only this.
				if !strings.Contains(d.raw, "Transfer failed") {
					t.Errorf("AXFR was not refused:\n%s", d.raw)
				}
				if r := query(t, "tcp", "127.0.0.14:8600", "consul.", dns.TypeAXFR); r.Rcode != dns.RcodeRefused {
					t.Errorf("AXFR rcode %s; want REFUSED", dns.RcodeToString[r.Rcode])
				}
			}},
		{name: "EDNS echoed", args: []string{"+bufsize=1232", "d1.node.consul", "A"}, status: "NOERROR", aa: true,
			answer: []string{"d1.node.consul. 5 IN A 127.0.0.14"},
			check: func(t *testing.T, d digOut) {
				if !d.opt {
					t.Error("no OPT record in the reply to an EDNS query")
				}
			}},
		{name: "no EDNS, no OPT", args: []string{"+noedns", "d1.node.consul", "A"}, status: "NOERROR", aa: true,
			answer: []string{"d1.node.consul. 5 IN A 127.0.0.14"},
			check: func(t *testing.T, d digOut) {
				if d.opt {
					t.Error("OPT record in the reply to a query without EDNS")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dig(t, append(append([]string{}, at...), tt.args...)...)
			if d.status != tt.status {
				t.Fatalf("status %s; want %s\n%s", d.status, tt.status, d.raw)
			}
			if d.hasFlag("aa") != tt.aa {
				t.Errorf("flags %v; want aa=%v", d.flags, tt.aa)
			}
			if d.hasFlag("ra") {
				t.Errorf("flags %v: RA set without recursors", d.flags)
			}
			if tt.answer != nil && strings.Join(d.answer, "|") != strings.Join(tt.answer, "|") {
				t.Errorf("answer %q; want %q", d.answer, tt.answer)
			}
			if tt.answer == nil && tt.check == nil && len(d.answer) != 0 {
				t.Errorf("answer %q; want none", d.answer)
			}
			if tt.auth != nil && (len(d.auth) != 1 || !tt.auth.MatchString(d.auth[0])) {
				t.Errorf("authority %q; want the zone SOA with TTL 5", d.auth)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}
