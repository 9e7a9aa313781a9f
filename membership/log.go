package membership

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strconv"
	"strings"
)

// newMemberlistLogger returns a *log.Logger for memberlist whose "[LEVEL]
// memberlist: msg" lines land in l at the matching slog level.
func newMemberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(&levelWriter{l: l}, "", 0)
}

type levelWriter struct{ l *slog.Logger }

func (w *levelWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, lv := range []struct {
		tag   string
		level slog.Level
	}{{"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn}, {"[ERR]", slog.LevelError}, {"[ERROR]", slog.LevelError}} {
		if bytes.HasPrefix(line, []byte(lv.tag)) {
			level = lv.level
			line = bytes.TrimSpace(line[len(lv.tag):])
			break
		}
	}
	msg := string(line)
	w.l.Log(context.Background(), level, msg+keyHint(msg)+udpHint(msg))
	return len(p), nil
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

// keyHint explains the errors memberlist reports when two agents do not
// share a gossip key (or one has none): the peer just hangs up, which
// memberlist reports as EOF or a failed decryption.
func keyHint(msg string) string {
	for _, s := range []string{"EOF", "connection reset by peer", "decrypt", "Encryption is configured but", "encryption is not configured", "Unknown message type", "No installed keys"} {
		if strings.Contains(msg, s) {
			return " (encryption key mismatch? every agent must use the same gossip key, -encrypt, or none)"
		}
	}
	return ""
}

// udpHint explains memberlist's "Was able to connect to X over TCP but UDP
// probes failed" in terms of what the operator must change.
func udpHint(msg string) string {
	if strings.Contains(msg, "over TCP but UDP probes failed") {
		return " (UDP to the gossip port is blocked while TCP works: allow UDP as well as TCP on the gossip port, 8301 by default, in every firewall between the agents)"
	}
	return ""
}
