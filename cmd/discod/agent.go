package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/discod/discod/checks"
	"github.com/discod/discod/config"
	"github.com/discod/discod/corefile"
	"github.com/discod/discod/httpapi"
	"github.com/discod/discod/internal/logstream"
	"github.com/discod/discod/local"
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
	local    *local.State      // this agent's own services and checks (localstate.go)
	checks   *checks.Runner    // runs local's checks
	dns      *corefile.Server
	httpSrv  *http.Server
	leaveReq chan struct{} // PUT /v1/agent/leave has left; shut down
	fatal    chan error    // a background task gave up (retry-join)

	// ctx ends when the daemon starts to shut down or leaves; background
	// tasks (retry-join) stop on it.
	ctx    context.Context
	cancel context.CancelFunc
	// apiDone is closed by stop: blocked HTTP reads answer at once.
	apiDone chan struct{}
	// stopWatches ends the watches block's watches (watches.go); nil when
	// none run.
	stopWatches func()
}

func (d *daemon) start() error {
	rt := d.runtime()
	for _, w := range rt.Warnings {
		d.log.Warn(w)
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.leaveReq = make(chan struct{}, 1)
	d.apiDone = make(chan struct{})
	d.fatal = make(chan error, 1)

	nodeID, err := prepareDataDir(rt.DataDir)
	if err != nil {
		return err
	}
	maintenance, err := readMaintenance(rt.DataDir) // maint.go
	if err != nil {
		return err
	}
	var keyringPath string
	if rt.DataDir != "" {
		keyringPath = filepath.Join(rt.DataDir, keyringFile)
	}
	var seed [][]byte
	if k := rt.EncryptKey(); k != nil {
		seed = [][]byte{k}
	}
	keys, err := loadKeyring(keyringPath, seed, "-encrypt", true, d.log) // keys.go
	if err != nil {
		return err
	}

	ls, err := openListeners(rt) // listeners.go
	if err != nil {
		return err
	}
	if err := d.startServices(rt, ls, lanConfig(rt, nodeID, maintenance, keys, d.log)); err != nil {
		ls.close()
		return err
	}
	d.banner(httpAddr(rt))
	if err := d.startWatches(httpAddr(rt)); err != nil { // watches.go
		return err
	}
	if err := d.run(joinPlan{startWhat: "join at start", startFlag: "-join", retryFlag: "retry-join",
		agent: d.agent, start: rt.StartJoin, retry: rt.RetryJoin}); err != nil {
		return err
	}
	return d.joinWAN()
}

// startServices starts gossip (LAN, and WAN on a server), DNS and the HTTP
// API on ls. On error the caller closes ls; what was started is stopped by
// d.stop.
func (d *daemon) startServices(rt *config.Runtime, ls *listeners, mc membership.Config) error {
	var err error
	if d.agent, err = membership.New(mc); err != nil {
		return err
	}
	if err := d.startWAN(mc); err != nil {
		return err
	}
	if err := membership.Register(membership.DefaultAgent, d.agent); err != nil { // consulnode answers from it
		return err
	}
	if err := d.startLocal(rt); err != nil { // localstate.go
		return err
	}

	path, contents, err := d.corefile(rt)
	if err != nil {
		return err
	}
	if d.dns, err = corefile.Start(path, contents); err != nil {
		return fmt.Errorf("DNS: %w", err)
	}

	api := &httpapi.Server{Agent: d.agent, Version: version, Domain: rt.Domain, Leave: d.leaveFromAPI,
		ListenAddr: rt.ClientAddr, Token: rt.HTTPToken, Reload: d.reload, Logs: d.logs,
		Maintenance: d.setMaintenance, Local: d.local, CheckStats: d.checks.Stats, Done: d.apiDone}
	d.httpSrv = newHTTPServer(api.Handler(), defaultHTTPTimeouts) // httpserver.go
	for _, l := range ls.all() {
		go func() {
			if err := d.httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("HTTP API stopped", "addr", l.Addr().String(), "error", err)
			}
		}()
	}
	return nil
}

// corefile returns the Corefile to run: the user's (-corefile) or the one
// rendered from the agent's settings (agentconfig.go).
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

func (d *daemon) banner(httpAddr string) {
	rt := d.runtime()
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

// leaveFromAPI serves PUT /v1/agent/leave: leave now, then shut down.
func (d *daemon) leaveFromAPI() error {
	d.cancel() // background joins stop
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
	if d.cancel != nil {
		d.cancel()
	}
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
	d.stopLocal()
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
		membership.Unregister(membership.DefaultAgent, d.agent)
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
	if err := d.local.SyncFiles(rt.Services, rt.Checks); err != nil {
		d.log.Error("reload: services and checks of the config files not all applied", "error", err)
		return fmt.Errorf("services and checks of the config files were not all applied: %w", err)
	}
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
