package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// stats are the run's numbers: convergence per kind, divergences and how
// long each lived, wrong answers after convergence.
type stats struct {
	mu      sync.Mutex
	conv    map[string][]time.Duration
	failed  map[string]int
	open    map[string]time.Time // divergence key → first seen
	lived   []lived              // closed divergences, longest first at the end
	wrong   time.Duration        // time with a wrong answer after convergence
	wrongN  int                  // sampling rounds with a wrong answer after convergence
	rounds  int
	crashes int
	nfail   int
	wrongEx []string // a few examples of wrong answers after convergence
}

// lived is one divergence: an answer that differed from the truth from
// first seen until it matched (or was reported).
type lived struct {
	key  string
	d    time.Duration
	late bool // seen after convergence
}

func newStats() *stats {
	return &stats{conv: map[string][]time.Duration{}, failed: map[string]int{}, open: map[string]time.Time{}}
}

// track takes one sampling round's differences: new keys open a
// divergence, keys gone close one. steady rounds (after convergence) add
// their gap to the wrong-answer time when anything differs.
func (s *stats) track(d []diff, steady bool, gap time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rounds++
	now := time.Now()
	seen := map[string]bool{}
	for _, x := range d {
		seen[x.key] = true
		if _, ok := s.open[x.key]; !ok {
			s.open[x.key] = now
		}
	}
	for k, t0 := range s.open {
		if !seen[k] {
			s.lived = append(s.lived, lived{key: k, d: now.Sub(t0), late: steady})
			delete(s.open, k)
		}
	}
	if steady && len(d) > 0 {
		s.wrong += gap
		s.wrongN++
		if len(s.wrongEx) < 5 {
			s.wrongEx = append(s.wrongEx, fmt.Sprintf("%s %s: got %s, want %s", stamp(), d[0].key, d[0].got, d[0].want))
		}
	}
}

func (s *stats) converged(kind string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conv[kind] = append(s.conv[kind], d)
}

func (s *stats) diverged(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed[kind]++
	s.nfail++
}

func (s *stats) fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nfail++
}

func (s *stats) crash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashes++
	s.nfail++
}

// wrongAfter reports whether any answer was wrong after a convergence
// (then the agents' logs are kept, to find the moment in them).
func (s *stats) wrongAfter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrongN > 0
}

func (s *stats) failures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nfail
}

// percentile returns the p-th percentile (0–100) of ds, which it sorts.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)-1)*p/100]
}

// summary is the table printed at the end of a run.
func (w *world) summary() string {
	s := w.st
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	build := "plain build"
	if *flagRace {
		build = "-race build"
	}
	fmt.Fprintf(&b, "chaos summary: seed %d, %d agents (%s), %d answers compared in %d rounds\n",
		w.seed, len(w.c.slots), build, w.questions.Load(), s.rounds)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "event\tcount\tconverged\tp50\tmax\t")
	var kinds []string
	for _, k := range append(append([]string{"start", kindLeft, kindDiskMem}, faultKinds...), flipKinds...) {
		if len(s.conv[k])+s.failed[k] > 0 {
			kinds = append(kinds, k)
		}
	}
	faults := 0
	for _, k := range kinds {
		ds := s.conv[k]
		n := len(ds) + s.failed[k]
		if slices.Contains(faultKinds, k) {
			faults += n
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%v\t\n", k, n, len(ds),
			percentile(ds, 50).Round(100*time.Millisecond), percentile(ds, 100).Round(100*time.Millisecond))
	}
	tw.Flush()
	fmt.Fprintf(&b, "faults: %d; divergences past the %v bound: %d; crashes: %d\n", faults, convergenceBound, sumValues(s.failed), s.crashes)
	fmt.Fprintf(&b, "wrong answers after convergence: %.1f s in %d sampling rounds\n", s.wrong.Seconds(), s.wrongN)
	for _, ex := range s.wrongEx {
		fmt.Fprintf(&b, "  e.g. %s\n", ex)
	}
	ls := slices.Clone(s.lived)
	slices.SortFunc(ls, func(a, b lived) int { return int(b.d - a.d) })
	fmt.Fprintf(&b, "divergences seen: %d; longest lived:\n", len(ls))
	for _, l := range ls[:min(5, len(ls))] {
		fmt.Fprintf(&b, "  %v  %s\n", l.d.Round(100*time.Millisecond), l.key)
	}
	if w.watch != nil {
		dl := w.watch.deliveries()
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(dl)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, dl[k]))
		}
		fmt.Fprintf(&b, "watcher deliveries: %s\n", strings.Join(parts, ", "))
	}
	if m := w.caps.missing(); len(m) > 0 {
		fmt.Fprintf(&b, "NOT CHECKED (not served by this build): %s\n", strings.Join(m, "; "))
	}
	if !w.canSplit {
		fmt.Fprintf(&b, "partitions left out: %s\n", w.noSplit)
	}
	return b.String()
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
