// Package telemetry sets up OpenTelemetry for a Hookwire process in one call:
// a tracer provider exporting over OTLP when the standard OTEL_* environment
// names an endpoint, a meter provider read by a Prometheus exporter (served
// at /metrics), and the composite TraceContext + Baggage propagator. It also
// carries trace context through NATS headers and adds trace ids to logs.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Providers are the process's telemetry.
type Providers struct {
	Tracer  *sdktrace.TracerProvider
	Meter   *sdkmetric.MeterProvider
	Metrics http.Handler // Prometheus text format, for /metrics
}

// Option changes Setup.
type Option func(*options)

type options struct {
	spanProcessors []sdktrace.SpanProcessor
}

// WithSpanProcessor adds a span processor (tests use an in-memory exporter).
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return func(o *options) { o.spanProcessors = append(o.spanProcessors, p) }
}

// Setup installs global tracer and meter providers for service and returns
// them with a shutdown function that flushes both (bounded by its ctx).
// Spans are exported over OTLP/gRPC only when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set and OTEL_TRACES_EXPORTER is not
// "none"; spans are created either way, so traceparent still reaches
// subscribers.
func Setup(ctx context.Context, service, version string, opts ...Option) (*Providers, func(context.Context) error, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.version", version),
		// Which replica: two dispatchers' spans and metrics stay apart.
		// OTEL_RESOURCE_ATTRIBUTES=service.instance.id=… overrides it.
		attribute.String("service.instance.id", instanceID()),
	))
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry resource: %w", err)
	}
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}

	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if otlpConfigured() {
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	}
	for _, p := range o.spanProcessors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(promExp))

	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	shutdown := func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}
	// OpenMetrics (when the scraper asks for it, as Prometheus does with
	// exemplar storage on) carries exemplars: histogram buckets name the
	// trace_id of a recent sampled measurement, so a latency spike on a
	// dashboard leads to a trace in Jaeger. The SDK's default exemplar
	// filter keeps measurements made under a sampled span.
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	return &Providers{Tracer: tp, Meter: mp, Metrics: metrics}, shutdown, nil
}

// instanceID names this process among the service's replicas: host name
// (the container id under Docker) and process id.
func instanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

func otlpConfigured() bool {
	if os.Getenv("OTEL_TRACES_EXPORTER") == "none" || os.Getenv("OTEL_SDK_DISABLED") == "true" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}
