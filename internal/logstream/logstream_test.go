package logstream

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestHubLevels(t *testing.T) {
	var own bytes.Buffer
	hub := &Hub{}
	log := slog.New(hub.Handler(slog.NewTextHandler(&own, &slog.HandlerOptions{Level: slog.LevelInfo})))
	debug := hub.Subscribe(slog.LevelDebug, false)
	warn := hub.Subscribe(slog.LevelWarn, true)
	log.With("component", "gossip").Debug("probe", "node", "a")
	log.Warn("careful")
	if got := len(debug.C); got != 2 {
		t.Errorf("debug subscriber got %d lines; want 2", got)
	}
	first := string(<-debug.C)
	if !strings.Contains(first, "component=gossip") || !strings.Contains(first, "node=a") {
		t.Errorf("debug line = %q", first)
	}
	if got := len(warn.C); got != 1 || !strings.HasPrefix(string(<-warn.C), "{") {
		t.Errorf("warn subscriber got %d lines; want 1 JSON line", got)
	}
	if strings.Contains(own.String(), "probe") || !strings.Contains(own.String(), "careful") {
		t.Errorf("the agent's own log = %q; want info and up only", own.String())
	}
	hub.Unsubscribe(debug)
	<-debug.C // the warning, sent before
	log.Error("after")
	if len(debug.C) != 0 {
		t.Error("an unsubscribed subscriber still got lines")
	}
}

func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	hub := &Hub{}
	log := slog.New(hub.Handler(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	s := hub.Subscribe(slog.LevelInfo, false)
	for range 1000 {
		log.Info("line")
	}
	if len(s.C) != cap(s.C) || s.dropped == 0 {
		t.Errorf("buffered %d, dropped %d", len(s.C), s.dropped)
	}
}
