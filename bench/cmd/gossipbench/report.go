package main

import (
	"fmt"
	"math"
	"time"

	"github.com/discod/discod/bench/internal/mdreport"
	"github.com/discod/discod/bench/internal/stats"
	"github.com/discod/discod/bench/internal/swim"
)

// report collects the Markdown the run prints and saves.
type report = mdreport.Report

func medS(d []time.Duration) float64 { return stats.Median(secs(d)) }

func fs(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func reportReal(rep *report, c config, real map[string]map[int]clusterResult) {
	rep.Printf("## Real agents (%d events each, medians; \"all\" = the last member to see it)\n\n", c.trials)
	if c.burn > 0 {
		rep.Printf("Under load: %d goroutines spinning in the agents' process from convergence on.\n\n", c.burn)
	}
	var rows [][]string
	for _, pn := range c.profiles {
		for _, n := range c.sizes {
			r, ok := real[pn][n]
			if !ok {
				continue
			}
			rows = append(rows, []string{pn, fmt.Sprint(n), fmt.Sprintf("%.1f", r.Converge.Seconds()),
				fs(medS(r.Join)), fs(medS(r.Fail)), fs(medS(r.Leave)),
				fmt.Sprintf("%.0f", r.HeapPerMember/1024), rssCell(r.RSSPerMember),
				fmt.Sprintf("%.0f", r.BytesPerMemberPerSec), fmt.Sprintf("%.2f", r.CPUPerMemberPct),
				fmt.Sprintf("%d / %d", r.FalseSuspects, r.FalseFail), fmt.Sprint(r.LeaveAsFailed), fmt.Sprint(r.UDPDrops)})
		}
	}
	rep.Table([]string{"profile", "members", "converge s", "join all s", "fail all s", "leave all s", "heap KiB/member", "RSS KiB/member",
		"gossip B/s/member", "CPU %/member", "false suspect / fail", "leave seen as failed", "UDP drops"}, rows)
}

func reportSim(rep *report, c config, all map[string]profile, real map[string]map[int]clusterResult, hop time.Duration) {
	rep.Printf("## Simulator vs measurement (hop delay calibrated on the real join times: %s)\n\n", hop)
	var rows [][]string
	for _, pn := range c.profiles {
		cfg := all[pn].Sim
		cfg.HopDelay = hop
		for _, n := range c.simSizes {
			trials := c.simTrials
			if n >= 5000 {
				trials = min(trials, 5)
			}
			j := simMedian(cfg, n, trials, func(s *swim.Sim) swim.Result { return s.Join(2 * time.Minute) })
			f := simMedian(cfg, n, trials, func(s *swim.Sim) swim.Result { return s.Fail(3 * time.Minute) })
			l := simMedian(cfg, n, trials, func(s *swim.Sim) swim.Result { return s.Leave(2 * time.Minute) })
			withIntent := cfg
			withIntent.LeaveIntent = true
			lm := l
			if !cfg.LeaveIntent {
				lm = simMedian(withIntent, n, trials, func(s *swim.Sim) swim.Result { return s.Leave(2 * time.Minute) })
			}
			mj, mf, ml := "–", "–", "–"
			if r, ok := real[pn][n]; ok {
				mj, mf, ml = fs(medS(r.Join)), fs(medS(r.Fail)), fs(medS(r.Leave))
			}
			rows = append(rows, []string{pn, fmt.Sprint(n), fs(j.Seconds()), mj, fs(f.Seconds()), mf, fs(l.Seconds()), ml, fs(lm.Seconds())})
		}
	}
	rep.Table([]string{"profile", "members", "join sim s", "join real s", "fail sim s", "fail real s", "leave sim s", "leave real s", "leave sim s, membership's Leave"}, rows)
	rep.Printf("The lanraw and tuned profiles run plain memberlist, whose leave has no leaving-flag step; the last column predicts the leave inside membership.Agent, which gossips its leaving flag first.\n\n")
}

// rssCell formats RSS growth per member. Clusters run one after another
// in one process, so RSS can shrink while a small cluster runs (the
// runtime returns the previous, larger cluster's memory); such a reading
// says nothing and is shown as "–". The live heap column is the steadier
// figure.
func rssCell(perMember float64) string {
	if perMember <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", perMember/1024)
}
