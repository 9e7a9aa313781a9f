package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/discod/discod/membership"
)

// reload serves PUT /v1/agent/reload: the same as SIGHUP. A config or
// Corefile with errors answers 500 with the reason; the running
// configuration stays.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.Reload == nil {
		httpError(w, http.StatusNotImplemented, "reload is not available on this agent")
		return
	}
	if err := s.Reload(); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}

// monitor serves GET /v1/agent/monitor?loglevel=LEVEL[&logjson]: the
// agent's log lines from now on, at LEVEL (default info) and above, one
// per line, until the client goes away.
func (s *Server) monitor(w http.ResponseWriter, r *http.Request) {
	if s.Logs == nil {
		httpError(w, http.StatusNotImplemented, "log streaming is not available on this agent")
		return
	}
	level, err := parseLevel(r.URL.Query().Get("loglevel"))
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	_, asJSON := r.URL.Query()["logjson"]
	flusher, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming is not supported by this connection")
		return
	}
	sub := s.Logs.Subscribe(level, asJSON)
	defer s.Logs.Unsubscribe(sub)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case line := <-sub.C:
			if _, err := w.Write(line); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// parseLevel maps Consul's log level words to slog levels.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "trace":
		return slog.LevelDebug - 4, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "err", "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: use trace, debug, info, warn or error", s)
}

// stats returns the key/value sections `discod info` prints.
func (s *Server) stats() map[string]map[string]string {
	c := s.Agent.Config()
	t := s.Agent.Table()
	count := func(st membership.State) string { return strconv.Itoa(t.Count(st, "", "")) }
	return map[string]map[string]string{
		"agent": {
			"name":       c.NodeName,
			"node_id":    c.NodeID,
			"datacenter": c.Datacenter,
			"server":     strconv.FormatBool(c.Role == membership.RoleServer),
			"version":    s.Version,
			"ready":      strconv.FormatBool(s.Agent.Ready()),
		},
		"serf_lan": {
			"members":   strconv.Itoa(len(t.Members())),
			"alive":     count(membership.StateAlive),
			"failed":    count(membership.StateFailed),
			"left":      count(membership.StateLeft),
			"encrypted": strconv.FormatBool(s.Agent.Encrypted()),
		},
		"runtime": {
			"version":    runtime.Version(),
			"os":         runtime.GOOS,
			"arch":       runtime.GOARCH,
			"goroutines": strconv.Itoa(runtime.NumGoroutine()),
		},
	}
}
