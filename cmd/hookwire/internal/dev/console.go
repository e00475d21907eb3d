package dev

import (
	"fmt"

	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/services/console"
)

// mountConsole serves the web console at /console/ on the HTTP port, as a
// client of the stack's own gRPC port: the same path to the data as any
// other caller, under the signed-in user's token.
func (s *Stack) mountConsole() error {
	conn, err := console.Dial(s.grpc.Addr())
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.consoleConn = conn
	cfg := console.DefaultConfig()
	cfg.Dev, cfg.TokenOptional = true, s.devAuth
	cfg.JaegerURL, cfg.JaegerService = s.opts.JaegerURL, "hookwire-dev"
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c, err := console.New(cfg, console.Deps{Registry: conn, Dispatcher: conn, Logger: s.log.With("service", "console")})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.http.Handle(console.BasePath, c)
	return nil
}

// closeConsole closes the console's client connection.
func closeConsole(conn *grpc.ClientConn) {
	if conn != nil {
		_ = conn.Close()
	}
}
