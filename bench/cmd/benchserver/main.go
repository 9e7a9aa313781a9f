// Command benchserver is one DNS server under test in discod's benchmark
// kit. The orchestrator (bench/cmd/dnsbench) starts one process per server
// so that each one's CPU time can be read from /proc/<pid>/stat on its own.
//
// Modes (-mode):
//
//	consulnode  discod's embedded CoreDNS with the consulnode plugin. The
//	            member table is filled by the same code path as gossip: a
//	            real membership.Agent (bound on -addr, port 0, alone) is
//	            registered with membership.Register, and -members
//	            members are written with its Table().Upsert, the one write
//	            path gossip events take.
//	hosts       the same embedded CoreDNS (corefile.Start, discod's
//	            directive list) with the hosts plugin serving the same names
//	            from a hosts file: the cost of CoreDNS itself.
//	miekg       a bare miekg/dns server answering the same names from a Go
//	            map: the ceiling for a Go DNS server on this machine.
//
// -chain picks the plugin chain around consulnode or hosts: bare (bind and
// the backend only), errors, log, and for consulnode the default Corefile
// as corefile.Render writes it (default) plus its optional endpoints
// (default+ready, default+health, default+prometheus, default+all), or
// (file) the Corefile -corefile names — the kit passes the one
// `discod corefile` renders, which is what `discod agent` runs.
//
// The data are bench/internal/dataset's: member i is named node<i> with
// address 198.18.0.0+i, and -instances N adds its service data set (web
// with 3 instances, big with 40, filler up to N), which every mode
// answers: consulnode from the catalog store, hosts from its hosts file
// (A only), miekg from a map (A, and SRV with the targets' addresses as
// additional records, as consulnode answers).
//
// Protocol with the orchestrator: the server prints "ready" on stdout once
// it answers node0. It then reads commands on stdin, one a line, and
// answers each with one line on stdout:
//
//	mark              remember the runtime counters now          → ok
//	stats             runtime counters since the mark, as JSON   → {...}
//	cpuprofile PATH   start a CPU profile                        → ok
//	trace PATH        start an execution trace                   → ok
//	stop              stop the profile or trace that runs        → ok
//	quit              shut down (so does end of input)
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"

	"github.com/discod/discod/bench/internal/dataset"
	"github.com/discod/discod/bench/internal/runtimestats"
	"github.com/discod/discod/corefile"
	"github.com/discod/discod/membership"
	"github.com/miekg/dns"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "benchserver: %v\n", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	mode    string
	chain   string
	addr    netip.Addr
	port    int
	members int
	agent   bool
	padKB   int
	idle    int

	instances int    // service instances in the datacenter (dataset.Services)
	corefile  string // -chain file: the Corefile to run
	reserve   string // -stackreserve: auto, on or off
	gcTune    string // -gctune: auto, on or off
}

func parseFlags(args []string) (options, error) {
	// A private FlagSet: importing corefile links CoreDNS's coremain,
	// which puts its own flags on flag.CommandLine.
	fs := flag.NewFlagSet("benchserver", flag.ContinueOnError)
	var o options
	var addr string
	fs.StringVar(&o.mode, "mode", "consulnode", "server under test: consulnode, hosts or miekg")
	fs.StringVar(&o.chain, "chain", "bare", "plugin chain: bare, errors, log, default, default+ready, default+health, default+prometheus, default+all")
	fs.StringVar(&addr, "addr", "127.0.9.1", "loopback address to serve DNS on")
	fs.IntVar(&o.port, "port", 8653, "UDP and TCP port to serve DNS on")
	fs.IntVar(&o.members, "members", 1000, "number of names (members) to serve")
	fs.IntVar(&o.padKB, "stackpad", 0, "diagnostic: park 200 goroutines holding about this many KiB of stack each, which raises the runtime's adaptive starting stack size for new goroutines (0: off)")
	fs.IntVar(&o.idle, "idle", 0, "park this many shallow idle goroutines before the server starts, as an agent's check runners or blocked HTTP reads are (they dilute the runtime's adaptive starting stack; corefile's stack reserve follows them)")
	fs.IntVar(&o.instances, "instances", 0, "service instances in the datacenter: web (3), big (40, from 43 on) and filler instances of 100 other services (0: no services)")
	fs.StringVar(&o.corefile, "corefile", "", "-chain file: the Corefile to run around consulnode (its zones must include consul.)")
	fs.StringVar(&o.gcTune, "gctune", "auto", "corefile's garbage collector target (GOGC 400 unless GOGC is set): on, off, or auto (on for consulnode, as discod runs it; off for hosts, as a stock CoreDNS runs)")
	fs.StringVar(&o.reserve, "stackreserve", "auto", "corefile's stack reserve: on, off, or auto (on for consulnode, as discod runs it; off for hosts, as a stock CoreDNS runs)")
	fs.BoolVar(&o.agent, "agent", false, "hosts and miekg: also run an idle membership agent, as consulnode does, so the processes have the same background goroutines (a diagnostic)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return o, fmt.Errorf("-addr %q: %w", addr, err)
	}
	if !a.IsLoopback() {
		return o, fmt.Errorf("-addr %s is not a loopback address: benchmarks stay on this machine", a)
	}
	o.addr = a
	if o.members < 1 || o.members > 1<<17 {
		return o, fmt.Errorf("-members %d is out of range 1-%d", o.members, 1<<17)
	}
	if o.port < 1 || o.port > 65535 {
		return o, fmt.Errorf("-port %d is out of range", o.port)
	}
	if err := o.services().Check(); err != nil {
		return o, fmt.Errorf("-instances: %w", err)
	}
	for flag, v := range map[string]string{"-stackreserve": o.reserve, "-gctune": o.gcTune} {
		switch v {
		case "auto", "on", "off":
		default:
			return o, fmt.Errorf("%s %q is not auto, on or off", flag, v)
		}
	}
	if (o.chain == "file") != (o.corefile != "") {
		return o, errors.New("-corefile and -chain file go together")
	}
	return o, nil
}

// memberName and memberAddr are the data set every mode serves.
func memberName(i int) string { return dataset.MemberName(i) }

func memberAddr(i int) netip.Addr { return dataset.MemberAddr(i) }

// startOptions are corefile.Start's options for o.
func (o options) startOptions() []corefile.StartOption {
	var opts []corefile.StartOption
	stock := func(v string) bool { return v == "off" || v == "auto" && o.mode != "consulnode" }
	if stock(o.reserve) {
		opts = append(opts, corefile.WithoutStackReserve())
	}
	if stock(o.gcTune) {
		opts = append(opts, corefile.WithoutGCTuning())
	}
	return opts
}

// services is the service data set o asks for.
func (o options) services() dataset.Services {
	return dataset.Services{Instances: o.instances, Members: o.members}
}

// stopper shuts a server down.
type stopper func() error

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	for range o.idle {
		go func() { select {} }()
	}
	if o.padKB > 0 {
		padStacks(200, o.padKB)
	}
	var stop stopper
	if o.agent && o.mode != "consulnode" {
		a, err := idleAgent(o)
		if err != nil {
			return err
		}
		defer func() { _ = a.Shutdown() }()
	}
	switch o.mode {
	case "consulnode":
		stop, err = startConsulNode(o)
	case "hosts":
		stop, err = startHosts(o)
	case "miekg":
		stop, err = startMiekg(o)
	default:
		err = fmt.Errorf("-mode %q is not consulnode, hosts or miekg", o.mode)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "benchserver: stop: %v\n", err)
		}
	}()
	if err := selfCheck(o); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ready")
	return control(stdin, stdout)
}

// selfCheck asks the server for node0 and checks the answer, retrying
// briefly while the listener comes up.
func selfCheck(o options) error {
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion(memberName(0)+".node.consul.", dns.TypeA)
	server := net.JoinHostPort(o.addr.String(), strconv.Itoa(o.port))
	var lastErr error
	for range 50 {
		r, _, err := c.Exchange(q, server)
		if err == nil {
			if len(r.Answer) == 1 {
				if a, ok := r.Answer[0].(*dns.A); ok && a.A.Equal(memberAddr(0).AsSlice()) {
					return nil
				}
			}
			return fmt.Errorf("self-check: %s answered %s for %s; want A %s", server, dns.RcodeToString[r.Rcode], q.Question[0].Name, memberAddr(0))
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("self-check: %s did not answer: %w", server, lastErr)
}

// control serves the orchestrator's commands until quit or end of input.
func control(stdin io.Reader, stdout io.Writer) error {
	mark := runtimestats.Take()
	var profiling, tracing bool
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		var reply string
		switch cmd {
		case "mark":
			mark = runtimestats.Take()
			reply = "ok"
		case "stats":
			b, err := json.Marshal(runtimestats.Delta(mark, runtimestats.Take()))
			if err != nil {
				return fmt.Errorf("encode stats: %w", err)
			}
			reply = string(b)
		case "cpuprofile", "trace":
			f, err := os.Create(filepath.Clean(arg))
			if err != nil {
				reply = "error: " + err.Error()
				break
			}
			if cmd == "cpuprofile" {
				err = pprof.StartCPUProfile(f)
				profiling = err == nil
			} else {
				err = trace.Start(f)
				tracing = err == nil
			}
			if err != nil {
				_ = f.Close()
				reply = "error: " + err.Error()
				break
			}
			reply = "ok"
		case "stop":
			if profiling {
				pprof.StopCPUProfile()
				profiling = false
			}
			if tracing {
				trace.Stop()
				tracing = false
			}
			reply = "ok"
		case "quit":
			return nil
		default:
			reply = "error: unknown command " + strconv.Quote(cmd)
		}
		fmt.Fprintln(stdout, reply)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read commands: %w", err)
	}
	return nil
}

// padStacks parks n goroutines whose stacks hold about kb KiB each. The
// runtime starts new goroutines with the average stack size it scanned at
// the last GC (GODEBUG adaptivestackstart), so this shows whether the time
// a server spends growing per-query goroutine stacks (runtime.newstack)
// goes away with a larger starting stack.
func padStacks(n, kb int) {
	for range n {
		go func() {
			deep(kb)
			select {}
		}()
	}
}

// deep uses about kb KiB of stack and then blocks forever.
//
//go:noinline
func deep(kb int) byte {
	var buf [1000]byte
	if kb <= 1 {
		select {}
	}
	buf[kb%len(buf)] = byte(kb)
	return deep(kb-1) + buf[kb%len(buf)]
}

// idleAgent starts a membership agent that is alone and serves nothing.
func idleAgent(o options) (*membership.Agent, error) {
	mc := membership.DefaultConfig()
	mc.NodeName = "bench"
	mc.BindAddr = o.addr
	mc.BindPort = 0
	mc.Logger = slog.New(slog.DiscardHandler)
	a, err := membership.New(mc)
	if err != nil {
		return nil, fmt.Errorf("start membership agent: %w", err)
	}
	return a, nil
}

// startConsulNode runs discod's embedded CoreDNS answering from a real
// membership agent's table.
func startConsulNode(o options) (stopper, error) {
	agent, err := idleAgent(o)
	if err != nil {
		return nil, err
	}
	if err := membership.Register(membership.DefaultAgent, agent); err != nil {
		_ = agent.Shutdown()
		return nil, err
	}
	tbl := agent.Table()
	for i := range o.members {
		tbl.Upsert(membership.Member{
			Name:       memberName(i),
			ID:         membership.NewNodeID(),
			Addr:       memberAddr(i),
			Port:       8301,
			Datacenter: "dc1",
			Role:       membership.RoleClient,
			State:      membership.StateAlive,
		})
	}
	o.services().Register(tbl)
	text, err := consulnodeCorefile(o)
	if err != nil {
		_ = agent.Shutdown()
		return nil, err
	}
	srv, err := corefile.Start("bench-"+o.chain, []byte(text), o.startOptions()...)
	if err != nil {
		_ = agent.Shutdown()
		return nil, fmt.Errorf("start CoreDNS with chain %s: %w\n%s", o.chain, err, text)
	}
	return func() error {
		err := srv.Stop()
		membership.Unregister(membership.DefaultAgent, agent)
		return errors.Join(err, agent.Shutdown())
	}, nil
}

// consulnodeCorefile returns the Corefile for o.chain around consulnode.
func consulnodeCorefile(o options) (string, error) {
	if o.chain == "file" {
		b, err := os.ReadFile(o.corefile)
		if err != nil {
			return "", fmt.Errorf("-corefile: %w", err)
		}
		return string(b), nil
	}
	if rest, ok := strings.CutPrefix(o.chain, "default"); ok {
		opts := corefile.DefaultOptions()
		opts.ListenAddr = o.addr
		opts.DNSPort = o.port
		hostPort := func(off int) string { return net.JoinHostPort(o.addr.String(), strconv.Itoa(o.port+off)) }
		switch rest {
		case "":
		case "+ready":
			opts.ReadyAddr = hostPort(1)
		case "+health":
			opts.HealthAddr = hostPort(2)
		case "+prometheus":
			opts.MetricsAddr = hostPort(3)
		case "+all":
			opts.ReadyAddr, opts.HealthAddr, opts.MetricsAddr = hostPort(1), hostPort(2), hostPort(3)
		default:
			return "", fmt.Errorf("-chain %q is not a known chain", o.chain)
		}
		return corefile.Render(opts)
	}
	return simpleCorefile(o, "consulnode consul.")
}

// simpleCorefile is one server block for consul. with bind, the plugins
// of a non-default chain, and the backend.
func simpleCorefile(o options, backend string) (string, error) {
	var extra string
	switch o.chain {
	case "bare":
	case "errors":
		extra = "    errors\n"
	case "log":
		extra = "    errors\n    log\n"
	default:
		return "", fmt.Errorf("-chain %q is not available for -mode %s (use bare, errors or log)", o.chain, o.mode)
	}
	return fmt.Sprintf("consul.:%d {\n    bind %s\n%s    %s\n}\n", o.port, o.addr, extra, backend), nil
}

// startHosts runs the same embedded CoreDNS with the hosts plugin serving
// the same names from a hosts file.
func startHosts(o options) (stopper, error) {
	dir, err := os.MkdirTemp("", "benchserver-hosts-")
	if err != nil {
		return nil, fmt.Errorf("hosts file directory: %w", err)
	}
	var b strings.Builder
	for i := range o.members {
		fmt.Fprintf(&b, "%s %s.node.consul\n", memberAddr(i), memberName(i))
	}
	b.WriteString(o.services().HostsLines())
	path := filepath.Join(dir, "hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("write hosts file: %w", err)
	}
	// reload 0: no background re-reading of the file during a run.
	text, err := simpleCorefile(o, "hosts "+path+" consul. {\n        reload 0\n    }")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	srv, err := corefile.Start("bench-hosts-"+o.chain, []byte(text), o.startOptions()...)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start CoreDNS with hosts: %w\n%s", err, text)
	}
	return func() error {
		err := srv.Stop()
		return errors.Join(err, os.RemoveAll(dir))
	}, nil
}

// startMiekg runs a plain miekg/dns server answering from a map, built
// like CoreDNS's own listeners (a default dns.Server on a PacketConn, and
// one on a TCP listener on the same address).
func startMiekg(o options) (stopper, error) {
	if o.chain != "bare" {
		return nil, fmt.Errorf("-chain %q: -mode miekg has no plugin chain (use bare)", o.chain)
	}
	names := make(map[string][]net.IP, o.members)
	for i := range o.members {
		names[memberName(i)+".node.consul."] = []net.IP{net.IP(memberAddr(i).AsSlice())}
	}
	srvAns := map[string][]dns.RR{} // name → SRV answer, then the targets' A records
	svcs := o.services()
	for _, name := range []string{"web", "big"} {
		owner := name + ".service.consul."
		var ips []net.IP
		var ans, extra []dns.RR
		for _, i := range svcs.Nodes(name) {
			ip := net.IP(memberAddr(i).AsSlice())
			ips = append(ips, ip)
			ans = append(ans, &dns.SRV{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 0},
				Priority: 1, Weight: 1, Port: 80, Target: dataset.SRVTarget(i)})
			extra = append(extra, &dns.A{Hdr: dns.RR_Header{Name: dataset.SRVTarget(i), Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: ip})
		}
		if len(ips) > 0 {
			names[owner] = ips
			srvAns[owner] = append(ans, extra...)
		}
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(o.addr.String(), strconv.Itoa(o.port)))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		if len(r.Question) != 1 {
			m.Rcode = dns.RcodeFormatError
			_ = w.WriteMsg(m)
			return
		}
		q := r.Question[0]
		lname := strings.ToLower(q.Name)
		ips, ok := names[lname]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA:
			m.Answer = make([]dns.RR, len(ips))
			for i, ip := range ips {
				m.Answer[i] = &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: ip}
			}
		case q.Qtype == dns.TypeSRV && srvAns[lname] != nil:
			rrs := srvAns[lname]
			n := len(rrs) / 2
			for _, rr := range rrs[:n] {
				c := *rr.(*dns.SRV)
				c.Hdr.Name, c.Hdr.Ttl = q.Name, 5
				m.Answer = append(m.Answer, &c)
			}
			for _, rr := range rrs[n:] {
				c := *rr.(*dns.A)
				c.Hdr.Ttl = 5
				m.Extra = append(m.Extra, &c)
			}
		}
		if w.RemoteAddr().Network() == "udp" {
			size := dns.MinMsgSize
			if e := r.IsEdns0(); e != nil {
				size = int(e.UDPSize())
			}
			m.Truncate(size) // as CoreDNS's ScrubWriter does
		}
		_ = w.WriteMsg(m)
	})
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	udp := &dns.Server{PacketConn: pc, Net: "udp", Handler: h}
	tcp := &dns.Server{Listener: ln, Net: "tcp", Handler: h, MaxTCPQueries: -1} // unlimited, as CoreDNS serves TCP
	var servers []*dns.Server
	stop := func() error {
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.Shutdown())
		}
		return errors.Join(errs...)
	}
	for _, srv := range []*dns.Server{udp, tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
			servers = append(servers, srv)
		case err := <-errc:
			_ = ln.Close()
			_ = pc.Close()
			return nil, errors.Join(fmt.Errorf("serve: %w", err), stop())
		}
	}
	return stop, nil
}
