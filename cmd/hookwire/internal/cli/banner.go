package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
)

// printBanner tells where everything listens and how to try it.
func printBanner(w io.Writer, st *dev.Stack) {
	redis := st.RedisURL() + " (external)"
	if st.RedisEmbedded() {
		redis = st.RedisURL() + " (embedded; saved to the data dir on exit)"
	}
	authText := "none: every caller is let in (set HOOKWIRE_TOKENS_FILE to require tokens)"
	if !st.DevAuth() {
		authText = "bearer tokens from HOOKWIRE_TOKENS_FILE"
	}
	traces := "not exported (set OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 to send them to a Jaeger)"
	if ep := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); ep != "" {
		traces = "exported over OTLP to " + ep
	} else if ep := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); ep != "" {
		traces = "exported over OTLP to " + ep
	}
	dlog := "embedded (JetStream KV in the NATS store; HOOKWIRE_DELIVERY_LOG_URL selects PostgreSQL)"
	if st.DeliveryLog() != "embedded" {
		dlog = st.DeliveryLog() + " (HOOKWIRE_DELIVERY_LOG_URL)"
	}
	fmt.Fprintf(w, `
Hookwire dev is running. Ctrl-C stops it.

  gRPC    %[1]s   registry, ingest, delivery (reflection on)
  HTTP    http://%[2]s/healthz  /readyz  /metrics
  Console http://%[2]s/console/
  Traces  %[7]s
  NATS    %[3]s   store %[4]s/nats
  Redis   %[5]s
  Log     %[8]s
  Auth    %[6]s

Try it (in another terminal):

  export HOOKWIRE_ADDR=%[1]s
  hookwire listen --port 3000 --event-type 'transaction.*'
  hookwire events publish --type transaction.sale.success --data '{"amount": 1000}'
  hookwire subscriptions list
  hookwire deliveries list --subscription <ID printed by listen>
  grpcurl -plaintext %[1]s list

`, st.GRPCAddr(), st.HTTPAddr(), st.NATSURL(), st.DataDir(), redis, authText, traces, dlog)
}
