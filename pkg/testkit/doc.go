// Package testkit starts the real infrastructure a Hookwire test talks to:
// an embedded NATS JetStream server and a redis-server process, each private
// to the test and removed when it ends. It is imported only by tests.
package testkit
