package telemetry

import "go.opentelemetry.io/otel/attribute"

// Span attribute keys shared by the services, so one query in Jaeger finds
// an event's spans in ingest and in the dispatcher.
const (
	AttrEventID        = attribute.Key("hookwire.event.id")
	AttrEventType      = attribute.Key("hookwire.event.type")
	AttrScope          = attribute.Key("hookwire.scope")
	AttrSubscriptionID = attribute.Key("hookwire.subscription.id")
	AttrDeliveryID     = attribute.Key("hookwire.delivery.id")
	AttrAttempt        = attribute.Key("hookwire.attempt")
	AttrOutcome        = attribute.Key("hookwire.outcome")
)

// LatencyBuckets are histogram boundaries in seconds for calls that take
// from a millisecond to tens of seconds (publishes, delivery attempts).
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
