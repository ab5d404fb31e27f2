package storage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// pebbleLogger routes Pebble's printf-style logging into slog.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble", "msg", fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble", "msg", fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.log.Log(context.Background(), slog.LevelError+4, "pebble fatal", "msg", fmt.Sprintf(format, args...))
	os.Exit(1)
}
