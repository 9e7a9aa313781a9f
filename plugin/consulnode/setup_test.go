package consulnode

import (
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/discod/discod/membership"
)

func TestSetup(t *testing.T) {
	c := caddy.NewTestController("dns", "consulnode {\n bind 127.0.2.1:0\n node n1\n}")
	if err := setup(c); err != nil {
		t.Fatalf("setup: %v", err)
	}
	c = caddy.NewTestController("dns", "consulnode {\n bogus\n}")
	err := setup(c)
	if err == nil || !strings.HasPrefix(err.Error(), "plugin/consulnode: ") {
		t.Fatalf("setup error = %v; want one prefixed plugin/consulnode:", err)
	}
}

func TestParse(t *testing.T) {
	const gossip = "\n bind 127.0.2.1\n node n1\n"
	tests := []struct {
		name    string
		input   string
		keys    []string // server block keys
		wantErr string   // substring of the error; "" for success
		check   func(*testing.T, *ConsulNode)
	}{
		{
			name:  "defaults",
			input: "consulnode {" + gossip + "}",
			keys:  []string{"consul.:8600"},
			check: func(t *testing.T, cn *ConsulNode) {
				if cn.ttl != 5 || cn.negTTL != 5 || cn.failedAnswer || cn.noReverse || cn.ra {
					t.Errorf("ttl %d, negative_ttl %d, failed answer %t, no_reverse %t, ra %t; want 5, 5, false, false, false",
						cn.ttl, cn.negTTL, cn.failedAnswer, cn.noReverse, cn.ra)
				}
				if !slices.Equal(cn.Zones, []string{"consul."}) || !slices.Equal(cn.fwdZones, []string{"consul."}) {
					t.Errorf("zones %v, forward %v; want [consul.]", cn.Zones, cn.fwdZones)
				}
				if len(cn.Fall.Zones) != 0 {
					t.Errorf("fallthrough zones %v; want none", cn.Fall.Zones)
				}
			},
		},
		{
			name:  "all dns options",
			input: "consulnode {" + gossip + " ttl 60\n negative_ttl 0\n failed answer\n no_reverse\n recursion_available\n fallthrough in-addr.arpa.\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				if cn.ttl != 60 || cn.negTTL != 0 || !cn.failedAnswer || !cn.noReverse || !cn.ra {
					t.Errorf("ttl %d, negative_ttl %d, failed answer %t, no_reverse %t, ra %t; want 60, 0, true, true, true",
						cn.ttl, cn.negTTL, cn.failedAnswer, cn.noReverse, cn.ra)
				}
				if !slices.Equal(cn.Fall.Zones, []string{"in-addr.arpa."}) {
					t.Errorf("fallthrough zones %v; want [in-addr.arpa.]", cn.Fall.Zones)
				}
			},
		},
		{name: "failed nxdomain", input: "consulnode {" + gossip + " failed nxdomain\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				if cn.failedAnswer {
					t.Error("failed answer set; want nxdomain")
				}
			}},
		{name: "ttl bounds", input: "consulnode {" + gossip + " ttl 3600\n negative_ttl 3600\n}"},
		{name: "bare fallthrough", input: "consulnode {" + gossip + " fallthrough\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				if !slices.Equal(cn.Fall.Zones, []string{"."}) {
					t.Errorf("fallthrough zones %v; want [.]", cn.Fall.Zones)
				}
			}},
		{
			name:  "zones from arguments",
			input: "consulnode consul. ALT.example in-addr.arpa. ip6.arpa. {" + gossip + "}",
			keys:  []string{".:53"},
			check: func(t *testing.T, cn *ConsulNode) {
				if want := []string{"consul.", "alt.example.", "in-addr.arpa.", "ip6.arpa."}; !slices.Equal(cn.Zones, want) {
					t.Errorf("zones %v; want %v", cn.Zones, want)
				}
				if want := []string{"consul.", "alt.example."}; !slices.Equal(cn.fwdZones, want) {
					t.Errorf("forward zones %v; want %v", cn.fwdZones, want)
				}
				if !cn.reverse["in-addr.arpa."] || !cn.reverse["ip6.arpa."] || cn.reverse["consul."] {
					t.Errorf("reverse zones %v; want in-addr.arpa. and ip6.arpa.", cn.reverse)
				}
			},
		},
		{
			name:  "cidr zone",
			input: "consulnode consul. 10.0.0.0/8 {" + gossip + "}",
			check: func(t *testing.T, cn *ConsulNode) {
				if !cn.reverse["10.in-addr.arpa."] {
					t.Errorf("zones %v; want 10.in-addr.arpa. as a reverse zone", cn.Zones)
				}
			},
		},
		{
			name:  "zones from server block",
			input: "consulnode {" + gossip + "}",
			keys:  []string{"dns://consul.:8600", "in-addr.arpa.:8600"},
			check: func(t *testing.T, cn *ConsulNode) {
				if want := []string{"consul.", "in-addr.arpa."}; !slices.Equal(cn.Zones, want) {
					t.Errorf("zones %v; want %v", cn.Zones, want)
				}
			},
		},
		{
			name:  "root server block means consul",
			input: "consulnode {" + gossip + "}",
			keys:  []string{".:53"},
			check: func(t *testing.T, cn *ConsulNode) {
				if !slices.Equal(cn.Zones, []string{"consul."}) {
					t.Errorf("zones %v; want [consul.]", cn.Zones)
				}
			},
		},
		{name: "no zones at all means consul", input: "consulnode {" + gossip + "}",
			check: func(t *testing.T, cn *ConsulNode) {
				if !slices.Equal(cn.Zones, []string{"consul."}) {
					t.Errorf("zones %v; want [consul.]", cn.Zones)
				}
			}},
		{
			name:  "gossip options",
			input: "consulnode {\n node N1\n datacenter DC2\n bind 127.0.2.1\n advertise 127.0.2.2\n join 127.0.2.3 127.0.2.4:8301\n join host.example:7000\n server\n bootstrap_expect 3\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				cfg := cn.gossip.config
				if cn.gossip.process != nil {
					t.Error("process agent set; want none")
				}
				if cfg.NodeName != "N1" || cfg.Datacenter != "dc2" || cfg.Role != membership.RoleServer || cfg.BootstrapExpect != 3 {
					t.Errorf("config node %q dc %q role %q bootstrap %d; want N1 dc2 server 3", cfg.NodeName, cfg.Datacenter, cfg.Role, cfg.BootstrapExpect)
				}
				if cfg.BindAddr != netip.MustParseAddr("127.0.2.1") || cfg.BindPort != 8301 {
					t.Errorf("bind %s:%d; want 127.0.2.1:8301", cfg.BindAddr, cfg.BindPort)
				}
				if cfg.AdvertiseAddr != netip.MustParseAddr("127.0.2.2") || cfg.AdvertisePort != 0 {
					t.Errorf("advertise %s:%d; want 127.0.2.2 with the bind port (0)", cfg.AdvertiseAddr, cfg.AdvertisePort)
				}
				if want := []string{"127.0.2.3", "127.0.2.4:8301", "host.example:7000"}; !slices.Equal(cn.gossip.join, want) {
					t.Errorf("join %v; want %v", cn.gossip.join, want)
				}
				if cfg.Logger == nil {
					t.Error("no logger for the agent")
				}
			},
		},
		{
			name:  "ipv6 bind with port",
			input: "consulnode {\n node n1\n bind [::1]:7000\n advertise [::1]:7001\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				cfg := cn.gossip.config
				if cfg.BindAddr != netip.IPv6Loopback() || cfg.BindPort != 7000 || cfg.AdvertisePort != 7001 {
					t.Errorf("bind %s:%d advertise port %d; want [::1]:7000, 7001", cfg.BindAddr, cfg.BindPort, cfg.AdvertisePort)
				}
			},
		},
		{name: "wildcard bind with advertise", input: "consulnode {\n node n1\n bind 0.0.0.0\n advertise 10.1.2.3\n}"},

		// Errors.
		{
			name: "service options",
			input: "consulnode {" + gossip + " service_ttl Web 10s api* 1m\n service_ttl * 30\n only_passing\n" +
				" udp_answer_limit 3\n a_record_limit 20\n enable_truncate\n}",
			check: func(t *testing.T, cn *ConsulNode) {
				if got := [3]uint32{cn.serviceTTL.lookup("web"), cn.serviceTTL.lookup("apix"), cn.serviceTTL.lookup("db")}; got != [3]uint32{10, 60, 30} {
					t.Errorf("service TTLs of web, apix, db = %v; want [10 60 30]", got)
				}
				if !cn.onlyPassing || cn.udpAnswerLimit != 3 || cn.aRecordLimit != 20 || !cn.enableTruncate {
					t.Errorf("only_passing %t, udp_answer_limit %d, a_record_limit %d, enable_truncate %t; want true, 3, 20, true",
						cn.onlyPassing, cn.udpAnswerLimit, cn.aRecordLimit, cn.enableTruncate)
				}
			},
		},
		{name: "service defaults", input: "consulnode {" + gossip + "}",
			check: func(t *testing.T, cn *ConsulNode) {
				if cn.serviceTTL.lookup("web") != 5 || cn.onlyPassing || cn.udpAnswerLimit != 0 || cn.aRecordLimit != 0 || cn.enableTruncate {
					t.Errorf("service defaults: ttl %d, only_passing %t, limits %d/%d, enable_truncate %t; want 5, false, 0/0, false",
						cn.serviceTTL.lookup("web"), cn.onlyPassing, cn.udpAnswerLimit, cn.aRecordLimit, cn.enableTruncate)
				}
			}},
		{name: "service_ttl odd", input: "consulnode {" + gossip + " service_ttl web\n}", wantErr: "service_ttl takes pairs"},
		{name: "service_ttl bad duration", input: "consulnode {" + gossip + " service_ttl web soon\n}", wantErr: `service_ttl web: "soon" is neither a duration nor a number of seconds`},
		{name: "service_ttl too large", input: "consulnode {" + gossip + " service_ttl web 2h\n}", wantErr: "out of range [0, 3600] seconds"},
		{name: "service_ttl fraction", input: "consulnode {" + gossip + " service_ttl web 1500ms\n}", wantErr: "not a whole number of seconds"},
		{name: "service_ttl inner star", input: "consulnode {" + gossip + " service_ttl w*b 1s\n}", wantErr: "'*' is only allowed at the end"},
		{name: "udp_answer_limit zero", input: "consulnode {" + gossip + " udp_answer_limit 0\n}", wantErr: "udp_answer_limit must be a number of records in [1, 65535]"},
		{name: "a_record_limit missing", input: "consulnode {" + gossip + " a_record_limit\n}", wantErr: "Wrong argument count"},
		{name: "only_passing with argument", input: "consulnode {" + gossip + " only_passing yes\n}", wantErr: "Wrong argument count"},
		{name: "ttl negative", input: "consulnode {" + gossip + " ttl -1\n}", wantErr: "ttl must be in range [0, 3600]: -1"},
		{name: "ttl too large", input: "consulnode {" + gossip + " ttl 3601\n}", wantErr: "ttl must be in range [0, 3600]: 3601"},
		{name: "ttl not a number", input: "consulnode {" + gossip + " ttl 5s\n}", wantErr: "ttl must be a number of seconds"},
		{name: "ttl missing", input: "consulnode {" + gossip + " ttl\n}", wantErr: "Wrong argument count"},
		{name: "negative_ttl too large", input: "consulnode {" + gossip + " negative_ttl 4000\n}", wantErr: "negative_ttl must be in range [0, 3600]: 4000"},
		{name: "failed bad value", input: "consulnode {" + gossip + " failed maybe\n}", wantErr: "failed must be nxdomain or answer"},
		{name: "failed missing", input: "consulnode {" + gossip + " failed\n}", wantErr: "Wrong argument count"},
		{name: "no_reverse with argument", input: "consulnode {" + gossip + " no_reverse yes\n}", wantErr: "Wrong argument count"},
		{name: "recursion_available with argument", input: "consulnode {" + gossip + " recursion_available yes\n}", wantErr: "Wrong argument count"},
		{name: "unknown property", input: "consulnode {" + gossip + " bogus\n}", wantErr: "unknown property 'bogus'"},
		{name: "fallthrough into forward zone", input: "consulnode consul. in-addr.arpa. {" + gossip + " fallthrough consul.\n}", wantErr: "overlaps forward zone consul."},
		{name: "root zone argument", input: "consulnode . {" + gossip + "}", wantErr: "root zone cannot be a consulnode zone"},
		{name: "twice", input: "consulnode {" + gossip + "}\nconsulnode {" + gossip + "}", wantErr: "only be used once per Server Block"},
		{name: "bootstrap_expect without server", input: "consulnode {" + gossip + " bootstrap_expect 3\n}", wantErr: "bootstrap_expect needs `server`"},
		{name: "bootstrap_expect zero", input: "consulnode {" + gossip + " server\n bootstrap_expect 0\n}", wantErr: "bootstrap_expect must be a positive number"},
		{name: "server with argument", input: "consulnode {" + gossip + " server yes\n}", wantErr: "Wrong argument count"},
		{name: "bind host name", input: "consulnode {\n node n1\n bind gossip.example\n}", wantErr: `bind: "gossip.example" is not an IP address or IP:PORT`},
		{name: "bind bad port", input: "consulnode {\n node n1\n bind 127.0.2.1:99999\n}", wantErr: "is not an IP address or IP:PORT"},
		{name: "bind zone", input: "consulnode {\n node n1\n bind fe80::1%eth0\n}", wantErr: "IPv6 zone"},
		{name: "wildcard bind without advertise", input: "consulnode {\n node n1\n bind 0.0.0.0\n}", wantErr: "bind 0.0.0.0 is a wildcard: set `advertise ADDR`"},
		{name: "wildcard advertise", input: "consulnode {" + gossip + " advertise ::\n}", wantErr: "advertise: :: is a wildcard"},
		{name: "bad node name", input: "consulnode {\n node bad_name\n bind 127.0.2.1\n}", wantErr: `node: node name "bad_name" is not a valid DNS label`},
		{name: "bad datacenter", input: "consulnode {" + gossip + " datacenter dc.1\n}", wantErr: `datacenter: datacenter "dc.1" is not a valid DNS label`},
		{name: "join without address", input: "consulnode {" + gossip + " join\n}", wantErr: "Wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tt.input)
			c.ServerBlockKeys = tt.keys
			cn, err := parse(c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parse error = %v; want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "Testfile:") && tt.name != "twice" {
					t.Errorf("parse error %q does not name the Corefile line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if tt.check != nil {
				tt.check(t, cn)
			}
		})
	}
}

// TestParseDefaultNodeName: without `node`, the node name is the first
// label of the host name; a host name that gives none is an error that
// says to set `node`.
func TestParseDefaultNodeName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatalf("no host name: %v", err)
	}
	want, _, _ := strings.Cut(host, ".")
	c := caddy.NewTestController("dns", "consulnode {\n bind 127.0.2.1\n}")
	cn, err := parse(c)
	if membership.ValidateLabel("node name", want) != nil {
		if err == nil || !strings.Contains(err.Error(), "set `node NAME`") {
			t.Errorf("host name %q gives no node name: err = %v; want one that says to set `node NAME`", host, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if got := cn.gossip.config.NodeName; got != want {
		t.Errorf("node name = %q; want %q (first label of %q)", got, want, host)
	}
}
