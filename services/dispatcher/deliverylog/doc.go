// Package deliverylog is the durable log of deliveries: one record per
// (event, subscription) with its state and attempts, kept in the JetStream KV
// bucket "hookwire_deliveries".
package deliverylog
