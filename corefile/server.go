package corefile

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
)

// serverType is the caddy server type CoreDNS registers.
const serverType = "dns"

// DefaultName is the name to start a rendered Corefile under. It appears
// in error messages ("(default Corefile):3 - Error during parsing: ...")
// and names no file, so the loader (loader.go) hands out the rendered
// contents rather than reading a file.
const DefaultName = "(default Corefile)"

// Server is the embedded CoreDNS: one caddy instance at a time, replaced by
// each reload.
//
// A process runs at most one Server at a time. The things it touches are
// process-wide: the directive list, caddy's Caddyfile loaders (which the
// reload plugin asks for "the" Corefile) and the member table consulnode
// answers from. The reload plugin, when a user Corefile uses it, restarts
// the instance behind discod's back; Server follows it (through a caddy
// event hook), so Reload and Stop always act on the running instance.
type Server struct {
	opMu sync.Mutex // serializes Reload and Stop

	mu      sync.Mutex // guards inst and stopped
	inst    *caddy.Instance
	stopped bool
}

// running holds the process's Server, from the moment Start is called
// until Stop returns.
var running struct {
	mu  sync.Mutex // guards srv
	srv *Server
}

// Start starts CoreDNS from a Corefile. path names it in error messages
// and tells the loader where to re-read it (use DefaultName for a
// rendered Corefile); contents is the text. It returns once the servers
// answer (see awaitServing). A parse error keeps CoreDNS's
// "FILE:LINE - Error during parsing" text. On failure, whatever the
// instance had started is shut down again, and Start may be called again.
// While the Server runs, the process holds the stack reserve (stacks.go)
// unless an option says otherwise.
func Start(path string, contents []byte, opts ...StartOption) (*Server, error) {
	var cfg startConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := setup(); err != nil {
		return nil, fmt.Errorf("configure CoreDNS: %w", err)
	}
	if err := checkNotEmpty(path, contents); err != nil {
		return nil, err
	}
	s := &Server{}
	running.mu.Lock()
	if running.srv != nil {
		running.mu.Unlock()
		return nil, errors.New("start CoreDNS: a CoreDNS server already runs in this process; stop it first")
	}
	running.srv = s
	running.mu.Unlock()
	if !cfg.noStackReserve {
		startReserve()
	}
	if !cfg.noGCTuning {
		tuneGC()
	}

	inst, err := caddy.Start(input(path, contents))
	if err != nil {
		err = fmt.Errorf("start CoreDNS: %w", err)
		if inst != nil {
			// Undo what the instance may have started (sockets of health,
			// ready and prometheus, goroutines, a member-table reference)
			// so a second Start can bind the same addresses.
			if cerr := errors.Join(inst.ShutdownCallbacks()...); cerr != nil {
				err = errors.Join(err, fmt.Errorf("clean up after failed start: %w", cerr))
			}
			_ = inst.Stop()
		}
		stopReserve()
		untuneGC()
		running.mu.Lock()
		running.srv = nil
		running.mu.Unlock()
		return nil, err
	}
	awaitServing(inst)
	s.mu.Lock()
	s.inst = inst
	s.mu.Unlock()
	return s, nil
}

// Reload replaces the running configuration with a new Corefile, keeping
// the DNS sockets whose address does not change. If the new Corefile does
// not parse or its plugins fail to start, the old instance keeps running
// and the error, which names the file and line, is returned.
//
// Like CoreDNS itself, Reload does not undo what a failed new instance
// had started before it failed: a parse error starts nothing, but a
// plugin that fails in its startup hook may leave its siblings' sockets
// open.
func (s *Server) Reload(path string, contents []byte) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	old, err := s.current()
	if err != nil {
		return fmt.Errorf("reload CoreDNS: %w", err)
	}
	if err := checkNotEmpty(path, contents); err != nil {
		return err
	}
	before := slices.Clone(caddy.Instances())
	inst, err := old.Restart(input(path, contents))
	if err != nil {
		// Restart also fails when the new instance runs but the old one's
		// shutdown hooks fail; then the old instance is gone and the new
		// one must be adopted or it could never be stopped.
		if n := successor(old, before); n != nil {
			awaitServing(n)
			s.set(n)
			return fmt.Errorf("reload CoreDNS: %s runs, but shutting down the previous configuration failed: %w", path, err)
		}
		return fmt.Errorf("reload CoreDNS: %w", err)
	}
	awaitServing(inst)
	s.set(inst)
	return nil
}

// Stop shuts CoreDNS down for good: it runs every plugin's shutdown hooks
// (consulnode lets go of the member table), closes the listeners and
// waits until the servers have stopped. Calling Stop again does nothing.
func (s *Server) Stop() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	inst := s.inst
	s.mu.Unlock()

	// The reload plugin may have started inst a moment ago; a server that
	// is not serving yet would ignore the stop.
	awaitServing(inst)
	err := errors.Join(inst.ShutdownCallbacks()...)
	_ = inst.Stop() // logs and swallows the servers' errors itself
	inst.Wait()
	stopReserve()
	untuneGC()

	running.mu.Lock()
	if running.srv == s {
		running.srv = nil
	}
	running.mu.Unlock()
	if err != nil {
		return fmt.Errorf("stop CoreDNS: %w", err)
	}
	return nil
}

// Addrs returns the addresses the DNS servers are bound to, UDP and TCP;
// with port 0 in the Corefile they show the ports the system picked,
// which differ between UDP and TCP.
func (s *Server) Addrs() (udp, tcp []netip.AddrPort) {
	s.mu.Lock()
	inst := s.inst
	s.mu.Unlock()
	for _, l := range inst.Servers() {
		if a, ok := l.LocalAddr().(*net.UDPAddr); ok {
			ap := a.AddrPort()
			udp = append(udp, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
		if a, ok := l.Addr().(*net.TCPAddr); ok {
			ap := a.AddrPort()
			tcp = append(tcp, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		}
	}
	return udp, tcp
}

// Corefile returns the name and text of the Corefile that is running,
// which after a reload by the reload plugin may differ from the last one
// given to Start or Reload.
func (s *Server) Corefile() (path string, contents []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst.Caddyfile()
	return in.Path(), slices.Clone(in.Body())
}

// current returns the running instance, or an error once stopped.
func (s *Server) current() (*caddy.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, errors.New("the CoreDNS server is stopped")
	}
	return s.inst, nil
}

// set records inst as the running instance.
func (s *Server) set(inst *caddy.Instance) {
	s.mu.Lock()
	s.inst = inst
	s.mu.Unlock()
}

// follow is a caddy event hook. When an instance starts while the
// Server's instance has been stopped, the new one is its successor: this
// is how Server learns of restarts done by the reload plugin. It runs in
// the goroutine that started the instance, after caddy has updated its
// instance list, so reading that list here does not race with it.
func follow(event caddy.EventName, info any) error {
	if event != caddy.InstanceStartupEvent {
		return nil
	}
	inst, ok := info.(*caddy.Instance)
	if !ok || inst.Caddyfile() == nil || inst.Caddyfile().ServerType() != serverType {
		return nil
	}
	running.mu.Lock()
	s := running.srv
	running.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.inst == inst || s.inst != nil && live(s.inst) {
		return nil // not ours: our instance still runs
	}
	s.inst = inst
	return nil
}

// live reports whether inst is still in caddy's list of running instances.
func live(inst *caddy.Instance) bool {
	return slices.Contains(caddy.Instances(), inst)
}

// successor returns the DNS instance that replaced old in a failed
// restart: one that runs now but did not before. It returns nil if old
// still runs.
func successor(old *caddy.Instance, before []*caddy.Instance) *caddy.Instance {
	if live(old) {
		return nil
	}
	for _, i := range caddy.Instances() {
		if !slices.Contains(before, i) && i.Caddyfile() != nil && i.Caddyfile().ServerType() == serverType {
			return i
		}
	}
	return nil
}

// input wraps a Corefile for caddy.
func input(path string, contents []byte) caddy.Input {
	return caddy.CaddyfileInput{Filepath: path, Contents: contents, ServerTypeName: serverType}
}

// checkNotEmpty rejects a Corefile without server blocks, which caddy
// would accept and then serve nothing. Syntax errors are left to caddy,
// which reports them the same way for every stage.
func checkNotEmpty(path string, contents []byte) error {
	blocks, err := caddyfile.Parse(path, bytes.NewReader(contents), nil)
	if err == nil && len(blocks) == 0 {
		return fmt.Errorf("the Corefile %s has no server blocks: it would serve nothing", path)
	}
	return nil
}
