package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
	"github.com/discod/discod/httpapi"
	"github.com/discod/discod/internal/logstream"
	"github.com/discod/discod/membership"
)

func runAgent(args []string, stdout, stderr io.Writer) int {
	rt, err := config.Load(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "discod agent: %v\n", err)
		return 1
	}
	d := &daemon{rt: rt, stdout: stdout, level: new(slog.LevelVar)}
	d.logs = &logstream.Hub{}
	d.log = slog.New(d.logs.Handler(newHandler(stderr, rt.LogJSON, d.level)))
	d.level.Set(rt.SlogLevel())
	if err := d.start(); err != nil {
		d.log.Error("agent failed to start", "error", err)
		fmt.Fprintf(stderr, "discod agent: %v\n", err)
		d.stop(false)
		return 1
	}
	return d.wait()
}

// daemon is one running agent: gossip, DNS and the HTTP API.
type daemon struct {
	rtMu     sync.Mutex // guards rt, which reload replaces
	rt       *config.Runtime
	reloadMu sync.Mutex // one reload at a time (SIGHUP, HTTP API)
	logs     *logstream.Hub
	stdout   io.Writer
	level    *slog.LevelVar
	log      *slog.Logger

	agent    *membership.Agent
	wan      *membership.Agent // a server's WAN pool agent (wan.go); nil on clients
	dns      *corefile.Server
	httpSrv  *http.Server
	leaveReq chan struct{} // PUT /v1/agent/leave has left; shut down
	fatal    chan error    // a background task gave up (retry-join)

	// apiDone is closed by stop: blocked HTTP reads answer at once.
	apiDone chan struct{}
	// stopWatches ends the watches block's watches (watches.go); nil when
	// none run.
	stopWatches func()
}

func (d *daemon) start() error {
	rt := d.rt
	for _, w := range rt.Warnings {
		d.log.Warn(w)
	}
	d.leaveReq = make(chan struct{}, 1)
	d.apiDone = make(chan struct{})
	d.fatal = make(chan error, 1)

	nodeID, err := prepareDataDir(rt.DataDir)
	if err != nil {
		return err
	}

	// Bind the HTTP port before anything else, so a port conflict fails
	// the start before this node has gossiped.
	httpAddr := net.JoinHostPort(rt.ClientAddr.String(), strconv.Itoa(rt.Ports.HTTP))
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("HTTP API: %w", err)
	}

	mc := membership.DefaultConfig()
	mc.NodeName = rt.NodeName
	mc.NodeID = nodeID
	mc.Datacenter = rt.Datacenter
	if rt.Server {
		mc.Role = membership.RoleServer
	}
	mc.BootstrapExpect = rt.BootstrapExpect
	mc.Build = version
	mc.Meta = rt.NodeMeta
	if mc.Maintenance, err = readMaintenance(rt.DataDir); err != nil { // maint.go
		_ = ln.Close()
		return err
	}
	mc.BindAddr = rt.BindAddr
	mc.BindPort = rt.Ports.SerfLAN
	mc.AdvertiseAddr = rt.AdvertiseAddr
	mc.Tuning = rt.GossipLAN
	if rt.ReconnectTimeout > 0 {
		mc.ReconnectTimeout = rt.ReconnectTimeout
	}
	if rt.DataDir != "" {
		mc.SnapshotPath = filepath.Join(rt.DataDir, snapshotFile)
		mc.KeyringPath = filepath.Join(rt.DataDir, keyringFile)
	}
	if mc.Keys, err = d.gossipKeys(mc.KeyringPath); err != nil {
		_ = ln.Close()
		return err
	}
	federationAddrs(rt, &mc) // wan.go
	mc.Logger = d.log.With("component", "gossip")
	d.agent, err = membership.New(mc)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if err := d.startWAN(mc); err != nil {
		_ = ln.Close()
		return err
	}
	membership.SetProcessAgent(d.agent)

	path, contents, err := d.corefile(rt)
	if err != nil {
		_ = ln.Close()
		return err
	}
	d.dns, err = corefile.Start(path, contents)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("DNS: %w", err)
	}

	var tlsLn net.Listener
	if rt.Ports.HTTPS != 0 {
		cert, err := tls.LoadX509KeyPair(rt.CertFile, rt.KeyFile)
		if err == nil {
			tlsLn, err = net.Listen("tcp", net.JoinHostPort(rt.ClientAddr.String(), strconv.Itoa(rt.Ports.HTTPS)))
		}
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("HTTPS API: %w", err)
		}
		tlsLn = tls.NewListener(tlsLn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}

	api := &httpapi.Server{Agent: d.agent, Version: version, Domain: rt.Domain, Leave: d.leaveFromAPI,
		ListenAddr: rt.ClientAddr, Token: rt.HTTPToken, Reload: d.reload, Logs: d.logs,
		Maintenance: d.setMaintenance, Done: d.apiDone}
	d.httpSrv = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	for _, l := range []net.Listener{ln, tlsLn} {
		if l == nil {
			continue
		}
		go func() {
			if err := d.httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("HTTP API stopped", "addr", l.Addr().String(), "error", err)
			}
		}()
	}

	d.banner(httpAddr)
	if err := d.startWatches(httpAddr); err != nil {
		return err
	}

	if len(rt.StartJoin) > 0 {
		n, err := d.agent.Join(rt.StartJoin)
		if n == 0 {
			return fmt.Errorf("join at start (-join): %w", err)
		}
		if err != nil {
			d.log.Warn("some -join addresses could not be reached", "error", err)
		}
	}
	if len(rt.RetryJoin) > 0 {
		go d.retryJoin("retry-join", d.agent, rt.RetryJoin)
	}
	d.rejoinPrevious()
	return d.joinWAN()
}

// rejoinPrevious contacts, in the background, the peers the snapshot in
// the data dir remembers, so a restarted node finds its cluster without
// -join. After a graceful leave it does so only with -rejoin, as Consul.
func (d *daemon) rejoinPrevious() {
	peers, left := d.agent.PreviousPeers()
	if len(peers) == 0 {
		return
	}
	if left && !d.rt.Rejoin {
		d.log.Info("this node left the cluster gracefully before it stopped; not rejoining its previous peers (use -rejoin to do so)", "peers", len(peers))
		return
	}
	go func() {
		n, err := d.agent.Join(peers)
		switch {
		case n > 0:
			d.log.Info("rejoined previous peers from the snapshot", "contacted", n, "of", len(peers))
		case err != nil:
			d.log.Warn("could not rejoin any previous peer from the snapshot", "error", err)
		}
	}()
}

// gossipKeys returns the keyring to start with. A keyring saved in the data
// dir (it follows rotations) wins over -encrypt, which only seeds a new one;
// when the saved keyring lacks the -encrypt key the agent says so instead
// of silently preferring one.
func (d *daemon) gossipKeys(path string) ([][]byte, error) {
	flagKey := d.rt.EncryptKey()
	saved, err := membership.ReadKeyringFile(path)
	if err != nil || path == "" {
		if err != nil {
			return nil, fmt.Errorf("gossip keyring: %w (fix or remove the file; -encrypt seeds a new one)", err)
		}
		if flagKey == nil {
			return nil, nil
		}
		return [][]byte{flagKey}, nil
	}
	if saved != nil {
		if flagKey != nil && !slices.ContainsFunc(saved, func(k []byte) bool { return bytes.Equal(k, flagKey) }) {
			d.log.Warn("the keyring saved in the data dir does not contain the -encrypt key; using the saved keyring, which follows rotations. Set -encrypt to the current primary key (discod keyring -list), or remove the file to start over from -encrypt",
				"file", path, "keys", len(saved))
		}
		return saved, nil
	}
	if flagKey == nil {
		return nil, nil
	}
	keys := [][]byte{flagKey}
	if err := membership.WriteKeyringFile(path, keys); err != nil {
		return nil, fmt.Errorf("gossip keyring: save %s: %w", path, err)
	}
	return keys, nil
}

// corefile returns the Corefile to run: the user's (-corefile) or the one
// rendered from the agent's settings.
func (d *daemon) corefile(rt *config.Runtime) (string, []byte, error) {
	if rt.Corefile != "" {
		b, err := corefile.Load(rt.Corefile)
		return rt.Corefile, b, err
	}
	s, err := corefile.Render(corefileOptions(rt))
	if err != nil {
		return "", nil, fmt.Errorf("render the default Corefile: %w", err)
	}
	return corefile.DefaultName, []byte(s), nil
}

func corefileOptions(rt *config.Runtime) corefile.Options {
	domains := []string{rt.Domain}
	if rt.AltDomain != "" {
		domains = append(domains, rt.AltDomain)
	}
	return corefile.Options{
		ListenAddr:    rt.ClientAddr,
		DNSPort:       rt.Ports.DNS,
		Domains:       domains,
		TTL:           int(rt.DNS.NodeTTL / time.Second),
		NegativeTTL:   int(rt.DNS.NegativeTTL / time.Second),
		FailedAnswer:  rt.DNS.FailedAnswer,
		NoReverse:     rt.DNS.NoReverse,
		Recursors:     rt.Recursors,
		RecursorAllow: rt.RecursorAllow,
		ReadyAddr:     rt.ReadyAddr,
		HealthAddr:    rt.HealthAddr,
		MetricsAddr:   rt.MetricsAddr,
	}
}

func (d *daemon) banner(httpAddr string) {
	rt := d.rt
	local := d.agent.Local()
	server := "false"
	if rt.Server {
		server = fmt.Sprintf("true (bootstrap-expect: %d)", rt.BootstrapExpect)
	}
	fmt.Fprintf(d.stdout, `==> Starting discod agent...
           Version: %s
         Node name: %s
           Node ID: %s
        Datacenter: %s
            Server: %s
       Client Addr: %s (HTTP: %d, DNS: %d)
      Cluster Addr: %s (%s)
    Gossip Encrypt: %v
        DNS domain: %s
==> discod agent running!
`, version, rt.NodeName, d.agent.Config().NodeID, rt.Datacenter, server,
		rt.ClientAddr, rt.Ports.HTTP, rt.Ports.DNS, local.Addr, d.clusterPorts(local.Port), d.agent.Encrypted(), rt.Domain)
	d.log.Info("agent running", "node", rt.NodeName, "http", httpAddr)
}

// retryJoin keeps trying the -retry-join addresses (flag names the flag,
// for the log) with agent until one answers, logging every attempt; after
// -retry-max failed attempts it stops the agent. It serves the LAN pool
// and a server's WAN pool (-retry-join-wan).
func (d *daemon) retryJoin(flag string, agent *membership.Agent, addrs []string) {
	rt := d.runtime()
	for attempt := 1; ; attempt++ {
		n, err := agent.Join(addrs)
		if n > 0 {
			d.log.Info(flag+" succeeded", "attempt", attempt, "contacted", n)
			if err != nil {
				d.log.Warn(flag+": some addresses could not be reached", "error", err)
			}
			return
		}
		d.log.Warn(flag+" attempt failed", "attempt", attempt, "error", err)
		if rt.RetryMax > 0 && attempt >= rt.RetryMax {
			d.fatal <- fmt.Errorf("%s: no address could be reached in %d attempts (-retry-max): %w", flag, attempt, err)
			return
		}
		select {
		case <-time.After(rt.RetryInterval):
		case <-d.leaveReq:
			d.leaveReq <- struct{}{} // put it back for wait
			return
		}
	}
}

// leaveFromAPI serves PUT /v1/agent/leave: leave now, then shut down.
func (d *daemon) leaveFromAPI() error {
	d.leaveWAN()
	if err := d.agent.Leave(); err != nil {
		return err
	}
	select {
	case d.leaveReq <- struct{}{}:
	default:
	}
	return nil
}

// wait runs until a signal, a leave request or a fatal error, then stops
// the agent and returns the exit code. SIGINT leaves gracefully unless
// skip_leave_on_interrupt; SIGTERM leaves gracefully unless
// leave_on_terminate is false (discod's default is true, unlike Consul's:
// see docs/agent.md). A second SIGINT or SIGTERM forces the exit. SIGHUP
// reloads the config files and the Corefile.
func (d *daemon) wait() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for {
		var graceful bool
		code := 0
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				_ = d.reload() // logs its own outcome
				continue
			}
			rt := d.runtime()
			graceful = sig == syscall.SIGINT && !rt.SkipLeaveOnInterrupt ||
				sig == syscall.SIGTERM && rt.LeaveOnTerminate
			d.log.Info("caught signal", "signal", sig.String(), "graceful_leave", graceful)
		case <-d.leaveReq:
			d.log.Info("leave requested through the HTTP API")
		case err := <-d.fatal:
			d.log.Error("stopping agent", "error", err)
			code = 1
		}
		done := make(chan struct{})
		go func() { d.stop(graceful); close(done) }()
		for {
			select {
			case <-done:
				return code
			case sig := <-sigs:
				if sig == syscall.SIGINT || sig == syscall.SIGTERM {
					d.log.Warn("second signal: forcing exit without finishing shutdown", "signal", sig.String())
					return 1
				}
			}
		}
	}
}

// stop shuts everything down: leave (if graceful) while DNS and HTTP still
// answer, then DNS, HTTP and finally gossip.
func (d *daemon) stop(graceful bool) {
	if d.stopWatches != nil {
		d.stopWatches()
	}
	if d.apiDone != nil {
		close(d.apiDone) // blocked reads answer now, before leaving takes its time
		d.apiDone = nil
	}
	d.stopWAN(graceful) // wan.go: leave the WAN pool first, then the LAN
	if d.agent != nil && graceful {
		_ = d.agent.Leave() // logs its own outcome
	}
	if d.agent != nil && !d.agent.Left() {
		d.log.Info("shutting down without leaving: peers will see this node as failed")
	}
	if d.dns != nil {
		if err := d.dns.Stop(); err != nil {
			d.log.Warn("DNS shutdown", "error", err)
		}
	}
	if d.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = d.httpSrv.Shutdown(ctx)
		cancel()
	}
	if d.agent != nil {
		membership.SetProcessAgent(nil)
		_ = d.agent.Shutdown()
	}
	d.log.Info("agent stopped")
}

// reload re-reads the config files and the Corefile (SIGHUP). Gossip keeps
// running: settings that only a restart applies are reported, not applied.
// A bad config or Corefile keeps the running one.
func (d *daemon) reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.log.Info("reloading configuration")
	old := d.runtime()
	rt, err := old.Reload()
	if err != nil {
		d.log.Error("reload: config has errors; keeping the running configuration", "error", err)
		return fmt.Errorf("config has errors; the running configuration stays: %w", err)
	}
	for _, w := range rt.Warnings {
		d.log.Warn(w)
	}
	if changed := config.RestartNeeded(old, rt); len(changed) > 0 {
		d.log.Warn("reload: these settings changed but need a restart to apply", "settings", strings.Join(changed, ", "))
	}
	d.level.Set(rt.SlogLevel())
	path, contents, err := d.corefile(rt)
	if err == nil {
		err = d.dns.Reload(path, contents)
	}
	if err != nil {
		d.log.Error("reload: Corefile not applied; the running one stays", "error", err)
		return fmt.Errorf("the Corefile was not applied; the running one stays: %w", err)
	}
	d.rtMu.Lock()
	d.rt = rt
	d.rtMu.Unlock()
	d.log.Info("reload complete")
	return nil
}

// runtime returns the configuration in force (reload replaces it).
func (d *daemon) runtime() *config.Runtime {
	d.rtMu.Lock()
	defer d.rtMu.Unlock()
	return d.rt
}

func newHandler(w io.Writer, asJSON bool, level *slog.LevelVar) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if asJSON {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
