package chaos

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/discod/discod/internal/testproc"
)

// slot is one "machine": a node name and its agent, restarted by the
// schedule, maybe on another address or with a fresh data dir.
type slot struct {
	i       int
	name    string
	dc      string // "dc1" or "dc2"
	server  bool
	watched bool       // the watchers talk to it: it keeps its address
	ipMu    sync.Mutex // guards ip
	ip      string     // current address; changed only between runs
	dataDir string
	confDir string
	disk    *diskNS // the data dir's tmpfs in a mount namespace, or nil
	proc    *proc   // the current run
	runs    int
}

// IP is the slot's current address.
func (s *slot) IP() string {
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	return s.ip
}

// proc is one run of an agent. ended is set before the schedule stops it,
// so that any other exit counts as a crash.
type proc struct {
	s       *slot
	p       *testproc.Process
	ended   atomic.Bool
	settled chan struct{} // closed when start returns
}

// cluster holds every slot and every process ever started, for the crash
// and log checks at the end.
type cluster struct {
	w       *world
	slots   []*slot
	mu      sync.Mutex // guards procs, crashes, free
	procs   []*proc
	crashes []string
	free    []string // addresses to move to
}

// nodeNames are the slots' names: mixed case on purpose (DNS does not see
// case; the catalog keeps it). The first six are dc1, the others dc2
// (with -dcs 2); slot 6 is dc2's server.
var nodeNames = []string{"Core-0", "Web-1", "web-2", "Db-3", "CACHE-4", "edge-5", "DC2-Core-6", "dc2-Web-7", "Dc2-app-8"}

// dc1Slots is how many slots dc1 has.
const dc1Slots = 6

// diskSlots are the slots whose data dir is a tmpfs in a mount namespace
// (when the machine allows it), for the data-dir faults.
var diskSlots = []int{3, 8}

func newCluster(w *world, dcs int) *cluster {
	c := &cluster{w: w}
	n := dc1Slots
	if dcs == 2 {
		n = len(nodeNames)
	}
	for i, name := range nodeNames[:n] {
		s := &slot{i: i, name: name, dc: "dc1", server: i == 0 || i == dc1Slots, watched: i == 1, ip: fmt.Sprintf("127.0.0.%d", 100+i)}
		if i >= dc1Slots {
			s.dc = "dc2"
		}
		s.dataDir = w.t.TempDir()
		s.confDir = w.t.TempDir()
		c.slots = append(c.slots, s)
	}
	for i := 110; i <= 120; i++ {
		c.free = append(c.free, fmt.Sprintf("127.0.0.%d", i))
	}
	return c
}

// writeConfig writes the slot's service file (its config-file services).
func (c *cluster) writeConfig(s *slot, svcs []map[string]any) error {
	b, err := json.MarshalIndent(map[string]any{"services": svcs}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.confDir, "services.json"), b, 0o644)
}

// joinAddrs are the -retry-join targets of s: the server and Web-1, or
// Web-1 and Db-3 for the server itself; in dc2, its server and dc2-Web-7.
func (c *cluster) joinAddrs(s *slot) []string {
	order := []int{0, 1, 3}
	if s.dc == "dc2" {
		order = []int{6, 7, 8}
	}
	var out []string
	for _, j := range order {
		if j != s.i && len(out) < 2 {
			out = append(out, c.slots[j].IP())
		}
	}
	return out
}

// wanJoin is the -retry-join-wan target of a server: the other
// datacenter's server, or "" with one datacenter.
func (c *cluster) wanJoin(s *slot) string {
	if !s.server || len(c.slots) <= dc1Slots {
		return ""
	}
	if s.dc == "dc1" {
		return c.slots[dc1Slots].IP()
	}
	return c.slots[0].IP()
}

// dcSlots returns the slots of datacenter dc.
func (c *cluster) dcSlots(dc string) []*slot {
	var out []*slot
	for _, s := range c.slots {
		if s.dc == dc {
			out = append(out, s)
		}
	}
	return out
}

// start runs a new agent process for s and waits (bounded) until its HTTP
// API answers.
func (c *cluster) start(s *slot) error {
	ip := s.IP()
	args := []string{"agent", "-node=" + s.name, "-datacenter=" + s.dc, "-bind=" + ip, "-client=" + ip,
		"-data-dir=" + s.dataDir, "-config-dir=" + s.confDir, "-enable-local-script-checks"}
	if s.server {
		args = append(args, "-server")
	}
	if a := c.wanJoin(s); a != "" {
		args = append(args, "-retry-join-wan="+a)
	}
	for _, a := range c.joinAddrs(s) {
		args = append(args, "-retry-join="+a)
	}
	s.runs++
	cmd := exec.Command(discodBin, args...)
	if s.disk != nil {
		cmd = s.disk.command(discodBin, args...)
	}
	// Failures in the WAN pool are detected in seconds, not tens of them.
	cmd.Env = append(os.Environ(), "DISCOD_WAN_PROFILE=local")
	p, err := testproc.Start(fmt.Sprintf("%s run %d on %s", s.name, s.runs, ip), cmd)
	if err != nil {
		return err
	}
	pr := &proc{s: s, p: p, settled: make(chan struct{})}
	s.proc = pr
	c.mu.Lock()
	c.procs = append(c.procs, pr)
	c.mu.Unlock()
	go func() {
		<-p.Done()
		<-pr.settled
		if !pr.ended.Load() {
			c.mu.Lock()
			c.crashes = append(c.crashes, fmt.Sprintf("%s exited by itself: %v\n%s", p.Name, p.Err(), tail(p.Out.String(), 3000)))
			c.mu.Unlock()
		}
	}()
	err = waitUp(p, ip)
	if err != nil {
		pr.ended.Store(true) // an exit at start is start's error, not a crash
		p.Kill()
	}
	close(pr.settled)
	return err
}

// upClient asks whether an agent is up.
var upClient = &http.Client{Timeout: time.Second}

// waitUp waits (bounded) until the HTTP API of the process at ip answers.
func waitUp(p *testproc.Process, ip string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if !p.Running() {
			return fmt.Errorf("%s exited at start: %v\n%s", p.Name, p.Err(), tail(p.Out.String(), 3000))
		}
		// The listeners are bound before the agent has finished starting
		// (and may still fail): wait for an answer, not a connection.
		if r, err := upClient.Get("http://" + ip + ":8500/v1/agent/self"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: HTTP API not up after 60s", p.Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill sends SIGKILL to the slot's agent and waits for it to exit.
func (c *cluster) kill(s *slot) {
	s.proc.ended.Store(true)
	_ = s.proc.p.Cmd.Process.Signal(syscall.SIGCONT) // a frozen process dies too, but be sure
	s.proc.p.Kill()
}

// leave stops the slot's agent gracefully (SIGINT: leave, then exit 0).
func (c *cluster) leave(s *slot) error {
	s.proc.ended.Store(true)
	code, killed := s.proc.p.Stop(syscall.SIGINT, 30*time.Second)
	if killed {
		return fmt.Errorf("%s did not exit within 30s of SIGINT", s.proc.p.Name)
	}
	if code == 66 {
		return fmt.Errorf("%s: exit code 66 after SIGINT: the race detector reported a DATA RACE", s.proc.p.Name)
	}
	if code != 0 {
		return fmt.Errorf("%s: exit code %d after SIGINT; want 0", s.proc.p.Name, code)
	}
	return nil
}

// signal sends sig (SIGSTOP, SIGCONT) to the slot's agent.
func (c *cluster) signal(s *slot, sig syscall.Signal) {
	_ = s.proc.p.Cmd.Process.Signal(sig)
}

// moveAddr gives s a free address (the slot must not run) and puts its
// old one back in the pool.
func (c *cluster) moveAddr(s *slot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	old := s.ip
	s.ip, c.free = c.free[0], append(c.free[1:], old)
}

// freshDataDir gives s an empty data dir (the slot must not run); a data
// dir in a mount namespace is emptied in place.
func (c *cluster) freshDataDir(s *slot) {
	if s.disk != nil {
		if err := s.disk.empty(); err != nil {
			c.w.errorf("emptying the data dir of %s: %v", s.name, err)
		}
		return
	}
	s.dataDir = c.w.t.TempDir()
}

// dataPath is the path, as the test process sees it, of file name in the
// data dir of s: through /proc/PID/root for a data dir in a mount
// namespace.
func (s *slot) dataPath(name string) string {
	if s.disk != nil {
		return s.disk.path(name)
	}
	return filepath.Join(s.dataDir, name)
}

// takeCrashes returns the crashes recorded since the last call.
func (c *cluster) takeCrashes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.crashes
	c.crashes = nil
	return out
}

// stopAll ends every process (the end of the run).
func (c *cluster) stopAll() {
	for _, s := range c.slots {
		if s.proc != nil {
			s.proc.ended.Store(true)
			_ = s.proc.p.Cmd.Process.Signal(syscall.SIGCONT)
			s.proc.p.Stop(syscall.SIGINT, 20*time.Second)
		}
	}
}

// badLog matches what must never be in an agent's log.
var badLog = regexp.MustCompile(`panic|fatal error|DATA RACE`)

// logProblems returns, for every process whose output matched badLog, its
// name and the lines around the first match.
func (c *cluster) logProblems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, pr := range c.procs {
		log := pr.p.Out.String()
		if loc := badLog.FindStringIndex(log); loc != nil {
			from := max(0, loc[0]-500)
			to := min(len(log), loc[1]+3000)
			out = append(out, fmt.Sprintf("%s: %q in its log:\n%s", pr.p.Name, log[loc[0]:loc[1]], log[from:to]))
		}
	}
	return out
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// saveLogs writes every process's output to a new directory and returns
// its path.
func (c *cluster) saveLogs(seed int64) (string, error) {
	dir, err := os.MkdirTemp("", fmt.Sprintf("discod-chaos-%d-", seed))
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pr := range c.procs {
		name := strings.NewReplacer(" ", "-", "/", "-").Replace(pr.p.Name) + ".log"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pr.p.Out.String()), 0o644); err != nil {
			return dir, err
		}
	}
	return dir, nil
}
