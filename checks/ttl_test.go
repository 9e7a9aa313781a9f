package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/discod/discod/servicedef"
)

func TestTTL(t *testing.T) {
	r, rec := newTestRunner(t, Config{})
	const ttl = 200 * time.Millisecond
	r.Start(servicedef.Check{ID: "app", TTL: ttl})

	// Without an update the TTL runs out.
	if got := rec.waitFor(t, "app", "critical"); got.output != "TTL expired" {
		t.Errorf("output %q, want TTL expired", got.output)
	}
	// An update is reported at once, and its output survives the expiry.
	if err := r.TTLUpdate("app", "passing", "all is well"); err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.lastOf("app"); got.status != "passing" || got.output != "all is well" {
		t.Errorf("after TTLUpdate: %+v", got)
	}
	got := rec.waitFor(t, "app", "critical")
	if want := "TTL expired (last output before timeout follows): all is well"; got.output != want {
		t.Errorf("output %q, want %q", got.output, want)
	}
	// Updates faster than the TTL keep it alive: the history holds only
	// what was sent.
	const longTTL = time.Second
	r.Start(servicedef.Check{ID: "kept", TTL: longTTL})
	start := time.Now()
	for i := 0; time.Since(start) < longTTL*3/2; i++ {
		if err := r.TTLUpdate("kept", "warning", "busy"); err != nil {
			t.Fatal(err)
		}
		rec.waitCount(t, "kept", i+1)
		time.Sleep(longTTL / 20) // the client's update cadence, well inside the TTL
	}
	rec.mu.Lock()
	for _, rep := range rec.history["kept"] {
		if rep.status != "warning" {
			t.Errorf("a report %+v between updates inside the TTL", rep)
		}
	}
	rec.mu.Unlock()

	// The output is capped.
	r.Start(servicedef.Check{ID: "small", TTL: time.Hour, OutputMaxSize: 10})
	if err := r.TTLUpdate("small", "passing", strings.Repeat("y", 100)); err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.lastOf("small"); got.output != strings.Repeat("y", 10) {
		t.Errorf("output %q not capped at 10", got.output)
	}
}

func TestTTLUpdateErrors(t *testing.T) {
	r, _ := newTestRunner(t, Config{})
	r.Start(servicedef.Check{ID: "ttl", TTL: time.Hour})
	r.Start(servicedef.Check{ID: "tcp", TCP: "127.0.0.1:1", Interval: time.Hour})
	tests := []struct {
		name, id, status string
		is               error
		text             string
	}{
		{"unknown check", "nope", "passing", ErrUnknownCheck, `check "nope"`},
		{"not a ttl check", "tcp", "passing", ErrNotTTL, "tcp check"},
		{"bad status", "ttl", "fine", nil, `status "fine"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.TTLUpdate(tt.id, tt.status, "")
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("TTLUpdate(%q, %q) = %v, want %v naming %q", tt.id, tt.status, err, tt.is, tt.text)
			}
		})
	}
	r.Stop("ttl")
	if err := r.TTLUpdate("ttl", "passing", ""); !errors.Is(err, ErrUnknownCheck) {
		t.Errorf("after Stop: %v", err)
	}
}
