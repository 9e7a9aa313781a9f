package consulnode

import (
	"context"
	"log/slog"
	"strings"
)

// newAgentLogger returns the slog.Logger given to a gossip agent the plugin
// creates itself (stock CoreDNS). Its lines go through CoreDNS's logger as
// "[LEVEL] plugin/consulnode: msg key=value ...", so memberlist's DEBUG
// chatter only shows when the debug plugin is on.
func newAgentLogger() *slog.Logger { return slog.New(&clogHandler{}) }

// clogHandler is a slog.Handler writing to the plugin's clog logger.
type clogHandler struct {
	attrs  string // pre-formatted " key=value" pairs from WithAttrs
	prefix string // group prefix ("g.") from WithGroup
}

// Enabled implements slog.Handler; clog itself drops debug lines unless
// the debug plugin is loaded.
func (h *clogHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (h *clogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	msg := b.String()
	switch {
	case r.Level >= slog.LevelError:
		log.Error(msg)
	case r.Level >= slog.LevelWarn:
		log.Warning(msg)
	case r.Level >= slog.LevelInfo:
		log.Info(msg)
	default:
		log.Debug(msg)
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h *clogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	return &clogHandler{attrs: b.String(), prefix: h.prefix}
}

// WithGroup implements slog.Handler.
func (h *clogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &clogHandler{attrs: h.attrs, prefix: h.prefix + name + "."}
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, p, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\"=") {
		b.WriteString(`"` + strings.ReplaceAll(v, `"`, `\"`) + `"`)
	} else {
		b.WriteString(v)
	}
}
