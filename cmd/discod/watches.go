package main

import (
	"context"
	"fmt"
	"os"

	"github.com/discod/discod/config"
	"github.com/discod/discod/httpapi"
)

// startWatches runs the watches block of the configuration against the
// agent's own HTTP API at httpAddr, each watch in a goroutine of its own
// until stop cancels them: a blocking-query loop that runs the watch's
// handler with every changed result on its standard input, as `discod
// watch` does. A watch the API would refuse stops the start, naming the
// file and entry.
func (d *daemon) startWatches(httpAddr string) error {
	rt := d.runtime()
	if len(rt.Watches) == 0 {
		return nil
	}
	type job struct {
		spec    httpapi.WatchSpec
		handler []string
		shell   bool
		from    string
	}
	jobs := make([]job, 0, len(rt.Watches))
	for _, w := range rt.Watches {
		j := job{spec: watchSpecOf(w), handler: w.Args, from: w.From}
		if len(w.Args) == 0 {
			j.handler, j.shell = []string{w.Handler}, true
		}
		if _, err := j.spec.Path(); err != nil {
			return fmt.Errorf("%s: %w", w.From, err)
		}
		jobs = append(jobs, j)
	}
	c, err := httpapi.NewClient(httpAddr)
	if err != nil {
		return fmt.Errorf("watches: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stopWatches = cancel
	for _, j := range jobs {
		go func() {
			err := c.Watch(ctx, j.spec, 0, func(index uint64, body []byte) error {
				return runHandler(ctx, j.handler, j.shell, index, body, d.stdout, os.Stderr)
			}, func(err error) { d.log.Warn("watch failed; retrying", "watch", j.from, "error", err) })
			if err != nil {
				d.log.Error("watch stopped", "watch", j.from, "error", err)
			}
		}()
	}
	d.log.Info("watches running", "count", len(jobs))
	return nil
}

// watchSpecOf converts a configured watch into what the API client runs.
func watchSpecOf(w config.Watch) httpapi.WatchSpec {
	return httpapi.WatchSpec{Type: w.Type, Service: w.Service, Tags: w.Tags, PassingOnly: w.PassingOnly, State: w.State}
}
