package grpcserver

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto" // registers the standard "proto" codec
	"google.golang.org/grpc/mem"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/hookwire/hookwire/pkg/badrequest"
)

// utf8Codec is the server's "proto" codec: the standard one, except for a
// request whose only fault is invalid UTF-8 in string fields. grpc-go
// answers every Unmarshal error with INTERNAL ("grpc: failed to unmarshal
// the received message", rpc_util.go recv), which clients retry although
// the request can never succeed. For such a request Unmarshal instead
// returns the message with each bad string made valid (U+FFFD), and records
// the fields for the interceptors, which answer INVALID_ARGUMENT with a
// google.rpc.BadRequest naming them before any handler sees the message.
// Other Unmarshal errors stay as they are.
//
// The record is keyed by the message pointer and taken by the outermost
// unary and stream interceptors, which New installs ahead of every other:
// every message the codec decodes reaches one of them, so none is kept.
type utf8Codec struct {
	encoding.CodecV2
	bad sync.Map // protov2.Message -> []string, field paths
}

func newUTF8Codec() *utf8Codec {
	return &utf8Codec{CodecV2: encoding.GetCodecV2(proto.Name)}
}

// Unmarshal decodes data into v with the standard codec, and on its error
// tries whether invalid UTF-8 was the only cause.
func (c *utf8Codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(protov2.Message)
	if !ok {
		return err
	}
	fixed, fields, ok := sanitizeUTF8(data.Materialize(), m.ProtoReflect().Descriptor())
	if !ok || len(fields) == 0 {
		return err
	}
	protov2.Reset(m)
	if protov2.Unmarshal(fixed, m) != nil {
		return err
	}
	c.bad.Store(m, fields)
	return nil
}

// rejected returns the INVALID_ARGUMENT status for m if Unmarshal found
// invalid UTF-8 in it, and forgets m.
func (c *utf8Codec) rejected(m any) error {
	pm, ok := m.(protov2.Message)
	if !ok {
		return nil
	}
	fields, found := c.bad.LoadAndDelete(pm)
	if !found {
		return nil
	}
	var v badrequest.Violations
	for _, f := range fields.([]string) {
		v.Add(f, "is not valid UTF-8")
	}
	return v.Err()
}

func (c *utf8Codec) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := c.rejected(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (c *utf8Codec) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &utf8Stream{ServerStream: ss, c: c})
}

// utf8Stream fails RecvMsg with INVALID_ARGUMENT for a message with invalid
// UTF-8; the handler sees it as any other receive error.
type utf8Stream struct {
	grpc.ServerStream
	c *utf8Codec
}

func (s *utf8Stream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.c.rejected(m)
}

// options installs the codec and its interceptors.
func (c *utf8Codec) options() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(c),
		grpc.ChainUnaryInterceptor(c.unary),
		grpc.ChainStreamInterceptor(c.stream),
	}
}
