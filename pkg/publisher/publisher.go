// Package publisher is the Go client internal services use to publish
// events to Hookwire's ingest service.
//
//	c, err := publisher.Dial(ctx, "ingest:50052", publisher.WithToken(tok), publisher.WithInsecure())
//	resp, err := c.Publish(ctx, ev) // one event, retried on Unavailable
//
// High-rate producers use a Stream over PublishStream: Send returns at once
// with a Pending that resolves when the event is stored (or rejected), at
// most WithWindow events are unanswered at a time, events answered
// Unavailable are re-sent with backoff, and a broken stream is reopened and
// its unanswered events re-sent. Re-sending is safe because ingest dedups by
// event_id (a re-sent event that had in fact been stored answers with
// Duplicate set).
//
// Calls are traced with the OpenTelemetry gRPC client stats handler over the
// global providers (a no-op until the process sets them up), so the trace
// context of ctx reaches ingest and the event's delivery spans join it.
package publisher

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Client publishes events to one ingest endpoint. Safe for concurrent use.
type Client struct {
	conn *grpc.ClientConn
	rpc  hookwirev1.IngestServiceClient
	o    options
}

// Dial prepares a client for addr. It does not wait for the server: the
// connection is made in the background, and a call made while the server
// is unreachable fails Unavailable and is retried. ctx is only checked
// before dialing.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dial ingest %s: %w", addr, err)
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	var md []string
	if o.token != "" {
		md = append(md, "authorization", "Bearer "+o.token)
	}
	if o.userID != "" {
		md = append(md, "x-user-id", o.userID)
	}
	dialOpts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(o.creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(withMD(ctx, md), method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(withMD(ctx, md), desc, cc, method, opts...)
		}),
	}, o.dialOpts...)
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("dial ingest %s: %w", addr, err)
	}
	conn.Connect()
	return &Client{conn: conn, rpc: hookwirev1.NewIngestServiceClient(conn), o: o}, nil
}

func withMD(ctx context.Context, kv []string) context.Context {
	if len(kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// Close closes the connection. Streams must be closed first.
func (c *Client) Close() error { return c.conn.Close() }

// Publish stores one event and returns once ingest has it durably. It
// retries with exponential backoff and jitter on Unavailable and
// ResourceExhausted, up to WithMaxRetries times, and never on other codes.
// Errors keep their gRPC status (status.Code, badrequest.FieldsOf work);
// when ctx ends during a backoff the error also wraps ctx.Err().
func (c *Client) Publish(ctx context.Context, ev *hookwirev1.Event) (*hookwirev1.PublishResponse, error) {
	req := &hookwirev1.PublishRequest{Event: ev}
	for attempt := 0; ; attempt++ {
		resp, err := c.rpc.Publish(ctx, req)
		if err == nil {
			return resp, nil
		}
		if !Retryable(err) || attempt >= c.o.maxRetries {
			if attempt == 0 {
				return nil, fmt.Errorf("publish event %s: %w", ev.GetEventId(), err)
			}
			return nil, fmt.Errorf("publish event %s (%d attempts): %w", ev.GetEventId(), attempt+1, err)
		}
		if serr := sleep(ctx, c.o.delay(attempt)); serr != nil {
			return nil, fmt.Errorf("publish event %s: %w", ev.GetEventId(), errors.Join(serr, err))
		}
	}
}
