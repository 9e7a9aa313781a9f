package consulnode

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
	"github.com/discod/discod/membership"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/discod/discod/internal/testproc"
)

// testKey is a valid 32-byte gossip key, and otherKey another one.
const (
	testKey  = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
	otherKey = "3hPtYH1CWyNx2dFUgnJ6bSJG2Q4ZhrvBDEhkHFNRnz0="
)

// TestStartupNoAgent: with no registered agent and no `bind`, OnStartup
// says to set bind, at the block's last line. These cases were parse
// errors (TestParse's "no bind" and "no block") while parse read the
// process-global agent; the registry is read by OnStartup.
func TestStartupNoAgent(t *testing.T) {
	tests := []struct {
		name, input, wantErr string
	}{
		{name: "no bind", input: "consulnode {\n node n1\n}", wantErr: "no gossip agent: outside discod, set `bind ADDR[:PORT]`"},
		{name: "no block", input: "consulnode", wantErr: "no gossip agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, err := parse(caddy.NewTestController("dns", tt.input))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = cn.OnStartup()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Testfile:") {
				t.Fatalf("OnStartup error = %v; want one naming the Corefile line containing %q", err, tt.wantErr)
			}
			if err := cn.OnShutdown(); err != nil {
				t.Errorf("OnShutdown after a failed start: %v", err)
			}
		})
	}
}

// TestParseGossipOptions covers the stock CoreDNS options beyond the
// basic ones: encryption, the keyring file, the data dir, rejoin and the
// gossip tuning keys. Each bad value is an error naming the option and
// its line.
func TestParseGossipOptions(t *testing.T) {
	const gossip = "\n bind 127.0.2.1\n node n1\n"
	tests := []struct {
		name    string
		input   string
		wantErr string
		check   func(*testing.T, gossipSetup)
	}{
		{name: "encrypt", input: "consulnode {" + gossip + " encrypt " + testKey + "\n}",
			check: func(t *testing.T, gs gossipSetup) {
				if len(gs.seed) != 1 || len(gs.seed[0]) != 32 || gs.keyringFile != "" {
					t.Errorf("seed %d key(s), keyring file %q; want one 32-byte key and no file", len(gs.seed), gs.keyringFile)
				}
			}},
		{name: "data dir keeps snapshot and keyring", input: "consulnode {" + gossip + " encrypt " + testKey + "\n data_dir /var/lib/coredns/gossip/\n}",
			check: func(t *testing.T, gs gossipSetup) {
				if gs.config.SnapshotPath != "/var/lib/coredns/gossip/peers.json" || gs.keyringFile != "/var/lib/coredns/gossip/keyring" {
					t.Errorf("snapshot %q, keyring %q; want both in /var/lib/coredns/gossip", gs.config.SnapshotPath, gs.keyringFile)
				}
			}},
		{name: "keyring_file wins over data dir", input: "consulnode {" + gossip + " data_dir /d\n keyring_file /etc/coredns/keyring\n rejoin_after_leave\n}",
			check: func(t *testing.T, gs gossipSetup) {
				if gs.keyringFile != "/etc/coredns/keyring" || !gs.keyringSet || !gs.rejoin {
					t.Errorf("keyring %q (set %t), rejoin %t; want /etc/coredns/keyring, true, true", gs.keyringFile, gs.keyringSet, gs.rejoin)
				}
			}},
		{name: "tuning", input: "consulnode {" + gossip + " gossip_nodes 5\n gossip_interval 150ms\n probe_interval 2s\n probe_timeout 700ms\n suspicion_mult 6\n retransmit_mult 3\n}",
			check: func(t *testing.T, gs gossipSetup) {
				want := membership.Tuning{GossipNodes: 5, GossipInterval: 150 * time.Millisecond, ProbeInterval: 2 * time.Second,
					ProbeTimeout: 700 * time.Millisecond, SuspicionMult: 6, RetransmitMult: 3}
				if gs.config.Tuning != want {
					t.Errorf("tuning %+v; want %+v", gs.config.Tuning, want)
				}
			}},
		{name: "encrypt not base64", input: "consulnode {" + gossip + " encrypt not-base64!\n}", wantErr: "encrypt: gossip key is not valid base64"},
		{name: "encrypt short", input: "consulnode {" + gossip + " encrypt c2hvcnQ=\n}", wantErr: "encrypt: gossip key is 5 bytes"},
		{name: "encrypt missing", input: "consulnode {" + gossip + " encrypt\n}", wantErr: "Wrong argument count"},
		{name: "keyring_file relative", input: "consulnode {" + gossip + " keyring_file keyring\n}", wantErr: `keyring_file must be an absolute path: "keyring"`},
		{name: "data_dir relative", input: "consulnode {" + gossip + " data_dir ./data\n}", wantErr: `data_dir must be an absolute path: "./data"`},
		{name: "data_dir two", input: "consulnode {" + gossip + " data_dir /a /b\n}", wantErr: "Wrong argument count"},
		{name: "rejoin with argument", input: "consulnode {" + gossip + " rejoin_after_leave yes\n}", wantErr: "Wrong argument count"},
		{name: "gossip_nodes zero", input: "consulnode {" + gossip + " gossip_nodes 0\n}", wantErr: `gossip_nodes must be a positive number: "0"`},
		{name: "suspicion_mult word", input: "consulnode {" + gossip + " suspicion_mult many\n}", wantErr: `suspicion_mult must be a positive number: "many"`},
		{name: "retransmit_mult negative", input: "consulnode {" + gossip + " retransmit_mult -1\n}", wantErr: `retransmit_mult must be a positive number: "-1"`},
		{name: "probe_interval no unit", input: "consulnode {" + gossip + " probe_interval 5\n}", wantErr: `probe_interval must be a positive duration such as 200ms or 1s: "5"`},
		{name: "probe_timeout zero", input: "consulnode {" + gossip + " probe_timeout 0s\n}", wantErr: `probe_timeout must be a positive duration`},
		{name: "gossip_interval missing", input: "consulnode {" + gossip + " gossip_interval\n}", wantErr: "Wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, err := parse(caddy.NewTestController("dns", tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Testfile:4") {
					t.Fatalf("parse error = %v; want one at Testfile:4 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			tt.check(t, cn.gossip)
		})
	}
}

// TestStartupKeyring: the keyring file follows the rules of discod's data
// dir: `encrypt` seeds a new file, an existing file wins (it follows
// rotations), a keyring_file that does not exist needs `encrypt`, and a
// broken file is an error naming it. The data dir is created if missing.
func TestStartupKeyring(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "gossip")
	start := func(t *testing.T, opts string) (*ConsulNode, error) {
		t.Helper()
		cn, err := parse(caddy.NewTestController("dns", "consulnode {\n node k1\n bind 127.0.2.40:0\n"+opts+"}"))
		if err != nil {
			t.Fatal(err)
		}
		err = cn.OnStartup()
		t.Cleanup(func() {
			if err := cn.OnShutdown(); err != nil {
				t.Errorf("OnShutdown: %v", err)
			}
		})
		return cn, err
	}
	primary := func(cn *ConsulNode) string {
		keys, _ := membership.ReadKeyringFile(cn.acquired.Config().KeyringPath)
		if len(keys) == 0 {
			return ""
		}
		return b64(keys[0])
	}

	t.Run("encrypt seeds the data dir", func(t *testing.T) {
		cn, err := start(t, " encrypt "+testKey+"\n data_dir "+dir+"\n") // dir does not exist yet
		if err != nil {
			t.Fatal(err)
		}
		if got := primary(cn); got != testKey {
			t.Errorf("keyring file primary %q; want the encrypt key", got)
		}
	})
	t.Run("saved keyring wins", func(t *testing.T) {
		// The previous subtest's agent is released: a new one starts.
		cn, err := start(t, " encrypt "+otherKey+"\n data_dir "+dir+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := primary(cn); got != testKey {
			t.Errorf("keyring file primary %q; want the saved key, not the new encrypt key", got)
		}
	})
	t.Run("keyring_file without encrypt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing")
		_, err := start(t, " keyring_file "+path+"\n")
		if err == nil || !strings.Contains(err.Error(), "keyring_file "+path+" does not exist and no `encrypt KEY` seeds it") {
			t.Fatalf("OnStartup error = %v; want one saying the keyring file is missing", err)
		}
	})
	t.Run("broken keyring file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyring")
		if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := start(t, " keyring_file "+path+"\n encrypt "+testKey+"\n")
		if err == nil || !strings.Contains(err.Error(), "gossip keyring: keyring file "+path) {
			t.Fatalf("OnStartup error = %v; want one naming the keyring file", err)
		}
	})
}

// TestStockEncryptedCluster: stock agents with the same `encrypt` key form
// a cluster; one with another key is refused. A restarted agent with a
// data dir rejoins its previous peers without `join` (rejoin_after_leave,
// since a shutdown leaves gracefully). The plugin reports the agent's
// event counters while it runs.
func TestStockEncryptedCluster(t *testing.T) {
	dir := t.TempDir()
	start := func(t *testing.T, input string) *ConsulNode {
		t.Helper()
		cn, err := parse(caddy.NewTestController("dns", input))
		if err != nil {
			t.Fatal(err)
		}
		if err := cn.OnStartup(); err != nil {
			t.Fatalf("OnStartup: %v", err)
		}
		return cn
	}
	stop := func(t *testing.T, cn *ConsulNode) {
		t.Helper()
		if err := cn.OnShutdown(); err != nil {
			t.Errorf("OnShutdown: %v", err)
		}
	}
	alive := func(cn *ConsulNode, name string) func() bool {
		return func() bool {
			m, ok := cn.acquired.Table().Lookup(name)
			return ok && m.State == membership.StateAlive
		}
	}

	alpha := start(t, "consulnode {\n node alpha\n bind 127.0.2.50:0\n encrypt "+testKey+"\n probe_interval 200ms\n}")
	defer stop(t, alpha)
	port := strconv.Itoa(int(alpha.acquired.Local().Port))
	betaBlock := "consulnode {\n node beta\n bind 127.0.2.51:0\n encrypt " + testKey + "\n data_dir " + dir + "\n rejoin_after_leave\n join 127.0.2.50:" + port + "\n}"
	beta := start(t, betaBlock)
	testproc.WaitFor(t, 10*time.Second, "beta to join alpha with the shared key", alive(beta, "alpha"))
	assertA(t, beta, "alpha.node.consul.", "127.0.2.50")
	testproc.WaitFor(t, 10*time.Second, "alpha to see beta", alive(alpha, "beta"))
	if alpha.acquired.Timing().ProbeInterval != 200*time.Millisecond {
		t.Errorf("alpha probes every %v; want probe_interval's 200ms", alpha.acquired.Timing().ProbeInterval)
	}
	if n := eventCount(t, "join"); n < 2 {
		t.Errorf("coredns_consulnode_member_events_total{event=join} = %v; want at least 2 (both agents saw each other)", n)
	}

	gamma := start(t, "consulnode {\n node gamma\n bind 127.0.2.52:0\n encrypt "+otherKey+"\n join 127.0.2.50:"+port+"\n}")
	defer stop(t, gamma)
	if _, err := gamma.acquired.Join([]string{"127.0.2.50:" + port}); err == nil {
		t.Error("an agent with another key joined the encrypted cluster")
	}
	if _, ok := alpha.acquired.Table().Lookup("gamma"); ok {
		t.Error("alpha lists gamma, whose key differs")
	}

	// Restart beta without `join`: the snapshot in its data dir brings it
	// back to alpha.
	stop(t, beta)
	testproc.WaitFor(t, 10*time.Second, "alpha to see beta leave", func() bool {
		m, ok := alpha.acquired.Table().Lookup("beta")
		return ok && m.State == membership.StateLeft
	})
	beta = start(t, strings.Replace(betaBlock, " join 127.0.2.50:"+port+"\n", "", 1))
	defer stop(t, beta)
	testproc.WaitFor(t, 10*time.Second, "restarted beta to rejoin alpha from its snapshot", alive(beta, "alpha"))
	testproc.WaitFor(t, 10*time.Second, "alpha to see beta back", alive(alpha, "beta"))
}

// eventCount returns coredns_consulnode_member_events_total{event} from
// the default registry.
func eventCount(t *testing.T, event string) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "coredns_consulnode_member_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "event" && l.GetValue() == event {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// b64 encodes k as gossip keys are written.
func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }
