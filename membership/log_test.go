package membership

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogBridgeLevelsAndHints(t *testing.T) {
	var buf bytes.Buffer
	l := newMemberlistLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	tests := []struct{ line, want string }{
		{"[WARN] memberlist: Was able to connect to b over TCP but UDP probes failed, network may be misconfigured", "allow UDP as well as TCP"},
		{"[ERR] memberlist: failed to receive: No installed keys could decrypt the message from=1.2.3.4", "encryption key mismatch?"},
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:1", "level=DEBUG"},
		{"[ERR] memberlist: something", "level=ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			buf.Reset()
			l.Println(tt.line)
			if !strings.Contains(buf.String(), tt.want) {
				t.Errorf("logged %q; want it to contain %q", buf.String(), tt.want)
			}
		})
	}
}
