// Package reqmeta handles the request metadata every Hookwire RPC accepts:
// x-request-id (echoed in the response header; generated when absent) and
// x-user-id (the audit user, recorded as created_by / updated_by). A value
// longer than MaxLen is refused with InvalidArgument rather than ignored:
// silently replacing a caller's request id would silently turn off
// idempotent create.
package reqmeta

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/hookwire/hookwire/pkg/badrequest"
)

const (
	RequestIDKey = "x-request-id"
	UserIDKey    = "x-user-id"
	// MaxLen bounds x-request-id and x-user-id.
	MaxLen = 128
)

type ctxKey int

const (
	requestIDCtx ctxKey = iota
	userIDCtx
	callerSetCtx
)

// RequestID returns the request id and whether the caller supplied it.
func RequestID(ctx context.Context) (id string, fromCaller bool) {
	id, _ = ctx.Value(requestIDCtx).(string)
	fromCaller, _ = ctx.Value(callerSetCtx).(bool)
	return id, fromCaller
}

// UserID returns the audit user, "" when none was given.
func UserID(ctx context.Context) string {
	u, _ := ctx.Value(userIDCtx).(string)
	return u
}

// read returns ctx annotated with the request metadata and the request id to
// echo, or an InvalidArgument error naming the metadata key that is too long.
func read(ctx context.Context) (context.Context, string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var v badrequest.Violations
	first := func(key string) string {
		vals := md.Get(key)
		if len(vals) == 0 {
			return ""
		}
		if len(vals[0]) > MaxLen {
			v.Add(key, "at most %d characters", MaxLen)
			return ""
		}
		return vals[0]
	}
	id, user := first(RequestIDKey), first(UserIDKey)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	ctx = context.WithValue(ctx, callerSetCtx, id != "")
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	ctx = context.WithValue(ctx, requestIDCtx, id)
	ctx = context.WithValue(ctx, userIDCtx, user)
	return ctx, id, nil
}

// UnaryInterceptor reads the metadata and echoes x-request-id.
func UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, id, err := read(ctx)
		if err != nil {
			return nil, err
		}
		_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDKey, id))
		return handler(ctx, req)
	}
}

// StreamInterceptor reads the metadata and echoes x-request-id.
func StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, id, err := read(ss.Context())
		if err != nil {
			return err
		}
		_ = ss.SetHeader(metadata.Pairs(RequestIDKey, id))
		return handler(srv, &stream{ServerStream: ss, ctx: ctx})
	}
}

type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }
