package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"google.golang.org/grpc/grpclog"
)

// RouteLibraryLogs sends what the OpenTelemetry SDK (exporter errors),
// grpc-go and go-redis would print to stderr as plain text through log
// instead, so every line a service writes is JSON slog. Each library's
// lines carry "component". Call it once per process, before the libraries
// are used; the settings are process-global, like the libraries' own.
func RouteLibraryLogs(log *slog.Logger) {
	otelLog := log.With("component", "opentelemetry")
	otel.SetLogger(logr.FromSlogHandler(otelLog.Handler()))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		otelLog.Warn("opentelemetry error", "error", err)
	}))
	grpclog.SetLoggerV2(grpcLogger{log: log.With("component", "grpc")})
	rl := log.With("component", "go-redis")
	redis.SetLogger(redisLogger{throttle: NewThrottle(rl, ThrottleInterval)})
}

// redisLogger is go-redis's Logging interface over slog. go-redis logs
// only trouble (pool and connection errors), so it is a warning.
//
// Its lines are failures (a dial refused while Redis is down, ten a
// second): each format is logged once per ThrottleInterval, with the
// latest message as the error and how often it repeated.
type redisLogger struct{ throttle *Throttle }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.throttle.Fail(ctx, strings.TrimSpace(format), errors.New(strings.TrimSpace(fmt.Sprintf(format, v...))))
}

// grpcLogger is grpclog.LoggerV2 over slog. grpc-go's info lines are
// connection-state chatter: they are kept at debug.
type grpcLogger struct{ log *slog.Logger }

func (l grpcLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, strings.TrimSpace(msg))
}

func (l grpcLogger) Info(args ...any)   { l.emit(slog.LevelDebug, fmt.Sprint(args...)) }
func (l grpcLogger) Infoln(args ...any) { l.emit(slog.LevelDebug, fmt.Sprintln(args...)) }
func (l grpcLogger) Infof(format string, args ...any) {
	l.emit(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l grpcLogger) Warning(args ...any)   { l.emit(slog.LevelWarn, fmt.Sprint(args...)) }
func (l grpcLogger) Warningln(args ...any) { l.emit(slog.LevelWarn, fmt.Sprintln(args...)) }
func (l grpcLogger) Warningf(format string, args ...any) {
	l.emit(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (l grpcLogger) Error(args ...any)   { l.emit(slog.LevelError, fmt.Sprint(args...)) }
func (l grpcLogger) Errorln(args ...any) { l.emit(slog.LevelError, fmt.Sprintln(args...)) }
func (l grpcLogger) Errorf(format string, args ...any) {
	l.emit(slog.LevelError, fmt.Sprintf(format, args...))
}

// Fatal* are what grpc-go calls before it exits the process itself.
func (l grpcLogger) Fatal(args ...any)   { l.emit(slog.LevelError, fmt.Sprint(args...)) }
func (l grpcLogger) Fatalln(args ...any) { l.emit(slog.LevelError, fmt.Sprintln(args...)) }
func (l grpcLogger) Fatalf(format string, args ...any) {
	l.emit(slog.LevelError, fmt.Sprintf(format, args...))
}

// V reports whether grpc-go's verbose level l is on: only at debug.
func (l grpcLogger) V(level int) bool {
	return l.log.Enabled(context.Background(), slog.LevelDebug)
}
