package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Watches, as `consul watch` and Consul's api/watch run them: a loop of
// blocking reads (?index=&wait=) that hands every changed result to a
// handler.

// WatchSpec says what a watch follows.
type WatchSpec struct {
	// Type is nodes, services, service or checks.
	Type string
	// Service names the service of a service watch (required) or of a
	// checks watch (optional: the checks of that service's instances).
	Service string
	// Tags narrow a service watch: every one must match.
	Tags []string
	// PassingOnly keeps only the instances whose checks all pass.
	PassingOnly bool
	// State is the check state of a checks watch without Service: any
	// (the default), passing, warning or critical.
	State string
	// Filter is a ?filter= expression; "" for none.
	Filter string
}

// WatchTypes are the watch types discod serves.
var WatchTypes = []string{"nodes", "services", "service", "checks"}

// Path returns the request path and query of the watch's read, or an
// error naming the flag or key that is wrong.
func (w WatchSpec) Path() (string, error) {
	q := url.Values{}
	if w.Filter != "" {
		q.Set("filter", w.Filter)
	}
	var path string
	switch w.Type {
	case "nodes":
		path = "/v1/catalog/nodes"
	case "services":
		path = "/v1/catalog/services"
	case "service":
		if w.Service == "" {
			return "", errors.New("a service watch needs a service name (-service)")
		}
		path = "/v1/health/service/" + url.PathEscape(w.Service)
		for _, t := range w.Tags {
			q.Add("tag", t)
		}
		if w.PassingOnly {
			q.Set("passing", "1")
		}
	case "checks":
		switch {
		case w.Service != "" && w.State != "":
			return "", errors.New("a checks watch takes a service or a state, not both")
		case w.Service != "":
			path = "/v1/health/checks/" + url.PathEscape(w.Service)
		default:
			st := w.State
			if st == "" {
				st = "any"
			}
			if !healthStates[st] {
				return "", fmt.Errorf("check state %q: want any, passing, warning or critical", st)
			}
			path = "/v1/health/state/" + st
		}
	case "":
		return "", errors.New("a watch needs a type (-type): nodes, services, service or checks")
	default:
		return "", fmt.Errorf("watch type %q is not served by discod: want nodes, services, service or checks", w.Type)
	}
	if w.Type != "service" && (len(w.Tags) > 0 || w.PassingOnly) {
		return "", fmt.Errorf("tags and passing-only apply to a service watch, not to a %s watch", w.Type)
	}
	if w.Type != "service" && w.Type != "checks" && w.Service != "" {
		return "", fmt.Errorf("a %s watch takes no service", w.Type)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path, nil
}

// Blocking performs one blocking read of path (with its own query) at
// index, waiting up to wait, and returns the raw answer and its index.
func (c *Client) Blocking(ctx context.Context, path string, index uint64, wait time.Duration) ([]byte, uint64, error) {
	sep := "?"
	if bytes.ContainsRune([]byte(path), '?') {
		sep = "&"
	}
	if index > 0 {
		path += sep + "index=" + strconv.FormatUint(index, 10) + "&wait=" + strconv.FormatInt(wait.Milliseconds(), 10) + "ms"
	}
	ctx, cancel := context.WithTimeout(ctx, wait+wait/waitJitterFraction+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, 0, err
	}
	if c.token != "" {
		req.Header.Set(TokenHeader, c.token)
	}
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w at %s: %v", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("read answer from %s: %w", c.base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s (HTTP %d)", bytes.TrimSpace(body), resp.StatusCode)
	}
	idx, err := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("agent at %s sent no numeric X-Consul-Index for %s", c.base, path)
	}
	return body, idx, nil
}

// Watch runs spec until ctx ends, calling fn with every result that
// differs from the one before (the first one included), as api/watch
// does: an answer with the same index or the same body is not handed on;
// an index that goes backwards (the agent restarted) starts over from 0.
// Errors of the agent are passed to onErr (nil: dropped) and retried with
// a growing pause (1 s, 2 s, 4 s… up to 30 s); an error from fn ends the
// watch.
func (c *Client) Watch(ctx context.Context, spec WatchSpec, wait time.Duration, fn func(index uint64, body []byte) error, onErr func(error)) error {
	path, err := spec.Path()
	if err != nil {
		return err
	}
	if wait <= 0 {
		wait = DefaultWait
	}
	var index uint64
	var last []byte
	pause := time.Second
	for ctx.Err() == nil {
		body, idx, err := c.Blocking(ctx, path, index, wait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if onErr != nil {
				onErr(err)
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
			pause = min(2*pause, 30*time.Second)
			continue
		}
		pause = time.Second
		if idx < index {
			index = 0 // the agent restarted: start over
			continue
		}
		changed := idx != index && !bytes.Equal(body, last)
		index = idx
		if changed {
			last = body
			if err := fn(idx, body); err != nil {
				return err
			}
		}
	}
	return nil
}
