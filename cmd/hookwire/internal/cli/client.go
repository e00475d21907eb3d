package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
)

// app holds the global flags and the lazily opened connection.
type app struct {
	addr       string
	token      string
	user       string
	output     string
	rpcTimeout time.Duration
	stdout     io.Writer
	stderr     io.Writer
	conn       *grpc.ClientConn
}

func (a *app) dial() (*grpc.ClientConn, error) {
	if a.conn != nil {
		return a.conn, nil
	}
	conn, err := grpc.NewClient(a.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	if err != nil {
		return nil, usagef("--addr %q: %v", a.addr, err)
	}
	a.conn = conn
	return conn, nil
}

func (a *app) close() {
	if a.conn != nil {
		_ = a.conn.Close()
	}
}

func (a *app) registry() (hookwirev1.RegistryServiceClient, error) {
	conn, err := a.dial()
	if err != nil {
		return nil, err
	}
	return hookwirev1.NewRegistryServiceClient(conn), nil
}

func (a *app) delivery() (hookwirev1.DeliveryServiceClient, error) {
	conn, err := a.dial()
	if err != nil {
		return nil, err
	}
	return hookwirev1.NewDeliveryServiceClient(conn), nil
}

// publisher returns an ingest client that retries a publish the server
// answered Unavailable (safe: ingest dedups by event_id).
func (a *app) publisher(ctx context.Context) (*publisher.Client, error) {
	opts := []publisher.Option{publisher.WithInsecure(), publisher.WithMaxRetries(3)}
	if a.token != "" {
		opts = append(opts, publisher.WithToken(a.token))
	}
	if a.user != "" {
		opts = append(opts, publisher.WithUserID(a.user))
	}
	c, err := publisher.Dial(ctx, a.addr, opts...)
	if err != nil {
		return nil, usagef("--addr %q: %v", a.addr, err)
	}
	return c, nil
}

// callCtx returns the context of one API call: the --timeout deadline and
// the authorization / x-user-id metadata, plus any extra key/value pairs.
func (a *app) callCtx(ctx context.Context, kv ...string) (context.Context, context.CancelFunc) {
	var md []string
	if a.token != "" {
		md = append(md, "authorization", "Bearer "+a.token)
	}
	if a.user != "" {
		md = append(md, "x-user-id", a.user)
	}
	md = append(md, kv...)
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	return context.WithTimeout(ctx, a.rpcTimeout)
}

// fail wraps an API error with what the command was doing.
func fail(op string, err error) error {
	return fmt.Errorf("%s: %w", op, err)
}

// call runs one API call of a client with the command's deadline and
// metadata, and renders the answer: the shape most commands share.
func call[C any, R proto.Message](a *app, c *cobra.Command, client func() (C, error), op string,
	do func(context.Context, C) (R, error), table func(io.Writer, R)) error {
	cl, err := client()
	if err != nil {
		return err
	}
	ctx, cancel := a.callCtx(c.Context())
	defer cancel()
	resp, err := do(ctx, cl)
	if err != nil {
		return fail(op, err)
	}
	return a.render(resp, func(w io.Writer) { table(w, resp) })
}
