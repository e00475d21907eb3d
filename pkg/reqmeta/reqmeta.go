// Package reqmeta handles the request metadata every Hookwire RPC accepts:
// x-request-id (echoed in the response header; generated when absent) and
// x-user-id (the audit user, recorded as created_by / updated_by).
package reqmeta

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

const (
	RequestIDKey = "x-request-id"
	UserIDKey    = "x-user-id"
	maxLen       = 128
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

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 && len(v[0]) <= maxLen {
		return v[0]
	}
	return ""
}

func annotate(ctx context.Context) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	id := first(md, RequestIDKey)
	ctx = context.WithValue(ctx, callerSetCtx, id != "")
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	ctx = context.WithValue(ctx, requestIDCtx, id)
	ctx = context.WithValue(ctx, userIDCtx, first(md, UserIDKey))
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDKey, id))
	return ctx
}

// UnaryInterceptor reads the metadata and echoes x-request-id.
func UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return handler(annotate(ctx), req)
	}
}

// StreamInterceptor reads the metadata and echoes x-request-id.
func StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := annotate(ss.Context())
		_ = ss.SetHeader(metadata.Pairs(RequestIDKey, func() string { id, _ := RequestID(ctx); return id }()))
		return handler(srv, &stream{ServerStream: ss, ctx: ctx})
	}
}

type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }
