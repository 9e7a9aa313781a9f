package membership

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strconv"
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
	w.l.Log(context.Background(), level, string(line))
	return len(p), nil
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }
