// Package logstream lets clients follow an agent's log as it is written
// (`discod monitor`, GET /v1/agent/monitor): a slog.Handler that passes
// every record to the agent's own handler and to each subscriber at the
// subscriber's level.
package logstream

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// Hub fans log records out to subscribers. A slow subscriber loses lines
// (counted, and reported to it) rather than slowing the agent down.
type Hub struct {
	mu   sync.Mutex // guards subs
	subs map[*Sub]struct{}
}

// Sub is one subscriber: rendered lines arrive on C.
type Sub struct {
	C       chan []byte
	level   slog.Level
	h       slog.Handler // renders into buf
	buf     *bytes.Buffer
	dropped int
}

// Subscribe returns a subscriber for records at level and above, rendered
// as text or JSON. Call Unsubscribe when done.
func (h *Hub) Subscribe(level slog.Level, asJSON bool) *Sub {
	s := &Sub{C: make(chan []byte, 256), level: level, buf: new(bytes.Buffer)}
	opts := &slog.HandlerOptions{Level: level}
	if asJSON {
		s.h = slog.NewJSONHandler(s.buf, opts)
	} else {
		s.h = slog.NewTextHandler(s.buf, opts)
	}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Sub]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Unsubscribe stops deliveries to s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (h *Hub) publish(ctx context.Context, r slog.Record, attrs []slog.Attr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if r.Level < s.level {
			continue
		}
		s.buf.Reset()
		_ = s.h.WithAttrs(attrs).Handle(ctx, r)
		line := bytes.Clone(s.buf.Bytes())
		select {
		case s.C <- line:
		default:
			s.dropped++
		}
	}
}

// Handler wraps next so that every record also reaches the hub.
func (h *Hub) Handler(next slog.Handler) slog.Handler { return &handler{hub: h, next: next} }

type handler struct {
	hub   *Hub
	next  slog.Handler
	attrs []slog.Attr
}

// Enabled is true at every level: subscribers may want debug lines the
// agent's own log does not write; Handle filters for next.
func (h *handler) Enabled(context.Context, slog.Level) bool { return true }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	h.hub.publish(ctx, r, h.attrs)
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{hub: h.hub, next: h.next.WithAttrs(as), attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{hub: h.hub, next: h.next.WithGroup(name), attrs: h.attrs}
}
