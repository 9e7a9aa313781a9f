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
	server  bool
	watched bool       // the watchers talk to it: it keeps its address
	ipMu    sync.Mutex // guards ip
	ip      string     // current address; changed only between runs
	dataDir string
	confDir string
	proc    *proc // the current run
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
// case; the catalog keeps it).
var nodeNames = []string{"Core-0", "Web-1", "web-2", "Db-3", "CACHE-4", "edge-5"}

func newCluster(w *world) *cluster {
	c := &cluster{w: w}
	for i, name := range nodeNames {
		s := &slot{i: i, name: name, server: i == 0, watched: i == 1, ip: fmt.Sprintf("127.0.0.%d", 100+i)}
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
// Web-1 and Db-3 for the server itself.
func (c *cluster) joinAddrs(s *slot) []string {
	var out []string
	for _, j := range []int{0, 1, 3} {
		if j != s.i && len(out) < 2 {
			out = append(out, c.slots[j].IP())
		}
	}
	return out
}

// start runs a new agent process for s and waits (bounded) until its HTTP
// API answers.
func (c *cluster) start(s *slot) error {
	ip := s.IP()
	args := []string{"agent", "-node=" + s.name, "-bind=" + ip, "-client=" + ip,
		"-data-dir=" + s.dataDir, "-config-dir=" + s.confDir}
	if s.server {
		args = append(args, "-server")
	}
	for _, a := range c.joinAddrs(s) {
		args = append(args, "-retry-join="+a)
	}
	s.runs++
	p, err := testproc.Start(fmt.Sprintf("%s run %d on %s", s.name, s.runs, ip), exec.Command(discodBin, args...))
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

// freshDataDir gives s an empty data dir (the slot must not run).
func (c *cluster) freshDataDir(s *slot) {
	s.dataDir = c.w.t.TempDir()
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
