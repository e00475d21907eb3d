package task

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Verdict is what a task's handling asks of its DELIVERIES message. The
// attempt code (package worker) returns it; the owner of the message
// (package lane) settles the message accordingly, once every task it
// carries has a verdict (Settlement).
type Verdict int

const (
	// Done: the task needs this message no more — delivered, failed, its
	// retry stored in Redis, discarded, or skipped as a repeat. Ack.
	Done Verdict = iota
	// SetAside: the task is held or parked in Redis, which brings it back.
	// Ack.
	SetAside
	// RetryLater: an infrastructure failure (Redis, NATS, the delivery
	// log); JetStream redelivers the message after Outcome.Delay. Nak with
	// that delay.
	RetryLater
	// Leave: the task was not attempted (the process is stopping); another
	// replica should take it at once. Nak without delay.
	Leave
)

// Outcome is a task's verdict and, with RetryLater, how long to wait.
type Outcome struct {
	Verdict Verdict
	Delay   time.Duration
}

// again reports whether the outcome needs the message redelivered.
func (o Outcome) again() bool { return o.Verdict == RetryLater || o.Verdict == Leave }

// Settlement settles one DELIVERIES message that carries n tasks, once all
// n have an outcome: ack when none needs the message again, otherwise nak
// with the longest delay asked for (JetStream then redelivers all of it;
// the tasks already attempted are found in the delivery log and skipped,
// since their first attempts see the message as redelivered). The zero
// value is not usable; see NewSettlement. Safe for concurrent use.
type Settlement struct {
	Msg   jetstream.Msg
	mu    sync.Mutex
	left  int           // tasks without an outcome yet
	nak   bool          // some task needs the message again
	delay time.Duration // the longest delay asked for
}

// NewSettlement returns the settlement of msg carrying n tasks.
func NewSettlement(msg jetstream.Msg, n int) *Settlement {
	s := &Settlement{}
	s.Init(msg, n)
	return s
}

// Init makes s the settlement of msg carrying n tasks (for a Settlement
// embedded in a larger value, to spare an allocation).
func (s *Settlement) Init(msg jetstream.Msg, n int) {
	s.Msg, s.left = msg, max(n, 1)
}

// Settle records one task's outcome; the last one settles the message.
// settled reports whether this call did; err is the ack or nak's. Calls
// beyond n are ignored.
func (s *Settlement) Settle(o Outcome) (settled bool, err error) {
	s.mu.Lock()
	if s.left == 0 {
		s.mu.Unlock()
		return false, nil
	}
	s.left--
	if o.again() {
		s.nak = true
		s.delay = max(s.delay, o.Delay)
	}
	last, nak, d := s.left == 0, s.nak, s.delay
	s.mu.Unlock()
	switch {
	case !last:
		return false, nil
	case !nak:
		return true, s.Msg.Ack()
	case d > 0:
		return true, s.Msg.NakWithDelay(d)
	default:
		return true, s.Msg.Nak()
	}
}

// Settled reports whether the message has been settled.
func (s *Settlement) Settled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.left == 0
}

// Parts splits msg, a message carrying n tasks, into n messages that each
// settle one of them through one Settlement (for tools and tests that
// settle message by message; the service's lanes use Settlement directly):
// Ack, DoubleAck, Term and TermWithReason count as Done, Nak as Leave,
// NakWithDelay as RetryLater. InProgress and the other accessors go to msg.
// For n == 1, Parts returns msg itself.
func Parts(msg jetstream.Msg, n int) []jetstream.Msg {
	if n == 1 {
		return []jetstream.Msg{msg}
	}
	s := NewSettlement(msg, n)
	out := make([]jetstream.Msg, n)
	for i := range out {
		out[i] = &part{Msg: msg, s: s}
	}
	return out
}

// Redelivered reports whether JetStream delivered msg before.
func Redelivered(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	return err == nil && md.NumDelivered > 1
}

// part is one task's view of a shared message.
type part struct {
	jetstream.Msg
	s    *Settlement
	once sync.Once
}

func (p *part) settle(o Outcome) error {
	var err error
	p.once.Do(func() { _, err = p.s.Settle(o) })
	return err
}

func (p *part) Ack() error                      { return p.settle(Outcome{Verdict: Done}) }
func (p *part) DoubleAck(context.Context) error { return p.settle(Outcome{Verdict: Done}) }
func (p *part) Term() error                     { return p.settle(Outcome{Verdict: Done}) }
func (p *part) TermWithReason(string) error     { return p.settle(Outcome{Verdict: Done}) }
func (p *part) Nak() error                      { return p.settle(Outcome{Verdict: Leave}) }
func (p *part) NakWithDelay(delay time.Duration) error {
	return p.settle(Outcome{Verdict: RetryLater, Delay: delay})
}
