package storage

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// PebbleLogger routes Pebble's printf-style logging into slog; raftlog's log store uses it too.
type PebbleLogger struct{ Log *slog.Logger }

func (l PebbleLogger) Infof(format string, args ...any) {
	l.Log.Debug("pebble", "msg", fmt.Sprintf(format, args...))
}

func (l PebbleLogger) Errorf(format string, args ...any) {
	l.Log.Error("pebble", "msg", fmt.Sprintf(format, args...))
}

func (l PebbleLogger) Fatalf(format string, args ...any) {
	l.Log.Log(context.Background(), slog.LevelError+4, "pebble fatal", "msg", fmt.Sprintf(format, args...))
	os.Exit(1)
}
