package devtemporal

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter forwards the Temporal server's logs to a *slog.Logger,
// dropping everything below the gate's level.
type slogAdapter struct {
	logger *slog.Logger
	gate   *logGate
}

// logGate is the minimum level of a server's logs; mute silences them all
// (the server warns and errors at length while it shuts down).
type logGate struct {
	level slog.Leveler
	muted atomic.Bool
}

func (g *logGate) allows(level slog.Level) bool {
	return !g.muted.Load() && level >= g.level.Level()
}

func (g *logGate) mute() { g.muted.Store(true) }

var (
	_ log.Logger     = slogAdapter{}
	_ log.WithLogger = slogAdapter{}
)

func newSlogAdapter(logger *slog.Logger, level slog.Leveler) slogAdapter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if level == nil {
		level = slog.LevelWarn
	}
	return slogAdapter{logger: logger, gate: &logGate{level: level}}
}

func (a slogAdapter) Debug(msg string, tags ...tag.Tag) { a.log(slog.LevelDebug, msg, tags) }
func (a slogAdapter) Info(msg string, tags ...tag.Tag)  { a.log(slog.LevelInfo, msg, tags) }
func (a slogAdapter) Warn(msg string, tags ...tag.Tag)  { a.log(slog.LevelWarn, msg, tags) }
func (a slogAdapter) Error(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal are logged as errors: an embedded server must never
// take the host process down.
func (a slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Panic(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Fatal(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }

// With returns a logger that adds tags to every record.
func (a slogAdapter) With(tags ...tag.Tag) log.Logger {
	return slogAdapter{logger: a.logger.With(tagsToArgs(tags)...), gate: a.gate}
}

func (a slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	if !a.gate.allows(level) {
		return
	}
	ctx := context.Background()
	if !a.logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	a.logger.LogAttrs(ctx, level, msg, attrs...)
}

func tagsToArgs(tags []tag.Tag) []any {
	args := make([]any, 0, len(tags))
	for _, t := range tags {
		args = append(args, slog.Any(t.Key(), t.Value()))
	}
	return args
}
