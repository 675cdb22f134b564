package commands

import (
	"context"
	"log/slog"
)

// Log correlation: the bot puts each piece of work's logger (with the
// Slack request's `req`, user and channel) in the context, so that what
// the engine and the tollgate workflow log about that work carries them.

type loggerKey struct{}

// WithLogger returns ctx carrying l for the engine's log records.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// LoggerFrom is the logger in ctx, else fallback.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return fallback
}

func (e *Engine) log(ctx context.Context) *slog.Logger { return LoggerFrom(ctx, e.logger) }
