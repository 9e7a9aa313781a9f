package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/discod/discod/servicedef"
)

// besideCheckInterval is the checks scenario's check interval, the one
// BenchmarkHTTPChecks1000 (checks/bench_test.go) uses.
const besideCheckInterval = 10 * time.Second

// besideChecksPerService is how many of the checks scenario's HTTP checks
// one service carries: the agent holds at most local.DefaultMaxServices
// services (its own "beside" service among them) and twice as many checks,
// so 1,000 checks are 500 services of two.
const besideChecksPerService = 2

// checkServices is how many services carry n checks.
func checkServices(n int) int { return (n + besideChecksPerService - 1) / besideChecksPerService }

// scenChecks runs the checks scenario: quiet = no checks, loaded =
// b.checks HTTP checks, two to a service, registered and running.
func (r *besideRun) scenChecks(ctx context.Context) error {
	b := r.c.beside
	target, err := startCheckTarget()
	if err != nil {
		return err
	}
	defer func() { _ = target.Close() }()
	url := "http://" + target.Addr().String() + "/health"
	r.progress(fmt.Sprintf("beside: checks: %d HTTP checks every %s against %s", b.checks, besideCheckInterval, url))
	for round := 1; round <= b.rounds; round++ {
		if _, err := r.measureRow(ctx, "checks", "quiet", round); err != nil {
			return err
		}
		m0, err := r.agent.metrics(ctx)
		if err != nil {
			return err
		}
		runs0 := m0.sum("discod_check_runs_total")
		for i := range checkServices(b.checks) {
			id := "chk-" + strconv.Itoa(i)
			def := &servicedef.Service{ID: id, Name: "chk" + strconv.Itoa(i%20), Port: 8080}
			for k := range min(besideChecksPerService, b.checks-i*besideChecksPerService) {
				def.Checks = append(def.Checks, servicedef.Check{Name: "HTTP health " + strconv.Itoa(k+1), HTTP: url, Interval: besideCheckInterval, Timeout: time.Second})
			}
			if err := r.agent.api.ServiceRegister(ctx, def); err != nil {
				return fmt.Errorf("checks: register %s: %w", id, err)
			}
		}
		// Every check has run once: the load is in its steady state.
		if _, err := r.agent.waitMetric(ctx, 2*besideCheckInterval+30*time.Second, fmt.Sprintf("%d check runs", b.checks), func(m promMetrics) bool {
			return m.sum("discod_check_runs_total")-runs0 >= float64(b.checks)
		}); err != nil {
			return fmt.Errorf("checks: %w", err)
		}
		if _, err := r.measureRow(ctx, "checks", "loaded", round); err != nil {
			return err
		}
		for i := range checkServices(b.checks) {
			id := "chk-" + strconv.Itoa(i)
			if err := r.agent.api.ServiceDeregister(ctx, id); err != nil {
				return fmt.Errorf("checks: deregister %s: %w", id, err)
			}
		}
	}
	return nil
}

// checkTarget is the HTTP server the checks scenario's checks ask.
type checkTarget struct {
	ln  net.Listener
	srv *http.Server
}

func startCheckTarget() (*checkTarget, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(besideTargetAddr.String(), "8080"))
	if err != nil {
		return nil, fmt.Errorf("checks: target server: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &checkTarget{ln: ln, srv: srv}, nil
}

func (t *checkTarget) Addr() net.Addr { return t.ln.Addr() }
func (t *checkTarget) Close() error   { return t.srv.Close() }

// scenBlocked runs the blocked scenario: quiet = no blocking reads,
// loaded = b.blocked held by a dnsbench hold process, all woken every
// second by a service registered or deregistered on the agent.
func (r *besideRun) scenBlocked(ctx context.Context) error {
	b := r.c.beside
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("blocked: %w", err)
	}
	r.progress(fmt.Sprintf("beside: blocked: %d blocking reads of /v1/catalog/services, a catalog change every second", b.blocked))
	for round := 1; round <= b.rounds; round++ {
		if _, err := r.measureRow(ctx, "blocked", "quiet", round); err != nil {
			return err
		}
		h, err := startHolder(ctx, self, b.blocked)
		if err != nil {
			return err
		}
		err = r.blockedRound(ctx, round)
		wakeups, werr := h.stop()
		if err = errors.Join(err, werr); err != nil {
			return fmt.Errorf("blocked: %w", err)
		}
		r.progress(fmt.Sprintf("  holder: %s", wakeups))
		if err := r.noteHolder(wakeups); err != nil {
			return fmt.Errorf("blocked: %w", err)
		}
		if _, err := r.agent.waitMetric(ctx, 30*time.Second, "the held reads gone", func(m promMetrics) bool {
			return m.sum("discod_http_blocked_requests") == 0
		}); err != nil {
			return fmt.Errorf("blocked: %w", err)
		}
	}
	return nil
}

// noteHolder puts the holder's closing line into the extra figures of
// the last row measured, the loaded one.
func (r *besideRun) noteHolder(line string) error {
	var w, e, ch int
	var p50, top float64
	if _, err := fmt.Sscanf(line, "wakeups %d errors %d changes %d spread_p50_ms %g spread_max_ms %g", &w, &e, &ch, &p50, &top); err != nil {
		return fmt.Errorf("holder: %q: %w", line, err)
	}
	if len(r.rows) > 0 {
		r.rows[len(r.rows)-1].Extra = map[string]float64{"holder_wakeups": float64(w), "holder_errors": float64(e),
			"storms": float64(ch), "all_woken_p50_ms": p50, "all_woken_max_ms": top}
	}
	return nil
}

// blockedRound is the loaded part of a blocked round, once the holder
// is running.
func (r *besideRun) blockedRound(ctx context.Context, round int) error {
	n := float64(r.c.beside.blocked)
	if _, err := r.agent.waitMetric(ctx, 60*time.Second, fmt.Sprintf("%.0f reads held", n), func(m promMetrics) bool {
		return m.sum("discod_http_blocked_requests") >= n
	}); err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var changeErr error
	wg.Go(func() { changeErr = r.changeEverySecond(cctx) })
	_, err := r.measureRow(ctx, "blocked", "loaded", round)
	cancel()
	wg.Wait()
	if errors.Is(changeErr, context.Canceled) {
		changeErr = nil
	}
	return errors.Join(err, changeErr)
}

// changeEverySecond registers and deregisters the service "flip" on the
// agent, one change a second, until ctx ends; it leaves it deregistered.
func (r *besideRun) changeEverySecond(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	on := false
	defer func() {
		if on {
			_ = r.agent.api.ServiceDeregister(context.Background(), "flip")
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		var err error
		if on {
			err = r.agent.api.ServiceDeregister(ctx, "flip")
		} else {
			err = r.agent.api.ServiceRegister(ctx, &servicedef.Service{ID: "flip", Name: "flip", Port: 80})
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("catalog change: %w", err)
		}
		on = !on
	}
}

// child is a helper process of the beside phase driven by lines on its
// standard input and output.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	lines  chan string
	exited chan error

	once    sync.Once
	waitErr error
}

func startChild(name, path string, args ...string) (*child, error) {
	cmd := exec.Command(path, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ch := &child{name: name, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), stderr: &tailBuffer{max: 4096},
		lines: make(chan string, 16), exited: make(chan error, 1)}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		for {
			l, err := ch.out.ReadString('\n')
			if l != "" {
				ch.lines <- strings.TrimSpace(l)
			}
			if err != nil {
				close(ch.lines)
				ch.exited <- cmd.Wait()
				return
			}
		}
	}()
	return ch, nil
}

// expect waits up to d for the child's next line, which must begin with
// prefix, and returns it.
func (ch *child) expect(ctx context.Context, prefix string, d time.Duration) (string, error) {
	select {
	case l, ok := <-ch.lines:
		if !ok {
			return "", fmt.Errorf("%s exited before %q: %s", ch.name, prefix, ch.stderr.String())
		}
		if !strings.HasPrefix(l, prefix) {
			return l, fmt.Errorf("%s: got %q, want %q: %s", ch.name, l, prefix, ch.stderr.String())
		}
		return l, nil
	case <-time.After(d):
		return "", fmt.Errorf("%s: no %q within %s: %s", ch.name, prefix, d, ch.stderr.String())
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// send writes one command line to the child.
func (ch *child) send(cmd string) error {
	if _, err := fmt.Fprintln(ch.stdin, cmd); err != nil {
		return fmt.Errorf("%s: send %q: %w", ch.name, cmd, err)
	}
	return nil
}

// wait closes the child's input and waits up to d for it to exit; then
// it is killed. Later calls return the first one's result.
func (ch *child) wait(d time.Duration) error {
	ch.once.Do(func() { ch.waitErr = ch.waitOnce(d) })
	return ch.waitErr
}

func (ch *child) waitOnce(d time.Duration) error {
	_ = ch.stdin.Close()
	timeout := time.After(d)
	for {
		select {
		case _, ok := <-ch.lines: // drain what it still prints
			if ok {
				continue
			}
			select {
			case err := <-ch.exited:
				if err != nil {
					return fmt.Errorf("%s: %w: %s", ch.name, err, ch.stderr.String())
				}
				return nil
			case <-timeout:
			}
		case <-timeout:
		}
		_ = ch.cmd.Process.Kill()
		for range ch.lines {
		}
		<-ch.exited
		return fmt.Errorf("%s did not exit within %s; killed: %s", ch.name, d, ch.stderr.String())
	}
}

// holder is a dnsbench hold process.
type holder struct{ ch *child }

func startHolder(ctx context.Context, self string, n int) (*holder, error) {
	ch, err := startChild("holder", self, "hold", "-agent", net.JoinHostPort(besideAgentAddr.String(), strconv.Itoa(besideHTTP)),
		"-n", strconv.Itoa(n), "-from", besideHoldFrom.String(), "-sources", strconv.Itoa(besideHoldSources))
	if err != nil {
		return nil, err
	}
	if _, err := ch.expect(ctx, "sent", 60*time.Second); err != nil {
		_ = ch.cmd.Process.Kill()
		_ = ch.wait(10 * time.Second)
		return nil, err
	}
	return &holder{ch}, nil
}

// stop ends the holder and returns its closing line ("wakeups W errors E").
func (h *holder) stop() (string, error) {
	if err := h.ch.send("quit"); err != nil {
		return "", errors.Join(err, h.ch.wait(10*time.Second))
	}
	line, err := h.ch.expect(context.Background(), "wakeups", 30*time.Second)
	return line, errors.Join(err, h.ch.wait(10*time.Second))
}

// scenGossip runs the gossip scenario at n agents: quiet = the cluster
// stopped; loaded = the agent joined by a gossipbench -serve-beside
// cluster, at rest and during a rolling deploy.
func (r *besideRun) scenGossip(ctx context.Context, n int) error {
	b := r.c.beside
	name := "gossip-" + strconv.Itoa(n)
	join := net.JoinHostPort(besideAgentAddr.String(), strconv.Itoa(besideSerf))
	r.progress(fmt.Sprintf("beside: %s: %d agents, %d instances, rolling deploy at %.0f changes/s", name, n, b.catalog, b.deployRate))
	for round := 1; round <= b.rounds; round++ {
		if _, err := r.measureRow(ctx, name, "quiet", round); err != nil {
			return err
		}
		if err := r.gossipRound(ctx, name, join, n, round); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// gossipRound is the loaded part of one gossip round: start the cluster,
// wait until the agent holds its catalog, measure at rest and during the
// deploy, stop the cluster.
func (r *besideRun) gossipRound(ctx context.Context, name, join string, n, round int) (err error) {
	b := r.c.beside
	t0 := time.Now()
	ch, err := startChild("gossipbench", filepath.Join(r.bin, "gossipbench"), "-serve-beside", join,
		"-sizes", strconv.Itoa(n), "-catalog", strconv.Itoa(b.catalog))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = ch.cmd.Process.Kill()
			_ = ch.wait(10 * time.Second)
		}
	}()
	line, err := ch.expect(ctx, "ready", 300*time.Second)
	if err != nil {
		return err
	}
	var got, instances int
	if _, err := fmt.Sscanf(line, "ready %d %d", &got, &instances); err != nil {
		return fmt.Errorf("gossipbench: %q: %w", line, err)
	}
	// The agent holds the cluster's catalog (and its own service).
	if _, err := r.agent.waitMetric(ctx, 120*time.Second, fmt.Sprintf("%d instances in the catalog", instances+1), func(m promMetrics) bool {
		return m.sum("discod_catalog_instances") >= float64(instances+1)
	}); err != nil {
		return err
	}
	r.progress(fmt.Sprintf("  %s up, the agent holds its %d instances, after %.1f s", name, instances, time.Since(t0).Seconds()))
	if _, err := r.measureRow(ctx, name, "rest", round); err != nil {
		return err
	}
	if err := ch.send(fmt.Sprintf("deploy %g", b.deployRate)); err != nil {
		return err
	}
	if _, err := ch.expect(ctx, "ok", 10*time.Second); err != nil {
		return err
	}
	row, err := r.measureRow(ctx, name, "deploy", round)
	if err != nil {
		return err
	}
	if err := ch.send("stop"); err != nil {
		return err
	}
	line, err = ch.expect(ctx, "deployed", 30*time.Second)
	if err != nil {
		return err
	}
	var changes int
	var secs float64
	if _, err := fmt.Sscanf(line, "deployed %d %g", &changes, &secs); err != nil {
		return fmt.Errorf("gossipbench: %q: %w", line, err)
	}
	row.Extra = map[string]float64{"deployed": float64(changes), "deploy_per_s": float64(changes) / max(secs, 1e-9), "cluster_instances": float64(instances)}
	if err := ch.send("quit"); err != nil {
		return err
	}
	if _, err := ch.expect(ctx, "bye", 60*time.Second); err != nil {
		return err
	}
	// The cluster leaves a group of agents at a time (gossipbench's
	// besideLeaveGroup), each leave taking up to about a second on a busy
	// machine.
	if err := ch.wait(60*time.Second + time.Duration(n)*time.Second); err != nil {
		return err
	}
	// The cluster left: wait until the agent counts itself alone (its
	// members as it reports them over HTTP). If it does not, the next
	// quiet row is measured anyway, and the report says so.
	if err := r.waitAlone(ctx, 60*time.Second); err != nil {
		r.progress(fmt.Sprintf("  %s: WARNING: %v", name, err))
		r.warnings = append(r.warnings, fmt.Sprintf("%s round %d: %v", name, round, err))
	}
	return nil
}

// waitAlone waits until the agent's member list has no other alive
// member.
func (r *besideRun) waitAlone(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ms, err := r.agent.api.Members(ctx)
		alive := 0
		for _, m := range ms {
			if m.Status == 1 {
				alive++
			}
		}
		if err == nil && alive <= 1 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the agent still sees %d members alive %s after the cluster left (last error %v)", alive, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
